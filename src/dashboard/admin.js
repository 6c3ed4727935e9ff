// The admin's pages: #/admin (the approvals inbox: review-tier requests and guidance/recipe drafts,
// each approved, or refused with a reason the requester reads) and #/admin/kill-switch (global,
// per project, per model; a reason and a confirm step to turn one on). A non-admin's session gets
// 403 from every /api/dashboard/admin/ route.
import { api } from './api.js';
import { h, show } from './dom.js';
import { diffView } from './line_diff.js';
import { usd } from './spend_chart.js';
import { guarded, loadView, tableOrNote, when } from './ui.js';

/** A "Deny…"/"Reject…" button that opens a required reason and a confirm button. */
function withReason(label, id, onConfirm) {
  const area = h('div', { class: 'reason-area' });
  const open = h('button', { type: 'button', class: 'danger', 'aria-label': `${label} ${id}` }, `${label}…`);
  open.addEventListener('click', () => {
    open.hidden = true;
    const input = h('input', { id: `reason-${id}`, required: true, maxlength: 2000, placeholder: 'The requester reads it' });
    const go = h('button', { type: 'submit', class: 'danger' }, label);
    const form = h('form', { class: 'row' }, h('div', {}, h('label', { for: `reason-${id}` }, 'Reason'), input), go);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      go.disabled = true;
      await onConfirm(input.value.trim());
      go.disabled = false;
    });
    area.replaceChildren(form);
    input.focus();
  });
  return h('div', {}, open, area);
}

export async function inboxView(view, refreshAccount, onSignedOut) {
  const inbox = await loadView(view, '/admin/inbox', onSignedOut, 'Approvals');
  if (!inbox) return;
  const again = async () => { await refreshAccount(); await inboxView(view, refreshAccount, onSignedOut); };
  const requestRows = inbox.requests.map((r) => {
    const approve = h('button', { type: 'button', 'aria-label': `Approve ${r.resource_id}` }, 'Approve');
    approve.addEventListener('click', async () => {
      if (!confirm(`Approve ${r.resource_id} (${r.service} for ${r.project_id}, ${usd(r.price_usd_month)}/month)? It is provisioned now.`)) return;
      approve.disabled = true;
      if (await guarded(view, () => api(`/admin/requests/${r.resource_id}/approve`, { method: 'POST', body: {} }), onSignedOut)) await again();
      approve.disabled = false;
    });
    const deny = withReason('Deny', r.resource_id, async (reason) => {
      if (await guarded(view, () => api(`/admin/requests/${r.resource_id}/deny`, { method: 'POST', body: { reason } }), onSignedOut)) await again();
    });
    return h('tr', {},
      h('td', {}, h('code', {}, r.resource_id)),
      h('td', {}, h('a', { href: `#/projects/${r.project_id}` }, r.project_id)),
      h('td', {}, r.service),
      h('td', {}, r.requested_by),
      h('td', {}, h('code', {}, JSON.stringify(r.params))),
      h('td', {}, r.justification ?? h('span', { class: 'muted' }, '—')),
      h('td', {}, `${usd(r.price_usd_month)}/month`),
      h('td', {}, h('div', { class: 'actions' }, approve, deny)));
  });
  const review = h('div', { id: 'draft-review' });
  const draftRows = inbox.drafts.map((d) => {
    const open = h('button', { type: 'button', class: 'quiet', 'aria-label': `Review ${d.id}` }, 'Review');
    open.addEventListener('click', async () => {
      const path = `/admin/drafts/${d.kind}/${encodeURIComponent(d.name)}/${d.version}`;
      const got = await guarded(view, () => api(path), onSignedOut);
      if (!got) return;
      const publish = h('button', { type: 'button', id: 'publish-draft' }, 'Approve and publish');
      publish.addEventListener('click', async () => {
        if (!confirm(`Publish ${d.id}? Agents get it from guidance_get at once.`)) return;
        if (await guarded(review, () => api(`${path}/approve`, { method: 'POST', body: {} }), onSignedOut)) await again();
      });
      const reject = withReason('Reject', d.id.replace(/[^A-Za-z0-9_-]/g, '-'), async (reason) => {
        if (await guarded(review, () => api(`${path}/reject`, { method: 'POST', body: { reason } }), onSignedOut)) await again();
      });
      review.replaceChildren(
        h('h3', {}, `${d.id}: ${got.draft.title}`),
        h('p', { class: 'muted' }, got.published
          ? `Against the published version ${got.published.version} (${got.published.title}):`
          : 'Nothing published under this name yet: the whole text is new.'),
        diffView(got.published?.body ?? '', got.draft.body, 'draft-diff'),
        h('div', { class: 'actions' }, publish, reject));
      review.scrollIntoView();
    });
    return h('tr', {}, h('td', {}, h('code', {}, d.id)), h('td', {}, d.title), h('td', {}, d.author), h('td', {}, when(d.created)), h('td', {}, open));
  });
  show(view,
    h('h1', {}, 'Approvals'),
    h('div', { class: 'card' },
      h('h2', {}, `Service requests (${inbox.requests.length})`),
      tableOrNote('pending-requests', ['Request', 'Project', 'Service', 'By', 'Parameters', 'Why', 'Price', ''], requestRows, 'Nothing waits for approval.')),
    h('div', { class: 'card' },
      h('h2', {}, `Guidance and recipe drafts (${inbox.drafts.length})`),
      tableOrNote('pending-drafts', ['Draft', 'Title', 'Author', 'Submitted', ''], draftRows, 'No draft waits for review.'),
      review));
}

