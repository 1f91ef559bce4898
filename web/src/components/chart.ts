// Time-series charts on uPlot (canvas; fast with thousands of hourly points). Two kinds:
// treatment vs control, and their difference; both shade the pre period before the start.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom';

export const COLORS = {
  treatment: '#0061fe',
  control: '#e8590c',
  diff: '#1e1919',
  pre: 'rgba(30, 25, 25, 0.07)',
  grid: 'rgba(30, 25, 25, 0.10)',
  axis: '#1e1919',
  mean: '#0f7b4a',
  band: 'rgba(0, 97, 254, 0.14)',
};

export interface SeriesData {
  /** Unix seconds, ascending. */
  x: number[];
  treatment: (number | null)[];
  control: (number | null)[];
}

export interface ChartOptions {
  title: string;
  /** Unix seconds of the start of the post period; earlier points are the pre period. */
  start: number;
  end: number;
  /** Formats a value for the axis and the legend. */
  format: (v: number) => string;
  height?: number;
}

const FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const LABEL_FONT = '700 12px system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

/** Shades [first x, start) and draws the start line, under the series. */
function prePeriodPlugin(start: number, end: number): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        const { ctx, bbox } = u;
        const xMin = u.scales.x.min ?? 0;
        const x0 = bbox.left;
        const xs = Math.min(Math.max(u.valToPos(start, 'x', true), bbox.left), bbox.left + bbox.width);
        ctx.save();
        if (xMin < start && xs > x0) {
          ctx.fillStyle = COLORS.pre;
          ctx.fillRect(x0, bbox.top, xs - x0, bbox.height);
        }
        ctx.restore();
      },
      draw: (u: uPlot) => {
        const { ctx, bbox } = u;
        const dpr = uPlot.pxRatio;
        const xMin = u.scales.x.min ?? 0;
        const xMax = u.scales.x.max ?? 0;
        ctx.save();
        ctx.font = LABEL_FONT.replace('12px', `${Math.round(12 * dpr)}px`);
        ctx.fillStyle = COLORS.axis;
        ctx.textBaseline = 'top';
        const pad = 6 * dpr;
        if (start > xMin && start < xMax) {
          const xs = u.valToPos(start, 'x', true);
          ctx.strokeStyle = COLORS.axis;
          ctx.lineWidth = 2 * dpr;
          ctx.setLineDash([6 * dpr, 4 * dpr]);
          ctx.beginPath();
          ctx.moveTo(xs, bbox.top);
          ctx.lineTo(xs, bbox.top + bbox.height);
          ctx.stroke();
          ctx.setLineDash([]);
          ctx.textAlign = 'right';
          if (xs - bbox.left > 90 * dpr) ctx.fillText('Pre period', xs - pad, bbox.top + pad);
          ctx.textAlign = 'left';
          ctx.fillText('Experiment', xs + pad, bbox.top + pad);
        }
        if (end > xMin && end < xMax) {
          const xe = u.valToPos(end, 'x', true);
          ctx.strokeStyle = COLORS.axis;
          ctx.lineWidth = 2 * dpr;
          ctx.beginPath();
          ctx.moveTo(xe, bbox.top);
          ctx.lineTo(xe, bbox.top + bbox.height);
          ctx.stroke();
        }
        ctx.restore();
      },
    },
  };
}

/** Horizontal reference lines (zero and the pre/post means of the difference). */
interface RefLine { y: number; from: number; to: number; label: string; color: string; dash?: boolean; labelAt?: 'start' | 'end' }

function referenceLinesPlugin(lines: RefLine[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u: uPlot) => {
        const { ctx, bbox } = u;
        const dpr = uPlot.pxRatio;
        ctx.save();
        ctx.font = LABEL_FONT.replace('12px', `${Math.round(11 * dpr)}px`);
        for (const l of lines) {
          const y = u.valToPos(l.y, 'y', true);
          if (y < bbox.top || y > bbox.top + bbox.height) continue;
          const x1 = Math.max(u.valToPos(l.from, 'x', true), bbox.left);
          const x2 = Math.min(u.valToPos(l.to, 'x', true), bbox.left + bbox.width);
          if (x2 <= x1) continue;
          ctx.strokeStyle = l.color;
          ctx.lineWidth = (l.dash ? 2 : 1.5) * dpr;
          ctx.setLineDash(l.dash ? [8 * dpr, 5 * dpr] : []);
          ctx.beginPath();
          ctx.moveTo(x1, y);
          ctx.lineTo(x2, y);
          ctx.stroke();
          if (l.label) {
            ctx.fillStyle = l.color;
            ctx.textBaseline = 'bottom';
            if (l.labelAt === 'start') {
              ctx.textAlign = 'left';
              ctx.fillText(l.label, x1 + 4 * dpr, y - 3 * dpr);
            } else {
              ctx.textAlign = 'right';
              ctx.fillText(l.label, x2 - 4 * dpr, y - 3 * dpr);
            }
          }
        }
        ctx.restore();
      },
    },
  };
}

