import { api, check, done, carryChecks, sleep } from './harness.js';

if (!location.hash.includes('reloaded')) {
  api.on('test.ping', () => {}); // never removed: the reload must take it away
  for (let i = 0; i < 5; i++) api.invoke('test.slow', { ms: 10000, tag: `old ${i}` });
  api.invoke('test.durable', [800]); // runs to completion, reload or not
  await api.subscribe('test.forever', [], { onItem() {} });
  check('the first page has 6 calls in flight', api.pendingCount() === 6, api.pendingCount());
  check('... and a live stream', api.subscriptionCount() === 1, api.subscriptionCount());
  check('... and a listener', api.listenerCount() === 1);
  carryChecks(';reloaded');
  done('sent'); // the host reloads the page now
} else {
  check('the reloaded page starts with no listeners', api.listenerCount() === 0, api.listenerCount());
  check('the reloaded page starts with nothing pending', api.pendingCount() === 0, api.pendingCount());
  check('... and no stream', api.subscriptionCount() === 0, api.subscriptionCount());
  // Ids start again at 1: the old page's reply to its call 1 must not settle this call 1.
  const mine = api.invoke('test.slow', { ms: 1200, tag: 'new' });
  await sleep(100);
  check('the new page\'s call 1 gets its own reply', (await mine) === 'new');
  check('nothing is left pending', api.pendingCount() === 0, api.pendingCount());
  done('after');
}
