//! Windows: the [`App`] builder, its event loop, and the assets each page is served from.
//!
//! The UI thread owns every window and webview; handlers run on a tokio runtime and hand
//! their replies back through the event loop, which delivers all replies that are ready for a
//! window in one script per loop turn.

mod assets;
mod handle;
mod window;

pub use assets::{Assets, DEFAULT_CSP};
pub use handle::AppHandle;
pub use window::Window;

use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tao::dpi::LogicalSize;
use tao::event::{Event, WindowEvent};
use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use wry::{PageLoadEvent, WebViewBuilder, WebViewBuilderExtUnix, WebViewExtUnix};

use crate::bridge::{self, PreloadConfig};
use crate::rpc::{Api, BuildError, CallSite, Endpoint, Router, Target};
use handle::UserEvent;

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
    /// The window or webview could not be created.
    #[error("window '{label}' could not be created: {reason}")]
    Window {
        /// The window.
        label: String,
        /// What failed.
        reason: String,
    },
}

type Setup = Box<dyn FnOnce(AppHandle) + Send>;

/// A desktop app: an [`Api`], windows, and where their pages come from.
///
/// # Example
/// ```no_run
/// use rpcview::{Api, App, Ctx, RpcError, app::Window};
/// async fn hello(_: Ctx, (name,): (String,)) -> Result<String, RpcError> { Ok(format!("hello {name}")) }
/// let code = App::new(Api::new().method("hello", hello))
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
}

impl App {
    /// An app serving `api`, with the embedded demo at `app://localhost/` and no window yet.
    pub fn new(api: Api) -> Self {
        Self {
            api,
            windows: Vec::new(),
            schemes: vec![("app".into(), Assets::Embedded)],
            csp: DEFAULT_CSP.into(),
            setup: Vec::new(),
        }
    }

    /// Adds a window, opened when the app runs.
    pub fn window(mut self, window: Window) -> Self {
        self.windows.push(window);
        self
    }

    /// Serves `assets` at `scheme://localhost/` (`"app"` replaces the embedded demo).
    pub fn serve(mut self, scheme: &str, assets: Assets) -> Self {
        self.schemes.retain(|(s, _)| s != scheme);
        self.schemes.push((scheme.into(), assets));
        self
    }

    /// Replaces the Content-Security-Policy sent with every asset. Default: [`DEFAULT_CSP`].
    pub fn content_security_policy(mut self, csp: &str) -> Self {
        self.csp = csp.into();
        self
    }

    /// Runs `f` with a handle once the windows exist (start a watcher, drive a tour).
    pub fn setup(mut self, f: impl FnOnce(AppHandle) + Send + 'static) -> Self {
        self.setup.push(Box::new(f));
        self
    }

