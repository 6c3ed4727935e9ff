// The admin's Cost page, #/admin/cost: the gateway's spend over a range of UTC days (this month by
// default) from the daily rollups: the total, a bar per day, and per model and per project (the 50
// that spent most), each with a bar against the largest.
import { h, show } from './dom.js';
import { dailyChart, usd } from './spend_chart.js';
import { loadView, tableOrNote } from './ui.js';

function share(value, max) {
  return h('meter', { min: 0, max: max || 1, value: Number(value), 'aria-hidden': 'true', class: 'share' });
}

export async function costView(view, onSignedOut, range = {}) {
  const q = new URLSearchParams(Object.entries(range).filter(([, v]) => v)).toString();
  const cost = await loadView(view, `/admin/cost${q ? `?${q}` : ''}`, onSignedOut, 'Cost');
  if (!cost) return;
  const from = h('input', { id: 'cost-from', type: 'date', value: cost.from, required: true });
  const to = h('input', { id: 'cost-to', type: 'date', value: cost.to, required: true });
  const form = h('form', { class: 'row', id: 'cost-range' },
    h('div', {}, h('label', { for: 'cost-from' }, 'From (UTC day)'), from),
    h('div', {}, h('label', { for: 'cost-to' }, 'To (UTC day)'), to),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', (event) => { event.preventDefault(); costView(view, onSignedOut, { from: from.value, to: to.value }); });
  const maxModel = Math.max(0, ...cost.by_model.map((m) => Number(m.usd)));
  const maxProject = Math.max(0, ...cost.by_project.map((p) => Number(p.usd)));
  const models = cost.by_model.map((m) => h('tr', {}, h('td', {}, h('code', {}, m.model || '(none)')), h('td', {}, usd(m.usd)),
    h('td', {}, share(m.usd, maxModel)), h('td', {}, m.requests.toLocaleString('en')),
    h('td', {}, `${m.input_tokens.toLocaleString('en')} / ${m.output_tokens.toLocaleString('en')}`)));
  const projects = cost.by_project.map((p) => h('tr', {},
    h('td', {}, h('a', { href: `#/projects/${p.project_id}` }, p.project_id), h('br'), h('small', { class: 'muted' }, p.name)),
    h('td', {}, usd(p.usd)), h('td', {}, share(p.usd, maxProject)), h('td', {}, p.requests.toLocaleString('en'))));
  show(view,
    h('h1', {}, 'Cost'),
    h('div', { class: 'card' }, form,
      h('p', {}, 'Gateway spend ', h('strong', {}, usd(cost.total_usd)), ` over ${cost.requests.toLocaleString('en')} calls, ${cost.from} to ${cost.to} (UTC), from the daily rollups.`),
      dailyChart({ from: `${cost.from}T00:00:00Z`, to: `${cost.to}T00:00:00Z`, by_day: cost.by_day }, 'No gateway call in this range.')),
    h('div', { class: 'card' }, h('h2', {}, 'By model'),
      tableOrNote('cost-models', ['Model', 'Spend', '', 'Calls', 'Tokens in / out'], models, 'No gateway call in this range.')),
    h('div', { class: 'card' }, h('h2', {}, 'By project (the 50 that spent most)'),
      tableOrNote('cost-projects', ['Project', 'Spend', '', 'Calls'], projects, 'No gateway call in this range.')));
}
