// Entry point: styles, the routes, and the active state of the main navigation.
import './styles/main.css';
import './styles/print.css';
import { h } from './dom';
import { rerender, route, setLoadFailureHandler, setNotFound, startRouter } from './router';
import { pageHeader, setTitle } from './components/ui';
import { clearStaleToasts } from './components/toast';

route('/', 'experiments', async () => (await import('./pages/dashboard')).dashboardPage);
route('/experiments/new', 'new', async () => (await import('./pages/create')).createPage);
route('/experiments/:id/analyses/:analysisId', 'experiments', async () => (await import('./pages/experiment')).experimentPage);
route('/experiments/:id', 'experiments', async () => (await import('./pages/experiment')).experimentPage);
route('/metric-values', 'metrics', async () => (await import('./pages/metrics')).metricsPage);

setNotFound((root) => {
  setTitle('Page not found');
  root.append(
    pageHeader('Page not found'),
    h('div', { class: 'panel' },
      h('p', null, 'There is no page at ', h('code', null, location.pathname), '.'),
      h('p', null, h('a', { href: '/' }, 'Go to the experiments'))),
  );
});

const main = document.getElementById('main')!;
startRouter(main, (nav) => {
  clearStaleToasts();
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
});

// --- the server went away: say so, watch /api/health, and recover by itself when it is back ------
let watching = false;
let needsReload = false;
const banner = h('div', { class: 'offline-banner', role: 'status', 'data-testid': 'offline-banner', hidden: true },
  h('strong', null, 'The server cannot be reached. '), 'Retrying every few seconds; the page refreshes by itself when it answers.');
document.body.prepend(banner);

function watchServer(reload: boolean): void {
  needsReload ||= reload;
  banner.hidden = false;
  if (watching) return;
  watching = true;
  const tick = async () => {
    let ok = false;
    try {
      ok = (await fetch('/api/health', { cache: 'no-store' })).status < 500;
    } catch {
      ok = false;
    }
    if (!ok) {
      window.setTimeout(tick, 2000);
      return;
    }
    watching = false;
    banner.hidden = true;
    // Code that failed to load may have a new name after an update: load the page afresh.
    if (needsReload) location.reload();
    else rerender();
  };
  window.setTimeout(tick, 1500);
}
window.addEventListener('rallyuxr:offline', () => watchServer(false));
setLoadFailureHandler(() => watchServer(true));
