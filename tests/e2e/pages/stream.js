// Subscriptions in a real page: 100,000 items in order and exactly once, a stream that ends
// with an error, `for await`, and an unsubscribe the host's task sees (the driver checks it).
import { api, check, done, rejection, until } from './harness.js';

const N = 100000;
let next = 0;
let outOfOrder = 0;
let ended = 0;
const started = Date.now();
await new Promise((resolve, reject) => {
  api.subscribe('test.count', [N], {
    onItem(i) {
      if (i !== next) outOfOrder++;
      next = i + 1;
    },
    onEnd() {
      ended++;
      resolve();
    },
    onError: reject,
  });
});
check('100,000 items arrive, each once, in order', next === N && outOfOrder === 0, `last ${next - 1}, ${outOfOrder} out of order`);
check('onEnd is called once', ended === 1, ended);
check('the stream took (ms)', true, Date.now() - started);

const got = [];
for await (const item of await api.subscribe('test.count', [5])) got.push(item);
check('for await takes every item and ends', got.join(',') === '0,1,2,3,4', got.join(','));

const failed = await rejection((async () => {
  const items = [];
  for await (const item of await api.subscribe('test.failing', [3])) items.push(item);
  return items;
})());
check('a stream that fails throws its RpcError in for await', failed !== null && failed.code === 4321 && failed.data.after === 3, failed && `${failed.code} ${failed.message}`);

const bad = await rejection(api.subscribe('test.count', ['many']));
check('bad params are refused before the handler runs', bad !== null && bad.code === -32602, bad && bad.message);
const notAllowed = await rejection(api.subscribe('test.nope', []));
check('an unknown subscription is refused', notAllowed !== null && notAllowed.code === -32001, notAllowed && notAllowed.code);

let seen = 0;
const forever = await api.subscribe('test.forever', [], { onItem: () => seen++ });
await until(() => seen >= 3);
check('an endless stream delivers', seen >= 3, seen);
check('the page counts it live', api.subscriptionCount() === 1, api.subscriptionCount());
await forever.unsubscribe();
const at = seen;
check('after unsubscribe the page counts none', api.subscriptionCount() === 0, api.subscriptionCount());
done('unsubscribed'); // the driver checks the host's task ended
await until(() => false, 300);
check('no item arrives after unsubscribe', seen === at, `${seen - at} more`);

// An abort signal unsubscribes too.
const ctl = new AbortController();
let n2 = 0;
await api.subscribe('test.forever', [], { onItem: () => n2++, signal: ctl.signal });
await until(() => n2 >= 2);
ctl.abort();
check('an aborted stream is gone from the page', api.subscriptionCount() === 0, api.subscriptionCount());
done('aborted');
