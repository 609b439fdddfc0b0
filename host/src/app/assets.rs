//! Serving a page's files from a custom-protocol origin (`app://localhost/`), with correct
//! content types and a strict Content-Security-Policy.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use wry::http::{header, Request, Response, StatusCode};

/// The demo app in `web/`, compiled into the binary.
#[derive(rust_embed::RustEmbed)]
#[folder = "../web/"]
struct Demo;

/// The generated client the demo imports (`../schema/client.js`), served at `/schema/`.
#[derive(rust_embed::RustEmbed)]
#[folder = "../schema/"]
#[include = "*.js"]
#[include = "*.d.ts"]
#[include = "openrpc.json"]
#[exclude = "baseline/*"]
struct Schema;

/// The default policy: only the app's own origin, no inline script, no plugins, no framing
/// by or of anyone else.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// Where a scheme's files come from.
///
/// ```
/// let demo = rpcview::app::Assets::Embedded;
/// let mine = rpcview::app::Assets::dir("./dist");
/// ```
#[derive(Debug, Clone)]
pub enum Assets {
    /// The demo app compiled into the binary.
    Embedded,
    /// A directory on disk, read on every request (so edits show on reload).
    Dir(PathBuf),
}

impl Assets {
    /// Files from `path`.
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        Assets::Dir(path.into())
    }

    /// Reads the file at URL path `path` (`/` is `index.html`); `None` if absent or if the
    /// path tries to leave the root.
    pub fn read(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        let path = path.trim_start_matches('/');
        let path = if path.is_empty() || path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        let rel = Path::new(&path);
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return None;
        }
        match self {
            Assets::Embedded => match path.strip_prefix("schema/") {
                Some(file) => Schema::get(file).map(|f| f.data),
                None => Demo::get(&path).map(|f| f.data),
            },
            Assets::Dir(root) => std::fs::read(root.join(rel)).ok().map(Cow::Owned),
        }
    }

    /// The HTTP response for `request`: the file with its content type and `csp`, or 404.
    pub fn respond(&self, request: &Request<Vec<u8>>, csp: &str) -> Response<Cow<'static, [u8]>> {
        let path = request.uri().path();
        let decoded = percent_decode(path);
        match self.read(&decoded) {
            Some(body) => {
                let mime =
                    mime_guess::from_path(decoded.trim_end_matches('/')).first_or_octet_stream();
                let mime = if decoded.ends_with('/') {
                    mime_guess::mime::TEXT_HTML_UTF_8
                } else {
                    mime
                };
                Response::builder()
                    .status(StatusCode::OK)
                    .header(header::CONTENT_TYPE, mime.as_ref())
                    .header(header::CONTENT_SECURITY_POLICY, csp)
                    .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                    .header(header::CACHE_CONTROL, "no-cache")
                    .body(body)
                    .expect("a static response builds")
            }
            None => Response::builder()
                .status(StatusCode::NOT_FOUND)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(Cow::Owned(format!("not found: {decoded}").into_bytes()))
                .expect("a static response builds"),
        }
    }
}

fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&path[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_demo_has_an_index_and_its_generated_client() {
        assert!(Assets::Embedded.read("/").is_some());
        assert!(Assets::Embedded.read("/schema/client.js").is_some());
        assert!(Assets::Embedded
            .read("/schema/baseline/openrpc.json")
            .is_none());
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let dir = Assets::dir(env!("CARGO_MANIFEST_DIR"));
        assert!(dir.read("/Cargo.toml").is_some());
        assert!(dir.read("/../Cargo.toml").is_none());
        assert!(dir.read("/src/../Cargo.toml").is_none());
    }

    #[test]
    fn responses_carry_type_and_policy() {
        let req = Request::builder()
            .uri("app://localhost/index.html")
            .body(Vec::new())
            .unwrap();
        let res = Assets::Embedded.respond(&req, DEFAULT_CSP);
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/html");
        assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], DEFAULT_CSP);
        let missing = Request::builder()
            .uri("app://localhost/nope.js")
            .body(Vec::new())
            .unwrap();
        assert_eq!(
            Assets::Embedded.respond(&missing, DEFAULT_CSP).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("/a%20b.html"), "/a b.html");
        assert_eq!(percent_decode("/%2e%2e/x"), "/../x");
    }
}
