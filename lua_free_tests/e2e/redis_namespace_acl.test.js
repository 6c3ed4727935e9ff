// A Redis namespace user sees only its own keys: the commands that walk or count the whole keyspace
// (SCAN, KEYS, RANDOMKEY, DBSIZE, MEMORY STATS), list every tenant's channels (PUBSUB) or touch the
// server-wide function and script caches are NOPERM, also from inside a script; its own keys work.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, newUserToken, openSession } from './helpers.js';
import { assertOk, getSecret, registerProject, requestResource } from './control_helpers.js';

after(assertErrorLogClean);

function redisCli(url, ...args) {
  const r = spawnSync('redis-cli', ['--no-auth-warning', '-u', url, ...args], { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout}${r.stderr}`.trim();
}

const tenants = {}; // a, b -> { session, project, resource, url, prefix }

before(async () => {
  for (const who of ['a', 'b']) {
    const owner = newUserToken(`e2e-redis-acl-${who}`);
    const session = await openSession(owner.token);
    const project = (await registerProject(session, { name: `redis tenant ${who}`, description: 'namespace isolation' })).project_id;
    const { resource } = await requestResource(session, project, 'redis-namespace', {});
    assert.equal(resource.state, 'ready');
    const url = await getSecret(session, project, 'REDIS_URL');
    tenants[who] = { session, project, resource, url, prefix: resource.outputs.key_prefix };
  }
  assert.equal(redisCli(tenants.b.url, 'SET', `${tenants.b.prefix}private-name`, 'b-value'), 'OK');
  assert.equal(redisCli(tenants.a.url, 'SET', `${tenants.a.prefix}own`, 'a-value'), 'OK');
});

after(async () => {
  for (const t of Object.values(tenants)) {
    assertOk(await t.session.call('release_resource', { project_id: t.project, resource_id: t.resource.resource_id }));
  }
});

describe('redis-namespace ACL', () => {
  const keyspaceWide = [
    ['SCAN', '0'], ['SCAN', '0', 'MATCH', '*'], ['KEYS', '*'], ['RANDOMKEY'], ['DBSIZE'], ['MEMORY', 'STATS'],
    ['PUBSUB', 'CHANNELS'], ['PUBSUB', 'SHARDCHANNELS'], ['FUNCTION', 'LIST'], ['FUNCTION', 'FLUSH'], ['SCRIPT', 'FLUSH'],
    ['FLUSHDB'], ['FLUSHALL'], ['SWAPDB', '0', '1'], ['INFO', 'keyspace'], ['CLIENT', 'LIST'], ['MONITOR'],
  ];
  for (const command of keyspaceWide) {
    test(`a namespace user gets NOPERM for ${command.join(' ')}`, () => {
      const out = redisCli(tenants.a.url, ...command);
      assert.match(out, /NOPERM/, `${command.join(' ')} answered: ${out}`);
      assert.doesNotMatch(out, /private-name/, 'never shows another tenant\'s key name');
    });
  }

  test('a script cannot reach the keyspace-wide commands either', () => {
    for (const cmd of ['scan', 'dbsize', 'randomkey']) {
      const script = cmd === 'scan' ? "return redis.call('scan','0')" : `return redis.call('${cmd}')`;
      const out = redisCli(tenants.a.url, 'EVAL', script, '0');
      assert.match(out, /can't run this command|NOPERM/, `EVAL ${cmd}: ${out}`);
      assert.doesNotMatch(out, /private-name/);
    }
  });

  test('its own keys still work (GET, SET, EXISTS, a script on its key); another tenant\'s are NOPERM', () => {
    const { a, b } = tenants;
    assert.equal(redisCli(a.url, 'GET', `${a.prefix}own`), 'a-value');
    assert.equal(redisCli(a.url, 'SET', `${a.prefix}second`, '2'), 'OK');
    assert.equal(redisCli(a.url, 'EXISTS', `${a.prefix}second`), '1');
    assert.equal(redisCli(a.url, 'EVAL', "return redis.call('get', KEYS[1])", '1', `${a.prefix}own`), 'a-value');
    assert.match(redisCli(a.url, 'GET', `${b.prefix}private-name`), /NOPERM/);
    assert.match(redisCli(a.url, 'EXISTS', `${b.prefix}private-name`), /NOPERM/);
    assert.equal(redisCli(b.url, 'GET', `${b.prefix}private-name`), 'b-value', 'b still reads its own key');
  });
});
