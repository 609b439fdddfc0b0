//! What every scenario shares: the test API, the pages, and a driver that waits for the page.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use rpcview::{Allow, Api, App, AppHandle, Assets, Ctx, RpcError, Sink, Target, Window};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Lets test pages frame other origins and run inline scripts in srcdoc/data: frames.
const TEST_CSP: &str =
    "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-src 'self' other: data:";

/// What the host saw, shared between the handlers and the driver.
#[derive(Default)]
pub(crate) struct Probe {
    reports: Mutex<Vec<Report>>,
    done: Mutex<Option<mpsc::Sender<Done>>>,
    /// Runs of `test.victim`, the method forbidden frames and foreign pages try to reach.
    pub(crate) victim_runs: AtomicU64,
    /// `test.slow` handlers that ran to their end.
    pub(crate) slow_completed: AtomicU64,
    /// Page loads that asked `test.loads`.
    pub(crate) loads: AtomicU64,
    /// `test.slow` handlers dropped before their end (cancelled), and how long each had run.
    pub(crate) slow_dropped: Mutex<Vec<Duration>>,
    /// `test.durable` handlers (which run to completion) that reached their end.
    pub(crate) durable_completed: AtomicU64,
    /// `test.forever` streams whose task ended (dropped or told the page is gone).
    pub(crate) forever_ended: AtomicU64,
    /// Items `test.flood` has sent so far.
    pub(crate) flood_sent: AtomicU64,
    /// Whether the `test.flood` handler returned (all items sent).
    pub(crate) flood_finished: AtomicU64,
}

impl Probe {
    /// How many checks the page has reported.
    pub(crate) fn report_count(&self) -> usize {
        self.reports.lock().unwrap().len()
    }
}

/// One check the page made.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Report {
    name: String,
    ok: bool,
    #[serde(default)]
    detail: String,
}

/// The page is through a phase: `checks` is how many reports it sent in all.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Done {
    pub(crate) phase: String,
    pub(crate) checks: usize,
    #[serde(default)]
    pub(crate) window: String,
}

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

/// A validated record, like a note.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Record {
    #[schemars(length(min = 1))]
    title: String,
    #[schemars(range(min = 0, max = 10))]
    stars: u8,
}

#[derive(Deserialize, JsonSchema)]
struct Slow {
    ms: u64,
    #[serde(default)]
    tag: Value,
}

#[derive(Deserialize, JsonSchema)]
struct Emit {
    event: String,
    payload: Value,
    #[serde(default)]
    all: bool,
    /// Every window but the caller.
    #[serde(default)]
    others: bool,
    /// A window by label.
    #[serde(default)]
    to: Option<String>,
}

/// Who the host says called.
#[derive(Serialize, JsonSchema)]
struct Whoami {
    window: String,
    origin: String,
    url: String,
}

#[derive(Deserialize, JsonSchema)]
struct Victim {
    from: String,
}

#[derive(Serialize, JsonSchema)]
struct HostStats {
    victim_runs: u64,
}

