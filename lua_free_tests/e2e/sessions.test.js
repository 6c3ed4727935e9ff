// MCP sessions: required after initialize, bound to the credential that created them, and ended
// by DELETE.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertErrorLogClean,
  assertRpcError,
  createToken,
  newUserToken,
  openSession,
  post,
  request,
  SERVER_ERROR,
  SESSION_NOT_FOUND,
} from './helpers.js';

after(assertErrorLogClean);

let tokenA;
let tokenB;
before(() => {
  ({ token: tokenA } = newUserToken('e2e-sessions-a'));
  ({ token: tokenB } = newUserToken('e2e-sessions-b'));
});

const ping = (id = 1) => ({ jsonrpc: '2.0', id, method: 'ping' });

function deleteSession(token, sessionId) {
  const headers = { Authorization: `Bearer ${token}` };
  if (sessionId !== undefined) headers['Mcp-Session-Id'] = sessionId;
  return request('DELETE', '/mcp', { headers });
}

/** Flips one character of the session id's signature part (after the dot). */
function forge(sessionId) {
  const i = sessionId.length - 5;
  const c = sessionId[i] === 'A' ? 'B' : 'A';
  return sessionId.slice(0, i) + c + sessionId.slice(i + 1);
}

describe('session ids', () => {
  test('initialize issues a fresh Mcp-Session-Id each time', async () => {
    const one = await openSession(tokenA);
    const two = await openSession(tokenA);
    assert.notEqual(one.sessionId, two.sessionId);
  });

  test('rejects a non-initialize request without Mcp-Session-Id with 400', async () => {
    const res = await post(ping(), { token: tokenA });
    assertRpcError(res, 400, SERVER_ERROR);
    assert.match(res.json.error.message, /Mcp-Session-Id/);
  });

  test('rejects a garbage session id with 404', async () => {
    assertRpcError(await post(ping(), { token: tokenA, sessionId: 'garbage' }), 404, SESSION_NOT_FOUND);
    assertRpcError(await post(ping(), { token: tokenA, sessionId: 'abc.def' }), 404, SESSION_NOT_FOUND);
    assertRpcError(await post(ping(), { token: tokenA, sessionId: 'x'.repeat(1000) }), 404, SESSION_NOT_FOUND);
  });

  test('rejects a forged session id (signature changed) with 404', async () => {
    const { sessionId } = await openSession(tokenA);
    assertRpcError(await post(ping(), { token: tokenA, sessionId: forge(sessionId) }), 404, SESSION_NOT_FOUND);
  });

  test("rejects token B using token A's session id with 404", async () => {
    const a = await openSession(tokenA);
    const ok = await a.send(ping());
    assert.equal(ok.status, 200, ok.text);
    assertRpcError(await post(ping(), { token: tokenB, sessionId: a.sessionId }), 404, SESSION_NOT_FOUND);
    // The session still works for its own credential.
    const again = await a.send(ping(2));
    assert.equal(again.status, 200, again.text);
  });

  test("rejects another token of the same user using the first token's session id with 404", async () => {
    const { user, token } = newUserToken('e2e-sessions-same-user');
    const second = createToken(user).token;
    const session = await openSession(token);
    assertRpcError(await post(ping(), { token: second, sessionId: session.sessionId }), 404, SESSION_NOT_FOUND);
  });

  test('DELETE /mcp without Mcp-Session-Id answers 400', async () => {
    const res = await deleteSession(tokenA);
    assertRpcError(res, 400, SERVER_ERROR);
  });
});

describe('ending a session with DELETE', () => {
  test('DELETE /mcp with the session answers 204, again 404, and the session then answers 404', async () => {
    const session = await openSession(tokenA);
    assert.equal((await session.send(ping())).status, 200);

    const first = await deleteSession(tokenA, session.sessionId);
    assert.equal(first.status, 204, first.text);
    assert.equal(first.text, '');

    const second = await deleteSession(tokenA, session.sessionId);
    assertRpcError(second, 404, SESSION_NOT_FOUND);

    assertRpcError(await session.send(ping(2)), 404, SESSION_NOT_FOUND);
    const call = await session.request('tools/call', { name: 'list_standards', arguments: {} });
    assertRpcError(call, 404, SESSION_NOT_FOUND);
  });

  test('DELETE of a session never used after initialize answers 204, then requests answer 404', async () => {
    const session = await openSession(tokenA);
    const res = await deleteSession(tokenA, session.sessionId);
    assert.equal(res.status, 204, res.text);
    assertRpcError(await session.send(ping()), 404, SESSION_NOT_FOUND);
  });

  test("DELETE with token B of token A's session answers 404 and leaves it working", async () => {
    const session = await openSession(tokenA);
    assertRpcError(await deleteSession(tokenB, session.sessionId), 404, SESSION_NOT_FOUND);
    const res = await session.send(ping());
    assert.equal(res.status, 200, res.text);
  });

  test('DELETE with a forged session id answers 404', async () => {
    const session = await openSession(tokenA);
    assertRpcError(await deleteSession(tokenA, forge(session.sessionId)), 404, SESSION_NOT_FOUND);
    assert.equal((await session.send(ping())).status, 200);
  });

  test('ending one session leaves another session of the same token working', async () => {
    const one = await openSession(tokenA);
    const two = await openSession(tokenA);
    assert.equal((await deleteSession(tokenA, one.sessionId)).status, 204);
    const res = await two.send(ping());
    assert.equal(res.status, 200, res.text);
  });
});
