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

use super::handle::UserEvent;
use super::{PageLog, PageLogHook, PageLogLevel};
use crate::bridge::{self, Handoff};
use crate::rpc::Endpoint;

/// What one window's bridge needs to answer its page.
pub(crate) struct Glue {
    pub(crate) label: String,
    pub(crate) origin: String,
    pub(crate) endpoint: Endpoint,
    pub(crate) generation: Rc<Cell<u64>>,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) proxy: EventLoopProxy<UserEvent>,
    pub(crate) on_page_log: Option<PageLogHook>,
}

impl Glue {
    /// Handles one stamped message from the world script (on the UI thread).
    pub(crate) fn on_message(&self, stamped: &str) {
        let max = self.endpoint.router().limits().max_handoff_bytes();
        match bridge::check(stamped, &self.origin, max) {
            Err(refusal) => {
                self.endpoint.router().stats().count_refusal();
                tracing::warn!(window = %self.label, "refused: {refusal}");
            }
            Ok(Handoff::Log(log)) => {
                let level = match log.level.as_str() {
                    "warn" => PageLogLevel::Warn,
                    _ => PageLogLevel::Error,
                };
                let (window, message) = (&self.label, &log.message);
                match level {
                    PageLogLevel::Warn => tracing::warn!(%window, "page: {message}"),
                    PageLogLevel::Error => tracing::error!(%window, "page: {message}"),
                }
                if let Some(f) = &self.on_page_log {
                    f(&PageLog {
                        window: self.label.clone(),
                        level,
                        message: log.message,
                    });
                }
            }
            Ok(Handoff::Calls { nonce, messages }) => self.dispatch(nonce, messages),
        }
    }

    /// Answers each call on its own task; replies go back through the event loop.
    fn dispatch(&self, nonce: String, messages: Vec<String>) {
        let generation = self.generation.get();
        for message in messages {
            let (endpoint, proxy) = (self.endpoint.clone(), self.proxy.clone());
            let (window, nonce) = (self.label.clone(), nonce.clone());
            self.runtime.spawn(async move {
                if let Some(text) = endpoint.handle_from(&nonce, &message).await {
                    let _ = proxy.send_event(UserEvent::Deliver {
                        window,
                        generation,
                        nonce,
                        text,
                    });
                }
            });
        }
    }
}
