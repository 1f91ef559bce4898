// Small building blocks shared by the pages.
import { h } from '../dom';
import { ApiError } from '../api';
import type { ExperimentStatus } from '../types';

const STATUS_LABEL: Record<string, string> = {
  draft: 'Draft',
  running: 'Running',
  complete: 'Complete',
  archived: 'Archived',
};

export function statusBadge(status: ExperimentStatus | string): HTMLElement {
  return h('span', { class: `badge badge-${status}`, dataset: { status } }, STATUS_LABEL[status] ?? status);
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
