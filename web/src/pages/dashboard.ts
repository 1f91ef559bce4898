// Dashboard: summary cards, the experiments newest first, search by name, status filter, pages.
import { api, ApiError } from '../api';
import { byId, loadCatalog, metricName } from '../catalog';
import { h, replace } from '../dom';
import * as fmt from '../format';
import { setQuery, type Page } from '../router';
import type { CurrentAnalysisResponse, Experiment, ExperimentAnalysis, ExperimentList, MetricValue } from '../types';
import { debounce, errorPanel, loading, pageHeader, setTitle, statusBadge } from '../components/ui';
import { scrollRegion } from '../components/datatable';
import { headline, isProjection, isRunning, portfolio, type Portfolio } from '../verdict';

const PAGE_SIZE = 20;
const STATUSES = ['', 'draft', 'running', 'complete', 'archived'];

/** Newest complete analysis per experiment, kept while the experiment is unchanged. */
const analysisCache = new Map<string, { key: string; analysis: ExperimentAnalysis | null }>();

/**
 * The newest complete analysis (null while there is none): the verdict of a row needs its interval,
 * guardrails and sequential figures, which a list item does not carry. GET .../analysis sends that
 * one analysis; GET .../analyses would send a page of them, each with every figure.
 */
async function newestAnalysis(x: Experiment): Promise<ExperimentAnalysis | null> {
  // updatedAt moves with every new analysis (and its economicImpact with it).
  const key = `${x.updatedAt}|${x.status}|${x.economicImpact ?? ''}`;
  const hit = analysisCache.get(x.id);
  if (hit && hit.key === key) return hit.analysis;
  let analysis: ExperimentAnalysis | null;
  try {
    analysis = (await api.get<CurrentAnalysisResponse>(`/experiments/${encodeURIComponent(x.id)}/analysis`)).analysis;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
    analysis = null;
  }
  analysisCache.set(x.id, { key, analysis });
  return analysis;
}

/** Runs fn over items, at most `n` at a time. */
async function mapLimit<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

/** Every experiment but archived ones, with the analyses the portfolio needs (imported, ended). */
async function loadPortfolio(): Promise<Portfolio> {
  const all: Experiment[] = [];
  for (let offset = 0; offset < 2000; offset += 100) {
    const page = await api.get<ExperimentList>(`/experiments?limit=100&offset=${offset}`);
    all.push(...page.experiments);
    if (!page.pagination.hasMore) break;
  }
  const now = Date.now();
  const needs = (x: Experiment) => x.dataSource === 'imported' && !isRunning(x, now) && x.status === 'complete';
  const analyses = await mapLimit(all, 4, (x) => (needs(x) ? newestAnalysis(x) : Promise.resolve(null)));
  return portfolio(all.map((experiment, i) => ({ experiment, analysis: analyses[i] })), now);
}

