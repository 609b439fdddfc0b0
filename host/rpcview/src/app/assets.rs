//! Serving a page's files from a custom-protocol origin (`app://localhost/`), with correct
//! content types and a strict Content-Security-Policy.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use wry::http::{header, Request, Response, StatusCode};

/// The default policy: only the app's own origin, no inline script, no plugins, no framing
/// by or of anyone else.
pub const DEFAULT_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

type Lookup = Arc<dyn Fn(&str) -> Option<Cow<'static, [u8]>> + Send + Sync>;

/// Where a scheme's files come from: folders embedded in the binary (see
/// [`embed!`](crate::embed)), a folder on disk, or several layered.
///
/// ```
/// rpcview::embed!(Web, "src/bridge/js");
/// let embedded = rpcview::Assets::embedded::<Web>();
/// assert!(embedded.read("/preload.js").is_some());
/// let on_disk = rpcview::Assets::dir("./dist");
/// ```
#[derive(Clone)]
pub struct Assets {
    layers: Vec<(String, Layer)>,
}

#[derive(Clone)]
enum Layer {
    Embedded(Lookup),
    Dir(PathBuf),
}

impl std::fmt::Debug for Assets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for (prefix, layer) in &self.layers {
            match layer {
                Layer::Embedded(_) => list.entry(&format_args!("/{prefix} → embedded")),
                Layer::Dir(d) => list.entry(&format_args!("/{prefix} → {}", d.display())),
            };
        }
        list.finish()
    }
}

impl Assets {
    /// The files of a folder embedded with [`embed!`](crate::embed): compiled into release
    /// binaries, read from disk in debug builds (so edits show on reload).
    pub fn embedded<T: rust_embed::RustEmbed>() -> Self {
        Self::from_fn(|path| T::get(path).map(|f| f.data))
    }

    /// Files from the folder `path`, read on every request (so edits show on reload).
    pub fn dir(path: impl Into<PathBuf>) -> Self {
        Self {
            layers: vec![(String::new(), Layer::Dir(path.into()))],
        }
    }

    /// Files from a function of their path (`index.html`, `css/app.css`).
    pub fn from_fn(
        lookup: impl Fn(&str) -> Option<Cow<'static, [u8]>> + Send + Sync + 'static,
    ) -> Self {
        Self {
            layers: vec![(String::new(), Layer::Embedded(Arc::new(lookup)))],
        }
    }

    /// These assets, plus `other` under the URL path `prefix` (`"schema/"`): a request
    /// under the prefix is answered from `other` only.
    ///
    /// ```
    /// rpcview::embed!(Js, "src/bridge/js");
    /// let assets = rpcview::Assets::dir("./web").mount("vendor/", rpcview::Assets::embedded::<Js>());
    /// assert!(assets.read("/vendor/world.js").is_some());
    /// ```
    pub fn mount(mut self, prefix: &str, other: Assets) -> Self {
        let prefix = prefix.trim_start_matches('/');
        for (p, layer) in other.layers {
            self.layers.insert(0, (format!("{prefix}{p}"), layer));
        }
        self
    }

    /// The folders on disk these assets read from (not those of embedded assets).
    pub(crate) fn dirs(&self) -> impl Iterator<Item = &Path> {
        self.layers.iter().filter_map(|(_, layer)| match layer {
            Layer::Dir(dir) => Some(dir.as_path()),
            Layer::Embedded(_) => None,
        })
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
        if Path::new(&path)
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return None;
        }
        let (prefix, layer) = self
            .layers
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))?;
        let rel = &path[prefix.len()..];
        match layer {
            Layer::Embedded(lookup) => lookup(rel),
            Layer::Dir(root) => std::fs::read(root.join(rel)).ok().map(Cow::Owned),
        }
    }

    /// The HTTP response for `request`: the file with its content type and `csp`, or 404.
    pub fn respond(&self, request: &Request<Vec<u8>>, csp: &str) -> Response<Cow<'static, [u8]>> {
        let decoded = percent_decode(request.uri().path());
        let Some(body) = self.read(&decoded) else {
            missing_asset(&decoded);
            return Response::builder()
                .status(StatusCode::NOT_FOUND)
                .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .header(header::CONTENT_SECURITY_POLICY, csp)
                .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                .body(Cow::Owned(
                    format!(
                        "not found: {}",
                        crate::rpc::log::clean(&decoded, crate::rpc::log::FIELD_CHARS)
                    )
                    .into_bytes(),
                ))
                .expect("a static response builds");
        };
        Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, mime_of(&decoded))
            .header(header::CONTENT_SECURITY_POLICY, csp)
            .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .header(header::CACHE_CONTROL, "no-cache")
            .body(body)
            .expect("a static response builds")
    }
}

/// The content type of the file at URL path `path` (`/` ending: HTML).
pub(crate) fn mime_of(path: &str) -> String {
    if path.ends_with('/') {
        mime_guess::mime::TEXT_HTML_UTF_8.to_string()
    } else {
        mime_guess::from_path(path)
            .first_or_octet_stream()
            .to_string()
    }
}

pub(crate) fn percent_decode(path: &str) -> String {
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

/// Logs a request for an asset that is not there: its path escaped and cut, at most a burst
/// a second (a page can ask for any number of missing files).
pub(crate) fn missing_asset(path: &str) {
    use crate::rpc::log::{clean, refusal, Throttle, FIELD_CHARS};
    static THROTTLE: Throttle = Throttle::new();
    let path = clean(path, FIELD_CHARS);
    refusal!(THROTTLE, %path, "asset not found (404)");
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::embed!(Js, "src/bridge/js");

    fn get(assets: &Assets, uri: &str) -> Response<Cow<'static, [u8]>> {
        let req = Request::builder().uri(uri).body(Vec::new()).unwrap();
        assets.respond(&req, DEFAULT_CSP)
    }

    #[test]
    fn embedded_files_are_served_with_type_and_policy() {
        let res = get(&Assets::embedded::<Js>(), "app://localhost/preload.js");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "text/javascript");
        assert_eq!(res.headers()[header::CONTENT_SECURITY_POLICY], DEFAULT_CSP);
        let missing = get(&Assets::embedded::<Js>(), "app://localhost/nope.js");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            missing.headers()[header::CONTENT_SECURITY_POLICY],
            DEFAULT_CSP
        );
        assert_eq!(missing.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[test]
    fn paths_cannot_leave_the_root() {
        let dir = Assets::dir(env!("CARGO_MANIFEST_DIR"));
        assert!(dir.read("/Cargo.toml").is_some());
        assert!(dir.read("/../Cargo.toml").is_none());
        assert!(dir.read("/src/../Cargo.toml").is_none());
    }

    #[test]
    fn mounts_answer_under_their_prefix_only() {
        let assets = Assets::dir(env!("CARGO_MANIFEST_DIR")).mount("js/", Assets::embedded::<Js>());
        assert!(assets.read("/js/world.js").is_some());
        assert!(assets.read("/js/Cargo.toml").is_none());
        assert!(assets.read("/Cargo.toml").is_some());
        assert!(assets.read("/world.js").is_none());
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(percent_decode("/a%20b.html"), "/a b.html");
        assert_eq!(percent_decode("/%2e%2e/x"), "/../x");
    }
}
