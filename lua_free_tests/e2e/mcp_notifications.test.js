// Resource notifications on a session's event stream (GET /mcp, 2025 revisions): initialize
// announces resources.subscribe and listChanged (over HTTP; not over stdio); a new published
// guidance or recipe, or a new standard, is notifications/resources/list_changed on every open
// stream; a new version of a resource a session subscribed to is notifications/resources/updated
// {uri} on that session's streams only, on any node (the change feed and the subscriptions are in
// PostgreSQL, written by triggers whatever path made the change: here the CLI); unsubscribe stops
// them; a session ended with DELETE ends its streams. Bad URIs are -32602. In 2026-07-28 the same
// notifications come on a subscriptions/listen stream: acknowledged first with the honoured filter,
// each tagged with the subscription's id, only the kinds the filter asked for, closed with the
// listen result when the server ends it (a reload).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';

import { assertErrorLogClean, GOOD_HEADERS, MCP_URL, newUserToken, openSession, uniqueName } from './helpers.js';
import { cli } from './control_helpers.js';
import { startNode } from './nginx_node.js';

after(assertErrorLogClean);

let dir;
let owner;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'asgard-notify-'));
  owner = newUserToken('e2e-notify');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Publishes a version of guidance NAME with the CLI (a new name makes a new resource). */
function publishGuidance(name, text) {
  const file = join(dir, `${name}.md`);
  writeFileSync(file, `# ${name}\n\n${text}\n`);
  const out = cli(['guidance', 'put', name, '--file', file, '--author', owner.user]);
  assert.equal(out.code, 0, out.stderr);
}

/** Waits until check() is true, looking every 50 ms for up to 10 s (the feed is read once a second). */
async function until(check, what) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await delay(50);
  }
}

/** Reads an event stream's body in the background: its JSON-RPC messages into stream.messages,
 * stream.ended once it is over (or aborted). */
function collectEvents(res, stream) {
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        stream.raw += decoder.decode(value, { stream: true });
        const events = stream.raw.split('\n\n');
        stream.raw = events.pop();
        for (const event of events) {
          const data = event.split('\n').find((l) => l.startsWith('data: '));
          if (data) stream.messages.push(JSON.parse(data.slice(6)));
        }
      }
    } catch { /* aborted */ }
    stream.ended = true;
  })();
}

/** A raw event stream: GET /mcp on a session; collects the JSON-RPC messages it receives. */
async function openStream(url, session) {
  const controller = new AbortController();
  const res = await fetch(url, { method: 'GET', signal: controller.signal,
    headers: { Accept: 'text/event-stream', Authorization: `Bearer ${session.token}`, 'Mcp-Session-Id': session.sessionId,
      'MCP-Protocol-Version': session.protocolVersion } });
  const stream = { res, messages: [], raw: '', ended: false, close: () => controller.abort() };
  if (res.status !== 200) return stream;
  collectEvents(res, stream);
  return stream;
}

const updates = (stream, uri) => stream.messages.filter((m) => m.method === 'notifications/resources/updated' && m.params.uri === uri);
const listChanges = (stream) => stream.messages.filter((m) => m.method === 'notifications/resources/list_changed');

