// Malformed and unusual JSON-RPC input on an established session: the right error code, the right
// HTTP status, and never a crash.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  assertErrorLogClean,
  assertRpcError,
  INVALID_PARAMS,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  newUserToken,
  openSession,
  PARSE_ERROR,
} from './helpers.js';

after(assertErrorLogClean);

let session; // 2025-11-25
let session0618; // 2025-06-18
let session0326; // 2025-03-26

before(async () => {
  const { token } = newUserToken('e2e-jsonrpc');
  session = await openSession(token);
  session0618 = await openSession(token, { protocolVersion: '2025-06-18' });
  session0326 = await openSession(token, { protocolVersion: '2025-03-26' });
  assert.equal(session0618.protocolVersion, '2025-06-18');
  assert.equal(session0326.protocolVersion, '2025-03-26');
});

describe('parse errors', () => {
  test('rejects an empty body with 400 -32700', async () => {
    assertRpcError(await session.send(''), 400, PARSE_ERROR, null);
  });

  test('rejects a body that is not JSON with 400 -32700', async () => {
    assertRpcError(await session.send('{"jsonrpc": "2.0", "id": 1, "method": "ping"'), 400, PARSE_ERROR, null);
    assertRpcError(await session.send('hello, world'), 400, PARSE_ERROR, null);
  });

  test('rejects JSON nested 100,000 deep with 400 -32700', async () => {
    const depth = 100000;
    const body = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    assertRpcError(await session.send(body), 400, PARSE_ERROR, null);
    const objects = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    assertRpcError(await session.send(objects), 400, PARSE_ERROR, null);
  });

  test('rejects invalid UTF-8 (a raw 0xff byte inside a string) with 400 -32700', async () => {
    const body = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"a'),
      Buffer.from([0xff]),
      Buffer.from('b"}}'),
    ]);
    assertRpcError(await session.send(body), 400, PARSE_ERROR, null);
  });
});

describe('invalid requests', () => {
  test('rejects an empty batch [] with 400 -32600', async () => {
    assertRpcError(await session.send('[]'), 400, INVALID_REQUEST, null);
  });

  test('rejects a batch under protocol 2025-06-18 with 400 -32600', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ];
    assertRpcError(await session0618.send(batch), 400, INVALID_REQUEST);
    // Also when the session's version comes from the session alone (no header).
    assertRpcError(await session0618.send(batch, { protocolVersion: undefined }), 400, INVALID_REQUEST);
  });

  test('rejects a batch under protocol 2025-11-25 with 400 -32600', async () => {
    assertRpcError(await session.send([{ jsonrpc: '2.0', id: 1, method: 'ping' }]), 400, INVALID_REQUEST);
  });

  test('answers a batch under a 2025-03-26 session with 200 and a JSON array of responses', async () => {
    const res = await session0326.send([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } },
      { jsonrpc: '2.0', id: 'two', method: 'tools/list' },
      { jsonrpc: '2.0', id: 3, method: 'no/such/method' },
    ]);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(Array.isArray(res.json), `a JSON array: ${res.text}`);
    assert.equal(res.json.length, 3, 'one response per request, none for the notification');
    const byId = new Map(res.json.map((r) => [r.id, r]));
    assert.deepEqual(byId.get(1), { jsonrpc: '2.0', id: 1, result: {} });
    assert.ok(byId.get('two').result.tools.some((t) => t.name === 'list_standards'));
    assert.equal(byId.get(3).error.code, METHOD_NOT_FOUND);
  });

  test('answers a 2025-03-26 batch mixing a tool call, initialize and a non-object with one response each', async () => {
    const res = await session0326.send([
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_standards', arguments: {} } },
      { jsonrpc: '2.0', id: 2, method: 'initialize', params: { protocolVersion: '2025-03-26' } },
      5,
    ]);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.length, 3);
    assert.equal(res.json[0].id, 1);
    assert.equal(res.json[0].result.isError, false);
    assert.ok(Array.isArray(res.json[0].result.structuredContent.standards));
    assert.equal(res.json[1].id, 2);
    assert.equal(res.json[1].error.code, INVALID_REQUEST, 'initialize is not allowed in a batch');
    assert.equal(res.json[2].id, null);
    assert.equal(res.json[2].error.code, INVALID_REQUEST);
    assert.equal(res.headers.get('mcp-session-id'), null, 'a batch never opens a session');
  });

  test('answers a batch of only notifications under 2025-03-26 with 202', async () => {
    const res = await session0326.send([{ jsonrpc: '2.0', method: 'notifications/initialized' }]);
    assert.equal(res.status, 202, res.text);
    assert.equal(res.text, '');
  });

  test('rejects id null with 400 -32600 and id null', async () => {
    assertRpcError(await session.send({ jsonrpc: '2.0', id: null, method: 'ping' }), 400, INVALID_REQUEST, null);
  });

  test('rejects an object id with 400 -32600', async () => {
    assertRpcError(await session.send({ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }), 400, INVALID_REQUEST, null);
  });

  test('rejects a fractional or boolean id with 400 -32600', async () => {
    assertRpcError(await session.send('{"jsonrpc":"2.0","id":1.5,"method":"ping"}'), 400, INVALID_REQUEST, null);
    assertRpcError(await session.send({ jsonrpc: '2.0', id: true, method: 'ping' }), 400, INVALID_REQUEST, null);
  });

  test('echoes string and negative integer ids', async () => {
    const empty = await session.send({ jsonrpc: '2.0', id: '', method: 'ping' });
    assert.deepEqual(empty.json, { jsonrpc: '2.0', id: '', result: {} });
    const negative = await session.send({ jsonrpc: '2.0', id: -5, method: 'ping' });
    assert.deepEqual(negative.json, { jsonrpc: '2.0', id: -5, result: {} });
  });

  test('rejects a request without a method with 400 -32600', async () => {
    assertRpcError(await session.send({ jsonrpc: '2.0', id: 9 }), 400, INVALID_REQUEST, 9);
  });

  test('rejects a non-string method with 400 -32600', async () => {
    assertRpcError(await session.send({ jsonrpc: '2.0', id: 10, method: 42 }), 400, INVALID_REQUEST, 10);
  });

  test('rejects a message without jsonrpc "2.0" with 400 -32600', async () => {
    assertRpcError(await session.send({ jsonrpc: '1.0', id: 11, method: 'ping' }), 400, INVALID_REQUEST, 11);
    assertRpcError(await session.send({ id: 12, method: 'ping' }), 400, INVALID_REQUEST, 12);
  });

  test('rejects a JSON value that is not an object (a number) with 400 -32600', async () => {
    assertRpcError(await session.send('42'), 400, INVALID_REQUEST, null);
  });
});

