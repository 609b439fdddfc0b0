// Shared by the test pages: report checks to the host, then say a phase is done.
export const api = window.api;

// The number of checks made so far, carried across a reload in the URL hash.
let checks = Number((location.hash.match(/checks=(\d+)/) || [])[1] || 0);

export function check(name, ok, detail = '') {
  checks++;
  api.notify('test.report', { name, ok: Boolean(ok), detail: String(detail) });
}

export function done(phase = 'done') {
  api.notify('test.done', { phase, checks, window: new URLSearchParams(location.search).get('role') || '' });
}

export function carryChecks(extra = '') {
  history.replaceState(null, '', `#checks=${checks}${extra}`);
}

export async function rejection(promise) {
  try {
    await promise;
    return null;
  } catch (e) {
    return e;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function until(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await sleep(20);
  }
  return cond();
}
