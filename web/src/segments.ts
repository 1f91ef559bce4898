// Segments (issue 17): what the results page, the list and the print report say about the
// segments of a dimension (device, country...). Pure (no DOM), unit-tested in web/test/, and built
// on verdict.ts so that a segment is judged exactly like the whole experiment:
// * a segment's verdict comes from the interval shown beside it (adjusted across the segments of
//   the dimension when the API sends the adjusted interval);
// * while the experiment runs, or for simulated data, no segment is called a win or a loss: the
//   figures are ranges, and simulated ones say so;
// * "segments disagree" only when Cochran's Q test of that metric and dimension is significant.
import type {
  AnalysisHeterogeneity, DidResult, Direction, Dimensions, EconomicImpact, Experiment, ExperimentAnalysis, Heterogeneity, Interval,
  SegmentAnalysis, SegmentedAnalysis, Srm,
} from './types';
import * as fmt from './format';
import { VERDICT_LABEL, isRunning, metricVerdict, shownInterval, totalVerdict, verdictOf, type HeadlineKind, type ShownInterval } from './verdict';

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The dimensions with at least one segment, in the API's order ({} without segments). */
export function dimensionsOf(d: Dimensions | null | undefined): string[] {
  return Object.entries(d ?? {}).filter(([, segs]) => Array.isArray(segs) && segs.length > 0).map(([k]) => k);
}

export type SegmentVerdictKind = HeadlineKind | 'simulated';

export interface SegmentVerdict {
  kind: SegmentVerdictKind;
  label: string;
  /** Plain words: why this verdict. */
  reason: string;
  /** The figures may be presented as a point and coloured: only a decisive, measured result. */
  decisive: boolean;
}

type ExperimentFacts = Pick<Experiment, 'status' | 'endDate' | 'dataSource'>;

/**
 * The verdict of one metric in one segment, by the rules of the page's headline: none while the
 * experiment runs (unless the always-valid interval is decisive), none from simulated data, and
 * otherwise win / loss / inconclusive from the interval shown.
 */
export function segmentVerdict(x: ExperimentFacts, r: DidResult | null | undefined, direction: Direction,
  shown: ShownInterval | null, now: number): SegmentVerdict {
  if (!r || !shown || !num(r.pValue) || !shown.interval) {
    return { kind: 'insufficient-data', label: VERDICT_LABEL['insufficient-data'], reason: 'Too little usable data in this segment.', decisive: false };
  }
  const ivText = (i: Interval) => (i.lower > 0 ? 'is above zero' : i.upper < 0 ? 'is below zero' : 'includes zero');
  if (isRunning(x, now)) {
    const seq = r.sequential;
    const seqVerdict = seq?.decisive && seq.interval ? verdictOf(seq.interval, direction) : null;
    if (x.dataSource !== 'simulated' && (seqVerdict === 'win' || seqVerdict === 'loss')) {
      return { kind: seqVerdict, label: VERDICT_LABEL[seqVerdict], decisive: true, reason: `Still running, but the always-valid interval already ${ivText(seq!.interval!)}.` };
    }
    return {
      kind: 'not-enough-data-yet', label: VERDICT_LABEL['not-enough-data-yet'], decisive: false,
      reason: 'Still running: the interval is valid only at the planned end.',
    };
  }
  const v = metricVerdict(r, direction, shown);
  if (x.dataSource === 'simulated') {
    return {
      kind: 'simulated', label: 'Simulated', decisive: false,
      reason: `Generated data, not a measured result (its interval ${ivText(shown.interval)}).`,
    };
  }
  const reason = v === 'win' || v === 'loss'
    ? `The whole interval ${ivText(shown.interval)}.`
    : v === 'inconclusive'
      ? 'The interval includes zero.'
      : 'Too little usable data in this segment.';
  return { kind: v, label: VERDICT_LABEL[v], reason, decisive: v === 'win' || v === 'loss' };
}

/** A segment's net dollar impact (all metrics): a point only when decisive, else its range. */
export interface SegmentDollars {
  value: number | null;
  interval: Interval | null;
  decisive: boolean;
  /** What to print: "+$1,200 (+$300 to +$2,100)" when decisive, else "−$400 to +$2,100". */
  text: string;
}

export function segmentDollars(x: ExperimentFacts, ei: EconomicImpact | null | undefined, now: number): SegmentDollars {
  if (!ei) return { value: null, interval: null, decisive: false, text: fmt.DASH };
  const iv = ei.totalImpactInterval ?? null;
  const v = totalVerdict(ei);
  const decisive = (v === 'win' || v === 'loss') && x.dataSource !== 'simulated' && !isRunning(x, now);
  return {
    value: ei.totalImpact ?? null, interval: iv, decisive,
    text: decisive ? `${fmt.moneyWith(ei.totalImpact, iv)} (${fmt.moneyInterval(iv, { alongside: ei.totalImpact })})` : fmt.moneyInterval(iv),
  };
}

