// What is reserved is what is forwarded: the provider gets exactly the output limit the gateway
// reserved for (max_tokens above the model's cap is a 400; no limit given means the cap, sent as
// max_completion_tokens), n multiplies the reservation, and the input estimate reads every byte of
// the body the provider gets (tools and the rest, non-ASCII counted per byte). And a non-streamed
// provider answer that is not valid JSON reaches the client as Asgard's 502 upstream_malformed,
// logged as such, while a long valid one is passed on whole.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  addModel,
  asgardOk,
  assertCompletion,
  assertOpenAIError,
  chat,
  chatBody,
  estimateInputTokens,
  newGatewayProject,
  nonce,
  providerBodyOf,
  providerLast,
  providerLastWith,
  removeModel,
  syncGateway,
  waitForCalls,
} from './gateway_helpers.js';
import { assertErrorLogClean } from './helpers.js';

const SYNC = 'gwtest:sync-body';
const CAP = 500;          // max_output_tokens of the capped models
const M = {
  capped: { alias: 'gwtest:body-capped', upstream: 'demo-body' },
  small: { alias: 'gwtest:body-small', upstream: 'demo-body-small' },
  malformed: { alias: 'gwtest:body-malformed', upstream: 'demo-malformed' },
  big: { alias: 'gwtest:body-big', upstream: 'demo-big' },
};

let p;

before(async () => {
  p = await newGatewayProject('e2e-gw-body');
  addModel(M.capped.alias, M.capped.upstream, { maxOutputTokens: CAP, priceIn: 1, priceOut: 10 });
  addModel(M.small.alias, M.small.upstream, { maxOutputTokens: 100 });
  addModel(M.malformed.alias, M.malformed.upstream, { maxOutputTokens: CAP });
  addModel(M.big.alias, M.big.upstream);
  await syncGateway(p.key, SYNC);
});

after(() => {
  for (const m of Object.values(M)) removeModel(m.alias);
  removeModel(SYNC);
});
after(assertErrorLogClean);

/** A raw JSON body: a chat body's text with `members` (raw JSON text) spliced in before the end. */
function rawBody(model, content, members) {
  return JSON.stringify(chatBody(content, { model })).replace(/\}$/, `,${members}}`);
}

/** True when the provider's last request does not carry the marker (it never saw the call). */
async function providerNeverSaw(marker) {
  const last = await providerLast().catch(() => null);
  return !last || !last.raw.includes(marker);
}

describe('the output limit the provider gets is the one reserved', () => {
  test('max_tokens (or max_completion_tokens) above the model\'s max_output_tokens is a 400 max_tokens_too_large, and nothing reaches the provider', async () => {
    for (const name of ['max_tokens', 'max_completion_tokens']) {
      const marker = nonce('too-large-');
      const res = await chat(p.key, chatBody(marker, { model: M.capped.alias, [name]: 1_000_000 }));
      const error = assertOpenAIError(res, 400, 'max_tokens_too_large',
        `${name} is too large: 1000000; model ${M.capped.alias} produces at most ${CAP} output tokens per choice`);
      assert.equal(error.type, 'invalid_request_error');
      assert.ok(await providerNeverSaw(marker), `the provider never got the ${name} call`);
    }
    // At the cap exactly: served.
    assertCompletion(await chat(p.key, chatBody('at the cap', { model: M.capped.alias, max_tokens: CAP })));
  });

  test('without an output limit the model\'s max_output_tokens is reserved and sent as max_completion_tokens, never both names', async () => {
    for (const extra of [{}, { max_tokens: null }, { max_completion_tokens: null }]) {
      const marker = nonce('no-limit-');
      assertCompletion(await chat(p.key, chatBody(marker, { model: M.capped.alias, ...extra })), JSON.stringify(extra));
      const last = await providerLastWith(marker);
      assert.equal(last.body.max_completion_tokens, CAP, `the provider is told the reserved limit: ${last.raw}`);
      assert.ok(!('max_tokens' in last.body), `and only under one name: ${last.raw}`);
    }
  });

  test('a limit within the cap is forwarded as it is, under the client\'s own name only', async () => {
    for (const [name, other] of [['max_tokens', 'max_completion_tokens'], ['max_completion_tokens', 'max_tokens']]) {
      const marker = nonce('within-');
      assertCompletion(await chat(p.key, chatBody(marker, { model: M.capped.alias, [name]: 50 })));
      const last = await providerLastWith(marker);
      assert.equal(last.body[name], 50);
      assert.ok(!(other in last.body), `no ${other} added: ${last.raw}`);
    }
  });

  test('an output limit that is not a positive integer, or both names at once, is a 400 invalid_max_tokens', async () => {
    const bad = ['"max_tokens":0', '"max_tokens":-5', '"max_tokens":1.5', '"max_tokens":100.0', '"max_tokens":1e6',
      '"max_tokens":1e30', '"max_tokens":"100"', '"max_tokens":true', '"max_completion_tokens":[100]',
      '"max_tokens":100,"max_completion_tokens":100'];
    for (const members of bad) {
      const marker = nonce('bad-limit-');
      const res = await chat(p.key, rawBody(M.capped.alias, marker, members));
      assertOpenAIError(res, 400, 'invalid_max_tokens');
      assert.ok(await providerNeverSaw(marker), `${members}: the provider never got it`);
    }
  });

  test('n outside 1..128 or not an integer is a 400 invalid_n', async () => {
    for (const members of ['"n":0', '"n":129', '"n":2.5', '"n":"2"', '"n":-1']) {
      const res = await chat(p.key, rawBody(M.capped.alias, 'hi', members));
      assertOpenAIError(res, 400, 'invalid_n', 'n must be an integer from 1 to 128');
    }
  });
});

