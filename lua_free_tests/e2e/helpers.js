// Shared helpers for the end-to-end tests: the stack's environment, the asgard CLI, SQL through
// psql, raw HTTP to /mcp (fetch with good default headers, or node:http when the Host header
// matters), MCP session setup, token crafting and the nginx error log check.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: start a stack with scripts/stack up and source its env (see scripts/test)`);
  }
  return value;
}

export const env = {
  url: required('ASGARD_URL').replace(/\/+$/, ''),
  bin: required('ASGARD_BIN'),
  databaseUrl: required('ASGARD_DATABASE_URL'),
  pgSocket: required('ASGARD_PG_SOCKET'),
  pgPort: required('ASGARD_PG_PORT'),
  errorLog: required('ASGARD_NGINX_ERROR_LOG'),
  adminPat: process.env.ASGARD_ADMIN_PAT || '',
  root: process.env.ASGARD_ROOT || '',
};

export const MCP_URL = `${env.url}/mcp`;
export const PORT = Number(new URL(env.url).port);
export const HOST = new URL(env.url).hostname;

export const SUPPORTED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'];
export const LATEST_VERSION = '2025-11-25';

// JSON-RPC error codes the server uses.
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const SERVER_ERROR = -32000;
export const SESSION_NOT_FOUND = -32001;

// ---------------------------------------------------------------------------------------------
// CLI and SQL

