// asgard mcp: MCP over stdio with the same tools, acting as an existing local user ($ASGARD_USER,
// default "operator"; an unknown one is refused, never created), with ASGARD_PROJECT as the default
// project of project-scoped tools.
// stdout carries only protocol messages; a garbage line gets -32700 with id null and the server
// keeps going.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';

import { addUser, assertErrorLogClean, env, LATEST_VERSION, newUserToken, openSession, PARSE_ERROR, SERVER_ERROR, uniqueName } from './helpers.js';
import { assertOk, assertToolError, auditRows, cli, cliJson, configFile, lastAuditId, listAllTools, registerProject } from './control_helpers.js';

after(assertErrorLogClean);

const stdioEnv = (extra = {}) => {
  const e = { ...process.env, ASGARD_CONFIG: configFile(), ...extra };
  if (!('ASGARD_USER' in extra)) delete e.ASGARD_USER; // the default local user: "operator"
  if (!('ASGARD_PROJECT' in extra)) delete e.ASGARD_PROJECT;
  return e;
};

/** An SDK client over `asgard mcp`; collects stderr and transport errors (non-protocol stdout). */
async function stdioClient(extraEnv = {}) {
  const transport = new StdioClientTransport({ command: env.bin, args: ['mcp'], env: stdioEnv(extraEnv), stderr: 'pipe' });
  const errors = [];
  let stderr = '';
  transport.stderr.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'asgard-e2e-stdio', version: '1.0.0' });
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  return {
    client,
    errors,
    get stderr() { return stderr; },
    call: (name, args) => client.callTool({ name, arguments: args }),
    close: () => client.close(),
  };
}

let operatorProject; // registered over stdio by the operator

before(async () => {
  // asgard mcp never creates users: the default local user "operator" is made here, as ./scripts/run does.
  if (!cliJson(['user', 'list', '--json']).some((u) => u.name === 'operator')) cli(['user', 'add', 'operator', '--admin']);
  const s = await stdioClient();
  try {
    await listAllTools(s.client);
    operatorProject = (await registerProject(s.client, { name: 'stdio project', description: 'registered by the local operator' })).project_id;
  } finally {
    await s.close();
  }
});

