// Unit tests of preload.js and world.js, each in a fresh V8 context: one plays the page's
// main world, the other the isolated world the host injects world.js into. They share a
// stand-in `document`, as the two worlds share the DOM. The same behaviours are tested again
// in WebKit by tests/e2e.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const source = readFileSync(new URL('../preload.js', import.meta.url), 'utf8');
const worldSource = readFileSync(new URL('../world.js', import.meta.url), 'utf8');

const BRIDGE = { out: 'rpcview:out', in: 'rpcview:in', port: 'rpcview:port', claimed: 'rpcview:claimed', world: 'rpcview:world' };
// The host's codes, as `bridge::scripts::Codes` hands them over.
const CODES = { INVALID_PARAMS: -32602, INTERNAL_ERROR: -32603, METHOD_NOT_ALLOWED: -32001, TIMED_OUT: -32003, ABORTED: -32004, TOO_LARGE: -32007 };

class FakeMouseEvent extends Event {
  constructor(type, init) {
    super(type, init);
    this.relatedTarget = init.relatedTarget;
  }
}

/**
 * Runs world.js in a context of its own, as the host injects it into a frame at `origin`
 * (`top` or not), for a window whose origin is `windowOrigin`. Returns what it posted to the
 * host (parsed stamps) and its delivery function.
 */
/** Reads the world script's stamp: `origin \n top \n href \n size \n detail`. */
function parseStamp(text) {
  const [origin, top, href, size, ...rest] = text.split('\n');
  return { origin, top: top === '1', href, size: Number(size), detail: rest.join('\n') };
}

function startWorld(document, { origin = 'app://localhost', top = true, windowOrigin = 'app://localhost', posted = [], maxChars = 1 << 30 } = {}) {
  const ctx = vm.createContext({
    document,
    Node: EventTarget,
    Event,
    CustomEvent,
    self: { origin },
    location: { href: `${origin}/index.html` },
    webkit: { messageHandlers: { bridge: { postMessage: (text) => posted.push(parseStamp(text)) } } },
    addEventListener: (...args) => document.addEventListener(...args),
  });
  vm.runInContext(`globalThis.window = globalThis; globalThis.top = ${top ? 'globalThis' : '{}'};`, ctx);
  const run = () => vm.runInContext(`${worldSource.trim()}(${JSON.stringify({ handler: 'bridge', origins: [windowOrigin], maxChars, bridge: BRIDGE })});`, ctx);
  run();
  return { posted, deliver: (text) => ctx.__rpcview_deliver(text), rerun: run };
}

/**
 * Boots the preload in a new context, with the real world script in another, started before
 * or after the preload as `worldFirst` says. Returns the context, what was sent, and a way to
 * deliver replies.
 */
function boot({ origin = 'app://localhost', top = true, methods = ['math.add', 'slow'], notifications = ['app.log'], events = ['tick'], subscriptions = ['count'], worldFirst = false, console: pageConsole } = {}) {
  const reported = [];
  const document = new EventTarget();
  document.createElement = () => new EventTarget();
  let world = null;
  // What the page handed off: every stamp, and the calls in them (log lines aside).
  const stamps = [];
  const sent = [];
  const posted = { push: (stamp) => { stamps.push(stamp); const d = JSON.parse(stamp.detail); if (d.m) sent.push(d); } };
  if (worldFirst) world = startWorld(document, { origin, top, posted });
  const ctx = vm.createContext({
    document,
    location: { origin },
    EventTarget,
    CustomEvent,
    MouseEvent: FakeMouseEvent,
    AbortSignal,
    setTimeout,
    clearTimeout,
    queueMicrotask,
    console: pageConsole,
    reportError: (e) => reported.push(e),
  });
  vm.runInContext(top ? 'globalThis.top = globalThis' : 'globalThis.top = {}', ctx);
  const config = { pages: { 'app://localhost': { methods, notifications, events, subscriptions } }, bridge: BRIDGE, codes: CODES, maxMessageBytes: 4 << 20, maxDepth: 64 };
  vm.runInContext(`${source.trim()}(${JSON.stringify(config)});`, ctx);
  if (!worldFirst) world = startWorld(document, { origin, top, posted });
  const messages = () => sent.flatMap((s) => s.m);
  const deliver = (text) => world.deliver(text);
  const reply = (msgs, nonce = sent[0].n) => deliver(JSON.stringify({ n: nonce, m: msgs }));
  return { ctx, api: ctx.api, sent, stamps, messages, reply, reported, document, claimed: () => stamps.length > 0 || worldClaimed(document) };
}

