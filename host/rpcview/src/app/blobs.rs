//! The second channel between a page and the host: binary payloads and large messages as
//! HTTP bodies on the app's own custom protocol, at `/__rpcview/blob/ID` of the page's origin.
//!
//! The page `POST`s what it sends (the bytes of a `Uint8Array` param, or a hand-off of calls
//! too large to pass as a string) under a fresh random id before it sends the message that
//! names it, and `GET`s what a reply or delivery names. Each payload belongs to the window
//! whose webview made the request (wry tells the handler which one) and is taken once; the
//! store bounds what waits and drops what nobody fetched (see [`Blobs`]).

use std::borrow::Cow;
use std::sync::Arc;

use wry::http::{header, Method, Request, Response, StatusCode};

use super::scheme::{text, Body};
use crate::rpc::log::{refusal, Throttle};
use crate::rpc::{BlobError, Blobs, Stats};

/// Where the page reaches the store, under its own origin.
pub(crate) const BLOB_PATH: &str = "/__rpcview/blob/";
/// The request header that carries the window's blob key: only the preload knows it, so only
/// the preload reaches the store (not another frame, not a page script's own `fetch`).
pub(crate) const KEY_HEADER: &str = "x-rpcview-blob-key";

/// One window's way into the store: its label (the owner of what it stores) and its key.
#[derive(Clone, Debug)]
pub(crate) struct Channel {
    pub(crate) owner: Arc<str>,
    key: Arc<str>,
}

impl Channel {
    /// A channel for the window `owner`, with a fresh key of 128 random bits from the OS.
    pub(crate) fn new(owner: &str) -> Self {
        Self {
            owner: owner.into(),
            key: crate::rpc::fresh_id().into(),
        }
    }

    /// The key the window's preload sends with each request (in its config).
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Whether `request` carries this window's key (compared in constant time).
    fn keyed<B>(&self, request: &Request<B>) -> bool {
        request
            .headers()
            .get(KEY_HEADER)
            .is_some_and(|v| same(v.as_bytes(), self.key.as_bytes()))
    }

