//! Browser mode's WebSocket: the Origin and token checks, the upgrade, one endpoint per
//! connected page, and pushes to every page of the window.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::http::{same, text, token_of, Reply};
use super::Inner;
use crate::rpc::capability::Grant;
use crate::rpc::{Allow, CallSite, Endpoint};

/// Bytes of replies and pushes that may wait for one socket to read them (at least; twice
/// the largest message when that is more).
pub(super) const MAX_QUEUED_BYTES: usize = 64 << 20;

/// One connected page (a WebSocket): where its messages go, and what it may receive.
pub(super) struct Conn {
    tx: Outbox,
    allow: Allow,
}

/// What waits to be written to one socket, bounded in bytes: a client that sends and never
/// reads would otherwise have its replies pile up in the host's memory. Past the bound the
/// connection is closed (its calls and subscriptions cancelled, as on any close).
#[derive(Clone)]
struct Outbox {
    tx: tokio::sync::mpsc::UnboundedSender<String>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    overflow: Arc<tokio::sync::Notify>,
}

impl Outbox {
    /// Queues `text`, or closes the connection if it would pass the bound.
    fn send(&self, text: String) {
        let len = text.len();
        if self.queued.fetch_add(len, Ordering::SeqCst) + len > self.limit {
            self.queued.fetch_sub(len, Ordering::SeqCst);
            self.overflow.notify_one();
            return;
        }
        if self.tx.send(text).is_err() {
            self.queued.fetch_sub(len, Ordering::SeqCst);
        }
    }
}

impl Inner {
    /// Checks Origin and token, then upgrades to a WebSocket whose messages go to a new
    /// endpoint for this page.
    pub(super) fn upgrade(self: Arc<Self>, mut req: Request<Incoming>, peer: SocketAddr) -> Reply {
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
        let limit = self
            .router
            .limits()
            .max_message_bytes
            .saturating_mul(2)
            .max(MAX_QUEUED_BYTES);
        let tx = Outbox {
            tx,
            queued: Arc::default(),
            limit,
            overflow: Arc::default(),
        };
        let (queued, overflow) = (tx.queued.clone(), tx.overflow.clone());
        let outbox = tx.clone();
        let endpoint = Endpoint::new(
            &self.router,
            CallSite::new(&self.label, &origin),
            grant.allow.clone(),
        )
        .with_capabilities(grant.capabilities)
        .with_outbox(move |_scope, text| outbox.send(text));
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
                let len = text.len();
                let sent = sink.send(Message::text(text)).await;
                queued.fetch_sub(len, Ordering::SeqCst);
                if sent.is_err() {
                    break;
                }
            }
        });
        loop {
            let frame = tokio::select! {
                frame = stream.next() => frame,
                () = overflow.notified() => {
                    tracing::warn!(window = %self.label, page = id, limit, "closed a page's socket: more than {limit} bytes of replies waited for it to read");
                    break;
                }
            };
            let Some(frame) = frame else { break };
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
                    tx.send(reply);
                }
            });
        }
        self.conns.lock().expect("connections lock").remove(&id);
        let cancelled = endpoint.cancel_running();
        writer.abort();
        tracing::info!(window = %self.label, page = id, cancelled, "page disconnected: its calls and subscriptions were cancelled");
    }

    /// Hands a push to every connected page of the window that may receive it.
    pub(super) fn push(&self, labels: &[String], event: &str, text: &str) {
        if !labels.contains(&self.label) {
            return;
        }
        for conn in self.conns.lock().expect("connections lock").values() {
            if conn.allow.permits(event) {
                conn.tx.send(text.to_owned());
            }
        }
    }
}
