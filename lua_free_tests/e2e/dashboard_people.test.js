// The dashboard for people, in a real browser (Debian's Chromium, headless, driven by
// puppeteer-core): a one-time sign-in link shows one "Sign in as NAME" button and works once;
// Getting started creates a PAT shown once with client snippets, which works over MCP; revoking it
// in the page makes /mcp answer 401; the session cookie is HttpOnly and no token reaches page
// storage; the CSP reports no violation; writes without the dashboard's header or from another
// origin are refused; sign-out ends the session. Screenshots of each page go to the test's temp dir.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, newPage as openPage, userWithLink } from './dashboard_helpers.js';
import { asgardOk, eventually, nonce, tokenCacheTtlMs } from './gateway_helpers.js';
import { assertErrorLogClean, env, openSession, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-'));
let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
after(assertErrorLogClean);

/** A page in a context of its own (its own cookies), recording CSP violations. */
const newPage = () => openPage(browser);

const textOf = (page, selector) => page.$eval(selector, (el) => el.textContent);

/** POSTs to the dashboard API from outside the page with the given cookie and headers. */
async function apiPost(path, cookie, headers = {}) {
  const res = await fetch(`${env.url}/api/dashboard${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, ...headers },
    body: JSON.stringify({ name: 'from outside', expires_days: 7 }),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

describe('a person signs in and gets a PAT', () => {
  test('sign in by link (once), create a PAT, use it over MCP, revoke it (401), sign out', async () => {
    const { name, url } = userWithLink('dash');
    assert.match(url, new RegExp(`^${env.url}/dashboard/#/signin/[A-Za-z0-9]{43}$`), 'the link carries its secret in the #fragment');
    const { context, page } = await newPage();
    await page.goto(url);
    await page.waitForSelector('#signin');
    assert.equal(await textOf(page, '#signin'), `Sign in as ${name}`);
    await page.screenshot({ path: join(shots, '1-signin.png') });
    await page.click('#signin');
    await page.waitForSelector('#create-token');
    assert.equal(await textOf(page, '#whoami'), `Signed in as ${name}`);
    assert.doesNotMatch(page.url(), /signin/, 'the spent link is out of the address bar');
    await page.screenshot({ path: join(shots, '2-getting-started.png') });

    // The same link again, in another browser: refused, saying why and what to do.
    const other = await newPage();
    await other.page.goto(url);
    await other.page.waitForSelector('.error');
    assert.match(await textOf(other.page, '.error'), /already used; ask for a new one \(asgard login-link --user NAME\)/);
    await other.page.screenshot({ path: join(shots, '3-link-used.png') });
    await other.context.close();

    // Create a PAT: shown once, with the snippets for this host.
    const tokenName = `laptop ${nonce('t')}`;
    await page.type('#token-name', tokenName);
    await page.select('#token-days', '30');
    await page.click('#create-token button[type=submit]');
    await page.waitForSelector('#new-token');
    const pat = await page.$eval('#new-token', (el) => el.value);
    assert.match(pat, /^asg_pat_[0-9A-Za-z]{36}$/);
    const created = await textOf(page, '#created');
    assert.ok(created.includes(`claude mcp add --transport http asgard ${env.url}/mcp`), created);
    assert.ok(created.includes('"type": "http"') && created.includes('${ASGARD_PAT}'), 'the .mcp.json form for Claude Code');
    assert.ok(created.includes('bearer_token_env_var = "ASGARD_PAT"'), 'the Codex form');
    assert.ok(!created.replace(pat, '').includes('asg_pat_'), 'the snippets reference $ASGARD_PAT, not the token');
    await page.screenshot({ path: join(shots, '4-token-created.png'), fullPage: true });
    await page.setViewport({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, '4-token-created-phone.png'), fullPage: true });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390 + 1), 'no sideways scrolling at a phone width');
    await page.setViewport({ width: 1280, height: 800 });

    // It works over MCP, as the user.
    const session = await openSession(pat);
    const who = await session.call('list_projects', {});
    assert.equal(who.isError, false, JSON.stringify(who));

    // No token in page storage; the session cookie is HttpOnly, SameSite=Strict, scoped to the API.
    const storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
    assert.ok(!storage.includes('asg_') && !storage.includes('asgard_session'), storage);
    const cookies = await page.cookies(`${env.url}/api/dashboard/me`);
    const cookie = cookies.find((c) => c.name === 'asgard_session');
    assert.ok(cookie, JSON.stringify(cookies));
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/api/dashboard');
    const cookieHeader = `asgard_session=${cookie.value}`;

    // Writes from outside the dashboard are refused even with the cookie.
    assert.equal((await apiPost('/tokens', cookieHeader)).status, 403, 'no X-Asgard-Dashboard header');
    assert.equal((await apiPost('/tokens', cookieHeader, { 'x-asgard-dashboard': '1', origin: 'https://evil.example' })).status, 403,
      'another origin');
    assert.equal((await apiPost('/tokens', cookieHeader, { 'x-asgard-dashboard': '1', 'sec-fetch-site': 'cross-site' })).status, 403,
      'a cross-site fetch');

    // Revoke it in the page: the row says so, and /mcp refuses the token within the cache TTL.
    const row = await page.waitForSelector(`xpath///tr[td[contains(., "${tokenName}")]]`);
    const revoke = await row.$('button.danger');
    await revoke.click();
    await page.waitForSelector(`xpath///tr[td[contains(., "${tokenName}")]]//span[contains(@class, "status-revoked")]`);
    await page.screenshot({ path: join(shots, '5-token-revoked.png'), fullPage: true });
    assert.doesNotMatch(await textOf(page, 'main'), /null|undefined/, 'no empty value shown as text');
    await eventually(async () => {
      const res = await fetch(`${env.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${pat}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
      });
      return res.status === 401;
    }, { timeoutMs: tokenCacheTtlMs() + 5000, what: 'the revoked PAT to get 401 on /mcp' });

    // The audit log has the dashboard's rows, with the user as actor and no token.
    const audit = psql(`SELECT tool || ' ' || actor FROM audit_log WHERE actor = 'user:${name}' ORDER BY id`).split('\n');
    for (const line of ['dashboard.signin', 'token.create', 'token.revoke']) {
      assert.ok(audit.includes(`${line} user:${name}`), `the audit row ${line}: ${audit}`);
    }
    assert.ok(!psql('SELECT detail::text FROM audit_log ORDER BY id DESC LIMIT 20').includes(pat), 'no token in the audit log');

    assert.deepEqual(await page.evaluate(() => window.__violations), [], 'no CSP violation');

    // Sign out: the page says so, and the old cookie no longer works.
    await page.click('#signout');
    await page.waitForFunction(() => document.querySelector('main').textContent.includes('You are signed out.'));
    await page.screenshot({ path: join(shots, '6-signed-out.png') });
    const me = await fetch(`${env.url}/api/dashboard/me`, { headers: { cookie: cookieHeader } });
    assert.equal(me.status, 401);
    await context.close();
  });

  test('a slow answer for a page the person already left never replaces the page they are on', async () => {
    const { page, context } = await newPage();
    // /me answers late: the first route (the dashboard's start) is still waiting for it when the
    // person opens an unusable sign-in link, whose page answers at once.
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.url().endsWith('/api/dashboard/me')) setTimeout(() => req.continue(), 1500);
      else req.continue();
    });
    const lateMe = page.waitForResponse((res) => res.url().endsWith('/api/dashboard/me'));
    await page.goto(`${env.url}/dashboard/`, { waitUntil: 'domcontentloaded' });
    await page.evaluate(() => { location.hash = `#/signin/${'y'.repeat(43)}`; });
    await page.waitForSelector('.error');
    assert.equal((await lateMe).status(), 401);
    // Let the page run what the late answer set off (two macrotasks after its body is read).
    await page.evaluate(() => new Promise((resolve) => setTimeout(() => setTimeout(resolve, 50), 0)));
    assert.match(await textOf(page, 'main'), /This sign-in link cannot be used/, 'the sign-in link\'s page is still shown');
    assert.doesNotMatch(await textOf(page, 'main'), /Sign in to Asgard/);
    await context.close();
  });

  test('a page without a session explains how to sign in; an unknown or expired link says so; the API answers JSON errors', async () => {
    const { page, context } = await newPage();
    await page.goto(`${env.url}/dashboard/`);
    await page.waitForFunction(() => document.querySelector('main').textContent.includes('asgard login-link --user YOUR_NAME'));
    await page.screenshot({ path: join(shots, '7-not-signed-in.png') });
    const res = await page.goto(`${env.url}/dashboard/`);
    const csp = res.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(res.headers()['x-content-type-options'], 'nosniff');

    await page.goto(`${env.url}/dashboard/#/signin/${'x'.repeat(43)}`);
    await page.waitForSelector('.error');
    assert.match(await textOf(page, '.error'), /not valid; ask for a new one/);

    const { name } = userWithLink('dash-exp');
    const expired = JSON.parse(asgardOk(['login-link', '--user', name, '--ttl', '1s', '--url', env.url, '--json']));
    await eventually(async () => {
      const peek = await fetch(`${env.url}/api/dashboard/signin/peek`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-asgard-dashboard': '1' },
        body: JSON.stringify({ link: expired.url.split('/').pop() }),
      });
      return peek.status === 410 && /expired/.test((await peek.json()).error.message);
    }, { timeoutMs: 5000, intervalMs: 200, what: 'the 1 s link to expire' });

    const me = await fetch(`${env.url}/api/dashboard/me`);
    assert.equal(me.status, 401);
    assert.equal((await me.json()).error.code, 'not_signed_in');
    assert.equal(me.headers.get('cache-control'), 'no-store');
    const unknown = await fetch(`${env.url}/api/dashboard/nope`, { headers: { cookie: 'asgard_session=nothing' } });
    assert.equal(unknown.status, 401, 'no route is told to a caller without a session');
    await context.close();
  });
});
