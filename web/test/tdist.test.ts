// Student's t helpers against closed forms (df 1 and 2) and published table values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalQuantile, tCdf, tQuantile } from '../src/tdist';

const close = (a: number, b: number, rel = 1e-9) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(b)), `${a} vs ${b}`);

test('quantiles match the closed forms of df 1 and 2', () => {
  for (const p of [0.6, 0.9, 0.975, 0.995, 0.9995]) {
    close(tQuantile(p, 1), Math.tan(Math.PI * (p - 0.5)));
    close(tQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)));
    close(tQuantile(1 - p, 2), -(2 * p - 1) / Math.sqrt(2 * p * (1 - p)));
  }
});

test('quantiles match the t table', () => {
  close(tQuantile(0.975, 10), 2.2281388519649385);
  close(tQuantile(0.95, 30), 1.6972608865939587);
  close(tQuantile(0.5, 7.3), 0);
});

test('the CDF inverts the quantile, also for fractional (Welch) df', () => {
  for (const df of [3.2, 13.7, 27.4, 120]) {
    for (const p of [0.005, 0.2, 0.8, 0.99875]) close(tCdf(tQuantile(p, df), df), p, 1e-10);
  }
  close(tCdf(0, 5), 0.5);
  close(tCdf(1, 1), 0.75);
});

test('normal quantile', () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-8);
  assert.ok(Number.isNaN(tQuantile(1.2, 5)));
});
