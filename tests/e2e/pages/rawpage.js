import { api, check, done, until } from './harness.js';
import { sendRaw } from './raw.js';
check('the foreign page got no window.api', location.hash.includes('foreign-api=undefined'), location.hash);
const before = await api.invoke('test.stats');
check('the foreign page ran no handler', before.victim_runs === 0, `test.victim ran ${before.victim_runs} times`);
sendRaw('same-origin top frame control');
const reached = await until(async () => (await api.invoke('test.stats')).victim_runs === 1);
check('the same raw message from the app origin reaches the handler', reached);
done();
