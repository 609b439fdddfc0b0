// The hostile suite: what a page script can try against the bridge, each with the outcome
// it must get. (tamper.js, frames.js, takeover.js and foreign.js cover built-ins patched after
// load, iframes of four kinds, document.open and foreign origins.)
import { api, check, done, rejection, sleep, until } from './harness.js';

const early = window.early;
// The getters above are still on Object.prototype: the page's own code must work around them
// (harness.js reads nothing from plain objects but its own).
check('prototype poisoning before the page loaded: invoke works', (await api.invoke('test.add', [40, 2])) === 42);

// Later hooks: Symbol.species, toPrimitive, toJSON on Array.prototype.
const laterSeen = [];
class Spy extends Promise {
  constructor(executor) { super((resolve, reject) => executor((v) => { laterSeen.push(`species ${JSON.stringify(v)}`); resolve(v); }, reject)); }
}
Object.defineProperty(Promise, Symbol.species, { configurable: true, get: () => Spy });
Object.defineProperty(Array.prototype, 'toJSON', { configurable: true, value() { laterSeen.push('toJSON'); return []; } });
Object.defineProperty(Number.prototype, Symbol.toPrimitive, { configurable: true, value() { laterSeen.push('toPrimitive'); return 0; } });
const reply = api.invoke('test.echo', [{ secret: 'for this caller only', list: [1, 2, new Number(3)] }]);
const caught = reply.catch(() => 'failed');
const finalized = reply.finally(() => {});
const value = await reply;
await caught;
await finalized;
check('species, toJSON and toPrimitive hooks see no params nor reply', laterSeen.length === 0, laterSeen.join(' | '));
check('... and the caller gets its reply whole', value.secret === 'for this caller only' && value.list.join() === '1,2,3', JSON.stringify(value));
delete Promise[Symbol.species];
delete Array.prototype.toJSON;
delete Number.prototype[Symbol.toPrimitive];
check('no getter on Object.prototype and no patched JSON.parse saw the traffic', early.seen.length === 0, early.seen.slice(0, 5).join(' | '));
for (const f of ['id', 'result', 'error', 'code', 'message', 'data', 'n', 'm', 'method', 'params', 'subscription', 'from', 'jsonrpc', 'end', 'detail']) delete Object.prototype[f];

// Forged traffic: replies and pushes dispatched by the page reach no listener.
const pings = [];
api.on('test.ping', (p) => pings.push(p));
for (const target of [document, window, document.documentElement]) {
  target.dispatchEvent(new CustomEvent('rpcview:in', { detail: JSON.stringify({ n: '*', m: [{ jsonrpc: '2.0', method: 'test.ping', params: 'forged' }] }) }));
}
const port = document.createElement('span');
document.dispatchEvent(new MouseEvent('rpcview:port', { relatedTarget: port }));
port.dispatchEvent(new CustomEvent('rpcview:out', { detail: JSON.stringify({ n: 'x', m: [{ jsonrpc: '2.0', id: 1, method: 'test.victim', params: { from: 'forged port' } }] }) }));
await sleep(300);
check('forged in-events deliver no push', pings.length === 0, JSON.stringify(pings));

// Bad inputs: each a clear error, and the host keeps serving.
const deep = (n) => { let v = 0; for (let i = 0; i < n; i++) v = [v]; return v; };
const tooDeep = await rejection(api.invoke('test.echo', [deep(10000)]));
check('params nested 10,000 deep: -32007 before sending', tooDeep !== null && tooDeep.code === -32007 && /nest/.test(tooDeep.message), tooDeep && tooDeep.message);
const surrogate = await rejection(api.invoke('test.echo', ['\ud800']));
check('a lone surrogate: -32602 from the host', surrogate !== null && surrogate.code === -32602, surrogate && surrogate.message);
const big = 2 ** 64;
check('a number beyond 2^53 survives as a double', (await api.invoke('test.echo', [big])) === big);
const huge = await rejection(api.invoke('test.echo', ['x'.repeat(32 * 1024 * 1024)]));
check('a 32 MiB message: -32007 in the page', huge !== null && huge.code === -32007, huge && huge.message);
const proto = await api.invoke('test.echo', [JSON.parse('{"__proto__": {"polluted": true}}')]);
check('__proto__ in params stays data', ({}).polluted === undefined && proto.__proto__ !== undefined, JSON.stringify(proto));

// A flood: 100,000 calls at once; all settle, and the next call is served.
const t0 = Date.now();
const flood = await Promise.all(Array.from({ length: 100000 }, (_, i) => api.invoke('test.add', [i, 1]).catch((e) => e.code)));
const busy = flood.filter((v) => v === -32009).length;
check('100,000 calls at once all settle (answered or refused as busy)', flood.every((v, i) => v === i + 1 || v === -32009), `${Date.now() - t0} ms, ${busy} refused as busy`);
check('... and the next call is served', (await api.invoke('test.add', [1, 1])) === 2);

// Navigation to other schemes and hosts: refused, this page stays (else it would never finish).
for (const url of ['file:///etc/passwd', 'http://127.0.0.1:9/', 'https://example.com/', URL.createObjectURL(new Blob(['<p>blob</p>'], { type: 'text/html' }))]) {
  location.href = url;
  await sleep(200);
}
window.open('https://example.com/', '_blank');
await sleep(300);
check('navigation to file:, http:, https:, blob: and new windows are refused', location.pathname.endsWith('/hostile.html'), location.href);

// A refused frame hands over 90 MB and 200 MB: the host never gets the bytes, and answers the
// top page as fast.
const latency = async () => {
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t = Date.now();
    await api.invoke('test.add', [i, i]);
    times.push(Date.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[10];
};
await until(() => early.frames['flood-ready'], 10000);
const before = await latency();
done('flood'); // the driver measures the host's memory now
await sleep(200);
document.getElementById('flood').contentWindow.postMessage('flood', '*');
await until(() => early.frames.flooded, 30000);
const after = await latency();
check('a refused frame\'s 90 + 200 MB messages: top page call latency (median ms, before / after)', early.frames.flooded, `${before} / ${after}`);
done('flooded');
