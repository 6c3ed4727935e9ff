// list_standards and get_standards over raw JSON-RPC, and a new version published with the CLI.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { asgard, assertErrorLogClean, newUserToken, openSession, uniqueName } from './helpers.js';

after(assertErrorLogClean);

const STARTERS = ['engineering', 'security', 'workflow'];
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

let session;
before(async () => {
  const { token } = newUserToken('e2e-standards');
  session = await openSession(token);
});

/** A successful tool result: not an error, a text block carrying the structuredContent's JSON. */
function assertToolOk(result) {
  assert.equal(result.isError, false, `the tool failed: ${JSON.stringify(result)}`);
  assert.ok(Array.isArray(result.content) && result.content.length >= 1, 'a content array');
  assert.equal(result.content[0].type, 'text');
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent,
    'the text block is the same JSON as structuredContent');
  return result.structuredContent;
}

function assertSummary(s) {
  assert.equal(typeof s.name, 'string');
  assert.equal(typeof s.title, 'string');
  assert.ok(s.title.length > 0, `${s.name} has a title`);
  assert.ok(Number.isInteger(s.version) && s.version >= 1, `${s.name} has a positive integer version`);
  assert.match(s.updated, RFC3339, `${s.name}.updated is an RFC 3339 time`);
}

function assertFull(s) {
  assertSummary(s);
  assert.equal(typeof s.author, 'string');
  assert.equal(typeof s.body, 'string');
  assert.match(s.body, /^# \S/, `${s.name} has a Markdown body starting with a heading`);
}

describe('list_standards', () => {
  test('lists engineering, security and workflow with name, title, version and updated', async () => {
    const { standards } = assertToolOk(await session.call('list_standards', {}));
    assert.ok(Array.isArray(standards));
    // The starters, and whatever other tests wrote (standards are append-only).
    assert.deepEqual(standards.map((s) => s.name).filter((n) => STARTERS.includes(n)).sort(), STARTERS);
    for (const s of standards) {
      assertSummary(s);
      assert.equal(s.body, undefined, 'list_standards carries no bodies');
    }
  });

  test('list_standards with no arguments member at all succeeds', async () => {
    const res = await session.request('tools/call', { name: 'list_standards' });
    assert.equal(res.status, 200, res.text);
    assertToolOk(res.json.result);
  });

  test('list_standards rejects an unknown argument with an isError result', async () => {
    const result = await session.call('list_standards', { verbose: true });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /arguments\.verbose/);
  });
});

describe('get_standards', () => {
  test('get_standards {name: "security"} returns that one standard with its body', async () => {
    const { standards } = assertToolOk(await session.call('get_standards', { name: 'security' }));
    assert.equal(standards.length, 1);
    assertFull(standards[0]);
    assert.equal(standards[0].name, 'security');
  });

  test('get_standards {} returns all three standards with bodies', async () => {
    const { standards } = assertToolOk(await session.call('get_standards', {}));
    assert.deepEqual(standards.map((s) => s.name).filter((n) => STARTERS.includes(n)).sort(), STARTERS);
    for (const s of standards) assertFull(s);
  });

  test('get_standards of an unknown name is an isError result naming the known standards', async () => {
    const result = await session.call('get_standards', { name: 'no-such-standard' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /no-such-standard/);
    for (const name of STARTERS) assert.match(result.content[0].text, new RegExp(name));
  });

  test('get_standards of a version that does not exist is an isError result', async () => {
    const result = await session.call('get_standards', { name: 'workflow', version: 999 });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /999/);
  });

  for (const version of [2147483648, 4294967297]) {
    test(`get_standards {name: "workflow", version: ${version}} is an isError result naming arguments.version`, async () => {
      // Out of the schema's range, never truncated to 32 bits (4294967297 would become version 1).
      const result = await session.call('get_standards', { name: 'workflow', version });
      assert.equal(result.isError, true, `expected an error, got ${JSON.stringify(result.structuredContent).slice(0, 200)}`);
      assert.match(result.content[0].text, /arguments\.version must be at most 1000000/);
    });
  }

  test('get_standards with version but no name is an isError result', async () => {
    const result = await session.call('get_standards', { version: 1 });
    assert.equal(result.isError, true);
  });

  test('get_standards with version 0 is an isError result naming arguments.version', async () => {
    const result = await session.call('get_standards', { name: 'security', version: 0 });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /arguments\.version/);
  });

  test('get_standards with a name outside the pattern is an isError result naming arguments.name', async () => {
    const result = await session.call('get_standards', { name: 'Security!' });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /arguments\.name/);
  });
});

describe('publishing a new version with asgard standards put', () => {
  let dir;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'asgard-e2e-standards-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a new engineering version is visible to list_standards and get_standards; version 1 is unchanged', async () => {
    const [original] = assertToolOk(await session.call('get_standards', { name: 'engineering', version: 1 })).standards;
    assert.equal(original.version, 1);
    assert.match(original.body, /^# Engineering standard/);
    const [before] = assertToolOk(await session.call('get_standards', { name: 'engineering' })).standards;

    const marker = uniqueName('marker');
    const file = join(dir, 'engineering.md');
    writeFileSync(file, `# Engineering standard (revised)\n\nEvery change MUST carry ${marker}.\n`);
    const out = asgard(['standards', 'put', 'engineering', '--file', file]);
    const expected = before.version + 1; // 2 on a fresh stack
    assert.match(out, new RegExp(`version ${expected}\\b`));

    const listed = assertToolOk(await session.call('list_standards', {})).standards;
    const engineering = listed.find((s) => s.name === 'engineering');
    assert.equal(engineering.version, expected);
    assert.equal(engineering.title, 'Engineering standard (revised)');
    for (const other of listed.filter((s) => STARTERS.includes(s.name) && s.name !== 'engineering')) assert.equal(other.version, 1);

    const [latest] = assertToolOk(await session.call('get_standards', { name: 'engineering' })).standards;
    assert.equal(latest.version, expected);
    assert.match(latest.body, new RegExp(marker));

    const all = assertToolOk(await session.call('get_standards', {})).standards;
    assert.equal(all.find((s) => s.name === 'engineering').version, expected);

    const [first] = assertToolOk(await session.call('get_standards', { name: 'engineering', version: 1 })).standards;
    assert.deepEqual(first, original, 'version 1 still returns the original');
  });
});
