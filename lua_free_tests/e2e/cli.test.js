// The asgard operator command: every command's happy path and main errors. Success exits 0;
// failure exits non-zero with one "asgard: ..." line on stderr (2 for usage errors); --help exits
// 0 for every command and subcommand; --json output parses as JSON.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession, psql, uniqueName } from './helpers.js';
import {
  assertCliFails,
  assertCliOk,
  assertOk,
  cli,
  cliJson,
  registerProject,
  requestResource,
} from './control_helpers.js';

after(assertErrorLogClean);

let dir;
let owner;
let session;
let project;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'asgard-e2e-cli-'));
  owner = newUserToken('e2e-cli-owner');
  session = await openSession(owner.token);
  project = (await registerProject(session, { name: 'cli project', description: 'seen from the CLI' })).project_id;
});
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const COMMANDS = {
  migrate: [], user: ['add', 'list'], token: ['create', 'list', 'revoke'], project: ['list', 'show'],
  key: ['create', 'list', 'revoke'], group: ['add', 'list'], settings: ['list', 'set'],
  standards: ['list', 'show', 'put'], drafts: ['list', 'show', 'approve', 'reject'], seed: ['list', 'import'],
  service: ['list', 'set'], requests: ['list', 'show', 'approve', 'deny'], budget: ['set', 'show'],
  cost: [], audit: ['tail', 'calls', 'verify'], mcp: [],
};

describe('help and dispatch', () => {
  test('--help exits 0 and prints usage for every command and subcommand', () => {
    const top = cli(['--help']);
    assert.equal(top.code, 0);
    for (const command of Object.keys(COMMANDS)) assert.ok(top.stdout.includes(`  ${command} `), `asgard --help lists ${command}`);
    for (const [command, subs] of Object.entries(COMMANDS)) {
      for (const words of [[command], ...subs.map((s) => [command, s])]) {
        for (const flag of ['--help', '-h']) {
          const run = cli([...words, flag]);
          assert.equal(run.code, 0, `asgard ${words.join(' ')} ${flag} exits 0: ${run.stderr}`);
          assert.match(run.stdout, /usage: asgard /, `asgard ${words.join(' ')} ${flag} prints usage`);
        }
      }
    }
  });

  test('no command exits 2 with the help; an unknown command exits 2 with one line', () => {
    const none = cli([]);
    assert.equal(none.code, 2);
    assert.match(none.stdout, /usage: asgard/);
    assertCliFails(cli(['frobnicate']), 2, /unknown command 'frobnicate'/);
  });

  test('an unknown subcommand or option exits 2 with one line', () => {
    for (const command of ['user', 'token', 'project', 'key', 'group', 'settings', 'standards', 'drafts', 'seed', 'service', 'requests', 'budget', 'audit']) {
      // requests/drafts read their ID argument first, so the message may be about it.
      assertCliFails(cli([command, 'frobnicate']), 2, /unknown subcommand|usage|missing request ID|KIND\/NAME@VERSION/);
      assertCliFails(cli([command, 'frobnicate', 'guidance/x@1']), 2, /unknown subcommand|usage/);
    }
    assertCliFails(cli(['user', 'list', '--frobnicate']), 2, /unknown option --frobnicate/);
    assertCliFails(cli(['--database']), 2, /--database needs a value/);
  });

  test('version prints the version', () => {
    assert.match(assertCliOk(cli(['version'])), /^asgard \d+\.\d+\.\d+/);
    assert.match(assertCliOk(cli(['--version'])), /^asgard \d+\.\d+\.\d+/);
  });

  test('no database configured, or an unreadable ASGARD_CONFIG, is an error naming how to configure one', () => {
    const missing = join(dir, 'missing.conf');
    assertCliFails(cli(['user', 'list'], { extraEnv: { ASGARD_CONFIG: missing } }), 1, /cannot read ASGARD_CONFIG/);
    if (!existsSync('/etc/asgard/asgard.conf')) {
      const run = cli(['user', 'list'], { cwd: dir, extraEnv: { ASGARD_DATABASE_URL: '', ASGARD_CONFIG: '' } });
      assertCliFails(run, 1, /no database configured/);
    }
    const bad = join(dir, 'bad.conf');
    writeFileSync(bad, 'database_url = postgresql://nowhere\nfrobnicate = 1\n');
    assertCliFails(cli(['user', 'list'], { extraEnv: { ASGARD_CONFIG: bad, ASGARD_DATABASE_URL: '' } }), 1, /unknown setting frobnicate/);
  });
});

