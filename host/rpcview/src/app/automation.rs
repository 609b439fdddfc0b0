//! Automation mode: the app's first webview can be driven by WebKit's WebDriver
//! (`WebKitWebDriver`), as a browser's would.
//!
//! WebKitWebDriver starts the app with the arguments its session's capabilities name
//! (`webkitgtk:browserOptions`), and `WEBKIT_INSPECTOR_SERVER` in its environment; it then
//! asks the app's WebKit context for an automation session. WebKitGTK grants one only to a
//! context that allows automation, and only one such context may exist in a process: so the
//! first webview the app opens gets a context of its own that allows it, and every later
//! webview the usual one. The session drives that first webview.
//!
//! Asked for by [`App::automation`](super::App::automation) or by the environment variable
//! [`AUTOMATION_ENV`](super::AUTOMATION_ENV) set to `1`.

use std::cell::Cell;

/// The environment variable that turns automation mode on when set to `1` (any app, without
/// a change to its code; `rpcview webdriver` sets it for the apps WebKitWebDriver starts).
///
/// ```
/// assert_eq!(rpcview::app::AUTOMATION_ENV, "RPCVIEW_AUTOMATION");
/// ```
pub const ENV: &str = "RPCVIEW_AUTOMATION";

/// Whether the environment asks for automation mode.
pub(crate) fn requested_by_env() -> bool {
    std::env::var(ENV).is_ok_and(|v| v.trim() == "1")
}

/// Hands out the one automation context of the app, to the first webview that asks.
#[derive(Debug, Default)]
pub(crate) struct Automation {
    pending: Cell<bool>,
}

impl Automation {
    /// Automation mode on or off.
    pub(crate) fn new(on: bool) -> Self {
        if on {
            tracing::info!("automation mode: the first webview can be driven by WebKitWebDriver");
        }
        Self {
            pending: Cell::new(on),
        }
    }

    /// A context that allows automation, the first time it is asked for in automation mode;
    /// `None` after that, or when the mode is off. The webview built with it must keep it.
    pub(crate) fn take_context(&self) -> Option<wry::WebContext> {
        if !self.pending.replace(false) {
            return None;
        }
        let mut context = wry::WebContext::new(None);
        context.set_allows_automation(true);
        Some(context)
    }
}
