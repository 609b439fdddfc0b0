import type { Api, EventMeta, Events, InvokeArgs, Methods, Notifications, NotifyArgs, RpcError as ApiRpcError, RpcErrorConstructor, SubscribeArgs, Subscriptions } from "./api";

/** What every rejected call carries (`api.RpcError`). */
export type RpcError = ApiRpcError;

/**
 * The params a handler gets: exactly what the page passed (by name, an object; by position,
 * an array; or nothing), copied through JSON. Unlike the host, the mock neither validates
 * them against the schema nor turns positions into names.
 */
export type ParamsOf<M extends keyof Methods> = InvokeArgs[M][0];

/** What a method handler gets besides the params. */
export interface CallContext<M extends keyof Methods = keyof Methods> {
  /** The method called. */
  readonly method: M;
  /** Aborts when the page gave up on the call (its `signal` aborted or its `timeoutMs` elapsed). */
  readonly signal: AbortSignal;
}

/**
 * A method's handler: returns (or resolves with) the method's result; throws (or rejects
 * with) an `RpcError`, or anything with a numeric `code`, to reject the page's call with that
 * code, message and data. Anything else thrown reaches the page as -32603.
 */
export type Handler<M extends keyof Methods> = (params: ParamsOf<M>, call: CallContext<M>) => Methods[M]["result"] | Promise<Methods[M]["result"]>;

/** A handler for each method the test answers; the others reject with -32601. */
export type Handlers = { [M in keyof Methods]?: Handler<M> };

/** The test's side of an open subscription: push items, end it, or fail it. */
export interface MockStream<T> {
  /** The subscription's id, as the page sees it. */
  readonly id: string;
  /** The subscription's name. */
  readonly name: string;
  /** Its params, as the page passed them. */
  readonly params: unknown;
  /** Aborts when the page unsubscribes (or its `signal` aborts). */
  readonly signal: AbortSignal;
  /** Whether it has ended (by `end`, `error`, or the page unsubscribing). */
  readonly closed: boolean;
  /** Sends one item to `onItem` or the `for await` loop; false once closed. Throws what `onItem` throws. */
  next(item: T): boolean;
  /** Ends the stream: `onEnd` runs, loops end. False if it was closed already. */
  end(): boolean;
  /** Fails the stream with an `RpcError` (or `code, message, data`): `onError` runs, loops throw. */
  error(error: RpcError | { code: number; message: string; data?: unknown }): boolean;
  error(code: number, message: string, data?: unknown): boolean;
}

/**
 * A subscription's handler, called when the page subscribes: it streams with `stream` (now
 * or later). Throwing refuses the subscription (the page's `subscribe` rejects); a returned
 * promise that rejects fails the stream.
 */
export type Streamer<S extends keyof Subscriptions> = (params: SubscribeArgs[S][0], stream: MockStream<Subscriptions[S]["item"]>) => void | Promise<void>;

/** A handler for each subscription the test serves; the others reject with -32601. */
export type Streamers = { [S in keyof Subscriptions]?: Streamer<S> };

/** How a recorded call ended, or that it has not yet. */
export type Outcome<R> =
  | { readonly status: "pending" }
  | { readonly status: "resolved"; readonly result: R }
  | { readonly status: "rejected"; readonly error: RpcError };

/** One `invoke` the page made, in order. */
export type MockCall = { [M in keyof Methods]: { readonly method: M; readonly params: ParamsOf<M>; readonly outcome: Outcome<Methods[M]["result"]> } }[keyof Methods];

/** One `notify` the page made, in order. */
export type MockNotification = { [N in keyof Notifications]: { readonly method: N; readonly params: NotifyArgs[N][0] } }[keyof Notifications];

/** One `subscribe` the page made, in order; its result is the subscription's id. */
export type MockSubscribe = { [S in keyof Subscriptions]: { readonly name: S; readonly params: SubscribeArgs[S][0]; readonly outcome: Outcome<string> } }[keyof Subscriptions];

/** The names the page may use, as the window's capabilities would grant them. */
export interface Allow {
  readonly methods?: readonly (keyof Methods)[];
  readonly notifications?: readonly (keyof Notifications)[];
  readonly events?: readonly (keyof Events)[];
  readonly subscriptions?: readonly (keyof Subscriptions)[];
}

export interface MockOptions {
  /** The methods the test answers, by name. */
  handlers?: Handlers;
  /** The subscriptions the test serves, by name. */
  subscriptions?: Streamers;
  /**
   * When given, names outside these lists are refused with -32001, as the preload refuses
   * what the window's capabilities do not grant. Without it, every name may be used, and the
   * `api` lists name the handlers (and no events).
   */
  allow?: Allow;
}

/** A mock `window.api` and the test's controls over it. */
export interface Mock {
  /** The mock `window.api` (also defined on the global by `installMock`). */
  readonly api: Api;
  /** Every `invoke`, in order (its outcome filled in when it settles). */
  readonly calls: readonly MockCall[];
  /** Every `notify`, in order. */
  readonly notified: readonly MockNotification[];
  /** Every `subscribe`, in order. */
  readonly subscribed: readonly MockSubscribe[];
  /** Every subscription a streamer accepted, in order, open or closed. */
  readonly streams: readonly MockStream<unknown>[];
  /** The `invoke`s of one method. */
  callsOf<M extends keyof Methods>(method: M): Extract<MockCall, { method: M }>[];
  /**
   * Pushes an event to the page's listeners (`meta.from`: as if relayed by that window).
   * Returns how many listeners it reached; throws the first error a listener threw, after all ran.
   */
  emit<E extends keyof Events>(event: E, payload: Events[E], meta?: EventMeta): number;
  /** The most recent open subscription `name` (throws if there is none). */
  stream<S extends keyof Subscriptions>(name: S): MockStream<Subscriptions[S]["item"]>;
}

/** The class of every rejection (the mock's `api.RpcError`), to throw from handlers. */
export declare const RpcError: RpcErrorConstructor;

/** A mock `window.api` and its controls, not installed anywhere. */
export declare function createMock(options?: MockOptions): Mock;

/**
 * Installs a mock `window.api` on `options.global` (default `globalThis`), non-writable and
 * non-configurable as the preload defines it. Installing again on the same global starts
 * afresh behind the same `window.api`.
 */
export declare function installMock(options?: MockOptions & { global?: object }): Mock;

export type { Api };
