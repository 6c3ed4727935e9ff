// get_cost: month-to-date (or today's) spend by service for the project's ready resources, in USD,
// with the monthly budget set by asgard budget and what remains; the CLI's cost view agrees.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession } from './helpers.js';
import {
  assertCliFails,
  assertCliOk,
  assertOk,
  cli,
  cliJson,
  mintProjectKey,
  registerProject,
  requestResource,
  sdkClose,
  sdkConnect,
} from './control_helpers.js';

after(assertErrorLogClean);

let client;
before(async () => { client = await sdkConnect(newUserToken('e2e-cost').token); });
after(async () => { if (client) await sdkClose(client); });

const cost = async (args) => assertOk(await client.callTool({ name: 'get_cost', arguments: args }), 'get_cost');
// Money is exact decimal text with six places; compared as integer micro-USD.
const USD = /^-?\d+\.\d{6}$/;
const micro = (text) => {
  assert.match(text, USD, `money is decimal text with six places: ${text}`);
  return BigInt(text.replace('.', ''));
};

describe('get_cost', () => {
  test('a fresh project costs nothing and has no budget', async () => {
    const project = (await registerProject(client, { name: 'cost empty', description: 'nothing yet' })).project_id;
    const c = await cost({ project_id: project });
    assert.equal(c.project_id, project);
    assert.equal(c.currency, 'USD');
    assert.equal(c.window, 'month');
    assert.deepEqual(c.by_service, []);
    assert.deepEqual(c.by_model, []);
    assert.deepEqual(c.by_day, []);
    assert.equal(c.total_usd, '0.000000');
    assert.equal(c.budget_usd, undefined);
    assert.equal(c.remaining_usd, undefined);
    assert.match(c.from, /^\d{4}-\d\d-01T00:00:00Z$/, 'a month window starts on the 1st');
  });

  test('ready resources each have a by_service line; budget_usd is absent until asgard budget set, then 50 with remaining_usd', async () => {
    const project = (await registerProject(client, { name: 'cost', description: 'has resources' })).project_id;
    const secret = (await requestResource(client, project, 'secret', { name: 'COST_SECRET' })).resource;
    const db = (await requestResource(client, project, 'postgres-database', {})).resource;
    const redis = (await requestResource(client, project, 'redis-namespace', {})).resource;
    const pending = (await requestResource(client, project, 'auth0-app', { app_type: 'spa' })).resource;
    assert.equal(pending.state, 'pending_approval');

    const c = await cost({ project_id: project });
    assert.equal(c.currency, 'USD');
    const lines = Object.fromEntries(c.by_service.map((l) => [l.resource_id, l]));
    assert.deepEqual(Object.keys(lines).sort(), [secret.resource_id, db.resource_id, redis.resource_id].sort(),
      'one line per ready resource (none for a pending one)');
    assert.equal(lines[secret.resource_id].service, 'secret');
    assert.equal(lines[db.resource_id].service, 'postgres-database');
    assert.equal(lines[redis.resource_id].service, 'redis-namespace');
    for (const l of c.by_service) {
      assert.ok(micro(l.usd) >= 0n && micro(l.usd) < 1000000n, `a few seconds of a monthly price: ${l.usd}`);
    }
    assert.equal(lines[secret.resource_id].usd, '0.000000', 'a free service costs 0');
    assert.equal(micro(c.total_usd), c.by_service.reduce((s, l) => s + micro(l.usd), 0n), 'total is exactly the sum of the lines');
    assert.equal(c.budget_usd, undefined);
    assert.equal(c.remaining_usd, undefined);

    assert.match(assertCliOk(cli(['budget', 'set', project, '--monthly-usd', '50'])), /50\.00 USD/);
    const b = await cost({ project_id: project });
    assert.equal(b.budget_usd, '50.000000');
    assert.equal(micro(b.remaining_usd), 50000000n - micro(b.total_usd), `remaining ${b.remaining_usd} = 50 - ${b.total_usd}, exactly`);

    const shown = cliJson(['cost', project, '--json']);
    assert.equal(shown.project_id, project);
    assert.equal(shown.budget_usd, '50.000000');
    assert.match(shown.total_usd, USD);
    assert.ok(shown.lines.some((l) => l.resource_id === db.resource_id && l.service === 'postgres-database'));
    assert.equal(cliJson(['budget', 'show', project, '--json']).budget_usd, '50.000000');
    assert.match(assertCliOk(cli(['cost', project])), /budget 50\.00/);

    // A negative budget is refused and changes nothing.
    assertCliFails(cli(['budget', 'set', project, '--monthly-usd', '-5']), 2);
    assert.equal((await cost({ project_id: project })).budget_usd, '50.000000');

    // Released resources stop growing but keep their line for the month.
    assertOk(await client.callTool({ name: 'release_resource', arguments: { project_id: project, resource_id: db.resource_id } }));
    const after = await cost({ project_id: project });
    assert.ok(after.by_service.some((l) => l.resource_id === db.resource_id));
  });

  test('window "day" reports today; a project key reads its own cost without project_id', async () => {
    const project = (await registerProject(client, { name: 'cost day', description: 'x' })).project_id;
    await requestResource(client, project, 'redis-namespace', { name: 'cache' });
    const day = await cost({ project_id: project, window: 'day' });
    assert.equal(day.window, 'day');
    assert.match(day.from, /T00:00:00Z$/);
    assert.equal(day.by_service.length, 1);
    const session = await openSession(mintProjectKey(project).key);
    const viaKey = assertOk(await session.call('get_cost', {}));
    assert.equal(viaKey.project_id, project);
    assert.equal(viaKey.by_service.length, 1);
    const bad = await client.callTool({ name: 'get_cost', arguments: { project_id: project, window: 'year' } });
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /arguments\.window/);
  });

  test('asgard budget and cost refuse bad input', async () => {
    const project = (await registerProject(client, { name: 'cost cli', description: 'x' })).project_id;
    assertCliFails(cli(['budget', 'set', project]), 2, /--monthly-usd/);
    assertCliFails(cli(['budget', 'set', project, '--monthly-usd', 'lots']), 2);
    assertCliFails(cli(['budget', 'set', 'proj-1999-0001', '--monthly-usd', '5']), 1, /no project/);
    assertCliFails(cli(['cost', project, '--window', 'year']), 2);
    assertCliFails(cli(['cost', 'proj-1999-0001']), 1, /no project/);
  });
});
