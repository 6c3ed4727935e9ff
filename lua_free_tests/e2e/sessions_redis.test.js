// Ended MCP sessions stay ended whatever happens to Redis, and Redis being down makes MCP slower,
// never down: PostgreSQL holds the endings (mcp_ended_sessions), Redis mirrors them and each node
// caches "live" for at most half a second. Two nginx nodes on the same PostgreSQL and Redis; Redis
// is stopped, restarted (it keeps nothing: save "") and flushed. This file always leaves the
// stack's Redis running and answering.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { eventually, stateDir } from './gateway_helpers.js';
import {
  assertErrorLogClean,
  assertRpcError,
  GOOD_HEADERS,
  initializeMessage,
  LATEST_VERSION,
  newUserToken,
  psql,
  SESSION_NOT_FOUND,
  env,
} from './helpers.js';
import { startNode } from './nginx_node.js';

const MIRROR = 'asgard:{mcp-sessions}:ended';
const haveRedis = Boolean(process.env.ASGARD_REDIS);

function redisCli(args) {
  const [host, port] = (process.env.ASGARD_REDIS ?? '').split(':');
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}
const redisUp = () => {
  try { return redisCli(['PING']) === 'PONG'; } catch { return false; }
};
async function stopRedis() {
  try { redisCli(['SHUTDOWN', 'NOSAVE']); } catch { /* the connection closes as it stops */ }
  await eventually(() => !redisUp(), { what: 'Redis to stop' });
}
async function startRedis() {
  if (redisUp()) return;
  execFileSync('redis-server', [join(stateDir(), 'redis', 'redis.conf')], { stdio: 'ignore' });
  await eventually(redisUp, { timeoutMs: 10_000, what: 'Redis to answer PING' });
}

// Raw MCP over HTTP against one node.
async function mcp(base, method, { token, sessionId, body } = {}) {
  const headers = { ...GOOD_HEADERS, Authorization: `Bearer ${token}` };
  if (sessionId) {
    headers['Mcp-Session-Id'] = sessionId;
    headers['MCP-Protocol-Version'] = LATEST_VERSION;
  }
  const res = await fetch(`${base}/mcp`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, text, json };
}
let id = 1;
const rpc = (method, params) => ({ jsonrpc: '2.0', id: id++, method, ...(params ? { params } : {}) });
/** initialize + notifications/initialized on one node; returns the session id. */
async function open(base, token) {
  const res = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { ...GOOD_HEADERS, Authorization: `Bearer ${token}` },
    body: JSON.stringify(initializeMessage()),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const sessionId = res.headers.get('mcp-session-id');
  assert.ok(sessionId, 'initialize returns an Mcp-Session-Id');
  const done = await mcp(base, 'POST', { token, sessionId, body: { jsonrpc: '2.0', method: 'notifications/initialized' } });
  assert.equal(done.status, 202, done.text);
  return sessionId;
}
const ping = (base, token, sessionId) => mcp(base, 'POST', { token, sessionId, body: rpc('ping') });
// A call that needs PostgreSQL only (the standards live there).
const listStandards = (base, token, sessionId) =>
  mcp(base, 'POST', { token, sessionId, body: rpc('tools/call', { name: 'list_standards', arguments: {} }) });
const end = (base, token, sessionId) => mcp(base, 'DELETE', { token, sessionId });

const mirrorField = (sessionId) => createHash('sha256').update(`asgard/mcp-session/${sessionId}`).digest('hex');
const pgGeneration = () => Number(psql('SELECT generation FROM mcp_session_end_count'));

let token;
let nodeB;
const A = env.url;

before(async () => {
  ({ token } = newUserToken('e2e-sessions-redis'));
  nodeB = await startNode();
});

after(async () => {
  await startRedis();
  // Leave MCP answering through Redis again for the files that follow.
  await eventually(async () => (await ping(A, token, await open(A, token))).status === 200,
    { timeoutMs: 10_000, what: 'MCP to answer again' });
  if (nodeB) await nodeB.stop();
});
after(assertErrorLogClean);

