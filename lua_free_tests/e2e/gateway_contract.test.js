// The gateway's contract with its callers: the seed's curl works verbatim with a project key, the
// official openai client works (plain and streaming), the provider sees a rewritten request (its
// model name, its own key, no Asgard fields, no client headers), credentials are checked (a user
// token never calls a model), bad requests get OpenAI-style errors, the models list, and every
// call is accounted (get_cost by model, one audit row per call without prompt text).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import {
  CHAT_PATH,
  DEFAULT_MODEL,
  DEFAULT_UPSTREAM_MODEL,
  REQUEST_ID,
  assertCompletion,
  assertOpenAIError,
  logRowsContaining,
  chat,
  chatBody,
  demoProviderKey,
  eventually,
  gatewayCallRows,
  listModels,
  newGatewayProject,
  nonce,
  openaiClient,
  providerLastWith,
  readResponse,
  streamChat,
  tokenCacheTtlMs,
  waitForCalls,
  waitForSpend,
} from './gateway_helpers.js';
import { HOST, PORT, assertErrorLogClean, breakChecksum, craftToken, env, postHeadersOnly } from './helpers.js';

let p; // { user, userToken, session, projectId, key, keyId }

before(async () => { p = await newGatewayProject('e2e-gw-contract'); });
after(assertErrorLogClean);

// Request ids of every call this file makes that reaches governance, for the accounting test.
const governed = [];
const remember = (res) => {
  const id = res.headers.get('x-asgard-request-id');
  if (id) governed.push({ id, status: res.status });
  return res;
};

function assertRateLimitHeaders(headers) {
  for (const name of ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-limit-tokens',
    'x-ratelimit-remaining-tokens']) {
    assert.match(headers.get(name) ?? '', /^\d+$/, `${name} is a number: ${headers.get(name)}`);
  }
  assert.match(headers.get('x-ratelimit-reset-requests') ?? '', /^\d+s$/);
  assert.match(headers.get('x-ratelimit-reset-tokens') ?? '', /^\d+s$/);
}

