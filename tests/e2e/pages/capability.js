// Capabilities: this page (the app's own origin) gets exactly the app capability; then it
// navigates to a remote origin a second capability names, whose page (remote.js) gets exactly
// that one and nothing more.
import { api, check, done, rejection } from './harness.js';

const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
check('app page: exactly its capability\'s methods', same(api.methods, ['test.add', 'test.whoami']), api.methods.join());
check('app page: ... notifications', same(api.notifications, ['test.done', 'test.report']), api.notifications.join());
check('app page: ... and no event or stream', api.events.length === 0 && api.subscriptions.length === 0);
check('app page: a granted method answers', (await api.invoke('test.add', [1, 2])) === 3);
const refused = await rejection(api.invoke('test.echo', [1]));
check('app page: anything else is refused', refused !== null && refused.code === -32001, refused && refused.message);
done('app');
location.href = `${new URLSearchParams(location.search).get('remote')}/remote.html`;