/** Whether some world took a port (a port offered now would find no taker). */
function worldClaimed(document) {
  let taken = true;
  const probe = new EventTarget();
  probe.addEventListener(BRIDGE.claimed, () => { taken = false; });
  document.dispatchEvent(new FakeMouseEvent(BRIDGE.port, { relatedTarget: probe }));
  return taken;
}

const tick = () => new Promise((r) => setImmediate(r));

test('defines window.api non-writable, non-configurable and deeply frozen', () => {
  const { ctx, api } = boot();
  assert.deepEqual(Object.getOwnPropertyNames(ctx).filter((k) => k.startsWith('__rpcview')), [], 'no global receiver');
  const d = Object.getOwnPropertyDescriptor(ctx, 'api');
  assert.equal(d.writable, false);
  assert.equal(d.configurable, false);
  assert.ok(Object.isFrozen(api) && Object.isFrozen(api.invoke) && Object.isFrozen(api.RpcError.prototype));
  assert.throws(() => vm.runInContext('"use strict"; globalThis.api = {}', ctx), (e) => e.name === 'TypeError');
  assert.throws(() => vm.runInContext('"use strict"; api.invoke = null', ctx), (e) => e.name === 'TypeError');
  assert.throws(() => vm.runInContext('"use strict"; api.extra = 1', ctx), (e) => e.name === 'TypeError');
});

test('hands its port to the world script whichever starts first, and to nobody after', async () => {
  for (const worldFirst of [true, false]) {
    const { api, messages, document } = boot({ worldFirst });
    let leaked = null;
    document.addEventListener(BRIDGE.port, (e) => { leaked = e.relatedTarget; });
    document.dispatchEvent(new Event(BRIDGE.world)); // a page script asking for the port again
    assert.equal(leaked, null, 'the port is never offered once taken');
    api.invoke('math.add', [1, 2]);
    await tick();
    assert.equal(messages().length, 1);
  }
});

test('page scripts see none of the traffic and cannot inject replies', async () => {
  const { api, document, reply, sent } = boot();
  const seen = [];
  document.addEventListener(BRIDGE.out, (e) => seen.push(e.detail));
  const p = api.invoke('math.add', [1, 2]);
  await tick();
  document.dispatchEvent(new CustomEvent(BRIDGE.in, { detail: JSON.stringify({ n: sent[0].n, m: [{ jsonrpc: '2.0', id: 1, result: 'forged' }] }) }));
  assert.equal(seen.length, 0);
  assert.equal(api.pendingCount(), 1);
  reply([{ jsonrpc: '2.0', id: 1, result: 3 }]);
  assert.equal(await p, 3);
});

test('installs nothing in a subframe or on a foreign origin', () => {
  assert.equal(boot({ top: false }).api, undefined);
  assert.equal(boot({ origin: 'https://evil.example' }).api, undefined);
});

test('invoke sends one JSON-RPC request and resolves with its result', async () => {
  const { api, messages, reply } = boot();
  const p = api.invoke('math.add', { a: 1, b: 2 });
  await tick();
  assert.deepEqual(messages(), [{ jsonrpc: '2.0', id: 1, method: 'math.add', params: { a: 1, b: 2 } }]);
  reply([{ jsonrpc: '2.0', id: 1, result: 3 }]);
  assert.equal(await p, 3);
  assert.equal(api.pendingCount(), 0);
});

test('calls made in one microtask leave in one hand-off, each answered on its own', async () => {
  const { api, sent, reply } = boot();
  const a = api.invoke('math.add', [1, 2]);
  const b = api.invoke('math.add', [3, 4]);
  api.notify('app.log', { message: 'hi' });
  await tick();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].m.length, 3);
  assert.equal('id' in sent[0].m[2], false, 'a notification has no id');
  reply([{ jsonrpc: '2.0', id: 2, result: 7 }]);
  assert.equal(await b, 7);
  reply([{ jsonrpc: '2.0', id: 1, result: 3 }]);
  assert.equal(await a, 3);
});

