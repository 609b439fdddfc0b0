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

use crate::rpc::{BlobError, Blobs, Stats};

/// Where the page reaches the store, under its own origin.
pub(crate) const BLOB_PATH: &str = "/__rpcview/blob/";

/// Whether `request` is for the blob channel (and not an asset).
pub(crate) fn is_blob(request: &Request<Vec<u8>>) -> bool {
    request.uri().path().starts_with(BLOB_PATH)
}

/// Answers a request on the blob channel from the webview of window `owner`: `GET` takes a
/// payload, `POST` stores one (its body) under the id in the path.
pub(crate) fn respond(
    blobs: &Blobs,
    stats: &Stats,
    owner: &Arc<str>,
    request: Request<Vec<u8>>,
) -> Response<Cow<'static, [u8]>> {
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
                tracing::warn!(window = %owner, "blob fetch refused: {e}");
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
                    tracing::warn!(window = %owner, "blob upload refused: {e}");
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

fn text(status: StatusCode, body: &str) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(Cow::Owned(body.as_bytes().to_vec()))
        .expect("a static response builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str, body: &[u8]) -> Request<Vec<u8>> {
        Request::builder()
            .method(method)
            .uri(format!("app://localhost{path}"))
            .body(body.to_vec())
            .unwrap()
    }

    #[test]
    fn an_upload_is_taken_once_by_its_own_window() {
        let (blobs, stats) = (Blobs::default(), Stats::default());
        let (main, other): (Arc<str>, Arc<str>) = ("main".into(), "other".into());
        let path = "/__rpcview/blob/abc123";
        assert_eq!(
            respond(&blobs, &stats, &main, req("POST", path, b"data")).status(),
            200
        );
        assert_eq!(
            respond(&blobs, &stats, &main, req("POST", path, b"again")).status(),
            409
        );
        assert_eq!(
            respond(&blobs, &stats, &other, req("GET", path, b"")).status(),
            404
        );
        let got = respond(&blobs, &stats, &main, req("GET", path, b""));
        assert_eq!(got.status(), 200);
        assert_eq!(&got.body()[..], b"data");
        assert_eq!(
            respond(&blobs, &stats, &main, req("GET", path, b"")).status(),
            404
        );
        assert_eq!(stats.blob_transfers(), (1, 1));
    }

    #[test]
    fn bad_ids_and_methods_are_refused() {
        let (blobs, stats) = (Blobs::default(), Stats::default());
        let main: Arc<str> = "main".into();
        assert_eq!(
            respond(&blobs, &stats, &main, req("GET", "/__rpcview/blob/", b"")).status(),
            400
        );
        assert_eq!(
            respond(
                &blobs,
                &stats,
                &main,
                req("GET", "/__rpcview/blob/a%2F..", b"")
            )
            .status(),
            400
        );
        assert_eq!(
            respond(&blobs, &stats, &main, req("PUT", "/__rpcview/blob/a", b"")).status(),
            405
        );
        let full = Blobs::with_limit(2);
        assert_eq!(
            respond(
                &full,
                &stats,
                &main,
                req("POST", "/__rpcview/blob/a", b"abc")
            )
            .status(),
            413
        );
    }
}
