// The caps on one /mcp exchange (and one `asgard mcp` line): a 2025-03-26 batch longer than
// asgard_mcp_max_batch is refused whole with -32600, and an answer stops growing at
// asgard_mcp_max_response_size: the request whose answer passes it and every request after it get
// an error naming the setting instead of a result. The same caps apply over stdio from the config
// file's mcp_max_batch and mcp_max_response_size.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { configFile } from './control_helpers.js';
import { addUser, assertErrorLogClean, assertRpcError, env, INVALID_REQUEST, newUserToken, openSession, SERVER_ERROR } from './helpers.js';
import { startNode } from './nginx_node.js';

after(assertErrorLogClean);

const ping = (id) => ({ jsonrpc: '2.0', id, method: 'ping' });
const getStandards = (id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'get_standards', arguments: {} } });

let token;
before(() => {
  ({ token } = newUserToken('e2e-mcp-limits'));
});

describe('asgard_mcp_max_batch (default 100)', () => {
  let session;
  before(async () => {
    session = await openSession(token, { protocolVersion: '2025-03-26' });
  });

  test('a batch of 100 messages is answered', async () => {
    const res = await session.send(Array.from({ length: 100 }, (_, i) => ping(i + 1)));
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.equal(res.json.length, 100);
  });

  test('a batch of 101 messages is refused whole with 400 -32600 naming the setting, and none of it runs', async () => {
    const batch = Array.from({ length: 100 }, (_, i) => ping(i + 1));
    batch.push({ jsonrpc: '2.0', id: 'register', method: 'tools/call', params: { name: 'register_project', arguments: { name: 'must not exist', description: 'refused with its batch' } } });
    const res = await session.send(batch);
    assertRpcError(res, 400, INVALID_REQUEST, null);
    assert.match(res.json.error.message, /batch of 101 messages is over asgard_mcp_max_batch \(100\)/);
    const mine = await session.call('list_projects', {});
    assert.ok(!JSON.stringify(mine).includes('must not exist'), 'no message of the refused batch ran');
  });

  test('the 8,000-call get_standards batch (880 KB in) is refused at once with a small answer', async () => {
    const body = JSON.stringify(Array.from({ length: 8000 }, (_, i) => getStandards(i + 1)));
    assert.ok(body.length < 1024 * 1024, `the batch fits asgard_max_body_size: ${body.length}`);
    const res = await session.send(body);
    assertRpcError(res, 400, INVALID_REQUEST, null);
    assert.match(res.json.error.message, /8000 messages/);
    assert.ok(res.text.length < 1024, `a small answer: ${res.text.length} bytes`);
  });
});

describe('asgard_mcp_max_response_size and asgard_mcp_max_batch set in the location', () => {
  let node;
  let session;
  before(async () => {
    node = await startNode({
      replace: [[/asgard_mcp;/, 'asgard_mcp;\n            asgard_mcp_max_batch 6;\n            asgard_mcp_max_response_size 64k;']],
    });
    // Sessions are signed: one opened on the stack's node is good on this one too.
    const opened = await openSession(token, { protocolVersion: '2025-03-26' });
    session = {
      send: (body) => fetch(`${node.url}/mcp`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          Authorization: `Bearer ${token}`,
          'Mcp-Session-Id': opened.sessionId,
          'MCP-Protocol-Version': '2025-03-26',
        },
        body: JSON.stringify(body),
      }).then(async (r) => {
        const text = await r.text();
        let json = null;
        try { json = JSON.parse(text); } catch { json = null; }
        return { status: r.status, text, json, headers: r.headers };
      }),
    };
  });
  after(async () => {
    if (node) {
      const log = node.errorLogText();
      await node.stop();
      assert.doesNotMatch(log, /\[(alert|crit|emerg)\]|exited on signal/, log);
    }
  });

  test('a batch of 7 is refused with -32600 naming asgard_mcp_max_batch (6)', async () => {
    const res = await session.send(Array.from({ length: 7 }, (_, i) => ping(i + 1)));
    assertRpcError(res, 400, INVALID_REQUEST, null);
    assert.match(res.json.error.message, /asgard_mcp_max_batch \(6\)/);
  });

  test('the answer stops at 64k: results while they fit, then an error for the call that passed it and each call after it', async () => {
    const single = await session.send(getStandards('one'));
    assert.equal(single.status, 200, single.text.slice(0, 300));
    assert.ok(single.json.result, 'one get_standards answer fits 64k');
    const each = single.text.length;
    const fit = Math.floor((64 * 1024 - 2) / (each + 1));
    assert.ok(fit >= 1 && fit < 5, `one answer is ${each} bytes: between 1 and 4 fit in 64k`);

    const res = await session.send([...Array.from({ length: 6 }, (_, i) => getStandards(i + 1))]);
    assert.equal(res.status, 200, res.text.slice(0, 300));
    assert.ok(res.text.length <= 64 * 1024 + 6 * 512, `the answer stays near the cap: ${res.text.length} bytes`);
    assert.deepEqual(res.json.map((r) => r.id), [1, 2, 3, 4, 5, 6], 'one answer per request, in order');
    for (const [i, answer] of res.json.entries()) {
      if (i < fit) {
        assert.ok(answer.result, `call ${i + 1} fits: ${JSON.stringify(answer).slice(0, 200)}`);
        continue;
      }
      assert.equal(answer.error?.code, SERVER_ERROR, JSON.stringify(answer));
      assert.match(answer.error.message, /asgard_mcp_max_response_size \(65536 bytes\)/);
      assert.match(answer.error.message, /send fewer calls per batch/);
      assert.match(answer.error.message, i === fit ? /the request ran but its result is left out/ : /not run/);
    }
  });
});

