// Short notices in a polite live region at the bottom of the screen.
import { h } from '../dom';

let region: HTMLElement | null = null;

export function toast(message: string, kind: 'info' | 'success' | 'error' = 'info'): void {
  if (!region) {
    region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const item = h('div', { class: `toast toast-${kind}`, dataset: { at: String(Date.now()) } },
    h('span', null, message),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '✕'));
  region.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4500);
}

/** On a page change: notices about the previous page go; one given just before the change stays. */
export function clearStaleToasts(): void {
  region?.querySelectorAll<HTMLElement>('.toast').forEach((t) => {
    if (Date.now() - Number(t.dataset.at) > 1000) t.remove();
  });
}
