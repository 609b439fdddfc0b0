//! Live counters a test (or a status page) can read: handler runs, calls in flight, refusals.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

/// Counters shared by every window of an app.
///
/// ```
/// let stats = rpcview::Stats::default();
/// assert_eq!(stats.in_flight(), 0);
/// ```
#[derive(Debug, Default)]
pub struct Stats {
    runs: AtomicU64,
    in_flight: AtomicI64,
    refused: AtomicU64,
    dropped: AtomicU64,
    subscriptions: AtomicI64,
    stored_in: AtomicU64,
    stored_out: AtomicU64,
    blobs_up: AtomicU64,
    blobs_down: AtomicU64,
}

impl Stats {
    /// How many handlers have started, ever.
    pub fn handler_runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }
    /// How many handlers are running now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.load(Ordering::SeqCst)
    }
    /// How many subscriptions are live now (their handler still running).
    pub fn subscriptions(&self) -> i64 {
        self.subscriptions.load(Ordering::SeqCst)
    }
    /// How many messages the bridge refused (wrong frame, wrong origin, malformed envelope).
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::SeqCst)
    }
    /// How many replies were dropped because their page reloaded or their window closed.
    pub fn replies_dropped(&self) -> u64 {
        self.dropped.load(Ordering::SeqCst)
    }
    /// How many hand-offs from pages, and deliveries to them, were too large for a string
    /// and went as a body on the blob channel instead: `(from pages, to pages)`.
    pub fn stored_transfers(&self) -> (u64, u64) {
        (
            self.stored_in.load(Ordering::SeqCst),
            self.stored_out.load(Ordering::SeqCst),
        )
    }
    /// How many bodies pages uploaded to the blob channel and fetched from it (binary
    /// payloads and large messages): `(uploaded, fetched)`.
    pub fn blob_transfers(&self) -> (u64, u64) {
        (
            self.blobs_up.load(Ordering::SeqCst),
            self.blobs_down.load(Ordering::SeqCst),
        )
    }
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn count_blob(&self, uploaded: bool) {
        let counter = if uploaded {
            &self.blobs_up
        } else {
            &self.blobs_down
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn count_stored(&self, from_page: bool) {
        let counter = if from_page {
            &self.stored_in
        } else {
            &self.stored_out
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn count_dropped(&self) {
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn count_refusal(&self) {
        self.refused.fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts one handler as running until dropped, even if the handler panics.
pub(crate) struct InFlight(Arc<Stats>);

impl InFlight {
    pub(crate) fn enter(stats: Arc<Stats>) -> Self {
        stats.runs.fetch_add(1, Ordering::SeqCst);
        stats.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(stats)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts one subscription as live until dropped, even if its handler panics.
pub(crate) struct LiveCount(Arc<Stats>);

impl LiveCount {
    pub(crate) fn enter(stats: Arc<Stats>) -> Self {
        stats.runs.fetch_add(1, Ordering::SeqCst);
        stats.subscriptions.fetch_add(1, Ordering::SeqCst);
        Self(stats)
    }
}

impl Drop for LiveCount {
    fn drop(&mut self) {
        self.0.subscriptions.fetch_sub(1, Ordering::SeqCst);
    }
}