describe('asgard mcp: mcp_max_batch and mcp_max_response_size in the config file', () => {
  let config;
  let localUser; // asgard mcp runs as an existing user (it never creates one)
  before(() => {
    localUser = addUser('e2e-mcp-limits-local', { admin: true });
    const dir = mkdtempSync(join(tmpdir(), 'asgard-mcp-limits-'));
    config = join(dir, 'asgard.conf');
    writeFileSync(config, `${readFileSync(configFile(), 'utf8')}\nmcp_max_batch = 3\nmcp_max_response_size = 1k\n`);
  });

  /** Writes lines to a fresh `asgard mcp` and resolves with the first n lines it answers. */
  function exchange(input, n) {
    const e = { ...process.env, ASGARD_CONFIG: config, ASGARD_USER: localUser };
    delete e.ASGARD_PROJECT;
    const child = spawn(env.bin, ['mcp'], { env: e, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    return new Promise((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        const lines = out.split('\n').slice(0, -1);
        if (lines.length >= n) {
          child.stdin.end();
          resolve(lines.slice(0, n).map((l) => JSON.parse(l)));
        }
      });
      child.on('exit', (code) => reject(new Error(`asgard mcp exited (${code}) before ${n} lines: ${err}`)));
      child.stdin.write(input.map((m) => `${typeof m === 'string' ? m : JSON.stringify(m)}\n`).join(''));
    });
  }

  test('a batch of 4 is refused naming mcp_max_batch (3); a batch of 3 is answered', async () => {
    const [refused, answered] = await exchange([
      [ping(1), ping(2), ping(3), ping(4)],
      [ping(5), ping(6), ping(7)],
    ], 2);
    assert.equal(refused.error?.code, INVALID_REQUEST, JSON.stringify(refused));
    assert.equal(refused.id, null);
    assert.match(refused.error.message, /mcp_max_batch \(3\)/);
    assert.deepEqual(answered.map((r) => r.id), [5, 6, 7]);
  });

  test('tools/list over a 1k answer cap is an error with its id naming mcp_max_response_size', async () => {
    const [answer] = await exchange([{ jsonrpc: '2.0', id: 'list', method: 'tools/list' }], 1);
    assert.equal(answer.id, 'list');
    assert.equal(answer.error?.code, SERVER_ERROR, JSON.stringify(answer));
    assert.match(answer.error.message, /mcp_max_response_size \(1024 bytes\)/);
  });

  test('a bad value is refused when the config file is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asgard-mcp-limits-'));
    const bad = join(dir, 'asgard.conf');
    writeFileSync(bad, `${readFileSync(configFile(), 'utf8')}\nmcp_max_batch = 0\n`);
    const child = spawn(env.bin, ['mcp'], { env: { ...process.env, ASGARD_CONFIG: bad }, stdio: ['pipe', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.stdin.end();
    return new Promise((resolve) => child.on('exit', (code) => {
      assert.notEqual(code, 0);
      assert.match(err, /mcp_max_batch must be a positive number/);
      resolve();
    }));
  });
});
