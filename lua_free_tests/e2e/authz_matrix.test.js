// The authorization matrix of the project-scoped tools: who may act on a project (owner, manager,
// admin, the project's own key for reads) and who is refused with which exact text (a member of the
// project's group, a stranger, another project's key, the own key on a mutation), with every
// denial audited.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { addUser, asgard, assertErrorLogClean, createToken, openSession, uniqueName } from './helpers.js';
import {
  assertOk,
  assertToolError,
  auditRows,
  getSecret,
  lastAuditId,
  mintProjectKey,
  registerProject,
  requestResource,
  sqlLiteral,
} from './control_helpers.js';

after(assertErrorLogClean);

const PROJECT_SCOPED = ['get_project', 'update_project', 'request_resource', 'list_resources', 'get_resource',
  'release_resource', 'gateway_credential', 'get_secret', 'get_cost'];
const AUDITED_ON_SUCCESS = new Set(['update_project', 'request_resource', 'release_resource', 'gateway_credential', 'get_secret']);

const users = {};   // role -> { user, token, id, session }
let projectA;       // owned by users.owner, managed by users.manager, group G
let projectB;       // another owner's project
let group;
let sharedResource; // a ready secret resource of A
let sharedValue;    // its value
let counter = 0;

async function userPrincipal(prefix, { admin = false } = {}) {
  const user = addUser(prefix, { admin });
  const tok = createToken(user);
  return { user, ...tok, session: await openSession(tok.token) };
}

before(async () => {
  users.owner = await userPrincipal('e2e-authz-owner');
  users.manager = await userPrincipal('e2e-authz-manager');
  users.member = await userPrincipal('e2e-authz-member');
  users.stranger = await userPrincipal('e2e-authz-stranger');
  users.admin = await userPrincipal('e2e-authz-admin', { admin: true });
  users.other = await userPrincipal('e2e-authz-other');
  group = uniqueName('e2e-authz-g');
  asgard(['group', 'add', group, users.member.user]);
  projectA = (await registerProject(users.owner.session, {
    name: 'authz matrix A', description: 'the project under test', manager: users.manager.user, group,
  })).project_id;
  projectB = (await registerProject(users.other.session, { name: 'authz matrix B', description: 'another project' })).project_id;
  sharedResource = (await requestResource(users.owner.session, projectA, 'secret', { name: 'MATRIX_SECRET' })).resource.resource_id;
  sharedValue = await getSecret(users.owner.session, projectA, 'MATRIX_SECRET');
});

/** Arguments per tool; prepare() runs first with the owner's session (a fresh resource to release). */
const TOOLS = {
  get_project: {
    args: () => ({}),
    check: (sc, role) => {
      assert.equal(sc.project.project_id, projectA);
      assert.equal(sc.project.your_role, role);
    },
  },
  update_project: {
    args: (tag) => ({ description: `updated by ${tag}` }),
    check: (sc, role, tag) => {
      assert.equal(sc.project.project_id, projectA);
      assert.equal(sc.project.description, `updated by ${tag}`);
    },
  },
  request_resource: {
    args: (tag) => ({ service: 'secret', params: { name: `REQ_${tag.toUpperCase().replace(/[^A-Z0-9]/g, '_')}` } }),
    check: (sc) => {
      assert.equal(sc.resource.project_id, projectA);
      assert.equal(sc.resource.state, 'ready');
    },
  },
  list_resources: {
    args: () => ({}),
    check: (sc) => {
      assert.equal(sc.project_id, projectA);
      assert.ok(sc.resources.some((r) => r.resource_id === sharedResource), 'lists the shared resource');
    },
  },
  get_resource: {
    args: () => ({ resource_id: sharedResource }),
    check: (sc) => {
      assert.equal(sc.resource.resource_id, sharedResource);
      assert.equal(sc.resource.state, 'ready');
      assert.ok(Array.isArray(sc.resource.events) && sc.resource.events.length >= 2, 'carries its events');
    },
  },
  release_resource: {
    prepare: async (tag) => (await requestResource(users.owner.session, projectA, 'secret',
      { name: `REL_${tag.toUpperCase().replace(/[^A-Z0-9]/g, '_')}` })).resource.resource_id,
    args: (tag, prepared) => ({ resource_id: prepared ?? sharedResource }),
    check: (sc, role, tag, prepared) => {
      assert.equal(sc.resource.resource_id, prepared);
      assert.equal(sc.resource.state, 'deprovisioned');
    },
  },
  gateway_credential: {
    args: () => ({}),
    check: (sc) => {
      assert.equal(sc.project_id, projectA);
      assert.match(sc.key, /^asg_/);
      assert.ok(!sc.key.startsWith('asg_pat_'), 'a project key, not a user token');
    },
  },
  get_secret: {
    args: () => ({ name: 'MATRIX_SECRET' }),
    check: (sc) => {
      assert.equal(sc.project_id, projectA);
      assert.equal(sc.value, sharedValue);
    },
  },
  get_cost: {
    args: () => ({}),
    check: (sc) => {
      assert.equal(sc.project_id, projectA);
      assert.equal(sc.currency, 'USD');
    },
  },
};

