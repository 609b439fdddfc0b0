// A frontend using the generated declarations, compiled with `tsc --strict`.
// Each `@ts-expect-error` line must fail to compile; if it compiled, tsc reports the
// directive as unused and this test fails.
import type { Note, NoteSummary, NotesChanged } from "../../schema/api";
import client, { createClient } from "../../schema/client.js";

export async function usesTheApi(): Promise<void> {
  const note: Note = await window.api.invoke("notes.save", { title: "a", body: "b" });
  const byPosition: Note = await window.api.invoke("notes.save", ["a", "b"]);
  const replacing: Note = await window.api.invoke("notes.save", { title: "a", body: "b", id: note.id });
  const list: NoteSummary[] = await window.api.invoke("notes.list");
  await window.api.invoke("notes.list", [], { timeoutMs: 100, signal: new AbortController().signal });
  const deleted: null = await window.api.invoke("notes.delete", { id: byPosition.id });
  window.api.notify("app.log", { level: "info", message: `saved ${replacing.id}, ${list.length} notes, ${deleted}` });
  const off: () => void = window.api.on("notes.changed", (e: NotesChanged) => {
    const kind: "saved" | "removed" = e.kind;
    console.log(kind);
  });
  off();
  const doc = await window.api.invoke("rpc.discover");
  console.log(doc.openrpc);
  try {
    await window.api.invoke("notes.get", { id: "x" });
  } catch (e) {
    if (e instanceof window.api.RpcError) console.log(e.code, e.data);
  }

  // Bytes: a Uint8Array both ways.
  const file: Uint8Array = await window.api.invoke("notes.file", { id: note.id });
  const imported: Note = await window.api.invoke("notes.import", { data: file.subarray(0, 10) });
  console.log(imported.id, await client.notes.file({ id: imported.id }));

  // @ts-expect-error: bytes are not a string
  await window.api.invoke("notes.import", { data: "# title" });
  // @ts-expect-error: bytes are not an array of numbers
  await window.api.invoke("notes.import", { data: [35, 32, 116] });
  // @ts-expect-error: a bytes result is a Uint8Array, not a string
  const notText: string = await window.api.invoke("notes.file", { id: "x" });
  console.log(notText);
  // @ts-expect-error: a misspelled method does not compile
  await window.api.invoke("notes.sav", { title: "a", body: "b" });
  // @ts-expect-error: a missing field does not compile
  await window.api.invoke("notes.save", { title: "a" });
  // @ts-expect-error: a wrong type does not compile
  await window.api.invoke("notes.save", { title: 1, body: "b" });
  // @ts-expect-error: an unknown field does not compile
  await window.api.invoke("notes.get", { id: "x", extra: true });
  // @ts-expect-error: a method's result is typed
  const wrongResult: string = await window.api.invoke("notes.get", { id: "x" });
  // @ts-expect-error: an unknown event does not compile
  window.api.on("notes.chnged", () => {});
  // @ts-expect-error: an event's payload is typed
  window.api.on("notes.changed", (e: string) => console.log(e));
  // @ts-expect-error: notifications are sent with notify, not invoke
  await window.api.invoke("app.log", { level: "info", message: "m" });
  // @ts-expect-error: an enum of strings is exact
  window.api.notify("app.log", { level: "loud", message: "m" });
  // @ts-expect-error: window.api is read-only
  window.api = createClient() as never;
  console.log(wrongResult);
}

export async function usesTheClient(): Promise<void> {
  const note: Note = await client.notes.save({ title: "a", body: "b" });
  const list: NoteSummary[] = await client.notes.list({ timeoutMs: 50 });
  client.app.log({ level: "warn", message: `${note.id} ${list.length}` });
  const off = client.on("notes.changed", (e) => console.log(e.id));
  off();
  const mine = createClient(window.api);
  await mine.notes.get({ id: "x" });

  // @ts-expect-error: no such method
  await client.notes.nope();
  // @ts-expect-error: a missing field
  await client.notes.save({ body: "b" });
  // @ts-expect-error: a wrong type
  client.app.log({ level: "info", message: 5 });
  // @ts-expect-error: results are typed
  const n: number = await client.notes.get({ id: "x" });
  console.log(n);
}
