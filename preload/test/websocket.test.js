// The preload's WebSocket transport (browser mode, `rpcview::serve`): the same frozen
// `window.api` over a socket instead of the port, one JSON-RPC message per text frame. A fake
// WebSocket stands in for the browser's; tests/browser/ runs the real thing in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const source = readFileSync(new URL('../preload.js', import.meta.url), 'utf8');
const CODES = { INVALID_PARAMS: -32602, INTERNAL_ERROR: -32603, METHOD_NOT_ALLOWED: -32001, TIMED_OUT: -32003, ABORTED: -32004, TOO_LARGE: -32007 };
const ORIGIN = 'http://127.0.0.1:4321';
const URL_WITH_TOKEN = 'ws://127.0.0.1:4321/__rpcview/ws?token=t0k3n';

/** A stand-in for the browser's WebSocket: records frames, lets the test open, answer, close. */
class FakeSocket extends EventTarget {
  static last = null;
  constructor(url) {
    super();
    this.url = url;
    this.frames = [];
    this.state = 0;
    FakeSocket.last = this;
  }
  get readyState() {
    return this.state;
  }
  send(text) {
    if (this.state !== 1) throw new Error('InvalidStateError: not open');
    this.frames.push(text);
  }
  open() {
    this.state = 1;
    this.dispatchEvent(new Event('open'));
  }
  answer(msg) {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(msg) }));
  }
  close() {
    this.state = 3;
    this.dispatchEvent(new Event('close'));
  }
  messages() {
    return this.frames.map((f) => JSON.parse(f));
  }
}

function boot({ methods = ['math.add', 'slow'], notifications = ['app.log'], events = ['tick'], subscriptions = ['count'] } = {}) {
  const document = new EventTarget();
  document.createElement = () => {
    throw new Error('browser mode makes no port');
  };
  const ctx = vm.createContext({
    document,
    location: { origin: ORIGIN },
    EventTarget,
    Event,
    CustomEvent,
    MessageEvent,
    MouseEvent: Event,
    WebSocket: FakeSocket,
    AbortSignal,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    reportError: () => {},
    btoa,
    atob,
  });
  vm.runInContext('globalThis.top = globalThis', ctx);
  const config = {
    pages: { [ORIGIN]: { methods, notifications, events, subscriptions } },
    bridge: { out: 'o', in: 'i', port: 'p', claimed: 'c', world: 'w' },
    codes: CODES,
    maxMessageBytes: 1 << 20,
    maxDepth: 64,
    console: ['error', 'warn'],
    websocket: URL_WITH_TOKEN,
  };
  vm.runInContext(`${source.trim()}(${JSON.stringify(config)});`, ctx);
  return { ctx, api: ctx.api, socket: FakeSocket.last };
}

const tick = () => new Promise((r) => setImmediate(r));

test('connects to the configured URL (with its token) and defines the same frozen window.api', () => {
  const { ctx, api, socket } = boot();
  assert.equal(socket.url, URL_WITH_TOKEN);
  const d = Object.getOwnPropertyDescriptor(ctx, 'api');
  assert.equal(d.writable, false);
  assert.equal(d.configurable, false);
  assert.ok(Object.isFrozen(api) && Object.isFrozen(api.invoke));
  assert.deepEqual(Object.keys(api).sort(), ['RpcError', 'events', 'invoke', 'listenerCount', 'methods', 'notifications', 'notify', 'on', 'once', 'pendingCount', 'subscribe', 'subscriptionCount', 'subscriptions']);
});

test('calls made before the socket opens wait for it, then leave one frame each', async () => {
  const { api, socket } = boot();
  const a = api.invoke('math.add', [1, 2]);
  const b = api.invoke('math.add', { a: 3, b: 4 });
  api.notify('app.log', { message: 'hi' });
  await tick();
  assert.equal(socket.frames.length, 0, 'nothing sent while connecting');
  socket.open();
  assert.deepEqual(socket.messages(), [
    { jsonrpc: '2.0', id: 1, method: 'math.add', params: [1, 2] },
    { jsonrpc: '2.0', id: 2, method: 'math.add', params: { a: 3, b: 4 } },
    { jsonrpc: '2.0', method: 'app.log', params: { message: 'hi' } },
  ]);
  socket.answer({ jsonrpc: '2.0', id: 2, result: 7 });
  socket.answer([{ jsonrpc: '2.0', id: 1, result: 3 }]); // a batch reply: an array in one frame
  assert.equal(await a, 3);
  assert.equal(await b, 7);
});

