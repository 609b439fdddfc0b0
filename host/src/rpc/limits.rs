//! Limits every endpoint enforces before any handler runs.

/// Size limits for messages from a page. Refusals are `-32007` with the limit in `data`.
///
/// ```
/// let limits = rpcview::Limits::default();
/// assert_eq!(limits.max_message_bytes, 16 * 1024 * 1024);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest message accepted, in bytes of JSON text. Default: 16 MiB.
    pub max_message_bytes: usize,
    /// Most entries in one batch. Default: 1000.
    pub max_batch_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: 16 * 1024 * 1024,
            max_batch_len: 1000,
        }
    }
}
