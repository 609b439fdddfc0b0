// rpcview preload: defines a frozen `window.api` that speaks JSON-RPC 2.0 to the Rust host.
//
// The host injects this file before any page script, in the main frame only, as
// `(<this function>)(config)`. It has no dependencies and no build step. Everything it uses
// after start-up is captured here first, so a page script that later replaces `JSON.parse`,
// `Promise`, `Map.prototype.get` or `Object.prototype.then` cannot forge the bridge's
// messages or read other calls' replies. Traffic runs over a detached DOM node (the *port*)
// that only this script and the host's isolated-world script hold, so page scripts cannot
// listen to it or inject into it. Its checks are a convenience for the page's developers:
// the host checks every message again, and that check is the boundary.
//
// Two transports carry the same messages, and everything else is shared: the *port* (the
// webview: a private DOM node the isolated world script holds) and, in browser mode
// (`rpcview::serve`), a *WebSocket* to the host on 127.0.0.1, which the host opens only to a
// page of its own origin presenting the run's token. Over the WebSocket each JSON-RPC message
// is a text frame of its own, both ways, as any JSON-RPC client speaks it.
//
// Order: captured globals; message kinds and error codes; the transport; the pending map;
// subscriptions; the inbound dispatcher; invoke, notify, subscribe, on, once; the page's
// errors to the host's log; freeze and define `window.api`.
//
// Binary data (`ArrayBuffer`, typed arrays, `DataView`) in params, and the host's `Bytes` in
// results and pushes, never travel as JSON numbers: at an origin that reaches the host's blob
// channel (`/__rpcview/blob/` of the app's own custom protocol), the bytes are the body of a
// `fetch` (a POST before the call leaves, a GET when a reply names them) and the JSON holds
// `{"$blob": id}`; elsewhere (browser mode, a dev server) they are inline as
// `{"$base64": text}`. Either way the page gets a `Uint8Array`. A hand-off or a delivery too
// large to pass as a string goes the same way (by size, as rpcview-bench measured it).
//
// `config` (built by the host, `bridge::scripts::PreloadConfig`): `pages` (by origin, the names
// a page there may use: `methods`, `notifications`, `events`, `subscriptions`, from the
// window's capabilities), `bridge` (the DOM event names shared with the world script), `codes`
// (the host's error codes, by name), `maxMessageBytes` and `maxDepth`, `blobOrigins` (the
// origins that reach the blob channel) and `blobKey` (the window's key to it); in browser mode `websocket`, the URL (with the token)
// of the host's WebSocket, in place of the port.
(function rpcviewPreload(config) {
  'use strict';

  // ---- Captured globals -------------------------------------------------------------------
  const win = globalThis;
  const doc = win.document;
  const { freeze, defineProperty, getPrototypeOf, getOwnPropertyDescriptor } = Object;
  const apply = Reflect.apply;
  const bind = Function.prototype.bind;
  const call = Function.prototype.call;
  /** `uncurry(Map.prototype.get)(map, key)`: a method that no later patch can reach. */
  const uncurry = (fn) => apply(bind, call, [fn]);
  const hasOwn = uncurry(Object.prototype.hasOwnProperty);
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const objectKeys = Object.keys;
  const SymbolSpecies = Symbol.species;
  const dateToISOString = uncurry(Date.prototype.toISOString);
  const dateGetTime = uncurry(Date.prototype.getTime);
  const numberValueOf = uncurry(Number.prototype.valueOf);
  const stringValueOf = uncurry(String.prototype.valueOf);
  const booleanValueOf = uncurry(Boolean.prototype.valueOf);
  const isArray = Array.isArray;
  const arrayJoin = uncurry(Array.prototype.join);
  const arrayShift = uncurry(Array.prototype.shift);
  const asyncIteratorSymbol = Symbol.asyncIterator;
  const PromiseCtor = Promise;
  const MapCtor = Map;
  const mapGet = uncurry(Map.prototype.get);
  const mapSet = uncurry(Map.prototype.set);
  const mapDelete = uncurry(Map.prototype.delete);
  const mapSize = uncurry(getOwnPropertyDescriptor(Map.prototype, 'size').get);
  const mapForEach = uncurry(Map.prototype.forEach);
  const SetCtor = Set;
  const setAdd = uncurry(Set.prototype.add);
  const setHas = uncurry(Set.prototype.has);
  const setDelete = uncurry(Set.prototype.delete);
  const setForEach = uncurry(Set.prototype.forEach);
  const setClear = uncurry(Set.prototype.clear);
  const setSize = uncurry(getOwnPropertyDescriptor(Set.prototype, 'size').get);
  const ErrorCtor = Error;
  const TypeErrorCtor = TypeError;
  const CustomEventCtor = win.CustomEvent;
  const MouseEventCtor = win.MouseEvent;
  const detailOf = uncurry(getOwnPropertyDescriptor(CustomEventCtor.prototype, 'detail').get);
  const abortedOf = win.AbortSignal ? uncurry(getOwnPropertyDescriptor(win.AbortSignal.prototype, 'aborted').get) : (s) => s.aborted;
  const charCodeAt = uncurry(String.prototype.charCodeAt);
  const encoder = typeof win.TextEncoder === 'function' ? new win.TextEncoder() : undefined;
  const textEncode = encoder !== undefined ? win.TextEncoder.prototype.encode : undefined;
  const encodeUtf8 = encoder !== undefined ? (text) => apply(textEncode, encoder, [text]) : undefined;
  const byteLengthOf = win.Uint8Array ? uncurry(getOwnPropertyDescriptor(getPrototypeOf(win.Uint8Array.prototype), 'byteLength').get) : (a) => a.length;
  const StringCtor = String;
  const dispatchEvent = uncurry(win.EventTarget.prototype.dispatchEvent);
  const addEventListener = uncurry(win.EventTarget.prototype.addEventListener);
  const removeEventListener = uncurry(win.EventTarget.prototype.removeEventListener);
  const setTimeoutFn = win.setTimeout;
  const clearTimeoutFn = win.clearTimeout;
  const queueMicrotaskFn = win.queueMicrotask;
  const reportErrorFn = win.reportError;
  const NumberIsFinite = Number.isFinite;
  const WebSocketCtor = config.websocket ? win.WebSocket : undefined;
  const wsSend = WebSocketCtor ? uncurry(WebSocketCtor.prototype.send) : undefined;
  const wsReadyState = WebSocketCtor ? uncurry(getOwnPropertyDescriptor(WebSocketCtor.prototype, 'readyState').get) : undefined;
  const messageDataOf = WebSocketCtor ? uncurry(getOwnPropertyDescriptor(win.MessageEvent.prototype, 'data').get) : undefined;
  const promiseThen = PromiseCtor.prototype.then;
  const stringIncludes = uncurry(String.prototype.includes);
  const numberToString = uncurry(Number.prototype.toString);
  const objectToString = uncurry(Object.prototype.toString);
  const fromCharCode = String.fromCharCode;
  const ArrayBufferCtor = win.ArrayBuffer;
  const isView = ArrayBufferCtor.isView;
  const Uint8ArrayCtor = win.Uint8Array;
  const fetchFn = win.fetch;
  const ResponseProto = win.Response ? win.Response.prototype : undefined;
  const responseArrayBuffer = ResponseProto ? uncurry(ResponseProto.arrayBuffer) : undefined;
  const responseText = ResponseProto ? uncurry(ResponseProto.text) : undefined;
  const responseOk = ResponseProto ? uncurry(getOwnPropertyDescriptor(ResponseProto, 'ok').get) : undefined;
  const cryptoObj = win.crypto;
  const getRandomValues = cryptoObj && win.Crypto ? uncurry(win.Crypto.prototype.getRandomValues) : undefined;
  const btoaFn = win.btoa;
  const atobFn = win.atob;

  /** Defines an own data property, so no setter on a prototype can intercept the write. */
  const put = (obj, key, value) =>
    defineProperty(obj, key, { __proto__: null, value, writable: true, enumerable: true, configurable: true });

  // Convenience only: the host refuses messages from any other frame or origin by itself.
  // What this page may use is its origin's grant (the window's capabilities); an origin with
  // none gets no `window.api`.
  if (win !== win.top || !hasOwn(config.pages, win.location.origin)) return;
  const page = config.pages[win.location.origin];
  // WebKit runs document-start scripts again when a page calls document.open(): the first
  // run's `window.api` (non-configurable) and port stay the only ones.
  if (getOwnPropertyDescriptor(win, 'api') !== undefined) return;

  // ---- Message kinds and error codes --------------------------------------------------------
  /** What crosses the bridge, by kind (JSON-RPC 2.0 messages, one per kind). */
  const Kind = freeze({
    __proto__: null,
    REQUEST: 'request', // page → host, has an id, answered
    NOTIFICATION: 'notification', // page → host, no id, never answered
    RESPONSE: 'response', // host → page, answers a request by id
    EVENT: 'event', // host → page, a notification pushed by the host
    SUBSCRIPTION: 'subscription', // page → host request answered by a stream of notifications
  });

  /** Error codes, by name: the host's `rpc::error` constants, handed over in the config. */
  const Code = freeze({
    __proto__: null,
    INVALID_PARAMS: config.codes.INVALID_PARAMS,
    INTERNAL_ERROR: config.codes.INTERNAL_ERROR,
    METHOD_NOT_ALLOWED: config.codes.METHOD_NOT_ALLOWED,
    TIMED_OUT: config.codes.TIMED_OUT,
    ABORTED: config.codes.ABORTED,
    TOO_LARGE: config.codes.TOO_LARGE,
  });

  /** The error every rejected `invoke` carries: a JSON-RPC error object as an `Error`. */
  class RpcError extends ErrorCtor {
    /**
     * @param {number} code JSON-RPC error code
     * @param {string} message what went wrong
     * @param {unknown} [data] structured detail, as the host sent it
     */
    constructor(code, message, data) {
      super(message);
      put(this, 'name', 'RpcError');
      put(this, 'code', code);
      put(this, 'data', data);
    }
  }
  freeze(RpcError.prototype);
  freeze(RpcError);

  const toSet = (list) => {
    const set = new SetCtor();
    for (let i = 0; i < list.length; i++) setAdd(set, list[i]);
    return set;
  };
  const allowed = freeze({
    __proto__: null,
    [Kind.REQUEST]: toSet(page.methods),
    [Kind.NOTIFICATION]: toSet(page.notifications),
    [Kind.EVENT]: toSet(page.events),
    [Kind.SUBSCRIPTION]: toSet(page.subscriptions),
  });
  /** How each kind is named in messages, and which config list holds its allowed names. */
  const kindWord = { __proto__: null, request: 'method', notification: 'notification', event: 'event', subscription: 'subscription' };
  const kindList = { __proto__: null, request: 'methods', notification: 'notifications', event: 'events', subscription: 'subscriptions' };
  const refusal = (kind, name) =>
    new RpcError(
      Code.METHOD_NOT_ALLOWED,
      `${kindWord[kind]} '${typeof name === 'string' ? name : StringCtor(name)}' is not allowed in this window; the host allows: ` +
        (setSize(allowed[kind]) ? arrayJoin(page[kindList[kind]], ', ') : 'none'),
      { __proto__: null, name, kind },
    );
  const isAllowed = (kind, name) => typeof name === 'string' && setHas(allowed[kind], name);

  // ---- The transport: the port (webview) or a WebSocket (browser mode) -------------------------
  // Each has `post(texts)` (JSON-RPC messages, as text, in order), `log(detail)` (a line for the
  // host's log) and `listen(receive)`, where `receive(to, messages)` takes what the host sent:
  // `to` is this page's nonce, or '*' for pushes to whatever page is current.
  const nonce = String(Math.random()).slice(2) + String(Date.now());
  /**
   * The port: a node only this script and the host's isolated world hold. Offered while the
   * document starts, before any page script, as a MouseEvent's relatedTarget; the world
   * script takes the first port it is offered and confirms on the port itself. If the world
   * script starts after this one, it asks for the offer again. A hand-off is
   * `{"n": nonce, "m": [message, ...]}`, and so is what comes back.
   */
  const portTransport = () => {
    const Ev = config.bridge;
    const port = doc.createElement('rpcview-port');
    let claimed = false;
    const offer = () => {
      if (!claimed) dispatchEvent(doc, new MouseEventCtor(Ev.port, { __proto__: null, relatedTarget: port }));
    };
    const onWorld = () => offer();
    addEventListener(port, Ev.claimed, () => {
      claimed = true;
      removeEventListener(doc, Ev.world, onWorld, true);
    });
    addEventListener(doc, Ev.world, onWorld, true);
    offer();
    const out = (detail) => dispatchEvent(port, new CustomEventCtor(Ev.out, { __proto__: null, detail }));
    return freeze({
      __proto__: null,
      post: (texts) => out('{"n":"' + nonce + '","m":[' + arrayJoin(texts, ',') + ']}'),
      postStored: (id) => out('{"n":"' + nonce + '","f":"' + id + '"}'),
      log: (detail) => out(detail),
      listen: (accept) =>
        addEventListener(port, Ev.in, (event) => {
          const text = detailOf(event);
          if (typeof text !== 'string') return;
          const delivery = jsonParse(text);
          if (delivery === null || typeof delivery !== 'object' || !hasOwn(delivery, 'n') || !hasOwn(delivery, 'm')) return;
          accept(delivery, text);
        }),
    });
  };
  /**
   * Browser mode: a WebSocket to the host, opened at once. Each message is a text frame;
   * what is sent before the socket opens waits for it. The socket is this page's alone, so
   * everything that comes back is for this page. When it closes, the calls still waiting
   * are rejected and the live subscriptions fail: the host has cancelled them too. Page logs
   * are not forwarded (the browser's console has them).
   */
  const webSocketTransport = (url) => {
    const socket = new WebSocketCtor(url);
    let waiting = [];
    let closed = false;
    let onClosed = () => {};
    addEventListener(socket, 'open', () => {
      const texts = waiting;
      waiting = [];
      for (let i = 0; i < texts.length; i++) wsSend(socket, texts[i]);
    });
    addEventListener(socket, 'close', () => {
      if (closed) return;
      closed = true;
      waiting = [];
      onClosed();
    });
    return freeze({
      __proto__: null,
      post: (texts) => {
        if (closed) {
          apply(queueMicrotaskFn, win, [() => onClosed()]); // whatever was just sent fails too
          return;
        }
        if (wsReadyState(socket) !== 1) {
          for (let i = 0; i < texts.length; i++) put(waiting, waiting.length, texts[i]);
          return;
        }
        for (let i = 0; i < texts.length; i++) wsSend(socket, texts[i]);
      },
      postStored: () => {},
      log: () => {},
      listen: (accept, lost) => {
        onClosed = lost;
        addEventListener(socket, 'message', (event) => {
          const text = messageDataOf(event);
          if (typeof text !== 'string') return;
          const msg = jsonParse(text);
          accept({ __proto__: null, n: nonce, m: isArray(msg) ? msg : [msg] }, text);
        });
      },
    });
  };
  const transport = config.websocket ? webSocketTransport(config.websocket) : portTransport();

  // ---- The blob channel: bytes, and what is too large for a string, as fetch bodies ---------
  const blobOrigins = config.blobOrigins || [];
  let blobBase;
  for (let i = 0; i < blobOrigins.length; i++) {
    if (!config.websocket && fetchFn !== undefined && getRandomValues !== undefined && blobOrigins[i] === win.location.origin) {
      blobBase = win.location.origin + '/__rpcview/blob/';
    }
  }
  /** `promise.then(ok, fail)` with the original `then`, on a promise no page script can reach. */
  const then = (promise, ok, fail) => apply(promiseThen, sealed(promise), [ok, fail]);
  /** 128 random bits, as hex: the name of an upload. */
  const freshId = () => {
    const raw = new Uint8ArrayCtor(16);
    getRandomValues(cryptoObj, raw);
    let id = '';
    for (let i = 0; i < 16; i++) id += (raw[i] < 16 ? '0' : '') + numberToString(raw[i], 16);
    return id;
  };
  /** The body of a blob-channel response, read with `read`; rejects with the host's reason. */
  const bodyOf = (response, read) => {
    if (!responseOk(response)) {
      return then(responseText(response), (why) => {
        throw new RpcError(Code.INTERNAL_ERROR, 'the host refused a binary payload: ' + why);
      });
    }
    return sealed(read(response));
  };
  const blobRequest = (id, init, read) => then(apply(fetchFn, win, [blobBase + id, init]), (response) => bodyOf(response, read));
  /** Stores `body` (bytes or text) on the host under the fresh id `id`. */
  // The window's key, which the host wants on every blob-channel request: it answers no
  // other frame and no page script's own fetch (and never reads their bodies). The init and
  // headers objects have no prototype, so no getter a page script defines can see it.
  const blobKey = StringCtor(config.blobKey || '');
  const keyed = () => ({ __proto__: null, 'x-rpcview-blob-key': blobKey });
  /** Stores `body` (a Uint8Array or text, never a Blob) on the host under the fresh id `id`. */
  const upload = (id, body) => blobRequest(id, { __proto__: null, method: 'POST', body, cache: 'no-store', headers: keyed() }, responseText);
  /** Takes what the host stored under `id`, as an ArrayBuffer (or text). */
  const download = (id, read) => blobRequest(id, { __proto__: null, method: 'GET', cache: 'no-store', headers: keyed() }, read);

  /** The bytes of an ArrayBuffer, typed array or DataView, as a Uint8Array; else undefined. */
  const bytesOf = (value) => {
    if (apply(isView, ArrayBufferCtor, [value])) return new Uint8ArrayCtor(value.buffer, value.byteOffset, value.byteLength);
    if (objectToString(value) === '[object ArrayBuffer]') return new Uint8ArrayCtor(value);
    return undefined;
  };
  const base64Of = (bytes) => {
    const parts = [];
    for (let i = 0; i < bytes.length; i += 0x8000) {
      put(parts, parts.length, apply(fromCharCode, undefined, bytes.subarray(i, i + 0x8000)));
    }
    return apply(btoaFn, win, [arrayJoin(parts, '')]);
  };
  const bytesOfBase64 = (text) => {
    const raw = apply(atobFn, win, [text]);
    const bytes = new Uint8ArrayCtor(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = charCodeAt(raw, i);
    return bytes;
  };
  /**
   * The JSON of binary `data` in params: a reference to an upload (collected in `blobs`, sent
   * before the message) at an origin with the blob channel, else inline base64.
   */
  const bytesJson = (data, blobs) => {
    if (blobs === undefined) return '{"$base64":' + jsonStringify(base64Of(data)) + '}';
    const id = freshId();
    put(blobs, blobs.length, { __proto__: null, id, data });
    return '{"$blob":"' + id + '"}';
  };
  /**
   * Replaces, in a message from the host, every `{"$base64": text}` with its bytes and
   * collects every `{"$blob": id}` in `refs` (to fetch), as `{parent, key, id}`.
   */
  const findBytes = (value, refs) => {
    if (value === null || typeof value !== 'object') return;
    const keys = isArray(value) ? undefined : objectKeys(value);
    const n = keys === undefined ? value.length : keys.length;
    for (let i = 0; i < n; i++) {
      const key = keys === undefined ? i : keys[i];
      const item = value[key];
      if (item === null || typeof item !== 'object') continue;
      if (!isArray(item)) {
        const inner = objectKeys(item);
        if (inner.length === 1 && inner[0] === '$base64' && typeof item.$base64 === 'string') {
          put(value, key, bytesOfBase64(item.$base64));
          continue;
        }
        if (inner.length === 1 && inner[0] === '$blob' && typeof item.$blob === 'string') {
          if (refs !== undefined) put(refs, refs.length, { __proto__: null, parent: value, key, id: item.$blob });
          continue;
        }
      }
      findBytes(item, refs);
    }
  };

  // ---- Outbound: one hand-off per microtask --------------------------------------------------
  // Calls made in the same microtask leave as one message (each still its own JSON-RPC call,
  // answered on its own), which is what makes a burst of calls cheap.
  const HANDOFF_CHARS = 1 << 20; // a larger burst leaves in several hand-offs
  let queue = [];
  let queuedChars = 0;
  let flushScheduled = false;
  const flush = () => {
    flushScheduled = false;
    if (queue.length === 0) return;
    const live = [];
    for (let i = 0; i < queue.length; i++) if (queue[i] !== undefined) put(live, live.length, queue[i]);
    queue = [];
    queuedChars = 0;
    if (live.length === 0) return;
    post(live);
  };
  // A hand-off this large goes as the body of an upload, and the port carries only its id:
  // measured by rpcview-bench, this spares the host's 34-45 ms of reading a 10 MiB script
  // message (the other way, replies take the body only from 64 MiB: bridge::STORED_DELIVERY_BYTES).
  const STORED_HANDOFF_CHARS = 256 * 1024;
  const WAITING = 0;
  const STORED = 1;
  const INLINE = 2;
  const posting = []; // hand-offs behind one still uploading, in order
  const releasePosts = () => {
    while (posting.length > 0 && posting[0].state !== WAITING) {
      const slot = arrayShift(posting);
      if (slot.state === STORED) transport.postStored(slot.id);
      else transport.post(slot.texts);
    }
  };
  const post = (texts) => {
    let chars = 0;
    for (let i = 0; i < texts.length; i++) chars += texts[i].length;
    if (blobBase !== undefined && chars >= STORED_HANDOFF_CHARS) {
      const slot = { __proto__: null, state: WAITING, id: freshId(), texts };
      put(posting, posting.length, slot);
      const stored = () => {
        slot.state = STORED;
        releasePosts();
      };
      const inline = () => {
        slot.state = INLINE; // the channel failed: as a string after all
        releasePosts();
      };
      then(upload(slot.id, '{"m":[' + arrayJoin(texts, ',') + ']}'), stored, inline);
    } else if (posting.length > 0) {
      put(posting, posting.length, { __proto__: null, state: INLINE, texts });
    } else {
      transport.post(texts);
    }
  };
  // Messages behind one whose bytes are still uploading wait for it, so they leave in order.
  const held = []; // {state: WAITING, SENT (1) or DROPPED (2), text}
  const release = () => {
    while (held.length > 0 && held[0].state !== WAITING) {
      const slot = arrayShift(held);
      if (slot.state === 1) enqueue(slot.text);
    }
  };
  const send = (text) => {
    if (held.length > 0) put(held, held.length, { __proto__: null, state: 1, text });
    else enqueue(text);
  };
  /** Sends `text` once its `blobs` are uploaded; `fail(error)` if one is refused. */
  const sendAfterUploads = (text, blobs, fail) => {
    const slot = { __proto__: null, state: WAITING, text };
    put(held, held.length, slot);
    let left = blobs.length;
    for (let i = 0; i < blobs.length; i++) {
      const uploaded = () => {
        if (--left === 0 && slot.state === WAITING) {
          slot.state = 1;
          release();
        }
      };
      const refused = (error) => {
        if (slot.state !== WAITING) return;
        slot.state = 2;
        fail(error);
        release();
      };
      then(upload(blobs[i].id, blobs[i].data), uploaded, refused);
    }
  };
  const enqueue = (text) => {
    if (queue.length > 0 && queuedChars + text.length > HANDOFF_CHARS) flush();
    put(queue, queue.length, text);
    queuedChars += text.length;
    if (!flushScheduled) {
      flushScheduled = true;
      apply(queueMicrotaskFn, win, [flush]);
    }
  };
  /** Bytes of `text` in UTF-8, as the host counts them (counted only when it could matter). */
  const utf8Length = (text) => {
    if (text.length * 3 <= config.maxMessageBytes) return text.length;
    // The engine's encoder counts a 10 MiB message in milliseconds; a loop here took most of
    // a second (measured by rpcview-bench).
    if (encodeUtf8 !== undefined) return byteLengthOf(encodeUtf8(text));
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const c = charCodeAt(text, i);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 2 : c >= 0xdc00 && c < 0xe000 ? 2 : 3;
    }
    return n;
  };

  /** `value` if it is the brand `valueOf` checks (a boxed primitive), else `undefined`. */
  const unbox = (valueOf, value) => {
    try {
      return valueOf(value);
    } catch (_) {
      return undefined;
    }
  };
  /**
   * JSON text of `value`, as `JSON.stringify` would write it, but consulting only the
   * value's *own* `toJSON` (and the original one of `Date`), never one a page script put on a
   * prototype, where it would see (and could rewrite) every caller's params. Holes in arrays
   * are `null` without reading the prototype; boxed primitives are unboxed with the original
   * `valueOf`. Throws on cycles and BigInt, as JSON.stringify does.
   */
  const toJson = (value, seen, blobs) => {
    if (value === null) return 'null';
    switch (typeof value) {
      case 'string':
        return jsonStringify(value);
      case 'number':
        return NumberIsFinite(value) ? jsonStringify(value) : 'null';
      case 'boolean':
        return value ? 'true' : 'false';
      case 'bigint':
        throw new TypeErrorCtor('a BigInt is not JSON; send it as a string');
      case 'object':
        break;
      default:
        return undefined; // undefined, functions, symbols: left out (null in arrays)
    }
    const data = bytesOf(value);
    if (data !== undefined) return bytesJson(data, blobs);
    if (hasOwn(value, 'toJSON') && typeof value.toJSON === 'function') {
      return toJson(apply(value.toJSON, value, ['']), seen, blobs);
    }
    const time = unbox(dateGetTime, value);
    if (time !== undefined) return NumberIsFinite(time) ? jsonStringify(dateToISOString(value)) : 'null';
    for (const valueOf of [numberValueOf, stringValueOf, booleanValueOf]) {
      const primitive = unbox(valueOf, value);
      if (primitive !== undefined) return toJson(primitive, seen, blobs);
    }
    if (setHas(seen, value)) throw new TypeErrorCtor('params are cyclic: not JSON');
    // The envelope is level 1 and the params level 2 of the host's Limits::max_depth.
    if (setSize(seen) + 2 > config.maxDepth) {
      throw new RpcError(Code.TOO_LARGE, `params nest deeper than the host accepts (${config.maxDepth} levels in all)`, {
        __proto__: null,
        limit: config.maxDepth,
        unit: 'levels of nesting',
      });
    }
    setAdd(seen, value);
    const parts = [];
    if (isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = hasOwn(value, i) ? toJson(value[i], seen, blobs) : 'null';
        put(parts, parts.length, item === undefined ? 'null' : item);
      }
      setDelete(seen, value);
      return '[' + arrayJoin(parts, ',') + ']';
    }
    const keys = objectKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const item = toJson(value[keys[i]], seen, blobs);
      if (item !== undefined) put(parts, parts.length, jsonStringify(keys[i]) + ':' + item);
    }
    setDelete(seen, value);
    return '{' + arrayJoin(parts, ',') + '}';
  };

  /**
   * JSON text of one call; built by hand so no patched `toJSON` can rewrite the envelope.
   * Binary params are collected in `blobs` (to upload first), or inline when it is undefined.
   */
  const envelope = (id, method, params, blobs) => {
    let text = '{"jsonrpc":"2.0"';
    if (id !== undefined) text += ',"id":' + id;
    text += ',"method":' + jsonStringify(method);
    if (params !== undefined) {
      if (params === null || typeof params !== 'object') {
        throw new RpcError(Code.INVALID_PARAMS, `params of '${method}' must be an object or an array, or left out`);
      }
      const p = toJson(params, new SetCtor(), blobs);
      if (typeof p !== 'string') throw new RpcError(Code.INVALID_PARAMS, `params of '${method}' are not JSON`);
      text += ',"params":' + p;
    }
    text += '}';
    const bytes = utf8Length(text);
    if (bytes > config.maxMessageBytes) {
      throw new RpcError(Code.TOO_LARGE, `'${method}' is ${bytes} bytes; the host accepts ${config.maxMessageBytes}`, {
        __proto__: null,
        limit: config.maxMessageBytes,
        size: bytes,
      });
    }
    return text;
  };

  /**
   * Tells the host to drop the handler of call `id` (LSP's `$/cancelRequest`, a notification);
   * a call that has not left the page yet is taken out of the queue instead.
   */
  const cancelOnHost = (id, text) => {
    if (!unqueue(text)) send('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":' + id + '}}');
  };
  /** Takes a message that has not left the page yet out of the queue; false if it has left. */
  const unqueue = (text) => {
    for (let i = 0; i < queue.length; i++) {
      if (queue[i] === text) {
        queue[i] = undefined;
        return true;
      }
    }
    for (let i = 0; i < held.length; i++) {
      if (held[i].text === text && held[i].state !== 2) {
        held[i].state = 2;
        release();
        return true;
      }
    }
    return false;
  };

  // ---- The pending map: every entry leaves by reply, timeout or abort ------------------------
  const pending = new MapCtor();
  let lastId = 0;
  const settle = (id) => {
    const entry = mapGet(pending, id);
    if (entry === undefined) return undefined;
    mapDelete(pending, id);
    if (entry.timer !== undefined) apply(clearTimeoutFn, win, [entry.timer]);
    if (entry.signal !== undefined) removeEventListener(entry.signal, 'abort', entry.onAbort);
    return entry;
  };

  /** True when something other than the value itself would answer `value.then`. */
  const inheritsThen = (value) => {
    for (let p = getPrototypeOf(value); p !== null; p = getPrototypeOf(p)) {
      if (getOwnPropertyDescriptor(p, 'then') !== undefined) return true;
    }
    return false;
  };

  /** Reports a listener's exception as an uncaught error (window 'error' event, console). */
  const report = (error) =>
    reportErrorFn !== undefined ? apply(reportErrorFn, win, [error]) : apply(setTimeoutFn, win, [() => { throw error; }, 0]);
  /** `obj[key]` if `obj` has it as its own property (no prototype getter is ever run). */
  const ownField = (obj, key) => (obj !== null && typeof obj === 'object' && hasOwn(obj, key) ? obj[key] : undefined);
  /** The `RpcError` for a JSON-RPC error object as the host sent it. */
  const errorOf = (e) => {
    const code = ownField(e, 'code');
    const message = ownField(e, 'message');
    return new RpcError(typeof code === 'number' ? code : Code.INTERNAL_ERROR, typeof message === 'string' ? message : 'the host sent a malformed error', ownField(e, 'data'));
  };
  /** A promise already settled, sealed like every promise handed to the page. */
  const settled = (ok, value) => sealed(new PromiseCtor((resolve, reject) => (ok ? resolve(value) : reject(value))));
  const step = (value, done) => ({ __proto__: null, value, done });

  // ---- Subscriptions: streams the host pushes, item by item ----------------------------------
  // The host answers `subscribe` with the subscription's id, before any item; then each item,
  // and the end, come as notifications `{method, params: {subscription, result | end | error}}`
  // to this page only. The host sends at most one window of items this page has not
  // acknowledged: items are acknowledged (`$/ack`) once they reached `onItem` or the
  // `for await` loop, so a page that stalls or iterates slowly holds the host back rather
  // than making it buffer without bound.
  const subs = new MapCtor(); // subscription id → record
  const acking = new SetCtor(); // records with items to acknowledge
  let ackScheduled = false;
  const flushAcks = () => {
    ackScheduled = false;
    setForEach(acking, (rec) => {
      if (!rec.done && rec.toAck > 0) {
        send('{"jsonrpc":"2.0","method":"$/ack","params":{"subscription":' + jsonStringify(rec.id) + ',"n":' + rec.toAck + '}}');
      }
      rec.toAck = 0;
    });
    setClear(acking);
  };
  const ack = (rec) => {
    rec.toAck++;
    setAdd(acking, rec);
    if (!ackScheduled) {
      ackScheduled = true;
      apply(queueMicrotaskFn, win, [flushAcks]);
    }
  };
  /** Ends a stream on the page's side: no more items, waiting `for await` loops end. */
  const finish = (rec, error) => {
    if (rec.done) return false;
    rec.done = true;
    rec.error = error;
    if (rec.id !== undefined) mapDelete(subs, rec.id);
    if (rec.signal !== undefined) removeEventListener(rec.signal, 'abort', rec.onAbort);
    while (rec.waiters.length > 0) {
      const waiter = arrayShift(rec.waiters);
      if (error !== undefined && !rec.errorTaken) {
        rec.errorTaken = true;
        waiter.reject(error);
      } else {
        waiter.resolve(step(undefined, true));
      }
    }
    return true;
  };
  /** Tells the host to end subscription `rec` (one the page no longer wants). */
  const sendUnsubscribe = (rec) =>
    send('{"jsonrpc":"2.0","method":"$/unsubscribe","params":{"subscription":' + jsonStringify(rec.id) + '}}');
  const unsubscribe = (rec) => {
    if (finish(rec, undefined) && rec.id !== undefined) {
      sendUnsubscribe(rec);
    }
  };
  const onItem = (rec, item) => {
    if (rec.onItem !== undefined) {
      try {
        apply(rec.onItem, undefined, [item]);
      } catch (error) {
        report(error);
      }
      ack(rec);
    } else if (rec.waiters.length > 0) {
      arrayShift(rec.waiters).resolve(step(item, false));
      ack(rec);
    } else {
      put(rec.buffer, rec.buffer.length, item); // acknowledged when the loop takes it
    }
  };
  const onSubscriptionMessage = (method, params) => {
    const rec = mapGet(subs, params.subscription);
    if (rec === undefined || rec.name !== method || rec.done) return;
    if (hasOwn(params, 'result')) return onItem(rec, params.result);
    let error;
    if (hasOwn(params, 'error')) {
      const e = params.error;
      error = errorOf(e);
    }
    const waited = rec.waiters.length > 0;
    finish(rec, error);
    const hook = error === undefined ? rec.onEnd : rec.onError;
    if (hook !== undefined) {
      try {
        apply(hook, undefined, error === undefined ? [] : [error]);
      } catch (e) {
        report(e);
      }
    } else if (error !== undefined && rec.onItem !== undefined && !waited) {
      report(error); // nobody would ever see it
    }
  };
  /** What `subscribe` resolves with: the stream's id, `unsubscribe`, and `for await`. */
  const handleOf = (rec) => {
    const iterator = freeze({
      next() {
        if (rec.onItem !== undefined) {
          return settled(false, new TypeErrorCtor('this subscription delivers to its onItem listener; subscribe without onItem to iterate it'));
        }
        if (rec.buffer.length > 0) {
          const item = arrayShift(rec.buffer);
          if (!rec.done) ack(rec);
          return settled(true, step(item, false));
        }
        if (rec.done) {
          if (rec.error !== undefined && !rec.errorTaken) {
            rec.errorTaken = true;
            return settled(false, rec.error);
          }
          return settled(true, step(undefined, true));
        }
        return sealed(new PromiseCtor((resolve, reject) => put(rec.waiters, rec.waiters.length, { __proto__: null, resolve, reject })));
      },
      return() {
        unsubscribe(rec);
        return settled(true, step(undefined, true));
      },
    });
    return freeze({
      id: rec.id,
      unsubscribe() {
        unsubscribe(rec);
        return settled(true, undefined);
      },
      [asyncIteratorSymbol]() {
        return iterator;
      },
    });
  };

  // ---- Inbound: one dispatcher for replies and pushes ----------------------------------------
  const listeners = new MapCtor(); // event name → Set of wrapped listeners
  const HOST_META = freeze({ __proto__: null });

  const emit = (event, payload, meta) => {
    const set = mapGet(listeners, event);
    if (set === undefined) return;
    const snapshot = [];
    setForEach(set, (fn) => put(snapshot, snapshot.length, fn));
    for (let i = 0; i < snapshot.length; i++) {
      try {
        snapshot[i](payload, meta);
      } catch (error) {
        report(error); // one listener's failure does not stop the others
      }
    }
  };

  const onResponse = (msg) => {
    const entry = settle(msg.id);
    if (entry === undefined) return; // timed out, aborted, or not ours
    if (hasOwn(msg, 'error')) {
      const e = msg.error;
      entry.reject(errorOf(e));
    } else {
      const result = hasOwn(msg, 'result') ? msg.result : null;
      if (result !== null && typeof result === 'object' && inheritsThen(result)) {
        entry.reject(
          new RpcError(Code.INTERNAL_ERROR, 'refusing to resolve: a page script defined `then` on a prototype, which would see the reply'),
        );
      } else {
        entry.resolve(result);
      }
    }
  };

  /**
   * What the host sends, as the transport hands it over: `to`, the nonce of the page that
   * sent the calls answered, or '*' for pushes to whatever page is current (a reply meant
   * for a page that has since reloaded is dropped here too), and the JSON-RPC messages.
   */
  const receive = (to, batch) => {
    if (to !== nonce && to !== '*') return;
    if (!isArray(batch)) return;
    for (let i = 0; i < batch.length; i++) {
      const msg = batch[i];
      if (msg === null || typeof msg !== 'object') continue;
      if (hasOwn(msg, 'id')) {
        if (to !== '*') onResponse(msg);
      } else if (!hasOwn(msg, 'method')) {
        continue;
      } else if (to !== '*' && setHas(allowed[Kind.SUBSCRIPTION], msg.method)) {
        const params = hasOwn(msg, 'params') ? msg.params : undefined;
        if (params !== null && typeof params === 'object' && hasOwn(params, 'subscription')) onSubscriptionMessage(msg.method, params);
      } else if (setHas(allowed[Kind.EVENT], msg.method)) {
        // A relayed event names the window it came from; the host's own pushes do not.
        const meta = hasOwn(msg, 'from') && typeof msg.from === 'string' ? freeze({ __proto__: null, from: msg.from }) : HOST_META;
        emit(msg.method, hasOwn(msg, 'params') ? msg.params : undefined, meta);
      }
    }
  };

  /**
   * What the transport hands over: a delivery `{n, m, [b], [f]}` (and its text), taken in
   * order. `f` names a delivery stored on the blob channel (fetched, then read as this one);
   * `b` lists the messages that name bytes to fetch first. Deliveries after one still
   * fetching wait for it, so replies and pushes keep the host's order.
   */
  const inbox = [];
  /** Decodes the bytes the host sent inline: all of them in browser mode, events' anywhere. */
  const inlineBytes = (batch, text) => {
    if (!stringIncludes(text, '{"$base64":"')) return;
    for (let i = 0; i < batch.length; i++) findBytes(batch[i], undefined);
  };
  const drain = () => {
    while (inbox.length > 0 && inbox[0].ready) {
      const slot = arrayShift(inbox);
      receive(slot.to, slot.batch);
    }
  };
  const accept = (delivery, text) => {
    const to = delivery.n;
    if (to !== nonce && to !== '*') return;
    if (!isArray(delivery.m)) return;
    const field = (d, key) => (blobBase !== undefined && hasOwn(d, key) ? d[key] : undefined);
    const stored = field(delivery, 'f');
    inlineBytes(delivery.m, text);
    const marked = field(delivery, 'b');
    if (stored === undefined && marked === undefined && inbox.length === 0) return receive(to, delivery.m);
    const slot = { __proto__: null, ready: false, to, batch: delivery.m };
    put(inbox, inbox.length, slot);
    const done = () => {
      slot.ready = true;
      drain();
    };
    if (typeof stored !== 'string') return fetchMarked(slot, marked, done);
    const read = (body) => {
      const d = jsonParse(body);
      if (d !== null && typeof d === 'object' && isArray(d.m)) inlineBytes(d.m, body);
      slot.batch = d !== null && typeof d === 'object' && isArray(d.m) ? d.m : [];
      fetchMarked(slot, d !== null && typeof d === 'object' ? field(d, 'b') : undefined, done);
    };
    then(download(stored, responseText), read, (error) => {
      report(error); // its calls time out or stay pending: nothing else names them
      done();
    });
  };
  /** Fetches the bytes the messages `marked` (indices into `slot.batch`) name, then `done`. */
  const fetchMarked = (slot, marked, done) => {
    if (!isArray(marked)) return done();
    const refs = [];
    for (let i = 0; i < marked.length; i++) {
      const at = marked[i];
      const msg = slot.batch[at];
      const before = refs.length;
      findBytes(msg, refs);
      for (let j = before; j < refs.length; j++) refs[j].at = at;
    }
    if (refs.length === 0) return done();
    let left = refs.length;
    const one = () => {
      if (--left === 0) done();
    };
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i];
      const fetched = (buffer) => {
        put(ref.parent, ref.key, new Uint8ArrayCtor(buffer));
        one();
      };
      const failed = (error) => {
        // The message cannot be delivered whole: a reply becomes its error, a push is dropped.
        const msg = slot.batch[ref.at];
        if (msg !== null && typeof msg === 'object' && hasOwn(msg, 'id')) {
          slot.batch[ref.at] = { __proto__: null, id: msg.id, error: { __proto__: null, code: Code.INTERNAL_ERROR, message: error && error.message ? error.message : 'could not fetch a binary payload' } };
        } else {
          slot.batch[ref.at] = null;
        }
        one();
      };
      then(download(ref.id, responseArrayBuffer), fetched, failed);
    }
  };

  // ---- The API ----------------------------------------------------------------------------
  /**
   * What a sealed promise names as its constructor: its species is the original `Promise`,
   * whatever a page script later sets as `Promise[Symbol.species]` (`then`, `catch` and
   * `finally` create their derived promise with the species, which would see the result).
   */
  const SPECIES = { __proto__: null };
  /**
   * Gives a promise its own `then` and `constructor`, so neither a patched
   * `Promise.prototype.then`, nor a patched `constructor` or `Promise[Symbol.species]` (which
   * `await`, `catch` and `finally` consult), sees the result.
   */
  const sealed = (promise) => {
    defineProperty(promise, 'then', { __proto__: null, value: promiseThen });
    defineProperty(promise, 'constructor', { __proto__: null, value: SPECIES });
    return promise;
  };
  /**
   * The species of sealed promises: what `then`, `catch` and `finally` derive from one is
   * sealed too, so `finally`'s inner promise (which holds the result) is never created, nor
   * chained, with a page script's `Promise[Symbol.species]`.
   */
  class SealedPromise extends PromiseCtor {
    constructor(executor) {
      super(executor);
      sealed(this);
    }
  }
  defineProperty(SPECIES, SymbolSpecies, { __proto__: null, value: SealedPromise });
  freeze(SPECIES);
  freeze(SealedPromise.prototype);
  freeze(SealedPromise);

  /**
   * Calls a host method; resolves with its result, rejects with an `RpcError`.
   * @param {string} method
   * @param {object|unknown[]} [params] by name (an object) or by position (an array)
   * @param {{timeoutMs?: number, signal?: AbortSignal}} [options]
   */
  function invoke(method, params, options) {
    return sealed(new PromiseCtor((resolve, reject) => {
      if (!isAllowed(Kind.REQUEST, method)) return reject(refusal(Kind.REQUEST, method));
      const id = ++lastId;
      const blobs = blobBase !== undefined ? [] : undefined;
      let text;
      try {
        text = envelope(id, method, params, blobs);
      } catch (error) {
        return reject(error);
      }
      const entry = { __proto__: null, resolve, reject, timer: undefined, signal: undefined, onAbort: undefined };
      const own = (key) => (options !== null && typeof options === 'object' && hasOwn(options, key) ? options[key] : undefined);
      const timeoutMs = own('timeoutMs');
      const signal = own('signal');
      if (timeoutMs !== undefined && (!NumberIsFinite(timeoutMs) || timeoutMs < 0)) {
        return reject(new TypeErrorCtor('timeoutMs must be a non-negative number of milliseconds'));
      }
      if (signal != null) {
        if (abortedOf(signal)) return reject(new RpcError(Code.ABORTED, `'${method}' was aborted before it was sent`));
        entry.signal = signal;
        entry.onAbort = () => {
          if (settle(id) !== undefined) {
            cancelOnHost(id, text);
            reject(new RpcError(Code.ABORTED, `'${method}' was aborted`));
          }
        };
        addEventListener(signal, 'abort', entry.onAbort, { __proto__: null, once: true });
      }
      if (timeoutMs !== undefined) {
        entry.timer = apply(setTimeoutFn, win, [
          () => {
            if (settle(id) !== undefined) {
              cancelOnHost(id, text);
              reject(new RpcError(Code.TIMED_OUT, `'${method}' timed out after ${timeoutMs} ms`, { __proto__: null, timeoutMs }));
            }
          },
          timeoutMs,
        ]);
      }
      mapSet(pending, id, entry);
      sendWith(text, blobs, (error) => {
        if (settle(id) !== undefined) reject(error);
      });
    }));
  }

  /** Sends `text`, after uploading its `blobs` if it has any; `fail(error)` if one is refused. */
  const sendWith = (text, blobs, fail) => {
    if (blobs !== undefined && blobs.length > 0) sendAfterUploads(text, blobs, fail);
    else send(text);
  };

  /**
   * Starts a subscription: resolves, once the host accepted it, with `{id, unsubscribe(),
   * [Symbol.asyncIterator]}`; items go to `onItem` if given (from the moment the host accepts,
   * which may be before this promise's callbacks run), else to `for await`. The stream ends
   * with `onEnd` (or the loop ending), or with `onError` (or the loop throwing).
   * @param {string} name
   * @param {object|unknown[]} [params]
   * @param {{onItem?: (item: unknown) => void, onEnd?: () => void, onError?: (error: RpcError) => void, signal?: AbortSignal}} [options]
   */
  function subscribe(name, params, options) {
    return sealed(new PromiseCtor((resolve, reject) => {
      if (!isAllowed(Kind.SUBSCRIPTION, name)) return reject(refusal(Kind.SUBSCRIPTION, name));
      const own = (key) => (options !== null && typeof options === 'object' && hasOwn(options, key) ? options[key] : undefined);
      const rec = {
        __proto__: null, id: undefined, name, onItem: own('onItem'), onEnd: own('onEnd'), onError: own('onError'),
        signal: undefined, onAbort: undefined, buffer: [], waiters: [], done: false, error: undefined, errorTaken: false, toAck: 0,
      };
      for (const hook of ['onItem', 'onEnd', 'onError']) {
        if (rec[hook] !== undefined && typeof rec[hook] !== 'function') return reject(new TypeErrorCtor(`api.subscribe: ${hook} must be a function`));
      }
      const id = ++lastId;
      const blobs = blobBase !== undefined ? [] : undefined;
      let text;
      try {
        text = envelope(id, name, params, blobs);
      } catch (error) {
        return reject(error);
      }
      const signal = own('signal');
      if (signal != null && abortedOf(signal)) return reject(new RpcError(Code.ABORTED, `'${name}' was aborted before it was sent`));
      const entry = {
        __proto__: null,
        resolve: (subId) => {
          if (typeof subId !== 'string') return reject(new RpcError(Code.INTERNAL_ERROR, `'${name}' did not answer with a subscription id`));
          rec.id = subId;
          if (rec.done) return sendUnsubscribe(rec); // aborted while the host was accepting it
          mapSet(subs, subId, rec);
          resolve(handleOf(rec));
        },
        reject: (error) => {
          finish(rec, undefined);
          reject(error);
        },
        timer: undefined,
        signal: undefined,
        onAbort: undefined,
      };
      if (signal != null) {
        rec.signal = signal;
        rec.onAbort = () => {
          if (rec.id !== undefined) return unsubscribe(rec);
          // Not accepted yet: end it as soon as the host names it (or never send it).
          finish(rec, undefined);
          if (unqueue(text)) settle(id);
          reject(new RpcError(Code.ABORTED, `'${name}' was aborted`));
        };
        addEventListener(signal, 'abort', rec.onAbort, { __proto__: null, once: true });
      }
      mapSet(pending, id, entry);
      sendWith(text, blobs, (error) => {
        if (settle(id) !== undefined) entry.reject(error);
      });
    }));
  }

  /**
   * Sends a notification: no reply, no error, ever (the host logs bad ones).
   * @param {string} method
   * @param {object|unknown[]} [params]
   */
  function notify(method, params) {
    if (!isAllowed(Kind.NOTIFICATION, method)) throw refusal(Kind.NOTIFICATION, method);
    const blobs = blobBase !== undefined ? [] : undefined;
    sendWith(envelope(undefined, method, params, blobs), blobs, report);
  }

  /**
   * Listens for a host event. Returns the function that removes this listener.
   * @param {string} event
   * @param {(payload: unknown) => void} listener
   * @returns {() => void}
   */
  function on(event, listener) {
    if (!isAllowed(Kind.EVENT, event)) throw refusal(Kind.EVENT, event);
    if (typeof listener !== 'function') throw new TypeErrorCtor('api.on: the listener must be a function');
    let set = mapGet(listeners, event);
    if (set === undefined) {
      set = new SetCtor();
      mapSet(listeners, event, set);
    }
    const wrapped = (payload, meta) => apply(listener, undefined, [payload, meta]);
    setAdd(set, wrapped);
    let live = true;
    return function off() {
      if (!live) return;
      live = false;
      setDelete(set, wrapped);
      if (setSize(set) === 0 && mapGet(listeners, event) === set) mapDelete(listeners, event);
    };
  }

  /**
   * Like `on`, for the next event only. Returns the function that cancels it.
   * @param {string} event
   * @param {(payload: unknown) => void} listener
   * @returns {() => void}
   */
  function once(event, listener) {
    if (typeof listener !== 'function') throw new TypeErrorCtor('api.once: the listener must be a function');
    const off = on(event, (payload, meta) => {
      off();
      apply(listener, undefined, [payload, meta]);
    });
    return off;
  }

  /** Listeners registered for `event`, or for all events when it is left out. */
  function listenerCount(event) {
    if (event !== undefined) {
      const set = mapGet(listeners, event);
      return set === undefined ? 0 : setSize(set);
    }
    let n = 0;
    mapForEach(listeners, (set) => { n += setSize(set); });
    return n;
  }

  /** Calls sent and not yet settled. */
  function pendingCount() {
    return mapSize(pending);
  }

  /** Subscriptions the host accepted and that have not ended. */
  function subscriptionCount() {
    return mapSize(subs);
  }

  // ---- The page's errors to the host's log ---------------------------------------------------
  // A page that fails silently is the hardest to debug: `console.error` and `console.warn`,
  // uncaught errors, unhandled rejections and Content-Security-Policy violations (an inline
  // script the policy blocked) also go to the host, which logs them with the window's name.
  // A convenience, like everything here: a page script can turn it off.
  const LOG_LIMIT = 200; // per page: a page that logs in a loop cannot flood the host's log
  const LOG_CHARS = 2000;
  let logged = 0;
  const textOf = (value) => {
    try {
      // `Name: message`, then the stack where there is one (WebKit's stack has no message line).
      if (value instanceof ErrorCtor) return StringCtor(value) + (value.stack ? '\n' + StringCtor(value.stack) : '');
      return typeof value === 'object' && value !== null ? jsonStringify(value) : StringCtor(value);
    } catch (_) {
      return '[unprintable]';
    }
  };
  const forward = (level, parts) => {
    if (logged >= LOG_LIMIT) return;
    logged++;
    const texts = [];
    for (let i = 0; i < parts.length; i++) put(texts, i, textOf(parts[i]));
    let message = arrayJoin(texts, ' ');
    if (message.length > LOG_CHARS) message = message.slice(0, LOG_CHARS) + '…';
    if (logged === LOG_LIMIT) message += ` (further page logs are dropped: ${LOG_LIMIT} per page)`;
    transport.log('{"n":"' + nonce + '","log":{"level":' + jsonStringify(level) + ',"message":' + jsonStringify(message) + '}}');
  };
  const consoleObj = win.console;
  if (consoleObj !== undefined && !config.websocket) {
    for (const level of config.console || ['error', 'warn']) {
      const original = consoleObj[level];
      if (typeof original !== 'function') continue;
      consoleObj[level] = function (...args) {
        forward(level, args);
        return apply(original, consoleObj, args);
      };
    }
  }
  try {
    addEventListener(win, 'error', (e) => {
      forward('error', [`uncaught ${e.error !== undefined && e.error !== null ? textOf(e.error) : e.message} (${e.filename}:${e.lineno})`]);
    });
    addEventListener(win, 'unhandledrejection', (e) => forward('error', ['unhandled rejection: ' + textOf(e.reason)]));
  } catch (_) {
    // Not a real window (the node tests' stand-in global): nothing to listen to.
  }
  addEventListener(doc, 'securitypolicyviolation', (e) => {
    const what = e.blockedURI === 'inline' ? 'an inline script or style' : e.blockedURI || 'a resource';
    forward('error', [
      `Content-Security-Policy blocked ${what} (${e.violatedDirective}) at ${e.sourceFile || e.documentURI}:${e.lineNumber}; ` +
        'move inline code into a file served by the app, or relax the policy with App::content_security_policy',
    ]);
  });

  // ---- Freeze and define window.api ---------------------------------------------------------
  const api = freeze({
    invoke,
    notify,
    subscribe,
    on,
    once,
    listenerCount,
    pendingCount,
    subscriptionCount,
    RpcError,
    methods: freeze(page.methods.slice()),
    notifications: freeze(page.notifications.slice()),
    events: freeze(page.events.slice()),
    subscriptions: freeze(page.subscriptions.slice()),
  });
  for (const fn of [invoke, notify, subscribe, on, once, listenerCount, pendingCount, subscriptionCount]) freeze(fn);
  defineProperty(win, 'api', { __proto__: null, value: api, enumerable: true, writable: false, configurable: false });
  transport.listen(accept, () => {
    // The host's socket closed: it cancelled this page's calls and streams, so say so here.
    const lost = () => new RpcError(Code.INTERNAL_ERROR, 'the connection to the host closed');
    const ids = [];
    mapForEach(pending, (_, id) => put(ids, ids.length, id));
    for (let i = 0; i < ids.length; i++) {
      const entry = settle(ids[i]);
      if (entry !== undefined) entry.reject(lost());
    }
    const recs = [];
    mapForEach(subs, (rec) => put(recs, recs.length, rec));
    for (let i = 0; i < recs.length; i++) onSubscriptionMessage(recs[i].name, { __proto__: null, subscription: recs[i].id, error: { __proto__: null, code: Code.INTERNAL_ERROR, message: 'the connection to the host closed' } });
  });
})
