// The failed-authentication limiter (asgard_auth_failure_limit): past N failed authentications
// from one client address in a window, token look-ups from it get 429 + Retry-After before
// PostgreSQL is asked; tokens PostgreSQL found valid on the node still pass; "off" disables it.
// Each test runs on its own nginx node (a small limit) and from its own loopback address.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { assertErrorLogClean, craftToken, initializeMessage, newUserToken, psql } from './helpers.js';
import { CHAT_PATH, MODELS_PATH, chatBody, eventually, newGatewayProject } from './gateway_helpers.js';
import { startNode } from './nginx_node.js';

const FAILURES = 5;
const WINDOW_MS = 3000;   // a loaded machine still sends the failures well inside it
const LIMIT = /asgard_auth_failure_limit [^;]*;/;
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

after(assertErrorLogClean);

let limited;   // failures=5 window=2s, a 100 ms token cache (a valid token soon needs a look-up again)
let unlimited; // asgard_auth_failure_limit off

before(async () => {
  limited = await startNode({
    replace: [
      [LIMIT, `asgard_auth_failure_limit zone=asgard_auth_failures:1m failures=${FAILURES} window=${WINDOW_MS}ms;`],
      [/asgard_token_cache zone=(\S+) ttl=\S+;/, 'asgard_token_cache zone=$1 ttl=100ms;'],
    ],
  });
  unlimited = await startNode({ replace: [[LIMIT, 'asgard_auth_failure_limit off;']] });
});

after(async () => {
  for (const node of [limited, unlimited]) {
    if (!node) continue;
    const log = node.errorLogText();
    await node.stop();
    assert.doesNotMatch(log, /\[(alert|crit|emerg)\]|exited on signal/, 'the node\'s error log is clean');
  }
});

let nextAddress = 2 + Math.floor(Math.random() * 200);
/** A loopback source address no other test of this file uses (127.0.0.2 ...). */
const freshAddress = () => `127.0.0.${nextAddress++ % 254 + 1}`;

