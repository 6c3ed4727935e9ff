// The admin's Models page: providers with their key's fingerprint (never the key: not in the
// catalog, the audit row or a log), a provider added and its key rotated from the page (the
// gateway calls the provider with the new key), a model added with exact decimal prices and its
// data classes (the gateway serves it, refuses a class it does not allow), bad input refused by
// name, a provider that models use kept, removal audited with the admin as actor; asgard provider
// key rotates the same way. In Chromium: the page, add a model, rotate a key after the confirm step.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { answer, dashGet as get, dashPost as post, launchBrowser, signedIn, signedInPage } from './dashboard_helpers.js';
import { asgardOk, chat, chatBody, demoProviderKey, eventually, newGatewayProject, nonce, providerLastWith, removeModel } from './gateway_helpers.js';
import { assertErrorLogClean, env, psql } from './helpers.js';

const shots = mkdtempSync(join(tmpdir(), 'asgard-dashboard-shots-models-'));
let browser;
const made = [];
before(async () => { browser = await launchBrowser(); });
after(async () => {
  await browser?.close();
  for (const alias of made) removeModel(alias);
});
after(assertErrorLogClean);

const fingerprint = (key) => `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

/** A chat through `alias` until the provider sees it; returns the Authorization it was sent. */
async function providerAuthFor(key, alias) {
  const marker = nonce('cat');
  const res = await eventually(async () => {
    const r = await chat(key, chatBody(`hello ${marker}`, { model: alias }));
    return r.status === 200 ? r : null;
  }, { what: `the gateway to serve ${alias}` });
  assert.equal(res.status, 200);
  return (await providerLastWith(marker)).headers.authorization;
}

describe('models and providers', () => {
  test('the catalog shows fingerprints, never a key; a provider added, used and rotated from the API', async () => {
    const admin = await signedIn('dash-models-admin', { admin: true });
    const catalog = await answer(await get('/admin/catalog', admin.cookie));
    assert.equal(catalog.status, 200);
    const demo = catalog.json.providers.find((p) => p.name === 'demo');
    assert.equal(demo.key_fingerprint, fingerprint(demoProviderKey()));
    assert.ok(!JSON.stringify(catalog.json).includes(demoProviderKey()), 'no key in the catalog');
    assert.ok(catalog.json.models.some((m) => m.alias === 'model:default/gpt-5' && m.price_in === '1.25'));

    const name = nonce('prov').toLowerCase();
    const keyA = `sk-a-${nonce('k')}`, keyB = `sk-b-${nonce('k')}`;
    const added = await answer(await post('/admin/providers', { name, api: 'openai', upstream: 'asgard_demo_provider', key: keyA }, admin.cookie));
    assert.equal(added.status, 200, JSON.stringify(added.json));
    assert.equal(added.json.provider.key_fingerprint, fingerprint(keyA));
    assert.equal(added.json.provider.path, '/v1/chat/completions');
    const alias = `model:e2e/${name}`;
    made.push(alias);
    const model = await answer(await post('/admin/models', { alias, provider: name, upstream_model: 'demo-gpt-5', price_in: '0.5',
      price_out: '2.000001', data_classes: ['public', 'internal'], max_output_tokens: 512 }, admin.cookie));
    assert.equal(model.status, 200, JSON.stringify(model.json));
    assert.equal(model.json.model.price_out, '2.000001');

    const p = await newGatewayProject('e2e-dash-models');
    assert.equal(await providerAuthFor(p.key, alias), `Bearer ${keyA}`);
    const refused = await chat(p.key, chatBody('x', { model: alias, data_class: 'restricted' }));
    assert.equal(refused.status, 403);

    const rotated = await answer(await post(`/admin/providers/${name}/key`, { key: keyB }, admin.cookie));
    assert.equal(rotated.json.provider.key_fingerprint, fingerprint(keyB));
    await eventually(async () => (await providerAuthFor(p.key, alias)) === `Bearer ${keyB}`, { what: 'the gateway to use the new key' });

    const rows = psql(`SELECT tool || ' ' || actor || ' ' || detail::text FROM audit_log WHERE detail->>'name' = '${name}' OR detail->>'alias' = '${alias}' ORDER BY id`);
    assert.match(rows, new RegExp(`provider.add user:${admin.name}`));
    assert.match(rows, new RegExp(`provider.key user:${admin.name}`));
    assert.match(rows, new RegExp(`model.add user:${admin.name}`));
    assert.ok(!rows.includes(keyA) && !rows.includes(keyB), 'no key in the audit log');

    const inUse = await answer(await post(`/admin/providers/${name}/remove`, {}, admin.cookie));
    assert.equal(inUse.status, 409);
    assert.match(inUse.json.error.message, new RegExp(`models still use provider ${name}: ${alias.replaceAll('/', '\\/')}`));
    assert.equal((await answer(await post('/admin/models/remove', { alias }, admin.cookie))).status, 200);
    assert.equal((await answer(await post(`/admin/providers/${name}/remove`, {}, admin.cookie))).status, 200);
    assert.equal(psql(`SELECT count(*) FROM providers WHERE name = '${name}'`), '0');
  });

  test('bad input is refused by name and changes nothing', async () => {
    const admin = await signedIn('dash-models-bad', { admin: true });
    const base = { alias: 'model:e2e/bad', provider: 'demo', upstream_model: 'x', price_in: '1', price_out: '1', data_classes: ['internal'] };
    for (const [path, body, pattern] of [
      ['/admin/models', { ...base, price_in: '1e3' }, /prices are USD per million tokens/],
      ['/admin/models', { ...base, price_out: '0.0000001' }, /at most six decimals/],
      ['/admin/models', { ...base, data_classes: ['secret'] }, /unknown data class 'secret'/],
      ['/admin/models', { ...base, data_classes: [] }, /at least one data class/],
      ['/admin/models', { ...base, provider: 'no-such-provider' }, /no provider no-such-provider/],
      ['/admin/models', { ...base, alias: 'bad alias!' }, /invalid model/],
      ['/admin/models', { ...base, max_output_tokens: 0 }, /max_output_tokens/],
      ['/admin/providers', { name: 'e2e-nokey', upstream: 'asgard_demo_provider' }, /API key is required/],
      ['/admin/providers', { name: 'e2e-bad', upstream: 'asgard_demo_provider', key: 'a\nb' }, /one line/],
      ['/admin/providers', { name: 'e2e-bad', api: 'gemini', upstream: 'asgard_demo_provider', key: 'k' }, /api is openai or anthropic/],
      ['/admin/providers', { name: 'Bad Name', upstream: 'asgard_demo_provider', key: 'k' }, /invalid provider/],
    ]) {
      const r = await answer(await post(path, body, admin.cookie));
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error.message, pattern);
    }
    assert.equal((await answer(await post('/admin/providers/no-such/key', { key: 'k' }, admin.cookie))).status, 404);
    assert.equal((await answer(await post('/admin/models/remove', { alias: 'model:none/such' }, admin.cookie))).status, 404);
    assert.equal(psql("SELECT count(*) FROM models WHERE alias = 'model:e2e/bad'"), '0');
    assert.equal(psql("SELECT count(*) FROM providers WHERE name LIKE 'e2e-%' AND name IN ('e2e-nokey', 'e2e-bad')"), '0');
  });

  test('asgard provider key rotates as the page does and prints the fingerprint', () => {
    const name = nonce('cliprov').toLowerCase();
    const dir = mkdtempSync(join(tmpdir(), 'asgard-keys-'));
    writeFileSync(join(dir, 'a'), 'key-one\n');
    writeFileSync(join(dir, 'b'), 'key-two\n');
    assert.match(asgardOk(['provider', 'add', name, '--upstream', 'asgard_demo_provider', '--key-file', join(dir, 'a')]), new RegExp(fingerprint('key-one')));
    assert.match(asgardOk(['provider', 'key', name, '--key-file', join(dir, 'b')]), new RegExp(fingerprint('key-two')));
    assert.match(asgardOk(['provider', 'list']), new RegExp(`${name} .*${fingerprint('key-two')}`));
    asgardOk(['provider', 'remove', name]);
  });

  test('in the browser: add a model, rotate a key after the confirm step; the key field is emptied and never shown', async () => {
    const name = nonce('pageprov').toLowerCase();
    const admin = await signedIn('dash-models-seed', { admin: true });
    assert.equal((await answer(await post('/admin/providers', { name, upstream: 'asgard_demo_provider', key: 'first-key' }, admin.cookie))).status, 200);
    const { page } = await signedInPage(browser, 'dash-models-page', { admin: true });
    await page.goto(`${env.url}/dashboard/#/admin/models`);
    await page.waitForSelector('#model-form');
    const alias = `model:e2e/${name}`;
    made.push(alias);
    await page.type('#model-alias', alias);
    await page.select('#model-provider', name);
    await page.type('#model-upstream', 'demo-gpt-5');
    await page.type('#model-price-in', '0.75');
    await page.type('#model-price-out', '3');
    await page.click('#model-form button[type=submit]');
    await page.waitForFunction((a) => [...document.querySelectorAll('#models code')].some((c) => c.textContent === a), {}, alias);
    const row = await page.$$eval('#providers tbody tr', (rows, n) => rows.findIndex((r) => r.cells[0].textContent === n), name);
    assert.ok(row >= 0);
    const input = (await page.$$('#providers tbody tr'))[row];
    await (await input.$('input[type=password]')).type('second-key');
    await (await input.$('form button')).click();
    await page.waitForFunction((fp) => document.body.textContent.includes(fp), {}, fingerprint('second-key'));
    const text = await page.$eval('body', (b) => b.textContent + [...document.querySelectorAll('input')].map((i) => i.value).join(' '));
    assert.ok(!text.includes('second-key') && !text.includes('first-key'), 'no key on the page');
    await page.screenshot({ path: join(shots, 'models.png'), fullPage: true });
    assert.equal((await answer(await post('/admin/models/remove', { alias }, admin.cookie))).status, 200);
    assert.equal((await answer(await post(`/admin/providers/${name}/remove`, {}, admin.cookie))).status, 200);
  });
});
