//! Binary payloads in a real webview: a handler's `rpcview::Bytes` arrive in the page as a
//! `Uint8Array` and a page's `Uint8Array` (or `ArrayBuffer`, `DataView`) arrives in the
//! handler as bytes, beside the JSON (no base64, no number arrays); 100 MiB each way leaves
//! the page responsive; large JSON messages take the same channel, transparently; a page
//! cannot take another window's payloads or forge references. Needs a display:
//! `xvfb-run -a cargo test --test bytes`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpcview::testing::{Page, TestApp, TestError};
use rpcview::{Api, Bytes, Ctx, RpcError, Sink, Target};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Deserialize, JsonSchema)]
struct Make {
    size: usize,
}

#[derive(Deserialize, JsonSchema)]
struct Upload {
    name: String,
    data: Bytes,
}

#[derive(Serialize, JsonSchema)]
struct Digest {
    name: String,
    len: usize,
    sum: u64,
}

#[derive(Serialize, JsonSchema)]
struct File {
    name: String,
    data: Bytes,
}

/// Byte `i` of a made payload: a pattern the page can check anywhere.
fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 8)) as u8
}

fn sum(data: &[u8]) -> u64 {
    data.iter().map(|&b| u64::from(b)).sum()
}

fn api(raw_calls: Arc<AtomicUsize>) -> Api {
    Api::new()
        .method("bytes.make", |_: Ctx, p: Make| async move {
            Ok::<_, RpcError>(Bytes::from((0..p.size).map(pattern).collect::<Vec<u8>>()))
        })
        .method("bytes.files", |_: Ctx, _: ()| async move {
            Ok::<_, RpcError>(vec![
                File {
                    name: "a".into(),
                    data: Bytes::from_static(b"first"),
                },
                File {
                    name: "empty".into(),
                    data: Bytes::new(),
                },
            ])
        })
        .method("bytes.digest", |_: Ctx, p: Upload| async move {
            Ok::<_, RpcError>(Digest {
                name: p.name,
                len: p.data.len(),
                sum: sum(&p.data),
            })
        })
        .method("bytes.echo", |_: Ctx, (data,): (Bytes,)| async move {
            Ok::<_, RpcError>(data)
        })
        .subscription(
            "bytes.chunks",
            |_: Ctx, p: Make, sink: Sink<Bytes>| async move {
                // Chunks of 64 KiB of the pattern, each its own item.
                let data: Vec<u8> = (0..p.size).map(pattern).collect();
                for chunk in data.chunks(64 << 10) {
                    sink.send(&Bytes::from(chunk.to_vec())).await?;
                }
                Ok(())
            },
        )
        .event::<File>("bytes.arrived")
        .method("text.make", |_: Ctx, p: Make| async move {
            Ok::<_, RpcError>("é".repeat(p.size / 2))
        })
        .method("text.len", move |_: Ctx, (text,): (String,)| {
            let calls = raw_calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, RpcError>(text.chars().count())
            }
        })
}

const PAGE: &str = r#"<!doctype html><meta charset="utf-8"><title>bytes</title>
<script>
  // A timer that must keep firing while large payloads move.
  window.ticks = 0;
  setInterval(() => { window.ticks++; }, 10);
  window.pattern = (i) => ((Math.imul(i, 31) ^ (i >> 8)) & 0xff);
  window.checked = (bytes) => {
    if (!(bytes instanceof Uint8Array)) return 'not a Uint8Array: ' + Object.prototype.toString.call(bytes);
    for (let i = 0; i < bytes.length; i += 4099) if (bytes[i] !== pattern(i)) return 'byte ' + i + ' is ' + bytes[i];
    const last = bytes.length - 1;
    if (last >= 0 && bytes[last] !== pattern(last)) return 'the last byte is ' + bytes[last];
    return bytes.length;
  };
  window.made = (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = pattern(i); return b; };
  window.sum = (b) => { let s = 0; for (let i = 0; i < b.length; i++) s += b[i]; return s; };
  // Whether the page ran timers while `promise` was pending.
  window.during = async (promise) => {
    const before = window.ticks;
    const value = await promise;
    return { value, ticks: window.ticks - before };
  };
