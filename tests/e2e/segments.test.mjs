// End-to-end test of the segment picker (issue 17): the real rallyuxr binary on a temporary SQLite
// database, the built web bundle (web/dist) and Debian's headless Chromium (playwright-core).
// An imported experiment receives, through the page's upload form, a results JSON with only a
// `segments` object (device: desktop with no effect, mobile with a clear gain, tablet with a clear
// loss and a lopsided split), so the overall series is derived from the segments. Then the
// results page's segment picker: the forest plot across the segments with the overall as the
// reference line, each segment's verdict, dollars and sample-ratio flag, the heterogeneity test in
// words, a segment's charts (GET .../results?dimension=device), the deep link, the keyboard, 1366
// and 390 px with axe-core; the list's "segments disagree" badge; the printed report's sentence;
// and a simulated experiment's segments (the simulator's device segments), never a win or a loss.
//
//   node --test tests/e2e/segments.test.mjs
//
// Needs what dashboard.test.mjs needs: `npm ci && npm run build` in web/, the binary (RALLYUXR_BIN,
// default build/src/rallyuxr) and /usr/bin/chromium (RALLYUXR_CHROMIUM). Screenshots and the
// printed report go to tests/e2e/screenshots/ (git-ignored) as segments-*.
//
// The figures the page should show are computed with the dashboard's own pure modules
// (web/src/segments.ts, format.ts), bundled here with esbuild, from the API's answers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, SHOTS, freePort, launchChromium, startRallyuxr, webRequire, noHorizontalScroll } from './harness.mjs';

const esbuild = webRequire('esbuild');
const AXE_SOURCE = readFileSync(webRequire.resolve('axe-core/axe.min.js'), 'utf8');

async function dashboardModule(file) {
  const r = await esbuild.build({
    entryPoints: [join(REPO, 'web', 'src', file)], bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent',
  });
  return import('data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64'));
}
const fmt = await dashboardModule('format.ts');
const seg = await dashboardModule('segments.ts');

const HOUR_MS = 3_600_000;
const START = '2025-01-15';
const END = '2025-01-29';
const PRE_DAYS = 7;
const METRICS = ['conversion_rate', 'click_through_rate'];
/** Per segment: users per hour and arm, and the true effect on each metric in the experiment period. */
const DESIGN = {
  desktop: { treatment: 900, control: 900, effect: { conversion_rate: 0, click_through_rate: 0 } },
  mobile: { treatment: 900, control: 900, effect: { conversion_rate: 0.008, click_through_rate: 0 } },
  // A loss, and a lopsided split (fewer users in treatment than planned): a sample ratio mismatch.
  tablet: { treatment: 200, control: 260, effect: { conversion_rate: -0.012, click_through_rate: 0 } },
};
const BASE = { conversion_rate: 0.03, click_through_rate: 0.12 };

let server = null;
let serverLog = '';
let workDir = null;
let base = '';
let browser = null;
let page = null;
const pageErrors = [];
const axeResults = {};
const state = { id: null, experiment: null, analysis: null, results: null, names: {} };

