// Rate limits (requests and tokens per key per minute, 429 with Retry-After and x-ratelimit-*)
// and monthly budgets (402 when the worst case of a call does not fit; reservations are atomic, so
// concurrent calls never overspend). Each test uses a project of its own: limits and budgets are
// per key and per project.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';

import {
  CHAT_PATH,
  DEFAULT_MODEL,
  DEFAULT_PRICE_IN,
  DEFAULT_PRICE_OUT,
  DEFAULT_UPSTREAM_MODEL,
  addModel,
  asgardOk,
  assertCompletion,
  assertOpenAIError,
  chat,
  chatBody,
  estimateInputTokens,
  eventually,
  newGatewayProject,
  providerBodyOf,
  readResponse,
  removeModel,
  roomInMinute,
  spendTotal,
  syncGateway,
  waitForSpend,
  workerPids,
} from './gateway_helpers.js';
import { assertErrorLogClean, env, psqlSession } from './helpers.js';
import { startNode } from './nginx_node.js';

const SYNC = 'gwtest:sync-limits';
const SLOW_STREAM = 'gwtest:limits-slow-stream';     // demo-slow-stream: a chunk every 300 ms
const WORST_CHARGED = 'gwtest:limits-malformed';      // demo-malformed: always charged its worst case

after(() => {
  removeModel(SLOW_STREAM);
  removeModel(WORST_CHARGED);
  removeModel(SYNC);
});
after(assertErrorLogClean);

/** Runs redis-cli against the stack's Redis ($ASGARD_REDIS, host:port). */
function redis(args) {
  const [host, port] = (process.env.ASGARD_REDIS ?? '').split(':');
  assert.ok(host && port, 'ASGARD_REDIS is host:port');
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8' }).trim();
}

const prices = { priceIn: DEFAULT_PRICE_IN, priceOut: DEFAULT_PRICE_OUT, dataClasses: ['public', 'internal'] };

/**
 * The gateway's worst case of a call in micro-USD: its input estimated from the body the provider
 * gets (upstream: the model's provider name), its output the body's max_tokens (times n).
 */
function worstMicro(body, upstream, priceIn = DEFAULT_PRICE_IN, priceOut = DEFAULT_PRICE_OUT) {
  const input = estimateInputTokens(providerBodyOf(body, upstream, 4096));
  return Math.ceil(input * priceIn + body.max_tokens * (body.n ?? 1) * priceOut);
}

const usd = (micro) => (micro / 1e6).toFixed(6);

/** Reads a streaming response to its end; returns the status. */
async function streamToEnd(res) {
  await res.text();
  return res.status;
}

