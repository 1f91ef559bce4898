// The plan's chart: the minimum detectable total dollar impact per day against the duration, as
// an SVG (like the forest plots), with the chosen duration marked. Pure DOM; no dependencies.
import { svg as el } from './dom';
import * as fmt from './format';
import type { Plan } from './types';

/** Points (days, dollars per day) with a finite figure. */
export function mdeSeries(plan: Plan): { days: number; mde: number }[] {
  return plan.durations
    .filter((d) => typeof d.totalDailyDollarMde === 'number' && Number.isFinite(d.totalDailyDollarMde))
    .map((d) => ({ days: d.days, mde: d.totalDailyDollarMde as number }));
}

export function planChart(plan: Plan, chosenDays: number, target?: number | null): SVGSVGElement {
  const pts = mdeSeries(plan);
  const W = 560, H = 240, L = 72, R = 16, T = 16, B = 36;
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'plan-chart', role: 'img', 'data-testid': 'plan-chart' });
  const title = el('title', {}, 'Minimum detectable dollars per day against the duration in days');
  svg.append(title);
  if (pts.length === 0) return svg;
  const x0 = pts[0].days, x1 = pts[pts.length - 1].days;
  const yMax = Math.max(...pts.map((p) => p.mde), target ?? 0) * 1.08;
  const sx = (d: number) => L + ((d - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const sy = (v: number) => T + (1 - v / yMax) * (H - T - B);
  // Axes and grid.
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const v = yMax * f;
    svg.append(el('line', { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: 'plan-grid' }));
    svg.append(el('text', { x: L - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'plan-axis' }, fmt.money(v)));
  }
  for (const d of [7, 14, 21, 28, 35, 42, 49, 56].filter((d) => d >= x0 && d <= x1)) {
    svg.append(el('text', { x: sx(d), y: H - B + 16, 'text-anchor': 'middle', class: 'plan-axis' }, String(d)));
  }
  svg.append(el('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'plan-axis' }, 'days'));
  if (target && target > 0 && target < yMax) {
    svg.append(el('line', { x1: L, x2: W - R, y1: sy(target), y2: sy(target), class: 'plan-target' }));
    svg.append(el('text', { x: W - R, y: sy(target) - 4, 'text-anchor': 'end', class: 'plan-axis' }, `target ${fmt.money(target)}/day`));
  }
  svg.append(el('polyline', {
    points: pts.map((p) => `${sx(p.days).toFixed(1)},${sy(p.mde).toFixed(1)}`).join(' '),
    class: 'plan-line', fill: 'none',
  }));
  const chosen = pts.find((p) => p.days === chosenDays);
  if (chosen) {
    svg.append(el('line', { x1: sx(chosen.days), x2: sx(chosen.days), y1: T, y2: H - B, class: 'plan-chosen' }));
    svg.append(el('circle', { cx: sx(chosen.days), cy: sy(chosen.mde), r: 5, class: 'plan-dot', 'data-testid': 'plan-dot' }));
  }
  return svg;
}