describe('resource notifications', () => {
  test('initialize announces resources.subscribe and listChanged; the stream opens as text/event-stream', async () => {
    const session = await openSession(owner.token);
    assert.deepEqual(session.init.json.result.capabilities.resources, { subscribe: true, listChanged: true });
    const stream = await openStream(MCP_URL, session);
    try {
      assert.equal(stream.res.status, 200);
      assert.match(stream.res.headers.get('content-type'), /^text\/event-stream/);
      assert.equal(stream.res.headers.get('cache-control'), 'no-cache');
    } finally {
      stream.close();
    }
  });

  test('the official SDK client: subscribe, then list_changed for a new guidance and updated for its next version', async () => {
    const client = new Client({ name: 'asgard-e2e-notify', version: '1.0.0' });
    const seen = { listChanged: 0, updated: [] };
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => { seen.listChanged += 1; });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => { seen.updated.push(n.params.uri); });
    const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), { requestInit: { headers: { Authorization: `Bearer ${owner.token}` } } });
    await client.connect(transport);
    try {
      const name = uniqueName('notify-sdk');
      const uri = `asgard://guidance/${name}`;
      assert.deepEqual(await client.subscribeResource({ uri }), {});
      await delay(1200); // the SDK opens its GET stream after initialized: let it be registered
      publishGuidance(name, 'first version');
      await until(() => seen.listChanged > 0 && seen.updated.includes(uri), 'list_changed and updated');
      const before = seen.updated.length;
      publishGuidance(name, 'second version');
      await until(() => seen.updated.length > before, 'updated for the second version');
      assert.equal(seen.updated.at(-1), uri);
      const read = await client.readResource({ uri });
      assert.match(read.contents[0].text, /second version/);
    } finally {
      await client.close();
    }
  });

  test('updated goes only to subscribers, on any node; unsubscribe stops it; list_changed goes to every stream', async () => {
    const other = await startNode();
    try {
      const subscriber = await openSession(owner.token);
      const bystander = await openSession(newUserToken('e2e-notify-other').token);
      const name = uniqueName('notify-raw');
      const uri = `asgard://guidance/${name}`;
      const sub = await subscriber.request('resources/subscribe', { uri });
      assert.deepEqual(sub.json.result, {}, sub.text);
      // The subscriber's stream on the second node, the bystander's on the first.
      const far = await openStream(`${other.url}/mcp`, subscriber);
      const near = await openStream(MCP_URL, bystander);
      try {
        assert.equal(far.res.status, 200);
        assert.equal(near.res.status, 200);
        publishGuidance(name, 'v1');
        await until(() => updates(far, uri).length === 1 && listChanges(near).length >= 1, 'the first version told');
        assert.ok(listChanges(far).length >= 1, 'list_changed on the subscriber stream too');
        assert.deepEqual(updates(near, uri), [], 'the bystander did not subscribe');

        const unsub = await subscriber.request('resources/unsubscribe', { uri });
        assert.deepEqual(unsub.json.result, {}, unsub.text);
        const marker = uniqueName('notify-marker');
        publishGuidance(name, 'v2');
        publishGuidance(marker, 'a new resource after v2'); // list_changed after v2's row: when it is seen, v2 was looked at
        await until(() => listChanges(far).length >= 2, 'the marker told');
        assert.equal(updates(far, uri).length, 1, 'no updated after unsubscribe');
      } finally {
        far.close();
        near.close();
      }
    } finally {
      await other.stop();
    }
  });

  test('a quiet stream gets a keep-alive comment (asgard_mcp_stream_keepalive 1s on a node of its own)', async () => {
    const node = await startNode({ http: { asgard_mcp_stream_keepalive: '1s' } });
    try {
      const session = await openSession(owner.token);
      const controller = new AbortController();
      const res = await fetch(`${node.url}/mcp`, { method: 'GET', signal: controller.signal,
        headers: { Accept: 'text/event-stream', Authorization: `Bearer ${owner.token}`, 'Mcp-Session-Id': session.sessionId } });
      assert.equal(res.status, 200);
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      while (!/: keep-alive\n\n/.test(text)) text += decoder.decode((await reader.read()).value, { stream: true });
      assert.match(text, /^: asgard event stream\n\n/);
      controller.abort();
      assert.deepEqual(node.errorLogText().split('\n').filter((l) => /\[(alert|crit|emerg)\]|exited on signal/.test(l)), []);
    } finally {
      await node.stop();
    }
  });

  test('a reload: the old worker ends its streams cleanly (no socket left open); the client reconnects to the new worker', async () => {
    const node = await startNode();
    try {
      const session = await openSession(owner.token);
      const stream = await openStream(`${node.url}/mcp`, session);
      assert.equal(stream.res.status, 200);
      process.kill(node.pid, 'SIGHUP');
      await until(() => stream.ended, 'the old worker to end the stream');
      const again = await openStream(`${node.url}/mcp`, session);
      assert.equal(again.res.status, 200, 'the new worker opens the stream again');
      again.close();
      await delay(300);
      const bad = node.errorLogText().split('\n').filter((l) => /\[(alert|crit|emerg)\]|exited on signal|open socket/.test(l));
      assert.deepEqual(bad, []);
    } finally {
      await node.stop();
    }
  });

  test('a session ended with DELETE ends its stream; subscribing needs a resource that can change', async () => {
    const session = await openSession(owner.token);
    for (const uri of ['asgard://standards/security/versions/1', 'asgard://seed/core/agents', 'test://watched-resource', 'asgard://guidance/Bad Name']) {
      const res = await session.request('resources/subscribe', { uri });
      assert.equal(res.json.error.code, -32602, `${uri}: ${res.text}`);
    }
    const missing = await session.request('resources/subscribe', {});
    assert.equal(missing.json.error.code, -32602);
    const stream = await openStream(MCP_URL, session);
    assert.equal(stream.res.status, 200);
    const ended = await fetch(MCP_URL, { method: 'DELETE', headers: { ...GOOD_HEADERS, Authorization: `Bearer ${owner.token}`, 'Mcp-Session-Id': session.sessionId } });
    assert.equal(ended.status, 204);
    await until(() => stream.ended, 'the stream to end');
    const again = await openStream(MCP_URL, session);
    assert.equal(again.res.status, 404, 'an ended session opens no stream');
  });
});

