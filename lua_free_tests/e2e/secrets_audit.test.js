// Secrets are audited and never logged: after get_secret, no log file of the stack and no audit
// row holds the value, and the read has its own audit row. Every mutation and denial (over MCP and
// through the CLI) writes an audit row, and the hash chain verifies.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, createToken, newUserToken, openSession, psql, uniqueName } from './helpers.js';
import {
  assertCliOk,
  assertOk,
  assertToolError,
  auditRows,
  cli,
  cliJson,
  getSecret,
  lastAuditId,
  mintProjectKey,
  registerProject,
  requestResource,
  sdkClose,
  sdkConnect,
  sqlLiteral,
  stateDir,
} from './control_helpers.js';

after(assertErrorLogClean);

let owner;
let client;
let project;

before(async () => {
  owner = newUserToken('e2e-secrets');
  client = await sdkConnect(owner.token);
  project = (await registerProject(client, { name: 'secrets under test', description: 'audited reads' })).project_id;
});
after(async () => { if (client) await sdkClose(client); });

/** Every *.log file under the state directory (nginx, PostgreSQL, Redis), outside the PostgreSQL data directory. */
function logFiles(dir = stateDir(), out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    let st;
    try { st = statSync(path); } catch { continue; }
    if (st.isDirectory()) {
      if (path !== join(stateDir(), 'pg', 'data')) logFiles(path, out);
    } else if (name.endsWith('.log')) {
      out.push(path);
    }
  }
  return out;
}

function assertNotLogged(value, what) {
  const files = logFiles();
  const names = files.map((f) => f.slice(stateDir().length));
  for (const expected of ['/nginx/logs/error.log', '/nginx/logs/access.log', '/pg/postgres.log', '/redis/redis.log']) {
    assert.ok(names.includes(expected), `the stack has ${expected}: ${names.join(', ')}`);
  }
  for (const file of files) {
    assert.ok(!readFileSync(file).includes(Buffer.from(value)), `${what} appears in ${file}`);
  }
  // Searched inside PostgreSQL: the log may hold more rows than are worth reading out.
  const found = psql(`SELECT count(*) FROM audit_log a WHERE strpos(row_to_json(a)::text, '${value.replaceAll("'", "''")}') > 0`);
  assert.equal(found, '0', `${what} appears in the audit_log table`);
}

describe('get_secret', () => {
  test('a secret read is audited (actor, credential, project, outcome ok) and its value is in no log and no audit row', async () => {
    await requestResource(client, project, 'secret', { name: 'API_TOKEN' });
    const since = lastAuditId();
    const value = await getSecret(client, project, 'API_TOKEN');
    assert.equal(value.length, 32);
    const rows = auditRows(`id > ${since} AND tool = 'get_secret'`);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    const [row] = rows;
    assert.equal(row.actor, `user:${owner.user}`);
    assert.equal(Number(row.credential_id), owner.id);
    assert.equal(row.project_id, project);
    assert.equal(row.outcome, 'ok');
    assert.deepEqual(row.detail, { name: 'API_TOKEN' });
    assertNotLogged(value, 'the API_TOKEN value');
  });

  test('a read with a project key is audited under the key', async () => {
    await requestResource(client, project, 'secret', { name: 'KEY_READ' });
    const { key, id } = mintProjectKey(project);
    const session = await openSession(key);
    const since = lastAuditId();
    const value = assertOk(await session.call('get_secret', { name: 'KEY_READ' })).value;
    const [row] = auditRows(`id > ${since} AND tool = 'get_secret'`);
    assert.equal(row.actor, `key:${project}`);
    assert.equal(Number(row.credential_id), id);
    assert.equal(row.project_id, project);
    assert.equal(row.outcome, 'ok');
    assertNotLogged(value, 'the KEY_READ value');
  });

  test('a read of a missing secret is audited as not_found', async () => {
    const since = lastAuditId();
    assertToolError(await client.callTool({ name: 'get_secret', arguments: { project_id: project, name: 'MISSING_ONE' } }), 'not_found');
    const [row] = auditRows(`id > ${since} AND tool = 'get_secret'`);
    assert.equal(row.outcome, 'not_found');
    assert.deepEqual(row.detail, { name: 'MISSING_ONE' });
  });

  test('the DATABASE_URL and REDIS_URL values are in no log and no audit row', async () => {
    await requestResource(client, project, 'postgres-database', {});
    await requestResource(client, project, 'redis-namespace', {});
    const databaseUrl = await getSecret(client, project, 'DATABASE_URL');
    const redisUrl = await getSecret(client, project, 'REDIS_URL');
    assertNotLogged(databaseUrl, 'DATABASE_URL');
    assertNotLogged(new URL(databaseUrl).password, 'the database password');
    assertNotLogged(redisUrl, 'REDIS_URL');
    assertNotLogged(new URL(redisUrl).password, 'the Redis password');
  });

  test('the database password is not kept in plain text by PostgreSQL statistics (pg_stat_statements)', async () => {
    const installed = psql("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") === '1';
    if (!installed) return;
    const { resource } = await requestResource(client, project, 'postgres-database', { name: 'stats' });
    const password = new URL(await getSecret(client, project, resource.outputs.secret)).password;
    assert.ok(password.length >= 16);
    const hits = psql(`SELECT count(*) FROM pg_stat_statements WHERE strpos(query, ${sqlLiteral(password)}) > 0`);
    assert.equal(hits, '0', 'the provisioned role\'s password is visible in pg_stat_statements (CREATE ROLE ... PASSWORD \'...\')');
  });
});

