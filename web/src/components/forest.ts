// Interval bars per metric on a shared zero line (a forest plot), drawn as SVG so that it prints
// sharply and needs no canvas. Each row: the interval as a bar, the estimate as a dot, coloured by
// the verdict derived from that same interval. The figures are also in the table beside it.
import { h } from '../dom';
import type { Interval } from '../types';

export interface ForestRow {
  label: string;
  value: number | null;
  interval: Interval | null;
  verdict: string;
  /** The interval in words, for the accessible name. */
  text: string;
}

const SVG = 'http://www.w3.org/2000/svg';
function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The x domain: every bound and zero, padded by 8% on each side. */
export function forestDomain(rows: ForestRow[]): [number, number] {
  const xs = [0];
  for (const r of rows) {
    if (r.interval) xs.push(r.interval.lower, r.interval.upper);
    if (r.value !== null && Number.isFinite(r.value)) xs.push(r.value);
  }
  let lo = Math.min(...xs);
  let hi = Math.max(...xs);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08;
  return [lo - pad, hi + pad];
}

export function forestPlot(rows: ForestRow[], opts: { title: string; axisLabel: (v: number) => string; testId?: string; perRow?: boolean }): HTMLElement {
  const rowH = 30;
  const top = 8;
  const bottom = 26;
  const width = 600;
  const left = 4;
  const right = 4;
  const height = top + rows.length * rowH + bottom;
  // perRow: metrics in different units; each row on its own symmetric scale around the same zero.
  const [lo, hi] = forestDomain(rows);
  const span = (r: ForestRow) => {
    const [a, b] = forestDomain([r]);
    const m = Math.max(Math.abs(a), Math.abs(b));
    return [-m, m] as const;
  };
  const xOf = (v: number, d: readonly [number, number]) => left + ((v - d[0]) / (d[1] - d[0])) * (width - left - right);
  const x = (v: number) => xOf(v, [lo, hi]);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', preserveAspectRatio: 'none', class: 'forest-svg', 'aria-hidden': 'true', focusable: 'false' });
  // Zero line shared by all rows.
  const zeroX = opts.perRow ? width / 2 : x(0);
  svg.append(s('line', { x1: zeroX, x2: zeroX, y1: top - 4, y2: height - bottom + 4, class: 'forest-zero' }));
  svg.append(s('text', { x: zeroX, y: height - 8, 'text-anchor': 'middle', class: 'forest-axis' }, opts.axisLabel(0)));
  if (!opts.perRow) {
    svg.append(s('text', { x: left, y: height - 8, 'text-anchor': 'start', class: 'forest-axis' }, opts.axisLabel(lo)));
    svg.append(s('text', { x: width - right, y: height - 8, 'text-anchor': 'end', class: 'forest-axis' }, opts.axisLabel(hi)));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    const x = opts.perRow ? (v: number) => xOf(v, span(r)) : (v: number) => xOf(v, [lo, hi]);
    svg.append(s('line', { x1: 0, x2: width, y1: y + rowH / 2, y2: y + rowH / 2, class: 'forest-grid' }));
    if (r.interval) {
      svg.append(s('rect', {
        x: x(r.interval.lower), y: y - 5, width: Math.max(2, x(r.interval.upper) - x(r.interval.lower)), height: 10,
        rx: 3, class: `forest-bar forest-${r.verdict}`,
      }));
    }
    if (r.value !== null && Number.isFinite(r.value)) {
      svg.append(s('circle', { cx: x(r.value), cy: y, r: 5, class: `forest-dot forest-${r.verdict}` }));
    }
  });
  const labels = h('div', { class: 'forest-labels', 'aria-hidden': 'true' },
    rows.map((r) => h('div', { class: 'forest-label', style: `height:${rowH}px` }, h('span', null, r.label), opts.perRow ? h('span', { class: 'forest-label-iv' }, r.text) : null)));
  return h('figure', { class: 'forest', 'data-testid': opts.testId ?? 'forest' },
    h('figcaption', { class: 'forest-title' }, opts.title),
    h('div', { class: 'forest-body', role: 'img', 'aria-label': `${opts.title}: ${rows.map((r) => `${r.label}, ${r.verdict}, ${r.text}`).join('; ')}` },
      labels, h('div', { class: 'forest-plot', style: `height:${height}px` }, svg)));
}
