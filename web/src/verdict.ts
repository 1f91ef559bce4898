// Verdicts, intervals and the portfolio, derived from the API's figures. Pure (no DOM), so that the
// rules are unit-tested (web/test/) and the page, the list and the print report share them:
// * every verdict comes from the interval shown beside it (the adjusted interval when a correction
//   applies), so the bar, the number and the word never disagree;
// * method-2 fields (verdict, adjustedConfidenceInterval, totalVerdict, sequential...) are used as
//   soon as the API sends them; for method-1 analyses the same rules are applied to the fields
//   they have (statistics.md "Multiple metrics": gamma = alpha x pValue / adjustedPValue).
import type {
  DidResult, Direction, EconomicImpact, Experiment, ExperimentAnalysis, Interval, SequentialInterval, Verdict,
} from './types';
import { tQuantile } from './tdist';
import * as fmt from './format';

export type IntervalKind = 'adjusted' | 'adjusted-derived' | 'unadjusted';

export interface ShownInterval {
  interval: Interval | null;
  kind: IntervalKind;
  /** Confidence of the interval shown, as a fraction (0.95; higher for an adjusted one). */
  confidence: number | null;
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The interval a metric is judged on: adjustedConfidenceInterval when present, else derived, else the CI. */
export function shownInterval(r: DidResult, alpha: number | null | undefined): ShownInterval {
  const a = num(alpha) ? alpha : 1 - (num(r.confidenceLevel) ? r.confidenceLevel : 95) / 100;
  const gamma = num(r.pValue) && num(r.adjustedPValue) && r.adjustedPValue > 0 && r.pValue > 0
    ? (a * r.pValue) / r.adjustedPValue : a;
  if (r.adjustedConfidenceInterval !== undefined) {
    return { interval: r.adjustedConfidenceInterval, kind: 'adjusted', confidence: r.adjustedConfidenceInterval ? 1 - gamma : null };
  }
  // Method 1: the same formula on the fields it has, when a correction changed the p-value.
  if (num(r.pValue) && num(r.adjustedPValue) && r.adjustedPValue > r.pValue && r.pValue > 0
      && num(r.absoluteDifference) && num(r.standardError) && num(r.degreesOfFreedom) && r.degreesOfFreedom > 0) {
    const q = tQuantile(1 - gamma / 2, r.degreesOfFreedom);
    if (num(q)) {
      return {
        interval: { lower: r.absoluteDifference - q * r.standardError, upper: r.absoluteDifference + q * r.standardError },
        kind: 'adjusted-derived',
        confidence: 1 - gamma,
      };
    }
  }
  return { interval: r.confidenceInterval ?? null, kind: 'unadjusted', confidence: r.confidenceInterval ? 1 - a : null };
}

/** win / loss / inconclusive from an interval of a change, for a metric that improves in `direction`. */
export function verdictOf(interval: Interval | null | undefined, direction: Direction = 'increase'): Verdict {
  if (!interval || !num(interval.lower) || !num(interval.upper)) return 'insufficient-data';
  if (interval.lower > 0 || interval.upper < 0) {
    const up = interval.lower > 0;
    return up === (direction !== 'decrease') ? 'win' : 'loss';
  }
  return 'inconclusive';
}

export function metricVerdict(r: DidResult, direction: Direction, shown: ShownInterval): Verdict {
  if (r.verdict) return r.verdict;
  if (!num(r.pValue)) return 'insufficient-data';
  return verdictOf(shown.interval, direction);
}

/** Maps an interval of a metric's change to dollars over `days` (bounds ordered low to high). */
export function dollarsOf(interval: Interval | null, price: { dollarsPerUnit: number; unitSize: number; direction: Direction }, days: number): Interval | null {
  if (!interval || !num(price.dollarsPerUnit) || !num(price.unitSize) || price.unitSize === 0 || !num(days)) return null;
  const k = (price.direction === 'decrease' ? -1 : 1) * (price.dollarsPerUnit / price.unitSize) * days;
  const a = interval.lower * k;
  const b = interval.upper * k;
  return { lower: Math.min(a, b), upper: Math.max(a, b) };
}

export function totalVerdict(ei: EconomicImpact | null | undefined): Verdict {
  if (!ei) return 'insufficient-data';
  if (ei.totalVerdict) return ei.totalVerdict;
  return verdictOf(ei.totalImpactInterval, 'increase');
}

/** annualizedImpactInterval, or (method 1) the total's interval scaled to a year. */
export function annualizedInterval(ei: EconomicImpact): Interval | null {
  if (ei.annualizedImpactInterval !== undefined) return ei.annualizedImpactInterval;
  const i = ei.totalImpactInterval;
  if (!i || !num(ei.durationDays) || ei.durationDays <= 0) return null;
  const k = 365 / ei.durationDays;
  return { lower: i.lower * k, upper: i.upper * k };
}

/** roiInterval, or (method 1) ROI over the annualized interval. Percent, like roiPercentage. */
export function roiInterval(ei: EconomicImpact, cost: number | null | undefined): Interval | null {
  if (ei.roiInterval !== undefined) return ei.roiInterval;
  if (!num(cost) || cost <= 0) return null;
  const a = annualizedInterval(ei);
  if (!a) return null;
  return { lower: ((a.lower - cost) / cost) * 100, upper: ((a.upper - cost) / cost) * 100 };
}

export type HeadlineKind = Verdict | 'guardrail-breached' | 'not-enough-data-yet' | 'no-analysis';

export interface Headline {
  kind: HeadlineKind;
  label: string;
  reason: string;
  /** The figures may be presented as a point: only for a decisive result on measured data. */
  decisive: boolean;
  /** A win or loss on simulated data: shown as such, never as a result. */
  simulated?: boolean;
}

export const VERDICT_LABEL: Record<HeadlineKind, string> = {
  win: 'Win',
  loss: 'Loss',
  inconclusive: 'Inconclusive',
  'insufficient-data': 'Not enough data',
  'guardrail-breached': 'Guardrail breached',
  'not-enough-data-yet': 'Not enough data yet',
  'no-analysis': 'No result yet',
};

/** Simulated data whose period has not ended: a projection, never a result. */
export function isProjection(x: Pick<Experiment, 'dataSource' | 'endDate'>, now: number): boolean {
  return x.dataSource === 'simulated' && Date.parse(x.endDate) > now;
}

/** Still collecting data: status running, or a period that has not ended. */
export function isRunning(x: Pick<Experiment, 'status' | 'endDate'>, now: number): boolean {
  return x.status === 'running' || (x.status !== 'archived' && x.status !== 'draft' && Date.parse(x.endDate) > now);
}

export function sequentialDecision(s: SequentialInterval | null | undefined): Verdict | null {
  if (!s || !s.decisive || !s.interval) return null;
  return verdictOf(s.interval, 'increase');
}

/**
 * The experiment's verdict, first on its page and in the list. A win or loss on simulated data keeps
 * its kind but says "Simulated win" and is never decisive: its figures are shown as ranges, never as
 * a gain, since nobody measured them.
 */
export function headline(x: Pick<Experiment, 'status' | 'endDate' | 'startDate' | 'dataSource' | 'confidenceLevel'>,
  a: ExperimentAnalysis | null | undefined, now: number): Headline {
  const hl = measuredHeadline(x, a, now);
  if (x.dataSource !== 'simulated' || (hl.kind !== 'win' && hl.kind !== 'loss')) return hl;
  return {
    ...hl, label: `Simulated ${hl.label.toLowerCase()}`, decisive: false, simulated: true,
    reason: `Simulated data, not a measured result: ${hl.reason.charAt(0).toLowerCase()}${hl.reason.slice(1)}`,
  };
}

function measuredHeadline(x: Pick<Experiment, 'status' | 'endDate' | 'startDate' | 'dataSource' | 'confidenceLevel'>,
  a: ExperimentAnalysis | null | undefined, now: number): Headline {
  if (!a || a.status !== 'complete' || !a.economicImpact) {
    return { kind: 'no-analysis', label: VERDICT_LABEL['no-analysis'], reason: 'There is no complete analysis yet.', decisive: false };
  }
  const ei = a.economicImpact;
  const conf = `${x.confidenceLevel ?? 95}%`;
  const breached = Object.entries(a.guardrails ?? {}).filter(([, s]) => s === 'breached').map(([m]) => m);
  if (breached.length) {
    return {
      kind: 'guardrail-breached', label: VERDICT_LABEL['guardrail-breached'], decisive: false,
      reason: `A metric that must not get worse got significantly worse (${breached.join(', ')}): do not ship, whatever the dollars say.`,
    };
  }
  const iv = ei.totalImpactInterval;
  if (isRunning(x, now)) {
    const seq = sequentialDecision(ei.totalSequential);
    const p = fmt.daysElapsed(x.startDate, x.endDate, now);
    const progress = p ? `${p.elapsed} of ${p.total} days in` : 'still running';
    if (seq === 'win' || seq === 'loss') {
      return {
        kind: seq, label: VERDICT_LABEL[seq], decisive: true,
        reason: `${progress}; the always-valid (sequential) interval already excludes zero, so the result holds however often it was looked at.`,
      };
    }
    return {
      kind: 'not-enough-data-yet', label: VERDICT_LABEL['not-enough-data-yet'], decisive: false,
      reason: ei.totalSequential
        ? `${progress}; the always-valid interval still includes zero. Keep the experiment running.`
        : `${progress}; the fixed-horizon interval is valid only at the planned end, so it is not read as a result yet.`,
    };
  }
  const v = totalVerdict(ei);
  const ivText = fmt.moneyInterval(iv);
  const reason = v === 'win'
    ? `The whole ${conf} interval of the net impact, ${ivText}, is above zero.`
    : v === 'loss'
      ? `The whole ${conf} interval of the net impact, ${ivText}, is below zero.`
      : v === 'inconclusive'
        ? `The ${conf} interval of the net impact, ${ivText}, includes zero: the data cannot tell a gain from a loss.`
        : 'Too little usable data to compute an interval.';
  return { kind: v, label: VERDICT_LABEL[v], reason, decisive: v === 'win' || v === 'loss' };
}

// --- portfolio -----------------------------------------------------------------------------------

export type NotCountedReason = 'simulated' | 'running' | 'inconclusive' | 'no result' | 'guardrail breached';

export interface Portfolio {
  counted: number;
  total: number;
  /** Sum of the counted experiments' bounds (conservative: each bound at its own extreme). */
  interval: Interval | null;
  notCounted: Partial<Record<NotCountedReason, number>>;
  /** "3 inconclusive, 2 simulated not counted", or '' when everything counts. */
  notCountedText: string;
}

export function portfolioReason(x: Experiment, a: ExperimentAnalysis | null | undefined, now: number): NotCountedReason | null {
  if (x.dataSource !== 'imported') return 'simulated';
  const h = headline(x, a, now);
  if (isRunning(x, now) || x.status === 'draft') return 'running';
  if (h.kind === 'no-analysis' || h.kind === 'insufficient-data') return 'no result';
  if (h.kind === 'guardrail-breached') return 'guardrail breached';
  if (!h.decisive) return 'inconclusive';
  return null;
}

export function portfolio(items: { experiment: Experiment; analysis: ExperimentAnalysis | null | undefined }[], now: number): Portfolio {
  let total = 0;
  let lower = 0;
  let upper = 0;
  let counted = 0;
  let haveInterval = true;
  const notCounted: Partial<Record<NotCountedReason, number>> = {};
  for (const { experiment: x, analysis: a } of items) {
    if (x.status === 'archived') continue;
    const why = portfolioReason(x, a, now);
    if (why) {
      notCounted[why] = (notCounted[why] ?? 0) + 1;
      continue;
    }
    const ei = a!.economicImpact!;
    counted += 1;
    total += ei.totalImpact ?? 0;
    if (ei.totalImpactInterval) {
      lower += ei.totalImpactInterval.lower;
      upper += ei.totalImpactInterval.upper;
    } else {
      haveInterval = false;
    }
  }
  const order: NotCountedReason[] = ['inconclusive', 'simulated', 'running', 'no result', 'guardrail breached'];
  const parts = order.filter((k) => notCounted[k]).map((k) => `${notCounted[k]} ${k}`);
  return {
    counted, total,
    interval: counted && haveInterval ? { lower, upper } : null,
    notCounted,
    notCountedText: parts.length ? `${parts.join(', ')} not counted` : '',
  };
}
