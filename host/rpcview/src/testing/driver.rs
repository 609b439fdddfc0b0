//! [`TestApp`]: one app under a test's control, on the harness's GTK thread.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::screenshot::{self, Tolerance};
use crate::app::handle::Input;
use crate::{Api, App, AppError, AppHandle, Assets, CallRecord, PageLog, PageLogLevel, Window};

/// Why a test step failed. Its message says what was awaited or what the page said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The app did not start (no display, a wrong API table, ...).
    #[error("the app did not start: {0}")]
    Launch(String),
    /// A script threw or rejected: the page's message.
    #[error("the page threw: {0}")]
    Page(String),
    /// Nothing came true within the timeout.
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long.
        after: Duration,
    },
    /// A value from the page did not decode as the type asked for.
    #[error("the page's value {value} is not the type asked for: {reason}")]
    Decode {
        /// The value, as JSON.
        value: String,
        /// What serde said.
        reason: String,
    },
    /// A screenshot differs from the stored one beyond the tolerance, or there is none.
    #[error("{0}")]
    Screenshot(String),
    /// The app has stopped, or another failure outside the page.
    #[error("{0}")]
    App(String),
}

/// What the test window shows.
#[derive(Clone)]
pub enum Page {
    /// A folder, served at `app://localhost/` (its `index.html` is shown).
    Dir(PathBuf),
    /// Assets the app serves at `app://localhost/` (`index.html` is shown).
    Assets(Assets),
    /// One HTML document, served as `app://localhost/index.html`.
    Html(String),
    /// A URL (an `http://127.0.0.1` dev server, say); the window's API is granted to its
    /// origin.
    Url(String),
}

impl std::fmt::Debug for Page {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Page::Dir(p) => f.debug_tuple("Dir").field(p).finish(),
            Page::Assets(_) => f.write_str("Assets(..)"),
            Page::Html(h) => f.debug_tuple("Html").field(&h.len()).finish(),
            Page::Url(u) => f.debug_tuple("Url").field(u).finish(),
        }
    }
}

impl Page {
    /// The `index.html` of folder `path`, served at `app://localhost/`.
    ///
    /// ```
    /// let page = rpcview::testing::Page::dir("web");
    /// ```
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        Page::Dir(path.into())
    }

    /// A page made of `html` (a whole document, or a fragment WebKit completes).
    ///
    /// ```
    /// let page = rpcview::testing::Page::html("<h1>hello</h1>");
    /// ```
    pub fn html(html: impl Into<String>) -> Self {
        Page::Html(html.into())
    }

    /// A page at `url`, whose origin gets the API.
    ///
    /// ```
    /// let page = rpcview::testing::Page::url("http://127.0.0.1:5173/");
    /// ```
    pub fn url(url: impl Into<String>) -> Self {
        Page::Url(url.into())
    }
}

/// An event the app pushed, as the harness saw it leave.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Push {
    /// The windows it was sent to.
    pub windows: Vec<String>,
    /// The event's name.
    pub event: String,
    /// Its payload.
    pub payload: Value,
}

/// What the app did, recorded for the test.
#[derive(Default)]
struct Record {
    state: Mutex<Seen>,
    changed: Condvar,
}

#[derive(Default)]
struct Seen {
    calls: Vec<CallRecord>,
    pushes: Vec<Push>,
    logs: Vec<PageLog>,
    /// How many calls and pushes `wait_for_call` / `wait_for_push` have handed out, by name.
    taken_calls: std::collections::HashMap<String, usize>,
    taken_pushes: std::collections::HashMap<String, usize>,
}

