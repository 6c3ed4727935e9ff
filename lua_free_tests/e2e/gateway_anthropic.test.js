// Anthropic's Messages API through the gateway with the official @anthropic-ai/sdk, unmodified
// (baseURL .../api/gateway, as Claude Code's ANTHROPIC_BASE_URL): the project key by x-api-key or
// Authorization: Bearer, anthropic-version and anthropic-beta passed on, the provider's own key sent
// as x-api-key, usage metered from usage or message_start/message_delta, errors in Anthropic's shape
// (the SDK's typed errors with Asgard's message and error code), every governance rule applied.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import Anthropic from '@anthropic-ai/sdk';

import {
  DEFAULT_MODEL,
  asgardOk,
  eventually,
  gatewayCallRows,
  newGatewayProject,
  nonce,
  providerLastWith,
  readResponse,
  removeModel,
  stateDir,
  syncGateway,
} from './gateway_helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertErrorLogClean, env } from './helpers.js';

const CLAUDE = 'model:anthropic/claude-sonnet';   // the stack's demo Anthropic-kind model
const SYNC = 'gwtest:sync-anthropic';

after(() => removeModel(SYNC));
after(assertErrorLogClean);

const anthropic = (key, options = {}) => new Anthropic({
  apiKey: key, baseURL: `${env.url}/api/gateway`, maxRetries: 0, defaultHeaders: { 'X-Asgard-Data-Class': 'internal' }, ...options,
});
const hello = (text, extra = {}) => ({ model: CLAUDE, max_tokens: 256, messages: [{ role: 'user', content: text }], ...extra });
const demoAnthropicKey = () => readFileSync(join(stateDir(), 'provider', 'demo-anthropic.key'), 'utf8').trim();
const rowOf = (projectId, id) => eventually(() => gatewayCallRows(projectId).find((r) => r.request_id === id),
  { what: `the call log row of ${id}` });

