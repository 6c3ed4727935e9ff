// The official MCP TypeScript SDK client against Asgard over Streamable HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { assertErrorLogClean, craftToken, MCP_URL, newUserToken, post } from './helpers.js';

after(assertErrorLogClean);

let token;
before(() => {
  ({ token } = newUserToken('e2e-sdk'));
});

function connectable() {
  const client = new Client({ name: 'asgard-e2e-sdk', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  return { client, transport };
}

describe('official MCP SDK client', () => {
  test('connects, lists tools, calls list_standards and get_standards, and terminates the session', async () => {
    const { client, transport } = connectable();
    await client.connect(transport);
    try {
      assert.ok(transport.sessionId, 'the transport holds the Mcp-Session-Id');
      assert.equal(client.getServerVersion().name, 'asgard');
      assert.ok(client.getServerCapabilities().tools, 'the server announces tools');
      assert.match(client.getInstructions() ?? '', /list_standards/);

      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      for (const name of ['list_standards', 'get_standards']) {
        assert.ok(byName.has(name), `tools/list has ${name}`);
        assert.equal(byName.get(name).inputSchema.type, 'object');
        assert.equal(byName.get(name).outputSchema?.type, 'object', `${name} has an outputSchema`);
      }

      const list = await client.callTool({ name: 'list_standards', arguments: {} });
      assert.equal(list.isError, false);
      const starters = ['engineering', 'security', 'workflow'];  // and whatever other tests wrote: standards are append-only
      assert.deepEqual(list.structuredContent.standards.map((s) => s.name).filter((n) => starters.includes(n)).sort(), starters);

      const get = await client.callTool({ name: 'get_standards', arguments: { name: 'security' } });
      assert.equal(get.isError, false);
      assert.equal(get.structuredContent.standards.length, 1);
      assert.equal(get.structuredContent.standards[0].name, 'security');
      assert.ok(get.structuredContent.standards[0].body.length > 0);

      await client.ping();

      const sessionId = transport.sessionId;
      await transport.terminateSession();
      assert.equal(transport.sessionId, undefined, 'the SDK forgets the ended session');

      // The ended session is gone on the server too.
      const res = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { token, sessionId });
      assert.equal(res.status, 404, res.text);
    } finally {
      await client.close();
    }
  });

  test('the SDK receives a failing get_standards call as an isError result (error results do not break the outputSchema)', async () => {
    // MCP: when a tool declares an outputSchema, any structuredContent must conform to it; the SDK
    // validates it and throws -32602 otherwise, so a tool error would never reach the agent.
    const { client, transport } = connectable();
    await client.connect(transport);
    try {
      await client.listTools(); // the SDK learns the output schemas here
      const unknown = await client.callTool({ name: 'get_standards', arguments: { name: 'no-such-standard' } });
      assert.equal(unknown.isError, true);
      assert.match(unknown.content[0].text, /no-such-standard/);
      const invalid = await client.callTool({ name: 'get_standards', arguments: { name: 5 } });
      assert.equal(invalid.isError, true);
      assert.match(invalid.content[0].text, /arguments\.name/);
      await transport.terminateSession();
    } finally {
      await client.close();
    }
  });

  test('a client that speaks only 2025-03-26 negotiates it and works', async () => {
    const { client, transport } = connectable();
    // Ask for 2025-03-26 in initialize, as a client built for that revision would.
    const send = transport.send.bind(transport);
    transport.send = (message, options) => {
      if (message.method === 'initialize') message.params.protocolVersion = '2025-03-26';
      return send(message, options);
    };
    await client.connect(transport);
    try {
      assert.equal(transport.protocolVersion, '2025-03-26');
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'list_standards'));
      const list = await client.callTool({ name: 'list_standards', arguments: {} });
      assert.equal(list.isError, false);
      assert.ok(list.structuredContent.standards.length >= 3, 'the three starters at least');
      await transport.terminateSession();
    } finally {
      await client.close();
    }
  });

  test('the SDK fails to connect with a token Asgard rejects with 401', async () => {
    const client = new Client({ name: 'asgard-e2e-sdk', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
      requestInit: { headers: { Authorization: `Bearer ${craftToken()}` } },
    });
    await assert.rejects(client.connect(transport));
    await client.close();
  });
});