describe('user and token', () => {
  test('user add / list, with --json; a duplicate exits 1 and a bad name exits 2', () => {
    const name = uniqueName('e2e-cli-user');
    assert.match(assertCliOk(cli(['user', 'add', name])), new RegExp(`created user ${name}`));
    const admin = uniqueName('e2e-cli-admin');
    const added = cliJson(['user', 'add', admin, '--admin', '--json']);
    assert.equal(added.name, admin);
    assert.equal(added.admin, true);
    assert.ok(Number.isInteger(added.id));
    const users = cliJson(['user', 'list', '--json']);
    assert.equal(users.find((u) => u.name === name)?.admin, false);
    assert.equal(users.find((u) => u.name === admin)?.admin, true);
    assert.ok(assertCliOk(cli(['user', 'list'])).includes(name));
    assertCliFails(cli(['user', 'add', name]), 1, /already exists/);
    assertCliFails(cli(['user', 'add', 'Not Valid']), 2, /invalid user name/);
    assertCliFails(cli(['user', 'add']), 2, /usage/);
  });

  test('token create / list / revoke; revoking twice exits 1; a revoked token is refused', async () => {
    const name = uniqueName('e2e-cli-tok');
    assertCliOk(cli(['user', 'add', name]));
    const plain = cli(['token', 'create', '--user', name]);
    assert.equal(plain.code, 0);
    assert.match(plain.stdout.trim(), /^asg_pat_[0-9A-Za-z]{36}$/);
    assert.match(plain.stderr, /Shown once/);
    const created = cliJson(['token', 'create', '--user', name, '--expires', '12h', '--json']);
    assert.match(created.token, /^asg_pat_/);
    assert.ok(created.expires);
    const never = cliJson(['token', 'create', '--user', name, '--expires', 'never', '--json']);
    assert.equal(never.expires ?? null, null, 'a token that never expires has no expiry');

    const listed = cliJson(['token', 'list', '--user', name, '--json']);
    assert.equal(listed.length, 3);
    const entry = listed.find((t) => t.id === created.id);
    assert.equal(entry.kind, 'user');
    assert.equal(entry.owner, name);
    assert.ok(created.token.startsWith(entry.prefix));
    assert.ok(!JSON.stringify(listed).includes(created.token), 'token list never shows a token');

    const s = await openSession(created.token);
    assert.equal(assertOk(await s.call('whoami', {})).user, name);

    assert.match(assertCliOk(cli(['token', 'revoke', String(created.id)])), /revoked token/);
    assertCliFails(cli(['token', 'revoke', String(created.id)]), 1, /no live token/);
    assertCliFails(cli(['token', 'revoke', 'abc']), 2);
    assert.ok(cliJson(['token', 'list', '--user', name, '--json']).find((t) => t.id === created.id).revoked);
  });

  test('token create errors: unknown user exits 1, missing --user and a bad --expires exit 2', () => {
    assertCliFails(cli(['token', 'create', '--user', uniqueName('nobody')]), 1, /no user named/);
    assertCliFails(cli(['token', 'create']), 2, /--user/);
    assertCliFails(cli(['token', 'create', '--user', owner.user, '--expires', 'soon']), 2, /invalid duration/);
    assertCliFails(cli(['token', 'create', '--user', owner.user, '--expires']), 2, /needs a value/);
  });
});

