// The admin's desk in the dashboard, in a real browser and at the API: every /api/dashboard/admin/
// route is 403 to a person who is not an admin and 401 to any token without a session; an admin
// sees the approvals badge, approves a review-tier request (the requester's get_resource shows it
// ready) and denies another with a reason the requester reads, rejects a draft with a reason its
// author reads (guidance_get by version) and publishes the next one after reading its diff, turns
// a project's kill switch on (the gateway answers 503 to that project's key; every admin page shows
// the banner) and off. Each decision is the CLI's operation, audited with the admin as actor.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { answer, dashGet as get, dashPost as post, launchBrowser, newPage, signedIn, userWithLink } from './dashboard_helpers.js';
import { CHAT_PATH, asgardOk, chatBody, eventually, nonce } from './gateway_helpers.js';
import { assertErrorLogClean, env, openSession, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-admin-'));
let browser;
const servers = [];

before(async () => { browser = await launchBrowser(); });
after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});
after(assertErrorLogClean);

/** The operator's provisioning webhook for external services: answers 200 with outputs. */
async function webhook() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ outputs: { bucket: 'admin-test' }, secrets: {} }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}/`;
}

const ADMIN_ROUTES = [
  ['GET', '/admin/inbox'],
  ['GET', '/admin/kill-switches'],
  ['POST', '/admin/kill-switches', { scope: 'global', target: '', on: true, reason: 'not yours' }],
  ['POST', '/admin/requests/req-000001/approve'],
  ['POST', '/admin/requests/req-000001/deny', { reason: 'no' }],
  ['GET', '/admin/drafts/guidance/anything/1'],
  ['POST', '/admin/drafts/guidance/anything/1/approve'],
  ['POST', '/admin/drafts/guidance/anything/1/reject', { reason: 'no' }],
  ['GET', '/admin/standards'],
  ['GET', '/admin/standards/security'],
  ['GET', '/admin/standards/security/1'],
  ['POST', '/admin/standards/security', { title: 'x', body: 'x', note: 'not yours' }],
  ['POST', '/admin/standards/security/1/restore', { note: 'not yours' }],
  ['GET', '/admin/money'],
  ['GET', '/admin/cost'],
  ['POST', '/admin/budgets/proj-2026-0001', { monthly_usd: '1' }],
  ['POST', '/admin/rate-limits', { project_id: '', rpm: 1, tpm: 1 }],
  ['GET', '/admin/calls'],
  ['GET', '/admin/calls/1'],
  ['GET', '/admin/calls.csv'],
  ['GET', '/admin/audit'],
  ['GET', '/admin/audit/1'],
  ['GET', '/admin/audit.csv'],
  ['POST', '/admin/verify', { log: 'audit', after_id: 0 }],
  ['GET', '/admin/users'],
  ['POST', '/admin/users', { name: 'not-yours', admin: true }],
  ['GET', '/admin/users/e2e-admin'],
  ['POST', '/admin/users/e2e-admin/disable', { reason: 'not yours' }],
  ['POST', '/admin/users/e2e-admin/enable'],
  ['POST', '/admin/users/e2e-admin/admin', { admin: false }],
  ['POST', '/admin/users/e2e-admin/groups', { group: 'x', member: true }],
  ['POST', '/admin/users/e2e-admin/tokens/1/revoke'],
  ['GET', '/admin/catalog'],
  ['POST', '/admin/providers', { name: 'not-yours', upstream: 'x', key: 'k' }],
  ['POST', '/admin/providers/demo/key', { key: 'not-yours' }],
  ['POST', '/admin/providers/demo/remove'],
  ['POST', '/admin/models', { alias: 'x', provider: 'demo', upstream_model: 'x', price_in: '1', price_out: '1', data_classes: ['public'] }],
  ['POST', '/admin/models/remove', { alias: 'model:default/gpt-5' }],
  ['GET', '/admin/no-such-page'],
];

describe('the admin\'s desk', () => {
  test('every admin route: 403 to a person who is not an admin, 401 to a token without a session; nothing changes', async () => {
    const person = await signedIn('dash-notadmin');
    const adminPat = process.env.ASGARD_ADMIN_PAT;
    for (const [method, path, body] of ADMIN_ROUTES) {
      const r = await answer(method === 'GET' ? await get(path, person.cookie) : await post(path, body, person.cookie));
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, 'admin_only');
      for (const auth of [`Bearer ${adminPat}`, `Bearer ${asgardOk(['token', 'create', '--user', person.name]).trim()}`]) {
        const t = await answer(method === 'GET' ? await get(path, null, { authorization: auth }) : await post(path, body, null, { authorization: auth }));
        assert.equal(t.status, 401, `${method} ${path} with a token: ${JSON.stringify(t.json)}`);
      }
    }
    assert.equal(psql("SELECT count(*) FROM kill_switches WHERE scope = 'global'"), '0', 'no kill switch was turned on');
    const me = await answer(await get('/me', person.cookie));
    assert.equal(me.json.admin, undefined, 'a non-admin\'s /me carries no admin summary');
  });

  test('approve and deny requests, reject and publish drafts, a project kill switch on and off — in the browser', async () => {
    // What waits: a person's two review-tier requests and two drafts of one guide.
    const dev = await signedIn('dash-dev');
    const projectId = (await answer(await post('/projects', { name: 'needs review', description: 'admin test' }, dev.cookie))).json.project.project_id;
    asgardOk(['service', 'set', 'object-storage', '--webhook', await webhook()]);
    const toApprove = (await answer(await post(`/projects/${projectId}/resources`,
      { service: 'object-storage', params: { bucket: nonce('bkt') }, justification: 'assets' }, dev.cookie))).json.resource;
    const toDeny = (await answer(await post(`/projects/${projectId}/resources`,
      { service: 'auth0-app', params: { app_type: 'spa' }, justification: 'login' }, dev.cookie))).json.resource;
    assert.equal(toApprove.state, 'pending_approval');
    assert.equal(toDeny.state, 'pending_approval');
    const devPat = asgardOk(['token', 'create', '--user', dev.name]).trim();
    const session = await openSession(devPat);
    const guide = nonce('guide').toLowerCase();
    const put = async (body) => (await session.call('guidance_put', { name: guide, title: 'Review checklist', body })).structuredContent.guidance;
    const first = await put('# Checklist\n\n- read the diff\n- run the tests\n');
    const key = (await answer(await post(`/projects/${projectId}/key`, {}, dev.cookie))).json.key;

    // The admin signs in: the badge counts what waits.
    const { name: admin, url } = userWithLink('dash-admin', { admin: true });
    const { context, page } = await newPage(browser);
    await page.goto(url);
    await page.waitForSelector('#signin');
    await page.click('#signin');
    await page.waitForSelector('#nav-approvals:not([hidden])');
    const waiting = Number(await page.$eval('#inbox-count', (el) => el.textContent));
    assert.ok(waiting >= 3, `the badge counts at least these two requests and the draft: ${waiting}`);

    await page.click('#nav-approvals');
    await page.waitForSelector('#pending-requests');
    assert.match(await page.$eval('#pending-requests', (el) => el.textContent), new RegExp(toApprove.resource_id));
    await page.screenshot({ path: join(shots, 'a1-approvals.png'), fullPage: true });

    // Approve one: provisioned through the operator's webhook; the requester's get_resource says ready.
    await page.click(`button[aria-label="Approve ${toApprove.resource_id}"]`);
    await page.waitForFunction((id) => !document.querySelector(`button[aria-label="Approve ${id}"]`), {}, toApprove.resource_id);
    const approved = (await answer(await get(`/projects/${projectId}/resources/${toApprove.resource_id}`, dev.cookie))).json.resource;
    assert.equal(approved.state, 'ready');
    assert.ok(approved.events.some((e) => e.to === 'approved' && e.actor === `user:${admin}`), JSON.stringify(approved.events));

    // Deny the other with a reason: the requester reads it.
    await page.click(`button[aria-label="Deny ${toDeny.resource_id}"]`);
    await page.type(`#reason-${toDeny.resource_id}`, 'use the organisation\'s SSO instead');
    await page.screenshot({ path: join(shots, 'a2-deny-reason.png'), fullPage: true });
    await page.click(`form:has(#reason-${toDeny.resource_id}) button[type=submit]`);
    await page.waitForFunction((id) => !document.querySelector(`button[aria-label="Deny ${id}"]`), {}, toDeny.resource_id);
    const denied = (await session.call('get_resource', { project_id: projectId, resource_id: toDeny.resource_id })).structuredContent.resource;
    assert.equal(denied.state, 'denied');
    assert.equal(denied.reason, 'use the organisation\'s SSO instead');

    // Reject the first draft with a reason (its author reads it), then publish a second after its diff.
    const draftId = `guidance/${guide}@${first.version}`;
    await page.click(`button[aria-label="Review ${draftId}"]`);
    await page.waitForSelector('#draft-diff');
    const rejectId = draftId.replace(/[^A-Za-z0-9_-]/g, '-');
    await page.click(`button[aria-label="Reject ${rejectId}"]`);
    await page.type(`#reason-${rejectId}`, 'add a line about security review');
    await page.click(`form:has(#reason-${rejectId}) button[type=submit]`);
    await page.waitForFunction((id) => !document.querySelector(`button[aria-label="Review ${id}"]`), {}, draftId);
    const rejected = (await session.call('guidance_get', { name: guide, version: first.version })).structuredContent.guidance;
    assert.equal(rejected.status, 'rejected');
    assert.equal(rejected.reason, 'add a line about security review');

    const second = await put('# Checklist\n\n- read the diff\n- run the tests\n- ask for a security review\n');
    await page.reload();
    await page.waitForSelector(`button[aria-label="Review guidance/${guide}@${second.version}"]`);
    await page.click(`button[aria-label="Review guidance/${guide}@${second.version}"]`);
    await page.waitForSelector('#draft-diff');
    assert.match(await page.$eval('#draft-diff', (el) => el.textContent), /\+ - ask for a security review/);
    await page.screenshot({ path: join(shots, 'a3-draft-diff.png'), fullPage: true });
    await page.click('#publish-draft');
    await page.waitForFunction((id) => !document.querySelector(`button[aria-label="Review ${id}"]`), {}, `guidance/${guide}@${second.version}`);
    const published = (await session.call('guidance_get', { name: guide })).structuredContent.guidance;
    assert.equal(published.status, 'published');
    assert.equal(published.version, second.version);

    // The project's kill switch: reason required, confirmed; the gateway refuses the key; the banner shows.
    assert.equal((await fetch(`${env.url}${CHAT_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(chatBody('before')) })).status, 200);
    await page.click('#nav-kill-switch');
    await page.waitForSelector('#kill-switch-form');
    await page.select('#ks-scope', 'project');
    await page.type('#ks-target', projectId);
    await page.type('#ks-reason', 'admin drill');
    await page.click('#kill-switch-form button[type=submit]');
    await page.waitForSelector('#kill-switches');
    await page.waitForSelector('#banner:not([hidden])');
    assert.match(await page.$eval('#banner', (el) => el.textContent), new RegExp(`project ${projectId} \\(admin drill, by user:${admin}\\)`));
    await page.screenshot({ path: join(shots, 'a4-kill-switch-on.png'), fullPage: true });
    await eventually(async () => (await fetch(`${env.url}${CHAT_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(chatBody('during')),
    })).status === 503, { timeoutMs: 5000, what: 'the gateway to refuse the project\'s key' });
    await page.click(`button[aria-label="Turn off the project kill switch ${projectId}"]`);
    await page.waitForFunction(() => document.querySelector('#banner').hidden);
    await eventually(async () => (await fetch(`${env.url}${CHAT_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(chatBody('after')),
    })).status === 200, { timeoutMs: 5000, what: 'the gateway to serve the project\'s key again' });
    await page.screenshot({ path: join(shots, 'a5-kill-switch-off.png'), fullPage: true });

    // Audited with the admin as actor, as the CLI's own decisions are.
    const rows = psql(`SELECT tool FROM audit_log WHERE actor = 'user:${admin}' ORDER BY id`).split('\n');
    for (const tool of ['dashboard.signin', 'requests.approve', 'requests.deny', 'drafts.reject', 'drafts.approve', 'killswitch.on', 'killswitch.off'])
      assert.ok(rows.includes(tool), `audit row ${tool}: ${rows}`);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
    await session.close?.();
    await context.close();
  });

  test('standards: written, edited twice with notes, diffed and restored in the browser; get_standards serves the newest at once', async () => {
    const name = nonce('std');
    const { context, page } = await newPage(browser);
    const { url } = userWithLink('dash-std-admin', { admin: true });
    await page.goto(url);
    await page.waitForSelector('#signin');
    await page.click('#signin');
    await page.waitForSelector('#nav-standards:not([hidden])');
    await page.click('#nav-standards');
    await page.waitForSelector('#new-standard');
    await page.type('#new-standard-name', name);
    await page.click('#new-standard button[type=submit]');
    await page.waitForSelector('#standard-form');
    const save = async (body, note, title) => {
      if (title !== undefined) {
        await page.$eval('#standard-title', (el) => { el.value = ''; });
        await page.type('#standard-title', title);
      }
      await page.$eval('#standard-body', (el, text) => { el.value = text; }, body);
      await page.type('#standard-note', note);
      const before = await page.$$eval('#standard-versions tbody tr', (rows) => rows.length).catch(() => 0);
      await page.click('#standard-form button[type=submit]');
      await page.waitForFunction((n) => document.querySelectorAll('#standard-versions tbody tr').length === n + 1, {}, before);
    };
    const v1 = '# Logging\n\n- never log secrets\n';
    await save(v1, 'first version', 'Logging');
    await save('# Logging\n\n- never log secrets\n- log the request id\n', 'request ids');
    await save('# Logging\n\n- never log secrets or tokens\n- log the request id\n', 'tokens too');
    assert.match(await page.$eval('#standard-versions', (el) => el.textContent), /v3.*tokens too.*v2.*request ids.*v1.*first version/s);

    // The diff between the last two versions (the page picks them).
    await page.click('#show-diff');
    await page.waitForSelector('#standard-diff');
    const diff = await page.$eval('#standard-diff', (el) => el.textContent);
    assert.match(diff, /− - never log secrets\+ - never log secrets or tokens/);
    await page.screenshot({ path: join(shots, 'a6-standard-diff.png'), fullPage: true });

    // Agents read the newest version at once.
    const session = await openSession(process.env.ASGARD_ADMIN_PAT);
    const latest = async () => (await session.call('get_standards', { name })).structuredContent.standards[0];
    assert.equal((await latest()).version, 3);
    assert.match((await latest()).body, /secrets or tokens/);

    // Restore version 1 as version 4.
    await page.click('button[aria-label="Restore version 1"]');
    await page.waitForFunction(() => document.querySelectorAll('#standard-versions tbody tr').length === 4);
    assert.match(await page.$eval('#standard-versions', (el) => el.textContent), /v4.*restores version 1/s);
    const restored = await latest();
    assert.equal(restored.version, 4);
    assert.equal(restored.body, v1);
    await page.screenshot({ path: join(shots, 'a7-standard-restored.png'), fullPage: true });
    const audit = psql(`SELECT tool FROM audit_log WHERE detail->>'name' = '${name}' ORDER BY id`).split('\n');
    assert.deepEqual(audit, ['standards.put', 'standards.put', 'standards.put', 'standards.restore']);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
    await context.close();
  });

  test('budgets and rate limits: a budget set below the spend (confirmed in the page) stops the key with 402; a rate limit; keyset pages', async () => {
    const dev = await signedIn('dash-money-dev');
    const projectId = (await answer(await post('/projects', { name: 'money', description: 'budget test' }, dev.cookie))).json.project.project_id;
    const key = (await answer(await post(`/projects/${projectId}/key`, {}, dev.cookie))).json.key;
    const call = async () => (await fetch(`${env.url}${CHAT_PATH}`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(chatBody('money')),
    })).status;
    assert.equal(await call(), 200);
    const admin = await signedIn('dash-money-admin', { admin: true });
    const row = async () => (await answer(await get(`/admin/money?q=${projectId}`, admin.cookie))).json.projects.find((p) => p.project_id === projectId);
    await eventually(async () => Number((await row())?.spent_usd) > 0, { timeoutMs: 8000, what: 'the call\'s spend on the money page' });
    assert.equal((await row()).budget_usd, null);

    // In the page: search, set a budget below the spend (the confirm says so), and the key gets 402.
    const { context, page } = await newPage(browser);
    const { url } = userWithLink('dash-money-page', { admin: true });
    let confirmText = '';
    page.on('dialog', (d) => { confirmText = d.message(); });
    await page.goto(url);
    await page.waitForSelector('#signin');
    await page.click('#signin');
    await page.waitForSelector('#nav-money:not([hidden])');
    await page.click('#nav-money');
    await page.waitForSelector('#money-search-form');
    await page.type('#money-search', projectId);
    await page.click('#money-search-form button[type=submit]');
    await page.waitForFunction((id) => document.querySelectorAll('#money tbody tr').length === 1 && document.querySelector('#money').textContent.includes(id), {}, projectId);
    await page.type(`#budget-${projectId}`, '0.000001');
    await page.click(`form:has(#budget-${projectId}) button[type=submit]`);
    await page.waitForFunction((id) => document.querySelector(`#budget-${id}`)?.value === '0.000001', {}, projectId);
    assert.match(confirmText, /below this month's spend: the gateway refuses the project's calls \(402\)/);
    await page.screenshot({ path: join(shots, 'a8-money.png'), fullPage: true });
    assert.equal((await row()).budget_usd, '0.000001');
    await eventually(async () => (await call()) === 402, { timeoutMs: 5000, what: 'the gateway to refuse the over-budget key' });
    await context.close();

    // Raised again at the API; a rate limit of one request a minute: the second call is 429.
    assert.equal((await answer(await post(`/admin/budgets/${projectId}`, { monthly_usd: '50' }, admin.cookie))).status, 200);
    await eventually(async () => (await call()) === 200, { timeoutMs: 5000, what: 'the key served again under the raised budget' });
    assert.equal((await answer(await post('/admin/rate-limits', { project_id: projectId, rpm: 1, tpm: 1000000 }, admin.cookie))).status, 200);
    await eventually(async () => (await call()) === 429, { timeoutMs: 5000, what: 'the key limited to one request a minute' });
    assert.equal((await row()).rpm, 1);

    // Keyset pages: ids after the cursor, in order, and the next cursor continues.
    const first = (await answer(await get('/admin/money', admin.cookie))).json;
    const ids = first.projects.map((p) => p.project_id);
    assert.deepEqual(ids, [...ids].sort());
    if (first.next) {
      const second = (await answer(await get(`/admin/money?after=${first.next}`, admin.cookie))).json;
      assert.ok(second.projects.every((p) => p.project_id > first.next));
    }
    const audit = psql(`SELECT tool FROM audit_log WHERE tool IN ('budget.set', 'ratelimit.set') AND (project_id = '${projectId}' OR detail->>'project' = '${projectId}') ORDER BY id`);
    assert.deepEqual(audit.split('\n'), ['budget.set', 'budget.set', 'ratelimit.set']);
  });

  test('bad admin input is a 400 naming what is missing and changes nothing', async () => {
    const admin = await signedIn('dash-admin-in', { admin: true });
    for (const [path, body, code] of [
      ['/admin/kill-switches', { scope: 'project', target: 'proj-2026-0001', on: true }, 'reason_required'],
      ['/admin/kill-switches', { scope: 'project', target: 'proj-2099-999999', on: true, reason: 'x' }, 'invalid'],
      ['/admin/kill-switches', { scope: 'galaxy', target: '', on: true, reason: 'x' }, 'invalid'],
      ['/admin/kill-switches', { scope: 'global', target: '', on: 'yes', reason: 'x' }, 'invalid_on'],
      ['/admin/requests/req-000001/deny', {}, 'reason_required'],
      ['/admin/drafts/guidance/x/1/reject', {}, 'reason_required'],
      ['/admin/standards/new-one', { title: 'T', body: 'text' }, 'note_required'],
      ['/admin/standards/Not_Valid', { title: 'T', body: 'text', note: 'n' }, 'invalid'],
      ['/admin/standards/new-one', { title: '', body: 'text', note: 'n' }, 'invalid'],
      ['/admin/standards/new-one', { title: 'T', body: '', note: 'n' }, 'invalid'],
      ['/admin/budgets/proj-2026-0001', { monthly_usd: '-1' }, 'invalid_amount'],
      ['/admin/budgets/proj-2026-0001', { monthly_usd: 50 }, 'invalid_amount'],
      ['/admin/budgets/proj-2099-999999', { monthly_usd: '5' }, 'invalid'],
      ['/admin/rate-limits', { project_id: '', rpm: 0, tpm: 5 }, 'invalid'],
      ['/admin/rate-limits', { project_id: '', rpm: '5', tpm: 5 }, 'invalid_limits'],
    ]) {
      const r = await answer(await post(path, body, admin.cookie));
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, code);
    }
    assert.equal((await answer(await post('/admin/requests/req-999999999/approve', {}, admin.cookie))).status, 404);
    assert.equal((await answer(await post('/admin/drafts/guidance/no-such-guide/1/approve', {}, admin.cookie))).status, 404);
    assert.equal((await answer(await get('/admin/drafts/poem/x/1', admin.cookie))).status, 404);
    assert.equal(psql("SELECT count(*) FROM kill_switches WHERE scope IN ('global', 'galaxy')"), '0');
    assert.equal(psql("SELECT count(*) FROM standards WHERE name IN ('new-one', 'Not_Valid')"), '0');
    assert.equal((await answer(await post('/admin/standards/no-such-standard/1/restore', { note: 'x' }, admin.cookie))).status, 404);
    assert.equal((await answer(await get('/admin/standards/no-such-standard', admin.cookie))).status, 404);
  });
});
