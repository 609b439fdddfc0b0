//! One registered entry, ready to run: params shaped and validated, the handler run in its own
//! task (so a panic is caught, and the handler finishes even if nobody waits for it), the
//! result checked against its schema in debug builds.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::bytes::Scope;
use super::ctx::Ctx;
use super::error::RpcError;
use super::handler::{BlockingHandler, BoxFuture, Handler, SubscriptionHandler};
use super::schema::ParamShape;
use super::stats::InFlight;
use super::subscribe::{LiveSub, Sink};
use super::validate::{join, Validator, Violation};

/// A typed handler behind JSON in, JSON out.
/// The result comes back as JSON text: serialized once, straight from the handler's type.
pub(crate) type Erased =
    Arc<dyn Fn(Ctx, Value) -> BoxFuture<Result<Box<RawValue>, RpcError>> + Send + Sync>;

/// `result` as JSON text, in one pass (no `Value` in between); its [`Bytes`](super::Bytes)
/// go to the window's store when the call came through a webview.
fn encode<R: Serialize + ?Sized>(
    name: &str,
    scope: Option<&Scope>,
    result: &R,
) -> Result<Box<RawValue>, RpcError> {
    Scope::with(scope, || serde_json::value::to_raw_value(result))
        .map_err(|e| RpcError::internal(format!("the result of '{name}' did not serialize: {e}")))
}

/// Wraps a method's handler: params decoded, result encoded.
pub(crate) fn method<M, H, R>(name: &str, handler: H) -> Erased
where
    H: Handler<M, Output = Result<R, RpcError>>,
    R: Serialize + Send + 'static,
{
    let name: Arc<str> = name.into();
    Arc::new(move |ctx: Ctx, params: Value| {
        let (handler, name) = (handler.clone(), name.clone());
        Box::pin(async move {
            let params = decode::<H::Params>(&name, &ctx, params)?;
            let scope = ctx.extension::<Scope>().cloned();
            let result = spawn(&name, ctx.clone(), handler.call(ctx, params)).await??;
            encode(&name, scope.as_ref(), &result)
        })
    })
}

/// Wraps a blocking method's handler: run on tokio's blocking pool, so it may block.
pub(crate) fn blocking_method<M, H, R>(name: &str, handler: H) -> Erased
where
    H: BlockingHandler<M, Output = Result<R, RpcError>>,
    R: Serialize + Send + 'static,
{
    let name: Arc<str> = name.into();
    Arc::new(move |ctx: Ctx, params: Value| {
        let (handler, name) = (handler.clone(), name.clone());
        Box::pin(async move {
            let params = decode::<H::Params>(&name, &ctx, params)?;
            let guard = InFlight::enter(ctx.stats().clone());
            let scope = ctx.extension::<Scope>().cloned();
            // Not abortable once started: the handler polls `ctx.is_cancelled()`.
            let (tasks, id) = (ctx.tasks().clone(), ctx.register(None));
            let task = tokio::task::spawn_blocking(move || {
                let _guard = guard;
                handler.call(ctx, params)
            });
            let outcome = task.await;
            tasks.remove(id);
            let result = outcome.map_err(|e| panicked(&name, e))??;
            encode(&name, scope.as_ref(), &result)
        })
    })
}

/// Wraps a notification's handler: params decoded, nothing returned.
pub(crate) fn notification<M, H>(name: &str, handler: H) -> Erased
where
    H: Handler<M, Output = ()>,
{
    let name: Arc<str> = name.into();
    Arc::new(move |ctx: Ctx, params: Value| {
        let (handler, name) = (handler.clone(), name.clone());
        Box::pin(async move {
            let params = decode::<H::Params>(&name, &ctx, params)?;
            spawn(&name, ctx.clone(), handler.call(ctx, params)).await?;
            encode(&name, None, &())
        })
    })
}

/// Wraps a stub (see `Api::stub`): JSON params in, JSON out, run like any handler.
pub(crate) fn stub<F, Fut>(name: &str, f: F) -> Erased
where
    F: Fn(Ctx, Value) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Value, RpcError>> + Send + 'static,
{
    let (name, f): (Arc<str>, Arc<F>) = (name.into(), Arc::new(f));
    Arc::new(move |ctx: Ctx, params: Value| {
        let (f, name) = (f.clone(), name.clone());
        Box::pin(async move {
            let scope = ctx.extension::<Scope>().cloned();
            let result = spawn(&name, ctx.clone(), Box::pin(f(ctx, params))).await??;
            encode(&name, scope.as_ref(), &result)
        })
    })
}

/// A typed subscription handler behind JSON params and a live subscription.
pub(crate) type SubErased =
    Arc<dyn Fn(Ctx, Value, Arc<LiveSub>) -> BoxFuture<Result<(), RpcError>> + Send + Sync>;

/// Wraps a subscription's handler: params decoded, the sink typed.
pub(crate) fn subscription<M, H>(name: &str, handler: H) -> SubErased
where
    H: SubscriptionHandler<M>,
{
    let name: Arc<str> = name.into();
    Arc::new(move |ctx: Ctx, params: Value, live: Arc<LiveSub>| {
        let (handler, name) = (handler.clone(), name.clone());
        Box::pin(async move {
            let params = decode::<H::Params>(&name, &ctx, params)?;
            handler.call(ctx, params, Sink::new(live)).await
        })
    })
}

