// MCP resources, prompts and argument completion over the 2025 revisions (the official SDK v1 client, as Codex and the Inspector
// list them on connect): the standards, the published guidance and recipes and the seed library's
// files at asgard:// URIs, any version through the templates; a draft stays invisible to others;
// an unknown URI is -32002; the standard a resource shows is get_standards' text. Prompts carry
// the contract's first moves and their arguments; completion offers the caller's own project ids,
// the service types, the seed languages and the standards' names.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken } from './helpers.js';
import { assertOk, sdkClose, sdkConnect } from './control_helpers.js';
import { nonce } from './gateway_helpers.js';

after(assertErrorLogClean);

let client;
before(async () => { client = await sdkConnect(newUserToken('e2e-resources').token); });
after(async () => { if (client) await sdkClose(client); });

describe('resources', () => {
  test('initialize announces resources; the list holds standards, guidance, recipes and seed files, each readable', async () => {
    assert.deepEqual(client.getServerCapabilities().resources, { subscribe: true, listChanged: true });
    const { resources } = await client.listResources();
    const uris = resources.map((r) => r.uri);
    for (const uri of ['asgard://standards/engineering', 'asgard://guidance/calling-models', 'asgard://recipes/provision-a-service'])
      assert.ok(uris.includes(uri), `${uri} listed`);
    assert.ok(uris.some((u) => u.startsWith('asgard://seed/core/')), 'seed files listed');
    assert.equal(new Set(uris).size, uris.length, 'each once');
    assert.ok(resources.every((r) => r.mimeType === 'text/markdown' && r.name && r.title));
    for (const uri of ['asgard://guidance/calling-models', uris.find((u) => u.startsWith('asgard://seed/'))]) {
      const { contents } = await client.readResource({ uri });
      assert.equal(contents[0].uri, uri);
      assert.ok(contents[0].text.length > 50, uri);
    }
  });

  test('a standard as a resource is get_standards\' text; a version through the template; the templates are listed', async () => {
    const [latest] = assertOk(await client.callTool({ name: 'get_standards', arguments: { name: 'security' } })).standards;
    const { contents } = await client.readResource({ uri: 'asgard://standards/security' });
    assert.equal(contents[0].text, latest.body);
    const v1 = await client.readResource({ uri: 'asgard://standards/security/versions/1' });
    assert.match(v1.contents[0].text, /Security standard/);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.deepEqual(resourceTemplates.map((t) => t.uriTemplate).sort(),
      ['asgard://guidance/{name}/versions/{version}', 'asgard://recipes/{name}/versions/{version}', 'asgard://standards/{name}/versions/{version}']);
  });

  test('another person\'s draft is neither listed nor readable; an unknown URI is -32002', async () => {
    const author = await sdkConnect(newUserToken('e2e-resources-author').token);
    const name = nonce('res-draft').toLowerCase();
    try {
      assertOk(await author.callTool({ name: 'guidance_put', arguments: { name, title: 'Draft', body: 'draft body text' } }));
    } finally {
      await sdkClose(author);
    }
    const { resources } = await client.listResources();
    assert.ok(!resources.some((r) => r.uri === `asgard://guidance/${name}`));
    for (const uri of [`asgard://guidance/${name}`, 'asgard://standards/nope', 'asgard://nothing/x', 'https://example.com/']) {
      await assert.rejects(client.readResource({ uri }), (e) => e.code === -32002 && /Resource not found/.test(e.message), uri);
    }
  });
});

describe('logging/setLevel (2025 revisions)', () => {
  test('a known level is accepted (Asgard sends no log messages), an unknown one is -32602', async () => {
    assert.deepEqual(client.getServerCapabilities().logging, {});
    await client.setLoggingLevel('warning');
    await assert.rejects(client.request({ method: 'logging/setLevel', params: { level: 'loud' } }, (await import('@modelcontextprotocol/sdk/types.js')).EmptyResultSchema),
      (e) => e.code === -32602);
  });
});

describe('prompts and completion', () => {
  test('the prompts and their arguments; a prompt\'s text names the tools to call; a missing argument is -32602', async () => {
    assert.deepEqual(client.getServerCapabilities().prompts, { listChanged: false });
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p) => p.name), ['first-moves', 'seed-repository', 'register-and-provision', 'project-status']);
    const seed = await client.getPrompt({ name: 'seed-repository', arguments: { languages: 'typescript,go', description: 'a billing API' } });
    assert.equal(seed.messages[0].role, 'user');
    assert.match(seed.messages[0].content.text, /seed_plan with languages \[typescript,go\] and description "a billing API"/);
    const first = await client.getPrompt({ name: 'first-moves' });
    assert.match(first.messages[0].content.text, /register_project/);
    await assert.rejects(client.getPrompt({ name: 'register-and-provision', arguments: { name: 'x' } }),
      (e) => e.code === -32602 && /Missing required argument: description/.test(e.message));
    await assert.rejects(client.getPrompt({ name: 'no-such' }), (e) => e.code === -32602);
  });

  test('completion: the caller\'s own projects only, service types, seed languages, standard names; by prefix', async () => {
    const mine = await sdkConnect(newUserToken('e2e-complete').token);
    const other = await sdkConnect(newUserToken('e2e-complete-other').token);
    try {
      const a = assertOk(await mine.callTool({ name: 'register_project', arguments: { name: 'complete a', description: 'completion test' } })).project.project_id;
      const b = assertOk(await other.callTool({ name: 'register_project', arguments: { name: 'complete b', description: 'completion test' } })).project.project_id;
      const ids = (await mine.complete({ ref: { type: 'ref/prompt', name: 'project-status' }, argument: { name: 'project_id', value: 'proj-' } })).completion.values;
      assert.ok(ids.includes(a));
      assert.ok(!ids.includes(b), 'another person\'s project is not offered');
      const services = (await mine.complete({ ref: { type: 'ref/prompt', name: 'register-and-provision' }, argument: { name: 'service', value: '' } })).completion.values;
      assert.ok(services.length > 0);
      const langs = (await mine.complete({ ref: { type: 'ref/prompt', name: 'seed-repository' }, argument: { name: 'languages', value: 'ty' } })).completion.values;
      assert.ok(langs.includes('typescript'), JSON.stringify(langs));
      assert.ok(langs.every((l) => l.startsWith('ty')));
      const standards = (await mine.complete({ ref: { type: 'ref/resource', uri: 'asgard://standards/{name}/versions/{version}' }, argument: { name: 'name', value: 'sec' } })).completion.values;
      assert.deepEqual(standards.filter((s) => s === 'security'), ['security']);
    } finally {
      await sdkClose(mine);
      await sdkClose(other);
    }
  });
});