    /// Whether the body of `head` is read: only for an upload with this window's key, and at
    /// most as much as the store has room for. A request without the key costs a refusal.
    pub(crate) fn body(&self, blobs: &Blobs, head: &Request<()>) -> Body {
        if is_blob(head) && head.method() == Method::POST && self.keyed(head) {
            Body::Read(blobs.room())
        } else {
            Body::Ignore
        }
    }
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// Whether `request` is for the blob channel (and not an asset).
pub(crate) fn is_blob<B>(request: &Request<B>) -> bool {
    request.uri().path().starts_with(BLOB_PATH)
}

/// Answers a request on the blob channel from the window of `channel`: `GET` takes a
/// payload, `POST` stores one (its body) under the id in the path. Either needs the window's
/// key; without it the answer is 403 and the body was never read.
pub(crate) fn respond(
    blobs: &Blobs,
    stats: &Stats,
    channel: &Channel,
    request: Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
    let owner = &channel.owner;
    if !channel.keyed(&request) {
        stats.count_refusal();
        crate::rpc::log::refused_blob(owner);
        return text(
            StatusCode::FORBIDDEN,
            "the blob channel answers only the window's own preload",
        );
    }
    let id = request.uri().path()[BLOB_PATH.len()..].to_owned();
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return text(
            StatusCode::BAD_REQUEST,
            "a blob id is 1 to 64 letters and digits",
        );
    }
    let method = request.method().clone();
    match method {
        Method::GET => match blobs.take(owner, &id) {
            Ok(data) => {
                stats.count_blob(false);
                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CACHE_CONTROL, "no-store")
                    .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                    .body(Cow::Owned(Vec::from(data)))
                    .expect("a static response builds")
            }
            Err(e) => {
                static THROTTLE: Throttle = Throttle::new();
                refusal!(THROTTLE, window = %owner, "blob fetch refused: {e}");
                text(StatusCode::NOT_FOUND, &e.to_string())
            }
        },
        Method::POST => {
            let body = request.into_body();
            match blobs.put_as(owner, &id, body.into()) {
                Ok(()) => {
                    stats.count_blob(true);
                    text(StatusCode::OK, "stored")
                }
                Err(e) => {
                    static THROTTLE: Throttle = Throttle::new();
                    refusal!(THROTTLE, window = %owner, "blob upload refused: {e}");
                    let status = match e {
                        BlobError::Full { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                        _ => StatusCode::CONFLICT,
                    };
                    text(status, &e.to_string())
                }
            }
        }
        _ => text(StatusCode::METHOD_NOT_ALLOWED, "GET or POST"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request on `channel`'s window with its key (or `key` when given).
    fn req(channel: &Channel, method: &str, path: &str, body: &[u8]) -> Request<Vec<u8>> {
        keyed(channel.key(), method, path, body)
    }

    fn keyed(key: &str, method: &str, path: &str, body: &[u8]) -> Request<Vec<u8>> {
        Request::builder()
            .method(method)
            .uri(format!("app://localhost{path}"))
            .header(KEY_HEADER, key)
            .body(body.to_vec())
            .unwrap()
    }

    #[test]
    fn an_upload_is_taken_once_by_its_own_window() {
        let (blobs, stats) = (Blobs::default(), Stats::default());
        let (main, other) = (Channel::new("main"), Channel::new("other"));
        let path = "/__rpcview/blob/abc123";
        let answer = |c: &Channel, r| respond(&blobs, &stats, c, r).status();
        assert_eq!(answer(&main, req(&main, "POST", path, b"data")), 200);
        assert_eq!(answer(&main, req(&main, "POST", path, b"again")), 409);
        assert_eq!(answer(&other, req(&other, "GET", path, b"")), 404);
        let got = respond(&blobs, &stats, &main, req(&main, "GET", path, b""));
        assert_eq!(got.status(), 200);
        assert_eq!(&got.body()[..], b"data");
        assert_eq!(answer(&main, req(&main, "GET", path, b"")), 404);
        assert_eq!(stats.blob_transfers(), (1, 1));
    }

    #[test]
    fn without_the_window_key_nothing_is_read_stored_or_given() {
        let (blobs, stats) = (Blobs::default(), Stats::default());
        let (main, other) = (Channel::new("main"), Channel::new("other"));
        assert_ne!(main.key(), other.key());
        assert_eq!(main.key().len(), 32);
        let path = "/__rpcview/blob/abc123";
        let head = |key: Option<&str>, method: &str| {
            let b = Request::builder()
                .method(method)
                .uri(format!("app://localhost{path}"));
            let b = match key {
                Some(k) => b.header(KEY_HEADER, k),
                None => b,
            };
            b.body(()).unwrap()
        };
        // The body is read only for an upload with the window's own key.
        assert!(matches!(
            main.body(&blobs, &head(Some(main.key()), "POST")),
            Body::Read(_)
        ));
        for (key, method) in [
            (None, "POST"),
            (Some(other.key()), "POST"),
            (Some(""), "POST"),
            (Some(main.key()), "GET"),
        ] {
            assert!(
                matches!(main.body(&blobs, &head(key, method)), Body::Ignore),
                "{key:?} {method}"
            );
        }
        let asset = Request::builder()
            .method("POST")
            .uri("app://localhost/index.html")
            .header(KEY_HEADER, main.key())
            .body(())
            .unwrap();
        assert!(matches!(main.body(&blobs, &asset), Body::Ignore));
        // And nothing is stored or given without it.
        assert_eq!(
            respond(
                &blobs,
                &stats,
                &main,
                keyed(other.key(), "POST", path, b"x")
            )
            .status(),
            403
        );
        assert_eq!(
            respond(&blobs, &stats, &main, req(&main, "POST", path, b"x")).status(),
            200
        );
        assert_eq!(
            respond(&blobs, &stats, &main, keyed("guess", "GET", path, b"")).status(),
            403
        );
        assert_eq!(
            respond(&blobs, &stats, &main, req(&main, "GET", path, b"")).status(),
            200
        );
        assert_eq!(stats.refused(), 2);
    }

    #[test]
    fn bad_ids_and_methods_are_refused() {
        let (blobs, stats) = (Blobs::default(), Stats::default());
        let main = Channel::new("main");
        let answer = |b: &Blobs, r| respond(b, &stats, &main, r).status();
        assert_eq!(
            answer(&blobs, req(&main, "GET", "/__rpcview/blob/", b"")),
            400
        );
        assert_eq!(
            answer(&blobs, req(&main, "GET", "/__rpcview/blob/a%2F..", b"")),
            400
        );
        assert_eq!(
            answer(&blobs, req(&main, "PUT", "/__rpcview/blob/a", b"")),
            405
        );
        let full = Blobs::with_limit(2);
        assert_eq!(
            answer(&full, req(&main, "POST", "/__rpcview/blob/a", b"abc")),
            413
        );
        assert!(matches!(
            main.body(
                &full,
                &Request::builder()
                    .method("POST")
                    .uri("app://localhost/__rpcview/blob/a")
                    .header(KEY_HEADER, main.key())
                    .body(())
                    .unwrap()
            ),
            Body::Read(2)
        ));
    }
}
