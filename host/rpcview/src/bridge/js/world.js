// rpcview world script: runs in the isolated script world `rpcview` of every frame, before
// page scripts. Page scripts share the DOM with it but not its globals, so they cannot see
// `window.webkit` nor change what this script reports.
//
// The host injects this file as `(<this function>)(config)`, config being
// `{handler, origin, bridge}`: the name of the script message handler registered in this
// world, the window's own origin, and the DOM event names shared with the preload.
//
// It takes the first *port* (a detached node) a preload offers, forwards each message the
// preload dispatches on it to the host, stamped with this frame's own origin and whether it
// is the top frame (facts a page script cannot fake), and delivers the host's replies on the
// port, only while this frame is the top frame of the window's origin. A page script in a
// frame without the preload can offer a port of its own: its messages reach the host with
// that frame's stamp, and are refused there.
(function rpcviewWorld(config) {
  'use strict';
  var post = window.webkit.messageHandlers[config.handler];
  var stringify = JSON.stringify;
  var Ev = config.bridge;
  var port = null;
  window.addEventListener(Ev.port, function (event) {
    if (port !== null || !(event.relatedTarget instanceof Node)) return;
    port = event.relatedTarget;
    port.addEventListener(Ev.out, function (e) {
      if (typeof e.detail !== 'string') return;
      post.postMessage(stringify({ origin: self.origin, top: window === window.top, href: location.href, detail: e.detail }));
    });
    port.dispatchEvent(new Event(Ev.claimed));
  }, true);
  window.__rpcview_deliver = function (text) {
    if (port === null || self.origin !== config.origin || window !== window.top) return;
    port.dispatchEvent(new CustomEvent(Ev.in, { detail: text }));
  };
  document.dispatchEvent(new Event(Ev.world));
})
