import { api, check, done } from './harness.js';

const role = new URLSearchParams(location.search).get('role');
if (role === 'doomed') {
  for (let i = 0; i < 5; i++) api.invoke('test.slow', { ms: 10000, tag: i });
  await api.subscribe('test.forever', [], { onItem() {} });
  check('the doomed window has 5 calls in flight', api.pendingCount() === 5, api.pendingCount());
  check('... and a live stream', api.subscriptionCount() === 1, api.subscriptionCount());
  done('sent'); // the host closes this window now
} else {
  window.afterClose = async () => {
    check('the other window still answers', (await api.invoke('test.add', { a: 1, b: 2 })) === 3);
    check('and has nothing pending', api.pendingCount() === 0);
    done('after');
  };
}
