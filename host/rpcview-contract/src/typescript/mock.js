// @ts-nocheck: typed by mock.d.ts next to it, not checked itself (so that `checkJs` over a
// generated folder stays quiet).
// A stand-in for rpcview's `window.api`, for a page's unit tests without the Rust host
// (`node --test`, Vitest or Jest under jsdom or happy-dom). Plain JavaScript, no dependencies.
//
// It has the preload's surface (`invoke, notify, subscribe, on, once, listenerCount,
// pendingCount, subscriptionCount, RpcError, methods, notifications, events, subscriptions`),
// frozen, and `installMock` defines it on a global as the preload does (non-writable,
// non-configurable). Behind it are the test's handlers: a method without one rejects as the
// host does (-32601 "Method not found"); the test emits events, streams subscription items,
// ends or fails streams, and reads what the page called and sent.
//
// What it is not: the host's check. Params are never validated against the schema (the host
// answers bad params with -32602; a test that needs that throws it from its handler), nor are
// capabilities enforced unless `allow` names them. Params, results, payloads and items are
// copied through JSON, as the bridge would carry them.
//
// Typed per app by the generated `mock.d.ts` next to this file.

/** The error codes the preload and the host answer with (`rpcview::rpc::error`). */
const Code = Object.freeze({
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  METHOD_NOT_ALLOWED: -32001,
  TIMED_OUT: -32003,
  ABORTED: -32004,
});

/** Defines an own, writable data property (as the preload's `RpcError` has them). */
const put = (obj, key, value) =>
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });

/** The error every rejected call carries: a JSON-RPC error object as an `Error`. */
export class RpcError extends Error {
  /**
   * @param {number} code JSON-RPC error code
   * @param {string} message what went wrong
   * @param {unknown} [data] structured detail
   */
  constructor(code, message, data) {
    super(message);
    put(this, 'name', 'RpcError');
    put(this, 'code', code);
    put(this, 'data', data);
  }
}
Object.freeze(RpcError.prototype);
Object.freeze(RpcError);

/** `value` as the bridge carries it: through JSON (`undefined` stays `undefined`). */
const copy = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/**
 * The `RpcError` a handler's failure reaches the page as: its own `code`, `message` and
 * `data` if it has a numeric code (an `RpcError` of any realm, or `{code, message, data}`),
 * else -32603 with its message, as the host answers a failed handler.
 * @param {unknown} error
 */
