// The seed's "First moves once connected" (connect-an-agent.md), steps 1 to 6, end to end with the
// official SDK client on a fresh user token, then the project key it minted used as the contract
// says ("On a user token pass project_id; on a project key omit it").
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken } from './helpers.js';
import { assertOk, assertToolError, currentYear, PROJECT_ID, sdkClose, sdkConnect } from './control_helpers.js';

after(assertErrorLogClean);

describe('first moves once connected', () => {
  test('steps 1-6 with the SDK client on a fresh user token', async () => {
    const { user, token } = newUserToken('e2e-first-moves');
    const agent = await sdkConnect(token, 'first-moves-agent');
    const call = (name, args) => agent.callTool({ name, arguments: args });
    let projectKey;
    let projectId;
    let secretValue;
    try {
      assert.match(agent.getInstructions() ?? '', /list_standards/);

      // 1. list_standards / get_standards (and the advisory guidance and recipe lists).
      const { standards } = assertOk(await call('list_standards', {}), 'list_standards');
      assert.ok(standards.length >= 3);
      for (const s of standards) {
        const [full] = assertOk(await call('get_standards', { name: s.name }), `get_standards ${s.name}`).standards;
        assert.equal(full.name, s.name);
        assert.equal(full.version, s.version);
        assert.ok(full.body.length > 0);
      }
      // A fresh install ships starter guidance and recipes, published (migration 0018).
      const guidance = assertOk(await call('guidance_list', {})).guidance;
      for (const name of ['calling-models', 'secrets-and-credentials'])
        assert.ok(guidance.some((g) => g.name === name && g.status === 'published'), `starter guidance ${name}`);
      const recipes = assertOk(await call('recipe_list', {})).recipes;
      for (const name of ['provision-a-service', 'rotate-the-project-key'])
        assert.ok(recipes.some((r) => r.name === name && r.status === 'published'), `starter recipe ${name}`);
      assert.match(assertOk(await call('guidance_get', { name: 'calling-models' })).guidance.body, /X-Asgard-Data-Class/);

      // 2. seed_plan, then seed_get for each planned file.
      const plan = assertOk(await call('seed_plan', { languages: ['typescript'], description: 'An HTTP API backed by PostgreSQL' }), 'seed_plan');
      assert.ok(plan.files.length > 0);
      for (const f of plan.files) {
        const file = assertOk(await call('seed_get', { id: f.id }), `seed_get ${f.id}`);
        assert.equal(file.path, f.target);
        assert.equal(file.sha256, createHash('sha256').update(file.body, 'utf8').digest('hex'));
      }

      // 3. register_project: the gate; the owner is stamped from the token.
      const { project } = assertOk(await call('register_project', { name: 'first moves', description: 'The seed flow end to end' }));
      projectId = project.project_id;
      const m = PROJECT_ID.exec(projectId);
      assert.ok(m);
      assert.equal(Number(m[1]), currentYear());
      assert.equal(project.owner, user);
      assert.equal(assertOk(await call('get_project', { project_id: projectId })).project.your_role, 'owner');

      // 4. list_services / request_resource (a self-service secret: ready at once).
      const { services } = assertOk(await call('list_services', {}));
      const secret = services.find((s) => s.type === 'secret');
      assert.equal(secret.tier, 'self-service');
      const { resource } = assertOk(await call('request_resource', {
        project_id: projectId, service: 'secret', params: { name: 'SESSION_KEY' },
      }), 'request_resource');
      assert.equal(resource.state, 'ready');

      // 5. gateway_credential: the project's LLM key, shown once.
      const cred = assertOk(await call('gateway_credential', { project_id: projectId }), 'gateway_credential');
      assert.equal(cred.project_id, projectId);
      assert.match(cred.key, /^asg_/);
      assert.ok(!cred.key.startsWith('asg_pat_'));
      assert.equal(cred.prefix, cred.key.slice(0, 12));
      assert.match(cred.endpoint ?? '', /\/api\/gateway\/chat/);
      projectKey = cred.key;

      // 6. get_secret: on a user token pass project_id.
      const got = assertOk(await call('get_secret', { project_id: projectId, name: 'SESSION_KEY' }), 'get_secret');
      assert.equal(got.project_id, projectId);
      assert.match(got.value, /^[0-9A-Za-z]{32}$/);
      secretValue = got.value;
    } finally {
      await sdkClose(agent);
    }

    // On a project key omit project_id; a mismatched one is denied.
    const app = await sdkConnect(projectKey, 'first-moves-app');
    try {
      const got = assertOk(await app.callTool({ name: 'get_secret', arguments: { name: 'SESSION_KEY' } }), 'get_secret on the key');
      assert.equal(got.value, secretValue);
      assert.equal(got.project_id, projectId);
      const other = projectId.replace(/\d+$/, (n) => String(Number(n) + 100000));
      assertToolError(await app.callTool({ name: 'get_secret', arguments: { project_id: other, name: 'SESSION_KEY' } }),
        'cross_project_denied', 'cross-project access denied');
    } finally {
      await sdkClose(app);
    }
  });

  test('gateway_chat is not an MCP tool: the call says to use the gateway endpoint with the project key', async () => {
    const { token } = newUserToken('e2e-first-moves-chat');
    const agent = await sdkConnect(token);
    try {
      const { tools } = await agent.listTools();
      assert.ok(!tools.some((t) => t.name === 'gateway_chat'));
      const result = await agent.callTool({ name: 'gateway_chat', arguments: {} });
      assert.equal(result.isError, true);
      assert.match(result.content[0].text, /gateway_credential/);
      assert.match(result.content[0].text, /\/api\/gateway\/chat/);
    } finally {
      await sdkClose(agent);
    }
  });
});
