// The dashboard's project pages, in a real browser (Debian's Chromium, headless, puppeteer-core)
// and at the API: a person registers a project, requests a service from its parameter form, reveals
// a secret (audited exactly as get_secret over MCP), mints the project key and calls the gateway
// with it, rotates it (the old key stops), and sees the spend; a review-tier request waits for an
// admin; bad input is a 400 naming the field; another person's project is a 403 in the page and the
// API. Every action is the MCP tool's: the same rules, error texts and audit rows.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { answer, dashGet as get, dashPost as post, launchBrowser, signedIn, signedInPage as openSignedIn } from './dashboard_helpers.js';
import { CHAT_PATH, chatBody, eventually, tokenCacheTtlMs } from './gateway_helpers.js';
import { assertErrorLogClean, env, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-projects-'));
let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
after(assertErrorLogClean);

const signedInPage = (prefix, options) => openSignedIn(browser, prefix, options);
const textOf = (page, selector) => page.$eval(selector, (el) => el.textContent);
const gatewayCall = (key) => fetch(`${env.url}${CHAT_PATH}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  body: JSON.stringify(chatBody('hello from the dashboard test')),
});

describe('a person works on a project in the dashboard', () => {
  test('register, request a secret, reveal it (audited), mint and rotate the key, call the gateway, see the spend', async () => {
    const { name, context, page } = await signedInPage('dash-proj');
    await page.click('#sections a[href="#/projects"]');
    await page.waitForSelector('#register-project');
    assert.match(await textOf(page, 'main'), /None yet: register one below/);
    await page.screenshot({ path: join(shots, 'p1-projects-empty.png') });

    // Register: the page of the new project, with me as its owner.
    await page.type('#project-name', 'dashboard demo');
    await page.type('#project-description', 'made in the browser');
    await page.click('#register-project button[type=submit]');
    await page.waitForSelector('#mint-key');
    const projectId = /#\/projects\/(proj-\d{4}-\d{4,})$/.exec(page.url())?.[1];
    assert.ok(projectId, page.url());
    assert.match(await textOf(page, 'main'), new RegExp(`my role: owner; owner ${name}`));
    await page.screenshot({ path: join(shots, 'p2-project-new.png'), fullPage: true });

    // Request a self-service secret from the form the parameter schema makes: ready at once.
    await page.click('#request-service');
    await page.waitForSelector('#request-form');
    await page.select('#service-type', 'secret');
    await page.waitForSelector('#param-name');
    assert.equal(await page.$eval('#param-name', (el) => el.required), true, 'the schema\'s required name is required');
    await page.screenshot({ path: join(shots, 'p3-request-form.png'), fullPage: true });
    await page.type('#param-name', 'DASH_SECRET');
    await page.click('#request-form button[type=submit]');
    await page.waitForSelector('#secrets');
    assert.match(await textOf(page, '[role=status]'), /req-\d+: ready\./);
    assert.match(await textOf(page, '#resources'), /secret\s*ready/);

    // Reveal it: the value appears, and the audit row is get_secret's, as over MCP with a PAT.
    await page.click('button[aria-label="Reveal DASH_SECRET"]');
    await page.waitForSelector('#secret-DASH_SECRET');
    const value = await page.$eval('#secret-DASH_SECRET', (el) => el.value);
    assert.match(value, /^[0-9A-Za-z]{32}$/);
    const audit = psql(`SELECT actor || ' ' || outcome || ' ' || coalesce(credential_id::text, 'no-token') || ' ' || detail::text FROM audit_log
      WHERE tool = 'get_secret' AND project_id = '${projectId}'`);
    assert.equal(audit, `user:${name} ok no-token {"name": "DASH_SECRET"}`);
    await page.screenshot({ path: join(shots, 'p4-secret-revealed.png'), fullPage: true });

    // The resource's history.
    await page.click('button[aria-label^="History of req-"]');
    await page.waitForSelector('#resource-events');
    assert.match(await textOf(page, '#resource-events'), /ready/);

    // Mint the project key: shown once with the gateway snippets; it calls the gateway.
    await page.click('#mint-key');
    await page.waitForSelector('#new-key');
    const key = await page.$eval('#new-key', (el) => el.value);
    assert.match(key, /^asg_[0-9A-Za-z]{36}$/);
    const minted = await textOf(page, '#minted');
    assert.ok(minted.includes(`${env.url}/api/gateway/v1`) && minted.includes('$ASGARD_PROJECT_KEY'), minted);
    assert.ok(!minted.replace(key, '').includes('asg_'), 'the snippets reference the key, never inline it');
    await page.screenshot({ path: join(shots, 'p5-key-minted.png'), fullPage: true });
    assert.equal((await gatewayCall(key)).status, 200);

    // Rotate (confirmed in a dialog): a new key; the old one stops within the token cache TTL.
    await page.reload();
    await page.waitForFunction(() => document.querySelector('#mint-key')?.textContent === 'Rotate the project key');
    await page.click('#mint-key');
    await page.waitForSelector('#new-key');
    const rotated = await page.$eval('#new-key', (el) => el.value);
    assert.notEqual(rotated, key);
    await eventually(async () => (await gatewayCall(key)).status === 401,
      { timeoutMs: tokenCacheTtlMs() + 5000, what: 'the rotated-away key to get 401' });
    assert.equal((await gatewayCall(rotated)).status, 200);

    // The spend: the calls show by model and on the daily chart once their rows are flushed.
    await eventually(async () => {
      await page.reload();
      await page.waitForSelector('#secrets');
      return (await page.$('#spend-models')) !== null;
    }, { timeoutMs: 10000, intervalMs: 500, what: 'the gateway calls in the project\'s spend' });
    assert.match(await textOf(page, '#spend-models'), /model:default\/gpt-5\s*\d+/);
    assert.ok(await page.$('svg.chart rect.bar'), 'a bar for today');
    assert.match(await textOf(page, 'main'), /Month to date: \$0\.0\d*/);
    await page.screenshot({ path: join(shots, 'p6-project-spend.png'), fullPage: true });
    await page.setViewport({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, 'p6-project-phone.png'), fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390 + 1), 'no sideways scrolling at a phone width');

    // The list shows it with my role; nothing secret in page storage; no CSP violation.
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(`${env.url}/dashboard/#/projects`);
    await page.waitForSelector('#projects');
    assert.match(await textOf(page, '#projects'), new RegExp(`${projectId}\\s*dashboard demo\\s*owner`));
    await page.screenshot({ path: join(shots, 'p7-projects.png') });
    const storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
    assert.ok(!storage.includes('asg_'), storage);
    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');
    assert.doesNotMatch(await textOf(page, 'main'), /null|undefined|NaN/);
    await context.close();
  });

  test('a review-tier service waits for an admin; bad input is a 400 naming the field and creates nothing', async () => {
    const a = await signedIn('dash-proj-in');
    const noName = await answer(await post('/projects', { description: 'no name' }, a.cookie));
    assert.equal(noName.status, 400);
    assert.equal(noName.json.error.code, 'invalid_arguments');
    assert.match(noName.json.error.message, /name/);
    assert.equal((await answer(await get('/projects', a.cookie))).json.projects.length, 0, 'nothing was registered');

    const made = await answer(await post('/projects', { name: 'api made', description: 'by the API' }, a.cookie));
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const id = made.json.project.project_id;
    const listed = (await answer(await get('/projects', a.cookie))).json.projects;
    assert.deepEqual(listed.map((p) => [p.project_id, p.your_role]), [[id, 'owner']]);

    const review = await answer(await post(`/projects/${id}/resources`, { service: 'auth0-app', params: { app_type: 'spa' } }, a.cookie));
    assert.equal(review.status, 201, JSON.stringify(review.json));
    assert.equal(review.json.resource.state, 'pending_approval');

    for (const [body, code, text] of [
      [{ service: 'no-such-service' }, 'unknown_service', /unknown service 'no-such-service'/],
      [{ service: 'secret', params: {} }, 'invalid_params', /Invalid params for service secret/],
      [{ service: 'secret', params: { name: 'lower' } }, 'invalid_params', /name/],
      [{ params: {} }, 'invalid_arguments', /service/],
    ]) {
      const r = await answer(await post(`/projects/${id}/resources`, body, a.cookie));
      assert.equal(r.status, 400, JSON.stringify(r.json));
      assert.equal(r.json.error.code, code);
      assert.match(r.json.error.message, text);
    }
    const view = (await answer(await get(`/projects/${id}`, a.cookie))).json;
    assert.deepEqual(view.resources.map((r) => r.state), ['pending_approval'], 'the refused requests created nothing');
    assert.match(view.cost.total_usd, /^\d+\.\d{6}$/, 'money is exact decimal text');
    assert.deepEqual(view.keys, []);

    const missing = await answer(await post(`/projects/${id}/secret`, { name: 'NOPE' }, a.cookie));
    assert.equal(missing.status, 404);
    assert.match(missing.json.error.message, /has no secret NOPE/);
    assert.equal((await get('/projects/not-a-project', a.cookie)).status, 404);
    const unknown = await answer(await get('/projects/proj-2099-999999', a.cookie));
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'project_not_registered');
    assert.equal((await post(`/projects/${id}`, {}, a.cookie)).status, 405);
    assert.equal((await fetch(`${env.url}/api/dashboard/projects/${id}`)).status, 401, 'no session, no page');
  });

  test('one person cannot see or touch another\'s project: 403 in the API and the page, audited', async () => {
    const owner = await signedIn('dash-owner');
    const id = (await answer(await post('/projects', { name: 'private', description: 'owner only' }, owner.cookie))).json.project.project_id;
    const other = await signedIn('dash-other');
    assert.deepEqual((await answer(await get('/projects', other.cookie))).json.projects, []);
    for (const [method, path, body] of [['GET', `/projects/${id}`], ['POST', `/projects/${id}/secret`, { name: 'X' }],
      ['POST', `/projects/${id}/key`, {}], ['POST', `/projects/${id}/resources`, { service: 'secret', params: { name: 'X' } }],
      ['GET', `/projects/${id}/resources/req-000001`]]) {
      const r = await answer(method === 'GET' ? await get(path, other.cookie) : await post(path, body, other.cookie));
      assert.equal(r.status, 403, `${method} ${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.message, `not authorized for project ${id}`);
    }
    // An admin's "My projects" holds only what they own or manage; the page of any project opens.
    const admin = await signedIn('dash-admin', { admin: true });
    assert.deepEqual((await answer(await get('/projects', admin.cookie))).json.projects, []);
    const seen = await answer(await get(`/projects/${id}`, admin.cookie));
    assert.equal(seen.status, 200);
    assert.equal(seen.json.project.your_role, 'admin');

    const denials = psql(`SELECT count(*) FROM audit_log WHERE actor = 'user:${other.name}' AND outcome = 'denied' AND project_id = '${id}'`);
    assert.equal(Number(denials), 5, 'each refusal is audited, as over MCP');

    const { context, page } = await signedInPage('dash-other-page');
    await page.goto(`${env.url}/dashboard/#/projects/${id}`);
    await page.waitForSelector('.error');
    assert.equal(await textOf(page, '.error'), `Not allowed: not authorized for project ${id}`);
    await page.screenshot({ path: join(shots, 'p8-not-authorized.png') });
    await context.close();
  });
});