describe('project and key', () => {
  test('project list / show, with --json; an unknown project exits 1', () => {
    const listed = cliJson(['project', 'list', '--json']);
    const mine = listed.find((p) => p.project_id === project);
    assert.ok(mine, 'project list has the project');
    assert.equal(mine.owner, owner.user);
    assert.ok(assertCliOk(cli(['project', 'list'])).includes(project));
    const shown = cliJson(['project', 'show', project, '--json']);
    assert.equal(shown.project_id, project);
    assert.equal(shown.name, 'cli project');
    assert.match(assertCliOk(cli(['project', 'show', project])), /cli project/);
    assertCliFails(cli(['project', 'show', 'proj-1999-0001']), 1, /no project/);
    assertCliFails(cli(['project', 'show']), 2);
  });

  test('key create / list / revoke: the key works on /mcp; revoking twice exits 1', async () => {
    const plain = cli(['key', 'create', '--project', project]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout.trim(), /^asg_[0-9A-Za-z]/);
    assert.match(plain.stderr, /Shown once/);
    const created = cliJson(['key', 'create', '--project', project, '--json']);
    assert.equal(created.project_id, project);
    const s = await openSession(created.key);
    const who = assertOk(await s.call('whoami', {}));
    assert.equal(who.credential.kind, 'project_key');
    assert.equal(who.credential.id, created.id);
    assert.equal(who.project_id, project);

    const keys = cliJson(['key', 'list', '--project', project, '--json']);
    assert.equal(keys.length, 2);
    assert.ok(keys.every((k) => k.project_id === project));
    const older = keys.find((k) => k.id !== created.id);
    assert.ok(older.revoked, 'creating a key revoked the earlier one');
    assert.equal(keys.find((k) => k.id === created.id).revoked, '');
    assert.ok(assertCliOk(cli(['key', 'list'])).includes(project));

    assert.match(assertCliOk(cli(['key', 'revoke', String(created.id)])), /revoked/);
    assertCliFails(cli(['key', 'revoke', String(created.id)]), 1, /no live token/);
    assertCliFails(cli(['key', 'create']), 2, /--project/);
    assertCliFails(cli(['key', 'create', '--project', 'proj-1999-0001']), 1, /no project/);
    assertCliFails(cli(['key', 'revoke']), 2);
  });
});

describe('group and settings', () => {
  test('group add / list; an unknown user exits 1; a bad group name exits 2', () => {
    const group = uniqueName('e2e-cli-group');
    assert.match(assertCliOk(cli(['group', 'add', group, owner.user])), new RegExp(`${owner.user} is in group ${group}`));
    assertCliOk(cli(['group', 'add', group, owner.user])); // idempotent
    const listed = cliJson(['group', 'list', '--json']).filter((g) => g.group === group);
    assert.deepEqual(listed, [{ group, user: owner.user }]);
    assert.ok(assertCliOk(cli(['group', 'list'])).includes(group));
    assertCliFails(cli(['group', 'add', group, uniqueName('nobody')]), 1, /no user/);
    assertCliFails(cli(['group', 'add', 'Bad Group', owner.user]), 2, /invalid group name/);
    assertCliFails(cli(['group', 'add', group]), 2);
  });

  test('settings list / set; an unknown key or a bad value exits 2', () => {
    const settings = cliJson(['settings', 'list', '--json']);
    assert.ok('projects.require_manager' in settings);
    assert.ok('projects.require_group' in settings);
    assert.ok(assertCliOk(cli(['settings', 'list'])).includes('projects.require_group'));
    const current = settings['projects.require_group'];
    assert.match(assertCliOk(cli(['settings', 'set', 'projects.require_group', current])), /projects\.require_group = /);
    assertCliFails(cli(['settings', 'set', 'projects.frobnicate', 'true']), 2, /unknown setting/);
    assertCliFails(cli(['settings', 'set', 'projects.require_group', 'maybe']), 2, /true or false/);
    assertCliFails(cli(['settings', 'set', 'projects.require_group']), 2);
    assert.equal(cliJson(['settings', 'list', '--json'])['projects.require_group'], current);
  });
});

