import { api, check, done, sleep, until } from './harness.js';
import { sendRaw } from './raw.js';

const frames = window.frameReports;
const kinds = ['cross', 'same', 'sandboxed', 'data'];
const loaded = await until(() => kinds.every((k) => frames[k]), 10000);
check('all four frames loaded and sent raw messages', loaded, JSON.stringify(frames));
await sleep(500); // the host has long answered (or refused) by now

for (const k of kinds) {
  const f = frames[k] || {};
  check(`${k} frame sees no window.webkit`, f.webkit === 'undefined', f.webkit);
  check(`${k} frame has no window.api of its own`, f.api === 'undefined', f.api);
}
check('a same-origin frame may reach parent.api (it is the app\'s own content)', frames.same && frames.same.parentApi === 'object', frames.same && frames.same.parentApi);
check('a cross-origin frame cannot reach parent.api', frames.cross && frames.cross.parentApi === 'blocked', frames.cross && frames.cross.parentApi);
check('a sandboxed frame cannot reach parent.api', frames.sandboxed && frames.sandboxed.parentApi === 'blocked', frames.sandboxed && frames.sandboxed.parentApi);
check('the frames really had other origins', frames.cross && frames.cross.origin === 'other://localhost' && frames.sandboxed && frames.sandboxed.origin === 'null' && frames.data && frames.data.origin === 'null', JSON.stringify(kinds.map((k) => frames[k] && frames[k].origin)));
check('the main world sees no window.webkit', typeof window.webkit === 'undefined', typeof window.webkit);

const before = await api.invoke('test.stats');
check('no frame message ran a handler', before.victim_runs === 0, `test.victim ran ${before.victim_runs} times`);

// The top frame's page scripts cannot reach the bridge without the preload: the world
// script holds the preload's port, so the same raw message goes nowhere.
sendRaw('top frame page script');
await sleep(500);
check('a raw message from a page script in the top frame reaches no handler', (await api.invoke('test.stats')).victim_runs === 0);
done();
