//! The page both sides run: the same workloads over a `call(value)` that each side defines
//! over its own transport, with marks telling the host where each workload starts.

use crate::Plan;

/// The workloads, as a script: `call(v)` resolves with the echo of `v`, `echo(n, v)` too
/// (`v.text` has `n` characters), `down(n)` with `n` bytes from the host, `up(text)` sends
/// `text` up, `downBytes(n)` and `upBytes(u8)` the same with a `Uint8Array`; `mark(name)` tells the host a workload starts (`sequential`, `windowed`,
/// `burst`, `memory`, `flooded`, `idled`, `by_size`, `sizes`) or all are `done`.
fn workloads(plan: &Plan) -> String {
    let mib = |v: &[usize]| {
        v.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"
const plan = {{ sequential: {}, pipelined: {}, window: {}, down: [{}], up: [{}], repeats: 3, flood: {}, idleMs: {}, echo: [{}], echoRepeats: {} }};
async function run() {{
  const small = (i) => ({{ i, text: 'a small call of about seventy bytes', ok: true }});
  for (let i = 0; i < 100; i++) await call(small(i));
  mark('sequential');
  for (let i = 0; i < plan.sequential; i++) await call(small(i));
  mark('windowed');
  let next = 0;
  const worker = async () => {{ while (next < plan.pipelined) {{ const i = next++; await call(small(i)); }} }};
  await Promise.all(Array.from({{ length: plan.window }}, worker));
  mark('burst');
  await Promise.all(Array.from({{ length: plan.pipelined }}, (_, i) => call(small(i))));
  // Memory: a flood of calls, every other one refused (bad params), then idle; compared
  // with the start (the 'sequential' mark) before the large transfers grow the heap.
  mark('memory');
  for (let c = 0; c < plan.flood / 1000; c++) {{
    await Promise.all(Array.from({{ length: 1000 }}, (_, i) => (i % 2 ? bad(i) : call(small(i))).catch(() => 0)));
  }}
  mark('flooded');
  await new Promise((resolve) => setTimeout(resolve, plan.idleMs));
  await call(small(3));
  mark('idled');
  for (let i = 0; i < 200; i++) await call(small(i)); // warm again after the idle time
  // Round trips by size: the same echo with a text of n characters, sequentially; the gap
  // between two arrivals of the same size is one round trip.
  mark('by_size');
  for (const n of plan.echo) {{
    const text = 'x'.repeat(n);
    // Small sizes are noisy: more samples; large ones are slow: fewer.
    const repeats = n <= 16384 ? plan.echoRepeats : Math.max(15, Math.round((plan.echoRepeats * 16384) / n));
    for (let r = 0; r <= repeats; r++) {{
      const back = await echo(n, {{ i: r, text, ok: true }});
      if (back.text.length !== n) throw new Error('short echo');
    }}
  }}
  mark('sizes');
  // Large payloads, each between two small calls: the host times the arrival gaps.
  for (const n of plan.down) for (let r = 0; r < plan.repeats; r++) {{
    await call(small(0));
    const text = await down(n);
    if (text.length !== n) throw new Error('short download');
    await call(small(1));
  }}
  for (const n of plan.up) {{
    const text = 'x'.repeat(n);
    for (let r = 0; r < plan.repeats; r++) {{
      await call(small(0));
      await up(text);
    }}
  }}
  for (const n of plan.down) for (let r = 0; r < plan.repeats; r++) {{
    await call(small(0));
    const bytes = await downBytes(n);
    if (!(bytes instanceof Uint8Array) || bytes.length !== n) throw new Error('short binary download');
    await call(small(1));
  }}
  for (const n of plan.up) {{
    const bytes = new Uint8Array(n).fill(120);
    for (let r = 0; r < plan.repeats; r++) {{
      await call(small(0));
      await upBytes(bytes);
    }}
  }}
  await call(small(2));
  mark('done');
}}
run();
"#,
        plan.sequential,
        plan.pipelined,
        plan.window,
        mib(&plan.down),
        mib(&plan.up),
        plan.flood,
        plan.idle_ms,
        mib(&plan.echo),
        plan.echo_repeats
    )
}

/// The raw page: `window.ipc.postMessage` out, `window.__reply` (called by
/// `evaluate_script`) back, ids matched in a map, as a hand-written bridge would; binary data
/// as `fetch` bodies on a custom protocol (the page is served from it), the fastest raw path
/// for bytes.
pub(crate) fn raw_html(plan: &Plan) -> String {
    format!(
        r#"<!doctype html><html><body><script>
const pending = new Map();
let lastId = 0;
window.__reply = (id, value) => {{ const r = pending.get(id); pending.delete(id); r(value); }};
// `kind|id|payload`: the host reads the kind and id without parsing the payload.
const send = (kind, payload) => new Promise((resolve) => {{
  const id = ++lastId;
  pending.set(id, resolve);
  window.ipc.postMessage(kind + '|' + id + '|' + payload);
}});
const call = (p) => send('c', JSON.stringify(p));
const echo = (n, p) => send('e' + n, JSON.stringify(p)); // the size in the kind: no parse

const down = (n) => send('d', String(n));
const up = (text) => send('u', JSON.stringify(text));
const mark = (name) => window.ipc.postMessage('m|0|' + name);
const downBytes = (n) => fetch('raw://localhost/bytes/' + n).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b));
const upBytes = (b) => fetch('raw://localhost/up', {{ method: 'POST', body: b }}).then((r) => r.text());
const bad = (i) => call({{ i: 'not a number' }}); // the raw host validates nothing
{}
</script></body></html>"#,
        workloads(plan)
    )
}

/// rpcview's page script (served as a file: the default policy forbids inline scripts).
pub(crate) fn rpcview_js(plan: &Plan) -> String {
    format!(
        r#"
const call = (p) => window.api.invoke('bench.echo', p);
const echo = (n, p) => window.api.invoke('bench.echo', p);
const down = (n) => window.api.invoke('bench.down', [n]);
const up = (text) => window.api.invoke('bench.up', [text]);
const bad = (i) => window.api.invoke('bench.echo', {{ i: 'not a number' }}); // refused: -32602
const mark = (name) => window.api.notify('bench.mark', [name]);
const downBytes = (n) => window.api.invoke('bench.bytes', [n]);
const upBytes = (b) => window.api.invoke('bench.upbytes', [b]);
{}
"#,
        workloads(plan)
    )
}

/// rpcview's page.
pub(crate) const RPCVIEW_HTML: &str = r#"<!doctype html><html><head><script type="module" src="bench.js"></script></head><body></body></html>"#;
