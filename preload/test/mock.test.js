// Unit tests of mock.js, the stand-in `window.api` for a page's unit tests (its source is
// host/rpcview-contract/src/typescript/mock.js; every app's generated folder has a copy). Its
// surface is compared with the real preload's, booted in a V8 context as preload.test.js does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { createMock, installMock, RpcError } from '../mock.js';

/** The real preload's `window.api`, in a context of its own (no host behind it). */
function realApi() {
  const document = new EventTarget();
  document.createElement = () => new EventTarget();
  class FakeMouseEvent extends Event {}
  const ctx = vm.createContext({ document, location: { origin: 'app://localhost' }, EventTarget, CustomEvent, MouseEvent: FakeMouseEvent, AbortSignal, setTimeout, clearTimeout, queueMicrotask });
  vm.runInContext('globalThis.top = globalThis', ctx);
  const config = {
    pages: { 'app://localhost': { methods: ['m'], notifications: ['n'], events: ['e'], subscriptions: ['s'] } },
    bridge: { out: 'o', in: 'i', port: 'p', claimed: 'c', world: 'w' },
    codes: { INVALID_PARAMS: -32602, INTERNAL_ERROR: -32603, METHOD_NOT_ALLOWED: -32001, TIMED_OUT: -32003, ABORTED: -32004, TOO_LARGE: -32007 },
    maxMessageBytes: 1 << 20,
    maxDepth: 64,
  };
  const source = readFileSync(new URL('../preload.js', import.meta.url), 'utf8');
  vm.runInContext(`${source.trim()}(${JSON.stringify(config)});`, ctx);
  return ctx;
}

const tick = () => new Promise((r) => setImmediate(r));

test('the surface is the real preload\'s: same keys, frozen, defined non-writable and non-configurable', () => {
  const real = realApi();
  const global = {};
  const mock = installMock({ global });
  assert.equal(global.api, mock.api);
  assert.deepEqual(Object.keys(mock.api), Object.keys(real.api));
  for (const key of Object.keys(real.api)) assert.equal(typeof mock.api[key], typeof real.api[key], key);
  const d = Object.getOwnPropertyDescriptor(global, 'api');
  const r = Object.getOwnPropertyDescriptor(real, 'api');
  assert.deepEqual([d.writable, d.enumerable, d.configurable], [r.writable, r.enumerable, r.configurable]);
  assert.ok(Object.isFrozen(mock.api) && Object.isFrozen(mock.api.invoke) && Object.isFrozen(mock.api.RpcError.prototype));
  assert.ok(Object.isFrozen(mock.api.methods));
  assert.throws(() => {
    'use strict';
    global.api = {};
  }, TypeError);
  assert.throws(() => Object.defineProperty(mock.api, 'extra', { value: 1 }), TypeError);
  // The errors have the same own fields.
  const [a, b] = [new real.api.RpcError(1, 'm', 2), new mock.api.RpcError(1, 'm', 2)];
  assert.deepEqual(Object.keys(b), Object.keys(a));
  assert.deepEqual([b.name, b.code, b.message, b.data, b instanceof Error], [a.name, a.code, a.message, a.data, true]);
  // A global with an api already (the real bridge) is left alone.
  assert.throws(() => installMock({ global: real }), /already has an `api`/);
});

test('installing again on one global starts afresh behind the same window.api', async () => {
  const global = {};
  const first = installMock({ global, handlers: { a: () => 1 } });
  first.api.on('tick', () => {});
  const second = installMock({ global, handlers: { b: () => 2 } });
  assert.equal(second.api, first.api);
  assert.deepEqual(global.api.methods, ['b']);
  assert.equal(global.api.listenerCount(), 0);
  assert.equal(await global.api.invoke('b'), 2);
  await assert.rejects(global.api.invoke('a'), (e) => e.code === -32601);
  assert.equal(first.calls.length, 0);
  assert.equal(second.calls.length, 2);
});

