//! [`Emitter`]: how the host pushes declared events to pages, from a handler or any thread.

use std::sync::Arc;

use serde::Serialize;

use super::shared::{PushSink, Shared, Target};

/// Why an event was not pushed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// The event was never declared.
    #[error("event '{0}' is not declared; add `.event::<Payload>(\"{0}\")` to the Api")]
    Undeclared(String),
    /// The payload did not serialize.
    #[error("the payload of event '{event}' did not serialize: {reason}")]
    Serialize {
        /// The event.
        event: String,
        /// serde's message.
        reason: String,
    },
    /// The payload does not match the declared type's schema (checked in debug builds).
    #[error("the payload of event '{event}' does not match its schema: {reason}")]
    Schema {
        /// The event.
        event: String,
        /// Every violation, joined.
        reason: String,
    },
}

/// Pushes declared events to pages; cheap to clone and `Send`, so a file watcher or a timer
/// thread can hold one. Get it from [`Router::emitter`](crate::Router::emitter),
/// [`Ctx::emitter`](crate::Ctx::emitter) or `AppHandle::emitter`.
///
/// ```
/// # use rpcview::{Api, Target};
/// let router = Api::new().event::<u32>("clock.tick").build().unwrap();
/// let emitter = router.emitter();
/// std::thread::spawn(move || emitter.emit(Target::All, "clock.tick", &1).unwrap()).join().unwrap();
/// ```
#[derive(Clone)]
pub struct Emitter {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Emitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter")
            .field("events", &self.shared.events.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Emitter {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Pushes `event` with `payload` to `target` as a JSON-RPC notification. Windows that are
    /// closed or not yet open miss it; that is not an error.
    ///
    /// # Errors
    /// The event is not declared, or its payload does not serialize or (debug builds) does not
    /// match the declared type.
    pub fn emit<T: Serialize>(
        &self,
        target: Target,
        event: &str,
        payload: &T,
    ) -> Result<(), EmitError> {
        let check = self
            .shared
            .events
            .get(event)
            .ok_or_else(|| EmitError::Undeclared(event.into()))?;
        let value = serde_json::to_value(payload).map_err(|e| EmitError::Serialize {
            event: event.into(),
            reason: e.to_string(),
        })?;
        if cfg!(debug_assertions) {
            let v = check.violations(&value);
            if !v.is_empty() {
                let reason = v
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(EmitError::Schema {
                    event: event.into(),
                    reason,
                });
            }
        }
        let text =
            serde_json::json!({ "jsonrpc": "2.0", "method": event, "params": value }).to_string();
        let sink = self.shared.push.read().expect("push sink lock").clone();
        match sink {
            Some(sink) => sink(target, event, text),
            None => tracing::debug!(event, "no window is open; event dropped"),
        }
        Ok(())
    }

    /// Routes pushes to `sink` (the app does this when it starts).
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn set_sink(&self, sink: PushSink) {
        *self.shared.push.write().expect("push sink lock") = Some(sink);
    }
}
