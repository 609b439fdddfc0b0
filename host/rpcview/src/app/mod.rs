//! Windows: the [`App`] builder, its event loop, and the assets each page is served from.
//!
//! The UI thread owns every window and webview; handlers run on a tokio runtime and hand
//! their replies back through the event loop, which delivers all replies that are ready for a
//! window in one script per loop turn.
//!
//! - `window.rs`: [`Window`], what one window shows and may do;
//! - `live.rs`: an open window: its tao window and wry webview;
//! - `glue.rs`: the bridge between a webview and its window's [`Endpoint`](crate::Endpoint);
//! - `handle.rs`: [`AppHandle`], what other threads (and handlers) may ask of the app;
//! - `assets.rs`: [`Assets`], the files a page is served from;
//! - `watch.rs`: live reload, the folders given to [`App::watch`].

mod assets;
mod automation;
mod blobs;
mod faults;
mod glue;
pub(crate) mod handle;
mod live;
mod scheme;
mod trim;
mod watch;
mod window;

#[cfg(feature = "serve")]
pub(crate) use assets::{mime_of, missing_asset, percent_decode};
pub use assets::{Assets, DEFAULT_CSP};
pub use automation::ENV as AUTOMATION_ENV;
pub use faults::{CrashPolicy, Fault, GoneReason, Recovery, UnresponsivePolicy};
pub use handle::AppHandle;
pub use window::Window;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder, EventLoopWindowTarget};
use tao::platform::run_return::EventLoopExtRunReturn;
use wry::WebViewExtUnix;

use crate::bridge;
use crate::rpc::{Api, BuildError, Capability};
use handle::UserEvent;
use live::{Host, Live};

/// Why the app did not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The API table is wrong (see [`BuildError`]).
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Two windows share a label.
    #[error("two windows are labelled '{0}'; labels name windows in events and must differ")]
    DuplicateWindow(String),
    /// No window was added.
    #[error("the app has no window; add one with .window(Window::new(\"main\"))")]
    NoWindow,
    /// GTK could not start (no display?).
    #[error("the window system did not start: {0}; with no display, run under `xvfb-run -a`")]
    Display(String),
    /// The tokio runtime could not be built.
    #[error("the tokio runtime did not start: {0}; or bring your own with App::runtime")]
    Runtime(String),
    /// The window or webview could not be created.
    #[error("window '{label}' could not be created: {reason}")]
    Window {
        /// The window.
        label: String,
        /// What failed.
        reason: String,
    },
    /// A folder given to [`App::watch`] could not be watched.
    #[error("cannot watch {}: {reason}", dir.display())]
    Watch {
        /// The folder.
        dir: PathBuf,
        /// What failed.
        reason: String,
    },
}

type Setup = Box<dyn FnOnce(AppHandle) + Send>;
/// What [`App::on_page_log`] was given.
type PageLogHook = Arc<dyn Fn(&PageLog) + Send + Sync>;
/// What [`App::on_fault`] was given.
type FaultHook = Arc<dyn Fn(&Fault) + Send + Sync>;
/// Told of every push: `(windows, event, JSON-RPC notification text)` (the test harness).
pub(crate) type PushHook = Arc<dyn Fn(&[String], &str, &str) + Send + Sync>;

/// A line a page reported: a `console.error` or `console.warn`, an uncaught error, an
/// unhandled rejection, or a Content-Security-Policy violation. The host logs every one (at
/// most 200 per page load); [`App::on_page_log`] sees them too.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageLog {
    /// The window's label.
    pub window: String,
    /// How bad it is.
    pub level: PageLogLevel,
    /// What the page said (at most 4 KiB).
    pub message: String,
}

/// The level of a [`PageLog`], and how much of the page's `console` the host takes
/// ([`App::page_log_level`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PageLogLevel {
    /// `console.error`, uncaught errors, unhandled rejections, CSP violations.
    Error,
    /// `console.warn`.
    Warn,
    /// `console.info` and `console.log`.
    Info,
    /// `console.debug`.
    Debug,
}

impl PageLogLevel {
    /// The `console` methods forwarded at this level.
    pub(crate) fn console_methods(self) -> Vec<&'static str> {
        let all = [
            (Self::Error, "error"),
            (Self::Warn, "warn"),
            (Self::Info, "info"),
            (Self::Info, "log"),
            (Self::Debug, "debug"),
        ];
        all.into_iter()
            .filter(|(level, _)| *level <= self)
            .map(|(_, name)| name)
            .collect()
    }
}

