//! Limits every endpoint enforces before any handler runs.

/// Limits on what a page may send. Refusals are JSON-RPC errors with the limit in `data`:
/// `-32007` for size, `-32009` for calls in flight.
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
