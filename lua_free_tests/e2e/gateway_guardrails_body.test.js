// The guardrails read the whole request body (issue 14, items 4 and 5): every key and string the
// provider receives is scanned, found text is blocked or redacted in place wherever it is, an
// escaped NUL hides nothing from operator patterns, and operator patterns run in RE2: a pattern RE2
// refuses is refused by `asgard guardrail pattern add` (and refuses calls if stored anyway), and a
// pattern glibc's regexec ran in quadratic time neither slows the call nor stalls the worker.
// Every pattern added here is removed again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertCliFails, cli } from './control_helpers.js';
import {
  DEFAULT_MODEL,
  asgardOk,
  assertCompletion,
  assertOpenAIError,
  chat,
  newGatewayProject,
  nonce,
  providerLast,
  providerLastWith,
  removeModel,
  sqlText,
  syncGateway,
} from './gateway_helpers.js';
import { assertErrorLogClean, psql } from './helpers.js';

const SYNC = 'gwtest:sync-guardrails-body';
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
let p;

before(async () => {
  p = await newGatewayProject('e2e-gw-guard');
  await syncGateway(p.key, SYNC);
});
after(() => removeModel(SYNC));
after(assertErrorLogClean);

/** A chat body with a marker in its message; extra members merged in (data_class internal). */
const body = (marker, extra = {}) => ({
  model: DEFAULT_MODEL,
  messages: [{ role: 'user', content: `${marker} hello` }],
  data_class: 'internal',
  ...extra,
});

/** Adds an operator pattern for the duration of fn, then removes it (and waits for both). */
async function withPattern(pattern, fn) {
  const name = `gw-body-${nonce('')}`;
  asgardOk(['guardrail', 'pattern', 'add', name, pattern]);
  try {
    await syncGateway(p.key, SYNC);
    return await fn(name);
  } finally {
    cli(['guardrail', 'pattern', 'remove', name]);
    await syncGateway(p.key, SYNC);
  }
}

// Each place the issue found an AWS key reaching the provider verbatim.
const PLACES = {
  'tools[].function.description': (k) => ({
    tools: [{ type: 'function', function: { name: 'deploy', description: `uses ${k}`, parameters: { type: 'object' } } }],
  }),
  'prediction.content': (k) => ({ prediction: { type: 'content', content: `x = "${k}"` } }),
  'response_format.json_schema': (k) => ({
    response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object', description: k } } },
  }),
  metadata: (k) => ({ metadata: { note: k } }),
  user: (k) => ({ user: k }),
  stop: (k) => ({ stop: ['END', k] }),
  'an object key inside a message': (k) => ({ messages: [{ role: 'user', content: 'hello', [k]: 'x' }] }),
  'the value of role': (k) => ({ messages: [{ role: k, content: 'hello' }] }),
  'a top-level key': (k) => ({ [k]: true }),
};

