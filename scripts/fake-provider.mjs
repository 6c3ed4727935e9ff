#!/usr/bin/env node
// A small deterministic LLM provider for local runs and tests (127.0.0.1 only), OpenAI-compatible
// and Anthropic at once:
// POST /v1/chat/completions answers "Hello from the Asgard demo provider. You said: ..." with
// usage, or as SSE chunks when stream is true (with a usage chunk when stream_options.include_usage);
// POST /v1/embeddings answers 8-dimensional vectors (floats, or base64 as the openai client asks);
// POST /v1/responses answers a Responses API object, or its response.* events when streaming;
// POST /v1/messages answers an Anthropic message, or its message_* / content_block_* events when
// streaming; POST /v1/messages/count_tokens answers {"input_tokens": N}.
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

/** The text of a message's content: a string, or content blocks / parts with text. */
function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((b) => (typeof b === 'string' ? b : b?.text ?? '')).join('');
  return JSON.stringify(content ?? '');
}

function reply(messages) {
  const user = [...messages].reverse().find((m) => m.role === 'user');
  const said = user ? textOf(user.content) : '';
  return `Hello from the Asgard demo provider. You said: ${said.slice(0, 200)}`;
}

function parse(res, body) {
  try {
    return JSON.parse(body);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'invalid JSON', type: 'invalid_request_error', code: 'invalid_json' } }));
    return null;
  }
}

const sse = (res, event, data) => res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`);

function embeddings(res, body) {
  const request = parse(res, body);
  if (!request) return;
  const inputs = Array.isArray(request.input) ? request.input : [request.input];
  const data = inputs.map((input, index) => {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    const vector = Array.from({ length: 8 }, (_, i) => ((text.length * (i + 1)) % 97) / 97);
    const embedding = request.encoding_format === 'base64'
      ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    return { object: 'embedding', index, embedding };
  });
  const promptTokens = tokens(inputs.map((i) => (typeof i === 'string' ? i : JSON.stringify(i))).join(' '));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ object: 'list', data, model: String(request.model ?? ''), usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }));
}

async function responses(res, body) {
  const request = parse(res, body);
  if (!request) return;
  const model = String(request.model ?? '');
  const input = typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : (request.input ?? []);
  const text = reply(input.filter((i) => i && (i.role || i.type === 'message')));
  const inputTokens = tokens(JSON.stringify(request.input ?? '') + (request.instructions ?? ''));
  const outputTokens = tokens(text);
  const id = 'resp_demo' + Date.now().toString(36);
  const created = Math.floor(Date.now() / 1000);
  const message = (t, status) => ({ type: 'message', id: 'msg_demo1', status, role: 'assistant', content: t === null ? [] : [{ type: 'output_text', text: t, annotations: [] }] });
  const response = (status, output, usage) => ({
    id, object: 'response', created_at: created, status, model, output, usage,
    instructions: request.instructions ?? null, max_output_tokens: request.max_output_tokens ?? null,
    parallel_tool_calls: true, tool_choice: 'auto', tools: [], text: { format: { type: 'text' } }, error: null, incomplete_details: null,
  });
  const usage = { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
  if (!request.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...response('completed', [message(text, 'completed')], usage), output_text: text }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let seq = 0;
  const send = (type, data) => sse(res, type, { type, sequence_number: seq++, ...data });
  send('response.created', { response: response('in_progress', [], null) });
  send('response.output_item.added', { output_index: 0, item: message(null, 'in_progress') });
  send('response.content_part.added', { item_id: 'msg_demo1', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
  for (const word of text.split(/(?<= )/)) {
    if (res.destroyed) return;
    send('response.output_text.delta', { item_id: 'msg_demo1', output_index: 0, content_index: 0, delta: word });
    await sleep(model.endsWith('-slow-stream') ? 300 : 2);
  }
  send('response.output_text.done', { item_id: 'msg_demo1', output_index: 0, content_index: 0, text });
  send('response.content_part.done', { item_id: 'msg_demo1', output_index: 0, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
  send('response.output_item.done', { output_index: 0, item: message(text, 'completed') });
  send('response.completed', { response: response('completed', [message(text, 'completed')], usage) });
  res.end();
}

async function messages(res, body) {
  const request = parse(res, body);
  if (!request) return;
  const model = String(request.model ?? '');
  const all = Array.isArray(request.messages) ? request.messages : [];
  const inputTokens = tokens(JSON.stringify(all) + textOf(request.system ?? ''));
  if (model.endsWith('-error')) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'the demo provider failed on purpose' } }));
    return;
  }
  const text = reply(all);
  const outputTokens = tokens(text);
  const id = 'msg_demo' + Date.now().toString(36);
  const base = { id, type: 'message', role: 'assistant', model, stop_sequence: null };
  if (!request.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...base, content: [{ type: 'text', text }], stop_reason: 'end_turn', usage: { input_tokens: inputTokens, output_tokens: outputTokens } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  sse(res, 'message_start', { type: 'message_start', message: { ...base, content: [], stop_reason: null, usage: { input_tokens: inputTokens, output_tokens: 1 } } });
  sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  sse(res, 'ping', { type: 'ping' });
  for (const word of text.split(/(?<= )/)) {
    if (res.destroyed) return;
    sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } });
    await sleep(model.endsWith('-slow-stream') ? 300 : 2);
  }
  sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
  sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: outputTokens } });
  sse(res, 'message_stop', { type: 'message_stop' });
  res.end();
}

function countTokens(res, body) {
  const request = parse(res, body);
  if (!request) return;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ input_tokens: tokens(JSON.stringify(request.messages ?? []) + textOf(request.system ?? '')) }));
}

const routes = {
  '/v1/chat/completions': (req, res, body) => chat(req, res, body),
  '/v1/embeddings': (req, res, body) => embeddings(res, body),
  '/v1/responses': (req, res, body) => responses(res, body),
  '/v1/messages': (req, res, body) => messages(res, body),
  '/v1/messages/count_tokens': (req, res, body) => countTokens(res, body),
};

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
    const route = req.method === 'POST' ? routes[req.url] : undefined;
    if (route) {
      last = { headers: req.headers, body, path: req.url };
      Promise.resolve(route(req, res, body)).catch(() => res.destroy());
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
