// The notes demo driven by the stock WebDriver of WebKitGTK (WebKitWebDriver, Debian's
// webkit2gtk-driver) through webdriverio, as a user would: typing, clicking, keys.
//
// Starts WebKitWebDriver on a free port; it starts the demo binary with --automation and a
// temporary notes folder. The binary: RPCVIEW_NOTES_BIN, else $CARGO_TARGET_DIR/debug/
// rpcview-notes, else target/debug/rpcview-notes of this repository (built by `cargo test
// --workspace`). WebKitWebDriver: RPCVIEW_WEBDRIVER, else the one on PATH. Needs a display:
// `make test` runs it under xvfb-run when there is none.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';

/** Generous: the machine may be loaded (2 cores, builds running). */
const TIMEOUT = 60_000;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function notesBinary() {
  const bin =
    process.env.RPCVIEW_NOTES_BIN ||
    join(process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, 'target'), 'debug', 'rpcview-notes');
  assert.ok(existsSync(bin), `${bin} is missing: build it first (cargo build -p rpcview-notes), or set RPCVIEW_NOTES_BIN`);
  return bin;
}

/** A port nothing listens on now. */
function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => ok(port));
    });
  });
}

/** Starts WebKitWebDriver and polls GET /status until it is ready. */
async function startDriver() {
  const program = process.env.RPCVIEW_WEBDRIVER || 'WebKitWebDriver';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(program, [`--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise((ok) => child.on('exit', () => ok(true)));
    const spawnError = new Promise((_, fail) =>
      child.on('error', (e) => fail(new Error(`${program} did not start: ${e.message}; install Debian's webkit2gtk-driver (.ci/deps does), or set RPCVIEW_WEBDRIVER`))),
    );
    const deadline = Date.now() + TIMEOUT;
    while (Date.now() < deadline) {
      const ready = await Promise.race([
        fetch(`http://127.0.0.1:${port}/status`)
          .then((r) => r.json())
          .then((s) => s.value?.ready === true)
          .catch(() => false),
        exited.then(() => 'exited'),
        spawnError,
      ]);
      if (ready === true) return { child, port, log: () => log };
      if (ready === 'exited') break; // the port was taken meanwhile: try another
      await new Promise((ok) => setTimeout(ok, 50));
    }
    child.kill();
    if (Date.now() >= deadline) throw new Error(`WebKitWebDriver was not ready within ${TIMEOUT} ms: ${log}`);
  }
  throw new Error('WebKitWebDriver did not start on any of 5 ports');
}

/** Ends the app the driver started (if it still runs), then the driver. */
function stopDriver(child) {
  try {
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
    for (const pid of kids.split(/\s+/).filter(Boolean)) process.kill(Number(pid));
  } catch {
    // gone already
  }
  child.kill();
}

describe('the notes demo through WebKitWebDriver (webdriverio)', () => {
  /** @type {Awaited<ReturnType<typeof startDriver>>} */ let driver;
  /** @type {WebdriverIO.Browser} */ let browser;
  /** @type {string} */ let data;

  before(async () => {
    data = mkdtempSync(join(tmpdir(), 'rpcview-wdio-'));
    driver = await startDriver();
    browser = await remote({
      hostname: '127.0.0.1',
      port: driver.port,
      logLevel: 'warn',
      connectionRetryTimeout: 2 * TIMEOUT,
      waitforTimeout: TIMEOUT,
      capabilities: {
        // No browserName: WebKitWebDriver matches it against the name the app reports
        // ("wry"), and anything else fails with "Failed to match capabilities".
        'webkitgtk:browserOptions': { binary: notesBinary(), args: ['--automation', '--data', data] },
        // Plain WebDriver: WebKitWebDriver offers no BiDi socket here.
        'wdio:enforceWebDriverClassic': true,
      },
    });
    // The page is up and its bridge answered (the status pill lists the API).
    await browser.$('#status.ok').waitForExist();
  });

  after(async () => {
    await browser?.deleteSession().catch(() => {});
    if (driver) stopDriver(driver.child);
    if (data) rmSync(data, { recursive: true, force: true });
  });

  it('has window.api under automation', async () => {
    const api = await browser.execute(() => [typeof window.api, Object.isFrozen(window.api), navigator.webdriver]);
    assert.deepEqual(api, ['object', true, true]);
  });

  it('shows the validation error for an empty title', async () => {
    await browser.$('#new').click();
    await browser.$('#body').setValue('no title yet');
    await browser.$('#save').click();
    const error = browser.$('.field-error[data-for="/title"]');
    await browser.waitUntil(async () => (await error.getText()) !== '', { timeoutMsg: 'no error next to the title' });
    assert.match(await error.getText(), /shorter than 1 character/);
    assert.equal(await browser.$('#title').getAttribute('aria-invalid'), 'true');
    assert.deepEqual(readdirSync(data), []);
  });

  it('saves a typed note and lists it', async () => {
    await browser.$('#title').setValue('Groceries');
    await browser.$('#body').setValue('milk');
    await browser.keys('Enter');
    await browser.$('#body').addValue('eggs');
    await browser.$('#save').click();
    await browser.$('#list li[data-id="groceries"]').waitForExist();
    assert.equal(await browser.$('#list li[data-id="groceries"] .t').getText(), 'Groceries');
    assert.equal(await browser.$('#saved').getText(), 'saved just now');
    assert.equal(await browser.$('.field-error[data-for="/title"]').getText(), '');
    assert.equal(readFileSync(join(data, 'groceries.md'), 'utf8'), 'Groceries\nmilk\neggs');
  });

  it('shows a push when another editor writes a note', async () => {
    writeFileSync(join(data, 'from-outside.md'), 'From outside\nwritten by another editor');
    const push = browser.$('#last-push');
    await browser.waitUntil(async () => (await push.getText()).includes('notes.changed · from-outside saved'), {
      timeoutMsg: 'no notes.changed push shown',
    });
    const item = browser.$('#list li[data-id="from-outside"]');
    await item.waitForExist();
    // Open it with the mouse and edit its title with the keyboard (WebDriver actions).
    await browser.action('pointer').move({ origin: item }).down().up().perform();
    await browser.waitUntil(async () => (await browser.$('#title').getValue()) === 'From outside', {
      timeoutMsg: 'the outside note did not open',
    });
    assert.equal(await browser.$('#body').getValue(), 'written by another editor');
    await browser.$('#title').click();
    await browser.keys(['End', '!', 'Enter']);
    await browser.waitUntil(() => readFileSync(join(data, 'from-outside.md'), 'utf8').startsWith('From outside!\n'), {
      timeoutMsg: 'the edited title was not saved',
    });
  });
});
