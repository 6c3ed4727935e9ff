// Guidance and recipes: a put is a draft visible to its author (and admins) only, until an admin
// approves it with asgard drafts; a later put is a new draft version while the published one
// stays; a rejected draft is never published.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { addUser, assertErrorLogClean, createToken, newUserToken, openSession, uniqueName } from './helpers.js';
import {
  assertCliFails,
  assertCliOk,
  assertOk,
  assertToolError,
  cli,
  cliJson,
  mintProjectKey,
  registerProject,
  sdkClose,
  sdkConnect,
} from './control_helpers.js';

after(assertErrorLogClean);

let author;   // SDK client of the author
let reader;   // SDK client of another user
let admin;    // raw session of an admin
let authorName;

before(async () => {
  const a = newUserToken('e2e-guidance-author');
  authorName = a.user;
  author = await sdkConnect(a.token);
  reader = await sdkConnect(newUserToken('e2e-guidance-reader').token);
  admin = await openSession(createToken(addUser('e2e-guidance-admin', { admin: true })).token);
});
after(async () => {
  if (author) await sdkClose(author);
  if (reader) await sdkClose(reader);
});

const call = (client, name, args) => client.callTool({ name, arguments: args });

describe('guidance drafts and publication', () => {
  const bodyOf = (name, n) => `# Deploying v${n}\n\nAlways deploy with ${name} (${n}).\n`;

  /** A fresh guidance name with version 1 put by the author (a draft). */
  async function draft() {
    const name = uniqueName('e2e-guide');
    const put = assertOk(await call(author, 'guidance_put', { name, title: 'Deploying', body: bodyOf(name, 1) })).guidance;
    return { name, put };
  }

  test('guidance_put creates a draft (version 1) that its author sees and another user does not', async () => {
    const { name, put } = await draft();
    assert.equal(put.name, name);
    assert.equal(put.version, 1);
    assert.equal(put.status, 'draft');
    assert.equal(put.author, authorName);
    assert.match(put.note, /draft/);

    const got = assertOk(await call(author, 'guidance_get', { name })).guidance;
    assert.equal(got.status, 'draft');
    assert.equal(got.body, bodyOf(name, 1));
    const listed = assertOk(await call(author, 'guidance_list', {})).guidance;
    assert.ok(listed.some((g) => g.name === name && g.status === 'draft' && g.version === 1));

    const text = assertToolError(await call(reader, 'guidance_get', { name }), 'not_found');
    assert.match(text, new RegExp(name));
    const theirs = assertOk(await call(reader, 'guidance_list', {})).guidance;
    assert.ok(!theirs.some((g) => g.name === name), 'the draft is not listed for another user');

    // Admins see every draft.
    assert.equal(assertOk(await admin.call('guidance_get', { name })).guidance.status, 'draft');
  });

  test('asgard drafts list shows guidance/NAME@1', async () => {
    const { name } = await draft();
    const out = assertCliOk(cli(['drafts', 'list']));
    assert.ok(out.includes(`guidance/${name}@1`), out);
    const json = cliJson(['drafts', 'list', '--json']);
    const entry = json.find((d) => d.id === `guidance/${name}@1`);
    assert.ok(entry, 'drafts list --json has the draft');
    assert.equal(entry.author, authorName);
    assert.equal(entry.kind, 'guidance');
    assert.equal(entry.version, 1);
    const shown = assertCliOk(cli(['drafts', 'show', `guidance/${name}@1`]));
    assert.ok(shown.includes(bodyOf(name, 1)));
  });

  test('asgard drafts approve publishes it: another user now sees it; approving again exits 1', async () => {
    const { name } = await draft();
    assert.match(assertCliOk(cli(['drafts', 'approve', `guidance/${name}@1`])), /published/);
    const got = assertOk(await call(reader, 'guidance_get', { name })).guidance;
    assert.equal(got.status, 'published');
    assert.equal(got.version, 1);
    assert.equal(got.body, bodyOf(name, 1));
    const listed = assertOk(await call(reader, 'guidance_list', {})).guidance;
    assert.ok(listed.some((g) => g.name === name && g.status === 'published'));
    assert.ok(!cliJson(['drafts', 'list', '--json']).some((d) => d.id === `guidance/${name}@1`), 'no longer a draft');
    assertCliFails(cli(['drafts', 'approve', `guidance/${name}@1`]), 1, /not a draft/);
  });

  test('a second put is a version 2 draft while version 1 stays published', async () => {
    const { name } = await draft();
    assertCliOk(cli(['drafts', 'approve', `guidance/${name}@1`]));
    const put = assertOk(await call(author, 'guidance_put', { name, title: 'Deploying v2', body: bodyOf(name, 2) })).guidance;
    assert.equal(put.version, 2);
    assert.equal(put.status, 'draft');

    const seen = assertOk(await call(reader, 'guidance_get', { name })).guidance;
    assert.equal(seen.version, 1);
    assert.equal(seen.status, 'published');
    assert.equal(seen.body, bodyOf(name, 1));
    assertToolError(await call(reader, 'guidance_get', { name, version: 2 }), 'not_found');

    const own = assertOk(await call(author, 'guidance_get', { name, version: 2 })).guidance;
    assert.equal(own.status, 'draft');
    assert.equal(own.body, bodyOf(name, 2));
    const v1 = assertOk(await call(author, 'guidance_get', { name, version: 1 })).guidance;
    assert.equal(v1.status, 'published');
    assert.equal(v1.body, bodyOf(name, 1));

    assert.ok(cliJson(['drafts', 'list', '--json']).some((d) => d.id === `guidance/${name}@2`));
    assertCliOk(cli(['drafts', 'approve', `guidance/${name}@2`]));
    const latest = assertOk(await call(reader, 'guidance_get', { name })).guidance;
    assert.equal(latest.version, 2);
    assert.equal(latest.body, bodyOf(name, 2));
    assert.equal(assertOk(await call(reader, 'guidance_get', { name, version: 1 })).guidance.body, bodyOf(name, 1), 'version 1 never changes');
    const listed = assertOk(await call(reader, 'guidance_list', {})).guidance.filter((g) => g.name === name);
    assert.deepEqual(listed.map((g) => g.version), [2], 'guidance_list shows the latest published version');
  });
});

