// The gateway's governance decisions, each answered with an OpenAI-style error: kill switches
// (global, project, model), the model catalog, data_class (required, known, allowed for the model,
// the operator's default), and the guardrails over the prompt (secrets, cards by Luhn, e-mail
// redacted or blocked per data class, operator patterns, rules changed by the operator). Every
// global setting changed here is restored in a finally block.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { cli } from './control_helpers.js';
import {
  DEFAULT_MODEL,
  addModel,
  asgardOk,
  assertCompletion,
  assertOpenAIError,
  chat,
  chatBody,
  eventually,
  listModels,
  newGatewayProject,
  nonce,
  providerLastWith,
  removeModel,
  syncGateway,
} from './gateway_helpers.js';
import { assertErrorLogClean, craftToken } from './helpers.js';

const SYNC = 'gwtest:sync-governance';
const OTHER_MODEL = 'gwtest:governance-other';
let p; // the main project
let q; // a second project, for switches scoped to one project

before(async () => {
  p = await newGatewayProject('e2e-gw-gov');
  q = await newGatewayProject('e2e-gw-gov2');
  addModel(OTHER_MODEL, 'demo-other', { dataClasses: ['public', 'internal'] });
  await syncGateway(p.key, SYNC);
});

after(async () => {
  // Leave nothing switched on, even if a test failed half-way.
  cli(['killswitch', 'off']);
  cli(['killswitch', 'off', '--project', p?.projectId ?? 'none']);
  cli(['killswitch', 'off', '--model', OTHER_MODEL]);
  cli(['settings', 'set', 'gateway.default_data_class', 'none']);
  cli(['guardrail', 'set', '--data-class', 'internal', '--detector', 'email', '--action', 'redact']);
  removeModel(OTHER_MODEL);
  removeModel(SYNC);
});
after(assertErrorLogClean);

/** Polls a call until its status is the expected one; returns { res, ms } (ms since start). */
async function untilStatus(call, status, timeoutMs = 5000) {
  const start = Date.now();
  const res = await eventually(async () => {
    const r = await call();
    return r.status === status ? r : null;
  }, { timeoutMs, intervalMs: 20, what: `HTTP ${status}` });
  return { res, ms: Date.now() - start };
}

const ok = (key, extra = {}) => chat(key, chatBody('hello', extra));

describe('kill switches', () => {
  test('global: every call gets 503 kill_switch within about a second, with the reason; off restores service', async () => {
    assertCompletion(await ok(p.key));
    try {
      asgardOk(['killswitch', 'on', '--reason', 'e2e drill']);
      const { res, ms } = await untilStatus(() => ok(p.key), 503);
      assert.ok(ms < 2000, `obeyed within ~1 s (took ${ms} ms)`);
      assertOpenAIError(res, 503, 'kill_switch', /switched off for all calls: e2e drill/);
      assert.equal(res.json.error.type, 'service_unavailable');
      assertOpenAIError(await ok(q.key), 503, 'kill_switch');
      assertOpenAIError(await ok(q.key, { model: OTHER_MODEL }), 503, 'kill_switch');
      const models = await listModels(p.key);
      assert.ok(models.json.data.every((m) => m.killed === true), 'the models list shows every model killed');
    } finally {
      asgardOk(['killswitch', 'off']);
    }
    const { ms } = await untilStatus(() => ok(p.key), 200);
    assert.ok(ms < 2000, `back within ~1 s (took ${ms} ms)`);
  });

  test('project: that project gets 503, another project is served', async () => {
    try {
      asgardOk(['killswitch', 'on', '--project', p.projectId]);
      const { res } = await untilStatus(() => ok(p.key), 503);
      assertOpenAIError(res, 503, 'kill_switch', new RegExp(`switched off for project ${p.projectId}`));
      assertCompletion(await ok(q.key), 'the other project');
      const mine = await listModels(p.key);
      assert.equal(mine.json.data.find((m) => m.id === DEFAULT_MODEL).killed, true);
      const theirs = await listModels(q.key);
      assert.equal(theirs.json.data.find((m) => m.id === DEFAULT_MODEL).killed, false);
    } finally {
      asgardOk(['killswitch', 'off', '--project', p.projectId]);
    }
    await untilStatus(() => ok(p.key), 200);
  });

  test('model: that model gets 503, another model is served', async () => {
    try {
      asgardOk(['killswitch', 'on', '--model', OTHER_MODEL, '--reason', 'bad outputs']);
      const { res } = await untilStatus(() => ok(p.key, { model: OTHER_MODEL }), 503);
      assertOpenAIError(res, 503, 'kill_switch', new RegExp(`switched off for model ${OTHER_MODEL}: bad outputs`));
      assertCompletion(await ok(p.key), 'another model');
    } finally {
      asgardOk(['killswitch', 'off', '--model', OTHER_MODEL]);
    }
    await untilStatus(() => ok(p.key, { model: OTHER_MODEL }), 200);
  });
});

