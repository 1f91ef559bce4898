// Client-side upload checks, the same rules as src/domain/plausibility.cpp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUpload, plausibilityWarnings } from '../src/plausibility';

const START = Date.parse('2025-01-01T00:00:00Z') / 1000;
const units = { conversion_rate: '%', average_order_value: '$' };

function csv(rows: [string, string, number, number][]): string {
  return ['metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize',
    ...rows.map(([m, t, a, b]) => `${m},${t},${a},${b},100,100`)].join('\n');
}

test('a rate uploaded in percent is named', () => {
  const up = parseUpload(csv([['conversion_rate', '2025-01-01T00:00:00Z', 3.07, 3.01], ['conversion_rate', '2025-01-01T01:00:00Z', 3.1, 2.9]]), true)!;
  const w = plausibilityWarnings(units, up, new Map(), START);
  assert.equal(w.length, 1);
  assert.match(w[0], /^conversion_rate: 4 values are above 1 \(up to 3\.1\) although the unit is %/);
});

test('100 times the stored pre period on a merge, nothing on plausible data', () => {
  const stored = parseUpload(csv([['average_order_value', '2024-12-31T00:00:00Z', 82.5, 80.85]]), true)!;
  const up = parseUpload(JSON.stringify({ metrics: { average_order_value: { timeSeries: [
    { timestamp: '2025-01-02T00:00:00Z', treatmentValue: 8400, controlValue: 8232 }] } } }), false)!;
  const w = plausibilityWarnings(units, up, stored, START);
  assert.equal(w.length, 1);
  assert.match(w[0], /101\.8 times larger than the pre period's \(typical 81\.67\)/);
  assert.deepEqual(plausibilityWarnings(units, up, new Map(), START), []);
  const fine = parseUpload(csv([['average_order_value', '2025-01-02T00:00:00Z', 84, 83]]), true)!;
  assert.deepEqual(plausibilityWarnings(units, fine, stored, START), []);
});

test('unreadable uploads', () => {
  assert.equal(parseUpload('a,b\n1,2', true), null);
  assert.equal(parseUpload('{not json', false), null);
});
