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
//!
//! Everything here is the app's plumbing, private to the crate: the wire shapes between the
//! preload, the world script and the host live in this file (Rust side) and at the top of
//! `js/preload.js` and `js/world.js` (page side).

#[cfg(target_os = "linux")]
pub(crate) mod input;
mod scripts;
#[cfg(target_os = "linux")]
pub(crate) mod webkitgtk;

pub(crate) use scripts::{PageNames, PreloadConfig, WorldConfig};

use crate::rpc::log::{clean, FIELD_CHARS};
use serde::Deserialize;
use serde_json::value::RawValue;

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

/// Why a web process is gone, as WebKitGTK reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GoneReason {
    /// It crashed (or was killed by a signal, as the OOM killer does).
    Crashed,
    /// WebKit ended it for using more memory than allowed.
    ExceededMemoryLimit,
    /// The app ended it (an unresponsive page being reloaded).
    TerminatedByApi,
    /// A reason this version of rpcview does not know.
    Other,
}

impl std::fmt::Display for GoneReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GoneReason::Crashed => "it crashed",
            GoneReason::ExceededMemoryLimit => "it exceeded its memory limit",
            GoneReason::TerminatedByApi => "the app terminated it",
            GoneReason::Other => "an unknown reason",
        })
    }
}

/// A message as the isolated world posted it: stamped with facts page scripts cannot fake,
/// as lines (`origin \n top \n href \n size \n detail`), so that they are checked before any
/// JSON is parsed.
#[derive(Debug)]
pub(crate) struct Stamped<'a> {
    /// The sending frame's `self.origin`.
    pub(crate) origin: &'a str,
    /// Whether the sending frame is the top frame.
    pub(crate) top: bool,
    /// The sending frame's URL (for logs and `Ctx::url`).
    pub(crate) href: &'a str,
    /// How long the preload's hand-off was (UTF-16 units), even when the world script
    /// dropped it.
    pub(crate) size: usize,
    /// What the page dispatched: `{"n": nonce, "m": [...]}`, as text; empty when the world
    /// script refused it.
    pub(crate) detail: &'a str,
}

impl<'a> Stamped<'a> {
    /// Reads the stamp's lines; `None` if it is not one.
    fn parse(text: &'a str) -> Option<Self> {
        let mut lines = text.splitn(5, '\n');
        let origin = lines.next()?;
        let top = match lines.next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        let href = lines.next()?;
        let size = lines.next()?.parse().ok()?;
        let detail = lines.next()?;
        Some(Self {
            origin,
            top,
            href,
            size,
            detail,
        })
    }
}

/// The preload's hand-off: a nonce naming the page, and the JSON-RPC messages or a log line.
#[derive(Debug, Deserialize)]
struct Outbound<'a> {
    /// Names the page instance (a reload gets a new one), so stale replies are dropped.
    #[serde(rename = "n")]
    nonce: String,
    /// Each JSON-RPC message, as text, answered on its own.
    #[serde(rename = "m", borrow, default)]
    messages: Vec<&'a RawValue>,
    /// A line for the host's log: the page's console errors, uncaught errors, CSP violations.
    #[serde(default)]
    log: Option<PageLog>,
    /// A hand-off too large to pass as a string: the id the preload stored it under on the
    /// blob channel; the messages are that body's `m`.
    #[serde(rename = "f", default)]
    stored: Option<String>,
}

/// The messages of a hand-off the preload stored on the blob channel (`{"m": [...]}`).
#[derive(Debug, Deserialize)]
struct StoredHandoff<'a> {
    #[serde(rename = "m", borrow, default)]
    messages: Vec<&'a RawValue>,
}

/// The messages of a stored hand-off's body, each as text.
///
/// # Errors
/// [`Refusal::Malformed`] if it is not `{"m": [...]}` in UTF-8.
pub(crate) fn stored_messages(body: &[u8]) -> Result<Vec<String>, Refusal> {
    let text = std::str::from_utf8(body).map_err(|e| Refusal::Malformed(e.to_string()))?;
    let out: StoredHandoff =
        serde_json::from_str(text).map_err(|e| Refusal::Malformed(e.to_string()))?;
    Ok(out.messages.iter().map(|m| m.get().to_owned()).collect())
}