// --- helpers -------------------------------------------------------------------------------------
async function apiGet(path) {
  const res = await fetch(`${base}/api${path}`);
  const body = await res.json();
  assert.equal(res.status, 200, `GET /api${path}: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.data;
}

async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

/** The text as written (tags are shown in capitals by CSS; innerText would say so). */
async function written(locator) {
  return (await locator.textContent()).replace(/\s+/g, ' ').trim();
}

async function shot(name, opts = {}) {
  await page.evaluate(() => document.querySelectorAll('.toast').forEach((t) => t.remove()));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true, ...opts });
}

async function axe(name) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  const bad = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeResults[name] = { violations: result.length, seriousOrCritical: bad, minorOrModerate: result.filter((v) => !bad.includes(v)).map((v) => `${v.id} (${v.impact})`) };
  writeFileSync(join(SHOTS, 'segments-axe-results.json'), JSON.stringify(axeResults, null, 2));
  return bad;
}

/** Seeded normal noise (Park–Miller and Box–Muller), so the data is the same on every run. */
function normal(seed) {
  let s = seed;
  const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** The upload: only segments (the overall series is their sum per hour, derived by the server). */
function segmentUpload() {
  const noise = normal(17);
  const t0 = Date.parse(`${START}T00:00:00Z`) - PRE_DAYS * 24 * HOUR_MS;
  const t1 = Date.parse(`${END}T00:00:00Z`);
  const start = Date.parse(`${START}T00:00:00Z`);
  const device = {};
  for (const [name, d] of Object.entries(DESIGN)) {
    const metrics = {};
    for (const m of METRICS) {
      const timeSeries = [];
      for (let t = t0; t < t1; t += HOUR_MS) {
        const nt = d.treatment + Math.round(noise() * 15);
        const nc = d.control + Math.round(noise() * 15);
        const p = BASE[m];
        const sd = (n) => Math.sqrt((p * (1 - p)) / n);
        const lift = t >= start ? d.effect[m] : 0;
        timeSeries.push({
          timestamp: new Date(t).toISOString().replace('.000Z', 'Z'),
          treatmentValue: +Math.min(1, Math.max(0, p + lift + noise() * sd(nt))).toFixed(6),
          controlValue: +Math.min(1, Math.max(0, p + noise() * sd(nc))).toFixed(6),
          treatmentSampleSize: nt,
          controlSampleSize: nc,
        });
      }
      metrics[m] = { timeSeries };
    }
    device[name] = { metrics };
  }
  return { segments: { device } };
}

/** What the page should show for one metric, by the dashboard's own rules, from the API's answer. */
function expectedForest(metric) {
  const { experiment: x, analysis: a, results } = state;
  const snap = a.metricValuesSnapshot?.[metric];
  const direction = a.economicImpact?.metricBreakdown?.[metric]?.improvementDirection ?? snap?.improvementDirection ?? 'increase';
  return seg.segmentForest(x, a, 'device', metric, { direction, unit: snap?.unit ?? '%', segments: results.dimensions.device, now: Date.now() });
}

async function checkSegmentView(metric) {
  const f = expectedForest(metric);
  const view = page.getByTestId('segments');
  const rows = view.locator('[data-testid="segment-table"] tbody tr[data-segment]');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.segment)), f.rows.map((r) => r.segment), `${metric}: a row per segment`);
  for (const r of f.rows) {
    const row = view.locator(`tr[data-segment="${r.segment}"]`);
    assert.equal(await row.getByTestId('segment-verdict').getAttribute('data-verdict'), r.verdict.kind, `${metric} ${r.segment}: verdict`);
    assert.equal(await text(row.getByTestId('segment-verdict')), r.verdict.label);
    const change = await text(row.getByTestId('segment-change'));
    // Decisive: the estimate with its interval; otherwise only the range, muted.
    assert.equal(change, r.verdict.decisive ? r.effect.value : r.effect.interval, `${metric} ${r.segment}: change`);
    assert.equal(await text(row.getByTestId('segment-dollars')), r.dollars.text, `${metric} ${r.segment}: dollars`);
    if (!r.dollars.decisive) assert.match(r.dollars.text, / to |—/, 'not decisive: a range');
    const srm = await written(row.getByTestId('segment-srm'));
    assert.equal(srm.startsWith('mismatch'), r.srmDetected, `${metric} ${r.segment}: SRM flag (${srm})`);
  }
  assert.equal(await view.getByTestId('segment-overall-verdict').getAttribute('data-verdict'), f.overall.verdict.kind, `${metric}: all users`);
  // The forest plot: one bar per segment with an interval, the overall as the dashed reference.
  const forest = view.getByTestId('segment-forest');
  assert.equal(await forest.locator('rect.forest-bar').count(), f.rows.filter((r) => r.shown?.interval).length);
  assert.equal(await forest.locator('line.forest-ref').count(), f.overall.value === null ? 0 : 1);
  const label = await forest.locator('.forest-body').getAttribute('aria-label');
  for (const r of seg.forestRows(f)) assert.ok(label.includes(`${r.label}, ${r.verdict}, ${r.text}`), `aria-label names ${r.label}: ${label}`);
  // The heterogeneity test in words.
  const words = seg.heterogeneityWords(f.heterogeneity, state.analysis.alpha);
  assert.equal(await text(view.getByTestId('heterogeneity-headline')), words.headline);
  assert.equal(await text(view.getByTestId('heterogeneity-detail')), words.detail);
  assert.equal(await view.getByTestId('heterogeneity').getAttribute('data-significant'), String(words.significant));
  return f;
}


process.on('exit', () => { if (server && server.exitCode === null) server.kill('SIGKILL'); });

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  workDir = mkdtempSync(join(tmpdir(), 'rallyuxr-e2e-segments-'));
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
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) pageErrors.push(`console: ${m.text()}`);
  });
  for (const v of (await apiGet('/metric-values')).metrics) state.names[v.metricId] = v.name;
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

// --- scenarios -----------------------------------------------------------------------------------
test('a results JSON with segments, uploaded on the page, gives the segment picker', async () => {
  const created = await fetch(`${base}/api/experiments`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'Checkout by device', description: 'One-page checkout; did it work on mobile?', metrics: METRICS,
      startDate: START, endDate: END, expectedOutcome: 'positive', dataSource: 'imported', implementationCost: 5000,
    }),
  });
  const cj = await created.json();
  assert.equal(created.status, 201, JSON.stringify(cj).slice(0, 300));
  state.id = cj.data.experimentId;

  await page.goto(`${base}/experiments/${state.id}`);
  await page.getByRole('heading', { name: 'Upload your data' }).waitFor({ timeout: 30_000 });
  const upload = segmentUpload();
  await page.setInputFiles('#import-file', { name: 'by-device.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(upload)) });
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === `/api/experiments/${state.id}/results` && r.request().method() === 'PUT');
  await page.getByTestId('upload-merge').click();
  const res = await answer;
  const summary = await res.json();
  assert.equal(res.status(), 200, `PUT results answered ${res.status()}: ${JSON.stringify(summary).slice(0, 400)}`);
  assert.equal(summary.data.overallDerivedFromSegments, true, 'only segments were sent: the overall is derived, and the answer says so');
  assert.ok((summary.data.warnings ?? []).length >= 1, 'with a warnings entry');

  // The analysis follows by itself; the page shows it, with the segment picker.
  await page.getByTestId('segments').waitFor({ timeout: 60_000 });
  for (let i = 0; i < 600; i++) {
    const r = await apiGet(`/experiments/${state.id}/results`);
    if (r.experiment.status === 'complete' && r.analysis?.status === 'complete') {
      Object.assign(state, { experiment: r.experiment, analysis: r.analysis, results: r.results });
      break;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.ok(state.analysis, 'the analysis completed');
  assert.deepEqual(state.results.dimensions, { device: ['desktop', 'mobile', 'tablet'] });
  assert.deepEqual(Object.keys(state.analysis.segments.device).sort(), ['desktop', 'mobile', 'tablet']);
  // The server's remark on the derived overall is on the page.
  await page.getByTestId('upload-server-warnings').waitFor();

  assert.equal(await page.inputValue('#seg-dimension'), 'device');
  assert.equal(await page.inputValue('#seg-metric'), 'conversion_rate');
  const f = await checkSegmentView('conversion_rate');
  // The design: a gain on mobile, a loss on tablet (with its lopsided split), effects that differ.
  const kind = Object.fromEntries(f.rows.map((r) => [r.segment, r.verdict.kind]));
  assert.equal(kind.mobile, 'win');
  assert.equal(kind.tablet, 'loss');
  assert.equal(f.rows.find((r) => r.segment === 'tablet').srmDetected, true, 'the lopsided tablet split is a sample ratio mismatch');
  assert.equal(f.heterogeneity.significant, true, 'Cochran\'s Q finds the segments differ');
  assert.ok(f.heterogeneity.welch && f.heterogeneity.welch.pValue < state.analysis.alpha, `so does Welch's test: ${JSON.stringify(f.heterogeneity.welch)}`);
  assert.equal(await page.getByTestId('heterogeneity').getAttribute('data-level'), 'differ');
  assert.match(await text(page.getByTestId('heterogeneity-detail')), /^Cochran's Q = [\d.,]+ on 2 degrees of freedom, p [<=] [\d.]+; Welch's F = /);
  assert.equal(await text(page.getByTestId('heterogeneity-headline')), 'Effects differ between segments.');
  await page.getByTestId('segment-srm-warning').waitFor();
  // Under the verdict: the segments disagree.
  assert.equal(await written(page.getByTestId('verdict-segments')),
    `Segments disagree significantly: ${seg.disagreementList(seg.segmentDisagreements(state.analysis), (m) => state.names[m] ?? m)}. The overall figure averages segments that responded differently; see Results by segment.`);
  await shot('segments-1366');
  await page.getByTestId('segments').screenshot({ path: join(SHOTS, 'segments-1366-panel.png') });

  // Another metric: its own rows and test.
  await page.selectOption('#seg-metric', 'click_through_rate');
  await checkSegmentView('click_through_rate');
  assert.match(page.url(), /segmentMetric=click_through_rate/);
  await page.selectOption('#seg-metric', 'conversion_rate');
  await checkSegmentView('conversion_rate');
});

