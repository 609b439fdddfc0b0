//! The notes demo driven by the stock WebDriver of WebKitGTK (`WebKitWebDriver`, Debian's
//! `webkit2gtk-driver`), through `fantoccini`, as a user would: typing, clicking, keys.
//!
//! The test starts WebKitWebDriver on a free port; WebKitWebDriver starts the demo binary
//! (`target/debug/rpcview-notes`, built by `cargo test --workspace`; `RPCVIEW_NOTES_BIN`
//! overrides it) with `--automation` and a temporary notes folder. Needs a display: run under
//! `xvfb-run -a` (the README's test command does).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions, MouseActions, PointerAction};
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// Generous: the machine may be loaded (2 cores, other builds running).
const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_demo_through_webkitwebdriver() {
    let data = tempfile::tempdir().expect("a temporary folder");
    let driver = Driver::start();
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities(&notes_binary(), data.path()))
        .connect(&driver.url())
        .await
        .unwrap_or_else(|e| panic!("no WebDriver session: {e}\n{}", driver.log()));
    // Close the session (which closes the app) whatever the flow did, then report.
    let outcome = flow(&client, data.path()).await;
    let closed = client.close().await;
    if let Err(e) = outcome {
        panic!(
            "{e}\n--- WebKitWebDriver and app output ---\n{}",
            driver.log()
        );
    }
    closed.expect("the session closes");
}

/// What the capabilities of a session must say: no `browserName` (WebKitWebDriver matches it
/// against the name the app reports, "wry"; anything else fails to match), and the binary with
/// `--automation`.
fn capabilities(binary: &Path, data: &Path) -> serde_json::Map<String, serde_json::Value> {
    let caps = json!({
        "webkitgtk:browserOptions": {
            "binary": binary,
            "args": ["--automation", "--data", data],
        }
    });
    caps.as_object().expect("an object").clone()
}

type Outcome = Result<(), Box<dyn std::error::Error>>;

async fn flow(c: &Client, data: &Path) -> Outcome {
    // The page is up and its bridge answered (the status pill lists the API).
    c.wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css("#status.ok"))
        .await?;
    let api = c
        .execute(
            "return [typeof window.api, Object.isFrozen(window.api), navigator.webdriver]",
            vec![],
        )
        .await?;
    check(
        api == json!(["object", true, true]),
        format!("window.api under automation: {api}"),
    )?;

    // An empty title: the schema refuses it, and the page shows why next to the field.
    c.find(Locator::Id("new")).await?.click().await?;
    let title = c.find(Locator::Id("title")).await?;
    let body = c.find(Locator::Id("body")).await?;
    body.click().await?;
    body.send_keys("no title yet").await?;
    c.find(Locator::Id("save")).await?.click().await?;
    let error = wait_text(c, ".field-error[data-for=\"/title\"]", |t| !t.is_empty()).await?;
    check(
        title.attr("aria-invalid").await?.as_deref() == Some("true"),
        "the title is marked invalid",
    )?;
    check(
        std::fs::read_dir(data)?.next().is_none(),
        "nothing was saved",
    )?;
    println!("validation error shown: {error}");

    // Type a title (element send keys), save with Enter (keyboard actions): listed and stored.
    title.click().await?;
    title.send_keys("Groceries").await?;
    body.clear().await?;
    body.send_keys(&format!("milk{}eggs", Key::Enter)).await?;
    title.click().await?;
    let enter = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Enter.into(),
        })
        .then(KeyAction::Up {
            value: Key::Enter.into(),
        });
    c.perform_actions(enter).await?;
    wait_text(c, "#saved", |t| t == "saved just now").await?;
    wait_text(c, "#list li[data-id=\"groceries\"] .t", |t| {
        t == "Groceries"
    })
    .await?;
    let stored = std::fs::read_to_string(data.join("groceries.md"))?;
    check(
        stored == "Groceries\nmilk\neggs",
        format!("stored: {stored:?}"),
    )?;
    wait_text(c, ".field-error[data-for=\"/title\"]", str::is_empty).await?;

    // A push: another editor writes a note into the folder; Rust's watcher pushes
    // notes.changed, and the page shows it and lists the note.
    std::fs::write(
        data.join("from-outside.md"),
        "From outside\nwritten by another editor",
    )?;
    wait_text(c, "#last-push", |t| {
        t.contains("notes.changed · from-outside saved")
    })
    .await?;
    let item = c
        .wait()
        .at_most(TIMEOUT)
        .for_element(Locator::Css("#list li[data-id=\"from-outside\"]"))
        .await?;

    // Open it with the mouse (pointer actions): the editor shows what the other editor wrote.
    let click = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: item,
            duration: None,
            x: 0.0,
            y: 0.0,
        })
        .then(PointerAction::Down {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: fantoccini::actions::MOUSE_BUTTON_LEFT,
        });
    c.perform_actions(click).await?;
    c.release_actions().await?;
    wait_until("the outside note opens in the editor", async || {
        Ok(
            title.prop("value").await?.as_deref() == Some("From outside")
                && body.prop("value").await?.as_deref() == Some("written by another editor"),
        )
    })
    .await?;
    Ok(())
}