/// Replies this large or larger (in bytes, all of one delivery) go to the page as a body it
/// fetches, not as a script WebKit must parse. Measured by rpcview-bench (BENCHMARKS.md): up
/// to 50 MiB the script is as fast or faster end to end (the page's `fetch`, decode and parse
/// of a stored 50 MiB delivery took 553 ms against 217 ms for raw's script), though it holds
/// the UI thread for `evaluate_javascript`'s 60-300 ms; beyond what was measured, the body
/// spares the UI thread a script of that size.
pub(crate) const STORED_DELIVERY_BYTES: usize = 64 * 1024 * 1024;

/// Whether a reply's JSON text names bytes on the blob channel: an object whose first key is
/// `$blob` (inside a JSON string every `"` is escaped, so this text is always structure).
pub(crate) fn names_blob(text: &str) -> bool {
    text.contains(r#"{"$blob":""#)
}

/// A line the page asks the host to log.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct PageLog {
    /// `error` or `warn`.
    pub(crate) level: String,
    /// What happened, as the page put it (capped by the preload; capped again here).
    pub(crate) message: String,
}

/// What a checked hand-off carries.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Handoff {
    /// A hand-off stored on the blob channel, to take from there.
    Stored {
        /// The page's origin (one a capability grants the window).
        origin: String,
        /// The page instance.
        nonce: String,
        /// The page's URL, as the isolated world stamped it.
        href: String,
        /// Its id on the blob channel.
        id: String,
    },
    /// JSON-RPC messages from the page whose nonce is given.
    Calls {
        /// The page's origin (one a capability grants the window).
        origin: String,
        /// The page instance.
        nonce: String,
        /// The page's URL, as the isolated world stamped it.
        href: String,
        /// Each message, as text.
        messages: Vec<String>,
    },
    /// A line for the host's log.
    Log(PageLog),
}

/// Why a message from a page was dropped without an answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Refusal {
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
    /// The message came from a page at an origin no capability grants this window.
    #[error("message from origin {got}, but no capability grants this window's pages at that origin (it answers {want}); if the page is yours, serve it from the window's own origin (Window::url) or name its origin in a Capability (Capability::origins)")]
    Origin {
        /// The sender's origin.
        got: String,
        /// The origins the window answers.
        want: String,
    },
}

/// Checks a stamped message and returns the preload's hand-off inside it.
///
/// # Errors
/// A [`Refusal`] saying why the message must be dropped.
pub(crate) fn check(
    stamped: &str,
    origins: &[String],
    max_bytes: usize,
) -> Result<Handoff, Refusal> {
    let s = Stamped::parse(stamped)
        .ok_or_else(|| Refusal::Malformed("not a stamp from the world script".into()))?;
    // Cheapest first, and no JSON parsed before the frame and origin are known good.
    if s.size > max_bytes || stamped.len() > max_bytes.saturating_add(4096) {
        return Err(Refusal::TooLarge {
            size: s.size.max(s.detail.len()),
            limit: max_bytes,
        });
    }
    if !s.top {
        // The frame's URL as the log shows it: escaped and cut (a page picks its length).
        return Err(Refusal::Subframe {
            href: clean(s.href, FIELD_CHARS).to_string(),
        });
    }
    if !origins.iter().any(|o| o == s.origin) {
        let want = if origins.is_empty() {
            "none".to_owned()
        } else {
            origins.join(", ")
        };
        return Err(Refusal::Origin {
            got: clean(s.origin, FIELD_CHARS).to_string(),
            want,
        });
    }
    let out: Outbound =
        serde_json::from_str(s.detail).map_err(|e| Refusal::Malformed(e.to_string()))?;
    if let Some(mut log) = out.log {
        truncate(&mut log.message, 4096);
        return Ok(Handoff::Log(log));
    }
    if let Some(id) = out.stored {
        return Ok(Handoff::Stored {
            origin: s.origin.into(),
            nonce: out.nonce,
            href: s.href.into(),
            id,
        });
    }
    Ok(Handoff::Calls {
        origin: s.origin.into(),
        nonce: out.nonce,
        href: s.href.into(),
        messages: out.messages.iter().map(|m| m.get().to_owned()).collect(),
    })
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
}

