// What a project key may do. By default it reads (its project, resources, secrets, cost) and calls
// the gateway; it cannot provision, release or mint keys, and each refusal names the fix. A key
// minted with `asgard key create --allow-provision` (a CI key) may request and release resources,
// still never mint keys; the two kinds rotate independently, so rotating the deployed app's key
// leaves the CI key working, and the other way round.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession } from './helpers.js';
import { assertOk, assertToolError, cliJson, registerProject, requestResource } from './control_helpers.js';

after(assertErrorLogClean);

let ownerSession;
let project;

before(async () => {
  const owner = newUserToken('e2e-key-scope');
  ownerSession = await openSession(owner.token);
  project = (await registerProject(ownerSession, { name: 'key scope', description: 'what a project key may do' })).project_id;
  await requestResource(ownerSession, project, 'secret', { name: 'APP_SECRET' });
});

const mint = (...flags) => cliJson(['key', 'create', '--project', project, ...flags, '--json']);
const keyRow = (id) => cliJson(['key', 'list', '--project', project, '--json']).find((k) => k.id === id);
const NEEDS_USER_TOKEN = 'gateway_credential needs a user token (asg_pat_...): a project key cannot mint or rotate keys';

describe('a deployed app\'s key (no --allow-provision)', () => {
  test('reads its project, secrets and cost; whoami says it may not provision', async () => {
    const minted = mint();
    assert.equal(minted.may_provision, false);
    const s = await openSession(minted.key);
    const who = assertOk(await s.call('whoami', {}));
    assert.equal(who.credential.kind, 'project_key');
    assert.equal(who.credential.may_provision, false);
    assert.equal(assertOk(await s.call('get_project', {})).project.project_id, project);
    assert.equal(assertOk(await s.call('get_secret', { name: 'APP_SECRET' })).name, 'APP_SECRET');
    assert.equal(assertOk(await s.call('get_cost', {})).project_id, project);
    assert.ok(Array.isArray(assertOk(await s.call('list_resources', {})).resources));
  });

  test('cannot rotate itself, provision a $25 database or release a resource: each refusal names the fix', async () => {
    const s = await openSession(mint().key);
    assertToolError(await s.call('gateway_credential', {}), 'project_key_forbidden', NEEDS_USER_TOKEN);
    const fix = `--project ${project} --allow-provision`;
    const db = await s.call('request_resource', { service: 'postgres-database', params: { name: 'nope' } });
    assert.match(assertToolError(db, 'project_key_forbidden'), new RegExp(`^request_resource needs a user token \\(asg_pat_\\.\\.\\.\\) or a project key minted with \`asgard key create ${fix}\``));
    const { resources } = assertOk(await s.call('list_resources', {}));
    assert.ok(!resources.some((r) => r.service === 'postgres-database'), 'nothing chargeable was requested');
    const ready = resources.find((r) => r.state === 'ready');
    assert.match(assertToolError(await s.call('release_resource', { resource_id: ready.resource_id }), 'project_key_forbidden'), /^release_resource needs a user token/);
    const kept = assertOk(await ownerSession.call('get_resource', { project_id: project, resource_id: ready.resource_id })).resource;
    assert.equal(kept.state, 'ready', 'the resource was not released');
  });
});

describe('a CI key (asgard key create --allow-provision)', () => {
  test('may request and release resources, but never mints keys (gateway_credential, inference-gateway)', async () => {
    const ci = mint('--allow-provision');
    assert.equal(ci.may_provision, true);
    assert.equal(keyRow(ci.id).may_provision, true);
    const s = await openSession(ci.key);
    assert.equal(assertOk(await s.call('whoami', {})).credential.may_provision, true);
    const made = assertOk(await s.call('request_resource', { service: 'secret', params: { name: 'CI_SECRET' } })).resource;
    assert.equal(made.state, 'ready');
    assert.equal(made.requested_by, `key:${project}`);
    assert.equal(assertOk(await s.call('release_resource', { resource_id: made.resource_id })).resource.state, 'deprovisioned');
    assertToolError(await s.call('gateway_credential', {}), 'project_key_forbidden', NEEDS_USER_TOKEN);
    assertToolError(await s.call('request_resource', { service: 'inference-gateway', params: {} }), 'project_key_forbidden',
      /^request_resource inference-gateway needs a user token \(asg_pat_\.\.\.\): it mints the project's key/);
  });

  test('rotating the app key leaves the CI key live, and re-minting the CI key leaves the app key live', async () => {
    const ci = mint('--allow-provision');
    const app = assertOk(await ownerSession.call('gateway_credential', { project_id: project }));
    assert.equal(keyRow(ci.id).revoked, '', 'gateway_credential did not revoke the CI key');
    const ci2 = mint('--allow-provision');
    assert.notEqual(keyRow(ci.id).revoked, '', 'the earlier CI key is revoked');
    assert.equal(keyRow(app.key_id).revoked, '', 'minting a CI key did not revoke the app key');
    assert.equal(keyRow(ci2.id).revoked, '');
    const app2 = mint();
    assert.notEqual(keyRow(app.key_id).revoked, '', 'a new app key revokes the earlier app key');
    assert.equal(keyRow(ci2.id).revoked, '', 'and leaves the CI key');
    assert.equal(keyRow(app2.id).may_provision, false);
  });
});