test('an error reply rejects with an RpcError carrying code, message and data', async () => {
  const { api, reply } = boot();
  const p = api.invoke('math.add', {});
  await tick();
  reply([{ jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'bad', data: { errors: [{ path: '/a' }] } } }]);
  await assert.rejects(p, (e) => e instanceof api.RpcError && e.code === -32602 && e.message === 'bad' && e.data.errors[0].path === '/a');
});

test('names outside the allowlist are refused in the page', async () => {
  const { api, sent } = boot();
  await assert.rejects(api.invoke('fs.write', {}), (e) => e.code === -32001 && /fs\.write/.test(e.message));
  assert.throws(() => api.notify('fs.write', {}), (e) => e.code === -32001);
  assert.throws(() => api.on('secret', () => {}), (e) => e.code === -32001);
  await tick();
  assert.equal(sent.length, 0);
});

test('params must be an object or an array', async () => {
  const { api } = boot();
  await assert.rejects(api.invoke('math.add', 5), (e) => e.code === -32602);
  await assert.rejects(api.invoke('math.add', 'x'), (e) => e.code === -32602);
});

test('a timeout rejects, leaves the pending map, tells the host, and a late reply is ignored', async () => {
  const { api, reply, messages } = boot();
  const p = api.invoke('slow', {}, { timeoutMs: 5 });
  await assert.rejects(p, (e) => e.code === -32003);
  assert.equal(api.pendingCount(), 0);
  await tick();
  assert.deepEqual(messages().map((m) => m.method), ['slow', '$/cancelRequest']);
  assert.deepEqual(messages()[1], { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 1 } });
  reply([{ jsonrpc: '2.0', id: 1, result: 'late' }]);
});

test('an AbortSignal rejects, leaves the pending map, and the call never reaches the host or is cancelled there', async () => {
  const { api, messages } = boot();
  const c = new AbortController();
  const p = api.invoke('slow', {}, { signal: c.signal });
  c.abort(); // before the call left the page: it is taken out of the queue
  await assert.rejects(p, (e) => e.code === -32004);
  assert.equal(api.pendingCount(), 0);
  await tick();
  assert.deepEqual(messages(), [], 'nothing was sent');
  const late = new AbortController();
  const q = api.invoke('slow', {}, { signal: late.signal });
  await tick(); // the call has left
  late.abort();
  await assert.rejects(q, (e) => e.code === -32004);
  await tick();
  assert.deepEqual(messages().map((m) => m.method), ['slow', '$/cancelRequest']);
  assert.equal(messages()[1].params.id, messages()[0].id);
  const c2 = new AbortController();
  c2.abort();
  await assert.rejects(api.invoke('slow', {}, { signal: c2.signal }), (e) => e.code === -32004);
});

test('replies addressed to another page are ignored; pushes to "*" reach listeners', async () => {
  const { api, reply } = boot();
  const seen = [];
  api.on('tick', (p) => seen.push(p));
  const p = api.invoke('math.add', [1, 1]);
  await tick();
  reply([{ jsonrpc: '2.0', id: 1, result: 'stale' }], 'another-page');
  reply([{ jsonrpc: '2.0', id: 1, result: 'forged' }, { jsonrpc: '2.0', method: 'tick', params: 1 }], '*');
  assert.deepEqual(seen, [1]);
  assert.equal(api.pendingCount(), 1, 'neither reply settled the call');
  reply([{ jsonrpc: '2.0', id: 1, result: 2 }]);
  assert.equal(await p, 2);
});

test('on returns an off that really removes; once fires once; a throwing listener does not stop others', () => {
  const { api, reply, reported, sent } = boot();
  const got = [];
  const off = api.on('tick', (n) => got.push(`a${n}`));
  api.on('tick', () => {
    throw new Error('boom');
  });
  api.once('tick', (n) => got.push(`once${n}`));
  const push = (n) => reply([{ jsonrpc: '2.0', method: 'tick', params: n }], '*');
  push(1);
  off();
  off();
  push(2);
  assert.deepEqual(got, ['a1', 'once1']);
  assert.equal(reported.length, 2, 'each throw is reported');
  assert.equal(api.listenerCount('tick'), 1);
  assert.equal(sent.length, 0);
});