describe('repeated members (the gateway refuses them too: last-wins would let two readers see two messages)', () => {
  test('a member given twice at the top is 400 -32600 naming it, with the message\'s id', async () => {
    const res = await session.send('{"jsonrpc":"2.0","id":31,"method":"ping","method":"tools/list"}');
    assertRpcError(res, 400, INVALID_REQUEST, 31);
    assert.match(res.json.error.message, /duplicate member "method"/);
  });

  test('a member given twice inside params.arguments is 400 -32600 naming it and where it is', async () => {
    const res = await session.send(
      '{"jsonrpc":"2.0","id":32,"method":"tools/call","params":{"name":"get_standards","arguments":{"name":"security","name":"workflow"}}}',
    );
    assertRpcError(res, 400, INVALID_REQUEST, 32);
    assert.match(res.json.error.message, /duplicate member "name" in params\.arguments/);
  });

  test('two spellings of one member ("\\u0069d" and "id") are the same member: -32600 with id null', async () => {
    const res = await session.send('{"jsonrpc":"2.0","\\u0069d":1,"id":2,"method":"ping"}');
    assertRpcError(res, 400, INVALID_REQUEST, null);
    assert.match(res.json.error.message, /duplicate member "id"/);
  });

  test('a repeated member in one message of a 2025-03-26 batch refuses the batch, naming the message', async () => {
    const res = await session0326.send(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":{"a":1,"a":2}}}]',
    );
    assertRpcError(res, 400, INVALID_REQUEST, null);
    assert.match(res.json.error.message, /duplicate member "a" in \[1\]\.params\._meta/);
  });
});

describe('method and params errors', () => {
  test('answers an unknown method with 200 -32601', async () => {
    assertRpcError(await session.send({ jsonrpc: '2.0', id: 20, method: 'sampling/createMessage' }), 200, METHOD_NOT_FOUND, 20);
  });

  test('answers params of the wrong type ("params": 5) with 200 -32602', async () => {
    assertRpcError(await session.send({ jsonrpc: '2.0', id: 21, method: 'ping', params: 5 }), 200, INVALID_PARAMS, 21);
    assertRpcError(await session.send({ jsonrpc: '2.0', id: 22, method: 'tools/list', params: [1] }), 200, INVALID_PARAMS, 22);
  });

  test('answers a notification with 202 and an empty body', async () => {
    const res = await session.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
  });

  test('answers a client response message (result, no method) with 202', async () => {
    const res = await session.send({ jsonrpc: '2.0', id: 99, result: {} });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
  });

  test('answers tools/call of an unknown tool with -32602', async () => {
    const res = await session.request('tools/call', { name: 'no_such_tool', arguments: {} });
    assertRpcError(res, 200, INVALID_PARAMS);
    assert.match(res.json.error.message, /no_such_tool/);
  });

  test('answers tools/call without a tool name with -32602', async () => {
    assertRpcError(await session.request('tools/call', { arguments: {} }), 200, INVALID_PARAMS);
  });

  test('answers tools/call gateway_chat with an isError result pointing to POST /api/gateway/chat', async () => {
    const result = await session.call('gateway_chat', { messages: [] });
    assert.equal(result.isError, true);
    assert.equal(result.content[0].type, 'text');
    assert.match(result.content[0].text, /POST \/api\/gateway\/chat/);
  });

  test('answers get_standards {"name": 5} with an isError result naming arguments.name', async () => {
    const result = await session.call('get_standards', { name: 5 });
    assert.equal(result.isError, true);
    assert.equal(result.content[0].type, 'text');
    assert.match(result.content[0].text, /arguments\.name/);
  });

  test('answers get_standards with an unexpected argument with an isError result naming it', async () => {
    const result = await session.call('get_standards', { nmae: 'security' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /nmae/);
  });

  test('answers tools/list with an invalid cursor with -32602', async () => {
    assertRpcError(await session.request('tools/list', { cursor: 'not-a-cursor' }), 200, INVALID_PARAMS);
  });
});