describe('n multiplies the reservation', () => {
  test('a budget that fits the worst case of one choice refuses the same call with n=4 (402), and n=2 is charged the provider\'s summed usage', async () => {
    const pb = await newGatewayProject('e2e-gw-body-n');
    // Prices 1 and 10 USD/Mtok: one choice's worst case is about CAP * 10 = 5000 micro-USD, four
    // 20000; the budget fits one and two choices at once (their settlements need not have run).
    asgardOk(['budget', 'set', pb.projectId, '--monthly-usd', '0.016']);
    await syncGateway(pb.key, SYNC);
    const four = chatBody('hi', { model: M.capped.alias, n: 4 });
    const worstFour = estimateInputTokens(providerBodyOf(four, M.capped.upstream, CAP)) + 4 * CAP * 10;
    const refused = await chat(pb.key, four);
    assertOpenAIError(refused, 402, 'budget_exceeded',
      new RegExp(`worst case ${(worstFour / 1e6).toFixed(6).replace('.', '\\.')} USD, remaining 0\\.016000 USD`));

    assertCompletion(await chat(pb.key, chatBody('hi', { model: M.capped.alias })), 'n=1 within the budget');
    const two = await chat(pb.key, chatBody('two choices', { model: M.capped.alias, n: 2 }));
    assertCompletion(two, 'n=2 within the budget');
    assert.equal(two.json.choices.length, 2, 'the demo provider answers n choices');
    const id = two.headers.get('x-asgard-request-id');
    const [row] = (await waitForCalls(pb.projectId, [id])).get(id);
    assert.equal(row.outcome, 'ok');
    assert.equal(row.output_tokens, two.json.usage.completion_tokens, 'the provider\'s usage already sums the choices');
    assert.equal(row.input_tokens, two.json.usage.prompt_tokens);
  });
});

describe('the input estimate counts every byte the provider reads', () => {
  test('a large tools array counts: against --tpm 3000 a call with 9 kB of tool descriptions gets 429 rate_limit_tokens, the same call without tools is served', async () => {
    const pt = await newGatewayProject('e2e-gw-body-tools');
    asgardOk(['ratelimit', 'set', '--project', pt.projectId, '--rpm', '600', '--tpm', '3000']);
    await syncGateway(pt.key, SYNC);
    const tools = [{ type: 'function', function: { name: 'lookup', description: 'd'.repeat(9000), parameters: { type: 'object', properties: {} } } }];
    const withTools = chatBody('hi', { model: M.small.alias, tools });
    assert.ok(estimateInputTokens(providerBodyOf(withTools, M.small.upstream, 100)) + 100 > 3000);
    assertOpenAIError(await chat(pt.key, withTools), 429, 'rate_limit_tokens', 'rate limit reached: 3000 tokens per minute for this key');
    assertCompletion(await chat(pt.key, chatBody('hi', { model: M.small.alias })), 'the call without tools');
  });

  test('non-ASCII text counts one token per UTF-8 byte, escaped or not: 1000 CJK characters against --tpm 2500 get 429 rate_limit_tokens', async () => {
    const pn = await newGatewayProject('e2e-gw-body-cjk');
    asgardOk(['ratelimit', 'set', '--project', pn.projectId, '--rpm', '600', '--tpm', '2500']);
    await syncGateway(pn.key, SYNC);
    const cjk = '中'.repeat(1000);
    assertOpenAIError(await chat(pn.key, chatBody(cjk, { model: M.small.alias })), 429, 'rate_limit_tokens');
    const escaped = JSON.stringify(chatBody('', { model: M.small.alias })).replace('"content":""', `"content":"${'\\u4e2d'.repeat(1000)}"`);
    assertOpenAIError(await chat(pn.key, escaped), 429, 'rate_limit_tokens');
    // The same length in ASCII is about a third of that, and is served.
    assertCompletion(await chat(pn.key, chatBody('a'.repeat(3000), { model: M.small.alias })), '3000 ASCII characters');
  });
});

describe('a provider answer that is not valid JSON', () => {
  test('reaches the client as 502 upstream_malformed, its row says upstream_malformed (status 502), charged its reserved worst case', async () => {
    const marker = nonce('malformed-');
    const res = await chat(p.key, chatBody(marker, { model: M.malformed.alias, max_tokens: 77 }));
    const error = assertOpenAIError(res, 502, 'upstream_malformed');
    assert.equal(error.type, 'upstream_error');
    const id = res.headers.get('x-asgard-request-id');
    assert.match(id ?? '', /^[0-9a-f]{32}$/);
    const last = await providerLastWith(marker);
    const [row] = (await waitForCalls(p.projectId, [id])).get(id);
    assert.equal(row.outcome, 'upstream_malformed');
    assert.equal(row.status, 502);
    // Its usage unknown: charged the reserved worst case, the input estimate and max_tokens (1 USD/Mtok each).
    const input = estimateInputTokens(last.raw);
    assert.equal(row.input_tokens, input);
    assert.equal(row.output_tokens, 77);
    assert.equal(row.cost_usd, ((input + 77) / 1e6).toFixed(6));
    // The next call is served as usual.
    assertCompletion(await chat(p.key, chatBody('after the malformed answer')));
  });

  test('a long valid answer (300 kB, many upstream reads) is held and passed on whole, with its usage', async () => {
    const res = await chat(p.key, chatBody('a long one', { model: M.big.alias }));
    const content = assertCompletion(res, 'the 300 kB answer');
    assert.equal(content, 'big '.repeat(75_000));
    const id = res.headers.get('x-asgard-request-id');
    const [row] = (await waitForCalls(p.projectId, [id])).get(id);
    assert.equal(row.outcome, 'ok');
    assert.equal(row.output_tokens, res.json.usage.completion_tokens);
  });
});
