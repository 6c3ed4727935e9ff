// The admin's Users page, #/admin/users (50 people a page by name, search, create) and
// #/admin/users/NAME (status, the admin flag, groups, their PATs and projects). Disabling a person,
// changing the admin flag or revoking a PAT asks first and says what will happen.
import { api } from './api.js';
import { h, show } from './dom.js';
import { guarded, loadView, table, tableOrNote, when } from './ui.js';

const statusOf = (u) => (u.disabled ? h('span', { class: 'status-revoked' }, 'disabled') : h('span', { class: 'status-active' }, 'active'));

export async function usersView(view, onSignedOut, { q = '', after = '' } = {}) {
  const page = await loadView(view, `/admin/users?q=${encodeURIComponent(q)}&after=${encodeURIComponent(after)}`, onSignedOut, 'Users');
  if (!page) return;
  const rows = page.users.map((u) => h('tr', {},
    h('td', {}, h('a', { href: `#/admin/users/${u.name}` }, u.name)),
    h('td', {}, u.admin ? 'admin' : '—'), h('td', {}, statusOf(u)), h('td', {}, u.live_tokens), h('td', {}, u.projects),
    h('td', {}, u.groups.join(', ') || '—'), h('td', {}, when(u.created))));
  const search = h('input', { id: 'user-search', type: 'search', value: q, placeholder: 'part of a name', maxlength: 63 });
  const find = h('form', { class: 'row', id: 'user-search-form' }, h('div', {}, h('label', { for: 'user-search' }, 'Find a person'), search),
    h('button', { type: 'submit', class: 'quiet' }, 'Search'));
  find.addEventListener('submit', (event) => { event.preventDefault(); usersView(view, onSignedOut, { q: search.value.trim() }); });

  const name = h('input', { id: 'new-user-name', required: true, maxlength: 63, pattern: '[a-z0-9][a-z0-9._\\-]{0,62}', placeholder: 'e.g. alice' });
  const admin = h('input', { id: 'new-user-admin', type: 'checkbox' });
  const create = h('form', { class: 'row', id: 'new-user' },
    h('div', {}, h('label', { for: 'new-user-name' }, 'Name'), name,
      h('small', { class: 'muted' }, 'lower-case letters, digits, ".", "_" and "-"')),
    h('div', {}, h('label', { for: 'new-user-admin' }, admin, ' Administrator')),
    h('button', { type: 'submit' }, 'Add person'));
  create.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (admin.checked && !confirm(`Make ${name.value} an administrator? They can approve requests, edit standards, move budgets and stop the gateway.`)) return;
    const made = await guarded(view, () => api('/admin/users', { method: 'POST', body: { name: name.value.trim(), admin: admin.checked } }), onSignedOut);
    if (made) location.hash = `#/admin/users/${made.user.name}`;
  });
  const next = page.next ? h('button', { type: 'button', class: 'quiet', id: 'users-next' }, 'Next 50') : null;
  next?.addEventListener('click', () => usersView(view, onSignedOut, { q, after: page.next }));
  show(view,
    h('h1', {}, 'Users'),
    h('div', { class: 'card' }, find,
      tableOrNote('users', ['Name', 'Role', 'Status', 'Live PATs', 'Projects', 'Groups', 'Added'], rows, 'Nobody matches.'), next),
    h('div', { class: 'card' }, h('h2', {}, 'Add a person'),
      h('p', { class: 'muted' }, 'They sign in with a link you create (asgard login-link --user NAME) or through your single sign-on.'),
      create));
}

