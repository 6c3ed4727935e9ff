// The dashboard behind the organisation's single sign-on, configured as conf.examples/production.conf
// shows (auth_request + auth_request_set + asgard_dashboard_user), with a small stand-in for
// oauth2-proxy: the person comes from the auth server's answer, never from a header the client
// sent; an unknown person is refused unless dashboard.sso_create_users is true; a name that is no
// valid user name is refused; the page signs in without a link. One node of its own.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { launchBrowser } from './dashboard_helpers.js';
import { asgardOk, nonce } from './gateway_helpers.js';
import { assertErrorLogClean, env, psql } from './helpers.js';
import { startNode } from './nginx_node.js';

let node;
let authServer;
let browser;

/** oauth2-proxy's part: a cookie sso=NAME is a signed-in NAME (202 and X-Auth-Request-User);
 * sso=- passes without naming anyone; no such cookie is 401. */
function startAuthServer() {
  const server = http.createServer((req, res) => {
    const sso = /(?:^|;\s*)sso=([^;]*)/.exec(req.headers.cookie ?? '')?.[1];
    if (sso === undefined) {
      res.writeHead(401).end();
    } else if (sso === '-') {
      res.writeHead(202).end();
    } else {
      res.writeHead(202, { 'X-Auth-Request-User': decodeURIComponent(sso) }).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  authServer = await startAuthServer();
  const port = authServer.address().port;
  node = await startNode({
    workers: 1,
    replace: [
      // The API location takes the person from the auth server's answer...
      [/location \/api\/dashboard\/ \{\n(\s*)asgard_dashboard_api;/, (whole, indent) => [
        'location /api/dashboard/ {',
        'auth_request /_sso_auth;',
        'auth_request_set $asgard_sso_user $upstream_http_x_auth_request_user;',
        'asgard_dashboard_user $asgard_sso_user;',
        'error_page 401 = @sso_required;',
        'asgard_dashboard_api;'].join(`\n${indent}`)],
      // ...which the auth server gives on an internal location.
      [/\n( *)location = \/dashboard \{/, (whole, indent) => `\n${indent}location = /_sso_auth {\n` +
        `${indent}    internal;\n${indent}    proxy_pass http://127.0.0.1:${port};\n` +
        `${indent}    proxy_pass_request_body off;\n${indent}    proxy_set_header Content-Length "";\n${indent}}\n` +
        `${indent}location @sso_required {\n${indent}    default_type application/json;\n` +
        `${indent}    return 401 '{"error":{"code":"not_signed_in","message":"sign in through single sign-on"}}';\n${indent}}\n` +
        whole],
    ],
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await node?.stop();
  authServer?.close();
  psql("DELETE FROM settings WHERE key = 'dashboard.sso_create_users'");
});
after(assertErrorLogClean);

const me = (headers) => fetch(`${node.url}/api/dashboard/me`, { headers });
const answer = async (res) => ({ status: res.status, cookie: res.headers.get('set-cookie'), json: await res.json() });

describe('the dashboard behind single sign-on', () => {
  test('the auth server names the person; a header the client sent names nobody', async () => {
    const alice = nonce('sso-alice');
    const victim = nonce('sso-victim');
    asgardOk(['user', 'add', alice]);
    asgardOk(['user', 'add', victim, '--admin']);

    // No SSO cookie: the auth server refuses, whatever the client claims.
    const refused = await answer(await me({ 'x-auth-request-user': victim, 'x-forwarded-user': victim }));
    assert.equal(refused.status, 401);
    assert.equal(refused.cookie, null, 'no session');
    // The auth server passes without naming anyone, and the client names someone: nobody is signed in.
    const anonymous = await answer(await me({ cookie: 'sso=-', 'x-auth-request-user': victim }));
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error.code, 'not_signed_in');
    assert.equal(anonymous.cookie, null);

    // The auth server names alice (the client's own claim changes nothing): signed in as alice.
    const signed = await answer(await me({ cookie: `sso=${alice}`, 'x-auth-request-user': victim }));
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    assert.equal(signed.json.user, alice);
    assert.equal(signed.json.is_admin, false);
    assert.match(signed.cookie ?? '', /^asgard_session=[A-Za-z0-9]{43}; Path=\/api\/dashboard; HttpOnly; SameSite=Strict/);
    const session = signed.cookie.split(';')[0];
    // The session goes on with the same person, without a new sign-in.
    const again = await answer(await me({ cookie: `sso=${alice}; ${session}` }));
    assert.equal(again.json.user, alice);
    assert.equal(again.cookie, null, 'the session is reused');
    // The same cookie while the SSO names someone else: that person, in a new session.
    const switched = await answer(await me({ cookie: `sso=${victim}; ${session}` }));
    assert.equal(switched.json.user, victim);
    assert.notEqual(switched.cookie, null);
    const signins = psql(`SELECT count(*) FROM audit_log WHERE tool = 'dashboard.signin' AND actor = 'user:${alice}' AND detail->>'via' = 'sso'`);
    assert.equal(Number(signins), 1, 'one sign-in row for alice, via sso');
  });

  test('an unknown person is refused until dashboard.sso_create_users is true; then created once; a bad name is refused', async () => {
    const newcomer = nonce('sso-new');
    const refused = await answer(await me({ cookie: `sso=${newcomer}` }));
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'sso_user_unknown');
    assert.match(refused.json.error.message, /asgard settings set dashboard\.sso_create_users true/);
    assert.equal(psql(`SELECT count(*) FROM users WHERE name = '${newcomer}'`), '0');

    asgardOk(['settings', 'set', 'dashboard.sso_create_users', 'true']);
    try {
      const results = await Promise.all([1, 2, 3].map(async () => answer(await me({ cookie: `sso=${newcomer}` }))));
      for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(psql(`SELECT count(*) FROM users WHERE name = '${newcomer}' AND NOT is_admin`), '1', 'created once, not an admin');
      assert.equal(psql(`SELECT count(*) FROM audit_log WHERE tool = 'user.add' AND detail->>'user' = '${newcomer}' AND detail->>'via' = 'sso'`), '1');

      const bad = await answer(await me({ cookie: `sso=${encodeURIComponent('Someone@Example.com')}` }));
      assert.equal(bad.status, 403);
      assert.equal(bad.json.error.code, 'sso_user_invalid');
    } finally {
      asgardOk(['settings', 'set', 'dashboard.sso_create_users', 'false']);
    }
  });

  test('a person an administrator disabled is refused (403 user_disabled), and signed in again once enabled', async () => {
    const name = nonce('sso-off');
    asgardOk(['user', 'add', name]);
    asgardOk(['user', 'disable', name, '--reason', 'on leave']);
    const refused = await answer(await me({ cookie: `sso=${name}` }));
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'user_disabled');
    assert.equal(refused.cookie, null, 'no session opened');
    asgardOk(['user', 'enable', name]);
    assert.equal((await answer(await me({ cookie: `sso=${name}` }))).status, 200);
  });

  test('the page signs in through the SSO without a link', async () => {
    const name = nonce('sso-page');
    asgardOk(['user', 'add', name]);
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setCookie({ name: 'sso', value: name, url: node.url });
    await page.goto(`${node.url}/dashboard/`);
    await page.waitForSelector('#create-token');
    assert.equal(await page.$eval('#whoami', (el) => el.textContent), `Signed in as ${name}`);
    await context.close();
  });
});
