// What the dashboard's browser and API tests share: Debian's Chromium (headless, puppeteer-core),
// a page in a browser context of its own that records CSP violations and accepts confirm dialogs,
// people with one-time sign-in links, and the dashboard API called as the page calls it.
import assert from 'node:assert/strict';

import puppeteer from 'puppeteer-core';

import { asgardOk, nonce } from './gateway_helpers.js';
import { env } from './helpers.js';

export function launchBrowser() {
  return puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A 1280x800 page in a context of its own (its own cookies): { context, page }; window.__violations
 * lists the CSP violations; confirm dialogs are accepted. */
export async function newPage(browser) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.evaluateOnNewDocument(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  page.on('dialog', (d) => d.accept());
  return { context, page };
}

/** A fresh user (an admin when asked) and a one-time sign-in link: { name, url, link }. */
export function userWithLink(prefix, { admin = false, base = env.url } = {}) {
  const name = nonce(prefix);
  asgardOk(['user', 'add', name, ...(admin ? ['--admin'] : [])]);
  const { url } = JSON.parse(asgardOk(['login-link', '--user', name, '--url', base, '--json']));
  return { name, url, link: url.split('/').pop() };
}

/** POST to the dashboard API as the page does (the X-Asgard-Dashboard header), with a cookie. */
export const dashPost = (path, body, cookie, headers = {}, base = env.url) => fetch(`${base}/api/dashboard${path}`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-asgard-dashboard': '1', ...(cookie ? { cookie } : {}), ...headers },
  body: JSON.stringify(body ?? {}),
});
export const dashGet = (path, cookie, headers = {}, base = env.url) =>
  fetch(`${base}/api/dashboard${path}`, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
/** { status, json } of an answer. */
export const answer = async (res) => ({ status: res.status, json: await res.json() });

/** A fresh user signed in through the API: { name, link, cookie } (the Cookie header to send back). */
export async function signedIn(prefix, { admin = false, base = env.url } = {}) {
  const { name, link } = userWithLink(prefix, { admin, base });
  const res = await dashPost('/signin', { link }, null, {}, base);
  assert.equal(res.status, 200, await res.clone().text());
  const setCookie = res.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /^asgard_session=[A-Za-z0-9]{43}; Path=\/api\/dashboard; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
  return { name, link, cookie: setCookie.split(';')[0] };
}

/** A person signed in by link in the browser: { name, context, page } on Getting started. */
export async function signedInPage(browser, prefix, options = {}) {
  const { name, url } = userWithLink(prefix, options);
  const { context, page } = await newPage(browser);
  await page.goto(url);
  await page.waitForSelector('#signin');
  await page.click('#signin');
  await page.waitForSelector('#create-token');
  return { name, context, page };
}
