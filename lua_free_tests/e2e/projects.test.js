// Projects over MCP: register_project mints proj-YYYY-NNNN (distinct, consecutive numbers under
// concurrency), list_projects / get_project / update_project, whoami's roles, and bad input that
// changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { addUser, assertErrorLogClean, createToken, newUserToken, openSession, post, psql } from './helpers.js';
import {
  assertOk,
  assertToolError,
  auditRows,
  currentYear,
  lastAuditId,
  PROJECT_ID,
  registerProject,
  sdkClose,
  sdkConnect,
  sqlLiteral,
} from './control_helpers.js';

after(assertErrorLogClean);

let owner;   // { user, token, id }
let manager; // { user, token, id }
let ownerSession;
let managerSession;

before(async () => {
  owner = newUserToken('e2e-proj-owner');
  manager = newUserToken('e2e-proj-manager');
  ownerSession = await openSession(owner.token);
  managerSession = await openSession(manager.token);
});

describe('register_project', () => {
  test('mints proj-YYYY-NNNN for the current UTC year and stamps the caller as owner (SDK)', async () => {
    const client = await sdkConnect(owner.token);
    try {
      const since = lastAuditId();
      const result = await client.callTool({
        name: 'register_project',
        arguments: { name: 'payments api', description: 'Takes card payments' },
      });
      const { project } = assertOk(result, 'register_project');
      const m = PROJECT_ID.exec(project.project_id);
      assert.ok(m, `a proj-YYYY-NNNN id: ${project.project_id}`);
      assert.equal(Number(m[1]), currentYear());
      assert.equal(project.name, 'payments api');
      assert.equal(project.description, 'Takes card payments');
      assert.equal(project.owner, owner.user);
      assert.equal(project.manager, undefined, 'no manager unless named');
      assert.equal(project.group, undefined, 'no group unless named');
      assert.equal(project.gateway_enabled, false);
      assert.match(project.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const stored = psql(`SELECT o.name FROM projects p JOIN users o ON o.id = p.owner_id WHERE p.id = ${sqlLiteral(project.project_id)}`);
      assert.equal(stored, owner.user);
      const rows = auditRows(`id > ${since} AND tool = 'register_project' AND project_id = ${sqlLiteral(project.project_id)}`);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].actor, `user:${owner.user}`);
      assert.equal(Number(rows[0].credential_id), owner.id);
      assert.equal(rows[0].outcome, 'ok');
    } finally {
      await sdkClose(client);
    }
  });

  test('records the named manager and group', async () => {
    const project = await registerProject(ownerSession, { name: 'with manager', description: 'managed', manager: manager.user, group: 'platform-team' });
    assert.equal(project.manager, manager.user);
    assert.equal(project.group, 'platform-team');
    assert.equal(project.owner, owner.user);
  });

  test('an unknown manager is refused with unknown_user and nothing is registered', async () => {
    const before = Number(psql('SELECT count(*) FROM projects'));
    const result = await ownerSession.call('register_project', { name: 'x', description: 'y', manager: 'no-such-user-e2e' });
    assertToolError(result, 'unknown_user', /no-such-user-e2e/);
    assert.equal(Number(psql('SELECT count(*) FROM projects')), before);
  });

  test('50 concurrent register_project calls over 10 sessions get 50 distinct, consecutive ids', async () => {
    const { token } = newUserToken('e2e-proj-burst');
    const sessions = await Promise.all(Array.from({ length: 10 }, () => openSession(token)));
    const calls = [];
    for (let i = 0; i < 50; i++) {
      calls.push(sessions[i % 10].call('register_project', { name: `burst ${i}`, description: 'concurrent registration' }));
    }
    const results = await Promise.all(calls);
    const ids = results.map((r) => assertOk(r, 'register_project').project.project_id);
    assert.equal(new Set(ids).size, 50, 'all ids are distinct');
    const numbers = ids.map((id) => {
      const m = PROJECT_ID.exec(id);
      assert.ok(m, id);
      assert.equal(Number(m[1]), currentYear());
      return Number(m[2]);
    }).sort((a, b) => a - b);
    assert.equal(numbers[49] - numbers[0], 49, `consecutive numbers: ${numbers.join(',')}`);
    const names = results.map((r) => r.structuredContent.project.name).sort();
    assert.deepEqual(names, Array.from({ length: 50 }, (_, i) => `burst ${i}`).sort());
  });

  test('50 concurrent register_project calls on one session also get distinct, consecutive ids', async () => {
    const calls = Array.from({ length: 50 }, (_, i) => ownerSession.call('register_project', { name: `one-session ${i}`, description: 'c' }));
    const ids = (await Promise.all(calls)).map((r) => assertOk(r).project.project_id);
    const numbers = ids.map((id) => Number(PROJECT_ID.exec(id)[2])).sort((a, b) => a - b);
    assert.equal(new Set(numbers).size, 50);
    assert.equal(numbers[49] - numbers[0], 49);
  });
});

