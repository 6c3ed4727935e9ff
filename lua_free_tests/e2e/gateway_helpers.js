// Helpers for the governed LLM gateway tests (POST /api/gateway/chat, GET /api/gateway/models):
// a project with its key minted over MCP, raw calls, the official openai client pointed at the
// gateway, the demo provider's view of the last request (GET /_last), models of our own for the
// demo provider's special behaviours, waiting until the gateway has loaded a configuration
// change, and the spend and call log rows the gateway writes in batches.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

import OpenAI from 'openai';

import { assertCliOk, cli } from './control_helpers.js';
import { env, newUserToken, openSession, psql } from './helpers.js';

export const CHAT_PATH = '/api/gateway/chat';
export const MODELS_PATH = '/api/gateway/models';
export const DEFAULT_MODEL = 'model:default/gpt-5';
export const DEFAULT_UPSTREAM_MODEL = 'demo-gpt-5';
// model:default/gpt-5's prices (scripts/stack), USD per million tokens.
export const DEFAULT_PRICE_IN = 1.25;
export const DEFAULT_PRICE_OUT = 10;

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: source the stack's env file (see scripts/test)`);
  return value;
}

export const providerUrl = () => requiredEnv('ASGARD_PROVIDER_URL').replace(/\/+$/, '');
export const stateDir = () => requiredEnv('ASGARD_STATE_DIR');

/** proxy_read_timeout of the gateway location in the stack's nginx.conf, in ms (60 s by default). */
export function providerTimeoutMs() {
  const conf = readFileSync(join(stateDir(), 'nginx', 'nginx.conf'), 'utf8');
  const m = /location = \/api\/gateway\/chat \{[^}]*?proxy_read_timeout (\d+)(ms|s|m)?;/s.exec(conf);
  if (!m) return 60_000;
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's']);
}

/** A duration directive of the stack's nginx.conf (its first match), in ms, or fallback. */
function confDurationMs(pattern, fallback) {
  const m = pattern.exec(readFileSync(join(stateDir(), 'nginx', 'nginx.conf'), 'utf8'));
  if (!m) return fallback;
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] || 's']);
}

/** The token cache's TTL (asgard_token_cache ... ttl=), in ms. */
export const tokenCacheTtlMs = () => confDurationMs(/asgard_token_cache [^;]*ttl=(\d+)(ms|s|m)?/, 10_000);
/** asgard_io_timeout (PostgreSQL and Redis deadlines), in ms (5 s by default). */
export const ioTimeoutMs = () => confDurationMs(/asgard_io_timeout (\d+)(ms|s|m)?;/, 5000);

/** The demo provider's API key, as scripts/stack stored it (what the gateway must send upstream). */
export function demoProviderKey() {
  return readFileSync(join(stateDir(), 'provider', 'demo.key'), 'utf8').trim();
}

export const sqlText = (text) => `'${String(text).replaceAll("'", "''")}'`;

/** A short random marker to find a request in the provider's log or in the audit log. */
export const nonce = (prefix = 'n') => `${prefix}${randomBytes(6).toString('hex')}`;

/** Polls fn (sync or async) until it returns a truthy value; returns that value. */
export async function eventually(fn, { timeoutMs = 10_000, intervalMs = 50, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last) return last;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (lastError ? `: ${lastError.message}` : `; last value ${JSON.stringify(last)?.slice(0, 500)}`));
    }
    await delay(intervalMs);
  }
}

/** The worker processes of a node's master (its children: pgrep by parent pid, not by name). */
export function workerPids(masterPid) {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(masterPid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out.split('\n').filter(Boolean).map(Number).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker process'); } catch { return false; }
  });
}

// ---------------------------------------------------------------------------------------------
// The CLI

/** Runs the asgard CLI and asserts it succeeded; returns stdout. */
export function asgardOk(args) {
  return assertCliOk(cli(args), `asgard ${args.join(' ')}`);
}

/**
 * Adds (or updates) a model on the demo provider. Options: provider, priceIn, priceOut,
 * dataClasses (array), maxOutputTokens.
 */