const MODERN = '2026-07-28';
const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** A subscriptions/listen stream on url: collects its messages as openStream does. */
async function listen(url, token, id, notifications) {
  const controller = new AbortController();
  const res = await fetch(url, { method: 'POST', signal: controller.signal,
    headers: { ...GOOD_HEADERS, Authorization: `Bearer ${token}`, 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'subscriptions/listen' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { notifications,
      _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }) });
  const stream = { res, messages: [], raw: '', ended: false, close: () => controller.abort() };
  if (!/event-stream/.test(res.headers.get('content-type') ?? '')) {
    stream.json = await res.json();
    return stream;
  }
  collectEvents(res, stream);
  return stream;
}

describe('subscriptions/listen (2026-07-28)', () => {
  test('server/discover announces subscribe and listChanged for resources', async () => {
    const res = await fetch(MCP_URL, { method: 'POST',
      headers: { ...GOOD_HEADERS, Authorization: `Bearer ${owner.token}`, 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'server/discover' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: {
        _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } } }) });
    const body = await res.json();
    assert.deepEqual(body.result.capabilities.resources, { subscribe: true, listChanged: true });
  });

  test('acknowledged first with the honoured filter; then list_changed and updated, tagged with the subscription id, on any node', async () => {
    const other = await startNode();
    const name = uniqueName('listen');
    const uri = `asgard://guidance/${name}`;
    const both = await listen(`${other.url}/mcp`, owner.token, 'sub-1', {
      resourcesListChanged: true, toolsListChanged: true, resourceSubscriptions: [uri, 'test://not-ours', 'asgard://seed/core/agents'] });
    const updatesOnly = await listen(MCP_URL, owner.token, 2, { resourceSubscriptions: [uri] });
    try {
      assert.equal(both.res.status, 200);
      await until(() => both.messages.length >= 1 && updatesOnly.messages.length >= 1, 'the acknowledgements');
      assert.deepEqual(both.messages[0], { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: {
        notifications: { resourcesListChanged: true, resourceSubscriptions: [uri] }, _meta: { [SUBSCRIPTION_ID]: 'sub-1' } } });
      assert.deepEqual(updatesOnly.messages[0].params.notifications, { resourceSubscriptions: [uri] });
      assert.equal(updatesOnly.messages[0].params._meta[SUBSCRIPTION_ID], 2);

      publishGuidance(name, 'listened v1');
      await until(() => updates(both, uri).length === 1 && updates(updatesOnly, uri).length === 1, 'updated on both streams');
      await until(() => listChanges(both).length === 1, 'list_changed on the stream that asked for it');
      for (const m of both.messages.slice(1)) assert.equal(m.params._meta[SUBSCRIPTION_ID], 'sub-1', JSON.stringify(m));
      for (const m of updatesOnly.messages.slice(1)) assert.equal(m.params._meta[SUBSCRIPTION_ID], 2, JSON.stringify(m));
      assert.deepEqual(listChanges(updatesOnly), [], 'list_changed was not asked for');
      assert.ok(!both.messages.some((m) => m.method === 'notifications/tools/list_changed'));
    } finally {
      both.close();
      updatesOnly.close();
      await other.stop();
    }
  });

  test('a reload closes the stream with the listen result; a bad filter is -32602', async () => {
    const node = await startNode();
    try {
      const stream = await listen(`${node.url}/mcp`, owner.token, 'closing', { resourcesListChanged: true });
      await until(() => stream.messages.length >= 1, 'the acknowledgement');
      process.kill(node.pid, 'SIGHUP');
      await until(() => stream.ended, 'the stream to end');
      const last = stream.messages.at(-1);
      assert.equal(last.id, 'closing');
      assert.equal(last.result._meta[SUBSCRIPTION_ID], 'closing');
      assert.equal(last.result.resultType, 'complete');
    } finally {
      await node.stop();
    }
    for (const notifications of [undefined, { resourcesListChanged: 'yes' }, { resourceSubscriptions: 'asgard://standards/security' }]) {
      const bad = await listen(MCP_URL, owner.token, 9, notifications);
      assert.equal(bad.res.status, 400, JSON.stringify(notifications));
      assert.equal(bad.json.error.code, -32602);
      assert.equal(bad.json.id, 9);
    }
  });
});