export interface SegmentRow {
  segment: string;
  trafficShare: number | null;
  result: DidResult | null;
  shown: ShownInterval | null;
  verdict: SegmentVerdict;
  /** The change and its interval in the metric's unit ("+0.42 pp", "+0.12 to +0.72 pp"). */
  effect: { value: string; interval: string };
  dollars: SegmentDollars;
  srm: Srm | null;
  srmDetected: boolean;
}

export interface SegmentForest {
  dimension: string;
  metric: string;
  rows: SegmentRow[];
  /** The overall estimate and interval of the metric (the reference line), judged by the same rules. */
  overall: { value: number | null; interval: Interval | null; verdict: SegmentVerdict };
  heterogeneity: Heterogeneity | null;
}

/**
 * Everything the segment view shows for one metric across the segments of one dimension, from the
 * analysis document. Segments are in the order of `segments` (the API's `results.dimensions`),
 * then any others the analysis has.
 */
export function segmentForest(x: ExperimentFacts, a: SegmentedAnalysis, dimension: string, metric: string,
  opts: { direction: Direction; unit: string; segments?: string[]; now: number }): SegmentForest {
  const bySegment: Record<string, SegmentAnalysis> = a.segments?.[dimension] ?? {};
  const names = [...(opts.segments ?? []).filter((s) => s in bySegment), ...Object.keys(bySegment).filter((s) => !(opts.segments ?? []).includes(s))];
  const rows = names.map((segment): SegmentRow => {
    const sa = bySegment[segment];
    const r = sa.didResults?.[metric] ?? null;
    const shown = r ? shownInterval(r, a.alpha) : null;
    return {
      segment,
      trafficShare: num(sa.trafficShare) ? sa.trafficShare : null,
      result: r,
      shown,
      verdict: segmentVerdict(x, r, opts.direction, shown, opts.now),
      effect: fmt.effectWithInterval(r?.absoluteDifference, shown?.interval ?? null, opts.unit),
      dollars: segmentDollars(x, sa.economicImpact, opts.now),
      srm: sa.srm ?? null,
      srmDetected: !!sa.srm?.detected,
    };
  });
  const o = a.didResults?.[metric];
  const oShown = o ? shownInterval(o, a.alpha) : null;
  return {
    dimension, metric, rows,
    overall: { value: o?.absoluteDifference ?? null, interval: oShown?.interval ?? null, verdict: segmentVerdict(x, o, opts.direction, oShown, opts.now) },
    heterogeneity: a.heterogeneity?.[dimension]?.[metric] ?? null,
  };
}

/** The forest plot's rows: a segment's estimate and interval, coloured only when decisive. */
export function forestRows(f: SegmentForest): { label: string; value: number | null; interval: Interval | null; verdict: string; text: string }[] {
  return f.rows.map((r) => ({
    label: r.trafficShare === null ? r.segment : `${r.segment} · ${fmt.percent(r.trafficShare, { decimals: 0 })}`,
    value: r.result?.absoluteDifference ?? null,
    interval: r.shown?.interval ?? null,
    verdict: r.verdict.decisive ? r.verdict.kind : r.verdict.kind === 'simulated' ? 'simulated' : 'inconclusive',
    text: `${r.effect.value} (${r.effect.interval})`,
  }));
}

export interface HeterogeneityWords {
  /** true: the test says the effect differs between segments. */
  significant: boolean;
  /** One short sentence. */
  headline: string;
  /** The figures and what to do with them. */
  detail: string;
}

/** "Cochran's Q = 14.20 on 2 degrees of freedom, p = 0.0008", or null when the test has no result. */
export function heterogeneityFigures(hg: Heterogeneity | null | undefined): string | null {
  if (!hg || !num(hg.q) || !num(hg.pValue) || !num(hg.segments) || hg.segments < 2 || !num(hg.df) || hg.df < 1) return null;
  return `Cochran's Q = ${fmt.number(hg.q)} on ${hg.df} ${hg.df === 1 ? 'degree' : 'degrees'} of freedom, p ${pText(hg.pValue)}`;
}

const pText = (p: number) => (p < 0.0001 ? '< 0.0001' : `= ${fmt.pValue(p)}`);

/** "Welch's F = 4.10 on 2 and 15.3 degrees of freedom, p = 0.0371", or null without Welch's test. */
export function welchFigures(hg: Heterogeneity | null | undefined): string | null {
  const w = hg?.welch;
  if (!w || !num(w.f) || !num(w.pValue) || !num(w.df1) || !num(w.df2)) return null;
  return `Welch's F = ${fmt.number(w.f)} on ${+w.df1.toFixed(1)} and ${+w.df2.toFixed(1)} degrees of freedom, p ${pText(w.pValue)}`;
}

export type HeterogeneityLevel = 'differ' | 'weak' | 'none' | 'untestable';

