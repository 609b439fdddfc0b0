//! Browser mode: the app's page in Chromium or Firefox, with the same `window.api`.
//!
//! [`Server`] serves an app's [`Assets`] over HTTP and its [`Api`] over a WebSocket, both on
//! one port of 127.0.0.1. Every message goes through the same [`Endpoint`](crate::Endpoint) as in a webview
//! window: the same framing, limits, allowlist (the window's capabilities, at the served
//! origin), params validation and dispatch; pushes ([`Target::All`](crate::Target), ...) reach
//! every connected page of the window; a closed socket cancels that page's calls and
//! subscriptions, as a closed window does.
//!
//! The page gets the preload as a script: every HTML document the server sends has
//! `<script src="/__rpcview/preload.js?token=…">` put first in its `<head>`, and that script
//! defines the frozen `window.api` over a WebSocket to `/__rpcview/ws?token=…`. Other JSON-RPC
//! clients connect to the same WebSocket: one JSON-RPC message (or batch) per text frame,
//! replies and pushes likewise.
//!
//! **Security.** The port is bound to 127.0.0.1 only. A random token, new each run, is in the
//! printed URL ([`Bound::url`]) and must be in the WebSocket's URL (never a cookie, so no
//! other site's page can ride on it). The WebSocket's `Origin` header must be the served
//! origin exactly (`http://127.0.0.1:PORT`, or `http://localhost:PORT`), and every request's
//! `Host` header must be `127.0.0.1:PORT` or `localhost:PORT` (DNS rebinding). A request that
//! fails a check is refused with 403 before any handler runs, and a `tracing` warning names
//! the check. HTML documents are served only with the token in their URL, so the token never
//! reaches a request that did not already carry it.
//!
//! Why not jsonrpsee's server: its model is a table of methods and subscriptions that it
//! frames and dispatches itself; rpcview's [`Endpoint`](crate::Endpoint) takes the raw text of a message or
//! batch (its own limits, ids echoed byte for byte, batch order), pushes arbitrary
//! notifications that belong to no subscription, and answers its own `$/cancelRequest`,
//! `$/ack` and `$/unsubscribe`. So the server is hyper (HTTP/1.1) and tungstenite
//! (WebSocket), carrying the endpoint's text as it is.

mod http;
mod socket;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use hyper_util::rt::{TokioIo, TokioTimer};

use crate::rpc::log::{refusal, Throttle};

use crate::rpc::capability::Grant;
use crate::rpc::{Allow, Api, BuildError, CallLog, Capability, Emitter, Router};
use crate::{Assets, Window, WindowInfo, DEFAULT_CSP};
use socket::Conn;
/// Bytes of replies and pushes that may wait for one WebSocket to read them (at least: twice
/// the largest message when that is more); past it the socket is closed.
pub const MAX_QUEUED_BYTES: usize = socket::MAX_QUEUED_BYTES;

/// The URL path of the preload script the server injects into HTML documents.
pub const PRELOAD_PATH: &str = "/__rpcview/preload.js";
/// The URL path of the WebSocket that carries JSON-RPC.
pub const WS_PATH: &str = "/__rpcview/ws";

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The API table is wrong (see [`BuildError`]).
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The port could not be bound.
    #[error("could not listen on 127.0.0.1:{port}: {source}; pick another with --port (0: any free port)")]
    Bind {
        /// The port asked for.
        port: u16,
        /// What the system said.
        source: std::io::Error,
    },
    /// Accepting connections, or the runtime, failed.
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Browser mode for an [`Api`]: its assets over HTTP and its JSON-RPC over WebSocket, on
/// 127.0.0.1 (see the [module docs](self) for the security checks).
///
/// ```no_run
/// use rpcview::serve::Server;
/// use rpcview::{Api, Assets, Ctx, RpcError, Window, Allow};
/// # /*
/// rpcview::embed!(Web, "web");
/// # */ rpcview::embed!(Web, "src/bridge/js");
/// async fn hello(_: Ctx, (name,): (String,)) -> Result<String, RpcError> { Ok(format!("hello {name}")) }
///
/// let bound = Server::new(Api::new().method("hello", hello))
///     .assets(Assets::embedded::<Web>())
///     .window(Window::new("main").allow(Allow::only(["hello"]))) // what the page may use
///     .port(0) // any free port
///     .bind()
///     .unwrap();
/// println!("open {}", bound.url()); // http://127.0.0.1:PORT/?token=…
/// bound.run().unwrap(); // serves until the process ends
/// ```
#[derive(Debug)]
pub struct Server {
    api: Api,
    assets: Option<Assets>,
    window: Window,
    capabilities: Vec<Capability>,
    port: u16,
    csp: String,
    log_calls: CallLog,
}