    /// Opens the windows and runs until [`AppHandle::exit`] or the last window closes.
    /// Returns the exit code, after handlers still in flight have finished (up to 10 s).
    ///
    /// # Errors
    /// The API or window list is wrong, or the window system did not start.
    pub fn run(self) -> Result<i32, AppError> {
        let router = self.api.build()?;
        if self.windows.is_empty() {
            return Err(AppError::NoWindow);
        }
        for (i, w) in self.windows.iter().enumerate() {
            if self.windows[..i].iter().any(|o| o.label == w.label) {
                return Err(AppError::DuplicateWindow(w.label.clone()));
            }
        }
        gtk::init().map_err(|e| AppError::Display(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rpcview-handler")
            .enable_all()
            .build()
            .map_err(|e| AppError::Display(format!("tokio runtime: {e}")))?;

        let mut event_loop = EventLoopBuilder::<UserEvent>::with_user_event().build();
        let handle = AppHandle {
            proxy: event_loop.create_proxy(),
            router: router.clone(),
        };
        {
            let proxy = handle.proxy.clone();
            router
                .emitter()
                .set_sink(Arc::new(move |target, event, text| {
                    let _ = proxy.send_event(UserEvent::Push {
                        target,
                        event: event.to_owned(),
                        text,
                    });
                }));
        }
        let schemes = Arc::new(self.schemes);
        let csp: Arc<str> = self.csp.into();

        let mut live: HashMap<String, Live> = HashMap::new();
        for spec in &self.windows {
            let w = open(
                &event_loop,
                spec,
                &router,
                &schemes,
                &csp,
                &handle,
                runtime.handle(),
            )?;
            live.insert(spec.label.clone(), w);
        }
        for f in self.setup {
            let h = handle.clone();
            std::thread::spawn(move || f(h));
        }

        let mut code = 0;
        event_loop.run_return(|event, _target, flow| {
            *flow = ControlFlow::Wait;
            match event {
                Event::UserEvent(UserEvent::Deliver { window, generation, nonce, text }) => {
                    match live.get_mut(&window) {
                        Some(w) if w.generation.get() == generation => w.outbox.push((nonce, text)),
                        _ => {
                            router.stats().count_dropped();
                            tracing::debug!(%window, "reply dropped: its page reloaded or its window closed");
                        }
                    }
                }
                Event::UserEvent(UserEvent::Push { target, event, text }) => {
                    for w in live.values_mut() {
                        let to_it = match &target {
                            Target::All => true,
                            Target::Window(l) => *l == w.label,
                        };
                        if to_it && w.endpoint.allow().permits(&event) {
                            w.outbox.push(("*".into(), text.clone()));
                        }
                    }
                }
                Event::UserEvent(UserEvent::Eval { window, js }) => {
                    if let Some(w) = live.get(&window) {
                        let _ = w.webview.evaluate_script(&js);
                    }
                }
                Event::UserEvent(UserEvent::Reload(window)) => {
                    if let Some(w) = live.get(&window) {
                        let _ = w.webview.reload();
                    }
                }
                Event::UserEvent(UserEvent::Screenshot { window, path, done }) => match live.get(&window) {
                    Some(w) => bridge::webkitgtk::snapshot(&w.webview.webview(), path, move |r| {
                        let _ = done.send(r);
                    }),
                    None => {
                        let _ = done.send(Err(format!("no window labelled '{window}'")));
                    }
                },
                Event::UserEvent(UserEvent::Close(window)) => {
                    live.remove(&window);
                    if live.is_empty() {
                        *flow = ControlFlow::Exit;
                    }
                }
                Event::UserEvent(UserEvent::Exit(c)) => {
                    code = c;
                    *flow = ControlFlow::Exit;
                }
                Event::WindowEvent { window_id, event: WindowEvent::CloseRequested, .. } => {
                    live.retain(|_, w| w.window.id() != window_id);
                    if live.is_empty() {
                        *flow = ControlFlow::Exit;
                    }
                }
                Event::MainEventsCleared => {
                    for w in live.values_mut() {
                        w.flush();
                    }
                }
                _ => {}
            }
        });
        drop(live);
        let deadline = Instant::now() + Duration::from_secs(10);
        while router.stats().in_flight() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        runtime.shutdown_timeout(Duration::from_secs(1));
        Ok(code)
    }
}

/// One open window on the UI thread.
struct Live {
    label: String,
    window: tao::window::Window,
    webview: wry::WebView,
    endpoint: Endpoint,
    /// Bumped when the page starts loading anew; replies to older pages are dropped.
    generation: Rc<Cell<u64>>,
    /// Replies and pushes waiting for the end of this loop turn: `(nonce, text)`.
    outbox: Vec<(String, String)>,
}

impl Live {
    /// Delivers everything waiting, one script per page nonce.
    fn flush(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        let mut by_nonce: Vec<(String, Vec<String>)> = Vec::new();
        for (nonce, text) in self.outbox.drain(..) {
            match by_nonce.iter_mut().find(|(n, _)| *n == nonce) {
                Some((_, texts)) => texts.push(text),
                None => by_nonce.push((nonce, vec![text])),
            }
        }
        let wv = self.webview.webview();
        for (nonce, texts) in by_nonce {
            bridge::webkitgtk::deliver(&wv, &bridge::delivery(&nonce, &texts));
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn open(
    event_loop: &tao::event_loop::EventLoop<UserEvent>,
    spec: &Window,
    router: &Router,
    schemes: &Arc<Vec<(String, Assets)>>,
    csp: &Arc<str>,
    handle: &AppHandle,
    rt: &tokio::runtime::Handle,
) -> Result<Live, AppError> {
    let fail = |reason: String| AppError::Window {
        label: spec.label.clone(),
        reason,
    };
    let origin = spec.origin();
    let window = WindowBuilder::new()
        .with_title(&spec.title)
        .with_inner_size(LogicalSize::new(spec.size.0, spec.size.1))
        .build(event_loop)
        .map_err(|e| fail(e.to_string()))?;

    let (methods, notifications, events) = router.allowed_names(&spec.allow);
    let preload = PreloadConfig {
        origin: origin.clone(),
        bridge: Default::default(),
        max_message_bytes: router.limits().max_message_bytes,
        methods: methods.into_iter().collect(),
        notifications: notifications.into_iter().collect(),
        events: events.into_iter().collect(),
    };

    let generation = Rc::new(Cell::new(0u64));
    let mut builder = WebViewBuilder::new()
        .with_initialization_script_for_main_only(preload.script(), true)
        .with_devtools(cfg!(debug_assertions));
    for (scheme, assets) in schemes.iter() {
        let (assets, csp) = (assets.clone(), csp.clone());
        builder =
            builder.with_custom_protocol(scheme.clone(), move |_, req| assets.respond(&req, &csp));
    }
    let nav_spec = spec.clone();
    builder = builder
        .with_navigation_handler(move |url| {
            let ok = nav_spec.may_navigate(&url);
            if !ok {
                tracing::warn!(window = %nav_spec.label, %url, "navigation refused: not the window's origin; allow it with Window::allow_navigation");
            }
            ok
        })
        .with_new_window_req_handler(|url, _| {
            tracing::warn!(%url, "new window refused");
            wry::NewWindowResponse::Deny
        });
    {
        let generation = generation.clone();
        builder = builder.with_on_page_load_handler(move |event, _url| {
            if let PageLoadEvent::Started = event {
                generation.set(generation.get() + 1);
            }
        });
    }
    let vbox = window
        .default_vbox()
        .ok_or_else(|| fail("tao gave no GTK container".into()))?;
    let webview = builder.build_gtk(vbox).map_err(|e| fail(e.to_string()))?;

    let endpoint = router.endpoint(CallSite::new(&spec.label, &origin), spec.allow.clone());
    {
        let (endpoint, generation, rt, proxy) = (
            endpoint.clone(),
            generation.clone(),
            rt.clone(),
            handle.proxy.clone(),
        );
        let (label, origin) = (spec.label.clone(), origin.clone());
        bridge::webkitgtk::attach(&webview.webview(), &origin.clone(), move |stamped| {
            let max = endpoint.router().limits().max_handoff_bytes();
            let (nonce, messages) = match bridge::check(&stamped, &origin, max) {
                Ok(ok) => ok,
                Err(refusal) => {
                    endpoint.router().stats().count_refusal();
                    tracing::warn!(window = %label, "refused: {refusal}");
                    return;
                }
            };
            let generation = generation.get();
            for message in messages {
                let (endpoint, proxy, label, nonce) = (
                    endpoint.clone(),
                    proxy.clone(),
                    label.clone(),
                    nonce.clone(),
                );
                rt.spawn(async move {
                    if let Some(text) = endpoint.handle(&message).await {
                        let _ = proxy.send_event(UserEvent::Deliver {
                            window: label,
                            generation,
                            nonce,
                            text,
                        });
                    }
                });
            }
        });
    }
    webview
        .load_url(&spec.url)
        .map_err(|e| fail(e.to_string()))?;
    Ok(Live {
        label: spec.label.clone(),
        window,
        webview,
        endpoint,
        generation,
        outbox: Vec::new(),
    })
}
