// With one nginx worker, a tool call stuck in PostgreSQL must not block other requests: database
// work runs on the thread pool and ping is answered on the event loop.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession, psql, psqlSession } from './helpers.js';

after(assertErrorLogClean);

/** Polls pg_stat_activity until a backend waits on a lock, up to a generous deadline. */
async function waitForLockWaiter(timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waiting = psql(
      "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%standards%'"
      + " AND pid <> pg_backend_pid()",
    );
    if (Number(waiting) > 0) return;
    if (Date.now() > deadline) throw new Error('no backend started waiting on the standards lock');
    await delay(50);
  }
}

describe('the event loop never blocks', () => {
  test('ping answers while list_standards waits on a locked standards table; list_standards then succeeds', { timeout: 120_000 }, async () => {
    const { token } = newUserToken('e2e-event-loop');
    const session = await openSession(token); // also caches the token
    const warm = await session.call('list_standards', {});
    assert.equal(warm.isError, false);

    const locker = psqlSession();
    try {
      locker.send('BEGIN;');
      locker.send('LOCK TABLE standards IN ACCESS EXCLUSIVE MODE;');
      locker.send("SELECT 'lock-held';");
      await locker.waitFor(/lock-held/);

      const settled = [];
      const slow = session.request('tools/call', { name: 'list_standards', arguments: {} })
        .then((res) => { settled.push('list_standards'); return res; });
      await waitForLockWaiter();

      // A generous bound: a blocked event loop would never answer while the lock is held.
      const pong = await session.send({ jsonrpc: '2.0', id: 'ping-while-locked', method: 'ping' },
        { signal: AbortSignal.timeout(30_000) });
      settled.push('ping');
      assert.equal(pong.status, 200, pong.text);
      assert.deepEqual(pong.json.result, {});
      assert.deepEqual(settled, ['ping'], 'ping settled while list_standards was still pending');

      locker.send('COMMIT;');
      const res = await slow;
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.result.isError, false);
      const names = res.json.result.structuredContent.standards.map((s) => s.name);
      assert.ok(['engineering', 'security', 'workflow'].every((n) => names.includes(n)), names.join(', '));
      assert.deepEqual(settled, ['ping', 'list_standards']);
    } finally {
      await locker.end();
    }
  });
});