impl Server {
    /// A server for `api`, with no assets yet, as the window `main` on port 0 (any free port).
    pub fn new(api: Api) -> Self {
        Self {
            api,
            assets: None,
            window: Window::new("main"),
            capabilities: Vec::new(),
            port: 0,
            csp: DEFAULT_CSP.into(),
            log_calls: CallLog::Off,
        }
    }

    /// The files to serve at `/` (as [`App::assets`](crate::App::assets) serves them at
    /// `app://localhost/`).
    pub fn assets(mut self, assets: Assets) -> Self {
        self.assets = Some(assets);
        self
    }

    /// The window the browser's pages stand for: its label (pushes to it, `ctx.window()`) and
    /// its [`Window::allow`]; its URL's origin is replaced by the served one. Default:
    /// `Window::new("main")`.
    pub fn window(mut self, window: Window) -> Self {
        self.window = window;
        self
    }

    /// Adds a [`Capability`], as [`App::capability`](crate::App::capability) does; the served
    /// origin is the window's own origin.
    pub fn capability(mut self, capability: Capability) -> Self {
        self.capabilities.push(capability);
        self
    }

    /// The port on 127.0.0.1; 0 (the default) takes any free one ([`Bound::port`] tells).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Logs one line per call a page makes, as [`App::log_calls`](crate::App::log_calls) does
    /// (target `rpcview::calls`; the window is the server's window). Default: off.
    ///
    /// ```
    /// use rpcview::serve::Server;
    /// use rpcview::{Api, CallLog};
    /// let server = Server::new(Api::new()).log_calls(CallLog::Calls);
    /// # let _ = server;
    /// ```
    pub fn log_calls(mut self, log: CallLog) -> Self {
        self.log_calls = log;
        self
    }

    /// Replaces the Content-Security-Policy sent with every asset. Default: [`DEFAULT_CSP`],
    /// whose `connect-src` the server widens to its own WebSocket.
    pub fn content_security_policy(mut self, csp: &str) -> Self {
        self.csp = csp.into();
        self
    }

    /// Builds the API and binds the port (127.0.0.1 only); nothing is served until
    /// [`Bound::run`] or [`Bound::serve`].
    ///
    /// # Errors
    /// The API is wrong, or the port is taken.
    pub fn bind(self) -> Result<Bound, ServeError> {
        let router = self.api.build()?;
        let log = self.log_calls;
        if log != CallLog::Off {
            router.set_call_hook(Arc::new(move |r| log.log(r)));
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, self.port)).map_err(|source| {
            ServeError::Bind {
                port: self.port,
                source,
            }
        })?;
        let port = listener.local_addr()?.port();
        let token = new_token()?;
        let origins = [
            format!("http://127.0.0.1:{port}"),
            format!("http://localhost:{port}"),
        ];
        let grants = origins
            .iter()
            .filter_map(|origin| {
                let window = self.window.clone().url(&format!("{origin}/"));
                window
                    .grants(&self.capabilities)
                    .remove(origin)
                    .map(|g| (origin.clone(), g))
            })
            .collect::<HashMap<_, _>>();
        if grants.is_empty() {
            tracing::warn!(window = %self.window.label, "no capability names this window: served pages have no API; add one with Server::capability");
        }
        let label = self.window.label.clone();
        {
            let allow = Allow::union(grants.values().map(|g| &g.allow));
            let info = WindowInfo {
                label: label.clone(),
                origin: origins[0].clone(),
                url: format!("{}/", origins[0]),
            };
            let mut windows = router.inner.shared.windows.write().expect("windows lock");
            windows.open.insert(label.clone(), (info, allow));
        }
        let ws_sources = origins
            .iter()
            .map(|o| o.replacen("http://", "ws://", 1))
            .collect::<Vec<_>>()
            .join(" ");
        let csp = self.csp.replacen(
            "connect-src 'self'",
            &format!("connect-src 'self' {ws_sources}"),
            1,
        );
        let inner = Arc::new(Inner {
            router,
            assets: self.assets.unwrap_or_else(|| Assets::from_fn(|_| None)),
            label,
            grants,
            origins,
            hosts: [format!("127.0.0.1:{port}"), format!("localhost:{port}")],
            token,
            csp,
            conns: Mutex::default(),
            next: AtomicU64::new(0),
        });
        let sink = Arc::downgrade(&inner);
        inner
            .router
            .emitter()
            .set_sink(Arc::new(move |labels, event: &str, text| {
                if let Some(inner) = sink.upgrade() {
                    inner.push(&labels, event, &text);
                }
            }));
        Ok(Bound { inner, listener })
    }
}

