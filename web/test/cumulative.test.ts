// The cumulative dollar effect ends at the block estimator's total and interval.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cumulativeEffect, dollarBlocks } from '../src/cumulative';
import { tQuantile } from '../src/tdist';
import type { TimePoint } from '../src/types';

const START = Date.parse('2025-01-01T00:00:00Z') / 1000;
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

/** Hourly points with a daily gap `gap(day)`, every hour of a day alike. */
function points(fromDay: number, days: number, gap: (d: number) => number): TimePoint[] {
  const out: TimePoint[] = [];
  for (let d = fromDay; d < fromDay + days; d++) {
    for (let h = 0; h < 24; h++) {
      out.push({ timestamp: iso(START + d * 86400 + h * 3600), treatmentValue: 0.03 + gap(d), controlValue: 0.03, treatmentSampleSize: 100, controlSampleSize: 100 });
    }
  }
  return out;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd2 = (v: number[]) => v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1);

test('paired: the last day is m1 x delta and m1 x q x se', () => {
  const gaps = [0.001, 0.002, -0.0005, 0.0015, 0.001, 0.0025, 0.0];
  const series = { conversion_rate: points(0, 7, (d) => gaps[d]) };
  const pricing = { conversion_rate: { dollarsPerUnit: 100, unitSize: 0.01, direction: 'increase' as const } };
  const c = cumulativeEffect({ series, pricing, counted: ['conversion_rate'], start: START, design: 'paired', confidenceLevel: 95 })!;
  const z = gaps.map((g) => g * 100 / 0.01);
  const last = c.value.length - 1;
  assert.equal(c.postDays, 7);
  assert.ok(Math.abs(c.value[last] - 7 * mean(z)) < 1e-9);
  const half = 7 * tQuantile(0.975, 6) * Math.sqrt(sd2(z) / 7);
  assert.ok(Math.abs(c.upper[last] - c.value[last] - half) < 1e-9);
  assert.equal(c.x[0], START + 86400);
});

test('did: the pre-period blocks are the baseline; decrease metrics count negatively', () => {
  const pre = [0.004, 0.006, 0.005];
  const post = [0.007, 0.009, 0.008, 0.006];
  const series = { bounce_rate: [...points(-3, 3, (d) => pre[d + 3]), ...points(0, 4, (d) => post[d])] };
  const pricing = { bounce_rate: { dollarsPerUnit: 50, unitSize: 0.01, direction: 'decrease' as const } };
  const blocks = dollarBlocks({ series, pricing, counted: ['bounce_rate'], start: START, design: 'did', confidenceLevel: 95 });
  assert.deepEqual([...blocks.keys()], [-3, -2, -1, 0, 1, 2, 3]);
  const c = cumulativeEffect({ series, pricing, counted: ['bounce_rate'], start: START, design: 'did', confidenceLevel: 95 })!;
  assert.equal(c.design, 'did');
  const delta = (mean(post) - mean(pre)) * -5000;
  assert.ok(Math.abs(c.value[3] - 4 * delta) < 1e-9);
  // An uncounted metric (same value group) is left out; fewer than 2 post days give nothing.
  assert.equal(cumulativeEffect({ series, pricing, counted: [], start: START, design: 'did', confidenceLevel: 95 }), null);
});