export function addModel(alias, upstreamModel, { provider = 'demo', priceIn = 1, priceOut = 1, dataClasses = ['public', 'internal'], maxOutputTokens } = {}) {
  const args = ['model', 'add', alias, '--provider', provider, '--upstream-model', upstreamModel,
    '--price-in', String(priceIn), '--price-out', String(priceOut), '--data-classes', dataClasses.join(',')];
  if (maxOutputTokens) args.push('--max-output-tokens', String(maxOutputTokens));
  asgardOk(args);
}

/** Removes a model if it exists (cleanup). */
export function removeModel(alias) {
  cli(['model', 'remove', alias]);
}

// ---------------------------------------------------------------------------------------------
// Projects and keys

/**
 * A fresh user, its MCP session, a project it registered and the project key minted with
 * gateway_credential: { user, userToken, session, projectId, key, keyId }.
 */
export async function newGatewayProject(prefix = 'e2e-gw') {
  const { user, token } = newUserToken(prefix);
  const session = await openSession(token);
  const registered = await session.call('register_project', { name: `${prefix} project`, description: 'gateway end-to-end tests' });
  assert.equal(registered.isError, false, `register_project failed: ${JSON.stringify(registered)}`);
  const projectId = registered.structuredContent.project.project_id;
  const minted = await session.call('gateway_credential', { project_id: projectId });
  assert.equal(minted.isError, false, `gateway_credential failed: ${JSON.stringify(minted)}`);
  const { key, key_id: keyId } = minted.structuredContent;
  assert.match(key, /^asg_(?!pat_)[0-9A-Za-z]{36}$/, 'gateway_credential returns a project key asg_...');
  assert.equal(minted.structuredContent.project_id, projectId);
  return { user, userToken: token, session, projectId, key, keyId };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export async function readResponse(res) {
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * POST /api/gateway/chat. body: an object (JSON) or a string/Buffer sent as is. Options: key
 * (null: no Authorization), headers (extra), signal. Resolves { status, headers, text, json, ms }.
 */
export async function chat(key, body, { headers = {}, signal } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (key) h.authorization = `Bearer ${key}`;
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const started = Date.now();
  const res = await fetch(`${env.url}${CHAT_PATH}`, { method: 'POST', headers: h, body: payload, signal });
  const out = await readResponse(res);
  out.ms = Date.now() - started;
  return out;
}

/** A minimal chat body: one user message. */
export function chatBody(content, extra = {}) {
  return { model: DEFAULT_MODEL, messages: [{ role: 'user', content }], data_class: 'internal', ...extra };
}

/** GET /api/gateway/models with a key (or none). */
export async function listModels(key) {
  const headers = key ? { authorization: `Bearer ${key}` } : {};
  return readResponse(await fetch(`${env.url}${MODELS_PATH}`, { headers }));
}

/** Asserts an OpenAI-style error: status, {"error": {message, type, code}} and (optionally) the message. */
export function assertOpenAIError(res, status, code, message) {
  assert.equal(res.status, status, `expected HTTP ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `a ${status} is JSON`);
  assert.ok(res.json && typeof res.json.error === 'object' && res.json.error !== null, `expected {"error": {...}}, got: ${res.text}`);
  assert.deepEqual(Object.keys(res.json).sort(), ['error'], `the body is exactly {"error": ...}: ${res.text}`);
  const { error } = res.json;
  assert.equal(typeof error.message, 'string', `error.message is a string: ${res.text}`);
  assert.ok(error.message.length > 0, 'error.message is not empty');
  assert.equal(typeof error.type, 'string', `error.type is a string: ${res.text}`);
  assert.equal(error.code, code, `error.code: ${res.text}`);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message) assert.match(error.message, message);
  return error;
}

/** Asserts a 200 chat.completion with content and usage; returns the content. */
export function assertCompletion(res, what = 'the call') {
  assert.equal(res.status, 200, `${what} answered ${res.status}: ${res.text}`);
  assert.equal(res.json?.object, 'chat.completion', `${what}: a chat.completion: ${res.text}`);
  const content = res.json.choices?.[0]?.message?.content;
  assert.equal(typeof content, 'string', `${what}: choices[0].message.content: ${res.text}`);
  assert.ok(res.json.usage && Number.isInteger(res.json.usage.prompt_tokens), `${what}: usage: ${res.text}`);
  return content;
}

export const REQUEST_ID = /^[0-9a-f]{32}$/;

/**
 * Streams a chat call with fetch and parses its SSE events: { status, headers, events (parsed
 * data objects), done (saw [DONE]), text (raw) }.
 */
export async function streamChat(key, body, { headers = {} } = {}) {
  const res = await fetch(`${env.url}${CHAT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ ...body, stream: true }),
  });
  const text = await res.text();
  const events = [];
  let done = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') { done = true; continue; }
    try { events.push(JSON.parse(data)); } catch { events.push({ unparsable: data }); }
  }
  return { status: res.status, headers: res.headers, events, done, text };
}

