// The frameworks apps are built with, pointed at the gateway unmodified: LangChain's ChatOpenAI
// (chat completions) and the Vercel AI SDK (@ai-sdk/openai: its default Responses model and
// .chat), a call and a stream each, each call governed and logged under the project's key.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';

import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, streamText } from 'ai';

import { DEFAULT_MODEL, eventually, gatewayCallRows, newGatewayProject, nonce, providerLastWith } from './gateway_helpers.js';
import { assertErrorLogClean, env } from './helpers.js';

after(assertErrorLogClean);

const BASE = () => `${env.url}/api/gateway/v1`;
const HEADERS = { 'X-Asgard-Data-Class': 'internal' };

/** Waits until the project's call log holds `count` served calls; returns them. */
const servedCalls = (projectId, count) => eventually(() => {
  const rows = gatewayCallRows(projectId).filter((r) => r.outcome === 'ok');
  return rows.length >= count ? rows : null;
}, { what: `${count} served calls in the call log` });

describe('LangChain ChatOpenAI', () => {
  test('invoke and stream through /chat/completions', async () => {
    const p = await newGatewayProject('e2e-gw-langchain');
    const llm = new ChatOpenAI({ model: DEFAULT_MODEL, apiKey: p.key, maxRetries: 0,
      configuration: { baseURL: BASE(), defaultHeaders: HEADERS } });
    const marker = nonce('lc');
    const answer = await llm.invoke(`hello ${marker}`);
    assert.match(String(answer.content), new RegExp(marker));
    assert.equal((await providerLastWith(marker)).path, '/v1/chat/completions');

    const streamMarker = nonce('ls');
    let text = '';
    for await (const chunk of await llm.stream(`stream ${streamMarker}`)) text += chunk.content;
    assert.match(text, new RegExp(streamMarker));
    const rows = await servedCalls(p.projectId, 2);
    assert.ok(rows.every((r) => r.model === DEFAULT_MODEL && r.output_tokens > 0), JSON.stringify(rows));
  });
});

describe('the Vercel AI SDK', () => {
  test('the default model (the Responses API) and .chat (chat completions): generateText and streamText', async () => {
    const p = await newGatewayProject('e2e-gw-aisdk');
    const openai = createOpenAI({ baseURL: BASE(), apiKey: p.key, headers: HEADERS });
    const seenPaths = [];
    for (const [model, path] of [[openai(DEFAULT_MODEL), '/v1/responses'], [openai.chat(DEFAULT_MODEL), '/v1/chat/completions']]) {
      const marker = nonce('ai');
      const { text } = await generateText({ model, prompt: `hello ${marker}`, maxRetries: 0 });
      assert.match(text, new RegExp(marker));
      seenPaths.push((await providerLastWith(marker)).path);
      assert.equal(seenPaths.at(-1), path);

      const streamMarker = nonce('as');
      const result = streamText({ model, prompt: `stream ${streamMarker}`, maxRetries: 0 });
      let streamed = '';
      for await (const part of result.textStream) streamed += part;
      assert.match(streamed, new RegExp(streamMarker));
      const usage = await result.usage;
      assert.ok(usage.outputTokens > 0, `the stream reports usage: ${JSON.stringify(usage)}`);
    }
    const rows = await servedCalls(p.projectId, 4);
    assert.ok(rows.every((r) => r.model === DEFAULT_MODEL && r.output_tokens > 0 && r.data_class === 'internal'), JSON.stringify(rows));
  });
});
