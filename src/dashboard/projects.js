// The project views: #/projects (my projects with my role; register one) and #/projects/<id> (its
// services and their history, requesting one from its parameter form, the project key minted
// once, secrets revealed on request (audited), spend against budget). Each view is one API call.
import { api } from './api.js';
import { h, show } from './dom.js';
import { schemaForm } from './schema_form.js';
import { keySnippets } from './snippets.js';
import { budgetMeter, dailyChart, usd } from './spend_chart.js';
import { copyField, guarded, loadView, table, tableOrNote, when } from './ui.js';

export async function projectsView(view, onSignedOut) {
  const list = await loadView(view, '/projects', onSignedOut, 'Projects');
  if (!list) return;
  const field = (id, label, attrs = {}) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, ...attrs }));
  const form = h('form', { id: 'register-project' },
    field('project-name', 'Name', { required: true, maxlength: 100, placeholder: 'e.g. billing-api' }),
    field('project-description', 'Description', { required: true, maxlength: 2000, placeholder: 'One line: what it is for' }),
    h('div', { class: 'row' },
      field('project-manager', 'Manager (user name, optional)', { maxlength: 64 }),
      field('project-group', 'Group (optional)', { maxlength: 64 })),
    h('button', { type: 'submit' }, 'Register project'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (id) => form.querySelector(`#${id}`).value.trim();
    const body = { name: value('project-name'), description: value('project-description') };
    if (value('project-manager')) body.manager = value('project-manager');
    if (value('project-group')) body.group = value('project-group');
    const made = await guarded(view, () => api('/projects', { method: 'POST', body }), onSignedOut);
    if (made?.project) location.hash = `#/projects/${made.project.project_id}`;
  });
  const rows = list.projects.map((p) => h('tr', {},
    h('td', {}, h('a', { href: `#/projects/${p.project_id}` }, p.project_id)),
    h('td', {}, p.name),
    h('td', {}, p.your_role),
    h('td', {}, p.owner),
    h('td', {}, p.manager ?? '—'),
    h('td', {}, p.gateway_enabled ? 'enabled' : 'off')));
  show(view,
    h('h1', {}, 'Projects'),
    h('div', { class: 'card' },
      h('h2', {}, 'My projects'),
      tableOrNote('projects', ['Project', 'Name', 'My role', 'Owner', 'Manager', 'Gateway'], rows, 'None yet: register one below (you become its owner).')),
    h('div', { class: 'card' },
      h('h2', {}, 'Register a project'),
      h('p', { class: 'muted' }, 'The gate: nothing chargeable happens without a registered project.'),
      form));
}

function resourcesCard(id, data, view, onSignedOut) {
  const detail = h('div', { id: 'resource-detail' });
  const rows = data.resources.map((r) => {
    const open = h('button', { type: 'button', class: 'quiet', 'aria-label': `History of ${r.resource_id}` }, 'History');
    open.addEventListener('click', async () => {
      const one = await guarded(view, () => api(`/projects/${id}/resources/${r.resource_id}`), onSignedOut);
      if (!one) return;
      detail.replaceChildren(h('h3', {}, `${r.resource_id} — ${r.service}`),
        table('resource-events', ['When', 'From', 'To', 'By', 'Note'], one.resource.events.map((e) => h('tr', {},
          h('td', {}, when(e.at)), h('td', {}, e.from ?? '—'), h('td', {}, e.to), h('td', {}, e.actor), h('td', {}, e.note ?? '')))));
    });
    return h('tr', {},
      h('td', {}, h('code', {}, r.resource_id)),
      h('td', {}, r.service),
      h('td', {}, h('span', { class: `state state-${r.state}` }, r.state.replace('_', ' '))),
      h('td', {}, r.reason ?? ''),
      h('td', {}, when(r.created)),
      h('td', {}, open));
  });

  const requestArea = h('div', { id: 'request-area' });
  const start = h('button', { type: 'button', id: 'request-service' }, 'Request a service');
  start.addEventListener('click', async () => {
    start.hidden = true;
    const catalog = await guarded(view, () => api('/services'), onSignedOut);
    if (!catalog) return;
    const select = h('select', { id: 'service-type', name: 'service' },
      ...catalog.services.map((s) => h('option', { value: s.type }, `${s.title} (${s.type}) — ${s.tier}, ${usd(s.price_usd_month)}/month`)));
    const params = h('div', { id: 'service-params' });
    const why = h('textarea', { id: 'service-justification', maxlength: 2000, rows: 2 });
    let current;
    const pick = () => {
      const service = catalog.services.find((s) => s.type === select.value);
      current = schemaForm(service.parameters, 'param');
      params.replaceChildren(h('p', { class: 'muted' }, service.description), ...current.fields);
    };
    select.addEventListener('change', pick);
    pick();
    const form = h('form', { id: 'request-form' },
      h('div', { class: 'field' }, h('label', { for: 'service-type' }, 'Service'), select),
      params,
      h('div', { class: 'field' }, h('label', { for: 'service-justification' }, 'Why (reviewers read it for review-tier services)'), why),
      h('button', { type: 'submit' }, 'Request'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { service: select.value, params: current.params() };
      if (why.value.trim()) body.justification = why.value.trim();
      const made = await guarded(requestArea, () => api(`/projects/${id}/resources`, { method: 'POST', body }), onSignedOut);
      if (made) await projectView(view, id, onSignedOut, { requested: made });
    });
    requestArea.replaceChildren(form);
  });
  return h('div', { class: 'card' },
    h('h2', {}, 'Services'),
    tableOrNote('resources', ['Resource', 'Service', 'State', 'Reason', 'Requested', ''], rows, 'No services yet.'),
    detail,
    h('p', {}, start),
    requestArea);
}

