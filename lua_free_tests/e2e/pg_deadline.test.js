// PostgreSQL has a deadline: a statement waiting on a lock, or a server that stops answering, makes
// the call answer 503 with a clear JSON-RPC error within asgard_io_timeout (+ a margin), never
// hangs; other requests go on meanwhile; the call works again once the database does; and a worker
// whose pool threads are stuck in a query still exits in bounded time. A node of its own, with
// asgard_io_timeout 2s, reaches PostgreSQL through a TCP relay the test can freeze (a hung server).
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { env, GOOD_HEADERS, initializeMessage, newUserToken, psqlSession, rpcId } from './helpers.js';
import { startNode } from './nginx_node.js';

const IO_TIMEOUT_MS = 2000;
const MARGIN_MS = 1000;          // the glue's margin over asgard_io_timeout
const SLACK_MS = 1500;           // a loaded test machine
const GLUE_LATE = /did not answer within asgard_io_timeout/;
const CORE_LATE = /did not answer in time/;

/** A TCP relay to PostgreSQL that can be frozen: bytes stop moving both ways, new connections
 * are accepted and left waiting, as with a server that hangs. */
async function startRelay(targetPort) {
  let frozen = false;
  const pairs = new Set();
  const waiting = [];
  const pipe = (client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = { client, upstream, held: [[], []] };
    pairs.add(pair);
    const forward = (from, to, held) => from.on('data', (chunk) => (frozen ? held.push(chunk) : to.write(chunk)));
    forward(client, upstream, pair.held[0]);
    forward(upstream, client, pair.held[1]);
    const end = () => { client.destroy(); upstream.destroy(); pairs.delete(pair); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  };
  const server = net.createServer((client) => {
    if (frozen) {
      waiting.push(client);
      client.on('error', () => {});
    } else {
      pipe(client);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    freeze() { frozen = true; },
    thaw() {
      frozen = false;
      for (const { client, upstream, held } of pairs) {
        for (const chunk of held[0].splice(0)) upstream.write(chunk);
        for (const chunk of held[1].splice(0)) client.write(chunk);
      }
      for (const client of waiting.splice(0)) if (!client.destroyed) pipe(client);
    },
    close() {
      for (const { client, upstream } of pairs) { client.destroy(); upstream.destroy(); }
      for (const client of waiting) client.destroy();
      server.close();
    },
  };
}

async function postTo(url, body, { token, sessionId, protocolVersion } = {}) {
  const headers = { ...GOOD_HEADERS, Authorization: `Bearer ${token}` };
  if (sessionId) headers['Mcp-Session-Id'] = sessionId;
  if (protocolVersion) headers['MCP-Protocol-Version'] = protocolVersion;
  const started = Date.now();
  const res = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: res.status, headers: res.headers, text, json, ms: Date.now() - started, at: Date.now() };
}

async function openNodeSession(url, token) {
  const init = await postTo(url, initializeMessage(), { token });
  assert.equal(init.status, 200, `initialize answered ${init.status}: ${init.text}`);
  const session = {
    sessionId: init.headers.get('mcp-session-id'),
    protocolVersion: init.json.result.protocolVersion,
    request(method, params) {
      return postTo(url, { jsonrpc: '2.0', id: rpcId(), method, params },
        { token, sessionId: session.sessionId, protocolVersion: session.protocolVersion });
    },
    call(name, args = {}) { return session.request('tools/call', { name, arguments: args }); },
  };
  const initialized = await postTo(url, { jsonrpc: '2.0', method: 'notifications/initialized' },
    { token, sessionId: session.sessionId, protocolVersion: session.protocolVersion });
  assert.equal(initialized.status, 202, initialized.text);
  return session;
}

function assertLate(res, what) {
  assert.equal(res.status, 503, `${what}: expected 503, got ${res.status}: ${res.text}`);
  assert.equal(res.json?.jsonrpc, '2.0', `${what}: a JSON-RPC error body: ${res.text}`);
  assert.equal(res.json.error.code, -32000, `${what}: ${res.text}`);
  assert.match(res.json.error.message, /^Service Unavailable: Asgard's database did not answer/);
  assert.ok(res.ms < IO_TIMEOUT_MS + MARGIN_MS + SLACK_MS, `${what} took ${res.ms} ms`);
}

async function untilOk(session, name) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await session.call(name);
    if (res.status === 200 && res.json?.result && !res.json.result.isError) return res;
    assert.ok(Date.now() < deadline, `${name} never worked again: ${res.status} ${res.text}`);
    await delay(100);
  }
}

describe('PostgreSQL deadlines (asgard_io_timeout 2s)', () => {
  let relay;
  let node;
  let token;
  let session;
  const psqls = [];

  before(async () => {
    relay = await startRelay(Number(env.pgPort));
    node = await startNode({
      replace: [
        [/(asgard_database "postgresql:\/\/asgard@127\.0\.0\.1:)\d+(\/asgard";)/, `$1${relay.port}$2`],
      ],
      http: { asgard_io_timeout: `${IO_TIMEOUT_MS / 1000}s` },
    });
    ({ token } = newUserToken('e2e-pg-deadline'));
    session = await openNodeSession(node.url, token);
    const first = await session.call('list_projects');
    assert.equal(first.status, 200, first.text);
  });

  after(async () => {
    for (const p of psqls) await p.end().catch(() => {});
    relay?.thaw();
    await node?.stop();
    relay?.close();
    if (node) {
      const bad = node.errorLogText().split('\n').filter((l) => /\[(alert|crit|emerg)\]|exited on signal/.test(l));
      assert.deepEqual(bad, [], `the node's error log (${node.errorLog}) has alert/crit lines`);
    }
  });

  it('a call that waits on a lock answers 503 in time while other calls go on, and works once the lock is gone', { timeout: 30_000 }, async () => {
    const locker = psqlSession();
    psqls.push(locker);
    locker.send("BEGIN; LOCK TABLE projects IN ACCESS EXCLUSIVE MODE; SELECT 'locked';");
    await locker.waitFor(/locked/);

    const blocked = session.call('list_projects');
    await delay(100);
    const other = await session.call('list_services');
    const listed = await session.request('tools/list', {});
    const late = await blocked;

    assert.equal(other.status, 200, other.text);
    assert.ok(other.json.result && !other.json.result.isError, other.text);
    assert.equal(listed.status, 200, listed.text);
    assert.ok(other.at <= late.at, 'list_services was answered while list_projects still waited on its lock');
    assertLate(late, 'list_projects under a lock');
    assert.match(late.json.error.message, CORE_LATE);

    locker.send('ROLLBACK;');
    await locker.end();
    const again = await untilOk(session, 'list_projects');
    assert.equal(again.status, 200);
  });

  it('a server that stops answering costs a 503 in time (queued calls too), not a hung request; then it works again', { timeout: 30_000 }, async () => {
    await untilOk(session, 'list_projects');
    relay.freeze();
    try {
      const calls = Array.from({ length: 8 }, () => session.call('list_projects'));
      await delay(100);
      const listed = await session.request('tools/list', {});
      assert.equal(listed.status, 200, `tools/list needs no database: ${listed.text}`);
      assert.ok(listed.ms < 1000, `tools/list took ${listed.ms} ms`);
      const answers = await Promise.all(calls);
      answers.forEach((res, i) => assertLate(res, `call ${i} to a hung server`));
      // Four pool threads: some calls waited in the queue behind the stuck ones, and the
      // request's own deadline answered them while their tasks were still to come back.
      assert.ok(answers.some((res) => GLUE_LATE.test(res.json.error.message)),
        `no call was answered by the request's deadline: ${answers.map((a) => a.json.error.message).join(' | ')}`);
    } finally {
      relay.thaw();
    }
    await untilOk(session, 'list_projects');
  });

  it('a provisioning call streaming its progress when the server stops answering ends its stream with the 503 error in time', { timeout: 30_000 }, async () => {
    await untilOk(session, 'list_projects');
    const registered = await session.call('register_project', { name: 'progress under a hung server', description: 'deadline mid-stream' });
    const projectId = registered.json.result.structuredContent.project.project_id;
    // The call stops at its last step (the secrets table is held); then the server hangs under it.
    const locker = psqlSession();
    psqls.push(locker);
    locker.send("BEGIN; LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE; SELECT 'locked';");
    await locker.waitFor(/locked/);
    const started = Date.now();
    const res = await fetch(`${node.url}/mcp`, { method: 'POST',
      headers: { ...GOOD_HEADERS, Authorization: `Bearer ${token}`, 'Mcp-Session-Id': session.sessionId, 'MCP-Protocol-Version': session.protocolVersion },
      body: JSON.stringify({ jsonrpc: '2.0', id: 77, method: 'tools/call', params: {
        name: 'request_resource', arguments: { project_id: projectId, service: 'postgres-database' }, _meta: { progressToken: 'hung' } } }) });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let frozeAt = 0;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (!frozeAt && /recording its outputs and secrets/.test(text)) {
          relay.freeze();
          frozeAt = Date.now();
          locker.send('ROLLBACK;');
        }
      }
    } finally {
      relay.thaw();
      await locker.end();
    }
    assert.ok(frozeAt, `the recording step was streamed: ${text}`);
    const events = text.split('\n\n').filter((e) => e.trim()).map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: ')).slice(6)));
    const answer = events.at(-1);
    assert.equal(answer.id, 77, text);
    assert.equal(answer.error.code, -32000, text);
    assert.match(answer.error.message, /^Service Unavailable: Asgard's database (did not answer|cannot be reached)/);
    const ms = Date.now() - frozeAt;
    assert.ok(ms < IO_TIMEOUT_MS + MARGIN_MS + SLACK_MS, `the stream ended ${ms} ms after the server hung (${Date.now() - started} ms in all)`);
    await untilOk(session, 'list_projects');
  });

  it('a worker whose pool threads are stuck in a query exits in bounded time, answering its requests first', { timeout: 30_000 }, async () => {
    await untilOk(session, 'list_projects');
    relay.freeze();
    const calls = Array.from({ length: 3 }, () => session.call('list_projects'));
    await delay(200);
    const started = Date.now();
    process.kill(node.pid, 'SIGQUIT');
    const answers = await Promise.all(calls);
    answers.forEach((res, i) => assertLate(res, `call ${i} during shutdown`));
    const alive = () => { try { process.kill(node.pid, 0); return true; } catch { return false; } };
    const bound = 15_000;
    while (alive() && Date.now() - started < bound) await delay(50);
    const took = Date.now() - started;
    assert.ok(!alive(), `nginx was still running ${took} ms after SIGQUIT with PostgreSQL hung`);
    console.log(`# worker exit with PostgreSQL hung took ${took} ms`);
    relay.thaw();
  });
});
