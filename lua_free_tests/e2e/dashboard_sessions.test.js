// Dashboard sessions across people and nodes, at the API: a session works on every node of a fleet
// and sign-out on one ends it on the other (PostgreSQL holds it); one person can neither list nor
// revoke another's tokens; a link is single-use however many presses race.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { dashGet, dashPost, signedIn as signIn } from './dashboard_helpers.js';
import { asgardOk, nonce } from './gateway_helpers.js';
import { assertErrorLogClean, env } from './helpers.js';
import { startNode } from './nginx_node.js';

after(assertErrorLogClean);

const post = (base, path, body, cookie) => dashPost(path, body, cookie, {}, base);
const get = (base, path, cookie) => dashGet(path, cookie, {}, base);
const signedIn = (prefix, base = env.url) => signIn(prefix, { base });

describe('dashboard sessions', () => {
  test('a session works on a second node; sign-out on one node ends it on the other', async () => {
    const n = await startNode({ workers: 1 });
    try {
      const a = await signedIn('dash-fleet');
      assert.equal((await (await get(n.url, '/me', a.cookie)).json()).user, a.name, 'the other node knows the session');
      assert.equal((await post(env.url, '/signout', {}, a.cookie)).status, 200);
      const after = await get(n.url, '/me', a.cookie);
      assert.equal(after.status, 401, 'ended on every node');
      assert.equal((await after.json()).error.code, 'not_signed_in');
    } finally {
      await n.stop();
    }
  });

  test('one person cannot list or revoke another\'s tokens', async () => {
    const a = await signedIn('dash-a');
    const b = await signedIn('dash-b');
    const made = await (await post(env.url, '/tokens', { name: 'a\'s laptop', expires_days: 7 }, a.cookie)).json();
    assert.match(made.token, /^asg_pat_/);
    const listedByB = await (await get(env.url, '/tokens', b.cookie)).json();
    assert.deepEqual(listedByB.tokens, [], 'b sees none of a\'s tokens');
    const revokeByB = await post(env.url, `/tokens/${made.id}/revoke`, {}, b.cookie);
    assert.equal(revokeByB.status, 404);
    const listedByA = await (await get(env.url, '/tokens', a.cookie)).json();
    assert.equal(listedByA.tokens.find((t) => t.id === made.id).revoked, null, 'a\'s token is untouched');
    // Bad input is a clear 400 that names the field, and creates nothing.
    for (const [body, code] of [[{ expires_days: 0 }, 'invalid_expires_days'], [{ expires_days: 'soon' }, 'invalid_expires_days'],
      [{ name: 'x'.repeat(101) }, 'invalid_name']]) {
      const res = await post(env.url, '/tokens', body, a.cookie);
      assert.equal(res.status, 400);
      assert.equal((await res.json()).error.code, code);
    }
    const bad = await fetch(`${env.url}/api/dashboard/tokens`, {
      method: 'POST', headers: { 'x-asgard-dashboard': '1', cookie: a.cookie }, body: '{not json',
    });
    assert.equal(bad.status, 400);
    assert.equal((await (await get(env.url, '/tokens', a.cookie)).json()).tokens.length, 1, 'nothing was created by the bad calls');
  });

  test('ten presses of one link at once: exactly one session', async () => {
    const name = nonce('dash-race');
    asgardOk(['user', 'add', name]);
    const { url } = JSON.parse(asgardOk(['login-link', '--user', name, '--url', env.url, '--json']));
    const link = url.split('/').pop();
    const results = await Promise.all(Array.from({ length: 10 }, () => post(env.url, '/signin', { link })));
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 410, 410, 410, 410, 410, 410, 410, 410, 410], `statuses: ${statuses}`);
  });
});
