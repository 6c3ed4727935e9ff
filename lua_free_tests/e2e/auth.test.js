// Bearer authentication on /mcp: every failure is 401 with a Bearer challenge and an OAuth-style
// JSON body naming the reason.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import {
  assertErrorLogClean,
  breakChecksum,
  craftToken,
  initializeMessage,
  newUserToken,
  openSession,
  post,
  revokeToken,
  waitUntilPast,
} from './helpers.js';

after(assertErrorLogClean);

/** Asserts a 401 with WWW-Authenticate: Bearer ... and {"error": code, "error_description": text}. */
function assertAuthError(res, code) {
  assert.equal(res.status, 401, `expected 401 ${code}, got ${res.status}: ${res.text}`);
  const challenge = res.headers.get('www-authenticate');
  assert.ok(challenge, 'a 401 carries a WWW-Authenticate header');
  assert.ok(challenge.startsWith('Bearer'), `WWW-Authenticate starts with Bearer: ${challenge}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(res.json, `the 401 body is JSON: ${res.text}`);
  assert.equal(res.json.error, code);
  assert.equal(typeof res.json.error_description, 'string');
  assert.ok(res.json.error_description.length > 0, 'error_description is not empty');
}

const ping = () => ({ jsonrpc: '2.0', id: 1, method: 'ping' });

describe('bearer authentication on /mcp', () => {
  test('rejects a request without Authorization with 401 missing_token', async () => {
    assertAuthError(await post(initializeMessage()), 'missing_token');
  });

  test('rejects a Basic Authorization header with 401 unsupported_scheme', async () => {
    const basic = `Basic ${Buffer.from('admin:secret').toString('base64')}`;
    assertAuthError(await post(initializeMessage(), { headers: { Authorization: basic } }), 'unsupported_scheme');
  });

  test('rejects "Bearer" with no token with 401 malformed_token', async () => {
    assertAuthError(await post(initializeMessage(), { headers: { Authorization: 'Bearer' } }), 'malformed_token');
  });

  test('rejects a bearer token that is not an Asgard token with 401 malformed_token', async () => {
    const res = await post(initializeMessage(), { headers: { Authorization: 'Bearer ghp_notAnAsgardTokenAtAll0123456789' } });
    assertAuthError(res, 'malformed_token');
  });

  test('rejects a 10 kB bearer token with 401 malformed_token', async () => {
    const huge = `asg_pat_${'a'.repeat(10 * 1024)}`;
    assertAuthError(await post(initializeMessage(), { token: huge }), 'malformed_token');
  });

  test('rejects a token with a bad checksum with 401 bad_checksum', async () => {
    const { token } = newUserToken('e2e-auth-cksum');
    assertAuthError(await post(initializeMessage(), { token: breakChecksum(token) }), 'bad_checksum');
  });

  test('rejects a well-formed token that was never issued with 401 unknown_token', async () => {
    assertAuthError(await post(initializeMessage(), { token: craftToken() }), 'unknown_token');
  });

  test('rejects a well-formed project key (asg_...) that was never issued with 401 unknown_token', async () => {
    assertAuthError(await post(initializeMessage(), { token: craftToken('asg_') }), 'unknown_token');
  });

  test('rejects a token revoked before its first use with 401 revoked_token', async () => {
    const { token, id } = newUserToken('e2e-auth-revoked');
    revokeToken(id);
    assertAuthError(await post(initializeMessage(), { token }), 'revoked_token');
    // Still rejected on a second request (now answered from the token cache).
    assertAuthError(await post(ping(), { token }), 'revoked_token');
  });

  test('rejects a token used after its expiry with 401 expired_token', async () => {
    const { token, expires } = newUserToken('e2e-auth-expired', { expires: '1s' });
    assert.ok(expires, 'token create --expires 1s reports an expiry time');
    // The printed expiry is truncated to the second: the real one is before printed + 1 s.
    await waitUntilPast(Date.parse(expires) + 1000);
    assertAuthError(await post(initializeMessage(), { token }), 'expired_token');
  });

  test('rejects a token that expires after its first use (while cached) with 401 expired_token', async () => {
    const { token, expires } = newUserToken('e2e-auth-expiring', { expires: '2s' });
    const session = await openSession(token);
    const before = await session.send(ping());
    assert.equal(before.status, 200, `the token works before its expiry: ${before.text}`);
    await waitUntilPast(Date.parse(expires) + 1000);
    assertAuthError(await session.send(ping()), 'expired_token');
  });

  test('accepts the Bearer scheme in any letter case', async () => {
    const { token } = newUserToken('e2e-auth-case');
    const res = await post(initializeMessage(), { headers: { Authorization: `bearer ${token}` } });
    assert.equal(res.status, 200, res.text);
  });

  test('accepts a freshly issued token: initialize answers 200', async () => {
    const { token } = newUserToken('e2e-auth-ok');
    const session = await openSession(token);
    assert.equal(session.init.json.result.serverInfo.name, 'asgard');
  });
});