describe('list_projects, get_project, update_project and whoami', () => {
  let owned;
  let managed;
  let otherUser;
  before(async () => {
    owned = await registerProject(ownerSession, { name: 'owned one', description: 'owner only' });
    managed = await registerProject(ownerSession, { name: 'managed one', description: 'has a manager', manager: manager.user });
    otherUser = newUserToken('e2e-proj-other');
  });

  test('list_projects shows the projects the caller owns or manages', async () => {
    const mine = assertOk(await ownerSession.call('list_projects', {})).projects.map((p) => p.project_id);
    assert.ok(mine.includes(owned.project_id) && mine.includes(managed.project_id));
    const theirs = assertOk(await managerSession.call('list_projects', {})).projects.map((p) => p.project_id);
    assert.ok(theirs.includes(managed.project_id), 'the manager lists the managed project');
    assert.ok(!theirs.includes(owned.project_id), 'the manager does not list a project it has no role on');
    const other = await openSession(otherUser.token);
    assert.deepEqual(assertOk(await other.call('list_projects', {})).projects, []);
  });

  test('whoami with a user token lists the caller, the credential and the projects with roles', async () => {
    const who = assertOk(await ownerSession.call('whoami', {}));
    assert.equal(who.user, owner.user);
    assert.equal(who.admin, false);
    assert.deepEqual(who.credential, { kind: 'user_token', id: owner.id });
    const roles = Object.fromEntries(who.projects.map((p) => [p.project_id, p.role]));
    assert.equal(roles[owned.project_id], 'owner');
    assert.equal(roles[managed.project_id], 'owner');
    assert.equal(who.projects.find((p) => p.project_id === owned.project_id).name, 'owned one');
    const mgr = assertOk(await managerSession.call('whoami', {}));
    assert.equal(mgr.projects.find((p) => p.project_id === managed.project_id)?.role, 'manager');
    assert.ok(!mgr.projects.some((p) => p.project_id === owned.project_id));
  });

  test('an admin token is marked admin in whoami', async () => {
    const admin = addUser('e2e-proj-admin', { admin: true });
    const session = await openSession(createToken(admin).token);
    const who = assertOk(await session.call('whoami', {}));
    assert.equal(who.user, admin);
    assert.equal(who.admin, true);
  });

  test('get_project returns the project with the caller\'s role', async () => {
    const a = assertOk(await ownerSession.call('get_project', { project_id: managed.project_id })).project;
    assert.equal(a.your_role, 'owner');
    assert.equal(a.manager, manager.user);
    const b = assertOk(await managerSession.call('get_project', { project_id: managed.project_id })).project;
    assert.equal(b.your_role, 'manager');
    assert.equal(b.project_id, managed.project_id);
  });

  test('update_project by the owner and by the manager changes the project and is audited with the changed fields', async () => {
    const since = lastAuditId();
    const byOwner = assertOk(await ownerSession.call('update_project', { project_id: managed.project_id, description: 'new description' })).project;
    assert.equal(byOwner.description, 'new description');
    assert.equal(byOwner.name, 'managed one');
    const byManager = assertOk(await managerSession.call('update_project', { project_id: managed.project_id, name: 'renamed', group: 'data-team' })).project;
    assert.equal(byManager.name, 'renamed');
    assert.equal(byManager.group, 'data-team');
    assert.equal(byManager.description, 'new description');
    const fetched = assertOk(await ownerSession.call('get_project', { project_id: managed.project_id })).project;
    assert.equal(fetched.name, 'renamed');
    const rows = auditRows(`id > ${since} AND tool = 'update_project' AND project_id = ${sqlLiteral(managed.project_id)}`);
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0].detail.changed, ['description']);
    assert.equal(rows[0].actor, `user:${owner.user}`);
    assert.deepEqual([...rows[1].detail.changed].sort(), ['group', 'name']);
    assert.equal(rows[1].actor, `user:${manager.user}`);
  });

  test('update_project can hand the project to a new manager, who then has access', async () => {
    const next = newUserToken('e2e-proj-next-mgr');
    const updated = assertOk(await ownerSession.call('update_project', { project_id: owned.project_id, manager: next.user })).project;
    assert.equal(updated.manager, next.user);
    const session = await openSession(next.token);
    assert.equal(assertOk(await session.call('get_project', { project_id: owned.project_id })).project.your_role, 'manager');
  });

  test('update_project with nothing to change, or an unknown manager, is an isError result', async () => {
    assertToolError(await ownerSession.call('update_project', { project_id: owned.project_id }), 'nothing_to_update');
    assertToolError(await ownerSession.call('update_project', { project_id: owned.project_id, manager: 'nobody-e2e-xyz' }),
      'unknown_user', /nobody-e2e-xyz/);
  });
});