test('page scripts that patch built-ins after load cannot forge or read traffic', async () => {
  const { ctx, api, messages, reply } = boot();
  vm.runInContext(`
    globalThis.seen = [];
    JSON.parse = () => { seen.push('parse'); return []; };
    JSON.stringify = () => '{"method":"evil"}';
    Map.prototype.get = function () { seen.push('get'); };
    Set.prototype.has = () => true;
    Array.prototype.join = () => 'forged';
    Reflect.apply = () => seen.push('apply');
    Function.prototype.call = () => seen.push('call');
    globalThis.Promise = function () { throw new Error('fake'); };
    Object.prototype.toJSON = function () { return { method: 'evil' }; };
  `, ctx);
  const p = api.invoke('math.add', [1, 2]);
  await tick();
  const m = messages()[0];
  assert.equal(m.method, 'math.add', 'the envelope is built by the preload, not by toJSON');
  reply([{ jsonrpc: '2.0', id: m.id, result: 3 }]);
  assert.equal(await p, 3);
  await assert.rejects(api.invoke('fs.write', {}), (e) => e.code === -32001);
  assert.equal(vm.runInContext('seen.length', ctx), 0);
});

test('a patched Promise.prototype.then or constructor does not see results', async () => {
  const { ctx, api, reply } = boot();
  vm.runInContext(`
    globalThis.stolen = 0;
    const then = Promise.prototype.then;
    Promise.prototype.then = function (a, b) { stolen++; return then.call(this, a, b); };
    Object.defineProperty(Promise.prototype, 'constructor', { value: function Fake() {} });
  `, ctx);
  const p = api.invoke('math.add', [1, 2]);
  await tick();
  reply([{ jsonrpc: '2.0', id: 1, result: 3 }]);
  const got = await new Promise((done) => vm.runInContext('(p, done) => { (async () => done(await p))(); }', ctx)(p, done));
  assert.equal(got, 3);
  const viaThen = await new Promise((done) => p.then(done));
  assert.equal(viaThen, 3);
  assert.equal(vm.runInContext('stolen', ctx), 0);
});

test('options are read only from the options object itself', async () => {
  const { ctx, api } = boot();
  vm.runInContext(`Object.defineProperty(Object.prototype, 'timeoutMs', { get() { return 1; }, configurable: true });`, ctx);
  const p = api.invoke('slow', {}, {});
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(api.pendingCount(), 1, 'an inherited timeoutMs is ignored');
  vm.runInContext('delete Object.prototype.timeoutMs', ctx);
  p.catch(() => {});
});

test('a reply is never handed to a then getter on Object.prototype', async () => {
  const { ctx, api, reply } = boot();
  vm.runInContext(`globalThis.leaked = []; Object.defineProperty(Object.prototype, 'then', { get() { leaked.push(JSON.stringify(this)); } });`, ctx);
  const p = api.invoke('math.add', [1, 2]);
  await tick();
  reply([{ jsonrpc: '2.0', id: 1, result: { secret: 1 } }]);
  await assert.rejects(p, (e) => e.code === -32603);
  assert.ok(!vm.runInContext('leaked', ctx).some((s) => s.includes('secret')));
});

test('a message over the host limit is refused at once; big bursts leave in several hand-offs', async () => {
  const { api, sent } = boot();
  await assert.rejects(api.invoke('math.add', ['x'.repeat(5 << 20)]), (e) => e.code === -32007 && e.data.limit === 4 << 20);
  const big = 'y'.repeat(600 * 1024);
  api.invoke('math.add', [big]);
  api.invoke('math.add', [big]);
  api.invoke('math.add', [1]);
  await tick();
  assert.deepEqual(sent.map((s) => s.m.length), [1, 2]);
  assert.equal(api.pendingCount(), 3);
});

