// Streamable HTTP transport rules of /mcp: Host and Origin checks, POST header rules, body size,
// methods, paths, and the initialize handshake.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertErrorLogClean,
  assertRpcError,
  initializeMessage,
  LATEST_VERSION,
  newUserToken,
  openSession,
  PORT,
  post,
  postHeadersOnly,
  rawRequest,
  request,
  SERVER_ERROR,
  SUPPORTED_VERSIONS,
} from './helpers.js';

after(assertErrorLogClean);

let token;
before(() => {
  ({ token } = newUserToken('e2e-transport'));
});

const initBody = () => JSON.stringify(initializeMessage());

function rawHeaders(extra = {}) {
  return {
    'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream',
    Authorization: `Bearer ${token}`,
    ...extra,
  };
}

describe('Host and Origin checks', () => {
  test('rejects Host: evil.example with 403 forbidden_host', async () => {
    const res = await rawRequest({ headers: rawHeaders({ Host: 'evil.example' }), body: initBody() });
    assert.equal(res.status, 403, res.text);
    assert.ok(res.json, `a JSON body: ${res.text}`);
    assert.equal(res.json.error, 'forbidden_host');
  });

  test('rejects Origin: http://evil.example with 403 forbidden_origin', async () => {
    const res = await rawRequest({ headers: rawHeaders({ Origin: 'http://evil.example' }), body: initBody() });
    assert.equal(res.status, 403, res.text);
    assert.ok(res.json, `a JSON body: ${res.text}`);
    assert.equal(res.json.error, 'forbidden_origin');
  });

  test(`allows Origin: http://localhost:PORT`, async () => {
    const res = await rawRequest({
      headers: rawHeaders({ Host: `localhost:${PORT}`, Origin: `http://localhost:${PORT}` }),
      body: initBody(),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.serverInfo.name, 'asgard');
  });

  test(`allows Origin: http://127.0.0.1:PORT`, async () => {
    const res = await rawRequest({ headers: rawHeaders({ Origin: `http://127.0.0.1:${PORT}` }), body: initBody() });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.result.serverInfo.name, 'asgard');
  });
});