/// The API every test page talks to.
pub(crate) fn test_api(probe: Arc<Probe>) -> Api {
    let (p1, p2, p3, p4, p5) = (
        probe.clone(),
        probe.clone(),
        probe.clone(),
        probe.clone(),
        probe.clone(),
    );
    Api::new()
        .method("test.add", |_: Ctx, p: Add| async move {
            Ok::<_, RpcError>(p.a + p.b)
        })
        .method("test.echo", |_: Ctx, v: Value| async move {
            Ok::<_, RpcError>(v)
        })
        .method("test.record", |_: Ctx, r: Record| async move {
            Ok::<_, RpcError>(format!("{} {}", r.title, r.stars))
        })
        .method("test.panic", |_: Ctx, _: ()| async move {
            if true {
                panic!("deliberate panic in test.panic");
            }
            Ok::<(), RpcError>(())
        })
        .method("test.fail", |_: Ctx, _: ()| async move {
            Err::<(), _>(
                RpcError::new(1234, "deliberate failure")
                    .with_data(serde_json::json!({"hint": "expected"})),
            )
        })
        .method("test.slow", move |_: Ctx, s: Slow| {
            let probe = p1.clone();
            async move {
                /// Notes the handler's end, or its being dropped before it.
                struct Watch(Arc<Probe>, Instant, bool);
                impl Drop for Watch {
                    fn drop(&mut self) {
                        if !self.2 {
                            self.0.slow_dropped.lock().unwrap().push(self.1.elapsed());
                        }
                    }
                }
                let mut watch = Watch(probe.clone(), Instant::now(), false);
                tokio::time::sleep(Duration::from_millis(s.ms)).await;
                watch.2 = true;
                probe.slow_completed.fetch_add(1, Ordering::SeqCst);
                Ok::<_, RpcError>(s.tag)
            }
        })
        .method("test.emit", |ctx: Ctx, e: Emit| async move {
            let target = match (e.all, e.others, e.to) {
                (true, _, _) => Target::All,
                (_, true, _) => Target::AllExcept(ctx.window().to_owned()),
                (_, _, Some(to)) => Target::Window(to),
                _ => Target::Window(ctx.window().to_owned()),
            };
            ctx.emit(target, &e.event, &e.payload)
                .map_err(|err| RpcError::internal(err.to_string()))
        })
        .method("test.victim", move |_: Ctx, v: Victim| {
            let probe = p2.clone();
            async move {
                probe.victim_runs.fetch_add(1, Ordering::SeqCst);
                println!("test.victim ran, called from {}", v.from);
                Ok::<_, RpcError>(())
            }
        })
        .method("test.loads", {
            let probe = probe.clone();
            move |_: Ctx, _: ()| {
                let probe = probe.clone();
                async move { Ok::<_, RpcError>(probe.loads.fetch_add(1, Ordering::SeqCst) + 1) }
            }
        })
        .method("test.stats", move |_: Ctx, _: ()| {
            let probe = p3.clone();
            async move {
                Ok::<_, RpcError>(HostStats {
                    victim_runs: probe.victim_runs.load(Ordering::SeqCst),
                })
            }
        })
        .notification("test.report", move |_: Ctx, r: Report| {
            let probe = p4.clone();
            async move {
                println!(
                    "  {} {} {}",
                    if r.ok { "ok  " } else { "FAIL" },
                    r.name,
                    r.detail
                );
                probe.reports.lock().unwrap().push(r);
            }
        })
        .notification("test.done", move |_: Ctx, d: Done| {
            let probe = p5.clone();
            async move {
                if let Some(tx) = probe.done.lock().unwrap().as_ref() {
                    let _ = tx.send(d);
                }
            }
        })
        .method("test.whoami", |ctx: Ctx, _: ()| async move {
            Ok::<_, RpcError>(Whoami {
                window: ctx.window().into(),
                origin: ctx.origin().into(),
                url: ctx.url().into(),
            })
        })
        .method("test.durable", {
            let probe = probe.clone();
            move |_: Ctx, (ms,): (u64,)| {
                let probe = probe.clone();
                async move {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    probe.durable_completed.fetch_add(1, Ordering::SeqCst);
                    Ok::<_, RpcError>(ms)
                }
            }
        })
        .runs_to_completion()
        .subscription(
            "test.count",
            |_: Ctx, (n,): (u64,), sink: Sink<u64>| async move {
                for i in 0..n {
                    sink.send(&i).await?;
                }
                Ok(())
            },
        )
        .subscription(
            "test.failing",
            |_: Ctx, (n,): (u64,), sink: Sink<u64>| async move {
                for i in 0..n {
                    sink.send(&i).await?;
                }
                Err(RpcError::new(4321, "the stream broke")
                    .with_data(serde_json::json!({"after": n})))
            },
        )
        .subscription("test.forever", {
            let probe = probe.clone();
            move |_: Ctx, _: (), sink: Sink<u64>| {
                let probe = probe.clone();
                async move {
                    /// Notes the stream's task ending, however it ends (dropped included).
                    struct Ended(Arc<Probe>);
                    impl Drop for Ended {
                        fn drop(&mut self) {
                            self.0.forever_ended.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    let _ended = Ended(probe);
                    for i in 0.. {
                        sink.send(&i).await?;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Ok(())
                }
            }
        })
        .subscription("test.flood", {
            let probe = probe.clone();
            move |_: Ctx, (n,): (u64,), sink: Sink<u64>| {
                let probe = probe.clone();
                async move {
                    for i in 0..n {
                        sink.send(&i).await?;
                        probe.flood_sent.fetch_add(1, Ordering::SeqCst);
                    }
                    probe.flood_finished.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            }
        })
        .relay()
        .event::<Value>("test.ping")
        .event::<Value>("test.secret")
        .event::<Note>("test.note")
}

/// A relayed event's payload: checked against this schema by the host.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Note {
    text: String,
}

/// A window on test page `page` (a path under `tests/e2e/pages/`).
pub(crate) fn window(label: &str, page: &str) -> Window {
    Window::new(label)
        .url(&format!("app://localhost/{page}"))
        .allow_navigation("other://localhost")
        .allow_navigation("data:")
}

/// The same window, limited to `allow`.
pub(crate) fn window_allowing(label: &str, page: &str, allow: Allow) -> Window {
    window(label, page).allow(allow)
}

/// Serves `tests/e2e/pages` over plain HTTP on 127.0.0.1 (a "remote" origin for the
/// webview); returns the port. The server lives as long as the process.
pub(crate) fn serve_pages_over_http() -> std::io::Result<u16> {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("/")
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("/")
                    .trim_start_matches('/')
                    .to_owned();
                let body = (!path.contains(".."))
                    .then(|| std::fs::read(pages().join(&path)).ok())
                    .flatten();
                let head = match (&body, path.rsplit('.').next()) {
                    (None, _) => "404 Not Found\r\nContent-Type: text/plain".to_owned(),
                    (Some(_), Some("js")) => "200 OK\r\nContent-Type: text/javascript".to_owned(),
                    (Some(_), _) => "200 OK\r\nContent-Type: text/html; charset=utf-8".to_owned(),
                };
                let body = body.unwrap_or_default();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            });
        }
    });
    Ok(port)
}