function baseOptions(o: ChartOptions, width: number): uPlot.Options {
  const axis = (label?: string): uPlot.Axis => ({
    stroke: COLORS.axis,
    font: FONT,
    labelFont: LABEL_FONT,
    label,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1 },
  });
  return {
    width,
    height: o.height ?? 280,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    cursor: { drag: { x: true, y: false }, points: { size: 7 } },
    legend: { live: true },
    scales: { x: { time: true } },
    axes: [
      axis(),
      { ...axis(), size: 72, values: (_u, splits) => splits.map((v) => (v === null ? '' : o.format(v))) },
    ],
    series: [{ label: 'Time (UTC)', value: '{MMM} {D}, {HH}:{mm}' }],
  };
}

function fit(el: HTMLElement): number {
  return Math.max(260, Math.floor(el.clientWidth || 800));
}

export interface ChartHandle {
  plot: uPlot;
  destroy(): void;
  /** Temporarily renders at a fixed size (printing); null goes back to following the container. */
  setPrintSize(size: { width: number; height: number } | null): void;
}

function mount(container: HTMLElement, opts: uPlot.Options, data: uPlot.AlignedData, ariaLabel: string): ChartHandle {
  const holder = h('div', { class: 'chart', role: 'img', 'aria-label': ariaLabel });
  container.append(holder);
  opts.width = fit(container);
  const plot = new uPlot(opts, data, holder);
  let fixed: { width: number; height: number } | null = null;
  const screenHeight = opts.height;
  const ro = new ResizeObserver(() => {
    if (fixed !== null) return;
    const w = fit(container);
    if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: plot.height });
  });
  ro.observe(container);
  return {
    plot,
    destroy() {
      ro.disconnect();
      plot.destroy();
      holder.remove();
    },
    setPrintSize(size) {
      fixed = size;
      plot.setSize(size ?? { width: fit(container), height: screenHeight });
    },
  };
}

export function comparisonChart(container: HTMLElement, data: SeriesData, o: ChartOptions): ChartHandle {
  const opts = baseOptions(o, 800);
  opts.series.push(
    { label: 'Treatment', stroke: COLORS.treatment, width: 2, value: (_u, v) => (v === null ? '—' : o.format(v)), spanGaps: false },
    { label: 'Control', stroke: COLORS.control, width: 2, value: (_u, v) => (v === null ? '—' : o.format(v)), spanGaps: false },
  );
  opts.plugins = [prePeriodPlugin(o.start, o.end)];
  return mount(container, opts, [data.x, data.treatment, data.control] as uPlot.AlignedData,
    `${o.title}: treatment and control over time; the shaded area is the pre period before the experiment started. The data table below has the figures.`);
}

/** A horizontal band over [from, to] between two values (the effect's interval). */
function bandPlugin(band: { lower: number; upper: number; from: number; to: number }): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u: uPlot) => {
        const { ctx, bbox } = u;
        const x1 = Math.max(u.valToPos(band.from, 'x', true), bbox.left);
        const x2 = Math.min(u.valToPos(band.to, 'x', true), bbox.left + bbox.width);
        const y1 = u.valToPos(band.upper, 'y', true);
        const y2 = u.valToPos(band.lower, 'y', true);
        if (x2 <= x1) return;
        ctx.save();
        ctx.fillStyle = COLORS.band;
        ctx.fillRect(x1, Math.min(y1, y2), x2 - x1, Math.abs(y2 - y1));
        ctx.restore();
      },
    },
  };
}

