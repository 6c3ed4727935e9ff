// Services end to end: the catalog, self-service provisioning with real drivers (secret,
// PostgreSQL database, Redis namespace, gateway key), review-tier requests decided with the CLI
// (deny; approve through an operator webhook, which may fail), release, and bad input.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession, psql, uniqueName } from './helpers.js';
import {
  assertCliFails,
  assertCliOk,
  assertOk,
  assertToolError,
  cli,
  cliAsync,
  cliJson,
  getSecret,
  registerProject,
  requestResource,
  sdkClose,
  sdkConnect,
  sqlLiteral,
} from './control_helpers.js';

after(assertErrorLogClean);

let owner;
let client;    // SDK client of the owner
let session;   // raw session of the owner
let project;   // project id
const servers = [];

before(async () => {
  owner = newUserToken('e2e-services');
  client = await sdkConnect(owner.token);
  session = await openSession(owner.token);
  project = (await registerProject(client, { name: 'services under test', description: 'provisions everything' })).project_id;
});

after(async () => {
  if (client) await sdkClose(client);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A webhook on 127.0.0.1 answering with the given status and JSON; records each request body. */
async function startWebhook(status, answer) {
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${server.address().port}/`, received };
}

function redisCli(url, ...args) {
  const r = spawnSync('redis-cli', ['--no-auth-warning', '-u', url, ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout}${r.stderr}`.trim();
}

function adminRedis(...args) {
  const [host, port] = process.env.ASGARD_REDIS.split(':');
  return execFileSync('redis-cli', ['-h', host, '-p', port, ...args], { encoding: 'utf8' }).trim();
}

const call = (name, args) => client.callTool({ name, arguments: args });

describe('list_services', () => {
  test('lists the self-service and review-tier services with parameters and prices', async () => {
    const { services } = assertOk(await call('list_services', {}), 'list_services');
    const tiers = Object.fromEntries(services.map((s) => [s.type, s.tier]));
    assert.deepEqual(tiers, {
      secret: 'self-service',
      'postgres-database': 'self-service',
      'redis-namespace': 'self-service',
      'inference-gateway': 'self-service',
      'auth0-app': 'review',
      'object-storage': 'review',
    });
    for (const s of services) {
      assert.equal(typeof s.title, 'string');
      assert.equal(s.parameters.type, 'object', `${s.type} parameters is a JSON Schema`);
      assert.match(s.price_usd_month, /^\d+\.\d{2}$/, `${s.type}: a price is exact decimal text`);
    }
    assert.deepEqual(services.find((s) => s.type === 'secret').parameters.required, ['name']);
  });
});

describe('self-service provisioning', () => {
  test('secret {name: "API_TOKEN"} is ready at once and get_secret returns a 32-character value', async () => {
    const { resource } = await requestResource(client, project, 'secret', { name: 'API_TOKEN' });
    assert.match(resource.resource_id, /^req-\d{6,}$/);
    assert.equal(resource.state, 'ready');
    assert.equal(resource.service, 'secret');
    assert.deepEqual(resource.params, { name: 'API_TOKEN' });
    assert.equal(resource.outputs.secret, 'API_TOKEN');
    assert.equal(resource.requested_by, `user:${owner.user}`);
    const value = await getSecret(client, project, 'API_TOKEN');
    assert.match(value, /^[0-9A-Za-z]{32}$/);
    // Reading twice gives the same value.
    assert.equal(await getSecret(client, project, 'API_TOKEN'), value);
    // Nothing but ciphertext is stored.
    const stored = psql(`SELECT encode(ciphertext, 'escape') FROM secrets WHERE project_id = ${sqlLiteral(project)} AND name = 'API_TOKEN'`);
    assert.ok(!stored.includes(value), 'the value is stored encrypted');
  });

  test('a secret with a length parameter has that many characters', async () => {
    await requestResource(client, project, 'secret', { name: 'LONG_SECRET', length: 64 });
    assert.match(await getSecret(client, project, 'LONG_SECRET'), /^[0-9A-Za-z]{64}$/);
  });

  test('requesting a secret name the project already has is "already exists", naming the live request; nothing is recorded', async () => {
    const first = (await requestResource(client, project, 'secret', { name: 'TWICE' })).resource;
    const result = await call('request_resource', { project_id: project, service: 'secret', params: { name: 'TWICE' } });
    assertToolError(result, 'already_exists',
      `project ${project} already has secret TWICE (${first.resource_id}, ready): release it first, or pick another name`);
    const twice = assertOk(await call('list_resources', { project_id: project })).resources.filter((r) => r.params.name === 'TWICE');
    assert.deepEqual(twice.map((r) => r.resource_id), [first.resource_id], 'no second request was recorded');
  });

  test('get_secret of a name the project does not have is not_found, listing what it has', async () => {
    const text = assertToolError(await call('get_secret', { project_id: project, name: 'NOPE' }), 'not_found');
    assert.match(text, /has no secret NOPE/);
    assert.match(text, /API_TOKEN/);
  });

  test('postgres-database is ready, DATABASE_URL connects as its own role, and release drops it', async () => {
    const { resource } = await requestResource(client, project, 'postgres-database', {});
    assert.equal(resource.state, 'ready');
    const { database, role, secret } = resource.outputs;
    assert.equal(secret, 'DATABASE_URL');
    assert.equal(database, role);
    const url = await getSecret(client, project, 'DATABASE_URL');
    assert.match(url, /^postgresql:\/\//);
    const psqlUrl = (sql) => execFileSync('psql', [url, '-X', '-qAtc', sql], { encoding: 'utf8' }).trim();
    assert.equal(psqlUrl('select current_user'), role);
    assert.equal(psqlUrl('select current_database()'), database);
    assert.equal(psqlUrl('create table t (x int); insert into t values (42); select x from t'), '42');

    const released = assertOk(await call('release_resource', { project_id: project, resource_id: resource.resource_id })).resource;
    assert.equal(released.state, 'deprovisioned');
    assert.equal(psql(`SELECT count(*) FROM pg_database WHERE datname = ${sqlLiteral(database)}`), '0', 'the database is gone');
    assert.equal(psql(`SELECT count(*) FROM pg_roles WHERE rolname = ${sqlLiteral(role)}`), '0', 'the role is gone');
    assertToolError(await call('get_secret', { project_id: project, name: 'DATABASE_URL' }), 'not_found');
    const events = assertOk(await call('get_resource', { project_id: project, resource_id: resource.resource_id })).resource.events;
    assert.deepEqual(events.map((e) => e.to), ['requested', 'provisioning', 'ready', 'deprovisioning', 'deprovisioned']);
    // A released resource cannot be released again.
    assertToolError(await call('release_resource', { project_id: project, resource_id: resource.resource_id }), 'invalid_state');
  });

  test('postgres-database with a name becomes NAME_DATABASE_URL', async () => {
    const { resource } = await requestResource(client, project, 'postgres-database', { name: 'analytics' });
    assert.equal(resource.outputs.secret, 'ANALYTICS_DATABASE_URL');
    const url = await getSecret(client, project, 'ANALYTICS_DATABASE_URL');
    assert.equal(execFileSync('psql', [url, '-X', '-Atc', 'select 1'], { encoding: 'utf8' }).trim(), '1');
    assertOk(await call('release_resource', { project_id: project, resource_id: resource.resource_id }));
  });

  test('redis-namespace: REDIS_URL works under outputs.key_prefix and gets NOPERM outside it; release removes the user', async () => {
    const { resource } = await requestResource(client, project, 'redis-namespace', {});
    assert.equal(resource.state, 'ready');
    const prefix = resource.outputs.key_prefix;
    assert.equal(prefix, `${project}:main:`);
    const url = await getSecret(client, project, 'REDIS_URL');
    assert.match(url, /^redis:\/\//);
    assert.equal(redisCli(url, 'SET', `${prefix}greeting`, 'hello'), 'OK');
    assert.equal(redisCli(url, 'GET', `${prefix}greeting`), 'hello');
    assert.match(redisCli(url, 'SET', 'outside:greeting', 'x'), /NOPERM/);
    assert.match(redisCli(url, 'GET', `other-project:main:greeting`), /NOPERM/);
    assert.match(redisCli(url, 'FLUSHALL'), /NOPERM/);

    assertOk(await call('release_resource', { project_id: project, resource_id: resource.resource_id }));
    assert.equal(adminRedis('ACL', 'GETUSER', resource.outputs.user), '', 'the ACL user is gone');
    assert.doesNotMatch(redisCli(url, 'GET', `${prefix}greeting`), /^hello$/);
  });

  test('inference-gateway is ready and its one-time key is a project key on /mcp', async () => {
    const result = await requestResource(client, project, 'inference-gateway', {});
    assert.equal(result.resource.state, 'ready');
    assert.match(result.credential.key, /^asg_/);
    assert.ok(!result.credential.key.startsWith('asg_pat_'));
    assert.equal(result.resource.outputs.key_prefix, result.credential.key.slice(0, 12));
    const keyClient = await sdkConnect(result.credential.key);
    try {
      const who = assertOk(await keyClient.callTool({ name: 'whoami', arguments: {} }));
      assert.equal(who.credential.kind, 'project_key');
      assert.equal(who.project_id, project);
      const p = assertOk(await keyClient.callTool({ name: 'get_project', arguments: {} })).project;
      assert.equal(p.project_id, project);
      assert.equal(p.gateway_enabled, true);
    } finally {
      await sdkClose(keyClient);
    }
  });
});

describe('review-tier requests', () => {
  test('auth0-app {app_type: "spa"} waits in pending_approval; asgard requests deny decides it once', async () => {
    const { resource } = await requestResource(client, project, 'auth0-app', { app_type: 'spa' }, { justification: 'login for the SPA' });
    assert.equal(resource.state, 'pending_approval');
    const id = resource.resource_id;
    const pending = cliJson(['requests', 'list', '--state', 'pending_approval', '--json']);
    assert.ok(pending.some((r) => r.id === id && r.project_id === project && r.service === 'auth0-app'));
    const shown = cliJson(['requests', 'show', id, '--json']);
    assert.equal(shown.state, 'pending_approval');
    assert.equal(shown.justification, 'login for the SPA');
    assert.deepEqual(shown.params, { app_type: 'spa' });

    assert.match(assertCliOk(cli(['requests', 'deny', id, '--reason', 'x'])), new RegExp(`${id} denied`));
    const denied = assertOk(await call('get_resource', { project_id: project, resource_id: id })).resource;
    assert.equal(denied.state, 'denied');
    assert.equal(denied.reason, 'x');
    assert.equal(denied.events.at(-1).to, 'denied');

    assertCliFails(cli(['requests', 'deny', id, '--reason', 'again']), 1, /already decided/);
    assertCliFails(cli(['requests', 'approve', id]), 1, /already decided/);
    assert.equal(assertOk(await call('get_resource', { project_id: project, resource_id: id })).resource.state, 'denied');
  });

  test('object-storage approved through a webhook becomes ready with the webhook\'s outputs and secrets', async () => {
    const hook = await startWebhook(200, { outputs: { bucket: 'b' }, secrets: { S3_SECRET_KEY: 'abc' } });
    assertCliOk(cli(['service', 'set', 'object-storage', '--webhook', hook.url]));
    const bucket = uniqueName('bkt');
    const { resource } = await requestResource(client, project, 'object-storage', { bucket });
    assert.equal(resource.state, 'pending_approval');

    const run = await cliAsync(['requests', 'approve', resource.resource_id]);
    assert.equal(run.code, 0, `requests approve: ${run.stderr}${run.stdout}`);
    assert.match(run.stdout, /approved: ready/);

    assert.equal(hook.received.length, 1, 'the webhook was called once');
    const payload = JSON.parse(hook.received[0].body);
    assert.equal(hook.received[0].method, 'POST');
    assert.equal(payload.request_id, resource.resource_id);
    assert.equal(payload.project_id, project);
    assert.equal(payload.service, 'object-storage');
    assert.deepEqual(payload.params, { bucket });
    assert.equal(payload.requested_by, `user:${owner.user}`);

    const ready = assertOk(await call('get_resource', { project_id: project, resource_id: resource.resource_id })).resource;
    assert.equal(ready.state, 'ready');
    assert.equal(ready.outputs.bucket, 'b');
    assert.deepEqual(ready.events.map((e) => e.to), ['requested', 'pending_approval', 'approved', 'provisioning', 'ready']);
    assert.equal(await getSecret(client, project, 'S3_SECRET_KEY'), 'abc');
  });

  test('a webhook answering 500 fails the request with a reason and requests approve exits 1', async () => {
    const hook = await startWebhook(500, { error: 'bucket service down' });
    assertCliOk(cli(['service', 'set', 'object-storage', '--webhook', hook.url]));
    const { resource } = await requestResource(client, project, 'object-storage', { bucket: uniqueName('bkt') });
    const run = await cliAsync(['requests', 'approve', resource.resource_id]);
    assertCliFails(run, 1, /failed/);
    assert.match(run.stderr, /500/);
    assert.equal(hook.received.length, 1);
    const failed = assertOk(await call('get_resource', { project_id: project, resource_id: resource.resource_id })).resource;
    assert.equal(failed.state, 'failed');
    assert.match(failed.reason, /HTTP 500/);
  });

  test('releasing a pending review request cancels it', async () => {
    const { resource } = await requestResource(client, project, 'auth0-app', { app_type: 'm2m' });
    const released = assertOk(await call('release_resource', { project_id: project, resource_id: resource.resource_id })).resource;
    assert.equal(released.state, 'cancelled');
    assertCliFails(cli(['requests', 'approve', resource.resource_id]), 1, /already decided/);
  });
});

describe('bad input', () => {
  test('an unknown service is unknown_service listing the available ones', async () => {
    const text = assertToolError(await call('request_resource', { project_id: project, service: 'mainframe' }), 'unknown_service');
    assert.match(text, /mainframe/);
    for (const type of ['secret', 'postgres-database', 'redis-namespace', 'inference-gateway', 'auth0-app', 'object-storage']) {
      assert.ok(text.includes(type), `lists ${type}: ${text}`);
    }
  });

  test('params failing the service schema are invalid_params naming the field', async () => {
    assertToolError(await call('request_resource', { project_id: project, service: 'secret', params: { name: 'lower' } }),
      'invalid_params', /params\.name/);
    assertToolError(await call('request_resource', { project_id: project, service: 'secret', params: {} }),
      'invalid_params', /params\.name is required/);
    assertToolError(await call('request_resource', { project_id: project, service: 'secret', params: { name: 'OK', length: 8 } }),
      'invalid_params', /params\.length/);
    assertToolError(await call('request_resource', { project_id: project, service: 'auth0-app', params: { app_type: 'desktop' } }),
      'invalid_params', /params\.app_type/);
    assertToolError(await call('request_resource', { project_id: project, service: 'postgres-database', params: { owner: 'me' } }),
      'invalid_params', /params\.owner/);
  });

  test('arguments of the wrong type are isError naming the argument', async () => {
    assertToolError(await session.call('request_resource', { project_id: project, service: 5 }), 'invalid_arguments', /arguments\.service/);
    assertToolError(await session.call('request_resource', { project_id: project, service: 'secret', params: 'NAME' }), 'invalid_arguments', /arguments\.params/);
    assertToolError(await session.call('get_resource', { project_id: project, resource_id: 'nope' }), 'invalid_arguments', /arguments\.resource_id/);
    assertToolError(await session.call('get_secret', { project_id: project, name: 5 }), 'invalid_arguments', /arguments\.name/);
    assertToolError(await session.call('get_secret', { project_id: project }), 'invalid_arguments', /arguments\.name is required/);
  });

  test('a resource of another project is not_found', async () => {
    const other = (await registerProject(client, { name: 'other', description: 'x' })).project_id;
    const { resource } = await requestResource(client, other, 'secret', { name: 'ELSEWHERE' });
    assertToolError(await call('get_resource', { project_id: project, resource_id: resource.resource_id }), 'not_found');
    assertToolError(await call('release_resource', { project_id: project, resource_id: resource.resource_id }), 'not_found');
  });
});
