// The OpenAI routes as the official openai client calls them, unmodified (no fetch wrapper): baseURL
// .../api/gateway/v1 or .../api/gateway, POST {base}/chat/completions, GET {base}/models and
// {base}/models/{id}; data_class from the X-Asgard-Data-Class header; x-should-retry: false where a
// retry cannot help (the client then does not retry a kill switch); x-request-id beside
// x-asgard-request-id. Each test uses a project of its own.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import OpenAI from 'openai';

import {
  DEFAULT_MODEL,
  REQUEST_ID,
  addModel,
  asgardOk,
  assertOpenAIError,
  chat,
  chatBody,
  eventually,
  gatewayCallRows,
  newGatewayProject,
  nonce,
  openaiClient,
  providerLastWith,
  readResponse,
  removeModel,
  syncGateway,
} from './gateway_helpers.js';
import { cli } from './control_helpers.js';
import { assertErrorLogClean, env } from './helpers.js';

const SYNC = 'gwtest:sync-openai-routes';
const SLASHED = 'model:team-a/sub/gpt-5';   // an alias with two slashes: models.retrieve encodes them

after(() => {
  removeModel(SYNC);
  removeModel(SLASHED);
});
after(assertErrorLogClean);

const hello = (marker, extra = {}) => ({ model: DEFAULT_MODEL, messages: [{ role: 'user', content: `hello ${marker}` }], ...extra });

describe('the openai client with baseURL .../api/gateway/v1 and .../api/gateway', () => {
  for (const base of ['/api/gateway/v1', '/api/gateway']) {
    test(`${base}: chat.completions.create, plain and streamed, governed like /api/gateway/chat`, async () => {
      const p = await newGatewayProject('e2e-gw-oa-routes');
      const client = new OpenAI({ apiKey: p.key, baseURL: `${env.url}${base}`, maxRetries: 0 });
      const marker = nonce('rt');
      const { data, response } = await client.chat.completions.create(hello(marker, { data_class: 'internal' })).withResponse();
      assert.equal(data.object, 'chat.completion');
      assert.match(data.choices[0].message.content, new RegExp(marker));
      const id = response.headers.get('x-asgard-request-id');
      assert.match(id ?? '', REQUEST_ID);
      assert.equal(response.headers.get('x-request-id'), id, 'x-request-id is the same id');
      assert.equal((await providerLastWith(marker)).body.model, 'demo-gpt-5', 'the provider got its own model name');

      const streamMarker = nonce('rs');
      const stream = await client.chat.completions.create(hello(streamMarker, { data_class: 'internal', stream: true }));
      let content = '';
      for await (const chunk of stream) for (const c of chunk.choices) content += c.delta?.content ?? '';
      assert.match(content, new RegExp(streamMarker));

      const rows = await eventually(() => {
        const r = gatewayCallRows(p.projectId);
        return r.length >= 2 ? r : null;
      }, { what: 'both calls in the call log' });
      assert.deepEqual(rows.map((r) => [r.model, r.outcome, r.data_class]),
        [[DEFAULT_MODEL, 'ok', 'internal'], [DEFAULT_MODEL, 'ok', 'internal']]);
    });
  }
});

describe('data_class without a body field', () => {
  test('the X-Asgard-Data-Class header (the client\'s defaultHeaders) serves a client that cannot add a body field', async () => {
    const p = await newGatewayProject('e2e-gw-oa-dc');
    const client = openaiClient(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'confidential' } });
    const marker = nonce('dc');
    const data = await client.chat.completions.create(hello(marker));
    assert.match(data.choices[0].message.content, new RegExp(marker));
    const seen = await providerLastWith(marker);
    assert.ok(!('x-asgard-data-class' in seen.headers), 'the header does not reach the provider');
    const rows = await eventually(() => gatewayCallRows(p.projectId).find((r) => r.outcome === 'ok'), { what: 'the call row' });
    assert.equal(rows.data_class, 'confidential');
  });

  test('header and body agreeing are served; differing: 400 data_class_conflict; an unknown class in the header: 400', async () => {
    const p = await newGatewayProject('e2e-gw-oa-dc2');
    const same = await chat(p.key, chatBody('hi', { data_class: 'internal' }), { headers: { 'x-asgard-data-class': 'internal' } });
    assert.equal(same.status, 200, same.text);
    const conflict = await chat(p.key, chatBody('hi', { data_class: 'internal' }), { headers: { 'x-asgard-data-class': 'public' } });
    assertOpenAIError(conflict, 400, 'data_class_conflict',
      'data_class internal in the body and public in the X-Asgard-Data-Class header differ: give one, or the same in both');
    const body = chatBody('hi');
    delete body.data_class;
    const unknown = await chat(p.key, body, { headers: { 'x-asgard-data-class': 'secret-ish' } });
    assertOpenAIError(unknown, 400, 'invalid_data_class');
    const policy = await chat(p.key, { ...body, model: DEFAULT_MODEL }, { headers: { 'x-asgard-data-class': 'restricted' } });
    assertOpenAIError(policy, 403, 'data_class_not_allowed');
  });
});

