// End-to-end test of the Plan step (issue 15): the real rallyuxr binary on a temporary SQLite
// database, the built web bundle (web/dist) and Debian's headless Chromium (playwright-core).
// Plans from an earlier experiment in the create form, picks a duration on the chart's slider
// (which sets the end date), creates the experiment with the plan, and reads the running page's
// "x of y days; at this pace ..." line.
//
//   node --test tests/e2e/plan.test.mjs
//
// Needs what dashboard.test.mjs needs: `npm ci && npm run build` in web/, the binary (RALLYUXR_BIN,
// default build/src/rallyuxr) and /usr/bin/chromium (RALLYUXR_CHROMIUM).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHOTS, freePort, launchChromium, startRallyuxr } from './harness.mjs';

const DAY_MS = 86_400_000;

let server = null;
let serverLog = '';
let workDir = null;
let base = '';
let browser = null;
let page = null;
const pageErrors = [];

async function api(method, path, body) {
  const res = await fetch(`${base}/api${path}`, {
    method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), 'rallyuxr-e2e-plan-'));
  ({ proc: server, base } = await startRallyuxr({
    port: await freePort(),
    database: join(workDir, 'e2e.db'),
    onLog: (c) => { serverLog = (serverLog + c).slice(-20000); },
    log: () => serverLog,
  }));
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(20_000);
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
});

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => { server.once('exit', r); setTimeout(r, 6000).unref(); });
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
});

test('plan from an earlier experiment, pick a duration, create with the plan, see the pace', async () => {
  // The source of variance: a finished (past) simulated experiment on the same metrics.
  const metrics = ['conversion_rate', 'click_through_rate'];
  const src = await api('POST', '/experiments', {
    name: 'Earlier checkout test', description: 'The source of variance for the plan', metrics,
    startDate: '2025-01-15', endDate: '2025-01-29', expectedOutcome: 'neutral', simulation: { seed: 5, prePeriodDays: 14 },
  });
  assert.equal(src.status, 201, JSON.stringify(src.body));
  const srcId = src.body.data.experimentId;
  for (let i = 0; i < 300; i++) {
    const r = await api('GET', `/experiments/${srcId}`);
    if (r.body.data.experiment.status === 'complete') break;
    await new Promise((ok) => setTimeout(ok, 100));
  }

  await page.goto(`${base}/experiments/new`);
  await page.getByTestId('plan-step').waitFor();
  await page.check('#f-dataSource-simulated');
  await page.fill('#f-name', 'Planned checkout test');
  await page.fill('#f-description', 'A one-page checkout, sized with the planner.');
  for (const m of metrics) await page.check(`#f-metric-${m}`);
  // The earlier experiment appears as a source once the list has loaded.
  await page.locator(`[data-testid="plan-source"] option[value="${srcId}"]`).waitFor({ state: 'attached' });
  await page.selectOption('[data-testid="plan-source"]', srcId);
  const planned = page.waitForResponse((r) => r.url() === `${base}/api/plans` && r.request().method() === 'POST');
  await page.getByTestId('plan-run').click();
  const planRes = await planned;
  assert.equal(planRes.status(), 200, await planRes.text());
  const plan = (await planRes.json()).data;
  assert.equal(plan.durations.length, 50);
  await page.getByTestId('plan-result').waitFor();
  assert.ok(await page.locator('[data-testid="plan-chart"] polyline').count() === 1, 'the chart is drawn');

  // Pick 21 days on the slider: it sets the end date and the readout.
  await page.locator('#f-plan-days').evaluate((el) => { el.value = '21'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  const start = await page.inputValue('#f-startDate');
  const end = await page.inputValue('#f-endDate');
  assert.equal((Date.parse(end) - Date.parse(start)) / DAY_MS, 21);
  const at21 = plan.durations.find((d) => d.days === 21);
  assert.match(await page.getByTestId('plan-readout').innerText(), /^21 days: can detect \$[\d,.]+\/day in total/);
  await page.screenshot({ path: join(SHOTS, 'plan-step.png'), fullPage: true });

  const created = page.waitForResponse((r) => r.url() === `${base}/api/experiments` && r.request().method() === 'POST');
  await page.getByTestId('submit').click();
  const res = await created;
  assert.equal(res.status(), 201, await res.text());
  const id = (await res.json()).data.experimentId;
  const stored = (await api('GET', `/experiments/${id}`)).body.data.experiment;
  assert.equal(stored.plan.days, 21);
  assert.equal(stored.plan.totalDailyDollarMde, at21.totalDailyDollarMde);
  assert.deepEqual(stored.plan.varianceSource, { kind: 'experiment', experimentId: srcId });
  assert.equal(stored.plan.metrics.conversion_rate.mde, at21.metrics.conversion_rate.mde);

  // Its page (simulated, ending in the future: running) says how far it is and what it can detect.
  await page.waitForURL(`${base}/experiments/${id}`);
  const pace = page.getByTestId('plan-pace');
  await pace.waitFor({ timeout: 60_000 });
  await page.getByTestId('plan-pace-mde').waitFor({ timeout: 20_000 });
  const line = (await pace.innerText()).replace(/\s+/g, ' ');
  assert.match(line, /^\d+ of 21 days; at this pace the experiment can detect \$[\d,.]+\/day by its end date/);
  assert.match(line, /Planned at creation: \$[\d,.]+\/day\./);
  await page.screenshot({ path: join(SHOTS, 'plan-pace.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});

test('plan from an uploaded history file (CSV), and a clear answer without a source', async () => {
  await page.goto(`${base}/experiments/new`);
  await page.getByTestId('plan-step').waitFor();
  await page.check('#f-metric-conversion_rate');
  // No source chosen: the page says what to provide, and no request is made.
  await page.getByTestId('plan-run').click();
  assert.match(await page.getByTestId('plan-status').innerText(), /real hours of both groups before any change/);
  // 21 days of hours of both groups, no change.
  const lines = ['metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize'];
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const t0 = Date.parse('2025-02-01T00:00:00Z');
  for (let h = 0; h < 21 * 24; h++) {
    const ts = new Date(t0 + h * 3_600_000).toISOString().replace('.000Z', 'Z');
    lines.push(`conversion_rate,${ts},${0.03 + 0.004 * rand()},${0.03 + 0.004 * rand()},500,500`);
  }
  await page.selectOption('[data-testid="plan-source"]', 'upload');
  await page.setInputFiles('[data-testid="plan-file"]', { name: 'history.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n') });
  await page.fill('[data-testid="plan-target"]', '400');
  const planned = page.waitForResponse((r) => r.url() === `${base}/api/plans` && r.request().method() === 'POST');
  await page.getByTestId('plan-run').click();
  const res = await planned;
  assert.equal(res.status(), 200, await res.text());
  const plan = (await res.json()).data;
  assert.equal(plan.varianceSource.kind, 'history');
  assert.equal(plan.varianceSource.metrics.conversion_rate.blocks, 21);
  await page.getByTestId('plan-result').waitFor();
  // With a target, the slider starts at the shortest duration that reaches it (or stays put).
  const status = await page.getByTestId('plan-status').innerText();
  assert.equal(status, plan.target.message);
  if (plan.target.reachedAtDays !== null) assert.equal(await page.inputValue('#f-plan-days'), String(plan.target.reachedAtDays));
  assert.deepEqual(pageErrors, []);
});
