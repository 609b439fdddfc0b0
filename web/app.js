// @ts-check
// The demo notes app. Every IPC pattern of rpcview, through the frozen `window.api` and the
// client generated from the Rust API's OpenRPC document (schema/client.js, typed by
// schema/client.d.ts; tsc checks this file against it):
//   invoke  -> client.notes.list / get / save / delete (schema-checked in Rust)
//   notify  -> client.app.log (no reply)
//   on      -> notes.changed, pushed by Rust to every window whenever a note file changes
//   subscribe -> client.notes.export: progress streamed into a progress bar, cancellable
//   windows -> client.app.new_window: the page asks, Rust opens another window
//   relay   -> a second window tells the first it caught up (rpcview.relay, notes.synced)
// With `?tour` in the URL it drives itself through all of them and reports each step.
import client from '../schema/client.js';

/** @typedef {import('../schema/api').Note} Note */
/** @typedef {import('../schema/api').NoteSummary} NoteSummary */

const api = window.api;
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const titleInput = /** @type {HTMLInputElement} */ ($('title'));
const bodyInput = /** @type {HTMLTextAreaElement} */ ($('body'));

const state = {
  /** @type {NoteSummary[]} */ notes: [],
  /** @type {string | null} */ current: null,
};
/** This window's label when Rust opened it with app.new_window (`?window=notes-2`). */
const windowLabel = new URLSearchParams(location.search).get('window');

// ---- Activity panel ---------------------------------------------------------------------
/** @param {'push'|'log'|'error'|'ok'} kind @param {string} label @param {string} text */
function activity(kind, label, text) {
  const li = document.createElement('li');
  li.className = kind;
  const b = document.createElement('b');
  b.textContent = label;
  li.append(b, text);
  $('events').prepend(li);
}

/** Sends a log line to Rust (a notification: no reply). */
function log(/** @type {'info'|'warn'|'error'} */ level, /** @type {string} */ message) {
  client.app.log({ level, message });
  activity('log', `notify app.log (${level})`, message);
}

// ---- List -----------------------------------------------------------------------------------
const ago = (/** @type {number} */ ms) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : new Date(ms).toLocaleString();
};

/** @param {string} [flash] the id of a note to highlight */
async function refresh(flash) {
  state.notes = await client.notes.list();
  const list = $('list');
  list.replaceChildren(
    ...state.notes.map((n) => {
      const li = document.createElement('li');
      li.dataset.id = n.id;
      if (n.id === state.current) li.classList.add('selected');
      if (n.id === flash) li.classList.add('flash');
      const t = document.createElement('span');
      t.className = 't';
      t.textContent = n.title;
      const m = document.createElement('span');
      m.className = 'm';
      m.textContent = `${n.id} · ${ago(n.modified_ms)}`;
      li.append(t, m);
      li.addEventListener('click', () => open(n.id));
      return li;
    }),
  );
  $('empty').hidden = state.notes.length > 0;
}

// ---- Editor ---------------------------------------------------------------------------------
function clearErrors() {
  for (const p of document.querySelectorAll('.field-error')) p.textContent = '';
  for (const el of [titleInput, bodyInput]) el.removeAttribute('aria-invalid');
  $('form-error').textContent = '';
}

/** Shows an RpcError: schema violations next to their fields, anything else under the form. */
function showError(/** @type {any} */ err) {
  clearErrors();
  const violations = err && err.code === -32602 && err.data && err.data.errors;
  if (Array.isArray(violations)) {
    for (const v of violations) {
      const slot = document.querySelector(`.field-error[data-for="${v.path}"]`);
      if (slot) {
        slot.textContent = v.message;
        const input = v.path === '/title' ? titleInput : v.path === '/body' ? bodyInput : null;
        input?.setAttribute('aria-invalid', 'true');
      } else {
        $('form-error').textContent += `${v.path || '(params)'}: ${v.message} `;
      }
    }
  } else {
    $('form-error').textContent = `${err.message} (code ${err.code})`;
  }
  activity('error', `rejected (${err.code})`, err.message);
}