describe('asgard mcp with the SDK StdioClientTransport', () => {
  test('initialize, tools/list, and project-scoped calls without project_id under ASGARD_PROJECT', async () => {
    const s = await stdioClient({ ASGARD_PROJECT: operatorProject });
    try {
      assert.equal(s.client.getServerVersion().name, 'asgard');
      assert.ok(s.client.getServerCapabilities().tools);
      // Resource updates need a session's GET stream: none over stdio.
      assert.deepEqual(s.client.getServerCapabilities().resources, { subscribe: false, listChanged: false });
      await assert.rejects(s.client.request({ method: 'resources/subscribe', params: { uri: 'asgard://standards/security' } }, EmptyResultSchema),
        /Method not found: resources\/subscribe needs a Streamable HTTP session/);
      const tools = await listAllTools(s.client);
      assert.equal(tools.length, 23);
      for (const name of ['register_project', 'get_project', 'get_cost', 'get_secret', 'seed_plan']) {
        assert.ok(tools.some((t) => t.name === name), `tools/list has ${name}`);
      }

      const project = assertOk(await s.call('get_project', {}), 'get_project').project;
      assert.equal(project.project_id, operatorProject);
      assert.equal(project.owner, 'operator');
      assert.equal(project.your_role, 'owner');

      const cost = assertOk(await s.call('get_cost', {}), 'get_cost');
      assert.equal(cost.project_id, operatorProject);
      assert.equal(cost.currency, 'USD');

      const { resource } = assertOk(await s.call('request_resource', { service: 'secret', params: { name: `STDIO_${Date.now()}` } }));
      assert.equal(resource.project_id, operatorProject);
      assert.equal(resource.state, 'ready');
      const secret = assertOk(await s.call('get_secret', { name: resource.outputs.secret }));
      assert.match(secret.value, /^[0-9A-Za-z]{32}$/);

      const who = assertOk(await s.call('whoami', {}));
      assert.equal(who.user, 'operator');
      assert.equal(who.admin, true);
      assert.equal(who.credential.kind, 'local');
      assert.ok(who.projects.some((p) => p.project_id === operatorProject && p.role === 'owner'));

      await s.client.ping();
      assert.deepEqual(s.errors, [], 'stdout carried only protocol messages');
    } finally {
      await s.close();
    }
  });

  test('ASGARD_USER names an existing user: asgard mcp acts as that user', async () => {
    const name = addUser('e2e-stdio-local', { admin: true });
    const s = await stdioClient({ ASGARD_USER: name });
    try {
      const who = assertOk(await s.call('whoami', {}));
      assert.equal(who.user, name);
      assert.equal(who.admin, true);
      assert.equal(who.credential.kind, 'local');
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });

  test('an unknown ASGARD_USER is refused: no user is created, the client gets a JSON-RPC error naming asgard user add, exit 1', async () => {
    const name = uniqueName('e2e-stdio-typo');
    const transport = new StdioClientTransport({ command: env.bin, args: ['mcp'], env: stdioEnv({ ASGARD_USER: name }), stderr: 'pipe' });
    let stderr = '';
    transport.stderr.on('data', (d) => { stderr += d; });
    const client = new Client({ name: 'asgard-e2e-stdio', version: '1.0.0' });
    const fix = `asgard mcp: no user '${name}': create it with asgard user add ${name} --admin (or set ASGARD_USER to an existing user)`;
    let refused;
    try {
      await client.connect(transport);
    } catch (e) {
      refused = e;
    } finally {
      await client.close().catch(() => {});
    }
    assert.ok(refused, 'initialize must fail');
    assert.match(refused.message, new RegExp(`create it with asgard user add ${name} --admin`));
    assert.equal(stderr.trim(), fix, 'one line on stderr names the fix');
    assert.equal(cliJson(['user', 'list', '--json']).some((u) => u.name === name), false, 'no user was created');
  });

  test('stdio calls are audited as local:operator without a credential', async () => {
    const since = lastAuditId();
    const s = await stdioClient({ ASGARD_PROJECT: operatorProject });
    try {
      assertOk(await s.call('gateway_credential', {}));
    } finally {
      await s.close();
    }
    const rows = auditRows(`id > ${since} AND tool = 'gateway_credential'`);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].actor, 'local:operator');
    assert.equal(rows[0].credential_id, null);
    assert.equal(rows[0].project_id, operatorProject);
    assert.equal(rows[0].outcome, 'ok');
  });

  test('without ASGARD_PROJECT a project-scoped call needs project_id', async () => {
    const s = await stdioClient();
    try {
      assertToolError(await s.call('get_project', {}), 'project_id_required', 'project_id is required for a user token');
      assert.equal(assertOk(await s.call('get_project', { project_id: operatorProject })).project.project_id, operatorProject);
    } finally {
      await s.close();
    }
  });

  test('the operator is an admin: it may act on a project it does not own', async () => {
    const { token } = newUserToken('e2e-stdio-owner');
    const theirs = (await registerProject(await openSession(token), { name: 'not the operator\'s', description: 'x' })).project_id;
    const s = await stdioClient({ ASGARD_PROJECT: theirs });
    try {
      const project = assertOk(await s.call('get_project', {})).project;
      assert.equal(project.project_id, theirs);
      assert.notEqual(project.owner, 'operator');
      assert.equal(assertOk(await s.call('get_cost', {})).project_id, theirs);
    } finally {
      await s.close();
    }
  });
});