// ---------------------------------------------------------------------------------------------
// The official openai client

/**
 * The official openai client, unmodified, pointed at the gateway's OpenAI base (baseURL
 * .../api/gateway/v1: it posts to .../chat/completions, lists .../models). No retries unless asked.
 */
export function openaiClient(key, options = {}) {
  return new OpenAI({ apiKey: key, baseURL: `${env.url}/api/gateway/v1`, maxRetries: 0, ...options });
}

// ---------------------------------------------------------------------------------------------
// The demo provider

/** The demo provider's last request: { headers, body (parsed), raw, path }. */
export async function providerLast() {
  const res = await fetch(`${providerUrl()}/_last`);
  assert.equal(res.status, 200);
  const last = await res.json();
  assert.ok(last, 'the demo provider has seen a request');
  let body = null;
  try { body = JSON.parse(last.body); } catch { body = null; }
  return { headers: last.headers, body, raw: last.body, path: last.path };
}

/** The provider's last request, once it carries the given marker in its body. */
export async function providerLastWith(marker) {
  return eventually(async () => {
    const last = await providerLast();
    return last.raw.includes(marker) ? last : null;
  }, { timeoutMs: 5000, what: `the demo provider to see a request with ${marker}` });
}

// ---------------------------------------------------------------------------------------------
// Waiting for the gateway to load a configuration change

/**
 * Waits until the gateway serves a configuration at least as new as every change committed before
 * this call. A snapshot is read table by table with the models before kill switches, rate limits,
 * guardrails, settings and budgets, so once the models list shows a marker written after the
 * change, everything committed before the marker is loaded too. The marker model (alias) is
 * removed with removeModel(alias) when the file is done.
 */
export async function syncGateway(key, alias = 'gwtest:sync') {
  const marker = 1000 + Math.floor(Math.random() * 1_000_000);
  addModel(alias, 'demo-sync', { maxOutputTokens: marker });
  await eventually(async () => {
    const res = await listModels(key);
    if (res.status !== 200) return false;
    return res.json.data.some((m) => m.id === alias && m.max_output_tokens === marker);
  }, { timeoutMs: 10_000, intervalMs: 30, what: 'the gateway to load the configuration change' });
}

// ---------------------------------------------------------------------------------------------
// Spend and call log rows (written by the gateway about once a second)

/** spend_daily rows of a project: [{ model, token_id, requests, input_tokens, output_tokens, cost_usd }]. */
export function spendRows(projectId) {
  const out = psql(`SELECT row_to_json(s) FROM (SELECT model, token_id, requests, input_tokens, output_tokens,
    cost_usd::float8 AS cost_usd FROM spend_daily WHERE project_id = ${sqlText(projectId)} ORDER BY model) s`);
  return out ? out.split('\n').map((line) => JSON.parse(line)) : [];
}

/** The project's recorded spend in USD (all days). */
export function spendTotal(projectId) {
  return Number(psql(`SELECT coalesce(sum(cost_usd), 0)::float8 FROM spend_daily WHERE project_id = ${sqlText(projectId)}`));
}