</script>"#;

fn launch() -> Result<(TestApp, Arc<AtomicUsize>), TestError> {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = TestApp::launch(api(calls.clone()), Page::html(PAGE))?;
    app.wait_for("typeof api === 'object'")?;
    Ok((app, calls))
}

#[test]
fn bytes_arrive_as_uint8array_both_ways_without_base64() -> Result<(), TestError> {
    let (app, _) = launch()?;
    // Host -> page: a Uint8Array with the right bytes, in nested results too.
    let stats = app.handle().stats().clone();
    let n: Value = app.eval("api.invoke('bytes.make', {size: 100000}).then(checked)")?;
    assert_eq!(n, json!(100000));
    assert_eq!(stats.blob_transfers(), (0, 1), "fetched as a body");
    let files: Value = app.eval(
        "api.invoke('bytes.files').then((fs) => fs.map((f) => [f.name, f.data instanceof Uint8Array, new TextDecoder().decode(f.data), f.data.length]))",
    )?;
    assert_eq!(
        files,
        json!([["a", true, "first", 5], ["empty", true, "", 0]])
    );
    // Page -> host: a Uint8Array, a view into part of a buffer, an ArrayBuffer, a DataView.
    let digests: Value = app.eval(
        r#"(async () => {
            const b = made(70000);
            const buf = new ArrayBuffer(16); new Uint8Array(buf).set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
            return [
              await api.invoke('bytes.digest', {name: 'u8', data: b}),
              await api.invoke('bytes.digest', {name: 'part', data: b.subarray(10, 20)}),
              await api.invoke('bytes.digest', {name: 'buffer', data: buf}),
              await api.invoke('bytes.digest', {name: 'view', data: new DataView(buf, 4, 4)}),
              sum(b), sum(b.subarray(10, 20)),
            ];
          })()"#,
    )?;
    let (s70k, s10) = (digests[4].as_u64().unwrap(), digests[5].as_u64().unwrap());
    assert_eq!(
        digests,
        json!([
            {"name": "u8", "len": 70000, "sum": s70k},
            {"name": "part", "len": 10, "sum": s10},
            {"name": "buffer", "len": 16, "sum": 136},
            {"name": "view", "len": 4, "sum": 5 + 6 + 7 + 8},
            s70k, s10
        ])
    );
    assert_eq!(s70k, sum(&(0..70000).map(pattern).collect::<Vec<_>>()));
    assert_eq!(stats.blob_transfers(), (4, 3), "uploaded as bodies");
    // Positional params and a round trip.
    let echoed: Value = app
        .eval("api.invoke('bytes.echo', [new Uint8Array([9, 8, 7])]).then((b) => Array.from(b))")?;
    assert_eq!(echoed, json!([9, 8, 7]));
    // What the handler hook saw as params: a reference, not the bytes as JSON.
    let call = app.wait_for_call("bytes.echo")?;
    let reference = call.params[0]["$blob"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(reference.len(), 32, "{:?}", call.params);
    Ok(())
}