describe('guardrails over the whole body', () => {
  test('an AWS key anywhere the provider reads is blocked (tools, prediction, response_format, metadata, user, stop, a key, role)', async () => {
    const leaked = [];
    for (const [place, member] of Object.entries(PLACES)) {
      const marker = nonce('place');
      const res = await chat(p.key, body(marker, member(AWS_KEY)));
      if (res.status === 200) {
        leaked.push(place);
        continue;
      }
      assertOpenAIError(res, 400, 'guardrail_blocked', /an AWS access key \(guardrail secrets, data_class internal\)/);
    }
    assert.deepEqual(leaked, [], `the AWS key reached the provider from: ${leaked.join(', ')}`);
    const last = await providerLast().catch(() => null);
    assert.ok(!last || !last.raw.includes(AWS_KEY), 'the provider never saw the key');
  });

  test('an e-mail (redact under internal) is redacted in place in every member and key; the provider gets valid JSON', async () => {
    const marker = nonce('redact');
    const mail = 'carol@example.net';
    const image = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const res = await chat(p.key, body(marker, {
      messages: [
        { role: 'user', content: [{ type: 'text', text: `${marker} hello` }, { type: 'image_url', image_url: { url: image } }], [`cc ${mail}`]: 'x' },
      ],
      tools: [{ type: 'function', function: { name: 'notify', description: `writes to ${mail}`, parameters: { type: 'object' } } }],
      prediction: { type: 'content', content: `to: ${mail}` },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object', description: mail } } },
      metadata: { [`owner ${mail}`]: mail, [`admin ${mail}`]: 'y', other: 'kept' },
      user: mail,
      stop: [mail, 'END'],
      temperature: 0.5,
    }));
    assertCompletion(res);
    const seen = await providerLastWith(marker);
    assert.ok(seen.body, `the provider got JSON: ${seen.raw}`);
    assert.ok(!seen.raw.includes(mail), `no e-mail reached the provider: ${seen.raw}`);
    const b = seen.body;
    const R = '[REDACTED:email]';
    assert.deepEqual(b.messages[0], {
      role: 'user', content: [{ type: 'text', text: `${marker} hello` }, { type: 'image_url', image_url: { url: image } }], [`cc ${R}`]: 'x',
    }, 'a key inside a message is redacted; the base64 image passes unchanged');
    assert.equal(b.tools[0].function.description, `writes to ${R}`);
    assert.equal(b.prediction.content, `to: ${R}`);
    assert.equal(b.response_format.json_schema.schema.description, R);
    assert.deepEqual(b.metadata, { [`owner ${R}`]: R, [`admin ${R}`]: 'y', other: 'kept' });
    assert.equal(b.user, R);
    assert.deepEqual(b.stop, [R, 'END']);
    assert.equal(b.temperature, 0.5);
    assert.equal(b.model, 'demo-gpt-5');
  });

  test('an escaped NUL hides nothing: an operator pattern and a built-in detector find what follows it', async () => {
    const word = nonce('zeus');
    await withPattern(`project-${word}-[0-9]+`, async (name) => {
      const res = await chat(p.key, body(nonce('nul'), { messages: [{ role: 'user', content: `a\u0000 PROJECT-${word.toUpperCase()}-42` }] }));
      assertOpenAIError(res, 400, 'guardrail_blocked', new RegExp(`pattern ${name} \\(guardrail patterns`));
    });
    const res = await chat(p.key, body(nonce('nul'), { messages: [{ role: 'user', content: `a\u0000 ${AWS_KEY}` }] }));
    assertOpenAIError(res, 400, 'guardrail_blocked', /guardrail secrets/);
  });

  test('asgard guardrail pattern add refuses what RE2 does not compile, with RE2\'s message, and stores nothing', () => {
    const name = `gw-bad-${nonce('')}`;
    assertCliFails(cli(['guardrail', 'pattern', 'add', name, 'a(b']), 2, /not a valid RE2 regular expression: missing \): a\(b/);
    assertCliFails(cli(['guardrail', 'pattern', 'add', name, '(a)\\1']), 2, /not a valid RE2 regular expression: invalid escape sequence: \\1/);
    assert.equal(psql(`SELECT count(*) FROM guardrail_patterns WHERE name = ${sqlText(name)}`), '0');
  });

  test('a stored pattern RE2 cannot compile refuses calls (503 guardrail_pattern_invalid) instead of being skipped', async () => {
    const name = `gw-stored-${nonce('')}`;
    psql(`INSERT INTO guardrail_patterns (name, pattern) VALUES (${sqlText(name)}, 'a(b')`);
    try {
      await syncGateway(p.key, SYNC);
      const res = await chat(p.key, body(nonce('broken')));
      const error = assertOpenAIError(res, 503, 'guardrail_pattern_invalid', new RegExp(`guardrail pattern ${name} is not a valid RE2 expression`));
      assert.ok(!error.message.includes('a(b'), 'the pattern itself is not shown to the client');
    } finally {
      psql(`DELETE FROM guardrail_patterns WHERE name = ${sqlText(name)}`);
    }
    await syncGateway(p.key, SYNC);
    assertCompletion(await chat(p.key, body(nonce('fixed'))));
  });

  test('a pattern regexec ran in quadratic time (password[^\\n]*= over 200 KB) answers fast and stalls no other request', async () => {
    await withPattern('password[^\\n]*=', async () => {
      const marker = nonce('quad');
      const text = `${marker} ${'password '.repeat(Math.ceil(200_000 / 9))}`;
      const session = p.session;
      const big = chat(p.key, body(marker, { messages: [{ role: 'user', content: text }] }));
      let done = false;
      big.finally(() => { done = true; });
      const pings = [];
      do {
        const started = Date.now();
        const res = await session.request('ping');
        assert.equal(res.status, 200, `ping answered ${res.status}: ${res.text}`);
        pings.push(Date.now() - started);
      } while (!done);
      const res = await big;
      assertCompletion(res, 'the 200 KB call');
      // regexec took 2.2 s for 100 KB and four times that for 200 KB; RE2 takes well under 10 ms.
      assert.ok(res.ms < 3000, `the 200 KB call took ${res.ms} ms`);
      assert.ok(Math.max(...pings) < 3000, `an MCP ping waited ${Math.max(...pings)} ms behind the scan (all: ${pings.join(', ')})`);
      // The pattern still blocks where it matches.
      const hit = await chat(p.key, body(nonce('quad'), { messages: [{ role: 'user', content: `${'password '.repeat(1000)}= x` }] }));
      assertOpenAIError(hit, 400, 'guardrail_blocked', /guardrail patterns/);
    });
  });
});