describe('recipe drafts and rejection', () => {
  test('asgard drafts reject recipe/X@1 --reason r rejects it; approving it afterwards exits 1', async () => {
    const name = uniqueName('e2e-recipe');
    const put = assertOk(await call(author, 'recipe_put', { name, title: 'Rotate keys', body: 'step 1\nstep 2\n' })).recipe;
    assert.equal(put.version, 1);
    assert.equal(put.status, 'draft');
    assert.ok(assertOk(await call(author, 'recipe_list', {})).recipes.some((r) => r.name === name));

    assert.match(assertCliOk(cli(['drafts', 'reject', `recipe/${name}@1`, '--reason', 'r'])), /rejected/);
    assertCliFails(cli(['drafts', 'approve', `recipe/${name}@1`]), 1, /not a draft/);
    assertCliFails(cli(['drafts', 'reject', `recipe/${name}@1`, '--reason', 'again']), 1, /not a draft/);

    assertToolError(await call(reader, 'recipe_get', { name }), 'not_found');
    assert.ok(!assertOk(await call(reader, 'recipe_list', {})).recipes.some((r) => r.name === name));
    assert.ok(!assertOk(await call(author, 'recipe_list', {})).recipes.some((r) => r.name === name), 'a rejected draft is not listed');
  });

  test('drafts reject without --reason and a malformed draft name exit 2', async () => {
    const name = uniqueName('e2e-recipe');
    assertOk(await call(author, 'recipe_put', { name, title: 'Pending', body: 'b' }));
    assertCliFails(cli(['drafts', 'reject', `recipe/${name}@1`]), 2, /--reason/);
    assertCliFails(cli(['drafts', 'approve', 'recipe-without-version']), 2);
    assertCliFails(cli(['drafts', 'approve', `manual/${name}@1`]), 2);
    assertCliFails(cli(['drafts', 'approve', `recipe/${name}@x`]), 2);
  });
});

describe('contributions need a user token and valid arguments', () => {
  test('a project key cannot put guidance (project_key_forbidden)', async () => {
    const project = (await registerProject(author, { name: 'guidance key', description: 'x' })).project_id;
    const session = await openSession(mintProjectKey(project).key);
    assertToolError(await session.call('guidance_put', { name: uniqueName('e2e-keyput'), title: 't', body: 'b' }), 'project_key_forbidden');
    assertToolError(await session.call('recipe_put', { name: uniqueName('e2e-keyput'), title: 't', body: 'b' }), 'project_key_forbidden');
  });

  test('bad names, empty bodies and missing titles are isError naming the argument', async () => {
    assertToolError(await call(author, 'guidance_put', { name: 'Bad Name', title: 't', body: 'b' }), 'invalid_arguments', /arguments\.name/);
    assertToolError(await call(author, 'guidance_put', { name: 'ok-name', title: 't', body: '' }), 'invalid_arguments', /arguments\.body/);
    assertToolError(await call(author, 'recipe_put', { name: 'ok-name', body: 'b' }), 'invalid_arguments', /arguments\.title is required/);
    assertToolError(await call(author, 'guidance_get', { name: 'ok-name', version: 0 }), 'invalid_arguments', /arguments\.version/);
  });
});
