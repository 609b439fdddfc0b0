//! A hostile page, in a real webview: what a compromised dependency, an injected ad or a frame
//! can send the host with the platform's own APIs, and what the host must survive. Each test
//! is an attack that once succeeded (issue 19), now shown harmless. Needs a display:
//! `xvfb-run -a cargo test --test hostile`.

use rpcview::testing::{Page, TestApp, TestError};
use rpcview::{Api, Bytes, Ctx, RpcError};
use serde_json::{json, Value};

/// Lets the page frame another origin of the app and run inline scripts in its frames.
const CSP: &str =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-src 'self' other: data:; connect-src 'self' other:";

fn api() -> Api {
    Api::new()
        .method(
            "ping",
            |_: Ctx, _: ()| async move { Ok::<_, RpcError>("pong") },
        )
        .method("bytes.len", |_: Ctx, (data,): (Bytes,)| async move {
            Ok::<_, RpcError>(data.len())
        })
}

/// Every kind of body a page can hand `fetch`, `XMLHttpRequest` and `sendBeacon`, to every
/// kind of path of the app's protocol, with and without a guessed blob key. Resolves to
/// `{sent, answered, statuses}` once each request settled; defined in each frame too.
const ATTACK: &str = r#"
window.attack = async (base) => {
  const paths = ['/', '/index.html', '/missing', '/__rpcview/blob/abc123', '/__rpcview/blob/'];
  const bodies = () => {
    const blob = new Blob(['x'.repeat(1024)]);
    const form = new FormData(); form.append('f', blob, 'f.bin'); form.append('t', 'text');
    return {
      blob,
      file: new File(['y'.repeat(1024)], 'y.txt'),
      form,
      params: new URLSearchParams('a=1&b=2'),
      stream: new ReadableStream({ start(c) { c.enqueue(new Uint8Array(64)); c.close(); } }),
      bytes: new Uint8Array(1024),
      text: 'plain',
    };
  };
  const statuses = [];
  let sent = 0;
  const settle = (p) => { sent++; return p.then((s) => statuses.push(s), (e) => statuses.push('error ' + e.name)); };
  const jobs = [];
  for (const path of paths) {
    for (const headers of [{}, { 'x-rpcview-blob-key': '00000000000000000000000000000000' }]) {
      for (const [kind, body] of Object.entries(bodies())) {
        for (const method of ['POST', 'PUT']) {
          const init = { method, body, headers };
          if (kind === 'stream') init.duplex = 'half';
          jobs.push(settle(fetch(base + path, init).then((r) => r.status)));
        }
        if (kind !== 'stream') {
          jobs.push(settle(new Promise((resolve, reject) => {
            const x = new XMLHttpRequest();
            x.open('POST', base + path);
            x.onload = () => resolve(x.status);
            x.onerror = () => reject(new Error('xhr'));
            x.send(body);
          })));
          try { navigator.sendBeacon(base + path, body); } catch (_) {}
        }
      }
    }
  }
  await Promise.all(jobs);
  return { sent, answered: statuses.length, statuses };
};
"#;

/// The page: the attack in the top frame and in four kinds of frame, each reporting back by
/// `postMessage`, and a form that posts a multipart body (a navigation) into a frame.
fn page() -> String {
    let frame_script = format!(
        "<script>window.onerror = (m) => parent.postMessage({{kind: FRAME_KIND + '-error', r: String(m)}}, '*'); parent.postMessage({{kind: FRAME_KIND + '-started'}}, '*');</script><script>{ATTACK}\nattack(FRAME_BASE).then((r) => parent.postMessage({{kind: FRAME_KIND, r, origin: self.origin}}, '*'), (e) => parent.postMessage({{kind: FRAME_KIND, r: String(e)}}, '*'));</script>"
    );
    let srcdoc = |kind: &str, base: &str| {
        frame_script
            .replace("FRAME_KIND", &format!("'{kind}'"))
            .replace("FRAME_BASE", &format!("'{base}'"))
            .replace('"', "&quot;")
    };
    let data_url = format!(
        "data:text/html,{}",
        srcdoc("data", "app://localhost")
            .replace("&quot;", "\"")
            .replace('%', "%25")
            .replace('#', "%23")
            .replace('\n', "%0A")
    );
    format!(
        r#"<!doctype html><meta charset="utf-8"><title>hostile</title>
<script>{ATTACK}
window.frames_done = {{}};
addEventListener('message', (e) => {{ if (e.data && e.data.kind) frames_done[e.data.kind] = e.data; }});
</script>
<iframe srcdoc="{same}"></iframe>
<iframe sandbox="allow-scripts" srcdoc="{sandboxed}"></iframe>
<iframe src="{data}"></iframe>
<iframe src="other://localhost/index.html"></iframe>
<iframe name="sink"></iframe>
<form id="f" method="post" enctype="multipart/form-data" action="/__rpcview/blob/formpost" target="sink">
  <input type="file" name="file"><input name="t" value="x">
</form>"#,
        same = srcdoc("same", ""),
        sandboxed = srcdoc("sandboxed", "app://localhost"),
        data = data_url.replace('"', "&quot;"),
    )
}