describe('bad input changes nothing', () => {
  const countProjects = () => Number(psql('SELECT count(*) FROM projects'));

  test('name of the wrong type is an isError result naming arguments.name', async () => {
    const before = countProjects();
    const result = await ownerSession.call('register_project', { name: 5, description: 'x' });
    assertToolError(result, 'invalid_arguments', /arguments\.name/);
    assert.equal(countProjects(), before);
  });

  test('a missing required argument is "arguments.X is required"', async () => {
    assertToolError(await ownerSession.call('register_project', { name: 'x' }), 'invalid_arguments', /arguments\.description is required/);
    assertToolError(await ownerSession.call('register_project', { description: 'x' }), 'invalid_arguments', /arguments\.name is required/);
  });

  test('an empty name, an over-long name and an unknown argument are refused', async () => {
    const before = countProjects();
    assertToolError(await ownerSession.call('register_project', { name: '', description: 'x' }), 'invalid_arguments', /arguments\.name/);
    assertToolError(await ownerSession.call('register_project', { name: 'n'.repeat(201), description: 'x' }), 'invalid_arguments', /arguments\.name/);
    assertToolError(await ownerSession.call('register_project', { name: 'x', description: 'y', owner: 'someone' }), 'invalid_arguments', /arguments\.owner/);
    assertToolError(await ownerSession.call('register_project', { name: 'x', description: 'y', manager: 'Not A Name' }), 'invalid_arguments', /arguments\.manager/);
    assert.equal(countProjects(), before);
  });

  test('a 1 MB string argument is refused (HTTP 413 or isError) and nothing is written', async () => {
    const before = countProjects();
    const res = await ownerSession.request('tools/call', {
      name: 'register_project', arguments: { name: 'big', description: 'x'.repeat(1024 * 1024) },
    });
    if (res.status === 413) {
      assert.ok(true);
    } else {
      assert.equal(res.status, 200, res.text.slice(0, 300));
      assert.equal(res.json.result.isError, true);
    }
    assert.equal(countProjects(), before);
    // The session still works.
    assertOk(await ownerSession.call('whoami', {}));
  });

  test('a 100 kB description (over maxLength 4000) is an isError result naming arguments.description', async () => {
    const before = countProjects();
    const result = await ownerSession.call('register_project', { name: 'big', description: 'x'.repeat(100 * 1024) });
    assertToolError(result, 'invalid_arguments', /arguments\.description/);
    assert.equal(countProjects(), before);
  });

  test('a request without a session is refused and registers nothing', async () => {
    const before = countProjects();
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'register_project', arguments: { name: 'x', description: 'y' } } },
      { token: owner.token });
    assert.ok(res.status >= 400, `expected a refusal, got ${res.status}`);
    assert.equal(countProjects(), before);
  });
});
