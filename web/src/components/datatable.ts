// The data-table alternative of a chart: a disclosure (reachable by keyboard, announced by screen
// readers) holding a table in a focusable scroll region.
import { h } from '../dom';

export function scrollRegion(label: string, table: HTMLElement): HTMLElement {
  return h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': label }, table);
}

export function dataTable(caption: string, head: string[], rows: (string | number)[][], opts: { open?: boolean; testId?: string } = {}): HTMLElement {
  return h('details', { class: 'data-table', open: opts.open ?? false, 'data-testid': opts.testId },
    h('summary', null, `Data table: ${caption}`),
    scrollRegion(caption, h('table', { class: 'table table-compact' },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, head.map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, c)))),
      h('tbody', null, rows.map((r) => h('tr', null, r.map((c, i) => i ? h('td', { class: 'num' }, String(c)) : h('th', { scope: 'row' }, String(c)))))))));
}
