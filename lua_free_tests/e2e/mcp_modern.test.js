// MCP 2026-07-28, the stateless revision, on /mcp and over stdio beside the 2025 revisions: no
// initialize and no session; each request names its revision and client capabilities in _meta and
// (over HTTP) in MCP-Protocol-Version, Mcp-Method and Mcp-Name headers that must match the body
// (400 HeaderMismatch -32020 otherwise); an unknown revision is 400 UnsupportedProtocolVersion
// -32022 listing every revision; an unknown method 404; results carry resultType and the server's
// identity. The same tools, authorization texts and audit rows as the legacy revisions. The
// official TypeScript SDK v2 client (@modelcontextprotocol/client) connects and calls tools.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, test } from 'node:test';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { assertErrorLogClean, env, newUserToken, post, psql, SUPPORTED_VERSIONS } from './helpers.js';
import { configFile } from './control_helpers.js';

after(assertErrorLogClean);

const MODERN = '2026-07-28';
const ALL_VERSIONS = [MODERN, ...SUPPORTED_VERSIONS];
const meta = (extra = {}) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'asgard-e2e-modern', version: '1.0.0' },
  ...extra,
});
let nextId = 1;
const request = (method, params = {}, metaExtra = {}) => ({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: meta(metaExtra) } });

/** POSTs a modern request with the headers 2026-07-28 asks for (overridable). */
function send(token, body, headers = {}) {
  const base = { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': body.method };
  if (body.method === 'tools/call') base['Mcp-Name'] = body.params.name;
  return post(body, { token, headers: { ...base, ...headers } });
}

describe('MCP 2026-07-28 over Streamable HTTP', () => {
  test('server/discover: every revision, the tools capability, the server\'s identity, cache hints; no session is minted', async () => {
    const { token } = newUserToken('e2e-modern');
    const res = await send(token, request('server/discover'));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('mcp-session-id'), null);
    const r = res.json.result;
    assert.equal(r.resultType, 'complete');
    assert.deepEqual(r.supportedVersions, ALL_VERSIONS);
    assert.deepEqual(r.capabilities, { tools: { listChanged: false }, resources: { subscribe: true, listChanged: true }, prompts: { listChanged: false }, completions: {} });
    assert.equal(r._meta['io.modelcontextprotocol/serverInfo'].name, 'asgard');
    assert.equal(typeof r.ttlMs, 'number');
    assert.match(r.cacheScope, /^(public|private)$/);
    assert.match(r.instructions, /register_project/);
  });

  test('tools/list and tools/call with no initialize: the same 23 tools, a project registered and audited as the user', async () => {
    const { user, token } = newUserToken('e2e-modern-tools');
    const list = await send(token, request('tools/list'));
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.result.resultType, 'complete');
    assert.equal(list.json.result.tools.length, 23);
    assert.ok(list.json.result.tools.some((t) => t.name === 'register_project'));
    assert.equal(list.json.result._meta['io.modelcontextprotocol/serverInfo'].name, 'asgard');
    const call = await send(token, request('tools/call', { name: 'register_project', arguments: { name: 'modern project', description: 'stateless' } }));
    assert.equal(call.status, 200, call.text);
    assert.equal(call.json.result.resultType, 'complete');
    assert.equal(call.json.result.isError, false, JSON.stringify(call.json.result));
    const projectId = call.json.result.structuredContent.project.project_id;
    assert.equal(psql(`SELECT actor || ' ' || outcome FROM audit_log WHERE tool = 'register_project' AND project_id = '${projectId}'`), `user:${user} ok`);
    // The contract's texts are the same in every revision.
    const noProject = await send(token, request('tools/call', { name: 'get_cost', arguments: {} }));
    assert.equal(noProject.json.result.isError, true);
    assert.match(noProject.json.result.content[0].text, /project_id is required for a user token/);
  });

  test('headers must match the body: 400 HeaderMismatch (-32020) naming the header; Base64 Mcp-Name is decoded', async () => {
    const { token } = newUserToken('e2e-modern-headers');
    const call = () => request('tools/call', { name: 'list_services', arguments: {} });
    for (const [headers, pattern] of [
      [{ 'Mcp-Method': undefined }, /Mcp-Method header is required/],
      [{ 'Mcp-Method': 'tools/list' }, /Mcp-Method header value 'tools\/list' does not match body value 'tools\/call'/],
      [{ 'Mcp-Name': undefined }, /Mcp-Name header is required/],
      [{ 'Mcp-Name': 'get_secret' }, /Mcp-Name header value 'get_secret' does not match body value 'list_services'/],
      [{ 'Mcp-Name': '=?base64?!!!!?=' }, /not valid Base64/],
      [{ 'MCP-Protocol-Version': undefined }, /MCP-Protocol-Version header is required/],
      [{ 'MCP-Protocol-Version': '2025-11-25' }, /MCP-Protocol-Version header value '2025-11-25' does not match _meta value '2026-07-28'/],
    ]) {
      const body = call();
      const res = await send(token, body, headers);
      assert.equal(res.status, 400, `${JSON.stringify(headers)}: ${res.text}`);
      assert.equal(res.json.error.code, -32020, JSON.stringify(headers));
      assert.equal(res.json.id, body.id);
      assert.match(res.json.error.message, pattern);
    }
    const encoded = await send(token, call(), { 'Mcp-Name': `=?base64?${Buffer.from('list_services').toString('base64')}?=` });
    assert.equal(encoded.status, 200, encoded.text);
    assert.equal(encoded.json.result.isError, false);
  });

  test('revisions and metadata: an unknown revision is -32022 with the list; missing clientCapabilities or revision is -32602 with the request id; a legacy header with no _meta stays legacy', async () => {
    const { token } = newUserToken('e2e-modern-versions');
    const future = await send(token, request('server/discover', {}, { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }), { 'MCP-Protocol-Version': '2099-01-01' });
    assert.equal(future.status, 400);
    assert.equal(future.json.error.code, -32022);
    assert.deepEqual(future.json.error.data, { supported: ALL_VERSIONS, requested: '2099-01-01' });
    const body = request('tools/list');
    delete body.params._meta['io.modelcontextprotocol/clientCapabilities'];
    const noCaps = await send(token, body);
    assert.equal(noCaps.status, 400);
    assert.equal(noCaps.json.error.code, -32602);
    assert.match(noCaps.json.error.message, /clientCapabilities/);
    const noMeta = await post({ jsonrpc: '2.0', id: 9, method: 'tools/list' }, { token, protocolVersion: MODERN, headers: { 'Mcp-Method': 'tools/list' } });
    assert.equal(noMeta.status, 400);
    assert.equal(noMeta.json.error.code, -32602, 'the revision belongs in _meta: a request without it is malformed');
    assert.equal(noMeta.json.id, 9);
    assert.match(noMeta.json.error.message, /protocolVersion/);
    const badHeader = await post({ jsonrpc: '2.0', id: 301, method: 'server/discover', params: { _meta: meta() } },
      { token, protocolVersion: 'v999.0.0', headers: { 'Mcp-Method': 'server/discover' } });
    assert.equal(badHeader.status, 400);
    assert.equal(badHeader.json.error.code, -32022);
    assert.equal(badHeader.json.id, 301, 'an error answers the request id');
    const legacy = await post({ jsonrpc: '2.0', id: 10, method: 'tools/list' }, { token, protocolVersion: '2025-11-25' });
    assert.equal(legacy.status, 400, 'a 2025 request still needs its session');
    assert.match(legacy.json.error.message, /Mcp-Session-Id header is required/);
  });

  test('unknown methods are 404 -32601 (initialize and ping are not part of 2026-07-28); a notification is 202; a batch is 400; no token is 401', async () => {
    const { token } = newUserToken('e2e-modern-methods');
    for (const method of ['sampling/createMessage', 'initialize', 'ping']) {
      const res = await send(token, request(method));
      assert.equal(res.status, 404, `${method}: ${res.text}`);
      assert.equal(res.json.error.code, -32601);
    }
    const note = await post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, _meta: meta() } },
      { token, protocolVersion: MODERN, headers: { 'Mcp-Method': 'notifications/cancelled' } });
    assert.equal(note.status, 202);
    const batch = await post([request('tools/list')], { token, protocolVersion: MODERN, headers: { 'Mcp-Method': 'tools/list' } });
    assert.equal(batch.status, 400);
    const anonymous = await send(null, request('tools/list'));
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('resources: listed and read with no session, with resultType and cache hints; an unknown one is -32602', async () => {
    const { token } = newUserToken('e2e-modern-res');
    const list = await send(token, request('resources/list'));
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.result.resultType, 'complete');
    assert.equal(typeof list.json.result.ttlMs, 'number');
    assert.ok(list.json.result.resources.some((r) => r.uri === 'asgard://standards/security'));
    const read = await send(token, request('resources/read', { uri: 'asgard://standards/security' }), { 'Mcp-Name': 'asgard://standards/security' });
    assert.equal(read.status, 200, read.text);
    assert.match(read.json.result.contents[0].text, /Security standard/);
    const missing = await send(token, request('resources/read', { uri: 'asgard://standards/nope' }), { 'Mcp-Name': 'asgard://standards/nope' });
    assert.equal(missing.json.error.code, -32602);
    const unnamed = await send(token, request('resources/read', { uri: 'asgard://standards/security' }));
    assert.equal(unnamed.status, 400, 'resources/read needs Mcp-Name');
    assert.equal(unnamed.json.error.code, -32020);
  });

  test('the official TypeScript SDK v2 client negotiates 2026-07-28 (server/discover) and calls tools', async () => {
    const { token } = newUserToken('e2e-modern-sdk2');
    const transport = new StreamableHTTPClientTransport(new URL(`${env.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    // auto: probe with server/discover and stay modern when the server answers it (the SDK's default is legacy).
    const client = new Client({ name: 'asgard-e2e-sdk2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(transport);
    try {
      assert.equal(transport.protocolVersion, MODERN);
      assert.equal(transport.sessionId, undefined);
      const { tools } = await client.listTools();
      assert.equal(tools.length, 23);
      const services = await client.callTool({ name: 'list_services', arguments: {} });
      assert.equal(services.isError, false, JSON.stringify(services));
      assert.ok(services.structuredContent.services.length > 0);
      const { resources } = await client.listResources();
      assert.ok(resources.some((r) => r.uri === 'asgard://guidance/calling-models'));
    } finally {
      await client.close();
    }
  });
});

describe('MCP 2026-07-28 over stdio', () => {
  test('server/discover and a tool call before (and without) initialize; a legacy initialize afterwards still works', async () => {
    const { user } = newUserToken('e2e-modern-stdio');
    const childEnv = { ...process.env, ASGARD_CONFIG: configFile(), ASGARD_USER: user };
    delete childEnv.ASGARD_PROJECT;
    const child = spawn(env.bin, ['mcp'], { env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = [];
    let buffer = '';
    child.stdout.on('data', (d) => {
      buffer += d;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) { lines.push(JSON.parse(buffer.slice(0, nl))); buffer = buffer.slice(nl + 1); }
    });
    const ask = async (message) => {
      const want = lines.length + 1;
      child.stdin.write(`${JSON.stringify(message)}\n`);
      for (let i = 0; i < 200 && lines.length < want; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(lines.length, want, `an answer to ${message.method}`);
      return lines[want - 1];
    };
    try {
      const discover = await ask(request('server/discover'));
      assert.deepEqual(discover.result.supportedVersions, ALL_VERSIONS);
      assert.equal(discover.result.resultType, 'complete');
      const list = await ask(request('tools/list'));
      assert.equal(list.result.tools.length, 23);
      const future = await ask(request('tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }));
      assert.equal(future.error.code, -32022);
      const init = await ask({ jsonrpc: '2.0', id: 99, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } });
      assert.equal(init.result.protocolVersion, '2025-11-25');
      const ping = await ask({ jsonrpc: '2.0', id: 100, method: 'ping' });
      assert.deepEqual(ping.result, {});
    } finally {
      child.kill();
    }
  });
});
