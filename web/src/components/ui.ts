// Small building blocks shared by the pages.
import { h } from '../dom';
import { ApiError } from '../api';
import type { Experiment, ExperimentStatus } from '../types';
import { isProjection } from '../verdict';
import * as fmt from '../format';

const STATUS_LABEL: Record<string, string> = {
  draft: 'Draft',
  running: 'Running',
  complete: 'Complete',
  archived: 'Archived',
  projection: 'Projection',
};

export function statusBadge(status: ExperimentStatus | 'projection' | string): HTMLElement {
  return h('span', { class: `badge badge-${status}`, dataset: { status } }, STATUS_LABEL[status] ?? status);
}

/** Simulated data cannot be mistaken for real: a banner on the page, in print and beside exports. */
export function dataSourceBanner(x: Pick<Experiment, 'dataSource' | 'endDate' | 'startDate'>, now: number): HTMLElement | null {
  if (x.dataSource !== 'simulated') return null;
  const projection = isProjection(x, now);
  return h('div', { class: `banner banner-simulated ${projection ? 'banner-projection' : ''}`, role: 'note', 'data-testid': 'simulated-banner' },
    h('strong', null, projection ? 'Projection from simulated data. ' : 'Simulated data. '),
    projection
      ? `These figures were generated for dates that have not happened yet (the period ends ${fmt.date(x.endDate)}); they are not a measured result and must not be presented as one.`
      : 'Every figure here comes from generated data, not from real users; it is not a measured result and must not be presented as one.');
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('div', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function errorPanel(err: unknown, retry?: () => void): HTMLElement {
  const e = err instanceof ApiError ? err : null;
  const title = e?.status === 404 ? 'Not found' : 'Something went wrong';
  const msg = e ? e.message : err instanceof Error ? err.message : String(err);
  return h('div', { class: 'panel panel-error', role: 'alert' },
    h('h2', null, title),
    h('p', null, msg),
    e?.requestId ? h('p', { class: 'muted small' }, `Request id: ${e.requestId}`) : null,
    retry ? h('button', { class: 'btn', type: 'button', onclick: retry }, 'Try again') : null,
  );
}

export function pageHeader(title: string | Node, ...rest: (Node | null)[]): HTMLElement {
  return h('header', { class: 'page-header' }, h('h1', null, title), ...rest);
}

/** Sets the document title as "Page · RallyUXR". */
export function setTitle(page: string): void {
  document.title = page ? `${page} · RallyUXR` : 'RallyUXR';
}

/** Calls fn now and then every ms until the returned stop() is called; never overlaps itself. */
export function poll(fn: () => Promise<boolean | void>, ms: number): () => void {
  let stopped = false;
  let timer: number | undefined;
  const tick = async () => {
    if (stopped) return;
    let again = true;
    try {
      again = (await fn()) !== false;
    } catch (e) {
      console.error(e);
    }
    if (!stopped && again) timer = window.setTimeout(tick, ms);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: number | undefined;
  return (...a: A) => {
    if (t !== undefined) clearTimeout(t);
    t = window.setTimeout(() => fn(...a), ms);
  };
}