describe('the model catalog', () => {
  test('an unknown model: 404 model_not_found listing the models the key may use', async () => {
    const res = await ok(p.key, { model: 'model:default/gpt-99' });
    assertOpenAIError(res, 404, 'model_not_found', /unknown model 'model:default\/gpt-99'; this key may use: .*model:default\/gpt-5/);
    assert.equal(res.json.error.type, 'not_found_error');
  });

  test('a model that is removed stops being served; its name then gets 404', async () => {
    const alias = `gwtest:${nonce('gone')}`;
    addModel(alias, 'demo-gone');
    try {
      await untilStatus(() => ok(p.key, { model: alias }), 200);
    } finally {
      removeModel(alias);
    }
    const { res } = await untilStatus(() => ok(p.key, { model: alias }), 404);
    assertOpenAIError(res, 404, 'model_not_found');
  });

  test('model must be a string', async () => {
    assertOpenAIError(await ok(p.key, { model: 5 }), 400, 'missing_model');
  });
});

describe('data_class', () => {
  test('missing: 400 missing_data_class', async () => {
    const res = await chat(p.key, { model: DEFAULT_MODEL, messages: [{ role: 'user', content: 'hi' }] });
    assertOpenAIError(res, 400, 'missing_data_class', /data_class is required/);
    assert.equal(res.json.error.type, 'invalid_request_error');
  });

  test('unknown or not a string: 400 invalid_data_class', async () => {
    for (const dc of ['secret', 'INTERNAL', '', 5, null, ['internal']]) {
      const res = await ok(p.key, { data_class: dc });
      if (dc === null) {
        // JSON null: treated as given and invalid, or as absent (then the missing default applies).
        assert.equal(res.status, 400, `data_class null: ${res.text}`);
        assert.ok(['invalid_data_class', 'missing_data_class'].includes(res.json.error.code), res.text);
        continue;
      }
      assertOpenAIError(res, 400, dc === '' ? 'missing_data_class' : 'invalid_data_class');
    }
  });

  test('not allowed for the model (restricted on model:default/gpt-5): 403 data_class_not_allowed', async () => {
    const res = await ok(p.key, { data_class: 'restricted' });
    assertOpenAIError(res, 403, 'data_class_not_allowed',
      'data_class restricted is not allowed for model model:default/gpt-5 (allowed: confidential, internal, public)');
    assert.equal(res.json.error.type, 'permission_error');
    assertOpenAIError(await ok(p.key, { model: OTHER_MODEL, data_class: 'confidential' }), 403, 'data_class_not_allowed');
  });

  test('every allowed class is served', async () => {
    for (const dc of ['public', 'internal', 'confidential']) assertCompletion(await ok(p.key, { data_class: dc }), dc);
  });

  test('the operator\'s default applies when data_class is absent (gateway.default_data_class internal), then none again', async () => {
    const body = { model: DEFAULT_MODEL, messages: [{ role: 'user', content: 'no class given' }] };
    try {
      asgardOk(['settings', 'set', 'gateway.default_data_class', 'internal']);
      await syncGateway(p.key, SYNC);
      assertCompletion(await chat(p.key, body), 'a call without data_class under the default');
      // The default is a data class like any other: an e-mail is redacted as for internal.
      const marker = nonce('dflt');
      assertCompletion(await chat(p.key, { ...body, messages: [{ role: 'user', content: `${marker} bob@example.com` }] }));
      const seen = await providerLastWith(marker);
      assert.match(seen.body.messages[0].content, /\[REDACTED:email\]/);
      // A default the model does not allow is refused.
      asgardOk(['settings', 'set', 'gateway.default_data_class', 'restricted']);
      await syncGateway(p.key, SYNC);
      assertOpenAIError(await chat(p.key, body), 403, 'data_class_not_allowed');
    } finally {
      asgardOk(['settings', 'set', 'gateway.default_data_class', 'none']);
    }
    await syncGateway(p.key, SYNC);
    assertOpenAIError(await chat(p.key, body), 400, 'missing_data_class');
  });
});