describe('the seed\'s curl, verbatim', () => {
  test('curl -sS $ASGARD_URL/api/gateway/chat with the project key answers 200 with content, usage, a request id and rate-limit headers', () => {
    const url = env.url;
    // Exactly the seed's command (connect-an-agent.md, "Calling models"), with this stack's host and key.
    const out = execFileSync('curl', ['-sS', '-D', '-', `${url}/api/gateway/chat`,
      '-H', `Authorization: Bearer ${p.key}`,
      '-H', 'content-type: application/json',
      '-d', '{"model":"model:default/gpt-5","messages":[{"role":"user","content":"hi"}],"data_class":"internal"}'], { encoding: 'utf8' });
    const split = out.indexOf('\r\n\r\n');
    const head = out.slice(0, split);
    const body = JSON.parse(out.slice(split + 4));
    const status = Number(head.split(' ')[1]);
    assert.equal(status, 200, out);
    const headers = new Headers();
    for (const line of head.split('\r\n').slice(1)) {
      const i = line.indexOf(':');
      headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    assert.equal(body.object, 'chat.completion');
    assert.equal(typeof body.choices[0].message.content, 'string');
    assert.ok(body.choices[0].message.content.length > 0);
    assert.ok(Number.isInteger(body.usage.prompt_tokens) && Number.isInteger(body.usage.completion_tokens), JSON.stringify(body.usage));
    assert.match(headers.get('x-asgard-request-id') ?? '', REQUEST_ID);
    assertRateLimitHeaders(headers);
    assert.match(headers.get('content-type') ?? '', /^application\/json/);
    governed.push({ id: headers.get('x-asgard-request-id'), status });
  });
});

describe('the official openai client', () => {
  test('chat.completions.create (not streaming) returns the completion with usage', async () => {
    const marker = nonce('oa');
    const client = openaiClient(p.key);
    const { data, response } = await client.chat.completions
      .create({ model: DEFAULT_MODEL, messages: [{ role: 'user', content: `hello ${marker}` }], data_class: 'internal' })
      .withResponse();
    assert.equal(response.status, 200);
    assert.equal(data.object, 'chat.completion');
    assert.equal(data.model, DEFAULT_MODEL, 'the answer names the alias asked for, not the provider\'s model');
    assert.match(data.choices[0].message.content, new RegExp(marker), 'the demo provider echoes the prompt');
    assert.ok(data.usage.total_tokens > 0);
    assert.match(response.headers.get('x-asgard-request-id') ?? '', REQUEST_ID);
    assertRateLimitHeaders(response.headers);
    governed.push({ id: response.headers.get('x-asgard-request-id'), status: 200 });
  });

  test('streaming: the chunks assemble the content; the usage chunk the gateway asked the provider for does not reach a client that did not ask', async () => {
    const marker = nonce('st');
    const client = openaiClient(p.key);
    const { data: stream, response } = await client.chat.completions
      .create({ model: DEFAULT_MODEL, messages: [{ role: 'user', content: `stream ${marker}` }], data_class: 'internal', stream: true })
      .withResponse();
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    let content = '';
    let usage = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, DEFAULT_MODEL, 'every chunk names the alias asked for');
      // A loop over choices[0].delta (as many clients write) never meets a chunk without choices.
      assert.ok(chunk.choices.length > 0, `a chunk without choices reached the client: ${JSON.stringify(chunk)}`);
      content += chunk.choices[0].delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(chunks > 2, `several chunks (${chunks})`);
    assert.match(content, new RegExp(`^Hello from the Asgard demo provider\\. You said: stream ${marker}$`));
    assert.equal(usage, null, 'no usage chunk: the client did not ask for stream_options.include_usage');
    governed.push({ id: response.headers.get('x-asgard-request-id'), status: 200 });

    const seen = await providerLastWith(marker);
    assert.equal(seen.body.stream, true);
    assert.deepEqual(seen.body.stream_options, { include_usage: true }, 'the provider is asked for usage all the same');

    // Asked for, the usage chunk arrives, last before [DONE].
    const { data: asked, response: askedResponse } = await client.chat.completions
      .create({ model: DEFAULT_MODEL, messages: [{ role: 'user', content: `usage ${marker}` }], data_class: 'internal', stream: true,
        stream_options: { include_usage: true } })
      .withResponse();
    governed.push({ id: askedResponse.headers.get('x-asgard-request-id'), status: 200 });
    let last = null;
    for await (const chunk of asked) last = chunk;
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage.completion_tokens > 0 && last.usage.prompt_tokens > 0, JSON.stringify(last.usage));
  });

  test('an error from the gateway surfaces as the client\'s typed error with status, type and code', async () => {
    const client = openaiClient(p.key);
    await assert.rejects(
      client.chat.completions.create({ model: 'model:nope/none', messages: [{ role: 'user', content: 'hi' }], data_class: 'internal' }),
      (e) => {
        assert.equal(e.status, 404);
        assert.equal(e.code, 'model_not_found');
        assert.equal(e.type, 'not_found_error');
        assert.match(e.message, /model:default\/gpt-5/);
        return true;
      });
  });
});