export async function killSwitchView(view, refreshAccount, onSignedOut) {
  const list = await loadView(view, '/admin/kill-switches', onSignedOut, 'Kill switch');
  if (!list) return;
  const again = async () => { await refreshAccount(); await killSwitchView(view, refreshAccount, onSignedOut); };
  const describe = (s) => (s.scope === 'global' ? 'every gateway call' : `every gateway call of ${s.scope} ${s.target}`);
  const rows = list.kill_switches.map((s) => {
    const off = h('button', { type: 'button', 'aria-label': `Turn off the ${s.scope} kill switch ${s.target}` }, 'Turn off');
    off.addEventListener('click', async () => {
      if (!confirm(`Turn off this kill switch? The gateway serves ${describe(s)} again.`)) return;
      if (await guarded(view, () => api('/admin/kill-switches', { method: 'POST', body: { scope: s.scope, target: s.target, on: false } }), onSignedOut)) await again();
    });
    return h('tr', {}, h('td', {}, s.scope), h('td', {}, s.target || '—'), h('td', {}, s.reason), h('td', {}, s.set_by), h('td', {}, when(s.set_at)), h('td', {}, off));
  });
  const scope = h('select', { id: 'ks-scope' }, ...['project', 'model', 'global'].map((v) => h('option', { value: v }, v)));
  const target = h('input', { id: 'ks-target', placeholder: 'proj-2026-0001 or model:default/gpt-5', maxlength: 200 });
  const reason = h('input', { id: 'ks-reason', required: true, maxlength: 500, placeholder: 'e.g. runaway spend, provider incident' });
  const targetField = h('div', {}, h('label', { for: 'ks-target' }, 'Project or model'), target);
  scope.addEventListener('change', () => { targetField.hidden = scope.value === 'global'; });
  const form = h('form', { id: 'kill-switch-form', class: 'row' },
    h('div', {}, h('label', { for: 'ks-scope' }, 'Scope'), scope),
    targetField,
    h('div', {}, h('label', { for: 'ks-reason' }, 'Reason (required)'), reason),
    h('button', { type: 'submit', class: 'danger' }, 'Turn on'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const s = { scope: scope.value, target: scope.value === 'global' ? '' : target.value.trim() };
    if (!confirm(`Turn on the kill switch? The gateway refuses ${describe(s)} (503) within a second on every node, until it is turned off.`)) return;
    if (await guarded(view, () => api('/admin/kill-switches', { method: 'POST', body: { ...s, on: true, reason: reason.value.trim() } }), onSignedOut)) await again();
  });
  show(view,
    h('h1', {}, 'Kill switch'),
    h('div', { class: 'card' },
      h('h2', {}, 'On now'),
      tableOrNote('kill-switches', ['Scope', 'Target', 'Reason', 'By', 'Since', ''], rows, 'None: the gateway serves every call its other rules allow.')),
    h('div', { class: 'card' },
      h('h2', {}, 'Turn one on'),
      h('p', { class: 'muted' }, 'Refuses the gateway\'s calls at once: the whole gateway, one project\'s, or one model\'s.'),
      form));
}