async function open(/** @type {string} */ id) {
  const note = await client.notes.get({ id });
  state.current = note.id;
  titleInput.value = note.title;
  bodyInput.value = note.body;
  clearErrors();
  $('saved').textContent = `saved ${ago(note.modified_ms)}`;
  for (const li of $('list').children) li.classList.toggle('selected', /** @type {HTMLElement} */ (li).dataset.id === id);
  return note;
}

function newNote() {
  state.current = null;
  titleInput.value = '';
  bodyInput.value = '';
  clearErrors();
  $('saved').textContent = '';
  titleInput.focus();
}

/** Saves the form; resolves with the note, or null after showing why it failed. */
async function save() {
  /** @type {{title: string, body: string, id?: string}} */
  const params = { title: titleInput.value, body: bodyInput.value };
  if (state.current) params.id = state.current;
  try {
    const note = await client.notes.save(params);
    clearErrors();
    state.current = note.id;
    $('saved').textContent = 'saved just now';
    log('info', `saved note '${note.id}'`);
    await refresh();
    return note;
  } catch (err) {
    showError(err);
    return null;
  }
}

async function remove() {
  if (!state.current) return;
  const id = state.current;
  await client.notes.delete({ id });
  log('info', `deleted note '${id}'`);
  newNote();
  await refresh();
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  save();
});
$('delete').addEventListener('click', () => remove().catch(showError));
$('new').addEventListener('click', newNote);

// ---- Pushes from Rust -------------------------------------------------------------------------
client.on('notes.changed', (ev) => {
  activity('push', 'push notes.changed', `${ev.id} ${ev.kind}`);
  const last = $('last-push');
  last.hidden = false;
  last.replaceChildren(Object.assign(document.createElement('b'), { textContent: 'Last push from Rust: ' }), `notes.changed · ${ev.id} ${ev.kind} · ${new Date().toLocaleTimeString()}`);
  refresh(ev.id)
    .then(() => {
      // A window Rust opened tells the first one it caught up, through the host.
      if (windowLabel && api.methods.includes('rpcview.relay')) {
        return api.invoke('rpcview.relay', { to: 'main', event: 'notes.synced', payload: { id: ev.id, notes: state.notes.length } });
      }
      return undefined;
    })
    .catch(showError);
});
if (api.events.includes('notes.synced')) {
  client.on('notes.synced', (ev, meta) => activity('push', `relay notes.synced from ${meta.from}`, `${ev.id}: ${ev.notes} notes listed`));
}

// ---- Export: a subscription streams its progress into the bar; Cancel unsubscribes -----------
/** @type {import('../schema/api').Subscription<import('../schema/api').ExportProgress> | null} */
let exporting = null;
/** Shows the running export as cancelled and settles its promise. */
let onCancelled = () => {};
/**
 * Exports every note, showing each progress item; resolves with the exported file's path, or
 * null if it was cancelled.
 * @param {number} [paceMs] how long Rust waits after each note
 * @returns {Promise<string | null>}
 */
function exportAll(paceMs) {
  const bar = /** @type {HTMLProgressElement} */ ($('export-progress'));
  const status = $('export-status');
  status.className = 'muted';
  status.textContent = 'starting…';
  bar.value = 0;
  $('export-start').toggleAttribute('disabled', true);
  $('export-cancel').toggleAttribute('disabled', false);
  return new Promise((resolve, reject) => {
    /** @type {string | null} */
    let file = null;
    const end = () => {
      exporting = null;
      $('export-start').toggleAttribute('disabled', false);
      $('export-cancel').toggleAttribute('disabled', true);
    };
    client.notes
      .export(paceMs === undefined ? {} : { pace_ms: paceMs }, {
        onItem(p) {
          bar.max = Math.max(1, p.total);
          bar.value = p.done;
          if (p.file) file = p.file;
          status.textContent = p.file ? `exported ${p.total} notes to ${p.file}` : `${p.done} / ${p.total} · ${p.note}`;
        },
        onEnd() {
          end();
          status.className = 'done';
          activity('ok', 'stream notes.export ended', file || '');
          resolve(file);
        },
        onError(err) {
          end();
          showError(err);
          reject(err);
        },
      })
      .then((sub) => {
        exporting = sub;
        activity('log', 'subscribe notes.export', `subscription ${sub.id}`);
        // Cancel: unsubscribing drops the export's task in Rust, which removes its partial file.
        onCancelled = () => {
          end();
          status.className = 'cancelled';
          status.textContent = `cancelled at ${bar.value} / ${bar.max}`;
          activity('error', 'unsubscribe notes.export', status.textContent);
          resolve(null);
        };
      }, (err) => {
        end();
        showError(err);
        reject(err);
      });
  });
}
async function cancelExport() {
  if (!exporting) return;
  await exporting.unsubscribe();
  onCancelled();
}
$('export-start').addEventListener('click', () => exportAll().catch(() => {}));
$('export-cancel').addEventListener('click', () => cancelExport());