/// The script that hands `replies` (JSON-RPC message texts) to the page whose nonce is
/// `nonce` (or `*`: whatever page is current, for pushes), through the isolated world:
/// `window.__rpcview_deliver("…")`, the string being [`delivery`]'s text as a JavaScript
/// string literal. Written in one pass, escaping each piece straight into the script: a
/// large reply is copied once here, where joining, framing, escaping and formatting in turn
/// copied it four times (measured: a 50 MiB result spent 306 ms between the UI thread
/// getting it and `evaluate_javascript`).
///
/// `marked`: the indices of the replies that name bytes the page must fetch first.
pub(crate) fn delivery_script(nonce: &str, replies: &[String], marked: &[usize]) -> String {
    /// serde_json's string escaping, without the quotes around it.
    struct Contents;
    impl serde_json::ser::Formatter for Contents {
        fn begin_string<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
            Ok(())
        }
        fn end_string<W: ?Sized + std::io::Write>(&mut self, _: &mut W) -> std::io::Result<()> {
            Ok(())
        }
    }
    let escape = |out: &mut Vec<u8>, text: &str| {
        let mut writer = serde_json::Serializer::with_formatter(out, Contents);
        serde::Serializer::serialize_str(&mut writer, text).expect("writing to a Vec cannot fail")
    };
    let size = replies.iter().map(|r| r.len() + 1).sum::<usize>() + nonce.len() + 64;
    let mut out = Vec::with_capacity(size + size / 16);
    out.extend_from_slice(b"window.__rpcview_deliver(\"");
    escape(&mut out, "{\"n\":");
    escape(
        &mut out,
        &serde_json::to_string(nonce).expect("a string serializes"),
    );
    escape(&mut out, ",\"m\":[");
    for (i, reply) in replies.iter().enumerate() {
        if i > 0 {
            escape(&mut out, ",");
        }
        escape(&mut out, reply);
    }
    escape(&mut out, "]");
    if !marked.is_empty() {
        escape(&mut out, &format!(",\"b\":{}", marks(marked)));
    }
    escape(&mut out, "}");
    out.extend_from_slice(b"\");");
    String::from_utf8(out).expect("escaped UTF-8 is UTF-8")
}

