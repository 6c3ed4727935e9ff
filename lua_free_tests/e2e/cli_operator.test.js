// The operator's checks and documents: asgard doctor says what is wrong and how to fix it, and
// asgard guidance | recipes list, show and publish documents (drafts go through asgard drafts).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, env, uniqueName } from './helpers.js';
import { assertCliFails, assertCliOk, cli, cliJson, configFile, stateDir } from './control_helpers.js';

after(assertErrorLogClean);

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'asgard-e2e-operator-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const nginxArgs = () => ['--nginx-conf', join(stateDir(), 'nginx', 'nginx.conf'), '--nginx-prefix', join(stateDir(), 'nginx')];

describe('asgard doctor', () => {
  test('passes every check against a healthy stack', () => {
    const out = assertCliOk(cli(['doctor', ...nginxArgs()]), 'doctor');
    for (const check of ['database', 'redis', 'master key', 'nginx', 'module']) {
      assert.match(out, new RegExp(`^ok +${check}`, 'm'), `expected an ok line for ${check}:\n${out}`);
    }
    assert.match(out, /all checks passed/);
  });

  test('reports a master key readable by others with its fix, and exits 1', () => {
    const key = join(dir, 'open.key');
    writeFileSync(key, readFileSync(join(stateDir(), 'master.key')));
    chmodSync(key, 0o644);
    const config = join(dir, 'asgard.conf');
    writeFileSync(config, readFileSync(configFile(), 'utf8').replace(/^master_key_file = .*$/m, `master_key_file = ${key}`));
    const run = cli(['doctor', ...nginxArgs()], { extraEnv: { ASGARD_CONFIG: config } });
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stdout, /^FAIL master key .*readable by group or others/m);
    assert.match(run.stdout, /fix: /);
  });

  test('reports an unreachable database and exits 1', () => {
    const run = cli(['--database', 'postgresql://asgard@127.0.0.1:1/asgard', 'doctor', ...nginxArgs()]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^FAIL database/m);
  });

  test('reports a configuration nginx -t rejects', () => {
    const broken = join(dir, 'broken.conf');
    writeFileSync(broken, 'events {}\nhttp { asgard_no_such_directive; }\n');
    const run = cli(['doctor', '--nginx-conf', broken, '--nginx-prefix', dir]);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^FAIL nginx/m);
  });

  test('--help exits 0', () => {
    assert.match(assertCliOk(cli(['doctor', '--help'])), /usage: asgard doctor/);
  });
});

describe('asgard guidance and recipes', () => {
  test('put publishes a version at once; list and show include it', () => {
    const name = uniqueName('ops-guide');
    const file = join(dir, `${name}.md`);
    writeFileSync(file, '# Deploy checklist\n\nRoll out behind a flag.\n');
    assert.match(assertCliOk(cli(['guidance', 'put', name, '--file', file])), /version 1 published/);
    const listed = cliJson(['guidance', 'list', '--json']).find((d) => d.name === name);
    assert.equal(listed.status, 'published');
    assert.equal(listed.title, 'Deploy checklist');
    assert.match(assertCliOk(cli(['guidance', 'show', name])), /Roll out behind a flag/);
  });

  test('put --draft saves a draft that asgard drafts approves', () => {
    const name = uniqueName('ops-recipe');
    const file = join(dir, `${name}.md`);
    writeFileSync(file, '# Restore a backup\n\npg_restore ...\n');
    assert.match(assertCliOk(cli(['recipes', 'put', name, '--file', file, '--draft'])), /saved as a draft/);
    assert.ok(cliJson(['drafts', 'list', '--json']).some((d) => d.id === `recipe/${name}@1`));
    assertCliOk(cli(['drafts', 'approve', `recipe/${name}@1`]));
    assert.equal(cliJson(['recipes', 'show', name, '--json']).status, 'published');
  });

  test('errors: missing file, bad name, unknown document, unknown subcommand', () => {
    assertCliFails(cli(['guidance', 'put', 'x', '--file', join(dir, 'nope.md')]), 1, /cannot read/);
    const file = join(dir, 'bad.md');
    writeFileSync(file, '# T\n\nbody\n');
    assertCliFails(cli(['guidance', 'put', 'Bad Name', '--file', file]), 2, /names are lower-case/);
    assertCliFails(cli(['recipes', 'show', uniqueName('missing')]), 1, /no recipe/);
    assertCliFails(cli(['guidance', 'frobnicate']), 2, /unknown subcommand/);
  });
});