function streamCall(key, model, maxTokens) {
  return fetch(`${process.env.ASGARD_URL}/api/gateway/chat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...chatBody('hi', { model, max_tokens: maxTokens }), stream: true }),
  });
}

describe('rate limits', () => {
  test('requests per minute: with --rpm 3, of 6 quick calls the first 3 are served and the rest get 429 with Retry-After and x-ratelimit-*', async () => {
    const p = await newGatewayProject('e2e-gw-rpm');
    asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '3', '--tpm', '1000000']);
    await syncGateway(p.key, SYNC);
    const minute = await roomInMinute(5_000);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await chat(p.key, chatBody(`call ${i}`)));
    const sameWindow = Math.floor(Date.now() / 60_000) === minute;
    const statuses = results.map((r) => r.status);
    if (sameWindow) {
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429], `statuses in one minute window: ${statuses}`);
    } else {
      // A new minute began during the calls (unlikely: we waited for room): 3 per window at most.
      const served = statuses.filter((s) => s === 200).length;
      assert.ok(served >= 3 && served <= 6, `statuses across two windows: ${statuses}`);
    }
    results.forEach((r, i) => {
      if (r.status !== 200) return;
      assert.equal(r.headers.get('x-ratelimit-limit-requests'), '3');
      if (sameWindow) assert.equal(r.headers.get('x-ratelimit-remaining-requests'), String(2 - i), `call ${i}`);
    });
    for (const r of results.filter((x) => x.status === 429)) {
      const error = assertOpenAIError(r, 429, 'rate_limit_requests', 'rate limit reached: 3 requests per minute for this key');
      assert.equal(error.type, 'rate_limit_error');
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 60, `Retry-After in seconds: ${r.headers.get('retry-after')}`);
      assert.equal(r.headers.get('x-ratelimit-limit-requests'), '3');
      assert.equal(r.headers.get('x-ratelimit-remaining-requests'), '0');
      assert.equal(r.headers.get('x-ratelimit-limit-tokens'), '1000000');
      assert.match(r.headers.get('x-ratelimit-reset-requests') ?? '', /^\d+s$/);
      assert.equal(r.headers.get('x-ratelimit-reset-requests'), `${retry}s`, 'Retry-After agrees with the reset header');
    }
    // Refused calls are not charged: spend counts only the served ones.
    const served = statuses.filter((s) => s === 200).length;
    await waitForSpend(p.projectId, (rows) => rows.some((r) => r.model === DEFAULT_MODEL && Number(r.requests) === served),
      `spend_daily to count the ${served} served calls`);
  });

  test('tokens per minute: a call whose worst case exceeds --tpm gets 429 rate_limit_tokens; smaller calls are served until the window is full', async () => {
    const p = await newGatewayProject('e2e-gw-tpm');
    addModel(SLOW_STREAM, 'demo-slow-stream', prices);
    asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '600', '--tpm', '1000']);
    await syncGateway(p.key, SYNC);
    await roomInMinute(8_000);

    const big = await chat(p.key, chatBody('hi', { max_tokens: 2000 }));
    const error = assertOpenAIError(big, 429, 'rate_limit_tokens', 'rate limit reached: 1000 tokens per minute for this key');
    assert.equal(error.type, 'rate_limit_error');
    assert.match(big.headers.get('retry-after') ?? '', /^\d+$/);
    assert.equal(big.headers.get('x-ratelimit-limit-tokens'), '1000');

    // The refused call's tokens were given back: a 100-token call is served, its reservation shown.
    const small = await chat(p.key, chatBody('hi', { max_tokens: 100 }));
    assertCompletion(small);
    assert.equal(small.headers.get('x-ratelimit-limit-tokens'), '1000');
    const estimate = estimateInputTokens(providerBodyOf(chatBody('hi', { max_tokens: 100 }), DEFAULT_UPSTREAM_MODEL, 100));
    assert.equal(small.headers.get('x-ratelimit-remaining-tokens'), String(1000 - (estimate + 100)),
      `the reservation is the input estimate (${estimate}) plus max_tokens (100)`);

    // Three concurrent 400-token calls that stream for ~3 s: 2 fit in what is left of 1000, the third gets 429.
    const responses = await Promise.all([0, 1, 2].map(() => streamCall(p.key, SLOW_STREAM, 400)));
    const statuses = await Promise.all(responses.map(streamToEnd));
    assert.deepEqual([...statuses].sort(), [200, 200, 429], `statuses: ${statuses}`);
  });
});

describe('per-call reservations', () => {
  test('concurrent calls far from every limit are all served', async () => {
    const p = await newGatewayProject('e2e-gw-resv-race');
    asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '100000', '--tpm', '100000000']);
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '1000']);
    await syncGateway(p.key, SYNC);
    for (let wave = 0; wave < 4; wave++) {
      const results = await Promise.all(Array.from({ length: 60 }, () => chat(p.key, chatBody(`wave ${wave}`, { max_tokens: 50 }))));
      const refused = results.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text}`);
      assert.deepEqual(refused, [], `wave ${wave}: every call is served`);
    }
  });

  test('each call reserves its worst case and gives back what it did not use: after the calls the month\'s counter is the exact spend, and the headers come from the reservation', async () => {
    const p = await newGatewayProject('e2e-gw-resv');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '100']);
    asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '50', '--tpm', '100000']);
    await syncGateway(p.key, SYNC);
    await roomInMinute(10_000);
    const calls = 12;
    const body = chatBody('hi', { max_tokens: 100 });
    const held = estimateInputTokens(providerBodyOf(body, DEFAULT_UPSTREAM_MODEL, 100)) + 100;
    for (let i = 0; i < calls; i++) {
      const res = await chat(p.key, body);
      assertCompletion(res);
      assert.equal(res.headers.get('x-ratelimit-remaining-requests'), String(50 - (i + 1)), `call ${i}: the requests counter after its own`);
      // Earlier calls gave back all but their real 14 tokens; this one holds its input estimate + 100.
      assert.equal(res.headers.get('x-ratelimit-remaining-tokens'), String(100000 - 14 * i - held), `call ${i}: the tokens counter after its own`);
    }
    // The demo provider reports 1 prompt and 13 completion tokens: ceil(1.25 + 130) = 132 micro-USD a call.
    const month = new Date().toISOString().slice(0, 7);
    const counter = `asgard:budget:${p.projectId}:${month}`;
    await eventually(() => Number(redis(['GET', counter])) === calls * 132,
      { timeoutMs: 2000, intervalMs: 20, what: `the budget counter to be ${calls * 132}` });
    assert.equal(redis(['GET', `${counter}:base`]), '0', 'the month\'s baseline: PostgreSQL\'s spend before the first call');
    await waitForSpend(p.projectId, (rows) => rows.some((r) => Number(r.requests) === calls), 'the calls\' spend rows');
    assert.equal(Math.round(spendTotal(p.projectId) * 1e6), calls * 132, 'PostgreSQL agrees with the counter');
  });

  test('a month\'s spend that PostgreSQL cannot give (spend_daily held past asgard_io_timeout) refuses the call 503 database_unavailable, and the error log says why', async () => {
    const p = await newGatewayProject('e2e-gw-resv-unread');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '100']);
    await syncGateway(p.key, SYNC);
    const locker = psqlSession();
    locker.send("BEGIN; LOCK TABLE spend_daily IN ACCESS EXCLUSIVE MODE; SELECT 'locked';");
    await locker.waitFor(/locked/);
    try {
      assertOpenAIError(await chat(p.key, chatBody('hi', { max_tokens: 10 })), 503, 'database_unavailable');
    } finally {
      locker.send('ROLLBACK;');
      await locker.end();
    }
    assert.match(readFileSync(env.errorLog, 'utf8'),
      /asgard: gateway: the project's month spend could not be read from PostgreSQL: .*lock timeout/);
    assertCompletion(await chat(p.key, chatBody('hi', { max_tokens: 10 })));
  });

  test('a month\'s counter lost from Redis starts again from PostgreSQL\'s record, once, however many calls ask at the same time', async () => {
    const p = await newGatewayProject('e2e-gw-resv-base');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '100']);
    await syncGateway(p.key, SYNC);
    for (let i = 0; i < 5; i++) assertCompletion(await chat(p.key, chatBody('hi', { max_tokens: 100 })));
    await waitForSpend(p.projectId, (rows) => rows.some((r) => Number(r.requests) === 5), 'the first calls\' spend rows');
    const counter = `asgard:budget:${p.projectId}:${new Date().toISOString().slice(0, 7)}`;
    redis(['DEL', counter, `${counter}:base`]);
    const results = await Promise.all(Array.from({ length: 20 }, () => chat(p.key, chatBody('hi', { max_tokens: 100 }))));
    for (const r of results) assertCompletion(r);
    await eventually(() => Number(redis(['GET', counter])) + Number(redis(['GET', `${counter}:base`])) === 25 * 132,
      { timeoutMs: 2000, intervalMs: 20, what: 'the baseline (5 calls) and the counter (20 calls) to make the 25 calls\' spend' });
    assert.equal(redis(['GET', `${counter}:base`]), String(5 * 132), 'the baseline is the recorded spend, added once');
  });
});

