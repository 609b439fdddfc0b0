//! [`Capability`]: what pages may use, by window and by origin, checked on the host.
//!
//! A page's API is the union of the capabilities that name its window (label globs) and its
//! origin (the window's own origin by default; any other origin only when a capability names
//! it). A page no capability names has no API: no `window.api`, and the host refuses its
//! messages. An app that declares no capability at all (and no `Window::allow`) gets one,
//! `default`: every window, its own origin, the whole API.

use super::Allow;

/// A named set of permissions: which windows, at which origins, may use which methods,
/// notifications, subscriptions and events (all globs, `*` matching any run of characters).
///
/// ```
/// use rpcview::Capability;
/// // The main window's own pages may use the notes API and the log.
/// let main = Capability::new("main-window").windows(["main"]).allow(["notes.*", "app.log"]);
/// // A dev server (or a remote site) gets only what it is given, by explicit opt-in.
/// let dev = Capability::new("dev-server")
///     .windows(["main"])
///     .origins(["http://127.0.0.1:5173"])
///     .allow(["notes.list"]);
/// assert!(main.applies("main", "app://localhost", "app://localhost"));
/// assert!(!main.applies("main", "app://localhost", "http://127.0.0.1:5173"));
/// assert!(dev.applies("main", "app://localhost", "http://127.0.0.1:5173"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capability {
    name: String,
    windows: Vec<String>,
    origins: Vec<String>,
    allow: Vec<String>,
}

impl Capability {
    /// A capability named `name` (refusals name it), for no window and granting nothing yet.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            windows: Vec::new(),
            origins: Vec::new(),
            allow: Vec::new(),
        }
    }

    /// The windows it applies to, by label glob (`"main"`, `"notes-*"`, `"*"`).
    pub fn windows<I, S>(mut self, labels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.windows.extend(labels.into_iter().map(Into::into));
        self
    }

    /// The origins it applies to (`"http://127.0.0.1:5173"`), exactly. Default: each
    /// window's own origin (that of its `Window::url`). Naming an origin also lets the window
    /// navigate there.
    pub fn origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.origins.extend(origins.into_iter().map(Into::into));
        self
    }

    /// The names it grants: methods, notifications, subscriptions and events, by glob
    /// (`"notes.*"`; `"rpc.discover"` for the OpenRPC document).
    pub fn allow<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allow.extend(names.into_iter().map(Into::into));
        self
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it applies to a page at `origin` in the window `label` whose own origin is
    /// `own_origin`.
    pub fn applies(&self, label: &str, own_origin: &str, origin: &str) -> bool {
        let window = self.windows.iter().any(|w| Allow::glob(w, label));
        window
            && if self.origins.is_empty() {
                origin == own_origin
            } else {
                self.origins.iter().any(|o| o == origin)
            }
    }

    /// The origins other than a window's own that it names.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn named_origins(&self) -> &[String] {
        &self.origins
    }

    /// Reads `from` as `to` where it names origins (a dev server standing in for the app's
    /// own origin).
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn replace_origin(&mut self, from: &str, to: &str) {
        for origin in &mut self.origins {
            if origin == from {
                *origin = to.to_owned();
            }
        }
    }

    /// Whether it applies to the window `label` at all.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn names_window(&self, label: &str) -> bool {
        self.windows.iter().any(|w| Allow::glob(w, label))
    }
}

/// What a page (a window at one origin) may use: the union of the capabilities that apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Every name it may use.
    pub allow: Allow,
    /// The capabilities it comes from, for refusals and logs.
    pub capabilities: Vec<String>,
}

/// The grant of `capabilities` to the page at `origin` in window `label` (own origin
/// `own_origin`), or `None` when no capability applies: that page has no API.
///
/// ```
/// use rpcview::{rpc::capability::grant, Capability};
/// let caps = [
///     Capability::new("a").windows(["main"]).allow(["notes.*"]),
///     Capability::new("b").windows(["*"]).allow(["app.log"]),
/// ];
/// let g = grant(&caps, "main", "app://localhost", "app://localhost").unwrap();
/// assert!(g.allow.permits("notes.save") && g.allow.permits("app.log"));
/// assert_eq!(g.capabilities, ["a", "b"]);
/// assert!(grant(&caps, "main", "app://localhost", "https://example.com").is_none());
/// ```
pub fn grant(
    capabilities: &[Capability],
    label: &str,
    own_origin: &str,
    origin: &str,
) -> Option<Grant> {
    let applying: Vec<&Capability> = capabilities
        .iter()
        .filter(|c| c.applies(label, own_origin, origin))
        .collect();
    if applying.is_empty() {
        return None;
    }
    Some(Grant {
        allow: Allow::only(applying.iter().flat_map(|c| c.allow.iter().cloned())),
        capabilities: applying.iter().map(|c| c.name.clone()).collect(),
    })
}
