// Provider faults and clients that go away: a provider that fails (500) or cannot be reached gives
// a 502 JSON error, one that is too slow (over proxy_read_timeout, 2 s in tests) a 504; an answer
// that is not valid JSON becomes a 502 upstream_malformed, charged its reserved worst case; an answer
// without usage is charged by its content; a prompt just under the body limit is served; a client
// that disconnects mid-stream is charged for what was generated, one that gives up before the
// answer for nothing; and nothing of this crashes a worker.
import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { cli } from './control_helpers.js';
import {
  REQUEST_ID,
  addModel,
  asgardOk,
  assertCompletion,
  assertOpenAIError,
  chat,
  chatBody,
  estimateInputTokens,
  eventually,
  gatewayCallRows,
  newGatewayProject,
  nonce,
  providerLast,
  providerLastWith,
  removeModel,
  streamChat,
  providerTimeoutMs,
  syncGateway,
  waitForCalls,
  waitForSpend,
} from './gateway_helpers.js';
import { assertErrorLogClean, env } from './helpers.js';

const SYNC = 'gwtest:sync-faults';
const M = {
  error: 'gwtest:faults-error',
  tooLarge: 'gwtest:faults-too-large',
  slow: 'gwtest:faults-slow',
  malformed: 'gwtest:faults-malformed',
  noUsage: 'gwtest:faults-no-usage',
  slowStream: 'gwtest:faults-slow-stream',
  dead: 'gwtest:faults-dead',
};
const DEAD_PROVIDER = 'gwtest-dead';
const MALFORMED_MAX_OUTPUT = 321;

let p;

before(async () => {
  p = await newGatewayProject('e2e-gw-faults');
  addModel(M.error, 'demo-error');
  addModel(M.tooLarge, 'demo-too-large');
  addModel(M.slow, 'demo-slow');
  addModel(M.malformed, 'demo-malformed', { maxOutputTokens: MALFORMED_MAX_OUTPUT });
  addModel(M.noUsage, 'demo-no-usage');
  addModel(M.slowStream, 'demo-slow-stream');
  // A provider nothing listens for: 127.0.0.3 port 80 (checked below before relying on it).
  const keyFile = join(tmpdir(), `${nonce('gw-dead-key-')}`);
  writeFileSync(keyFile, 'dead-provider-key\n', { mode: 0o600 });
  try {
    asgardOk(['provider', 'add', DEAD_PROVIDER, '--upstream', '127.0.0.3', '--key-file', keyFile]);
  } finally {
    unlinkSync(keyFile);
  }
  addModel(M.dead, 'anything', { provider: DEAD_PROVIDER });
  // A 3 MB prompt is estimated at about a million input tokens (a third of a token per byte).
  asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '600', '--tpm', '10000000']);
  await syncGateway(p.key, SYNC);
});

after(() => {
  for (const alias of Object.values(M)) removeModel(alias);
  cli(['provider', 'remove', DEAD_PROVIDER]);
  removeModel(SYNC);
});
after(assertErrorLogClean);

/** The audit row of one call, once written. */
async function auditOf(requestId) {
  const byId = await waitForCalls(p.projectId, [requestId]);
  const rows = byId.get(requestId);
  assert.equal(rows.length, 1, `one audit row for ${requestId}: ${JSON.stringify(rows)}`);
  return rows[0];
}

/** demo-slow answers after 3 s: it times out only with ASGARD_PROVIDER_TIMEOUT=2s (scripts/test sets it). */
function slowTimesOut(t) {
  const ms = providerTimeoutMs();
  if (ms <= 2000) return true;
  t.skip(`proxy_read_timeout is ${ms} ms here: start the stack with ASGARD_PROVIDER_TIMEOUT=2s`);
  return false;
}