describe('an ended session on two nodes', () => {
  test('DELETE on node A: node B, which had the session cached as live, refuses it within 1 s', async () => {
    const times = [];
    for (let round = 0; round < 5; round++) {
      const sessionId = await open(A, token);
      assert.equal((await ping(nodeB.url, token, sessionId)).status, 200);  // node B caches it live
      assert.equal((await ping(nodeB.url, token, sessionId)).status, 200);
      const ended = await end(A, token, sessionId);
      assert.equal(ended.status, 204, ended.text);
      const t0 = Date.now();
      await eventually(async () => (await ping(nodeB.url, token, sessionId)).status === 404,
        { timeoutMs: 5000, intervalMs: 10, what: 'node B to refuse the ended session' });
      times.push(Date.now() - t0);
      assertRpcError(await listStandards(nodeB.url, token, sessionId), 404, SESSION_NOT_FOUND);
    }
    console.log(`# time to refusal on node B after DELETE on node A (ms): ${times.join(', ')}`);
    assert.ok(Math.max(...times) < 1000, `refused within 1 s on node B: ${times.join(', ')} ms`);
  });

  test('an ending whose Redis write was lost (the mirror one generation behind) is refused on node B', async (t) => {
    if (!haveRedis || !redisUp()) return t.skip('no Redis of this stack ($ASGARD_REDIS)');
    const sessionId = await open(A, token);
    assert.equal((await ping(nodeB.url, token, sessionId)).status, 200);
    assert.equal((await end(A, token, sessionId)).status, 204);
    // As if the DELETE's Redis write had never happened: its field gone, the generation before it.
    redisCli(['HDEL', MIRROR, mirrorField(sessionId)]);
    redisCli(['HSET', MIRROR, 'generation', String(pgGeneration() - 1)]);
    const t0 = Date.now();
    await eventually(async () => (await ping(nodeB.url, token, sessionId)).status === 404,
      { timeoutMs: 5000, intervalMs: 10, what: 'node B to refuse the ended session' });
    const ms = Date.now() - t0;
    console.log(`# time to refusal on node B with the Redis write lost (ms): ${ms}`);
    assert.ok(ms < 1000, `refused within 1 s: ${ms} ms`);
  });
});

