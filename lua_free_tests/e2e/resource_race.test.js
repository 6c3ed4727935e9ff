// Named resources under concurrency: ten parallel request_resource calls over one name (a secret, a
// database, a Redis namespace), each on its own MCP session, give exactly one ready resource and nine
// "already exists" refusals (the database's unique index decides); releasing the winner leaves no
// secret behind and frees the name; a resource never takes over a secret another one made.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession, psql } from './helpers.js';
import { assertOk, assertToolError, getSecret, registerProject, requestResource, sqlLiteral } from './control_helpers.js';

after(assertErrorLogClean);

const PARALLEL = 10;
let owner;
let sessions; // PARALLEL sessions of the owner's token
let project;

before(async () => {
  owner = newUserToken('e2e-race');
  sessions = await Promise.all(Array.from({ length: PARALLEL }, () => openSession(owner.token)));
  project = (await registerProject(sessions[0], { name: 'resource races', description: 'ten requests, one name' })).project_id;
});

const secretRows = (name) => Number(psql(`SELECT count(*) FROM secrets WHERE project_id = ${sqlLiteral(project)} AND name = ${sqlLiteral(name)}`));

async function race(service, params, what) {
  const results = await Promise.all(sessions.map((s) => s.call('request_resource', { project_id: project, service, params })));
  const ready = results.filter((r) => !r.isError);
  const refused = results.filter((r) => r.isError);
  assert.equal(ready.length, 1, `exactly one ${what} is ready: ${JSON.stringify(results.map((r) => r.structuredContent))}`);
  const winner = ready[0].structuredContent.resource;
  assert.equal(winner.state, 'ready');
  for (const r of refused) {
    const text = assertToolError(r, 'already_exists', undefined, what);
    assert.ok(text.startsWith(`project ${project} already has ${what} (`), text);
    assert.match(text, /: release it first, or pick another name$/);
  }
  const live = assertOk(await sessions[0].call('list_resources', { project_id: project })).resources
    .filter((r) => r.service === service && (r.params.name ?? 'main') === (params.name ?? 'main') && r.state === 'ready');
  assert.deepEqual(live.map((r) => r.resource_id), [winner.resource_id], 'one live request holds the name');
  return winner;
}

async function release(resource) {
  const out = assertOk(await sessions[0].call('release_resource', { project_id: project, resource_id: resource.resource_id }));
  assert.equal(out.resource.state, 'deprovisioned');
}

describe('ten parallel requests over one name', () => {
  test('secret RACE: one ready, nine "already exists"; release leaves no secret and frees the name', async () => {
    const winner = await race('secret', { name: 'RACE' }, 'secret RACE');
    assert.equal(secretRows('RACE'), 1);
    await release(winner);
    assert.equal(secretRows('RACE'), 0, 'no dangling secret after the release');
    assertToolError(await sessions[0].call('get_secret', { project_id: project, name: 'RACE' }), 'not_found');
    const again = await requestResource(sessions[0], project, 'secret', { name: 'RACE' });
    assert.equal(again.resource.state, 'ready', 'the released name can be requested again');
    await release(again.resource);
  });

  test('postgres-database racedb: one ready, nine "already exists"; release drops the database and its secret', async () => {
    const winner = await race('postgres-database', { name: 'racedb' }, 'postgres-database racedb');
    assert.equal(secretRows('RACEDB_DATABASE_URL'), 1);
    await release(winner);
    assert.equal(secretRows('RACEDB_DATABASE_URL'), 0);
    assert.equal(Number(psql(`SELECT count(*) FROM pg_database WHERE datname = ${sqlLiteral(winner.outputs.database)}`)), 0);
  });

  test('redis-namespace racens: one ready, nine "already exists"; release removes its secret', async () => {
    const winner = await race('redis-namespace', { name: 'racens' }, 'redis-namespace racens');
    assert.equal(secretRows('RACENS_REDIS_URL'), 1);
    await release(winner);
    assert.equal(secretRows('RACENS_REDIS_URL'), 0);
  });
});

describe('a secret belongs to the resource that made it', () => {
  test('a database whose secret name is taken fails and leaves the other resource\'s secret alone', async () => {
    const secret = await requestResource(sessions[0], project, 'secret', { name: 'CLAIMED_DATABASE_URL' });
    const value = await getSecret(sessions[0], project, 'CLAIMED_DATABASE_URL');
    const db = await sessions[0].call('request_resource', { project_id: project, service: 'postgres-database', params: { name: 'claimed' } });
    const text = assertToolError(db, 'provisioning_failed');
    assert.match(text, /already has a secret named CLAIMED_DATABASE_URL/);
    assert.equal(await getSecret(sessions[0], project, 'CLAIMED_DATABASE_URL'), value, 'the secret is not overwritten');
    const database = `p${project.slice(5).replace('-', '_')}_claimed`;
    assert.equal(Number(psql(`SELECT count(*) FROM pg_database WHERE datname = ${sqlLiteral(database)}`)), 0, 'the failed database was dropped');
    await release(secret.resource);
    assert.equal(secretRows('CLAIMED_DATABASE_URL'), 0);
  });
});