/// A desktop app: an [`Api`], windows, and where their pages come from.
///
/// # Example
/// ```no_run
/// use rpcview::{Api, App, Assets, Ctx, RpcError, Window};
/// # /*
/// rpcview::embed!(Web, "web");
/// # */ rpcview::embed!(Web, "src/bridge/js");
/// async fn hello(_: Ctx, (name,): (String,)) -> Result<String, RpcError> { Ok(format!("hello {name}")) }
/// let code = App::new(Api::new().method("hello", hello))
///     .assets(Assets::embedded::<Web>())
///     .window(Window::new("main").title("Hello"))
///     .run()
///     .unwrap();
/// std::process::exit(code);
/// ```
pub struct App {
    api: Api,
    windows: Vec<Window>,
    schemes: Vec<(String, Assets)>,
    csp: String,
    setup: Vec<Setup>,
    runtime: Option<tokio::runtime::Handle>,
    on_page_log: Option<PageLogHook>,
    on_fault: Option<FaultHook>,
    capabilities: Vec<Capability>,
    on_call: Option<crate::rpc::observe::CallHook>,
    pub(crate) on_push: Option<PushHook>,
    page_log_level: PageLogLevel,
    log_calls: crate::CallLog,
    /// Run the event loop on whichever thread calls `run` (the test harness's GTK thread).
    pub(crate) any_thread: bool,
    automation: bool,
    watch: Vec<PathBuf>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("api", &self.api)
            .field("windows", &self.windows)
            .field("schemes", &self.schemes)
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app serving `api`, with no window and no assets yet.
    pub fn new(api: Api) -> Self {
        Self {
            api,
            windows: Vec::new(),
            schemes: Vec::new(),
            csp: DEFAULT_CSP.into(),
            setup: Vec::new(),
            runtime: None,
            on_page_log: None,
            on_fault: None,
            capabilities: Vec::new(),
            on_call: None,
            on_push: None,
            page_log_level: PageLogLevel::Warn,
            log_calls: crate::CallLog::Off,
            any_thread: false,
            automation: false,
            watch: Vec::new(),
        }
    }

    /// Adds a [`Capability`]: what pages of the windows it names, at the origins it names,
    /// may use. A page's API is the union of the capabilities that apply to it; a page none
    /// applies to has no `window.api`, and the host refuses its messages. An app that adds
    /// none (and sets no [`Window::allow`]) gives every window the whole API at its own origin.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Capability, Window};
    /// App::new(Api::new())
    ///     .capability(Capability::new("notes").windows(["main", "notes-*"]).allow(["notes.*", "app.log"]))
    ///     .capability(Capability::new("settings").windows(["settings"]).allow(["settings.*"]))
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn capability(mut self, capability: Capability) -> Self {
        self.capabilities.push(capability);
        self
    }

    /// Adds a window, opened when the app runs.
    pub fn window(mut self, window: Window) -> Self {
        self.windows.push(window);
        self
    }

    /// Serves `assets` at `app://localhost/`, the origin a [`Window`] shows by default.
    pub fn assets(self, assets: Assets) -> Self {
        self.serve("app", assets)
    }

    /// Serves `assets` at `scheme://localhost/` (replacing what that scheme served).
    pub fn serve(mut self, scheme: &str, assets: Assets) -> Self {
        self.schemes.retain(|(s, _)| s != scheme);
        self.schemes.push((scheme.into(), assets));
        self
    }

    /// Replaces the Content-Security-Policy sent with every asset. Default: [`DEFAULT_CSP`].
    /// Violations are reported in the host's log.
    pub fn content_security_policy(mut self, csp: &str) -> Self {
        self.csp = csp.into();
        self
    }

    /// Calls `f` with every line a page reports (console errors and warnings, uncaught errors,
    /// CSP violations), on the UI thread: keep it short. They are logged with `tracing`
    /// either way.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Window};
    /// App::new(Api::new())
    ///     .on_page_log(|log| eprintln!("[{}] {:?}: {}", log.window, log.level, log.message))
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn on_page_log(mut self, f: impl Fn(&PageLog) + Send + Sync + 'static) -> Self {
        self.on_page_log = Some(Arc::new(f));
        self
    }

