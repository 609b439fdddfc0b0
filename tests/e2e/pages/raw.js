// A raw message straight onto the bridge's DOM channel, as a page without the preload (or
// one that bypasses it) would send it. Whether it reaches a handler is up to the host alone.
export function sendRaw(from) {
  const detail = JSON.stringify({ n: 'raw', m: [{ jsonrpc: '2.0', id: 1, method: 'test.victim', params: { from } }] });
  document.dispatchEvent(new CustomEvent('rpcview:out', { detail }));
}