const toRpcError = (error) => {
  const e = /** @type {any} */ (error);
  if (e !== null && typeof e === 'object' && typeof e.code === 'number') {
    return new RpcError(e.code, typeof e.message === 'string' ? e.message : String(e.message), copy(e.data));
  }
  return new RpcError(Code.INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
};

/** Throws as the preload does on params that are neither an object nor an array. */
const checkParams = (name, params) => {
  if (params !== undefined && (params === null || typeof params !== 'object')) {
    throw new RpcError(Code.INVALID_PARAMS, `params of '${name}' must be an object or an array, or left out`);
  }
  return copy(params);
};

/** An own property of `options`, as the preload reads them (never an inherited one). */
const own = (options, key) =>
  options !== null && typeof options === 'object' && Object.prototype.hasOwnProperty.call(options, key) ? options[key] : undefined;

const KINDS = /** @type {const} */ ({
  methods: 'method',
  notifications: 'notification',
  events: 'event',
  subscriptions: 'subscription',
});

/** The mocks installed, by global: installing again on one reuses its `window.api`. */
const installed = new WeakMap();

/**
 * A mock `window.api` and what controls it, not installed anywhere (pass `mock.api` to
 * `createClient`, or use `installMock`).
 * @param {import('./mock').MockOptions} [options]
 * @returns {import('./mock').Mock}
 */
export function createMock(options) {
  const backend = { current: /** @type {any} */ (undefined) };
  const api = surface(backend);
  return start(backend, api, options);
}

/**
 * Installs a mock `window.api` on `options.global` (default: `globalThis`, which is `window`
 * under jsdom and happy-dom), defined as the preload defines it: non-writable,
 * non-configurable, frozen. Installing again on the same global (in each test) starts afresh
 * behind the same `window.api`: new handlers, no records, no listeners; the previous mock's
 * open calls and streams are left to it.
 * @param {import('./mock').MockOptions & { global?: object }} [options]
 * @returns {import('./mock').Mock}
 */
export function installMock(options) {
  const target = /** @type {any} */ (own(options, 'global') ?? globalThis);
  const existing = installed.get(target);
  if (existing !== undefined) return start(existing.backend, existing.api, options);
  if (Object.getOwnPropertyDescriptor(target, 'api') !== undefined) {
    throw new TypeError('installMock: this global already has an `api` (the real bridge, or another mock) that cannot be replaced');
  }
  const backend = { current: /** @type {any} */ (undefined) };
  const api = surface(backend);
  Object.defineProperty(target, 'api', { value: api, enumerable: true, writable: false, configurable: false });
  installed.set(target, { backend, api });
  return start(backend, api, options);
}

/**
 * The frozen `window.api`: every function asks `backend.current`, the mock in charge now.
 * The name lists are getters, so that a mock installed again can change them.
 */
function surface(backend) {
  const fns = {
    invoke: (method, params, options) => backend.current.invoke(method, params, options),
    notify: (method, params) => backend.current.notify(method, params),
    subscribe: (name, params, options) => backend.current.subscribe(name, params, options),
    on: (event, listener) => backend.current.on(event, listener),
    once: (event, listener) => backend.current.once(event, listener),
    listenerCount: (event) => backend.current.listenerCount(event),
    pendingCount: () => backend.current.pendingCount(),
    subscriptionCount: () => backend.current.subscriptionCount(),
  };
  for (const f of Object.values(fns)) Object.freeze(f);
  const api = { ...fns, RpcError };
  for (const list of Object.keys(KINDS)) {
    Object.defineProperty(api, list, { get: () => backend.current.lists[list], enumerable: true });
  }
  return Object.freeze(api);
}

/** A fresh mock behind `api`: the handlers of `options`, nothing recorded. */
function start(backend, api, options) {
  const handlers = { ...(own(options, 'handlers') ?? {}) };
  const streamers = { ...(own(options, 'subscriptions') ?? {}) };
  const allow = own(options, 'allow');
  /**
   * The names each list holds: with `allow`, its lists (a list it leaves out is empty, as a
   * capability grants nothing it does not name); else the handlers' names (and no events).
   */
  const lists = {};
  for (const list of Object.keys(KINDS)) {
    const names =
      allow != null ? (own(allow, list) ?? []) : list === 'methods' ? Object.keys(handlers) : list === 'subscriptions' ? Object.keys(streamers) : [];
    lists[list] = Object.freeze([...names]);
  }
  /** Refuses a name outside `allow` as the preload does; anything goes without `allow`. */
  const refuse = (list, name) => {
    if (allow == null) return undefined;
    const names = lists[list];
    if (typeof name === 'string' && names.includes(name)) return undefined;
    return new RpcError(
      Code.METHOD_NOT_ALLOWED,
      `${KINDS[list]} '${String(name)}' is not allowed in this window; the host allows: ${names.length ? names.join(', ') : 'none'}`,
      { name, kind: list === 'methods' ? 'request' : KINDS[list] },
    );
  };

  const calls = [];
  const notified = [];
  const subscribed = [];
  const streams = [];
  const listeners = new Map(); // event name → Set of listeners
  let pending = 0;
  let open = 0;
  let lastId = 0;

  /** A record's outcome, settled once. */
  const outcome = (record) => ({
    resolve(result) {
      record.outcome = Object.freeze({ status: 'resolved', result });
    },
    reject(error) {
      record.outcome = Object.freeze({ status: 'rejected', error });
    },
  });

  function invoke(method, params, options) {
    return new Promise((resolve, reject) => {
      const refused = refuse('methods', method);
      if (refused) return reject(refused);
      let sent;
      try {
        sent = checkParams(method, params);
      } catch (error) {
        return reject(error);
      }
      const timeoutMs = own(options, 'timeoutMs');
      const signal = own(options, 'signal');
      if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0)) {
        return reject(new TypeError('timeoutMs must be a non-negative number of milliseconds'));
      }
      if (signal != null && signal.aborted) return reject(new RpcError(Code.ABORTED, `'${method}' was aborted before it was sent`));
      const record = { method, params: sent, outcome: Object.freeze({ status: 'pending' }) };
      calls.push(record);
      const settle = outcome(record);
      const cancel = new AbortController(); // the handler's: the host drops a cancelled call
      let done = false;
      let timer;
      const onAbort = () => end(new RpcError(Code.ABORTED, `'${method}' was aborted`), true);
      /** Settles the call once, whichever comes first: the handler, the timeout, the signal. */
      const end = (error, cancelled, result) => {
        if (done) return;
        done = true;
        pending--;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener?.('abort', onAbort);
        if (cancelled) cancel.abort();
        if (error !== undefined) {
          settle.reject(error);
          reject(error);
        } else {
          settle.resolve(result);
          resolve(result);
        }
      };
      pending++;
      if (signal != null) signal.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => end(new RpcError(Code.TIMED_OUT, `'${method}' timed out after ${timeoutMs} ms`, { timeoutMs }), true), timeoutMs);
      }
      const handler = Object.prototype.hasOwnProperty.call(handlers, method) ? handlers[method] : undefined;
      // Answered later, as the host answers: never before `invoke` has returned.
      queueMicrotask(async () => {
        if (done) return;
        if (typeof handler !== 'function') {
          return end(new RpcError(Code.METHOD_NOT_FOUND, 'Method not found', { method }));
        }
        try {
          const result = await handler(copy(sent), Object.freeze({ method, signal: cancel.signal }));
          end(undefined, false, result === undefined ? null : copy(result));
        } catch (error) {
          end(toRpcError(error));
        }
      });
    });
  }

  function notify(method, params) {
    const refused = refuse('notifications', method);
    if (refused) throw refused;
    notified.push(Object.freeze({ method, params: checkParams(method, params) }));
  }

  function on(event, listener) {
    const refused = refuse('events', event);
    if (refused) throw refused;
    if (typeof listener !== 'function') throw new TypeError('api.on: the listener must be a function');
    let set = listeners.get(event);
    if (set === undefined) listeners.set(event, (set = new Set()));
    const wrapped = (payload, meta) => listener(payload, meta);
    set.add(wrapped);
    let live = true;
    return function off() {
      if (!live) return;
      live = false;
      set.delete(wrapped);
      if (set.size === 0 && listeners.get(event) === set) listeners.delete(event);
    };
  }

  function once(event, listener) {
    if (typeof listener !== 'function') throw new TypeError('api.once: the listener must be a function');
    const off = on(event, (payload, meta) => {
      off();
      listener(payload, meta);
    });
    return off;
  }

  function listenerCount(event) {
    if (event !== undefined) return listeners.get(event)?.size ?? 0;
    let n = 0;
    for (const set of listeners.values()) n += set.size;
    return n;
  }

  function subscribe(name, params, options) {
    return new Promise((resolve, reject) => {
      const refused = refuse('subscriptions', name);
      if (refused) return reject(refused);
      const hooks = {};
      for (const hook of ['onItem', 'onEnd', 'onError']) {
        hooks[hook] = own(options, hook);
        if (hooks[hook] !== undefined && typeof hooks[hook] !== 'function') {
          return reject(new TypeError(`api.subscribe: ${hook} must be a function`));
        }
      }
      let sent;
      try {
        sent = checkParams(name, params);
      } catch (error) {
        return reject(error);
      }
      const signal = own(options, 'signal');
      if (signal != null && signal.aborted) return reject(new RpcError(Code.ABORTED, `'${name}' was aborted before it was sent`));
      const record = { name, params: sent, outcome: Object.freeze({ status: 'pending' }) };
      subscribed.push(record);
      const settle = outcome(record);
      const fail = (error) => {
        settle.reject(error);
        reject(error);
      };
      pending++;
      let abortedEarly = false;
      const onAbortEarly = () => {
        abortedEarly = true;
        pending--;
        fail(new RpcError(Code.ABORTED, `'${name}' was aborted`));
      };
      if (signal != null) signal.addEventListener('abort', onAbortEarly, { once: true });
      queueMicrotask(() => {
        if (abortedEarly) return;
        signal?.removeEventListener?.('abort', onAbortEarly);
        pending--;
        const streamer = Object.prototype.hasOwnProperty.call(streamers, name) ? streamers[name] : undefined;
        if (typeof streamer !== 'function') return fail(new RpcError(Code.METHOD_NOT_FOUND, 'Method not found', { method: name }));
        const stream = openStream(name, sent, hooks, signal);
        try {
          const ran = streamer(copy(sent), stream.control);
          // A streamer that fails later (an async function) ends its stream with the error.
          if (ran !== null && typeof ran === 'object' && typeof ran.then === 'function') {
            ran.then(undefined, (error) => stream.control.error(error));
          }
        } catch (error) {
          // Failing at once is refusing the subscription, as the host does on bad params.
          stream.discard();
          return fail(toRpcError(error));
        }
        settle.resolve(stream.control.id);
        resolve(stream.handle);
      });
    });
  }

  /**
   * A subscription the streamer accepted: `control` for the test (items, end, error),
   * `handle` for the page (`id`, `unsubscribe`, `for await`), as the preload's record.
   */
  function openStream(name, params, hooks, signal) {
    const id = `mock-${name}-${++lastId}`;
    const cancel = new AbortController(); // the streamer's: aborts when the page unsubscribes
    const buffer = [];
    const waiters = [];
    let done = false;
    let error;
    let errorTaken = false;
    open++;
    const onAbort = () => unsubscribe();
    if (signal != null) signal.addEventListener('abort', onAbort, { once: true });

    /** Ends the stream on the page's side: no more items, waiting loops end or throw. */
    const finish = (err) => {
      if (done) return false;
      done = true;
      error = err;
      open--;
      signal?.removeEventListener?.('abort', onAbort);
      while (waiters.length > 0) {
        const waiter = waiters.shift();
        if (err !== undefined && !errorTaken) {
          errorTaken = true;
          waiter.reject(err);
        } else {
          waiter.resolve({ value: undefined, done: true });
        }
      }
      return true;
    };
    const unsubscribe = () => {
      if (finish(undefined)) cancel.abort();
    };
    const control = Object.freeze({
      id,
      name,
      params,
      signal: cancel.signal,
      get closed() {
        return done;
      },
      next(item) {
        if (done) return false;
        const value = copy(item);
        if (hooks.onItem !== undefined) hooks.onItem(value);
        else if (waiters.length > 0) waiters.shift().resolve({ value, done: false });
        else buffer.push(value);
        return true;
      },
      end() {
        if (!finish(undefined)) return false;
        hooks.onEnd?.();
        return true;
      },
      error(e, message, data) {
        const err = typeof e === 'number' ? new RpcError(e, String(message), copy(data)) : toRpcError(e);
        if (!finish(err)) return false;
        hooks.onError?.(err);
        return true;
      },
    });
    const iterator = Object.freeze({
      next() {
        if (hooks.onItem !== undefined) {
          return Promise.reject(new TypeError('this subscription delivers to its onItem listener; subscribe without onItem to iterate it'));
        }
        if (buffer.length > 0) return Promise.resolve({ value: buffer.shift(), done: false });
        if (done) {
          if (error !== undefined && !errorTaken) {
            errorTaken = true;
            return Promise.reject(error);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
      },
      return() {
        unsubscribe();
        return Promise.resolve({ value: undefined, done: true });
      },
    });
    const handle = Object.freeze({
      id,
      unsubscribe() {
        unsubscribe();
        return Promise.resolve();
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    });
    streams.push(control);
    /** Undoes the opening, for a streamer that refused at once. */
    const discard = () => {
      finish(undefined);
      streams.splice(streams.indexOf(control), 1);
    };
    return { control, handle, discard };
  }

  const HOST_META = Object.freeze(Object.create(null));

  /** Pushes event `event` to the page's listeners; throws the first listener's error after all ran. */
  function emit(event, payload, meta) {
    if (allow != null && !lists.events.includes(event)) {
      throw new TypeError(`mock.emit: '${String(event)}' is not among allow.events, so the page would never receive it`);
    }
    const from = own(meta, 'from');
    const m = typeof from === 'string' ? Object.freeze(Object.assign(Object.create(null), { from })) : HOST_META;
    const set = listeners.get(event);
    const errors = [];
    for (const listener of set === undefined ? [] : [...set]) {
      try {
        listener(copy(payload), m);
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
    return set === undefined ? 0 : set.size;
  }

  backend.current = {
    invoke,
    notify,
    subscribe,
    on,
    once,
    listenerCount,
    pendingCount: () => pending,
    subscriptionCount: () => open,
    lists,
  };

  return Object.freeze({
    api,
    calls,
    notified,
    subscribed,
    streams,
    emit,
    stream(name) {
      for (let i = streams.length - 1; i >= 0; i--) {
        if (streams[i].name === name && !streams[i].closed) return streams[i];
      }
      throw new Error(`mock.stream: no open subscription '${String(name)}' (opened: ${streams.map((s) => s.name).join(', ') || 'none'})`);
    },
    callsOf(method) {
      return calls.filter((c) => c.method === method);
    },
  });
}
