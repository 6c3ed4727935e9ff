// The official MCP conformance suite (@modelcontextprotocol/conformance, every scenario, every
// revision it knows) against the stack's /mcp: each check passes unless
// lua_free_tests/conformance/expected-failures.json names it with its reason, and each check named
// there still fails for that reason (a stale entry fails too). The suite has no option for a
// request header, so it talks to a small relay here that adds the user token's Authorization
// header and passes everything else (the Host and Origin the suite sends included) through.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { assertErrorLogClean, env, newUserToken } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const suiteDir = join(here, '..', 'conformance');
const node22 = join(suiteDir, 'node_modules', 'node', 'bin', 'node');
const suiteCli = join(suiteDir, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const baseline = JSON.parse(readFileSync(join(suiteDir, 'expected-failures.json'), 'utf8')).expected;

after(assertErrorLogClean);

/** A relay on a free loopback port that adds `Authorization: Bearer token` to every request. */
function startRelay(token) {
  const target = new URL(env.url);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, authorization: `Bearer ${token}` };
    const upstream = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`relay: ${err.message}`);
    });
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Runs the suite; resolves with its exit status and output. */
function runSuite(url, outputDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(node22, [suiteCli, 'server', '--url', url, '--suite', 'all', '-o', outputDir],
      { cwd: suiteDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, output }); });
  });
}

/** Every check the suite wrote: [{ scenario, id, status, message }]. */
function readChecks(outputDir) {
  const checks = [];
  for (const dir of readdirSync(outputDir)) {
    // server-<scenario>-<ISO timestamp>
    const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
    const file = join(outputDir, dir, 'checks.json');
    if (!existsSync(file)) continue;
    for (const check of JSON.parse(readFileSync(file, 'utf8'))) {
      checks.push({ scenario, id: check.id, status: check.status, message: check.errorMessage ?? '' });
    }
  }
  return checks;
}

const matches = (pattern, scenario) =>
  pattern.endsWith('*') ? scenario.startsWith(pattern.slice(0, -1)) : pattern === scenario;

/** The baseline entry that excuses a failed check, if any. */
function excuse(check) {
  return baseline.find((entry) => matches(entry.scenario, check.scenario) &&
    (entry.check === undefined || (entry.check === check.id && check.message.includes(entry.message))));
}

describe('the official MCP conformance suite', () => {
  let relay;
  let outputDir;
  before(async () => {
    assert.ok(existsSync(node22) && existsSync(suiteCli), 'scripts/deps --e2e installs lua_free_tests/conformance');
    const { token } = newUserToken('e2e-conformance');
    relay = await startRelay(token);
    outputDir = mkdtempSync(join(tmpdir(), 'asgard-conformance-'));
  });
  after(() => {
    relay?.close();
    if (outputDir) rmSync(outputDir, { recursive: true, force: true });
  });

  test('every check passes except the ones expected-failures.json names, and each of those still fails for its reason', async () => {
    const { port } = relay.address();
    const run = await runSuite(`http://127.0.0.1:${port}/mcp`, outputDir);
    const checks = readChecks(outputDir);
    assert.ok(checks.length > 150, `the suite ran (${checks.length} checks, exit ${run.status}):\n${run.output.slice(-3000)}`);
    const scenarios = new Set(checks.map((c) => c.scenario));
    for (const name of ['server-initialize', 'server-stateless', 'http-header-validation', 'caching', 'tools-list', 'resources-list', 'prompts-list']) {
      assert.ok(scenarios.has(name), `scenario ${name} ran`);
    }

    const unexpected = checks.filter((c) => c.status === 'FAILURE' && !excuse(c));
    assert.deepEqual(unexpected.map((c) => `${c.scenario} / ${c.id}: ${c.message}`), [], 'failed checks the baseline does not name');

    const stale = baseline.filter((entry) => entry.check !== undefined &&
      !checks.some((c) => c.scenario === entry.scenario && c.id === entry.check && c.status === 'FAILURE' && c.message.includes(entry.message)));
    assert.deepEqual(stale.map((e) => `${e.scenario} / ${e.check}`), [], 'baseline entries that no longer fail as named: remove them');

    const passed = checks.filter((c) => c.status === 'SUCCESS').length;
    assert.ok(passed >= 120, `${passed} checks passed`);
  });
});
