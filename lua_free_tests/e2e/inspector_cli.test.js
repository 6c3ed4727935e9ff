// Third-party clients: the MCP Inspector CLI and plain curl.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, initializeMessage, MCP_URL, newUserToken } from './helpers.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, 'node_modules');

after(assertErrorLogClean);

let token;
before(() => {
  ({ token } = newUserToken('e2e-clients'));
});

describe('MCP Inspector CLI', () => {
  test('mcp-inspector-cli --method tools/list over HTTP lists list_standards', async () => {
    // cwd is node_modules: the CLI looks for ../package.json relative to its working directory.
    const { stdout } = await run(join(nodeModules, '.bin', 'mcp-inspector-cli'), [
      '--cli', MCP_URL,
      '--transport', 'http',
      '--header', `Authorization: Bearer ${token}`,
      '--method', 'tools/list',
    ], { cwd: nodeModules, timeout: 60_000 });
    const out = JSON.parse(stdout);
    const names = out.tools.map((t) => t.name);
    assert.ok(names.includes('list_standards'), `tools/list lists list_standards: ${names}`);
    assert.ok(names.includes('get_standards'), `tools/list lists get_standards: ${names}`);
  });

  test('mcp-inspector-cli --method tools/call get_standards returns the security standard', async () => {
    const { stdout } = await run(join(nodeModules, '.bin', 'mcp-inspector-cli'), [
      '--cli', MCP_URL,
      '--transport', 'http',
      '--header', `Authorization: Bearer ${token}`,
      '--method', 'tools/call',
      '--tool-name', 'get_standards',
      '--tool-arg', 'name=security',
    ], { cwd: nodeModules, timeout: 60_000 });
    const out = JSON.parse(stdout);
    assert.equal(out.isError, false);
    assert.equal(out.structuredContent.standards[0].name, 'security');
  });
});

/** Runs curl -sS -i and splits status, headers (lower-case) and JSON body. */
async function curl(args) {
  const { stdout } = await run('curl', ['-sS', '-i', '--max-time', '30', ...args], { timeout: 60_000 });
  const split = stdout.indexOf('\r\n\r\n');
  const head = stdout.slice(0, split).split('\r\n');
  const status = Number(head[0].split(' ')[1]);
  const headers = Object.fromEntries(head.slice(1).map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  }));
  const text = stdout.slice(split + 4);
  return { status, headers, text, json: text ? JSON.parse(text) : null };
}

describe('curl', () => {
  test('curl runs initialize, notifications/initialized and tools/list', async () => {
    const common = [
      '-H', `Authorization: Bearer ${token}`,
      '-H', 'Content-Type: application/json',
      '-H', 'Accept: application/json, text/event-stream',
    ];
    const init = await curl([...common, '--data-binary', JSON.stringify(initializeMessage('2025-11-25', 1)), MCP_URL]);
    assert.equal(init.status, 200, init.text);
    assert.equal(init.json.result.serverInfo.name, 'asgard');
    const sessionId = init.headers['mcp-session-id'];
    assert.ok(sessionId, 'curl sees the Mcp-Session-Id header');

    const withSession = [...common, '-H', `Mcp-Session-Id: ${sessionId}`, '-H', 'MCP-Protocol-Version: 2025-11-25'];
    const initialized = await curl([...withSession, '--data-binary', '{"jsonrpc":"2.0","method":"notifications/initialized"}', MCP_URL]);
    assert.equal(initialized.status, 202);

    const list = await curl([...withSession, '--data-binary', '{"jsonrpc":"2.0","id":2,"method":"tools/list"}', MCP_URL]);
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.id, 2);
    assert.ok(list.json.result.tools.some((t) => t.name === 'list_standards'));

    const ended = await curl(['-X', 'DELETE', '-H', `Authorization: Bearer ${token}`, '-H', `Mcp-Session-Id: ${sessionId}`, MCP_URL]);
    assert.equal(ended.status, 204);
  });
});
