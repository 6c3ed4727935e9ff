// The admin's Cost page: the gateway's spend over a range of UTC days from the daily rollups, the
// total, per day, per model and per project (largest first, 50 at most), in exact decimal USD;
// whole months read the monthly rollup and cut months the days' rows, to the same sums (kept in
// step by a trigger on spend_daily); today's range holds a call just made; bad ranges are 400. In Chromium: the range form,
// the chart and both tables.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { answer, dashGet as get, launchBrowser, signedIn, signedInPage } from './dashboard_helpers.js';
import { chat, chatBody, newGatewayProject, spendTotal, waitForSpend } from './gateway_helpers.js';
import { assertErrorLogClean, env, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-cost-'));
let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });
after(assertErrorLogClean);

/** Two far-past days nobody else writes (a random pair in 1990-2009), as YYYY-MM-DD. */
function farDays() {
  const start = Date.UTC(1990, 0, 1) + Math.floor(Math.random() * 7000) * 86400000;
  return [new Date(start).toISOString().slice(0, 10), new Date(start + 86400000).toISOString().slice(0, 10)];
}

/** Rollup rows as the spend log writes them: [day, project, model, requests, in, out, cost USD text]. */
function rollups(rows) {
  const values = rows.map(([day, project, model, requests, input, output, usd]) =>
    `('${day}', '${project}', 0, '${model}', ${requests}, ${input}, ${output}, ${usd})`).join(', ');
  psql(`INSERT INTO spend_daily (day, project_id, token_id, model, requests, input_tokens, output_tokens, cost_usd) VALUES ${values}`);
}

describe('cost', () => {
  test('a range\'s spend from the rollups: exact totals per day, model and project, largest first', async () => {
    const admin = await signedIn('dash-cost-admin', { admin: true });
    const a = await newGatewayProject('e2e-cost-a');
    const b = await newGatewayProject('e2e-cost-b');
    const [d1, d2] = farDays();
    rollups([
      [d1, a.projectId, 'model:e2e/one', 3, 30, 300, '0.000001'],
      [d1, b.projectId, 'model:e2e/one', 1, 10, 100, '1.5'],
      [d2, b.projectId, 'model:e2e/two', 2, 20, 200, '0.25'],
    ]);
    const r = await answer(await get(`/admin/cost?from=${d1}&to=${d2}`, admin.cookie));
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.total_usd, '1.750001');
    assert.equal(r.json.requests, 6);
    assert.deepEqual(r.json.by_day.map((d) => [d.day, d.usd, d.requests]), [[d1, '1.500001', 4], [d2, '0.250000', 2]]);
    assert.deepEqual(r.json.by_model.map((m) => [m.model, m.usd, m.input_tokens, m.output_tokens]),
      [['model:e2e/one', '1.500001', 40, 400], ['model:e2e/two', '0.250000', 20, 200]]);
    assert.deepEqual(r.json.by_project.map((p) => [p.project_id, p.usd, p.name]),
      [[b.projectId, '1.750000', 'e2e-cost-b project'], [a.projectId, '0.000001', 'e2e-cost-a project']]);
    // Whole months come from the monthly rollup, cut months from the daily rows: the same sums.
    const monthEnd = (d) => new Date(Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)), 0)).toISOString().slice(0, 10);
    const whole = (await answer(await get(`/admin/cost?from=${d1.slice(0, 8)}01&to=${monthEnd(d2)}`, admin.cookie))).json;
    assert.equal(whole.total_usd, '1.750001');
    assert.deepEqual(whole.by_project.map((p) => [p.project_id, p.usd, p.requests]), [[b.projectId, '1.750000', 3], [a.projectId, '0.000001', 3]]);
    const one = (await answer(await get(`/admin/cost?from=${d2}&to=${d2}`, admin.cookie))).json;
    assert.equal(one.total_usd, '0.250000');
    assert.equal(one.by_project.length, 1);
  });

  test('this month by default holds a call just made; bad ranges are refused by name', async () => {
    const admin = await signedIn('dash-cost-now', { admin: true });
    const p = await newGatewayProject('e2e-cost-now');
    assert.equal((await chat(p.key, chatBody('cost me'))).status, 200);
    await waitForSpend(p.projectId, (rows) => rows.length > 0);
    const spent = spendTotal(p.projectId);
    const month = (await answer(await get('/admin/cost', admin.cookie))).json;
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(month.to, today);
    assert.equal(month.from, `${today.slice(0, 8)}01`);
    assert.ok(Number(month.total_usd) >= spent);
    assert.ok(month.by_day.some((d) => d.day === today && d.requests >= 1));
    for (const [query, pattern] of [['from=2026-13-01', /YYYY-MM-DD/], ['from=2026-05-02&to=2026-05-01', /before/], ['from=2020-01-01&to=2026-01-01', /at most 367 days/]]) {
      const r = await answer(await get(`/admin/cost?${query}`, admin.cookie));
      assert.equal(r.status, 400, query);
      assert.equal(r.json.error.code, 'invalid_date');
      assert.match(r.json.error.message, pattern);
    }
  });

  test('in the browser: choose a range, see the chart and both tables', async () => {
    const p = await newGatewayProject('e2e-cost-page');
    const [d1, d2] = farDays();
    rollups([[d1, p.projectId, 'model:e2e/page', 2, 5, 50, '0.42'], [d2, p.projectId, 'model:e2e/page', 1, 5, 50, '0.08']]);
    const { page } = await signedInPage(browser, 'dash-cost-page', { admin: true });
    await page.goto(`${env.url}/dashboard/#/admin/cost`);
    await page.waitForSelector('#cost-range');
    await page.$eval('#cost-from', (el, v) => { el.value = v; }, d1);
    await page.$eval('#cost-to', (el, v) => { el.value = v; }, d2);
    await page.click('#cost-range button');
    await page.waitForFunction((id) => document.querySelector('#cost-projects')?.textContent.includes(id), {}, p.projectId);
    assert.match(await page.$eval('main', (m) => m.textContent), /Gateway spend \$0\.5 over 3 calls/);
    assert.equal(await page.$$eval('svg.chart rect.bar', (bars) => bars.filter((b) => Number(b.getAttribute('height')) > 0).length), 2);
    assert.match(await page.$eval('#cost-models', (t) => t.textContent), /model:e2e\/page/);
    await page.screenshot({ path: join(shots, 'cost.png'), fullPage: true });
  });
});
