// The gateway as a fleet: two nginx nodes (the stack's and one started here with two workers) on
// one PostgreSQL and Redis, bursts of concurrent calls spread over both. Each call reserves its
// worst case in Redis and settles its real use afterwards, so (a) nothing is admitted past a
// limit, (b) within 2 s of the last answer the month's budget counter (with its baseline) equals
// what PostgreSQL recorded and the minute's token counter the real use, (c) a refusal names less
// left than the worst case and, once the burst is over, what budget show reports left is admitted
// on either node, (d) a binding request limit never produces a token 429.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  CHAT_PATH,
  MODELS_PATH,
  addModel,
  asgardOk,
  chatBody,
  eventually,
  newGatewayProject,
  readResponse,
  removeModel,
  roomInMinute,
  spendTotal,
  waitForSpend,
} from './gateway_helpers.js';
import { assertErrorLogClean, env } from './helpers.js';
import { startNode } from './nginx_node.js';

const SYNC = 'gwtest:sync-fleet';
let second;

function redis(args) {
  const [host, port] = (process.env.ASGARD_REDIS ?? '').split(':');
  assert.ok(host && port, 'ASGARD_REDIS is host:port');
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8' }).trim();
}

before(async () => {
  second = await startNode({ workers: 2 });
});
after(async () => {
  removeModel(SYNC);
  if (second) {
    const log = second.errorLogText();
    await second.stop();
    assert.doesNotMatch(log, /\[(alert|crit|emerg)\]|exited on signal/, 'the second node\'s error log is clean');
  }
});
after(assertErrorLogClean);

/** Like syncGateway, on both nodes: each serves a configuration at least as new as every change made before. */
async function syncBoth(key) {
  const marker = 1000 + Math.floor(Math.random() * 1_000_000);
  addModel(SYNC, 'demo-sync', { maxOutputTokens: marker });
  for (const url of [env.url, second.url]) {
    await eventually(async () => {
      const res = await fetch(`${url}${MODELS_PATH}`, { headers: { authorization: `Bearer ${key}` } });
      if (res.status !== 200) return false;
      return (await res.json()).data.some((m) => m.id === SYNC && m.max_output_tokens === marker);
    }, { timeoutMs: 10_000, intervalMs: 30, what: `${url} to load the configuration change` });
  }
}