test('handlers get the params as passed, by name or position; results come back', async () => {
  const seen = [];
  const { api, calls } = createMock({
    handlers: {
      'math.add': (params, call) => {
        seen.push([params, call.method]);
        return Array.isArray(params) ? params[0] + params[1] : params.a + params.b;
      },
      'notes.delete': async () => {},
    },
  });
  assert.equal(await api.invoke('math.add', { a: 1, b: 2 }), 3);
  assert.equal(await api.invoke('math.add', [3, 4]), 7);
  assert.equal(await api.invoke('notes.delete', { id: 'x' }), null, 'no result is null, as the host answers');
  assert.deepEqual(seen, [[{ a: 1, b: 2 }, 'math.add'], [[3, 4], 'math.add']]);
  assert.deepEqual(calls.map((c) => [c.method, c.outcome]), [
    ['math.add', { status: 'resolved', result: 3 }],
    ['math.add', { status: 'resolved', result: 7 }],
    ['notes.delete', { status: 'resolved', result: null }],
  ]);
});

test('params and results cross as JSON, and are answered after invoke returns', async () => {
  const params = { when: new Date(0), skip: undefined, list: [1] };
  let got;
  const { api, calls } = createMock({ handlers: { m: (p) => ((got = p), p.list.push(2), { at: new Date(1) }) } });
  const p = api.invoke('m', params);
  assert.equal(got, undefined, 'not called before invoke returned');
  assert.deepEqual(await p, { at: '1970-01-01T00:00:00.001Z' });
  assert.deepEqual(got, { when: '1970-01-01T00:00:00.000Z', list: [1, 2] });
  assert.deepEqual(params.list, [1], "the page's object is not the handler's");
  assert.deepEqual(calls[0].params, { when: '1970-01-01T00:00:00.000Z', list: [1] });
  await assert.rejects(api.invoke('m', 5), (e) => e instanceof api.RpcError && e.code === -32602);
});

test('a thrown RpcError reaches the page with code, message and data; other throws are -32603', async () => {
  const { api, calls } = createMock({
    handlers: {
      'notes.get': ({ id }) => {
        throw new RpcError(404, `no note '${id}'`, { id });
      },
      'plain.code': () => Promise.reject({ code: -32602, message: 'title must not be empty', data: { path: '/title' } }),
      'bug': () => {
        throw new Error('oops');
      },
    },
  });
  await assert.rejects(api.invoke('notes.get', { id: 'a' }), (e) => e instanceof api.RpcError && e.name === 'RpcError' && e.code === 404 && e.message === "no note 'a'" && e.data.id === 'a');
  await assert.rejects(api.invoke('plain.code', {}), (e) => e instanceof api.RpcError && e.code === -32602 && e.data.path === '/title');
  await assert.rejects(api.invoke('bug'), (e) => e instanceof api.RpcError && e.code === -32603 && e.message === 'oops');
  assert.equal(calls[0].outcome.status, 'rejected');
  assert.equal(calls[0].outcome.error.code, 404);
});

test('a method without a handler rejects as the host does: -32601 Method not found', async () => {
  const { api, calls } = createMock();
  await assert.rejects(api.invoke('notes.nope', {}), (e) => e instanceof api.RpcError && e.code === -32601 && e.message === 'Method not found' && e.data.method === 'notes.nope');
  assert.equal(calls[0].outcome.error.code, -32601);
  await assert.rejects(api.subscribe('nope'), (e) => e.code === -32601);
});

test('allow: names outside it are refused with -32001 as the preload refuses them', async () => {
  const { api, emit } = createMock({ handlers: { a: () => 1 }, allow: { methods: ['a'], events: ['tick'] } });
  assert.deepEqual([api.methods, api.events, api.notifications], [['a'], ['tick'], []]);
  await assert.rejects(api.invoke('fs.write', {}), (e) => e.code === -32001 && e.message === "method 'fs.write' is not allowed in this window; the host allows: a");
  assert.throws(() => api.notify('app.log', {}), (e) => e.code === -32001);
  assert.throws(() => api.on('secret', () => {}), (e) => e.code === -32001);
  await assert.rejects(api.subscribe('s'), (e) => e.code === -32001 && /subscription 's'/.test(e.message));
  assert.throws(() => emit('secret', 1), /not among allow\.events/);
});

