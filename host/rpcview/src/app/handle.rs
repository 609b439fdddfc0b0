//! [`AppHandle`]: what code off the UI thread (handlers, watchers, tests) may ask of a
//! running app.

use std::path::PathBuf;
use std::sync::mpsc;

use tao::event_loop::EventLoopProxy;

use super::AppError;
use super::Window;
use crate::rpc::{Ctx, Emitter, Router, Stats, WindowInfo};

/// Requests to the UI thread.
pub(crate) enum UserEvent {
    /// Replies are waiting in the app's [`Replies`].
    Replies,
    Eval {
        window: String,
        js: String,
    },
    Reload(String),
    /// A folder given to `App::watch` changed (`dir` is its canonical path).
    Changed {
        dir: PathBuf,
        change: Change,
        paths: Vec<PathBuf>,
    },
    Open(Box<Window>),
    /// The web process of `window` is gone.
    Gone {
        window: String,
        reason: super::GoneReason,
    },
    /// Time to probe every page's responsiveness.
    Tick,
    Close(String),
    /// A PNG of what `window` shows.
    Snapshot {
        window: String,
        done: mpsc::Sender<Result<Vec<u8>, String>>,
    },
    /// Runs an expression in the page's main world and answers with its value as JSON.
    Evaluate {
        window: String,
        js: String,
        done: mpsc::Sender<Result<String, String>>,
    },
    /// Trusted input for the webview of `window`.
    Input {
        window: String,
        input: Input,
        done: mpsc::Sender<Result<(), String>>,
    },
    Exit(i32),
}

/// What a change to a watched folder asks of the pages served from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Only style sheets changed: re-point the pages' `<link rel=stylesheet>`.
    Styles,
    /// Anything else: reload the pages.
    Reload,
}

/// Input a person would give (the test harness sends it).
#[derive(Debug, Clone)]
pub(crate) enum Input {
    /// A primary-button click at these CSS pixels from the webview's corner.
    Click { x: f64, y: f64 },
    /// Characters, typed one key at a time.
    Text(String),
    /// One named key (`Enter`, `Tab`, `Escape`, ...).
    Key(String),
}

/// A handle to a running [`App`](super::App): cheap to clone, usable from any thread. A
/// handler reaches it with [`Ctx::app`].
///
/// ```no_run
/// use rpcview::{Api, App, Ctx, RpcError, Window};
/// async fn quit(ctx: Ctx, code: i32) -> Result<(), RpcError> {
///     ctx.app().expect("called from a window").exit(code);
///     Ok(())
/// }
/// App::new(Api::new().method("app.quit", quit)).window(Window::new("main")).run().unwrap();
/// ```
#[derive(Clone)]
pub struct AppHandle {
    pub(crate) proxy: EventLoopProxy<UserEvent>,
    /// Replies on their way to the UI thread.
    pub(crate) replies: std::sync::Arc<Replies>,
    pub(crate) router: Router,
    pub(crate) capabilities: std::sync::Arc<Vec<crate::rpc::Capability>>,
}

impl std::fmt::Debug for AppHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppHandle")
            .field("router", &self.router)
            .finish()
    }
}

/// What goes to pages, in the order it was sent.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A reply for the page `nonce` in `window`, from calls received in `generation`
    /// (`None`: subscription traffic, for whichever page has that nonce).
    To {
        window: String,
        generation: Option<u64>,
        nonce: String,
        text: String,
    },
    /// An event for these windows (resolved by the emitter; each window delivers it if its
    /// current page's capability grants `event`).
    Push {
        windows: Vec<String>,
        event: String,
        text: String,
    },
}

/// Replies and pushes on their way to the UI thread, in the order they were sent:
/// one [`UserEvent::Replies`] wakes the event loop for all that arrive before it runs, where
/// an event per reply cost an event-loop dispatch each (a burst of 10,000 calls is 10,000
/// replies).
#[derive(Debug, Default)]
pub(crate) struct Replies(std::sync::Mutex<Vec<Reply>>);

impl Replies {
    /// Queues `reply`, waking the event loop if it is the first since it last looked.
    pub(crate) fn send(&self, proxy: &EventLoopProxy<UserEvent>, reply: Reply) {
        let first = {
            let mut queue = self.0.lock().unwrap_or_else(|e| e.into_inner());
            queue.push(reply);
            queue.len() == 1
        };
        if first {
            let _ = proxy.send_event(UserEvent::Replies);
        }
    }

    /// Everything queued, in order.
    pub(crate) fn take(&self) -> Vec<Reply> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Ctx {
    /// The app whose window made this call; `None` when the call did not come through an
    /// [`App`](super::App) (an [`Endpoint`](crate::Endpoint) driven directly, as in tests).
    pub fn app(&self) -> Option<&AppHandle> {
        self.extension::<AppHandle>()
    }
}

impl AppHandle {
    /// Opens another window while the app runs, from any thread (a handler, a setup
    /// thread). The label is reserved at once: it appears in [`windows`](Self::windows), and
    /// events may target it (they reach its page once it has loaded).
    ///
    /// # Errors
    /// [`AppError::DuplicateWindow`] if a window with that label is open. If the window
    /// system then fails to create it, that is logged and the label is freed.
    ///
    /// ```no_run
    /// # use rpcview::{Ctx, RpcError, Window};
    /// async fn new_window(ctx: Ctx, _: ()) -> Result<String, RpcError> {
    ///     let app = ctx.app().ok_or_else(|| RpcError::internal("not in an app"))?;
    ///     let label = format!("notes-{}", app.windows().len() + 1);
    ///     app.open(Window::new(&label).title("Notes"))
    ///         .map_err(|e| RpcError::internal(e.to_string()))?;
    ///     Ok(label)
    /// }
    /// ```
    pub fn open(&self, window: Window) -> Result<(), AppError> {
        self.reserve(&window)?;
        self.send(UserEvent::Open(Box::new(window)));
        Ok(())
    }