/// How a compiled entry runs.
pub(crate) enum Run {
    /// A method or notification: one result.
    Call(Erased),
    /// A subscription: items into a sink.
    Subscribe(SubErased),
}

/// The handler's params from JSON; their [`Bytes`](super::Bytes) are taken from the window's
/// store when the call came through a webview.
fn decode<P: serde::de::DeserializeOwned>(
    name: &str,
    ctx: &Ctx,
    params: Value,
) -> Result<P, RpcError> {
    Scope::with(ctx.extension::<Scope>(), || serde_json::from_value(params))
        .map_err(|e| RpcError::invalid_params(format!("invalid params for '{name}': {e}")))
}

/// Runs `fut`, counted in flight; a panic becomes `-32603`. It is polled once here first:
/// most handlers finish without waiting, and then cost no task of their own (measured by
/// rpcview-bench: a spawn and a join per call were most of the core's time above serde's).
/// One that waits goes on in its own task, so it can be aborted when its page leaves.
async fn spawn<T: Send + 'static>(
    name: &str,
    ctx: Ctx,
    mut fut: BoxFuture<T>,
) -> Result<T, RpcError> {
    let guard = InFlight::enter(ctx.stats().clone());
    let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        fut.as_mut().poll(&mut cx)
    }));
    match first {
        Ok(std::task::Poll::Ready(value)) => return Ok(value),
        Ok(std::task::Poll::Pending) => {}
        Err(payload) => return Err(panicked_with(name, payload)),
    }
    // Polled again at once by its task, with a waker that works: a future that registered
    // the no-op waker above registers that one instead.
    let task = tokio::spawn(async move {
        let _guard = guard;
        fut.await
    });
    let id = ctx.register(Some(task.abort_handle()));
    let outcome = task.await;
    ctx.tasks().remove(id);
    outcome.map_err(|e| panicked(name, e))
}

pub(crate) fn panicked(name: &str, e: tokio::task::JoinError) -> RpcError {
    if e.is_cancelled() {
        tracing::debug!(method = %name, "handler cancelled");
        return RpcError::new(
            super::error::REQUEST_CANCELLED,
            format!("the call to '{name}' was cancelled"),
        );
    }
    panicked_with(name, e.into_panic())
}

/// The `-32603` for a handler that panicked with `payload`.
fn panicked_with(name: &str, payload: Box<dyn std::any::Any + Send>) -> RpcError {
    let why = panic_message(payload);
    tracing::error!(method = %name, "handler panicked: {why}");
    RpcError::internal(format!("the handler of '{name}' panicked: {why}"))
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".into())
}

/// One method, notification or subscription, compiled at [`Api::build`](crate::Api::build).
pub(crate) struct Compiled {
    pub(crate) name: String,
    pub(crate) shape: ParamShape,
    pub(crate) params: Validator,
    /// The result's check, or each item's for a subscription (debug builds).
    pub(crate) result: Option<Arc<Validator>>,
    pub(crate) run: Run,
    /// Runs to its end even when its page reloads or closes ([`Api::runs_to_completion`](crate::Api::runs_to_completion)).
    pub(crate) detached: bool,
}

impl Compiled {
    /// Reads `raw` params (the one parse they get), shapes and validates them, runs the
    /// handler, and checks its result (debug builds).
    pub(crate) async fn run(
        &self,
        ctx: Ctx,
        raw: Option<&RawValue>,
    ) -> Result<Box<RawValue>, RpcError> {
        let Run::Call(call) = &self.run else {
            unreachable!("the endpoint starts subscriptions itself")
        };
        let params = self.params(raw)?;
        let result = call(ctx, params).await?;
        if let Some(check) = &self.result {
            let value: Value = serde_json::from_str(result.get())
                .map_err(|e| RpcError::internal(format!("the result of '{}': {e}", self.name)))?;
            let violations = check.violations(&value);
            if !violations.is_empty() {
                let list = join(&violations);
                tracing::error!(method = %self.name, "result does not match its schema: {list}");
                return Err(RpcError::internal(format!(
                    "the result of '{}' does not match its schema: {list}",
                    self.name
                ))
                .with_data(serde_json::json!({ "method": self.name, "errors": violations })));
            }
        }
        Ok(result)
    }

    /// Reads `raw` params (the one parse they get), shapes and validates them.
    pub(crate) fn params(&self, raw: Option<&RawValue>) -> Result<Value, RpcError> {
        let sent = raw
            .map(|r| serde_json::from_str::<Value>(r.get()))
            .transpose()
            .map_err(|e| {
                RpcError::invalid_params(format!("params of '{}' are not JSON: {e}", self.name))
            })?;
        let params = super::params::shape(&self.name, &self.shape, sent)?;
        let violations = self.params.violations(&params);
        if !violations.is_empty() {
            return Err(invalid_params(&self.name, &violations));
        }
        Ok(params)
    }
}

fn invalid_params(method: &str, violations: &[Violation]) -> RpcError {
    RpcError::invalid_params(format!(
        "invalid params for '{method}': {}",
        join(violations)
    ))
    .with_data(serde_json::json!({ "method": method, "errors": violations }))
}
