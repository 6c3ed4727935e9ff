// The gateway's call log (gateway_calls) and its hash chain: after calls of every kind (served,
// refused by each check, failed upstream, aborted) `asgard audit verify` still walks an intact
// chain, an edited or deleted row is reported, a refused call whose data_class holds
// JSON-special characters is logged like any other without stopping the worker's batches, and a
// batch PostgreSQL refuses for one row is written row by row.
// Every constraint a test adds is dropped again in its finally, so the worker's batches go on and
// the file runs in any order with the others.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { cli } from './control_helpers.js';
import {
  REQUEST_ID,
  assertCompletion,
  assertOpenAIError,
  chat,
  chatBody,
  eventually,
  gatewayCallRows,
  newGatewayProject,
  spendRows,
  streamChat,
  waitForCalls,
  waitForSpend,
} from './gateway_helpers.js';
import { assertErrorLogClean, env, psql } from './helpers.js';

let p;

before(async () => { p = await newGatewayProject('e2e-gw-audit'); });
after(assertErrorLogClean);

function assertAuditVerifies() {
  const run = cli(['audit', 'verify']);
  assert.equal(run.code, 0, `asgard audit verify: ${run.stdout}${run.stderr}`);
  assert.match(run.stdout, /audit log intact/);
  assert.match(run.stdout, /gateway call log intact: \d+ rows verified/);
}

