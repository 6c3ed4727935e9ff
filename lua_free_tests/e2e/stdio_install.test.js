// `asgard mcp` wired as the contract wires it (command asgard, args mcp) from a directory outside
// the checkout: an installation's binary X/bin/asgard reads X/asgard.conf, also through a symlink
// on PATH (./scripts/run link), with no ASGARD_CONFIG or ASGARD_DATABASE_URL; and one that cannot
// start answers the client's first request with a JSON-RPC error naming the fix before it exits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { assertErrorLogClean, env, newUserToken } from './helpers.js';
import { configFile } from './control_helpers.js';

after(assertErrorLogClean);

/** An installation in a temporary directory: X/bin/asgard (a copy), X/asgard.conf, and a PATH dir
 * holding a symlink to the binary, as ./scripts/run link makes. */
function installation({ withConfig = true } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'asgard-install-'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(env.bin, join(root, 'bin', 'asgard'));
  spawnSync('chmod', ['755', join(root, 'bin', 'asgard')]);
  if (withConfig) writeFileSync(join(root, 'asgard.conf'), readFileSync(configFile()));
  mkdirSync(join(root, 'path'));
  symlinkSync(join(root, 'bin', 'asgard'), join(root, 'path', 'asgard'));
  const clientEnv = { PATH: `${join(root, 'path')}:/usr/bin:/bin`, HOME: root };
  return { root, clientEnv };
}

describe('asgard mcp from outside the checkout', () => {
  test('command asgard, args mcp, through a symlink on PATH: the installation\'s asgard.conf is found, the tools listed and called', async () => {
    const { user } = newUserToken('e2e-stdio-install');
    const { root, clientEnv } = installation();
    const transport = new StdioClientTransport({ command: 'asgard', args: ['mcp'], cwd: root, env: { ...clientEnv, ASGARD_USER: user }, stderr: 'pipe' });
    const client = new Client({ name: 'asgard-e2e-install', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.equal(tools.length, 23);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      assert.equal(who.isError, false, JSON.stringify(who));
      assert.match(JSON.stringify(who.structuredContent), new RegExp(user));
    } finally {
      await client.close();
    }
  });

  test('without a configuration: the first request gets a JSON-RPC error naming where asgard.conf is looked for, then it exits 1', () => {
    const { root, clientEnv } = installation({ withConfig: false });
    const run = spawnSync('asgard', ['mcp'], {
      cwd: root, env: clientEnv, encoding: 'utf8', timeout: 15000,
      input: `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } })}\n`,
    });
    assert.equal(run.status, 1, run.stderr);
    const answer = JSON.parse(run.stdout.trim());
    assert.equal(answer.id, 7);
    assert.match(answer.error.message, /asgard mcp cannot start: no database configured/);
    assert.ok(answer.error.message.includes(join(root, 'asgard.conf')), answer.error.message);
  });
});
