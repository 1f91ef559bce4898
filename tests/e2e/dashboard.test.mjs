// End-to-end tests of the dashboard: the real rallyuxr binary on a temporary SQLite database, the
// built web bundle (web/dist), and Debian's headless Chromium driven by playwright-core.
//
//   node --test tests/e2e/
//
// Needs: `npm ci && npm run build` in web/ (playwright-core is a devDependency there), the binary
// (RALLYUXR_BIN, default build/src/rallyuxr), and /usr/bin/chromium (RALLYUXR_CHROMIUM overrides).
// Screenshots of every page go to build/e2e-screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const BIN = resolve(REPO, process.env.RALLYUXR_BIN ?? 'build/src/rallyuxr');
const WEB_DIST = join(REPO, 'web', 'dist');
const SHOTS = join(REPO, 'build', 'e2e-screenshots');
const FAIL_MARK = 'e2e-injected-failure';
const CHROMIUM = process.env.RALLYUXR_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

let server = null;
let serverLog = '';
let workDir = null;
let base = '';
let browser = null;
let page = null;
const pageErrors = [];
/** Shared between the scenarios, which run in order. */
const state = { experimentId: null, templateName: 'Button Color A/B Test' };

// --- the figures as the dashboard writes them (web/src/format.ts), reimplemented here ------------
const fmt = {
  money(v, { signed = false, cents } = {}) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    const d = (cents ?? Math.abs(v) < 100) ? 2 : 0;
    return new Intl.NumberFormat('en-US', {
      style: 'currency', currency: 'USD', minimumFractionDigits: d, maximumFractionDigits: d,
      signDisplay: signed ? 'exceptZero' : 'auto',
    }).format(v);
  },
  percent(v, { signed = false, decimals = 2 } = {}) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    return new Intl.NumberFormat('en-US', {
      style: 'percent', minimumFractionDigits: decimals, maximumFractionDigits: decimals,
      signDisplay: signed ? 'exceptZero' : 'auto',
    }).format(v);
  },
  pValue(p) {
    if (typeof p !== 'number' || !Number.isFinite(p)) return '—';
    return p < 0.0001 ? '< 0.0001' : p.toFixed(4);
  },
  number(v, { signed = false } = {}) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    const a = Math.abs(v);
    return new Intl.NumberFormat('en-US', {
      ...(a >= 1000 ? { maximumFractionDigits: 0 }
        : a >= 1 ? { minimumFractionDigits: 2, maximumFractionDigits: 2 } : { maximumSignificantDigits: 4 }),
      signDisplay: signed ? 'exceptZero' : 'auto',
    }).format(v);
  },
  metricValue(v, unit) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    if (unit === '%') return fmt.percent(v);
    if (unit === '$') return fmt.money(v, { cents: true });
    return `${fmt.number(v)} ${unit}`.trim();
  },
  metricDiff(v, unit) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return '—';
    if (unit === '%') return `${fmt.number(v * 100, { signed: true })} pp`;
    if (unit === '$') return fmt.money(v, { signed: true, cents: true });
    return `${fmt.number(v, { signed: true })} ${unit}`.trim();
  },
};

