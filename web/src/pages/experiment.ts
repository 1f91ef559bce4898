// Experiment results: period and status; the pipeline's progress while it runs (refreshing by
// itself); then the economic impact, per-metric statistics, warnings in plain words, charts of
// treatment vs control and of their difference, the analysis history, and the actions.
import { api, ApiError, download, saveBlob } from '../api';
import { byId, loadCatalog, metricName } from '../catalog';
import { h, replace } from '../dom';
import * as fmt from '../format';
import { navigate, setQuery, type Page } from '../router';
import type {
  Decision, DecisionsResponse, DidResult, Direction, EventsResponse, ExperimentAnalysis, ExperimentDetail, MetricResults, MetricValue,
  MetricValuesResponse, PipelineJob, ResultsResponse, TimePoint, UploadSummary,
  DimensionResultsResponse, ResultsWithDimensions, SegmentedAnalysis,
} from '../types';
import {
  comparisonChart, cumulativeChart, differenceChart, toDaily, type ChartHandle as BaseChartHandle, type SeriesData,
} from '../components/chart';
import { forestPlot } from '../components/forest';
import { dataTable, scrollRegion } from '../components/datatable';
import { modal } from '../components/form';
import { dataSourceBanner, errorPanel, loading, poll, setTitle, statusBadge } from '../components/ui';
import { toast } from '../components/toast';
import {
  VERDICT_LABEL, annualizedInterval, dollarsOf, headline, isProjection, isRunning, metricVerdict, portfolioReason, roiInterval,
  shownInterval,
} from '../verdict';
import { cumulativeEffect } from '../cumulative';
import type { Plan } from '../types';
import { parseUpload, plausibilityWarnings, type UploadSeries } from '../plausibility';
import {
  dimensionsOf, disagreementList, disagreementText, forestRows, heterogeneityFigures, heterogeneityLevel, heterogeneityWords, segmentDisagreements,
  segmentForest, welchFigures,
} from '../segments';

type ChartHandle = BaseChartHandle & { tag?: string };
/** A complete analysis: the figures are there (processing and failed ones carry only ids). */
type CompleteAnalysis = ExperimentAnalysis & Required<Pick<ExperimentAnalysis, 'didResults'>>;
const isComplete = (a: ExperimentAnalysis | null | undefined): a is CompleteAnalysis => !!a && a.status === 'complete' && !!a.didResults;

const POLL_MS = 1000;

/** GET /experiments/{id}/analyses/{analysisId}. */
interface FrozenAnalysis {
  experiment: ExperimentDetail['experiment'];
  analysis: ExperimentAnalysis;
  current: boolean;
  currentAnalysisId: string | null;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const experimentPage: Page = (root, { params, query }) => {
  const id = params.id;
  const path = `/experiments/${encodeURIComponent(id)}`;
  /** Set on /experiments/:id/analyses/:analysisId: show that frozen analysis instead of the current one. */
  const frozenId = params.analysisId ?? null;
  let disposed = false;
  let stopPolling: (() => void) | null = null;
  let charts: ChartHandle[] = [];
  let catalog: MetricValuesResponse | null = null;
  let lookup = new Map<string, MetricValue>();
  let detail: ExperimentDetail | null = null;
  let chartMetric = query.get('metric') ?? '';
  let granularity: 'hourly' | 'daily' = query.get('view') === 'hourly' ? 'hourly' : 'daily';
  /** The segment view: dimension, metric and segment (whose charts are shown), kept in the URL. */
  let segDimension = query.get('dimension') ?? '';
  let segMetric = query.get('segmentMetric') ?? '';
  let segSegment = query.get('segment') ?? '';
  /** GET .../results?dimension=X, once per dimension while the page is open. */
  const dimensionCache = new Map<string, Promise<DimensionResultsResponse>>();
  /** The API's remarks on the last upload (implausible values, an overall derived from segments), shown with the next results. */
  let serverWarnings: string[] = [];

  setTitle('Experiment');
  const head = h('div', { class: 'exp-head' });
  const progress = h('div');
  const body = h('div', { class: 'exp-body' });
  root.append(
    h('p', { class: 'breadcrumb no-print' }, h('a', { href: '/' }, '← All experiments')),
    head, progress, body);
  body.append(loading('Loading experiment…'));

  const destroyCharts = () => {
    charts.forEach((c) => c.destroy());
    charts = [];
  };
  // The printed report (Letter or A4): charts drawn at the page's width, a little shorter.
  const beforePrint = () => charts.forEach((c) => c.setPrintSize({ width: 640, height: 200 }));
  const afterPrint = () => charts.forEach((c) => c.setPrintSize(null));
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);

  const unit = (metricId: string, analysis: ExperimentAnalysis | null): string =>
    analysis?.metricValuesSnapshot?.[metricId]?.unit ?? lookup.get(metricId)?.unit ?? '';

  // ---------------------------------------------------------------------------------------------
  async function start(): Promise<void> {
    try {
      const [d, c] = await Promise.all([api.get<ExperimentDetail>(path), loadCatalog().catch(() => null)]);
      if (disposed) return;
      detail = d;
      catalog = c;
      lookup = byId(catalog);
    } catch (e) {
      if (disposed) return;
      replace(head);
      replace(body, errorPanel(e, () => void start()));
      if (e instanceof ApiError && e.status === 404) setTitle('Experiment not found');
      return;
    }
    renderHead();
    if (isSettled(detail)) await loadResults();
    else watchPipeline();
  }

  const isSettled = (d: ExperimentDetail): boolean =>
    d.experiment.status === 'complete' || d.experiment.status === 'archived';

  // --- header ------------------------------------------------------------------------------------
  function renderHead(): void {
    if (!detail) return;
    const x = detail.experiment;
    setTitle(x.name);
    const metricsText = x.metrics.map((m) => metricName(m, lookup)).join(', ');
    const busy = (label: string, fn: () => Promise<void>) => async (e: Event) => {
      const b = e.currentTarget as HTMLButtonElement;
      const text = b.textContent;
      b.disabled = true;
      b.textContent = label;
      try {
        await fn();
      } catch (err) {
        toast(err instanceof Error ? err.message : String(err), 'error');
      } finally {
        b.disabled = false;
        b.textContent = text;
      }
    };
    const canExport = detail.hasResults || x.status === 'complete';
    // Exported files of simulated experiments say so in their name.
    const exportPrefix = x.dataSource === 'simulated' ? (isProjection(x, Date.now()) ? 'PROJECTION-SIMULATED-' : 'SIMULATED-') : '';
    replace(head,
      h('p', { class: 'print-only print-brand' }, `RallyUXR · Results report · ${fmt.dateTime(new Date().toISOString())}`),
      h('header', { class: 'page-header exp-title' },
        h('div', null,
          h('h1', { 'data-testid': 'experiment-name' }, x.name),
          h('div', { class: 'exp-meta' },
            isProjection(x, Date.now()) ? statusBadge('projection') : statusBadge(x.status),
            h('span', { 'data-testid': 'experiment-period' }, fmt.period(x.startDate, x.endDate)),
            progressText(x),
            h('span', null, `${x.confidenceLevel}% confidence`),
            h('span', null, x.dataSource === 'imported' ? 'Imported data' : 'Simulated data'),
            detail.participantCount ? h('span', null, `${fmt.integer(detail.participantCount)} participants`) : null),
        ),
        h('div', { class: 'actions no-print' },
          h('button', {
            type: 'button', class: 'btn', 'data-testid': 'export-csv', disabled: !detail.hasAnalysis,
            title: 'Every figure of the newest analysis, one row per metric',
            onclick: busy('Exporting…', () => download(`${path}/analysis.csv`, `${x.id}-analysis.csv`, { prefix: exportPrefix })),
          }, 'Export CSV'),
          h('button', {
            type: 'button', class: 'btn', 'data-testid': 'export-results-csv', disabled: !canExport,
            title: 'Every hourly data point, pre and post period',
            onclick: busy('Exporting…', () => download(`${path}/results.csv`, `${x.id}-results.csv`, { prefix: exportPrefix })),
          }, 'Export hourly data'),
          h('button', { type: 'button', class: 'btn', 'data-testid': 'print', onclick: () => window.print() }, 'Print report'),
          h('a', { class: 'btn btn-primary', href: `/experiments/new?from=${encodeURIComponent(x.id)}`, 'data-testid': 'follow-up' }, 'Create follow-up'),
        ),
      ),
      dataSourceBanner(x, Date.now()),
      x.description ? h('p', { class: 'exp-desc' }, x.description) : null,
      h('p', { class: 'exp-metrics muted' }, h('strong', null, 'Metrics: '), metricsText),
    );
  }

  /** "7 of 14 days" while the planned period runs. */
  function progressText(x: ExperimentDetail['experiment']): HTMLElement | null {
    const now = Date.now();
    if (!isRunning(x, now) && x.status !== 'draft') return null;
    const p = fmt.daysElapsed(x.startDate, x.endDate, now);
    if (!p) return null;
    return h('span', { class: 'progress-days', 'data-testid': 'progress-days' },
      Date.parse(x.startDate) > now ? `starts in ${Math.ceil((Date.parse(x.startDate) - now) / 86_400_000)} days` : `${p.elapsed} of ${p.total} days`);
  }

  // --- pipeline progress ---------------------------------------------------------------------------
  function watchPipeline(): void {
    replace(body);
    stopPolling?.();
    stopPolling = poll(async () => {
      const [d, ev] = await Promise.all([
        api.get<ExperimentDetail>(path),
        api.get<EventsResponse>(`${path}/events`).catch(() => null),
      ]);
      if (disposed) return false;
      const statusChanged = detail?.experiment.status !== d.experiment.status || detail?.hasResults !== d.hasResults;
      detail = d;
      if (statusChanged) renderHead();
      const { failed, active } = renderProgress(ev);
      // Done: complete, or an analysis with nothing left to do (imported data that stops short
      // of the end date keeps the experiment running, with results to show).
      if (isSettled(d) || (d.hasAnalysis && !active)) {
        replace(progress);
        await loadResults();
        return false;
      }
      if (failed) return false; // final: the error is on screen
      if (d.experiment.dataSource === 'imported' && !d.hasResults) {
        renderImport();
        return false; // nothing happens until data is uploaded
      }
      return true;
    }, POLL_MS);
  }

