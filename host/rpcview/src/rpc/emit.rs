//! [`Emitter`]: how the host pushes declared events to pages, from a handler or any thread.

use std::sync::Arc;

use serde::Serialize;

use super::error::RpcError;
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
    /// The payload does not match the declared type's schema (checked in debug builds, and
    /// always for payloads a page relays).
    #[error("the payload of event '{event}' does not match its schema: {reason}")]
    Schema {
        /// The event.
        event: String,
        /// Every violation, joined.
        reason: String,
    },
    /// The target names a window that is not open.
    #[error("no window labelled '{0}' is open")]
    NoSuchWindow(String),
    /// The target window's allowlist does not accept the event (relays only: a push to
    /// [`Target::All`] just skips such windows).
    #[error(
        "window '{window}' may not receive event '{event}'; add it to that window's Window::allow"
    )]
    NotAllowed {
        /// The window.
        window: String,
        /// The event.
        event: String,
    },
}

impl From<EmitError> for RpcError {
    fn from(e: EmitError) -> Self {
        match e {
            EmitError::Undeclared(_) | EmitError::Schema { .. } | EmitError::NoSuchWindow(_) => {
                RpcError::invalid_params(e.to_string())
            }
            EmitError::NotAllowed { .. } => {
                RpcError::new(super::error::METHOD_NOT_ALLOWED, e.to_string())
            }
            EmitError::Serialize { .. } => RpcError::internal(e.to_string()),
        }
    }
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

    /// Pushes `event` with `payload` to `target` as a JSON-RPC notification. Windows whose
    /// allowlist does not accept the event are skipped.
    ///
    /// # Errors
    /// The event is not declared, its payload does not serialize or (debug builds) does not
    /// match the declared type, or the target names a window that is not open (checked
    /// while an app runs; without one, pushes go nowhere).
    pub fn emit<T: Serialize>(
        &self,
        target: Target,
        event: &str,
        payload: &T,
    ) -> Result<(), EmitError> {
        let value = serde_json::to_value(payload).map_err(|e| EmitError::Serialize {
            event: event.into(),
            reason: e.to_string(),
        })?;
        self.check(event, &value, cfg!(debug_assertions))?;
        let text =
            serde_json::json!({ "jsonrpc": "2.0", "method": event, "params": value }).to_string();
        self.send(&target, event, text, false)
    }

    /// Relays `event` from the window `from` to the window `to`: the payload is checked
    /// against the event's schema (always: it comes from a page), and the notification
    /// carries `"from": <label>` so the receiving page's listener learns the sender.
    pub(crate) fn relay(
        &self,
        from: &str,
        to: &str,
        event: &str,
        payload: serde_json::Value,
    ) -> Result<(), EmitError> {
        self.check(event, &payload, true)?;
        let text = serde_json::json!({ "jsonrpc": "2.0", "method": event, "params": payload, "from": from })
            .to_string();
        self.send(&Target::Window(to.into()), event, text, true)
    }

    fn check(
        &self,
        event: &str,
        value: &serde_json::Value,
        validate: bool,
    ) -> Result<(), EmitError> {
        let check = self
            .shared
            .events
            .get(event)
            .ok_or_else(|| EmitError::Undeclared(event.into()))?;
        if validate {
            let v = check.violations(value);
            if !v.is_empty() {
                return Err(EmitError::Schema {
                    event: event.into(),
                    reason: super::validate::join(&v),
                });
            }
        }
        Ok(())
    }

    /// Resolves `target` to open windows that accept `event`, and hands `text` to the sink.
    /// `strict`: a named window that does not accept the event is an error, not skipped.
    fn send(
        &self,
        target: &Target,
        event: &str,
        text: String,
        strict: bool,
    ) -> Result<(), EmitError> {
        let Some(sink) = self.shared.push.read().expect("push sink lock").clone() else {
            tracing::debug!(event, "no app is running; event dropped");
            return Ok(());
        };
        let windows = self.shared.windows.read().expect("windows lock");
        let named: &[String] = match target {
            Target::Window(label) => std::slice::from_ref(label),
            Target::Windows(labels) => labels,
            Target::All | Target::AllExcept(_) => &[],
        };
        if let Some(missing) = named.iter().find(|l| !windows.open.contains_key(*l)) {
            return Err(EmitError::NoSuchWindow(missing.clone()));
        }
        if strict {
            if let Some(refusing) = named.iter().find(|l| !windows.open[*l].1.permits(event)) {
                return Err(EmitError::NotAllowed {
                    window: refusing.clone(),
                    event: event.into(),
                });
            }
        }
        let labels: Vec<String> = windows
            .open
            .iter()
            .filter(|(label, _)| match target {
                Target::All => true,
                Target::AllExcept(except) => *label != except,
                _ => named.contains(label),
            })
            .filter(|(_, (_, allow))| allow.permits(event))
            .map(|(label, _)| label.clone())
            .collect();
        drop(windows);
        if !labels.is_empty() {
            sink(labels, event, text);
        }
        Ok(())
    }

    /// Routes pushes to `sink` (the app does this when it starts).
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn set_sink(&self, sink: PushSink) {
        *self.shared.push.write().expect("push sink lock") = Some(sink);
    }
}