pub(crate) fn pages() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/e2e/pages")
}

/// Drives one app: `driver` runs on its own thread with the handle and a receiver of the
/// page's `test.done` calls, and returns the host-side verdict. The scenario fails if the
/// driver fails, any page check failed, or the page made no checks at all.
pub(crate) fn run(
    windows: Vec<Window>,
    driver: impl FnOnce(&AppHandle, &Arc<Probe>, &mpsc::Receiver<Done>) -> Result<(), String>
        + Send
        + 'static,
) -> Result<(), String> {
    run_with(windows, |app| app, driver)
}

/// [`run`], with the app configured further by `configure` (hooks, policies).
pub(crate) fn run_with(
    windows: Vec<Window>,
    configure: impl FnOnce(App) -> App,
    driver: impl FnOnce(&AppHandle, &Arc<Probe>, &mpsc::Receiver<Done>) -> Result<(), String>
        + Send
        + 'static,
) -> Result<(), String> {
    let probe = Arc::new(Probe::default());
    let (tx, rx) = mpsc::channel();
    *probe.done.lock().unwrap() = Some(tx);
    let mut app = configure(
        App::new(test_api(probe.clone()))
            .serve("app", Assets::dir(pages()))
            .serve("other", Assets::dir(pages()))
            .content_security_policy(TEST_CSP),
    );
    for w in windows {
        app = app.window(w);
    }
    let verdict: Arc<Mutex<Option<Result<(), String>>>> = Arc::default();
    let (v, p) = (verdict.clone(), probe.clone());
    let app = app.setup(move |handle| {
        let outcome = driver(&handle, &p, &rx);
        *v.lock().unwrap() = Some(outcome);
        handle.exit(0);
    });
    let code = app.run().map_err(|e| e.to_string())?;
    if code != 0 {
        return Err(format!("the app exited with {code}"));
    }
    let verdict = verdict
        .lock()
        .unwrap()
        .take()
        .unwrap_or(Err("the driver did not finish".into()));
    let reports = probe.reports.lock().unwrap().clone();
    let failed: Vec<_> = reports
        .iter()
        .filter(|r| !r.ok)
        .map(|r| format!("{}: {}", r.name, r.detail))
        .collect();
    verdict?;
    if !failed.is_empty() {
        return Err(format!("page checks failed: {}", failed.join(" | ")));
    }
    if reports.is_empty() {
        return Err("the page made no checks".into());
    }
    Ok(())
}

/// Waits for the page to finish `phase`, and checks it sent as many reports as it says.
pub(crate) fn await_phase(
    probe: &Probe,
    rx: &mpsc::Receiver<Done>,
    phase: &str,
    secs: u64,
) -> Result<Done, String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let done = rx
            .recv_timeout(left)
            .map_err(|_| format!("the page did not finish phase '{phase}' within {secs} s"))?;
        if done.phase != phase {
            continue;
        }
        // Reports are notifications; give the last ones a moment to land.
        wait_until(|| probe.reports.lock().unwrap().len() >= done.checks, 2);
        let got = probe.reports.lock().unwrap().len();
        if got < done.checks {
            return Err(format!(
                "phase '{phase}': the page made {} checks but {got} reached the host",
                done.checks
            ));
        }
        return Ok(done);
    }
}

/// Waits for every phase in `phases`, in any order (pages in several windows finish theirs
/// concurrently).
pub(crate) fn await_phases(
    probe: &Probe,
    rx: &mpsc::Receiver<Done>,
    phases: &[&str],
    secs: u64,
) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut left: Vec<&str> = phases.to_vec();
    let mut checks = 0;
    while !left.is_empty() {
        let wait = deadline.saturating_duration_since(Instant::now());
        let done = rx
            .recv_timeout(wait)
            .map_err(|_| format!("the pages did not finish phases {left:?} within {secs} s"))?;
        if let Some(i) = left.iter().position(|p| *p == done.phase) {
            left.remove(i);
            checks = checks.max(done.checks);
        }
    }
    wait_until(|| probe.reports.lock().unwrap().len() >= checks, 2);
    Ok(())
}

/// Polls `cond` every 10 ms for up to `secs` seconds; returns whether it became true.
pub(crate) fn wait_until(cond: impl Fn() -> bool, secs: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// `Err(what)` unless `cond`.
pub(crate) fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}