test('a segment\'s charts: chosen from the table by keyboard, loaded from results?dimension=device, kept in the link', async () => {
  assert.ok(state.analysis, 'needs the first scenario');
  const dimRes = await apiGet(`/experiments/${state.id}/results?dimension=device`);
  assert.equal(dimRes.dimension, 'device');
  assert.deepEqual(Object.keys(dimRes.segments).sort(), ['desktop', 'mobile', 'tablet']);
  const unknown = await fetch(`${base}/api/experiments/${state.id}/results?dimension=country`);
  const uj = await unknown.json();
  assert.equal(unknown.status, 404);
  assert.equal(uj.error?.code, 'NOT_FOUND');

  // Keyboard: Tab to the tablet's button in the table, Enter.
  const charts = page.getByTestId('segment-charts');
  assert.match(await text(charts), /Choose a segment/);
  const fetched = page.waitForResponse((r) => { const u = new URL(r.url()); return u.pathname === `/api/experiments/${state.id}/results` && u.searchParams.get('dimension') === 'device'; });
  await page.getByRole('button', { name: 'Show the charts of tablet' }).focus();
  await page.keyboard.press('Enter');
  assert.equal((await fetched).status(), 200);
  await page.getByTestId('segment-charts-title').waitFor();
  assert.equal(await text(page.getByTestId('segment-charts-title')), `tablet: ${state.names.conversion_rate ?? 'conversion_rate'} over time`);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'segment-charts-title', 'focus moves to the charts');
  assert.equal(await page.getByRole('button', { name: 'Show the charts of tablet' }).getAttribute('aria-pressed'), 'true');
  assert.equal(await page.inputValue('#seg-segment'), 'tablet');
  for (const id of ['segment-chart-comparison', 'segment-chart-difference']) {
    assert.equal(await page.getByTestId(id).locator('canvas').count() >= 1, true, `${id} drawn`);
  }
  // The data table has one row per day of the tablet's series (pre period included).
  const days = new Set(dimRes.segments.tablet.metrics.conversion_rate.timeSeries.map((p) => p.timestamp.slice(0, 10)));
  assert.equal(await page.getByTestId('segment-chart-table').locator('tbody tr').count(), days.size);
  assert.match(page.url(), /dimension=device/);
  assert.match(page.url(), /segment=tablet/);
  await shot('segments-1366-tablet-charts');

  // The select does the same; the link keeps the choice.
  await page.selectOption('#seg-segment', 'mobile');
  await page.waitForFunction(() => document.querySelector('[data-testid="segment-charts-title"]')?.textContent?.startsWith('mobile:'));
  await page.reload();
  await page.getByTestId('segment-charts-title').waitFor({ timeout: 30_000 });
  assert.match(await text(page.getByTestId('segment-charts-title')), /^mobile: /);
  assert.equal(await page.inputValue('#seg-segment'), 'mobile');
});

