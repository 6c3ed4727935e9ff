// The tool catalog: every control-plane tool is listed with title, description, input and output
// schemas and annotations, and results follow one shape (structuredContent plus the same JSON as
// text; errors as isError with {"error": {code, message}}).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession } from './helpers.js';
import { assertOk, assertToolError, listAllTools, sdkClose, sdkConnect } from './control_helpers.js';

after(assertErrorLogClean);

const EXPECTED = [
  'whoami', 'list_standards', 'get_standards',
  'guidance_list', 'guidance_get', 'guidance_put', 'recipe_list', 'recipe_get', 'recipe_put',
  'seed_plan', 'seed_get',
  'register_project', 'list_projects', 'get_project', 'update_project',
  'list_services', 'request_resource', 'list_resources', 'get_resource', 'release_resource',
  'gateway_credential', 'get_secret', 'get_cost',
];

const READ_ONLY = new Set(['whoami', 'list_standards', 'get_standards', 'guidance_list', 'guidance_get', 'recipe_list',
  'recipe_get', 'seed_plan', 'seed_get', 'list_projects', 'get_project', 'list_services', 'list_resources',
  'get_resource', 'get_secret', 'get_cost']);

const PROJECT_SCOPED = ['get_project', 'update_project', 'request_resource', 'list_resources', 'get_resource',
  'release_resource', 'gateway_credential', 'get_secret', 'get_cost'];

let token;
let client;
let tools;
before(async () => {
  ({ token } = newUserToken('e2e-catalog'));
  client = await sdkConnect(token);
  tools = await listAllTools(client);
});
after(async () => { if (client) await sdkClose(client); });

describe('tools/list', () => {
  test('lists exactly the control-plane tools, each once', () => {
    const names = tools.map((t) => t.name);
    assert.deepEqual([...names].sort(), [...EXPECTED].sort());
    assert.equal(new Set(names).size, names.length, 'no tool is listed twice');
  });

  test('every tool has a title, a description, an object inputSchema and outputSchema, and annotations', () => {
    for (const tool of tools) {
      assert.equal(typeof tool.title, 'string', `${tool.name} has a title`);
      assert.ok(tool.title.length > 0, `${tool.name} title is not empty`);
      assert.equal(typeof tool.description, 'string', `${tool.name} has a description`);
      assert.ok(tool.description.length >= 20, `${tool.name} has a real description`);
      assert.equal(tool.inputSchema?.type, 'object', `${tool.name} inputSchema is an object schema`);
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} outputSchema is an object schema`);
      assert.ok(tool.outputSchema.properties?.error, `${tool.name} outputSchema admits the error object`);
      const a = tool.annotations;
      assert.ok(a && typeof a === 'object', `${tool.name} has annotations`);
      for (const hint of ['readOnlyHint', 'destructiveHint', 'idempotentHint', 'openWorldHint']) {
        assert.equal(typeof a[hint], 'boolean', `${tool.name} annotations.${hint} is a boolean`);
      }
      assert.equal(a.readOnlyHint, READ_ONLY.has(tool.name), `${tool.name} readOnlyHint`);
    }
  });

  test('every schema is portable: one type per member, never a type list (single-type dialects such as Gemini\'s refuse them)', () => {
    const lists = [];
    const walk = (node, where) => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      if (Array.isArray(node.type)) lists.push(`${where}.type ${JSON.stringify(node.type)}`);
      for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
    };
    for (const tool of tools) {
      walk(tool.inputSchema, `${tool.name}.inputSchema`);
      walk(tool.outputSchema, `${tool.name}.outputSchema`);
    }
    assert.deepEqual(lists, []);
  });

  test('release_resource is the one destructive tool', () => {
    const destructive = tools.filter((t) => t.annotations.destructiveHint).map((t) => t.name);
    assert.deepEqual(destructive, ['release_resource']);
  });

  test('every project-scoped tool takes an optional project_id with the proj-YYYY-NNNN pattern', () => {
    for (const name of PROJECT_SCOPED) {
      const tool = tools.find((t) => t.name === name);
      const prop = tool.inputSchema.properties?.project_id;
      assert.ok(prop, `${name} has a project_id argument`);
      assert.equal(prop.type, 'string');
      assert.ok(!(tool.inputSchema.required ?? []).includes('project_id'), `${name}: project_id is optional (project keys omit it)`);
      assert.ok(new RegExp(prop.pattern).test('proj-2026-0001'), `${name}: the pattern accepts proj-2026-0001`);
    }
  });

  test('required arguments are declared', () => {
    const required = (name) => [...(tools.find((t) => t.name === name).inputSchema.required ?? [])].sort();
    assert.deepEqual(required('register_project'), ['description', 'name']);
    assert.deepEqual(required('request_resource'), ['service']);
    assert.deepEqual(required('get_secret'), ['name']);
    assert.deepEqual(required('get_resource'), ['resource_id']);
    assert.deepEqual(required('release_resource'), ['resource_id']);
    assert.deepEqual(required('seed_plan'), ['description', 'languages']);
    assert.deepEqual(required('seed_get'), ['id']);
    assert.deepEqual(required('guidance_put'), ['body', 'name', 'title']);
    assert.deepEqual(required('recipe_put'), ['body', 'name', 'title']);
  });
});

describe('result shape', () => {
  test('a success carries structuredContent and the same JSON as a text block (SDK)', async () => {
    const who = assertOk(await client.callTool({ name: 'whoami', arguments: {} }), 'whoami');
    assert.equal(who.credential.kind, 'user_token');
    const services = assertOk(await client.callTool({ name: 'list_services', arguments: {} }), 'list_services');
    assert.ok(Array.isArray(services.services));
  });

  test('a tool error is isError with the message as text and structuredContent {"error": {code, message}} (SDK)', async () => {
    const result = await client.callTool({ name: 'get_project', arguments: {} });
    assertToolError(result, 'project_id_required', 'project_id is required for a user token');
  });

  test('an argument error is isError naming the argument (raw JSON-RPC)', async () => {
    const session = await openSession(token);
    const result = await session.call('register_project', { name: 5, description: 'x' });
    assertToolError(result, 'invalid_arguments', /arguments\.name/);
    const missing = await session.call('register_project', { name: 'x' });
    assertToolError(missing, 'invalid_arguments', /arguments\.description is required/);
    const unknown = await session.call('whoami', { surprise: true });
    assertToolError(unknown, 'invalid_arguments', /arguments\.surprise/);
  });

  test('every project-scoped tool called without project_id by a user token fails the same way', async () => {
    const args = {
      get_project: {}, update_project: { name: 'x' }, request_resource: { service: 'secret', params: { name: 'X' } },
      list_resources: {}, get_resource: { resource_id: 'req-000001' }, release_resource: { resource_id: 'req-000001' },
      gateway_credential: {}, get_secret: { name: 'X' }, get_cost: {},
    };
    for (const name of PROJECT_SCOPED) {
      const result = await client.callTool({ name, arguments: args[name] });
      assertToolError(result, 'project_id_required', 'project_id is required for a user token', name);
    }
  });
});
