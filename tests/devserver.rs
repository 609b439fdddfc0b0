//! `Window::dev_url` against a real dev server: the test starts Vite (pinned in
//! `tests/devserver/package-lock.json`, installed by `.ci/deps`) on a free port with a small
//! project, opens it in the app, and checks that the page's `window.api` is answered, that
//! the page Vite reloads after an edit has the API again, and that other origins (another
//! local port, and `localhost` for the `127.0.0.1` server) are refused and get no API.
//!
//! Needs a display (`xvfb-run -a`) and Node.js.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpcview::testing::{Page, TestApp, TestError};
use rpcview::{Api, Ctx, RpcError};

/// Generous: the machine may be loaded (2 cores, other builds running).
const TIMEOUT: Duration = Duration::from_secs(60);

const INDEX: &str = r#"<!doctype html>
<title>dev</title>
<p id="out">waiting</p>
<script type="module" src="/main.js"></script>
"#;

fn main_js(version: &str) -> String {
    format!(
        "window.version = '{version}';\n\
         const greeting = await window.api.invoke('dev.hello', ['{version}']);\n\
         document.getElementById('out').textContent = greeting;\n"
    )
}

fn api() -> Api {
    Api::new().method("dev.hello", |_: Ctx, (v,): (String,)| async move {
        Ok::<_, RpcError>(format!("hello {v}"))
    })
}

/// A free port on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The answer to `GET /` at `addr`, if it answers.
fn get(addr: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    Some(text)
}

/// Vite, serving `root` on 127.0.0.1:`port`; killed when dropped (a failing test included).
struct Vite {
    child: Child,
    log: PathBuf,
}

impl Vite {
    fn start(root: &Path, port: u16, log: PathBuf) -> Vite {
        let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/devserver");
        let bin = tools.join("node_modules/vite/bin/vite.js");
        assert!(
            bin.exists(),
            "{} is missing: run .ci/deps (npm ci in tests/devserver)",
            bin.display()
        );
        let out = std::fs::File::create(&log).expect("a log file");
        let child = Command::new("node")
            .arg(&bin)
            .arg(root)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--strictPort", "--clearScreen", "false"])
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("a log file"))
            .stderr(out)
            .spawn()
            .expect("node starts (rpcview's tests need Node.js 20 or newer)");
        let vite = Vite { child, log };
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + TIMEOUT;
        while !get(&addr).is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            assert!(
                Instant::now() < deadline,
                "vite did not answer on {addr}:\n{}",
                vite.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        vite
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Vite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain page on 127.0.0.1: another origin; counts the requests it gets.
struct Other {
    port: u16,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Other {
    fn start() -> Other {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let (hits, stop) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (h, s) = (hits.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                h.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                let body = "<!doctype html><title>other</title><p>another origin</p>";
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Other { port, hits, stop }
    }
}

impl Drop for Other {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// What the host logs (its warnings), for the refusals, which the page never hears of.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn install() -> Logs {
        let logs = Logs::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_env_filter("rpcview=warn")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        logs
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Waits until a line is `wanted`.
    fn wait_for(&self, wanted: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + TIMEOUT;
        while Instant::now() < deadline {
            if self.text().lines().any(&wanted) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        false
    }
}

#[test]
fn a_vite_dev_server_gets_the_api_and_other_origins_do_not() -> Result<(), TestError> {
    let logs = Logs::install();
    let project = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(project.path().join("index.html"), INDEX).unwrap();
    std::fs::write(project.path().join("main.js"), main_js("v1")).unwrap();
    let port = free_port();
    let vite = Vite::start(project.path(), port, project.path().join("vite.log"));
    let other = Other::start();
    let dev = format!("http://127.0.0.1:{port}/");

    let app = TestApp::builder(api(), Page::url(&dev))
        .window(|w| w.dev_url(&dev))
        .timeout(TIMEOUT)
        .launch()?;
    // The dev server's page has the API: its first call is answered.
    let call = app.wait_for_call("dev.hello")?;
    assert_eq!(call.params, serde_json::json!(["v1"]));
    assert_eq!(call.outcome, Ok(serde_json::json!("hello v1")));
    app.wait_for("document.getElementById('out').textContent === 'hello v1'")?;
    assert_eq!(
        app.eval::<String>("api.invoke('dev.hello', ['direct'])")?,
        "hello direct"
    );
    assert_eq!(
        app.wait_for_call("dev.hello")?.params,
        serde_json::json!(["direct"])
    );

    // An edit: Vite reloads the page (main.js accepts no hot update), and the new page has
    // the API again.
    std::fs::write(project.path().join("main.js"), main_js("v2")).unwrap();
    let call = app.wait_for_call("dev.hello");
    let call = call.unwrap_or_else(|e| panic!("{e}\n--- vite ---\n{}", vite.log()));
    assert_eq!(call.params, serde_json::json!(["v2"]));
    assert_eq!(call.outcome, Ok(serde_json::json!("hello v2")));
    app.wait_for("window.version === 'v2' && typeof window.api === 'object'")?;

    // Elsewhere: another local port, and the same server as `localhost` (another origin).
    app.eval::<serde_json::Value>("window.stayed = true")?;
    for url in [
        format!("http://127.0.0.1:{}/", other.port),
        format!("http://localhost:{port}/"),
    ] {
        app.eval::<serde_json::Value>(&format!("void (location.href = '{url}')"))?;
        assert!(
            logs.wait_for(|line| line.contains("navigation refused") && line.contains(&url)),
            "the host did not refuse {url}; its log:\n{}",
            logs.text()
        );
    }
    assert!(app.eval::<bool>(&format!(
        "window.stayed === true && location.href === '{dev}'"
    ))?);
    assert_eq!(
        other.hits.load(Ordering::SeqCst),
        0,
        "no request reached it"
    );
    drop(app);

    // Even where the window may go, another origin gets no API.
    let other_url = format!("http://127.0.0.1:{}/", other.port);
    let origin = other_url.trim_end_matches('/').to_owned();
    let app = TestApp::builder(api(), Page::url(&dev))
        .window(move |w| w.dev_url(&dev).allow_navigation(&origin))
        .timeout(TIMEOUT)
        .launch()?;
    app.wait_for_call("dev.hello")?;
    app.eval::<serde_json::Value>(&format!("void (location.href = '{other_url}')"))?;
    app.wait_for(&format!(
        "location.href === '{other_url}' && document.readyState === 'complete'"
    ))?;
    assert_eq!(app.eval::<String>("typeof window.api")?, "undefined");
    assert_eq!(other.hits.load(Ordering::SeqCst), 1);
    drop(app);
    drop(vite);
    Ok(())
}
