// The operator's registration policy: with projects.require_manager (or require_group) set,
// register_project without one is refused. The settings are shared by every test file, so this
// file restores both to false when it ends, whatever happened.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession, psql } from './helpers.js';
import { assertCliOk, assertOk, assertToolError, cli, cliJson, registerProject } from './control_helpers.js';

function restorePolicy() {
  for (const key of ['projects.require_manager', 'projects.require_group']) {
    assertCliOk(cli(['settings', 'set', key, 'false']), `asgard settings set ${key} false`);
  }
}

after(restorePolicy);
after(assertErrorLogClean);

let session;
let manager;
before(async () => {
  session = await openSession(newUserToken('e2e-policy').token);
  manager = newUserToken('e2e-policy-mgr').user;
});

const countProjects = () => Number(psql('SELECT count(*) FROM projects'));

describe('projects.require_manager', () => {
  test('when true, register_project without manager is refused with manager_required naming "manager"', async () => {
    assert.match(assertCliOk(cli(['settings', 'set', 'projects.require_manager', 'true'])), /projects\.require_manager = true/);
    try {
      assert.equal(cliJson(['settings', 'list', '--json'])['projects.require_manager'], 'true');
      const before = countProjects();
      const text = assertToolError(await session.call('register_project', { name: 'no manager', description: 'x' }), 'manager_required');
      assert.match(text, /\bmanager\b/);
      assert.equal(countProjects(), before, 'nothing registered');

      const project = await registerProject(session, { name: 'with manager', description: 'x', manager });
      assert.equal(project.manager, manager);
    } finally {
      assertCliOk(cli(['settings', 'set', 'projects.require_manager', 'false']));
    }
    // Back to optional.
    const project = await registerProject(session, { name: 'optional again', description: 'x' });
    assert.equal(project.manager, undefined);
  });
});

describe('projects.require_group', () => {
  test('when true, register_project without group is refused with group_required naming "group"', async () => {
    assertCliOk(cli(['settings', 'set', 'projects.require_group', 'true']));
    try {
      const before = countProjects();
      const text = assertToolError(await session.call('register_project', { name: 'no group', description: 'x' }), 'group_required');
      assert.match(text, /\bgroup\b/);
      assert.equal(countProjects(), before);
      const project = await registerProject(session, { name: 'with group', description: 'x', group: 'e2e-policy-group' });
      assert.equal(project.group, 'e2e-policy-group');
    } finally {
      assertCliOk(cli(['settings', 'set', 'projects.require_group', 'false']));
    }
    assertOk(await session.call('register_project', { name: 'no group needed', description: 'x' }));
  });
});
