//! Limits every endpoint enforces before any handler runs.

/// Limits on everything a page can make the host hold or do. Refusals are JSON-RPC errors
/// with the limit in `data`: `-32007` for size and nesting, `-32009` for calls in flight and
/// live subscriptions, `-32600` for an overlong method name.
///
/// ```
/// let limits = rpcview::Limits::default();
/// assert_eq!(limits.max_message_bytes, 16 * 1024 * 1024);
/// assert_eq!(limits.max_in_flight, 10_000);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, in bytes of JSON text. Default: 16 MiB.
    pub max_message_bytes: usize,
    /// Most entries in one batch. Default: 1000.
    pub max_batch_len: usize,
    /// Most calls one window may have running at once; more are refused with `-32009` until
    /// some finish. Default: 10 000.
    pub max_in_flight: usize,
    /// Most subscriptions one window may have live at once; more are refused with `-32009`.
    /// Default: 1000.
    pub max_subscriptions: usize,
    /// Deepest nesting of arrays and objects in a message (the request object is level 1,
    /// its params level 2). Deeper is refused with `-32007` before it is parsed. Default: 64.
    pub max_depth: usize,
    /// Longest method name, in bytes; longer is refused with `-32600`, and error messages
    /// echo at most this many bytes of any name a page sent. Default: 128.
    pub max_method_len: usize,
    /// Most items of one subscription the host sends before the page acknowledges them;
    /// then the handler's [`Sink::send`](crate::Sink::send) waits. This bounds what a page
    /// that stalls costs the host. Default: 256.
    pub subscription_window: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            max_batch_len: 1000,
            max_in_flight: 10_000,
            max_subscriptions: 1000,
            max_depth: 64,
            max_method_len: 128,
            subscription_window: 256,
        }
    }
}

impl Limits {
    /// Largest hand-off the bridge accepts from a page, in bytes: every message in it is
    /// checked against [`max_message_bytes`](Self::max_message_bytes) again, but the
    /// hand-off as a whole is bounded too. The preload never comes near it (it splits
    /// hand-offs at 1 MiB and refuses single messages over the limit); 6 × the message limit
    /// leaves room for UTF-8 and the isolated world's JSON escaping.
    ///
    /// ```
    /// let l = rpcview::Limits { max_message_bytes: 1024, ..Default::default() };
    /// assert_eq!(l.max_handoff_bytes(), 6 * 1024 + 8 * 1024 * 1024);
    /// ```
    pub fn max_handoff_bytes(&self) -> usize {
        self.max_message_bytes
            .saturating_mul(6)
            .saturating_add(8 * 1024 * 1024)
    }
}

/// How deeply arrays and objects nest in `text` (JSON), counted without parsing it; stops
/// counting once past `stop`.
pub(crate) fn depth(text: &str, stop: usize) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > stop {
                    return deepest;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// `Some(depth)` when arrays and objects in `text` nest deeper than `max` (counted up to
/// `max + 1`), else `None`. Most messages are small and shallow: when the whole text (strings
/// included) has no more than `max` openers, it cannot nest deeper, and that count is a
/// loop the compiler vectorizes, where the exact scan branches on every byte.
pub(crate) fn too_deep(text: &str, max: usize) -> Option<usize> {
    let openers = text.bytes().filter(|b| matches!(b, b'[' | b'{')).count();
    if openers <= max {
        return None;
    }
    let deepest = depth(text, max);
    (deepest > max).then_some(deepest)
}

#[cfg(test)]
mod tests {
    #[test]
    fn depth_counts_nesting_outside_strings() {
        assert_eq!(super::depth(r#"{"a":[1,{"b":"[[[{"}]}"#, 100), 3);
        assert_eq!(super::depth(r#""\"[""#, 100), 0);
        assert_eq!(super::depth(&"[".repeat(10_000), 64), 65);
    }

    #[test]
    fn too_deep_agrees_with_the_exact_count() {
        use super::too_deep;
        assert_eq!(too_deep(&"[".repeat(10_000), 64), Some(65));
        assert_eq!(
            too_deep(&format!("{}{}", "[".repeat(64), "]".repeat(64)), 64),
            None
        );
        assert_eq!(
            too_deep(&format!("{}{}", "[".repeat(65), "]".repeat(65)), 64),
            Some(65)
        );
        // Many openers inside strings, or side by side, are not depth.
        assert_eq!(too_deep(&format!("[\"{}\"]", "[".repeat(500)), 64), None);
        assert_eq!(too_deep(&"[],".repeat(500), 64), None);
        assert_eq!(too_deep(r#"{"a":[1,{"b":2}]}"#, 2), Some(3));
    }
}