// --- helpers -------------------------------------------------------------------------------------
function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function apiGet(path) {
  const res = await fetch(`${base}/api${path}`);
  const body = await res.json();
  assert.equal(res.status, 200, `GET /api${path}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  assert.equal(body.success, true);
  return body.data;
}

async function shot(name, opts = {}) {
  // Notices come and go with timing; leave them out of the pictures of the pages.
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, ...opts });
}

async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** Counts the pixels of a canvas that are painted and not white. */
async function paintedPixels(container) {
  return container.locator('canvas').first().evaluate((c) => {
    const ctx = c.getContext('2d');
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let n = 0;
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a > 0 && !(r > 245 && g > 245 && b > 245)) n++;
      if (a > 200 && b > 200 && r < 60 && g < 150) blue++;
    }
    return { painted: n, blue, total: c.width * c.height };
  });
}

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
    const s = server;
    setTimeout(() => { if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL'); }, 5000).unref();
  }
}
process.on('exit', () => { if (server && server.exitCode === null) server.kill('SIGKILL'); });

// --- set-up and tear-down ------------------------------------------------------------------------
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  if (process.env.RALLYUXR_E2E_URL) {
    // Against a server that is already running (e.g. `make run`), for working on the dashboard.
    base = process.env.RALLYUXR_E2E_URL.replace(/\/$/, '');
  } else {
    await startServer();
  }
  await startBrowser();
});

async function startServer() {
  assert.ok(existsSync(BIN), `rallyuxr binary not found at ${BIN}; build it first or set RALLYUXR_BIN`);
  assert.ok(existsSync(join(WEB_DIST, 'index.html')), `${WEB_DIST}/index.html is missing; run "npm ci && npm run build" in web/`);
  workDir = mkdtempSync(join(tmpdir(), 'rallyuxr-e2e-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(BIN, [
    'serve', '--port', String(port), '--database', `sqlite:${join(workDir, 'e2e.db')}`,
    '--web-root', WEB_DIST, '--workers', '2',
    // Jobs of experiments named with FAIL_MARK fail, quickly (the trigger below): the failed-pipeline scenario.
    '--max-attempts', '2', '--retry-base-ms', '20',
  ], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk) => { serverLog = (serverLog + chunk).slice(-20000); };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`rallyuxr exited with ${server.exitCode} before it was ready:\n${serverLog}`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`rallyuxr did not answer /api/health within 30 s:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // A real fault: the database refuses the hourly rows of experiments named with FAIL_MARK.
  execFileSync('sqlite3', [join(workDir, 'e2e.db'),
    `CREATE TRIGGER e2e_refuse_points BEFORE INSERT ON result_points
     WHEN instr((SELECT name FROM experiments WHERE id = NEW.experiment_id), '${FAIL_MARK}') > 0
     BEGIN SELECT RAISE(ABORT, 'refused by the e2e trigger'); END;`]);
}

async function startBrowser() {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (Debian package "chromium")`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'en-US', timezoneId: 'UTC' });
  context.setDefaultTimeout(15_000);
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A 4xx answer logged by the browser for a request the test provokes is expected.
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      pageErrors.push(`console: ${m.text()}`);
    }
  });
}

after(async () => {
  try {
    if (browser) await browser.close();
  } finally {
    stopServer();
    if (server && server.exitCode === null) {
      await new Promise((r) => { server.once('exit', r); setTimeout(r, 6000).unref(); });
    }
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
});

// --- scenarios -----------------------------------------------------------------------------------
test('the dashboard loads and routes work', async () => {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { level: 1, name: 'Experiments' }).waitFor();
  const list = await apiGet('/experiments?limit=20&offset=0');
  assert.equal(await text(page.getByTestId('summary-total')), String(list.summary.totalExperiments));
  await shot('01-dashboard-first-start');

  // Client-side routes answer on a reload too (the server falls back to index.html).
  await page.goto(`${base}/metric-values`);
  await page.getByRole('heading', { level: 1, name: 'Metric values' }).waitFor();
  await page.goto(`${base}/no/such/page`);
  await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
});

test('create an experiment from a template and watch it complete', async () => {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: '+ New experiment' }).first().click();
  await page.waitForURL(`${base}/experiments/new`);
  await page.getByRole('button', { name: new RegExp(state.templateName) }).click();
  assert.equal(await page.inputValue('#f-name'), state.templateName);
  assert.equal(await page.isChecked('#f-metric-conversion_rate'), true);
  assert.equal(await page.isChecked('#f-metric-click_through_rate'), true);
  assert.equal(await page.inputValue('#f-implementationCost'), '12000');
  await shot('02-create-from-template');

  const created = page.waitForResponse((r) => r.url() === `${base}/api/experiments` && r.request().method() === 'POST');
  await page.getByTestId('submit').click();
  const res = await created;
  assert.equal(res.status(), 201, `POST /api/experiments answered ${res.status()}: ${await res.text()}`);
  const { data } = await res.json();
  state.experimentId = data.experimentId;
  await page.waitForURL(`${base}/experiments/${data.experimentId}`);
  await page.getByTestId('experiment-name').waitFor();
  assert.equal(await text(page.getByTestId('experiment-name')), state.templateName);
  await shot('03-experiment-after-create');

  // The page refreshes by itself until the pipeline is done.
  await page.getByTestId('total-impact').waitFor({ timeout: 60_000 });
  await page.locator('.exp-meta [data-status="complete"]').waitFor();
  const detail = await apiGet(`/experiments/${state.experimentId}`);
  assert.equal(detail.experiment.status, 'complete');
});

test('the results page shows the figures of the API', async () => {
  const { experiment, analysis } = await apiGet(`/experiments/${state.experimentId}/results`);
  assert.ok(analysis, 'the API has an analysis');
  const ei = analysis.economicImpact;
  await page.getByTestId('total-impact').waitFor();

  assert.equal(await text(page.getByTestId('total-impact')), fmt.money(ei.totalImpact, { signed: true }));
  assert.equal(await text(page.getByTestId('annualized-impact')), fmt.money(ei.annualizedImpact, { signed: true }));
  assert.equal(await text(page.getByTestId('significant-impact')), fmt.money(ei.significantImpact, { signed: true }));
  if (ei.totalImpactInterval) {
    assert.equal(await text(page.getByTestId('total-impact-interval')),
      `${fmt.money(ei.totalImpactInterval.lower)} to ${fmt.money(ei.totalImpactInterval.upper)}`);
  }
  assert.equal(await text(page.getByTestId('roi')),
    ei.roiPercentage === null ? 'Add a cost to see ROI' : fmt.percent(ei.roiPercentage / 100, { decimals: 0 }));
  assert.equal(await text(page.getByTestId('confidence')), `${experiment.confidenceLevel}%`);

  const snapshot = analysis.metricValuesSnapshot;
  for (const metricId of experiment.metrics) {
    const r = analysis.didResults[metricId];
    const unit = snapshot[metricId].unit;
    const row = page.locator(`[data-testid="metrics"] tr[data-metric="${metricId}"]`);
    const cell = (id) => text(row.getByTestId(id));
    assert.equal(await cell('control-mean'), fmt.metricValue(r.controlMean, unit), `${metricId} control mean`);
    assert.equal(await cell('treatment-mean'), fmt.metricValue(r.treatmentMean, unit), `${metricId} treatment mean`);
    assert.equal(await cell('abs-lift'), fmt.metricDiff(r.absoluteDifference, unit), `${metricId} lift`);
    assert.equal(await cell('rel-lift'), fmt.percent(r.relativeDifference, { signed: true }), `${metricId} relative lift`);
    assert.equal(await cell('p-value'), fmt.pValue(r.pValue), `${metricId} p-value`);
    assert.equal(await cell('adj-p-value'), fmt.pValue(r.adjustedPValue), `${metricId} adjusted p-value`);
    assert.equal(await cell('dollar-impact'), fmt.money(ei.metricBreakdown[metricId].dollarImpact, { signed: true }), `${metricId} dollars`);
    const verdict = await cell('significance');
    assert.equal(r.significant, verdict.startsWith('Significant'), `${metricId} significance badge: ${verdict}`);
  }
  await shot('04-experiment-results');
});

test('the charts are drawn', async () => {
  for (const id of ['chart-comparison', 'chart-difference']) {
    const area = page.getByTestId(id);
    await area.locator('canvas').first().waitFor();
    const px = await paintedPixels(area);
    assert.ok(px.painted > px.total * 0.005, `${id}: only ${px.painted} of ${px.total} pixels painted`);
  }
  const daily = await paintedPixels(page.getByTestId('chart-comparison'));
  assert.ok(daily.blue > 50, `the treatment series (blue) is drawn: ${daily.blue} blue pixels`);

  await page.getByRole('button', { name: 'Hourly', exact: true }).click();
  await page.waitForFunction(() => new URL(location.href).searchParams.get('view') === 'hourly');
  const hourly = await paintedPixels(page.getByTestId('chart-comparison'));
  assert.ok(hourly.blue > 50, 'the hourly treatment series is drawn');
  await page.getByTestId('chart-comparison').scrollIntoViewIfNeeded();
  await page.getByTestId('chart-comparison').screenshot({ path: join(SHOTS, '05-chart-hourly.png') });
  await page.getByRole('button', { name: 'Daily', exact: true }).click();
});

/** Clicks an export button; fails at once with the server's answer when it is not a 200. */
async function exportDownload(testId, path) {
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === path);
  const download = page.waitForEvent('download');
  download.catch(() => {});
  await page.getByTestId(testId).click();
  const res = await answer;
  assert.equal(res.status(), 200, `GET ${path} answered ${res.status()}: ${(await res.text()).slice(0, 300)}`);
  return download;
}

test('Export CSV downloads the analysis and the hourly data', async () => {
  const d1 = await exportDownload('export-csv', `/api/experiments/${state.experimentId}/analysis.csv`);
  assert.match(d1.suggestedFilename(), /\.csv$/);
  const body1 = readFileSync(await d1.path(), 'utf8');
  assert.ok(body1.split('\n').length >= 3, `analysis CSV has a header and a row per metric:\n${body1.slice(0, 500)}`);
  assert.match(body1, /conversion_rate/);

  const d2 = await exportDownload('export-results-csv', `/api/experiments/${state.experimentId}/results.csv`);
  assert.match(d2.suggestedFilename(), /\.csv$/);
  const body2 = readFileSync(await d2.path(), 'utf8');
  assert.match(body2.split('\n')[0], /^metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize/);
});

test('Print report gives a one-page report', async () => {
  await page.emulateMedia({ media: 'print' });
  await shot('06-print-report');
  const pdf = await page.pdf({ path: join(SHOTS, '06-print-report.pdf'), format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.equal(pages, 1, `the printed report has ${pages} pages`);
});

test('Create follow-up prefills the form', async () => {
  await page.getByTestId('follow-up').click();
  await page.waitForURL(`${base}/experiments/new?from=${state.experimentId}`);
  await page.getByTestId('submit').waitFor();
  assert.equal(await page.inputValue('#f-name'), `${state.templateName} (follow-up)`);
  assert.equal(await page.isChecked('#f-metric-conversion_rate'), true);
  await shot('07-create-follow-up');
});

test('the dashboard lists the experiment with the API figures, search and filter', async () => {
  await page.goto(`${base}/`);
  const list = await apiGet('/experiments?limit=20&offset=0');
  const x = list.experiments.find((e) => e.id === state.experimentId);
  assert.ok(x, 'the API lists the experiment');
  await page.getByTestId('experiment-table').waitFor();
  assert.equal(await text(page.getByTestId('summary-total')), new Intl.NumberFormat('en-US').format(list.summary.totalExperiments));
  assert.equal(await text(page.getByTestId('summary-completed')), new Intl.NumberFormat('en-US').format(list.summary.completedExperiments));
  assert.equal(await text(page.getByTestId('summary-impact')), fmt.money(list.summary.totalEconomicImpact));
  const row = page.locator(`tr[data-id="${state.experimentId}"]`);
  assert.equal(await text(row.locator('td.money')), fmt.money(x.economicImpact, { signed: true }));
  await shot('08-dashboard');

  await page.getByLabel('Search by name').fill('no experiment is called this');
  await page.getByText('No experiment matches.').waitFor();
  await page.getByLabel('Search by name').fill('button color');
  await row.waitFor();
  await page.getByLabel('Status').selectOption('complete');
  await row.waitFor();
  await page.getByLabel('Status').selectOption('draft');
  await page.getByText('No experiment matches.').waitFor();
});

test('edit a metric value and see the new history row', async () => {
  await page.goto(`${base}/metric-values`);
  await page.getByTestId('metric-table').waitFor();
  await shot('09-metric-values');
  const before = (await apiGet('/metric-values')).metrics.find((m) => m.metricId === 'conversion_rate');
  const newValue = Math.round(before.dollarsPerUnit * 1.25 + 7);
  const reason = 'Finance revised the margin (e2e)';

  const row = page.locator('[data-testid="metric-table"] tr[data-metric="conversion_rate"]');
  await row.getByTestId('edit').click();
  await page.getByLabel('Value per unit ($ per day)').fill(String(newValue));
  await page.getByLabel('Reason for the change').fill(reason);
  await shot('10-metric-edit');
  await page.getByTestId('save-metric').click();

  const historyRow = page.locator(`tr[data-history-for="conversion_rate"] tr[data-version="${before.version + 1}"]`);
  await historyRow.waitFor();
  const rowText = await text(historyRow);
  assert.ok(rowText.includes(fmt.money(newValue)), `history row shows ${fmt.money(newValue)}: ${rowText}`);
  assert.ok(rowText.includes(reason), `history row shows the reason: ${rowText}`);
  assert.equal(await text(row.getByTestId('dollars-per-unit')), fmt.money(newValue));

  const { history } = await apiGet('/metric-values/conversion_rate/history');
  assert.equal(history[0].version, before.version + 1);
  assert.equal(history[0].dollarsPerUnit, newValue);
  await shot('11-metric-history');
});

test('an invalid form shows the API validation details next to the fields', async () => {
  await page.goto(`${base}/experiments/new`);
  await page.getByTestId('submit').waitFor();
  await page.fill('#f-name', '');
  for (const cb of await page.locator('input[name="metrics"]:checked').all()) await cb.uncheck();
  await page.fill('#f-startDate', '2025-03-10');
  await page.fill('#f-endDate', '2025-03-01');
  await page.fill('#f-confidenceLevel', '150');

  const answer = page.waitForResponse((r) => r.url() === `${base}/api/experiments` && r.request().method() === 'POST');
  await page.getByTestId('submit').click();
  const res = await answer;
  assert.equal(res.status(), 400);
  const body = await res.json();
  const details = body.error.details;
  assert.ok(Array.isArray(details) && details.length >= 3, `the API lists each problem: ${JSON.stringify(body.error)}`);
  await page.getByTestId('error-summary').waitFor();

  const fieldOf = (path) => String(Array.isArray(path) ? path[0] : path).split(/[.[]/)[0];
  const keys = new Set(details.map((d) => fieldOf(d.path)));
  for (const key of ['name', 'metrics', 'endDate', 'confidenceLevel']) {
    assert.ok(keys.has(key), `the API names ${key} among ${[...keys].join(', ')}`);
  }
  for (const d of details) {
    const key = fieldOf(d.path);
    const slot = page.locator(`#f-${key}-error`);
    if (await slot.count() === 0) continue; // a field the form does not show (reported in the summary)
    assert.ok(await slot.isVisible(), `${key}: inline error is visible`);
    assert.ok((await text(slot)).includes(d.message), `${key}: inline error says "${d.message}"`);
  }
  assert.equal(await page.getAttribute('#f-name', 'aria-invalid'), 'true');
  // Focus moves to the first invalid field, for keyboard users.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-invalid')), 'true');
  await shot('12-create-invalid');
});

