// The admin's money page, #/admin/money: every project's monthly budget against this month's
// gateway spend, and its rate limit, 50 projects a page (search by id or name); a budget or a
// limit changed after a confirm step saying what it does.
import { api } from './api.js';
import { h, show } from './dom.js';
import { usd } from './spend_chart.js';
import { guarded, loadView, tableOrNote } from './ui.js';

function budgetCell(p, refresh, view, onSignedOut) {
  const input = h('input', { id: `budget-${p.project_id}`, inputmode: 'decimal', size: 10, value: p.budget_usd === null ? '' : p.budget_usd.replace(/\.?0+$/, ''),
    'aria-label': `Monthly budget of ${p.project_id} in USD` });
  const save = h('button', { type: 'submit', class: 'quiet' }, 'Set');
  const form = h('form', { class: 'inline' }, input, save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const next = input.value.trim();
    const now = p.budget_usd === null ? 'no budget' : usd(p.budget_usd);
    const what = Number(next) < Number(p.spent_usd)
      ? 'It is below this month\'s spend: the gateway refuses the project\'s calls (402) from now on.'
      : 'The gateway admits calls whose worst case fits in what is left.';
    if (!confirm(`Set ${p.project_id}'s monthly budget from ${now} to $${next}? ${what}`)) return;
    if (await guarded(view, () => api(`/admin/budgets/${p.project_id}`, { method: 'POST', body: { monthly_usd: next } }), onSignedOut)) await refresh();
  });
  return form;
}

function limitCell(p, fallback, refresh, view, onSignedOut) {
  const rpm = h('input', { type: 'number', min: 1, step: 1, value: p.rpm ?? fallback.rpm, 'aria-label': `Requests per minute per key of ${p.project_id}`, class: 'narrow' });
  const tpm = h('input', { type: 'number', min: 1, step: 1, value: p.tpm ?? fallback.tpm, 'aria-label': `Tokens per minute per key of ${p.project_id}`, class: 'narrow' });
  const form = h('form', { class: 'inline' }, rpm, tpm, h('button', { type: 'submit', class: 'quiet' }, 'Set'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!confirm(`Limit each key of ${p.project_id} to ${rpm.value} requests and ${tpm.value} tokens a minute?`)) return;
    const body = { project_id: p.project_id, rpm: Number(rpm.value), tpm: Number(tpm.value) };
    if (await guarded(view, () => api('/admin/rate-limits', { method: 'POST', body }), onSignedOut)) await refresh();
  });
  return h('div', {}, form, p.rpm === null ? h('small', { class: 'muted' }, 'the default') : null);
}

export async function moneyView(view, onSignedOut, { q = '', after = '' } = {}) {
  const page = await loadView(view, `/admin/money?q=${encodeURIComponent(q)}&after=${encodeURIComponent(after)}`, onSignedOut, 'Budgets and limits');
  if (!page) return;
  const refresh = () => moneyView(view, onSignedOut, { q, after });
  const rows = page.projects.map((p) => {
    const pct = p.budget_usd === null || Number(p.budget_usd) === 0 ? null : Math.round((Number(p.spent_usd) / Number(p.budget_usd)) * 100);
    return h('tr', {},
      h('td', {}, h('a', { href: `#/projects/${p.project_id}` }, p.project_id), h('br'), h('small', { class: 'muted' }, `${p.name} — ${p.owner}`)),
      h('td', {}, usd(p.spent_usd), pct === null ? null : h('small', { class: pct >= 80 ? 'warn' : 'muted' }, ` (${pct}%)`)),
      h('td', {}, budgetCell(p, refresh, view, onSignedOut)),
      h('td', {}, limitCell(p, page.default_rate_limit, refresh, view, onSignedOut)));
  });
  const search = h('input', { id: 'money-search', type: 'search', value: q, placeholder: 'project id or name', maxlength: 100 });
  const form = h('form', { class: 'row', id: 'money-search-form' }, h('div', {}, h('label', { for: 'money-search' }, 'Find a project'), search),
    h('button', { type: 'submit', class: 'quiet' }, 'Search'));
  form.addEventListener('submit', (event) => { event.preventDefault(); moneyView(view, onSignedOut, { q: search.value.trim() }); });
  const next = page.next ? h('button', { type: 'button', class: 'quiet', id: 'money-next' }, 'Next 50 projects') : null;
  next?.addEventListener('click', () => moneyView(view, onSignedOut, { q, after: page.next }));
  show(view,
    h('h1', {}, 'Budgets and limits'),
    h('div', { class: 'card' },
      h('p', { class: 'muted' }, `Spend is this month's gateway calls (UTC), from the daily rollups. Rate limits are per key; the default is ${page.default_rate_limit.rpm} requests and ${page.default_rate_limit.tpm} tokens a minute.`),
      form,
      tableOrNote('money', ['Project', 'Spent this month', 'Monthly budget (USD)', 'Requests / tokens per minute'], rows, 'No project matches.'),
      after ? h('button', { type: 'button', class: 'quiet', id: 'money-first' }, 'First page') : null,
      next));
  view.querySelector('#money-first')?.addEventListener('click', () => moneyView(view, onSignedOut, { q }));
}
