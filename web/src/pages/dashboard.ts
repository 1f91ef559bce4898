// Dashboard: summary cards, the experiments newest first, search by name, status filter, pages.
import { api } from '../api';
import { byId, loadCatalog, metricName } from '../catalog';
import { h, replace } from '../dom';
import * as fmt from '../format';
import { setQuery, type Page } from '../router';
import type { ExperimentList, MetricValue } from '../types';
import { debounce, errorPanel, loading, pageHeader, setTitle, statusBadge } from '../components/ui';

const PAGE_SIZE = 20;

export const dashboardPage: Page = (root, { query }) => {
  setTitle('Experiments');
  let q = query.get('q') ?? '';
  let status = query.get('status') ?? '';
  let page = Math.max(1, Number(query.get('page')) || 1);
  let timer: number | undefined;
  let disposed = false;
  let seq = 0;
  let names = new Map<string, MetricValue>();
  const catalogReady = loadCatalog().then((c) => { names = byId(c); }).catch(() => {});

  const cards = h('section', { class: 'cards', 'aria-label': 'Summary' });
  const listArea = h('div', { class: 'list-area' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });

  const search = h('input', {
    id: 'search', type: 'search', value: q, placeholder: 'Name contains…', autocomplete: 'off',
    'data-testid': 'search',
  });
  const statusSelect = h('select', { id: 'status-filter', 'data-testid': 'status-filter' },
    ...[['', 'All (not archived)'], ['draft', 'Draft'], ['running', 'Running'], ['complete', 'Complete'], ['archived', 'Archived']]
      .map(([v, label]) => h('option', { value: v, selected: v === status }, label)),
  );

  const reload = () => {
    page = 1;
    setQuery({ q, status, page: null });
    void load();
  };
  search.addEventListener('input', debounce(() => {
    q = search.value.trim();
    reload();
  }, 250));
  statusSelect.addEventListener('change', () => {
    status = statusSelect.value;
    reload();
  });

  root.append(
    pageHeader('Experiments',
      h('p', { class: 'page-sub' }, 'Every experiment, newest first, with the dollar value of its result.')),
    cards,
    h('section', { class: 'panel panel-flush', 'aria-labelledby': 'list-title' },
      h('div', { class: 'toolbar' },
        h('h2', { id: 'list-title', class: 'visually-hidden' }, 'Experiment list'),
        h('div', { class: 'field field-inline grow' }, h('label', { for: 'search' }, 'Search by name'), search),
        h('div', { class: 'field field-inline' }, h('label', { for: 'status-filter' }, 'Status'), statusSelect),
      ),
      listArea,
      pager,
    ),
  );
  cards.append(loading());

  async function load(): Promise<void> {
    const mine = ++seq;
    if (timer !== undefined) clearTimeout(timer);
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String((page - 1) * PAGE_SIZE) });
    if (status) params.set('status', status);
    if (q) params.set('q', q);
    let data: ExperimentList;
    try {
      data = await api.get<ExperimentList>(`/experiments?${params}`);
    } catch (e) {
      if (mine !== seq || disposed) return;
      replace(listArea, errorPanel(e, () => void load()));
      return;
    }
    await catalogReady;
    if (mine !== seq || disposed) return;
    renderCards(data);
    renderList(data);
    // Refresh by itself while something on screen is still being processed.
    if (data.experiments.some((x) => x.status === 'draft' || x.status === 'running')) {
      timer = window.setTimeout(() => void load(), 2000);
    }
  }

  function renderCards(data: ExperimentList): void {
    const s = data.summary;
    const impact = s.totalEconomicImpact;
    replace(cards,
      h('div', { class: 'card' },
        h('div', { class: 'card-label' }, 'Total experiments'),
        h('div', { class: 'card-figure', 'data-testid': 'summary-total' }, fmt.integer(s.totalExperiments))),
      h('div', { class: 'card' },
        h('div', { class: 'card-label' }, 'Completed'),
        h('div', { class: 'card-figure', 'data-testid': 'summary-completed' }, fmt.integer(s.completedExperiments))),
      h('div', { class: 'card card-accent' },
        h('div', { class: 'card-label' }, 'Total economic impact'),
        h('div', { class: `card-figure money ${impact < 0 ? 'neg' : ''}`, 'data-testid': 'summary-impact' }, fmt.money(impact)),
        h('div', { class: 'card-note' }, 'Net impact of the newest analysis of each experiment')),
    );
  }

  function renderList(data: ExperimentList): void {
    const { experiments, pagination } = data;
    if (experiments.length === 0) {
      const filtered = q || status;
      replace(listArea, h('div', { class: 'empty' },
        h('p', { class: 'empty-title' }, filtered ? 'No experiment matches.' : 'No experiments yet.'),
        filtered
          ? h('p', null, 'Try another name or status.')
          : h('p', null, 'Start from a template: it takes a minute. ',
            h('a', { href: '/experiments/new' }, 'Create your first experiment')),
      ));
      replace(pager);
      return;
    }
    const rows = experiments.map((x) => {
      const impact = x.economicImpact;
      return h('tr', { dataset: { id: x.id } },
        h('td', null, h('a', { class: 'row-link', href: `/experiments/${encodeURIComponent(x.id)}` }, x.name),
          h('div', { class: 'muted small' }, `${x.metrics.map((m) => metricName(m, names)).join(', ')} · created ${fmt.relativeTime(x.createdAt)}`)),
        h('td', null, statusBadge(x.status)),
        h('td', { class: 'nowrap' }, fmt.period(x.startDate, x.endDate)),
        h('td', { class: `num money ${impact !== null && impact !== undefined && impact < 0 ? 'neg' : impact ? 'pos' : ''}` },
          impact === null || impact === undefined ? h('span', { class: 'muted' }, x.status === 'complete' ? 'n/a' : 'pending') : fmt.money(impact, { signed: true })),
      );
    });
    replace(listArea, h('table', { class: 'table', 'data-testid': 'experiment-table' },
      h('caption', { class: 'visually-hidden' }, 'Experiments, newest first'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Period'),
        h('th', { scope: 'col', class: 'num' }, 'Economic impact'))),
      h('tbody', null, rows),
    ));

    const first = pagination.offset + 1;
    const last = pagination.offset + experiments.length;
    const pages = Math.max(1, Math.ceil(pagination.total / PAGE_SIZE));
    const go = (p: number) => {
      page = p;
      setQuery({ page: p > 1 ? String(p) : null });
      void load();
    };
    replace(pager,
      h('span', { class: 'muted' }, `Showing ${first}–${last} of ${fmt.integer(pagination.total)}`),
      h('div', { class: 'pager-buttons' },
        h('button', { class: 'btn btn-small', type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '← Previous'),
        h('span', { class: 'pager-page' }, `Page ${page} of ${pages}`),
        h('button', { class: 'btn btn-small', type: 'button', disabled: !pagination.hasMore, onclick: () => go(page + 1) }, 'Next →'),
      ),
    );
  }

  void load();
  return () => {
    disposed = true;
    if (timer !== undefined) clearTimeout(timer);
  };
};
