// Create experiment: quick-start templates that prefill the form, the form itself, and the API's
// validation details shown inline next to their fields. ?from=<id> prefills a follow-up of an
// existing experiment, ?template=<key> a template.
import { api, ApiError, detailPath } from '../api';
import { loadCatalog } from '../catalog';
import { h, replace, uid } from '../dom';
import * as fmt from '../format';
import { navigate, type Page } from '../router';
import { TEMPLATES, type ExperimentTemplate } from '../templates';
import type { CreateExperimentResponse, ExperimentDetail, ExperimentList, ExperimentPlan, MetricValue, MetricValuesResponse, Plan } from '../types';
import { planChart } from '../plan-chart';
import { errorPanel, loading, pageHeader, setTitle } from '../components/ui';
import { toast } from '../components/toast';

const DAY_MS = 86_400_000;

interface FieldRef {
  input: HTMLElement;      // what gets focus and aria-invalid
  error: HTMLElement;      // where the message goes
  label: string;
}

export const createPage: Page = (root, { query }) => {
  setTitle('New experiment');
  let disposed = false;
  const fromId = query.get('from');
  root.append(
    pageHeader(fromId ? 'New follow-up experiment' : 'New experiment'),
    loading('Loading metrics…'),
  );

  (async () => {
    let catalog: MetricValuesResponse;
    let source: ExperimentDetail | null = null;
    try {
      [catalog, source] = await Promise.all([
        loadCatalog(true),
        fromId ? api.get<ExperimentDetail>(`/experiments/${encodeURIComponent(fromId)}`) : Promise.resolve(null),
      ]);
    } catch (e) {
      if (!disposed) replace(root, pageHeader('New experiment'), errorPanel(e));
      return;
    }
    if (disposed) return;
    root.querySelector('.loading')?.remove();
    buildForm(root, catalog, source, query.get('template'));
  })();

  return () => {
    disposed = true;
  };
};

