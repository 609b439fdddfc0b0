//! The bridge glue: what happens to a message the world script posted, and how replies find
//! their way back to the page that sent the calls.
//!
//! On the UI thread: the stamp is checked (top frame, window's origin, size) and each call is
//! spawned on the tokio runtime. There: the [`Endpoint`] answers, and the reply goes back to
//! the UI thread tagged with the window, the page's nonce and the generation it was sent in,
//! so that a reply to a page since reloaded is dropped.

use std::cell::Cell;
use std::rc::Rc;

use tao::event_loop::EventLoopProxy;

use super::handle::{Replies, Reply, UserEvent};
use super::{PageLog, PageLogHook, PageLogLevel};
use crate::bridge::{self, Handoff};
use crate::rpc::log::{clean, refusal, Throttle, MESSAGE_CHARS};
use crate::rpc::Endpoint;

/// The endpoints of a window: one per origin a capability grants it, by origin.
pub(crate) type Endpoints = std::collections::BTreeMap<String, Endpoint>;

/// What one window's bridge needs to answer its page.
pub(crate) struct Glue {
    pub(crate) label: String,
    /// One endpoint per origin a capability grants the window.
    pub(crate) endpoints: Endpoints,
    pub(crate) generation: Rc<Cell<u64>>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) proxy: EventLoopProxy<UserEvent>,
    /// Where replies wait for the UI thread.
    pub(crate) replies: std::sync::Arc<Replies>,
    pub(crate) on_page_log: Option<PageLogHook>,
    /// The app's router (limits, counters).
    pub(crate) router: crate::rpc::Router,
    /// Page logs taken from the current page: the preload caps them, but a page script that
    /// took over the port would not, so the host caps them too.
    pub(crate) logs: LogBudget,
    /// The app's blob store: where a hand-off too large for a string waits.
    pub(crate) blobs: crate::rpc::Blobs,
}

/// At most [`LogBudget::PER_PAGE`] page logs per page load (per generation).
#[derive(Debug, Default)]
pub(crate) struct LogBudget(Cell<(u64, u32)>);

impl LogBudget {
    /// The preload's own cap, enforced again on the host.
    pub(crate) const PER_PAGE: u32 = 200;

    /// Whether one more log of the page in `generation` may be taken; `Some(true)` for the
    /// last one, after which the host says that it drops the rest.
    fn take(&self, generation: u64) -> Option<bool> {
        let (gen, n) = self.0.get();
        let n = if gen == generation { n } else { 0 };
        self.0.set((generation, n.saturating_add(1)));
        (n < Self::PER_PAGE).then_some(n + 1 == Self::PER_PAGE)
    }
}

impl Glue {
    /// Handles one stamped message from the world script (on the UI thread).
    pub(crate) fn on_message(&self, stamped: &str) {
        let max = self.router.limits().max_handoff_bytes();
        let origins: Vec<String> = self.endpoints.keys().cloned().collect();
        match bridge::check(stamped, &origins, max) {
            Err(refusal) => {
                self.router.stats().count_refusal();
                static THROTTLE: Throttle = Throttle::new();
                refusal!(THROTTLE, window = %self.label, "refused: {refusal}");
            }
            Ok(Handoff::Log(log)) => {
                let Some(last) = self.logs.take(self.generation.get()) else {
                    return;
                };
                if last {
                    tracing::warn!(window = %self.label, "page logs beyond {} per page load are dropped", LogBudget::PER_PAGE);
                }
                let level = match log.level.as_str() {
                    "warn" => PageLogLevel::Warn,
                    "info" | "log" => PageLogLevel::Info,
                    "debug" => PageLogLevel::Debug,
                    _ => PageLogLevel::Error,
                };
                // Escaped and cut: a page's text cannot start a line of its own in the host's
                // log, nor send escape sequences to its terminal.
                let window = &self.label;
                let message = clean(&log.message, MESSAGE_CHARS);
                match level {
                    PageLogLevel::Error => {
                        tracing::error!(target: "rpcview::page", %window, "page: {message}")
                    }
                    PageLogLevel::Warn => {
                        tracing::warn!(target: "rpcview::page", %window, "page: {message}")
                    }
                    PageLogLevel::Info => {
                        tracing::info!(target: "rpcview::page", %window, "page: {message}")
                    }
                    PageLogLevel::Debug => {
                        tracing::debug!(target: "rpcview::page", %window, "page: {message}")
                    }
                }
                if let Some(f) = &self.on_page_log {
                    f(&PageLog {
                        window: self.label.clone(),
                        level,
                        message: log.message,
                    });
                }
            }
            Ok(Handoff::Stored {
                origin,
                nonce,
                href,
                id,
            }) => {
                let taken = self
                    .blobs
                    .take(&self.label.as_str().into(), &id)
                    .map_err(|e| bridge::Refusal::Malformed(e.to_string()))
                    .and_then(|body| {
                        if body.len() > max {
                            return Err(bridge::Refusal::TooLarge {
                                size: body.len(),
                                limit: max,
                            });
                        }
                        bridge::stored_messages(&body)
                    });
                match (taken, self.endpoints.get(&origin)) {
                    (Ok(messages), Some(endpoint)) => {
                        self.router.stats().count_stored(true);
                        tracing::trace!(target: crate::PROFILE_TARGET, stage = "checked");
                        self.dispatch(endpoint, nonce, href, messages);
                    }
                    (Err(refusal), _) => {
                        self.router.stats().count_refusal();
                        static THROTTLE: Throttle = Throttle::new();
                        refusal!(THROTTLE, window = %self.label, "refused a stored hand-off: {refusal}");
                    }
                    (Ok(_), None) => {}
                }
            }
            Ok(Handoff::Calls {
                origin,
                nonce,
                href,
                messages,
            }) => {
                if let Some(endpoint) = self.endpoints.get(&origin) {
                    tracing::trace!(target: crate::PROFILE_TARGET, stage = "checked");
                    self.dispatch(endpoint, nonce, href, messages);
                }
            }
        }
    }

    /// Answers each call on its own task; replies go back through the event loop.
    fn dispatch(&self, endpoint: &Endpoint, nonce: String, href: String, messages: Vec<String>) {
        let generation = self.generation.get();
        let href: std::sync::Arc<str> = href.into();
        for message in messages {
            let (endpoint, proxy) = (endpoint.clone(), self.proxy.clone());
            let (window, nonce, href) = (self.label.clone(), nonce.clone(), href.clone());
            let replies = self.replies.clone();
            self.runtime.spawn(async move {
                tracing::trace!(target: crate::PROFILE_TARGET, stage = "task");
                if let Some(text) = endpoint.handle_page(&nonce, &href, &message).await {
                    tracing::trace!(target: crate::PROFILE_TARGET, stage = "answered");
                    let generation = Some(generation);
                    let reply = Reply::To {
                        window,
                        generation,
                        nonce,
                        text,
                    };
                    replies.send(&proxy, reply);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogBudget;

    #[test]
    fn page_logs_are_capped_per_page_load_on_the_host_too() {
        let budget = LogBudget::default();
        let taken = (0..500).filter(|_| budget.take(1).is_some()).count();
        assert_eq!(taken, LogBudget::PER_PAGE as usize);
        assert_eq!(
            budget.take(2),
            Some(false),
            "a new page load has a new budget"
        );
    }
}