test('timeoutMs and an AbortSignal reject as the preload does, and abort the handler\'s signal', async () => {
  let signal;
  const { api, calls } = createMock({ handlers: { slow: (_, call) => ((signal = call.signal), new Promise(() => {})) } });
  await assert.rejects(api.invoke('slow', {}, { timeoutMs: 5 }), (e) => e.code === -32003 && e.data.timeoutMs === 5);
  assert.equal(signal.aborted, true, 'the handler learns the page gave up');
  assert.equal(api.pendingCount(), 0);
  const c = new AbortController();
  const p = api.invoke('slow', {}, { signal: c.signal });
  assert.equal(api.pendingCount(), 1);
  await tick();
  c.abort();
  await assert.rejects(p, (e) => e.code === -32004 && e.message === "'slow' was aborted");
  await assert.rejects(api.invoke('slow', {}, { signal: c.signal }), (e) => e.code === -32004 && /before it was sent/.test(e.message));
  await assert.rejects(api.invoke('slow', {}, { timeoutMs: -1 }), TypeError);
  assert.deepEqual(calls.map((call) => call.outcome.error.code), [-32003, -32004]);
  assert.equal(api.pendingCount(), 0);
});

test('notifications are recorded, never answered', () => {
  const { api, notified } = createMock();
  assert.equal(api.notify('app.log', { level: 'info', message: 'hi' }), undefined);
  api.notify('app.log', ['warn', 'careful']);
  assert.deepEqual(notified, [
    { method: 'app.log', params: { level: 'info', message: 'hi' } },
    { method: 'app.log', params: ['warn', 'careful'] },
  ]);
  assert.throws(() => api.notify('app.log', 'x'), (e) => e.code === -32602);
});

test('events reach listeners with meta; on, once, off, listenerCount; a throwing listener does not stop others', () => {
  const { api, emit } = createMock();
  const seen = [];
  const off = api.on('notes.changed', (payload, meta) => seen.push(['on', payload, meta.from]));
  api.once('notes.changed', (payload) => seen.push(['once', payload]));
  const offBug = api.on('notes.changed', () => {
    throw new Error('listener bug');
  });
  assert.equal(api.listenerCount('notes.changed'), 3);
  assert.throws(() => emit('notes.changed', { id: 'a', kind: 'saved' }), /listener bug/, 'the test sees it, after every listener ran');
  offBug();
  assert.equal(emit('notes.changed', { id: 'b', kind: 'removed' }, { from: 'second' }), 1);
  off();
  off();
  assert.deepEqual(seen, [['on', { id: 'a', kind: 'saved' }, undefined], ['once', { id: 'a', kind: 'saved' }], ['on', { id: 'b', kind: 'removed' }, 'second']]);
  assert.equal(api.listenerCount(), 0);
  assert.throws(() => api.on('x', 'no function'), TypeError);
  let meta;
  api.on('x', (_, m) => (meta = m));
  emit('x', null);
  assert.ok(Object.isFrozen(meta) && !('from' in meta));
});

test('subscribe: items reach onItem in order, then the end calls onEnd', async () => {
  const items = [];
  let ended = 0;
  const { api, subscribed, streams } = createMock({
    subscriptions: {
      'notes.export': (params, stream) => {
        assert.deepEqual(params, { pace_ms: 0 });
        stream.next({ done: 1 }); // before subscribe's promise settles, as the host may
        setTimeout(() => {
          stream.next({ done: 2 });
          stream.end();
          assert.equal(stream.next({ done: 3 }), false, 'nothing after the end');
        }, 1);
      },
    },
  });
  const sub = await api.subscribe('notes.export', { pace_ms: 0 }, { onItem: (i) => items.push(i), onEnd: () => ended++ });
  assert.match(sub.id, /^mock-notes\.export-/);
  assert.equal(api.subscriptionCount(), 1);
  assert.deepEqual(items, [{ done: 1 }]);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(items, [{ done: 1 }, { done: 2 }]);
  assert.equal(ended, 1);
  assert.equal(api.subscriptionCount(), 0);
  assert.deepEqual(subscribed, [{ name: 'notes.export', params: { pace_ms: 0 }, outcome: { status: 'resolved', result: sub.id } }]);
  assert.equal(streams[0].closed, true);
  await assert.rejects(sub[Symbol.asyncIterator]().next(), /delivers to its onItem/);
});

