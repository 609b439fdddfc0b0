// @ts-check
// The demo notes app. Every IPC pattern of rpcview, through the frozen `window.api` and the
// client generated from the Rust API's OpenRPC document (schema/client.js, typed by
// schema/client.d.ts; tsc checks this file against it):
//   invoke  -> client.notes.list / get / save / delete (schema-checked in Rust)
//   notify  -> client.app.log (no reply)
//   on      -> notes.changed, pushed by Rust whenever a note file changes, even from outside
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
  refresh(ev.id).catch(showError);
});

// ---- Start ----------------------------------------------------------------------------------
const statusPill = $('status');
refresh()
  .then(() => {
    statusPill.textContent = `connected · ${api.methods.length} methods · ${api.events.length} event`;
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
