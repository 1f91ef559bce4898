// Labelled form fields whose errors come from the API's `details` (path + message), shown inline
// next to the field, with an error summary that links to each field.
import { ApiError, detailPath } from '../api';
import { h } from '../dom';

interface Registered {
  control: HTMLElement;
  error: HTMLElement;
  label: string;
}

export class FormFields {
  private readonly fields = new Map<string, Registered>();
  readonly summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1, hidden: true });

  /** A labelled field: <label>, optional hint, the control, and its error slot. */
  field(key: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
    const id = control.id;
    const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
    const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
    control.setAttribute('aria-describedby', [hintEl ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '));
    this.fields.set(key, { control, error, label });
    return h('div', { class: 'field', dataset: { field: key } }, h('label', { for: id }, label), control, hintEl, error);
  }

  clear(): void {
    this.summary.hidden = true;
    this.summary.replaceChildren();
    for (const f of this.fields.values()) {
      f.error.hidden = true;
      f.error.replaceChildren();
      f.control.removeAttribute('aria-invalid');
      f.control.closest('.field')?.classList.remove('has-error');
    }
  }

  /** Shows an API error: details next to their fields, everything in the summary. */
  show(err: unknown, fallbackKey?: string): void {
    this.clear();
    const e = err instanceof ApiError ? err : null;
    const message = e ? e.message : err instanceof Error ? err.message : String(err);
    // A conflict without details belongs to the key field (e.g. "this metric id exists").
    const details = e?.details.length ? e.details : [{ path: e?.status === 409 && fallbackKey ? fallbackKey : '', message }];
    const items: HTMLElement[] = [];
    let first: HTMLElement | null = null;
    for (const d of details) {
      const key = detailPath(d)[0] ?? '';
      const f = this.fields.get(key);
      if (f) {
        f.error.hidden = false;
        f.error.append(h('span', { class: 'field-error-line' }, d.message));
        f.control.setAttribute('aria-invalid', 'true');
        f.control.closest('.field')?.classList.add('has-error');
        first ??= f.control;
        items.push(h('li', null, h('a', {
          href: `#${f.control.id}`,
          onclick: (ev: Event) => { ev.preventDefault(); f.control.focus(); },
        }, `${f.label}: ${d.message}`)));
      } else {
        items.push(h('li', null, key ? `${key}: ${d.message}` : d.message));
      }
    }
    this.summary.append(
      h('h2', null, items.length === 1 ? 'There is 1 problem' : `There are ${items.length} problems`),
      h('ul', null, items));
    this.summary.hidden = false;
    if (first) first.focus();
    else this.summary.focus();
  }
}

/** A modal <dialog> (Esc closes it; focus stays inside) that removes itself when closed. */
export function modal(title: string, content: Node[], opts: { wide?: boolean } = {}): { dialog: HTMLDialogElement; close(): void } {
  const titleId = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const dialog = h('dialog', { class: `dialog ${opts.wide ? 'dialog-wide' : ''}`, 'aria-labelledby': titleId },
    h('div', { class: 'dialog-head' },
      h('h2', { id: titleId }, title),
      h('button', { type: 'button', class: 'btn btn-icon', 'aria-label': 'Close', onclick: () => dialog.close() }, '✕')),
    ...content);
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close: () => dialog.close() };
}