/**
 * Whether the segments' effects differ. Cochran's Q (`pValue`) treats the segments' standard
 * errors as known and flags too often when they rest on a few days (docs/statistics.md,
 * "Segments"); Welch's small-sample test is better calibrated (the server's `significant` follows
 * it). So: "differ" when both tests are below alpha (or Q alone, for analyses without Welch's
 * test), "weak" when only one of them is, "none" when neither is.
 */
export function heterogeneityLevel(hg: Heterogeneity | null | undefined, alpha: number | null | undefined): HeterogeneityLevel {
  if (heterogeneityFigures(hg) === null) return 'untestable';
  const a = num(alpha) ? alpha : 0.05;
  const w = hg!.welch;
  if (!w || !num(w.pValue)) return hg!.significant ? 'differ' : 'none';
  const q = num(hg!.pValue) && hg!.pValue < a;
  const welch = w.pValue < a;
  return q && welch ? 'differ' : q || welch ? 'weak' : 'none';
}

export interface HeterogeneityWords {
  /** true: the tests say the effect differs between segments ("differ"). */
  significant: boolean;
  level: HeterogeneityLevel;
  /** One short sentence. */
  headline: string;
  /** The figures and what to do with them. */
  detail: string;
}

/** The heterogeneity test in plain words. */
export function heterogeneityWords(hg: Heterogeneity | null | undefined, alpha: number | null | undefined): HeterogeneityWords {
  const a = num(alpha) ? alpha : 0.05;
  const level = heterogeneityLevel(hg, a);
  const figures = heterogeneityFigures(hg);
  if (!hg || figures === null || level === 'untestable') {
    return {
      significant: false, level: 'untestable',
      headline: 'Not enough segments to compare.',
      detail: 'Fewer than two segments have an estimate, so whether the effect differs between them cannot be tested.',
    };
  }
  const welch = welchFigures(hg);
  const tests = welch ? `${figures}; ${welch}` : figures;
  const alphaText = `α = ${+a.toFixed(4)}`;
  const skipped = hg.skippedSegments?.length
    ? ` Left out for lack of an estimate: ${hg.skippedSegments.join(', ')}.` : '';
  if (level === 'differ') {
    return {
      significant: true, level,
      headline: 'Effects differ between segments.',
      detail: `${tests}: below ${alphaText} across ${hg.segments} segments. The overall figure averages segments that responded differently, so read each segment's row before deciding.${skipped}`,
    };
  }
  if (level === 'weak') {
    return {
      significant: false, level,
      headline: 'Weak evidence that the effect differs between segments.',
      detail: `${tests} across ${hg.segments} segments: only one of the two tests is below ${alphaText}. Cochran's Q flags too often when the segments' intervals rest on a few days, so this is not a clear difference; the overall result is the one to report.${skipped}`,
    };
  }
  return {
    significant: false, level,
    headline: 'No evidence that the effect differs between segments.',
    detail: `${tests} across ${hg.segments} segments: the differences between the segments' bars are within what chance produces, so the overall result is the one to report.${skipped}`,
  };
}

export interface Disagreement {
  dimension: string;
  metric: string;
  q: number | null;
  pValue: number | null;
}

/** Every (dimension, metric) whose segments differ (heterogeneityLevel "differ"); [] without segments. */
export function segmentDisagreements(a: Pick<SegmentedAnalysis, 'heterogeneity' | 'alpha'> | null | undefined): Disagreement[] {
  const hg: AnalysisHeterogeneity = a?.heterogeneity ?? {};
  const out: Disagreement[] = [];
  for (const [dimension, byMetric] of Object.entries(hg)) {
    for (const [metric, t] of Object.entries(byMetric ?? {})) {
      if (heterogeneityLevel(t, a?.alpha) === 'differ') out.push({ dimension, metric, q: t.q ?? null, pValue: t.pValue ?? null });
    }
  }
  return out;
}

/** "device (Conversion rate, Revenue per user); country (Revenue per user)", or ''. */
export function disagreementList(items: Disagreement[], metricName: (id: string) => string = (m) => m): string {
  const byDim = new Map<string, string[]>();
  for (const d of items) byDim.set(d.dimension, [...(byDim.get(d.dimension) ?? []), metricName(d.metric)]);
  return [...byDim].map(([dim, ms]) => `${dim} (${ms.join(', ')})`).join('; ');
}

/** "Segments disagree significantly: device (Conversion rate, Revenue per user); country (Revenue per user)." or ''. */
export function disagreementText(items: Disagreement[], metricName: (id: string) => string = (m) => m): string {
  if (!items.length) return '';
  return `Segments disagree significantly: ${disagreementList(items, metricName)}.`;
}

/** Whether the analysis has segment figures at all. */
export function hasSegments(a: SegmentedAnalysis | ExperimentAnalysis | null | undefined): boolean {
  const s = (a as SegmentedAnalysis | null | undefined)?.segments;
  return !!s && Object.values(s).some((d) => d && Object.keys(d).length > 0);
}