impl Record {
    fn add(&self, f: impl FnOnce(&mut Seen)) {
        f(&mut self.state.lock().unwrap_or_else(|e| e.into_inner()));
        self.changed.notify_all();
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `take` finds something, up to `timeout`.
    fn wait<T>(
        &self,
        timeout: Duration,
        what: impl FnOnce() -> String,
        mut take: impl FnMut(&mut Seen) -> Option<T>,
    ) -> Result<T, TestError> {
        let deadline = Instant::now() + timeout;
        let mut seen = self.seen();
        loop {
            if let Some(found) = take(&mut seen) {
                return Ok(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(TestError::Timeout {
                    what: what(),
                    after: timeout,
                });
            }
            seen = self
                .changed
                .wait_timeout(seen, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// The Content-Security-Policy of a [`Page::Html`]: the default one, plus inline scripts and
/// styles.
const INLINE_CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

/// A job for the GTK thread.
type Job = Box<dyn FnOnce() + Send>;

/// The one thread of this process that runs apps (GTK allows one), started at first use.
fn gtk_thread() -> mpsc::Sender<Job> {
    static GTK: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    GTK.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("rpcview-gtk".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            })
            .expect("the GTK thread starts");
        Mutex::new(tx)
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
    .clone()
}

/// Held by the test whose app runs: apps take turns on the GTK thread.
static TURN: Mutex<()> = Mutex::new(());

thread_local! {
    /// Whether this thread's test holds the turn (a second launch would wait for itself).
    static HOLDS_TURN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A test's turn on the GTK thread, released when dropped (on the thread that took it: a
/// `MutexGuard` does not move between threads, nor does a [`TestApp`] holding one).
struct Turn(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Turn {
    /// Waits for the turn; an error, not a deadlock, if this thread already has it.
    fn take() -> Result<Self, TestError> {
        if HOLDS_TURN.get() {
            return Err(TestError::Launch(
                "this thread's TestApp is still open: drop it before launching another \
                 (apps take turns on the one GTK thread)"
                    .into(),
            ));
        }
        let guard = TURN.lock().unwrap_or_else(|e| e.into_inner());
        HOLDS_TURN.set(true);
        Ok(Turn(guard))
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        HOLDS_TURN.set(false);
    }
}

/// How a [`TestApp`] is launched: the API, the page, the window, and anything else the
/// [`App`] should have.
///
/// ```no_run
/// use std::time::Duration;
/// use rpcview::testing::{Page, TestApp};
/// use rpcview::{Api, Window};
/// let app = TestApp::builder(Api::new(), Page::dir("web"))
///     .window(|w: Window| w.size(800.0, 600.0))
///     .app(|app| app.on_fault(|f| eprintln!("{f:?}")))
///     .timeout(Duration::from_secs(60))
///     .launch()?;
/// # Ok::<(), rpcview::testing::TestError>(())
/// ```
#[must_use = "call .launch()"]
pub struct TestAppBuilder {
    api: Api,
    page: Page,
    window: Window,
    configure: Vec<Box<dyn FnOnce(App) -> App + Send>>,
    timeout: Duration,
}

impl std::fmt::Debug for TestAppBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestAppBuilder")
            .field("page", &self.page)
            .field("window", &self.window)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl TestAppBuilder {
    /// Changes the test window (labelled `main`): its size, capability, policies.
    pub fn window(mut self, f: impl FnOnce(Window) -> Window) -> Self {
        self.window = f(self.window);
        self
    }

    /// Configures the [`App`] further (capabilities, hooks, assets at other schemes).
    pub fn app(mut self, f: impl FnOnce(App) -> App + Send + 'static) -> Self {
        self.configure.push(Box::new(f));
        self
    }

    /// How long each wait may take (the launch, `wait_for`, `eval`, `click`, ...).
    /// Default: 30 s, or `RPCVIEW_TEST_TIMEOUT` seconds; generous, for loaded CI machines.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Opens the window and waits until its page has loaded.
    ///
    /// # Errors
    /// [`TestError::Launch`] when the app did not start (no display: run under
    /// `xvfb-run -a`), [`TestError::Timeout`] when the page did not load in time.
    pub fn launch(self) -> Result<TestApp, TestError> {
        let turn = Turn::take()?;
        let record = Arc::new(Record::default());
        let label = self.window.label.clone();
        let inline_page = matches!(self.page, Page::Html(_));
        let (assets, url) = match self.page {
            Page::Dir(dir) => (Some(Assets::dir(dir)), None),
            Page::Assets(assets) => (Some(assets), None),
            Page::Html(html) => {
                let html: Cow<'static, [u8]> = Cow::Owned(html.into_bytes());
                let assets = Assets::from_fn(move |path| {
                    matches!(path, "" | "/" | "index.html" | "/index.html").then(|| html.clone())
                });
                (Some(assets), None)
            }
            Page::Url(url) => (None, Some(url)),
        };
        let mut window = self.window;
        if let Some(url) = url {
            window = window.url(&url);
        }
        let (r1, r2, r3) = (record.clone(), record.clone(), record.clone());
        let mut app = App::new(self.api)
            .page_log_level(PageLogLevel::Debug)
            .on_call(move |call| r1.add(|s| s.calls.push(call.clone())))
            .on_page_log(move |log| r2.add(|s| s.logs.push(log.clone())))
            .window(window);
        app.on_push = Some(Arc::new(move |windows, event, text| {
            let payload = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|mut v| v.get_mut("params").map(Value::take))
                .unwrap_or(Value::Null);
            let push = Push {
                windows: windows.to_vec(),
                event: event.to_owned(),
                payload,
            };
            r3.add(|s| s.pushes.push(push));
        }));
        app.any_thread = true;
        if inline_page {
            // An inline test page has its script and style in the document.
            app = app.content_security_policy(INLINE_CSP);
        }
        if let Some(assets) = assets {
            app = app.assets(assets);
        }
        for f in self.configure {
            app = f(app);
        }
        let (handle_tx, handle_rx) = mpsc::channel();
        let app = app.setup(move |handle| {
            let _ = handle_tx.send(handle);
        });
        let (ended_tx, ended) = mpsc::channel();
        gtk_thread()
            .send(Box::new(move || {
                let outcome = app.run().map_err(|e: AppError| e.to_string());
                let _ = ended_tx.send(outcome);
            }))
            .map_err(|_| TestError::Launch("the harness's GTK thread is gone".into()))?;
        let handle = loop {
            if let Ok(handle) = handle_rx.recv_timeout(Duration::from_millis(20)) {
                break handle;
            }
            match ended.try_recv() {
                Ok(Err(e)) => return Err(TestError::Launch(e)),
                Ok(Ok(code)) => {
                    return Err(TestError::Launch(format!("the app exited with {code}")))
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    return Err(TestError::Launch("the app's run panicked".into()))
                }
                Err(mpsc::TryRecvError::Empty) => {}
            }
        };
        let app = TestApp {
            handle,
            window: label,
            record,
            ended: Some(ended),
            timeout: self.timeout,
            _turn: turn,
        };
        // The webview starts on about:blank, complete at once: wait for the page itself.
        app.wait_for("location.protocol !== 'about:' && document.readyState === 'complete'")?;
        app.settle()?;
        Ok(app)
    }
}

/// One app under a test's control: its window `main` shows the page, and every method waits
/// at most the builder's timeout (30 s by default).
///
/// See the [module](crate::testing) for an example.
pub struct TestApp {
    handle: AppHandle,
    window: String,
    record: Arc<Record>,
    ended: Option<mpsc::Receiver<Result<i32, String>>>,
    timeout: Duration,
    _turn: Turn,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp")
            .field("window", &self.window)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// The default wait: 30 s, or `RPCVIEW_TEST_TIMEOUT` seconds.
fn default_timeout() -> Duration {
    std::env::var("RPCVIEW_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(30), Duration::from_secs)
}

impl TestApp {
    /// Launches `api` with `page` in a window labelled `main` (see [`TestAppBuilder`] for
    /// more options) and waits until the page has loaded.
    ///
    /// # Errors
    /// As [`TestAppBuilder::launch`].
    pub fn launch(api: Api, page: Page) -> Result<TestApp, TestError> {
        Self::builder(api, page).launch()
    }

    /// A launch to configure further.
    pub fn builder(api: Api, page: Page) -> TestAppBuilder {
        TestAppBuilder {
            api,
            page,
            window: Window::new("main").title("rpcview test"),
            configure: Vec::new(),
            timeout: default_timeout(),
        }
    }

    /// The running app's handle: open more windows, push events, reload.
    pub fn handle(&self) -> &AppHandle {
        &self.handle
    }

    /// Evaluates the JavaScript expression `js` in the page (where `window.api` is), awaits
    /// it if it is a promise, and decodes its value.
    ///
    /// # Errors
    /// [`TestError::Page`] with the page's message if it threw or rejected (an `RpcError`
    /// from the host included), [`TestError::Decode`] if the value is not a `T`.
    ///
    /// ```no_run
    /// # fn f(app: &rpcview::testing::TestApp) -> Result<(), rpcview::testing::TestError> {
    /// let title: String = app.eval("document.title")?;
    /// let notes: serde_json::Value = app.eval("api.invoke('notes.list')")?;
    /// # Ok(()) }
    /// ```
    pub fn eval<T: DeserializeOwned>(&self, js: &str) -> Result<T, TestError> {
        let text = self.eval_json(js)?;
        serde_json::from_str(&text).map_err(|e| TestError::Decode {
            value: text,
            reason: e.to_string(),
        })
    }

    /// [`eval`](Self::eval), returning the value's JSON text.
    ///
    /// # Errors
    /// As `eval`.
    pub fn eval_json(&self, js: &str) -> Result<String, TestError> {
        self.handle.evaluate(&self.window, js).map_err(|e| {
            if e.starts_with("the app stopped") {
                TestError::App(e)
            } else {
                TestError::Page(e)
            }
        })
    }

    /// Waits until the JavaScript expression `condition` is truthy (polled every 25 ms; a
    /// promise is awaited). A condition that throws is retried until the timeout, whose
    /// error then names the last exception.
    ///
    /// # Errors
    /// [`TestError::Timeout`].
    pub fn wait_for(&self, condition: &str) -> Result<(), TestError> {
        let js = format!("!!({condition})");
        let deadline = Instant::now() + self.timeout;
        let mut last = String::new();
        loop {
            match self.eval::<bool>(&js) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(TestError::App(e)) => return Err(TestError::App(e)),
                Err(e) => last = format!(" (last error: {e})"),
            }
            if Instant::now() >= deadline {
                return Err(TestError::Timeout {
                    what: format!("`{condition}`{last}{}", self.console_tail()),
                    after: self.timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits for the next call to `method` the page makes (or made: calls are recorded from
    /// the start, and each is handed out once), once it was answered.
    ///
    /// # Errors
    /// [`TestError::Timeout`].
    ///
    /// ```no_run
    /// # fn f(app: &rpcview::testing::TestApp) -> Result<(), rpcview::testing::TestError> {
    /// app.click("#save")?;
    /// let call = app.wait_for_call("notes.save")?;
    /// assert_eq!(call.params["title"], "Groceries");
    /// assert!(call.outcome.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn wait_for_call(&self, method: &str) -> Result<CallRecord, TestError> {
        self.record.wait(
            self.timeout,
            || format!("a call to '{method}'"),
            |seen| {
                let taken = seen.taken_calls.entry(method.to_owned()).or_default();
                let next = seen
                    .calls
                    .iter()
                    .filter(|c| c.method == method)
                    .nth(*taken)
                    .cloned();
                if next.is_some() {
                    *taken += 1;
                }
                next
            },
        )
    }

    /// Waits for the next push of `event` by the app (each is handed out once).
    ///
    /// # Errors
    /// [`TestError::Timeout`].
    pub fn wait_for_push(&self, event: &str) -> Result<Push, TestError> {
        self.record.wait(
            self.timeout,
            || format!("a push of '{event}'"),
            |seen| {
                let taken = seen.taken_pushes.entry(event.to_owned()).or_default();
                let next = seen
                    .pushes
                    .iter()
                    .filter(|p| p.event == event)
                    .nth(*taken)
                    .cloned();
                if next.is_some() {
                    *taken += 1;
                }
                next
            },
        )
    }

    /// Every call, notification and subscription start the page made so far, in the order
    /// they were answered.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.record.seen().calls.clone()
    }

    /// Every event the app pushed so far.
    pub fn pushes(&self) -> Vec<Push> {
        self.record.seen().pushes.clone()
    }

    /// What the page wrote to its `console` so far (every level), and its uncaught errors.
    pub fn console(&self) -> Vec<PageLog> {
        self.record.seen().logs.clone()
    }

    /// Clicks the element `selector` names, in its middle, as a person does: it waits until
    /// the element exists and has a size, scrolls it into view, and sends a real button
    /// press and release there (so the page gets trusted events, focus and default actions).
    ///
    /// # Errors
    /// [`TestError::Timeout`] if no such element showed up.
    pub fn click(&self, selector: &str) -> Result<(), TestError> {
        let (x, y) = self.locate(selector)?;
        self.handle
            .input(&self.window, Input::Click { x, y })
            .map_err(TestError::App)
    }

    /// Clicks the element `selector` names (to focus it) and types `text` into it, one key
    /// at a time.
    ///
    /// # Errors
    /// As [`click`](Self::click).
    pub fn type_into(&self, selector: &str, text: &str) -> Result<(), TestError> {
        self.click(selector)?;
        let sel = serde_json::to_string(selector).expect("a string serializes");
        self.wait_for(&format!(
            "document.activeElement === document.querySelector({sel})"
        ))?;
        self.type_text(text)
    }

    /// Types `text` into whatever has the focus.
    ///
    /// # Errors
    /// [`TestError::App`] if the app has stopped.
    pub fn type_text(&self, text: &str) -> Result<(), TestError> {
        self.handle
            .input(&self.window, Input::Text(text.into()))
            .map_err(TestError::App)
    }

    /// Presses a key, named as the DOM names it (`Enter`, `Tab`, `Escape`, `Backspace`,
    /// `ArrowDown`, `a`).
    ///
    /// # Errors
    /// [`TestError::App`] for a key with no such name.
    pub fn press(&self, key: &str) -> Result<(), TestError> {
        self.handle
            .input(&self.window, Input::Key(key.into()))
            .map_err(TestError::App)
    }

    /// The middle of the element `selector` names, once it exists and has a size, scrolled
    /// into view.
    fn locate(&self, selector: &str) -> Result<(f64, f64), TestError> {
        let sel = serde_json::to_string(selector).expect("a string serializes");
        let js = format!(
            "(() => {{ const el = document.querySelector({sel}); if (!el) return null; \
             el.scrollIntoView({{block: 'center', inline: 'center'}}); \
             const r = el.getBoundingClientRect(); \
             return r.width > 0 && r.height > 0 ? [r.left + r.width / 2, r.top + r.height / 2] : null; }})()"
        );
        let deadline = Instant::now() + self.timeout;
        loop {
            if let Some(at) = self.eval::<Option<(f64, f64)>>(&js)? {
                return Ok(at);
            }
            if Instant::now() >= deadline {
                return Err(TestError::Timeout {
                    what: format!("an element matching `{selector}` with a size"),
                    after: self.timeout,
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until the page has painted what it has now: two animation frames.
    fn settle(&self) -> Result<(), TestError> {
        self.eval::<Value>(
            "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())))",
        )
        .map(drop)
    }

    /// A PNG of what the window shows, once the page has painted its last changes.
    ///
    /// # Errors
    /// [`TestError::App`] if WebKit could not take it.
    pub fn screenshot(&self) -> Result<Vec<u8>, TestError> {
        self.settle()?;
        self.handle
            .screenshot_png(&self.window)
            .map_err(TestError::App)
    }

    /// A screenshot once two in a row are the same (the page stopped changing), as
    /// Playwright's `toHaveScreenshot` waits; the last one if it never settles in time.
    fn stable_screenshot(&self) -> Result<Vec<u8>, TestError> {
        let deadline = Instant::now() + self.timeout;
        let mut last = self.screenshot()?;
        loop {
            let next = self.screenshot()?;
            if next == last || Instant::now() >= deadline {
                return Ok(next);
            }
            last = next;
        }
    }

    /// Compares a screenshot with the PNG stored at `expected` within `tolerance` (see
    /// [`compare_png`](super::compare_png)). On a mismatch, it writes the screenshot as
    /// `NAME.actual.png` and a picture of the differences as `NAME.diff.png` beside it, and
    /// fails. With `RPCVIEW_UPDATE_SCREENSHOTS=1` in the environment it stores the
    /// screenshot as the expected one instead (and passes).
    ///
    /// # Errors
    /// [`TestError::Screenshot`] on a mismatch or a missing expected file.
    ///
    /// ```no_run
    /// # fn f(app: &rpcview::testing::TestApp) -> Result<(), rpcview::testing::TestError> {
    /// use rpcview::testing::Tolerance;
    /// app.expect_screenshot("tests/screenshots/home.png", Tolerance::default())?;
    /// # Ok(()) }
    /// ```
    pub fn expect_screenshot(
        &self,
        expected: impl AsRef<Path>,
        tolerance: Tolerance,
    ) -> Result<(), TestError> {
        self.expect_screenshot_masked(expected, tolerance, &[])
    }

    /// [`expect_screenshot`](Self::expect_screenshot), with the elements the CSS selectors
    /// in `mask` match painted over in magenta on both sides (clocks, "saved 3s ago",
    /// temporary paths: what differs on every run), as Playwright's `mask` option does.
    /// The text caret is hidden for the screenshot in either case, so its blinking does not
    /// count.
    ///
    /// # Errors
    /// As `expect_screenshot`.
    ///
    /// ```no_run
    /// # fn f(app: &rpcview::testing::TestApp) -> Result<(), rpcview::testing::TestError> {
    /// use rpcview::testing::Tolerance;
    /// app.expect_screenshot_masked("tests/screenshots/home.png", Tolerance::default(), &["#clock"])?;
    /// # Ok(()) }
    /// ```
    pub fn expect_screenshot_masked(
        &self,
        expected: impl AsRef<Path>,
        tolerance: Tolerance,
        mask: &[&str],
    ) -> Result<(), TestError> {
        let selectors = serde_json::to_string(mask).expect("strings serialize");
        // A constructed style sheet: a page's Content-Security-Policy does not block it.
        let rects: Vec<[f64; 4]> = self.eval(&format!(
            "(() => {{ const sheet = new CSSStyleSheet(); \
             sheet.replaceSync('*, *::before, *::after {{ caret-color: transparent !important }}'); \
             document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet]; \
             window.__rpcviewCaretSheet = sheet; \
             return {selectors}.flatMap((s) => [...document.querySelectorAll(s)]).map((el) => {{ \
               const r = el.getBoundingClientRect(); \
               return [r.left + scrollX, r.top + scrollY, r.width, r.height]; }}); }})()"
        ))?;
        let png = self.stable_screenshot();
        self.eval::<Value>(
            "document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== window.__rpcviewCaretSheet)",
        )?;
        let png = screenshot::mask(&png?, &rects).map_err(TestError::Screenshot)?;
        screenshot::expect(expected.as_ref(), &png, tolerance).map_err(TestError::Screenshot)
    }

    /// The page's last console lines, for an error message.
    fn console_tail(&self) -> String {
        let seen = self.record.seen();
        let start = seen.logs.len().saturating_sub(10);
        let lines: Vec<String> = seen.logs[start..]
            .iter()
            .map(|l| format!("\n  [{:?}] {}", l.level, l.message))
            .collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!("; the page's console said:{}", lines.concat())
        }
    }

    /// Prints what a failing test needs to see: the page's console and its calls.
    fn report(&self) {
        let seen = self.record.seen();
        eprintln!(
            "--- rpcview: the page's console ({} lines) ---",
            seen.logs.len()
        );
        for log in &seen.logs {
            eprintln!("[{:?}] {}", log.level, log.message);
        }
        eprintln!(
            "--- rpcview: calls the page made ({}) ---",
            seen.calls.len()
        );
        for call in &seen.calls {
            let outcome = match &call.outcome {
                Ok(v) => format!("ok {v}"),
                Err(e) => format!("error {} {}", e.code, e.message),
            };
            eprintln!("{} {} -> {outcome}", call.method, call.params);
        }
    }
}

impl Drop for TestApp {
    /// Closes the app and waits until it has shut down (handlers finished, state dropped).
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.report();
        }
        self.handle.exit(0);
        if let Some(ended) = self.ended.take() {
            if ended.recv_timeout(Duration::from_secs(30)).is_err() {
                eprintln!("rpcview::testing: the app did not shut down within 30 s");
            }
        }
    }
}
