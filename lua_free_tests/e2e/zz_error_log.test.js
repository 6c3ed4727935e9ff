// Runs last (files run in name order with --test-concurrency=1): after everything the suite threw
// at the server, the nginx error log has no alert, crit or emerg line and no crashed worker.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { assertErrorLogClean, env } from './helpers.js';

test('the nginx error log has no [alert], [crit], [emerg] or "exited on signal" line', () => {
  assert.ok(existsSync(env.errorLog), `the nginx error log exists at ${env.errorLog}`);
  assertErrorLogClean();
});