fn launch() -> Result<TestApp, TestError> {
    let html = page();
    let other = format!(
        "<!doctype html><script>window.onerror = (m) => parent.postMessage({{kind: 'cross-error', r: String(m)}}, '*'); parent.postMessage({{kind: 'cross-started'}}, '*');</script><script>{ATTACK}\nattack('').then((r) => parent.postMessage({{kind: 'cross', r, origin: self.origin}}, '*'));</script>"
    );
    let app = TestApp::builder(api(), Page::html(html))
        .window(|w| {
            w.allow_navigation("other://localhost")
                .allow_navigation("data:")
        })
        .app(move |app| {
            let other = other.clone();
            app.content_security_policy(CSP).serve(
                "other",
                rpcview::Assets::from_fn(move |path| {
                    let page = if path == "flood.html" {
                        FLOOD
                    } else {
                        other.as_str()
                    };
                    Some(std::borrow::Cow::Owned(page.as_bytes().to_vec()))
                }),
            )
        })
        .launch()?;
    app.wait_for("typeof api === 'object'")?;
    Ok(app)
}

#[test]
fn no_request_body_from_any_frame_crashes_the_host() -> Result<(), TestError> {
    let app = launch()?;
    let refused_before = app.handle().stats().refused();
    // The top frame: every body to every path, and a multipart form posted as a navigation.
    let top: Value = app.eval("attack('')")?;
    assert_eq!(top["sent"], top["answered"], "{top}");
    assert!(top["sent"].as_u64().unwrap() >= 200, "{top}");
    app.eval::<Value>("(document.getElementById('f').submit(), null)")?;
    // Four kinds of frame do the same to the app's origin.
    app.wait_for("['same', 'sandboxed', 'data', 'cross'].every((k) => frames_done[k])")?;
    let frames: Value = app.eval("frames_done")?;
    for kind in ["same", "sandboxed", "data", "cross"] {
        let r = &frames[kind]["r"];
        assert!(r["sent"].as_u64().unwrap_or(0) > 0, "{kind}: {r}");
        assert_eq!(r["sent"], r["answered"], "{kind}: {r}");
    }
    assert_eq!(frames["sandboxed"]["origin"], json!("null"));
    assert_eq!(frames["cross"]["origin"], json!("other://localhost"));
    // The host is alive and serving, bytes still go both ways through the blob channel.
    let pong: Value = app.eval("api.invoke('ping')")?;
    assert_eq!(pong, json!("pong"));
    let n: Value = app.eval("api.invoke('bytes.len', [new Uint8Array(300000)])")?;
    assert_eq!(n, json!(300000));
    // None of those requests reached the store: each was refused without its body read.
    assert_eq!(app.handle().stats().blob_transfers(), (1, 0));
    assert!(app.handle().stats().refused() > refused_before);
    Ok(())
}

#[test]
fn only_the_preload_reaches_the_blob_channel() -> Result<(), TestError> {
    let app = launch()?;
    // A page script's own upload and download, with no key or a guessed one: 403, and the
    // preload's own traffic still works.
    let got: Value = app.eval(
        r#"(async () => {
            const u = '/__rpcview/blob/abcdef0123';
            const a = await fetch(u, {method: 'POST', body: 'x'});
            const b = await fetch(u, {method: 'POST', body: 'x', headers: {'x-rpcview-blob-key': 'guess'}});
            const g = await fetch(u);
            return [a.status, b.status, g.status, await api.invoke('bytes.len', [new Uint8Array(70000)])];
          })()"#,
    )?;
    assert_eq!(got, json!([403, 403, 403, 70000]));
    // A frame the host refuses uploads 64 MiB: refused before its body is read, so the store
    // holds nothing of it.
    let framed: Value = app.eval(
        r#"new Promise((resolve) => {
            const f = document.createElement('iframe');
            f.setAttribute('sandbox', 'allow-scripts');
            f.srcdoc = "<script>fetch('app://localhost/__rpcview/blob/big', {method: 'POST', body: new Uint8Array(64 << 20)}).then((r) => parent.postMessage({big: r.status}, '*'), (e) => parent.postMessage({big: String(e)}, '*'));</" + "script>";
            addEventListener('message', (e) => { if (e.data && 'big' in e.data) resolve(e.data.big); });
            document.body.append(f);
          })"#,
    )?;
    // (403 from the host, which a null origin's fetch sees as a failed load.)
    assert!(
        framed == json!(403) || framed == json!("TypeError: Load failed"),
        "{framed}"
    );
    assert_eq!(app.handle().stats().blob_transfers(), (1, 0));
    assert!(app.handle().stats().refused() >= 4);
    Ok(())
}

