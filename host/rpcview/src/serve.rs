//! Browser mode: the app's page in Chromium or Firefox, with the same `window.api`.
//!
//! [`Server`] serves an app's [`Assets`] over HTTP and its [`Api`] over a WebSocket, both on
//! one port of 127.0.0.1. Every message goes through the same [`Endpoint`] as in a webview
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
//! frames and dispatches itself; rpcview's [`Endpoint`] takes the raw text of a message or
//! batch (its own limits, ids echoed byte for byte, batch order), pushes arbitrary
//! notifications that belong to no subscription, and answers its own `$/cancelRequest`,
//! `$/ack` and `$/unsubscribe`. So the server is hyper (HTTP/1.1) and tungstenite
//! (WebSocket), carrying the endpoint's text as it is.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::bridge::{PageNames, PreloadConfig};
use crate::rpc::capability::Grant;
use crate::rpc::{
    Allow, Api, BuildError, CallLog, CallSite, Capability, Emitter, Endpoint, Router,
};
use crate::{Assets, Window, WindowInfo, DEFAULT_CSP};

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
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) if is_transient(&e) => {
                    tracing::warn!("accept failed, going on: {e}");
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let inner = self.inner.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let inner = inner.clone();
                    async move { Ok::<_, Infallible>(inner.respond(req, peer)) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
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

/// 32 random bytes from the OS, in hex.
fn new_token() -> Result<String, std::io::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// One connected page (a WebSocket): where its messages go, and what it may receive.
struct Conn {
    tx: tokio::sync::mpsc::UnboundedSender<String>,
    allow: Allow,
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

type Reply = Response<Full<Bytes>>;

/// The `token` parameter of a query string.
fn token_of(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v)
}

/// Compares in time independent of where the first difference is.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn text(status: StatusCode, body: String) -> Reply {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("a plain response builds")
}

impl Inner {
    /// Answers one HTTP request: the WebSocket, the preload, or an asset.
    fn respond(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Reply {
        let path = req.uri().path().to_owned();
        let header_of = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("(not text)").to_owned())
        };
        let host = header_of(header::HOST);
        if !host
            .as_deref()
            .is_some_and(|h| self.hosts.iter().any(|ok| ok == h))
        {
            let host = host.as_deref().unwrap_or("(none)");
            tracing::warn!(check = "host", %peer, %path, host, "refused: the Host header is not {} or {} (a DNS-rebinding page?)", self.hosts[0], self.hosts[1]);
            return text(
                StatusCode::FORBIDDEN,
                format!("refused: Host '{host}' is not this server"),
            );
        }
        let host = host.expect("checked above");
        if path == WS_PATH {
            return self.upgrade(req, peer);
        }
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return text(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET and HEAD are served".into(),
            );
        }
        let token_ok = token_of(req.uri().query()).is_some_and(|t| same(t, &self.token));
        if path == PRELOAD_PATH {
            if !token_ok {
                tracing::warn!(check = "token", %peer, %path, "refused: the preload is served only with the run's token");
                return text(StatusCode::FORBIDDEN, "refused: no valid token".into());
            }
            return self.preload(&host);
        }
        self.asset(&path, token_ok, peer)
    }

    /// The preload, configured for the page at `http://{host}`.
    fn preload(&self, host: &str) -> Reply {
        let origin = format!("http://{host}");
        let pages = self
            .grants
            .get(&origin)
            .map(|g| {
                let names = self.router.allowed_names(&g.allow);
                let page = PageNames {
                    methods: names.methods.into_iter().collect(),
                    notifications: names.notifications.into_iter().collect(),
                    events: names.events.into_iter().collect(),
                    subscriptions: names.subscriptions.into_iter().collect(),
                };
                (origin.clone(), page)
            })
            .into_iter()
            .collect();
        let config = PreloadConfig {
            pages,
            bridge: Default::default(),
            codes: Default::default(),
            max_message_bytes: self.router.limits().max_message_bytes,
            max_depth: self.router.limits().max_depth,
            console: Vec::new(),
            websocket: Some(format!("ws://{host}{WS_PATH}?token={}", self.token)),
        };
        Response::builder()
            .header(header::CONTENT_TYPE, "text/javascript; charset=utf-8")
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CACHE_CONTROL, "no-store")
            .body(Full::new(Bytes::from(config.script())))
            .expect("a script response builds")
    }

    /// A file of the app; an HTML document only with the token, and with the preload first.
    fn asset(&self, path: &str, token_ok: bool, peer: SocketAddr) -> Reply {
        let decoded = crate::app::percent_decode(path);
        let Some(body) = self.assets.read(&decoded) else {
            tracing::warn!(path = %decoded, "asset not found (404)");
            return text(StatusCode::NOT_FOUND, format!("not found: {decoded}"));
        };
        let html =
            decoded.ends_with('/') || decoded.ends_with(".html") || decoded.ends_with(".htm");
        let (mime, body) = if html {
            if !token_ok {
                tracing::warn!(check = "token", %peer, path = %decoded, "refused: HTML documents are served only with the run's token (open the URL the server printed)");
                return text(
                    StatusCode::FORBIDDEN,
                    "refused: open the URL the server printed (it carries ?token=…)".into(),
                );
            }
            let tag = format!(
                r#"<script src="{PRELOAD_PATH}?token={}"></script>"#,
                self.token
            );
            let page = String::from_utf8_lossy(&body);
            (
                "text/html; charset=utf-8".to_owned(),
                Bytes::from(inject(&page, &tag)),
            )
        } else {
            let mime = crate::app::mime_of(&decoded);
            (mime, Bytes::from(body.into_owned()))
        };
        Response::builder()
            .header(header::CONTENT_TYPE, mime)
            .header(header::CONTENT_SECURITY_POLICY, &self.csp)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CACHE_CONTROL, "no-cache")
            .header("Referrer-Policy", "no-referrer")
            .body(Full::new(body))
            .expect("an asset response builds")
    }

    /// Checks Origin and token, then upgrades to a WebSocket whose messages go to a new
    /// endpoint for this page.
    fn upgrade(self: Arc<Self>, mut req: Request<Incoming>, peer: SocketAddr) -> Reply {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or("(not text)").to_owned());
        let Some(origin) = origin.filter(|o| self.origins.iter().any(|ok| ok == o)) else {
            let got = req
                .headers()
                .get(header::ORIGIN)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_else(|| "(none)".into());
            tracing::warn!(check = "origin", %peer, origin = %got, "refused a WebSocket: its Origin is not the served origin {} (a page of another site?)", self.origins[0]);
            return text(
                StatusCode::FORBIDDEN,
                format!("refused: Origin '{got}' is not this server's"),
            );
        };
        match token_of(req.uri().query()) {
            None => {
                tracing::warn!(check = "token", %peer, "refused a WebSocket: no token in its URL (?token=… from the URL the server printed)");
                return text(StatusCode::FORBIDDEN, "refused: no token".into());
            }
            Some(t) if !same(t, &self.token) => {
                tracing::warn!(check = "token", %peer, "refused a WebSocket: wrong token");
                return text(StatusCode::FORBIDDEN, "refused: wrong token".into());
            }
            Some(_) => {}
        }
        let Some(grant) = self.grants.get(&origin).cloned() else {
            tracing::warn!(check = "capability", %peer, %origin, window = %self.label, "refused a WebSocket: no capability grants this window an API at its origin");
            return text(
                StatusCode::FORBIDDEN,
                "refused: no API for this page".into(),
            );
        };
        let headers = req.headers();
        let is_upgrade = headers
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
        let key = headers.get(header::SEC_WEBSOCKET_KEY).cloned();
        let version_ok =
            headers.get(header::SEC_WEBSOCKET_VERSION) == Some(&HeaderValue::from_static("13"));
        let (true, Some(key), true) = (is_upgrade, key, version_ok) else {
            return text(
                StatusCode::BAD_REQUEST,
                "a WebSocket (version 13) upgrade is expected here".into(),
            );
        };
        let accept = derive_accept_key(key.as_bytes());
        let upgrading = hyper::upgrade::on(&mut req);
        tokio::spawn(async move {
            match upgrading.await {
                Ok(upgraded) => {
                    let max = self.router.limits().max_message_bytes;
                    let config = WebSocketConfig::default()
                        .max_message_size(Some(max.saturating_add(1 << 20)))
                        .max_frame_size(Some(max.saturating_add(1 << 20)));
                    let ws = WebSocketStream::from_raw_socket(
                        TokioIo::new(upgraded),
                        Role::Server,
                        Some(config),
                    )
                    .await;
                    self.page(ws, origin, grant, peer).await;
                }
                Err(e) => tracing::debug!(%peer, "WebSocket upgrade failed: {e}"),
            }
        });
        Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "Upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_ACCEPT, accept)
            .body(Full::new(Bytes::new()))
            .expect("an upgrade response builds")
    }

    /// One page's socket, until it closes: each text frame is answered on its own task by the
    /// page's endpoint; replies, subscription traffic and pushes go out in order.
    async fn page<S>(
        self: Arc<Self>,
        ws: WebSocketStream<S>,
        origin: String,
        grant: Grant,
        peer: SocketAddr,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let scope: Arc<str> = format!("ws-{id}").into();
        let url: Arc<str> = format!("{origin}/").into();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let outbox = tx.clone();
        let endpoint = Endpoint::new(
            &self.router,
            CallSite::new(&self.label, &origin),
            grant.allow.clone(),
        )
        .with_capabilities(grant.capabilities)
        .with_outbox(move |_scope, text| {
            let _ = outbox.send(text);
        });
        self.conns.lock().expect("connections lock").insert(
            id,
            Conn {
                tx: tx.clone(),
                allow: grant.allow,
            },
        );
        tracing::info!(window = %self.label, %origin, %peer, page = id, "page connected");
        let (mut sink, mut stream) = ws.split();
        let writer = tokio::spawn(async move {
            while let Some(text) = rx.recv().await {
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
        });
        while let Some(frame) = stream.next().await {
            let text = match frame {
                Ok(Message::Text(t)) => t.as_str().to_owned(),
                Ok(Message::Binary(b)) => String::from_utf8_lossy(&b).into_owned(),
                Ok(Message::Close(_)) => break,
                Ok(_) => continue, // ping and pong: tungstenite answers pings itself
                Err(e) => {
                    tracing::debug!(page = id, "socket error: {e}");
                    break;
                }
            };
            let (endpoint, tx, scope, url) =
                (endpoint.clone(), tx.clone(), scope.clone(), url.clone());
            tokio::spawn(async move {
                if let Some(reply) = endpoint.handle_page(&scope, &url, &text).await {
                    let _ = tx.send(reply);
                }
            });
        }
        self.conns.lock().expect("connections lock").remove(&id);
        let cancelled = endpoint.cancel_running();
        writer.abort();
        tracing::info!(window = %self.label, page = id, cancelled, "page disconnected: its calls and subscriptions were cancelled");
    }

    /// Hands a push to every connected page of the window that may receive it.
    fn push(&self, labels: &[String], event: &str, text: &str) {
        if !labels.contains(&self.label) {
            return;
        }
        for conn in self.conns.lock().expect("connections lock").values() {
            if conn.allow.permits(event) {
                let _ = conn.tx.send(text.to_owned());
            }
        }
    }
}