/// A [`Server`] bound to its port, ready to serve.
#[derive(Debug)]
pub struct Bound {
    inner: Arc<Inner>,
    listener: TcpListener,
}

impl Bound {
    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The run's token, required on the WebSocket.
    pub fn token(&self) -> &str {
        &self.inner.token
    }

    /// The URL to open in a browser: `http://127.0.0.1:PORT/?token=…`.
    pub fn url(&self) -> String {
        format!("{}/?token={}", self.inner.origins[0], self.inner.token)
    }

    /// The served origin, `http://127.0.0.1:PORT`: what a WebSocket client sends as `Origin`.
    pub fn origin(&self) -> &str {
        &self.inner.origins[0]
    }

    /// The WebSocket URL for any JSON-RPC client: `ws://127.0.0.1:PORT/__rpcview/ws?token=…`.
    pub fn ws_url(&self) -> String {
        format!(
            "ws://127.0.0.1:{}{WS_PATH}?token={}",
            self.port(),
            self.inner.token
        )
    }

    /// The router: its [`Stats`](crate::Stats), limits and names.
    pub fn router(&self) -> &Router {
        &self.inner.router
    }

    /// Pushes events to connected pages, from any thread (a file watcher, a timer).
    pub fn emitter(&self) -> Emitter {
        self.inner.router.emitter()
    }

    /// Serves until this future is dropped (or accepting fails). Must run inside a tokio
    /// runtime, which also runs the handlers.
    ///
    /// # Errors
    /// Accepting a connection failed.
    pub async fn serve(self) -> Result<(), ServeError> {
        self.listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(self.listener)?;
        tracing::info!(origin = %self.inner.origins[0], "browser mode: serving the app and its API over WebSocket");
        // At most MAX_CONNECTIONS at once: past that, accepting waits for one to end (the
        // kernel's backlog holds the rest), so idle sockets cannot exhaust descriptors.
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        loop {
            let slot = slots
                .clone()
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) if is_transient(&e) => {
                    // Out of descriptors or a reset: wait a little instead of spinning (and
                    // logging) on an error that will be there again at once.
                    static THROTTLE: Throttle = Throttle::new();
                    refusal!(THROTTLE, "accept failed, retrying in 50 ms: {e}");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let inner = self.inner.clone();
            tokio::spawn(async move {
                let _slot = slot;
                let service = hyper::service::service_fn(move |req| {
                    let inner = inner.clone();
                    async move { Ok::<_, Infallible>(inner.respond(req, peer)) }
                });
                // A client gets HEADER_TIMEOUT to send a request's head (hyper's timeout
                // needs its timer set; without it a silent socket was held forever).
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .max_buf_size(MAX_HEAD_BYTES)
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades();
                if let Err(e) = conn.await {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
            });
        }
    }

    /// [`serve`](Self::serve) on a tokio runtime of its own; blocks until serving fails or
    /// the process ends.
    ///
    /// # Errors
    /// The runtime did not start, or accepting a connection failed.
    pub fn run(self) -> Result<(), ServeError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .thread_name("rpcview-serve")
            .enable_all()
            .build()?;
        rt.block_on(self.serve())
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e.raw_os_error() == Some(24) // EMFILE: too many open files, for now
}

/// Connections served at once; more wait in the kernel's backlog until one ends.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a client has to send a request's head before its connection is closed.
pub const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The largest request head read (hyper's read buffer).
const MAX_HEAD_BYTES: usize = 64 << 10;
/// How long accepting waits after a failure (out of file descriptors, say).
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// 32 random bytes from the OS, in hex.
fn new_token() -> Result<String, std::io::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

struct Inner {
    router: Router,
    assets: Assets,
    label: String,
    /// What pages at each served origin may use.
    grants: HashMap<String, Grant>,
    /// `http://127.0.0.1:PORT` and `http://localhost:PORT`.
    origins: [String; 2],
    /// `127.0.0.1:PORT` and `localhost:PORT`.
    hosts: [String; 2],
    token: String,
    csp: String,
    conns: Mutex<HashMap<u64, Conn>>,
    next: AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("label", &self.label)
            .field("origins", &self.origins)
            .finish_non_exhaustive()
    }
}
