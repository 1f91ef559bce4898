// Metric values: what one unit of each metric is worth; search, add, edit, history per metric, and
// export / import of the whole catalogue as JSON.
import { api, saveBlob } from '../api';
import { invalidateCatalog, loadCatalog } from '../catalog';
import { h, replace } from '../dom';
import * as fmt from '../format';
import { setQuery, type Page } from '../router';
import type { MetricHistoryEntry, MetricValue, MetricValuesResponse, UpdateMetricResponse } from '../types';
import { FormFields, modal } from '../components/form';
import { debounce, errorPanel, loading, pageHeader, setTitle } from '../components/ui';
import { toast } from '../components/toast';
import { scrollRegion } from '../components/datatable';

const CATEGORIES = ['conversion', 'revenue', 'engagement', 'retention', 'other'];

export const metricsPage: Page = (root, { query }) => {
  setTitle('Metric values');
  let disposed = false;
  let data: MetricValuesResponse | null = null;
  let q = query.get('q') ?? '';
  let category = query.get('category') ?? '';
  const openHistory = new Set<string>();
  let highlight: { metricId: string; version: number } | null = null;

  const search = h('input', { id: 'metric-search', type: 'search', value: q, placeholder: 'Name, id or description', autocomplete: 'off' });
  const categorySelect = h('select', { id: 'metric-category' },
    h('option', { value: '' }, 'All categories'),
    CATEGORIES.map((c) => h('option', { value: c, selected: c === category }, fmt.titleCase(c))));
  const listArea = h('div');
  const count = h('span', { class: 'muted', 'aria-live': 'polite' });
  const importInput = h('input', { id: 'import-json', type: 'file', accept: '.json,application/json', class: 'visually-hidden', tabindex: -1, 'aria-label': 'Metric catalogue JSON file to import' });

  search.addEventListener('input', debounce(() => {
    q = search.value.trim();
    setQuery({ q });
    renderList();
  }, 150));
  categorySelect.addEventListener('change', () => {
    category = categorySelect.value;
    setQuery({ category });
    renderList();
  });
  importInput.addEventListener('change', () => {
    const f = importInput.files?.[0];
    importInput.value = '';
    if (f) void importFile(f);
  });

  root.append(
    pageHeader('Metric values',
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: exportJson, 'data-testid': 'export-json' }, 'Export JSON'),
        h('button', { type: 'button', class: 'btn', onclick: () => importInput.click() }, 'Import JSON'),
        importInput,
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => openAdd(), 'data-testid': 'add-metric' }, '+ Add metric'))),
    h('p', { class: 'lead' }, 'What a sustained one-unit change of each metric is worth per day at full rollout. ',
      'Every analysis copies the values it used, so changing a value here never rewrites past results; ',
      'running experiments are re-analysed with the new value.'),
    h('section', { class: 'panel panel-flush', 'aria-label': 'Metric catalogue' },
      h('div', { class: 'toolbar' },
        h('div', { class: 'field field-inline grow' }, h('label', { for: 'metric-search' }, 'Search'), search),
        h('div', { class: 'field field-inline' }, h('label', { for: 'metric-category' }, 'Category'), categorySelect),
        count),
      listArea));
  listArea.append(loading());

  async function load(): Promise<void> {
    try {
      invalidateCatalog();
      data = await loadCatalog(true);
    } catch (e) {
      if (!disposed) replace(listArea, errorPanel(e, () => void load()));
      return;
    }
    if (!disposed) renderList();
  }

  function matches(m: MetricValue): boolean {
    if (category && m.category !== category) return false;
    if (!q) return true;
    const needle = q.toLowerCase();
    return [m.name, m.metricId, m.description, m.unit].some((s) => s?.toLowerCase().includes(needle));
  }

  function renderList(): void {
    if (!data) return;
    const list = data.metrics.filter(matches).sort((a, b) => a.name.localeCompare(b.name));
    count.textContent = `${list.length} of ${data.metrics.length} metrics`;
    if (!list.length) {
      replace(listArea, h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, 'No metric matches.')));
      return;
    }
    const rows: HTMLElement[] = [];
    for (const m of list) {
      const expanded = openHistory.has(m.metricId);
      const historyId = `history-${m.metricId}`;
      rows.push(h('tr', { dataset: { metric: m.metricId } },
        h('th', { scope: 'row' },
          h('span', { class: 'metric-name block' }, m.name),
          h('code', { class: 'metric-id' }, m.metricId),
          h('span', { class: 'muted small block clamp' }, m.description)),
        h('td', null, h('span', { class: `cat cat-${m.category}` }, fmt.titleCase(m.category))),
        h('td', { class: 'num' }, h('span', { class: 'money strong big', 'data-testid': 'dollars-per-unit' }, fmt.money(m.dollarsPerUnit)),
          h('span', { class: 'ci' }, `per ${fmt.perUnit(m.unit)} per day`)),
        h('td', null,
          h('span', { class: 'strong' }, m.unit),
          m.unitSize !== fmt.defaultUnitSize(m.unit) ? h('span', { class: 'muted small' }, ` (unit size ${m.unitSize})`) : null,
          h('span', { class: 'block nowrap small', 'data-testid': 'direction' },
            m.improvementDirection === 'decrease' ? '↓ lower is better' : '↑ higher is better')),
        h('td', { class: 'nowrap' }, fmt.date(m.lastUpdated), h('span', { class: 'muted small block' }, `version ${m.version}`)),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => openEdit(m), 'aria-label': `Edit ${m.name}`, 'data-testid': 'edit' }, 'Edit'),
          h('button', {
            type: 'button', class: 'btn btn-small', 'aria-expanded': String(expanded), 'aria-controls': historyId,
            'aria-label': `History of ${m.name}`, 'data-testid': 'history',
            onclick: () => {
              if (openHistory.has(m.metricId)) openHistory.delete(m.metricId);
              else openHistory.add(m.metricId);
              renderList();
            },
          }, expanded ? 'History ▴' : 'History ▾'))));
      if (expanded) {
        const cell = h('td', { colSpan: 6 }, loading('Loading history…'));
        rows.push(h('tr', { class: 'history-row', id: historyId, dataset: { historyFor: m.metricId } }, cell));
        void loadHistory(m, cell);
      }
    }
    replace(listArea, scrollRegion('Metric values (table)', h('table', { class: 'table', 'data-testid': 'metric-table' },
      h('caption', { class: 'visually-hidden' }, 'Metric values'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col' }, 'Category'),
        h('th', { scope: 'col', class: 'num' }, 'Value per unit'), h('th', { scope: 'col' }, 'Unit & direction'),
        h('th', { scope: 'col' }, 'Last updated'),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', null, rows))));
  }

  async function loadHistory(m: MetricValue, cell: HTMLElement): Promise<void> {
    try {
      const { history } = await api.get<{ history: MetricHistoryEntry[] }>(`/metric-values/${encodeURIComponent(m.metricId)}/history`);
      if (disposed) return;
      replace(cell, h('div', { class: 'history' },
        h('h3', null, `History of ${m.name}`),
        h('table', { class: 'table table-compact', 'data-testid': 'history-table' },
          h('thead', null, h('tr', null,
            h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col', class: 'num' }, 'Value per unit'),
            h('th', { scope: 'col' }, 'Changed'), h('th', { scope: 'col' }, 'By'), h('th', { scope: 'col' }, 'What changed'),
            h('th', { scope: 'col' }, 'Reason'))),
          h('tbody', null, history.map((e) => h('tr', {
            class: highlight && highlight.metricId === m.metricId && highlight.version === e.version ? 'flash' : '',
            dataset: { version: String(e.version) },
          },
          h('td', null, `v${e.version}`),
          h('td', { class: 'num money strong' }, fmt.money(e.dollarsPerUnit)),
          h('td', { class: 'nowrap' }, fmt.dateTime(e.updatedAt)),
          h('td', null, e.updatedBy ?? h('span', { class: 'muted' }, fmt.DASH)),
          h('td', { class: 'small', 'data-testid': 'history-changes' }, e.changes?.length
            ? e.changes.map((c) => `${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ')
            : h('span', { class: 'muted' }, fmt.DASH)),
          h('td', null, e.changeReason ?? h('span', { class: 'muted' }, e.version === 1 ? 'created' : fmt.DASH))))))));
    } catch (e) {
      if (!disposed) replace(cell, errorPanel(e));
    }
  }

  // --- edit ----------------------------------------------------------------------------------------
  function openEdit(m: MetricValue): void {
    const f = new FormFields();
    const dollars = h('input', { id: 'e-dollarsPerUnit', type: 'number', step: 'any', min: 0, value: String(m.dollarsPerUnit), inputMode: 'decimal' });
    const name = h('input', { id: 'e-name', type: 'text', value: m.name });
    const unit = h('input', { id: 'e-unit', type: 'text', value: m.unit });
    const unitSize = h('input', { id: 'e-unitSize', type: 'number', step: 'any', min: 0, value: String(m.unitSize) });
    const cat = categoryControl('e-category', m.category);
    const dir = directionControl('e-improvementDirection', m.improvementDirection);
    const desc = h('textarea', { id: 'e-description', rows: 3, value: m.description });
    desc.value = m.description;
    const reason = h('input', { id: 'e-changeReason', type: 'text', placeholder: 'e.g. Finance revised the margin for Q3' });
    const save = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'save-metric' }, 'Save new version');
    const form = h('form', { class: 'stack', novalidate: true },
      f.summary,
      h('p', { class: 'muted' }, `Now ${fmt.money(m.dollarsPerUnit)} per ${fmt.perUnit(m.unit)} per day (version ${m.version}).`),
      h('div', { class: 'row-2' },
        f.field('dollarsPerUnit', 'Value per unit ($ per day)', dollars),
        f.field('changeReason', 'Reason for the change', reason, 'Kept in the history.')),
      h('div', { class: 'row-2' }, f.field('name', 'Name', name), f.field('category', 'Category', cat)),
      h('div', { class: 'row-3' },
        f.field('unit', 'Unit', unit),
        f.field('unitSize', 'Unit size', unitSize, 'Stored value of one priced unit (0.01 for %).'),
        f.field('improvementDirection', 'Direction', dir)),
      f.field('description', 'Description', desc, '10 to 500 characters: how the dollar value was worked out.'),
      h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, 'Cancel')));
    const dlg = modal(`Edit ${m.name}`, [form], { wide: true });
    dollars.focus();
    dollars.select();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body: Record<string, unknown> = {
        dollarsPerUnit: numberOrRaw(dollars),
        name: name.value.trim(),
        unit: unit.value.trim(),
        unitSize: numberOrRaw(unitSize),
        category: cat.value,
        improvementDirection: dir.value,
        description: desc.value.trim(),
      };
      if (reason.value.trim()) body.changeReason = reason.value.trim();
      save.disabled = true;
      try {
        const res = await api.put<UpdateMetricResponse>(`/metric-values/${encodeURIComponent(m.metricId)}`, body);
        dlg.close();
        const n = res.impactedExperiments;
        toast(`${res.metric.name} is now ${fmt.money(res.metric.dollarsPerUnit)} (was ${fmt.money(res.previousValue)}), version ${res.metric.version}.`
          + (n ? ` ${n} active ${n === 1 ? 'experiment is' : 'experiments are'} being re-analysed.` : ''), 'success');
        openHistory.add(m.metricId);
        highlight = { metricId: m.metricId, version: res.metric.version };
        await load();
      } catch (err) {
        f.show(err);
      } finally {
        save.disabled = false;
      }
    });
  }

  // --- add -----------------------------------------------------------------------------------------
  function openAdd(): void {
    const f = new FormFields();
    const id = h('input', { id: 'a-metricId', type: 'text', autocomplete: 'off', placeholder: 'e.g. signup_rate', pattern: '[a-z_]+' });
    const name = h('input', { id: 'a-name', type: 'text' });
    const dollars = h('input', { id: 'a-dollarsPerUnit', type: 'number', step: 'any', min: 0, inputMode: 'decimal' });
    const unit = h('input', { id: 'a-unit', type: 'text', placeholder: '%, $, seconds, points…' });
    const unitSize = h('input', { id: 'a-unitSize', type: 'number', step: 'any', min: 0, placeholder: '0.01 for %, else 1' });
    const cat = categoryControl('a-category', 'conversion');
    const dir = directionControl('a-improvementDirection', 'increase');
    const desc = h('textarea', { id: 'a-description', rows: 3 });
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add metric');
    const form = h('form', { class: 'stack', novalidate: true },
      f.summary,
      h('div', { class: 'row-2' },
        f.field('metricId', 'Metric id', id, 'Lower-case letters and underscores; cannot change later.'),
        f.field('name', 'Name', name)),
      h('div', { class: 'row-2' },
        f.field('dollarsPerUnit', 'Value per unit ($ per day)', dollars),
        f.field('category', 'Category', cat)),
      h('div', { class: 'row-3' },
        f.field('unit', 'Unit', unit),
        f.field('unitSize', 'Unit size (optional)', unitSize),
        f.field('improvementDirection', 'Direction', dir)),
      f.field('description', 'Description', desc, '10 to 500 characters: how the dollar value was worked out.'),
      h('div', { class: 'actions' }, save, h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, 'Cancel')));
    const dlg = modal('Add a metric', [form], { wide: true });
    id.focus();
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const body: Record<string, unknown> = {
        metricId: id.value.trim(),
        name: name.value.trim(),
        dollarsPerUnit: numberOrRaw(dollars),
        unit: unit.value.trim(),
        description: desc.value.trim(),
        category: cat.value,
        improvementDirection: dir.value,
      };
      const us = numberOrRaw(unitSize);
      if (us !== undefined) body.unitSize = us;
      save.disabled = true;
      try {
        await api.post('/metric-values', body);
        dlg.close();
        toast(`Metric “${body.name}” added.`, 'success');
        await load();
      } catch (err) {
        f.show(err, 'metricId');
      } finally {
        save.disabled = false;
      }
    });
  }

  // --- export / import -----------------------------------------------------------------------------
  function exportJson(): void {
    if (!data) return;
    const payload = {
      format: 'rallyuxr-metric-values',
      exportedAt: new Date().toISOString(),
      metrics: data.metrics.map((m) => ({
        metricId: m.metricId, name: m.name, description: m.description, unit: m.unit, category: m.category,
        dollarsPerUnit: m.dollarsPerUnit, improvementDirection: m.improvementDirection, unitSize: m.unitSize,
        ...(m.validationRules ? { validationRules: m.validationRules } : {}),
      })),
    };
    saveBlob(new Blob([JSON.stringify(payload, null, 2) + '\n'], { type: 'application/json' }),
      `rallyuxr-metric-values-${fmt.isoDay(new Date())}.json`);
  }

  async function importFile(file: File): Promise<void> {
    let incoming: Partial<MetricValue>[];
    try {
      const parsed = JSON.parse(await file.text());
      const list = Array.isArray(parsed) ? parsed : parsed?.metrics ?? parsed?.data?.metrics;
      if (!Array.isArray(list)) throw new Error('The file has no "metrics" list.');
      incoming = list;
    } catch (e) {
      toast(`Cannot read ${file.name}: ${e instanceof Error ? e.message : String(e)}`, 'error');
      return;
    }
    const current = new Map((data?.metrics ?? []).map((m) => [m.metricId, m]));
    const fieldsOf = (m: Partial<MetricValue>) => ({
      dollarsPerUnit: m.dollarsPerUnit, name: m.name, unit: m.unit, description: m.description,
      category: m.category, improvementDirection: m.improvementDirection, unitSize: m.unitSize,
    });
    const plan = incoming.map((m) => {
      const cur = m.metricId ? current.get(m.metricId) : undefined;
      if (!cur) return { m, action: 'create' as const };
      const a = fieldsOf(m);
      const b = fieldsOf(cur);
      const changed = (Object.keys(a) as (keyof typeof a)[]).some((k) => a[k] !== undefined && a[k] !== b[k]);
      return { m, action: changed ? 'update' as const : 'same' as const };
    });
    const creates = plan.filter((p) => p.action === 'create');
    const updates = plan.filter((p) => p.action === 'update');
    const out = h('div', { 'aria-live': 'polite' });
    const apply = h('button', { type: 'button', class: 'btn btn-primary', disabled: !creates.length && !updates.length }, 'Apply import');
    const closeButton = h('button', { type: 'button', class: 'btn', onclick: () => dlg.close() }, 'Cancel');
    const dlg = modal(`Import ${file.name}`, [
      h('p', null, `${incoming.length} metrics in the file: `,
        h('strong', null, `${creates.length} new, ${updates.length} changed`), `, ${plan.length - creates.length - updates.length} unchanged.`),
      h('ul', { class: 'plan' }, plan.filter((p) => p.action !== 'same').map((p) =>
        h('li', null, h('span', { class: `tag tag-${p.action}` }, p.action === 'create' ? 'new' : 'update'), ` ${p.m.name ?? p.m.metricId} (${p.m.metricId})`,
          p.action === 'update' ? ` → ${fmt.money(p.m.dollarsPerUnit)}` : ''))),
      out,
      h('div', { class: 'actions' }, apply, closeButton),
    ], { wide: true });
    apply.addEventListener('click', async () => {
      apply.disabled = true;
      const failures: string[] = [];
      let ok = 0;
      for (const p of plan) {
        if (p.action === 'same') continue;
        try {
          if (p.action === 'create') await api.post('/metric-values', p.m);
          else await api.put(`/metric-values/${encodeURIComponent(p.m.metricId!)}`, { ...fieldsOf(p.m), changeReason: `Imported from ${file.name}` });
          ok++;
        } catch (e) {
          const err = e as { message?: string; details?: { path: unknown; message: string }[] };
          const why = err.details?.length ? err.details.map((d) => `${String(d.path)}: ${d.message}`).join('; ') : err.message;
          failures.push(`${p.m.metricId ?? '(no id)'}: ${why}`);
        }
      }
      replace(out, h('div', { class: `panel ${failures.length ? 'panel-error' : 'notice'}` },
        h('p', null, h('strong', null, `${ok} applied`), failures.length ? `, ${failures.length} rejected:` : '.'),
        failures.length ? h('ul', null, failures.map((x) => h('li', null, x))) : null));
      closeButton.textContent = 'Done';
      closeButton.focus();
      await load();
    });
  }

  void load();
  return () => {
    disposed = true;
  };
};

function categoryControl(id: string, value: string): HTMLSelectElement {
  const options = CATEGORIES.includes(value) ? CATEGORIES : [...CATEGORIES, value];
  return h('select', { id }, options.map((c) => h('option', { value: c, selected: c === value }, fmt.titleCase(c))));
}

function directionControl(id: string, value: string): HTMLSelectElement {
  return h('select', { id },
    h('option', { value: 'increase', selected: value === 'increase' }, '↑ Higher is better'),
    h('option', { value: 'decrease', selected: value === 'decrease' }, '↓ Lower is better'));
}

function numberOrRaw(el: HTMLInputElement): number | string | undefined {
  const v = el.value.trim();
  if (v === '') return el.validity.badInput ? el.value : undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : v;
}
