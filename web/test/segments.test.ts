// Segments (issue 17): the forest plot's data from an analysis document, the heterogeneity test in
// words, the "segments disagree" flag, and segment verdicts that follow the page's rules (no win
// from simulated data, none while running, none from an interval that includes zero).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as s from '../src/segments';
import type { DidResult, EconomicImpact, Experiment, SegmentedAnalysis } from '../src/types';

const NOW = Date.parse('2026-11-30T06:40:00Z');

function did(over: Partial<DidResult> = {}): DidResult {
  return {
    treatmentMean: 0.031, controlMean: 0.03, absoluteDifference: 0.001, relativeDifference: 0.033,
    pValue: 0.001, confidenceLevel: 95, confidenceInterval: { lower: 0.0004, upper: 0.0016 },
    sampleSizeControl: 1000, sampleSizeTreatment: 1000, effectSize: 0.1, method: 'did',
    preTreatmentMean: 0.03, preControlMean: 0.03, standardError: 0.0003, degreesOfFreedom: 26,
    tStatistic: 3.3, relativeConfidenceInterval: null, adjustedPValue: 0.002, significant: true,
    probabilityOfImprovement: 0.99, minimumDetectableEffect: 0.0008, postHours: 336, preHours: 336,
    excludedHours: 0, parallelTrends: null, warnings: [], ...over,
  };
}

function impact(over: Partial<EconomicImpact> = {}): EconomicImpact {
  return {
    totalImpact: 1000, annualizedImpact: 26071, roiPercentage: null, metricBreakdown: {},
    totalImpactInterval: { lower: 200, upper: 1800 }, probabilityOfPositiveImpact: 0.99,
    significantImpact: 1000, durationDays: 14, ...over,
  };
}

function experiment(over: Partial<Experiment> = {}): Experiment {
  return {
    id: 'e1', name: 'X', description: '', status: 'complete', metrics: ['conversion_rate', 'revenue_per_user'],
    startDate: '2026-10-01T00:00:00Z', endDate: '2026-10-15T00:00:00Z', expectedOutcome: 'positive',
    createdAt: '2026-10-01T00:00:00Z', updatedAt: '2026-10-01T00:00:00Z', implementationCost: 0,
    confidenceLevel: 95, trafficSplit: 0.5, dataSource: 'imported', economicImpact: null, ...over,
  } as Experiment;
}

const srmOk = { chiSquare: 0.4, pValue: 0.52, detected: false, expectedTreatmentShare: 0.5, observedTreatmentShare: 0.501 };

/** An analysis document as GET .../analysis sends it, with a device dimension (SEGMENTS.md). */
function analysis(): SegmentedAnalysis {
  return {
    analysisId: 'a1', experimentId: 'e1', status: 'complete', resultsVersion: 1, alpha: 0.05, correction: 'holm',
    analysisTimestamp: '2026-10-15T01:00:00Z', economicImpact: impact(),
    didResults: {
      conversion_rate: did({ adjustedConfidenceInterval: { lower: 0.0003, upper: 0.0017 } }),
      revenue_per_user: did({ absoluteDifference: 0.05, confidenceInterval: { lower: -0.1, upper: 0.2 }, adjustedConfidenceInterval: { lower: -0.12, upper: 0.22 }, pValue: 0.4, adjustedPValue: 0.4, significant: false }),
    },
    segments: {
      device: {
        // A clear win on mobile, nothing on desktop, a loss on tablet (adjusted intervals).
        mobile: {
          didResults: { conversion_rate: did({ absoluteDifference: 0.003, adjustedConfidenceInterval: { lower: 0.0015, upper: 0.0045 }, adjustedPValue: 0.0001 }) },
          economicImpact: impact({ totalImpact: 1500, totalImpactInterval: { lower: 700, upper: 2300 } }),
          srm: srmOk, trafficShare: 0.55,
        },
        desktop: {
          didResults: { conversion_rate: did({ absoluteDifference: 0.0002, adjustedConfidenceInterval: { lower: -0.001, upper: 0.0014 }, pValue: 0.6, adjustedPValue: 0.6, significant: false }) },
          economicImpact: impact({ totalImpact: 100, totalImpactInterval: { lower: -600, upper: 800 } }),
          srm: { ...srmOk, pValue: 0.00001, detected: true, observedTreatmentShare: 0.56 }, trafficShare: 0.35,
        },
        tablet: {
          didResults: { conversion_rate: did({ absoluteDifference: -0.004, adjustedConfidenceInterval: { lower: -0.007, upper: -0.001 }, adjustedPValue: 0.01 }) },
          economicImpact: impact({ totalImpact: -600, totalImpactInterval: { lower: -1000, upper: -200 } }),
          srm: srmOk, trafficShare: 0.10,
        },
      },
    },
    heterogeneity: {
      device: {
        conversion_rate: { q: 21.7, df: 2, pValue: 0.0000194, significant: true, segments: 3, skippedSegments: [], welch: { f: 9.8, df1: 2, df2: 14.26, pValue: 0.0021 } },
        revenue_per_user: { q: 1.2, df: 2, pValue: 0.5488, significant: false, segments: 3, skippedSegments: [], welch: { f: 0.5, df1: 2, df2: 13.9, pValue: 0.617 } },
      },
    },
  } as SegmentedAnalysis;
}

