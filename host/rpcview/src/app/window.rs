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
    /// Set by [`Window::dev_url`]: the origin the dev server stands in for (the app's own).
    pub(crate) dev_for: Option<String>,
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
            dev_for: None,
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

    /// Shows a running dev server (Vite's `http://localhost:5173`, say) instead of the app's
    /// assets, for development: its origin takes the place of the app's own
    /// (`app://localhost`). That origin, and only it, gets the preload and the API the app's
    /// origin would get: capabilities for this window apply to it (one naming
    /// `app://localhost` is read as naming the dev origin), other origins they name are
    /// left out, and the window navigates within the dev origin only (plus
    /// [`allow_navigation`](Self::allow_navigation)). Everything else is refused as before:
    /// other origins get no API and the window does not go there.
    ///
    /// The origin is the URL's scheme, host and port, exactly: `http://localhost:5173` and
    /// `http://127.0.0.1:5173` are different origins, even for the same server. Give the URL
    /// the dev server prints (or pin its host, Vite's `server.host`), and keep it local: a
    /// dev server elsewhere on the network would get the whole API.
    ///
    /// ```
    /// use rpcview::Window;
    /// // `my-app --dev-url http://localhost:5173` while `npm run dev` runs.
    /// let dev = std::env::args().skip_while(|a| a != "--dev-url").nth(1);
    /// let mut window = Window::new("main");
    /// if let Some(url) = &dev {
    ///     window = window.dev_url(url);
    /// }
    /// let w = Window::new("main").dev_url("http://localhost:5173");
    /// assert_eq!(w.origin(), "http://localhost:5173");
    /// ```
    pub fn dev_url(mut self, url: &str) -> Self {
        let origin = origin_of(url);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            tracing::warn!(window = %self.label, %url, "dev_url: not an http(s) URL");
        } else if !is_loopback(&origin) {
            tracing::warn!(window = %self.label, %origin, "dev_url: the dev server is not on this machine; it gets the window's whole API");
        }
        if self.dev_for.is_none() {
            self.dev_for = Some(self.origin());
        }
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
        if let Some(app_origin) = &self.dev_for {
            for c in &mut caps {
                c.replace_origin(app_origin, &own);
            }
        }
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
            // With a dev server, its origin alone.
            .filter(|o| self.dev_for.is_none() || *o == own)
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

/// Whether `origin` (`http://host:port`) is on this machine.
fn is_loopback(origin: &str) -> bool {
    let host = origin.split("://").nth(1).unwrap_or_default();
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
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
    fn a_dev_server_takes_the_place_of_the_app_origin_and_alone() {
        let dev = "http://localhost:5173";
        let g = Window::new("main")
            .dev_url("http://localhost:5173/")
            .grants(&[]);
        assert_eq!(g.keys().collect::<Vec<_>>(), [dev]);
        assert!(g[dev].allow.permits("anything"));
        let caps = [
            Capability::new("app").windows(["main"]).allow(["notes.*"]),
            Capability::new("named")
                .windows(["main"])
                .origins(["app://localhost"])
                .allow(["app.log"]),
            Capability::new("remote")
                .windows(["main"])
                .origins(["https://example.com"])
                .allow(["*"]),
        ];
        let w = Window::new("main").dev_url("http://localhost:5173/");
        let g = w.grants(&caps);
        assert_eq!(g.keys().collect::<Vec<_>>(), [dev], "the dev origin alone");
        assert!(g[dev].allow.permits("notes.save") && g[dev].allow.permits("app.log"));
        assert!(!g[dev].allow.permits("other.thing"));
        assert!(w.may_navigate("http://localhost:5173/page.html"));
        assert!(!w.may_navigate("http://127.0.0.1:5173/"), "another origin");
        assert!(!w.may_navigate("app://localhost/index.html"));
        assert!(is_loopback("http://127.0.0.1:5173") && is_loopback("http://[::1]:5173"));
        assert!(!is_loopback("http://192.168.1.2:5173"));
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
