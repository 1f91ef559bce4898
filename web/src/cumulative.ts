// The running dollar impact since the start with its interval (the third panel of CausalImpact),
// from the hourly results and the prices of the analysis. Pure, unit-tested.
//
// Per hour usable for every counted metric: z_t = sum_m sign_m (dollarsPerUnit_m / unitSize_m)
// (treatment - control)_m,t, i.e. dollars per day at full rollout. Daily blocks (statistics.md
// "Daily blocks") average it; for the did design the pre-period block mean is the baseline. After
// k post days the cumulative impact is sum_{b<k} (x_b - baseline), and its interval is
// +- q * sqrt(k s^2 + k^2 v0) with s^2 the variance of the post blocks, v0 = s^2(pre)/m0 (did)
// and q the t quantile of the analysis' confidence. On the last day this is the net impact over
// the post days and the interval of the block estimator on the dollar series.
import type { Direction, TimePoint } from './types';
import { tQuantile } from './tdist';

export interface Pricing {
  dollarsPerUnit: number;
  unitSize: number;
  direction: Direction;
}

export interface CumulativeInput {
  series: Record<string, TimePoint[]>;
  pricing: Record<string, Pricing>;
  /** Metrics counted in the total (value groups priced once). */
  counted: string[];
  /** Unix seconds. */
  start: number;
  design: 'did' | 'paired';
  /** 95 for 95%. */
  confidenceLevel: number;
}

export interface CumulativeSeries {
  /** Unix seconds at the end of each post day. */
  x: number[];
  value: number[];
  lower: number[];
  upper: number[];
  design: 'did' | 'paired';
  postDays: number;
  preDays: number;
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const variance = (v: number[]) => {
  if (v.length < 2) return 0;
  const m = mean(v);
  return v.reduce((s, x) => s + (x - m) * (x - m), 0) / (v.length - 1);
};

/** Daily block means of the dollar series, keyed by block index (negative: pre period). */
export function dollarBlocks(input: CumulativeInput): Map<number, number> {
  const byHour = new Map<number, { z: number; n: number }>();
  const metrics = input.counted.filter((m) => input.series[m] && input.pricing[m]);
  for (const m of metrics) {
    const p = input.pricing[m];
    if (!(p.unitSize > 0)) continue;
    const k = (p.direction === 'decrease' ? -1 : 1) * (p.dollarsPerUnit / p.unitSize);
    for (const pt of input.series[m]) {
      const t = pt.treatmentValue;
      const c = pt.controlValue;
      if (t === null || c === null || !Number.isFinite(t) || !Number.isFinite(c)) continue;
      if (!(pt.treatmentSampleSize > 0 && pt.controlSampleSize > 0)) continue;
      const ts = Math.floor(Date.parse(pt.timestamp) / 1000);
      const e = byHour.get(ts) ?? { z: 0, n: 0 };
      e.z += k * (t - c);
      e.n += 1;
      byHour.set(ts, e);
    }
  }
  const sums = new Map<number, { s: number; n: number }>();
  for (const [ts, e] of byHour) {
    if (e.n !== metrics.length) continue; // usable for every counted metric
    const b = Math.floor((ts - input.start) / 86400);
    const acc = sums.get(b) ?? { s: 0, n: 0 };
    acc.s += e.z;
    acc.n += 1;
    sums.set(b, acc);
  }
  const out = new Map<number, number>();
  [...sums.keys()].sort((a, b) => a - b).forEach((b) => out.set(b, sums.get(b)!.s / sums.get(b)!.n));
  return out;
}

export function cumulativeEffect(input: CumulativeInput): CumulativeSeries | null {
  const blocks = dollarBlocks(input);
  const pre = [...blocks].filter(([b]) => b < 0).map(([, v]) => v);
  const postEntries = [...blocks].filter(([b]) => b >= 0);
  if (postEntries.length < 2) return null;
  const post = postEntries.map(([, v]) => v);
  const did = input.design === 'did' && pre.length >= 2;
  const baseline = did ? mean(pre) : 0;
  const s2 = variance(post);
  const m1 = post.length;
  const v0 = did ? variance(pre) / pre.length : 0;
  const v1 = s2 / m1;
  const df = did
    ? (v1 + v0) ** 2 / (v1 * v1 / (m1 - 1) + v0 * v0 / (pre.length - 1))
    : m1 - 1;
  const alpha = 1 - input.confidenceLevel / 100;
  const q = Number.isFinite(df) && df > 0 ? tQuantile(1 - alpha / 2, df) : NaN;
  const out: CumulativeSeries = { x: [], value: [], lower: [], upper: [], design: did ? 'did' : 'paired', postDays: m1, preDays: pre.length };
  let cum = 0;
  postEntries.forEach(([b, v], i) => {
    const k = i + 1;
    cum += v - baseline;
    const half = Number.isFinite(q) ? q * Math.sqrt(k * s2 + k * k * v0) : NaN;
    out.x.push(input.start + (b + 1) * 86400);
    out.value.push(cum);
    out.lower.push(cum - half);
    out.upper.push(cum + half);
  });
  return out;
}