async function chatAt(url, key, body) {
  const res = await fetch(`${url}${CHAT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return readResponse(res);
}

/** `total` calls, `parallel` at a time, alternating between the two nodes; the results in order. */
async function burst(key, total, parallel, makeBody) {
  const urls = [env.url, second.url];
  const results = new Array(total);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      results[i] = await chatAt(urls[i % 2], key, makeBody(i));
    }
  }));
  return results;
}

const tally = (results) => {
  const out = {};
  for (const r of results) {
    const k = r.status === 200 ? '200' : `${r.status} ${r.json?.error?.code ?? r.text.slice(0, 60)}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
};

describe('two nodes, one Redis', () => {
  test('budget $0.20, 400 calls 16 at a time over two nodes: refused only when what is left is below the worst case, and afterwards the month\'s counter equals the recorded spend exactly', async (t) => {
    for (let round = 0; round < 2; round++) {
      const p = await newGatewayProject('e2e-gw-fleet-budget');
      asgardOk(['budget', 'set', p.projectId, '--monthly-usd', '0.20']);
      await syncBoth(p.key);
      // Worst case (max_output_tokens 4096): ceil(3 * 1.25 + 4096 * 10) = 40,964 µUSD, so at most
      // four fit in flight; each costs 132 µUSD (1 + 13 tokens), 400 of them 52,800 at most.
      const worst = 40_964;
      const results = await burst(p.key, 400, 16, (i) => chatBody('hi', { user: `c${i}` }));
      const counts = tally(results);
      t.diagnostic(`round ${round}: admitted/refused: ${JSON.stringify(counts)}`);
      assert.equal((counts['200'] ?? 0) + (counts['402 budget_exceeded'] ?? 0), 400, 'each call is served or refused for the budget');
      for (const r of results.filter((x) => x.status === 402)) {
        const left = Math.round(Number(/remaining ([0-9.]+) USD/.exec(r.json.error.message)[1]) * 1e6);
        assert.ok(left < worst, `a refusal names less left than the worst case: ${r.json.error.message}`);
      }
      const served = counts['200'];
      await waitForSpend(p.projectId, (rows) => rows.reduce((n, r) => n + Number(r.requests), 0) === served,
        `spend rows for the ${served} served calls`);
      const spentMicro = Math.round(spendTotal(p.projectId) * 1e6);
      assert.equal(spentMicro, served * 132, 'each served call cost 132 µUSD');
      const counter = `asgard:budget:${p.projectId}:${new Date().toISOString().slice(0, 7)}`;
      let seen;
      try {
        // Within 2 s of the last answer, every settlement has reached Redis.
        await eventually(() => {
          seen = Number(redis(['GET', counter])) + Number(redis(['GET', `${counter}:base`]) || 0);
          return seen === spentMicro;
        }, { timeoutMs: 2000, intervalMs: 50, what: `the budget counter to equal the recorded spend ${spentMicro} µUSD` });
      } finally {
        t.diagnostic(`round ${round}: budget counter ${seen} µUSD, recorded spend ${spentMicro} µUSD`);
      }
      const shown = JSON.parse(asgardOk(['budget', 'show', p.projectId, '--json']));
      assert.equal(Number(shown.total_usd.replace('.', '')), spentMicro, 'budget show agrees with the counter, exactly');
      // What budget show says is left is what either node admits: one call at a time, all served.
      for (const url of [env.url, second.url, env.url, second.url]) {
        const r = await chatAt(url, p.key, chatBody('after the burst'));
        assert.equal(r.status, 200, `${0.2 - shown.total_usd} USD left covers a ${worst} µUSD worst case: ${r.text}`);
      }
    }
  });

  test('rpm 100, tpm 1,000,000, 300 calls 16 at a time over two nodes: exactly 100 admitted in the minute, no rate_limit_tokens 429', async (t) => {
    const keys = [];
    for (let i = 0; i < 4; i++) {
      const p = await newGatewayProject('e2e-gw-fleet-rpm');
      asgardOk(['ratelimit', 'set', '--project', p.projectId, '--rpm', '100', '--tpm', '1000000']);
      keys.push(p);
    }
    await syncBoth(keys[0].key);
    const minute = await roomInMinute(40_000);
    const all = [];
    // Each call reserves 3 + 4096 tokens: the 100 admitted hold 409,900, far below 1,000,000, while
    // all 300 together would pass it (1,229,700): refused calls must not leave tokens behind.
    for (const p of keys) all.push(await burst(p.key, 300, 16, (i) => chatBody('hi', { user: `c${i}` })));
    const sameMinute = Math.floor(Date.now() / 60_000) === minute;
    all.forEach((results, i) => t.diagnostic(`key ${i}: admitted/refused: ${JSON.stringify(tally(results))}`));
    assert.ok(sameMinute, 'the bursts ran within one minute window');
    for (const results of all) {
      const counts = tally(results);
      assert.equal(counts['429 rate_limit_tokens'] ?? 0, 0, 'no false token 429');
      assert.equal(counts['200'], 100, 'exactly the request limit is admitted');
      assert.equal(counts['429 rate_limit_requests'], 200);
    }
    // Once settled, each minute's token counter holds the real use only.
    for (const [i, p] of keys.entries()) {
      const tokens = `asgard:rl:t:${p.keyId}:${minute}`;
      let seen;
      try {
        await eventually(() => (seen = Number(redis(['GET', tokens]))) === 100 * 14, { timeoutMs: 2000, intervalMs: 50,
          what: 'the token counter to hold the real use (100 calls of 1 + 13 tokens)' });
      } finally {
        t.diagnostic(`key ${i}: token counter ${seen}, real use ${100 * 14}`);
      }
    }
  });
});

