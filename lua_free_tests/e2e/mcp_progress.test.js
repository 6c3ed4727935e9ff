// Progress of tool calls that provision: a tools/call whose params._meta carries a progressToken
// gets notifications/progress (numbered steps with a message: recorded, the driver at work, made,
// ready) as Server-Sent Events on its POST answer while the pool thread works, then the answer as
// the last event; over stdio the notifications are lines before the answer. The official SDK's
// onprogress receives them. Without a token, or for a tool that reports nothing, the answer stays
// plain JSON.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

import { assertErrorLogClean, env, GOOD_HEADERS, MCP_URL, newUserToken, openSession, post, psqlSession } from './helpers.js';
import { assertOk, cli, cliJson, configFile, registerProject, sdkClose, sdkConnect } from './control_helpers.js';

after(assertErrorLogClean);

const MODERN = '2026-07-28';
const modernMeta = (extra = {}) => ({
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  ...extra,
});

let owner;
let client;
before(async () => {
  owner = newUserToken('e2e-progress');
  client = await sdkConnect(owner.token, 'asgard-e2e-progress');
});
after(async () => {
  if (client) await sdkClose(client);
});

/** The JSON-RPC messages of a Server-Sent Events body, in order. */
function sseMessages(text) {
  return text.split('\n\n').filter((e) => e.trim()).map((event) => {
    const lines = event.split('\n');
    assert.ok(lines.includes('event: message'), `an event of type message: ${event}`);
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
    assert.equal(data.length, 1, 'one data line an event');
    return JSON.parse(data[0]);
  });
}

/** Checks notifications for a self-service request: numbered from 1, every step told, naming the request. */
function assertProvisioningSteps(notes, token, requestId) {
  assert.ok(notes.length >= 4, `four steps at least: ${JSON.stringify(notes)}`);
  notes.forEach((n, i) => {
    assert.equal(n.progressToken, token);
    assert.equal(n.progress, i + 1, 'progress counts the steps');
    assert.equal(typeof n.message, 'string');
  });
  assert.match(notes[0].message, new RegExp(`^request ${requestId} recorded: postgres-database is self-service`));
  assert.ok(notes.some((n) => /driver is making it/.test(n.message)), 'the driver step is told');
  assert.equal(notes.at(-1).message, `${requestId} is ready`);
}