describe('what the provider sees', () => {
  test('its own model name and key, no data_class or asgard field, no client header, the body otherwise intact', async () => {
    const marker = nonce('pv');
    const res = remember(await chat(p.key, {
      model: DEFAULT_MODEL,
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: `check ${marker}` }],
      data_class: 'internal',
      asgard: { note: 'an Asgard field' },
      temperature: 0.25,
      max_tokens: 64,
      user: 'end-user-7',
    }, {
      headers: {
        'x-test': 'must-not-pass',
        cookie: 'session=must-not-pass',
        'user-agent': 'gateway-e2e/1.0',
        'x-forwarded-for': '203.0.113.9',
        'openai-organization': 'org-must-not-pass',
      },
    }));
    assertCompletion(res);
    const seen = await providerLastWith(marker);
    assert.equal(seen.body.model, DEFAULT_UPSTREAM_MODEL, 'the alias is rewritten to the upstream model');
    assert.ok(!('data_class' in seen.body), `no data_class reaches the provider: ${seen.raw}`);
    assert.ok(!('asgard' in seen.body), `no asgard field reaches the provider: ${seen.raw}`);
    assert.deepEqual(seen.body.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: `check ${marker}` }]);
    assert.equal(seen.body.temperature, 0.25);
    assert.equal(seen.body.max_tokens, 64);
    assert.equal(seen.body.user, 'end-user-7');
    assert.ok(!('stream_options' in seen.body), 'no stream_options on a call that does not stream');

    assert.equal(seen.headers.authorization, `Bearer ${demoProviderKey()}`, 'the provider gets its own key');
    assert.ok(!seen.raw.includes(p.key) && !JSON.stringify(seen.headers).includes(p.key), 'the project key never reaches the provider');
    for (const name of ['x-test', 'cookie', 'user-agent', 'x-forwarded-for', 'openai-organization', 'x-asgard-request-id']) {
      assert.ok(!(name in seen.headers), `the client header ${name} does not reach the provider: ${JSON.stringify(seen.headers)}`);
    }
    const allowed = new Set(['host', 'authorization', 'content-type', 'content-length', 'connection']);
    const extra = Object.keys(seen.headers).filter((h) => !allowed.has(h));
    assert.deepEqual(extra, [], `only the gateway's own headers reach the provider: ${JSON.stringify(seen.headers)}`);
  });

  test('a stream that asked for include_usage false: the provider gets include_usage true (the call is metered), the client no usage chunk; other stream_options stay', async () => {
    const marker = nonce('so');
    const res = await streamChat(p.key, chatBody(`opts ${marker}`, { stream_options: { include_usage: false, extra_flag: 'kept' } }));
    remember(res);
    assert.equal(res.status, 200, res.text);
    assert.ok(res.done, 'the stream ends with [DONE]');
    assert.ok(!res.events.some((e) => e.usage), `no usage chunk reached the client: ${res.text.slice(-300)}`);
    await waitForCalls(p.projectId, [res.headers.get('x-asgard-request-id')]);
    const row = gatewayCallRows(p.projectId).find((r) => r.request_id === res.headers.get('x-asgard-request-id'));
    assert.ok(row.output_tokens > 0 && row.input_tokens > 0, `metered from the provider's usage: ${JSON.stringify(row)}`);
    const seen = await providerLastWith(marker);
    assert.deepEqual(seen.body.stream_options, { include_usage: true, extra_flag: 'kept' });
  });

  test('the openai client\'s own headers (x-stainless-*, user-agent) do not reach the provider', async () => {
    const marker = nonce('hd');
    const client = openaiClient(p.key, { defaultHeaders: { 'x-custom-client': 'nope' } });
    const { response } = await client.chat.completions
      .create({ model: DEFAULT_MODEL, messages: [{ role: 'user', content: marker }], data_class: 'internal' }).withResponse();
    governed.push({ id: response.headers.get('x-asgard-request-id'), status: response.status });
    const seen = await providerLastWith(marker);
    const leaked = Object.keys(seen.headers).filter((h) => h.startsWith('x-') || h === 'user-agent' || h === 'accept');
    assert.deepEqual(leaked, [], `client headers reached the provider: ${JSON.stringify(seen.headers)}`);
  });
});

