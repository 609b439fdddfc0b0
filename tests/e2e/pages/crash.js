// The first load starts a call that would run for ten minutes, then waits for its web process
// to be killed; the load after the crash reports that the page came back.
import { api, check, done } from './harness.js';

const n = await api.invoke('test.loads');
check(`load ${n} reaches the host`, n >= 1, n);
if (n === 1) {
  api.invoke('test.slow', { ms: 600000 }).catch(() => {});
  done('slow-started');
} else {
  done('reloaded');
}
