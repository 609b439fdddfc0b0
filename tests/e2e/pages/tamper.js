import { api, check, done, rejection } from './harness.js';

const attempt = (f) => { try { f(); return 'allowed'; } catch (e) { return e.name; } };
const original = window.api;
check('window.api cannot be replaced', attempt(() => { window.api = {}; }) === 'TypeError' && window.api === original);
check('window.api cannot be deleted', attempt(() => { delete window.api; }) === 'TypeError' && window.api === original);
check('window.api cannot be redefined', attempt(() => Object.defineProperty(window, 'api', { value: {} })) === 'TypeError');
check('api methods cannot be overwritten', attempt(() => { api.invoke = () => 'forged'; }) === 'TypeError');
check('api cannot be extended', attempt(() => { api.extra = 1; }) === 'TypeError' && !('extra' in api));
check('api methods are frozen', Object.isFrozen(api.invoke) && Object.isFrozen(api.on) && attempt(() => { api.invoke.call = null; }) === 'TypeError');
check('RpcError and its prototype are frozen', Object.isFrozen(api.RpcError) && Object.isFrozen(api.RpcError.prototype));
const globals = Object.getOwnPropertyNames(window).filter((k) => k.toLowerCase().includes('rpcview'));
check('the bridge leaves nothing on window but api', globals.length === 0, globals.join());
// Asking for the port again, as the world script would, offers nothing to the page.
let offered = null;
document.addEventListener('rpcview:port', (e) => { offered = e.relatedTarget; });
document.dispatchEvent(new Event('rpcview:world'));
check('the port is never offered to page scripts', offered === null);

// Now break every built-in the bridge uses, the way a hostile or careless script might.
const seen = [];
JSON.parse = (t) => { seen.push(`JSON.parse ${t}`); return { forged: true }; };
JSON.stringify = () => { seen.push('JSON.stringify'); return '{"jsonrpc":"2.0","id":1,"method":"test.victim","params":{"from":"stringify"}}'; };
window.Promise = function FakePromise() { throw new Error('fake Promise'); };
Map.prototype.get = function () { seen.push('Map.get'); return undefined; };
Map.prototype.set = function () { seen.push('Map.set'); return this; };
Set.prototype.has = () => true;
Array.prototype.join = () => '{"jsonrpc":"2.0","id":1,"method":"test.victim","params":{"from":"join"}}';
Reflect.apply = () => { seen.push('Reflect.apply'); };
Function.prototype.call = function () { seen.push('call'); };
window.CustomEvent = function () { throw new Error('fake CustomEvent'); };
EventTarget.prototype.dispatchEvent = function () { seen.push('dispatchEvent'); return true; };
window.queueMicrotask = () => { seen.push('queueMicrotask'); };
window.ipc = { postMessage: () => seen.push('ipc') };
const thenSeen = [];
Object.defineProperty(Object.prototype, 'then', { configurable: true, get() { thenSeen.push(Object.keys(this).join()); return undefined; } });
Object.defineProperty(Object.prototype, 'error', { configurable: true, get() { return { code: 1, message: 'forged error' }; } });

// The bridge still works, with its own built-ins.
const sum = await api.invoke('test.add', [20, 22]);
const stillOk = sum === 42;
// An object reply would be visible to the `then` getter: the preload refuses to resolve it.
const echoed = await rejection(api.invoke('test.echo', [{ secret: 'reply for someone else' }]));
const refusedNotLeaked = echoed && echoed.code === -32603 && !thenSeen.some((s) => s.includes('secret'));
// A toJSON on a prototype is never consulted: it would see every caller's params.
const toJsonSaw = [];
Object.prototype.toJSON = function () { toJsonSaw.push(Object.keys(this).join()); return { from: 'toJSON' }; };
const forged = await rejection(api.invoke('test.add', { a: 1, b: 2 }));
const forgedRefused = forged === null && toJsonSaw.length === 0;
const notAllowed = await rejection(api.invoke('nope.method', {}));
const allowlistHolds = notAllowed && notAllowed.code === -32001;

delete Object.prototype.then;
delete Object.prototype.error;
delete Object.prototype.toJSON;
check('invoke still works after the page replaced JSON, Promise, Map, Reflect and events', stillOk, sum);
check('the page saw none of the bridge\'s traffic through patched built-ins', seen.length === 0, seen.join(' | '));
check('a reply is not handed to a patched Object.prototype.then', refusedNotLeaked, `${echoed && echoed.message}; the getter saw ${thenSeen.join(' | ')}`);
check('a toJSON on Object.prototype neither sees nor rewrites params', forgedRefused, forged ? forged.message : toJsonSaw.join(' | '));
check('a patched Set.prototype.has does not open the allowlist', allowlistHolds, notAllowed && notAllowed.message);
check('no forged message ran test.victim', (await api.invoke('test.stats')).victim_runs === 0);
done();
