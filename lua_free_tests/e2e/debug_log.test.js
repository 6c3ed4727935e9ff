// A worker at error_log debug (Debian's nginx is built --with-debug): nginx's timer code logs
// ngx_event_ident(ev->data), so every timer and event Asgard adds must carry a connection as its
// data. A node of the stack at debug serves /mcp (a tools/call streaming its progress included) and
// the gateway, runs its timers (token-use flush, the gateway's refresh, flush and settle ticks, the
// progress tick) and exits, with no worker crash.
// At debug nginx logs every request header, the bearer token included (README: never in
// production), so this node's files are removed afterwards and stay out of the log scan.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';

import { CHAT_PATH, chatBody, eventually, newGatewayProject } from './gateway_helpers.js';
import { GOOD_HEADERS, LATEST_VERSION, newUserToken } from './helpers.js';
import { startNode } from './nginx_node.js';

let node;

before(async () => {
  node = await startNode({ errorLogLevel: 'debug' });
});

after(async () => {
  await node?.stop();
  if (node) rmSync(node.prefix, { recursive: true, force: true });
});

async function mcp(token, message, sessionId) {
  const headers = { ...GOOD_HEADERS, authorization: `Bearer ${token}` };
  if (sessionId) {
    headers['mcp-session-id'] = sessionId;
    headers['mcp-protocol-version'] = LATEST_VERSION;
  }
  const res = await fetch(`${node.url}/mcp`, { method: 'POST', headers, body: JSON.stringify(message) });
  return { status: res.status, sessionId: res.headers.get('mcp-session-id'), text: await res.text() };
}

const crashes = () => node.errorLogText().split('\n').filter((l) => /exited on signal|\[(alert|crit|emerg)\]/.test(l));

test('a worker at error_log debug serves /mcp and the gateway, runs its timers and exits cleanly', async () => {
  assert.match(node.errorLogText(), /\[debug\]/, 'the node logs at debug');

  const { token } = newUserToken('e2e-debug');
  const init = await mcp(token, {
    jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: LATEST_VERSION, capabilities: {}, clientInfo: { name: 'debug-test', version: '1' } },
  });
  assert.equal(init.status, 200, init.text);
  assert.ok(init.sessionId, 'initialize issues a session');
  assert.equal((await mcp(token, { jsonrpc: '2.0', method: 'notifications/initialized' }, init.sessionId)).status, 202);
  const whoami = await mcp(token, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, init.sessionId);
  assert.equal(whoami.status, 200, whoami.text);
  // A provisioning call that asks for progress: its stream's tick timer runs at debug too.
  const registered = await mcp(token, { jsonrpc: '2.0', id: 3, method: 'tools/call',
    params: { name: 'register_project', arguments: { name: 'debug progress', description: 'progress at debug' } } }, init.sessionId);
  const projectId = JSON.parse(registered.text).result.structuredContent.project.project_id;
  const provisioned = await mcp(token, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: {
    name: 'request_resource', arguments: { project_id: projectId, service: 'postgres-database' }, _meta: { progressToken: 'debug' } } }, init.sessionId);
  assert.equal(provisioned.status, 200, provisioned.text);
  assert.match(provisioned.text, /^event: message\ndata: \{"jsonrpc":"2.0","method":"notifications\/progress"/);
  assert.match(node.errorLogText(), /asgard: progress tick: \d+ bytes/, 'the progress timer ticked');

  const project = await newGatewayProject('e2e-debug-gw');
  const res = await fetch(`${node.url}${CHAT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${project.key}` },
    body: JSON.stringify(chatBody('hello at debug')),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);

  // The module's worker timers log with the dummy connection's fd -1: wait until several ticks ran.
  await eventually(() => (node.errorLogText().match(/event timer add: -1:/g) ?? []).length >= 6,
    { timeoutMs: 10_000, what: 'the module timers to tick at debug' });
  assert.deepEqual(crashes(), [], 'no worker crashed while serving at debug');

  await node.stop();
  assert.deepEqual(crashes(), [], 'no worker crashed at exit');
  assert.match(node.errorLogText(), /exit/, 'the node logged its exit');
});
