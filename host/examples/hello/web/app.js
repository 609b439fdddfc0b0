// The hello page, in TypeScript against ./schema/api.d.ts, which is generated from the Rust
// API: a misspelled method, a missing field or a wrong type does not compile.
// `make schema-check` checks it with tsc --strict and that app.js is its compiled output.
import { createClient } from "./schema/client.js";
const client = createClient();
const byId = (id) => document.getElementById(id);
const name = byId("name");
const out = byId("out");
const error = byId("error");
const events = byId("events");
// hello.greeted: pushed by Rust after every greeting, from any window.
client.on("hello.greeted", (g) => {
    const item = document.createElement("li");
    item.textContent = `greeted: ${g.text} (#${g.count})`;
    events.prepend(item);
});
byId("greet").addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
        // hello.greet: invoke, schema-checked in Rust before the handler runs.
        const greeting = await client.hello.greet({ name: name.value });
        out.textContent = greeting.text;
        // hello.log: notify, never answered.
        client.hello.log({ message: `greeted ${name.value}` });
    }
    catch (e) {
        error.textContent = e instanceof window.api.RpcError ? `${e.code}: ${e.message}` : String(e);
    }
});
// Wired: tests (and people) may use the form now.
document.body.dataset.ready = "true";