test('the world script stamps each hand-off with its own frame, which a page cannot fake', async () => {
  const { api, stamps } = boot();
  api.invoke('math.add', [1, 2]);
  await tick();
  assert.equal(stamps.length, 1);
  assert.equal(stamps[0].origin, 'app://localhost');
  assert.equal(stamps[0].top, true);
  assert.equal(stamps[0].href, 'app://localhost/index.html');
  // A frame without the preload (a subframe, a foreign page) can offer a port of its own: its
  // messages go out stamped with what it is, for the host to refuse.
  const document = new EventTarget();
  const world = startWorld(document, { origin: 'https://evil.example', top: false });
  const port = new EventTarget();
  document.dispatchEvent(new FakeMouseEvent(BRIDGE.port, { relatedTarget: port }));
  port.dispatchEvent(new CustomEvent(BRIDGE.out, { detail: '{"n":"x","m":[]}' }));
  assert.deepEqual(
    world.posted.map((s) => [s.origin, s.top, s.size, s.detail]),
    [['https://evil.example', false, 16, '']],
    'stamped and sized, but the payload of a frame the host refuses is not forwarded',
  );
});

test('the world script refuses oversized hand-offs itself, and a second run takes no port', () => {
  const document = new EventTarget();
  const world = startWorld(document, { maxChars: 10 });
  const port = new EventTarget();
  document.dispatchEvent(new FakeMouseEvent(BRIDGE.port, { relatedTarget: port }));
  port.dispatchEvent(new CustomEvent(BRIDGE.out, { detail: 'x'.repeat(11) }));
  assert.deepEqual(world.posted.map((s) => [s.size, s.detail]), [[11, '']]);
  // document.open() makes WebKit run the world script again: the page offers its own port
  // as soon as the new run announces itself. The new run must take nothing.
  let announced = 0;
  const mine = new EventTarget();
  let claimed = 0;
  mine.addEventListener(BRIDGE.claimed, () => claimed++);
  document.addEventListener(BRIDGE.world, () => {
    announced++;
    document.dispatchEvent(new FakeMouseEvent(BRIDGE.port, { relatedTarget: mine }));
  });
  world.rerun();
  assert.equal(announced, 0, 'the second run returns before announcing itself');
  assert.equal(claimed, 0);
  const got = [];
  port.addEventListener(BRIDGE.in, (e) => got.push(e.detail));
  mine.addEventListener(BRIDGE.in, (e) => got.push(`stolen:${e.detail}`));
  world.deliver('{"n":"*","m":[]}');
  assert.deepEqual(got, ['{"n":"*","m":[]}'], 'replies still go to the first port only');
});

test('the world script takes the first port only, and delivers only to the top frame of the window origin', () => {
  for (const [origin, top, delivered] of [
    ['app://localhost', true, 1],
    ['app://localhost', false, 0],
    ['https://evil.example', true, 0],
  ]) {
    const document = new EventTarget();
    const world = startWorld(document, { origin, top });
    const first = new EventTarget();
    const second = new EventTarget();
    const got = [];
    first.addEventListener(BRIDGE.in, (e) => got.push(e.detail));
    second.addEventListener(BRIDGE.in, (e) => got.push(`second:${e.detail}`));
    document.dispatchEvent(new FakeMouseEvent(BRIDGE.port, { relatedTarget: first }));
    document.dispatchEvent(new FakeMouseEvent(BRIDGE.port, { relatedTarget: second }));
    world.deliver('{"n":"*","m":[]}');
    assert.equal(got.length, delivered, `${origin} top=${top}`);
    assert.ok(got.every((d) => !d.startsWith('second:')));
  }
});

test('error codes come from the host config, not from the preload', async () => {
  const document = new EventTarget();
  document.createElement = () => new EventTarget();
  const ctx = vm.createContext({ document, location: { origin: 'app://localhost' }, EventTarget, CustomEvent, MouseEvent: FakeMouseEvent, AbortSignal, setTimeout, clearTimeout, queueMicrotask });
  vm.runInContext('globalThis.top = globalThis', ctx);
  const codes = { ...CODES, METHOD_NOT_ALLOWED: -31999 };
  const config = { pages: { 'app://localhost': { methods: [], notifications: [], events: [], subscriptions: [] } }, bridge: BRIDGE, codes, maxMessageBytes: 1 << 20, maxDepth: 64 };
  vm.runInContext(`${source.trim()}(${JSON.stringify(config)});`, ctx);
  await assert.rejects(ctx.api.invoke('nope'), (e) => e.code === -31999);
});

