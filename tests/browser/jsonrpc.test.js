// Browser mode from a third-party JSON-RPC client: `json-rpc-2.0` over a WebSocket (`ws`),
// against the demo served by `rpcview-notes serve`: a call, a validation error, a batch, a
// notification, and a push (`notes.changed`) received; with --log-calls, a line per call.
// Also: the server refuses a socket without the token, with another Origin, or for another
// Host.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { JSONRPCClient } from 'json-rpc-2.0';
import WebSocket from 'ws';
import { serve } from './serve.js';

let server;
before(async () => {
  server = await serve(['--log-calls']);
});
after(() => server?.stop());

/** A json-rpc-2.0 client on a WebSocket to the server; pushes go to `onPush`. */
async function connect(onPush = () => {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/__rpcview/ws?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
  await new Promise((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  const client = new JSONRPCClient((request) => {
    ws.send(JSON.stringify(request));
  });
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    const replies = Array.isArray(msg) ? msg : [msg];
    if (replies.every((r) => 'id' in r)) client.receive(msg);
    else for (const r of replies) onPush(r);
  });
  return { client, ws };
}

/** The HTTP status a WebSocket upgrade gets (101 when accepted). */
function upgradeStatus(url, options) {
  return new Promise((ok) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.close();
      ok(101);
    });
    ws.once('unexpected-response', (_req, res) => ok(res.statusCode));
    ws.once('error', () => {});
  });
}

test('a call, a validation error, a batch and a notification', async () => {
  const { client, ws } = await connect();
  try {
    const saved = await client.request('notes.save', { title: 'From json-rpc-2.0', body: 'over a WebSocket' });
    assert.equal(saved.id, 'from-json-rpc-2-0');
    const list = await client.request('notes.list');
    assert.ok(list.some((n) => n.id === saved.id));

    const bad = await client.requestAdvanced({ jsonrpc: '2.0', id: 100, method: 'notes.save', params: { title: '', body: 'x' } });
    assert.equal(bad.error.code, -32602);
    assert.ok(bad.error.data.errors.some((e) => e.path === '/title'), JSON.stringify(bad.error));

    const batch = await client.requestAdvanced([
      { jsonrpc: '2.0', id: 101, method: 'notes.get', params: { id: saved.id } },
      { jsonrpc: '2.0', id: 102, method: 'notes.get', params: { id: 'missing' } },
      { jsonrpc: '2.0', id: 103, method: 'app.new_window' },
    ]);
    assert.deepEqual(batch.map((r) => r.id), [101, 102, 103]);
    assert.equal(batch[0].result.title, 'From json-rpc-2.0');
    assert.equal(batch[1].error.code, 404);
    assert.equal(batch[2].error.code, -32001, 'not in browser mode\'s allowlist');

    // --log-calls: one line per call, params left out.
    await server.waitFor(/rpcview::calls: \[main\] notes\.save [\d.]+.s error -32602 /, 30_000, 'stderr');
    assert.match(server.err(), /rpcview::calls: \[main\] notes\.list [\d.]+.s ok/);
    assert.doesNotMatch(server.err(), /params=/);

    client.notify('app.log', { level: 'info', message: 'hello from json-rpc-2.0' });
    await server.waitFor(/\[page log, Info\] hello from json-rpc-2\.0/);
    const tour = await client.requestAdvanced({ jsonrpc: '2.0', id: 104, method: 'tour.edit_outside', params: { id: 'x', title: 'x', body: 'x' } });
    assert.equal(tour.error.code, -32601, 'the outside edit exists, and is granted, only with --tour');
  } finally {
    ws.close();
  }
});

test('a push reaches the socket: notes.changed after a save', async () => {
  const pushes = [];
  const { client, ws } = await connect((msg) => pushes.push(msg));
  try {
    await client.request('notes.save', { title: 'Pushed', body: 'a watcher saw it' });
    const deadline = Date.now() + 30_000;
    while (!pushes.some((p) => p.method === 'notes.changed' && p.params.id === 'pushed') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(pushes.some((p) => p.method === 'notes.changed' && p.params.id === 'pushed' && p.params.kind === 'saved'), JSON.stringify(pushes));
  } finally {
    ws.close();
  }
});

test('refused: no token, a wrong token, another Origin, another Host', async () => {
  const base = `ws://127.0.0.1:${server.port}/__rpcview/ws`;
  const origin = `http://127.0.0.1:${server.port}`;
  assert.equal(await upgradeStatus(`${base}?token=${server.token}`, { origin }), 101);
  assert.equal(await upgradeStatus(base, { origin }), 403);
  const wrong = (server.token[0] === '0' ? '1' : '0') + server.token.slice(1); // one digit off
  assert.equal(await upgradeStatus(`${base}?token=${wrong}`, { origin }), 403);
  assert.equal(await upgradeStatus(`${base}?token=${server.token}`, { origin: 'https://evil.example' }), 403);
  assert.equal(await upgradeStatus(`${base}?token=${server.token}`, { origin, headers: { host: `rebound.example:${server.port}` } }), 403);
  await server.waitFor(/check="host"/, 30_000, 'stderr');
  for (const check of ['token', 'origin', 'host']) assert.match(server.err(), new RegExp(`check="${check}"`));
});
