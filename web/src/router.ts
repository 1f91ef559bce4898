// Client-side routing on the History API. Links inside the app are plain <a href="/...">: a click
// is intercepted and handled here; the server falls back to index.html for any non-/api path, so
// every route also works on a reload or from a bookmark.

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
}

/** A page renders into root and may return a cleanup (stop timers, destroy charts). */
export type Page = (root: HTMLElement, ctx: RouteContext) => void | (() => void);

interface Route {
  pattern: RegExp;
  keys: string[];
  page: () => Promise<Page>;
  nav: string;
}

const routes: Route[] = [];
let notFound: Page = () => {};
let outlet: HTMLElement;
let cleanup: (() => void) | void;
let onNavigate: (nav: string) => void = () => {};
let renderCount = 0;

export function route(path: string, nav: string, page: () => Promise<Page>): void {
  const keys: string[] = [];
  const source = path.replace(/:([a-zA-Z]+)/g, (_, k: string) => {
    keys.push(k);
    return '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}/?$`), keys, page, nav });
}

let onLoadFailure: () => void = () => {};

/** Called when a page's code cannot be loaded (the app then watches for the server's return). */
export function setLoadFailureHandler(fn: () => void): void {
  onLoadFailure = fn;
}

function loadFailed(e: unknown): HTMLElement {
  const box = document.createElement('div');
  box.className = 'panel panel-error';
  box.setAttribute('role', 'alert');
  box.dataset.testid = 'page-load-failed';
  const h2 = document.createElement('h2');
  h2.textContent = 'This page could not be loaded';
  const p = document.createElement('p');
  p.textContent = 'The server did not answer. This page reloads by itself as soon as it is back.';
  // The browser's own words (e.g. "Failed to fetch dynamically imported module …") are for whoever
  // reports the problem, not for the reader: folded away.
  const detail = document.createElement('details');
  detail.className = 'muted small';
  const summary = document.createElement('summary');
  summary.textContent = 'Technical detail';
  const text = document.createElement('p');
  text.textContent = e instanceof Error ? e.message : String(e);
  detail.append(summary, text);
  box.append(h2, p, detail);
  return box;
}

/** Renders the current URL again (after the server came back). */
export function rerender(): void {
  void render();
}

export function setNotFound(page: Page): void {
  notFound = page;
}

export function navigate(url: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

/** Updates the query string without re-rendering (filters, toggles). */
export function setQuery(params: Record<string, string | null | undefined>): void {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '') url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  history.replaceState(null, '', url.pathname + url.search + url.hash);
}

async function render(): Promise<void> {
  const mine = ++renderCount;
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      console.error(e);
    }
    cleanup = undefined;
  }
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    let page: Page;
    try {
      page = await r.page();
    } catch (e) {
      // The page's code could not be loaded: the server is down or was updated under us.
      if (mine !== renderCount) return;
      onNavigate(r.nav);
      outlet.replaceChildren(loadFailed(e));
      onLoadFailure();
      return;
    }
    if (mine !== renderCount) return; // a newer navigation won
    onNavigate(r.nav);
    outlet.replaceChildren();
    cleanup = page(outlet, { params, query });
    afterRender(mine);
    return;
  }
  onNavigate('');
  outlet.replaceChildren();
  cleanup = notFound(outlet, { params: {}, query });
  afterRender(mine);
}

function afterRender(n: number): void {
  // Move focus to the page's heading after an in-app navigation (not on first load), so that
  // keyboard and screen-reader users start at the top of the new page.
  if (n > 1) {
    const heading = outlet.querySelector('h1');
    if (heading) {
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
    window.scrollTo(0, 0);
  }
}

export function startRouter(root: HTMLElement, navChanged: (nav: string) => void): void {
  outlet = root;
  onNavigate = navChanged;
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest?.('a');
    if (!a || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || href.startsWith('#')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => void render());
  void render();
}
