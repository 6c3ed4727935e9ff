// The dashboard's views, chosen by the URL's #fragment: #/signin/<link> (the one-time link's
// page), #/tokens (Getting started: create a PAT, and my tokens), #/projects and
// #/projects/<id> (projects.js), the admin's pages (admin.js, standards.js, money.js). A 401
// anywhere shows how to sign in. Each route renders into a container of its own, so a slow answer
// for a page the person already left lands in a detached container, never over the current page.
import { inboxView, killSwitchView } from './admin.js';
import { api } from './api.js';
import { costView } from './cost.js';
import { h, show } from './dom.js';
import { logsView } from './logs.js';
import { modelsView } from './models.js';
import { moneyView } from './money.js';
import { projectView, projectsView } from './projects.js';
import { snippets } from './snippets.js';
import { standardView, standardsView } from './standards.js';
import { copyField, errorBox, loadView, tableOrNote, when } from './ui.js';
import { userView, usersView } from './users.js';

const main = document.getElementById('view');
let me = null;

/** The container of a new route (the previous route's is detached). */
function newView() {
  const view = h('div', { tabindex: -1, class: 'route' });
  main.replaceChildren(view);
  return view;
}

function signedOutView(view, message) {
  if (!view.isConnected) return;  // a page the person already left
  setAccount(null);
  show(view, h('h1', {}, 'Sign in to Asgard'),
    h('div', { class: 'card' },
      message ? h('p', { class: 'notice' }, message) : null,
      h('p', {}, 'Asgard signs people in with one-time links (or your organisation\'s single sign-on, where the operator set it up).'),
      h('p', {}, 'Ask your Asgard administrator for a sign-in link. They create one with:'),
      h('pre', {}, 'asgard login-link --user YOUR_NAME')));
}

function setAccount(user) {
  me = user;
  document.getElementById('account').hidden = !user;
  document.getElementById('sections').hidden = !user;
  const admin = user?.admin;
  document.getElementById('nav-approvals').hidden = !admin;
  document.getElementById('nav-kill-switch').hidden = !admin;
  document.getElementById('nav-standards').hidden = !admin;
  document.getElementById('nav-money').hidden = !admin;
  document.getElementById('nav-logs').hidden = !admin;
  document.getElementById('nav-users').hidden = !admin;
  document.getElementById('nav-cost').hidden = !admin;
  document.getElementById('nav-models').hidden = !admin;
  document.getElementById('inbox-count').textContent = admin ? String(admin.inbox) : '';
  document.getElementById('nav-approvals').setAttribute('aria-label', admin ? `Approvals: ${admin.inbox} waiting` : 'Approvals');
  const banner = document.getElementById('banner');
  const switches = admin?.kill_switches ?? [];
  banner.hidden = switches.length === 0;
  banner.textContent = switches.length === 0 ? '' : `Kill switch on: ${switches.map((s) =>
    `${s.scope === 'global' ? 'the whole gateway' : `${s.scope} ${s.target}`} (${s.reason || 'no reason given'}, by ${s.set_by})`).join('; ')}`;
  document.getElementById('whoami').textContent = user ? `Signed in as ${user.user}${user.is_admin ? ' (admin)' : ''}` : '';
}

async function signinView(view, link) {
  show(view, h('p', { class: 'muted' }, 'Checking your sign-in link…'));
  let peek;
  try {
    peek = await api('/signin/peek', { method: 'POST', body: { link } });
  } catch (e) {
    return show(view, h('h1', {}, 'This sign-in link cannot be used'), errorBox(e),
      h('p', {}, 'Ask your administrator for a new one: ', h('code', {}, 'asgard login-link --user YOUR_NAME')));
  }
  const button = h('button', { type: 'button', id: 'signin' }, `Sign in as ${peek.user}`);
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const user = await api('/signin', { method: 'POST', body: { link } });
      // The link is spent: take it out of the address bar and the history.
      history.replaceState(null, '', `${location.pathname}#/tokens`);
      setAccount(user.is_admin ? await api('/me') : user);  // an admin's carries the inbox count and kill switches
      await tokensView(view);
    } catch (e) {
      button.disabled = false;
      view.prepend(errorBox(e));
    }
  });
  show(view, h('h1', {}, 'Welcome to Asgard'),
    h('div', { class: 'card' }, h('p', {}, 'This link signs you in once. Press the button to continue.'), button));
}

function tokenRow(view, t, refresh) {
  const revoke = h('button', { type: 'button', class: 'danger', 'aria-label': `Revoke token ${t.name ?? t.prefix}` }, 'Revoke');
  revoke.addEventListener('click', async () => {
    if (!confirm(`Revoke ${t.name ?? t.prefix}…? Agents using it get 401 from then on.`)) return;
    revoke.disabled = true;
    try {
      await api(`/tokens/${t.id}/revoke`, { method: 'POST', body: {} });
      await refresh();
    } catch (e) {
      revoke.disabled = false;
      view.prepend(errorBox(e));
    }
  });
  const status = t.revoked ? h('span', { class: 'status-revoked' }, `revoked ${when(t.revoked)}`) : h('span', { class: 'status-active' }, 'active');
  return h('tr', {},
    h('td', {}, t.name ?? h('span', { class: 'muted' }, '(no name)')),
    h('td', {}, h('code', {}, `${t.prefix}…`)),
    h('td', {}, status),
    h('td', {}, when(t.created)),
    h('td', {}, when(t.last_used) ?? 'never'),
    h('td', {}, when(t.expires) ?? 'never'),
    h('td', {}, t.revoked ? '' : revoke));
}

