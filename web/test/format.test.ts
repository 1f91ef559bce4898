// One number format: the same precision for a value and its interval, a sign on both bounds,
// the unit said once, no cents from $100 up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fmt from '../src/format';

test('percentage-point effects share their decimals and say the unit once', () => {
  const e = fmt.effectWithInterval(0.0042, { lower: 0.0012, upper: 0.0072 }, '%');
  assert.equal(e.value, '+0.42 pp');
  assert.equal(e.interval, '+0.12 to +0.72 pp');
  const small = fmt.effectWithInterval(0.00004, { lower: -0.00021, upper: 0.00029 }, '%');
  assert.equal(small.value, '+0.004 pp');
  assert.equal(small.interval, '-0.021 to +0.029 pp');
});

test('other units: one precision from the largest figure, unit once', () => {
  const e = fmt.effectWithInterval(1.5, { lower: -0.25, upper: 3.25 }, 'seconds');
  assert.equal(e.value, '+1.50 seconds');
  assert.equal(e.interval, '-0.25 to +3.25 seconds');
  const big = fmt.effectWithInterval(12, { lower: -400, upper: 1250 }, 'ms');
  assert.equal(big.value, '+12 ms');
  assert.equal(big.interval, '-400 to +1,250 ms');
  assert.equal(fmt.effectWithInterval(0.5, { lower: 0.1, upper: 0.9 }, '$').interval, '+$0.10 to +$0.90');
});

test('money intervals: signs on both bounds, no cents above $100, cents below', () => {
  assert.equal(fmt.moneyInterval({ lower: -68404.2, upper: 78112.7 }), '-$68,404 to +$78,113');
  assert.equal(fmt.moneyInterval({ lower: 1.5, upper: 12.25 }), '+$1.50 to +$12.25');
  // A small value beside a large interval takes the interval's precision.
  assert.equal(fmt.moneyWith(45.5, { lower: -2000, upper: 2100 }), '+$46');
  assert.equal(fmt.moneyWith(1234.56, null), '+$1,235');
  assert.equal(fmt.money(99.5), '$99.50');
});

test('decimals for plain numbers', () => {
  assert.equal(fmt.decimalsFor(2500), 0);
  assert.equal(fmt.decimalsFor(2.5), 2);
  assert.equal(fmt.decimalsFor(0.042), 3);
  assert.equal(fmt.decimalsFor(0.5), 2);
  assert.equal(fmt.decimalsFor(0), 2);
});

test('days elapsed of a period', () => {
  const start = '2026-11-23T00:00:00Z';
  const end = '2026-12-07T00:00:00Z';
  assert.deepEqual(fmt.daysElapsed(start, end, Date.parse('2026-11-30T06:40:00Z')), { elapsed: 7, total: 14 });
  assert.deepEqual(fmt.daysElapsed(start, end, Date.parse('2026-11-01T00:00:00Z')), { elapsed: 0, total: 14 });
  assert.deepEqual(fmt.daysElapsed(start, end, Date.parse('2027-01-01T00:00:00Z')), { elapsed: 14, total: 14 });
});