    /// How much of a page's `console` reaches the host's log and [`App::on_page_log`]:
    /// [`PageLogLevel::Warn`] (the default) takes `console.error` and `console.warn`,
    /// `Info` adds `console.info` and `console.log`, `Debug` adds `console.debug`. Uncaught
    /// errors, unhandled rejections and CSP violations are always taken. The host logs them
    /// with `tracing` at the same level, under the target `rpcview::page`
    /// (`RUST_LOG=rpcview::page=info` shows `console.log`).
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, PageLogLevel, Window};
    /// App::new(Api::new())
    ///     .page_log_level(PageLogLevel::Info)
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn page_log_level(mut self, level: PageLogLevel) -> Self {
        self.page_log_level = level;
        self
    }

    /// Calls `f` with a [`CallRecord`](crate::CallRecord) of every call, notification and
    /// subscription start a page made, once it was answered (or refused): window, method,
    /// params, outcome, duration. It runs on the thread that answered: keep it short. Params
    /// and results are parsed for it, which costs a little per call; without a hook, nothing.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Window};
    /// App::new(Api::new())
    ///     .on_call(|call| eprintln!("{} {} took {:?}", call.window, call.method, call.duration))
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn on_call(mut self, f: impl Fn(&crate::CallRecord) + Send + Sync + 'static) -> Self {
        self.on_call = Some(Arc::new(f));
        self
    }

    /// Logs every call a page makes, one line each at `INFO` under the `tracing` target
    /// `rpcview::calls`: `[window] method duration outcome`, the outcome being `ok` or
    /// `error CODE message`. Params only with [`CallLog::WithParams`](crate::CallLog). Your
    /// `tracing` subscriber decides what prints: `RUST_LOG=rpcview::calls=info`.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, CallLog, Window};
    /// App::new(Api::new())
    ///     .log_calls(CallLog::Calls)
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn log_calls(mut self, log: crate::CallLog) -> Self {
        self.log_calls = log;
        self
    }

    /// Calls `f` with every fault of a page (its web process gone, unresponsive, answering
    /// again) and what the app did about it, on the UI thread: keep it short. Each window's
    /// policies ([`Window::on_crash`], [`Window::on_unresponsive`]) decide what is done; every
    /// fault is logged either way.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Fault, Window};
    /// App::new(Api::new())
    ///     .on_fault(|fault| eprintln!("page fault: {fault:?}"))
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn on_fault(mut self, f: impl Fn(&Fault) + Send + Sync + 'static) -> Self {
        self.on_fault = Some(Arc::new(f));
        self
    }

    /// Runs handlers on this tokio runtime instead of one the app builds (a multi-threaded
    /// runtime with tokio's defaults). The app does not shut it down.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Window};
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// App::new(Api::new()).runtime(rt.handle().clone()).window(Window::new("main")).run().unwrap();
    /// ```
    pub fn runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Automation mode: the first window's webview can be driven by WebKit's WebDriver
    /// (`WebKitWebDriver`, from Debian's `webkit2gtk-driver`), which starts the app with the
    /// arguments of a session's `webkitgtk:browserOptions` capability. Also on when the
    /// environment variable [`AUTOMATION_ENV`] (`RPCVIEW_AUTOMATION`) is `1`. Off by
    /// default; pass it a command-line flag (the demo's `--automation`), not `true`.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Window};
    /// let automation = std::env::args().any(|a| a == "--automation");
    /// App::new(Api::new())
    ///     .automation(automation)
    ///     .window(Window::new("main"))
    ///     .run()
    ///     .unwrap();
    /// ```
    pub fn automation(mut self, on: bool) -> Self {
        self.automation = on;
        self
    }

    /// Live reload, for development: watches the folder `dir` (and every folder in it) and,
    /// about 100 ms after the last change, reloads every window whose page is served from
    /// it (its scheme's [`Assets`] read from `dir`, or from a folder in or around it). A
    /// change to style sheets (`.css` files) alone reloads nothing: the pages' `<link
    /// rel="stylesheet">` are re-pointed with a cache-busting query, so the new styles show
    /// and the page keeps its state. A reload cancels the old page's calls and
    /// subscriptions, as every reload does. Editors that save through a temporary file and a
    /// rename are understood; their scratch files (`.swp`, `~`, `.tmp`) are ignored.
    ///
    /// Embedded assets do not say which folder they come from (debug builds read them from
    /// disk): when none of the app's assets reads from `dir`, every window showing the app's
    /// assets reloads. Windows showing other origins ([`Window::dev_url`]) never do. The
    /// watch ends with the app; call it more than once to watch more folders.
    ///
    /// [`App::run`] fails with [`AppError::Watch`] if `dir` cannot be watched.
    ///
    /// ```no_run
    /// # use rpcview::{Api, App, Assets, Window};
    /// let dev = std::env::args().any(|a| a == "--watch");
    /// let mut app = App::new(Api::new()).assets(Assets::dir("web")).window(Window::new("main"));
    /// if dev {
    ///     app = app.watch("web");
    /// }
    /// app.run().unwrap();
    /// ```
    pub fn watch(mut self, dir: impl Into<PathBuf>) -> Self {
        self.watch.push(dir.into());
        self
    }

    /// Runs `f` with a handle, on a thread of its own, once the windows exist (start a
    /// watcher, drive a tour).
    pub fn setup(mut self, f: impl FnOnce(AppHandle) + Send + 'static) -> Self {
        self.setup.push(Box::new(f));
        self
    }

    /// Opens the windows and runs until [`AppHandle::exit`], the last window closes, or
    /// SIGINT or SIGTERM arrives. Returns the exit code (the one given to `exit`; 0 when the
    /// last window closed; 130 for SIGINT and 143 for SIGTERM) after handlers still in flight
    /// have finished (up to 10 s), and after dropping the state given to
    /// [`Api::manage`](crate::Api::manage), so stores flush.
    ///
    /// # Errors
    /// The API or window list is wrong, or the window system did not start.
    pub fn run(self) -> Result<i32, AppError> {
        self.warn_unserved();
        let router = self.api.build()?;
        let log = self.log_calls;
        match (self.on_call, log) {
            (Some(hook), crate::CallLog::Off) => router.set_call_hook(hook),
            (Some(hook), log) => router.set_call_hook(Arc::new(move |r| {
                log.log(r);
                hook(r)
            })),
            (None, crate::CallLog::Off) => {}
            (None, log) => router.set_call_hook(Arc::new(move |r| log.log(r))),
        }
        if self.windows.is_empty() {
            return Err(AppError::NoWindow);
        }
        for (i, w) in self.windows.iter().enumerate() {
            if self.windows[..i].iter().any(|o| o.label == w.label) {
                return Err(AppError::DuplicateWindow(w.label.clone()));
            }
        }
        init_gtk()?;
        let owned = match self.runtime {
            Some(_) => None,
            None => Some(
                tokio::runtime::Builder::new_multi_thread()
                    .thread_name("rpcview-handler")
                    .enable_all()
                    .build()
                    .map_err(|e| AppError::Runtime(e.to_string()))?,
            ),
        };
        let runtime = self
            .runtime
            .clone()
            .or_else(|| owned.as_ref().map(|rt| rt.handle().clone()))
            .expect("a runtime was given or built");

        let mut event_loop = {
            use tao::platform::unix::EventLoopBuilderExtUnix;
            EventLoopBuilder::<UserEvent>::with_user_event()
                .with_any_thread(self.any_thread)
                .build()
        };
        let handle = AppHandle {
            proxy: event_loop.create_proxy(),
            replies: Default::default(),
            router: router.clone(),
            capabilities: Arc::new(self.capabilities),
        };
        let (proxy, on_push) = (handle.proxy.clone(), self.on_push);
        let replies = handle.replies.clone();
        router
            .emitter()
            .set_sink(Arc::new(move |windows, event: &str, text| {
                if let Some(f) = &on_push {
                    f(&windows, event, &text);
                }
                let event = event.to_owned();
                let push = handle::Reply::Push {
                    windows,
                    event,
                    text,
                };
                replies.send(&proxy, push);
            }));
        let watchers = self
            .watch
            .iter()
            .map(|dir| watch::start(dir, handle.proxy.clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let signals = on_signals(&handle);
        let host = Host {
            router: router.clone(),
            schemes: Arc::new(self.schemes),
            csp: self.csp.into(),
            handle: handle.clone(),
            runtime,
            on_page_log: self.on_page_log,
            on_fault: self.on_fault,
            console: self.page_log_level.console_methods(),
            automation: automation::Automation::new(
                self.automation || automation::requested_by_env(),
            ),
            blobs: crate::rpc::Blobs::default(),
            trim: Default::default(),
        };
        heartbeat(&handle);
        let mut live: HashMap<String, Live> = HashMap::new();
        for spec in &self.windows {
            handle.reserve(spec)?;
            live.insert(spec.label.clone(), Live::open(&event_loop, spec, &host)?);
        }
        tracing::info!(
            windows = live.len(),
            "running; SIGINT or SIGTERM closes the app"
        );
        for f in self.setup {
            let h = handle.clone();
            std::thread::spawn(move || f(h));
        }

        let mut code = 0;
        event_loop.run_return(|event, target, flow| {
            *flow = ControlFlow::Wait;
            if let Some(exit) = on_event(event, target, &host, &mut live) {
                code = exit;
                *flow = ControlFlow::Exit;
            }
        });
        drop(live);
        for w in watchers {
            w.stop(); // joins the debouncer's thread; the watcher's own ends on its own
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while router.stats().in_flight() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        for id in signals {
            id.remove();
        }
        router.release_state();
        if let Some(rt) = owned {
            rt.shutdown_timeout(Duration::from_secs(1));
        }
        Ok(code)
    }

    /// Says so when a window shows the app's origin but nothing is served there.
    fn warn_unserved(&self) {
        for w in &self.windows {
            let scheme = w.url.split(':').next().unwrap_or_default();
            let web = matches!(scheme, "http" | "https");
            if !web
                && w.url.contains("://localhost")
                && !self.schemes.iter().any(|(s, _)| s == scheme)
            {
                tracing::warn!(window = %w.label, url = %w.url, "nothing is served at {scheme}://localhost/; add .assets(Assets::embedded::<Web>()) (see rpcview::embed!) or .assets(Assets::dir(\"web\")) to the App");
            }
        }
    }
}

/// SIGINT and SIGTERM end the app as closing its last window does, with exit code 128 + the
/// signal's number (130, 143), as shells report a process a signal ended.
fn on_signals(handle: &AppHandle) -> Vec<gtk::glib::SourceId> {
    const SIGNALS: [(i32, &str); 2] = [(2, "SIGINT"), (15, "SIGTERM")];
    SIGNALS
        .into_iter()
        .map(|(signum, name)| {
            let handle = handle.clone();
            gtk::glib::unix_signal_add_local(signum, move || {
                tracing::info!(
                    "received {name}: closing the app (handlers get up to 10 s to finish)"
                );
                handle.exit(128 + signum);
                gtk::glib::ControlFlow::Continue
            })
        })
        .collect()
}

/// One turn of the event loop; `Some(code)` ends it.
fn on_event(
    event: Event<'_, UserEvent>,
    target: &EventLoopWindowTarget<UserEvent>,
    host: &Host,
    live: &mut HashMap<String, Live>,
) -> Option<i32> {
    match event {
        Event::UserEvent(user) => return on_user_event(user, target, host, live),
        Event::WindowEvent {
            window_id,
            event: WindowEvent::CloseRequested,
            ..
        } => {
            live.retain(|_, w| w.window.id() != window_id);
            if live.is_empty() {
                return Some(0);
            }
        }
        Event::MainEventsCleared => {
            for w in live.values_mut() {
                w.flush();
            }
        }
        _ => {}
    }
    None
}

/// A reply or push, into its window's outbox (sent at the end of this loop turn).
fn deliver(reply: handle::Reply, host: &Host, live: &mut HashMap<String, Live>) {
    match reply {
        handle::Reply::To {
            window,
            generation,
            nonce,
            text,
        } => match live.get_mut(&window) {
            Some(w) if generation.is_none_or(|g| g == w.generation.get()) => {
                tracing::trace!(target: crate::PROFILE_TARGET, stage = "queued");
                w.outbox.push((nonce, text))
            }
            _ => {
                host.router.stats().count_dropped();
                tracing::debug!(%window, "reply dropped: its page reloaded or its window closed");
            }
        },
        handle::Reply::Push {
            windows,
            event,
            text,
        } => {
            for label in windows {
                if let Some(w) = live.get_mut(&label) {
                    if w.page_may_receive(&event) {
                        w.outbox.push(("*".into(), text.clone()));
                    }
                }
            }
        }
    }
}

/// A request from another thread; `Some(code)` ends the loop.
fn on_user_event(
    event: UserEvent,
    target: &EventLoopWindowTarget<UserEvent>,
    host: &Host,
    live: &mut HashMap<String, Live>,
) -> Option<i32> {
    match event {
        UserEvent::Replies => {
            for reply in host.handle.replies.take() {
                deliver(reply, host, live);
            }
        }
        UserEvent::Eval { window, js } => {
            if let Some(w) = live.get(&window) {
                let _ = w.webview.evaluate_script(&js);
            }
        }
        UserEvent::Reload(window) => {
            if let Some(w) = live.get(&window) {
                let _ = w.webview.reload();
            }
        }
        UserEvent::Changed { dir, change, paths } => on_change(&dir, change, &paths, host, live),
        UserEvent::Open(spec) => {
            // `AppHandle::open` reserved the label, so it is not taken by another window.
            match Live::open(target, &spec, host) {
                Ok(w) => {
                    tracing::info!(window = %spec.label, url = %spec.url, "window opened");
                    live.insert(spec.label.clone(), w);
                }
                Err(e) => {
                    host.handle.forget(&spec.label);
                    tracing::error!("{e}");
                }
            }
        }
        UserEvent::Snapshot { window, done } => match live.get(&window) {
            Some(w) => bridge::webkitgtk::snapshot(&w.webview.webview(), move |r| {
                let _ = done.send(r);
            }),
            None => {
                let _ = done.send(Err(format!("no window labelled '{window}'")));
            }
        },
        UserEvent::Evaluate { window, js, done } => match live.get(&window) {
            Some(w) => bridge::webkitgtk::evaluate(&w.webview.webview(), &js, move |r| {
                let _ = done.send(r);
            }),
            None => {
                let _ = done.send(Err(format!("no window labelled '{window}'")));
            }
        },
        UserEvent::Input {
            window,
            input,
            done,
        } => {
            let outcome = match live.get(&window) {
                Some(w) => {
                    let webview = w.webview.webview();
                    match input {
                        handle::Input::Click { x, y } => bridge::input::click(&webview, x, y),
                        handle::Input::Text(text) => bridge::input::type_text(&webview, &text),
                        handle::Input::Key(key) => bridge::input::press_key(&webview, &key),
                    }
                }
                None => Err(format!("no window labelled '{window}'")),
            };
            let _ = done.send(outcome);
        }
        UserEvent::Close(window) => {
            live.remove(&window);
            if live.is_empty() {
                return Some(0);
            }
        }
        UserEvent::Exit(c) => return Some(c),
        UserEvent::Gone { window, reason } => return on_gone(window, reason, host, live),
        UserEvent::Tick => return on_tick(host, live),
    }
    None
}

/// A watched folder changed: reload the pages served from it, or swap their style sheets.
fn on_change(
    dir: &Path,
    change: handle::Change,
    paths: &[PathBuf],
    host: &Host,
    live: &HashMap<String, Live>,
) {
    let serving: Vec<&str> = host
        .schemes
        .iter()
        .filter(|(_, assets)| assets.dirs().any(|root| watch::related(root, dir)))
        .map(|(scheme, _)| scheme.as_str())
        .collect();
    // No assets read from it (embedded ones, read from disk in debug builds): all of them.
    let schemes: Vec<&str> = if serving.is_empty() {
        host.schemes.iter().map(|(s, _)| s.as_str()).collect()
    } else {
        serving
    };
    for w in live.values() {
        let url = w.webview.url().unwrap_or_default();
        let scheme = url.split(':').next().unwrap_or_default();
        if !schemes.contains(&scheme) {
            continue;
        }
        let files = paths.len();
        match change {
            handle::Change::Styles => {
                tracing::info!(window = %w.label, files, "style sheets changed: swapping them in place");
                let _ = w.webview.evaluate_script(watch::SWAP_STYLES);
            }
            handle::Change::Reload => {
                tracing::info!(window = %w.label, files, "web folder changed: reloading");
                use webkit2gtk::WebViewExt;
                w.webview.webview().reload_bypass_cache();
            }
        }
    }
}

/// Asks the UI thread to probe every page twice a second, as long as the app runs.
/// Starts GTK, waiting up to 5 s for a display that is there but refuses connections for a
/// moment: an X server resets when its last client leaves (Xvfb, as `xvfb-run` starts it,
/// does), and a connection made during the reset fails. Seen as an app that "failed to
/// initialize GTK" now and then when apps follow each other under one `xvfb-run` (a test
/// binary, the bench). With no display at all it fails at once.
fn init_gtk() -> Result<(), AppError> {
    let display = std::env::var_os("DISPLAY").is_some_and(|d| !d.is_empty())
        || std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match gtk::init() {
            Ok(()) => return Ok(()),
            Err(e) if !display || Instant::now() >= deadline => {
                return Err(AppError::Display(e.to_string()))
            }
            Err(e) => {
                tracing::debug!(
                    "GTK did not start ({e}); the display may be resetting: trying again"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

fn heartbeat(handle: &AppHandle) {
    let proxy = handle.proxy.clone();
    std::thread::Builder::new()
        .name("rpcview-heartbeat".into())
        .spawn(move || {
            while proxy.send_event(UserEvent::Tick).is_ok() {
                std::thread::sleep(Duration::from_millis(500));
            }
        })
        .expect("a thread starts");
}

/// A window's web process is gone: drop what its page was owed, then apply its policy.
fn on_gone(
    window: String,
    reason: GoneReason,
    host: &Host,
    live: &mut HashMap<String, Live>,
) -> Option<i32> {
    let w = live.get_mut(&window)?;
    w.generation.set(w.generation.get() + 1);
    let cancelled = w.cancel_running();
    w.probe = None;
    w.hung = false;
    let asked = reason == GoneReason::TerminatedByApi && std::mem::take(&mut w.reload_when_gone);
    let (recovery, why) = match w.spec.crash {
        _ if asked => (Recovery::Reloaded, String::new()),
        CrashPolicy::Reload { max_per_minute } => {
            if w.crashes.allow_reload(max_per_minute, Instant::now()) {
                (Recovery::Reloaded, String::new())
            } else {
                let why = format!(" (gone {} times within a minute)", w.crashes.recent());
                (Recovery::Closed, why)
            }
        }
        CrashPolicy::Close => (Recovery::Closed, String::new()),
        CrashPolicy::Exit(code) => (Recovery::Exiting(code), String::new()),
    };
    tracing::error!(%window, ?reason, cancelled, "web process gone: {reason}; {}{why}", describe(recovery));
    host.fault(Fault::WebProcessGone {
        window: window.clone(),
        reason,
        cancelled,
        recovery,
    });
    recover(&window, recovery, live)
}

/// Probes every page; notices the ones that stopped (or started again) answering.
fn on_tick(host: &Host, live: &mut HashMap<String, Live>) -> Option<i32> {
    let now = Instant::now();
    if host.trim.tick(host.router.stats().handler_runs()) {
        tracing::debug!("idle after calls: free memory returned to the OS");
    }
    let mut closing = Vec::new();
    for w in live.values_mut() {
        let (limit, policy) = w.spec.unresponsive;
        match w.probe(now) {
            None if w.hung => {
                w.hung = false;
                tracing::info!(window = %w.label, "the page answers again");
                host.fault(Fault::Responsive {
                    window: w.label.clone(),
                });
            }
            Some(after) if !w.hung && after >= limit => {
                w.hung = true;
                let recovery = match policy {
                    UnresponsivePolicy::Wait => Recovery::Waiting,
                    UnresponsivePolicy::Reload => {
                        w.reload_when_gone = true;
                        bridge::webkitgtk::terminate(&w.webview.webview());
                        Recovery::Reloaded
                    }
                    UnresponsivePolicy::Close => {
                        closing.push(w.label.clone());
                        Recovery::Closed
                    }
                };
                tracing::warn!(window = %w.label, "the page has not answered for {after:?}; {}", describe(recovery));
                host.fault(Fault::Unresponsive {
                    window: w.label.clone(),
                    after,
                    recovery,
                });
            }
            _ => {}
        }
    }
    closing
        .iter()
        .filter_map(|label| recover(label, Recovery::Closed, live))
        .last()
}

fn describe(recovery: Recovery) -> String {
    match recovery {
        Recovery::Reloaded => "reloading the page".into(),
        Recovery::Closed => "closing the window".into(),
        Recovery::Exiting(code) => format!("ending the app with code {code}"),
        Recovery::Waiting => "waiting (Window::on_unresponsive sets what to do)".into(),
    }
}

/// Carries out `recovery` for `window`; `Some(code)` ends the app.
fn recover(window: &str, recovery: Recovery, live: &mut HashMap<String, Live>) -> Option<i32> {
    match recovery {
        Recovery::Reloaded => {
            if let Some(w) = live.get(window) {
                let _ = w.webview.reload();
            }
            None
        }
        Recovery::Closed => {
            live.remove(window);
            live.is_empty().then_some(0)
        }
        Recovery::Exiting(code) => Some(code),
        Recovery::Waiting => None,
    }
}
