// The admin's Users page: people listed by name 50 a page and searched, created (bad names refused
// by name), disabled with a reason (their PAT answers 401 user_disabled once the token cache
// expires, their open dashboard session ends at once, their sign-in link is refused; their project
// key keeps working) and enabled again (the same PAT works), the admin flag set and cleared, groups
// joined and left, a PAT revoked; nobody disables themselves or drops their own flag. Every change
// is audited with the admin as actor, and asgard user disable/enable/admin do the same. In Chromium:
// the list, search, a person's page, disable with its confirm step, enable.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { answer, dashGet as get, dashPost as post, launchBrowser, signedIn, signedInPage, userWithLink } from './dashboard_helpers.js';
import { asgardOk, chat, chatBody, eventually, newGatewayProject, nonce, tokenCacheTtlMs } from './gateway_helpers.js';
import { assertErrorLogClean, env, openSession, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-users-'));
let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
after(assertErrorLogClean);

const mcpStatus = async (token) => (await fetch(`${env.url}/mcp`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
}));
const auditRows = (action, user) => psql(`SELECT actor || ' ' || outcome FROM audit_log WHERE tool = '${action}' AND detail->>'user' = '${user}' ORDER BY id`);

describe('users', () => {
  test('create, list and search: 50 a page by name, each person once; a bad or taken name is refused by name', async () => {
    const admin = await signedIn('dash-users-admin', { admin: true });
    const stem = nonce('zz-page').toLowerCase();
    for (let i = 0; i < 55; i++) {
      const r = await answer(await post('/admin/users', { name: `${stem}-${String(i).padStart(2, '0')}`, admin: false }, admin.cookie));
      assert.equal(r.status, 201, JSON.stringify(r.json));
    }
    const first = (await answer(await get(`/admin/users?q=${stem}`, admin.cookie))).json;
    assert.equal(first.users.length, 50);
    const second = (await answer(await get(`/admin/users?q=${stem}&after=${first.next}`, admin.cookie))).json;
    assert.equal(second.users.length, 5);
    assert.equal(second.next, null);
    const names = [...first.users, ...second.users].map((u) => u.name);
    assert.deepEqual(names, [...names].sort());
    assert.equal(new Set(names).size, 55);
    assert.ok(first.users.every((u) => u.admin === false && u.disabled === null && u.live_tokens === 0));
    assert.equal((await answer(await get(`/admin/users?q=${stem.toUpperCase()}-07`, admin.cookie))).json.users[0].name, `${stem}-07`);
    assert.equal(auditRows('user.add', `${stem}-07`), `user:${admin.name} ok`);

    const taken = await answer(await post('/admin/users', { name: `${stem}-07` }, admin.cookie));
    assert.equal(taken.status, 409);
    assert.equal(taken.json.error.code, 'already_exists');
    const bad = await answer(await post('/admin/users', { name: 'Not Valid' }, admin.cookie));
    assert.equal(bad.status, 400);
    assert.match(bad.json.error.message, /invalid user name 'Not Valid'/);
    assert.equal((await answer(await post('/admin/users', { name: 'x-y', admin: 'yes' }, admin.cookie))).status, 400);
    assert.equal((await answer(await get('/admin/users/nobody-here-at-all', admin.cookie))).status, 404);
  });

  test('disable: the PAT answers 401 user_disabled, the session ends now, a link is refused, the project key keeps working; enable brings the PAT back', async () => {
    const admin = await signedIn('dash-users-dis', { admin: true });
    const p = await newGatewayProject('e2e-dash-users');  // p.user owns the project; p.userToken is their PAT
    const person = userWithLink('dash-users-victim');
    const pat = asgardOk(['token', 'create', '--user', person.name]).trim();
    const session = await signedIn('dash-users-victim2');
    assert.equal((await mcpStatus(pat)).status, 200);

    const noReason = await answer(await post(`/admin/users/${person.name}/disable`, {}, admin.cookie));
    assert.equal(noReason.status, 400);
    assert.equal(noReason.json.error.code, 'reason_required');
    const done = await answer(await post(`/admin/users/${person.name}/disable`, { reason: 'left the team' }, admin.cookie));
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.equal(done.json.changed, true);
    assert.equal((await answer(await post(`/admin/users/${person.name}/disable`, { reason: 'again' }, admin.cookie))).json.changed, false);
    const refused = await eventually(async () => {
      const res = await mcpStatus(pat);
      return res.status === 401 ? res.json() : null;
    }, { timeoutMs: tokenCacheTtlMs() + 5000, what: 'the disabled user\'s PAT refused' });
    assert.equal(refused.error, 'user_disabled');
    const link = await answer(await post('/signin', { link: person.link }));
    assert.equal(link.status, 403);
    assert.match(link.json.error.message, /disabled/);

    assert.equal((await answer(await post(`/admin/users/${session.name}/disable`, { reason: 'r' }, admin.cookie))).status, 200);
    assert.equal((await answer(await get('/me', session.cookie))).status, 401, 'an open session ends at once');

    const owner = await answer(await post(`/admin/users/${p.user}/disable`, { reason: 'owner leaves' }, admin.cookie));
    assert.equal(owner.status, 200);
    assert.equal((await chat(p.key, chatBody('still served'))).status, 200, 'the project key belongs to the project');

    const view = (await answer(await get(`/admin/users/${person.name}`, admin.cookie))).json;
    assert.equal(view.user.disabled.reason, 'left the team');
    assert.equal(view.user.disabled.by, `user:${admin.name}`);
    assert.equal(view.tokens.length, 1);
    assert.equal((await answer(await post(`/admin/users/${person.name}/enable`, {}, admin.cookie))).status, 200);
    await eventually(async () => (await mcpStatus(pat)).status === 200, { timeoutMs: tokenCacheTtlMs() + 5000, what: 'the PAT works again' });
    assert.equal(auditRows('user.disable', person.name), `user:${admin.name} ok`);
    assert.equal(auditRows('user.enable', person.name), `user:${admin.name} ok`);
    await post(`/admin/users/${p.user}/enable`, {}, admin.cookie);
  });

  test('the admin flag, groups and a PAT revoked; nobody disables themselves or drops their own flag', async () => {
    const admin = await signedIn('dash-users-flag', { admin: true });
    const other = await signedIn('dash-users-other');
    assert.equal((await answer(await get('/admin/inbox', other.cookie))).status, 403);
    assert.equal((await answer(await post(`/admin/users/${other.name}/admin`, { admin: true }, admin.cookie))).json.changed, true);
    assert.equal((await answer(await get('/admin/inbox', other.cookie))).status, 200, 'the flag counts from the next request');
    assert.equal((await answer(await post(`/admin/users/${other.name}/admin`, { admin: false }, admin.cookie))).status, 200);
    assert.equal((await answer(await get('/admin/inbox', other.cookie))).status, 403);

    const self = await answer(await post(`/admin/users/${admin.name}/disable`, { reason: 'oops' }, admin.cookie));
    assert.equal(self.status, 403);
    assert.match(self.json.error.message, /cannot disable yourself/);
    const selfFlag = await answer(await post(`/admin/users/${admin.name}/admin`, { admin: false }, admin.cookie));
    assert.equal(selfFlag.status, 403);
    assert.equal((await answer(await get('/admin/inbox', admin.cookie))).status, 200);

    const group = nonce('grp').toLowerCase();
    assert.equal((await answer(await post(`/admin/users/${other.name}/groups`, { group, member: true }, admin.cookie))).json.changed, true);
    assert.deepEqual((await answer(await get(`/admin/users/${other.name}`, admin.cookie))).json.user.groups, [group]);
    assert.equal((await answer(await post(`/admin/users/${other.name}/groups`, { group: 'Bad Group', member: true }, admin.cookie))).status, 400);
    assert.equal((await answer(await post(`/admin/users/${other.name}/groups`, { group, member: false }, admin.cookie))).json.changed, true);
    assert.deepEqual((await answer(await get(`/admin/users/${other.name}`, admin.cookie))).json.user.groups, []);

    const pat = asgardOk(['token', 'create', '--user', other.name]).trim();
    const id = (await answer(await get(`/admin/users/${other.name}`, admin.cookie))).json.tokens[0].id;
    assert.equal((await answer(await post(`/admin/users/${admin.name}/tokens/${id}/revoke`, {}, admin.cookie))).status, 404, 'not that person\'s token');
    assert.equal((await answer(await post(`/admin/users/${other.name}/tokens/${id}/revoke`, {}, admin.cookie))).status, 200);
    await eventually(async () => (await mcpStatus(pat)).status === 401, { timeoutMs: tokenCacheTtlMs() + 5000, what: 'the revoked PAT refused' });
  });

  test('asgard user disable/enable/admin and group remove: the same rules, audited as the CLI', async () => {
    const name = nonce('cli-user').toLowerCase();
    asgardOk(['user', 'add', name]);
    const pat = asgardOk(['token', 'create', '--user', name]).trim();
    assert.match(asgardOk(['user', 'disable', name, '--reason', 'audit']), /is disabled/);
    await eventually(async () => (await mcpStatus(pat)).status === 401, { timeoutMs: tokenCacheTtlMs() + 5000, what: 'the PAT refused' });
    assert.match(asgardOk(['user', 'enable', name]), /enabled again/);
    assert.match(asgardOk(['user', 'admin', name, 'on']), /is an administrator/);
    assert.match(psql(`SELECT is_admin FROM users WHERE name = '${name}'`), /t/);
    assert.match(auditRows('user.disable', name), /^cli:\S+ ok$/);
    assert.match(asgardOk(['group', 'add', 'cli-grp', name]), /is in group cli-grp/);
    assert.match(asgardOk(['group', 'remove', 'cli-grp', name]), /left group cli-grp/);
  });

  test('in the browser: search, open a person, disable after the confirm step (the banner of status changes), enable', async () => {
    const target = userWithLink('dash-users-page-target');
    const { page } = await signedInPage(browser, 'dash-users-page', { admin: true });
    await page.goto(`${env.url}/dashboard/#/admin/users`);
    await page.waitForSelector('#user-search');
    await page.type('#user-search', target.name);
    await page.click('#user-search-form button');
    await page.waitForFunction((n) => [...document.querySelectorAll('#users tbody tr')].length === 1
      && document.querySelector('#users tbody tr a')?.textContent === n, {}, target.name);
    await page.screenshot({ path: join(shots, 'users.png'), fullPage: true });
    await page.click('#users tbody tr a');
    await page.waitForSelector('#disable-user');
    await page.type('#disable-reason', 'on leave');
    await page.click('#disable-user button');
    await page.waitForSelector('#enable-user');
    assert.match(await page.$eval('main', (m) => m.textContent), /disabled since .* on leave/);
    await page.screenshot({ path: join(shots, 'user.png'), fullPage: true });
    await page.click('#enable-user');
    await page.waitForSelector('#disable-user');
    assert.equal(psql(`SELECT disabled_at IS NULL FROM users WHERE name = '${target.name}'`), 't');
  });
});