/** An HTTP request to a node from the given source address: { status, headers, text, json }. */
function send(node, { from, method = 'POST', path = '/mcp', token, body, headers = {} }) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (payload !== undefined) h['content-length'] = Buffer.byteLength(payload);
    const req = http.request(`${node.url}${path}`, { method, headers: h, localAddress: from, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const mcp = (node, from, token) => send(node, { from, token, body: initializeMessage(), headers: MCP_HEADERS });
const gatewayChat = (node, from, token) =>
  send(node, { from, path: CHAT_PATH, token, body: chatBody('hi'), headers: { 'content-type': 'application/json' } });

/** PostgreSQL token look-ups so far (pg_stat_statements counts the look-up's query). */
function lookups() {
  assert.equal(psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"), '1',
    'the stack loads pg_stat_statements (scripts/stack)');
  return Number(psql("SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%FROM tokens t LEFT JOIN users%'"));
}

/** Sends FAILURES made-up tokens (each one a look-up) from an address: each is a 401. */
async function failLimit(node, from, request = mcp, prefix = 'asg_pat_') {
  for (let i = 0; i < FAILURES; i++) {
    const res = await request(node, from, craftToken(prefix));
    assert.equal(res.status, 401, `failure ${i + 1} of ${FAILURES} is a 401: ${res.text}`);
  }
}

function assertRetryAfter(res) {
  const retryAfter = Number(res.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_MS / 1000,
    `Retry-After is the seconds left in the window (1..${WINDOW_MS / 1000}): ${res.headers['retry-after']}`);
}

/**
 * Sends a valid token's request until one of them was looked up in PostgreSQL (past the node's
 * 100 ms token cache), well inside the window: every answer must be a 200.
 */
async function untilLookedUp(request) {
  const deadline = Date.now() + WINDOW_MS / 2;
  for (;;) {
    const start = lookups();
    const res = await request();
    assert.equal(res.status, 200, `a token PostgreSQL found valid is never throttled: ${res.text}`);
    if (lookups() > start) return res;
    assert.ok(Date.now() < deadline, 'the valid token was never looked up again');
    await delay(50);
  }
}

describe('the failed-authentication limiter', () => {
  test('past the limit, made-up tokens get 429 with Retry-After on /mcp and PostgreSQL is not asked', async () => {
    const from = freshAddress();
    const start = lookups();
    await failLimit(limited, from);
    assert.equal(lookups() - start, FAILURES, 'each failure under the limit was one look-up');

    const throttled = lookups();
    for (let i = 0; i < 10; i++) {
      const res = await mcp(limited, from, craftToken());
      assert.equal(res.status, 429, res.text);
      assertRetryAfter(res);
      assert.match(res.headers['content-type'] ?? '', /^application\/json/);
      assert.equal(res.json?.error, 'too_many_failed_authentications', res.text);
      assert.match(res.json.error_description, /retry after \d+ s/);
    }
    assert.equal(lookups() - throttled, 0, 'no look-up for a throttled address');
  });

  test('on /api/gateway/ the 429 has the gateway\'s OpenAI shape', async () => {
    const from = freshAddress();
    await failLimit(limited, from, gatewayChat, 'asg_');
    for (const res of [await gatewayChat(limited, from, craftToken('asg_')),
      await send(limited, { from, method: 'GET', path: MODELS_PATH, token: craftToken('asg_') })]) {
      assert.equal(res.status, 429, res.text);
      assertRetryAfter(res);
      assert.deepEqual(Object.keys(res.json ?? {}), ['error'], res.text);
      assert.equal(res.json.error.code, 'too_many_failed_authentications', res.text);
      assert.equal(res.json.error.type, 'rate_limit_error', res.text);
      assert.match(res.json.error.message, /retry after \d+ s/);
    }
  });

  test('another address is not throttled by this one\'s failures', async () => {
    const from = freshAddress();
    await failLimit(limited, from);
    assert.equal((await mcp(limited, from, craftToken())).status, 429);
    const res = await mcp(limited, freshAddress(), craftToken());
    assert.equal(res.status, 401, res.text);
    assert.equal(res.json?.error, 'unknown_token');
  });

  test('a token PostgreSQL found valid on this node still works from the throttled address, looked up again', async () => {
    const from = freshAddress();
    const { token } = newUserToken('e2e-throttle-valid');
    assert.equal((await mcp(limited, from, token)).status, 200, 'the token works before the failures');
    await failLimit(limited, from);
    assert.equal((await mcp(limited, from, craftToken())).status, 429);
    await untilLookedUp(() => mcp(limited, from, token));
    assert.equal((await mcp(limited, from, craftToken())).status, 429, 'the address was throttled all along');
  });

  test('a project key PostgreSQL found valid still reaches the gateway from the throttled address', async () => {
    const from = freshAddress();
    const p = await newGatewayProject('e2e-throttle-gw');
    await eventually(async () => (await gatewayChat(limited, from, p.key)).status === 200,
      { what: 'the node\'s gateway to answer the key' });
    await failLimit(limited, from, gatewayChat, 'asg_');
    assert.equal((await gatewayChat(limited, from, craftToken('asg_'))).status, 429);
    await untilLookedUp(() => gatewayChat(limited, from, p.key));
    assert.equal((await gatewayChat(limited, from, craftToken('asg_'))).status, 429, 'still throttled');
  });

  test('a valid token this node never saw is refused from a throttled address like any unknown one', async () => {
    // Without a look-up it cannot be told from a made-up one; it works from any other address.
    const from = freshAddress();
    const { token } = newUserToken('e2e-throttle-new');
    await failLimit(limited, from);
    const res = await mcp(limited, from, token);
    assert.equal(res.status, 429, res.text);
    assert.equal((await mcp(limited, freshAddress(), token)).status, 200);
  });

  test('after the window, made-up tokens are looked up again (401)', async () => {
    const from = freshAddress();
    await failLimit(limited, from);
    const throttledAt = Date.now();
    assert.equal((await mcp(limited, from, craftToken())).status, 429);
    const res = await eventually(async () => {
      const r = await mcp(limited, from, craftToken());
      return r.status === 401 ? r : null;
    }, { timeoutMs: WINDOW_MS + 3000, intervalMs: 100, what: 'the window to end' });
    assert.equal(res.json?.error, 'unknown_token', res.text);
    assert.ok(Date.now() - throttledAt <= WINDOW_MS + 1000, `throttled for ${Date.now() - throttledAt} ms`);
  });

  test('broken checksums count as failures (and, costing no look-up, keep their 401)', async () => {
    const from = freshAddress();
    for (let i = 0; i < FAILURES; i++) {
      const token = craftToken();
      const res = await mcp(limited, from, token.slice(0, -1) + (token.at(-1) === 'A' ? 'B' : 'A'));
      assert.equal(res.json?.error, 'bad_checksum', res.text);
    }
    assert.equal((await mcp(limited, from, craftToken())).status, 429);
  });

  test('a request without a token is not a failure', async () => {
    const from = freshAddress();
    for (let i = 0; i < FAILURES * 2; i++) {
      assert.equal((await mcp(limited, from, null)).status, 401);
    }
    const res = await mcp(limited, from, craftToken());
    assert.equal(res.status, 401, res.text);
  });

  test('without the directive the module limits anyway: 20 failures in 60 s', async () => {
    const node = await startNode({ replace: [[LIMIT, '']] });
    try {
      const from = freshAddress();
      for (let i = 0; i < 20; i++) {
        const res = await mcp(node, from, craftToken());
        assert.equal(res.status, 401, `failure ${i + 1} of 20: ${res.text}`);
      }
      const res = await mcp(node, from, craftToken());
      assert.equal(res.status, 429, res.text);
      const retryAfter = Number(res.headers['retry-after']);
      assert.ok(retryAfter > 50 && retryAfter <= 60, `Retry-After within the 60 s window: ${retryAfter}`);
    } finally {
      const log = node.errorLogText();
      await node.stop();
      assert.doesNotMatch(log, /\[(alert|crit|emerg)\]|exited on signal/);
    }
  });

  test('one zone named again with other parameters fails nginx -t with a clear message', async () => {
    await assert.rejects(startNode({
      replace: [[/location = \/mcp \{/, 'location = /mcp {\n            asgard_auth_failure_limit zone=asgard_auth_failures:1m failures=3 window=60s;']],
    }), /zone "asgard_auth_failures" is already declared with other parameters/);
  });

  test('asgard_auth_failure_limit off: every made-up token is looked up and answered 401', async () => {
    const from = freshAddress();
    const start = lookups();
    for (let i = 0; i < FAILURES * 3; i++) {
      const res = await mcp(unlimited, from, craftToken());
      assert.equal(res.status, 401, res.text);
    }
    assert.equal(lookups() - start, FAILURES * 3);
  });
});
