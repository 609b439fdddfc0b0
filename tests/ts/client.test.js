// The generated client (schema/client.js) in node, where there is no `window`: it loads
// before the bridge exists, says what is missing when called without one, and uses the
// bridge once it is there. In a page, `window.api` is `globalThis.api`.
import { test } from 'node:test';
import assert from 'node:assert/strict';

/** What a call made with no bridge is refused with: an Error naming `window.api` and why. */
const MISSING = /rpcview: window\.api is not defined, so (.+) cannot be called\. Either this page is not running in an rpcview window .*, or it runs at an origin.* that no capability grants to its window/;

/** A stand-in for the preload's `window.api`, recording what the client calls. */
function fakeApi() {
  /** @type {unknown[][]} */
  const calls = [];
  const api = {
    calls,
    invoke: async (/** @type {unknown[]} */ ...a) => (calls.push(['invoke', ...a]), `result of ${a[0]}`),
    notify: (/** @type {unknown[]} */ ...a) => void calls.push(['notify', ...a]),
    subscribe: async (/** @type {unknown[]} */ ...a) => (calls.push(['subscribe', ...a]), { id: 's1' }),
    on: (/** @type {unknown[]} */ ...a) => (calls.push(['on', a[0]]), () => {}),
    once: (/** @type {unknown[]} */ ...a) => (calls.push(['once', a[0]]), () => {}),
  };
  return api;
}

test('client.js loads before window.api exists, says what is missing, then uses window.api once there', async () => {
  assert.equal(typeof (/** @type {any} */ (globalThis).window), 'undefined', 'no window in node');
  assert.equal(/** @type {any} */ (globalThis).api, undefined);
  const { default: client } = await import('../../schema/client.js');

  // Promise-returning functions reject, the others throw; each names what was called.
  await assert.rejects(client.notes.list(), (/** @type {Error} */ e) => e instanceof Error && MISSING.test(e.message) && e.message.includes('notes.list cannot'));
  await assert.rejects(client.notes.export(), MISSING);
  assert.throws(() => client.app.log({ level: 'info', message: 'm' }), MISSING);
  assert.throws(() => client.on('notes.changed', () => {}), /so on\("notes\.changed"\) cannot be called/);

  // The preload defines window.api: the same client now goes through it.
  const api = fakeApi();
  /** @type {any} */ (globalThis).api = api;
  try {
    assert.equal(await client.notes.save({ title: 'a', body: 'b' }), 'result of notes.save');
    await client.notes.list({ timeoutMs: 5 });
    client.app.log({ level: 'info', message: 'm' });
    await client.notes.export({ pace_ms: 1 });
    client.on('notes.changed', () => {});
    assert.deepEqual(api.calls, [
      ['invoke', 'notes.save', { title: 'a', body: 'b' }, undefined],
      ['invoke', 'notes.list', undefined, { timeoutMs: 5 }],
      ['notify', 'app.log', { level: 'info', message: 'm' }],
      ['subscribe', 'notes.export', { pace_ms: 1 }, undefined],
      ['on', 'notes.changed'],
    ]);
  } finally {
    delete (/** @type {any} */ (globalThis).api);
  }
});

test('the error names the page origin when there is one, and createClient(api) needs no window.api', async () => {
  const { createClient } = await import('../../schema/client.js');
  /** @type {any} */ (globalThis).location = { origin: 'https://example.com' };
  try {
    await assert.rejects(createClient().notes.get({ id: 'x' }), /runs at an origin \(https:\/\/example\.com\) that no capability grants/);
  } finally {
    delete (/** @type {any} */ (globalThis).location);
  }
  const api = fakeApi();
  const mine = createClient(/** @type {any} */ (api));
  await mine.notes.get({ id: 'x' });
  assert.deepEqual(api.calls, [['invoke', 'notes.get', { id: 'x' }, undefined]]);
});
