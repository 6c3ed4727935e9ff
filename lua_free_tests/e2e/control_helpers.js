// Helpers for the control-plane tests (projects, services, secrets, guidance, seed, cost, CLI,
// stdio): the asgard CLI with exit codes (synchronously, or asynchronously when the CLI must
// reach a server running in this process), the official SDK client, tool-result assertions,
// audit-log queries and small project/resource shortcuts.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { env, MCP_URL, psql } from './helpers.js';

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source the stack's env file (see scripts/test)`);
  return value;
}

/** The stack's state directory ($ASGARD_STATE_DIR). */
export const stateDir = () => requiredEnv('ASGARD_STATE_DIR');
/** The stack's asgard.conf (database_url, redis, master_key_file). */
export const configFile = () => join(stateDir(), 'asgard.conf');

/** The environment the asgard CLI runs with: the stack's database and config file. */
export function cliEnv(extra = {}) {
  return { ...process.env, ASGARD_DATABASE_URL: env.databaseUrl, ASGARD_CONFIG: configFile(), ...extra };
}

/** Runs the asgard CLI synchronously: { code, stdout, stderr }. Never throws on a non-zero exit. */
export function cli(args, { input, extraEnv, cwd } = {}) {
  const r = spawnSync(env.bin, args, {
    env: cliEnv(extraEnv),
    cwd,
    encoding: 'utf8',
    input: input ?? '',
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the asgard CLI without blocking the event loop (needed when the CLI calls back into an HTTP
 * server running in this process, e.g. a webhook): resolves { code, stdout, stderr }.
 */
export function cliAsync(args, { extraEnv, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(env.bin, args, { env: cliEnv(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

/** Asserts a CLI run exited 0; returns its stdout. */
export function assertCliOk(run, what = 'asgard') {
  assert.equal(run.code, 0, `${what} exited ${run.code}: ${run.stderr}${run.stdout}`);
  return run.stdout;
}

/** Asserts a CLI failure: the exit code and exactly one "asgard: ..." line on stderr. */
export function assertCliFails(run, code, pattern, what = 'asgard') {
  assert.equal(run.code, code, `${what} should exit ${code}, got ${run.code}: stdout=${run.stdout} stderr=${run.stderr}`);
  const message = run.stderr.replace(/\n$/, '');
  assert.ok(message.length > 0, `${what} prints an error on stderr`);
  assert.ok(!message.includes('\n'), `${what} prints a one-line error, got: ${JSON.stringify(run.stderr)}`);
  assert.match(message, /^asgard: /);
  if (pattern) assert.match(message, pattern);
  return message;
}

/** Runs a CLI command that must succeed and print JSON; returns the parsed value. */
export function cliJson(args) {
  const out = assertCliOk(cli(args), `asgard ${args.join(' ')}`);
  try {
    return JSON.parse(out);
  } catch (e) {
    throw new Error(`asgard ${args.join(' ')} --json printed something that is not JSON: ${out.slice(0, 500)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The official SDK client

/** A connected SDK client (the tool catalog is listed, so output schemas get validated). */
export async function sdkConnect(token, name = 'asgard-e2e-control') {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  await listAllTools(client);
  return client;
}

/** Every tool, following nextCursor. */
export async function listAllTools(client) {
  const tools = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** Ends the session and closes the client, ignoring a session the server already forgot. */
export async function sdkClose(client) {
  try {
    await client.transport?.terminateSession?.();
  } catch {
    // the session may already be gone
  }
  await client.close();
}

// ---------------------------------------------------------------------------------------------
// Tool results

/**
 * Asserts a successful CallToolResult: isError false, structuredContent, and a text block with the
 * same JSON. Returns structuredContent.
 */
export function assertOk(result, what = 'the tool call') {
  assert.ok(result, `${what} returned no result`);
  assert.equal(result.isError, false,
    `${what} failed: ${result.content?.[0]?.text ?? JSON.stringify(result)}`);
  assert.ok(result.structuredContent && typeof result.structuredContent === 'object', `${what} has structuredContent`);
  assert.ok(Array.isArray(result.content) && result.content.length >= 1, `${what} has content`);
  assert.equal(result.content[0].type, 'text');
  assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent,
    `${what}: the text block carries the same JSON as structuredContent`);
  return result.structuredContent;
}

/**
 * Asserts an isError CallToolResult: content[0].text is the message, structuredContent is exactly
 * {"error": {code, message}}. message: a string (exact) or a RegExp. Returns the message.
 */
export function assertToolError(result, code, message, what = 'the tool call') {
  assert.ok(result, `${what} returned no result`);
  assert.equal(result.isError, true, `${what} should fail with ${code}, got ${JSON.stringify(result.structuredContent).slice(0, 400)}`);
  assert.equal(result.content[0].type, 'text');
  const text = result.content[0].text;
  assert.deepEqual(Object.keys(result.structuredContent), ['error'], `${what}: structuredContent is {error}`);
  const { error } = result.structuredContent;
  assert.equal(error.code, code, `${what}: error code (message: ${text})`);
  assert.equal(error.message, text, `${what}: structuredContent.error.message equals the text block`);
  if (typeof message === 'string') assert.equal(text, message, `${what}: exact message`);
  else if (message) assert.match(text, message, `${what}: message`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// Shortcuts

export const currentYear = () => new Date().getUTCFullYear();

export const PROJECT_ID = /^proj-(\d{4})-(\d{4,})$/;

/** register_project through a raw session (helpers.openSession) or an SDK client. */
export async function registerProject(caller, args = {}) {
  const full = { name: args.name ?? 'e2e project', description: args.description ?? 'an end-to-end test project', ...args };
  const result = await callTool(caller, 'register_project', full);
  return assertOk(result, 'register_project').project;
}

/** tools/call on a raw session (has .call) or an SDK client (has .callTool). */
export async function callTool(caller, name, args) {
  if (typeof caller.callTool === 'function') return caller.callTool({ name, arguments: args });
  return caller.call(name, args);
}

/** request_resource that must succeed; returns { resource, credential }. */
export async function requestResource(caller, projectId, service, params, extra = {}) {
  const args = { service, ...extra };
  if (projectId) args.project_id = projectId;
  if (params !== undefined) args.params = params;
  return assertOk(await callTool(caller, 'request_resource', args), `request_resource ${service}`);
}

/** get_secret that must succeed; returns the value (recorded for the log scan of scripts/test). */
export async function getSecret(caller, projectId, name) {
  const args = { name };
  if (projectId) args.project_id = projectId;
  const value = assertOk(await callTool(caller, 'get_secret', args), `get_secret ${name}`).value;
  recordMinted(value);
  return value;
}

/** Remembers a secret value a test saw, so that scripts/scan-logs looks for it in every log even
 * after its row is gone (a released secret). */
export function recordMinted(value) {
  if (typeof value === 'string' && process.env.ASGARD_STATE_DIR) {
    appendFileSync(join(process.env.ASGARD_STATE_DIR, 'minted-values'), `${value}\n`, { mode: 0o600 });
  }
}

/** Mints a fresh project key with the CLI (any earlier key of the project is revoked): { key, id }. */
export function mintProjectKey(projectId) {
  const out = cliJson(['key', 'create', '--project', projectId, '--json']);
  assert.match(out.key, /^asg_/);
  return { key: out.key, id: out.id };
}

// ---------------------------------------------------------------------------------------------
// Audit log

/** Audit rows (all columns, as JSON objects) matching a SQL condition on alias a, oldest first. */
export function auditRows(condition = 'true') {
  const out = psql(`SELECT row_to_json(a) FROM audit_log a WHERE ${condition} ORDER BY id`);
  return out ? out.split('\n').map((line) => JSON.parse(line)) : [];
}

/** The id of the newest audit row (0 when empty). */
export function lastAuditId() {
  return Number(psql('SELECT coalesce(max(id), 0) FROM audit_log'));
}

/** Quotes a string as an SQL literal. */
export function sqlLiteral(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}