export const dashboardPage: Page = (root, { query }) => {
  setTitle('Experiments');
  let q = query.get('q') ?? '';
  let status = query.get('status') ?? '';
  const badStatus = STATUSES.includes(status) ? null : status;
  if (badStatus !== null) status = '';
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
  const notice = badStatus === null ? null : h('div', { class: 'panel panel-error', role: 'alert', 'data-testid': 'bad-link' },
    h('h2', null, 'This link has an unknown filter'),
    h('p', null, `There is no status “${badStatus}”. Showing every experiment that is not archived instead.`));
  if (badStatus !== null) setQuery({ status: null });

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
      h('p', { class: 'page-sub' }, 'Every experiment, newest first, with its verdict and the interval of its dollar value.')),
    ...(notice ? [notice] : []),
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
  cards.append(loading('Loading the summary…'));

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
      replace(cards, h('p', { class: 'muted' }, 'The summary is not available while the list cannot be loaded.'));
      replace(pager);
      return;
    }
    await catalogReady;
    if (mine !== seq || disposed) return;
    renderList(data, new Map());
    // Verdicts of the rows on screen, then the portfolio; both need the analyses.
    const now = Date.now();
    const rowAnalyses = new Map<string, ExperimentAnalysis | null>();
    await mapLimit(data.experiments, 4, async (x) => {
      if (x.status === 'draft') return;
      try {
        rowAnalyses.set(x.id, await newestAnalysis(x));
      } catch {
        /* the row says "not available" */
      }
    });
    if (mine !== seq || disposed) return;
    renderList(data, rowAnalyses);
    try {
      const p = await loadPortfolio();
      if (mine !== seq || disposed) return;
      renderCards(data, p, now);
    } catch (e) {
      if (mine !== seq || disposed) return;
      replace(cards, errorPanel(e, () => void load()));
    }
    // Refresh by itself while something on screen is still being processed.
    if (data.experiments.some((x) => x.status === 'draft' || x.status === 'running')) {
      timer = window.setTimeout(() => void load(), 2000);
    }
  }

  function renderCards(data: ExperimentList, p: Portfolio, now: number): void {
    const s = data.summary;
    void now;
    replace(cards,
      h('div', { class: 'card' },
        h('div', { class: 'card-label' }, 'Total experiments'),
        h('div', { class: 'card-figure', 'data-testid': 'summary-total' }, fmt.integer(s.totalExperiments))),
      h('div', { class: 'card' },
        h('div', { class: 'card-label' }, 'Completed'),
        h('div', { class: 'card-figure', 'data-testid': 'summary-completed' }, fmt.integer(s.completedExperiments))),
      h('div', { class: 'card card-accent', 'data-testid': 'portfolio' },
        h('div', { class: 'card-label' }, 'Portfolio impact (imported, decisive results)'),
        p.counted
          ? h('div', { class: `card-figure money ${p.total < 0 ? 'neg' : ''}`, 'data-testid': 'summary-impact' }, fmt.moneyWith(p.total, p.interval))
          : h('div', { class: 'card-figure card-figure-muted', 'data-testid': 'summary-impact' }, 'Nothing decisive yet'),
        h('div', { class: 'card-note', 'data-testid': 'portfolio-note' },
          p.counted ? `${p.counted} ${p.counted === 1 ? 'result' : 'results'}; range ${fmt.moneyInterval(p.interval)} (sum of the bounds)` : 'Only imported results whose interval excludes zero are counted',
          p.notCountedText ? [h('br'), h('span', { 'data-testid': 'portfolio-excluded' }, `${p.notCountedText}.`)] : null)),
    );
  }

  function renderList(data: ExperimentList, analyses: Map<string, ExperimentAnalysis | null>): void {
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
    const now = Date.now();
    const rows = experiments.map((x) => {
      const known = analyses.has(x.id);
      const a = analyses.get(x.id) ?? null;
      const hl = known || x.status === 'draft' ? headline(x, a, now) : null;
      const iv = a?.economicImpact?.totalImpactInterval ?? null;
      const projection = isProjection(x, now);
      return h('tr', { dataset: { id: x.id } },
        h('td', null, h('a', { class: 'row-link', href: `/experiments/${encodeURIComponent(x.id)}` }, x.name),
          h('div', { class: 'muted small' }, `${x.metrics.map((m) => metricName(m, names)).join(', ')} · created ${fmt.relativeTime(x.createdAt)}`)),
        h('td', { 'data-label': 'Status' }, statusBadge(projection ? 'projection' : x.status),
          x.dataSource === 'simulated' ? h('span', { class: 'tag tag-simulated', 'data-testid': 'row-simulated' }, 'simulated') : null,
          x.decision ? h('span', { class: 'tag', 'data-testid': 'row-decision', title: `${x.decision.reason} (${x.decision.decidedBy ?? 'anonymous'})` }, `decided: ${x.decision.decision}`) : null),
        h('td', { class: 'nowrap', 'data-label': 'Period' }, fmt.period(x.startDate, x.endDate)),
        h('td', { 'data-testid': 'row-verdict', 'data-label': 'Verdict' }, hl
          ? h('span', { class: `sig ${hl.simulated ? 'sig-simulated' : `sig-${hl.kind}`}`, 'data-verdict': hl.kind }, hl.label)
          : h('span', { class: 'muted' }, 'loading…')),
        h('td', { class: 'num', 'data-testid': 'row-impact', 'data-label': 'Net impact' }, !hl || !a?.economicImpact
          ? h('span', { class: 'muted' }, fmt.DASH)
          : hl.decisive
            ? [h('span', { class: `money strong ${(a.economicImpact.totalImpact ?? 0) < 0 ? 'neg' : 'pos'}` }, fmt.moneyWith(a.economicImpact.totalImpact, iv)),
              h('span', { class: 'ci' }, fmt.moneyInterval(iv, { alongside: a.economicImpact.totalImpact }))]
            : h('span', { class: 'money muted-figure' }, fmt.moneyInterval(iv))),
      );
    });
    replace(listArea, scrollRegion('Experiment list (table)', h('table', { class: 'table table-cards', 'data-testid': 'experiment-table' },
      h('caption', { class: 'visually-hidden' }, 'Experiments, newest first, with verdict and dollar interval'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Period'),
        h('th', { scope: 'col' }, 'Verdict'),
        h('th', { scope: 'col', class: 'num' }, 'Net impact (interval)'))),
      h('tbody', null, rows),
    )));

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
