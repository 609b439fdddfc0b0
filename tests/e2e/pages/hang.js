// The first load busy-loops for ever once it has said so; the load after recovery reports.
import { api, check, done } from './harness.js';

const n = await api.invoke('test.loads');
check(`load ${n} reaches the host`, n >= 1, n);
if (n === 1) {
  done('hanging');
  setTimeout(() => {
    for (;;) {
      // a page stuck in a loop
    }
  }, 100);
} else {
  done('recovered');
}
