// Runs before the page's own scripts (a classic script in <head>): a hostile library that
// poisons prototypes early, watching for anything the bridge hands through them.
window.early = { seen: [], frames: {} };
window.addEventListener('message', (e) => { if (e.data && e.data.kind) window.early.frames[e.data.kind] = true; });
for (const f of ['id', 'result', 'error', 'code', 'message', 'data', 'n', 'm', 'method', 'params', 'subscription', 'from', 'jsonrpc', 'end', 'detail']) {
  Object.defineProperty(Object.prototype, f, { configurable: true, get() { window.early.seen.push(`get ${f}`); return undefined; } });
}
const originalParse = JSON.parse;
JSON.parse = function (text) { window.early.seen.push(`JSON.parse ${String(text).slice(0, 40)}`); return originalParse(text); };