fn check(ok: bool, what: impl Into<String>) -> Outcome {
    if ok {
        Ok(())
    } else {
        Err(format!("check failed: {}", what.into()).into())
    }
}

/// Waits until the text of the element `css` satisfies `ok`; returns that text.
async fn wait_text(
    c: &Client,
    css: &str,
    ok: impl Fn(&str) -> bool,
) -> Result<String, Box<dyn std::error::Error>> {
    let mut last = String::new();
    let found = wait_until(css, async || {
        last = c.find(Locator::Css(css)).await?.text().await?;
        Ok(ok(&last))
    })
    .await;
    found
        .map(|()| last.clone())
        .map_err(|e| format!("{e} (its text: {last:?})").into())
}

/// Polls `ready` until it says yes, or fails after [`TIMEOUT`].
async fn wait_until(
    what: &str,
    mut ready: impl AsyncFnMut() -> Result<bool, Box<dyn std::error::Error>>,
) -> Outcome {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match ready().await {
            Ok(true) => return Ok(()),
            Ok(false) | Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Ok(false) => return Err(format!("timed out waiting for {what}").into()),
            Err(e) => return Err(format!("waiting for {what}: {e}").into()),
        }
    }
}

/// The demo binary: `RPCVIEW_NOTES_BIN`, or `rpcview-notes` beside this test's `deps/`
/// folder (the same target directory).
fn notes_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("RPCVIEW_NOTES_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps")
        .join("rpcview-notes");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p rpcview-notes`; `cargo test --workspace` does), or set RPCVIEW_NOTES_BIN",
        bin.display()
    );
    bin
}

/// A WebKitWebDriver on a free port; killed (with the app it started) when dropped.
struct Driver {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Driver {
    /// Starts `RPCVIEW_WEBDRIVER` or `WebKitWebDriver` and waits until it is ready.
    fn start() -> Self {
        let program = std::env::var_os("RPCVIEW_WEBDRIVER").unwrap_or("WebKitWebDriver".into());
        let dir = tempfile::tempdir().expect("a temporary folder");
        let log = dir.path().join("webdriver.log");
        // Another process may take the port between here and the driver's bind, and the
        // driver then exits: try another.
        for _ in 0..5 {
            let port = free_port();
            let out = std::fs::File::create(&log).expect("a log file");
            let mut child = Command::new(&program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out.try_clone().expect("a log file"))
                .stderr(out)
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "{} did not start: {e}; install Debian's webkit2gtk-driver (.ci/deps does), or set RPCVIEW_WEBDRIVER",
                        Path::new(&program).display()
                    )
                });
            if wait_ready(&mut child, port, &log) {
                return Driver {
                    child,
                    port,
                    log,
                    _dir: dir,
                };
            }
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            eprintln!("WebKitWebDriver exited on port {port}: {said}");
        }
        panic!("WebKitWebDriver did not start on any of 5 ports");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Driver {
    /// Kills the app the driver started, if it still runs (a failed test), then the driver.
    fn drop(&mut self) {
        let pid = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
        for child in children.unwrap_or_default().split_whitespace() {
            let _ = Command::new("kill").arg(child).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `GET /status` until the driver says it is ready; false if it exited first.
fn wait_ready(child: &mut Child, port: u16, log: &Path) -> bool {
    let deadline = Instant::now() + TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if status(port).is_some_and(|s| s.contains("\"ready\":true")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let said = std::fs::read_to_string(log).unwrap_or_default();
    panic!("WebKitWebDriver was not ready within {TIMEOUT:?}: {said}");
}

/// The body of `GET /status`, if the driver answers.
fn status(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}
