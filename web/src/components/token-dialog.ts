// Asks for an API token when the server answers 401. One dialog at a time: concurrent requests
// that get a 401 wait for the same answer.
import { h } from '../dom';

let pending: Promise<string | null> | null = null;

export function askForToken(wasRejected: boolean): Promise<string | null> {
  if (pending) return pending;
  pending = new Promise<string | null>((resolve) => {
    const input = h('input', { id: 'api-token', type: 'password', autocomplete: 'off', required: true });
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'token-title' },
      h('form', { method: 'dialog', class: 'stack' },
        h('h2', { id: 'token-title' }, 'API token required'),
        h('p', null, wasRejected
          ? 'The server did not accept the saved token. Enter a valid token to continue.'
          : 'This server asks for a token for this action. It is kept for this browser tab only.'),
        h('div', { class: 'field' }, h('label', { for: 'api-token' }, 'Token'), input),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', class: 'btn btn-primary', value: 'ok' }, 'Continue'),
          h('button', { type: 'submit', class: 'btn', value: 'cancel', formnovalidate: true }, 'Cancel'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      const value = dialog.returnValue === 'ok' && input.value.trim() ? input.value.trim() : null;
      dialog.remove();
      pending = null;
      resolve(value);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
  return pending;
}
