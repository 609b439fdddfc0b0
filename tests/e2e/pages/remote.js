// A page on a remote origin (served by the test on 127.0.0.1) that a capability names: it
// gets exactly that capability.
import { api, check, done, rejection } from './harness.js';

check('remote page: has a window.api', typeof api === 'object' && api !== null);
check('remote page: exactly its capability\'s methods', api.methods.join() === 'test.whoami', api.methods.join());
check('remote page: ... and no event or stream', api.events.length === 0 && api.subscriptions.length === 0);
const who = await api.invoke('test.whoami');
check('remote page: the host knows its origin', who.origin === location.origin && who.url === location.href, `${who.origin} ${who.url}`);
const add = await rejection(api.invoke('test.add', [1, 2]));
check('remote page: what the app page may use is refused here', add !== null && add.code === -32001, add && add.message);
done('remote');
