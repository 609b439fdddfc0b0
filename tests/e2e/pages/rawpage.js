import { api, check, done, sleep } from './harness.js';
import { sendRaw } from './raw.js';
check('the foreign page got no window.api', location.hash.includes('foreign-api=undefined'), location.hash);
const before = await api.invoke('test.stats');
check('the foreign page ran no handler', before.victim_runs === 0, `test.victim ran ${before.victim_runs} times`);
sendRaw('same-origin top frame page script');
await sleep(500);
check('a page script of the app\'s own origin cannot bypass the preload either', (await api.invoke('test.stats')).victim_runs === 0);
done();
