// Experiment results: period and status; the pipeline's progress while it runs (refreshing by
// itself); then the economic impact, per-metric statistics, warnings in plain words, charts of
// treatment vs control and of their difference, the analysis history, and the actions.
import { api, ApiError, download, saveBlob } from '../api';
import { byId, loadCatalog, metricName } from '../catalog';
import { h, replace } from '../dom';
import * as fmt from '../format';
import { navigate, setQuery, type Page } from '../router';
import type {
  DidResult, EventsResponse, ExperimentAnalysis, ExperimentDetail, MetricValue,
  MetricValuesResponse, PipelineJob, ResultsResponse,
} from '../types';
import { comparisonChart, differenceChart, toDaily, type ChartHandle, type SeriesData } from '../components/chart';
import { errorPanel, loading, poll, setTitle, statusBadge } from '../components/ui';
import { toast } from '../components/toast';

const POLL_MS = 1000;

/** "low to high" under a figure; each bound stays on one line. */
function ciSpan(testId: string, i: { lower: number; upper: number } | null | undefined, f: (v: number) => string): HTMLElement {
  if (!i) return h('span', { class: 'ci', 'data-testid': testId }, fmt.DASH);
  return h('span', { class: 'ci', 'data-testid': testId },
    h('span', { class: 'nowrap' }, f(i.lower)), ' to ', h('span', { class: 'nowrap' }, f(i.upper)));
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const experimentPage: Page = (root, { params, query }) => {
  const id = params.id;
  const path = `/experiments/${encodeURIComponent(id)}`;
  let disposed = false;
  let stopPolling: (() => void) | null = null;
  let charts: ChartHandle[] = [];
  let catalog: MetricValuesResponse | null = null;
  let lookup = new Map<string, MetricValue>();
  let detail: ExperimentDetail | null = null;
  let chartMetric = query.get('metric') ?? '';
  let granularity: 'hourly' | 'daily' = query.get('view') === 'hourly' ? 'hourly' : 'daily';

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
  // The printed report is one A4 page: charts drawn at the page's width, a little shorter.
  const beforePrint = () => charts.forEach((c) => c.setPrintSize({ width: 660, height: 230 }));
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
    replace(head,
      h('p', { class: 'print-only print-brand' }, `RallyUXR · Results report · ${fmt.dateTime(new Date().toISOString())}`),
      h('header', { class: 'page-header exp-title' },
        h('div', null,
          h('h1', { 'data-testid': 'experiment-name' }, x.name),
          h('div', { class: 'exp-meta' },
            statusBadge(x.status),
            h('span', { 'data-testid': 'experiment-period' }, fmt.period(x.startDate, x.endDate)),
            h('span', null, `${x.confidenceLevel}% confidence`),
            h('span', null, x.dataSource === 'imported' ? 'Imported data' : 'Simulated data'),
            detail.participantCount ? h('span', null, `${fmt.integer(detail.participantCount)} participants`) : null),
        ),
        h('div', { class: 'actions no-print' },
          h('button', {
            type: 'button', class: 'btn', 'data-testid': 'export-csv', disabled: !detail.hasAnalysis,
            title: 'Every figure of the newest analysis, one row per metric',
            onclick: busy('Exporting…', () => download(`${path}/analysis.csv`, `${x.id}-analysis.csv`)),
          }, 'Export CSV'),
          h('button', {
            type: 'button', class: 'btn', 'data-testid': 'export-results-csv', disabled: !canExport,
            title: 'Every hourly data point, pre and post period',
            onclick: busy('Exporting…', () => download(`${path}/results.csv`, `${x.id}-results.csv`)),
          }, 'Export hourly data'),
          h('button', { type: 'button', class: 'btn', 'data-testid': 'print', onclick: () => window.print() }, 'Print report'),
          h('a', { class: 'btn btn-primary', href: `/experiments/new?from=${encodeURIComponent(x.id)}`, 'data-testid': 'follow-up' }, 'Create follow-up'),
        ),
      ),
      x.description ? h('p', { class: 'exp-desc' }, x.description) : null,
      h('p', { class: 'exp-metrics muted' }, h('strong', null, 'Metrics: '), metricsText),
    );
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
    const send = (method: 'PUT' | 'POST') => async () => {
      const f = file.files?.[0];
      if (!f) {
        replace(out, h('p', { class: 'field-error' }, 'Choose a CSV or JSON file first.'));
        file.focus();
        return;
      }
      const text = await f.text();
      const isCsv = /\.csv$/i.test(f.name) || f.type === 'text/csv';
      try {
        await api.upload(method, `${path}/results`, text, isCsv ? 'text/csv' : 'application/json');
        toast('Data uploaded. The analysis follows by itself.', 'success');
        replace(out);
        watchPipeline();
      } catch (e) {
        const err = e instanceof ApiError ? e : null;
        replace(out, h('div', { class: 'panel panel-error', role: 'alert' },
          h('p', null, h('strong', null, 'The upload was rejected; nothing was stored. '), err?.message ?? String(e)),
          err?.details.length ? h('ul', null, err.details.slice(0, 100).map((d) =>
            h('li', null, `${Array.isArray(d.path) ? d.path.join('.') : d.path}: ${d.message}`))) : null));
      }
    };
    replace(body, h('section', { class: 'panel', 'aria-labelledby': 'import-title' },
      h('h2', { id: 'import-title' }, detail!.hasResults ? 'Add or replace data' : 'Upload your data'),
      h('p', null, 'Hourly aggregates as CSV with the header ',
        h('code', null, 'metricId,timestamp,treatmentValue,controlValue,treatmentSampleSize,controlSampleSize'),
        ', or JSON in the results format. Hours before the start date form the pre period.'),
      h('p', { class: 'muted' }, 'Metric ids of this experiment: ', x.metrics.map((m, i) => [i ? ', ' : '', h('code', null, m)]), '. ',
        h('button', { type: 'button', class: 'linklike', onclick: () => csvTemplate(x) }, 'Download a CSV template')),
      h('div', { class: 'field' }, h('label', { for: 'import-file' }, 'Data file (CSV or JSON)'), file),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: send('PUT') }, 'Replace all data'),
        h('button', { type: 'button', class: 'btn', onclick: send('POST') }, 'Merge into existing data')),
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
    try {
      const [r, a, ev] = await Promise.all([
        api.get<ResultsResponse>(`${path}/results`),
        api.get<{ analyses: ExperimentAnalysis[] }>(`${path}/analyses`).catch(() => ({ analyses: [] })),
        api.get<EventsResponse>(`${path}/events`).catch(() => null),
      ]);
      res = r;
      analyses = a.analyses ?? [];
      events = ev;
    } catch (e) {
      if (!disposed) replace(body, errorPanel(e, () => void loadResults()));
      return;
    }
    if (disposed) return;
    if (detail) {
      detail = { ...detail, experiment: res.experiment, hasResults: !!res.results, hasAnalysis: !!res.analysis || detail.hasAnalysis };
      renderHead();
    }
    renderResults(res, analyses, events);
  }

  function renderResults(res: ResultsResponse, analyses: ExperimentAnalysis[], events: EventsResponse | null): void {
    destroyCharts();
    const { analysis, results, experiment: x } = res;
    const newest = analyses[0];
    const parts: (HTMLElement | null)[] = [];

    if (newest && newest.status === 'failed') {
      parts.push(h('section', { class: 'panel panel-error', role: 'alert', 'data-testid': 'analysis-failed' },
        h('h2', null, 'The newest analysis failed'),
        h('p', null, newest.error ?? 'No reason was given.'),
        analysis ? h('p', { class: 'muted' }, `Showing the previous analysis of ${fmt.dateTime(analysis.analysisTimestamp)}.`) : null));
    } else if (newest && newest.status === 'processing') {
      parts.push(h('section', { class: 'panel notice' }, h('p', null, 'A new analysis is being computed; this page refreshes when it is ready.')));
    }

    if (!analysis) {
      parts.push(h('section', { class: 'panel' },
        h('h2', null, 'No analysis yet'),
        h('p', null, results ? 'The data is in, but no complete analysis exists yet.' : 'This experiment has no data.'),
        reanalyseButton(newest?.analysisId ?? null)));
    } else {
      parts.push(impactSection(analysis, x.implementationCost));
      parts.push(warningsSection(analysis, x.metrics));
      parts.push(metricsSection(analysis, x.metrics));
    }
    const chartSection = results ? h('section', { class: 'panel chart-panel', 'aria-labelledby': 'charts-title' }) : null;
    parts.push(chartSection);
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
            onclick: async () => {
              if (!window.confirm(`Archive “${x.name}”? It leaves the dashboard list and the totals.`)) return;
              try {
                await api.post(`${path}/archive`);
                toast('Experiment archived.', 'success');
                navigate('/');
              } catch (e) {
                toast(e instanceof Error ? e.message : String(e), 'error');
              }
            },
          }, 'Archive experiment')
          : h('span', { class: 'muted' }, 'Archived experiments are kept read-only.'))));

    replace(body, ...parts);
    if (chartSection && results) renderCharts(chartSection, res);
    if (newest && newest.status === 'processing') waitForAnalysis(null);
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

  // --- economic impact -----------------------------------------------------------------------------
  function impactSection(a: ExperimentAnalysis, cost: number | null): HTMLElement {
    const ei = a.economicImpact;
    const conf = a.didResults[Object.keys(a.didResults)[0]]?.confidenceLevel ?? detail?.experiment.confidenceLevel ?? 95;
    if (!ei) {
      return h('section', { class: 'panel' }, h('h2', null, 'Economic impact'), h('p', null, 'No dollar figures: the metrics have no dollar values.'));
    }
    const sign = (v: number | null | undefined) => (v === null || v === undefined || v === 0 ? '' : v > 0 ? 'pos' : 'neg');
    const days = ei.durationDays ?? a.experimentPeriod?.durationDays;
    return h('section', { class: 'impact', 'aria-labelledby': 'impact-title', 'data-testid': 'impact' },
      h('h2', { id: 'impact-title' }, 'Economic impact'),
      h('div', { class: 'impact-grid' },
        h('div', { class: 'impact-main' },
          h('div', { class: 'card-label' }, 'Net economic impact'),
          h('div', { class: `impact-figure money ${sign(ei.totalImpact)}`, 'data-testid': 'total-impact' }, fmt.money(ei.totalImpact, { signed: true })),
          h('div', { class: 'impact-sub' },
            `over ${days} ${days === 1 ? 'day' : 'days'} · ${conf}% interval `,
            h('strong', { 'data-testid': 'total-impact-interval' }, fmt.moneyInterval(ei.totalImpactInterval))),
          ei.probabilityOfPositiveImpact !== null && ei.probabilityOfPositiveImpact !== undefined
            ? h('div', { class: 'impact-sub' }, h('strong', { 'data-testid': 'prob-positive' }, fmt.percent(ei.probabilityOfPositiveImpact, { decimals: 1 })), ' chance the impact is positive')
            : null),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'Annualized impact'),
          h('div', { class: `card-figure money ${sign(ei.annualizedImpact)}`, 'data-testid': 'annualized-impact' }, fmt.money(ei.annualizedImpact, { signed: true })),
          h('div', { class: 'card-note' }, 'per year at full rollout')),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'ROI'),
          ei.roiPercentage === null || ei.roiPercentage === undefined
            ? h('div', { class: 'card-figure card-figure-muted', 'data-testid': 'roi' }, 'Add a cost to see ROI')
            : h('div', { class: `card-figure ${sign(ei.roiPercentage)}`, 'data-testid': 'roi' }, fmt.percent(ei.roiPercentage / 100, { decimals: 0 })),
          h('div', { class: 'card-note' }, cost ? `on ${fmt.money(cost)} implementation cost, first year` : 'needs an implementation cost')),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'Significant-only impact'),
          h('div', { class: `card-figure money ${sign(ei.significantImpact)}`, 'data-testid': 'significant-impact' }, fmt.money(ei.significantImpact, { signed: true })),
          h('div', { class: 'card-note' }, 'from statistically significant metrics only')),
        h('div', { class: 'card' },
          h('div', { class: 'card-label' }, 'Confidence level'),
          h('div', { class: 'card-figure', 'data-testid': 'confidence' }, `${conf}%`),
          h('div', { class: 'card-note' }, `${a.correction === 'fdr_bh' ? 'Benjamini–Hochberg' : 'Holm'}-adjusted p-values, α = ${+Number(a.alpha).toFixed(4)}`)),
      ));
  }

  // --- warnings ------------------------------------------------------------------------------------
  function warningsSection(a: ExperimentAnalysis, metrics: string[]): HTMLElement | null {
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
  function verdict(r: DidResult, m: string, a: ExperimentAnalysis): { text: string; cls: string } {
    if (r.pValue === null || r.adjustedPValue === null) return { text: 'Not testable', cls: 'sig-none' };
    if (!r.significant) return { text: 'Not significant', cls: 'sig-none' };
    const b = a.economicImpact?.metricBreakdown?.[m];
    const dir = b?.improvementDirection ?? lookup.get(m)?.improvementDirection ?? 'increase';
    const better = (r.absoluteDifference ?? 0) * (dir === 'decrease' ? -1 : 1) > 0;
    return better ? { text: 'Significant win', cls: 'sig-win' } : { text: 'Significant loss', cls: 'sig-loss' };
  }

  function metricsSection(a: ExperimentAnalysis, metrics: string[]): HTMLElement {
    const ids = ordered(Object.keys(a.didResults), metrics);
    const rows = ids.map((m) => {
      const r = a.didResults[m];
      const u = unit(m, a);
      const b = a.economicImpact?.metricBreakdown?.[m];
      const v = verdict(r, m, a);
      const dollars = b?.dollarImpact ?? null;
      return h('tr', { dataset: { metric: m } },
        h('th', { scope: 'row' },
          h('span', { class: 'metric-name' }, metricName(m, lookup)),
          h('span', { class: 'muted small block' }, `${u === '%' ? 'rate' : u} · ${(b?.improvementDirection ?? lookup.get(m)?.improvementDirection) === 'decrease' ? 'lower is better' : 'higher is better'}`)),
        h('td', { class: 'num', 'data-testid': 'control-mean' }, fmt.metricValue(r.controlMean, u)),
        h('td', { class: 'num', 'data-testid': 'treatment-mean' }, fmt.metricValue(r.treatmentMean, u)),
        h('td', { class: 'num' },
          h('span', { class: 'strong', 'data-testid': 'abs-lift' }, fmt.metricDiff(r.absoluteDifference, u)),
          ciSpan('abs-ci', r.confidenceInterval, (v) => fmt.metricDiff(v, u))),
        h('td', { class: 'num' },
          h('span', { class: 'strong', 'data-testid': 'rel-lift' }, fmt.percent(r.relativeDifference, { signed: true })),
          ciSpan('rel-ci', r.relativeConfidenceInterval, (v) => fmt.percent(v, { signed: true }))),
        h('td', { class: 'num' },
          h('span', { 'data-testid': 'p-value' }, fmt.pValue(r.pValue)),
          h('span', { class: 'ci' }, 'adj. ', h('span', { 'data-testid': 'adj-p-value' }, fmt.pValue(r.adjustedPValue)))),
        h('td', null, h('span', { class: `sig ${v.cls}`, 'data-testid': 'significance' }, v.text)),
        h('td', { class: 'num' },
          h('span', { class: `strong money ${dollars === null ? '' : dollars >= 0 ? 'pos' : 'neg'}`, 'data-testid': 'dollar-impact' }, fmt.money(dollars, { signed: true })),
          ciSpan('dollar-ci', b?.dollarImpactInterval ?? null, (v) => fmt.money(v))),
      );
    });
    return h('section', { class: 'panel panel-flush', 'aria-labelledby': 'metrics-title', 'data-testid': 'metrics' },
      h('div', { class: 'panel-head' },
        h('h2', { id: 'metrics-title' }, 'Results by metric'),
        h('p', { class: 'muted small' }, `Means over the experiment period; lifts are ${ids.some((m) => a.didResults[m].method === 'did') ? 'difference-in-differences estimates against the pre period' : 'treatment minus control'}, with ${a.didResults[ids[0]]?.confidenceLevel ?? 95}% intervals below each figure.`)),
      h('div', { class: 'table-scroll' },
        h('table', { class: 'table metrics-table' },
          h('caption', { class: 'visually-hidden' }, 'Statistics and dollar impact per metric'),
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Metric'),
            h('th', { scope: 'col', class: 'num' }, 'Control'),
            h('th', { scope: 'col', class: 'num' }, 'Treatment'),
            h('th', { scope: 'col', class: 'num' }, 'Lift'),
            h('th', { scope: 'col', class: 'num' }, 'Relative lift'),
            h('th', { scope: 'col', class: 'num' }, 'p-value'),
            h('th', { scope: 'col' }, 'Result'),
            h('th', { scope: 'col', class: 'num' }, 'Dollar impact'))),
          h('tbody', null, rows))),
      h('details', { class: 'metric-details no-print' },
        h('summary', null, 'All statistics per metric'),
        h('div', { class: 'details-grid' }, ids.map((m) => detailsCard(m, a.didResults[m], a)))));
  }

  function detailsCard(m: string, r: DidResult, a: ExperimentAnalysis): HTMLElement {
    const u = unit(m, a);
    const b = a.economicImpact?.metricBreakdown?.[m];
    const snap = a.metricValuesSnapshot?.[m];
    const row = (k: string, v: string) => [h('dt', null, k), h('dd', null, v)];
    return h('div', { class: 'details-card' },
      h('h3', null, metricName(m, lookup)),
      h('dl', null,
        row('Method', r.method === 'did' ? 'Difference-in-differences' : 'Paired (no pre period)'),
        row('Pre-period means', `treatment ${fmt.metricValue(r.preTreatmentMean, u)}, control ${fmt.metricValue(r.preControlMean, u)}`),
        row('Standard error', fmt.number(r.standardError)),
        row('t statistic / df', `${fmt.number(r.tStatistic)} / ${fmt.number(r.degreesOfFreedom)}`),
        row('Effect size (Cohen’s d)', fmt.number(r.effectSize)),
        row('Probability of improvement', fmt.percent(r.probabilityOfImprovement, { decimals: 1 })),
        row('Minimum detectable effect', fmt.metricDiff(r.minimumDetectableEffect, u)),
        row('Users (treatment / control)', `${fmt.integer(r.sampleSizeTreatment)} / ${fmt.integer(r.sampleSizeControl)}`),
        row('Hours (experiment / pre / skipped)', `${r.postHours} / ${r.preHours} / ${r.excludedHours}`),
        row('Parallel trends', r.parallelTrends ? `${r.parallelTrends.violated ? 'violated' : 'ok'} (p = ${fmt.pValue(r.parallelTrends.pValue)})` : 'not checked'),
        row('Value used', snap ? `${fmt.money(snap.dollarsPerUnit)} per ${fmt.perUnit(u)} per day` : fmt.DASH),
        row('Daily dollar impact', fmt.money(b?.dailyDollarImpact, { signed: true })),
      ));
  }

  // --- charts ------------------------------------------------------------------------------------
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
      h('h3', { class: 'chart-title' }, 'Difference (treatment − control)'),
      area2,
      note);

    function draw(): void {
      destroyCharts();
      const series = results.metrics[chartMetric];
      if (!series) return;
      const u = unit(chartMetric, analysis);
      const scale = u === '%' ? 100 : 1;
      const hourly: SeriesData = { x: [], treatment: [], control: [] };
      for (const p of series.timeSeries) {
        hourly.x.push(Date.parse(p.timestamp) / 1000);
        hourly.treatment.push(p.treatmentValue === null ? null : p.treatmentValue * scale);
        hourly.control.push(p.controlValue === null ? null : p.controlValue * scale);
      }
      const data = granularity === 'daily' ? toDaily(hourly) : hourly;
      const axisFmt = (v: number) => u === '%' ? `${+v.toFixed(2)}%` : u === '$' ? `$${+v.toFixed(2)}` : `${+v.toPrecision(4)}`;
      const diffFmt = (v: number) => u === '%' ? `${+v.toFixed(3)} pp` : u === '$' ? `$${+v.toFixed(2)}` : `${+v.toPrecision(3)}`;
      const title = metricName(chartMetric, lookup);
      const r = analysis?.didResults?.[chartMetric];
      const preMean = r && r.preTreatmentMean !== null && r.preControlMean !== null ? (r.preTreatmentMean - r.preControlMean) * scale : null;
      const postMean = r && r.treatmentMean !== null && r.controlMean !== null ? (r.treatmentMean - r.controlMean) * scale : null;
      charts.push(comparisonChart(area1, data, { title, start, end, format: axisFmt }));
      charts.push(differenceChart(area2, data, { title, start, end, format: diffFmt, preMean, postMean, height: 220 }));
      note.textContent = `${granularity === 'daily' ? 'Daily averages of hourly values' : 'Hourly values'} in ${u === '%' ? 'percent' : u}, UTC. `
        + (preMean !== null && postMean !== null
          ? `The effect is how much the gap moved from the pre period to the experiment: ${fmt.metricDiff(r!.absoluteDifference, u)}.`
          : '');
    }
    draw();
  }

  // --- history -----------------------------------------------------------------------------------
  function historySection(analyses: ExperimentAnalysis[], currentId: string | null): HTMLElement | null {
    if (!analyses.length) return null;
    return h('section', { class: 'panel panel-flush no-print', 'aria-labelledby': 'history-title', 'data-testid': 'analysis-history' },
      h('div', { class: 'panel-head' },
        h('h2', { id: 'history-title' }, 'Analysis history'),
        h('p', { class: 'muted small' }, 'Each analysis keeps the metric values it used, so a later price change never alters it.')),
      h('div', { class: 'table-scroll' },
        h('table', { class: 'table table-compact' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'When'), h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col', class: 'num' }, 'Net impact'), h('th', { scope: 'col' }, 'Significant metrics'),
            h('th', { scope: 'col' }, 'Values used'), h('th', { scope: 'col' }, 'Method'))),
          h('tbody', null, analyses.map((a) => {
            const sig = Object.entries(a.didResults ?? {}).filter(([, r]) => r.significant).map(([m]) => metricName(m, lookup));
            const values = Object.entries(a.metricValuesSnapshot ?? {})
              .map(([m, s]) => `${metricName(m, lookup)} ${fmt.money(s.dollarsPerUnit)}`).join(', ');
            return h('tr', { class: a.analysisId === currentId ? 'current' : '' },
              h('td', { class: 'nowrap' }, fmt.dateTime(a.analysisTimestamp), a.analysisId === currentId ? h('span', { class: 'tag' }, 'shown') : null),
              h('td', null, a.status === 'failed' ? h('span', { class: 'sig sig-loss', title: a.error ?? '' }, 'failed') : a.status),
              h('td', { class: 'num money' }, fmt.money(a.economicImpact?.totalImpact, { signed: true })),
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
