// Verdicts from the interval shown beside them, method 2 first and method 1 derived the same way;
// headlines for running and projected experiments; the portfolio counts only decisive imported ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as v from '../src/verdict';
import type { DidResult, EconomicImpact, Experiment, ExperimentAnalysis } from '../src/types';
import { tQuantile } from '../src/tdist';

const NOW = Date.parse('2026-11-30T06:40:00Z');

function did(over: Partial<DidResult> = {}): DidResult {
  return {
    treatmentMean: 0.031, controlMean: 0.03, absoluteDifference: 0.001, relativeDifference: 0.033,
    pValue: 0.03, confidenceLevel: 95, confidenceInterval: { lower: 0.0001, upper: 0.0019 },
    sampleSizeControl: 1000, sampleSizeTreatment: 1000, effectSize: 0.1, method: 'paired',
    preTreatmentMean: null, preControlMean: null, standardError: 0.00045, degreesOfFreedom: 13,
    tStatistic: 2.2, relativeConfidenceInterval: null, adjustedPValue: 0.06, significant: false,
    probabilityOfImprovement: 0.98, minimumDetectableEffect: 0.0013, postHours: 336, preHours: 0,
    excludedHours: 0, parallelTrends: null, warnings: [], ...over,
  };
}

function experiment(over: Partial<Experiment> = {}): Experiment {
  return {
    id: 'e1', name: 'X', description: '', status: 'complete', metrics: ['conversion_rate'],
    startDate: '2026-10-01T00:00:00Z', endDate: '2026-10-15T00:00:00Z', expectedOutcome: 'positive',
    createdAt: '2026-10-01T00:00:00Z', updatedAt: '2026-10-01T00:00:00Z', implementationCost: 12000,
    confidenceLevel: 95, trafficSplit: 0.5, dataSource: 'imported', economicImpact: null, ...over,
  } as Experiment;
}

function impact(over: Partial<EconomicImpact> = {}): EconomicImpact {
  return {
    totalImpact: 4854, annualizedImpact: 126553, roiPercentage: 744, metricBreakdown: {},
    totalImpactInterval: { lower: -68404, upper: 78112 }, probabilityOfPositiveImpact: 0.552,
    significantImpact: 0, durationDays: 14, ...over,
  };
}

function analysis(ei: EconomicImpact, over: Partial<ExperimentAnalysis> = {}): ExperimentAnalysis {
  return {
    analysisId: 'a1', experimentId: 'e1', status: 'complete', resultsVersion: 1,
    analysisTimestamp: '2026-10-15T01:00:00Z', economicImpact: ei, didResults: {}, ...over,
  } as ExperimentAnalysis;
}

test('method 2: the adjusted interval is shown and its verdict kept', () => {
  const r = did({ adjustedConfidenceInterval: { lower: -0.0002, upper: 0.0022 }, verdict: 'inconclusive' });
  const s = v.shownInterval(r, 0.05);
  assert.equal(s.kind, 'adjusted');
  assert.deepEqual(s.interval, { lower: -0.0002, upper: 0.0022 });
  assert.ok(Math.abs(s.confidence! - (1 - 0.05 * 0.03 / 0.06)) < 1e-12);
  assert.equal(v.metricVerdict(r, 'increase', s), 'inconclusive');
});

test('method 1: an adjusted interval is derived so that it agrees with significance', () => {
  // Unadjusted interval excludes zero, but the Holm-adjusted p-value is 0.06: not significant.
  const r = did();
  const s = v.shownInterval(r, 0.05);
  assert.equal(s.kind, 'adjusted-derived');
  const q = tQuantile(1 - 0.025 * (0.03 / 0.06), 13);
  assert.ok(Math.abs(s.interval!.lower - (0.001 - q * 0.00045)) < 1e-15);
  assert.ok(s.interval!.lower < 0 && s.interval!.upper > 0, 'the shown interval includes zero');
  assert.equal(v.metricVerdict(r, 'increase', s), 'inconclusive');
  // Significant after adjustment: the derived interval excludes zero.
  const sig = did({ pValue: 0.0002, adjustedPValue: 0.0004, standardError: 0.0002, significant: true });
  const s2 = v.shownInterval(sig, 0.05);
  assert.ok(s2.interval!.lower > 0);
  assert.equal(v.metricVerdict(sig, 'increase', s2), 'win');
  assert.equal(v.metricVerdict(sig, 'decrease', s2), 'loss');
});

test('one metric: the confidence interval itself', () => {
  const r = did({ adjustedPValue: 0.03, significant: true });
  const s = v.shownInterval(r, 0.05);
  assert.equal(s.kind, 'unadjusted');
  assert.equal(v.metricVerdict(r, 'increase', s), 'win');
  assert.equal(v.metricVerdict(did({ pValue: null, confidenceInterval: null }), 'increase', v.shownInterval(did({ pValue: null, confidenceInterval: null }), 0.05)), 'insufficient-data');
});

test('dollars of an interval follow the direction and order the bounds', () => {
  assert.deepEqual(v.dollarsOf({ lower: -0.001, upper: 0.002 }, { dollarsPerUnit: 100, unitSize: 0.01, direction: 'decrease' }, 10),
    { lower: -200, upper: 100 });
});

