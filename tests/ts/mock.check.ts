// The generated mock (schema/mock.js, typed by schema/mock.d.ts from schema/api.d.ts), as a
// frontend's unit test uses it, compiled with `tsc --strict`. Each `@ts-expect-error` line
// must fail to compile; if it compiled, tsc reports the directive as unused and this fails.
import type { ExportProgress, Note, NotesChanged } from "../../schema/api";
import { createMock, installMock, RpcError, type Handler, type MockStream } from "../../schema/mock.js";

const note: Note = { id: "a", title: "A", body: "", modified_ms: 0 };

export async function correctHandlersCompile(): Promise<void> {
  const mock = installMock({
    handlers: {
      // Params as the page passed them: by name or by position.
      "notes.get": (params) => ({ ...note, id: Array.isArray(params) ? params[0] : params.id }),
      "notes.list": async (_params, call) => {
        const aborted: boolean = call.signal.aborted;
        console.log(aborted, call.method);
        return [{ id: note.id, title: note.title, modified_ms: 0 }];
      },
      "notes.delete": () => null,
      "notes.save": () => {
        throw new RpcError(-32602, "title must not be empty", { path: "/title" });
      },
    },
    subscriptions: {
      "notes.export": (params, stream) => {
        const pace: number | undefined = Array.isArray(params) ? params[0] : params?.pace_ms;
        console.log(pace, stream.signal.aborted);
        stream.next({ done: 1, total: 1, note: "a", file: null });
        stream.end();
      },
    },
    allow: { methods: ["notes.get", "notes.list"], events: ["notes.changed"] },
    global: globalThis,
  });
  const got: Note = await mock.api.invoke("notes.get", { id: "a" });
  console.log(got.title, window.api === mock.api);
  mock.emit("notes.changed", { id: "a", kind: "saved" });
  mock.emit("notes.changed", { id: "a", kind: "removed" }, { from: "notes-2" });
  const stream: MockStream<ExportProgress> = mock.stream("notes.export");
  stream.error(new RpcError(7, "disk gone"));
  stream.error(7, "disk gone", { free: 0 });
  for (const call of mock.calls) {
    if (call.method === "notes.get" && call.outcome.status === "resolved") {
      const title: string = call.outcome.result.title;
      console.log(title);
    }
    if (call.outcome.status === "rejected") console.log(call.outcome.error.code);
  }
  const saves = mock.callsOf("notes.save");
  console.log(saves[0]?.params);
  for (const n of mock.notified) {
    const level: "info" | "warn" | "error" = Array.isArray(n.params) ? n.params[0] : n.params.level;
    console.log(level);
  }
  const changed: (payload: NotesChanged) => void = () => {};
  mock.api.on("notes.changed", changed);
  const get: Handler<"notes.get"> = () => note;
  createMock({ handlers: { "notes.get": get } });
}

export function wrongHandlersDoNotCompile(): void {
  createMock({
    handlers: {
      // @ts-expect-error: wrong params type (id is a string)
      "notes.get": (params: { id: number }) => ({ ...note, id: String(params.id) }),
    },
  });
  createMock({
    handlers: {
      // @ts-expect-error: wrong result type (notes.get resolves with a Note)
      "notes.get": () => 42,
    },
  });
  createMock({
    handlers: {
      // @ts-expect-error: wrong result type, in a promise
      "notes.list": async () => [{ id: 1 }],
    },
  });
  createMock({
    handlers: {
      // @ts-expect-error: an unknown method
      "notes.sav": () => note,
    },
  });
  createMock({
    subscriptions: {
      // @ts-expect-error: a method is not a subscription
      "notes.list": () => {},
    },
  });
  createMock({
    // @ts-expect-error: an unknown name in allow
    allow: { methods: ["notes.nope"] },
  });
  const mock = createMock();
  // @ts-expect-error: wrong event payload
  mock.emit("notes.changed", { id: "a", kind: "renamed" });
  // @ts-expect-error: an unknown event
  mock.emit("notes.renamed", { id: "a" });
  createMock({
    subscriptions: {
      "notes.export": (_params, stream) => {
        // @ts-expect-error: wrong item type
        stream.next({ done: "1", total: 1, note: "a", file: null });
      },
    },
  });
  // @ts-expect-error: wrong item type, on a stream the test looked up
  mock.stream("notes.export").next(42);
  // @ts-expect-error: an unknown subscription
  mock.stream("notes.import");
}
