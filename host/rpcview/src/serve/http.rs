//! Browser mode's HTTP side: the checks every request passes (Host, token), the preload
//! script, and the app's files (HTML only with the token, the preload put first).

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header;
use hyper::{Method, Request, Response, StatusCode};

use super::{Inner, PRELOAD_PATH, WS_PATH};
use crate::bridge::{PageNames, PreloadConfig};
use crate::rpc::log::{clean, refusal, Throttle, FIELD_CHARS};

pub(super) type Reply = Response<Full<Bytes>>;

/// The `token` parameter of a query string.
pub(super) fn token_of(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "token")
        .map(|(_, v)| v)
}

/// Compares in time independent of where the first difference is.
pub(super) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

pub(super) fn text(status: StatusCode, body: String) -> Reply {
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
    pub(super) fn respond(self: Arc<Self>, req: Request<Incoming>, peer: SocketAddr) -> Reply {
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
            static THROTTLE: Throttle = Throttle::new();
            let host = clean(host.as_deref().unwrap_or("(none)"), FIELD_CHARS);
            let path = clean(&path, FIELD_CHARS);
            refusal!(THROTTLE, check = "host", %peer, %path, %host, "refused: the Host header is not {} or {} (a DNS-rebinding page?)", self.hosts[0], self.hosts[1]);
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
                static THROTTLE: Throttle = Throttle::new();
                refusal!(THROTTLE, check = "token", %peer, "refused: the preload is served only with the run's token");
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
            .map(|g| (origin.clone(), PageNames::allowed(&self.router, &g.allow)))
            .into_iter()
            .collect();
        let config = PreloadConfig {
            websocket: Some(format!("ws://{host}{WS_PATH}?token={}", self.token)),
            ..PreloadConfig::new(&self.router, pages)
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
            crate::app::missing_asset(&decoded);
            return text(
                StatusCode::NOT_FOUND,
                format!("not found: {}", clean(&decoded, FIELD_CHARS)),
            );
        };
        let html =
            decoded.ends_with('/') || decoded.ends_with(".html") || decoded.ends_with(".htm");
        let (mime, body) = if html {
            if !token_ok {
                static THROTTLE: Throttle = Throttle::new();
                let path = clean(&decoded, FIELD_CHARS);
                refusal!(THROTTLE, check = "token", %peer, %path, "refused: HTML documents are served only with the run's token (open the URL the server printed)");
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
    use crate::serve::new_token;

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