describe('standards, drafts and seed', () => {
  test('standards list / show, with --json', () => {
    const listed = cliJson(['standards', 'list', '--json']);
    assert.ok(['engineering', 'security', 'workflow'].every((n) => listed.some((s) => s.name === n)));
    const shown = cliJson(['standards', 'show', 'security', '--json']);
    assert.equal(shown.name, 'security');
    assert.ok(shown.body.length > 0);
    const v1 = cliJson(['standards', 'show', 'security', '--version', '1', '--json']);
    assert.equal(v1.version, 1);
    assert.equal(assertCliOk(cli(['standards', 'show', 'security', '--version', '1'])), v1.body);
    assertCliFails(cli(['standards', 'show', 'no-such-standard']), 1, /no standard/);
    assertCliFails(cli(['standards', 'show', 'security', '--version', 'x']), 2);
  });

  // engineering: standards_tools.test.js counts engineering's versions relative to what it finds and
  // expects security and workflow to stay at version 1.
  test('standards put appends a version to an existing standard; errors exit 1 or 2', () => {
    const before = cliJson(['standards', 'show', 'engineering', '--json']);
    const file = join(dir, 'engineering.md');
    writeFileSync(file, `# ${before.title}\n\nRevised by the CLI e2e test ${uniqueName('m')}.\n`);
    const out = assertCliOk(cli(['standards', 'put', 'engineering', '--file', file, '--author', 'e2e-cli']));
    assert.match(out, new RegExp(`engineering is now version ${before.version + 1}`));
    const after = cliJson(['standards', 'show', 'engineering', '--json']);
    assert.equal(after.version, before.version + 1);
    assert.equal(after.author, 'e2e-cli');
    assert.equal(after.title, before.title);
    assert.equal(cliJson(['standards', 'show', 'engineering', '--version', String(before.version), '--json']).body, before.body,
      'the earlier version is unchanged');

    assertCliFails(cli(['standards', 'put', 'engineering']), 2, /--file/);
    assertCliFails(cli(['standards', 'put', 'engineering', '--file', join(dir, 'missing.md')]), 1, /cannot read/);
    const empty = join(dir, 'empty.md');
    writeFileSync(empty, '');
    assertCliFails(cli(['standards', 'put', 'engineering', '--file', empty]), 1, /empty/);
    const untitled = join(dir, 'untitled.md');
    writeFileSync(untitled, 'no heading here\n');
    assertCliFails(cli(['standards', 'put', uniqueName('e2e-new'), '--file', untitled]), 2, /--title/);
    assertCliFails(cli(['standards', 'put', 'Bad Name', '--file', file]), 2, /invalid standard name/);
    assert.equal(cliJson(['standards', 'show', 'engineering', '--json']).version, before.version + 1, 'failed puts add nothing');
  });

  test('drafts list --json parses; show of an unknown draft exits 1', () => {
    assert.ok(Array.isArray(cliJson(['drafts', 'list', '--json'])));
    assertCliOk(cli(['drafts', 'list']));
    assertCliFails(cli(['drafts', 'show', 'guidance/no-such-guide@1']), 1, /no guidance/);
    assertCliFails(cli(['drafts', 'approve', 'guidance/no-such-guide@1']), 1, /not a draft/);
  });

  test('seed list, with --json', () => {
    const files = cliJson(['seed', 'list', '--json']);
    for (const id of ['core/engineering', 'core/security', 'core/workflow', 'language/go', 'domain/web-service']) {
      assert.ok(files.some((f) => f.id === id), `seed list has ${id}`);
    }
    for (const f of files) assert.ok(f.id && f.kind && f.title && f.target && Number.isInteger(f.version));
    assert.ok(assertCliOk(cli(['seed', 'list'])).includes('core/engineering'));
  });
});