// ---- More windows: the page asks, Rust opens (only windows whose allowlist says so) -----------
if (api.methods.includes('app.new_window')) {
  const button = $('new-window');
  button.hidden = false;
  button.addEventListener('click', () =>
    client.app.new_window().then((label) => activity('ok', 'invoke app.new_window', `Rust opened '${label}'`), showError),
  );
}
if (windowLabel) document.title = `rpcview notes (${windowLabel})`;

// ---- Start ----------------------------------------------------------------------------------
const statusPill = $('status');
refresh()
  .then(() => {
    statusPill.textContent = `${windowLabel || 'main'} · ${api.methods.length} methods · ${api.subscriptions.length} stream · ${api.events.length} events`;
    statusPill.classList.add('ok');
    if (state.notes.length > 0) return open(state.notes[0].id).then(() => undefined);
    return undefined;
  })
  .catch((err) => {
    statusPill.textContent = `bridge error: ${err.message}`;
  })
  .then(() => {
    if (new URLSearchParams(location.search).has('tour')) tour();
  });

// ---- The tour: every pattern, reported step by step to the host ----------------------------
async function tour() {
  console.info('tour: driving the demo through every pattern');
  // The tour's own methods exist only under --tour, so they are not in the generated types.
  const tourApi = /** @type {any} */ (window).api;
  /** @param {string} step @param {unknown} ok @param {unknown} detail */
  const report = (step, ok, detail) => {
    tourApi.notify('tour.step', { step, ok: Boolean(ok), detail: String(detail) });
    activity(ok ? 'ok' : 'error', `tour: ${step}`, String(detail));
  };
  /** Resolves with the first `notes.changed` for `id`, rejects after `ms`. */
  const pushFor = (/** @type {string} */ id, ms = 5000) =>
    new Promise((resolve, reject) => {
      const off = api.on('notes.changed', (/** @type {any} */ ev) => {
        if (ev.id === id) {
          off();
          clearTimeout(timer);
          resolve(ev);
        }
      });
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no notes.changed for '${id}' within ${ms} ms`));
      }, ms);
    });
  const pause = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

  /** Rust opens a second window; a change reaches both, and the new one relays back. */
  async function twoWindows() {
    const label = await client.app.new_window();
    const synced = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no notes.synced from '${label}' within 20 s`)), 20000);
      const off = client.on('notes.synced', (ev, meta) => {
        if (ev.id === 'shared' && meta.from === label) {
          off();
          clearTimeout(timer);
          resolve(ev);
        }
      });
    });
    // The new window's page must be listening before the change: retry the change until the
    // relay says the other window saw it.
    let seen = null;
    for (let i = 0; i < 40 && !seen; i++) {
      await client.notes.save({ id: 'shared', title: 'Shared between windows', body: `edit ${i}` });
      seen = await Promise.race([synced, pause(500).then(() => null)]);
    }
    report('two windows in sync (push + relay)', seen !== null, seen ? `'${label}' lists ${/** @type {any} */ (seen).notes} notes, relayed from ${label}` : 'no relay');
  }

  try {
    const before = await client.notes.list();
    report('invoke notes.list', Array.isArray(before), `${before.length} notes in the folder`);

    newNote();
    titleInput.value = 'Groceries';
    bodyInput.value = 'milk\neggs\ncoffee beans';
    const pushed = pushFor('groceries');
    const saved = await save();
    report('invoke notes.save', saved && saved.id === 'groceries', saved ? `stored as '${saved.id}'` : 'failed');

    const ev = await pushed;
    report('push notes.changed (on)', ev.kind === 'saved', JSON.stringify(ev));

    const outside = pushFor('from-outside');
    await tourApi.invoke('tour.edit_outside', { id: 'from-outside', title: 'Written by another editor', body: 'The folder is watched.' });
    const ev2 = await outside;
    await refresh('from-outside');
    report('push after an outside edit', state.notes.some((n) => n.id === 'from-outside'), JSON.stringify(ev2));

    log('info', 'the tour says hello through a notification');
    report('notify app.log', true, 'sent; notifications get no reply');

    newNote();
    titleInput.value = 'Scratch';
    bodyInput.value = 'to be deleted';
    await save();
    await remove();
    try {
      await client.notes.get({ id: 'scratch' });
      report('invoke notes.delete', false, 'the note is still there');
    } catch (err) {
      report('invoke notes.delete', /** @type {any} */ (err).code === 404, `then notes.get → ${/** @type {any} */ (err).message}`);
    }

    const doc = await api.invoke('rpc.discover');
    const described = /** @type {any[]} */ (doc.methods).map((m) => m.name);
    report('rpc.discover', doc.openrpc === '1.3.2' && described.includes('notes.save'), `OpenRPC ${doc.openrpc}: ${described.join(', ')}`);

    const n0 = api.listenerCount();
    const off = api.on('notes.changed', () => {});
    const n1 = api.listenerCount();
    off();
    report('on / off', n1 === n0 + 1 && api.listenerCount() === n0, `listeners ${n0} → ${n1} → ${api.listenerCount()}`);

    try {
      // @ts-ignore: deliberately wrong
      window.api = {};
    } catch {}
    try {
      tourApi.invoke = () => Promise.resolve('forged');
    } catch {}
    // @ts-ignore
    report('window.api is frozen', window.api === api && Object.isFrozen(api) && (await api.invoke('notes.list')) !== 'forged', 'reassignment and overwrite had no effect');

    try {
      await tourApi.invoke('fs.write', { path: '/etc/passwd' });
      report('allowlist', false, 'an unregistered method was sent');
    } catch (err) {
      report('allowlist', /** @type {any} */ (err).code === -32001, /** @type {any} */ (err).message);
    }

    // A subscription: the export streams one item per note into the progress bar, then ends.
    // Cancel first (unsubscribing after the first item; no item arrives after it), then a
    // full export, whose bar the screenshot shows.
    const cancelledAt = (async () => {
      const running = exportAll(400);
      while (!exporting || /** @type {HTMLProgressElement} */ ($('export-progress')).value < 1) await pause(20);
      await cancelExport();
      return running;
    })();
    const cancelled = await cancelledAt;
    const valueAtCancel = /** @type {HTMLProgressElement} */ ($('export-progress')).value;
    await pause(900);
    report('unsubscribe cancels the stream', cancelled === null && /** @type {HTMLProgressElement} */ ($('export-progress')).value === valueAtCancel, `stopped at ${valueAtCancel} of ${state.notes.length}; nothing arrived after`);
    const file = await exportAll(120);
    report('subscribe notes.export', typeof file === 'string' && file.endsWith('.md'), `${state.notes.length} progress items, then ${file}`);

    // Two windows kept in sync by pushes: Rust opens one; when a note changes, both get
    // notes.changed, and the new one relays notes.synced back to this one. A page that may
    // not open windows (browser mode: a tab is not a native window) skips this step.
    if (!api.methods.includes('app.new_window')) {
      report('two windows in sync (push + relay)', true, 'skipped: this page may not open windows (browser mode has no native windows)');
    } else {
      await twoWindows();
    }
    await refresh();

    await open('groceries');
    titleInput.value = '';
    bodyInput.value = 'milk\neggs\ncoffee beans';
    const bad = await save();
    const shown = document.querySelector('.field-error[data-for="/title"]')?.textContent;
    report('validation error next to its field', bad === null && shown, `/title: ${shown}`);
    await pause(200);
  } catch (err) {
    report('tour', false, /** @type {any} */ (err).message);
  }
  tourApi.notify('tour.finish');
}