test('the forest plot of one metric across segments, from the analysis document', () => {
  const f = s.segmentForest(experiment(), analysis(), 'device', 'conversion_rate',
    { direction: 'increase', unit: '%', segments: ['desktop', 'mobile', 'tablet'], now: NOW });
  assert.deepEqual(f.rows.map((r) => r.segment), ['desktop', 'mobile', 'tablet'], 'in the order of results.dimensions');
  assert.deepEqual(f.rows.map((r) => r.verdict.kind), ['inconclusive', 'win', 'loss']);
  assert.deepEqual(f.rows.map((r) => r.shown?.kind), ['adjusted', 'adjusted', 'adjusted'], 'the intervals adjusted across segments');
  assert.deepEqual(f.rows[1].shown?.interval, { lower: 0.0015, upper: 0.0045 });
  assert.equal(f.rows[1].effect.value, '+0.30 pp');
  assert.equal(f.rows[1].effect.interval, '+0.15 to +0.45 pp');
  assert.equal(f.overall.value, 0.001, 'the reference line is the overall estimate');
  assert.deepEqual(f.overall.interval, { lower: 0.0003, upper: 0.0017 });
  assert.equal(f.overall.verdict.kind, 'win');
  assert.equal(f.heterogeneity?.significant, true);
  assert.deepEqual(f.rows.map((r) => r.srmDetected), [true, false, false]);
  assert.equal(f.rows[0].trafficShare, 0.35);
  // Dollars: a point only where decisive, a range otherwise.
  assert.equal(f.rows[1].dollars.decisive, true);
  assert.equal(f.rows[1].dollars.text, '+$1,500 (+$700 to +$2,300)');
  assert.equal(f.rows[0].dollars.decisive, false);
  assert.equal(f.rows[0].dollars.text, '-$600 to +$800');

  const rows = s.forestRows(f);
  assert.deepEqual(rows.map((r) => r.label), ['desktop · 35%', 'mobile · 55%', 'tablet · 10%']);
  assert.deepEqual(rows.map((r) => r.verdict), ['inconclusive', 'win', 'loss']);
  assert.deepEqual(rows.map((r) => r.value), [0.0002, 0.003, -0.004]);
  assert.equal(rows[1].text, '+0.30 pp (+0.15 to +0.45 pp)');
});

test('a metric where lower is better turns the signs of the verdicts', () => {
  const f = s.segmentForest(experiment(), analysis(), 'device', 'conversion_rate', { direction: 'decrease', unit: '%', now: NOW });
  const by = Object.fromEntries(f.rows.map((r) => [r.segment, r.verdict.kind]));
  assert.deepEqual(by, { mobile: 'loss', desktop: 'inconclusive', tablet: 'win' });
});

test('a segment without the metric, or an unknown dimension, has no verdict and no bar', () => {
  const f = s.segmentForest(experiment(), analysis(), 'device', 'revenue_per_user', { direction: 'increase', unit: '$', now: NOW });
  assert.ok(f.rows.every((r) => r.verdict.kind === 'insufficient-data' && r.shown === null));
  assert.ok(s.forestRows(f).every((r) => r.interval === null && r.value === null));
  assert.deepEqual(s.segmentForest(experiment(), analysis(), 'country', 'conversion_rate', { direction: 'increase', unit: '%', now: NOW }).rows, []);
});