export function differenceChart(
  container: HTMLElement,
  data: SeriesData,
  o: ChartOptions & { preMean: number | null; postMean: number | null; band?: { lower: number; upper: number } | null },
): ChartHandle {
  const diff = data.x.map((_, i) => {
    const t = data.treatment[i];
    const c = data.control[i];
    return t === null || c === null ? null : t - c;
  });
  const opts = baseOptions(o, 800);
  opts.series.push({
    label: 'Treatment − control', stroke: COLORS.diff, width: 1.5,
    value: (_u, v) => (v === null ? '—' : o.format(v)),
  });
  const first = data.x[0] ?? o.start;
  const last = data.x[data.x.length - 1] ?? o.end;
  const lines: RefLine[] = [{ y: 0, from: first, to: last, label: '', color: 'rgba(30,25,25,0.55)' }];
  if (o.preMean !== null) lines.push({ y: o.preMean, from: first, to: o.start, label: 'pre-period mean', color: COLORS.mean, dash: true, labelAt: 'start' });
  if (o.postMean !== null) lines.push({ y: o.postMean, from: o.start, to: last, label: 'experiment mean', color: COLORS.mean, dash: true });
  opts.plugins = [prePeriodPlugin(o.start, o.end), referenceLinesPlugin(lines)];
  const band = o.band ?? null;
  if (band) opts.plugins.unshift(bandPlugin({ ...band, from: o.start, to: last }));
  // Keep zero (and the interval band) in view so the eye can judge the sign of the difference.
  opts.scales = {
    ...opts.scales,
    y: {
      range: (_u, min, max) => {
        const lo = Math.min(min, 0, band ? band.lower : 0);
        const hi = Math.max(max, 0, band ? band.upper : 0);
        const pad = (hi - lo) * 0.08 || 1;
        return [lo - pad, hi + pad];
      },
    },
  };
  return mount(container, opts, [data.x, diff] as uPlot.AlignedData,
    `${o.title}: difference between treatment and control over time, with the pre-period and experiment means${band ? ' and the shaded interval of the effect' : ''}. The data table below has the figures.`);
}

/** The running dollar impact since the start, with its interval as a band. */
export function cumulativeChart(
  container: HTMLElement,
  c: { x: number[]; value: number[]; lower: number[]; upper: number[] },
  o: { title: string; format: (v: number) => string; height?: number },
): ChartHandle {
  const opts = baseOptions({ title: o.title, start: c.x[0], end: c.x[c.x.length - 1], format: o.format, height: o.height ?? 220 }, 800);
  const val = (_u: uPlot, v: number | null) => (v === null ? '—' : o.format(v));
  opts.series.push(
    { label: 'Cumulative impact', stroke: COLORS.diff, width: 2, value: val },
    { label: 'Upper bound', stroke: 'rgba(0, 97, 254, 0.55)', width: 1, dash: [4, 4], value: val },
    { label: 'Lower bound', stroke: 'rgba(0, 97, 254, 0.55)', width: 1, dash: [4, 4], value: val },
  );
  opts.bands = [{ series: [2, 3], fill: COLORS.band }];
  const first = c.x[0];
  const last = c.x[c.x.length - 1];
  opts.plugins = [referenceLinesPlugin([{ y: 0, from: first - 86400, to: last, label: '', color: 'rgba(30,25,25,0.55)' }])];
  opts.scales = {
    ...opts.scales,
    y: {
      range: (_u, min, max) => {
        const lo = Math.min(min, 0);
        const hi = Math.max(max, 0);
        const pad = (hi - lo) * 0.08 || 1;
        return [lo - pad, hi + pad];
      },
    },
  };
  return mount(container, opts, [c.x, c.value, c.upper, c.lower] as uPlot.AlignedData,
    `${o.title}: running dollar impact since the start with its interval band. The data table below has the figures.`);
}

/** Averages hourly points into UTC days (every hour counts equally, as in the analysis). */
export function toDaily(data: SeriesData): SeriesData {
  const out: SeriesData = { x: [], treatment: [], control: [] };
  let day = -1;
  let st = 0, nt = 0, sc = 0, nc = 0;
  const flush = () => {
    if (day < 0) return;
    out.x.push(day * 86400);
    out.treatment.push(nt ? st / nt : null);
    out.control.push(nc ? sc / nc : null);
  };
  data.x.forEach((ts, i) => {
    const d = Math.floor(ts / 86400);
    if (d !== day) {
      flush();
      day = d;
      st = nt = sc = nc = 0;
    }
    const t = data.treatment[i];
    const c = data.control[i];
    if (t !== null && Number.isFinite(t)) { st += t; nt++; }
    if (c !== null && Number.isFinite(c)) { sc += c; nc++; }
  });
  flush();
  return out;
}