describe('Redis stopped, restarted and flushed', () => {
  test('with Redis stopped, calls answer 200 on both nodes, DELETE still ends a session, and it stays ended after Redis is back', async (t) => {
    if (!haveRedis || !redisUp()) return t.skip('no Redis of this stack to stop ($ASGARD_REDIS)');
    const live = await open(A, token);
    const endedBefore = await open(A, token);
    assert.equal((await end(A, token, endedBefore)).status, 204);
    let endedDuring;
    try {
      await stopRedis();
      for (const [base, other] of [[A, nodeB.url], [nodeB.url, A]]) {
        const statuses = [];
        for (let i = 0; i < 8; i++) {  // opened on the other node: the check misses this node's cache
          const sessionId = await open(other, token);
          statuses.push((await listStandards(base, token, sessionId)).status, (await ping(base, token, sessionId)).status);
        }
        assert.deepEqual(statuses, Array(16).fill(200), `${base}: every call answered without Redis`);
        // Node B never saw it: PostgreSQL says it was ended.
        if (base !== A) assertRpcError(await ping(base, token, endedBefore), 404, SESSION_NOT_FOUND);
      }
      endedDuring = await open(A, token);
      assert.equal((await ping(nodeB.url, token, endedDuring)).status, 200);
      const res = await end(A, token, endedDuring);
      assert.equal(res.status, 204, `DELETE without Redis: ${res.text}`);
      assertRpcError(await end(nodeB.url, token, endedDuring), 404, SESSION_NOT_FOUND);  // already ended
      await eventually(async () => (await ping(nodeB.url, token, endedDuring)).status === 404,
        { timeoutMs: 2000, intervalMs: 10, what: 'node B to refuse a session ended while Redis was down' });
    } finally {
      await startRedis();
    }
    // Redis came back empty: nothing it lacks may bring an ended session back, on either node.
    const statuses = [];
    for (const [base, other] of [[nodeB.url, A], [A, nodeB.url]]) {
      for (let i = 0; i < 8; i++) {
        const sessionId = await open(other, token);
        statuses.push((await ping(base, token, sessionId)).status);
      }
    }
    assert.deepEqual(statuses, Array(16).fill(200), 'no 503 once Redis is back (the pool threads reconnect)');
    const nodeC = await startNode();  // a node whose cache never saw any of them
    try {
      for (const sessionId of [endedBefore, endedDuring]) {
        assertRpcError(await ping(nodeC.url, token, sessionId), 404, SESSION_NOT_FOUND);
        assertRpcError(await listStandards(nodeC.url, token, sessionId), 404, SESSION_NOT_FOUND);
      }
      assert.equal((await ping(nodeC.url, token, live)).status, 200);
    } finally {
      await nodeC.stop();
    }
    // The mirror is rebuilt from PostgreSQL: checks go through Redis again.
    await eventually(async () => {
      await ping(A, token, await open(nodeB.url, token));  // a check on node A
      try { return Number(redisCli(['HGET', MIRROR, 'generation'])) === pgGeneration(); } catch { return false; }
    }, { timeoutMs: 5000, what: 'the Redis mirror to be rebuilt' });
    assert.equal(redisCli(['HEXISTS', MIRROR, mirrorField(endedDuring)]), '1');
  });

  test('FLUSHALL: a session ended before stays ended on a node that never cached it', async (t) => {
    if (!haveRedis || !redisUp()) return t.skip('no Redis of this stack to flush ($ASGARD_REDIS)');
    const live = await open(A, token);
    const ended = await open(A, token);
    assert.equal((await end(A, token, ended)).status, 204);
    redisCli(['FLUSHALL']);
    const nodeC = await startNode();
    try {
      assertRpcError(await ping(nodeC.url, token, ended), 404, SESSION_NOT_FOUND);
      assertRpcError(await ping(nodeB.url, token, ended), 404, SESSION_NOT_FOUND);
      assert.equal((await listStandards(nodeC.url, token, live)).status, 200);
      // Flushed again after the rebuild, while node C's cache holds nothing of it either.
      redisCli(['FLUSHALL']);
      const other = await open(nodeC.url, token);
      assert.equal((await end(nodeC.url, token, other)).status, 204);
      redisCli(['FLUSHALL']);
      assertRpcError(await ping(nodeB.url, token, other), 404, SESSION_NOT_FOUND);
    } finally {
      await nodeC.stop();
    }
  });
});

describe('pruning', () => {
  test('every 256th ending prunes expired endings from PostgreSQL and rebuilds the Redis mirror without them', async (t) => {
    if (!haveRedis || !redisUp()) return t.skip('no Redis of this stack ($ASGARD_REDIS)');
    const expiredKey = createHash('sha256').update(`e2e-expired-${Date.now()}-${Math.random()}`).digest('hex');
    psql(`INSERT INTO mcp_ended_sessions (session_key, issued_at) VALUES ('\\x${expiredKey}', now() - interval '30 days')`);
    redisCli(['HSET', MIRROR, expiredKey, '1']);
    // The next ending is number 256·k (the counter only grows, and a mirror behind it is only slower).
    psql('UPDATE mcp_session_end_count SET generation = (generation / 256 + 1) * 256 - 1');
    const sessionId = await open(A, token);
    assert.equal((await end(A, token, sessionId)).status, 204);
    const generation = pgGeneration();
    assert.equal(generation % 256, 0);
    assert.equal(psql(`SELECT count(*) FROM mcp_ended_sessions WHERE session_key = '\\x${expiredKey}'`), '0');
    // Rebuilt by the DELETE (or, if another rebuild held the lock, by the next check that finds it behind).
    await eventually(async () => {
      if (Number(redisCli(['HGET', MIRROR, 'generation'])) === generation) return true;
      await ping(A, token, await open(nodeB.url, token));
      return false;
    }, { timeoutMs: 10_000, what: 'the Redis mirror to be rebuilt' });
    assert.equal(redisCli(['HEXISTS', MIRROR, expiredKey]), '0');
    assert.equal(redisCli(['HEXISTS', MIRROR, mirrorField(sessionId)]), '1');
    assertRpcError(await ping(nodeB.url, token, sessionId), 404, SESSION_NOT_FOUND);
  });
});
