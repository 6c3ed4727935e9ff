// The admin's logs, #/admin/logs (gateway calls) and #/admin/logs/audit (the audit log): filters,
// 50 rows a page by keyset (Next / First page; no counting), a row's detail, the filtered range as
// a CSV download (streamed by the server), and the hash chain walked batch by batch on request.
import { api } from './api.js';
import { h, show } from './dom.js';
import { usd } from './spend_chart.js';
import { guarded, loadView, tableOrNote, when } from './ui.js';

const LOGS = {
  calls: {
    title: 'Gateway calls', path: '/admin/calls', chain: 'calls',
    filters: [
      ['project', 'Project', 'proj-2026-0001'], ['model', 'Model', 'model:default/gpt-5'],
      ['outcome', 'Outcome', ['', 'ok', 'denied', 'upstream_error', 'client_aborted']],
    ],
    headers: ['#', 'When', 'Project', 'Model', 'Outcome', 'Status', 'Tokens in / out', 'Cost'],
    cells: (r) => [r.project_id, r.model || '—', r.outcome, r.status, `${r.input_tokens} / ${r.output_tokens}`, usd(r.cost_usd)],
  },
  audit: {
    title: 'Audit log', path: '/admin/audit', chain: 'audit',
    filters: [
      ['actor', 'Actor', 'user:alice'], ['project', 'Project', 'proj-2026-0001'], ['action', 'Action', 'register_project'],
      ['outcome', 'Outcome', ['', 'ok', 'denied', 'error']],
    ],
    headers: ['#', 'When', 'Actor', 'Action', 'Project', 'Outcome'],
    cells: (r) => [r.actor, r.action, r.project_id || '—', r.outcome],
  },
};

const query = (filter, extra = {}) => new URLSearchParams(Object.entries({ ...filter, ...extra }).filter(([, v]) => v)).toString();

function filterForm(log, filter, onApply) {
  const fields = log.filters.map(([name, label, hint]) => {
    const id = `log-${name}`;
    const input = Array.isArray(hint)
      ? h('select', { id, name }, ...hint.map((v) => h('option', { value: v, selected: filter[name] === v }, v || 'any')))
      : h('input', { id, name, value: filter[name] ?? '', placeholder: hint, maxlength: 200 });
    return h('div', {}, h('label', { for: id }, label), input);
  });
  const dates = ['from', 'to'].map((name) => h('div', {}, h('label', { for: `log-${name}` }, `${name === 'from' ? 'From' : 'To'} (UTC day)`),
    h('input', { id: `log-${name}`, name, type: 'date', value: filter[name] ?? '' })));
  const form = h('form', { class: 'row', id: 'log-filters' }, ...fields, ...dates, h('button', { type: 'submit' }, 'Filter'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply(Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v).trim()])));
  });
  return form;
}

function detailOf(entry) {
  const rows = Object.entries(entry).map(([k, v]) => [h('dt', {}, k),
    h('dd', {}, typeof v === 'object' && v !== null ? h('pre', { class: 'detail' }, JSON.stringify(v, null, 2)) : String(v ?? '—'))]);
  return h('dl', { class: 'detail' }, ...rows.flat());
}

/** The chain card: Verify walks the log in batches, each one request, and says how far it got. */
function chainCard(log, view, onSignedOut) {
  const status = h('p', { id: 'chain-status', class: 'muted', 'aria-live': 'polite' }, 'Not verified in this view yet.');
  const button = h('button', { type: 'button', class: 'quiet', id: 'verify-chain' }, 'Verify the hash chain');
  button.addEventListener('click', async () => {
    button.disabled = true;
    let after = 0, checked = 0;
    try {
      for (;;) {
        const batch = await guarded(view, () => api('/admin/verify', { method: 'POST', body: { log: log.chain, after_id: after } }), onSignedOut);
        if (!batch) return;
        checked += batch.checked;
        after = batch.through_id;
        if (!batch.intact) {
          status.className = 'error';
          status.textContent = `Broken: ${batch.broken} (after ${checked.toLocaleString('en')} rows).`;
          return;
        }
        status.textContent = `Verified ${checked.toLocaleString('en')} rows…`;
        if (batch.done) break;
      }
      status.className = 'ok-text';
      status.textContent = `Intact: all ${checked.toLocaleString('en')} rows hash to their content and to the row before (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC).`;
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'card' }, h('h2', {}, 'Tamper evidence'),
    h('p', { class: 'muted' }, 'Each row carries a SHA-256 over its content and the row before it: an edited or deleted row breaks the chain.'),
    h('div', { class: 'row' }, h('div', {}, status), button));
}

export async function logsView(view, kind, onSignedOut, filter = {}, after = '') {
  const log = LOGS[kind];
  const page = await loadView(view, `${log.path}?${query(filter, { after })}`, onSignedOut, log.title);
  if (!page) return;
  const again = (f, a = '') => logsView(view, kind, onSignedOut, f, a);
  const rows = page.rows.map((r) => {
    const open = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', 'aria-label': `Details of row ${r.id}` }, String(r.id));
    const tr = h('tr', { class: 'log-row' }, h('td', {}, open), h('td', {}, when(r.at)), ...log.cells(r).map((c) => h('td', {}, c)));
    open.addEventListener('click', async () => {
      const next = tr.nextElementSibling;
      if (next?.classList.contains('log-detail')) { next.remove(); open.setAttribute('aria-expanded', 'false'); return; }
      const one = await guarded(view, () => api(`${log.path}/${r.id}`), onSignedOut);
      if (!one) return;
      tr.after(h('tr', { class: 'log-detail' }, h('td', { colspan: log.headers.length }, detailOf(one.call ?? one.entry))));
      open.setAttribute('aria-expanded', 'true');
    });
    return tr;
  });
  const csv = h('a', { id: 'log-csv', class: 'button quiet', href: `/api/dashboard${log.path}.csv?${query(filter)}`, download: '' }, 'Download CSV (every matching row)');
  const next = page.next ? h('button', { type: 'button', class: 'quiet', id: 'log-next' }, 'Next 50') : null;
  next?.addEventListener('click', () => again(filter, page.next));
  const first = after ? h('button', { type: 'button', class: 'quiet', id: 'log-first' }, 'Newest') : null;
  first?.addEventListener('click', () => again(filter));
  show(view,
    h('h1', {}, 'Logs'),
    h('nav', { class: 'tabs', 'aria-label': 'Logs' },
      h('a', { href: '#/admin/logs', 'aria-current': kind === 'calls' ? 'page' : null }, 'Gateway calls'),
      h('a', { href: '#/admin/logs/audit', 'aria-current': kind === 'audit' ? 'page' : null }, 'Audit log')),
    h('div', { class: 'card' },
      h('h2', {}, log.title),
      filterForm(log, filter, (f) => again(f)),
      h('p', { class: 'actions' }, csv),
      tableOrNote(`log-${kind}`, log.headers, rows, after ? 'No more rows.' : 'No row matches these filters.'),
      h('div', { class: 'actions' }, first, next)),
    chainCard(log, view, onSignedOut));
}
