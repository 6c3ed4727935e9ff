// Another nginx node on the stack's PostgreSQL and Redis: the stack's own nginx.conf with its own
// port, prefix, pid and error log (and, when asked, another error_log level or directives), started
// and stopped by its pid. For fleet tests (two nodes) and for a worker run at error_log debug.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import { env } from './helpers.js';

function freePort() {
  const script = join(env.root || join(import.meta.dirname, '..', '..'), 'scripts', 'free-port');
  return Number(execFileSync(script, { encoding: 'utf8' }).trim());
}

const pidAlive = (pid) => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

/**
 * Starts a node. Options:
 *   errorLogLevel  error_log level of the node (default: the stack's own line's level)
 *   replace        [[RegExp|string, string], ...] edits applied to the stack's nginx.conf text
 *   workers        worker_processes (default: the stack's)
 *   http           { directive: 'value', ... } set in the http block: a directive the stack's
 *                  nginx.conf already has there is replaced, any other is added
 * Returns { url, port, prefix, errorLog, conf, pid, stop(), errorLogText() }.
 */
export async function startNode({ errorLogLevel, replace = [], workers, http = {} } = {}) {
  const stackPrefix = process.env.ASGARD_NGINX_PREFIX;
  assert.ok(stackPrefix, 'ASGARD_NGINX_PREFIX is not set (source the stack env)');
  const base = readFileSync(join(stackPrefix, 'nginx.conf'), 'utf8');
  // Under the stack's state directory, so that the log scan of scripts/test reads its logs too.
  const nodes = join(process.env.ASGARD_STATE_DIR ?? tmpdir(), 'nodes');
  mkdirSync(nodes, { recursive: true });
  const prefix = mkdtempSync(join(nodes, 'node-'));
  // mkdtemp makes it 0700: the workers (not root) must reach tmp/body for a body nginx buffers to disk.
  chmodSync(prefix, 0o755);
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const port = freePort();
  const errorLog = join(prefix, 'logs', 'error.log');
  let conf = base
    .replace(/^pid .*;$/m, `pid ${prefix}/nginx.pid;`)
    .replace(/^error_log (\S+) (\w+);$/m, (_, _path, level) => `error_log ${errorLog} ${errorLogLevel ?? level};`)
    .replace(/listen 127\.0\.0\.1:\d+;/, `listen 127.0.0.1:${port};`)
    .replaceAll(`${stackPrefix}/tmp/`, `${prefix}/tmp/`)
    .replaceAll(`${stackPrefix}/logs/access.log`, `${prefix}/logs/access.log`);
  if (workers !== undefined) conf = conf.replace(/^worker_processes \d+;$/m, `worker_processes ${workers};`);
  for (const [name, value] of Object.entries(http)) {
    const line = new RegExp(`^    ${name} [^;]*;$`, 'm');
    conf = line.test(conf) ? conf.replace(line, `    ${name} ${value};`) : conf.replace(/^http \{$/m, `http {\n    ${name} ${value};`);
  }
  for (const [from, to] of replace) {
    const next = conf.replace(from, to);
    assert.notEqual(next, conf, `nginx_node: ${from} matched nothing in the stack's nginx.conf`);
    conf = next;
  }
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, conf);
  execFileSync('nginx', ['-p', prefix, '-c', confPath, '-e', errorLog, '-t', '-q'], { stdio: 'pipe' });
  execFileSync('nginx', ['-p', prefix, '-c', confPath, '-e', errorLog], { stdio: 'pipe' });
  const pidFile = join(prefix, 'nginx.pid');
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidFile)) {
    assert.ok(Date.now() < deadline, `nginx_node did not write ${pidFile}: ${tail(safeRead(errorLog))}`);
    await delay(20);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const url = `http://127.0.0.1:${port}`;
  while (true) {
    try { await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) }); break; } catch {
      if (Date.now() >= deadline) {
        process.kill(pid, 'SIGKILL');   // a master whose workers crash keeps respawning them
        assert.fail(`nginx_node at ${url} does not answer: ${tail(safeRead(errorLog))}`);
      }
      await delay(20);
    }
  }
  return {
    url, port, prefix, errorLog, conf: confPath, pid,
    errorLogText: () => safeRead(errorLog),
    /** Graceful stop (QUIT), then TERM and KILL if the node is still there after 10 s. */
    async stop() {
      if (!pidAlive(pid)) return;
      process.kill(pid, 'SIGQUIT');
      const until = Date.now() + 10_000;
      while (pidAlive(pid) && Date.now() < until) await delay(20);
      if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}

function safeRead(path) {
  try { return readFileSync(path, 'utf8'); } catch { return ''; }
}

const tail = (text) => text.slice(-2000);
