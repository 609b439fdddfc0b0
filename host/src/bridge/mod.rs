//! Transports between a webview and an [`Endpoint`](crate::rpc::Endpoint): the preload
//! injected into each page, and the platform glue that carries its messages.
//!
//! A message leaves the page as a DOM `CustomEvent` carrying `{"n": nonce, "m": [call, ...]}`
//! on a private *port* node that only the preload and a script in an isolated script world
//! hold (see [`webkitgtk`]). The world script, which page scripts cannot see or patch, stamps
//! it with the sending frame's own `origin` and whether it is the top frame, and posts it to
//! the host. The host drops anything that is not from the top frame of the window's origin,
//! then answers each call on its own; replies go back, coalesced per event-loop turn, the
//! same way in reverse.
//!
//! Only the Linux backend (WebKitGTK) exists today; another platform adds a module here
//! behind the same [`Stamped`] seam.

#[cfg(target_os = "linux")]
pub(crate) mod webkitgtk;

use serde::Deserialize;
use serde_json::value::RawValue;

/// The preload script, as shipped in `preload/preload.js`.
pub const PRELOAD_JS: &str = include_str!("../../../preload/preload.js");

/// Page → host messages, on the port.
pub(crate) const OUT_EVENT: &str = "rpcview:out";
/// Host → page messages, on the port.
pub(crate) const IN_EVENT: &str = "rpcview:in";
/// The preload offers its port (on `document`, at document start).
pub(crate) const PORT_EVENT: &str = "rpcview:port";
/// The world script took the port (on the port).
pub(crate) const CLAIMED_EVENT: &str = "rpcview:claimed";
/// The world script started (on `document`), in case the preload offered its port first.
pub(crate) const WORLD_EVENT: &str = "rpcview:world";

/// What the preload is told when it is injected.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PreloadConfig {
    /// The only origin the preload installs itself in (the host checks again).
    pub origin: String,
    /// DOM event names of the port hand-shake and traffic: `{out, in, port, claimed, world}`.
    pub bridge: BridgeEvents,
    /// Largest message the host accepts, so the preload can refuse bigger ones at once.
    #[serde(rename = "maxMessageBytes")]
    pub max_message_bytes: usize,
    /// Methods the page may `invoke`.
    pub methods: Vec<String>,
    /// Notifications the page may `notify`.
    pub notifications: Vec<String>,
    /// Events the page may listen to with `on`.
    pub events: Vec<String>,
}

/// The DOM event names the preload and the world script agree on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BridgeEvents {
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
            out: OUT_EVENT,
            inbound: IN_EVENT,
            port: PORT_EVENT,
            claimed: CLAIMED_EVENT,
            world: WORLD_EVENT,
        }
    }
}

impl PreloadConfig {
    /// The script to inject: `preload.js` applied to this config.
    ///
    /// ```
    /// let cfg = rpcview::bridge::PreloadConfig {
    ///     origin: "app://localhost".into(), bridge: Default::default(), max_message_bytes: 1 << 20,
    ///     methods: vec!["notes.save".into()], notifications: vec![], events: vec![],
    /// };
    /// assert!(cfg.script().ends_with(r#""events":[]});"#));
    /// ```
    pub fn script(&self) -> String {
        let config = serde_json::to_string(self).expect("the preload config serializes");
        format!("{}({config});", PRELOAD_JS.trim_end())
    }
}

/// A message as the isolated world posted it: stamped with facts page scripts cannot fake.
#[derive(Debug, Deserialize)]
pub struct Stamped {
    /// The sending frame's `location.origin`.
    pub origin: String,
    /// Whether the sending frame is the top frame.
    pub top: bool,
    /// The sending frame's URL (for logs).
    #[serde(default)]
    pub href: String,
    /// What the page dispatched: `{"n": nonce, "m": [...]}`, as text.
    pub detail: String,
}

/// The preload's hand-off: a nonce naming the page, and the JSON-RPC messages.
#[derive(Debug, Deserialize)]
pub struct Outbound<'a> {
    /// Names the page instance (a reload gets a new one), so stale replies are dropped.
    #[serde(rename = "n")]
    pub nonce: String,
    /// Each JSON-RPC message, as text, answered on its own.
    #[serde(rename = "m", borrow)]
    pub messages: Vec<&'a RawValue>,
}

/// Why a message from a page was dropped without an answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The isolated world's stamp did not parse.
    #[error("malformed bridge message: {0}")]
    Malformed(String),
    /// The hand-off is larger than [`Limits::max_handoff_bytes`](crate::Limits::max_handoff_bytes).
    #[error("hand-off of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The message came from a frame other than the top one.
    #[error("message from a subframe ({href}); only the top frame may call the host")]
    Subframe {
        /// The frame's URL.
        href: String,
    },
    /// The message came from a page of another origin than the window's own.
    #[error("message from origin {got}, but the window serves {want}; add it to the window's allowed origins if it is yours")]
    Origin {
        /// The sender's origin.
        got: String,
        /// The window's origin.
        want: String,
    },
}

/// Checks a stamped message and returns the preload's hand-off inside it.
///
/// # Errors
/// A [`Refusal`] saying why the message must be dropped.
///
/// ```
/// use rpcview::bridge::{check, Refusal};
/// let ok = r#"{"origin":"app://localhost","top":true,"href":"app://localhost/","detail":"{\"n\":\"1\",\"m\":[{}]}"}"#;
/// assert_eq!(check(ok, "app://localhost", 1 << 20).unwrap().0, "1");
/// let framed = r#"{"origin":"app://localhost","top":false,"href":"app://localhost/f.html","detail":"{}"}"#;
/// assert!(matches!(check(framed, "app://localhost", 1 << 20), Err(Refusal::Subframe { .. })));
/// assert!(matches!(check(ok, "app://localhost", 10), Err(Refusal::TooLarge { .. })));
/// ```
pub fn check(
    stamped: &str,
    origin: &str,
    max_bytes: usize,
) -> Result<(String, Vec<String>), Refusal> {
    if stamped.len() > max_bytes {
        return Err(Refusal::TooLarge {
            size: stamped.len(),
            limit: max_bytes,
        });
    }
    let s: Stamped =
        serde_json::from_str(stamped).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if !s.top {
        return Err(Refusal::Subframe { href: s.href });
    }
    if s.origin != origin {
        return Err(Refusal::Origin {
            got: s.origin,
            want: origin.to_owned(),
        });
    }
    let out: Outbound =
        serde_json::from_str(&s.detail).map_err(|e| Refusal::Malformed(e.to_string()))?;
    Ok((
        out.nonce,
        out.messages.iter().map(|m| m.get().to_owned()).collect(),
    ))
}

/// What the preload receives for `replies` (JSON-RPC message texts) to the page whose nonce
/// is `nonce` (or `*`: whatever page is current, for pushes): `{"n": nonce, "m": [...]}`.
pub(crate) fn delivery(nonce: &str, replies: &[String]) -> String {
    format!(
        r#"{{"n":{},"m":[{}]}}"#,
        serde_json::to_string(nonce).expect("a string serializes"),
        replies.join(",")
    )
}
