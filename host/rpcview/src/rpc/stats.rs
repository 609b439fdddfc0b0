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
    /// Hand-offs from pages and deliveries to them that went as bodies.
    stored: Both,
    /// Bodies pages uploaded to the blob channel and fetched from it.
    blobs: Both,
}

/// A count each way: from pages, to pages.
#[derive(Debug, Default)]
struct Both(AtomicU64, AtomicU64);

impl Both {
    fn get(&self) -> (u64, u64) {
        (self.0.load(Ordering::SeqCst), self.1.load(Ordering::SeqCst))
    }
    fn add(&self, from_page: bool) {
        let counter = if from_page { &self.0 } else { &self.1 };
        counter.fetch_add(1, Ordering::SeqCst);
    }
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
        self.stored.get()
    }
    /// How many bodies pages uploaded to the blob channel and fetched from it (binary
    /// payloads and large messages): `(uploaded, fetched)`.
    pub fn blob_transfers(&self) -> (u64, u64) {
        self.blobs.get()
    }
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn count_blob(&self, uploaded: bool) {
        self.blobs.add(uploaded);
    }
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn count_stored(&self, from_page: bool) {
        self.stored.add(from_page);
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