#[test]
fn streams_and_events_carry_bytes_too() -> Result<(), TestError> {
    let (app, _) = launch()?;
    let stats = app.handle().stats().clone();
    // A subscription's items: each a Uint8Array, in order, the whole made again in the page.
    let streamed: Value = app.eval(
        r#"(async () => {
            const parts = [];
            const sub = await api.subscribe('bytes.chunks', {size: 1000000});
            for await (const chunk of sub) parts.push(chunk);
            const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
            let at = 0;
            for (const p of parts) { all.set(p, at); at += p.length; }
            return [parts.length, parts.every((p) => p instanceof Uint8Array), checked(all)];
          })()"#,
    )?;
    assert_eq!(streamed, json!([16, true, 1000000]));
    // Each item's bytes were a body the page fetched from the blob channel, not base64 in
    // the JSON.
    assert_eq!(stats.blob_transfers(), (0, 16));
    // An event's bytes (sent inline: one payload, any number of windows) are a Uint8Array too.
    app.eval::<Value>(
        "new Promise((resolve) => { window.arrived = []; api.on('bytes.arrived', (f) => arrived.push([f.name, f.data instanceof Uint8Array, Array.from(f.data)])); resolve(null); })",
    )?;
    app.handle()
        .emitter()
        .emit(
            Target::All,
            "bytes.arrived",
            &File {
                name: "pushed".into(),
                data: Bytes::from_static(&[4, 5, 6]),
            },
        )
        .map_err(|e| TestError::App(e.to_string()))?;
    app.wait_for("window.arrived.length === 1")?;
    let arrived: Value = app.eval("window.arrived[0]")?;
    assert_eq!(arrived, json!(["pushed", true, [4, 5, 6]]));
    assert_eq!(
        stats.blob_transfers(),
        (0, 16),
        "an event's bytes are inline"
    );
    Ok(())
}

#[test]
fn a_hundred_mib_each_way_leaves_the_page_responsive() -> Result<(), TestError> {
    let (app, _) = launch()?;
    const MIB100: usize = 100 << 20;
    let down: Value = app.eval(&format!(
        "during(api.invoke('bytes.make', {{size: {MIB100}}}).then(checked))"
    ))?;
    assert_eq!(down["value"], json!(MIB100), "{down}");
    assert!(
        down["ticks"].as_u64().unwrap() >= 2,
        "the page's timer stopped: {down}"
    );
    let up: Value = app.eval(&format!(
        "(() => {{ const b = made({MIB100}); const s = sum(b); return during(api.invoke('bytes.digest', {{name: 'big', data: b}})).then((r) => ({{...r, sum: s}})); }})()"
    ))?;
    assert_eq!(up["value"]["len"], json!(MIB100), "{up}");
    assert_eq!(up["value"]["sum"], up["sum"], "{up}");
    assert!(
        up["ticks"].as_u64().unwrap() >= 2,
        "the page's timer stopped: {up}"
    );
    Ok(())
}

#[test]
fn large_json_messages_take_the_blob_channel_transparently() -> Result<(), TestError> {
    let (app, calls) = launch()?;
    let stats = app.handle().stats().clone();
    assert_eq!(stats.stored_transfers(), (0, 0));
    // Host -> page: 4 MiB of text goes as a script (faster up to 50 MiB, as measured); 68 MiB
    // (over the stored-delivery size) as a body; replies in order either way.
    let got: Value = app.eval(
        "Promise.all([api.invoke('text.make', {size: 4194304}), api.invoke('bytes.echo', [new Uint8Array([1])])]).then(([t, b]) => [t.length, t[0], b[0]])",
    )?;
    assert_eq!(got, json!([2097152, "é", 1]));
    assert_eq!(stats.stored_transfers(), (0, 0), "4 MiB went as a script");
    let got: Value = app.eval(
        "Promise.all([api.invoke('text.make', {size: 71303168}), api.invoke('bytes.echo', [new Uint8Array([2])])]).then(([t, b]) => [t.length, t[35651583], b[0]])",
    )?;
    assert_eq!(got, json!([35651584, "é", 2]));
    assert_eq!(stats.stored_transfers(), (0, 1), "68 MiB went as a body");
    // Page -> host: 3 MiB of text in one call, and many calls in one hand-off.
    let n: Value = app.eval("api.invoke('text.len', ['é'.repeat(3 << 20)])")?;
    assert_eq!(n, json!(3 << 20));
    let many: Value = app.eval(
        "Promise.all(Array.from({length: 300}, (_, i) => api.invoke('text.len', ['x'.repeat(2000 + i)]))).then((r) => r.reduce((a, b) => a + b, 0))",
    )?;
    assert_eq!(many, json!((0..300).map(|i| 2000 + i).sum::<usize>()));
    assert_eq!(calls.load(Ordering::SeqCst), 301);
    // The 3 MiB call, and the 300 calls (600 KB in one hand-off), went as bodies; small calls
    // did not.
    assert_eq!(stats.stored_transfers(), (2, 1));
    let small: Value = app.eval("api.invoke('text.len', ['small'])")?;
    assert_eq!(small, json!(5));
    assert_eq!(stats.stored_transfers(), (2, 1));
    Ok(())
}