describe('credentials', () => {
  test('a user token (asg_pat_) gets 403: a user token never calls a service', async () => {
    const res = await chat(p.userToken, chatBody('hi'));
    const error = assertOpenAIError(res, 403, 'user_token_not_allowed',
      'a user token never calls a service: mint the project key with gateway_credential');
    assert.equal(error.type, 'permission_error');
  });

  test('an admin user token is refused the same way', async (t) => {
    if (!env.adminPat) {
      t.skip('no ASGARD_ADMIN_PAT in the environment');
      return;
    }
    assertOpenAIError(await chat(env.adminPat, chatBody('hi')), 403, 'user_token_not_allowed');
  });

  test('no Authorization: 401 missing_token in the gateway\'s OpenAI shape, with WWW-Authenticate: Bearer', async () => {
    const res = await chat(null, chatBody('hi'));
    const error = assertOpenAIError(res, 401, 'missing_token');
    assert.equal(error.type, 'authentication_error');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('a well-formed project key that was never issued, a broken checksum and garbage: 401 in the OpenAI shape', async () => {
    for (const [token, code] of [[craftToken('asg_'), 'unknown_token'], [breakChecksum(p.key), 'bad_checksum'], ['not-a-token', 'malformed_token']]) {
      for (const res of [await chat(token, chatBody('hi')), await listModels(token)]) {
        const error = assertOpenAIError(res, 401, code);
        assert.equal(error.type, 'authentication_error', `${token}: ${res.text}`);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
    }
  });

  test('a rotated project key stops working within the token cache\'s TTL; the new key works at once', async () => {
    const ttl = tokenCacheTtlMs();
    const r = await newGatewayProject('e2e-gw-rotate');
    assertCompletion(await chat(r.key, chatBody('before rotation')));
    const rotated = await r.session.call('gateway_credential', { project_id: r.projectId });
    assert.equal(rotated.isError, false);
    const fresh = rotated.structuredContent.key;
    assert.notEqual(fresh, r.key);
    assertCompletion(await chat(fresh, chatBody('the new key')));
    const started = Date.now();
    const res = await eventually(async () => {
      const x = await chat(r.key, chatBody('the old key'));
      return x.status === 401 ? x : null;
    }, { timeoutMs: ttl + 5000, intervalMs: 100, what: 'the old key to be refused' });
    assertOpenAIError(res, 401, 'revoked_token');
    assert.ok(Date.now() - started < ttl + 2000, `refused after ${Date.now() - started} ms (cache TTL ${ttl} ms)`);
  });

  test('the models list needs a credential too: 401 missing_token in the OpenAI shape', async () => {
    const res = await listModels(null);
    assertOpenAIError(res, 401, 'missing_token');
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('the models list refuses a user token with 403 user_token_not_allowed, as chat does', async () => {
    const res = await listModels(p.userToken);
    const error = assertOpenAIError(res, 403, 'user_token_not_allowed',
      'a user token never calls a service: mint the project key with gateway_credential');
    assert.equal(error.type, 'permission_error');
  });

  test('a path under /api/gateway/ that is no route: 404 in the OpenAI shape', async () => {
    for (const path of ['/api/gateway/', '/api/gateway/v2/chat/completions', '/api/gateway/chat/extra', '/api/gateway/v1/chat']) {
      const res = await readResponse(await fetch(`${env.url}${path}`, { headers: { authorization: `Bearer ${p.key}` } }));
      assertOpenAIError(res, 404, 'not_found');
    }
  });
});

describe('bad requests', () => {
  test('invalid JSON: 400 invalid_json', async () => {
    const res = remember(await chat(p.key, '{"model": "model:default/gpt-5", "messages": ['));
    assertOpenAIError(res, 400, 'invalid_json');
    assert.equal(res.json.error.type, 'invalid_request_error');
  });

  test('a member given twice (a second "messages" would reach the provider unchecked): 400 invalid_json', async () => {
    const body = '{"model":"model:default/gpt-5","data_class":"internal","messages":[{"role":"user","content":"hi"}],'
      + '"messages":[{"role":"user","content":"AKIAIOSFODNN7EXAMPLE"}]}';
    const res = remember(await chat(p.key, body));
    assertOpenAIError(res, 400, 'invalid_json', 'the request body has the member "messages" twice');
  });

  test('a JSON array or an empty body: 400 invalid_json', async () => {
    assertOpenAIError(remember(await chat(p.key, '[1,2]')), 400, 'invalid_json');
    assertOpenAIError(remember(await chat(p.key, '')), 400, 'invalid_json');
  });

  test('no model: 400 missing_model; no messages: 400 invalid_messages', async () => {
    assertOpenAIError(remember(await chat(p.key, { messages: [{ role: 'user', content: 'hi' }], data_class: 'internal' })), 400, 'missing_model');
    assertOpenAIError(remember(await chat(p.key, { model: DEFAULT_MODEL, messages: [], data_class: 'internal' })), 400, 'invalid_messages');
    assertOpenAIError(remember(await chat(p.key, { model: DEFAULT_MODEL, messages: ['hi'], data_class: 'internal' })), 400, 'invalid_messages');
  });

  test('GET /api/gateway/chat: 405 with Allow: POST', async () => {
    const res = await fetch(`${env.url}${CHAT_PATH}`, { headers: { authorization: `Bearer ${p.key}` } });
    const text = await res.text();
    assert.equal(res.status, 405, text);
    assert.equal(res.headers.get('allow'), 'POST');
    const error = JSON.parse(text).error;
    assert.equal(error.code, 'method_not_allowed');
  });

  test('a 5 MB body (over asgard_max_body_size 4m): 413 JSON, with Content-Length and chunked', async () => {
    const body = JSON.stringify(chatBody('x'.repeat(5 * 1024 * 1024)));
    assertOpenAIError(await chat(p.key, body), 413, 'body_too_large');
    // Chunked: no Content-Length, so the size is known only once read.
    const res = await fetch(`${env.url}${CHAT_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: new Blob([body]).stream(),
      duplex: 'half',
    });
    const text = await res.text();
    assert.equal(res.status, 413, text);
    assert.equal(JSON.parse(text).error.code, 'body_too_large');
  });

  test('a 20 MB body (over nginx\'s client_max_body_size 16m) is refused with a 413 JSON error before it is read', async () => {
    // Only the headers are sent: nginx refuses by Content-Length before reading the body.
    const { head, body } = await postHeadersOnly(CHAT_PATH, 20 * 1024 * 1024, { Authorization: `Bearer ${p.key}` });
    assert.match(head, /^HTTP\/1\.1 413 /, head);
    // nginx refuses it (client_max_body_size 16m) before Asgard runs; error_page answers in JSON.
    assert.match(head, /\r\ncontent-type: application\/json/i, head);
    const error = JSON.parse(body).error;
    assert.equal(error.code, 'body_too_large');
    assert.equal(error.message, 'the request body exceeds client_max_body_size');
  });

  test('the unread body of a refused request is never parsed as a second request on the connection', async () => {
    // A 5 MB POST refused by its Content-Length, then a GET with a body: the bodies hold a
    // complete request line; only one answer per connection may come back.
    const smuggled = `GET /api/gateway/models HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nAuthorization: Bearer ${p.key}\r\n\r\n`;
    for (const [method, size] of [['POST', 5 * 1024 * 1024], ['GET', smuggled.length + 10]]) {
      const answers = await new Promise((resolve, reject) => {
        const socket = net.connect(PORT, HOST);
        let data = '';
        socket.setEncoding('latin1');
        socket.on('data', (d) => { data += d; });
        socket.on('error', () => resolve(data));
        socket.on('close', () => resolve(data));
        socket.setTimeout(10_000, () => { socket.destroy(); resolve(data); });
        socket.on('connect', () => {
          socket.write(`${method} ${CHAT_PATH} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nAuthorization: Bearer ${p.key}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`);
          socket.write(smuggled + ' '.repeat(method === 'GET' ? size - smuggled.length : 0));
          // Our end of the stream: nginx answers everything it parsed from what came before, then
          // closes, so the test waits for nginx, not for a timeout.
          socket.end();
        });
      }).catch(() => '');
      const statusLines = answers.split('\r\n').filter((l) => /^HTTP\/1\.1 \d{3}/.test(l));
      assert.equal(statusLines.length, 1, `${method}: exactly one answer, got ${JSON.stringify(statusLines)}`);
      assert.match(statusLines[0], method === 'POST' ? / 413 / : / 405 /);
    }
  });
});

describe('the models list', () => {
  test('GET /api/gateway/models with the project key lists model:default/gpt-5 (object "list")', async () => {
    const res = await listModels(p.key);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.object, 'list');
    assert.ok(Array.isArray(res.json.data));
    const m = res.json.data.find((x) => x.id === DEFAULT_MODEL);
    assert.ok(m, `model:default/gpt-5 is listed: ${res.text}`);
    assert.equal(m.object, 'model');
    assert.equal(m.owned_by, 'demo');
    assert.deepEqual([...m.data_classes].sort(), ['confidential', 'internal', 'public']);
    assert.deepEqual(m.price_usd_per_mtok, { input: 1.25, output: 10 });
    assert.equal(m.killed, false);
    assert.match(res.headers.get('x-asgard-request-id') ?? '', REQUEST_ID);
    assert.ok(!res.text.includes(demoProviderKey()), 'no provider key in the list');
  });

  test('POST /api/gateway/models: 405 with a JSON error body like the rest of the gateway', async () => {
    const res = await fetch(`${env.url}/api/gateway/models`, { method: 'POST', headers: { authorization: `Bearer ${p.key}` } });
    const text = await res.text();
    assert.equal(res.status, 405);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `a JSON 405, got ${res.headers.get('content-type')}: ${text.slice(0, 200)}`);
    assert.equal(typeof JSON.parse(text).error?.message, 'string');
  });

  test('the openai client lists the models too (GET baseURL/models)', async () => {
    const client = openaiClient(p.key);
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes(DEFAULT_MODEL), `listed: ${ids}`);
  });
});

describe('accounting', () => {
  test('every call has one call log row with its request id and no prompt text; get_cost shows the model\'s requests and spend', async () => {
    const secretPrompt = nonce('prompt-text-');
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const res = await chat(p.key, chatBody(`${secretPrompt} number ${i}`));
      assertCompletion(res);
      ids.push(res.headers.get('x-asgard-request-id'));
    }
    // A refused call (guardrail) is audited too, without the prompt.
    const blocked = await chat(p.key, chatBody(`${secretPrompt} AKIAABCDEFGHIJKLMNOP`));
    assertOpenAIError(blocked, 400, 'guardrail_blocked');
    ids.push(blocked.headers.get('x-asgard-request-id'));
    for (const g of governed) ids.push(g.id);
    const all = [...new Set(ids)];
    assert.equal(all.length, ids.length, 'request ids are unique');
    for (const id of all) assert.match(id, REQUEST_ID);

    const byId = await waitForCalls(p.projectId, all);
    for (const id of all) {
      const rows = byId.get(id);
      assert.equal(rows.length, 1, `exactly one call log row for ${id}: ${JSON.stringify(rows)}`);
      const [row] = rows;
      assert.equal(row.project_id, p.projectId);
      assert.equal(Number(row.token_id), Number(p.keyId), 'the row names the project key');
    }
    for (const id of ids.slice(0, 3)) {
      const call = byId.get(id)[0];
      assert.equal(call.outcome, 'ok');
      assert.equal(call.model, DEFAULT_MODEL);
      assert.equal(call.status, 200);
      assert.equal(call.data_class, 'internal');
      assert.ok(call.input_tokens > 0 && call.output_tokens > 0, JSON.stringify(call));
      assert.ok(Number(call.cost_usd) > 0, JSON.stringify(call));
    }
    const denied = byId.get(ids[3])[0];
    assert.equal(denied.outcome, 'denied:guardrail_blocked');
    assert.equal(denied.status, 400);
    assert.equal(logRowsContaining(secretPrompt), 0, 'no prompt text in the audit or call log');
    assert.equal(logRowsContaining('AKIAABCDEFGHIJKLMNOP'), 0, 'no blocked secret in the audit or call log');
    assert.equal(logRowsContaining(p.key), 0, 'no project key in the audit or call log');

    // Spend: one row per key and model; requests = the successful and failed calls that reached the model.
    const okCalls = governed.filter((g) => g.status === 200).length + 3;
    const rows = await waitForSpend(p.projectId,
      (r) => r.some((x) => x.model === DEFAULT_MODEL && Number(x.requests) >= okCalls),
      `spend_daily to count ${okCalls} calls of ${DEFAULT_MODEL}`);
    const spend = rows.find((x) => x.model === DEFAULT_MODEL);
    assert.equal(Number(spend.requests), okCalls, `spend_daily.requests counts the calls served: ${JSON.stringify(rows)}`);
    assert.equal(Number(spend.token_id), Number(p.keyId));

    const cost = await p.session.call('get_cost', { project_id: p.projectId });
    assert.equal(cost.isError, false, JSON.stringify(cost));
    const c = cost.structuredContent;
    const line = c.by_model.find((l) => l.model === DEFAULT_MODEL);
    assert.ok(line, `get_cost by_model has ${DEFAULT_MODEL}: ${JSON.stringify(c.by_model)}`);
    assert.equal(line.requests, okCalls);
    assert.match(line.usd, /^\d+\.\d{6}$/, 'money is exact decimal text');
    assert.ok(Number(line.usd) > 0, `usd > 0: ${JSON.stringify(line)}`);
    assert.equal(Number(line.usd.replace('.', '')), Math.round(spend.cost_usd * 1e6),
      `get_cost agrees with spend_daily to the micro-dollar: ${line.usd} vs ${spend.cost_usd}`);
    assert.equal(line.input_tokens, Number(spend.input_tokens));
    assert.equal(line.output_tokens, Number(spend.output_tokens));
    assert.ok(Number(c.total_usd) >= Number(line.usd));
    // by_day: the same calls per UTC day (one model here, so the days sum to its line).
    assert.equal(c.by_day.reduce((n, d) => n + d.requests, 0), line.requests, JSON.stringify(c.by_day));
    assert.equal(c.by_day.reduce((n, d) => n + BigInt(d.usd.replace('.', '')), 0n), BigInt(line.usd.replace('.', '')));
    for (const d of c.by_day) assert.match(d.day, /^\d{4}-\d\d-\d\d$/);
  });
});