  /** Draws the pipeline's steps; tells whether a step failed for good and whether jobs are pending. */
  function renderProgress(ev: EventsResponse | null): { failed: boolean; active: boolean } {
    const x = detail!.experiment;
    const jobs = ev?.jobs ?? [];
    const events = ev?.events ?? [];
    const newest = (kind: string): PipelineJob | undefined =>
      jobs.filter((j) => j.kind === kind).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    const gen = newest('generate_results');
    const ana = newest('analyze');
    type Step = { label: string; state: 'done' | 'active' | 'waiting' | 'failed'; note?: string };
    const jobState = (j: PipelineJob | undefined, earlierDone: boolean): Step['state'] =>
      !j ? (earlierDone ? 'active' : 'waiting')
        : j.status === 'done' ? 'done' : j.status === 'failed' ? 'failed' : j.status === 'running' ? 'active' : earlierDone ? 'active' : 'waiting';
    const created = events.some((e) => e.eventType === 'EXPERIMENT_CREATED') || !!ev;
    const imported = x.dataSource === 'imported';
    const genState: Step['state'] = imported
      ? (detail!.hasResults ? 'done' : 'active')
      : jobState(gen, created);
    const anaState = jobState(ana, genState === 'done');
    const jobNote = (j: PipelineJob | undefined): string | undefined => {
      if (!j) return undefined;
      if (j.status === 'failed') return `Failed after ${j.attempts} ${j.attempts === 1 ? 'attempt' : 'attempts'}: ${j.lastError ?? 'unknown error'}`;
      if (j.attempts > 1) return `Attempt ${j.attempts}${j.lastError ? ` (last error: ${j.lastError})` : ''}`;
      return j.status === 'queued' ? 'Queued' : j.status === 'running' ? 'In progress' : `Done ${fmt.relativeTime(j.updatedAt)}`;
    };
    const steps: Step[] = [
      { label: 'Experiment created', state: 'done', note: fmt.dateTime(x.createdAt) },
      { label: imported ? 'Data imported' : 'Generating hourly results', state: genState,
        note: imported ? (detail!.hasResults ? 'Data received' : 'Waiting for your upload') : jobNote(gen) },
      { label: 'Analysing (difference-in-differences)', state: anaState, note: jobNote(ana) },
      { label: 'Results ready', state: isSettled(detail!) ? 'done' : 'waiting' },
    ];
    const done = steps.filter((s) => s.state === 'done').length;
    const failed = steps.some((s) => s.state === 'failed');
    const awaitingData = imported && !detail!.hasResults;
    replace(progress,
      h('section', { class: `panel progress ${failed ? 'panel-error' : ''}`, 'aria-labelledby': 'progress-title', 'data-testid': 'progress' },
        h('h2', { id: 'progress-title' }, failed ? 'The pipeline failed' : awaitingData ? 'Waiting for your data' : 'Working on it…'),
        h('p', { class: 'muted' }, failed
          ? 'A step failed after its retries. The error is below; fix its cause, then create a follow-up.'
          : awaitingData
            ? 'Upload the hourly data below; the analysis starts by itself once it is in.'
            : 'This page refreshes by itself. Simulated experiments usually finish within seconds.'),
        h('div', { class: 'progressbar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': steps.length, 'aria-valuenow': done, 'aria-label': 'Pipeline progress' },
          h('div', { class: `progressbar-fill ${failed ? 'progressbar-failed' : ''}`, style: `width:${(done / steps.length) * 100}%` })),
        h('ol', { class: 'steps' }, steps.map((s) =>
          h('li', { class: `step step-${s.state}` },
            h('span', { class: 'step-mark', 'aria-hidden': 'true' }, s.state === 'done' ? '✓' : s.state === 'failed' ? '✕' : s.state === 'active' ? '…' : ''),
            h('span', { class: 'step-label' }, s.label, h('span', { class: 'visually-hidden' }, ` (${s.state})`)),
            s.note ? h('span', { class: 'step-note' }, s.note) : null))),
        events.length ? eventLog(ev!) : null,
      ));
    return { failed, active: jobs.some((j) => j.status === 'queued' || j.status === 'running') };
  }