#[test]
fn payloads_are_taken_once_and_forged_references_fail_cleanly() -> Result<(), TestError> {
    let (app, _) = launch()?;
    // A reference nobody uploaded: the host says so (-32602), no handler runs.
    let forged: Value = app.eval(
        "api.invoke('bytes.digest', {name: 'x', data: {$blob: '00000000000000000000000000000000'}}).then(() => 'accepted', (e) => [e.code, e.message])",
    )?;
    assert_eq!(forged[0], json!(-32602), "{forged}");
    assert!(
        forged[1].as_str().unwrap().contains("no binary payload"),
        "{forged}"
    );
    // Inline base64 (what a JSON-only client sends) works too.
    let inline: Value =
        app.eval("api.invoke('bytes.digest', {name: 'b64', data: {$base64: 'AQID'}})")?;
    assert_eq!(inline, json!({"name": "b64", "len": 3, "sum": 6}));
    // A page script fetching a result's blob before the preload does gets it; the preload
    // then cannot, and the call fails with a clear error instead of hanging.
    let stolen: Value = app.eval(
        r#"(async () => {
            const realFetch = window.fetch;
            let url;
            window.fetch = function (u, init) { if (String(u).includes('/__rpcview/blob/')) url = String(u); return realFetch.call(this, u, init); };
            const one = await api.invoke('bytes.make', {size: 10}).then((b) => b.length, (e) => 'error ' + e.code);
            window.fetch = realFetch;
            return [one, url === undefined];
          })()"#,
    )?;
    // The preload uses the fetch it captured at start: the page's replacement saw nothing.
    assert_eq!(stolen, json!([10, true]));
    // A page script's own upload or download (without the window's key, which only the
    // preload holds) is refused: tests/hostile.rs has the rest of that attack.
    let own: Value = app.eval(
        r#"(async () => {
            const u = location.origin + '/__rpcview/blob/abcdef0123';
            const a = await fetch(u, {method: 'POST', body: 'x'});
            const g = await fetch(u);
            return [a.status, g.status];
          })()"#,
    )?;
    assert_eq!(own, json!([403, 403]));
    Ok(())
}

#[test]
fn built_ins_a_page_script_patches_after_load_see_no_payload() -> Result<(), TestError> {
    let (app, _) = launch()?;
    // Every built-in the bytes path uses, replaced after load to watch or forge: the preload
    // captured the originals at start, so the calls work and nothing is seen.
    let seen: Value = app.eval(
        r#"(async () => {
            const seen = [];
            Response.prototype.arrayBuffer = function () { seen.push('arrayBuffer'); return Promise.resolve(new ArrayBuffer(1)); };
            Response.prototype.text = function () { seen.push('text'); return Promise.resolve('{}'); };
            ArrayBuffer.isView = () => { seen.push('isView'); return false; };
            Crypto.prototype.getRandomValues = function (a) { seen.push('random'); return a; };
            window.fetch = () => { seen.push('fetch'); return Promise.reject(new Error('patched')); };
            Object.defineProperty(Object.prototype, '$blob', { configurable: true, set(v) { seen.push('set $blob'); } });
            const down = await api.invoke('bytes.make', {size: 5000}).then(checked);
            const up = await api.invoke('bytes.digest', {name: 'p', data: made(3000)});
            delete Object.prototype.$blob;
            return [down, up.len, up.sum === sum(made(3000)), seen];
          })()"#,
    )?;
    assert_eq!(seen, json!([5000, 3000, true, []]));
    Ok(())
}
