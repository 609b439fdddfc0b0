import { api, check, done, sleep, until } from './harness.js';

let threw = null;
try { api.on('test.secret', () => {}); } catch (e) { threw = e; }
check('an event outside the allowlist cannot be listened to', threw && threw.code === -32001, threw && threw.message);
check('the allowlist names only allowed events', api.events.join() === 'test.ping', api.events.join());

const got = { a: [], c: [], d: [] };
let errors = 0;
window.addEventListener('error', (e) => {
  if (String(e.error && e.error.message).includes('listener B')) errors++;
  e.preventDefault();
});
const offA = api.on('test.ping', (p) => got.a.push(p.n));
const offB = api.on('test.ping', () => { throw new Error('listener B fails on purpose'); });
const offC = api.on('test.ping', (p) => got.c.push(p.n));
api.once('test.ping', (p) => got.d.push(p.n));
check('four listeners registered', api.listenerCount('test.ping') === 4, api.listenerCount('test.ping'));

await api.invoke('test.emit', { event: 'test.ping', payload: { n: 1 } });
await until(() => got.c.length === 1);
check('a push reaches api.on listeners', got.a.join() === '1' && got.c.join() === '1', JSON.stringify(got));
check('a throwing listener does not stop the others', got.c.length === 1 && got.a.length === 1);
await until(() => errors === 1, 1000);
check('... and its error is reported, not swallowed', errors === 1, errors);
check('once fires once and removes itself', got.d.join() === '1' && api.listenerCount('test.ping') === 3, api.listenerCount('test.ping'));

offA();
offA(); // twice is harmless
await api.invoke('test.emit', { event: 'test.ping', payload: { n: 2 } });
await until(() => got.c.length === 2);
await sleep(100);
check('a removed listener is really gone', got.a.join() === '1' && got.c.join() === '1,2' && got.d.join() === '1', JSON.stringify(got));

offB();
offC();
check('after every off() the listener count is 0', api.listenerCount() === 0, api.listenerCount());

const fromHost = [];
const offE = api.on('test.ping', (p) => fromHost.push(p));
done('listening');
const arrived = await until(() => fromHost.length === 1, 10000);
check('a push from a host thread (Target::All) arrives', arrived && fromHost[0].from === 'host thread', JSON.stringify(fromHost));
await sleep(300);
offE();
check('the listener count returns to 0', api.listenerCount() === 0, api.listenerCount());
done('done');