/** Runs the asgard CLI against the stack's database; returns its stdout. */
export function asgard(args) {
  return execFileSync(env.bin, args, {
    env: { ...process.env, ASGARD_DATABASE_URL: env.databaseUrl },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** A name no other test (or earlier run against the same stack) uses. */
export function uniqueName(prefix) {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/** Creates a user (unique name from prefix) and returns its name. */
export function addUser(prefix = 'e2e-user', { admin = false } = {}) {
  const name = uniqueName(prefix);
  asgard(['user', 'add', name, ...(admin ? ['--admin'] : [])]);
  return name;
}

/** Mints a user token: { token, id, expires }. */
export function createToken(user, { expires } = {}) {
  const args = ['token', 'create', '--user', user, '--json'];
  if (expires) args.push('--expires', expires);
  const out = JSON.parse(asgard(args));
  assert.match(out.token, /^asg_pat_[0-9A-Za-z]{36}$/, 'token create prints an asg_pat_ token');
  return { token: out.token, id: out.id, expires: out.expires ?? null };
}

export function revokeToken(id) {
  asgard(['token', 'revoke', String(id)]);
}

/** A fresh user with a fresh token: { user, token, id, expires }. */
export function newUserToken(prefix = 'e2e-user', options = {}) {
  const user = addUser(prefix);
  return { user, ...createToken(user, options) };
}

const psqlArgs = () => ['-h', env.pgSocket, '-p', String(env.pgPort), '-U', 'postgres', '-d', 'asgard'];

/** Runs SQL as the postgres superuser and returns the unaligned, tuples-only output. */
export function psql(sql) {
  return execFileSync('psql', [...psqlArgs(), '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

/**
 * Starts an interactive psql child that reads SQL from its stdin. Returns
 * { child, send(sql), waitFor(regex), end() }: waitFor resolves once stdout has matched.
 */
export function psqlSession() {
  const child = spawn('psql', [...psqlArgs(), '-qAt', '-v', 'ON_ERROR_STOP=1', '-X'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(out);
      }
    }
  };
  child.stdout.on('data', (d) => { out += d; check(); });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => {
    for (const w of waiters.splice(0)) w.reject(new Error(`psql exited (${code}) before printing ${w.pattern}: ${err}`));
    resolve(code);
  }));
  return {
    child,
    send(sql) { child.stdin.write(sql.endsWith('\n') ? sql : `${sql}\n`); },
    waitFor(pattern) {
      if (pattern.test(out)) return Promise.resolve(out);
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
    async end() {
      if (child.exitCode === null) child.stdin.end();
      return exited;
    },
    get stderr() { return err; },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export const GOOD_HEADERS = Object.freeze({
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
});

/** Reads a fetch Response into { status, headers, text, json } (json null when not JSON). */
async function readResponse(res) {
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * POSTs to /mcp with good default headers. body: an object (sent as JSON), or a string/Buffer
 * sent as is. Options: token (null: no Authorization), sessionId, protocolVersion, headers
 * (merged over the defaults; a value of undefined removes a default), path, signal (AbortSignal).
 */
export async function post(body, { token, sessionId, protocolVersion, headers = {}, path = '/mcp', signal } = {}) {
  const h = { ...GOOD_HEADERS };
  if (token) h.Authorization = `Bearer ${token}`;
  if (sessionId) h['Mcp-Session-Id'] = sessionId;
  if (protocolVersion) h['MCP-Protocol-Version'] = protocolVersion;
  for (const [k, v] of Object.entries(headers)) {
    for (const existing of Object.keys(h)) if (existing.toLowerCase() === k.toLowerCase()) delete h[existing];
    if (v !== undefined) h[k] = v;
  }
  const payload = typeof body === 'string' || Buffer.isBuffer(body) || body === undefined ? body : JSON.stringify(body);
  const res = await fetch(`${env.url}${path}`, { method: 'POST', headers: h, body: payload, signal });
  return readResponse(res);
}

/** Any method to any path with fetch; headers as given (no defaults). */
export async function request(method, path, { headers = {}, body } = {}) {
  const res = await fetch(`${env.url}${path}`, { method, headers, body });
  return readResponse(res);
}

/**
 * A request through node:http, which lets the caller set Host. Resolves
 * { status, headers (lower-case keys), text, json }.
 */
export function rawRequest({ method = 'POST', path = '/mcp', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOST, port: PORT, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Sends only the headers of a POST whose Content-Length claims `bytes` (nginx refuses it before
 * reading a body) and resolves with { head, body } of the answer as raw text.
 */
export function postHeadersOnly(path, bytes, headers = {}) {
  return new Promise((resolve) => {
    const socket = net.connect(PORT, HOST);
    let data = '';
    const done = () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ head, body: rest.join('\r\n\r\n') });
    };
    socket.setEncoding('utf8');
    socket.on('data', (d) => {
      data += d;
      const end = data.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(data.slice(0, end));
      if (end >= 0 && length && Buffer.byteLength(data.slice(end + 4)) >= Number(length[1])) socket.destroy();
    });
    socket.on('close', done);
    socket.on('error', () => {});
    socket.setTimeout(3000, () => socket.destroy());
    const lines = Object.entries({ 'Content-Type': 'application/json', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.on('connect', () => socket.write(`POST ${path} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\n${lines}` +
      `Content-Length: ${bytes}\r\n\r\n{"model":`));
  });
}

// ---------------------------------------------------------------------------------------------
// MCP

let nextId = 1;
export const rpcId = () => nextId++;

export function initializeMessage(protocolVersion = LATEST_VERSION, id = rpcId()) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'asgard-e2e', version: '1.0.0' } },
  };
}

/**
 * initialize + notifications/initialized. Returns a session object:
 * { sessionId, protocolVersion, init (the initialize response), request(method, params, opts),
 *   call(tool, args), send(body, opts) }. send/request carry the session id and the negotiated
 * MCP-Protocol-Version header unless opts override them.
 */
export async function openSession(token, { protocolVersion = LATEST_VERSION, header = true } = {}) {
  const init = await post(initializeMessage(protocolVersion), { token });
  assert.equal(init.status, 200, `initialize answered ${init.status}: ${init.text}`);
  const sessionId = init.headers.get('mcp-session-id');
  assert.ok(sessionId, 'initialize returns an Mcp-Session-Id header');
  const negotiated = init.json.result.protocolVersion;
  const session = {
    token,
    sessionId,
    protocolVersion: negotiated,
    init,
    send(body, opts = {}) {
      return post(body, {
        token,
        sessionId,
        protocolVersion: header ? negotiated : undefined,
        ...opts,
      });
    },
    async request(method, params, opts = {}) {
      const message = { jsonrpc: '2.0', id: rpcId(), method };
      if (params !== undefined) message.params = params;
      return session.send(message, opts);
    },
    /** tools/call; asserts a 200 JSON-RPC result and returns the CallToolResult. */
    async call(name, args, opts = {}) {
      const res = await session.request('tools/call', { name, arguments: args }, opts);
      assert.equal(res.status, 200, `tools/call ${name} answered ${res.status}: ${res.text}`);
      assert.ok(res.json.result, `tools/call ${name} returned no result: ${res.text}`);
      return res.json.result;
    },
  };
  const initialized = await session.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  assert.equal(initialized.status, 202, `notifications/initialized answered ${initialized.status}: ${initialized.text}`);
  return session;
}

/** Asserts a JSON-RPC error response: HTTP status, error code, and (optionally) the id. */
export function assertRpcError(res, status, code, id) {
  assert.equal(res.status, status, `expected HTTP ${status}, got ${res.status}: ${res.text}`);
  assert.ok(res.json && res.json.error, `expected a JSON-RPC error body, got: ${res.text}`);
  assert.equal(res.json.jsonrpc, '2.0');
  assert.equal(res.json.error.code, code, `expected error code ${code}: ${res.text}`);
  assert.equal(typeof res.json.error.message, 'string');
  if (id !== undefined) assert.deepEqual(res.json.id, id);
}

// ---------------------------------------------------------------------------------------------
// Tokens

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

export function crc32(text) {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function base62Fixed(value, width) {
  const out = new Array(width).fill('0');
  for (let i = width - 1; i >= 0; i--) {
    out[i] = BASE62[value % 62];
    value = Math.floor(value / 62);
  }
  return out.join('');
}

export function randomBase62(length) {
  let s = '';
  while (s.length < length) {
    for (const b of randomBytes(length * 2)) {
      if (b >= 248) continue;
      s += BASE62[b % 62];
      if (s.length === length) break;
    }
  }
  return s;
}

/** A well-formed token with a correct checksum that no Asgard ever issued. */
export function craftToken(prefix = 'asg_pat_') {
  const head = prefix + randomBase62(30);
  return head + base62Fixed(crc32(head), 6);
}

/** The same token with its last character changed to another base62 character. */
export function breakChecksum(token) {
  const last = token.at(-1);
  const replacement = last === 'A' ? 'B' : 'A';
  return token.slice(0, -1) + replacement;
}

/** Polls (no fixed sleep) until the wall clock is past the given instant. */
export async function waitUntilPast(ms) {
  while (Date.now() <= ms) await delay(Math.min(100, Math.max(1, ms - Date.now() + 1)));
}

// ---------------------------------------------------------------------------------------------
// nginx error log

const BAD_LOG_LINE = /\[(alert|crit|emerg)\]|exited on signal/;

/** Asserts the nginx error log has no alert, crit or emerg line and no crashed worker. */
export function assertErrorLogClean() {
  const log = readFileSync(env.errorLog, 'utf8');
  const bad = log.split('\n').filter((line) => BAD_LOG_LINE.test(line));
  assert.deepEqual(bad, [], `the nginx error log (${env.errorLog}) has alert/crit/emerg lines or a crashed worker`);
}
