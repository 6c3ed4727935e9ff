// Pieces every view uses: the error box, times, and a shown-once secret with its copy button.
import { api, ApiError } from './api.js';
import { h, show } from './dom.js';

export function errorBox(e) {
  const text = e instanceof ApiError ? e.message : `Something went wrong: ${e.message}`;
  return h('div', { class: 'error', role: 'alert' }, e instanceof ApiError && e.status === 403 ? `Not allowed: ${text}` : text);
}

/** 2026-12-07T02:32:16Z -> 2026-12-07 02:32 UTC */
export const when = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : null);

/** A read-only field holding `value` with a Copy button. */
export function copyField(value, id, label) {
  const field = h('input', { class: 'secret', id, readonly: true, value, 'aria-label': label });
  const copy = h('button', { type: 'button', class: 'quiet' }, 'Copy');
  copy.addEventListener('click', async () => {
    field.select();
    try { await navigator.clipboard.writeText(value); copy.textContent = 'Copied'; } catch { copy.textContent = 'Select and copy'; }
  });
  return h('div', { class: 'row' }, h('div', {}, field), copy);
}

/** A view's one request: its answer, or undefined once the view shows why not under `title` (and
 * `after`), or once a 401 has sent the person to sign in. */
export async function loadView(view, path, onSignedOut, title, ...after) {
  try {
    return await api(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) onSignedOut();
    else show(view, h('h1', {}, title), errorBox(e), ...after);
    return undefined;
  }
}

/** Runs `fn`; an error goes on top of `where`, and a 401 sends the person to sign in. */
export async function guarded(where, fn, onSignedOut) {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return onSignedOut();
    where.querySelector(':scope > .error')?.remove();
    where.prepend(errorBox(e));
    return undefined;
  }
}

/** The rows as a table, or `note` when there are none. */
export function tableOrNote(id, headers, rows, note) {
  return rows.length === 0 ? h('p', { class: 'muted' }, note) : table(id, headers, rows);
}

export function table(id, headers, rows) {
  return h('div', { class: 'table-wrap' }, h('table', { id },
    h('thead', {}, h('tr', {}, ...headers.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...rows)));
}