test('1366 and 390 px: readable, no sideways scrolling, nothing serious for axe-core', async () => {
  assert.ok(state.analysis, 'needs the first scenario');
  const problems = [];
  for (const width of [1366, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${base}/experiments/${state.id}?dimension=device&segment=mobile`);
    await page.getByTestId('segment-charts-title').waitFor({ timeout: 30_000 });
    await page.waitForTimeout(300); // charts size themselves to the column
    if (width === 390) {
      const w = await noHorizontalScroll(page);
      if (w.scrollWidth > w.clientWidth) problems.push(`@390: the page scrolls sideways (${w.scrollWidth} > ${w.clientWidth}): ${w.wide.join(', ')}`);
    }
    await page.getByTestId('segments').scrollIntoViewIfNeeded();
    await page.getByTestId('segments').screenshot({ path: join(SHOTS, `segments-${width}-panel.png`) });
    if (width === 390) await shot('segments-390');
    for (const v of await axe(`segments@${width}`)) problems.push(`@${width}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(' | ')}`);
  }
  await page.setViewportSize({ width: 1366, height: 900 });
  assert.deepEqual(problems, []);
});

test('the list says the segments disagree; the printed report too', async () => {
  assert.ok(state.analysis, 'needs the first scenario');
  await page.goto(`${base}/`);
  await page.getByTestId('experiment-table').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="row-verdict"] .muted'));
  const list = await apiGet('/experiments?limit=100&offset=0');
  for (const x of list.experiments) {
    const a = (await apiGet(`/experiments/${x.id}/analysis`)).analysis;
    const disagree = seg.segmentDisagreements(a).length > 0;
    const badge = page.locator(`tr[data-id="${x.id}"] [data-testid="row-segments-disagree"]`);
    assert.equal(await badge.count(), disagree ? 1 : 0, `${x.name}: badge`);
    if (disagree) {
      assert.equal(await written(badge), `segments disagree significantly: ${seg.disagreementList(seg.segmentDisagreements(a), (m) => state.names[m] ?? m)}`);
      assert.equal(await badge.getAttribute('title'), seg.disagreementText(seg.segmentDisagreements(a), (m) => state.names[m] ?? m));
    }
  }
  assert.equal(await page.locator(`tr[data-id="${state.id}"] [data-testid="row-segments-disagree"]`).count(), 1);
  await shot('segments-list');

  await page.goto(`${base}/experiments/${state.id}`);
  await page.getByTestId('segments').waitFor({ timeout: 30_000 });
  await page.emulateMedia({ media: 'print' });
  const report = page.getByTestId('report-segments');
  assert.ok(await report.isVisible(), 'the report has a segments part');
  assert.equal(await text(page.getByTestId('report-segments-summary')),
    `${seg.disagreementText(seg.segmentDisagreements(state.analysis), (m) => state.names[m] ?? m)} The overall figures average segments that responded differently.`);
  assert.ok(await page.getByTestId('segment-forest').isVisible(), 'the forest plot prints');
  assert.equal(await page.getByTestId('segment-charts').isVisible(), false, 'the segment charts and controls do not');
  await shot('segments-print-report');
  const pdf = await page.pdf({ path: join(SHOTS, 'segments-print-report-Letter.pdf'), format: 'Letter', printBackground: true });
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
  assert.ok(pages >= 1 && pages <= 5, `Letter: ${pages} pages`);
  await page.emulateMedia({ media: 'screen' });
});

test('simulated segments are never a win or a loss: "Simulated", with ranges', async () => {
  // The simulator gives simulated experiments device segments (one with a large lift).
  const created = await fetch(`${base}/api/experiments`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      name: 'Simulated checkout by device', description: 'Generated data.', metrics: METRICS, startDate: START, endDate: END,
      expectedOutcome: 'positive', simulation: { seed: 11, dailyTraffic: 200000, trueLift: { conversion_rate: 0.3 } },
    }),
  });
  const cj = await created.json();
  assert.equal(created.status, 201, JSON.stringify(cj).slice(0, 300));
  const id = cj.data.experimentId;
  let r;
  for (let i = 0; i < 600; i++) {
    r = await apiGet(`/experiments/${id}/results`);
    if (r.experiment.status === 'complete' && r.analysis?.status === 'complete') break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.equal(r.analysis?.status, 'complete');
  const dims = seg.dimensionsOf(r.results.dimensions);
  assert.ok(dims.length >= 1, `simulated experiments have segments: ${JSON.stringify(r.results.dimensions)}`);
  await page.goto(`${base}/experiments/${id}`);
  await page.getByTestId('segments').waitFor({ timeout: 30_000 });
  await page.getByTestId('simulated-banner').waitFor();
  const verdicts = await page.locator('[data-testid="segment-verdict"]').evaluateAll((els) => els.map((e) => e.dataset.verdict));
  assert.ok(verdicts.length >= 2, `a verdict per segment: ${verdicts}`);
  assert.ok(verdicts.every((v) => v !== 'win' && v !== 'loss'), `no simulated segment is a win or a loss: ${verdicts}`);
  assert.ok(await page.locator('[data-testid="segment-verdict"][data-verdict="simulated"]').count() >= 1, 'a decisive-looking simulated segment says "Simulated"');
  assert.notEqual(await page.getByTestId('segment-overall-verdict').getAttribute('data-verdict'), 'win', 'nor the all-users row beside them');
  for (const cell of await page.locator('[data-testid="segment-dollars"]').all()) {
    assert.match(await cell.getAttribute('class'), /muted-figure/, 'simulated dollars are muted ranges');
    assert.match(await text(cell), / to |—/);
  }
  assert.equal(await page.locator('[data-testid="segment-forest"] .forest-win, [data-testid="segment-forest"] .forest-loss').count(), 0, 'no green or red bars');
  await page.getByTestId('segments').screenshot({ path: join(SHOTS, 'segments-simulated-panel.png') });
});

test('no script errors', () => {
  assert.deepEqual(pageErrors, []);
});