function buildForm(root: HTMLElement, catalog: MetricValuesResponse, source: ExperimentDetail | null, templateKey: string | null): void {
  const fields = new Map<string, FieldRef>();
  const today = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);

  // --- fields -------------------------------------------------------------------------------
  const field = (key: string, label: string, control: HTMLElement, hint?: string, extraClass = ''): HTMLElement => {
    const id = control.id;
    const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
    control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '));
    fields.set(key, { input: control, error, label });
    return h('div', { class: `field ${extraClass}`, dataset: { field: key } },
      h('label', { for: id }, label), control, hintEl, error);
  };

  const name = h('input', { id: 'f-name', name: 'name', type: 'text', autocomplete: 'off', maxLength: 400 });
  const description = h('textarea', { id: 'f-description', name: 'description', rows: 3 });
  const startDate = h('input', { id: 'f-startDate', name: 'startDate', type: 'date' });
  const endDate = h('input', { id: 'f-endDate', name: 'endDate', type: 'date' });
  const duration = h('p', { class: 'duration', 'aria-live': 'polite' });
  const cost = h('input', { id: 'f-implementationCost', name: 'implementationCost', type: 'number', min: 0, step: 'any', inputMode: 'decimal', placeholder: 'e.g. 25000' });
  const confidence = h('input', { id: 'f-confidenceLevel', name: 'confidenceLevel', type: 'number', min: 80, max: 99.9, step: 0.1, value: '95' });
  const split = h('input', { id: 'f-trafficSplit', name: 'trafficSplit', type: 'number', min: 1, max: 99, step: 1, value: '50' });

  // Expected outcome: a radio group.
  const outcomeId = uid('outcome');
  const outcomeError = h('p', { class: 'field-error', id: 'f-expectedOutcome-error', hidden: true });
  const outcomeRadios = (['positive', 'neutral', 'negative'] as const).map((v) =>
    h('input', { type: 'radio', name: 'expectedOutcome', id: `${outcomeId}-${v}`, value: v, checked: v === 'positive' }));
  const outcomeSet = h('fieldset', { class: 'field choice-row', 'aria-describedby': 'f-expectedOutcome-error', dataset: { field: 'expectedOutcome' } },
    h('legend', null, 'Expected outcome'),
    h('div', { class: 'choices' }, outcomeRadios.map((r) => h('label', { class: 'choice', for: r.id }, r,
      { positive: 'Positive', neutral: 'Neutral', negative: 'Negative' }[r.value as 'positive']))),
    outcomeError);
  fields.set('expectedOutcome', { input: outcomeRadios[0], error: outcomeError, label: 'Expected outcome' });

  // Data source radios.
  const sourceError = h('p', { class: 'field-error', id: 'f-dataSource-error', hidden: true });
  const sourceRadios = (['simulated', 'imported'] as const).map((v) =>
    h('input', { type: 'radio', name: 'dataSource', id: `f-dataSource-${v}`, value: v, checked: v === 'simulated' }));
  const sourceSet = h('fieldset', { class: 'field choice-row source-choice', 'aria-describedby': 'f-dataSource-hint f-dataSource-error', dataset: { field: 'dataSource' } },
    h('legend', null, 'Data source: where will the figures come from?'),
    h('div', { class: 'choices' },
      h('label', { class: 'choice', for: sourceRadios[1].id }, sourceRadios[1], 'My own data (import)'),
      h('label', { class: 'choice', for: sourceRadios[0].id }, sourceRadios[0], 'Simulated data (a demo or a projection)')),
    h('p', { class: 'hint', id: 'f-dataSource-hint' }, 'Simulated results are generated, not measured: they are marked as simulated everywhere and never count in the portfolio.'),
    sourceError);
  const projectionNote = h('p', { class: 'banner banner-simulated', role: 'note', 'data-testid': 'projection-note', hidden: true });
  fields.set('dataSource', { input: sourceRadios[0], error: sourceError, label: 'Data source' });

  // Metrics: checkboxes grouped by category.
  const metricsError = h('div', { class: 'field-error', id: 'f-metrics-error', hidden: true });
  const checkboxes = new Map<string, HTMLInputElement>();
  const groups = new Map<string, MetricValue[]>();
  for (const m of catalog.metrics) {
    const list = groups.get(m.category) ?? [];
    list.push(m);
    groups.set(m.category, list);
  }
  const metricGroups = [...groups.entries()].map(([category, list]) =>
    h('div', { class: 'metric-group' },
      h('h3', { class: 'metric-group-title' }, fmt.titleCase(category)),
      list.map((m) => {
        const cb = h('input', { type: 'checkbox', name: 'metrics', value: m.metricId, id: `f-metric-${m.metricId}` });
        checkboxes.set(m.metricId, cb);
        return h('label', { class: 'metric-option', for: cb.id },
          cb,
          h('span', { class: 'metric-option-text' },
            h('span', { class: 'metric-option-name' }, m.name),
            h('span', { class: 'metric-option-meta' },
              `${fmt.money(m.dollarsPerUnit)}/day per ${fmt.perUnit(m.unit)} · ${m.improvementDirection === 'decrease' ? 'lower is better' : 'higher is better'}`)));
      })));
  const metricsSet = h('fieldset', { class: 'field', 'aria-describedby': 'f-metrics-error', dataset: { field: 'metrics' } },
    h('legend', null, 'Metrics to track'),
    h('p', { class: 'hint' }, 'Each metric is priced with its dollar value per unit (see Metric values).'),
    h('div', { class: 'metric-grid' }, metricGroups),
    metricsError);
  fields.set('metrics', { input: checkboxes.values().next().value ?? metricsSet, error: metricsError, label: 'Metrics' });

  // --- the Plan step (POST /plans): how long to run, and the smallest dollar effect it can see --
  const planSource = h('select', { id: 'f-plan-source', 'data-testid': 'plan-source' },
    h('option', { value: '' }, 'Choose where the variance comes from…'),
    h('option', { value: 'upload' }, 'Upload a history file (JSON or CSV, the import formats)'));
  const planFile = h('input', { id: 'f-plan-file', type: 'file', accept: '.json,.csv,application/json,text/csv', hidden: true, 'aria-label': 'History file (JSON or CSV)', 'data-testid': 'plan-file' });
  const planTarget = h('input', { id: 'f-plan-target', type: 'number', min: 0, step: 'any', placeholder: 'optional, e.g. 1000', 'data-testid': 'plan-target' });
  const planRun = h('button', { type: 'button', class: 'btn', 'data-testid': 'plan-run' }, 'Plan');
  const planStatus = h('p', { class: 'hint', 'aria-live': 'polite', 'data-testid': 'plan-status' });
  const planDays = h('input', { id: 'f-plan-days', type: 'range', min: 7, max: 56, step: 1, value: '14', 'data-testid': 'plan-days', 'aria-label': 'Duration in days' });
  const planChartBox = h('div', { class: 'plan-chart-box' });
  const planReadout = h('p', { class: 'plan-readout', 'aria-live': 'polite', 'data-testid': 'plan-readout' });
  const planResult = h('div', { class: 'plan-result', hidden: true, 'data-testid': 'plan-result' }, planChartBox,
    h('label', { for: planDays.id, class: 'plan-days-label' }, 'Duration (sets the end date): '), planDays, planReadout);
  let plan: Plan | null = null;
  let planSourceBody: { experimentId: string } | null = null;
  const planSection = h('fieldset', { class: 'field plan-step', 'data-testid': 'plan-step' },
    h('legend', null, 'Plan: how long, and the smallest dollar effect it can see'),
    h('p', { class: 'hint' }, 'The variance comes from real hours of both groups before any change: an earlier experiment on the same metrics, or a history file. The figures are what the analysis will be able to tell from zero at 80% power.'),
    h('div', { class: 'row-2' },
      h('div', null, h('label', { for: planSource.id }, 'Source of variance'), planSource, planFile),
      h('div', null, h('label', { for: planTarget.id }, 'Target ($ per day, optional)'), planTarget)),
    h('div', { class: 'actions' }, planRun), planStatus, planResult);
  api.get<ExperimentList>('/experiments?limit=100').then((list) => {
    for (const x of list.experiments) {
      if (x.status !== 'complete' && x.status !== 'running') continue;
      planSource.insertBefore(h('option', { value: x.id }, `${x.name} (${x.status}, ${x.metrics.join(', ')})`), planSource.lastChild);
    }
  }).catch(() => { /* the upload stays available */ });
  planSource.addEventListener('change', () => { planFile.hidden = planSource.value !== 'upload'; });
  const showPlanAt = (days: number) => {
    if (!plan) return;
    const d = plan.durations.find((x) => x.days === days);
    replace(planChartBox, planChart(plan, days, Number(planTarget.value) || null));
    planReadout.textContent = d && typeof d.totalDailyDollarMde === 'number'
      ? `${days} days: can detect ${fmt.money(d.totalDailyDollarMde)}/day in total (${fmt.money(d.totalPeriodDollarMde ?? null)} over the period) at 80% power.`
      : `${days} days: no figure (not enough variation in the source).`;
  };
  planDays.addEventListener('input', () => {
    const days = Number(planDays.value);
    const s = Date.parse(startDate.value);
    if (Number.isFinite(s)) setDates(s, days);
    showPlanAt(days);
    refreshSummary();
  });
  planRun.addEventListener('click', async () => {
    const selected = [...checkboxes.entries()].filter(([, cb]) => cb.checked).map(([id]) => id);
    let source: Record<string, unknown>;
    if (planSource.value === 'upload') {
      const f = planFile.files?.[0];
      if (!f) { planStatus.textContent = 'Choose a history file first.'; return; }
      const text = await f.text();
      let history: unknown = text;
      if (text.trimStart().startsWith('{')) {
        try { history = JSON.parse(text); } catch { planStatus.textContent = 'The file is not valid JSON.'; return; }
      }
      source = { history };
      planSourceBody = null;
    } else if (planSource.value) {
      source = { experimentId: planSource.value };
      planSourceBody = { experimentId: planSource.value };
    } else {
      planStatus.textContent = 'Choose an earlier experiment or upload a history: a plan needs real hours of both groups before any change.';
      return;
    }
    const body: Record<string, unknown> = { metrics: selected, source };
    const cl = Number(confidence.value);
    if (confidence.value.trim() !== '' && Number.isFinite(cl)) body.confidenceLevel = cl;
    const sp = Number(split.value);
    if (split.value.trim() !== '' && Number.isFinite(sp)) body.trafficSplit = Math.round(sp * 100) / 10000;
    const target = Number(planTarget.value);
    if (planTarget.value.trim() !== '' && target > 0) body.targetDailyDollarImpact = target;
    planRun.disabled = true;
    planStatus.textContent = 'Planning…';
    try {
      plan = await api.post<Plan>('/plans', body);
      planResult.hidden = false;
      const sDays = Number(planDays.value);
      const reached = plan.target?.reachedAtDays;
      const days = typeof reached === 'number' && reached <= 56 ? reached : (sDays >= 7 && sDays <= 56 ? sDays : 14);
      planDays.value = String(days);
      const s = Date.parse(startDate.value);
      if (Number.isFinite(s)) setDates(s, days);
      planStatus.textContent = plan.target?.message ?? 'Move the slider to choose the duration.';
      showPlanAt(days);
      refreshSummary();
    } catch (err) {
      plan = null;
      planResult.hidden = true;
      planStatus.textContent = err instanceof ApiError
        ? `${err.message}: ${err.details.map((d) => `${Array.isArray(d.path) ? d.path.join('.') : d.path} ${d.message}`).join('; ')}`
        : String(err);
    } finally {
      planRun.disabled = false;
    }
  });
  const chosenPlan = (): ExperimentPlan | null => {
    if (!plan) return null;
    const days = Number(planDays.value);
    const s = Date.parse(startDate.value);
    const e = Date.parse(endDate.value);
    if (!(Number.isFinite(s) && Number.isFinite(e)) || Math.round((e - s) / DAY_MS) !== days) return null;
    const d = plan.durations.find((x) => x.days === days);
    if (!d) return null;
    const metrics: NonNullable<ExperimentPlan['metrics']> = {};
    for (const [id, m] of Object.entries(d.metrics)) {
      const entry: { mde?: number; dailyDollarMde?: number } = {};
      if (typeof m.mde === 'number') entry.mde = m.mde;
      if (typeof m.dailyDollarMde === 'number') entry.dailyDollarMde = m.dailyDollarMde;
      metrics[id] = entry;
    }
    const out: ExperimentPlan = {
      days, power: plan.power, confidenceLevel: plan.confidenceLevel, correction: plan.correction, design: plan.design, metrics,
      varianceSource: planSourceBody ? { kind: 'experiment', experimentId: planSourceBody.experimentId } : { kind: 'history' },
    };
    if (typeof d.totalDailyDollarMde === 'number') out.totalDailyDollarMde = d.totalDailyDollarMde;
    if (typeof plan.preDays === 'number') out.preDays = plan.preDays;
    return out;
  };

  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1, hidden: true, 'data-testid': 'error-summary' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large', 'data-testid': 'submit' }, 'Create experiment');

  const form = h('form', { class: 'panel form', novalidate: true, 'data-testid': 'create-form' },
    summary,
    sourceSet,
    projectionNote,
    field('name', 'Name', name),
    field('description', 'Description', description, 'What changes for the treatment group, and why.'),
    metricsSet,
    h('div', { class: 'row-2' },
      field('startDate', 'Start date', startDate, 'First day, UTC.'),
      field('endDate', 'End date', endDate, 'The day after the last day.')),
    duration,
    planSection,
    outcomeSet,
    h('div', { class: 'row-2' },
      field('implementationCost', 'Implementation cost (optional, $)', cost, 'Needed for ROI.'),
      field('confidenceLevel', 'Confidence level (%)', confidence, 'Between 80 and 99.9; 95 is usual.')),
    h('details', { class: 'advanced' },
      h('summary', null, 'Advanced settings'),
      h('div', { class: 'row-2' },
        field('trafficSplit', 'Treatment share of traffic (%)', split, 'The share of users who see the change.'))),
    h('div', { class: 'actions' }, submit, h('a', { class: 'btn', href: '/' }, 'Cancel')),
  );

  // --- templates ----------------------------------------------------------------------------
  const templateButtons: HTMLButtonElement[] = [];
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const templateSection = h('section', { class: 'templates', 'aria-labelledby': 'tpl-title' },
    h('h2', { id: 'tpl-title' }, 'Start from a template'),
    announce,
    h('div', { class: 'template-grid' },
      TEMPLATES.map((t) => {
        const b = h('button', {
          type: 'button', class: 'template', 'aria-pressed': 'false', dataset: { template: t.key },
          onclick: () => {
            applyTemplate(t);
            templateButtons.forEach((x) => x.setAttribute('aria-pressed', String(x === b)));
            announce.textContent = `Template ${t.name} applied. Review the form, then create.`;
          },
        },
        h('span', { class: 'template-name' }, t.name),
        h('span', { class: 'template-desc' }, t.description),
        h('span', { class: 'template-meta' }, `${t.metrics.length} metrics · ${t.durationDays} days`));
        templateButtons.push(b);
        return b;
      })),
  );

  // A live summary beside the form, and what happens after Create.
  const summaryList = h('ul', { class: 'aside-metrics' });
  const summaryDays = h('p', { class: 'aside-figure' });
  const aside = h('aside', { class: 'create-aside', 'aria-label': 'Summary' },
    h('div', { class: 'panel' },
      h('h2', null, 'Summary'),
      summaryDays,
      summaryList),
    h('div', { class: 'panel panel-quiet' },
      h('h2', null, 'What happens next'),
      h('ol', { class: 'next-steps' },
        h('li', null, 'Hourly data for treatment and control is simulated, with a 7-day pre period before the start (or you upload your own).'),
        h('li', null, 'Each metric’s lift is estimated by difference-in-differences and priced with its dollar value.'),
        h('li', null, 'You get the net dollar impact with its interval, ready to present.'))));
  const refreshSummary = () => {
    const chosen = [...checkboxes.entries()].filter(([, cb]) => cb.checked).map(([id]) => id);
    const s = Date.parse(startDate.value);
    const e = Date.parse(endDate.value);
    const n = Number.isFinite(s) && Number.isFinite(e) && e > s ? Math.round((e - s) / DAY_MS) : null;
    summaryDays.textContent = `${chosen.length} ${chosen.length === 1 ? 'metric' : 'metrics'} · ${n === null ? 'no valid period' : `${n} ${n === 1 ? 'day' : 'days'}`}`;
    replace(summaryList, chosen.length
      ? chosen.map((id) => {
        const m = catalog.metrics.find((x) => x.metricId === id);
        return h('li', null, h('strong', null, m?.name ?? id), h('span', { class: 'muted small block' },
          m ? `${fmt.money(m.dollarsPerUnit)}/day per ${fmt.perUnit(m.unit)}` : ''));
      })
      : [h('li', { class: 'muted' }, 'No metric chosen yet.')]);
  };
  form.addEventListener('change', refreshSummary);
  form.addEventListener('input', refreshSummary);
  const refreshProjection = () => {
    const simulated = sourceRadios[0].checked;
    const e = Date.parse(endDate.value);
    const future = Number.isFinite(e) && e > Date.now();
    projectionNote.hidden = !simulated;
    projectionNote.textContent = !simulated ? ''
      : future
        ? 'Simulated, with dates that have not happened yet: the results will be a projection, labelled as such, never a completed result.'
        : 'Simulated: the results will be generated data, labelled as simulated on every page, report and export.';
  };
  form.addEventListener('change', refreshProjection);
  form.addEventListener('input', refreshProjection);

  if (source) {
    root.append(h('p', { class: 'lead' }, 'Prefilled from ',
      h('a', { href: `/experiments/${encodeURIComponent(source.experiment.id)}` }, source.experiment.name),
      '. Adjust what the follow-up should test.'));
  } else {
    root.append(templateSection);
  }
  root.append(h('div', { class: 'create-layout' }, form, aside));

  // --- behaviour ----------------------------------------------------------------------------
  const setDates = (startMs: number, days: number) => {
    startDate.value = fmt.isoDay(new Date(startMs));
    endDate.value = fmt.isoDay(new Date(startMs + days * DAY_MS));
    updateDuration();
  };
  const updateDuration = () => {
    const s = Date.parse(startDate.value);
    const e = Date.parse(endDate.value);
    duration.textContent = Number.isFinite(s) && Number.isFinite(e) && e > s
      ? `${Math.round((e - s) / DAY_MS)} days, ${fmt.date(startDate.value)} to ${fmt.date(new Date(e - DAY_MS).toISOString())} inclusive`
      : '';
  };
  startDate.addEventListener('change', updateDuration);
  endDate.addEventListener('change', updateDuration);

  function applyTemplate(t: ExperimentTemplate): void {
    name.value = t.name;
    description.value = t.description;
    checkboxes.forEach((cb, id) => (cb.checked = t.metrics.includes(id)));
    setDates(today.getTime(), t.durationDays);
    outcomeRadios.forEach((r) => (r.checked = r.value === t.expectedOutcome));
    cost.value = t.implementationCost !== undefined ? String(t.implementationCost) : '';
    clearErrors();
    refreshSummary();
  }

  if (source) {
    const x = source.experiment;
    name.value = `${x.name} (follow-up)`;
    description.value = x.description;
    checkboxes.forEach((cb, id) => (cb.checked = x.metrics.includes(id)));
    const days = fmt.days(x.startDate, x.endDate) ?? 14;
    setDates(today.getTime(), days > 0 ? days : 14);
    outcomeRadios.forEach((r) => (r.checked = r.value === x.expectedOutcome));
    cost.value = x.implementationCost !== null && x.implementationCost !== undefined ? String(x.implementationCost) : '';
    confidence.value = String(x.confidenceLevel ?? 95);
    split.value = String(Math.round((x.trafficSplit ?? 0.5) * 100));
    sourceRadios.forEach((r) => (r.checked = r.value === x.dataSource));
  } else {
    const t = TEMPLATES.find((x) => x.key === templateKey);
    if (t) {
      applyTemplate(t);
      templateButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.template === t.key)));
    } else {
      setDates(today.getTime(), 14);
    }
  }
  refreshSummary();
  refreshProjection();

  function clearErrors(): void {
    summary.hidden = true;
    summary.replaceChildren();
    for (const f of fields.values()) {
      f.error.hidden = true;
      f.error.replaceChildren();
      f.input.removeAttribute('aria-invalid');
      f.input.closest('.field')?.classList.remove('has-error');
    }
  }

  function showErrors(err: ApiError, selected: string[]): void {
    clearErrors();
    const items: HTMLElement[] = [];
    const details = err.details.length ? err.details : [{ path: '', message: err.message }];
    let firstInput: HTMLElement | null = null;
    for (const d of details) {
      const path = detailPath(d);
      const key = path[0] ?? '';
      const f = fields.get(key);
      let message = d.message;
      if (key === 'metrics' && path[1] !== undefined && /^\d+$/.test(path[1])) {
        const id = selected[Number(path[1])];
        if (id) message = `${catalog.metrics.find((m) => m.metricId === id)?.name ?? id}: ${d.message}`;
      }
      if (f) {
        f.error.hidden = false;
        f.error.append(h('span', { class: 'field-error-line' }, message));
        f.input.setAttribute('aria-invalid', 'true');
        f.input.closest('.field')?.classList.add('has-error');
        firstInput ??= f.input;
        items.push(h('li', null, h('a', {
          href: `#${f.input.id}`,
          onclick: (e: Event) => { e.preventDefault(); f.input.focus(); },
        }, `${f.label}: ${message}`)));
      } else {
        items.push(h('li', null, key ? `${key}: ${message}` : message));
      }
    }
    summary.append(
      h('h2', null, details.length === 1 ? 'There is 1 problem with this experiment' : `There are ${details.length} problems with this experiment`),
      h('ul', null, items));
    summary.hidden = false;
    if (firstInput) firstInput.focus();
    else summary.focus();
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const selected = [...checkboxes.entries()].filter(([, cb]) => cb.checked).map(([id]) => id);
    const body: Record<string, unknown> = {
      name: name.value.trim(),
      description: description.value.trim(),
      metrics: selected,
      startDate: startDate.value,
      endDate: endDate.value,
      expectedOutcome: outcomeRadios.find((r) => r.checked)?.value ?? 'neutral',
      dataSource: sourceRadios.find((r) => r.checked)?.value ?? 'simulated',
    };
    const numberOf = (el: HTMLInputElement): number | string | undefined => {
      if (el.value.trim() === '') return el.validity.badInput ? 'not a number' : undefined;
      return Number(el.value);
    };
    const c = numberOf(cost);
    if (c !== undefined) body.implementationCost = c;
    const cl = numberOf(confidence);
    if (cl !== undefined) body.confidenceLevel = cl;
    const sp = numberOf(split);
    if (sp !== undefined) body.trafficSplit = typeof sp === 'number' ? Math.round(sp * 100) / 10000 : sp;
    const promised = chosenPlan();
    if (promised) body.plan = promised;

    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const created = await api.post<CreateExperimentResponse>('/experiments', body);
      toast('Experiment created. Results are being generated.', 'success');
      navigate(`/experiments/${encodeURIComponent(created.experimentId)}`);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 400 || err.status === 409 || err.status === 422)) {
        showErrors(err, selected);
      } else {
        clearErrors();
        summary.append(h('h2', null, 'The experiment could not be created'),
          h('p', null, err instanceof Error ? err.message : String(err)));
        summary.hidden = false;
        summary.focus();
      }
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create experiment';
    }
  });
}
