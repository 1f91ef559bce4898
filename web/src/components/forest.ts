// Interval bars per metric on a shared zero line (a forest plot), drawn as SVG so that it prints
// sharply and needs no canvas. Each row: the interval as a bar, the estimate as a dot, coloured by
// the verdict derived from that same interval. The figures are also in the table beside it.
import { h, svg as s } from '../dom';
import type { Interval } from '../types';

export interface ForestRow {
  label: string;
  value: number | null;
  interval: Interval | null;
  verdict: string;
  /** The interval in words, for the accessible name. */
  text: string;
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

export interface ForestReference {
  /** Where the dashed reference line is drawn (e.g. the overall estimate across segments). */
  value: number;
  /** Its short label under the axis ("overall"). */
  label: string;
}

export function forestPlot(rows: ForestRow[], opts: {
  title: string; axisLabel: (v: number) => string; testId?: string; perRow?: boolean; reference?: ForestReference | null;
}): HTMLElement {
  const rowH = 40;
  const top = 8;
  const width = 600;
  const left = 4;
  const right = 4;
  const height = top + rows.length * rowH + 6;
  // perRow: metrics in different units; each row on its own symmetric scale around the same zero.
  const ref = opts.reference && Number.isFinite(opts.reference.value) && !opts.perRow ? opts.reference : null;
  const [lo, hi] = forestDomain(ref ? [...rows, { label: '', value: ref.value, interval: null, verdict: '', text: '' }] : rows);
  const span = (r: ForestRow) => {
    const [a, b] = forestDomain([r]);
    const m = Math.max(Math.abs(a), Math.abs(b));
    return [-m, m] as const;
  };
  const xOf = (v: number, d: readonly [number, number]) => left + ((v - d[0]) / (d[1] - d[0])) * (width - left - right);
  const x = (v: number) => xOf(v, [lo, hi]);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', preserveAspectRatio: 'none', class: 'forest-svg', 'aria-hidden': 'true', focusable: 'false' });
  // Zero line shared by all rows.
  // The SVG stretches to its column (preserveAspectRatio none): strokes keep their width and the
  // estimate is a vertical tick, so nothing looks squeezed; the axis labels are HTML below it.
  const ns = { 'vector-effect': 'non-scaling-stroke' };
  const zeroX = opts.perRow ? width / 2 : x(0);
  svg.append(s('line', { x1: zeroX, x2: zeroX, y1: 0, y2: height, class: 'forest-zero', ...ns }));
  const pct = (v: number) => `${(v / width) * 100}%`;
  const refX = ref ? x(ref.value) : null;
  if (refX !== null) svg.append(s('line', { x1: refX, x2: refX, y1: 0, y2: height, class: 'forest-ref', ...ns }));
  const axis = h('div', { class: 'forest-axis-row', 'aria-hidden': 'true' },
    h('span', { class: 'forest-axis-zero', style: `left:${pct(zeroX)}` }, opts.axisLabel(0)),
    // The bounds of the axis, unless they would run into the zero label.
    opts.perRow || zeroX / width < 0.3 ? null : h('span', { class: 'forest-axis-lo' }, opts.axisLabel(lo)),
    opts.perRow || zeroX / width > 0.7 ? null : h('span', { class: 'forest-axis-hi' }, opts.axisLabel(hi)));
  const refRow = ref && refX !== null
    ? h('div', { class: 'forest-axis-row forest-ref-row', 'aria-hidden': 'true' },
      h('span', refX / width > 0.5
        ? { class: 'forest-ref-label forest-ref-label-left', style: `right:${pct(width - refX)}` }
        : { class: 'forest-ref-label', style: `left:${pct(refX)}` }, `${ref.label} ${opts.axisLabel(ref.value)}`))
    : null;
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    const x = opts.perRow ? (v: number) => xOf(v, span(r)) : (v: number) => xOf(v, [lo, hi]);
    svg.append(s('line', { x1: 0, x2: width, y1: y + rowH / 2, y2: y + rowH / 2, class: 'forest-grid', ...ns }));
    if (r.interval) {
      svg.append(s('rect', {
        x: x(r.interval.lower), y: y - 5, width: Math.max(2, x(r.interval.upper) - x(r.interval.lower)), height: 10,
        rx: 3, class: `forest-bar forest-${r.verdict}`,
      }));
    }
    if (r.value !== null && Number.isFinite(r.value)) {
      svg.append(s('line', { x1: x(r.value), x2: x(r.value), y1: y - 9, y2: y + 9, class: `forest-dot forest-${r.verdict}`, ...ns }));
    }
  });
  const labels = h('div', { class: 'forest-labels', 'aria-hidden': 'true' },
    rows.map((r) => h('div', { class: 'forest-label', style: `height:${rowH}px` }, h('span', null, r.label), opts.perRow ? h('span', { class: 'forest-label-iv' }, r.text) : null)));
  return h('figure', { class: 'forest', 'data-testid': opts.testId ?? 'forest' },
    h('figcaption', { class: 'forest-title' }, opts.title),
    h('div', {
      class: 'forest-body', role: 'img',
      'aria-label': `${opts.title}: ${rows.map((r) => `${r.label}, ${r.verdict}, ${r.text}`).join('; ')}${ref ? `; ${ref.label} ${opts.axisLabel(ref.value)}` : ''}`,
    },
    labels, h('div', { class: 'forest-plot' }, h('div', { style: `height:${height}px` }, svg), axis, refRow)));
}