function keyCard(id, data, minted, view, onSignedOut) {
  const live = data.keys.filter((k) => !k.may_provision);
  const mint = h('button', { type: 'button', id: 'mint-key' }, live.length ? 'Rotate the project key' : 'Mint the project key');
  mint.addEventListener('click', async () => {
    if (live.length && !confirm('Rotate the key? The current key stops working at once; apps using it get 401.')) return;
    const key = await guarded(view, () => api(`/projects/${id}/key`, { method: 'POST', body: {} }), onSignedOut);
    if (key) await projectView(view, id, onSignedOut, { minted: key });
  });
  return h('div', { class: 'card' },
    h('h2', {}, 'Project key (the gateway)'),
    minted ? h('div', { id: 'minted' },
      h('p', { class: 'notice' }, 'Shown once: store it as the project\'s LLM key. Any earlier key of this project is revoked.'),
      copyField(minted.key, 'new-key', 'The new project key'),
      ...keySnippets(location.origin).flatMap(([title, text]) => [h('label', {}, title), h('pre', {}, text)])) : null,
    tableOrNote('keys', ['Prefix', 'Kind', 'Created', 'Last used'], data.keys.map((k) => h('tr', {},
      h('td', {}, h('code', {}, `${k.prefix}…`)), h('td', {}, k.may_provision ? 'CI (provisions)' : 'app'),
      h('td', {}, when(k.created)), h('td', {}, when(k.last_used) ?? 'never'))), 'No key yet.'),
    data.project.your_role === 'key' ? null : h('p', {}, mint));
}

function secretsCard(id, data, view, onSignedOut) {
  const rows = data.secrets.map((name) => {
    const cell = h('td', {}, h('span', { class: 'muted' }, 'hidden'));
    const reveal = h('button', { type: 'button', class: 'quiet', 'aria-label': `Reveal ${name}` }, 'Reveal');
    reveal.addEventListener('click', async () => {
      if (reveal.textContent === 'Hide') {
        cell.replaceChildren(h('span', { class: 'muted' }, 'hidden'));
        reveal.textContent = 'Reveal';
        return;
      }
      const s = await guarded(view, () => api(`/projects/${id}/secret`, { method: 'POST', body: { name } }), onSignedOut);
      if (!s) return;
      cell.replaceChildren(copyField(s.value, `secret-${name}`, `The value of ${name}`));
      reveal.textContent = 'Hide';
    });
    return h('tr', {}, h('td', {}, h('code', {}, name)), cell, h('td', {}, reveal));
  });
  return h('div', { class: 'card' },
    h('h2', {}, 'Secrets'),
    h('p', { class: 'muted' }, 'Every reveal is audited, as get_secret over MCP is.'),
    tableOrNote('secrets', ['Name', 'Value', ''], rows, 'None yet: services such as a database or a generated secret provision them.'));
}

function spendCard(data) {
  const c = data.cost;
  return h('div', { class: 'card' },
    h('h2', {}, 'Spend'),
    budgetMeter(c),
    dailyChart(c),
    c.by_model.length === 0 ? null : table('spend-models', ['Model', 'Calls', 'Input tokens', 'Output tokens', 'USD'],
      c.by_model.map((m) => h('tr', {}, h('td', {}, m.model), h('td', {}, m.requests), h('td', {}, m.input_tokens),
        h('td', {}, m.output_tokens), h('td', {}, usd(m.usd))))));
}

export async function projectView(view, id, onSignedOut, { minted, requested } = {}) {
  const data = await loadView(view, `/projects/${id}`, onSignedOut, id, h('p', {}, h('a', { href: '#/projects' }, 'Back to my projects')));
  if (!data) return;
  const p = data.project;
  show(view,
    h('p', {}, h('a', { href: '#/projects' }, '← My projects')),
    h('h1', {}, `${p.name} `, h('small', { class: 'muted' }, p.project_id)),
    h('p', { class: 'muted' }, `${p.description} — my role: ${p.your_role}; owner ${p.owner}${p.manager ? `, manager ${p.manager}` : ''}`),
    requested ? h('p', { class: 'notice', role: 'status' },
      `${requested.resource.resource_id}: ${requested.resource.state.replace('_', ' ')}` +
      (requested.resource.state === 'pending_approval' ? ' — an admin reviews it.' : '.')) : null,
    keyCard(id, data, minted, view, onSignedOut),
    resourcesCard(id, data, view, onSignedOut),
    secretsCard(id, data, view, onSignedOut),
    spendCard(data));
}