/**
 * The principals. caller() returns { session, actor, credentialId }; expect(tool) returns
 * { ok: role } or { code, message }.
 */
const notAuthorized = () => ({ code: 'not_authorized', message: `not authorized for project ${projectA}` });
const PRINCIPALS = {
  owner: { caller: () => userCaller('owner'), expect: () => ({ ok: 'owner' }) },
  manager: { caller: () => userCaller('manager'), expect: () => ({ ok: 'manager' }) },
  admin: { caller: () => userCaller('admin'), expect: () => ({ ok: 'admin' }) },
  'group member': { caller: () => userCaller('member'), expect: notAuthorized },
  stranger: { caller: () => userCaller('stranger'), expect: notAuthorized },
  'own project key': {
    caller: () => keyCaller(projectA),
    expect: (tool) => keyExpectation(tool, projectA),
  },
  "another project's key": {
    caller: () => keyCaller(projectB),
    expect: () => ({ code: 'cross_project_denied', message: 'cross-project access denied' }),
  },
};

/**
 * A project key (minted without --allow-provision) reads and calls the gateway: it may not change
 * its project, provision or release resources, or mint keys; each refusal names the fix.
 */
function keyExpectation(tool, projectId) {
  switch (tool) {
    case 'update_project':
      return { code: 'project_key_forbidden', message: /project key/ };
    case 'request_resource':
    case 'release_resource':
      return {
        code: 'project_key_forbidden',
        message: `${tool} needs a user token (asg_pat_...) or a project key minted with \`asgard key create --project ${projectId} --allow-provision\`: this project key reads and calls the gateway, it does not provision`,
      };
    case 'gateway_credential':
      return { code: 'project_key_forbidden', message: 'gateway_credential needs a user token (asg_pat_...): a project key cannot mint or rotate keys' };
    default:
      return { ok: 'key' };
  }
}

function userCaller(role) {
  const u = users[role];
  return { session: u.session, actor: `user:${u.user}`, credentialId: u.id };
}

async function keyCaller(projectId) {
  const { key, id } = mintProjectKey(projectId); // fresh per case: rotation revokes the previous one
  return { session: await openSession(key), actor: `key:${projectId}`, credentialId: id };
}

function assertDeniedAudited(since, caller, tool, code, project) {
  const rows = auditRows(`id > ${since} AND tool = ${sqlLiteral(tool)} AND actor = ${sqlLiteral(caller.actor)}`);
  assert.equal(rows.length, 1, `one audit row for the denied ${tool} by ${caller.actor}: ${JSON.stringify(rows)}`);
  const [row] = rows;
  assert.equal(row.outcome, 'denied');
  assert.equal(row.detail.code, code);
  assert.equal(Number(row.credential_id), Number(caller.credentialId));
  assert.equal(row.project_id, project);
}

describe('authorization matrix over every project-scoped tool (project_id given)', () => {
  for (const [who, principal] of Object.entries(PRINCIPALS)) {
    for (const tool of PROJECT_SCOPED) {
      const expected = () => principal.expect(tool);
      test(`${who} → ${tool}`, async () => {
        const tag = `${who.replace(/[^a-z]/gi, '')}_${tool}_${++counter}`;
        const spec = TOOLS[tool];
        const allowed = 'ok' in expected();
        const prepared = allowed && spec.prepare ? await spec.prepare(tag) : undefined;
        const caller = await principal.caller();
        const since = lastAuditId();
        const result = await caller.session.call(tool, { project_id: projectA, ...spec.args(tag, prepared) });
        const want = expected();
        if ('ok' in want) {
          const sc = assertOk(result, `${who} ${tool}`);
          spec.check(sc, want.ok, tag, prepared);
          if (AUDITED_ON_SUCCESS.has(tool)) {
            const rows = auditRows(`id > ${since} AND tool = ${sqlLiteral(tool)} AND actor = ${sqlLiteral(caller.actor)}`);
            assert.ok(rows.some((r) => r.outcome === 'ok' && r.project_id === projectA),
              `an ok audit row for ${tool} by ${caller.actor}: ${JSON.stringify(rows)}`);
          }
        } else {
          assertToolError(result, want.code, want.message, `${who} ${tool}`);
          // A cross-project denial records the project that was asked for.
          assertDeniedAudited(since, caller, tool, want.code, projectA);
        }
      });
    }
  }
});

