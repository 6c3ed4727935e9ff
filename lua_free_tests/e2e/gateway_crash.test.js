// A crashed worker loses none of the calls it answered: each answered call's row is in the worker's
// spool file (asgard_spool_path) before the row waits for the next flush, and a worker that finds a
// dead worker's spool (its lock free) replays it into gateway_calls and spend_daily, each request id
// at most once. A torn last record (a machine crash mid-write) is skipped with a log line and the
// rest replayed. A call's row is spooled as its answer's last byte goes out, not when nginx frees the
// request (later, e.g. while a mirror subrequest holds it). Every test runs a node of its own (one
// worker) on the stack's PostgreSQL and Redis.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';

import {
  CHAT_PATH,
  REQUEST_ID,
  chatBody,
  eventually,
  gatewayCallRows,
  newGatewayProject,
  readResponse,
  spendRows,
  workerPids,
} from './gateway_helpers.js';
import { cli } from './control_helpers.js';
import { startNode } from './nginx_node.js';

const CALLS = 10;
const nodes = [];

async function node(options = {}) {
  const n = await startNode({ workers: 1, ...options });
  nodes.push(n);
  return n;
}

after(async () => {
  for (const n of nodes) await n.stop();
});

const pidAlive = (pid) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

/** `count` answered calls on a node (one after the other); returns their request ids. */
async function answeredCalls(n, key, count, label) {
  const ids = [];
  for (let i = 0; i < count; ++i) {
    const res = await readResponse(await fetch(`${n.url}${CHAT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(chatBody(`${label} ${i}`)),
    }));
    assert.equal(res.status, 200, `call ${i}: ${res.text}`);
    const id = res.headers.get('x-asgard-request-id');
    assert.match(id ?? '', REQUEST_ID);
    ids.push(id);
  }
  return ids;
}

const spendRequests = (projectId) => spendRows(projectId).reduce((sum, r) => sum + Number(r.requests), 0);

/** How many rows each request id has in gateway_calls. */
function rowCounts(projectId, ids) {
  const counts = new Map(ids.map((id) => [id, 0]));
  for (const r of gatewayCallRows(projectId)) if (counts.has(r.request_id)) counts.set(r.request_id, counts.get(r.request_id) + 1);
  return counts;
}

/** Waits until every id has exactly one row and the spend counts `requests`; then holds for a
 * flush interval and a half more to see that nothing is written twice. */
async function assertRecordedOnce(projectId, ids, requests, what) {
  const state = () => {
    const counts = rowCounts(projectId, ids);
    return { missing: ids.filter((id) => counts.get(id) === 0).length,
      twice: ids.filter((id) => counts.get(id) > 1).length, spend: spendRequests(projectId) };
  };
  const first = state();
  await eventually(() => {
    const s = state();
    return s.missing === 0 && s.spend >= requests ? s : null;
  }, { timeoutMs: 8000, intervalMs: 100,
    what: `${what}: every call's row and spend (at first ${JSON.stringify(first)}, expected spend ${requests})` })
    .catch((e) => { throw new Error(`${e.message}; at the end ${JSON.stringify(state())}`); });
  await delay(1500);
  assert.deepEqual(state(), { missing: 0, twice: 0, spend: requests }, `${what}: each call recorded exactly once`);
}

/** One chat call on a connection of its own (node:http, no keep-alive pool): { status, headers, text }. */
function callOnOwnConnection(n, key, label) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${n.url}${CHAT_PATH}`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(chatBody(label)));
  });
}

/** A TCP server that accepts and never answers: a mirror subrequest to it holds its request open. */
async function holdingServer() {
  const sockets = [];
  const server = net.createServer((socket) => { sockets.push(socket); socket.on('error', () => {}); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    held: () => sockets.length,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

const spoolDir = (n) => join(n.prefix, 'tmp', 'asgard_spool');
const spoolFiles = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.spool')) : []);

describe('a crashed worker keeps the calls it answered', () => {
  let p;
  before(async () => { p = await newGatewayProject('e2e-gw-crash'); });

  test('SIGKILL right after 10 answered calls: all 10 rows and their spend are recorded, once each', async () => {
    const n = await node();
    const [worker] = workerPids(n.pid);
    assert.ok(worker, 'the node has a worker process');
    const before = spendRequests(p.projectId);
    const ids = await answeredCalls(n, p.key, CALLS, 'crash');
    process.kill(worker, 'SIGKILL');
    await eventually(() => workerPids(n.pid).some((pid) => pid !== worker), { what: 'the master to start a new worker' });
    await assertRecordedOnce(p.projectId, ids, before + CALLS, 'after the worker was killed');
    assert.match(n.errorLogText(), /replayed \d+ call row\(s\) .*spool/, 'the replay is logged');
    const verify = cli(['audit', 'verify']);  // replayed rows join the hash chain like any others
    assert.equal(verify.code, 0, `asgard audit verify: ${verify.stdout}${verify.stderr}`);
    assert.match(verify.stdout, /gateway call log intact/);
  });

  test('SIGKILL once the client has the whole answer but nginx still holds the request (a mirror subrequest): the row is kept', async () => {
    const hold = await holdingServer();
    try {
      const n = await node({ replace: [
        // The chat location mirrors each call to a server that never answers, so nginx frees the
        // request (and runs its pool cleanups) only when that subrequest ends: never, here.
        [/(location ~ \^\/api\/gateway\/\(\?:chat\|[^\n]*\{\n(\s*)asgard_gateway;)/, `$1\n$2mirror /_asgard_hold;`],
        [/\n(\s*)location = \/mcp \{/, `\n$1location = /_asgard_hold { internal; proxy_pass http://127.0.0.1:${hold.port}; }\n$&`],
      ] });
      const [worker] = workerPids(n.pid);
      const before = spendRequests(p.projectId);
      const res = await callOnOwnConnection(n, p.key, 'mirrored');
      assert.equal(res.status, 200, res.text);
      assert.equal(JSON.parse(res.text).object, 'chat.completion');
      const id = res.headers['x-asgard-request-id'];
      assert.match(id ?? '', REQUEST_ID);
      await eventually(() => hold.held() > 0, { what: 'the mirror subrequest to reach the holding server' });
      process.kill(worker, 'SIGKILL');
      await eventually(() => workerPids(n.pid).some((pid) => pid !== worker), { what: 'the master to start a new worker' });
      await assertRecordedOnce(p.projectId, [id], before + 1, 'after the worker holding the request was killed');
    } finally {
      hold.close();
    }
  });

  test('a normal flush, then a reload: each call recorded exactly once, and the spool emptied', async () => {
    const n = await node();
    const before = spendRequests(p.projectId);
    const ids = await answeredCalls(n, p.key, CALLS, 'normal');
    await assertRecordedOnce(p.projectId, ids, before + CALLS, 'after a normal flush');
    const [old] = workerPids(n.pid);
    process.kill(n.pid, 'SIGHUP');  // a new worker starts; the old one flushes and leaves
    await eventually(() => !pidAlive(old), { what: 'the old worker to leave' });
    await assertRecordedOnce(p.projectId, ids, before + CALLS, 'after a reload');
    const dir = spoolDir(n);
    await eventually(() => spoolFiles(dir).every((f) => statSync(join(dir, f)).size === 0),
      { timeoutMs: 5000, what: `the spool (${dir}) to hold no written row` });
  });

  test('a dead worker\'s spool whose rows were already written is replayed to nothing (deduplicated by request id)', async () => {
    const n = await node();
    const before = spendRequests(p.projectId);
    const dir = spoolDir(n);
    const ids = await answeredCalls(n, p.key, CALLS, 'dedup');
    // What the worker's spool holds now (its rows not yet flushed, nearly always).
    const held = spoolFiles(dir).map((f) => readFileSync(join(dir, f))).filter((b) => b.length > 0);
    assert.ok(held.length > 0, `the worker's spool (${dir}) holds the answered calls`);
    await assertRecordedOnce(p.projectId, ids, before + CALLS, 'after a normal flush');
    // The same records as if a worker had died between committing them and removing its file.
    const orphans = held.map((bytes, i) => {
      const path = join(dir, `calls-1-1-${i + 1}.spool`);
      writeFileSync(path, bytes);
      return path;
    });
    await eventually(() => orphans.every((f) => !existsSync(f)), { timeoutMs: 8000, what: 'the orphaned spool files to be replayed' });
    await assertRecordedOnce(p.projectId, ids, before + CALLS, 'after replaying rows already written');
  });
});

