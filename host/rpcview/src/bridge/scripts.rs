//! The two scripts injected into every page, each a `.js` file of its own (linted and tested
//! as JavaScript by `preload/test`), applied to a config the host serializes: the file is a
//! function expression, the host appends `(config);`.

use serde::Serialize;

use crate::rpc::error;

/// `js/preload.js`: defines `window.api` in the page's main world.
const PRELOAD_JS: &str = include_str!("js/preload.js");
/// `js/world.js`: carries the port's traffic in the isolated world.
const WORLD_JS: &str = include_str!("js/world.js");

/// What the preload is told when it is injected.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreloadConfig {
    /// What pages may use, by origin: the preload installs itself only at these origins
    /// (the host checks again).
    pub(crate) pages: std::collections::BTreeMap<String, PageNames>,
    /// DOM event names of the port hand-shake and traffic.
    pub(crate) bridge: BridgeEvents,
    /// The host's error codes the preload uses, by name.
    pub(crate) codes: Codes,
    /// Largest message the host accepts, so the preload can refuse bigger ones at once.
    pub(crate) max_message_bytes: usize,
    /// Deepest nesting the host accepts, so the preload can refuse deeper params at once.
    pub(crate) max_depth: usize,
    /// The `console` methods whose messages the preload forwards to the host.
    pub(crate) console: Vec<&'static str>,
    /// Browser mode: the URL (with the run's token) of the host's WebSocket, which carries
    /// the messages in place of the port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) websocket: Option<String>,
    /// The origins whose pages reach the host's blob channel (`/__rpcview/blob/` of their
    /// own origin: the app's custom protocols): binary payloads and large messages go there.
    pub(crate) blob_origins: Vec<String>,
    /// The window's blob key, which the preload sends with each request on the blob channel
    /// (the host answers nothing else there): page scripts and other frames never see it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub(crate) blob_key: String,
}

/// The names a page at one origin may use (its capability's grant).
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct PageNames {
    /// Methods the page may `invoke`.
    pub(crate) methods: Vec<String>,
    /// Notifications the page may `notify`.
    pub(crate) notifications: Vec<String>,
    /// Events the page may listen to with `on`.
    pub(crate) events: Vec<String>,
    /// Subscriptions the page may start with `subscribe`.
    pub(crate) subscriptions: Vec<String>,
}

impl PageNames {
    /// What `allow` grants of `router`'s names, as the preload lists them.
    pub(crate) fn allowed(router: &crate::Router, allow: &crate::Allow) -> Self {
        let names = router.allowed_names(allow);
        PageNames {
            methods: names.methods.into_iter().collect(),
            notifications: names.notifications.into_iter().collect(),
            events: names.events.into_iter().collect(),
            subscriptions: names.subscriptions.into_iter().collect(),
        }
    }
}

impl PreloadConfig {
    /// The config for pages whose names are `pages` (by origin), with `router`'s limits: the
    /// port transport, no console forwarding, no blob channel (set those fields after).
    pub(crate) fn new(
        router: &crate::Router,
        pages: std::collections::BTreeMap<String, PageNames>,
    ) -> Self {
        Self {
            pages,
            bridge: Default::default(),
            codes: Default::default(),
            max_message_bytes: router.limits().max_message_bytes,
            max_depth: router.limits().max_depth,
            console: Vec::new(),
            websocket: None,
            blob_origins: Vec::new(),
            blob_key: String::new(),
        }
    }

    /// The script to inject: `preload.js` applied to this config.
    pub(crate) fn script(&self) -> String {
        apply(PRELOAD_JS, self)
    }
}

/// What the world script is told.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WorldConfig {
    /// The script message handler registered in the isolated world.
    pub(crate) handler: &'static str,
    /// The origins whose pages have an API in this window: replies go only to a top frame at
    /// one of them.
    pub(crate) origins: Vec<String>,
    /// The largest hand-off the host accepts (in bytes; a longer string is refused in the
    /// world script already).
    #[serde(rename = "maxChars")]
    pub(crate) max_chars: usize,
    /// DOM event names shared with the preload.
    pub(crate) bridge: BridgeEvents,
}

impl WorldConfig {
    /// The script to inject: `world.js` applied to this config.
    pub(crate) fn script(&self) -> String {
        apply(WORLD_JS, self)
    }
}

fn apply(source: &str, config: &impl Serialize) -> String {
    let config = serde_json::to_string(config).expect("a script config serializes");
    format!("{}({config});", source.trim_end())
}

/// The DOM event names the preload and the world script agree on.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct BridgeEvents {
    out: &'static str,
    #[serde(rename = "in")]
    inbound: &'static str,
    port: &'static str,
    claimed: &'static str,
    world: &'static str,
}

impl Default for BridgeEvents {
    fn default() -> Self {
        Self {
            out: super::OUT_EVENT,
            inbound: super::IN_EVENT,
            port: super::PORT_EVENT,
            claimed: super::CLAIMED_EVENT,
            world: super::WORLD_EVENT,
        }
    }
}

/// The error codes the preload rejects with, from `rpc::error`: one source of truth.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) struct Codes {
    invalid_params: i32,
    internal_error: i32,
    method_not_allowed: i32,
    timed_out: i32,
    aborted: i32,
    too_large: i32,
}

impl Default for Codes {
    fn default() -> Self {
        Self {
            invalid_params: error::INVALID_PARAMS,
            internal_error: error::INTERNAL_ERROR,
            method_not_allowed: error::METHOD_NOT_ALLOWED,
            timed_out: error::TIMED_OUT,
            aborted: error::ABORTED,
            too_large: error::TOO_LARGE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_their_files_applied_to_the_config() {
        let page = PageNames {
            methods: vec!["notes.save".into()],
            ..PageNames::default()
        };
        let cfg = PreloadConfig {
            console: vec!["error", "warn"],
            pages: [("app://localhost".to_string(), page)].into(),
            bridge: BridgeEvents::default(),
            codes: Codes::default(),
            max_message_bytes: 1 << 20,
            max_depth: 64,
            websocket: None,
            blob_origins: vec!["app://localhost".into()],
            blob_key: "k".into(),
        };
        let script = cfg.script();
        assert!(script.starts_with("// rpcview preload"));
        assert!(
            script.contains(r#""codes":{"INVALID_PARAMS":-32602,"#),
            "{script}"
        );
        assert!(
            script.ends_with(
                r#""maxDepth":64,"console":["error","warn"],"blobOrigins":["app://localhost"],"blobKey":"k"});"#
            ),
            "{script}"
        );
        let world = WorldConfig {
            handler: "bridge",
            origins: vec!["app://localhost".into()],
            max_chars: 1024,
            bridge: BridgeEvents::default(),
        };
        assert!(world.script().ends_with(r#""world":"rpcview:world"}});"#));
    }
}