test('the create form works from the keyboard', async () => {
  await page.goto(`${base}/experiments/new`);
  await page.getByTestId('submit').waitFor();
  await page.locator('body').focus();
  // Tab from the top of the page to the first template, choose it with Enter.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => !!document.activeElement?.closest('[data-template]'))) break;
  }
  assert.equal(await page.evaluate(() => document.activeElement?.closest('[data-template]')?.dataset.template), 'button-color');
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue('#f-name'), state.templateName);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-pressed')), 'true');
  // Every form control has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('main input, main select, main textarea')]
    .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map((el) => el.id || el.name));
  assert.deepEqual(unlabelled, []);
});

test('an imported experiment takes a CSV upload and shows its analysis', async () => {
  // The hourly data of the simulated experiment, in the import CSV format.
  const source = await apiGet(`/experiments/${state.experimentId}/results`);
  const lines = ['metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize'];
  for (const [metricId, m] of Object.entries(source.results.metrics)) {
    for (const p of m.timeSeries) {
      lines.push([metricId, p.timestamp, p.treatmentValue, p.controlValue, p.treatmentSampleSize, p.controlSampleSize].join(','));
    }
  }

  await page.goto(`${base}/experiments/new`);
  await page.getByRole('button', { name: new RegExp(state.templateName) }).click();
  await page.fill('#f-name', 'Imported button test');
  await page.locator('details.advanced summary').click();
  await page.check('#f-dataSource-imported');
  await page.getByTestId('submit').click();
  await page.waitForURL((url) => /^\/experiments\/[^/]+$/.test(url.pathname) && !url.pathname.endsWith('/new'));
  const importedId = page.url().split('/').pop();

  await page.getByRole('heading', { name: 'Upload your data' }).waitFor({ timeout: 20_000 });
  await shot('16-imported-awaiting-data');
  await page.setInputFiles('#import-file', { name: 'hourly.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n') });
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/experiments/${importedId}/results` && r.request().method() === 'PUT');
  await page.getByRole('button', { name: 'Replace all data' }).click();
  const res = await answer;
  assert.equal(res.status(), 200, `PUT results answered ${res.status()}: ${(await res.text()).slice(0, 300)}`);

  await page.getByTestId('total-impact').waitFor({ timeout: 60_000 });
  const { analysis } = await apiGet(`/experiments/${importedId}/results`);
  assert.equal(await text(page.getByTestId('total-impact')), fmt.money(analysis.economicImpact.totalImpact, { signed: true }));
  for (const metricId of Object.keys(source.results.metrics)) {
    // The same hours give the same effect as in the simulated experiment they came from.
    const lift = analysis.didResults[metricId].absoluteDifference;
    assert.equal(lift, source.analysis.didResults[metricId].absoluteDifference, `${metricId}: imported data round-trips`);
    const unit = analysis.metricValuesSnapshot[metricId].unit;
    assert.equal(await text(page.locator(`tr[data-metric="${metricId}"]`).getByTestId('abs-lift')), fmt.metricDiff(lift, unit));
  }
  await shot('17-imported-results');
});

test('the metric catalogue exports to JSON and imports back with changes', async () => {
  await page.goto(`${base}/metric-values`);
  await page.getByTestId('metric-table').waitFor();
  const downloading = page.waitForEvent('download');
  await page.getByTestId('export-json').click();
  const file = await downloading;
  assert.match(file.suggestedFilename(), /\.json$/);
  const exported = JSON.parse(readFileSync(await file.path(), 'utf8'));
  const current = (await apiGet('/metric-values')).metrics;
  assert.equal(exported.metrics.length, current.length);

  const changed = exported.metrics.find((m) => m.metricId === 'bounce_rate');
  changed.dollarsPerUnit = Math.round(changed.dollarsPerUnit * 1.5 + 3);
  exported.metrics.push({
    metricId: 'newsletter_signup_rate', name: 'Newsletter Signup Rate', unit: '%', category: 'engagement',
    dollarsPerUnit: 75, description: 'Each point of signups adds about 40 subscribers a day worth $1.90 each.',
  });
  await page.setInputFiles('#import-json', {
    name: 'catalogue.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(exported)),
  });
  const dialog = page.getByRole('dialog');
  await dialog.getByText('1 new, 1 changed').waitFor();
  await shot('18-metric-import-preview');
  await dialog.getByRole('button', { name: 'Apply import' }).click();
  await dialog.getByText('2 applied').waitFor();
  await dialog.getByRole('button', { name: 'Done' }).click();

  const after = (await apiGet('/metric-values')).metrics;
  assert.equal(after.find((m) => m.metricId === 'bounce_rate').dollarsPerUnit, changed.dollarsPerUnit);
  assert.ok(after.some((m) => m.metricId === 'newsletter_signup_rate'), 'the new metric exists');
  await page.locator('tr[data-metric="newsletter_signup_rate"]').waitFor();
});

test('Re-run analysis uses the new metric value and adds to the history', async () => {
  await page.goto(`${base}/experiments/${state.experimentId}`);
  await page.getByTestId('total-impact').waitFor();
  const history = page.locator('[data-testid="analysis-history"] tbody tr');
  const before = await history.count();
  await page.getByTestId('reanalyse').click();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="analysis-history"] tbody tr').length === n + 1, before, { timeout: 30_000 });

  const { analyses } = await apiGet(`/experiments/${state.experimentId}/analyses`);
  assert.equal(analyses.length, before + 1);
  const { analysis } = await apiGet(`/experiments/${state.experimentId}/results`);
  assert.equal(analysis.analysisId, analyses[0].analysisId, 'the results show the newest analysis');
  const used = (await apiGet('/metric-values')).metrics.find((m) => m.metricId === 'conversion_rate').dollarsPerUnit;
  assert.equal(analysis.metricValuesSnapshot.conversion_rate.dollarsPerUnit, used);
  assert.equal(await text(page.getByTestId('total-impact')), fmt.money(analysis.economicImpact.totalImpact, { signed: true }));
  assert.ok((await text(history.first())).includes(fmt.money(used)), 'the newest history row names the value used');
  await shot('13-experiment-reanalysed');
});

test('a failing pipeline shows its error on the experiment page', async (t) => {
  if (!server) {
    t.skip('needs the server started by the test (its database trigger fails the job)');
    return;
  }
  const res = await fetch(`${base}/api/experiments`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: `Hero copy ${FAIL_MARK}`, description: 'The pipeline of this one fails on purpose.',
      metrics: ['conversion_rate'], startDate: '2025-01-15', endDate: '2025-01-29', expectedOutcome: 'positive',
    }),
  });
  assert.equal(res.status, 201);
  const { data } = await res.json();
  await page.goto(`${base}/experiments/${data.experimentId}`);
  const progress = page.getByTestId('progress');
  await progress.getByText('The pipeline failed').waitFor({ timeout: 30_000 });
  const { jobs } = await apiGet(`/experiments/${data.experimentId}/events`);
  const failed = jobs.find((j) => j.status === 'failed');
  assert.ok(failed, 'the API reports a failed job');
  if (failed.lastError) assert.ok((await text(progress)).includes(failed.lastError), 'the job error is shown');
  await shot('14-experiment-pipeline-failed');
});

test('Archive removes an experiment from the list', async () => {
  await page.goto(`${base}/experiments/${state.experimentId}`);
  await page.getByTestId('archive').waitFor();
  page.once('dialog', (d) => d.accept());
  await page.getByTestId('archive').click();
  await page.waitForURL(`${base}/`);
  await page.getByRole('heading', { level: 1, name: 'Experiments' }).waitFor();
  const list = await apiGet('/experiments?limit=100&offset=0');
  assert.ok(!list.experiments.some((e) => e.id === state.experimentId), 'gone from the default list');
  await page.getByLabel('Status').selectOption('archived');
  await page.locator(`tr[data-id="${state.experimentId}"] [data-status="archived"]`).waitFor();
  await shot('15-dashboard-archived');
});

test('no script errors on any page', () => {
  assert.deepEqual(pageErrors, []);
});
