// No token reaches nginx's error log: nginx logs a whole bad header line ("client sent duplicate
// header line: ...", invalid characters) at info, so the shipped configs log at notice or above.
// Raw requests with a real user token and a real project key in such lines, to /mcp and the
// gateway, leave neither in the stack's error log.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { before, test } from 'node:test';

import { newGatewayProject } from './gateway_helpers.js';
import { env, HOST, PORT } from './helpers.js';

let project;

before(async () => {
  project = await newGatewayProject('e2e-logsecrets');
});

/** Sends raw bytes as one HTTP/1.1 request and resolves with the status line's code. */
function rawExchange(head) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(PORT, HOST);
    let data = '';
    socket.setTimeout(5000, () => { socket.destroy(); reject(new Error('no answer in 5 s')); });
    socket.on('data', (d) => { data += d.toString('latin1'); });
    socket.on('end', () => resolve(Number(data.split(' ')[1])));
    socket.on('error', reject);
    socket.write(head);
  });
}

test('bad header lines carrying real tokens are answered 400 and never logged', async () => {
  const pat = project.userToken;
  const key = project.key;
  const host = `Host: ${HOST}:${PORT}\r\n`;
  const cases = [
    ['POST /mcp', `Authorization: Bearer ${pat}\r\nAuthorization: Bearer ${pat}\r\n`],
    ['POST /api/gateway/chat', `Authorization: Bearer ${key}\r\nAuthorization: Bearer ${key}\r\n`],
    ['POST /mcp', `Authorization: Bearer ${pat}\0x\r\n`],
    ['POST /api/gateway/chat', `X-Note: ${key}\rBearer\r\n`],
    ['GET /api/gateway/models', `Authorization: Bearer ${key}\r\nX-Bad\0Header: ${key}\r\n`],
  ];
  for (const [line, headers] of cases) {
    const status = await rawExchange(`${line} HTTP/1.1\r\n${host}${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`);
    assert.equal(status, 400, `${line} with a bad header line gets nginx's 400`);
  }
  const log = readFileSync(env.errorLog, 'utf8');
  assert.ok(!log.includes(pat), 'the user token is not in the error log');
  assert.ok(!log.includes(key), 'the project key is not in the error log');
  assert.doesNotMatch(log, /client sent (duplicate header line|invalid header line)/,
    'nginx logs bad header lines at info, below the shipped error_log level');
});