test('simulated data never shows a segment as a win, nor colours its dollars', () => {
  const f = s.segmentForest(experiment({ dataSource: 'simulated' }), analysis(), 'device', 'conversion_rate', { direction: 'increase', unit: '%', now: NOW });
  assert.ok(f.rows.every((r) => r.verdict.kind !== 'win' && r.verdict.kind !== 'loss' && !r.verdict.decisive));
  const mobile = f.rows.find((r) => r.segment === 'mobile')!;
  assert.equal(mobile.verdict.kind, 'simulated');
  assert.equal(mobile.verdict.label, 'Simulated');
  assert.equal(mobile.verdict.reason, 'Generated data, not a measured result (its interval is above zero).');
  assert.equal(mobile.dollars.decisive, false);
  assert.equal(mobile.dollars.text, '+$700 to +$2,300', 'a range, not a point figure');
  assert.ok(s.forestRows(f).every((r) => r.verdict === 'simulated' || r.verdict === 'inconclusive'));
  assert.equal(f.overall.verdict.kind, 'simulated', 'nor the row of all users beside them');
});

test('while running, no fixed-horizon segment verdict; a decisive always-valid interval counts', () => {
  const running = experiment({ status: 'running', startDate: '2026-11-23T00:00:00Z', endDate: '2026-12-07T00:00:00Z' });
  const f = s.segmentForest(running, analysis(), 'device', 'conversion_rate', { direction: 'increase', unit: '%', now: NOW });
  assert.ok(f.rows.every((r) => r.verdict.kind === 'not-enough-data-yet' && !r.dollars.decisive));
  const r = did({ sequential: { interval: { lower: 0.0005, upper: 0.004 }, pValue: 0.001, decisive: true, looks: 7, plannedBlocks: 14 } } as Partial<DidResult>);
  assert.equal(s.segmentVerdict(running, r, 'increase', { interval: r.confidenceInterval, kind: 'unadjusted', confidence: 0.95 }, NOW).kind, 'win');
  // A projection (simulated, period not ended) is never a result, sequential or not.
  const projection = experiment({ dataSource: 'simulated', status: 'complete', startDate: '2026-11-23T00:00:00Z', endDate: '2026-12-07T00:00:00Z' });
  assert.equal(s.segmentVerdict(projection, r, 'increase', { interval: r.confidenceInterval, kind: 'unadjusted', confidence: 0.95 }, NOW).kind, 'not-enough-data-yet');
});

test('an inconclusive segment is not decisive: its change and dollars are ranges', () => {
  const f = s.segmentForest(experiment(), analysis(), 'device', 'conversion_rate', { direction: 'increase', unit: '%', now: NOW });
  const desktop = f.rows.find((r) => r.segment === 'desktop')!;
  assert.equal(desktop.verdict.label, 'Inconclusive');
  assert.equal(desktop.verdict.decisive, false);
  assert.equal(desktop.verdict.reason, 'The interval includes zero.');
  assert.equal(f.rows.find((r) => r.segment === 'tablet')!.verdict.reason, 'The whole interval is below zero.');
});

