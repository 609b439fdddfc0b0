// A raw message onto the bridge, as a page script without the preload would send it: it
// offers a port of its own to the frame's isolated-world script, then sends on it. In a
// frame or on an origin where the preload did not take the port first, this reaches the
// host, stamped with the frame's real origin and top-ness; whether a handler runs is up to
// the host alone. In the app's own top frame the world script already holds the preload's
// port and ignores this one.
let port = null;

export function sendRaw(from) {
  if (port === null) {
    port = document.createElement('span');
    document.dispatchEvent(new MouseEvent('rpcview:port', { relatedTarget: port }));
  }
  const detail = JSON.stringify({ n: 'raw', m: [{ jsonrpc: '2.0', id: 1, method: 'test.victim', params: { from } }] });
  port.dispatchEvent(new CustomEvent('rpcview:out', { detail }));
  // The old channel (a CustomEvent on document) must not work either.
  document.dispatchEvent(new CustomEvent('rpcview:out', { detail }));
}