function portRefuses(host, port) {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

// The call was counted before the provider failed, so its answer carries the rate-limit headers.
function assertRateHeaders(res) {
  for (const name of ['x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-limit-tokens',
    'x-ratelimit-remaining-tokens']) {
    assert.match(res.headers.get(name) ?? '', /^\d+$/, `${name} on the ${res.status}`);
  }
  assert.match(res.headers.get('x-ratelimit-reset-requests') ?? '', /^\d+s$/);
}

describe('provider failures', () => {
  test('the provider answers 500: 502 JSON bad_gateway, with the request id and rate-limit headers; the call is audited as upstream_error and costs nothing', async () => {
    const res = await chat(p.key, chatBody('hi', { model: M.error }));
    const error = assertOpenAIError(res, 502, 'bad_gateway', 'the model provider failed or could not be reached');
    assert.equal(error.type, 'upstream_error');
    assertRateHeaders(res);
    assert.ok(!res.text.includes('failed on purpose'), 'the provider\'s own error body is not passed on');
    const id = res.headers.get('x-asgard-request-id');
    assert.match(id ?? '', REQUEST_ID);
    const row = await auditOf(id);
    assert.equal(row.outcome, 'upstream_error');
    assert.equal(row.model, M.error);
    assert.equal(Number(row.cost_usd), 0);
    assert.equal(row.output_tokens, 0);
  });

  test('the provider answers 413: 413 JSON body_too_large saying the provider refused it', async () => {
    const res = await chat(p.key, chatBody('hi', { model: M.tooLarge }));
    const error = assertOpenAIError(res, 413, 'body_too_large', 'the model provider refused the request as too large');
    assert.equal(error.type, 'invalid_request_error');
    assertRateHeaders(res);
    assert.match(res.headers.get('x-asgard-request-id') ?? '', REQUEST_ID);
  });

  test('the provider cannot be reached (connection refused): 502 JSON bad_gateway', async (t) => {
    if (!(await portRefuses('127.0.0.3', 80))) {
      t.skip('something listens on 127.0.0.3:80 here');
      return;
    }
    const res = await chat(p.key, chatBody('hi', { model: M.dead }));
    assertOpenAIError(res, 502, 'bad_gateway');
    const row = await auditOf(res.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'upstream_error');
    assert.equal(Number(row.cost_usd), 0);
  });

  test('the provider is slower than proxy_read_timeout (2 s): 504 JSON gateway_timeout after about 2 s', async (t) => {
    if (!slowTimesOut(t)) return;
    const res = await chat(p.key, chatBody('hi', { model: M.slow }));
    const error = assertOpenAIError(res, 504, 'gateway_timeout', 'the model provider did not answer in time');
    assert.equal(error.type, 'upstream_error');
    assertRateHeaders(res);
    assert.ok(res.ms >= 1900 && res.ms < 2900, `answered after ${res.ms} ms (timeout 2 s, provider 3 s)`);
    const row = await auditOf(res.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'upstream_error');
    assert.equal(Number(row.cost_usd), 0);
  });

  test('a streaming call to a failing provider gets the same 502 JSON', async () => {
    const res = await streamChat(p.key, chatBody('hi', { model: M.error }));
    assert.equal(res.status, 502, res.text);
    assert.equal(JSON.parse(res.text).error.code, 'bad_gateway');
  });

  test('the audit row of a failed provider call records the status the client got (502, 504), not 0', async (t) => {
    if (!slowTimesOut(t)) return;
    const failed = await chat(p.key, chatBody('hi', { model: M.error }));
    assert.equal(failed.status, 502);
    const slow = await chat(p.key, chatBody('hi', { model: M.slow }));
    assert.equal(slow.status, 504);
    const a = await auditOf(failed.headers.get('x-asgard-request-id'));
    const b = await auditOf(slow.headers.get('x-asgard-request-id'));
    assert.deepEqual([a.status, b.status], [502, 504],
      `audit detail.status of the failed calls: ${JSON.stringify([a, b])}`);
  });

  test('after the failures the gateway serves normally', async () => {
    assertCompletion(await chat(p.key, chatBody('still there?')));
  });
});

describe('answers the meter cannot fully read', () => {
  test('malformed JSON from the provider: a 502 upstream_malformed, charged the worst case (max_tokens, else the model\'s max_output_tokens)', async () => {
    const withMax = await chat(p.key, chatBody(nonce('hi '), { model: M.malformed, max_tokens: 77 }));
    assertOpenAIError(withMax, 502, 'upstream_malformed');
    assert.ok(!withMax.text.includes('trunc'), 'nothing of the provider\'s body is passed on');
    const sentWithMax = (await providerLast()).raw;
    const without = await chat(p.key, chatBody(nonce('hi '), { model: M.malformed }));
    assertOpenAIError(without, 502, 'upstream_malformed');
    const sentWithout = (await providerLast()).raw;
    const a = await auditOf(withMax.headers.get('x-asgard-request-id'));
    const b = await auditOf(without.headers.get('x-asgard-request-id'));
    // Input: the estimate over the body the provider got; prices 1 and 1 USD/Mtok.
    assert.equal(a.outcome, 'upstream_malformed');
    assert.equal(a.status, 502);
    assert.equal(a.output_tokens, 77);
    assert.equal(a.input_tokens, estimateInputTokens(sentWithMax));
    assert.equal(a.cost_usd, ((a.input_tokens + 77) / 1e6).toFixed(6));
    assert.equal(b.output_tokens, MALFORMED_MAX_OUTPUT);
    assert.equal(b.cost_usd, ((estimateInputTokens(sentWithout) + MALFORMED_MAX_OUTPUT) / 1e6).toFixed(6));
  });

  test('max_tokens above the model\'s max_output_tokens is refused (400 max_tokens_too_large), not charged', async () => {
    const res = await chat(p.key, chatBody('hi', { model: M.malformed, max_tokens: 100_000 }));
    assertOpenAIError(res, 400, 'max_tokens_too_large');
    const row = await auditOf(res.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'denied:max_tokens_too_large');
    assert.equal(row.cost_usd, '0.000000');
  });

  test('an answer without usage is charged by its content (about 4 characters a token)', async () => {
    const res = await chat(p.key, chatBody(nonce('hi '), { model: M.noUsage }));
    const content = assertCompletion({ ...res, json: { ...res.json, usage: { prompt_tokens: 0 } } });
    assert.ok(!('usage' in res.json), 'the provider sent no usage');
    const sent = (await providerLast()).raw;
    const row = await auditOf(res.headers.get('x-asgard-request-id'));
    assert.equal(row.output_tokens, Math.floor((content.length + 3) / 4));
    assert.equal(row.input_tokens, estimateInputTokens(sent), 'the input estimate');
  });

  test('a stream without a usage chunk is charged by the streamed content', async () => {
    const res = await streamChat(p.key, chatBody('hi', { model: M.noUsage }));
    assert.equal(res.status, 200);
    assert.ok(res.done);
    assert.ok(!res.events.some((e) => e.usage), 'no usage chunk');
    const content = res.events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
    const row = await auditOf(res.headers.get('x-asgard-request-id'));
    assert.equal(row.outcome, 'ok');
    assert.equal(row.output_tokens, Math.floor((content.length + 3) / 4));
  });
});

describe('large prompts', () => {
  test('a 3 MB prompt (under asgard_max_body_size 4m) is served and reaches the provider whole', async () => {
    const marker = nonce('big');
    const prompt = `${marker} ${'lorem ipsum '.repeat(Math.ceil((3 * 1024 * 1024) / 12))}`;
    const res = await chat(p.key, chatBody(prompt, { max_tokens: 16 }));
    assertCompletion(res);
    const seen = await providerLastWith(marker);
    assert.equal(seen.body.messages[0].content.length, prompt.length);
  });
});

describe('clients that go away', () => {
  test('a client that disconnects mid-stream: the call is charged for what was generated and audited', async () => {
    const controller = new AbortController();
    const res = await fetch(`${env.url}/api/gateway/chat`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...chatBody('please abort me', { model: M.slowStream }), stream: true }),
    });
    assert.equal(res.status, 200);
    const id = res.headers.get('x-asgard-request-id');
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/^data: /gm) ?? []).length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    assert.ok((text.match(/^data: /gm) ?? []).length >= 2, `two chunks arrived: ${text}`);
    controller.abort();
    await reader.cancel().catch(() => {});

    const row = await auditOf(id);
    assert.ok(['client_aborted', 'ok'].includes(row.outcome), `outcome: ${row.outcome}`);
    assert.equal(row.outcome, 'client_aborted', 'nginx saw the client go (proxy_ignore_client_abort off)');
    assert.ok(row.output_tokens > 0, `charged for the generated chunks: ${JSON.stringify(row)}`);
    const full = 'Hello from the Asgard demo provider. You said: please abort me'.length;
    assert.ok(row.output_tokens < Math.floor((full + 3) / 4), `not charged for the whole answer: ${JSON.stringify(row)}`);
    assert.ok(Number(row.cost_usd) > 0);
    const spend = await waitForSpend(p.projectId, (rows) => rows.some((r) => r.model === M.slowStream),
      'the aborted stream\'s spend row');
    const streamRow = spend.find((r) => r.model === M.slowStream);
    assert.ok(streamRow && Number(streamRow.output_tokens) > 0, `spend_daily charges the aborted stream: ${JSON.stringify(spend)}`);
  });

  test('a client that gives up before the provider answers is not charged, and the worker carries on', async () => {
    const controller = new AbortController();
    const started = fetch(`${env.url}/api/gateway/chat`, {
      method: 'POST',
      signal: controller.signal,
      headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody(nonce('giveup'), { model: M.slow })),
    }).catch((e) => e);
    await delay(500);
    controller.abort();
    const outcome = await started;
    assert.equal(outcome.name, 'AbortError');
    const row = await eventually(() => gatewayCallRows(p.projectId)
      .filter((r) => r.model === M.slow && r.outcome === 'client_aborted').at(-1), { what: 'the aborted call\'s audit row' });
    assert.equal(Number(row.cost_usd), 0);
    assert.equal(row.output_tokens, 0);
    assertCompletion(await chat(p.key, chatBody('after the abort')));
  });

  test('many clients aborting at random moments (before, during and after the reservation) crash nothing', async () => {
    const tries = 40;
    await Promise.all(Array.from({ length: tries }, async (_, i) => {
      const controller = new AbortController();
      const model = [M.slowStream, 'model:default/gpt-5', M.slow, M.malformed][i % 4];
      const request = fetch(`${env.url}/api/gateway/chat`, {
        method: 'POST',
        signal: controller.signal,
        headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...chatBody(`abort ${i}`, { model }), stream: i % 2 === 0 }),
      }).then((r) => r.text()).catch(() => null);
      await delay(i % 10);
      controller.abort();
      await request;
    }));
    assertCompletion(await chat(p.key, chatBody('still serving')));
    assertErrorLogClean();
  });
});
