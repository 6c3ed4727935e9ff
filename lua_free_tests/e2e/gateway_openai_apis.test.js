// Embeddings and the Responses API through the gateway with the official openai client, unmodified
// (baseURL .../api/gateway/v1): governed like chat (kill switch, data class, guardrails, rate
// limits, budget), metered from the provider's usage, logged in the call log, and the answer names
// the alias asked for. Each test uses a project of its own.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import OpenAI from 'openai';

import {
  DEFAULT_MODEL,
  asgardOk,
  eventually,
  gatewayCallRows,
  newGatewayProject,
  nonce,
  openaiClient,
  providerLastWith,
  removeModel,
  syncGateway,
} from './gateway_helpers.js';
import { assertErrorLogClean } from './helpers.js';

const EMBED = 'model:default/text-embed';   // the stack's demo embedding model (price in 0.02, out 0)
const SYNC = 'gwtest:sync-openai-apis';

after(() => removeModel(SYNC));
after(assertErrorLogClean);

/** Waits for the call log row of a request id. */
const rowOf = (projectId, id) => eventually(() => gatewayCallRows(projectId).find((r) => r.request_id === id),
  { what: `the call log row of ${id}` });

describe('embeddings', () => {
  test('embeddings.create (floats and the client\'s default base64): vectors back, usage metered as input only, the alias as model', async () => {
    const p = await newGatewayProject('e2e-gw-embed');
    const client = openaiClient(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });
    const marker = nonce('em');
    const { data, response } = await client.embeddings.create({ model: EMBED, input: [`first ${marker}`, 'second'] }).withResponse();
    assert.equal(data.data.length, 2);
    assert.equal(data.data[0].embedding.length, 8, 'the client decoded the base64 vectors it asked for');
    assert.ok(data.data[0].embedding.every((x) => typeof x === 'number'));
    assert.equal(data.model, EMBED);
    assert.ok(data.usage.prompt_tokens > 0);
    const seen = await providerLastWith(marker);
    assert.equal(seen.path, '/v1/embeddings');
    assert.equal(seen.body.model, 'demo-text-embed');
    assert.ok(!('max_completion_tokens' in seen.body) && !('stream_options' in seen.body), `nothing added: ${seen.raw}`);

    const floats = await client.embeddings.create({ model: EMBED, input: 'one text', encoding_format: 'float' });
    assert.equal(floats.data[0].embedding.length, 8);

    const row = await rowOf(p.projectId, response.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'ok');
    assert.equal(row.model, EMBED);
    assert.equal(row.input_tokens, data.usage.prompt_tokens);
    assert.equal(row.output_tokens, 0);
    assert.equal(row.cost_usd, (Math.ceil(data.usage.prompt_tokens * 0.02) / 1e6).toFixed(6), 'cost from the input price alone');
  });

  test('governed: a secret in the input is blocked (400), a missing input is 400, a kill switch 503 with x-should-retry false', async () => {
    const p = await newGatewayProject('e2e-gw-embed-gov');
    const client = openaiClient(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });
    await assert.rejects(client.embeddings.create({ model: EMBED, input: ['my key AKIAABCDEFGHIJKLMNOP'] }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'guardrail_blocked');
      return true;
    });
    await assert.rejects(client.embeddings.create({ model: EMBED }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'invalid_input');
      return true;
    });
    asgardOk(['killswitch', 'on', '--model', EMBED, '--reason', 'e2e embed drill']);
    try {
      await eventually(async () => {
        try {
          await client.embeddings.create({ model: EMBED, input: 'x' });
          return false;
        } catch (e) {
          return e.status === 503 && e.code === 'kill_switch' && e.headers.get('x-should-retry') === 'false';
        }
      }, { what: 'the model kill switch on embeddings' });
    } finally {
      asgardOk(['killswitch', 'off', '--model', EMBED]);
    }
  });
});

describe('the Responses API', () => {
  test('responses.create: the answer with output_text, usage from input_tokens/output_tokens, max_output_tokens added at the model\'s cap', async () => {
    const p = await newGatewayProject('e2e-gw-resp');
    const client = openaiClient(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });
    const marker = nonce('rp');
    const { data, response } = await client.responses.create({ model: DEFAULT_MODEL, input: `hello ${marker}`, instructions: 'be brief' }).withResponse();
    assert.equal(data.object, 'response');
    assert.equal(data.model, DEFAULT_MODEL);
    assert.match(data.output_text, new RegExp(marker));
    const seen = await providerLastWith(marker);
    assert.equal(seen.path, '/v1/responses');
    assert.equal(seen.body.model, 'demo-gpt-5');
    assert.equal(seen.body.max_output_tokens, 4096, 'the reserved output limit is what the provider gets');
    assert.ok(!('stream_options' in seen.body));
    const row = await rowOf(p.projectId, response.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'ok');
    assert.equal(row.input_tokens, data.usage.input_tokens);
    assert.equal(row.output_tokens, data.usage.output_tokens);
  });

  test('streaming: response.* events assemble the text; response.completed carries usage and the alias; the call is metered from it', async () => {
    const p = await newGatewayProject('e2e-gw-resp-stream');
    const client = openaiClient(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });
    const marker = nonce('rs');
    const { data: stream, response } = await client.responses.create({ model: DEFAULT_MODEL, input: `stream ${marker}`, stream: true }).withResponse();
    let text = '';
    let completed = null;
    const types = new Set();
    for await (const event of stream) {
      types.add(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.match(text, new RegExp(marker));
    assert.ok(types.has('response.created') && types.has('response.completed'), [...types].join(','));
    assert.equal(completed.model, DEFAULT_MODEL, 'the events name the alias');
    const row = await rowOf(p.projectId, response.headers.get('x-asgard-request-id'));
    assert.equal(row.output_tokens, completed.usage.output_tokens);
    assert.equal(row.input_tokens, completed.usage.input_tokens);
  });

  test('governed: instructions are scanned (a secret there is blocked); max_output_tokens over the cap is 400; an Anthropic model is refused naming its routes; a budget too small is 402', async () => {
    const p = await newGatewayProject('e2e-gw-resp-gov');
    const client = openaiClient(p.key, { defaultHeaders: { 'X-Asgard-Data-Class': 'internal' } });
    await assert.rejects(client.responses.create({ model: DEFAULT_MODEL, input: 'hi', instructions: 'use AKIAABCDEFGHIJKLMNOP' }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'guardrail_blocked');
      return true;
    });
    await assert.rejects(client.responses.create({ model: DEFAULT_MODEL, input: 'hi', max_output_tokens: 100000 }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, 'max_tokens_too_large');
      assert.match(e.message, /max_output_tokens is too large/);
      return true;
    });
    await assert.rejects(client.responses.create({ model: 'model:anthropic/claude-sonnet', input: 'hi' }), (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.equal(e.code, 'model_wrong_api');
      assert.match(e.message, /served by an Anthropic provider: call it at \/v1\/messages/);
      return true;
    });
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '0.001']);
    await syncGateway(p.key, SYNC);
    await assert.rejects(client.responses.create({ model: DEFAULT_MODEL, input: 'hi' }), (e) => {
      assert.equal(e.status, 402);
      assert.equal(e.code, 'budget_exceeded');
      assert.equal(e.headers.get('x-should-retry'), 'false');
      return true;
    });
  });
});
