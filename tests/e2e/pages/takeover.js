// The bridge takeover: a page script rewrites its document with document.open() and
// document.write() after load, which makes WebKit run the document-start scripts again, and
// offers a port of its own the moment the world script announces itself. It must get
// nothing: no reply or push on its port, no call through it, and window.api keeps working.
import { api, check, done, until } from './harness.js';

check('before: window.api answers', (await api.invoke('test.add', { a: 1, b: 2 })) === 3);

const mine = document.createElement('div'); // the port this script offers
const caught = []; // ports someone else offered that this script could grab
const stolen = []; // what reached a port this script holds
mine.addEventListener('rpcview:in', (e) => stolen.push(String(e.detail)));
let claimed = 0;
mine.addEventListener('rpcview:claimed', () => claimed++);

document.open();
document.addEventListener('rpcview:world', () => {
  document.dispatchEvent(new MouseEvent('rpcview:port', { relatedTarget: mine }));
}, true);
document.addEventListener('rpcview:port', (e) => {
  if (e.relatedTarget !== mine && e.relatedTarget) {
    caught.push(e.relatedTarget);
    e.relatedTarget.addEventListener('rpcview:in', (ev) => stolen.push(String(ev.detail)));
  }
}, true);
document.write('<!doctype html><html><head><title>rewritten</title></head><body><p id="rewritten">rewritten by document.write</p></body></html>');
document.close();
// Offer again after the rewrite, as a script that runs later would.
document.dispatchEvent(new MouseEvent('rpcview:port', { relatedTarget: mine }));

// Raw calls through every port this script holds: none may reach a handler.
const raw = (port, n) => port.dispatchEvent(new CustomEvent('rpcview:out', {
  detail: JSON.stringify({ n: 'attacker', m: [{ jsonrpc: '2.0', id: 900 + n, method: 'test.victim', params: { from: 'takeover' } }] }),
}));
raw(mine, 0);
caught.forEach((p, i) => raw(p, i + 1));

const after = await Promise.race([
  api.invoke('test.add', { a: 2, b: 3 }),
  new Promise((r) => setTimeout(() => r('timed out'), 10000)),
]);
check('after document.open: window.api still answers', after === 5, after);
await api.invoke('test.emit', { event: 'test.ping', payload: 'after the rewrite' });
await until(() => false, 300);
check('no port this script offered was claimed', claimed === 0, claimed);
check('nothing reached a port this script holds', stolen.length === 0, stolen.join(' | ').slice(0, 300));
const stats = await api.invoke('test.stats');
check('no raw call through a page-held port ran a handler', stats.victim_runs === 0, stats.victim_runs);
check('window.api is still the frozen original', Object.isFrozen(window.api) && typeof window.api.invoke === 'function');
done();