function createdPanel(created) {
  return h('div', { class: 'card', id: 'created' },
    h('h2', {}, 'Your new token'),
    h('p', { class: 'notice' }, 'Shown once: store it like a password. It acts as you on every project you own or manage.'),
    copyField(created.token, 'new-token', 'Your new token'),
    h('h2', {}, 'Connect your agent'),
    ...snippets(location.origin).flatMap(([title, text]) => [h('label', {}, title), h('pre', {}, text)]));
}

async function tokensView(view, created) {
  const list = await loadView(view, '/tokens', () => signedOutView(view, 'Your session has ended. Sign in again with a new link.'), 'Getting started');
  if (!list) return;
  const name = h('input', { id: 'token-name', name: 'name', maxlength: 100, placeholder: 'e.g. laptop — Claude Code', required: true });
  const days = h('select', { id: 'token-days', name: 'expires_days' },
    ...[[7, '7 days'], [30, '30 days'], [90, '90 days'], [365, '1 year']].map(([v, text]) =>
      h('option', { value: v, selected: v === 90 }, text)));
  const form = h('form', { class: 'row', id: 'create-token' },
    h('div', {}, h('label', { for: 'token-name' }, 'Name'), name),
    h('div', {}, h('label', { for: 'token-days' }, 'Expires in'), days),
    h('button', { type: 'submit' }, 'Create a PAT'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const made = await api('/tokens', { method: 'POST', body: { name: name.value.trim(), expires_days: Number(days.value) } });
      await tokensView(view, made);
    } catch (e) {
      view.prepend(errorBox(e));
    }
  });
  const refresh = () => tokensView(view);
  const rows = list.tokens.map((t) => tokenRow(view, t, refresh));
  show(view,
    h('h1', {}, 'Getting started'),
    created ? createdPanel(created) : null,
    h('div', { class: 'card' },
      h('h2', {}, 'Create a PAT'),
      h('p', { class: 'muted' }, 'A personal access token (asg_pat_…) lets your coding agent reach Asgard over MCP as you.'),
      form),
    h('div', { class: 'card' },
      h('h2', {}, 'My tokens'),
      tableOrNote('tokens', ['Name', 'Prefix', 'Status', 'Created', 'Last used', 'Expires', ''], rows, 'None yet.')));
}

async function route() {
  const view = newView();
  const hash = location.hash || '#/tokens';
  const signin = /^#\/signin\/([A-Za-z0-9]{1,100})$/.exec(hash);
  if (signin) return signinView(view, signin[1]);
  const who = await loadView(view, '/me', () => signedOutView(view), 'Asgard');
  if (!who || !view.isConnected) return;  // not signed in, or gone on to another page meanwhile
  setAccount(who);
  const signedOut = () => signedOutView(view, 'Your session has ended. Sign in again with a new link.');
  markNav(hash);
  const project = /^#\/projects\/(proj-[0-9]{4}-[0-9]{4,})$/.exec(hash);
  if (project) return projectView(view, project[1], signedOut);
  if (hash === '#/projects') return projectsView(view, signedOut);
  const refreshAccount = async () => setAccount(await api('/me'));
  if (hash === '#/admin') return inboxView(view, refreshAccount, signedOut);
  if (hash === '#/admin/kill-switch') return killSwitchView(view, refreshAccount, signedOut);
  if (hash === '#/admin/standards') return standardsView(view, signedOut);
  if (hash === '#/admin/money') return moneyView(view, signedOut);
  if (hash === '#/admin/users') return usersView(view, signedOut);
  if (hash === '#/admin/cost') return costView(view, signedOut);
  if (hash === '#/admin/models') return modelsView(view, signedOut);
  const person = /^#\/admin\/users\/([a-z0-9][a-z0-9._-]{0,62})$/.exec(hash);
  if (person) return userView(view, person[1], who.user, signedOut);
  if (hash === '#/admin/logs' || hash === '#/admin/logs/audit') return logsView(view, hash.endsWith('/audit') ? 'audit' : 'calls', signedOut);
  const standard = /^#\/admin\/standards\/([a-z0-9][a-z0-9_-]{0,63})$/.exec(hash);
  if (standard) return standardView(view, standard[1], signedOut);
  return tokensView(view);
}

function markNav(hash) {
  for (const a of document.querySelectorAll('#sections a')) {
    const href = a.getAttribute('href');
    const current = href === '#/admin' ? hash === href : hash.startsWith(href);
    if (current) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
}

document.getElementById('signout').addEventListener('click', async () => {
  try { await api('/signout', { method: 'POST', body: {} }); } catch { /* signed out either way */ }
  history.replaceState(null, '', `${location.pathname}#/signed-out`);
  signedOutView(newView(), 'You are signed out.');
});
window.addEventListener('hashchange', route);
route();