describe('a project key may omit project_id: its own project is used', () => {
  for (const tool of PROJECT_SCOPED) {
    test(`own project key → ${tool} without project_id`, async () => {
      const tag = `keynoarg_${tool}_${++counter}`;
      const spec = TOOLS[tool];
      const want = keyExpectation(tool, projectA);
      const allowed = 'ok' in want;
      const prepared = allowed && spec.prepare ? await spec.prepare(tag) : undefined;
      const caller = await keyCaller(projectA);
      const since = lastAuditId();
      const result = await caller.session.call(tool, spec.args(tag, prepared ?? sharedResource));
      if (allowed) spec.check(assertOk(result, tool), 'key', tag, prepared);
      else {
        assertToolError(result, want.code, want.message, tool);
        assertDeniedAudited(since, caller, tool, want.code, projectA);
      }
    });
  }
});

describe('other refusals', () => {
  test('a user token without project_id gets "project_id is required for a user token" on every project-scoped tool, audited', async () => {
    const caller = userCaller('owner');
    for (const tool of PROJECT_SCOPED) {
      const spec = TOOLS[tool];
      const since = lastAuditId();
      const result = await caller.session.call(tool, spec.args(`noproject_${tool}`, tool === 'release_resource' ? sharedResource : undefined));
      assertToolError(result, 'project_id_required', 'project_id is required for a user token', tool);
      assertDeniedAudited(since, caller, tool, 'project_id_required', null);
    }
  });

  test('an unknown project id is project_not_registered on every project-scoped tool, even for an admin', async () => {
    const unknown = `proj-1999-${String(100000 + Math.floor(Math.random() * 800000))}`;
    for (const role of ['owner', 'admin']) {
      const caller = userCaller(role);
      for (const tool of PROJECT_SCOPED) {
        const spec = TOOLS[tool];
        const since = lastAuditId();
        const result = await caller.session.call(tool, {
          project_id: unknown, ...spec.args(`unknown_${tool}`, tool === 'release_resource' ? sharedResource : undefined),
        });
        const text = assertToolError(result, 'project_not_registered', undefined, `${role} ${tool}`);
        assert.ok(text.startsWith(`project ${unknown} is not registered: `), text);
        const rows = auditRows(`id > ${since} AND tool = ${sqlLiteral(tool)} AND actor = ${sqlLiteral(caller.actor)}`);
        assert.equal(rows.length, 1, `the denial is audited: ${JSON.stringify(rows)}`);
        assert.equal(rows[0].outcome, 'denied');
        assert.equal(rows[0].detail.code, 'project_not_registered');
      }
    }
  });

  test('a project key cannot register a project (project_key_forbidden, audited)', async () => {
    const caller = await keyCaller(projectA);
    const since = lastAuditId();
    const result = await caller.session.call('register_project', { name: 'by a key', description: 'must be refused' });
    assertToolError(result, 'project_key_forbidden', /project key/);
    assertDeniedAudited(since, caller, 'register_project', 'project_key_forbidden', projectA);
  });

  test('the group member and the stranger do not see project A in list_projects or whoami; the manager and admin do', async () => {
    for (const role of ['member', 'stranger']) {
      const listed = assertOk(await users[role].session.call('list_projects', {})).projects;
      assert.ok(!listed.some((p) => p.project_id === projectA), `${role} does not list A`);
      const who = assertOk(await users[role].session.call('whoami', {}));
      assert.ok(!who.projects.some((p) => p.project_id === projectA), `${role}'s whoami does not show A`);
    }
    const managed = assertOk(await users.manager.session.call('whoami', {})).projects.find((p) => p.project_id === projectA);
    assert.equal(managed?.role, 'manager');
    const all = assertOk(await users.admin.session.call('list_projects', {})).projects;
    assert.ok(all.some((p) => p.project_id === projectA) && all.some((p) => p.project_id === projectB), 'an admin lists every project');
  });

  test('a project key sees only its own project in whoami and list_projects', async () => {
    const caller = await keyCaller(projectB);
    const who = assertOk(await caller.session.call('whoami', {}));
    assert.equal(who.credential.kind, 'project_key');
    assert.equal(who.project_id, projectB);
    assert.deepEqual(who.projects.map((p) => [p.project_id, p.role]), [[projectB, 'key']]);
    const listed = assertOk(await caller.session.call('list_projects', {})).projects;
    assert.deepEqual(listed.map((p) => p.project_id), [projectB]);
  });
});
