//! What a handler knows of its call: [`Ctx`], the [`CallSite`], and where events go.

use std::sync::Arc;

use serde::Serialize;

use super::emit::{EmitError, Emitter};
use super::shared::{CallKey, Shared, Target, Task, Tasks, TypeMap};
use super::stats::Stats;
use std::sync::atomic::{AtomicBool, Ordering};

/// Who is calling: the window's label and the origin of the page in it.
///
/// ```
/// let site = rpcview::CallSite::new("main", "app://localhost");
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

/// The context every handler gets: who called, managed state, and a way to push events.
/// Inside an [`App`](crate::App), [`Ctx::app`] reaches the app itself (open a window, exit).
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
    extensions: Arc<TypeMap>,
    tasks: Arc<Tasks>,
    call: Option<CallKey>,
    cancelled: Arc<AtomicBool>,
    url: Arc<str>,
    detached: bool,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    pub(crate) fn new(
        site: CallSite,
        shared: Arc<Shared>,
        extensions: Arc<TypeMap>,
        tasks: Arc<Tasks>,
        call: Option<CallKey>,
        url: Arc<str>,
    ) -> Self {
        Self {
            site,
            shared,
            extensions,
            tasks,
            call,
            cancelled: Arc::default(),
            url,
            detached: false,
        }
    }

    /// A context whose handler no cancel aborts ([`Api::runs_to_completion`](crate::Api::runs_to_completion)).
    pub(crate) fn detached(mut self, detached: bool) -> Self {
        self.detached = detached;
        self
    }

    pub(crate) fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    /// The label of the calling window.
    pub fn window(&self) -> &str {
        &self.site.window
    }

    /// The origin of the calling page, as the host verified it.
    pub fn origin(&self) -> &str {
        &self.site.origin
    }

    /// The URL of the calling page, as the isolated world stamped it (what
    /// `location.href` was when the call left the page); empty when the endpoint was not
    /// told (an [`Endpoint`](crate::Endpoint) driven directly).
    ///
    /// ```
    /// # use rpcview::{Ctx, RpcError};
    /// async fn whoami(ctx: Ctx, _: ()) -> Result<String, RpcError> {
    ///     Ok(format!("{} at {}", ctx.window(), ctx.url()))
    /// }
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The state of type `T` added with [`Api::manage`](crate::Api::manage), if there is one.
    /// A handler that always needs it takes [`State<T>`](crate::State) instead, which
    /// [`Api::build`](crate::Api::build) checks.
    ///
    /// ```
    /// # use rpcview::{Ctx, RpcError};
    /// struct Counter(std::sync::atomic::AtomicU64);
    /// async fn bump(ctx: Ctx, _: ()) -> Result<u64, RpcError> {
    ///     let c = ctx.try_state::<Counter>().ok_or_else(|| RpcError::internal("no counter"))?;
    ///     Ok(c.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
    /// }
    /// ```
    pub fn try_state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.shared.states.read().expect("state lock").get::<T>()
    }

    /// A value the endpoint's owner attached to every call of its window (an
    /// [`App`](crate::App) attaches its `AppHandle`).
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get_ref::<T>()
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
        self.emitter().emit(target, event, payload)
    }

    /// A handle that pushes events after this call has returned (from a task it spawned).
    pub fn emitter(&self) -> Emitter {
        Emitter::new(self.shared.clone())
    }

    /// Whether the page cancelled this call (its `AbortSignal` fired or its `timeoutMs`
    /// elapsed), unsubscribed, or is gone (reloaded, closed, crashed). An async handler needs not ask: it is dropped at its next
    /// `.await`. A [blocking](crate::Api::blocking_method) one should poll this and stop.
    ///
    /// ```
    /// # use rpcview::{Ctx, RpcError};
    /// fn crunch(ctx: Ctx, rounds: Vec<u64>) -> Result<u64, RpcError> {
    ///     let mut sum = 0u64;
    ///     for r in rounds {
    ///         if ctx.is_cancelled() {
    ///             return Err(RpcError::new(1, "cancelled"));
    ///         }
    ///         sum = sum.wrapping_add(r);
    ///     }
    ///     Ok(sum)
    /// }
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Registers the task running this call's handler, so that it can be cancelled; the
    /// returned id removes it.
    pub(crate) fn register(&self, abort: Option<tokio::task::AbortHandle>) -> u64 {
        self.tasks.add(Task {
            call: self.call.clone(),
            abort: abort.filter(|_| !self.detached),
            cancelled: self.cancelled.clone(),
        })
    }

    pub(crate) fn tasks(&self) -> &Arc<Tasks> {
        &self.tasks
    }

    pub(crate) fn stats(&self) -> &Arc<Stats> {
        &self.shared.stats
    }
}