describe('the audit log', () => {
  test('every MCP mutation and denial writes an audit row', async () => {
    const stranger = newUserToken('e2e-audit-stranger');
    const strangerSession = await openSession(stranger.token);
    const since = lastAuditId();

    const p = (await registerProject(client, { name: 'audited', description: 'every step' })).project_id;
    assertOk(await client.callTool({ name: 'update_project', arguments: { project_id: p, description: 'changed' } }));
    const { resource } = await requestResource(client, p, 'secret', { name: 'AUDITED' });
    assertOk(await client.callTool({ name: 'gateway_credential', arguments: { project_id: p } }));
    assertOk(await client.callTool({ name: 'release_resource', arguments: { project_id: p, resource_id: resource.resource_id } }));
    const doc = uniqueName('audited');
    assertOk(await client.callTool({ name: 'guidance_put', arguments: { name: doc, title: 'Audited', body: 'text' } }));
    assertOk(await client.callTool({ name: 'recipe_put', arguments: { name: doc, title: 'Audited', body: 'text' } }));
    assertToolError(await strangerSession.call('get_project', { project_id: p }), 'not_authorized');
    assertToolError(await strangerSession.call('request_resource', { project_id: p, service: 'secret', params: { name: 'X' } }), 'not_authorized');
    assertToolError(await strangerSession.call('get_secret', { project_id: p, name: 'AUDITED' }), 'not_authorized');

    const mine = auditRows(`id > ${since} AND actor = ${sqlLiteral(`user:${owner.user}`)}`);
    const tools = mine.map((r) => `${r.tool}:${r.outcome}`);
    for (const expected of ['register_project:ok', 'update_project:ok', 'request_resource:ok', 'gateway_credential:ok',
      'release_resource:ok', 'guidance_put:ok', 'recipe_put:ok']) {
      assert.ok(tools.includes(expected), `an audit row ${expected}: ${tools.join(', ')}`);
    }
    for (const row of mine) {
      assert.equal(Number(row.credential_id), owner.id);
      assert.match(row.at, /^\d{4}-/);
    }
    assert.equal(mine.find((r) => r.tool === 'register_project').project_id, p);
    const theirs = auditRows(`id > ${since} AND actor = ${sqlLiteral(`user:${stranger.user}`)}`);
    assert.deepEqual(theirs.map((r) => `${r.tool}:${r.outcome}:${r.detail.code}:${r.project_id}`),
      [`get_project:denied:not_authorized:${p}`, `request_resource:denied:not_authorized:${p}`, `get_secret:denied:not_authorized:${p}`]);
  });

  test('CLI mutations write audit rows too', async () => {
    const since = lastAuditId();
    const user = uniqueName('e2e-audit-cli');
    assertCliOk(cli(['user', 'add', user]));
    const token = createToken(user);
    assertCliOk(cli(['token', 'revoke', String(token.id)]));
    const group = uniqueName('e2e-audit-group');
    assertCliOk(cli(['group', 'add', group, user]));
    assertCliOk(cli(['budget', 'set', project, '--monthly-usd', '75']));
    mintProjectKey(project);
    const rows = auditRows(`id > ${since}`);
    const tools = rows.map((r) => r.tool);
    for (const expected of ['user.add', 'token.create', 'token.revoke', 'group.add', 'budget.set', 'key.create']) {
      assert.ok(tools.includes(expected), `an audit row ${expected}: ${tools.join(', ')}`);
    }
    for (const row of rows.filter((r) => r.tool.includes('.'))) {
      assert.match(row.actor, /^cli:/);
      assert.equal(row.outcome, 'ok');
    }
    assert.equal(rows.find((r) => r.tool === 'budget.set').project_id, project);
  });

  test('asgard audit tail --json shows the newest rows without secret values', () => {
    const rows = cliJson(['audit', 'tail', '--json']);
    assert.ok(Array.isArray(rows) && rows.length > 0 && rows.length <= 20);
    for (const r of rows) {
      for (const key of ['id', 'at', 'actor', 'tool', 'outcome']) assert.ok(key in r, `audit tail rows carry ${key}`);
    }
    assert.equal(rows.at(-1).id, lastAuditId());
  });

  test('asgard audit verify exits 0 and reports the chain intact', () => {
    const out = assertCliOk(cli(['audit', 'verify']));
    assert.match(out, /intact/);
    const count = Number(psql('SELECT count(*) FROM audit_log'));
    assert.match(out, new RegExp(`${count} rows verified`));
  });
});
