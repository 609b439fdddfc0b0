// A tiny UI function, as a frontend would unit-test it: it lists the notes through
// `window.api` and lists them again whenever the host pushes `notes.changed`.

/**
 * Renders the notes into `ul` (one `<li>` per note, titled), now and after every change.
 * Returns the function that stops listening.
 * @param {HTMLUListElement} ul
 * @returns {Promise<() => void>}
 */
export async function showNotes(ul) {
  const render = async () => {
    try {
      const notes = await window.api.invoke('notes.list');
      ul.replaceChildren(...notes.map((n) => Object.assign(document.createElement('li'), { textContent: n.title })));
    } catch (e) {
      ul.replaceChildren(Object.assign(document.createElement('li'), { className: 'error', textContent: `${e.code}: ${e.message}` }));
    }
  };
  await render();
  return window.api.on('notes.changed', () => void render());
}

/**
 * Exports the notes, showing progress in `bar` (a `<progress>`); resolves with the file.
 * @param {HTMLProgressElement} bar
 */
export async function exportNotes(bar) {
  let file = null;
  for await (const p of await window.api.subscribe('notes.export', {})) {
    bar.max = p.total;
    bar.value = p.done;
    file = p.file;
  }
  return file;
}
