// Browser mode in a real browser: headless Chromium (Debian's `chromium`, driven by
// playwright-core) opens the demo served by `rpcview-notes serve --tour` at `&tour`, so the
// same page runs its tour over the same `window.api`, carried by a WebSocket. Passes when the
// demo prints "every step passed"; saves a screenshot under target/.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { repo, serve, TIMEOUT } from './serve.js';

const CHROMIUM = process.env.RPCVIEW_CHROMIUM || '/usr/bin/chromium';
const cleanups = [];
after(async () => {
  for (const f of cleanups.reverse()) await f();
});

test('the demo tour passes every step in headless Chromium', { timeout: 3 * TIMEOUT }, async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/deps does), or set RPCVIEW_CHROMIUM`);
  const server = await serve(['--tour']);
  cleanups.push(() => server.stop());
  const profile = mkdtempSync(join(tmpdir(), 'rpcview-chromium-'));
  cleanups.push(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 760 },
    timeout: TIMEOUT,
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] || (await context.newPage());
  const console = [];
  page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
  await page.goto(`${server.url}&tour`, { timeout: TIMEOUT });
  try {
    await server.waitFor(/tour: \d+ steps; (every step passed|\d+ step\(s\) failed)/);
  } finally {
    const dir = join(repo, 'target');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'rpcview-browser-tour.png'), fullPage: true });
  }
  const out = server.out();
  assert.match(out, /every step passed/, `${out}\nconsole:\n${console.join('\n')}\nstderr:\n${server.err()}`);
  assert.doesNotMatch(out, /FAIL/);
  // The same page, the same frozen window.api, over the WebSocket.
  const status = await page.textContent('#status');
  assert.match(status, /^main · \d+ methods/);
  const frozen = await page.evaluate(() => Object.isFrozen(window.api) && !Object.getOwnPropertyDescriptor(window, 'api').writable);
  assert.equal(frozen, true);
  const denied = await page.evaluate(() => window.api.invoke('app.new_window').then(() => 'allowed', (e) => e.code));
  assert.equal(denied, -32001, 'app.new_window is not granted in browser mode');
});