/** Waits until the project's spend rows satisfy predicate(rows); returns the rows. */
export async function waitForSpend(projectId, predicate, what = 'the spend rows') {
  return eventually(() => {
    const rows = spendRows(projectId);
    return predicate(rows) ? rows : null;
  }, { timeoutMs: 15_000, intervalMs: 100, what });
}

/**
 * A project's rows in the gateway's call log (gateway_calls), oldest first: id, at, project_id,
 * token_id, model, data_class, outcome, status, input_tokens, output_tokens, cost_usd (a string
 * with six decimals), redacted, request_id.
 */
export function gatewayCallRows(projectId) {
  const out = psql(`SELECT row_to_json(c) FROM (SELECT id, at, project_id, token_id, model, data_class, outcome, status,
    input_tokens, output_tokens, to_char(cost_micro_usd / 1e6, 'FM9999999990.000000') AS cost_usd, redacted, request_id
    FROM gateway_calls WHERE project_id = ${sqlText(projectId)} ORDER BY id) c`);
  return out ? out.split('\n').map((line) => JSON.parse(line)) : [];
}

/** Waits until every request id has its row in the call log; returns the rows by request id. */
export async function waitForCalls(projectId, requestIds) {
  return eventually(() => {
    const rows = gatewayCallRows(projectId);
    const byId = new Map();
    for (const r of rows) {
      if (!byId.has(r.request_id)) byId.set(r.request_id, []);
      byId.get(r.request_id).push(r);
    }
    return requestIds.every((id) => byId.has(id)) ? byId : null;
  }, { timeoutMs: 15_000, intervalMs: 100, what: `call log rows for ${requestIds.length} gateway calls` });
}

/** The number of audit log and call log rows whose text contains needle. */
export function logRowsContaining(needle) {
  const like = sqlText(`%${needle}%`);
  return Number(psql(`SELECT (SELECT count(*) FROM audit_log a WHERE a::text LIKE ${like})
    + (SELECT count(*) FROM gateway_calls c WHERE c::text LIKE ${like})`));
}

// ---------------------------------------------------------------------------------------------
// What a call reserves

/**
 * The gateway's estimate of a call's input tokens, from the body the provider gets (its text, as
 * GET /_last shows it): a third of a token per ASCII byte (rounded up), one per byte of a
 * non-ASCII character, three per \uXXXX escape.
 */
export function estimateInputTokens(providerBody) {
  const b = Buffer.from(providerBody, 'utf8');
  let ascii = 0;
  let tokens = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] >= 0x80) tokens += 1;
    else if (b[i] === 0x5c && b[i + 1] === 0x75) { tokens += 3; i += 5; }
    else if (b[i] === 0x5c) { ascii += 2; i += 1; }
    else ascii += 1;
  }
  return tokens + Math.floor((ascii + 2) / 3);
}

/**
 * The body the provider gets for a chat body sent as JSON.stringify(body) (no redaction): Asgard's
 * data_class gone, the model renamed in place, stream_options.include_usage on streams, and
 * max_completion_tokens: maxOutput added when the body gives no output limit.
 */
export function providerBodyOf(body, upstreamModel, maxOutput) {
  const out = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'data_class' || k === 'asgard') continue;
    if ((k === 'max_tokens' || k === 'max_completion_tokens') && v === null) continue;
    out[k] = k === 'model' ? upstreamModel : v;
  }
  if (body.stream === true) {
    const options = { ...(body.stream_options ?? {}) };
    delete options.include_usage;
    out.stream_options = { ...options, include_usage: true };
  }
  if (out.max_tokens === undefined && out.max_completion_tokens === undefined) out.max_completion_tokens = maxOutput;
  return JSON.stringify(out);
}

// ---------------------------------------------------------------------------------------------
// Rate-limit windows

/**
 * Waits, if needed, so that at least needMs remain in the current wall-clock minute: the gateway
 * counts requests and tokens per key per UTC minute (now / 60000).
 */
export async function roomInMinute(needMs) {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await delay(left + 50);
  return Math.floor(Date.now() / 60_000);
}