test('subscribe: for await takes the items the test streams, and throws the stream error', async () => {
  const mock = createMock({ subscriptions: { ticks: () => {} } });
  const sub = await mock.api.subscribe('ticks');
  const stream = mock.stream('ticks');
  stream.next(1);
  const got = [];
  const loop = (async () => {
    for await (const n of sub) got.push(n);
  })();
  await tick();
  stream.next(2);
  stream.error(7, 'disk gone', { free: 0 });
  await assert.rejects(loop, (e) => e instanceof mock.api.RpcError && e.code === 7 && e.message === 'disk gone' && e.data.free === 0);
  assert.deepEqual(got, [1, 2]);
  assert.throws(() => mock.stream('ticks'), /no open subscription 'ticks'/);
});

test('subscribe: onError gets the error; a streamer that throws refuses the subscription', async () => {
  const errors = [];
  const { api, streams, subscribed } = createMock({
    subscriptions: {
      tail: async (_, stream) => {
        await tick();
        throw new RpcError(5, 'log rotated');
      },
      picky: (params) => {
        throw new RpcError(-32602, 'level must be one of info, warn', { params });
      },
    },
  });
  await api.subscribe('tail', [], { onError: (e) => errors.push([e.code, e.message]) });
  await tick();
  await tick();
  assert.deepEqual(errors, [[5, 'log rotated']]);
  await assert.rejects(api.subscribe('picky', ['debug']), (e) => e.code === -32602 && e.data.params[0] === 'debug');
  assert.equal(streams.length, 1, 'a refused subscription never opened');
  assert.equal(subscribed[1].outcome.status, 'rejected');
  assert.equal(api.subscriptionCount(), 0);
});

test('subscribe: unsubscribe, leaving the loop, and the signal end the stream and abort the streamer\'s signal', async () => {
  const mock = createMock({ subscriptions: { ticks: () => {} } });
  const { api } = mock;
  const sub = await api.subscribe('ticks');
  const stream = mock.stream('ticks');
  const loop = (async () => {
    const got = [];
    for await (const n of sub) got.push(n);
    return got;
  })();
  await tick();
  await sub.unsubscribe();
  assert.deepEqual(await loop, []);
  assert.equal(stream.signal.aborted, true);
  assert.equal(stream.next(1), false);

  const early = await api.subscribe('ticks');
  mock.stream('ticks').next('a');
  for await (const n of early) {
    assert.equal(n, 'a');
    break; // return() unsubscribes
  }
  assert.equal(mock.streams[1].closed, true);

  const c = new AbortController();
  await api.subscribe('ticks', [], { signal: c.signal, onItem: () => {} });
  const third = mock.stream('ticks');
  c.abort();
  assert.equal(third.closed, true);
  assert.equal(third.signal.aborted, true);

  // Aborted before it was accepted: rejects, and no stream opens.
  const d = new AbortController();
  const p = api.subscribe('ticks', [], { signal: d.signal });
  d.abort();
  await assert.rejects(p, (e) => e.code === -32004);
  const aborted = new AbortController();
  aborted.abort();
  await assert.rejects(api.subscribe('ticks', [], { signal: aborted.signal }), (e) => e.code === -32004 && /before it was sent/.test(e.message));
  assert.equal(mock.streams.length, 3);
  assert.equal(api.subscriptionCount(), 0);
  assert.equal(api.pendingCount(), 0);
  await assert.rejects(api.subscribe('ticks', [], { onItem: 5 }), TypeError);
});

test('calls are recorded in order with their outcome, pending until settled', async () => {
  let release;
  const mock = createMock({ handlers: { 'notes.list': () => new Promise((r) => (release = r)), 'notes.get': ({ id }) => ({ id }) } });
  const list = mock.api.invoke('notes.list');
  await mock.api.invoke('notes.get', { id: 'a' });
  assert.deepEqual(mock.calls.map((c) => [c.method, c.params, c.outcome.status]), [['notes.list', undefined, 'pending'], ['notes.get', { id: 'a' }, 'resolved']]);
  release([]);
  await list;
  assert.deepEqual(mock.callsOf('notes.list')[0].outcome, { status: 'resolved', result: [] });
});
