// A Redis counter the reservation cannot use (a key holding something that is not an integer, so
// INCRBY inside EXEC answers an error) refuses the call with 503 redis_unavailable: EXEC's
// elements are type-checked, never read as totals of 0. The corrupted keys are this file's own
// project key's and are deleted afterwards.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';

import { assertCompletion, assertOpenAIError, chat, chatBody, newGatewayProject } from './gateway_helpers.js';
import { assertErrorLogClean } from './helpers.js';

function redisCli(args) {
  const [host, port] = (process.env.ASGARD_REDIS ?? '').split(':');
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

let p;
let corrupted = [];
before(async () => {
  p = await newGatewayProject('e2e-gw-counter-replies');
});
after(() => {
  if (corrupted.length) redisCli(['DEL', ...corrupted]);
});
after(assertErrorLogClean);

test('a tokens counter that is not an integer: 503 redis_unavailable, not a call served past its limits', async (t) => {
  if (!process.env.ASGARD_REDIS) return t.skip('no Redis of this stack ($ASGARD_REDIS)');
  // This minute's and the next ones' keys of the project key (gateway_call.cpp prepare_keys).
  const minute = Math.floor(Date.now() / 60000);
  corrupted = [0, 1, 2].map((i) => `asgard:rl:t:${p.keyId}:${minute + i}`);
  for (const key of corrupted) redisCli(['SET', key, 'not-a-number', 'EX', '300']);
  const res = await chat(p.key, chatBody('a counter that cannot count'));
  assertOpenAIError(res, 503, 'redis_unavailable');
  redisCli(['DEL', ...corrupted]);
  assertCompletion(await chat(p.key, chatBody('counters work again')));
});
