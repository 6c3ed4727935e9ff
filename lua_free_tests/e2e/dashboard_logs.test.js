// The admin's logs in the dashboard: the gateway call log and the audit log filtered (project,
// model, outcome, actor, action, days), 50 rows a page by keyset with no row twice and none lost,
// a row's detail, the filtered range as a CSV streamed in parts (every row once, in order, formula
// cells made inert), bad filters answered 400 by name, and the hash chains verified batch by batch
// (an edited row is named). In Chromium: filter the call log, open a row, download the CSV, verify.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { answer, dashGet as get, dashPost as post, launchBrowser, newPage, signedIn, signedInPage } from './dashboard_helpers.js';
import { chat, chatBody, DEFAULT_MODEL, eventually, gatewayCallRows, newGatewayProject, nonce } from './gateway_helpers.js';
import { assertErrorLogClean, env, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-logs-'));
let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
after(assertErrorLogClean);

const sql = (text) => `'${String(text).replaceAll("'", "''")}'`;

/** Appends `count` audit rows through asgard_audit_append (the chain stays whole) by one actor. */
function appendAudit(actor, count, { tool = 'e2e.logs', project = null } = {}) {
  psql(`DO $$ BEGIN FOR i IN 1..${count} LOOP PERFORM asgard_audit_append(${sql(actor)}, NULL, ${sql(tool)},
    ${project ? sql(project) : 'NULL'}, 'ok', jsonb_build_object('i', i)); END LOOP; END $$`);
}

/** A project with `ok` served calls and one refused call (an unknown model), all in the call log. */
async function projectWithCalls(ok) {
  const p = await newGatewayProject('e2e-dash-logs');
  for (let i = 0; i < ok; i++) assert.equal((await chat(p.key, chatBody(`log ${i}`))).status, 200);
  assert.equal((await chat(p.key, chatBody('x', { model: 'model:none/such' }))).status, 404);
  await eventually(() => gatewayCallRows(p.projectId).length === ok + 1, { what: `${ok + 1} call rows` });
  return p;
}

/** Every row of a log through its pages: [ids], and how many pages it took. */
async function allPages(path, cookie) {
  const ids = [];
  let next = null, pages = 0;
  do {
    const page = await answer(await get(`${path}${path.includes('?') ? '&' : '?'}${next ? `after=${encodeURIComponent(next)}` : ''}`, cookie));
    assert.equal(page.status, 200, JSON.stringify(page.json));
    assert.ok(page.json.rows.length <= 50);
    ids.push(...page.json.rows.map((r) => r.id));
    next = page.json.next;
    pages++;
  } while (next);
  return { ids, pages };
}

function parseCsv(text) {
  const rows = [];
  for (const line of text.split('\r\n').filter(Boolean)) {
    const cells = [];
    for (const m of line.matchAll(/(?:^|,)(?:"((?:[^"]|"")*)"|([^,]*))/g)) cells.push(m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]);
    rows.push(cells);
  }
  return rows;
}

describe('the call log and the audit log', () => {
  test('the call log by project, model and outcome, newest first; a row\'s detail with its key\'s prefix', async () => {
    const admin = await signedIn('dash-logs-admin', { admin: true });
    const p = await projectWithCalls(3);
    const all = await answer(await get(`/admin/calls?project=${p.projectId}`, admin.cookie));
    assert.equal(all.status, 200);
    assert.equal(all.json.rows.length, 4);
    assert.equal(all.json.next, null);
    const stamps = all.json.rows.map((r) => `${r.at}~${String(r.id).padStart(12, '0')}`);
    assert.deepEqual(stamps, [...stamps].sort().reverse(), 'newest first');
    const ok = await answer(await get(`/admin/calls?project=${p.projectId}&outcome=ok&model=${encodeURIComponent(DEFAULT_MODEL)}`, admin.cookie));
    assert.equal(ok.json.rows.length, 3);
    assert.ok(ok.json.rows.every((r) => r.outcome === 'ok' && r.model === DEFAULT_MODEL && r.input_tokens > 0 && /^\d+\.\d{6}$/.test(r.cost_usd)));
    const denied = await answer(await get(`/admin/calls?project=${p.projectId}&outcome=denied`, admin.cookie));
    assert.equal(denied.json.rows.length, 1);
    assert.match(denied.json.rows[0].outcome, /^denied:/);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await answer(await get(`/admin/calls?project=${p.projectId}&from=${today}&to=${today}`, admin.cookie))).json.rows.length, 4);
    assert.equal((await answer(await get(`/admin/calls?project=${p.projectId}&to=2020-01-01`, admin.cookie))).json.rows.length, 0);

    const one = await answer(await get(`/admin/calls/${ok.json.rows[0].id}`, admin.cookie));
    assert.equal(one.status, 200);
    assert.equal(one.json.call.project_id, p.projectId);
    assert.equal(one.json.call.key_id, p.keyId);
    assert.match(one.json.call.key_prefix, /^asg_/);
    assert.ok(!p.key.startsWith(one.json.call.key_prefix) || one.json.call.key_prefix.length < 16, 'a prefix, never the key');
    assert.match(one.json.call.row_hash, /^[0-9a-f]{64}$/);
    assert.equal((await answer(await get('/admin/calls/999999999', admin.cookie))).status, 404);
  });

  test('130 audit rows in pages of 50: three pages, each row once, in order; any depth answers alike', async () => {
    const admin = await signedIn('dash-logs-pages', { admin: true });
    const actor = `user:${nonce('pager')}`;
    appendAudit(actor, 130);
    const { ids, pages } = await allPages(`/admin/audit?actor=${encodeURIComponent(actor)}`, admin.cookie);
    assert.equal(pages, 3);
    assert.equal(ids.length, 130);
    assert.equal(new Set(ids).size, 130);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    // A row added while paging lands on the first page, not twice and not in the middle.
    const first = (await answer(await get(`/admin/audit?actor=${encodeURIComponent(actor)}`, admin.cookie))).json;
    appendAudit(actor, 1);
    const second = (await answer(await get(`/admin/audit?actor=${encodeURIComponent(actor)}&after=${encodeURIComponent(first.next)}`, admin.cookie))).json;
    assert.equal(second.rows[0].id, ids[50]);
  });

  test('CSV: 4,500 rows streamed in parts (chunked), each once and newest first; formulas made inert; the filename says what it is', async () => {
    const admin = await signedIn('dash-logs-csv', { admin: true });
    const actor = `user:${nonce('csv')}`;
    appendAudit(actor, 4500, { tool: '=HYPERLINK("http://x")' });
    const res = await get(`/admin/audit.csv?actor=${encodeURIComponent(actor)}`, admin.cookie);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/csv; charset=utf-8$/);
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="asgard-audit-\d{4}-\d{2}-\d{2}\.csv"$/);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'more than one part: streamed');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const rows = parseCsv(await res.text());
    assert.deepEqual(rows[0], ['id', 'at', 'actor', 'credential_id', 'action', 'project_id', 'outcome', 'detail']);
    const ids = rows.slice(1).map((r) => Number(r[0]));
    assert.equal(ids.length, 4500);
    assert.equal(new Set(ids).size, 4500);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    assert.ok(rows.slice(1).every((r) => r[2] === actor && r[4] === '\'=HYPERLINK("http://x")'), 'a cell starting with = gets an apostrophe');
    const small = await get(`/admin/audit.csv?actor=${encodeURIComponent(actor)}&from=2020-01-01&to=2020-01-02`, admin.cookie);
    assert.equal(small.status, 200);
    assert.equal(await small.text(), 'id,at,actor,credential_id,action,project_id,outcome,detail\r\n');
  });

  test('bad filters: 400 naming the problem; a GET-only route refuses POST (405)', async () => {
    const admin = await signedIn('dash-logs-bad', { admin: true });
    for (const [path, code] of [
      ['/admin/audit?from=2026-02-30', 'invalid_date'],
      ['/admin/calls?to=yesterday', 'invalid_date'],
      ['/admin/calls?from=2026-05-02&to=2026-05-01', 'invalid_date'],
      ['/admin/audit?after=nonsense', 'invalid_cursor'],
      ['/admin/calls?after=2026-12-07T06:01:35.103123Z~-3', 'invalid_cursor'],
      ['/admin/audit.csv?from=13', 'invalid_date'],
      [`/admin/audit?actor=${'a'.repeat(201)}`, 'invalid_filter'],
    ]) {
      const r = await answer(await get(path, admin.cookie));
      assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error.code, code, path);
    }
    assert.equal((await answer(await get('/admin/audit/abc', admin.cookie))).status, 404);
    assert.equal((await answer(await post('/admin/audit', {}, admin.cookie))).status, 405);
    assert.equal((await answer(await get('/admin/verify', admin.cookie))).status, 405);
    for (const body of [{ log: 'other' }, { log: 'audit', after_id: 'x' }, { log: 'audit', after_id: -1 }]) {
      const r = await answer(await post('/admin/verify', body, admin.cookie));
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error.code, 'invalid_verify');
    }
  });

  test('the chains verify batch by batch from any row; an edited audit row is named, and intact again once put back', async () => {
    const admin = await signedIn('dash-logs-chain', { admin: true });
    const actor = `user:${nonce('chain')}`;
    appendAudit(actor, 20);
    for (const log of ['audit', 'calls']) {
      let after = 0, checked = 0, batch;
      do {
        batch = (await answer(await post('/admin/verify', { log, after_id: after }, admin.cookie))).json;
        assert.equal(batch.intact, true, `${log}: ${batch.broken}`);
        checked += batch.checked;
        after = batch.through_id;
      } while (!batch.done);
      assert.ok(checked > 0, log);
    }
    const ids = psql(`SELECT id FROM audit_log WHERE actor = ${sql(actor)} ORDER BY id`).split('\n').map(Number);
    const tail = (await answer(await post('/admin/verify', { log: 'audit', after_id: ids[9] }, admin.cookie))).json;
    assert.equal(tail.intact, true);
    assert.ok(tail.checked >= 10);
    const victim = ids[14];
    psql(`UPDATE audit_log SET outcome = 'denied' WHERE id = ${victim}`);
    try {
      const broken = (await answer(await post('/admin/verify', { log: 'audit', after_id: ids[9] }, admin.cookie))).json;
      assert.equal(broken.intact, false);
      assert.equal(broken.done, true);
      assert.match(broken.broken, new RegExp(`row ${victim} was edited`));
    } finally {
      psql(`UPDATE audit_log SET outcome = 'ok' WHERE id = ${victim}`);
    }
    assert.equal((await answer(await post('/admin/verify', { log: 'audit', after_id: ids[9] }, admin.cookie))).json.intact, true);
  });

  test('in the browser: filter the call log, open a row, download the CSV, verify the chain; the audit tab filters by action', async () => {
    const p = await projectWithCalls(2);
    const { page, context } = await signedInPage(browser, 'dash-logs-page', { admin: true });
    const downloads = mkdtempSync(join(tmpdir(), 'asgard-csv-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads, browserContextId: context.id });
    await page.goto(`${env.url}/dashboard/#/admin/logs`);
    await page.waitForSelector('#log-filters');
    await page.type('#log-project', p.projectId);
    await page.click('#log-filters button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#log-calls tbody tr').length === 3);
    await page.click('#log-calls tbody tr button');
    await page.waitForSelector('.log-detail dl');
    const detail = await page.$eval('.log-detail', (el) => el.textContent);
    assert.match(detail, new RegExp(p.projectId));
    assert.match(detail, /key_prefix/);
    const href = await page.$eval('#log-csv', (a) => a.getAttribute('href'));
    assert.equal(href, `/api/dashboard/admin/calls.csv?project=${p.projectId}&outcome=`.replace(/&outcome=$/, ''));
    await page.click('#log-csv');
    // Chromium may show the file under its final name before it has written it: wait for the
    // whole answer (no partial download left, the header and the rows there).
    const text = await eventually(() => {
      const names = readdirSync(downloads);
      const file = names.find((f) => /^asgard-calls-.*\.csv$/.test(f));
      if (!file || names.some((f) => f.endsWith('.crdownload'))) return null;
      const body = readFileSync(join(downloads, file), 'utf8');
      return body.split('\n').filter((l) => l).length >= 4 ? body : null;
    }, { what: 'the whole CSV download' });
    const csv = parseCsv(text);
    assert.equal(csv.length, 4);
    assert.ok(csv.slice(1).every((r) => r[2] === p.projectId));
    await page.click('#verify-chain');
    await page.waitForFunction(() => /^Intact: all [\d,]+ rows/.test(document.querySelector('#chain-status').textContent), { timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'calls.png'), fullPage: true });

    await page.goto(`${env.url}/dashboard/#/admin/logs/audit`);
    await page.waitForSelector('#log-audit');
    await page.type('#log-action', 'gateway_credential');
    await page.type('#log-project', p.projectId);
    await page.click('#log-filters button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll('#log-audit tbody tr.log-row')].length === 1);
    const row = await page.$eval('#log-audit tbody tr', (tr) => tr.textContent);
    assert.match(row, /gateway_credential/);
    await page.screenshot({ path: join(shots, 'audit.png'), fullPage: true });
  });
});