/// What the preload receives for `replies` (JSON-RPC message texts) to the page whose nonce
/// is `nonce` (or `*`: whatever page is current, for pushes): `{"n": nonce, "m": [...]}`,
/// and `"b": [...]`, the indices of those that name bytes to fetch, if any.
pub(crate) fn delivery(nonce: &str, replies: &[String], marked: &[usize]) -> String {
    let marks = if marked.is_empty() {
        String::new()
    } else {
        format!(r#","b":{}"#, marks(marked))
    };
    format!(
        r#"{{"n":{},"m":[{}]{marks}}}"#,
        serde_json::to_string(nonce).expect("a string serializes"),
        replies.join(",")
    )
}

fn marks(marked: &[usize]) -> String {
    serde_json::to_string(marked).expect("numbers serialize")
}

/// The script that tells the page whose nonce is `nonce` to fetch its delivery from the blob
/// channel, where it is stored under `id`.
pub(crate) fn stored_delivery_script(nonce: &str, id: &str) -> String {
    let delivery = format!(
        r#"{{"n":{},"m":[],"f":{}}}"#,
        serde_json::to_string(nonce).expect("a string serializes"),
        serde_json::to_string(id).expect("a string serializes")
    );
    format!(
        "window.__rpcview_deliver({});",
        serde_json::to_string(&delivery).expect("a string serializes")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delivery_script_carries_the_delivery_as_a_js_string() {
        let replies = [
            r#"{"jsonrpc":"2.0","id":1,"result":"a \"quoted\" \\ line\nand é, \u2028"}"#
                .to_string(),
            r#"{"jsonrpc":"2.0","method":"tick","params":[1]}"#.to_string(),
        ];
        for (nonce, replies, marked) in [
            ("123", &replies[..], &[][..]),
            ("*", &replies[..1], &[0][..]),
            ("9", &[][..], &[][..]),
            ("5", &replies[..], &[0, 1][..]),
        ] {
            let expected = format!(
                "window.__rpcview_deliver({});",
                serde_json::to_string(&delivery(nonce, replies, marked)).unwrap()
            );
            assert_eq!(delivery_script(nonce, replies, marked), expected);
        }
        assert!(delivery("1", &replies, &[1]).ends_with(r#"],"b":[1]}"#));
    }

    #[test]
    fn only_structure_names_a_blob() {
        assert!(names_blob(
            r#"{"jsonrpc":"2.0","result":{"$blob":"ab12"},"id":1}"#
        ));
        let text = serde_json::json!({"s": r#"{"$blob":"x"}"#}).to_string();
        assert!(!names_blob(&text), "{text}");
    }

    #[test]
    fn a_stored_hand_off_is_named_and_read() {
        let stamped = "app://localhost\n1\napp://localhost/\n20\n{\"n\":\"7\",\"f\":\"abc\"}";
        let Ok(Handoff::Stored { nonce, id, .. }) = check(stamped, &app(), 1 << 20) else {
            panic!("a stored hand-off")
        };
        assert_eq!((nonce.as_str(), id.as_str()), ("7", "abc"));
        let messages = stored_messages(br#"{"m":[{"a":1},[2]]}"#).unwrap();
        assert_eq!(messages, vec![r#"{"a":1}"#.to_string(), "[2]".to_string()]);
        assert!(stored_messages(b"\xff").is_err());
    }

    fn app() -> Vec<String> {
        vec!["app://localhost".into()]
    }

    const OK: &str = "app://localhost\n1\napp://localhost/\n17\n{\"n\":\"1\",\"m\":[{}]}";

    #[test]
    fn calls_from_the_top_frame_of_the_origin_pass() {
        let handoff = check(OK, &app(), 1 << 20).unwrap();
        assert_eq!(
            handoff,
            Handoff::Calls {
                origin: "app://localhost".into(),
                nonce: "1".into(),
                href: "app://localhost/".into(),
                messages: vec!["{}".into()]
            }
        );
    }

    #[test]
    fn subframes_other_origins_and_floods_are_refused() {
        let framed = "app://localhost\n0\napp://localhost/f.html\n200000000\n";
        assert!(matches!(
            check(framed, &app(), 1 << 30),
            Err(Refusal::Subframe { .. })
        ));
        assert!(matches!(
            check(OK, &["other://localhost".to_string()], 1 << 20),
            Err(Refusal::Origin { .. })
        ));
        assert!(matches!(
            check(OK, &app(), 10),
            Err(Refusal::TooLarge { .. })
        ));
    }

    #[test]
    fn the_origin_refusal_names_a_remedy_that_exists() {
        let e = check(OK, &["other://localhost".to_string()], 1 << 20).unwrap_err();
        assert!(
            e.to_string().contains("Window::url") && e.to_string().contains("Capability::origins"),
            "{e}"
        );
    }

    #[test]
    fn page_logs_are_capped() {
        let long = "x".repeat(10_000);
        let detail =
            serde_json::json!({"n": "1", "log": {"level": "error", "message": long}}).to_string();
        let stamped = format!(
            "app://localhost\n1\napp://localhost/\n{}\n{detail}",
            detail.len()
        );
        let Ok(Handoff::Log(log)) = check(&stamped, &app(), 1 << 20) else {
            panic!("a log hand-off")
        };
        assert_eq!(log.level, "error");
        assert!(log.message.len() <= 4096 + '…'.len_utf8());
    }
}