test('errors reject with RpcError; the allowlist refuses in the page; pushes reach listeners', async () => {
  const { api, socket } = boot();
  socket.open();
  const p = api.invoke('math.add', {});
  await tick();
  socket.answer({ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'Invalid params', data: { errors: [{ path: '/a' }] } } });
  await assert.rejects(p, (e) => e instanceof api.RpcError && e.code === -32602 && e.data.errors[0].path === '/a');
  await assert.rejects(api.invoke('fs.write', {}), (e) => e.code === -32001);
  const seen = [];
  api.on('tick', (n) => seen.push(n));
  api.once('tick', (n) => seen.push(`once${n}`));
  socket.answer({ jsonrpc: '2.0', method: 'tick', params: 1 });
  socket.answer({ jsonrpc: '2.0', method: 'tick', params: 2 });
  socket.answer({ jsonrpc: '2.0', method: 'secret', params: 3 }); // not granted: ignored
  assert.deepEqual(seen, [1, 'once1', 2]);
});

test('subscriptions: items, $/ack, $/unsubscribe and $/cancelRequest go over the socket', async () => {
  const { api, socket } = boot();
  socket.open();
  const items = [];
  const started = api.subscribe('count', [3], { onItem: (i) => items.push(i) });
  await tick();
  socket.answer({ jsonrpc: '2.0', result: '9', id: 1 });
  socket.answer({ jsonrpc: '2.0', method: 'count', params: { subscription: '9', result: 1 } });
  const sub = await started;
  await tick();
  assert.deepEqual(items, [1]);
  await sub.unsubscribe();
  await tick();
  const slow = api.invoke('slow', {}, { timeoutMs: 5 });
  await assert.rejects(slow, (e) => e.code === -32003);
  await tick();
  assert.deepEqual(
    socket.messages().slice(1).map((m) => [m.method, m.params]),
    [
      ['$/ack', { subscription: '9', n: 1 }],
      ['$/unsubscribe', { subscription: '9' }],
      ['slow', {}],
      ['$/cancelRequest', { id: 2 }],
    ],
  );
});

test('a closed socket rejects the calls waiting and fails the live streams', async () => {
  const { api, socket } = boot();
  socket.open();
  const call = api.invoke('slow', {});
  const errors = [];
  const started = api.subscribe('count', [], { onItem: () => {}, onError: (e) => errors.push(e.code) });
  await tick();
  socket.answer({ jsonrpc: '2.0', result: '1', id: 2 });
  await started;
  socket.close();
  await assert.rejects(call, (e) => e.code === -32603 && /connection to the host closed/.test(e.message));
  assert.deepEqual(errors, [-32603]);
  assert.equal(api.pendingCount(), 0);
  assert.equal(api.subscriptionCount(), 0);
  await assert.rejects(api.invoke('math.add', [1, 2]), (e) => e.code === -32603, 'a call after the close fails too');
});

test('a page script patching MessageEvent or WebSocket after load neither reads nor forges traffic', async () => {
  const { ctx, api, socket } = boot();
  socket.open();
  const original = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data'); // shared with this realm
  const send = FakeSocket.prototype.send; // shared with later tests
  vm.runInContext(`
    globalThis.seen = [];
    Object.defineProperty(MessageEvent.prototype, 'data', { configurable: true, get() { seen.push('data'); return '{"jsonrpc":"2.0","id":1,"result":"forged"}'; } });
    WebSocket.prototype.send = function (t) { seen.push(t); };
    JSON.parse = () => ({ forged: true });
  `, ctx);
  const p = api.invoke('math.add', [1, 2]);
  await tick();
  assert.equal(socket.frames.length, 1, 'sent with the send captured at start-up');
  socket.answer({ jsonrpc: '2.0', id: 1, result: 3 });
  assert.equal(await p, 3);
  Object.defineProperty(MessageEvent.prototype, 'data', original);
  FakeSocket.prototype.send = send;
  assert.equal(vm.runInContext('seen.length', ctx), 0);
});

test('bytes go inline as base64 over the socket, both ways, and arrive as a Uint8Array', async () => {
  const { ctx, api, socket } = boot();
  socket.open();
  const reply = api.invoke('math.add', { data: vm.runInContext('new Uint8Array([1, 2, 255])', ctx), nested: [vm.runInContext('new ArrayBuffer(2)', ctx)] });
  await new Promise((r) => setTimeout(r, 0));
  const [sent] = socket.messages();
  assert.deepEqual(sent.params, { data: { $base64: 'AQL/' }, nested: [{ $base64: 'AAA=' }] });
  socket.answer({ jsonrpc: '2.0', id: sent.id, result: { file: { $base64: 'AQID' }, list: [{ $base64: '' }], text: '{"$base64":"x"}' } });
  const result = await reply;
  assert.equal(Object.prototype.toString.call(result.file), '[object Uint8Array]');
  assert.deepEqual(Array.from(result.file), [1, 2, 3]);
  assert.equal(result.list[0].length, 0);
  assert.equal(result.text, '{"$base64":"x"}', 'a string that looks like a reference stays a string');
});
