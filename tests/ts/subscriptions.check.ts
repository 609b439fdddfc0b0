// Subscriptions and event metadata, as generated into ./subscriptions from the hand-written
// ./subscriptions/openrpc.json, checked with tsc (`node --test` runs tsconfig.subscriptions.json).
// Each `@ts-expect-error` line must fail to compile; if it compiled, tsc reports the directive
// as unused and this test fails.
import type { Api, EventMeta, Level, Progress, Subscription, SubscribeOptions } from "./subscriptions/api";
import client, { createClient } from "./subscriptions/client.js";

declare const api: Api;

export async function subscribes(): Promise<void> {
  // Items are typed in `onItem`...
  const progress: Subscription<Progress> = await api.subscribe("downloads.progress", { id: "d1" }, {
    onItem(item) {
      const done: number = item.done;
      const total: number | null = item.total;
      console.log(done, total);
    },
    onEnd() {},
    onError(error) {
      const code: number = error.code;
      console.log(code, error.message);
    },
    signal: new AbortController().signal,
  });
  const id: string = progress.id;
  const stopped: Promise<void> = progress.unsubscribe();
  await stopped;
  // ...and in `for await`.
  for await (const p of await api.subscribe("downloads.progress", ["d1"])) {
    const name: string = p.id;
    console.log(id, name);
  }
  // No params: left out, or given empty (as `invoke`).
  for await (const tick of await api.subscribe("clock.ticks")) {
    const n: number = tick;
    console.log(n);
  }
  await api.subscribe("clock.ticks", undefined, { onItem: (t) => console.log(t.toFixed()) });
  await api.subscribe("clock.ticks", {});
  // Every param optional: params may be left out.
  const logs = await api.subscribe("logs.tail");
  for await (const line of logs) {
    const level: Level = line.level;
    console.log(level, line.message);
  }
  await api.subscribe("logs.tail", { level: "warn" }, { onItem: (line) => console.log(line.message) });
  await api.subscribe("logs.tail", ["error"]);
  // By position, with a rest param.
  await api.subscribe("sums.running", [1, 2, 3]);
  const options: SubscribeOptions<number> = { onItem: (n) => console.log(n + 1) };
  await api.subscribe("sums.running", [0], options);
  const names: readonly ("downloads.progress" | "clock.ticks" | "logs.tail" | "sums.running")[] = api.subscriptions;
  const open: number = api.subscriptionCount();
  console.log(names, open);

  // @ts-expect-error: a misspelled subscription does not compile
  await api.subscribe("downloads.progres", { id: "d1" });
  // @ts-expect-error: a method is not a subscription
  await api.subscribe("downloads.start", { url: "u" });
  // @ts-expect-error: a subscription is not a method
  await api.invoke("downloads.progress", { id: "d1" });
  // @ts-expect-error: params are typed
  await api.subscribe("downloads.progress", { id: 1 });
  // @ts-expect-error: a required param is required
  await api.subscribe("downloads.progress");
  // @ts-expect-error: an unknown param does not compile
  await api.subscribe("downloads.progress", { id: "d1", extra: true });
  // @ts-expect-error: by position only
  await api.subscribe("sums.running", { start: 1 });
  // @ts-expect-error: an enum of strings is exact
  await api.subscribe("logs.tail", { level: "loud" });
  // @ts-expect-error: the item has no such field (onItem)
  await api.subscribe("downloads.progress", { id: "d1" }, { onItem: (item) => console.log(item.percent) });
  for await (const p of progress) {
    // @ts-expect-error: the item has no such field (for await)
    console.log(p.percent);
  }
  // @ts-expect-error: the item is typed
  await api.subscribe("clock.ticks", undefined, { onItem: (t: string) => console.log(t) });
  // @ts-expect-error: onError gets an RpcError
  await api.subscribe("clock.ticks", undefined, { onError: (e: string) => console.log(e) });
  // @ts-expect-error: options are typed
  await api.subscribe("clock.ticks", undefined, { onitem: () => {} });
  // @ts-expect-error: a subscription's id is read-only
  progress.id = "other";
}

export function events(): void {
  const off = api.on("notes.changed", (payload, meta) => {
    const from: string | undefined = meta.from;
    const changed: string = payload.id;
    console.log(from, changed);
    // @ts-expect-error: `from` is absent for host pushes
    const sure: string = meta.from;
    console.log(sure);
  });
  off();
  api.once("notes.changed", (_payload, meta: EventMeta) => console.log(meta.from?.length));
  // A listener may still ignore the metadata.
  api.on("notes.changed", (payload) => console.log(payload.id));
  window.api.on("notes.changed", (_p, { from }) => console.log(from ?? "host"));
  // @ts-expect-error: the metadata is read-only
  api.on("notes.changed", (_p, meta) => { meta.from = "x"; });
}

export async function usesTheClient(): Promise<void> {
  const sub = await client.downloads.progress({ id: "d1" }, { onItem: (p) => console.log(p.done) });
  const progress: Subscription<Progress> = sub;
  await progress.unsubscribe();
  for await (const t of await client.clock.ticks()) {
    const n: number = t;
    console.log(n);
  }
  await client.clock.ticks({ onItem: (t) => console.log(t.toFixed()) });
  await client.logs.tail();
  await client.logs.tail({ level: "info" }, { signal: new AbortController().signal });
  await client.sums.running([1, 2]);
  const started: string = await client.downloads.start({ url: "u" });
  client.on("notes.changed", (payload, meta) => console.log(payload.id, meta.from));
  const mine = createClient(api);
  await mine.downloads.progress(["d1"]);
  console.log(started);

  // @ts-expect-error: no such subscription
  await client.downloads.progres({ id: "d1" });
  // @ts-expect-error: params are typed
  await client.downloads.progress({ id: 1 });
  // @ts-expect-error: a required param is required
  await client.downloads.progress();
  // @ts-expect-error: the item has no such field
  await client.downloads.progress({ id: "d1" }, { onItem: (p) => console.log(p.percent) });
  for await (const line of await client.logs.tail()) {
    // @ts-expect-error: the item has no such field
    console.log(line.percent);
  }
}