test("console errors, warnings and CSP violations reach the host's log, capped", async () => {
  const printed = [];
  const pageConsole = { error: (...a) => printed.push(['error', ...a]), warn: (...a) => printed.push(['warn', ...a]), log: () => {} };
  const { ctx, stamps, document } = boot({ console: pageConsole });
  vm.runInContext('console.error("boom", { code: 7 }); console.warn("careful"); console.log("quiet")', ctx);
  assert.equal(JSON.stringify(printed), JSON.stringify([['error', 'boom', { code: 7 }], ['warn', 'careful']]), 'the page console still prints');
  const violation = new Event('securitypolicyviolation');
  Object.assign(violation, { blockedURI: 'inline', violatedDirective: 'script-src', sourceFile: 'app://localhost/index.html', lineNumber: 3 });
  document.dispatchEvent(violation);
  const logs = stamps.map((s) => JSON.parse(s.detail).log).filter(Boolean);
  assert.deepEqual(logs.slice(0, 2), [
    { level: 'error', message: 'boom {"code":7}' },
    { level: 'warn', message: 'careful' },
  ]);
  assert.match(logs[2].message, /Content-Security-Policy blocked an inline script or style \(script-src\)/);
  assert.match(logs[2].message, /App::content_security_policy/);
  vm.runInContext('for (let i = 0; i < 500; i++) console.error("flood " + i)', ctx);
  const all = stamps.map((s) => JSON.parse(s.detail).log).filter(Boolean);
  assert.equal(all.length, 200, 'a page that logs in a loop is capped');
  assert.match(all[199].message, /further page logs are dropped/);
});

test('subscribe: items reach onItem in order, each acknowledged, and the end calls onEnd', async () => {
  const { api, messages, reply } = boot();
  const items = [];
  let ended = 0;
  const started = api.subscribe('count', [3], { onItem: (i) => items.push(i), onEnd: () => ended++ });
  await tick();
  const [req] = messages();
  assert.equal(req.method, 'count');
  // The host answers with the id, then (in the same delivery) the items and the end.
  reply([
    { jsonrpc: '2.0', result: 's1', id: req.id },
    { jsonrpc: '2.0', method: 'count', params: { subscription: 's1', result: 1 } },
    { jsonrpc: '2.0', method: 'count', params: { subscription: 's1', result: 2 } },
    { jsonrpc: '2.0', method: 'count', params: { subscription: 'other', result: 99 } },
  ]);
  const sub = await started;
  assert.equal(sub.id, 's1');
  assert.equal(api.subscriptionCount(), 1);
  await tick();
  const acks = messages().filter((m) => m.method === '$/ack');
  assert.deepEqual(acks.map((m) => m.params), [{ subscription: 's1', n: 2 }], 'one acknowledgement per delivery');
  reply([
    { jsonrpc: '2.0', method: 'count', params: { subscription: 's1', end: true } },
    { jsonrpc: '2.0', method: 'count', params: { subscription: 's1', result: 3 } },
  ]);
  assert.deepEqual(items, [1, 2], 'nothing after the end');
  assert.equal(ended, 1);
  assert.equal(api.subscriptionCount(), 0);
});

test('subscribe: for await takes items, acknowledges each as it is taken, and throws the stream error', async () => {
  const { api, messages, reply } = boot();
  const started = api.subscribe('count', [2]);
  await tick();
  const [req] = messages();
  reply([
    { jsonrpc: '2.0', result: 's2', id: req.id },
    { jsonrpc: '2.0', method: 'count', params: { subscription: 's2', result: 'a' } },
  ]);
  const sub = await started;
  await tick();
  assert.equal(messages().filter((m) => m.method === '$/ack').length, 0, 'nothing taken yet, nothing acknowledged');
  const got = [];
  const loop = (async () => {
    for await (const item of sub) got.push(item);
  })();
  await tick();
  reply([{ jsonrpc: '2.0', method: 'count', params: { subscription: 's2', error: { code: 7, message: 'disk gone' } } }]);
  await assert.rejects(loop, (e) => e.code === 7 && e.message === 'disk gone');
  assert.deepEqual(got, ['a']);
  assert.equal(messages().filter((m) => m.method === '$/ack').length, 1);
});

