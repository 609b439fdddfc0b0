import { api, check, done, rejection } from './harness.js';

check('invoke by name', (await api.invoke('test.add', { a: 2, b: 3 })) === 5);
check('invoke by position', (await api.invoke('test.add', [2, 3])) === 5);

const payload = { s: 'héllo ✓ \u2028 "quoted" </script>', n: [1, { x: null }], big: 9007199254740991 };
const echoed = await api.invoke('test.echo', payload);
// Key order is serde_json's to choose (sorted, unless the app turns on its `preserve_order`).
const canonical = (v) => JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
check('values survive the round trip', canonical(echoed) === canonical(payload), JSON.stringify(echoed));
const mib = 'x'.repeat(1 << 20);
check('a 1 MiB string survives the round trip', (await api.invoke('test.echo', [mib])) === mib);

const bad = await rejection(api.invoke('test.record', { title: '', stars: 11 }));
check('a validation error rejects with an api.RpcError', bad instanceof api.RpcError && bad instanceof Error, bad && bad.name);
check('... with code -32602', bad && bad.code === -32602, bad && bad.code);
const paths = bad && bad.data && bad.data.errors.map((e) => e.path).sort().join(',');
check('... listing every violation by path', paths === '/stars,/title', paths);
check('... with a human message', bad && bad.message.includes('/title: "" is shorter than 1 character'), bad && bad.message);

const extra = await rejection(api.invoke('test.record', { title: 'a', stars: 1, color: 'red' }));
check('unknown fields are refused', extra && extra.code === -32602 && extra.message.includes('color'), extra && extra.message);

const panic = await rejection(api.invoke('test.panic'));
check('a panicking handler rejects with -32603', panic && panic.code === -32603 && panic.message.includes('deliberate panic'), panic && panic.message);
check('... and the host keeps serving', (await api.invoke('test.add', { a: 1, b: 1 })) === 2);

const fail = await rejection(api.invoke('test.fail'));
check('a handler error arrives whole', fail && fail.code === 1234 && fail.message === 'deliberate failure' && fail.data.hint === 'expected', JSON.stringify(fail));

const refused = await rejection(api.invoke('nope.method', {}));
check('an unlisted method is refused in the page', refused && refused.code === -32001 && refused.message.includes("'nope.method'"), refused && refused.message);
let threw = null;
try { api.notify('nope.notification', {}); } catch (e) { threw = e; }
check('an unlisted notification throws', threw && threw.code === -32001, threw && threw.message);
threw = null;
try { api.on('nope.event', () => {}); } catch (e) { threw = e; }
check('an unlisted event throws', threw && threw.code === -32001, threw && threw.message);

const scalar = await rejection(api.invoke('test.add', 5));
check('scalar params are refused before sending', scalar && scalar.code === -32602, scalar && scalar.message);

const timedOut = await rejection(api.invoke('test.slow', { ms: 400 }, { timeoutMs: 30 }));
check('timeoutMs rejects with -32003', timedOut && timedOut.code === -32003, timedOut && timedOut.message);
const controller = new AbortController();
const aborted = api.invoke('test.slow', { ms: 400 }, { signal: controller.signal });
controller.abort();
const abortErr = await rejection(aborted);
check('an AbortSignal rejects with -32004', abortErr && abortErr.code === -32004, abortErr && abortErr.message);
check('timed-out and aborted calls leave the pending map', api.pendingCount() === 0, api.pendingCount());

const doc = await api.invoke('rpc.discover');
const names = doc.methods.map((m) => m.name);
check('rpc.discover answers the OpenRPC document of this window', doc.openrpc === '1.3.2' && names.includes('test.add') && !names.includes('rpc.discover'), names.join());

const n = 5000;
const t0 = performance.now();
const flood = await Promise.all(Array.from({ length: n }, (_, i) => api.invoke('test.add', { a: i, b: 1 })));
const ms = performance.now() - t0;
check(`a flood of ${n} calls all settle correctly`, flood.every((v, i) => v === i + 1), `${ms.toFixed(0)} ms`);
check('nothing is left pending', api.pendingCount() === 0, api.pendingCount());
done();
