// Many windows: who called (window, origin, URL), pushes to others, relay between windows
// (allowed, refused, to a window that does not exist), and a window opened at run time.
import { api, check, done, rejection, until } from './harness.js';

const role = new URLSearchParams(location.search).get('role') || 'main';
const who = await api.invoke('test.whoami');
check(`${role}: Ctx names the calling window`, who.window === role, who.window);
check(`${role}: ... its origin`, who.origin === location.origin, who.origin);
check(`${role}: ... and the page's URL, as stamped`, who.url === location.href, `${who.url} vs ${location.href}`);

const notes = [];
if (api.events.includes('test.note')) api.on('test.note', (payload, meta) => notes.push({ payload, from: meta.from }));
const pings = [];
api.on('test.ping', (payload, meta) => pings.push({ payload, from: meta.from }));

if (role === 'main') {
  done('ready');
  // The driver opened 'second' at run time (and 'mute', whose allowlist lacks test.note).
  window.relay = async () => {
    await api.invoke('rpcview.relay', { to: 'second', event: 'test.note', payload: { text: 'hello from main' } });
    check('main: relay to an open window resolves', true);
    const missing = await rejection(api.invoke('rpcview.relay', { to: 'ghost', event: 'test.note', payload: { text: 'x' } }));
    check('main: relay to a window that does not exist is an error', missing !== null && missing.code === -32602 && /ghost/.test(missing.message), missing && missing.message);
    const refused = await rejection(api.invoke('rpcview.relay', { to: 'mute', event: 'test.note', payload: { text: 'x' } }));
    check('main: relay of an event the target may not receive is refused', refused !== null && refused.code === -32001, refused && refused.message);
    const invalid = await rejection(api.invoke('rpcview.relay', { to: 'second', event: 'test.note', payload: { text: 1 } }));
    check('main: a payload that does not match the event is refused', invalid !== null && invalid.code === -32602, invalid && invalid.message);
    const undeclared = await rejection(api.invoke('rpcview.relay', { to: 'second', event: 'test.undeclared', payload: {} }));
    check('main: an undeclared event is refused', undeclared !== null && undeclared.code === -32602, undeclared && undeclared.message);
    await api.invoke('test.emit', { event: 'test.ping', payload: 'to others', others: true });
    const emitMissing = await rejection(api.invoke('test.emit', { event: 'test.ping', payload: 1, to: 'ghost' }));
    check('main: emitting to a window that does not exist is an error', emitMissing !== null && /ghost/.test(emitMissing.message), emitMissing && emitMissing.message);
    await until(() => false, 300);
    check('main: a push to all but the sender skips the sender', pings.length === 0, JSON.stringify(pings));
    done('relayed');
  };
} else if (role === 'second') {
  // Listening now: the driver relays only after this (a push before it would be missed).
  done('second-ready');
  await until(() => notes.length > 0 && pings.length > 0, 30000);
  check('second: the relayed event arrives with its payload', notes.length === 1 && notes[0].payload.text === 'hello from main', JSON.stringify(notes));
  check('second: ... and names its sender', notes[0] && notes[0].from === 'main', notes[0] && notes[0].from);
  check('second: a push from the host names no sender', pings[0] && pings[0].payload === 'to others' && pings[0].from === undefined, JSON.stringify(pings));
  const refused = await rejection(api.invoke('rpcview.relay', { to: 'main', event: 'test.note', payload: { text: 'x' } }));
  check('second: a window whose allowlist lacks rpcview.relay may not relay', refused !== null && refused.code === -32001, refused && refused.code);
  done('received');
} else {
  done('mute-ready');
}