describe('the gateway\'s call log', () => {
  test('after served, refused and non-ASCII calls the hash chain verifies', async () => {
    const ids = [];
    const keep = (res) => { ids.push(res.headers.get('x-asgard-request-id')); return res; };
    assertCompletion(keep(await chat(p.key, chatBody('hello'))));
    const streamed = keep(await streamChat(p.key, chatBody('stream please')));
    assert.equal(streamed.status, 200);
    assertOpenAIError(keep(await chat(p.key, chatBody('hi', { data_class: 'restricted' }))), 403, 'data_class_not_allowed');
    assertOpenAIError(keep(await chat(p.key, chatBody('hi', { model: 'model:none/zero' }))), 404, 'model_not_found');
    assertOpenAIError(keep(await chat(p.key, chatBody('AKIAIOSFODNN7EXAMPLE'))), 400, 'guardrail_blocked');
    assertOpenAIError(keep(await chat(p.key, chatBody('hi', { data_class: 'vertraulich-é-機密' }))), 400, 'invalid_data_class');
    assertOpenAIError(keep(await chat(p.key, '{"messages": 1}')), 400, 'missing_model');
    for (const id of ids) assert.match(id ?? '', REQUEST_ID);
    const byId = await waitForCalls(p.projectId, ids);
    assert.equal([...byId.values()].flat().filter((r) => ids.includes(r.request_id)).length, ids.length);
    assertAuditVerifies();
  });

  test('a data_class with quotes, backslashes or control characters is refused with 400 and audited; later calls are still recorded', async () => {
    const ids = [];
    for (const dc of ['x"y', 'back\\slash', 'tab\there', 'line\nbreak', '"}], "status": 1']) {
      const res = await chat(p.key, chatBody('hi', { data_class: dc }));
      assertOpenAIError(res, 400, 'invalid_data_class');
      ids.push(res.headers.get('x-asgard-request-id'));
    }
    const served = await chat(p.key, chatBody('recorded after the odd ones'));
    assertCompletion(served);
    ids.push(served.headers.get('x-asgard-request-id'));

    const byId = await waitForCalls(p.projectId, ids).catch((e) => {
      throw new Error(`${e.message}\nthe worker did not write these calls' rows: a batch holding a data_class with ` +
        'JSON-special characters cannot be inserted (see "gateway spend and call rows" in the nginx error log)');
    });
    for (const id of ids.slice(0, -1)) {
      const [row] = byId.get(id);
      assert.equal(row.outcome, 'denied:invalid_data_class');
      assert.equal(row.status, 400);
    }
    assert.equal(byId.get(ids.at(-1))[0].outcome, 'ok');
    await waitForSpend(p.projectId, (rows) => rows.some((r) => Number(r.requests) >= 3), 'the served calls\' spend');
    assertAuditVerifies();
  });

  test('a batch PostgreSQL refuses for one row is written row by row: the other calls\' rows and spend land, the refused row is reported', async () => {
    // A CHECK constraint that refuses the call rows of calls with data_class restricted, which the
    // model does not allow (NOT VALID: older rows stay).
    psql(`ALTER TABLE gateway_calls ADD CONSTRAINT e2e_refuse_one CHECK (data_class <> 'restricted') NOT VALID`);
    const ids = [];
    try {
      const spentBefore = spendRows(p.projectId).reduce((n, r) => n + Number(r.requests), 0);
      const poisoned = await chat(p.key, chatBody('hi', { data_class: 'restricted' }));
      assertOpenAIError(poisoned, 403, 'data_class_not_allowed');
      const served = await Promise.all([1, 2, 3].map((i) => chat(p.key, chatBody(`served next to a refused row ${i}`))));
      for (const res of served) {
        assertCompletion(res);
        ids.push(res.headers.get('x-asgard-request-id'));
      }
      await waitForCalls(p.projectId, ids);
      await waitForSpend(p.projectId, (rows) => rows.reduce((n, r) => n + Number(r.requests), 0) >= spentBefore + 3,
        'the served calls\' spend');
      await eventually(() => /1 call row\(s\) and the spend of 0 call\(s\) could not be written and were dropped/
        .test(readFileSync(env.errorLog, 'utf8')), { what: 'the dropped row reported in the nginx error log' });
      const poisonedId = poisoned.headers.get('x-asgard-request-id');
      assert.ok(!gatewayCallRows(p.projectId).some((r) => r.request_id === poisonedId));
    } finally {
      psql('ALTER TABLE gateway_calls DROP CONSTRAINT e2e_refuse_one');
    }
    const after = await chat(p.key, chatBody('after the refused batch'));
    assertCompletion(after);
    await waitForCalls(p.projectId, [after.headers.get('x-asgard-request-id')]);
    assertAuditVerifies();
  });

  test('an edited or deleted call log row makes audit verify exit 1 naming the row', async () => {
    const res = await chat(p.key, chatBody('a row to tamper with'));
    assertCompletion(res);
    const id = res.headers.get('x-asgard-request-id');
    await waitForCalls(p.projectId, [id]);
    const rowId = Number(psql(`SELECT id FROM gateway_calls WHERE request_id = '${id}'`));
    const later = await chat(p.key, chatBody('a row after it'));
    assertCompletion(later);
    await waitForCalls(p.projectId, [later.headers.get('x-asgard-request-id')]);

    psql(`UPDATE gateway_calls SET cost_micro_usd = cost_micro_usd + 1 WHERE id = ${rowId}`);
    try {
      const run = cli(['audit', 'verify']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, new RegExp(`gateway call log tampered: row ${rowId} was edited`));
    } finally {
      psql(`UPDATE gateway_calls SET cost_micro_usd = cost_micro_usd - 1 WHERE id = ${rowId}`);
    }
    assertAuditVerifies();

    const saved = psql(`SELECT row_to_json(c) FROM gateway_calls c WHERE id = ${rowId}`);
    psql(`DELETE FROM gateway_calls WHERE id = ${rowId}`);
    try {
      const run = cli(['audit', 'verify']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, /gateway call log tampered: the chain breaks before row \d+/);
    } finally {
      psql(`INSERT INTO gateway_calls SELECT * FROM json_populate_record(NULL::gateway_calls, '${saved.replace(/'/g, "''")}'::json)`);
    }
    assertAuditVerifies();
  });

  test('asgard audit calls lists the call log: newest N, one project, as a table or JSON', async () => {
    const res = await chat(p.key, chatBody('listed by audit calls'));
    assertCompletion(res);
    const id = res.headers.get('x-asgard-request-id');
    await waitForCalls(p.projectId, [id]);
    const run = cli(['audit', 'calls', '--project', p.projectId, '--n', '500', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout);
    assert.ok(rows.every((r) => r.project_id === p.projectId));
    const row = rows.find((r) => r.request_id === id);
    assert.ok(row, `the call ${id} is listed`);
    assert.equal(row.outcome, 'ok');
    assert.equal(row.model, 'model:default/gpt-5');
    assert.match(row.cost_usd, /^\d+\.\d{6}$/);
    assert.equal(JSON.parse(cli(['audit', 'calls', '--n', '2', '--json']).stdout).length, 2);
    const table = cli(['audit', 'calls', '--project', p.projectId]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /REQUEST_ID/);
    assert.equal(cli(['audit', 'tail', '--project', p.projectId]).code, 2, '--project is for audit calls');
    assert.equal(cli(['audit', 'calls', '--n', 'x']).code, 2);
  });
});