describe('service, requests, budget and cost', () => {
  test('service list / set; errors exit 1 or 2', () => {
    const services = cliJson(['service', 'list', '--json']);
    assert.deepEqual(services.map((s) => s.type).sort(),
      ['auth0-app', 'inference-gateway', 'object-storage', 'postgres-database', 'redis-namespace', 'secret']);
    const auth0 = services.find((s) => s.type === 'auth0-app');
    assert.equal(auth0.driver, 'webhook');
    assert.equal(auth0.enabled, true);
    assert.ok(assertCliOk(cli(['service', 'list'])).includes('auth0-app'));
    // Setting the current price again changes nothing but is a valid update.
    assert.match(assertCliOk(cli(['service', 'set', 'auth0-app', '--price', auth0.price_usd_month])), /service auth0-app updated/);
    assertCliFails(cli(['service', 'set', 'mainframe', '--price', '1']), 1, /no service/);
    assertCliFails(cli(['service', 'set', 'auth0-app', '--price', '-1']), 2, /--price/);
    assertCliFails(cli(['service', 'set', 'auth0-app', '--webhook', 'ftp://example.com/']), 2, /--webhook/);
    assertCliFails(cli(['service', 'set', 'auth0-app', '--enable', '--disable']), 2);
    assertCliFails(cli(['service', 'set']), 2);
  });

  test('requests list / show, with --json; deny needs --reason; unknown ids exit 1', async () => {
    const { resource } = await requestResource(session, project, 'auth0-app', { app_type: 'regular_web' });
    const listed = cliJson(['requests', 'list', '--project', project, '--json']);
    assert.ok(listed.some((r) => r.id === resource.resource_id && r.state === 'pending_approval'));
    assert.ok(assertCliOk(cli(['requests', 'list'])).includes(resource.resource_id));
    const shown = cliJson(['requests', 'show', resource.resource_id]);
    assert.equal(shown.id, resource.resource_id);
    assert.deepEqual(shown.params, { app_type: 'regular_web' });
    assert.ok(shown.events.length >= 2);
    assertCliFails(cli(['requests', 'deny', resource.resource_id]), 2, /--reason/);
    assertCliFails(cli(['requests', 'show', 'req-999999999']), 1, /no request/);
    assertCliFails(cli(['requests', 'deny', 'req-999999999', '--reason', 'x']), 1, /no request/);
    assertCliFails(cli(['requests', 'approve', 'req-999999999']), 1, /no request/);
    assertCliOk(cli(['requests', 'deny', resource.resource_id, '--reason', 'cli test']));
    assert.equal(cliJson(['requests', 'show', resource.resource_id, '--json']).state, 'denied');
  });

  test('budget set / show and cost, with --json; a negative budget exits 2', () => {
    assert.match(assertCliOk(cli(['budget', 'set', project, '--monthly-usd', '99.50'])), /99\.50 USD per month/);
    assert.equal(cliJson(['budget', 'show', project, '--json']).budget_usd, '99.500000');
    const c = cliJson(['cost', project, '--json']);
    assert.equal(c.project_id, project);
    assert.match(c.total_usd, /^\d+\.\d{6}$/, 'money is exact decimal text');
    assert.ok(Array.isArray(c.lines));
    assert.match(assertCliOk(cli(['cost', project, '--window', 'day'])), new RegExp(project));
    assertCliFails(cli(['budget', 'set', project, '--monthly-usd', '-1']), 2);
    assertCliFails(cli(['budget', 'set', project, '--monthly-usd', '1e12']), 2);
    assertCliFails(cli(['budget', 'set', project, '--monthly-usd', '0.0000001']), 2);  // under a micro-dollar
    assert.equal(cliJson(['budget', 'show', project, '--json']).budget_usd, '99.500000');
  });
});

describe('audit and migrate', () => {
  test('audit tail (default and --n N) with --json; audit verify says intact', () => {
    const rows = cliJson(['audit', 'tail', '--json']);
    assert.ok(rows.length > 0 && rows.length <= 20);
    assert.ok(rows.every((r, i) => i === 0 || r.id > rows[i - 1].id), 'oldest first');
    assert.equal(cliJson(['audit', 'tail', '--n', '3', '--json']).length, 3);
    assert.ok(assertCliOk(cli(['audit', 'tail'])).includes('ACTOR'));
    assertCliFails(cli(['audit', 'tail', '--n', 'x']), 2);
    assert.match(assertCliOk(cli(['audit', 'verify'])), /intact/);
  });

  test('audit tail -n N works as asgard audit --help documents it', () => {
    assert.match(assertCliOk(cli(['audit', '--help'])), /asgard audit tail \[-n N\]/);
    const short = cli(['audit', 'tail', '-n', '3', '--json']);
    assert.equal(short.code, 0, `asgard audit tail -n 3 --json (as documented by asgard audit --help) exits 0: ${short.stderr}`);
    assert.equal(JSON.parse(short.stdout).length, 3);
  });

  test('migrate is idempotent: a second run prints "schema is up to date"; --status and --json parse', () => {
    assertCliOk(cli(['migrate']));
    assert.equal(assertCliOk(cli(['migrate'])).trim(), 'schema is up to date');
    assert.deepEqual(cliJson(['migrate', '--json']), { applied: [] });
    const status = cliJson(['migrate', '--status', '--json']);
    assert.ok(status.length >= 3);
    assert.ok(status.every((m) => m.applied === true), 'every migration is applied');
    assertCliFails(cli(['migrate', 'extra']), 2);
    assert.equal(Number(psql('SELECT count(*) FROM projects WHERE id = ' + `'${project}'`)), 1, 'migrate keeps the data');
  });
});
