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
    /// A reply for the page `nonce` in `window`, from calls received in `generation` (`None`:
    /// subscription traffic, for whichever page has that nonce).
    Deliver {
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
    Eval {
        window: String,
        js: String,
    },
    Reload(String),
    Open(Box<Window>),
    /// The web process of `window` is gone.
    Gone {
        window: String,
        reason: super::GoneReason,
    },
    /// Time to probe every page's responsiveness.
    Tick,
    Close(String),
    Screenshot {
        window: String,
        path: PathBuf,
        done: mpsc::Sender<Result<(), String>>,
    },
    Exit(i32),
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
        let (done, wait) = mpsc::channel();
        self.send(UserEvent::Screenshot {
            window: window.into(),
            path: path.into(),
            done,
        });
        wait.recv()
            .map_err(|_| "the app stopped before the screenshot was taken".to_string())?
    }

    pub(crate) fn send(&self, event: UserEvent) {
        if self.proxy.send_event(event).is_err() {
            tracing::debug!("the event loop has ended; request dropped");
        }
    }
}