test('an inconclusive total is a range with the reason in words', () => {
  const h = v.headline(experiment(), analysis(impact()), NOW);
  assert.equal(h.kind, 'inconclusive');
  assert.equal(h.decisive, false);
  assert.equal(h.reason, 'The 95% interval of the net impact, -$68,404 to +$78,112, includes zero: the data cannot tell a gain from a loss.');
  const ann = v.annualizedInterval(impact())!;
  assert.ok(Math.abs(ann.lower - (-68404 * 365 / 14)) < 1e-6);
  const roi = v.roiInterval(impact(), 12000)!;
  assert.ok(Math.abs(roi.upper - ((78112 * 365 / 14 - 12000) / 12000) * 100) < 1e-6);
  assert.equal(v.roiInterval(impact(), null), null);
  // Method 2 figures win over the derived ones.
  assert.deepEqual(v.roiInterval(impact({ roiInterval: { lower: -5, upper: 9 } }), 12000), { lower: -5, upper: 9 });
  assert.equal(v.totalVerdict(impact({ totalVerdict: 'loss' })), 'loss');
});

test('a win, a loss, a breached guardrail', () => {
  assert.equal(v.headline(experiment(), analysis(impact({ totalImpactInterval: { lower: 10, upper: 50 } })), NOW).kind, 'win');
  assert.equal(v.headline(experiment(), analysis(impact({ totalImpactInterval: { lower: -50, upper: -10 } })), NOW).kind, 'loss');
  const g = v.headline(experiment(), analysis(impact({ totalImpactInterval: { lower: 10, upper: 50 } }), { guardrails: { page_load_time: 'breached' } }), NOW);
  assert.equal(g.kind, 'guardrail-breached');
  assert.match(g.reason, /page_load_time/);
});

test('a win or loss on simulated data is never shown as one', () => {
  const win = v.headline(experiment(), analysis(impact({ totalImpactInterval: { lower: 10, upper: 50 } })), NOW);
  assert.equal(win.decisive, true);
  assert.equal(win.label, 'Win');
  const sim = v.headline(experiment({ dataSource: 'simulated' }), analysis(impact({ totalImpactInterval: { lower: 10, upper: 50 } })), NOW);
  assert.equal(sim.kind, 'win');
  assert.equal(sim.label, 'Simulated win');
  assert.equal(sim.decisive, false, 'figures shown as ranges');
  assert.equal(sim.simulated, true);
  assert.match(sim.reason, /^Simulated data, not a measured result: the whole 95% interval/);
  const loss = v.headline(experiment({ dataSource: 'simulated' }), analysis(impact({ totalImpactInterval: { lower: -50, upper: -10 } })), NOW);
  assert.equal(loss.label, 'Simulated loss');
  const inc = v.headline(experiment({ dataSource: 'simulated' }), analysis(impact({ totalImpactInterval: { lower: -50, upper: 10 } })), NOW);
  assert.equal(inc.label, 'Inconclusive');
  assert.equal(inc.simulated, undefined);
});

test('running: progress, the sequential interval, never a fixed-horizon verdict', () => {
  const running = experiment({ status: 'running', startDate: '2026-11-23T00:00:00Z', endDate: '2026-12-07T00:00:00Z' });
  const h = v.headline(running, analysis(impact({ totalImpactInterval: { lower: 10, upper: 50 } })), NOW);
  assert.equal(h.kind, 'not-enough-data-yet');
  assert.match(h.reason, /^7 of 14 days in; the fixed-horizon interval is valid only at the planned end/);
  const seq = { interval: { lower: 120, upper: 900 }, pValue: 0.001, decisive: true, looks: 7, plannedBlocks: 21 };
  assert.equal(v.headline(running, analysis(impact({ totalSequential: seq })), NOW).kind, 'win');
  const open = { ...seq, interval: { lower: -50, upper: 900 }, decisive: false };
  assert.match(v.headline(running, analysis(impact({ totalSequential: open })), NOW).reason, /always-valid interval still includes zero/);
});

test('simulated data for dates that have not ended is a projection', () => {
  assert.equal(v.isProjection(experiment({ dataSource: 'simulated', endDate: '2026-12-21T00:00:00Z' }), NOW), true);
  assert.equal(v.isProjection(experiment({ dataSource: 'simulated' }), NOW), false);
  assert.equal(v.isProjection(experiment({ endDate: '2026-12-21T00:00:00Z' }), NOW), false);
  // Marked complete by the server, but its period has not ended: not a result.
  const h = v.headline(experiment({ dataSource: 'simulated', startDate: '2026-11-30T00:00:00Z', endDate: '2026-12-21T00:00:00Z' }),
    analysis(impact({ totalImpactInterval: { lower: 300000, upper: 350000 } })), NOW);
  assert.equal(h.kind, 'not-enough-data-yet');
});

test('the portfolio counts imported decisive results only and names the rest', () => {
  const win = analysis(impact({ totalImpact: 1000, totalImpactInterval: { lower: 200, upper: 1800 } }));
  const loss = analysis(impact({ totalImpact: -500, totalImpactInterval: { lower: -900, upper: -100 } }));
  const p = v.portfolio([
    { experiment: experiment({ id: 'a' }), analysis: win },
    { experiment: experiment({ id: 'b' }), analysis: loss },
    { experiment: experiment({ id: 'c' }), analysis: analysis(impact()) },
    { experiment: experiment({ id: 'd' }), analysis: analysis(impact()) },
    { experiment: experiment({ id: 'e' }), analysis: analysis(impact()) },
    { experiment: experiment({ id: 'f', dataSource: 'simulated' }), analysis: win },
    { experiment: experiment({ id: 'g', dataSource: 'simulated' }), analysis: win },
    { experiment: experiment({ id: 'h', status: 'archived' }), analysis: win },
  ], NOW);
  assert.equal(p.counted, 2);
  assert.equal(p.total, 500);
  assert.deepEqual(p.interval, { lower: -700, upper: 1700 });
  assert.equal(p.notCountedText, '3 inconclusive, 2 simulated not counted');
  assert.equal(v.portfolio([], NOW).notCountedText, '');
});