describe('POST /mcp header and body rules', () => {
  test('rejects a Content-Type other than application/json with 415', async () => {
    const res = await post(initBody(), { token, headers: { 'Content-Type': 'text/plain' } });
    assertRpcError(res, 415, SERVER_ERROR);
  });

  test('accepts Content-Type application/json with a charset parameter', async () => {
    const res = await post(initBody(), { token, headers: { 'Content-Type': 'application/json; charset=utf-8' } });
    assert.equal(res.status, 200, res.text);
  });

  test('rejects an Accept header without text/event-stream with 406', async () => {
    const res = await post(initBody(), { token, headers: { Accept: 'application/json' } });
    assertRpcError(res, 406, SERVER_ERROR);
  });

  test('rejects an Accept header without application/json with 406', async () => {
    const res = await post(initBody(), { token, headers: { Accept: 'text/event-stream' } });
    assertRpcError(res, 406, SERVER_ERROR);
  });

  test('rejects Accept: */* with 406 (both types must be listed)', async () => {
    const res = await post(initBody(), { token, headers: { Accept: '*/*' } });
    assertRpcError(res, 406, SERVER_ERROR);
  });

  test('rejects an unsupported MCP-Protocol-Version header with 400 and UnsupportedProtocolVersion (-32022) listing every revision', async () => {
    const res = await post(initBody(), { token, protocolVersion: '1999-01-01' });
    assertRpcError(res, 400, -32022);
    assert.match(res.json.error.message, /1999-01-01/);
    assert.deepEqual(res.json.error.data, { supported: ['2026-07-28', ...SUPPORTED_VERSIONS], requested: '1999-01-01' });
  });

  test('accepts every supported MCP-Protocol-Version on a session, whichever version it negotiated', async () => {
    for (const negotiated of SUPPORTED_VERSIONS) {
      const session = await openSession(token, { protocolVersion: negotiated });
      for (const header of SUPPORTED_VERSIONS) {
        const res = await session.send({ jsonrpc: '2.0', id: 1, method: 'ping' }, { protocolVersion: header });
        assert.equal(res.status, 200, `session ${negotiated}, header ${header}: ${res.text}`);
        assert.deepEqual(res.json, { jsonrpc: '2.0', id: 1, result: {} });
      }
    }
  });

  test('rejects an unsupported MCP-Protocol-Version on a session with 400', async () => {
    const session = await openSession(token);
    const res = await session.send({ jsonrpc: '2.0', id: 1, method: 'ping' }, { protocolVersion: '2024-11-05' });
    assertRpcError(res, 400, -32022);
    assert.match(res.json.error.message, /Unsupported protocol version 2024-11-05/);
  });

  test('rejects a 10 MB body (over asgard_max_body_size 1m) with 413 JSON', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(10 * 1024 * 1024) } });
    const res = await post(big, { token });
    assert.equal(res.status, 413, res.text.slice(0, 200));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(res.json, `the 413 body is JSON: ${res.text.slice(0, 200)}`);
    assert.ok(res.json.error, 'the 413 body carries an error');
  });

  test('a Content-Length over nginx\'s client_max_body_size (16m) gets a 413 JSON-RPC error before the body is read', async () => {
    const { head, body: text } = await postHeadersOnly('/mcp', 20 * 1024 * 1024, { Authorization: `Bearer ${token}` });
    assert.match(head, /^HTTP\/1\.1 413 /, head);
    assert.match(head, /\r\ncontent-type: application\/json/i, head);
    const body = JSON.parse(text);
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.error.code, -32000);
    assert.match(body.error.message, /client_max_body_size/);
  });

  test('rejects a 2 MB chunked body (no Content-Length) with 413 JSON', async () => {
    const session = await openSession(token);
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(2 * 1024 * 1024) } });
    const res = await rawRequest({
      headers: rawHeaders({
        'Transfer-Encoding': 'chunked',
        'Mcp-Session-Id': session.sessionId,
        'MCP-Protocol-Version': session.protocolVersion,
      }),
      body: big,
    });
    assert.equal(res.status, 413, res.text.slice(0, 200));
    assert.ok(res.json && res.json.error, `the 413 body is JSON: ${res.text.slice(0, 200)}`);
  });

  test('accepts a body just under 1 MiB (buffered to a temporary file by nginx)', async () => {
    const session = await openSession(token);
    const message = { jsonrpc: '2.0', id: 'big', method: 'ping', params: { pad: '' } };
    message.params.pad = 'x'.repeat(1024 * 1024 - 100 - JSON.stringify(message).length);
    const body = JSON.stringify(message);
    assert.ok(body.length < 1024 * 1024 && body.length > 1024 * 1024 - 200);
    const res = await session.send(body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { jsonrpc: '2.0', id: 'big', result: {} });
  });

  test('GET /mcp needs a session (400) and an Accept of text/event-stream (406); PUT is 405 with Allow: GET, POST, DELETE', async () => {
    const noSession = await request('GET', '/mcp', {
      headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' },
    });
    assert.equal(noSession.status, 400, noSession.text);
    assert.match(noSession.json.error.message, /Mcp-Session-Id header is required/);
    const session = await openSession(token);
    const notSse = await request('GET', '/mcp', {
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', 'Mcp-Session-Id': session.sessionId },
    });
    assert.equal(notSse.status, 406, notSse.text);
    const put = await request('PUT', '/mcp', { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(put.status, 405, put.text);
    assert.equal(put.headers.get('allow'), 'GET, POST, DELETE');
  });

  for (const path of ['/mcpx', '/other', '/mcp/', '/']) {
    test(`answers POST ${path} with 404`, async () => {
      const res = await post(initBody(), { token, path });
      assert.equal(res.status, 404, res.text);
    });
  }
});

describe('initialize handshake', () => {
  for (const version of SUPPORTED_VERSIONS) {
    test(`initialize with protocolVersion ${version} echoes ${version}`, async () => {
      const res = await post(initializeMessage(version, 7), { token });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.headers.get('mcp-session-id'), 'an Mcp-Session-Id header');
      assert.equal(res.json.jsonrpc, '2.0');
      assert.equal(res.json.id, 7);
      assert.equal(res.json.result.protocolVersion, version);
    });
  }

  test(`initialize with an unknown protocolVersion answers ${LATEST_VERSION}`, async () => {
    const res = await post(initializeMessage('2024-01-01'), { token });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.headers.get('mcp-session-id'), 'an Mcp-Session-Id header');
    assert.equal(res.json.result.protocolVersion, LATEST_VERSION);
  });

  test('initialize returns serverInfo asgard, tools capability and instructions naming the first tools', async () => {
    const res = await post(initializeMessage(), { token });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const { result } = res.json;
    assert.equal(result.serverInfo.name, 'asgard');
    assert.equal(typeof result.serverInfo.version, 'string');
    assert.ok(result.capabilities && typeof result.capabilities.tools === 'object', 'capabilities.tools');
    assert.equal(typeof result.instructions, 'string');
    assert.match(result.instructions, /list_standards/);
    assert.match(result.instructions, /seed_plan/);
  });

  test('initialize without params is rejected with -32602', async () => {
    const res = await post({ jsonrpc: '2.0', id: 3, method: 'initialize' }, { token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.error.code, -32602);
    assert.equal(res.headers.get('mcp-session-id'), null, 'no session for a failed initialize');
  });

  test('notifications/initialized answers 202 with an empty body', async () => {
    const session = await openSession(token);
    const res = await session.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
  });

  test('ping answers an empty result', async () => {
    const session = await openSession(token);
    const res = await session.send({ jsonrpc: '2.0', id: 'ping-1', method: 'ping' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { jsonrpc: '2.0', id: 'ping-1', result: {} });
  });
});