describe('messages', () => {
  test('messages.create: the message back with usage; the provider got its own key as x-api-key, anthropic-version and -beta, its model name; the call metered', async () => {
    const p = await newGatewayProject('e2e-gw-anth');
    const client = anthropic(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'internal', 'anthropic-beta': 'token-efficient-tools-2025-02-19' } });
    const marker = nonce('an');
    const { data, response } = await client.messages.create(hello(`hello ${marker}`, { system: 'be brief' })).withResponse();
    assert.equal(data.type, 'message');
    assert.equal(data.model, CLAUDE, 'the answer names the alias asked for');
    assert.match(data.content[0].text, new RegExp(marker));
    assert.ok(data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
    const id = response.headers.get('x-asgard-request-id');
    assert.equal(response.headers.get('request-id'), id, 'the id the Anthropic SDK reads');

    const seen = await providerLastWith(marker);
    assert.equal(seen.path, '/v1/messages');
    assert.equal(seen.headers['x-api-key'], demoAnthropicKey(), 'the provider gets its own key');
    assert.ok(!('authorization' in seen.headers), 'no Authorization header reaches an Anthropic provider');
    assert.match(seen.headers['anthropic-version'] ?? '', /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(seen.headers['anthropic-beta'], 'token-efficient-tools-2025-02-19');
    assert.ok(!JSON.stringify(seen.headers).includes(p.key), 'the project key never reaches the provider');
    assert.equal(seen.body.model, 'demo-claude-sonnet');
    assert.equal(seen.body.max_tokens, 256);
    assert.ok(!('data_class' in seen.body) && !('stream_options' in seen.body));

    const row = await rowOf(p.projectId, id);
    assert.deepEqual([row.outcome, row.model, row.data_class], ['ok', CLAUDE, 'internal']);
    assert.equal(row.input_tokens, data.usage.input_tokens);
    assert.equal(row.output_tokens, data.usage.output_tokens);
    assert.equal(row.cost_usd, (Math.ceil(data.usage.input_tokens * 3 + data.usage.output_tokens * 15) / 1e6).toFixed(6));
  });

  test('streaming (messages.stream): the text assembled, message_start names the alias, usage from message_start and message_delta', async () => {
    const p = await newGatewayProject('e2e-gw-anth-stream');
    const client = anthropic(p.key);
    const marker = nonce('as');
    const stream = client.messages.stream(hello(`stream ${marker}`));
    let text = '';
    let startModel = null;
    stream.on('text', (t) => { text += t; });
    stream.on('streamEvent', (e) => { if (e.type === 'message_start') startModel = e.message.model; });
    const final = await stream.finalMessage();
    assert.match(text, new RegExp(marker));
    assert.equal(startModel, CLAUDE);
    assert.ok(final.usage.output_tokens > 1, JSON.stringify(final.usage));
    const { response } = await stream.withResponse();
    const row = await rowOf(p.projectId, response.headers.get('x-asgard-request-id'));
    assert.equal(row.output_tokens, final.usage.output_tokens);
    assert.equal(row.input_tokens, final.usage.input_tokens);
  });

  test('Authorization: Bearer works as well as x-api-key (Claude Code\'s ANTHROPIC_AUTH_TOKEN)', async () => {
    const p = await newGatewayProject('e2e-gw-anth-bearer');
    const client = new Anthropic({ authToken: p.key, apiKey: null, baseURL: `${env.url}/api/gateway`, maxRetries: 0,
      defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });
    const data = await client.messages.create(hello('bearer'));
    assert.equal(data.type, 'message');
  });

  test('messages.countTokens: the provider\'s count, free (no cost), counted as a request', async () => {
    const p = await newGatewayProject('e2e-gw-anth-count');
    const client = anthropic(p.key);
    const marker = nonce('ct');
    const { data, response } = await client.messages.countTokens({ model: CLAUDE, messages: [{ role: 'user', content: `count ${marker}` }] }).withResponse();
    assert.ok(data.input_tokens > 0);
    const seen = await providerLastWith(marker);
    assert.equal(seen.path, '/v1/messages/count_tokens');
    assert.ok(!('max_tokens' in seen.body), 'nothing added to a count');
    const row = await rowOf(p.projectId, response.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'ok');
    assert.equal(row.cost_usd, '0.000000');
  });

  test('models.list with anthropic-version: Anthropic\'s shape, only the models /messages can serve', async () => {
    const p = await newGatewayProject('e2e-gw-anth-models');
    const client = anthropic(p.key);
    const ids = [];
    for await (const m of client.models.list()) {
      assert.equal(m.type, 'model');
      assert.match(m.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      ids.push(m.id);
    }
    assert.ok(ids.includes(CLAUDE), `listed: ${ids}`);
    assert.ok(!ids.includes(DEFAULT_MODEL), 'an OpenAI-only model is not listed for Anthropic clients');
    const one = await client.models.retrieve(CLAUDE);
    assert.equal(one.id, CLAUDE);
  });
});

describe('errors in Anthropic\'s shape, as the SDK\'s typed errors', () => {
  test('401 unknown key, 403 user token, 400 OpenAI-only model naming its routes, 404 unknown model, 400 max_tokens over the cap', async () => {
    const p = await newGatewayProject('e2e-gw-anth-err');
    await assert.rejects(anthropic('asg_000000000000000000000000000000abcdef').messages.create(hello('hi')), (e) => {
      assert.ok(e instanceof Anthropic.AuthenticationError, `${e}`);
      assert.equal(e.type, 'authentication_error');
      assert.ok(['bad_checksum', 'unknown_token', 'malformed_token'].includes(e.errorCode), e.errorCode);
      return true;
    });
    await assert.rejects(anthropic(p.userToken).messages.create(hello('hi')), (e) => {
      assert.ok(e instanceof Anthropic.PermissionDeniedError, `${e}`);
      assert.equal(e.errorCode, 'user_token_not_allowed');
      assert.match(e.message, /a user token never calls a service/);
      return true;
    });
    const client = anthropic(p.key);
    await assert.rejects(client.messages.create(hello('hi', { model: DEFAULT_MODEL })), (e) => {
      assert.ok(e instanceof Anthropic.BadRequestError, `${e}`);
      assert.equal(e.errorCode, 'model_wrong_api');
      assert.match(e.message, /model:default\/gpt-5 is served by an OpenAI-compatible provider: call it at \/v1\/chat\/completions, \/v1\/responses and \/v1\/embeddings, not at \/v1\/messages/);
      return true;
    });
    await assert.rejects(client.messages.create(hello('hi', { model: 'model:nope/none' })), (e) => {
      assert.ok(e instanceof Anthropic.NotFoundError, `${e}`);
      assert.equal(e.type, 'not_found_error');
      return true;
    });
    // Over the model's cap (64000 for the demo model; the SDK itself refuses such a call unless it streams).
    const stream = client.messages.stream(hello('hi', { max_tokens: 70000 }));
    await assert.rejects(stream.finalMessage(), (e) => {
      assert.ok(e instanceof Anthropic.BadRequestError, `${e}`);
      assert.equal(e.errorCode, 'max_tokens_too_large');
      assert.match(e.message, /max_tokens is too large: 70000; model model:anthropic\/claude-sonnet produces at most 64000 output tokens/);
      return true;
    });
    // A path of the family that is no route, and a GET: Anthropic's shape too.
    const get = await readResponse(await fetch(`${env.url}/api/gateway/v1/messages`, { headers: { 'x-api-key': p.key } }));
    assert.equal(get.status, 405);
    assert.equal(get.json.type, 'error');
    assert.equal(get.json.error.type, 'invalid_request_error');
    const wrong = await readResponse(await fetch(`${env.url}/api/gateway/v1/messages/batches`, { method: 'POST', headers: { 'x-api-key': p.key } }));
    assert.equal(wrong.status, 404);
    assert.equal(wrong.json.type, 'error');
    assert.equal(wrong.json.error.type, 'not_found_error');
  });

  test('guardrails over system, content blocks and tool definitions; data class policy; kill switch with x-should-retry false', async () => {
    const p = await newGatewayProject('e2e-gw-anth-gov');
    const client = anthropic(p.key);
    const secret = 'AKIAABCDEFGHIJKLMNOP';
    for (const body of [
      hello('hi', { system: `key ${secret}` }),
      { model: CLAUDE, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: `key ${secret}` }] }] },
      hello('hi', { tools: [{ name: 'lookup', description: `uses ${secret}`, input_schema: { type: 'object' } }] }),
    ]) {
      await assert.rejects(client.messages.create(body), (e) => {
        assert.ok(e instanceof Anthropic.BadRequestError, `${e}`);
        assert.equal(e.errorCode, 'guardrail_blocked');
        return true;
      });
    }
    await assert.rejects(anthropic(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'restricted' } }).messages.create(hello('hi')), (e) => {
      assert.ok(e instanceof Anthropic.PermissionDeniedError, `${e}`);
      assert.equal(e.errorCode, 'data_class_not_allowed');
      return true;
    });
    asgardOk(['killswitch', 'on', '--project', p.projectId, '--reason', 'e2e anthropic drill']);
    try {
      let sent = 0;
      const counting = new Anthropic({ apiKey: p.key, baseURL: `${env.url}/api/gateway`, maxRetries: 2,
        defaultHeaders: { 'X-Asgard-Data-Class': 'internal' }, fetch: (url, init) => { sent++; return fetch(url, init); } });
      await eventually(async () => {
        sent = 0;
        try {
          await counting.messages.create(hello('hi'));
          return false;
        } catch (e) {
          return e.status === 503 && e.errorCode === 'kill_switch' && /e2e anthropic drill/.test(e.message) && sent === 1;
        }
      }, { what: 'a 503 kill_switch, not retried by the SDK' });
    } finally {
      asgardOk(['killswitch', 'off', '--project', p.projectId]);
    }
  });

  test('rate limit 429 (RateLimitError with retry-after) and budget 402 (PaymentRequiredError naming what remains)', async () => {
    const p = await newGatewayProject('e2e-gw-anth-limits');
    const q = await newGatewayProject('e2e-gw-anth-limits2');
    asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '1', '--tpm', '1000000']);
    asgardOk(['budget', 'set', q.projectId, '--monthly-usd', '0.001']);
    await syncGateway(p.key, SYNC);
    const client = anthropic(p.key);
    let limited = null;
    for (let i = 0; i < 3 && !limited; i++) {
      try { await client.messages.create(hello('hi')); } catch (e) { limited = e; }
    }
    assert.ok(limited instanceof Anthropic.RateLimitError, `${limited}`);
    assert.equal(limited.errorCode, 'rate_limit_requests');
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
    await assert.rejects(anthropic(q.key).messages.create(hello('hi')), (e) => {
      assert.ok(e instanceof Anthropic.PaymentRequiredError || e.status === 402, `${e}`);
      assert.equal(e.errorCode, 'budget_exceeded');
      assert.match(e.message, /does not cover this call \(worst case \d+\.\d{6} USD, remaining \d+\.\d{6} USD\)/);
      return true;
    });
  });
});