describe('progress of request_resource', () => {
  test('the official SDK client receives each step through onprogress, then the ready resource', async () => {
    const project = (await registerProject(client, { name: 'progress sdk' })).project_id;
    const seen = [];
    const result = await client.callTool({ name: 'request_resource', arguments: { project_id: project, service: 'postgres-database' } },
      undefined, { onprogress: (p) => seen.push(p) });
    const { resource } = assertOk(result, 'request_resource');
    assert.equal(resource.state, 'ready');
    assert.ok(seen.length >= 4, JSON.stringify(seen));
    seen.forEach((p, i) => assert.equal(p.progress, i + 1));
    assert.match(seen[0].message, new RegExp(`request ${resource.resource_id} recorded`));
    assert.equal(seen.at(-1).message, `${resource.resource_id} is ready`);
  });

  test('over HTTP the answer is an event stream: the notifications for the token, then the result with the request id', async () => {
    const project = (await registerProject(client, { name: 'progress raw' })).project_id;
    const session = await openSession(owner.token);
    const res = await session.send({ jsonrpc: '2.0', id: 41, method: 'tools/call', params: {
      name: 'request_resource', arguments: { project_id: project, service: 'postgres-database' }, _meta: { progressToken: 'tok-41' } } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const messages = sseMessages(res.text);
    const answer = messages.at(-1);
    assert.equal(answer.id, 41);
    const resource = answer.result.structuredContent.resource;
    assert.equal(resource.state, 'ready');
    const notes = messages.slice(0, -1);
    notes.forEach((m) => assert.equal(m.method, 'notifications/progress'));
    assertProvisioningSteps(notes.map((m) => m.params), 'tok-41', resource.resource_id);
  });

  test('each step goes out while the call still works: the client reads "recording" before the blocked write finishes', async () => {
    const project = (await registerProject(client, { name: 'progress live' })).project_id;
    const session = await openSession(owner.token);
    // Hold the secrets table: the call stops at its last step (recording the DATABASE_URL) until released.
    const locker = psqlSession();
    locker.send('BEGIN; LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE; SELECT \'locked\';');
    await locker.waitFor(/locked/);
    let released = false;
    try {
      const res = await fetch(MCP_URL, { method: 'POST', headers: { ...GOOD_HEADERS, Authorization: `Bearer ${owner.token}`, 'Mcp-Session-Id': session.sessionId },
        body: JSON.stringify({ jsonrpc: '2.0', id: 48, method: 'tools/call', params: {
          name: 'request_resource', arguments: { project_id: project, service: 'postgres-database' }, _meta: { progressToken: 'live' } } }) });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /^text\/event-stream/);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      let seenBeforeRelease = [];
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (!released && /recording its outputs and secrets/.test(text)) {
          // The answer cannot have been written: its last step is still waiting for the lock.
          seenBeforeRelease = sseMessages(text.slice(0, text.lastIndexOf('\n\n') + 2));
          locker.send('COMMIT;');
          released = true;
        }
      }
      assert.ok(released, `the recording step was told before the call could finish: ${text}`);
      assert.deepEqual(seenBeforeRelease.map((m) => m.method), ['notifications/progress', 'notifications/progress', 'notifications/progress']);
      assert.ok(seenBeforeRelease.every((m) => m.id === undefined), 'no answer before the lock was released');
      const messages = sseMessages(text);
      assert.equal(messages.at(-1).id, 48);
      assert.equal(messages.at(-1).result.structuredContent.resource.state, 'ready');
      assert.equal(messages.at(-2).params.message, `${messages.at(-1).result.structuredContent.resource.resource_id} is ready`);
    } finally {
      if (!released) locker.send('COMMIT;');
      await locker.end();
    }
  });

  test('a review-tier request tells that it waits for approval; an integer token is echoed as an integer', async () => {
    const project = (await registerProject(client, { name: 'progress review' })).project_id;
    const session = await openSession(owner.token);
    const res = await session.send({ jsonrpc: '2.0', id: 42, method: 'tools/call', params: {
      name: 'request_resource', arguments: { project_id: project, service: 'auth0-app', params: { app_type: 'spa' }, justification: 'login for the web app' },
      _meta: { progressToken: 7 } } });
    assert.equal(res.status, 200, res.text);
    const messages = sseMessages(res.text);
    const [note, answer] = messages;
    assert.equal(messages.length, 2, res.text);
    assert.deepEqual(Object.keys(note.params).sort(), ['message', 'progress', 'progressToken']);
    assert.equal(note.params.progressToken, 7);
    assert.match(note.params.message, /auth0-app is review-tier and waits for an admin's approval/);
    assert.equal(answer.result.structuredContent.resource.state, 'pending_approval');
  });

  test('2026-07-28: the same stream on a stateless request, the answer shaped as that revision says', async () => {
    const project = (await registerProject(client, { name: 'progress modern' })).project_id;
    const res = await post({ jsonrpc: '2.0', id: 43, method: 'tools/call', params: {
      name: 'request_resource', arguments: { project_id: project, service: 'postgres-database' },
      _meta: modernMeta({ progressToken: 'modern-43' }) } },
    { token: owner.token, protocolVersion: MODERN, headers: { 'Mcp-Method': 'tools/call', 'Mcp-Name': 'request_resource' } });
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type'), /^text\/event-stream/);
    const messages = sseMessages(res.text);
    const answer = messages.at(-1);
    assert.equal(answer.result.resultType, 'complete');
    assertProvisioningSteps(messages.slice(0, -1).map((m) => m.params), 'modern-43', answer.result.structuredContent.resource.resource_id);
  });

  test('without a token, or for a tool that reports no steps, the answer is plain JSON', async () => {
    const project = (await registerProject(client, { name: 'progress none' })).project_id;
    const session = await openSession(owner.token);
    const plain = await session.send({ jsonrpc: '2.0', id: 44, method: 'tools/call', params: {
      name: 'request_resource', arguments: { project_id: project, service: 'secret', params: { name: 'PLAIN' } } } });
    assert.match(plain.headers.get('content-type'), /^application\/json/);
    assert.equal(plain.json.result.structuredContent.resource.state, 'ready');
    const quiet = await session.send({ jsonrpc: '2.0', id: 45, method: 'tools/call', params: {
      name: 'whoami', arguments: {}, _meta: { progressToken: 'tok-45' } } });
    assert.equal(quiet.status, 200);
    assert.match(quiet.headers.get('content-type'), /^application\/json/);
    assert.equal(quiet.json.id, 45);
  });
});

describe('progress over stdio', () => {
  test('asgard mcp writes each notification as a line before the answer; the SDK client receives them', async () => {
    if (!cliJson(['user', 'list', '--json']).some((u) => u.name === 'operator')) cli(['user', 'add', 'operator', '--admin']);
    const e = { ...process.env, ASGARD_CONFIG: configFile() };
    delete e.ASGARD_USER;
    delete e.ASGARD_PROJECT;
    const transport = new StdioClientTransport({ command: env.bin, args: ['mcp'], env: e, stderr: 'pipe' });
    const stdio = new Client({ name: 'asgard-e2e-progress-stdio', version: '1.0.0' });
    await stdio.connect(transport);
    try {
      const project = (await registerProject(stdio, { name: 'progress stdio' })).project_id;
      const seen = [];
      const result = await stdio.callTool({ name: 'request_resource', arguments: { project_id: project, service: 'postgres-database' } },
        undefined, { onprogress: (p) => seen.push(p) });
      const { resource } = assertOk(result, 'request_resource');
      assert.equal(resource.state, 'ready');
      assert.ok(seen.length >= 4, JSON.stringify(seen));
      assert.equal(seen.at(-1).message, `${resource.resource_id} is ready`);
    } finally {
      await stdio.close();
    }
  });
});