    /// Puts `window` in the app's list of windows, unless its label is taken.
    pub(crate) fn reserve(&self, window: &Window) -> Result<(), AppError> {
        let mut windows = self
            .router
            .inner
            .shared
            .windows
            .write()
            .expect("windows lock");
        if windows.open.contains_key(&window.label) {
            return Err(AppError::DuplicateWindow(window.label.clone()));
        }
        let info = WindowInfo {
            label: window.label.clone(),
            origin: window.origin(),
            url: window.url.clone(),
        };
        let grants = window.grants(&self.capabilities);
        let allow = crate::rpc::Allow::union(grants.values().map(|g| &g.allow));
        windows.open.insert(window.label.clone(), (info, allow));
        Ok(())
    }

    /// Takes `label` out of the app's list of windows.
    pub(crate) fn forget(&self, label: &str) {
        let mut windows = self
            .router
            .inner
            .shared
            .windows
            .write()
            .expect("windows lock");
        windows.open.remove(label);
    }

    /// The windows open now (or opening), sorted by label.
    ///
    /// ```no_run
    /// # fn f(app: rpcview::AppHandle) {
    /// for w in app.windows() {
    ///     println!("{} shows {}", w.label, w.url);
    /// }
    /// # }
    /// ```
    pub fn windows(&self) -> Vec<WindowInfo> {
        let windows = self
            .router
            .inner
            .shared
            .windows
            .read()
            .expect("windows lock");
        windows
            .open
            .values()
            .map(|(info, _)| info.clone())
            .collect()
    }

    /// Pushes events to pages.
    pub fn emitter(&self) -> Emitter {
        self.router.emitter()
    }

    /// Counters: handler runs, calls in flight, refused messages.
    pub fn stats(&self) -> &std::sync::Arc<Stats> {
        self.router.stats()
    }

    /// Ends the event loop; [`App::run`](super::App::run) returns `code` once handlers still
    /// in flight have finished.
    pub fn exit(&self, code: i32) {
        self.send(UserEvent::Exit(code));
    }

    /// Runs `js` in the page of `window` (its main world). For tours and tests.
    pub fn eval(&self, window: &str, js: &str) {
        self.send(UserEvent::Eval {
            window: window.into(),
            js: js.into(),
        });
    }

    /// Reloads the page of `window`.
    pub fn reload(&self, window: &str) {
        self.send(UserEvent::Reload(window.into()));
    }

    /// Closes `window`, from any thread: its page's calls and subscriptions are cancelled
    /// (see [`Api::runs_to_completion`](crate::Api::runs_to_completion)). Closing the last
    /// window ends the app.
    pub fn close(&self, window: &str) {
        self.send(UserEvent::Close(window.into()));
    }

    /// Saves a PNG of what `window` shows and waits for it (call it off the UI thread).
    ///
    /// # Errors
    /// The window does not exist, or WebKit or the file system failed.
    pub fn screenshot(&self, window: &str, path: impl Into<PathBuf>) -> Result<(), String> {
        let path = path.into();
        let png = self.screenshot_png(window)?;
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A PNG of what `window` shows (its whole document), once taken; call it off the UI
    /// thread.
    ///
    /// # Errors
    /// The window does not exist, or WebKit failed.
    ///
    /// ```no_run
    /// # fn f(app: rpcview::AppHandle) -> Result<(), String> {
    /// let png: Vec<u8> = app.screenshot_png("main")?;
    /// assert_eq!(&png[1..4], b"PNG");
    /// # Ok(()) }
    /// ```
    pub fn screenshot_png(&self, window: &str) -> Result<Vec<u8>, String> {
        let (done, wait) = mpsc::channel();
        self.send(UserEvent::Snapshot {
            window: window.into(),
            done,
        });
        wait.recv()
            .map_err(|_| "the app stopped before the screenshot was taken".to_string())?
    }

    /// Runs `js`, a JavaScript expression, in the page of `window` (its main world, where
    /// `window.api` is), awaits it if it is a promise, and returns its value as JSON text
    /// (`"null"` for `undefined`); call it off the UI thread. The
    /// [`testing`](crate::testing) harness's `eval` builds on it.
    ///
    /// # Errors
    /// The page threw or rejected (the message is the page's), the value does not convert
    /// to JSON, or the window does not exist.
    ///
    /// ```no_run
    /// # fn f(app: rpcview::AppHandle) -> Result<(), String> {
    /// let title = app.evaluate("main", "document.title")?;
    /// let sum = app.evaluate("main", "api.invoke('math.add', {a: 1, b: 2})")?;
    /// # Ok(()) }
    /// ```
    pub fn evaluate(&self, window: &str, js: &str) -> Result<String, String> {
        let (done, wait) = mpsc::channel();
        self.send(UserEvent::Evaluate {
            window: window.into(),
            js: js.into(),
            done,
        });
        wait.recv()
            .map_err(|_| "the app stopped before the script answered".to_string())?
    }

    /// Gives `input` to the webview of `window` as a person would, and waits until GTK took
    /// it.
    pub(crate) fn input(&self, window: &str, input: Input) -> Result<(), String> {
        let (done, wait) = mpsc::channel();
        self.send(UserEvent::Input {
            window: window.into(),
            input,
            done,
        });
        wait.recv()
            .map_err(|_| "the app stopped before the input was given".to_string())?
    }

    pub(crate) fn send(&self, event: UserEvent) {
        if self.proxy.send_event(event).is_err() {
            tracing::debug!("the event loop has ended; request dropped");
        }
    }
}
