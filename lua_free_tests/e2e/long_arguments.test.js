// Long string arguments under the body limit must be answered, not crash the worker. The error
// log is checked here around each call (and by scripts/test after the whole suite).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';

import { env, newUserToken, openSession } from './helpers.js';
import { assertOk, registerProject } from './control_helpers.js';

let token;
let project;
before(async () => {
  ({ token } = newUserToken('e2e-long-args'));
  project = (await registerProject(await openSession(token), { name: 'long arguments', description: 'x' })).project_id;
});

const crashes = () => readFileSync(env.errorLog, 'utf8').split('\n').filter((l) => /exited on signal/.test(l)).length;

/** Calls a tool with a fresh session; asserts an isError result (not a dropped connection). */
async function assertRefused(name, args, argument) {
  const before = crashes();
  const session = await openSession(token);
  let res;
  try {
    res = await session.request('tools/call', { name, arguments: args });
  } catch (e) {
    assert.fail(`tools/call ${name} with a long ${argument} got no answer (${e.cause?.code ?? e.message}); ` +
      `worker crashes in the nginx error log: ${crashes() - before}`);
  }
  assert.equal(res.status, 200, res.text.slice(0, 200));
  assert.equal(res.json.result.isError, true);
  assert.equal(crashes(), before, 'no nginx worker crashed');
}

describe('long string arguments (under asgard_max_body_size)', () => {
  test('get_project with a 100000-digit project_id is an isError result, and the worker survives', async () => {
    await assertRefused('get_project', { project_id: `proj-2026-${'1'.repeat(100_000)}` }, 'project_id');
  });

  test('get_resource with a 100000-digit resource_id is an isError result, and the worker survives', async () => {
    await assertRefused('get_resource', { project_id: project, resource_id: `req-${'1'.repeat(100_000)}` }, 'resource_id');
  });

  test('the server still answers afterwards', async () => {
    assertOk(await (await openSession(token)).call('whoami', {}));
  });
});