test('the heterogeneity tests in plain words', () => {
  const a = analysis();
  const sig = s.heterogeneityWords(a.heterogeneity!.device.conversion_rate, 0.05);
  assert.equal(sig.significant, true);
  assert.equal(sig.level, 'differ');
  assert.equal(sig.headline, 'Effects differ between segments.');
  assert.equal(sig.detail, "Cochran's Q = 21.70 on 2 degrees of freedom, p < 0.0001; Welch's F = 9.80 on 2 and 14.3 degrees of freedom, p = 0.0021: below α = 0.05 across 3 segments. The overall figure averages segments that responded differently, so read each segment's row before deciding.");
  const not = s.heterogeneityWords(a.heterogeneity!.device.revenue_per_user, 0.05);
  assert.equal(not.significant, false);
  assert.equal(not.level, 'none');
  assert.equal(not.headline, 'No evidence that the effect differs between segments.');
  assert.match(not.detail, /^Cochran's Q = 1\.20 on 2 degrees of freedom, p = 0\.5488; Welch's F = 0\.5 on 2 and 13\.9 degrees of freedom, p = 0\.6170 across 3 segments: /);
  // Q below alpha but not Welch's small-sample test (Q over-flags with few days): weak, not "differ".
  const weak = s.heterogeneityWords({ ...a.heterogeneity!.device.conversion_rate, pValue: 0.03, welch: { f: 2.9, df1: 2, df2: 12, pValue: 0.09 } }, 0.05);
  assert.equal(weak.level, 'weak');
  assert.equal(weak.significant, false);
  assert.equal(weak.headline, 'Weak evidence that the effect differs between segments.');
  assert.match(weak.detail, /only one of the two tests is below α = 0\.05/);
  // An analysis without Welch's test (null, or stored before it existed): Q alone decides.
  assert.equal(s.heterogeneityLevel({ ...a.heterogeneity!.device.conversion_rate, welch: null }, 0.05), 'differ');
  assert.equal(s.heterogeneityFigures({ q: 0.4, df: 1, pValue: 0.53, significant: false, segments: 2, skippedSegments: [], welch: null }), "Cochran's Q = 0.4 on 1 degree of freedom, p = 0.5300");
  assert.equal(s.welchFigures({ q: 0.4, df: 1, pValue: 0.53, significant: false, segments: 2, skippedSegments: [], welch: null }), null);
  assert.match(s.heterogeneityWords({ q: 0.4, df: 1, pValue: 0.53, significant: false, segments: 2, skippedSegments: ['tablet'], welch: null }, 0.05).detail,
    /across 2 segments: .* Left out for lack of an estimate: tablet\.$/);
  // Untestable: one segment with an estimate, a null Q, or no test at all.
  for (const hg of [{ q: 0, df: 0, pValue: null, significant: false, segments: 1, skippedSegments: ['tablet', 'desktop'], welch: null }, { q: null, df: 2, pValue: null, significant: false, segments: 3 }, null]) {
    const w = s.heterogeneityWords(hg as never, 0.05);
    assert.equal(w.significant, false);
    assert.equal(w.level, 'untestable');
    assert.equal(w.headline, 'Not enough segments to compare.');
    assert.equal(s.heterogeneityFigures(hg as never), null);
  }
});

test('the disagreement flag: any significant heterogeneity test, named by dimension and metric', () => {
  const a = analysis();
  const d = s.segmentDisagreements(a);
  assert.deepEqual(d, [{ dimension: 'device', metric: 'conversion_rate', q: 21.7, pValue: 0.0000194 }]);
  assert.equal(s.disagreementText(d, (m) => (m === 'conversion_rate' ? 'Conversion rate' : m)), 'Segments disagree significantly: device (Conversion rate).');
  const two = [...d, { dimension: 'country', metric: 'revenue_per_user', q: 9, pValue: 0.01 }, { dimension: 'device', metric: 'revenue_per_user', q: 8, pValue: 0.02 }];
  assert.equal(s.disagreementList(two), 'device (conversion_rate, revenue_per_user); country (revenue_per_user)');
  // Q significant but not Welch's test: weak evidence, no flag.
  a.heterogeneity!.device.conversion_rate.welch = { f: 2.9, df1: 2, df2: 12, pValue: 0.09 };
  assert.deepEqual(s.segmentDisagreements(a), []);
  // Nothing significant, no segments, method-1 documents without the fields, no analysis.
  a.heterogeneity!.device.conversion_rate.welch = null;
  a.heterogeneity!.device.conversion_rate.significant = false;
  assert.deepEqual(s.segmentDisagreements(a), []);
  assert.equal(s.disagreementText([]), '');
  assert.deepEqual(s.segmentDisagreements({ heterogeneity: {} }), []);
  assert.deepEqual(s.segmentDisagreements({ analysisId: 'x' } as SegmentedAnalysis), []);
  assert.deepEqual(s.segmentDisagreements(null), []);
});

test('dimensions with segments, and whether an analysis has segment figures', () => {
  assert.deepEqual(s.dimensionsOf({ device: ['desktop', 'mobile'], country: [], plan: ['free'] }), ['device', 'plan']);
  assert.deepEqual(s.dimensionsOf({}), []);
  assert.deepEqual(s.dimensionsOf(undefined), []);
  assert.equal(s.hasSegments(analysis()), true);
  assert.equal(s.hasSegments({ ...analysis(), segments: {} }), false);
  assert.equal(s.hasSegments({ ...analysis(), segments: { device: {} } }), false);
  assert.equal(s.hasSegments(null), false);
});