/// A frame that sends 200 raw messages to the bridge (refused: it is not the top frame),
/// from a URL it made 256 KiB long.
const FLOOD: &str = r#"<!doctype html><script>
  history.replaceState(null, '', location.pathname + '?FLOODMARK' + 'u'.repeat(256 << 10));
  const port = document.createElement('span');
  document.dispatchEvent(new MouseEvent('rpcview:port', { relatedTarget: port }));
  const detail = JSON.stringify({ n: 'raw', m: [{ jsonrpc: '2.0', id: 1, method: 'ping' }] });
  for (let i = 0; i < 200; i++) port.dispatchEvent(new CustomEvent('rpcview:out', { detail }));
  parent.postMessage({ flooded: true }, '*');
</script>"#;

/// Lines of one kind of refusal logged per second (`rpcview`'s throttle), and one more for
/// the line that reports what was dropped.
const BURST: usize = 20 + 1;

/// Everything logged in this test binary, as the app's users would see it on stderr.
static LOG: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The captured log's lines that contain `marker`, and their total size.
fn lines_with(marker: &str) -> (Vec<String>, usize) {
    let log = String::from_utf8_lossy(&LOG.lock().unwrap()).into_owned();
    let lines: Vec<String> = log
        .lines()
        .filter(|l| l.contains(marker))
        .map(str::to_owned)
        .collect();
    let bytes = lines.iter().map(|l| l.len() + 1).sum();
    (lines, bytes)
}

#[test]
fn logs_cannot_be_forged_nor_flooded() -> Result<(), TestError> {
    let _ = tracing_subscriber::fmt()
        .with_writer(|| Capture)
        .with_ansi(false)
        .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
        .try_init();
    let app = launch()?;
    let started = std::time::Instant::now();
    // A console line with a newline, a fake host line after it, and terminal escapes.
    app.eval::<Value>(
        r#"(console.error('ok\n2026-12-07T00:00:00.000000Z  INFO rpcview: FORGEDMARK\x1b[2J\x1b]0;owned\x07'), null)"#,
    )?;
    // A frame with a 256 KiB URL sends 200 refused messages; 300 requests for missing files
    // with 10 KB paths; 5,000 blob ids nobody holds.
    let flooded: Value = app.eval(
        r#"new Promise((resolve) => {
            addEventListener('message', (e) => { if (e.data && e.data.flooded) resolve(null); });
            const f = document.createElement('iframe');
            f.src = 'other://localhost/flood.html';
            document.body.append(f);
            setTimeout(() => resolve('the flood frame did not report'), 30000);
          })"#,
    )?;
    assert_eq!(flooded, Value::Null, "{flooded}");
    let statuses: Value = app.eval(
        r#"(async () => {
            const missing = await Promise.all(Array.from({length: 300}, (_, i) => fetch('/MISSINGMARK-' + i + '-' + 'p'.repeat(10000)).then((r) => r.status)));
            const blobs = await Promise.all(Array.from({length: 5000}, (_, i) => fetch('/__rpcview/blob/' + i.toString(16).padStart(32, '0')).then((r) => r.status)));
            return [missing.every((s) => s === 404), blobs.every((s) => s === 403)];
          })()"#,
    )?;
    assert_eq!(statuses, json!([true, true]));
    // The host still answers, and has logged the page's line by now.
    assert_eq!(app.eval::<Value>("api.invoke('ping')")?, json!("pong"));
    let bound = BURST * (started.elapsed().as_secs() as usize + 1);
    let (forged, _) = lines_with("FORGEDMARK");
    assert_eq!(forged.len(), 1, "{forged:?}");
    assert!(forged[0].contains("ok\\n2026-12-07"), "{forged:?}");
    assert!(forged[0].contains("\\u{1b}[2J"), "{forged:?}");
    assert!(
        !LOG.lock().unwrap().contains(&0x1b),
        "an escape byte reached the log"
    );
    let (flood, flood_bytes) = lines_with("FLOODMARK");
    assert!(!flood.is_empty(), "the frame's refusals are logged");
    assert!(flood.len() <= bound, "{} lines, bound {bound}", flood.len());
    assert!(flood_bytes <= flood.len() * 1024, "{flood_bytes} bytes");
    let (missing, missing_bytes) = lines_with("MISSINGMARK");
    // (Possibly none: the launch page's own attack may have used this second's burst.)
    assert!(
        missing.len() <= bound,
        "{} lines, bound {bound}",
        missing.len()
    );
    assert!(
        missing_bytes <= missing.len() * 1024,
        "{missing_bytes} bytes"
    );
    let (blobs, _) = lines_with("blob-channel request without the window's key");
    assert!(blobs.len() <= bound, "{} lines, bound {bound}", blobs.len());
    // What was dropped is counted, and said with the next line logged in a later second.
    let deadline = started + std::time::Duration::from_secs(60);
    while lines_with("similar lines dropped").0.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no count of dropped lines"
        );
        app.eval::<Value>("fetch('/__rpcview/blob/ff').then((r) => r.status)")?;
    }
    Ok(())
}