test('subscribe: unsubscribe tells the host and ends the loop; refused names reject', async () => {
  const { api, messages, reply } = boot();
  const started = api.subscribe('count', []);
  await tick();
  reply([{ jsonrpc: '2.0', result: 's3', id: messages()[0].id }]);
  const sub = await started;
  const loop = (async () => {
    const got = [];
    for await (const item of sub) got.push(item);
    return got;
  })();
  await tick();
  await sub.unsubscribe();
  assert.deepEqual(await loop, []);
  await tick();
  const unsub = messages().find((m) => m.method === '$/unsubscribe');
  assert.deepEqual(unsub.params, { subscription: 's3' });
  await assert.rejects(api.subscribe('nope', []), (e) => e.code === CODES.METHOD_NOT_ALLOWED && /subscription 'nope'/.test(e.message));
});

test('subscribe: aborted before the host accepted it, it is unsubscribed as soon as the host names it', async () => {
  const { api, messages, reply } = boot();
  const ctl = new AbortController();
  const started = api.subscribe('count', [], { signal: ctl.signal });
  await tick();
  ctl.abort();
  await assert.rejects(started, (e) => e.code === CODES.ABORTED);
  reply([{ jsonrpc: '2.0', result: 's4', id: messages()[0].id }]);
  await tick();
  assert.deepEqual(messages().find((m) => m.method === '$/unsubscribe').params, { subscription: 's4' });
});

test('a relayed event names its sender; the host own pushes do not', async () => {
  const { api, reply } = boot();
  const seen = [];
  api.on('tick', (payload, meta) => seen.push([payload, meta.from]));
  reply([{ jsonrpc: '2.0', method: 'tick', params: 1 }, { jsonrpc: '2.0', method: 'tick', params: 2, from: 'main' }], '*');
  assert.deepEqual(seen, [[1, undefined], [2, 'main']]);
});

test('prototype hooks set after load see no caller params nor replies: toJSON, Symbol.species, getters', async () => {
  const { ctx, messages, reply } = boot();
  const seen = [];
  ctx.seen = seen;
  vm.runInContext(`
    for (const proto of [Object.prototype, Array.prototype]) {
      Object.defineProperty(proto, 'toJSON', { configurable: true, value: function () { seen.push(['toJSON', JSON.stringify(this)]); return { forged: true }; } });
    }
    class Spy extends Promise {
      constructor(executor) {
        super((resolve, reject) => executor((v) => { seen.push(['species', v]); resolve(v); }, reject));
      }
    }
    Object.defineProperty(Promise, Symbol.species, { configurable: true, get: () => Spy });
    for (const f of ['id', 'result', 'error', 'code', 'message', 'data', 'n', 'm', 'method', 'params', 'subscription', 'from', 'jsonrpc', 'end']) {
      Object.defineProperty(Object.prototype, f, { configurable: true, get() { seen.push(['get', f]); return undefined; } });
    }
    Object.defineProperty(Number.prototype, Symbol.toPrimitive, { configurable: true, value() { seen.push(['toPrimitive']); return 0; } });
    globalThis.results = [];
    const p = api.invoke('math.add', { a: 1, b: [2, new Date(0), new Number(5)] });
    p.then((r) => results.push(r.sum));
    p.catch(() => {}).then(() => results.push('caught'));
    p.finally(() => results.push('finally'));
  `, ctx);
  await tick();
  const [call] = messages();
  assert.deepEqual(call.params, { a: 1, b: [2, '1970-01-01T00:00:00.000Z', 5] }, 'params as the caller wrote them');
  reply([{ jsonrpc: '2.0', id: call.id, result: { sum: 3 } }]);
  await tick();
  assert.deepEqual(Array.from(ctx.results).map(String).sort(), ['3', 'caught', 'finally']);
  assert.deepEqual(seen, [], 'no hook saw anything');
});