describe('a key\'s default data class', () => {
  test('gateway_credential with default_data_class: a client that sets neither body field nor header is served, the call logged with the key\'s class; body and header still win', async () => {
    const p = await newGatewayProject('e2e-gw-oa-keydc');
    const minted = await p.session.call('gateway_credential', { project_id: p.projectId, default_data_class: 'confidential' });
    assert.equal(minted.isError, false, JSON.stringify(minted));
    assert.equal(minted.structuredContent.default_data_class, 'confidential');
    const key = minted.structuredContent.key;
    const client = openaiClient(key);
    const marker = nonce('kd');
    const { response } = await client.chat.completions.create(hello(marker)).withResponse();
    const ids = { key: response.headers.get('x-asgard-request-id') };
    const viaHeader = await chat(key, { model: DEFAULT_MODEL, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-asgard-data-class': 'public' } });
    assert.equal(viaHeader.status, 200, viaHeader.text);
    ids.header = viaHeader.headers.get('x-asgard-request-id');
    const viaBody = await chat(key, chatBody('hi', { data_class: 'internal' }));
    assert.equal(viaBody.status, 200, viaBody.text);
    ids.body = viaBody.headers.get('x-asgard-request-id');
    const rows = await eventually(() => {
      const r = gatewayCallRows(p.projectId);
      return Object.values(ids).every((id) => r.some((x) => x.request_id === id)) ? r : null;
    }, { what: 'the three calls in the call log' });
    const classOf = (id) => rows.find((r) => r.request_id === id).data_class;
    assert.deepEqual({ key: classOf(ids.key), header: classOf(ids.header), body: classOf(ids.body) },
      { key: 'confidential', header: 'public', body: 'internal' });
    // The key's class is governed like any other: restricted is not allowed for the demo model.
    const restricted = await p.session.call('gateway_credential', { project_id: p.projectId, default_data_class: 'restricted' });
    const refused = await chat(restricted.structuredContent.key, { model: DEFAULT_MODEL, messages: [{ role: 'user', content: 'hi' }] });
    assertOpenAIError(refused, 403, 'data_class_not_allowed');
    const bad = await p.session.call('gateway_credential', { project_id: p.projectId, default_data_class: 'secret' });
    assert.equal(bad.isError, true, 'an unknown class is refused by the tool\'s schema');
  });

  test('asgard key create --default-data-class: shown by key list; a wrong class exits 2 naming the classes', async () => {
    const p = await newGatewayProject('e2e-gw-oa-keydc-cli');
    const key = asgardOk(['key', 'create', '--project', p.projectId, '--default-data-class', 'internal']).trim();
    const res = await chat(key, { model: DEFAULT_MODEL, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.status, 200, res.text);
    const listed = JSON.parse(asgardOk(['key', 'list', '--project', p.projectId, '--json']));
    const row = listed.find((k) => key.startsWith(k.prefix) && !k.revoked);
    assert.equal(row.default_data_class, 'internal');
    const wrong = cli(['key', 'create', '--project', p.projectId, '--default-data-class', 'top-secret']);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--default-data-class must be one of public, internal, confidential, restricted/);
  });
});

describe('models', () => {
  test('models.list and models.retrieve in OpenAI\'s shape (id, object, created, owned_by); an alias with slashes round-trips', async () => {
    const p = await newGatewayProject('e2e-gw-oa-models');
    addModel(SLASHED, 'demo-gpt-5', { dataClasses: ['internal'] });
    await syncGateway(p.key, SYNC);
    const client = openaiClient(p.key);
    const listed = [];
    for await (const m of client.models.list()) listed.push(m);
    const m = listed.find((x) => x.id === DEFAULT_MODEL);
    assert.ok(m, `listed: ${listed.map((x) => x.id)}`);
    assert.equal(m.object, 'model');
    assert.equal(m.owned_by, 'demo');
    assert.ok(Number.isInteger(m.created) && m.created > 1_600_000_000 && m.created <= Date.now() / 1000 + 5, `created ${m.created}`);

    const one = await client.models.retrieve(DEFAULT_MODEL);
    assert.deepEqual(one, m, 'retrieve returns the listed entry');
    const slashed = await client.models.retrieve(SLASHED);
    assert.equal(slashed.id, SLASHED);
    assert.deepEqual(slashed.data_classes, ['internal']);

    // Without /v1 too, raw.
    const raw = await readResponse(await fetch(`${env.url}/api/gateway/models/${encodeURIComponent(DEFAULT_MODEL)}`,
      { headers: { authorization: `Bearer ${p.key}` } }));
    assert.equal(raw.status, 200, raw.text);
    assert.equal(raw.json.id, DEFAULT_MODEL);

    await assert.rejects(client.models.retrieve('model:nope/none'), (e) => {
      assert.ok(e instanceof OpenAI.NotFoundError, `a NotFoundError: ${e}`);
      assert.equal(e.code, 'model_not_found');
      assert.match(e.message, /model:nope\/none/);
      return true;
    });
  });
});

describe('retries', () => {
  test('a kill switch answers x-should-retry: false, so the openai client with its default retries calls once', async () => {
    const p = await newGatewayProject('e2e-gw-oa-kill');
    let sent = 0;  // the client's requests, counted where it sends them (nothing rewritten)
    const counting = (input, init) => { sent++; return fetch(input, init); };
    const client = new OpenAI({ apiKey: p.key, baseURL: `${env.url}/api/gateway/v1`, maxRetries: 2, fetch: counting });
    assert.equal((await chat(p.key, chatBody('before'))).status, 200);
    asgardOk(['killswitch', 'on', '--project', p.projectId, '--reason', 'e2e retry drill']);
    try {
      await eventually(async () => (await chat(p.key, chatBody('probe'))).status === 503, { what: 'the kill switch to apply' });
      const marker = nonce('kill');
      await assert.rejects(client.chat.completions.create(hello(marker, { data_class: 'internal' })), (e) => {
        assert.equal(e.status, 503);
        assert.equal(e.code, 'kill_switch');
        assert.match(e.message, /e2e retry drill/);
        assert.equal(e.headers.get('x-should-retry'), 'false');
        return true;
      });
      assert.equal(sent, 1, 'the client sent the call once and did not retry it');
    } finally {
      asgardOk(['killswitch', 'off', '--project', p.projectId]);
    }
  });

  test('402 budget and 403 data class and user token carry x-should-retry: false; 429 does not', async () => {
    const p = await newGatewayProject('e2e-gw-oa-retry');
    const q = await newGatewayProject('e2e-gw-oa-retry-rpm');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '0.001']);
    asgardOk(['ratelimit', 'set', '--project', q.projectId, '--rpm', '1', '--tpm', '1000000']);
    await syncGateway(p.key, SYNC);
    const budget = await chat(p.key, chatBody('hi', { max_tokens: 4096 }));
    assertOpenAIError(budget, 402, 'budget_exceeded');
    assert.equal(budget.headers.get('x-should-retry'), 'false');
    const policy = await chat(p.key, chatBody('hi', { data_class: 'restricted' }));
    assertOpenAIError(policy, 403, 'data_class_not_allowed');
    assert.equal(policy.headers.get('x-should-retry'), 'false');
    const user = await chat(p.userToken, chatBody('hi'));
    assertOpenAIError(user, 403, 'user_token_not_allowed');
    assert.equal(user.headers.get('x-should-retry'), 'false');
    // A rate limit passes with time: no such header, the client may retry after Retry-After.
    const statuses = [];
    let limited;
    for (let i = 0; i < 3 && !limited; i++) {
      const res = await chat(q.key, chatBody('hi'));
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    assert.ok(limited, `a 429 within 3 calls at 1 rpm: ${statuses}`);
    assertOpenAIError(limited, 429, 'rate_limit_requests');
    assert.equal(limited.headers.get('x-should-retry'), null);
  });
});
