// A node whose PostgreSQL is behind PgBouncer in transaction mode (Debian's PgBouncer 1.18), as
// a fleet deploys it: Asgard keeps no session state in its connections, so MCP (tools, sessions,
// secrets, keys) and the gateway (calls, their rows and spend) work through a pool of two server
// connections shared by every pool thread. PgBouncer 1.18 refuses startup `options`, which carry
// Asgard's statement and lock deadlines by default: the URL's empty `options=` turns them off
// (README: set them on the role instead), and a URL without it gets a clear 503, not a hang.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import { CHAT_PATH, chatBody, eventually, gatewayCallRows } from './gateway_helpers.js';
import { env, GOOD_HEADERS, LATEST_VERSION, newUserToken } from './helpers.js';
import { startNode } from './nginx_node.js';

const freePort = () => Number(execFileSync(join(env.root, 'scripts', 'free-port'), { encoding: 'utf8' }).trim());

/** Starts PgBouncer (transaction pooling, 2 server connections) in front of the stack's PostgreSQL. */
async function startPgBouncer() {
  assert.ok(existsSync('/usr/sbin/pgbouncer'), 'PgBouncer is not installed (scripts/deps installs Debian\'s pgbouncer)');
  const base = join(process.env.ASGARD_STATE_DIR, 'pgbouncer');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, 'pool-'));
  chmodSync(dir, 0o777); // PgBouncer refuses to run as root: it runs as nobody and writes here
  const port = freePort();
  writeFileSync(join(dir, 'userlist.txt'), '"asgard" ""\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    `asgard = host=127.0.0.1 port=${env.pgPort} dbname=asgard`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${dir}/userlist.txt`,
    'pool_mode = transaction',
    'default_pool_size = 2',
    'max_client_conn = 200',
    `logfile = ${dir}/pgbouncer.log`,
    `pidfile = ${dir}/pgbouncer.pid`,
    '',
  ].join('\n'));
  execFileSync('/usr/sbin/pgbouncer', ['-d', '-u', 'nobody', join(dir, 'pgbouncer.ini')], { stdio: 'pipe' });
  const pidFile = join(dir, 'pgbouncer.pid');
  await eventually(() => existsSync(pidFile), { what: 'PgBouncer to write its pid file' });
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    port,
    log: () => readFileSync(join(dir, 'pgbouncer.log'), 'utf8'),
    async stop() {
      try { process.kill(pid, 'SIGTERM'); } catch { return; }
      for (let i = 0; i < 100; i++) {
        try { process.kill(pid, 0); } catch { return; }
        await delay(50);
      }
      process.kill(pid, 'SIGKILL');
    },
  };
}

const viaPool = (port, query) => [[/asgard_database "[^"]*";/, `asgard_database "postgresql://asgard@127.0.0.1:${port}/asgard${query}";`]];

async function mcp(url, token, message, sessionId) {
  const headers = { ...GOOD_HEADERS, authorization: `Bearer ${token}` };
  if (sessionId) Object.assign(headers, { 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_VERSION });
  const res = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify(message) });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), text, json };
}

async function openSession(url, token) {
  const init = await mcp(url, token, {
    jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: LATEST_VERSION, capabilities: {}, clientInfo: { name: 'pgbouncer-test', version: '1' } },
  });
  assert.equal(init.status, 200, init.text);
  const sid = init.sessionId;
  assert.equal((await mcp(url, token, { jsonrpc: '2.0', method: 'notifications/initialized' }, sid)).status, 202);
  let id = 1;
  return {
    sid,
    async call(name, args = {}) {
      const res = await mcp(url, token, { jsonrpc: '2.0', id: id++, method: 'tools/call', params: { name, arguments: args } }, sid);
      assert.equal(res.status, 200, `${name}: ${res.text}`);
      assert.equal(res.json.result.isError, false, `${name}: ${res.text}`);
      return res.json.result.structuredContent;
    },
  };
}

describe('a node behind PgBouncer in transaction mode', () => {
  let pool;
  let node;

  before(async () => {
    pool = await startPgBouncer();
    node = await startNode({ replace: viaPool(pool.port, '?options=') });
  });

  after(async () => {
    await node?.stop();
    await pool?.stop();
  });

  test('MCP through the pool: tools, a secret, a key, ending a session; concurrent calls share two server connections', async () => {
    const { token } = newUserToken('e2e-pgbouncer');
    const s = await openSession(node.url, token);
    assert.equal((await s.call('whoami')).credential.kind, 'user_token');
    const project = (await s.call('register_project', { name: 'through pgbouncer', description: 'transaction pooling' })).project.project_id;
    assert.equal((await s.call('request_resource', { project_id: project, service: 'secret', params: { name: 'POOLED' } })).resource.state, 'ready');
    assert.equal((await s.call('get_secret', { project_id: project, name: 'POOLED' })).value.length > 0, true);

    // More concurrent tool calls than PgBouncer has server connections (2) or the node pool threads (4).
    const sessions = await Promise.all([1, 2, 3, 4].map(() => openSession(node.url, token)));
    const listed = await Promise.all(sessions.flatMap((x) => [1, 2, 3, 4, 5, 6].map(() => x.call('list_projects'))));
    for (const l of listed) assert.ok(l.projects.some((p) => p.project_id === project));

    const ended = await fetch(`${node.url}/mcp`, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'mcp-session-id': s.sid } });
    assert.equal(ended.status, 204);
    const after = await mcp(node.url, token, { jsonrpc: '2.0', id: 99, method: 'ping' }, s.sid);
    assert.equal(after.status, 404, `an ended session is refused: ${after.text}`);
  });

  test('the gateway through the pool: calls are answered, and their rows and spend are written', async () => {
    const { token } = newUserToken('e2e-pgbouncer-gw');
    const s = await openSession(node.url, token);
    const project = (await s.call('register_project', { name: 'gateway through pgbouncer', description: 'x' })).project.project_id;
    const { key } = await s.call('gateway_credential', { project_id: project });
    const ids = [];
    const answers = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((i) => fetch(`${node.url}${CHAT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(chatBody(`pooled call ${i}`)),
    })));
    for (const res of answers) {
      assert.equal(res.status, 200, await res.text());
      ids.push(res.headers.get('x-asgard-request-id'));
    }
    await eventually(() => {
      const rows = gatewayCallRows(project).map((r) => r.request_id);
      return ids.every((id) => rows.includes(id));
    }, { timeoutMs: 10_000, what: 'the 8 call rows written through PgBouncer' });
  });
});

test('through PgBouncer 1.18 without options= in the URL, calls get a clear 503 (it refuses startup options), not a hang', async () => {
  const pool = await startPgBouncer();
  const node = await startNode({ replace: viaPool(pool.port, '') });
  try {
    const { token } = newUserToken('e2e-pgbouncer-options');
    const started = Date.now();
    const res = await mcp(node.url, token, {
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: LATEST_VERSION, capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    assert.equal(res.status, 503, res.text);
    assert.ok(Date.now() - started < 10_000, `answered in ${Date.now() - started} ms`);
    await eventually(() => /unsupported startup parameter: options/.test(pool.log()),
      { what: 'PgBouncer to log why it refused the connection' });
  } finally {
    await node.stop();
    await pool.stop();
  }
});
