// Entry point: styles, the routes, and the active state of the main navigation.
import './styles/main.css';
import './styles/print.css';
import { h } from './dom';
import { route, setNotFound, startRouter } from './router';
import { pageHeader, setTitle } from './components/ui';
import { clearStaleToasts } from './components/toast';

route('/', 'experiments', async () => (await import('./pages/dashboard')).dashboardPage);
route('/experiments/new', 'new', async () => (await import('./pages/create')).createPage);
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
