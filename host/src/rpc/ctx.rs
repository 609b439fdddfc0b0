//! What a handler knows of its call ([`Ctx`]) and how the host pushes events ([`Emitter`]).

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use serde::Serialize;

use super::stats::Stats;
use crate::schema::Validator;

/// Who is calling: the window's label and the origin of the page in it.
///
/// ```
/// let site = rpcview::rpc::CallSite::new("main", "app://localhost");
/// assert_eq!(&*site.window, "main");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallSite {
    /// The window's label (`Window::new("main")`).
    pub window: Arc<str>,
    /// The origin the host verified the message came from.
    pub origin: Arc<str>,
}

impl CallSite {
    /// A call site for `window` at `origin`.
    pub fn new(window: &str, origin: &str) -> Self {
        Self {
            window: window.into(),
            origin: origin.into(),
        }
    }
}

/// Where an event goes.
///
/// ```
/// let to_main = rpcview::Target::Window("main".into());
/// assert_ne!(to_main, rpcview::Target::All);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every open window whose allowlist accepts the event.
    All,
    /// One window, by label.
    Window(String),
}

/// Receives pushes for delivery: `(target, event name, JSON-RPC notification text)`.
type PushSink = Arc<dyn Fn(Target, &str, String) + Send + Sync>;

#[derive(Default)]
pub(crate) struct States(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl States {
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }
    fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|a| a.downcast::<T>().ok())
    }
}

/// Shared by every call: state, counters, declared events, the push sink.
pub(crate) struct Shared {
    pub states: Arc<States>,
    pub stats: Arc<Stats>,
    pub events: Arc<BTreeMap<String, Arc<Validator>>>,
    pub push: RwLock<Option<PushSink>>,
}

/// The context every handler gets: who called, managed state, and a way to push events.
///
/// ```
/// use rpcview::{Ctx, RpcError, Target};
/// async fn touch(ctx: Ctx, id: String) -> Result<(), RpcError> {
///     tracing::info!("window {} touched {id}", ctx.window());
///     ctx.emit(Target::All, "notes.changed", &id).map_err(|e| RpcError::internal(e.to_string()))
/// }
/// ```
#[derive(Clone)]
pub struct Ctx {
    site: CallSite,
    shared: Arc<Shared>,
}

impl Ctx {
    pub(crate) fn new(site: CallSite, shared: Arc<Shared>) -> Self {
        Self { site, shared }
    }

    /// The label of the calling window.
    pub fn window(&self) -> &str {
        &self.site.window
    }

    /// The origin of the calling page, as the host verified it.
    pub fn origin(&self) -> &str {
        &self.site.origin
    }

    /// The state of type `T` added with [`Api::manage`](crate::Api::manage).
    ///
    /// # Panics
    /// No state of type `T` was added; the panic becomes a `-32603` reply for this call.
    pub fn state<T: Send + Sync + 'static>(&self) -> Arc<T> {
        self.shared.states.get::<T>().unwrap_or_else(|| {
            panic!(
                "no state of type {} was added; call Api::manage(value) with one before build()",
                std::any::type_name::<T>()
            )
        })
    }

    /// Pushes the declared event `event` with `payload` to `target`.
    ///
    /// # Errors
    /// See [`Emitter::emit`].
    pub fn emit<T: Serialize>(
        &self,
        target: Target,
        event: &str,
        payload: &T,
    ) -> Result<(), EmitError> {
        Emitter::new(self.shared.clone()).emit(target, event, payload)
    }

    pub(crate) fn stats(&self) -> &Arc<Stats> {
        &self.shared.stats
    }
}

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
/// thread can hold one. Get it from [`Router::emitter`](crate::Router::emitter) or
/// [`AppHandle::emitter`](crate::AppHandle::emitter).
#[derive(Clone)]
pub struct Emitter {
    shared: Arc<Shared>,
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
    pub(crate) fn set_sink(&self, sink: PushSink) {
        *self.shared.push.write().expect("push sink lock") = Some(sink);
    }
}
