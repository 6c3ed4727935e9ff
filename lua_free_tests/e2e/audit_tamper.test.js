// The audit log's hash chain shows tampering: an edited row or a deleted row makes asgard audit
// verify exit 1 naming the row. The file writes its own audit rows first, and each test puts the
// original row back, so the chain verifies again: it runs in any order with the other files, and
// again against the same database.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { newUserToken, openSession, psql } from './helpers.js';
import { assertCliFails, assertCliOk, cli, lastAuditId, registerProject, sqlLiteral } from './control_helpers.js';

before(async () => {
  const session = await openSession(newUserToken('e2e-audit-tamper').token);
  for (const n of [1, 2, 3]) await registerProject(session, { name: `audit tamper ${n}`, description: 'audited rows' });
});

function assertIntact() {
  assert.match(assertCliOk(cli(['audit', 'verify']), 'asgard audit verify'), /audit log intact: \d+ rows verified/);
}

describe('asgard audit verify detects tampering', () => {
  test('the chain is intact before anything is touched', () => {
    assert.ok(lastAuditId() > 0, 'this file wrote audit rows');
    assertIntact();
  });

  test('editing a row (UPDATE audit_log SET outcome = \'x\') makes verify exit 1 naming the row', () => {
    const id = lastAuditId();
    const original = psql(`SELECT outcome FROM audit_log WHERE id = ${id}`);
    psql(`UPDATE audit_log SET outcome = 'x' WHERE id = ${id}`);
    try {
      const message = assertCliFails(cli(['audit', 'verify']), 1, /tampered/);
      assert.match(message, new RegExp(`row ${id}\\b`), `verify names row ${id}: ${message}`);
      assert.match(message, /edited/);
    } finally {
      psql(`UPDATE audit_log SET outcome = ${sqlLiteral(original)} WHERE id = ${id}`);
    }
    assertIntact();
  });

  test('editing an older row\'s detail is detected too', () => {
    const id = Number(psql('SELECT min(id) FROM audit_log WHERE id > (SELECT min(id) FROM audit_log)'));
    const original = psql(`SELECT detail::text FROM audit_log WHERE id = ${id}`);
    psql(`UPDATE audit_log SET detail = '{"tampered": true}' WHERE id = ${id}`);
    try {
      assertCliFails(cli(['audit', 'verify']), 1, new RegExp(`row ${id}\\b`));
    } finally {
      psql(`UPDATE audit_log SET detail = ${sqlLiteral(original)}::jsonb WHERE id = ${id}`);
    }
    assertIntact();
  });

  test('deleting a row makes verify exit 1 naming the row after the gap', () => {
    const last = lastAuditId();
    const victim = Number(psql(`SELECT max(id) FROM audit_log WHERE id < ${last}`));
    const saved = psql(`SELECT row_to_json(a) FROM audit_log a WHERE id = ${victim}`);
    psql(`DELETE FROM audit_log WHERE id = ${victim}`);
    try {
      const message = assertCliFails(cli(['audit', 'verify']), 1, /tampered/);
      assert.match(message, new RegExp(`row ${last}\\b`), `verify names row ${last}, the one after the deleted row: ${message}`);
    } finally {
      psql(`INSERT INTO audit_log SELECT * FROM json_populate_record(NULL::audit_log, ${sqlLiteral(saved)}::json)`);
    }
    assertIntact();
  });
});
