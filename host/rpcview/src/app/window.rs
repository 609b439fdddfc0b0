//! [`Window`]: what one window shows and what its page may do.

use std::time::Duration;

use std::collections::BTreeMap;

use super::faults::{CrashPolicy, UnresponsivePolicy};
use crate::rpc::capability::{grant, Grant};
use crate::rpc::{Allow, Capability};

/// One window: its label, title, start URL and what its page may use.
///
/// ```
/// use rpcview::{Allow, Window};
/// let w = Window::new("main").title("Notes").size(900.0, 640.0).allow(Allow::only(["notes.*"]));
/// assert_eq!(w.origin(), "app://localhost");
/// ```
#[derive(Debug, Clone)]
pub struct Window {
    pub(crate) label: String,
    pub(crate) title: String,
    pub(crate) url: String,
    pub(crate) size: (f64, f64),
    pub(crate) allow: Option<Allow>,
    pub(crate) navigable: Vec<String>,
    pub(crate) crash: CrashPolicy,
    pub(crate) unresponsive: (Duration, UnresponsivePolicy),
}

impl Window {
    /// A window labelled `label` showing `app://localhost/index.html`: the app's
    /// [`assets`](crate::App::assets).
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            title: label.to_owned(),
            url: "app://localhost/index.html".to_owned(),
            size: (960.0, 680.0),
            allow: None,
            navigable: Vec::new(),
            crash: CrashPolicy::default(),
            unresponsive: (Duration::from_secs(5), UnresponsivePolicy::default()),
        }
    }

    /// The window's title.
    pub fn title(mut self, title: &str) -> Self {
        self.title = title.to_owned();
        self
    }

    /// The start URL; its origin is the only one whose messages the host answers.
    pub fn url(mut self, url: &str) -> Self {
        self.url = url.to_owned();
        self
    }

    /// Inner size in logical pixels. Default: 960 × 680.
    pub fn size(mut self, width: f64, height: f64) -> Self {
        self.size = (width, height);
        self
    }

    /// What the window's pages at its own origin may use: shorthand for a
    /// [`Capability`](crate::Capability) naming this window alone. Without it, the app's
    /// capabilities decide ([`App::capability`](crate::App::capability)); an app that
    /// declares none gives every window the whole API.
    pub fn allow(mut self, allow: Allow) -> Self {
        self.allow = Some(allow);
        self
    }

    /// Lets the window (or its frames) navigate to `origin` (`https://example.com`) or to a
    /// scheme (`data:`). Pages there get no API unless a capability names their origin (an
    /// origin a capability names is navigable without this).
    pub fn allow_navigation(mut self, origin: &str) -> Self {
        self.navigable.push(origin.to_owned());
        self
    }

    /// What to do when the window's web process is gone (crashed, killed for memory).
    /// Default: reload, at most 3 times a minute, then close the window.
    pub fn on_crash(mut self, policy: CrashPolicy) -> Self {
        self.crash = policy;
        self
    }

    /// What to do when the page has not answered for `after` (a busy loop, a long
    /// computation). Default: after 5 s, log it and wait.
    pub fn on_unresponsive(mut self, after: Duration, policy: UnresponsivePolicy) -> Self {
        self.unresponsive = (after, policy);
        self
    }

    /// The origin of the start URL, the one the host answers.
    pub fn origin(&self) -> String {
        origin_of(&self.url)
    }

    /// What each origin's pages in this window may use, given the app's `capabilities`:
    /// the window's own origin and every origin a capability for it names; origins no
    /// capability grants are left out (their pages have no API).
    pub(crate) fn grants(&self, capabilities: &[Capability]) -> BTreeMap<String, Grant> {
        let own = self.origin();
        let mut caps: Vec<Capability> = capabilities
            .iter()
            .filter(|c| c.names_window(&self.label))
            .cloned()
            .collect();
        if let Some(allow) = &self.allow {
            caps.push(
                Capability::new(&format!("Window::allow of '{}'", self.label))
                    .windows([self.label.clone()])
                    .allow(allow.patterns()),
            );
        } else if capabilities.is_empty() {
            caps.push(Capability::new("default").windows(["*"]).allow(["*"]));
        }
        let mut origins = vec![own.clone()];
        origins.extend(caps.iter().flat_map(|c| c.named_origins().iter().cloned()));
        origins
            .into_iter()
            .filter_map(|o| grant(&caps, &self.label, &own, &o).map(|g| (o, g)))
            .collect()
    }

    pub(crate) fn may_navigate(&self, url: &str) -> bool {
        let origin = origin_of(url);
        url.starts_with("about:")
            || origin == self.origin()
            || self
                .navigable
                .iter()
                .any(|n| *n == origin || (n.ends_with(':') && url.starts_with(n.as_str())))
    }
}

/// `scheme://host[:port]` of a URL.
pub(crate) fn origin_of(url: &str) -> String {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            format!("{}://{}", &url[..i], &rest[..end])
        }
        None => url
            .split(':')
            .next()
            .map(|s| format!("{s}:"))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_and_host() {
        assert_eq!(origin_of("app://localhost/index.html"), "app://localhost");
        assert_eq!(
            origin_of("http://127.0.0.1:8080/x?y"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin_of("data:text/html,hi"), "data:");
    }

    #[test]
    fn grants_follow_capabilities_and_the_default_only_without_any() {
        let all = Window::new("main").grants(&[]);
        assert_eq!(all.keys().collect::<Vec<_>>(), ["app://localhost"]);
        assert!(all["app://localhost"].allow.permits("anything"));
        let caps = [
            Capability::new("app").windows(["main"]).allow(["notes.*"]),
            Capability::new("dev")
                .windows(["main"])
                .origins(["http://127.0.0.1:5173"])
                .allow(["notes.list"]),
        ];
        let g = Window::new("main").grants(&caps);
        assert_eq!(
            g.keys().collect::<Vec<_>>(),
            ["app://localhost", "http://127.0.0.1:5173"]
        );
        assert!(g["app://localhost"].allow.permits("notes.save"));
        assert!(!g["http://127.0.0.1:5173"].allow.permits("notes.save"));
        assert_eq!(g["http://127.0.0.1:5173"].capabilities, ["dev"]);
        assert!(
            Window::new("other").grants(&caps).is_empty(),
            "a window no capability names has no API"
        );
        let own = Window::new("other")
            .allow(Allow::only(["app.log"]))
            .grants(&caps);
        assert!(own["app://localhost"].allow.permits("app.log"));
    }

    #[test]
    fn navigation_stays_in_the_origin_unless_allowed() {
        let w = Window::new("main").allow_navigation("other://localhost");
        assert!(w.may_navigate("app://localhost/b.html"));
        assert!(w.may_navigate("about:blank"));
        assert!(w.may_navigate("other://localhost/x.html"));
        assert!(!w.may_navigate("https://evil.example/"));
        assert!(!w.may_navigate("data:text/html,x"));
    }
}
