// Abort and timeout reach the host: each 10-second handler is dropped soon after (the driver
// checks that on the Rust side), and the promises reject with the page-side codes.
import { api, check, done, rejection } from './harness.js';

const controller = new AbortController();
const aborted = api.invoke('test.slow', { ms: 10000, tag: 'aborted' }, { signal: controller.signal });
setTimeout(() => controller.abort(), 50);
const a = await rejection(aborted);
check('an aborted call rejects with -32004', a !== null && a.code === -32004, a && a.code);

const t = await rejection(api.invoke('test.slow', { ms: 10000, tag: 'timed out' }, { timeoutMs: 50 }));
check('a timed-out call rejects with -32003', t !== null && t.code === -32003, t && t.code);
check('nothing is left pending', api.pendingCount() === 0, api.pendingCount());
done();
