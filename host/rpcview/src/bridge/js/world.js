// rpcview world script: runs in the isolated script world `rpcview` of every frame, before
// page scripts. Page scripts share the DOM with it but not its globals, so they cannot see
// `window.webkit` nor change what this script reports.
//
// The host injects this file as `(<this function>)(config)`, config being
// `{handler, origins, maxChars, bridge}`: the name of the script message handler registered
// in this world, the origins whose pages have an API in this window (its capabilities'), the
// largest hand-off the host accepts, and the DOM event names shared with the preload.
//
// It takes the first *port* (a detached node) a preload offers, forwards each message the
// preload dispatches on it to the host, stamped with this frame's own origin and whether it
// is the top frame (facts a page script cannot fake), and delivers the host's replies on the
// port, only while this frame is the top frame at one of those origins. A page script in a
// frame without the preload can offer a port of its own: its messages are refused. What the
// host would refuse (another frame, another origin, too large) is refused here already: the
// host gets the stamp and the size, for its log and counters, but never the payload.
//
// The stamp is a few lines, so the host can check them before it parses any JSON:
// `origin \n top (1 or 0) \n href \n size (UTF-16 units) \n detail` (detail empty if refused).
(function rpcviewWorld(config) {
  'use strict';
  // WebKit runs document-start scripts again when a page calls document.open(): the first
  // run's port stays the only one, and a second run takes none (a page script could offer
  // its own the moment this script announced itself).
  if (typeof window.__rpcview_deliver === 'function') return;
  var post = window.webkit.messageHandlers[config.handler];
  var Ev = config.bridge;
  var port = null;
  var granted = function () {
    return config.origins.indexOf(self.origin) !== -1;
  };
  var line = function (text) {
    return String(text).replace(/[\r\n]/g, '');
  };
  window.addEventListener(Ev.port, function (event) {
    if (port !== null || !(event.relatedTarget instanceof Node)) return;
    port = event.relatedTarget;
    port.addEventListener(Ev.out, function (e) {
      var detail = e.detail;
      if (typeof detail !== 'string') return;
      var top = window === window.top;
      var size = detail.length;
      if (!top || !granted() || size > config.maxChars) detail = '';
      post.postMessage(line(self.origin) + '\n' + (top ? '1' : '0') + '\n' + line(location.href) + '\n' + size + '\n' + detail);
    });
    port.dispatchEvent(new Event(Ev.claimed));
  }, true);
  window.__rpcview_deliver = function (text) {
    if (port === null || !granted() || window !== window.top) return;
    port.dispatchEvent(new CustomEvent(Ev.in, { detail: text }));
  };
  document.dispatchEvent(new Event(Ev.world));
})
