// A page that stalls its event loop while the host streams 100,000 items: the host must wait
// (bounded memory, checked by the driver), and every item still arrives, in order, once.
import { api, check, done } from './harness.js';

const N = 100000;
let next = 0;
let outOfOrder = 0;
await new Promise((resolve, reject) => {
  api.subscribe('test.flood', [N], {
    onItem(i) {
      if (i !== next) outOfOrder++;
      next = i + 1;
      if (i === 0) {
        // Stall: nothing runs in this page for 6 s, so nothing is acknowledged.
        const until = Date.now() + 6000;
        while (Date.now() < until) { /* busy */ }
      }
    },
    onEnd: resolve,
    onError: reject,
  });
});
check('after the stall, all 100,000 items arrive in order, once', next === N && outOfOrder === 0, `last ${next - 1}, ${outOfOrder} out of order`);
done();