describe('asgard mcp spawned directly', () => {
  /** Spawns asgard mcp; lines() resolves once stdout has n complete lines. */
  function spawnMcp(extraEnv = {}) {
    const child = spawn(env.bin, ['mcp'], { env: stdioEnv(extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const waiters = [];
    const check = () => {
      const lines = out.split('\n').slice(0, -1);
      for (const w of [...waiters]) if (lines.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(lines); }
    };
    child.stdout.on('data', (d) => { out += d; check(); });
    child.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`asgard mcp exited (${code ?? signal}) before ${w.n} lines: ${err}`));
      resolve({ code, signal });
    }));
    return {
      child,
      write: (text) => child.stdin.write(text),
      lines: (n) => new Promise((resolve, reject) => { waiters.push({ n, resolve, reject }); check(); }),
      exited,
      get stderr() { return err; },
    };
  }

  test('a garbage line gets -32700 with id null, then a ping is answered: the server did not exit', async () => {
    const mcp = spawnMcp();
    try {
      mcp.write('this is not json\n');
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' })}\n`);
      const lines = await mcp.lines(2);
      const [parseError, pong] = lines.map((l) => JSON.parse(l));
      assert.equal(parseError.jsonrpc, '2.0');
      assert.equal(parseError.id, null);
      assert.equal(parseError.error.code, PARSE_ERROR);
      assert.deepEqual(pong, { jsonrpc: '2.0', id: 7, result: {} });
      assert.equal(mcp.child.exitCode, null, 'still running');

      // A full handshake still works on the same process.
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'initialize', params: { protocolVersion: LATEST_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })}\n`);
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'whoami', arguments: {} } })}\n`);
      const all = (await mcp.lines(4)).map((l) => JSON.parse(l));
      assert.equal(all[2].id, 8);
      assert.equal(all[2].result.protocolVersion, LATEST_VERSION);
      assert.equal(all[3].id, 9, 'a notification gets no answer');
      assert.equal(all[3].result.structuredContent.credential.kind, 'local');
    } finally {
      mcp.child.stdin.end();
    }
    const { code } = await mcp.exited;
    assert.equal(code, 0, `asgard mcp exits 0 at the end of its input: ${mcp.stderr}`);
  });

  test('a member given twice (in arguments too) is -32600 naming it, with the id, and the server keeps going', async () => {
    const mcp = spawnMcp();
    try {
      mcp.write('{"jsonrpc":"2.0","id":"dup","method":"tools/call","params":{"name":"whoami","arguments":{"x":1,"x":2}}}\n');
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'after', method: 'ping' })}\n`);
      const [refused, pong] = (await mcp.lines(2)).map((l) => JSON.parse(l));
      assert.equal(refused.id, 'dup');
      assert.equal(refused.error.code, -32600);
      assert.match(refused.error.message, /duplicate member "x" in params\.arguments/);
      assert.deepEqual(pong, { jsonrpc: '2.0', id: 'after', result: {} });
    } finally {
      mcp.child.stdin.end();
    }
    assert.equal((await mcp.exited).code, 0);
  });

  test('an unknown ASGARD_USER: the first request gets a -32000 error with its id naming the fix, then exit 1', async () => {
    const name = uniqueName('e2e-stdio-raw-typo');
    const mcp = spawnMcp({ ASGARD_USER: name });
    let line;
    try {
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'first', method: 'initialize', params: { protocolVersion: LATEST_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } })}\n`);
      [line] = await mcp.lines(1);
    } finally {
      mcp.child.stdin.end(); // a server that wrongly kept going exits at the end of its input
    }
    assert.deepEqual(JSON.parse(line), {
      jsonrpc: '2.0',
      id: 'first',
      error: { code: SERVER_ERROR, message: `asgard mcp: no user '${name}': create it with asgard user add ${name} --admin (or set ASGARD_USER to an existing user)` },
    });
    const { code } = await mcp.exited;
    assert.equal(code, 1);
  });

  test('an empty line is ignored and an empty batch is -32600 with id null', async () => {
    const mcp = spawnMcp();
    try {
      mcp.write('\n   \n[]\n');
      mcp.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'p', method: 'ping' })}\n`);
      const [first, second] = (await mcp.lines(2)).map((l) => JSON.parse(l));
      assert.equal(first.id, null);
      assert.equal(first.error.code, -32600);
      assert.equal(second.id, 'p');
    } finally {
      mcp.child.stdin.end();
    }
    assert.equal((await mcp.exited).code, 0);
  });
});
