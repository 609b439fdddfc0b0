// The generated mock under Vitest and happy-dom: schema/mock.js installs `window.api` on the
// test's window, the UI function under test uses it as it would use the real bridge.
import { beforeEach, expect, test } from 'vitest';
import { installMock, RpcError } from '../../schema/mock.js';
import { exportNotes, showNotes } from './notes-list.js';

let notes;
beforeEach(() => {
  notes = [{ id: 'a', title: 'Groceries', modified_ms: 2 }];
});

const settle = () => new Promise((r) => setTimeout(r, 0));

test('lists the notes, and again when the host pushes notes.changed', async () => {
  const mock = installMock({ handlers: { 'notes.list': () => notes } });
  expect(Object.isFrozen(window.api)).toBe(true);
  const ul = document.createElement('ul');
  const off = await showNotes(ul);
  expect([...ul.children].map((li) => li.textContent)).toEqual(['Groceries']);

  notes.push({ id: 'b', title: 'Ideas', modified_ms: 3 });
  mock.emit('notes.changed', { id: 'b', kind: 'saved' });
  await settle();
  expect([...ul.children].map((li) => li.textContent)).toEqual(['Groceries', 'Ideas']);
  expect(mock.calls.map((c) => c.method)).toEqual(['notes.list', 'notes.list']);

  off();
  expect(window.api.listenerCount('notes.changed')).toBe(0);
});

test('shows the error the host answers with', async () => {
  installMock({
    handlers: {
      'notes.list': () => {
        throw new RpcError(-32603, 'disk gone');
      },
    },
  });
  const ul = document.createElement('ul');
  await showNotes(ul);
  expect(ul.querySelector('li.error')?.textContent).toBe('-32603: disk gone');
});

test('a method the test did not answer rejects with -32601, as the host', async () => {
  installMock();
  await expect(window.api.invoke('notes.list')).rejects.toMatchObject({ name: 'RpcError', code: -32601, message: 'Method not found' });
});

test('streams the export into a progress bar', async () => {
  const mock = installMock({
    subscriptions: {
      'notes.export': (_params, stream) => {
        stream.next({ done: 1, total: 2, note: 'a', file: null });
        setTimeout(() => {
          stream.next({ done: 2, total: 2, note: '', file: '/tmp/notes.md' });
          stream.end();
        }, 0);
      },
    },
  });
  const bar = document.createElement('progress');
  expect(await exportNotes(bar)).toBe('/tmp/notes.md');
  expect([bar.value, bar.max]).toEqual([2, 2]);
  expect(mock.subscribed).toEqual([{ name: 'notes.export', params: {}, outcome: { status: 'resolved', result: mock.streams[0].id } }]);
});
