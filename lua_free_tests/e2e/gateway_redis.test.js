// The gateway without its counter store: with Redis stopped, calls get 503 redis_unavailable;
// with gateway.rate_limit_fail_open true, calls of a project without a budget are served (and
// still accounted in PostgreSQL) while a project with a budget keeps getting 503 (budgets never
// fail open); once Redis is back the gateway serves again within about a second. With Redis too
// slow (paused past asgard_io_timeout) a call gets 503 and its reservation is given back.
// Redis is this stack's own (scripts/stack: $ASGARD_STATE_DIR/redis/redis.conf); it is always
// restarted and unpaused, and the file ends once the gateway serves again.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { cli } from './control_helpers.js';
import {
  asgardOk,
  assertCompletion,
  assertOpenAIError,
  chat,
  chatBody,
  eventually,
  ioTimeoutMs,
  newGatewayProject,
  removeModel,
  stateDir,
  syncGateway,
  waitForCalls,
  waitForSpend,
} from './gateway_helpers.js';
import { assertErrorLogClean, openSession } from './helpers.js';

const SYNC = 'gwtest:sync-redis';
let p; // no budget
let b; // with a budget

function redisCli(args) {
  const [host, port] = (process.env.ASGARD_REDIS ?? '').split(':');
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

const redisUp = () => {
  try { return redisCli(['PING']) === 'PONG'; } catch { return false; }
};

async function startRedis() {
  if (redisUp()) return;
  execFileSync('redis-server', [join(stateDir(), 'redis', 'redis.conf')], { stdio: 'ignore' });
  await eventually(redisUp, { timeoutMs: 10_000, what: 'Redis to answer PING' });
}

before(async () => {
  p = await newGatewayProject('e2e-gw-redis');
  b = await newGatewayProject('e2e-gw-redis-budget');
  asgardOk(['budget', 'set', b.projectId, '--monthly-usd', '5']);
  await syncGateway(p.key, SYNC);
});

/** Waits until the gateway serves several calls in a row (each pool thread has reconnected). */
async function servingAgain(key) {
  let streak = 0;
  await eventually(async () => {
    streak = (await chat(key, chatBody('are you back?'))).status === 200 ? streak + 1 : 0;
    return streak >= 8;
  }, { timeoutMs: 15_000, intervalMs: 20, what: 'the gateway to serve again' });
}

after(async () => {
  await startRedis();
  try { redisCli(['CLIENT', 'UNPAUSE']); } catch { /* not paused */ }
  cli(['settings', 'set', 'gateway.rate_limit_fail_open', 'false']);
  removeModel(SYNC);
  if (p) {
    await servingAgain(p.key);
    // MCP keeps ended sessions in Redis too: leave it answering for the files that follow.
    let streak = 0;
    await eventually(async () => {
      try {
        const session = await openSession(p.userToken);
        const res = await session.request('tools/list', {});
        streak = res.status === 200 ? streak + 1 : 0;
      } catch {
        streak = 0;
      }
      return streak >= 8;
    }, { timeoutMs: 15_000, intervalMs: 20, what: 'MCP to answer again' });
  }
});
after(assertErrorLogClean);

describe('Redis unavailable', () => {
  test('503 redis_unavailable; rate limits fail open only by setting and never for a budget; back within a second of Redis', async (t) => {
    if (!process.env.ASGARD_REDIS || !redisUp()) {
      t.skip('no Redis of this stack to stop ($ASGARD_REDIS)');
      return;
    }
    assertCompletion(await chat(p.key, chatBody('before')));
    assertCompletion(await chat(b.key, chatBody('before')));
    const servedIds = [];
    try {
      try { redisCli(['SHUTDOWN', 'NOSAVE']); } catch { /* the connection closes as it stops */ }
      await eventually(() => !redisUp(), { what: 'Redis to stop' });

      for (const key of [p.key, b.key]) {
        const res = await eventually(async () => {
          const r = await chat(key, chatBody('redis is down'));
          return r.status === 503 ? r : null;
        }, { timeoutMs: 5000, what: '503 without Redis' });
        const error = assertOpenAIError(res, 503, 'redis_unavailable', /counter store \(Redis\) is unavailable/);
        assert.equal(error.type, 'service_unavailable');
      }

      asgardOk(['settings', 'set', 'gateway.rate_limit_fail_open', 'true']);
      await syncGateway(p.key, SYNC);
      // Every call, not only those that find a pool thread still holding its old connection.
      const statuses = [];
      for (let i = 0; i < 8; i++) {
        const open = await chat(p.key, chatBody(`served without rate limits ${i}`));
        statuses.push(open.status);
        if (open.status === 200) servedIds.push(open.headers.get('x-asgard-request-id'));
      }
      assert.deepEqual(statuses, Array(8).fill(200), 'with rate_limit_fail_open true, a project without a budget is served');
      assertOpenAIError(await chat(b.key, chatBody('a budget never fails open')), 503, 'redis_unavailable');
      // Governance that needs no Redis still applies.
      assertOpenAIError(await chat(p.key, chatBody('AKIAIOSFODNN7EXAMPLE')), 400, 'guardrail_blocked');
    } finally {
      cli(['settings', 'set', 'gateway.rate_limit_fail_open', 'false']);
      await startRedis();
    }

    const started = Date.now();
    for (const key of [p.key, b.key]) {
      await eventually(async () => (await chat(key, chatBody('redis is back'))).status === 200,
        { timeoutMs: 10_000, intervalMs: 50, what: 'the gateway to serve again after Redis is back' });
    }
    assert.ok(Date.now() - started < 3000, `served again ${Date.now() - started} ms after Redis came back`);
    // The budget counter was lost with Redis: it is rebuilt from PostgreSQL and still enforced.
    const fits = await chat(b.key, chatBody('hi', { max_tokens: 4096 }));
    assert.equal(fits.status, 200, `a 0.04 USD worst case fits in 5 USD: ${fits.text}`);

    // The call served while failing open is accounted like any other.
    const byId = await waitForCalls(p.projectId, servedIds);
    assert.equal(byId.get(servedIds[0])[0].outcome, 'ok');
    await waitForSpend(p.projectId, (rows) => rows.some((r) => Number(r.requests) >= 2 + servedIds.length), 'spend for the served calls');
  });

  test('Redis slower than asgard_io_timeout: 503, and the timed-out reservation is given back to the budget', async (t) => {
    if (!process.env.ASGARD_REDIS || !redisUp()) {
      t.skip('no Redis of this stack to pause ($ASGARD_REDIS)');
      return;
    }
    await servingAgain(p.key);
    const s = await newGatewayProject('e2e-gw-redis-slow');
    asgardOk(['budget', 'set', s.projectId, '--monthly-usd', '0.05']);
    await syncGateway(s.key, SYNC);
    // A first call makes the month's counter and spends 132 micro-USD (1 + 13 tokens at 1.25 / 10 USD per Mtok).
    assertCompletion(await chat(s.key, chatBody('hi', { max_tokens: 1000 })));
    await waitForSpend(s.projectId, (rows) => rows.length === 1, 'the first call\'s spend');
    try {
      const io = ioTimeoutMs();
      redisCli(['CLIENT', 'PAUSE', String(io + 1500), 'ALL']);
      const res = await chat(s.key, chatBody('hi', { max_tokens: 1000 }));
      assertOpenAIError(res, 503, 'redis_unavailable');
      assert.ok(res.ms >= io - 500, `refused after the io timeout of ${io} ms (${res.ms} ms)`);
    } finally {
      await eventually(() => { try { redisCli(['CLIENT', 'UNPAUSE']); return redisUp(); } catch { return false; } },
        { timeoutMs: 10_000, what: 'Redis to answer again' });
    }
    await servingAgain(p.key);
    // 0.05 USD - 0.000132 spent = 0.049868 USD left: a 0.040964 USD worst case must fit. If the
    // timed-out reservation (0.010004 USD) were still on the counter, only 0.039864 would be left.
    const res = await chat(s.key, chatBody('hi', { max_tokens: 4096 }));
    assert.equal(res.status, 200, `the budget is whole again after the timed-out call: ${res.text}`);
  });
});
