// The seed library over MCP (seed_plan picks core, language, domain and template files; seed_get
// serves each body with its path and sha256) and asgard seed import (all or nothing).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, uniqueName } from './helpers.js';
import {
  assertCliFails,
  assertCliOk,
  assertOk,
  assertToolError,
  cli,
  cliJson,
  sdkClose,
  sdkConnect,
} from './control_helpers.js';

after(assertErrorLogClean);

let client;
const dirs = [];
before(async () => { client = await sdkConnect(newUserToken('e2e-seed').token); });
after(async () => {
  if (client) await sdkClose(client);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const call = (name, args) => client.callTool({ name, arguments: args });
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'asgard-e2e-seed-'));
  dirs.push(d);
  return d;
}

describe('seed_plan', () => {
  test('go + python and "A REST api that calls an LLM": core, both languages, web-service and llm-app inferred, templates', async () => {
    const plan = assertOk(await call('seed_plan', {
      languages: ['go', 'python'], description: 'A REST api that calls an LLM',
    }), 'seed_plan');
    const ids = plan.files.map((f) => f.id);
    assert.equal(new Set(ids).size, ids.length, 'no file is planned twice');
    for (const f of plan.files) {
      for (const key of ['id', 'kind', 'target', 'title', 'why']) {
        assert.equal(typeof f[key], 'string', `${f.id} has ${key}`);
        assert.ok(f[key].length > 0, `${f.id}.${key} is not empty`);
      }
      assert.ok(f.id.startsWith(`${f.kind}/`), `${f.id} starts with its kind`);
    }
    const library = cliJson(['seed', 'list', '--json']);
    const ofKind = (kind) => library.filter((f) => f.kind === kind).map((f) => f.id).sort();
    assert.ok(ofKind('core').length >= 3);
    assert.deepEqual(ids.filter((id) => id.startsWith('core/')).sort(), ofKind('core'), 'every core file');
    assert.deepEqual(ids.filter((id) => id.startsWith('template/')).sort(), ofKind('template'), 'every template');
    assert.deepEqual(ids.filter((id) => id.startsWith('language/')).sort(), ['language/go', 'language/python']);
    assert.deepEqual(ids.filter((id) => id.startsWith('domain/')).sort(), ['domain/llm-app', 'domain/web-service']);
    assert.match(plan.files.find((f) => f.id === 'language/go').why, /go/);
    assert.match(plan.files.find((f) => f.id === 'domain/llm-app').why, /llm/i);
    assert.deepEqual(plan.unmatched, []);
    // Order: core first, templates last.
    assert.equal(plan.files[0].kind, 'core');
    assert.equal(plan.files.at(-1).kind, 'template');
  });

  test('an unknown language is listed in unmatched; a named domain is added', async () => {
    const plan = assertOk(await call('seed_plan', {
      languages: ['cobol', 'rust'], description: 'nightly batch jobs', domains: ['cli-tool', 'no-such-domain'],
    }));
    const ids = plan.files.map((f) => f.id);
    assert.ok(ids.includes('language/rust'));
    assert.ok(ids.includes('domain/cli-tool'));
    assert.deepEqual([...plan.unmatched].sort(), ['cobol', 'no-such-domain']);
  });

  test('bad arguments are isError naming the argument', async () => {
    assertToolError(await call('seed_plan', { languages: 'go', description: 'x' }), 'invalid_arguments', /arguments\.languages/);
    assertToolError(await call('seed_plan', { languages: ['go'] }), 'invalid_arguments', /arguments\.description is required/);
    assertToolError(await call('seed_plan', { languages: [''], description: 'x' }), 'invalid_arguments', /arguments\.languages\[0\]/);
  });
});

describe('seed_get', () => {
  test('every planned file comes with its body, its target path and a correct sha256', async () => {
    const plan = assertOk(await call('seed_plan', { languages: ['typescript'], description: 'a web service' }));
    for (const planned of plan.files) {
      const file = assertOk(await call('seed_get', { id: planned.id }), `seed_get ${planned.id}`);
      assert.equal(file.id, planned.id);
      assert.equal(file.path, planned.target);
      assert.equal(file.title, planned.title);
      assert.ok(file.body.length > 0);
      assert.match(file.sha256, /^[0-9a-f]{64}$/);
      assert.equal(file.sha256, sha256(file.body), `${planned.id}: sha256 of the body`);
    }
  });

  test('an unknown id is not_found; a malformed id is invalid_arguments', async () => {
    assertToolError(await call('seed_get', { id: 'core/no-such-file' }), 'not_found', /core\/no-such-file/);
    assertToolError(await call('seed_get', { id: '../etc/passwd' }), 'invalid_arguments', /arguments\.id/);
  });
});

describe('asgard seed import', () => {
  function seedFile(id, body) {
    const kind = id.split('/')[0];
    return ['---', `id: ${id}`, `kind: ${kind}`, `title: E2E ${id}`, `target: docs/agents/${id.replace('/', '-')}.md`,
      `applies_to: ${id.split('/')[1]}`, 'keywords:', `why: imported by the e2e suite for ${id}.`, '---', body].join('\n');
  }

  test('a directory with one new valid file adds it and seed_get serves it', async () => {
    const name = uniqueName('e2e-domain');
    const id = `domain/${name}`;
    const body = `# ${name}\n\nImported body.\n`;
    const dir = tempDir();
    mkdirSync(join(dir, 'domain'));
    writeFileSync(join(dir, 'domain', `${name}.md`), seedFile(id, body));

    assert.match(assertCliOk(cli(['seed', 'import', dir])), /1 added, 0 updated, 0 unchanged/);
    const file = assertOk(await call('seed_get', { id }));
    assert.equal(file.body, body);
    assert.equal(file.path, `docs/agents/${id.replace('/', '-')}.md`);
    assert.equal(file.sha256, sha256(body));
    assert.equal(file.version, 1);
    assert.ok(cliJson(['seed', 'list', '--json']).some((f) => f.id === id));
    // Named as a domain, seed_plan now picks it.
    const plan = assertOk(await call('seed_plan', { languages: [], description: 'x', domains: [name] }));
    assert.ok(plan.files.some((f) => f.id === id));
    // The same import again changes nothing; a changed body is a new version.
    assert.match(assertCliOk(cli(['seed', 'import', dir])), /0 added, 0 updated, 1 unchanged/);
    writeFileSync(join(dir, 'domain', `${name}.md`), seedFile(id, `${body}More.\n`));
    assert.match(assertCliOk(cli(['seed', 'import', dir])), /0 added, 1 updated/);
    assert.equal(assertOk(await call('seed_get', { id })).version, 2);
  });

  test('an invalid file (no front matter) makes the import exit 1 and nothing is imported', async () => {
    const name = uniqueName('e2e-domain');
    const id = `domain/${name}`;
    const dir = tempDir();
    mkdirSync(join(dir, 'domain'));
    writeFileSync(join(dir, 'domain', `${name}.md`), seedFile(id, 'a valid file\n'));
    writeFileSync(join(dir, 'domain', 'zz-broken.md'), '# No front matter\n\nJust text.\n');
    assertCliFails(cli(['seed', 'import', dir]), 1, /front-matter|front matter/);
    assertToolError(await call('seed_get', { id }), 'not_found');
  });

  test('a directory without .md files or a missing directory is an error', () => {
    assertCliFails(cli(['seed', 'import', tempDir()]), 1, /no \.md files/);
    assertCliFails(cli(['seed', 'import', join(tmpdir(), uniqueName('missing'))]), 1, /not a directory/);
    assertCliFails(cli(['seed', 'import']), 2);
  });
});
