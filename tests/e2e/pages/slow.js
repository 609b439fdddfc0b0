import { api, check, done } from './harness.js';

let ticks = 0;
const timer = setInterval(() => ticks++, 10);
const order = [];
const started = performance.now();
const slow = Array.from({ length: 100 }, (_, i) =>
  api.invoke('test.slow', { ms: 1500 - i * 10, tag: i }).then((tag) => order.push(tag)),
);
const fast = await api.invoke('test.add', { a: 1, b: 1 });
const fastMs = performance.now() - started;
check('a fast call issued behind 100 slow ones settles first', fast === 2 && order.length === 0, `${fastMs.toFixed(1)} ms, ${order.length} slow calls settled before it`);
check('100 calls are pending meanwhile', api.pendingCount() === 100, api.pendingCount());
await Promise.all(slow);
const elapsed = performance.now() - started;
clearInterval(timer);
check('all 100 slow calls settle', order.length === 100);
check('they settle out of order, shortest first', order[0] === 99 && order[99] === 0, order.slice(0, 5).join());
check('a page timer kept firing meanwhile', ticks >= elapsed / 10 / 3, `${ticks} ticks of 10 ms in ${elapsed.toFixed(0)} ms`);
check('nothing is left pending', api.pendingCount() === 0);
done();