describe('per-call reservations across a reload', () => {
  test('an nginx reload: the old worker\'s settlements reach Redis as it exits, and the new one serves', async () => {
    // A node of its own: reloading the stack's nginx would close keep-alive sockets that fetch's
    // pool holds for every later test (undici notices a closed idle socket only when it next
    // writes to it: "other side closed").
    const p = await newGatewayProject('e2e-gw-resv-reload');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '100']);
    await syncGateway(p.key, SYNC);
    // Started after the budget is committed: the node's first configuration has it.
    const n = await startNode({ workers: 1 });
    try {
      const call = async (content) => readResponse(await fetch(`${n.url}${CHAT_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${p.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(chatBody(content, { max_tokens: 100 })),
      }));
      await eventually(async () => (await call('hi')).status === 200, { what: 'the new node to serve' });
      const calls = 6;  // the warm-up's included
      for (let i = 1; i < calls; i++) assertCompletion(await call('hi'));
      const counter = `asgard:budget:${p.projectId}:${new Date().toISOString().slice(0, 7)}`;
      const oldWorkers = workerPids(n.pid);
      assert.ok(oldWorkers.length > 0, 'the node has a worker before the reload');
      process.kill(n.pid, 'SIGHUP');
      await eventually(() => oldWorkers.every((w) => !workerPids(n.pid).includes(w)),
        { timeoutMs: 10_000, intervalMs: 20, what: `the old worker ${oldWorkers} to exit` });
      // Its settlements went out before it left: the counter is the calls' exact cost (Redis may
      // still be applying the last commands it read from the closed connection).
      await eventually(() => Number(redis(['GET', counter])) === calls * 132,
        { timeoutMs: 2000, intervalMs: 20, what: `the budget counter to be ${calls * 132} once the old worker is gone` });
      // A pooled socket the old worker closed may fail the first call (the client's side of the
      // keep-alive race); the new worker serves the next.
      await eventually(async () => (await call('after the reload')).status === 200,
        { timeoutMs: 5000, what: 'the new worker to serve' });
    } finally {
      await n.stop();
    }
  });
});

describe('budgets', () => {
  test('a budget below the call\'s worst case: 402 budget_exceeded with the worst case and the remaining budget', async () => {
    const p = await newGatewayProject('e2e-gw-budget');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '0.001']);
    await syncGateway(p.key, SYNC);
    const body = chatBody('hi', { max_tokens: 4096 });
    const worst = worstMicro(body, DEFAULT_UPSTREAM_MODEL);
    assert.ok(worst > 40960 && worst < 41000, `worst case ${worst}`);
    const res = await chat(p.key, body);
    const error = assertOpenAIError(res, 402, 'budget_exceeded');
    assert.equal(error.type, 'insufficient_quota');
    // budgets hold cents (numeric(12,2)): 0.001 USD is kept as 0.00, so nothing remains.
    const stored = JSON.parse(asgardOk(['budget', 'show', p.projectId, '--json'])).budget_usd;
    const remaining = usd(Math.round(stored * 1e6));
    assert.equal(error.message,
      `the monthly budget of project ${p.projectId} does not cover this call (worst case ${usd(worst)} USD, remaining ${remaining} USD)`);
    assert.equal(res.headers.get('x-asgard-budget-remaining-usd'), remaining);
    assert.match(res.headers.get('x-ratelimit-limit-requests') ?? '', /^\d+$/);
    assert.equal(spendTotal(p.projectId), 0, 'nothing was spent');
  });

  test('the remaining budget counts what was spent: after a served call, the refusal names budget minus spend', async () => {
    const p = await newGatewayProject('e2e-gw-budget2');
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '0.02']);
    await syncGateway(p.key, SYNC);
    const first = await chat(p.key, chatBody('hi', { max_tokens: 100 }));
    assertCompletion(first);
    // The demo provider reports usage: prompt 1, completion 13 tokens -> ceil(1 * 1.25 + 13 * 10) = 132 micro-USD.
    const cost = Math.ceil(first.json.usage.prompt_tokens * DEFAULT_PRICE_IN + first.json.usage.completion_tokens * DEFAULT_PRICE_OUT);
    await waitForSpend(p.projectId, (rows) => rows.length === 1, 'the first call\'s spend row');
    assert.ok(Math.abs(spendTotal(p.projectId) - cost / 1e6) < 1e-9, `spend ${spendTotal(p.projectId)} = ${cost} micro-USD`);
    const res = await chat(p.key, chatBody('hi', { max_tokens: 4096 }));
    const error = assertOpenAIError(res, 402, 'budget_exceeded');
    assert.match(error.message, new RegExp(`remaining ${usd(20000 - cost).replace('.', '\\.')} USD`), error.message);
    assert.equal(res.headers.get('x-asgard-budget-remaining-usd'), usd(20000 - cost));
    // A call that fits is still served.
    assertCompletion(await chat(p.key, chatBody('hi', { max_tokens: 1000 })));

    const c = await p.session.call('get_cost', { project_id: p.projectId });
    assert.equal(c.structuredContent.budget_usd, '0.020000');
    // Exact decimal text: the budget less what the served call cost, to the micro-dollar.
    const spent = BigInt(c.structuredContent.total_usd.replace('.', ''));
    assert.ok(spent > 0n && spent < 1000n, JSON.stringify(c.structuredContent));
    assert.equal(c.structuredContent.remaining_usd, usd(20000 - Number(spent)), JSON.stringify(c.structuredContent));
  });

  test('100 concurrent calls each charged their worst case: exactly floor(budget / worst case) are served, spend never exceeds the budget', async () => {
    const p = await newGatewayProject('e2e-gw-budget-race');
    // demo-malformed answers 200 with a body that is not JSON: the gateway answers 502
    // upstream_malformed and charges the reserved worst case, so an admitted call never gives
    // budget back and the invariant holds at any timing.
    addModel(WORST_CHARGED, 'demo-malformed', prices);
    const budgetMicro = 50_000;
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', usd(budgetMicro)]);
    await syncGateway(p.key, SYNC);
    const worst = worstMicro(chatBody('hi', { model: WORST_CHARGED, max_tokens: 1000 }), 'demo-malformed');
    const fits = Math.floor(budgetMicro / worst);
    assert.equal(fits, 4);

    const results = await Promise.all(Array.from({ length: 100 }, () => chat(p.key, chatBody('hi', { model: WORST_CHARGED, max_tokens: 1000 }))));
    const count = (s) => results.filter((r) => r.status === s).length;
    const other = results.filter((r) => r.status !== 502 && r.status !== 402).map((r) => `${r.status} ${r.text}`);
    assert.deepEqual(other, [], 'every call is admitted (502 upstream_malformed) or refused for the budget');
    assert.equal(count(502), fits, `${count(502)} admitted, the budget fits ${fits} worst cases`);
    assert.equal(count(402), 100 - fits);
    for (const r of results.filter((x) => x.status === 402)) assertOpenAIError(r, 402, 'budget_exceeded');
    for (const r of results.filter((x) => x.status === 502)) assertOpenAIError(r, 502, 'upstream_malformed');

    const rows = await waitForSpend(p.projectId, (rs) => rs.reduce((n, r) => n + Number(r.requests), 0) >= count(502),
      `spend rows for the ${count(502)} admitted calls`);
    const spent = spendTotal(p.projectId);
    assert.ok(spent * 1e6 <= budgetMicro + 1e-6, `recorded spend ${spent} USD within the budget ${usd(budgetMicro)}`);
    assert.ok(Math.abs(spent * 1e6 - fits * worst) < 1e-3, `each served call charged its worst case: ${spent} USD`);
    const row = rows.find((r) => r.model === WORST_CHARGED);
    assert.equal(Number(row.output_tokens), fits * 1000, 'charged max_tokens as output for the unreadable answers');
    // Later calls are refused too, and nothing more is spent.
    assertOpenAIError(await chat(p.key, chatBody('hi', { model: WORST_CHARGED, max_tokens: 1000 })), 402, 'budget_exceeded');

    // PostgreSQL is the record: with the Redis counter lost, the month's spend is read back from spend_daily.
    const month = new Date().toISOString().slice(0, 7);
    redis(['DEL', `asgard:budget:${p.projectId}:${month}`, `asgard:budget:${p.projectId}:${month}:base`]);
    const again = await chat(p.key, chatBody('hi', { model: WORST_CHARGED, max_tokens: 1000 }));
    assertOpenAIError(again, 402, 'budget_exceeded', new RegExp(`remaining ${usd(budgetMicro - fits * worst).replace('.', '\\.')} USD`));

    // A raised budget serves again.
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '1']);
    await syncGateway(p.key, SYNC);
    assertOpenAIError(await chat(p.key, chatBody('hi', { model: WORST_CHARGED, max_tokens: 1000 })), 502, 'upstream_malformed');
  });

  test('100 concurrent streaming calls: exactly as many are served as the budget covers at their worst case, and the reservations are given back after', async () => {
    const p = await newGatewayProject('e2e-gw-budget-stream');
    addModel(SLOW_STREAM, 'demo-slow-stream', prices);
    const budgetMicro = 50_000;
    asgardOk(['budget', 'set', p.projectId, '--monthly-usd', usd(budgetMicro)]);
    await syncGateway(p.key, SYNC);
    const worst = worstMicro({ ...chatBody('hi', { model: SLOW_STREAM, max_tokens: 1000 }), stream: true }, 'demo-slow-stream');
    // A first call makes the month's budget counter (PostgreSQL's spend, read once), so the burst
    // below is decided on Redis alone.
    assertCompletion(await chat(p.key, chatBody('hi', { max_tokens: 100 })));
    await waitForSpend(p.projectId, (rows) => rows.length === 1, 'the first call\'s spend');
    const spentMicro = Math.round(spendTotal(p.projectId) * 1e6);
    const fits = Math.floor((budgetMicro - spentMicro) / worst);
    assert.equal(fits, 4);

    // Each served call streams for ~3 s, so every reservation is made while the served ones still hold theirs.
    const responses = await Promise.all(Array.from({ length: 100 }, () => streamCall(p.key, SLOW_STREAM, 1000)));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const statuses = responses.map((r) => r.status);
    const served = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 402).length;
    assert.equal(served + refused, 100, `statuses: ${JSON.stringify(statuses)}`);
    const sample = [...new Set(bodies.filter((_, i) => statuses[i] === 402).map((b) => JSON.parse(b).error.message))].slice(0, 5);
    assert.equal(served, fits, `${served} served; the budget covers ${fits} worst cases; refusals: ${JSON.stringify(sample)}`);

    await waitForSpend(p.projectId, (rs) => rs.reduce((n, r) => n + Number(r.requests), 0) >= served, 'the served calls\' spend');
    const spent = spendTotal(p.projectId);
    assert.ok(spent > 0 && spent * 1e6 <= budgetMicro, `recorded spend ${spent} USD within ${usd(budgetMicro)}`);
    // Settled at their real cost, the calls gave their reservations back: the budget serves again.
    assertCompletion(await chat(p.key, chatBody('hi', { model: DEFAULT_MODEL, max_tokens: 1000 })));
  });
});