/// `page` with `tag` first in its `<head>` (after the doctype when it has none), so the
/// preload runs before any of the page's scripts.
fn inject(page: &str, tag: &str) -> String {
    let lower = page.to_ascii_lowercase();
    let at = match lower.find("<head") {
        Some(i) => lower[i..].find('>').map(|j| i + j + 1),
        None => lower
            .find("<!doctype")
            .and_then(|i| lower[i..].find('>').map(|j| i + j + 1)),
    }
    .unwrap_or(0);
    format!("{}{tag}{}", &page[..at], &page[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preload_goes_first_in_the_head() {
        let tag = "<script src=x></script>";
        assert_eq!(
            inject("<!doctype html><html><HEAD lang=en><script src=app.js></script>", tag),
            "<!doctype html><html><HEAD lang=en><script src=x></script><script src=app.js></script>"
        );
        assert_eq!(
            inject("<!doctype html><p>hi", tag),
            "<!doctype html><script src=x></script><p>hi"
        );
        assert_eq!(inject("<p>hi", tag), "<script src=x></script><p>hi");
    }

    #[test]
    fn tokens_are_read_from_the_query_and_compared_whole() {
        assert_eq!(token_of(Some("tour&token=abc")), Some("abc"));
        assert_eq!(token_of(Some("token")), None);
        assert_eq!(token_of(None), None);
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "ab"));
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
