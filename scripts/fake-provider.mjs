#!/usr/bin/env node
// A small deterministic OpenAI-compatible provider for local runs and tests (127.0.0.1 only):
// POST /v1/chat/completions answers "Hello from the Asgard demo provider. You said: ..." with
// usage, or as SSE chunks when stream is true (with a usage chunk when stream_options.include_usage).
// The upstream model name picks a behaviour: *-slow (waits 3 s), *-slow-stream (chunks every 300 ms),
// *-malformed (invalid JSON), *-error (HTTP 500), *-too-large (HTTP 413), *-no-usage (omits usage),
// *-big (a 300 kB answer). n choices are answered, their completion tokens summed in usage.
// GET /_last shows the last request's headers and body (for tests).
// Usage: fake-provider.mjs --port N [--pid-file F]
import http from 'node:http';
import fs from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const port = Number(opt('--port', '0'));
const pidFile = opt('--pid-file', '');
let last = null;

const tokens = (text) => Math.max(1, Math.ceil(text.length / 4));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function reply(messages) {
  const user = [...messages].reverse().find((m) => m.role === 'user');
  const said = typeof user?.content === 'string' ? user.content : JSON.stringify(user?.content ?? '');
  return `Hello from the Asgard demo provider. You said: ${said.slice(0, 200)}`;
}

async function chat(req, res, body) {
  let request;
  try {
    request = JSON.parse(body);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'invalid JSON', type: 'invalid_request_error', code: 'invalid_json' } }));
    return;
  }
  const model = String(request.model ?? '');
  const messages = Array.isArray(request.messages) ? request.messages : [];
  const text = model.endsWith('-big') ? 'big '.repeat(75_000) : reply(messages);
  const choices = Number.isInteger(request.n) && request.n > 0 ? request.n : 1;
  const promptTokens = tokens(messages.map((m) => (typeof m.content === 'string' ? m.content : '')).join(' '));
  const completionTokens = tokens(text) * choices;
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const id = 'chatcmpl-demo-' + Date.now().toString(36);
  const created = Math.floor(Date.now() / 1000);

  if (model.endsWith('-error')) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'the demo provider failed on purpose', type: 'server_error' } }));
    return;
  }
  if (model.endsWith('-too-large')) {
    res.writeHead(413, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'the demo provider refuses this request as too large', type: 'invalid_request_error' } }));
    return;
  }
  if (model.endsWith('-slow')) await sleep(3000);
  if (model.endsWith('-malformed')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": "' + id + '", "choices": [{"message": {"content": "trunc');
    return;
  }
  if (request.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const words = text.split(/(?<= )/);
    const pause = model.endsWith('-slow-stream') ? 300 : 2;
    for (const word of words) {
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })}\n\n`);
      await sleep(pause);
    }
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
    if (request.stream_options?.include_usage && !model.endsWith('-no-usage')) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
    return;
  }
  const answer = {
    id, object: 'chat.completion', created, model,
    choices: Array.from({ length: choices }, (_, index) => ({ index, message: { role: 'assistant', content: text }, finish_reason: 'stop' })),
  };
  if (!model.endsWith('-no-usage')) answer.usage = usage;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer));
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.method === 'GET' && req.url === '/_last') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(last));
      return;
    }
    if (req.method === 'POST' && req.url === '/v1/chat/completions') {
      last = { headers: req.headers, body };
      chat(req, res, body).catch(() => res.destroy());
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
  });
});
server.keepAliveTimeout = 60000;
server.listen(port, '127.0.0.1', () => {
  if (pidFile) fs.writeFileSync(pidFile, String(process.pid));
  process.stdout.write(`fake provider on 127.0.0.1:${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