describe('guardrails', () => {
  const blocked = async (text, detector, dataClass = 'internal') => {
    const res = await ok(p.key, { messages: [{ role: 'user', content: `please use ${text} now` }], data_class: dataClass });
    const error = assertOpenAIError(res, 400, 'guardrail_blocked', new RegExp(`guardrail ${detector}, data_class ${dataClass}`));
    assert.equal(error.type, 'invalid_request_error');
    assert.ok(!error.message.includes(text.trim()), 'the error does not echo the finding');
    return error;
  };

  test('secrets are blocked under every class: sk- key, Asgard keys, AWS key, private key block', async () => {
    await blocked(`sk-${'a1B2'.repeat(8)}`, 'secrets');
    await blocked(`sk-proj-${'Zz09_-'.repeat(5)}`, 'secrets', 'confidential');
    await blocked(craftToken('asg_'), 'secrets');
    await blocked(craftToken('asg_pat_'), 'secrets', 'public');
    await blocked('AKIAIOSFODNN7EXAMPLE', 'secrets');
    await blocked('ASIAY34FZKBOKMUTVV7A', 'secrets');
    await blocked('-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1\n-----END RSA PRIVATE KEY-----', 'secrets');
    await blocked('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----', 'secrets');
  });

  test('a secret in a content part (array content) and in a system message is found too', async () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const parts = await ok(p.key, { messages: [{ role: 'user', content: [{ type: 'text', text: `key ${key}` }] }] });
    assertOpenAIError(parts, 400, 'guardrail_blocked');
    const system = await ok(p.key, { messages: [{ role: 'system', content: key }, { role: 'user', content: 'hi' }] });
    assertOpenAIError(system, 400, 'guardrail_blocked');
  });

  test('near misses are served: a short sk- string, AKIA with 14 characters, a public key block', async () => {
    const marker = nonce('near');
    const text = `${marker} sk-short AKIAIOSFODNN7EXAMP -----BEGIN PUBLIC KEY----- abc -----END PUBLIC KEY-----`;
    assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: text }] }));
    const seen = await providerLastWith(marker);
    assert.equal(seen.body.messages[0].content, text, 'passed unchanged');
  });

  test('a card number that passes Luhn is blocked (with spaces, dashes or none); a 16-digit number failing Luhn is not', async () => {
    await blocked('4111 1111 1111 1111', 'card');
    await blocked('4111-1111-1111-1111', 'card');
    await blocked('5500005555555559', 'card', 'confidential');
    const marker = nonce('luhn');
    const text = `${marker} order 4111 1111 1111 1112 and 1234567812345678`;
    assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: text }] }));
    const seen = await providerLastWith(marker);
    assert.equal(seen.body.messages[0].content, text, 'numbers failing Luhn pass unchanged');
  });

  test('a card number followed by its expiry date or a year is still blocked', async () => {
    await blocked('4111 1111 1111 1111 12/26', 'card');
    await blocked('4111 1111 1111 1111 2027', 'card');
    await blocked('4111111111111111 exp 12/26', 'card');
  });

  test('an e-mail in a content part is redacted too', async () => {
    const marker = nonce('part');
    assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: [{ type: 'text', text: `${marker} ping carol@example.net` }] }] }));
    const seen = await providerLastWith(marker);
    assert.deepEqual(seen.body.messages[0].content, [{ type: 'text', text: `${marker} ping [REDACTED:email]` }]);
  });

  test('e-mail under internal is redacted before the provider sees it; under public it is blocked', async () => {
    const marker = nonce('mail');
    const res = await ok(p.key, { messages: [{ role: 'user', content: `${marker} write to jane.doe+x@example.co.uk, and cc ops@corp.example` }] });
    assertCompletion(res);
    const seen = await providerLastWith(marker);
    assert.equal(seen.body.messages[0].content, `${marker} write to [REDACTED:email], and cc [REDACTED:email]`);
    assert.ok(!seen.raw.includes('jane.doe') && !seen.raw.includes('@example.co.uk'));
    await blocked('jane.doe@example.com', 'email', 'public');
  });

  test('an operator pattern (asgard guardrail pattern add) blocks matching prompts, case-insensitively; removed, it stops', async () => {
    const name = `gw-codename-${nonce('')}`;
    try {
      asgardOk(['guardrail', 'pattern', 'add', name, 'project +falcon']);
      await syncGateway(p.key, SYNC);
      const res = await ok(p.key, { messages: [{ role: 'user', content: 'status of Project   FALCON please' }] });
      assertOpenAIError(res, 400, 'guardrail_blocked', new RegExp(`pattern ${name}.*guardrail patterns`));
      assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: 'status of project eagle' }] }));
    } finally {
      asgardOk(['guardrail', 'pattern', 'remove', name]);
    }
    await syncGateway(p.key, SYNC);
    assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: 'status of project falcon' }] }));
  });

  test('an operator rule: email allowed under internal lets the address through; restored to redact, it is redacted again', async () => {
    const marker = nonce('allow');
    try {
      asgardOk(['guardrail', 'set', '--data-class', 'internal', '--detector', 'email', '--action', 'allow']);
      await syncGateway(p.key, SYNC);
      assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: `${marker} mail alice@example.org` }] }));
      const seen = await providerLastWith(marker);
      assert.equal(seen.body.messages[0].content, `${marker} mail alice@example.org`);
      // Other classes keep their rule.
      await blocked('alice@example.org', 'email', 'public');
    } finally {
      asgardOk(['guardrail', 'set', '--data-class', 'internal', '--detector', 'email', '--action', 'redact']);
    }
    await syncGateway(p.key, SYNC);
    const again = nonce('redact');
    assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: `${again} mail alice@example.org` }] }));
    assert.equal((await providerLastWith(again)).body.messages[0].content, `${again} mail [REDACTED:email]`);
  });

  test('secrets set to redact: a private key without its END footer is redacted to the end of the text, not a 500', async () => {
    const marker = nonce('pem');
    try {
      asgardOk(['guardrail', 'set', '--data-class', 'internal', '--detector', 'secrets', '--action', 'redact']);
      await syncGateway(p.key, SYNC);
      assertCompletion(await ok(p.key, { messages: [{ role: 'user', content: `${marker} use -----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA` }] }));
      const seen = await providerLastWith(marker);
      assert.equal(seen.body.messages[0].content, `${marker} use [REDACTED:secrets]`);
      assert.ok(!seen.raw.includes('MIIEpAIBAAKCAQEA'));
    } finally {
      asgardOk(['guardrail', 'set', '--data-class', 'internal', '--detector', 'secrets', '--action', 'block']);
    }
    await syncGateway(p.key, SYNC);
    await blocked('-----BEGIN RSA PRIVATE KEY-----MIIEpAIBAAKCAQEA', 'secrets');
  });

  test('a secret in a tool result (role tool) is blocked', async () => {
    const res = await ok(p.key, {
      messages: [
        { role: 'user', content: 'deploy' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'env', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' },
      ],
    });
    assertOpenAIError(res, 400, 'guardrail_blocked');
  });

  test('a secret in an assistant tool call\'s arguments is blocked too (the provider reads them as prompt text)', async () => {
    const marker = nonce('tool');
    const res = await ok(p.key, {
      messages: [
        { role: 'user', content: `${marker} deploy it` },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'deploy', arguments: '{"aws_key":"AKIAIOSFODNN7EXAMPLE"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'deployed' },
      ],
    });
    if (res.status === 200) {
      const seen = await providerLastWith(marker);
      assert.fail(`the AWS key in tool_calls[].function.arguments reached the provider unscanned: ${seen.raw}`);
    }
    assertOpenAIError(res, 400, 'guardrail_blocked');
  });

  test('guardrail refusals never reach the provider', async () => {
    const marker = nonce('never');
    assertOpenAIError(await ok(p.key, { messages: [{ role: 'user', content: `${marker} AKIAIOSFODNN7EXAMPLE` }] }), 400, 'guardrail_blocked');
    const res = await fetch(`${process.env.ASGARD_PROVIDER_URL}/_last`);
    const last = await res.json();
    assert.ok(!last || !last.body.includes(marker), 'the provider never saw the refused prompt');
  });
});