describe('a torn spool record', () => {
  let p;
  before(async () => { p = await newGatewayProject('e2e-gw-torn'); });

  test('a spool file cut inside its last record: the record is skipped with a log line, the rest replayed', async () => {
    const dead = await node();
    const dir = spoolDir(dead);
    const [worker] = workerPids(dead.pid);
    assert.ok(worker, 'the node has a worker process');
    const before = spendRequests(p.projectId);
    const ids = await answeredCalls(dead, p.key, CALLS, 'torn');
    // The whole node dies at once (master first, so no worker replaces the killed one).
    process.kill(dead.pid, 'SIGKILL');
    process.kill(worker, 'SIGKILL');
    await eventually(() => !pidAlive(worker) && !pidAlive(dead.pid), { what: 'the node to be gone' });
    const files = spoolFiles(dir).filter((f) => statSync(join(dir, f)).size > 0);
    assert.ok(files.length > 0, `the dead node's spool (${dir}) holds its calls`);
    // Cut the newest segment (calls-<pid>-<start>-<segment>.spool) 7 bytes short: its last record,
    // the last call's, is torn.
    const segment = (f) => Number(/-(\d+)\.spool$/.exec(f)[1]);
    const newest = join(dir, files.sort((a, b) => segment(a) - segment(b)).at(-1));
    const text = readFileSync(newest, 'latin1');
    const torn = ids.filter((id) => text.includes(id)).at(-1);  // the file's last call (the last call, nearly always)
    assert.ok(torn, `the newest spool file ${newest} holds a call`);
    truncateSync(newest, statSync(newest).size - 7);

    const next = await node({ http: { asgard_spool_path: dir } });
    const kept = ids.filter((id) => id !== torn);
    await assertRecordedOnce(p.projectId, kept, before + CALLS - 1, 'after the replay of the torn spool');
    assert.equal(rowCounts(p.projectId, [torn]).get(torn), 0, 'the torn record is not replayed');
    await eventually(() => /torn or damaged record/.test(next.errorLogText()), { timeoutMs: 5000, what: 'a log line about the torn record' });
    await eventually(() => spoolFiles(dir).every((f) => !files.includes(f)), { timeoutMs: 5000, what: 'the replayed files to be removed' });
  });
});