  function eventLog(ev: EventsResponse): HTMLElement {
    const label: Record<string, string> = {
      EXPERIMENT_CREATED: 'Experiment created',
      RESULTS_INSERT: 'Results stored',
      RESULTS_MODIFY: 'Results changed',
      ANALYSIS_REQUESTED: 'Analysis requested',
    };
    return h('details', { class: 'log' },
      h('summary', null, `Pipeline log (${plural(ev.events.length, 'event')}, ${plural(ev.jobs.length, 'job')})`),
      h('table', { class: 'table table-compact' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, 'State'))),
        h('tbody', null,
          [...ev.events.map((e) => ({ at: e.createdAt, what: label[e.eventType] ?? e.eventType, state: 'event' })),
            ...ev.jobs.map((j) => ({
              at: j.updatedAt,
              what: j.kind === 'generate_results' ? 'Generate results job' : j.kind === 'analyze' ? 'Analysis job' : j.kind,
              state: `${j.status}${j.attempts > 1 ? `, ${j.attempts} attempts` : ''}${j.lastError ? ` (${j.lastError})` : ''}`,
            }))]
            .sort((a, b) => a.at.localeCompare(b.at))
            .map((r) => h('tr', null, h('td', { class: 'nowrap' }, fmt.dateTime(r.at)), h('td', null, r.what), h('td', null, r.state))))));
  }

  // --- import (imported experiments) ---------------------------------------------------------------
  function renderImport(): void {
    const x = detail!.experiment;
    const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,.json,text/csv,application/json' });
    const out = h('div', { class: 'import-out', 'aria-live': 'polite' });
    let current: ResultsResponse | null = null;
    const loadCurrent = async (): Promise<ResultsResponse | null> => {
      if (!detail!.hasResults) return null;
      current ??= await api.get<ResultsResponse>(`${path}/results`);
      return current;
    };
    const storedSeries = (res: ResultsResponse | null): UploadSeries => {
      const m: UploadSeries = new Map();
      for (const [id, v] of Object.entries(res?.results?.metrics ?? {})) {
        m.set(id, v.timeSeries.map((p) => ({ timestamp: Date.parse(p.timestamp) / 1000, treatment: p.treatmentValue ?? NaN, control: p.controlValue ?? NaN })));
      }
      return m;
    };
    const units = (): Record<string, string> => Object.fromEntries(x.metrics.map((m) => [m, unit(m, null)]));

    /** Asks before a replace: points before and after, and what is lost. */
    const confirmReplace = (parsed: UploadSeries | null, res: ResultsResponse | null): Promise<boolean> => new Promise((resolve) => {
      const start = Date.parse(x.startDate) / 1000;
      const before = storedSeries(res);
      const count = (s: UploadSeries, pre?: boolean) => [...s.values()].reduce((n, pts) => n + pts.filter((p) => pre === undefined || (p.timestamp < start) === pre).length, 0);
      const lostMetrics = [...before.keys()].filter((m) => !parsed?.has(m));
      const preBefore = count(before, true);
      const preAfter = parsed ? count(parsed, true) : null;
      let answered = false;
      const done = (ok: boolean) => { if (!answered) { answered = true; resolve(ok); } d.close(); };
      const d = modal('Replace all stored data?', [
        h('div', { class: 'dialog-body', 'data-testid': 'replace-confirm' },
          h('p', null, 'Replacing deletes every stored point of this experiment and keeps only the file. Merging adds the file’s hours and keeps the rest.'),
          h('table', { class: 'table table-compact' },
            h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Data'), h('th', { scope: 'col', class: 'num' }, 'Stored now'), h('th', { scope: 'col', class: 'num' }, 'After replace'))),
            h('tbody', null,
              h('tr', null, h('th', { scope: 'row' }, 'Points'), h('td', { class: 'num', 'data-testid': 'points-before' }, fmt.integer(count(before))), h('td', { class: 'num', 'data-testid': 'points-after' }, parsed ? fmt.integer(count(parsed)) : 'unknown')),
              h('tr', null, h('th', { scope: 'row' }, 'Pre-period points'), h('td', { class: 'num' }, fmt.integer(preBefore)), h('td', { class: 'num' }, preAfter === null ? 'unknown' : fmt.integer(preAfter))))),
          h('ul', { class: 'loss-list', 'data-testid': 'replace-losses' },
            preBefore > 0 && preAfter === 0 ? h('li', null, h('strong', null, 'The pre period is lost: '), 'the analysis falls back from difference-in-differences to a direct comparison, and the figures change.') : null,
            lostMetrics.length ? h('li', null, h('strong', null, 'Metrics lost: '), lostMetrics.map((m) => metricName(m, lookup)).join(', ')) : null,
            h('li', null, 'The current analysis is replaced by a new one on the new data.')),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-primary', onclick: () => done(false), 'data-testid': 'replace-cancel' }, 'Keep my data'),
            h('button', { type: 'button', class: 'btn btn-danger', onclick: () => done(true), 'data-testid': 'replace-confirm-button' }, 'Replace all data'))),
      ]);
      d.dialog.addEventListener('close', () => { if (!answered) { answered = true; resolve(false); } });
    });

    /** Client-side plausibility; resolves true to go on. */
    const confirmWarnings = (warnings: string[]): Promise<boolean> => new Promise((resolve) => {
      if (!warnings.length) { resolve(true); return; }
      let answered = false;
      const done = (ok: boolean) => { if (!answered) { answered = true; resolve(ok); } d.close(); };
      const d = modal('These values look implausible', [
        h('div', { class: 'dialog-body', 'data-testid': 'upload-warnings' },
          h('ul', null, warnings.map((w) => h('li', null, w))),
          h('p', null, 'Check the units before uploading: a wrong unit changes the dollar figures by orders of magnitude.'),
          h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-primary', onclick: () => done(false) }, 'Fix the file'),
            h('button', { type: 'button', class: 'btn', onclick: () => done(true), 'data-testid': 'upload-anyway' }, 'Upload anyway'))),
      ]);
      d.dialog.addEventListener('close', () => { if (!answered) { answered = true; resolve(false); } });
    });

    const send = (method: 'PUT' | 'POST') => async () => {
      const f = file.files?.[0];
      if (!f) {
        replace(out, h('p', { class: 'field-error' }, 'Choose a CSV or JSON file first.'));
        file.focus();
        return;
      }
      const text = await f.text();
      const isCsv = /\.csv$/i.test(f.name) || f.type === 'text/csv';
      const parsed = parseUpload(text, isCsv);
      let res: ResultsResponse | null = null;
      try {
        res = await loadCurrent();
      } catch {
        res = null;
      }
      if (method === 'PUT' && detail!.hasResults && !(await confirmReplace(parsed, res))) return;
      if (parsed) {
        const stays = method === 'POST' ? storedSeries(res) : new Map();
        const warnings = plausibilityWarnings(units(), parsed, stays, Date.parse(x.startDate) / 1000);
        if (!(await confirmWarnings(warnings))) return;
      }
      try {
        const summary = await api.upload<UploadSummary>(method, `${path}/results`, text, isCsv ? 'text/csv' : 'application/json');
        toast(`Data uploaded (${fmt.integer(summary?.pointsStored)} points). The analysis follows by itself.`, 'success');
        replace(out);
        current = null;
        if (summary?.warnings?.length) {
          serverWarnings = summary.warnings;
        }
        watchPipeline();
      } catch (e) {
        const err = e instanceof ApiError ? e : null;
        replace(out, h('div', { class: 'panel panel-error', role: 'alert' },
          h('p', null, h('strong', null, 'The upload was rejected; nothing was stored. '), err?.message ?? String(e)),
          err?.details.length ? h('ul', null, err.details.slice(0, 100).map((d) =>
            h('li', null, `${Array.isArray(d.path) ? d.path.join('.') : d.path}: ${d.message}`))) : null));
      }
    };
    const has = detail!.hasResults;
    replace(body, h('section', { class: 'panel', 'aria-labelledby': 'import-title', 'data-testid': 'import' },
      h('h2', { id: 'import-title' }, has ? 'Add data' : 'Upload your data'),
      h('p', null, 'Hourly aggregates as CSV with the header ',
        h('code', { class: 'wrap-anywhere' }, 'metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize'),
        ', or JSON in the results format. Hours before the start date form the pre period. Rates of % metrics are fractions (0.0307 for 3.07%).'),
      h('p', null, 'Segments (optional, at most 3 dimensions of 50 segments): add the columns ', h('code', null, 'dimension,segment'),
        ' (rows with both empty are the overall figures), or in JSON a ', h('code', null, 'segments'), ' object beside ', h('code', null, 'metrics'), ': ',
        h('code', { class: 'wrap-anywhere' }, '{"device": {"mobile": {"metrics": {...}}}}'),
        '. Sent without overall rows, the overall figures are the segments’ sum per hour.'),
      h('p', { class: 'muted' }, 'Metric ids of this experiment: ', x.metrics.map((m, i) => [i ? ', ' : '', h('code', null, m)]), '. ',
        h('button', { type: 'button', class: 'linklike', onclick: () => csvTemplate(x) }, 'Download a CSV template')),
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'Data file (CSV or JSON)'), file),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: send(has ? 'POST' : 'PUT'), 'data-testid': 'upload-merge' }, has ? 'Merge into existing data' : 'Upload data'),
        has ? h('button', { type: 'button', class: 'btn btn-danger-quiet', onclick: send('PUT'), 'data-testid': 'upload-replace' }, 'Replace all data…') : null),
      has ? h('p', { class: 'muted small' }, 'Merge adds or corrects the hours in the file and keeps everything else. Replace deletes all stored points first; it asks before doing so.') : null,
      out));
  }

  /** A CSV with the import header and one example row per metric, at the experiment's first hour. */
  function csvTemplate(x: ExperimentDetail['experiment']): void {
    const rows = ['metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize',
      ...x.metrics.map((m) => `${m},${x.startDate},0,0,0,0`)];
    saveBlob(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }), `${x.id}-import-template.csv`);
  }

  // --- results -----------------------------------------------------------------------------------
  async function loadResults(): Promise<void> {
    let res: ResultsResponse;
    let analyses: ExperimentAnalysis[] = [];
    let events: EventsResponse | null = null;
    let frozen: FrozenAnalysis | null = null;
    let decisions: Decision[] = [];
    try {
      const [r, a, ev, f, dl] = await Promise.all([
        api.get<ResultsResponse>(`${path}/results`),
        api.get<{ analyses: ExperimentAnalysis[] }>(`${path}/analyses`).catch(() => ({ analyses: [] })),
        api.get<EventsResponse>(`${path}/events`).catch(() => null),
        frozenId ? api.get<FrozenAnalysis>(`${path}/analyses/${encodeURIComponent(frozenId)}`) : Promise.resolve(null),
        api.get<DecisionsResponse>(`${path}/decisions`).catch(() => null),
      ]);
      decisions = dl?.history ?? [];
      res = f ? { ...r, analysis: f.analysis } : r;
      analyses = a.analyses ?? [];
      events = ev;
      frozen = f;
    } catch (e) {
      if (!disposed) replace(body, errorPanel(e, () => void loadResults()));
      return;
    }
    if (disposed) return;
    if (detail) {
      detail = { ...detail, experiment: res.experiment, hasResults: !!res.results, hasAnalysis: !!res.analysis || detail.hasAnalysis };
      renderHead();
    }
    renderResults(res, analyses, events, frozen, decisions);
  }

  /**
   * The decision on a finished experiment (ship, rollback or iterate), who made it and why, with
   * its earlier versions; a form records a new one (complete and archived experiments only).
   */
  function decisionSection(x: ExperimentDetail['experiment'], history: Decision[]): HTMLElement | null {
    const decidable = x.status === 'complete' || x.status === 'archived';
    if (!decidable && !history.length) return null;
    const current = history[0];
    const label: Record<string, string> = { ship: 'Ship', rollback: 'Roll back', iterate: 'Iterate' };
    const who = (d: Decision) => `${d.decidedBy ?? 'anonymous'}, ${fmt.dateTime(d.decidedAt)}`;
    // No choice is made for the reader: an inconclusive or simulated result must not arrive at "Ship".
    const choice = h('select', { id: 'decision-choice', 'data-testid': 'decision-choice' },
      h('option', { value: '' }, 'Choose…'),
      ['ship', 'rollback', 'iterate'].map((v) => h('option', { value: v }, label[v]))) as HTMLSelectElement;
    const reason = h('textarea', { id: 'decision-reason', rows: 2, maxlength: 2000, 'data-testid': 'decision-reason' }) as HTMLTextAreaElement;
    const submit = async (e: Event) => {
      const b = e.currentTarget as HTMLButtonElement;
      if (!choice.value) {
        toast('Choose ship, roll back or iterate.', 'error');
        return;
      }
      if (!reason.value.trim()) {
        toast('Give the reason for the decision.', 'error');
        return;
      }
      b.disabled = true;
      try {
        await api.post(`${path}/decision`, { decision: choice.value, reason: reason.value.trim() });
        toast('Decision recorded.', 'success');
        await loadResults();
      } catch (err) {
        toast(err instanceof Error ? err.message : String(err), 'error');
      } finally {
        b.disabled = false;
      }
    };
    return h('section', { class: 'panel', 'aria-labelledby': 'decision-title', 'data-testid': 'decision' },
      h('h2', { id: 'decision-title' }, 'Decision'),
      current
        ? h('p', { 'data-testid': 'decision-current' }, h('strong', null, label[current.decision] ?? current.decision), ` (${who(current)}): `, current.reason)
        : h('p', { class: 'muted' }, 'No decision recorded yet.'),
      history.length > 1
        ? h('details', { class: 'no-print' }, h('summary', null, `Earlier decisions (${history.length - 1})`),
          h('ul', null, history.slice(1).map((d) => h('li', null, h('strong', null, label[d.decision] ?? d.decision), ` (${who(d)}): `, d.reason))))
        : null,
      decidable
        ? h('div', { class: 'no-print' },
          h('div', { class: 'field' }, h('label', { for: 'decision-choice' }, current ? 'Revise the decision' : 'Decide'), choice),
          h('div', { class: 'field' }, h('label', { for: 'decision-reason' }, 'Why'), reason),
          h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'decision-submit', onclick: submit }, 'Record decision')))
        : null);
  }

  /** The banner of a frozen analysis shown by its own link: which one, when, and the way back. */
  function frozenBanner(f: FrozenAnalysis): HTMLElement {
    const when = fmt.dateTime(f.analysis.analysisTimestamp);
    return h('section', { class: 'panel notice', role: 'status', 'data-testid': 'frozen-analysis' },
      h('h2', null, f.current ? `The current analysis (${when})` : `An older analysis, of ${when}`),
      h('p', null, f.current
        ? 'This link always shows this analysis, with the metric values it used, even after newer ones.'
        : 'You are looking at an older analysis exactly as it was presented, with the metric values it used. The charts show the data as stored now.'),
      f.current ? null : h('p', null, h('a', { href: `/experiments/${encodeURIComponent(id)}`, 'data-testid': 'current-analysis-link' }, 'Go to the current analysis')));
  }

  function renderResults(res: ResultsResponse, analyses: ExperimentAnalysis[], events: EventsResponse | null,
    frozen: FrozenAnalysis | null = null, decisions: Decision[] = []): void {
    destroyCharts();
    const { analysis, results, experiment: x } = res;
    const newest = analyses[0];
    const parts: (HTMLElement | null)[] = [];
    if (frozen) parts.push(frozenBanner(frozen));

    if (newest && newest.status === 'failed') {
      parts.push(h('section', { class: 'panel panel-error', role: 'alert', 'data-testid': 'analysis-failed' },
        h('h2', null, 'The newest analysis failed'),
        h('p', null, newest.error ?? 'No reason was given.'),
        analysis ? h('p', { class: 'muted' }, `Showing the previous analysis of ${fmt.dateTime(analysis.analysisTimestamp)}.`) : null));
    } else if (newest && newest.status === 'processing') {
      parts.push(h('section', { class: 'panel notice' }, h('p', null, 'A new analysis is being computed; this page refreshes when it is ready.')));
    }

    if (serverWarnings.length) {
      parts.push(h('section', { class: 'panel warnings warnings-warn', role: 'alert', 'data-testid': 'upload-server-warnings' },
        h('h2', null, 'The server’s remarks on the last upload'),
        h('ul', null, serverWarnings.map((w) => h('li', null, w)))));
    }
    if (!isComplete(analysis)) {
      parts.push(h('section', { class: 'panel' },
        h('h2', null, 'No analysis yet'),
        h('p', null, results ? 'The data is in, but no complete analysis exists yet.' : 'This experiment has no data.'),
        reanalyseButton(newest?.analysisId ?? null)));
    } else {
      if (analysis.economicImpact) parts.push(verdictSection(x, analysis));
      parts.push(impactSection(analysis, x.implementationCost));
      parts.push(warningsSection(analysis, x.metrics));
      parts.push(metricsSection(analysis, x.metrics));
      parts.push(segmentSection(res, analysis));
      parts.push(cumulativeSection(res, analysis));
    }
    const chartSection = results ? h('section', { class: 'panel chart-panel', 'aria-labelledby': 'charts-title' }) : null;
    parts.push(chartSection);
    parts.push(decisionSection(x, decisions));
    if (isComplete(analysis) && results) parts.push(reportSection(analysis, res));
    parts.push(historySection(analyses, analysis?.analysisId ?? null));
    if (x.dataSource === 'imported' && x.status !== 'archived') {
      parts.push(h('section', { class: 'panel no-print' },
        h('h2', null, 'Imported data'),
        h('p', null, 'Upload corrected or newer hourly data; the analysis is redone by itself.'),
        h('button', { type: 'button', class: 'btn', onclick: () => renderImport() }, 'Upload data…')));
    }
    if (events?.events.length) parts.push(h('section', { class: 'panel no-print' }, eventLog(events)));
    parts.push(h('section', { class: 'panel panel-quiet no-print' },
      h('h2', null, 'Manage'),
      h('div', { class: 'actions' },
        reanalyseButton(newest?.analysisId ?? null),
        x.status !== 'archived'
          ? h('button', {
            type: 'button', class: 'btn btn-danger', 'data-testid': 'archive',
            onclick: () => confirmArchive(x, isComplete(analysis) ? analysis : null),
          }, 'Archive experiment…')
          : h('span', { class: 'muted' }, 'Archived experiments are kept read-only.'))));

    replace(body, ...parts);
    if (chartSection && results) renderCharts(chartSection, res);
    if (newest && newest.status === 'processing') waitForAnalysis(null);
  }

  /** Archiving is final: say so, and what it changes in the totals, before doing it. */
  function confirmArchive(x: ResultsResponse['experiment'], a: CompleteAnalysis | null): void {
    const now = Date.now();
    const total = a?.economicImpact?.totalImpact ?? null;
    const why = portfolioReason(x, a, now);
    const effect = why
      ? `The portfolio total does not change: this experiment is not counted in it (${why}).`
      : total !== null
        ? `The portfolio total of decisive imported results loses this experiment's ${fmt.money(total, { signed: true })}: it goes ${total < 0 ? 'UP' : 'down'} by ${fmt.money(Math.abs(total))}${total < 0 ? ' because this result is a loss. Archiving a loss makes the portfolio look better than it was; archive only what should not be reported' : ''}.`
        : 'The portfolio total does not change.';
    const d = modal('Archive this experiment? This is final.', [
      h('div', { class: 'dialog-body', 'data-testid': 'archive-confirm' },
        h('p', null, h('strong', null, `“${x.name}” `), 'leaves the list and every total, accepts no more data and no new analysis. ',
          h('strong', null, 'There is no un-archive.')),
        h('p', { 'data-testid': 'archive-effect' }, effect),
        total !== null ? h('p', { class: 'muted small' }, `The server's summary of all experiments also changes by ${fmt.money(-total, { signed: true })}.`) : null,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn btn-primary', onclick: () => d.close() }, 'Keep it'),
          h('button', {
            type: 'button', class: 'btn btn-danger', 'data-testid': 'archive-confirm-button',
            onclick: async (e: Event) => {
              (e.currentTarget as HTMLButtonElement).disabled = true;
              try {
                await api.post(`${path}/archive`);
                d.close();
                toast('Experiment archived.', 'success');
                navigate('/');
              } catch (err) {
                d.close();
                toast(err instanceof Error ? err.message : String(err), 'error');
              }
            },
          }, 'Archive for good'))),
    ]);
  }

  function reanalyseButton(currentNewest: string | null): HTMLElement {
    return h('button', {
      type: 'button', class: 'btn', 'data-testid': 'reanalyse',
      onclick: async (e: Event) => {
        const b = e.currentTarget as HTMLButtonElement;
        b.disabled = true;
        try {
          await api.post(`${path}/analyses`);
          toast('Re-analysis requested with the current metric values.', 'info');
          waitForAnalysis(currentNewest);
        } catch (err) {
          b.disabled = false;
          toast(err instanceof Error ? err.message : String(err), 'error');
        }
      },
    }, 'Re-run analysis');
  }

  /** Polls the analyses until a new one (not previousNewest) is no longer processing. */
  function waitForAnalysis(previousNewest: string | null): void {
    stopPolling?.();
    stopPolling = poll(async () => {
      const a = await api.get<{ analyses: ExperimentAnalysis[] }>(`${path}/analyses`);
      if (disposed) return false;
      const n = a.analyses[0];
      if (n && n.analysisId !== previousNewest && n.status !== 'processing') {
        await loadResults();
        return false;
      }
      return true;
    }, POLL_MS);
  }

  // --- verdict and economic impact ----------------------------------------------------------------
  /** Everything the page says about one metric, derived once so that every place agrees. */
  function metricInfo(m: string, a: CompleteAnalysis) {
    const r = a.didResults[m];
    const u = unit(m, a);
    const b = a.economicImpact?.metricBreakdown?.[m];
    const snap = a.metricValuesSnapshot?.[m];
    const direction: Direction = b?.improvementDirection ?? snap?.improvementDirection ?? lookup.get(m)?.improvementDirection ?? 'increase';
    const shown = shownInterval(r, a.alpha);
    const verdict = metricVerdict(r, direction, shown);
    const days = a.economicImpact?.durationDays ?? a.experimentPeriod?.durationDays ?? 0;
    const price = snap ? { dollarsPerUnit: snap.dollarsPerUnit, unitSize: b?.unitSize ?? snap.unitSize ?? fmt.defaultUnitSize(u), direction } : null;
    const dollarsIv = shown.kind === 'unadjusted' && b?.dollarImpactInterval !== undefined
      ? b.dollarImpactInterval
      : price ? dollarsOf(shown.interval, price, days) : null;
    return { r, u, b, snap, direction, shown, verdict, dollars: b?.dollarImpact ?? null, dollarsIv, counted: b?.countedInTotal !== false };
  }

  function verdictSection(x: ExperimentDetail['experiment'], a: CompleteAnalysis): HTMLElement {
    const now = Date.now();
    const hl = headline(x, a, now);
    const ei = a.economicImpact!;
    const running = isRunning(x, now);
    const seq = ei.totalSequential;
    const p = fmt.daysElapsed(x.startDate, x.endDate, now);
    return h('section', { class: `verdict ${hl.simulated ? 'verdict-simulated' : `verdict-${hl.kind}`}`, 'data-testid': 'verdict', 'data-verdict': hl.kind, 'aria-labelledby': 'verdict-title' },
      h('h2', { id: 'verdict-title', class: 'verdict-title' }, 'Verdict: ', h('span', { 'data-testid': 'verdict-label' }, hl.label)),
      h('p', { class: 'verdict-reason', 'data-testid': 'verdict-reason' }, hl.reason),
      segmentNote(a),
      a.recommendation ? h('p', { class: 'verdict-recommendation', 'data-testid': 'recommendation' }, 'Recommendation: ',
        h('strong', null, { ship: 'ship', 'do-not-ship': 'do not ship', 'keep-running': 'keep running', inconclusive: 'no decision from this data' }[a.recommendation]),
        hl.simulated ? ' on simulated data: confirm it on real traffic before deciding.' : null) : null,
      running && p ? h('p', { class: 'verdict-progress', 'data-testid': 'verdict-progress' },
        h('strong', null, `${p.elapsed} of ${p.total} days`), ' of the planned period are in.',
        seq?.interval
          ? [' Always-valid interval of the daily impact: ', h('strong', { 'data-testid': 'sequential-interval' }, `${fmt.moneyInterval(seq.interval)} per day`),
            ` (${seq.looks} daily ${seq.looks === 1 ? 'look' : 'looks'} of ${seq.plannedBlocks} planned; ${seq.decisive ? 'decisive' : 'not decisive yet'}).`]
          : null) : null,
      running && p ? pace(x, p) : promisedPlan(x),
      running ? h('p', { class: 'verdict-note', 'data-testid': 'fixed-horizon-note' },
        'The fixed-horizon figures below (intervals, p-values, dollars) are valid only once the planned period is over; ',
        seq ? 'until then, read the always-valid interval above.' : 'this analysis has no always-valid interval, so wait for the end before reading them.') : null);
  }

  /** Under the verdict: the segments that disagree significantly (heterogeneity test), if any. */
  function segmentNote(a: CompleteAnalysis): HTMLElement | null {
    const d = segmentDisagreements(a);
    if (!d.length) return null;
    return h('p', { class: 'verdict-segments', 'data-testid': 'verdict-segments' },
      h('strong', { class: 'tag tag-segments' }, 'Segments disagree'),
      ` significantly: ${disagreementList(d, (m) => metricName(m, lookup))}. The overall figure averages segments that responded differently; see Results by segment.`);
  }

  /** What the plan promised at creation, if the experiment was created with one. */
  function promisedPlan(x: ExperimentDetail['experiment']): HTMLElement | null {
    const pl = x.plan;
    if (!pl) return null;
    return h('p', { class: 'verdict-plan muted', 'data-testid': 'plan-promise' },
      `Planned at creation: ${pl.days} days to detect ${typeof pl.totalDailyDollarMde === 'number' ? `${fmt.money(pl.totalDailyDollarMde)}/day` : 'an effect'} in total at ${Math.round((pl.power ?? 0.8) * 100)}% power.`);
  }

  /** "x of y days; at this pace the experiment can detect $Z/day by its end date", from its own hours (POST /plans). */
  function pace(x: ExperimentDetail['experiment'], p: { elapsed: number; total: number }): HTMLElement {
    const out = h('p', { class: 'verdict-pace', 'data-testid': 'plan-pace', 'aria-live': 'polite' }, `${p.elapsed} of ${p.total} days; estimating what this experiment can detect by its end date…`);
    if (p.total < 7 || p.total > 366) {
      out.textContent = `${p.elapsed} of ${p.total} days.`;
      return out;
    }
    const body: Record<string, unknown> = {
      metrics: x.metrics, source: { experimentId: x.id }, durations: [p.total], confidenceLevel: x.confidenceLevel,
      design: x.analysisDesign ?? 'did',
    };
    if ((x.analysisDesign ?? 'did') === 'did') body.preDays = Math.min(30, Math.max(2, x.simulation?.prePeriodDays ?? x.plan?.preDays ?? 7));
    api.post<Plan>('/plans', body).then((plan) => {
      const d = plan.durations[0];
      const z = d && typeof d.totalDailyDollarMde === 'number' ? d.totalDailyDollarMde : null;
      out.replaceChildren(h('strong', null, `${p.elapsed} of ${p.total} days`), ...(z === null
        ? ['; not enough data yet to say what it can detect by its end date.']
        : ['; at this pace the experiment can detect ', h('strong', { 'data-testid': 'plan-pace-mde' }, `${fmt.money(z)}/day`), ' by its end date (80% power).']),
        x.plan && typeof x.plan.totalDailyDollarMde === 'number' ? ` Planned at creation: ${fmt.money(x.plan.totalDailyDollarMde)}/day.` : '');
    }).catch((err) => {
      out.textContent = `${p.elapsed} of ${p.total} days; ${err instanceof ApiError ? err.message.toLowerCase() : 'the plan could not be computed'}.`;
    });
    return out;
  }

  function impactSection(a: CompleteAnalysis, cost: number | null): HTMLElement {
    const ei = a.economicImpact;
    const x = detail!.experiment;
    const conf = a.didResults[Object.keys(a.didResults)[0]]?.confidenceLevel ?? x.confidenceLevel ?? 95;
    if (!ei) {
      return h('section', { class: 'panel' }, h('h2', null, 'Economic impact'), h('p', null, 'No dollar figures: the metrics have no dollar values.'));
    }
    const hl = headline(x, a, Date.now());
    const decisive = hl.decisive;
    const days = ei.durationDays ?? a.experimentPeriod?.durationDays;
    const totalIv = ei.totalImpactInterval;
    const annIv = annualizedInterval(ei);
    const roiIv = roiInterval(ei, cost);
    const tone = (v: number | null | undefined) => (!decisive ? 'muted-figure' : v === null || v === undefined || v === 0 ? '' : v > 0 ? 'pos' : 'neg');
    const pct = (v: number) => fmt.percent(v / 100, { decimals: 0, signed: true });
    const roiText = (i: { lower: number; upper: number } | null) => (i ? `${pct(i.lower)} to ${pct(i.upper)}` : fmt.DASH);
    const why = decisive ? null : h('p', { class: 'impact-why', 'data-testid': 'impact-why' },
      hl.simulated ? 'Shown as ranges, not as a gain: the data are simulated.'
        : hl.kind === 'not-enough-data-yet' ? 'Shown as ranges: the experiment is still running.'
        : hl.kind === 'guardrail-breached' ? 'Shown as ranges: a guardrail was breached.'
          : 'Shown as ranges, not as a gain: the interval includes zero.');
    return h('section', { class: 'impact', 'aria-labelledby': 'impact-title', 'data-testid': 'impact' },
      h('h2', { id: 'impact-title' }, 'Economic impact'),
      h('div', { class: 'impact-grid' },
        h('div', { class: `impact-main ${decisive ? '' : 'impact-undecided'}` },
          h('div', { class: 'card-label' }, decisive ? 'Net economic impact' : `Net economic impact, ${conf}% range`),
          decisive
            ? h('div', { class: `impact-figure money ${tone(ei.totalImpact)}`, 'data-testid': 'total-impact' }, fmt.moneyWith(ei.totalImpact, totalIv))
            : h('div', { class: 'impact-figure money muted-figure', 'data-testid': 'total-impact' }, fmt.moneyInterval(totalIv)),
          h('div', { class: 'impact-sub' },
            `over ${days} ${days === 1 ? 'day' : 'days'} · `,
            decisive ? [`${conf}% interval `, h('strong', { 'data-testid': 'total-impact-interval' }, fmt.moneyInterval(totalIv, { alongside: ei.totalImpact }))]
              : ['estimate ', h('span', { 'data-testid': 'total-impact-estimate' }, fmt.moneyWith(ei.totalImpact, totalIv)), ' is not a result on its own']),
          why,
          ei.probabilityOfPositiveImpact !== null && ei.probabilityOfPositiveImpact !== undefined
            ? h('div', { class: 'impact-sub' }, h('strong', { 'data-testid': 'prob-positive' }, fmt.percent(ei.probabilityOfPositiveImpact, { decimals: 1 })), ' chance the impact is positive')
            : null),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'Annualized impact'),
          decisive
            ? h('div', { class: `card-figure money ${tone(ei.annualizedImpact)}`, 'data-testid': 'annualized-impact' }, fmt.moneyWith(ei.annualizedImpact, annIv))
            : h('div', { class: 'card-figure card-range muted-figure', 'data-testid': 'annualized-impact' }, fmt.moneyInterval(annIv)),
          h('div', { class: 'card-note' }, decisive ? ['per year at full rollout; ', h('span', { 'data-testid': 'annualized-interval' }, fmt.moneyInterval(annIv))] : 'per year at full rollout, range')),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'ROI'),
          ei.roiPercentage === null || ei.roiPercentage === undefined
            ? h('div', { class: 'card-figure card-figure-muted', 'data-testid': 'roi' }, 'Add a cost to see ROI')
            : decisive
              ? h('div', { class: `card-figure ${tone(ei.roiPercentage)}`, 'data-testid': 'roi' }, pct(ei.roiPercentage))
              : h('div', { class: 'card-figure card-range muted-figure', 'data-testid': 'roi' }, roiText(roiIv)),
          h('div', { class: 'card-note' }, cost
            ? [`on ${fmt.money(cost)} implementation cost, first year`, decisive && roiIv ? ['; ', h('span', { 'data-testid': 'roi-interval' }, roiText(roiIv))] : null]
            : 'needs an implementation cost')),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'Confidence level'),
          h('div', { class: 'card-figure', 'data-testid': 'confidence' }, `${conf}%`),
          h('div', { class: 'card-note' }, `${a.correction === 'fdr_bh' ? 'Benjamini–Hochberg' : 'Holm'}-adjusted across metrics, α = ${+Number(a.alpha).toFixed(4)}`)),
      ),
      h('p', { class: 'impact-meaning small' }, h('strong', null, 'What the dollar figure means: '),
        `the estimated value of the change over the experiment's ${days} days had everyone seen it, priced with each metric's value per unit per day (listed under the metrics). `,
        'Annualized is the daily figure times 365. The range is the interval the data supports; a range that includes zero is not evidence of a gain.'));
  }


  // --- warnings ------------------------------------------------------------------------------------
  function warningsSection(a: CompleteAnalysis, metrics: string[]): HTMLElement | null {
    const items: { level: 'warn' | 'info'; text: string }[] = [];
    const srm = a.srm;
    if (srm?.detected) {
      items.push({
        level: 'warn',
        text: `Sample ratio mismatch: ${fmt.percent(srm.observedTreatmentShare, { decimals: 1 })} of participants were in the treatment group where ${fmt.percent(srm.expectedTreatmentShare, { decimals: 0 })} was planned (p ${srm.pValue !== null && srm.pValue < 0.0001 ? '< 0.0001' : `= ${fmt.pValue(srm.pValue)}`}). Users were not split as intended, so every figure here may be biased; check the assignment and logging before trusting the results.`,
      });
    }
    for (const m of ordered(Object.keys(a.didResults), metrics)) {
      const r = a.didResults[m];
      const name = metricName(m, lookup);
      // The server words some warnings itself; only add ours where it did not.
      const serverSaid = (re: RegExp) => (r.warnings ?? []).some((w) => re.test(w));
      if (r.parallelTrends?.violated && !serverSaid(/parallel|drift/i)) {
        items.push({
          level: 'warn',
          text: `${name}: the two groups were already drifting apart before the experiment started (pre-period trend p = ${fmt.pValue(r.parallelTrends.pValue)}). The difference-in-differences estimate assumes they moved in parallel, so it may be off.`,
        });
      }
      if (r.effectTrend?.changing && !serverSaid(/novelty|changing|wear/i)) {
        items.push({
          level: 'warn',
          text: `${name}: the effect changed over the experiment (trend p = ${fmt.pValue(r.effectTrend.pValue)}), for example a novelty wearing off; the annualized figure assumes it stays as it was on average and may be too high.`,
        });
      }
      if (r.pValue === null && !(r.warnings ?? []).length) {
        items.push({ level: 'warn', text: `${name}: not enough usable data to test significance; its p-value and interval are not available.` });
      }
      for (const w of r.warnings ?? []) items.push({ level: 'warn', text: `${name}: ${w}` });
      if (r.excludedHours > 0) {
        items.push({ level: 'info', text: `${name}: ${r.excludedHours} ${r.excludedHours === 1 ? 'hour was' : 'hours were'} skipped for missing or empty data.` });
      }
      if (r.method === 'paired') {
        items.push({ level: 'info', text: `${name}: no pre period, so treatment is compared with control directly instead of by difference-in-differences.` });
      }
    }
    if (!items.length) return null;
    const warn = items.filter((i) => i.level === 'warn');
    return h('section', { class: `panel warnings ${warn.length ? 'warnings-warn' : ''}`, 'aria-labelledby': 'warnings-title', 'data-testid': 'warnings' },
      h('h2', { id: 'warnings-title' }, warn.length ? `Read before presenting (${warn.length})` : 'Notes'),
      h('ul', null, items.map((i) => h('li', { class: `warning-${i.level}` },
        h('span', { class: 'warning-icon', 'aria-hidden': 'true' }, i.level === 'warn' ? '!' : 'i'), i.text))));
  }

  /** The keys in the experiment's own metric order, then any others. */
  function ordered(keys: string[], metrics: string[]): string[] {
    return [...metrics.filter((m) => keys.includes(m)), ...keys.filter((k) => !metrics.includes(k))];
  }

  // --- per-metric table ------------------------------------------------------------------------------
  function metricsSection(a: CompleteAnalysis, metrics: string[]): HTMLElement {
    const ids = ordered(Object.keys(a.didResults), metrics);
    const infos = ids.map((m) => ({ m, ...metricInfo(m, a) }));
    const adjusted = infos.some((i) => i.shown.kind !== 'unadjusted');
    const conf = a.didResults[ids[0]]?.confidenceLevel ?? 95;
    const rows = infos.map((i) => {
      const { r, u } = i;
      const lift = fmt.effectWithInterval(r.absoluteDifference, i.shown.interval, u);
      const rel = fmt.relativeWithInterval(r.relativeDifference, r.relativeConfidenceInterval);
      const decisive = i.verdict === 'win' || i.verdict === 'loss';
      return h('tr', { dataset: { metric: i.m } },
        h('th', { scope: 'row' },
          h('span', { class: 'metric-name' }, metricName(i.m, lookup)),
          h('span', { class: 'muted small block' }, `${u === '%' ? 'rate' : u} · ${i.direction === 'decrease' ? 'lower is better' : 'higher is better'}`),
          i.counted ? null : h('span', { class: 'muted small block' }, 'not counted in the total (same value group)'),
          a.guardrails?.[i.m] ? h('span', { class: `tag guardrail guardrail-${a.guardrails[i.m]}`, 'data-testid': 'guardrail' },
            `guardrail: ${a.guardrails[i.m] === 'at-risk' ? 'at risk' : a.guardrails[i.m]}`) : null),
        h('td', null, h('span', { class: `sig sig-${i.verdict}`, 'data-testid': 'metric-verdict', 'data-verdict': i.verdict }, VERDICT_LABEL[i.verdict])),
        h('td', { class: 'num' },
          h('span', { class: 'strong', 'data-testid': 'abs-lift' }, lift.value),
          h('span', { class: 'ci', 'data-testid': 'abs-ci' }, lift.interval)),
        h('td', { class: 'num' },
          h('span', { class: 'strong', 'data-testid': 'rel-lift' }, rel.value),
          h('span', { class: 'ci', 'data-testid': 'rel-ci' }, rel.interval)),
        h('td', { class: 'num' },
          h('span', { class: `strong money ${decisive ? (i.verdict === 'win' ? 'pos' : 'neg') : 'muted-figure'}`, 'data-testid': 'dollar-impact' }, fmt.moneyWith(i.dollars, i.dollarsIv)),
          h('span', { class: 'ci', 'data-testid': 'dollar-ci' }, fmt.moneyInterval(i.dollarsIv, { alongside: i.dollars }))),
        h('td', { class: 'num', 'data-testid': 'control-mean' }, fmt.metricValue(r.controlMean, u)),
        h('td', { class: 'num', 'data-testid': 'treatment-mean' }, fmt.metricValue(r.treatmentMean, u)),
        h('td', { class: 'num' },
          h('span', { 'data-testid': 'p-value' }, fmt.pValue(r.pValue)),
          h('span', { class: 'ci' }, 'adj. ', h('span', { 'data-testid': 'adj-p-value' }, fmt.pValue(r.adjustedPValue)))),
      );
    });
    const forestUnits = forestPlot(infos.map((i) => ({
      label: metricName(i.m, lookup), value: i.r.absoluteDifference, interval: i.shown.interval, verdict: i.verdict,
      text: fmt.effectWithInterval(i.r.absoluteDifference, i.shown.interval, i.u).interval,
    })), { title: 'Change per metric, in its own unit (zero line shared)', axisLabel: () => '0', testId: 'forest-units', perRow: true });
    const forestDollars = forestPlot(infos.map((i) => ({
      label: metricName(i.m, lookup), value: i.dollars, interval: i.dollarsIv, verdict: i.verdict,
      text: fmt.moneyInterval(i.dollarsIv),
    })), { title: 'Dollar impact per metric (one scale)', axisLabel: (v) => (v === 0 ? '$0' : fmt.money(v, { signed: true })), testId: 'forest-dollars' });
    const note = adjusted
      ? `Intervals are ${a.correction === 'fdr_bh' ? 'Benjamini–Hochberg' : 'Holm'}-adjusted for the ${ids.length} metrics (each at the confidence that matches its adjusted p-value), so that an interval excludes zero exactly when the result is significant.${infos.some((i) => i.shown.kind === 'adjusted-derived') ? ' This analysis predates adjusted intervals; the dashboard computed them from its t statistics.' : ''}`
      : `${conf}% intervals.`;
    return h('section', { class: 'panel panel-flush', 'aria-labelledby': 'metrics-title', 'data-testid': 'metrics' },
      h('div', { class: 'panel-head' },
        h('h2', { id: 'metrics-title' }, 'Results by metric'),
        h('p', { class: 'muted small', 'data-testid': 'interval-note' },
          `Lifts are ${ids.some((m) => a.didResults[m].method === 'did') ? 'difference-in-differences estimates against the pre period' : 'treatment minus control'}, with the interval below each figure. `, note)),
      h('div', { class: 'forests' }, forestUnits, forestDollars),
      scrollRegion('Results by metric (table)',
        h('table', { class: 'table metrics-table' },
          h('caption', { class: 'visually-hidden' }, 'Verdict, change with its interval, dollar impact and statistics per metric'),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Metric'),
            h('th', { scope: 'col' }, 'Verdict'),
            h('th', { scope: 'col', class: 'num' }, 'Lift'),
            h('th', { scope: 'col', class: 'num' }, 'Relative lift'),
            h('th', { scope: 'col', class: 'num' }, 'Dollar impact'),
            h('th', { scope: 'col', class: 'num' }, 'Control'),
            h('th', { scope: 'col', class: 'num' }, 'Treatment'),
            h('th', { scope: 'col', class: 'num' }, 'p-value'))),
          h('tbody', null, rows))),
      h('details', { class: 'metric-details no-print' },
        h('summary', null, 'All statistics per metric'),
        h('div', { class: 'details-grid' }, ids.map((m) => detailsCard(m, a.didResults[m], a)))));
  }

  function detailsCard(m: string, r: DidResult, a: CompleteAnalysis): HTMLElement {
    const u = unit(m, a);
    const b = a.economicImpact?.metricBreakdown?.[m];
    const snap = a.metricValuesSnapshot?.[m];
    const row = (k: string, v: string) => [h('dt', null, k), h('dd', null, v)];
    const seq = r.sequential;
    return h('div', { class: 'details-card' },
      h('h3', null, metricName(m, lookup)),
      h('dl', null,
        row('Method', r.method === 'did' ? 'Difference-in-differences' : 'Paired (no pre period)'),
        row('Pre-period means', `treatment ${fmt.metricValue(r.preTreatmentMean, u)}, control ${fmt.metricValue(r.preControlMean, u)}`),
        row('Unadjusted interval', fmt.effectWithInterval(r.absoluteDifference, r.confidenceInterval, u).interval),
        row('Always-valid interval', seq?.interval ? `${fmt.effectWithInterval(r.absoluteDifference, seq.interval, u).interval} (${seq.looks} looks${seq.decisive ? ', decisive' : ''})` : 'not in this analysis'),
        row('Standard error', fmt.number(r.standardError)),
        row('t statistic / df', `${fmt.number(r.tStatistic)} / ${fmt.number(r.degreesOfFreedom)}`),
        row('Effect size (Cohen’s d)', fmt.number(r.effectSize)),
        row('Probability of improvement', fmt.percent(r.probabilityOfImprovement, { decimals: 1 })),
        row('Minimum detectable effect', fmt.metricDiff(r.minimumDetectableEffect, u)),
        row('User-hours (treatment / control)', `${fmt.integer(r.sampleSizeTreatment)} / ${fmt.integer(r.sampleSizeControl)}`),
        row('Hours (experiment / pre / skipped)', `${r.postHours} / ${r.preHours} / ${r.excludedHours}`),
        r.postBlocks !== undefined ? row('Days (experiment / pre)', `${r.postBlocks} / ${r.preBlocks ?? 0}`) : null,
        row('Parallel trends', r.parallelTrends ? `${r.parallelTrends.violated ? 'violated' : 'ok'} (p = ${fmt.pValue(r.parallelTrends.pValue)})` : 'not checked'),
        r.effectTrend ? row('Effect over time', `${r.effectTrend.changing ? 'changing' : 'steady'} (p = ${fmt.pValue(r.effectTrend.pValue)})`) : null,
        row('Value used', snap ? `${fmt.money(snap.dollarsPerUnit)} per ${fmt.perUnit(u)} per day${snap.version ? ` (version ${snap.version})` : ''}` : fmt.DASH),
        (() => {
          const i = metricInfo(m, a);
          const days = a.economicImpact?.durationDays ?? 0;
          const iv = i.dollarsIv && days > 0 ? { lower: i.dollarsIv.lower / days, upper: i.dollarsIv.upper / days } : null;
          return row('Daily dollar impact', `${fmt.moneyWith(b?.dailyDollarImpact, iv)} (${fmt.moneyInterval(iv, { alongside: b?.dailyDollarImpact })})`);
        })(),
      ));
  }

  /** Print only: every metric's verdict and chart, the values used with versions, the method. */
  function reportSection(a: CompleteAnalysis, res: ResultsResponse): HTMLElement {
    const x = res.experiment;
    const ids = ordered(Object.keys(a.didResults), x.metrics);
    const areas: { m: string; area: HTMLElement }[] = [];
    const section = h('section', { class: 'print-only report', 'data-testid': 'print-report', 'aria-hidden': 'true' },
      h('h2', null, 'Report details'),
      h('h3', null, 'Method and interval'),
      h('p', null, `${a.design === 'paired' || ids.every((m) => a.didResults[m].method === 'paired') ? 'Treatment minus control' : 'Difference-in-differences against the pre period'}, analysis version ${a.version ?? fmt.DASH}; `,
        `${x.confidenceLevel}% intervals, ${a.correction === 'fdr_bh' ? 'Benjamini–Hochberg' : 'Holm'}-adjusted across the ${ids.length} metrics. `,
        `Analysed ${fmt.dateTime(a.analysisTimestamp)} on ${x.dataSource === 'imported' ? 'imported' : 'SIMULATED'} data.`),
      reportSegments(a),
      h('h3', null, 'Metric values used'),
      h('table', { class: 'table table-compact' },
        h('thead', null, h('tr', null, ['Metric', 'Value per unit per day', 'Version', 'Verdict', 'Change (interval)'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, ids.map((m) => {
          const i = metricInfo(m, a);
          const e = fmt.effectWithInterval(i.r.absoluteDifference, i.shown.interval, i.u);
          return h('tr', { dataset: { reportMetric: m } },
            h('td', null, metricName(m, lookup)),
            h('td', null, i.snap ? `${fmt.money(i.snap.dollarsPerUnit)} per ${fmt.perUnit(i.u)}` : fmt.DASH),
            h('td', null, i.snap?.version !== undefined ? String(i.snap.version) : fmt.DASH),
            h('td', null, VERDICT_LABEL[i.verdict]),
            h('td', null, `${e.value} (${e.interval})`));
        }))),
      ids.map((m) => {
        const i = metricInfo(m, a);
        const area = h('div', { class: 'chart-area report-chart' });
        areas.push({ m, area });
        return h('div', { class: 'report-metric' },
          h('h3', null, `${metricName(m, lookup)}: ${VERDICT_LABEL[i.verdict]}`),
          h('p', { class: 'small' }, `Difference between treatment and control per day, with the interval of the effect: ${fmt.effectWithInterval(i.r.absoluteDifference, i.shown.interval, i.u).interval}.`),
          area);
      }));
    // Drawn once the section is in the page (uPlot needs a connected container).
    queueMicrotask(() => {
      for (const { m, area } of areas) {
        const series = res.results?.metrics?.[m];
        if (!series) continue;
        const chart = drawDifference(area, m, series, a, res, 'daily', 160);
        if (chart) charts.push(chart);
      }
    });
    return section;
  }


  // --- segments ----------------------------------------------------------------------------------
  /**
   * Results by segment (issue 17), only when the data has segments: a dimension, a metric and a
   * segment to pick; a forest plot of the metric across the dimension's segments with the overall
   * estimate as a dashed reference line; the heterogeneity test in words; each segment's verdict,
   * net dollar impact and sample-ratio check; and the chosen segment's charts.
   */
  function segmentSection(res: ResultsResponse, a: CompleteAnalysis): HTMLElement | null {
    const dims = (res.results as ResultsWithDimensions | null)?.dimensions ?? {};
    const names = dimensionsOf(dims);
    if (!names.length) return null;
    const sa = a as CompleteAnalysis & SegmentedAnalysis;
    const x = res.experiment;
    const metrics = ordered(Object.keys(a.didResults), x.metrics);
    if (!names.includes(segDimension)) segDimension = names[0];
    if (!metrics.includes(segMetric)) segMetric = metrics[0] ?? '';
    if (!(dims[segDimension] ?? []).includes(segSegment)) segSegment = '';

    const dimSelect = h('select', { id: 'seg-dimension', 'data-testid': 'segment-dimension' },
      names.map((d) => h('option', { value: d, selected: d === segDimension }, `${fmt.titleCase(d)} (${dims[d].length})`)));
    const metricSelect = h('select', { id: 'seg-metric', 'data-testid': 'segment-metric' },
      metrics.map((m) => h('option', { value: m, selected: m === segMetric }, metricName(m, lookup))));
    const segSelect = h('select', { id: 'seg-segment', 'data-testid': 'segment-select' });
    const fillSegments = () => replace(segSelect,
      h('option', { value: '', selected: segSegment === '' }, 'None: choose one to see its charts'),
      (dims[segDimension] ?? []).map((sg) => h('option', { value: sg, selected: sg === segSegment }, sg)));
    fillSegments();
    const view = h('div', { class: 'segment-view' });
    const chartsArea = h('div', { class: 'segment-charts no-print', 'data-testid': 'segment-charts' });
    /** Announces what the charts now show (the charts themselves are not read out on every change). */
    const chartsStatus = h('p', { class: 'visually-hidden', role: 'status' });
    let focusCharts = false;

    dimSelect.addEventListener('change', () => {
      segDimension = dimSelect.value;
      segSegment = '';
      fillSegments();
      setQuery({ dimension: segDimension, segment: null });
      draw();
    });
    metricSelect.addEventListener('change', () => {
      segMetric = metricSelect.value;
      setQuery({ segmentMetric: segMetric });
      draw();
    });
    segSelect.addEventListener('change', () => {
      segSegment = segSelect.value;
      setQuery({ dimension: segDimension, segment: segSegment || null });
      drawCharts();
    });
    const choose = (sg: string) => {
      segSegment = sg;
      segSelect.value = sg;
      setQuery({ dimension: segDimension, segment: sg });
      focusCharts = true;
      drawCharts();
    };

    const correction = a.correction === 'fdr_bh' ? 'Benjamini–Hochberg' : 'Holm';
    const section = h('section', { class: 'panel panel-flush', 'aria-labelledby': 'segments-title', 'data-testid': 'segments' },
      h('div', { class: 'panel-head' },
        h('h2', { id: 'segments-title' }, 'Results by segment'),
        h('p', { class: 'muted small' }, 'The same analysis for each segment of a dimension, with intervals ',
          `${correction}-adjusted for the number of segments. A segment's dollars are its share of the total.`)),
      h('div', { class: 'segment-body' },
        h('div', { class: 'segment-controls no-print' },
          h('div', { class: 'field field-inline' }, h('label', { for: 'seg-dimension' }, 'Dimension'), dimSelect),
          h('div', { class: 'field field-inline' }, h('label', { for: 'seg-metric' }, 'Metric'), metricSelect),
          h('div', { class: 'field field-inline' }, h('label', { for: 'seg-segment' }, 'Segment charts'), segSelect)),
        view,
        chartsStatus,
        chartsArea));

    function draw(): void {
      const u = unit(segMetric, a);
      const direction = metricInfo(segMetric, a).direction;
      const f = segmentForest(x, sa, segDimension, segMetric, { direction, unit: u, segments: dims[segDimension], now: Date.now() });
      const words = heterogeneityWords(f.heterogeneity, a.alpha);
      const mName = metricName(segMetric, lookup);
      const dName = fmt.titleCase(segDimension);
      const overallText = fmt.effectWithInterval(f.overall.value, f.overall.interval, u);
      const srmRows = f.rows.filter((r) => r.srmDetected);
      if (!f.rows.length) {
        // Series stored, but an analysis from before they were: nothing to judge yet.
        replace(view, h('p', { class: 'heterogeneity', 'data-testid': 'segment-no-analysis' },
          `This analysis has no figures for the segments of ${segDimension} yet: Re-run analysis (under Manage) computes them. Their charts are below.`));
        drawCharts();
        return;
      }
      replace(view,
        h('div', { class: `heterogeneity ${words.significant ? 'heterogeneity-significant' : ''}`, 'data-testid': 'heterogeneity', 'data-significant': String(words.significant), 'data-level': words.level },
          h('p', null, h('strong', { 'data-testid': 'heterogeneity-headline' }, words.headline), ` ${mName} by ${segDimension}.`),
          h('p', { class: 'small', 'data-testid': 'heterogeneity-detail' }, words.detail)),
        srmRows.length
          ? h('p', { class: 'warning-line', role: 'note', 'data-testid': 'segment-srm-warning' },
            h('strong', null, 'Sample ratio mismatch: '), `${srmRows.map((r) => r.segment).join(', ')}. Users in ${srmRows.length === 1 ? 'this segment were' : 'these segments were'} not split as planned, so ${srmRows.length === 1 ? 'its' : 'their'} figures may be biased.`)
          : null,
        h('div', { class: 'segment-forest' }, forestPlot(forestRows(f), {
          title: `${mName} by ${segDimension}: change per segment with its interval; dashed line: all users`,
          axisLabel: (v) => (v === 0 ? '0' : fmt.metricDiff(v, u)), testId: 'segment-forest',
          reference: f.overall.value === null ? null : { value: f.overall.value, label: 'all users' },
        })),
        scrollRegion(`${mName} by ${segDimension} (table)`,
          h('table', { class: 'table table-compact segment-table', 'data-testid': 'segment-table' },
            h('caption', { class: 'visually-hidden' }, `${mName} by ${segDimension}: verdict, change with its interval, net dollar impact and sample-ratio check per segment`),
            h('thead', null, h('tr', null,
              h('th', { scope: 'col' }, dName),
              h('th', { scope: 'col' }, 'Verdict'),
              h('th', { scope: 'col', class: 'num' }, 'Change'),
              h('th', { scope: 'col', class: 'num' }, 'Net dollars (all metrics)'),
              h('th', { scope: 'col' }, 'Sample ratio'),
              h('th', { scope: 'col', class: 'num' }, 'Share of traffic'))),
            h('tbody', null,
              f.rows.map((r) => h('tr', { dataset: { segment: r.segment } },
                h('th', { scope: 'row' },
                  h('button', {
                    type: 'button', class: 'linklike', 'data-testid': 'segment-choose', 'aria-pressed': String(r.segment === segSegment),
                    'aria-label': `Show the charts of ${r.segment}`, onclick: () => choose(r.segment),
                  }, r.segment)),
                h('td', null,
                  h('span', { class: `sig sig-${r.verdict.decisive ? r.verdict.kind : r.verdict.kind === 'simulated' ? 'simulated' : r.verdict.kind}`, 'data-testid': 'segment-verdict', 'data-verdict': r.verdict.kind }, r.verdict.label),
                  h('span', { class: 'reason muted small' }, r.verdict.reason)),
                h('td', { class: 'num' },
                  h('span', { class: r.verdict.decisive ? 'strong' : 'muted-figure', 'data-testid': 'segment-change' }, r.verdict.decisive ? r.effect.value : r.effect.interval),
                  r.verdict.decisive ? h('span', { class: 'ci' }, r.effect.interval) : null),
                h('td', { class: 'num' },
                  h('span', {
                    class: `money ${r.dollars.decisive ? `strong ${(r.dollars.value ?? 0) < 0 ? 'neg' : 'pos'}` : 'muted-figure'}`, 'data-testid': 'segment-dollars',
                  }, r.dollars.text)),
                h('td', { 'data-testid': 'segment-srm' }, r.srm === null
                  ? fmt.DASH
                  : r.srmDetected
                    ? h('span', { class: 'tag tag-srm', title: `p = ${fmt.pValue(r.srm.pValue)}` }, `mismatch (p ${r.srm.pValue !== null && r.srm.pValue < 0.0001 ? '< 0.0001' : `= ${fmt.pValue(r.srm.pValue)}`})`)
                    : h('span', { class: 'muted' }, 'as planned')),
                h('td', { class: 'num' }, r.trafficShare === null ? fmt.DASH : fmt.percent(r.trafficShare, { decimals: 1 })))),
              h('tr', { class: 'segment-overall', 'data-testid': 'segment-overall' },
                h('th', { scope: 'row' }, 'All users'),
                h('td', null, h('span', { class: `sig sig-${f.overall.verdict.kind}`, 'data-testid': 'segment-overall-verdict', 'data-verdict': f.overall.verdict.kind }, f.overall.verdict.label)),
                h('td', { class: 'num' }, f.overall.verdict.decisive
                  ? [h('span', { class: 'strong' }, overallText.value), h('span', { class: 'ci' }, overallText.interval)]
                  : h('span', { class: 'muted-figure' }, overallText.interval)),
                h('td', { class: 'num' }, h('span', { class: 'muted small' }, 'see Economic impact')),
                h('td', null, a.srm ? (a.srm.detected ? h('span', { class: 'tag tag-srm' }, 'mismatch') : h('span', { class: 'muted' }, 'as planned')) : fmt.DASH),
                h('td', { class: 'num' }, '100%'))))));
      drawCharts();
    }

    function drawCharts(): void {
      charts.filter((c) => c.tag === 'segment').forEach((c) => c.destroy());
      charts = charts.filter((c) => c.tag !== 'segment');
      view.querySelectorAll<HTMLButtonElement>('[data-testid="segment-choose"]').forEach((b) =>
        b.setAttribute('aria-pressed', String(b.closest('tr')?.dataset.segment === segSegment)));
      if (!segSegment) {
        focusCharts = false;
        replace(chartsArea, h('p', { class: 'muted small' }, 'Choose a segment (above, or its name in the table) to see its treatment and control over time.'));
        return;
      }
      const dim = segDimension;
      const sg = segSegment;
      const m = segMetric;
      replace(chartsArea, loading(`Loading the ${sg} series…`));
      let req = dimensionCache.get(dim);
      if (!req) {
        req = api.get<DimensionResultsResponse>(`${path}/results?dimension=${encodeURIComponent(dim)}`);
        dimensionCache.set(dim, req);
        req.catch(() => dimensionCache.delete(dim));
      }
      req.then((d) => {
        if (disposed || dim !== segDimension || sg !== segSegment || m !== segMetric) return;
        const series = d.segments?.[sg]?.metrics?.[m];
        const mName = metricName(m, lookup);
        if (!series || !series.timeSeries.length) {
          replace(chartsArea, h('h3', { tabindex: -1, 'data-testid': 'segment-charts-title' }, `${sg}: ${mName}`), h('p', { class: 'muted' }, `No ${mName} data in the segment ${sg}.`));
          if (focusCharts) chartsArea.querySelector<HTMLElement>('h3')?.focus();
          focusCharts = false;
          return;
        }
        const segAnalysis = { ...a, didResults: (sa.segments?.[dim]?.[sg]?.didResults ?? {}) } as CompleteAnalysis;
        const ms = { ...series, summary: undefined } as unknown as MetricResults;
        const { u, data } = seriesOf(m, ms, segAnalysis, 'daily');
        const start = Date.parse(x.startDate) / 1000;
        const end = Date.parse(x.endDate) / 1000;
        const area1 = h('div', { class: 'chart-area', 'data-testid': 'segment-chart-comparison' });
        const area2 = h('div', { class: 'chart-area', 'data-testid': 'segment-chart-difference' });
        const r = segAnalysis.didResults[m];
        const shown = r ? shownInterval(r, a.alpha) : null;
        replace(chartsArea,
          h('h3', { tabindex: -1, 'data-testid': 'segment-charts-title' }, `${sg}: ${mName} over time`),
          h('h4', { class: 'chart-title' }, 'Treatment vs control (daily averages)'),
          h('div', { class: 'legend-keys', 'aria-hidden': 'true' },
            h('span', { class: 'key key-treatment' }, 'Treatment'), h('span', { class: 'key key-control' }, 'Control'),
            h('span', { class: 'key key-pre' }, 'Pre period')),
          area1,
          h('h4', { class: 'chart-title' }, 'Difference (treatment − control), with the interval of the segment’s effect'),
          area2,
          h('p', { class: 'muted small' }, `Daily averages in ${u === '%' ? 'percent' : u}, UTC. `,
            r ? `The shaded band is the gap the segment's interval allows: ${fmt.effectWithInterval(r.absoluteDifference, shown?.interval ?? null, u).interval}.` : ''),
          dataTable(`${mName} in ${sg}, daily averages (${u === '%' ? 'percent' : u})`, ['Day (UTC)', 'Treatment', 'Control'],
            data.x.map((ts, i) => {
              const f = axisFmtOf(u);
              const t = data.treatment[i];
              const c = data.control[i];
              return [fmt.date(new Date(ts * 1000).toISOString()) + (ts < start ? ' (pre)' : ''), t === null ? fmt.DASH : f(t), c === null ? fmt.DASH : f(c)];
            }), { testId: 'segment-chart-table' }));
        const c1 = comparisonChart(area1, data, { title: `${mName}, ${sg}`, start, end, format: axisFmtOf(u), height: 200 });
        const c2 = drawDifference(area2, m, ms, segAnalysis, res, 'daily', 200);
        for (const c of [c1, c2]) if (c) charts.push(Object.assign(c, { tag: 'segment' }));
        chartsStatus.textContent = `Showing the charts of ${sg}: ${mName}.`;
        if (focusCharts) chartsArea.querySelector<HTMLElement>('h3')?.focus();
        focusCharts = false;
      }).catch((e) => {
        if (disposed || dim !== segDimension || sg !== segSegment) return;
        replace(chartsArea, errorPanel(e, () => drawCharts()));
      });
    }
    queueMicrotask(() => { if (!disposed) draw(); });
    return section;
  }

  /** Print only: per dimension and metric, whether the segments disagree (the heterogeneity test). */
  function reportSegments(a: CompleteAnalysis): HTMLElement | null {
    const sa = a as CompleteAnalysis & SegmentedAnalysis;
    const hg = sa.heterogeneity ?? {};
    const dims = Object.keys(sa.segments ?? {}).filter((d) => Object.keys(sa.segments?.[d] ?? {}).length);
    if (!dims.length) return null;
    const d = segmentDisagreements(a);
    return h('div', { class: 'report-segments', 'data-testid': 'report-segments' },
      h('h3', null, 'Segments'),
      h('p', { 'data-testid': 'report-segments-summary' }, d.length
        ? [h('strong', null, disagreementText(d, (m) => metricName(m, lookup))), ' The overall figures average segments that responded differently.']
        : `No clear difference between segments (Cochran's Q and Welch's test per metric) in ${dims.join(', ')}: the overall figures speak for every segment.`),
      h('ul', { class: 'small' }, dims.map((dim) => h('li', null, `${fmt.titleCase(dim)} (${Object.keys(sa.segments![dim]).join(', ')}): `,
        ordered(Object.keys(hg[dim] ?? {}), detail?.experiment.metrics ?? []).map((m, i) => {
          const t = hg[dim][m];
          const figures = heterogeneityFigures(t);
          const welch = welchFigures(t);
          const level = heterogeneityLevel(t, a.alpha);
          const said = level === 'differ' ? 'effects differ' : level === 'weak' ? 'weak evidence of a difference' : 'no evidence of a difference';
          return `${i ? '; ' : ''}${metricName(m, lookup)}: ${figures === null ? 'not testable' : `${said} (${figures}${welch ? `; ${welch}` : ''})`}`;
        }), '.'))));
  }

  // --- charts ------------------------------------------------------------------------------------
  function seriesOf(m: string, series: MetricResults, a: ExperimentAnalysis | null, granularity: 'daily' | 'hourly') {
    const u = unit(m, a);
    const scale = u === '%' ? 100 : 1;
    const hourly: SeriesData = { x: [], treatment: [], control: [] };
    for (const p of series.timeSeries) {
      hourly.x.push(Date.parse(p.timestamp) / 1000);
      hourly.treatment.push(p.treatmentValue === null ? null : p.treatmentValue * scale);
      hourly.control.push(p.controlValue === null ? null : p.controlValue * scale);
    }
    return { u, scale, data: granularity === 'daily' ? toDaily(hourly) : hourly };
  }

  const axisFmtOf = (u: string) => (v: number) => u === '%' ? `${+v.toFixed(2)}%` : u === '$' ? `$${+v.toFixed(2)}` : `${+v.toPrecision(4)}`;
  const diffFmtOf = (u: string) => (v: number) => u === '%' ? `${+v.toFixed(3)} pp` : u === '$' ? `$${+v.toFixed(2)}` : `${+v.toPrecision(3)}`;

  /** The difference chart of one metric with the interval band of its effect over the post period. */
  function drawDifference(area: HTMLElement, m: string, series: MetricResults, a: ExperimentAnalysis | null, res: ResultsResponse,
    granularity: 'daily' | 'hourly', height: number): ChartHandle | null {
    const { u, scale, data } = seriesOf(m, series, a, granularity);
    const start = Date.parse(res.experiment.startDate) / 1000;
    const end = Date.parse(res.experiment.endDate) / 1000;
    const r = a?.didResults?.[m];
    const preMean = r && r.preTreatmentMean !== null && r.preControlMean !== null && r.method === 'did' ? (r.preTreatmentMean - r.preControlMean) * scale : null;
    const postMean = r && r.treatmentMean !== null && r.controlMean !== null ? (r.treatmentMean - r.controlMean) * scale : null;
    const shown = r && a ? shownInterval(r, a.alpha).interval : null;
    // The gap the interval allows in the post period: the pre-period gap plus the effect's bounds.
    const band = shown ? { lower: ((preMean ?? 0) / scale + shown.lower) * scale, upper: ((preMean ?? 0) / scale + shown.upper) * scale } : null;
    return differenceChart(area, data, { title: metricName(m, lookup), start, end, format: diffFmtOf(u), preMean, postMean, band, height });
  }

  function renderCharts(section: HTMLElement, res: ResultsResponse): void {
    const results = res.results!;
    const analysis = res.analysis;
    const ids = ordered(Object.keys(results.metrics), res.experiment.metrics);
    if (!ids.includes(chartMetric)) chartMetric = ids[0] ?? '';
    const start = Date.parse(res.experiment.startDate) / 1000;
    const end = Date.parse(res.experiment.endDate) / 1000;

    const select = h('select', { id: 'chart-metric', 'data-testid': 'chart-metric' },
      ids.map((m) => h('option', { value: m, selected: m === chartMetric }, metricName(m, lookup))));
    const toggle = (['daily', 'hourly'] as const).map((g) =>
      h('button', {
        type: 'button', class: 'seg', 'aria-pressed': String(g === granularity), dataset: { granularity: g },
        onclick: () => {
          granularity = g;
          toggle.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.granularity === g)));
          setQuery({ view: g === 'daily' ? null : g });
          draw();
        },
      }, g === 'daily' ? 'Daily' : 'Hourly'));
    const area1 = h('div', { class: 'chart-area', 'data-testid': 'chart-comparison' });
    const area2 = h('div', { class: 'chart-area', 'data-testid': 'chart-difference' });
    const table1 = h('div');
    const note = h('p', { class: 'muted small' });
    select.addEventListener('change', () => {
      chartMetric = select.value;
      setQuery({ metric: chartMetric });
      draw();
    });
    replace(section,
      h('div', { class: 'panel-head chart-head' },
        h('h2', { id: 'charts-title' }, 'Over time'),
        h('div', { class: 'chart-controls no-print' },
          h('div', { class: 'field field-inline' }, h('label', { for: 'chart-metric' }, 'Metric'), select),
          h('div', { class: 'segmented', role: 'group', 'aria-label': 'Granularity' }, toggle))),
      h('h3', { class: 'chart-title' }, 'Treatment vs control'),
      h('div', { class: 'legend-keys', 'aria-hidden': 'true' },
        h('span', { class: 'key key-treatment' }, 'Treatment'), h('span', { class: 'key key-control' }, 'Control'),
        h('span', { class: 'key key-pre' }, 'Pre period')),
      area1,
      h('h3', { class: 'chart-title' }, 'Difference (treatment − control), with the interval of the effect'),
      area2,
      note,
      table1);

    function draw(): void {
      charts.filter((c) => c.tag === 'main').forEach((c) => c.destroy());
      charts = charts.filter((c) => c.tag !== 'main');
      const series = results.metrics[chartMetric];
      if (!series) return;
      const { u, data } = seriesOf(chartMetric, series, analysis, granularity);
      const title = metricName(chartMetric, lookup);
      const c1 = comparisonChart(area1, data, { title, start, end, format: axisFmtOf(u) });
      const c2 = drawDifference(area2, chartMetric, series, analysis, res, granularity, 220);
      for (const c of [c1, c2]) if (c) charts.push(Object.assign(c, { tag: 'main' }));
      const r = analysis?.didResults?.[chartMetric];
      const shown = r && analysis ? shownInterval(r, analysis.alpha) : null;
      note.textContent = `${granularity === 'daily' ? 'Daily averages of hourly values' : 'Hourly values'} in ${u === '%' ? 'percent' : u}, UTC. `
        + (r ? `The shaded band over the experiment is the gap the interval of the effect allows: ${fmt.effectWithInterval(r.absoluteDifference, shown?.interval ?? null, u).interval}.` : '');
      const daily = toDaily(seriesOf(chartMetric, series, analysis, 'hourly').data);
      const f = axisFmtOf(u);
      const df = diffFmtOf(u);
      replace(table1, dataTable(`${title}, daily averages (${u === '%' ? 'percent' : u})`, ['Day (UTC)', 'Treatment', 'Control', 'Difference'],
        daily.x.map((ts, i) => {
          const t = daily.treatment[i];
          const c = daily.control[i];
          return [fmt.date(new Date(ts * 1000).toISOString()) + (ts < start ? ' (pre)' : ''), t === null ? fmt.DASH : f(t), c === null ? fmt.DASH : f(c), t === null || c === null ? fmt.DASH : df(t - c)];
        }), { testId: 'chart-table' }));
    }
    draw();
  }

  /** The running dollar impact since the start with its band (the page's third chart). */
  function cumulativeSection(res: ResultsResponse, a: CompleteAnalysis): HTMLElement | null {
    const ei = a.economicImpact;
    if (!ei || !res.results) return null;
    const pricing: Record<string, { dollarsPerUnit: number; unitSize: number; direction: Direction }> = {};
    const counted: string[] = [];
    for (const m of ordered(Object.keys(a.didResults), res.experiment.metrics)) {
      const i = metricInfo(m, a);
      if (!i.snap || !ei.metricBreakdown?.[m]) continue;
      pricing[m] = { dollarsPerUnit: i.snap.dollarsPerUnit, unitSize: i.b?.unitSize ?? i.snap.unitSize ?? fmt.defaultUnitSize(i.u), direction: i.direction };
      if (i.counted) counted.push(m);
    }
    const series: Record<string, TimePoint[]> = {};
    for (const [m, v] of Object.entries(res.results.metrics)) series[m] = v.timeSeries;
    const design = a.design ?? (Object.values(a.didResults).some((r) => r.method === 'did') ? 'did' : 'paired');
    const c = cumulativeEffect({ series, pricing, counted, start: Date.parse(res.experiment.startDate) / 1000, design, confidenceLevel: res.experiment.confidenceLevel });
    if (!c) return null;
    const area = h('div', { class: 'chart-area', 'data-testid': 'chart-cumulative' });
    const last = c.value.length - 1;
    const section = h('section', { class: 'panel chart-panel', 'aria-labelledby': 'cumulative-title', 'data-testid': 'cumulative' },
      h('div', { class: 'panel-head' }, h('h2', { id: 'cumulative-title' }, 'Cumulative dollar impact since the start')),
      h('p', { class: 'muted small chart-note' }, `The running total of the daily dollar effect${c.design === 'did' ? ' (against the pre-period gap)' : ''} with its ${res.experiment.confidenceLevel}% band; after ${c.postDays} days: `,
        h('strong', { 'data-testid': 'cumulative-last' }, `${fmt.moneyWith(c.value[last], { lower: c.lower[last], upper: c.upper[last] })} (${fmt.moneyInterval({ lower: c.lower[last], upper: c.upper[last] })})`),
        '. A band that still straddles zero at the end is not a gain.'),
      area,
      dataTable('cumulative dollar impact per day', ['Day (UTC)', 'Cumulative impact', 'Lower bound', 'Upper bound'],
        c.x.map((ts, i) => [fmt.date(new Date((ts - 86400) * 1000).toISOString()), fmt.money(c.value[i], { signed: true }), fmt.money(c.lower[i], { signed: true }), fmt.money(c.upper[i], { signed: true })]),
        { testId: 'cumulative-table' }));
    queueMicrotask(() => charts.push(cumulativeChart(area, c, { title: 'Cumulative dollar impact', format: (v) => fmt.money(v, { signed: true }) })));
    return section;
  }


  // --- history -----------------------------------------------------------------------------------
  function historySection(analyses: ExperimentAnalysis[], currentId: string | null): HTMLElement | null {
    if (!analyses.length) return null;
    return h('section', { class: 'panel panel-flush no-print', 'aria-labelledby': 'history-title', 'data-testid': 'analysis-history' },
      h('div', { class: 'panel-head' },
        h('h2', { id: 'history-title' }, 'Analysis history'),
        h('p', { class: 'muted small' }, 'Each analysis keeps the metric values it used, so a later price change never alters it.')),
      scrollRegion('Analysis history (table)',
        h('table', { class: 'table table-compact' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col', class: 'num' }, 'Net impact (interval)'), h('th', { scope: 'col' }, 'Significant metrics'),
            h('th', { scope: 'col' }, 'Values used'), h('th', { scope: 'col' }, 'Method'))),
          h('tbody', null, analyses.map((a) => {
            const sig = Object.entries(a.didResults ?? {}).filter(([, r]) => r.significant).map(([m]) => metricName(m, lookup));
            const values = Object.entries(a.metricValuesSnapshot ?? {})
              .map(([m, s]) => `${metricName(m, lookup)} ${fmt.money(s.dollarsPerUnit)}`).join(', ');
            return h('tr', { class: a.analysisId === currentId ? 'current' : '' },
              h('td', { class: 'nowrap' },
                a.status === 'complete'
                  ? h('a', { class: 'history-link', href: `/experiments/${encodeURIComponent(id)}/analyses/${encodeURIComponent(a.analysisId)}`, 'data-testid': 'analysis-link' },
                    fmt.dateTime(a.analysisTimestamp))
                  : fmt.dateTime(a.analysisTimestamp),
                a.analysisId === currentId ? h('span', { class: 'tag' }, 'shown') : null),
              h('td', null, a.status === 'failed' ? h('span', { class: 'sig sig-loss', title: a.error ?? '' }, 'failed') : a.status),
              h('td', { class: 'num money' }, a.economicImpact
                ? [h('span', null, fmt.moneyWith(a.economicImpact.totalImpact, a.economicImpact.totalImpactInterval)),
                  h('span', { class: 'ci' }, fmt.moneyInterval(a.economicImpact.totalImpactInterval, { alongside: a.economicImpact.totalImpact }))]
                : fmt.DASH),
              h('td', null, sig.length ? sig.join(', ') : h('span', { class: 'muted' }, 'none')),
              h('td', { class: 'small' }, values || fmt.DASH),
              h('td', { class: 'small' }, `${a.version}, ${a.correction === 'fdr_bh' ? 'BH' : 'Holm'}`));
          })))));
  }

  void start();
  return () => {
    disposed = true;
    stopPolling?.();
    destroyCharts();
    window.removeEventListener('beforeprint', beforePrint);
    window.removeEventListener('afterprint', afterPrint);
  };
};