export async function userView(view, name, me, onSignedOut) {
  const data = await loadView(view, `/admin/users/${encodeURIComponent(name)}`, onSignedOut, name);
  if (!data) return;
  const u = data.user;
  const again = () => userView(view, name, me, onSignedOut);
  const act = async (path, body) => { if (await guarded(view, () => api(`/admin/users/${name}${path}`, { method: 'POST', body }), onSignedOut)) await again(); };
  const self = name === me;
  const live = data.tokens.filter((t) => !t.revoked).length;

  let status;
  if (u.disabled) {
    const enable = h('button', { type: 'button', id: 'enable-user' }, 'Enable again');
    enable.addEventListener('click', () => confirm(`Enable ${name} again? Their PATs that are not revoked or expired work again, and they can sign in.`) && act('/enable', {}));
    status = h('div', {}, h('p', {}, statusOf(u), ` since ${when(u.disabled.at)} by ${u.disabled.by}: ${u.disabled.reason}`), enable);
  } else {
    const reason = h('input', { id: 'disable-reason', required: true, maxlength: 500, placeholder: 'e.g. left the company' });
    const form = h('form', { class: 'row', id: 'disable-user' }, h('div', {}, h('label', { for: 'disable-reason' }, 'Reason (required)'), reason),
      h('button', { type: 'submit', class: 'danger', disabled: self }, 'Disable'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!confirm(`Disable ${name}? Their ${live} PAT(s) stop working within the token cache's lifetime (a minute at most), their dashboard sessions end now, and they cannot sign in. Their projects and project keys keep working; nothing is deleted.`)) return;
      act('/disable', { reason: reason.value.trim() });
    });
    status = h('div', {}, h('p', {}, statusOf(u)), self ? h('p', { class: 'muted' }, 'You cannot disable yourself.') : null, form);
  }

  const flag = h('button', { type: 'button', id: 'admin-flag', class: u.admin ? 'danger' : 'quiet', disabled: self && u.admin }, u.admin ? 'Remove administrator' : 'Make administrator');
  flag.addEventListener('click', () => {
    const text = u.admin ? `Remove ${name}'s administrator flag? They keep their own projects but lose the admin pages.`
      : `Make ${name} an administrator? They can approve requests, edit standards, move budgets, disable people and stop the gateway.`;
    if (confirm(text)) act('/admin', { admin: !u.admin });
  });

  const groupRows = u.groups.map((g) => {
    const leave = h('button', { type: 'button', class: 'quiet', 'aria-label': `Remove ${name} from ${g}` }, 'Remove');
    leave.addEventListener('click', () => act('/groups', { group: g, member: false }));
    return h('tr', {}, h('td', {}, g), h('td', {}, leave));
  });
  const group = h('input', { id: 'join-group', required: true, maxlength: 63, placeholder: 'e.g. payments' });
  const join = h('form', { class: 'row', id: 'join-group-form' }, h('div', {}, h('label', { for: 'join-group' }, 'Add to group'), group),
    h('button', { type: 'submit', class: 'quiet' }, 'Add'));
  join.addEventListener('submit', (event) => { event.preventDefault(); act('/groups', { group: group.value.trim(), member: true }); });

  const tokenRows = data.tokens.map((t) => {
    const revoke = t.revoked ? null : h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke ${t.prefix}` }, 'Revoke');
    revoke?.addEventListener('click', () => confirm(`Revoke ${name}'s PAT ${t.prefix}…? An agent using it gets 401 within a minute; this cannot be undone.`)
      && act(`/tokens/${t.id}/revoke`, {}));
    return h('tr', {}, h('td', {}, t.name ?? h('span', { class: 'muted' }, '(no name)')), h('td', {}, h('code', {}, `${t.prefix}…`)),
      h('td', {}, t.revoked ? h('span', { class: 'status-revoked' }, `revoked ${when(t.revoked)}`) : h('span', { class: 'status-active' }, 'active')),
      h('td', {}, when(t.created)), h('td', {}, when(t.last_used) ?? '—'), h('td', {}, when(t.expires) ?? 'never'), h('td', {}, revoke));
  });
  const projectRows = data.projects.map((p) => h('tr', {}, h('td', {}, h('a', { href: `#/projects/${p.project_id}` }, p.project_id)),
    h('td', {}, p.name), h('td', {}, p.role)));

  show(view,
    h('p', {}, h('a', { href: '#/admin/users' }, '← Users')),
    h('h1', {}, name, u.admin ? h('small', { class: 'muted' }, ' administrator') : null),
    h('div', { class: 'card' }, h('h2', {}, 'Status'), status),
    h('div', { class: 'card' }, h('h2', {}, 'Administrator'), self && u.admin ? h('p', { class: 'muted' }, 'Another administrator can remove your flag; you cannot.') : null, flag),
    h('div', { class: 'card' }, h('h2', {}, 'Groups'), groupRows.length ? table('user-groups', ['Group', ''], groupRows) : h('p', { class: 'muted' }, 'In no group.'), join),
    h('div', { class: 'card' }, h('h2', {}, 'PATs'), tableOrNote('user-tokens', ['Name', 'Prefix', 'Status', 'Created', 'Last used', 'Expires', ''], tokenRows, 'None.')),
    h('div', { class: 'card' }, h('h2', {}, 'Projects they own or manage'), tableOrNote('user-projects', ['Project', 'Name', 'Role'], projectRows, 'None.')));
}
