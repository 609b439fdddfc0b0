//! What a handler is: a plain `async fn`, with or without a [`State`] first.
//!
//! [`Handler`] is implemented for every function (or closure) of the forms
//! `async fn(Ctx, P) -> T` and `async fn(State<S>, Ctx, P) -> T`; users never implement it.
//! A handler that takes `State<S>` declares that it needs `S`, so a missing
//! [`Api::manage`](crate::Api::manage) is caught by [`Api::build`](crate::Api::build), before
//! any window opens, rather than when the first call runs.

use std::any::TypeId;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::ctx::Ctx;
use super::error::RpcError;
use super::subscribe::Sink;

/// A boxed, sendable future.
pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// State a handler takes as its first argument: the value given to
/// [`Api::manage`](crate::Api::manage) for type `S`, shared by every call.
///
/// ```
/// use rpcview::{Api, Ctx, RpcError, State};
/// struct Greeting(String);
/// async fn greet(State(g): State<Greeting>, _: Ctx, name: String) -> Result<String, RpcError> {
///     Ok(format!("{} {name}", g.0))
/// }
/// let api = Api::new().manage(Greeting("hello".into())).method("greet", greet);
/// assert!(api.build().is_ok());
/// ```
#[derive(Debug)]
pub struct State<S>(pub Arc<S>);

impl<S> Clone for State<S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<S> std::ops::Deref for State<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.0
    }
}

/// State a handler needs: its type, and its name for the error message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Need {
    pub(crate) id: TypeId,
    pub(crate) name: &'static str,
}

/// An async function the [`Api`](crate::Api) can register. Implemented for
/// `Fn(Ctx, P) -> impl Future` and `Fn(State<S>, Ctx, P) -> impl Future`; `M` only tells the
/// two apart.
pub trait Handler<M>: Clone + Send + Sync + 'static {
    /// The params type, checked against its JSON Schema before the handler runs.
    type Params: DeserializeOwned + JsonSchema + Send + 'static;
    /// What the handler's future gives: `Result<T, RpcError>` for a method, `()` for a
    /// notification.
    type Output: Send + 'static;
    /// Runs the handler.
    #[doc(hidden)]
    fn call(&self, ctx: Ctx, params: Self::Params) -> BoxFuture<Self::Output>;
    /// The state it needs, if any.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn needs() -> Option<Need> {
        None
    }
}

impl<F, Fut, P> Handler<(Ctx, P)> for F
where
    F: Fn(Ctx, P) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
    P: DeserializeOwned + JsonSchema + Send + 'static,
{
    type Params = P;
    type Output = Fut::Output;
    fn call(&self, ctx: Ctx, params: P) -> BoxFuture<Fut::Output> {
        Box::pin(self(ctx, params))
    }
}

impl<F, Fut, S, P> Handler<(State<S>, Ctx, P)> for F
where
    F: Fn(State<S>, Ctx, P) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
    S: Send + Sync + 'static,
    P: DeserializeOwned + JsonSchema + Send + 'static,
{
    type Params = P;
    type Output = Fut::Output;
    fn call(&self, ctx: Ctx, params: P) -> BoxFuture<Fut::Output> {
        // `Api::build` refused to build without this state, so it is there.
        let state = ctx
            .try_state::<S>()
            .expect("Api::build checked every needed state");
        Box::pin(self(State(state), ctx, params))
    }
    #[allow(private_interfaces)]
    fn needs() -> Option<Need> {
        Some(Need {
            id: TypeId::of::<S>(),
            name: std::any::type_name::<S>(),
        })
    }
}

/// A synchronous function the [`Api`](crate::Api) can register with
/// [`Api::blocking_method`](crate::Api::blocking_method): it runs on tokio's blocking pool, so
/// it may block (CPU work, synchronous file or network I/O) without stalling other calls.
/// Implemented for `Fn(Ctx, P) -> T` and `Fn(State<S>, Ctx, P) -> T`.
pub trait BlockingHandler<M>: Clone + Send + Sync + 'static {
    /// The params type, checked against its JSON Schema before the handler runs.
    type Params: DeserializeOwned + JsonSchema + Send + 'static;
    /// What the handler returns: `Result<T, RpcError>`.
    type Output: Send + 'static;
    /// Runs the handler (on a thread that may block).
    #[doc(hidden)]
    fn call(&self, ctx: Ctx, params: Self::Params) -> Self::Output;
    /// The state it needs, if any.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn needs() -> Option<Need> {
        None
    }
}

impl<F, P, T> BlockingHandler<(Ctx, P)> for F
where
    F: Fn(Ctx, P) -> T + Clone + Send + Sync + 'static,
    P: DeserializeOwned + JsonSchema + Send + 'static,
    T: Send + 'static,
{
    type Params = P;
    type Output = T;
    fn call(&self, ctx: Ctx, params: P) -> T {
        self(ctx, params)
    }
}

impl<F, S, P, T> BlockingHandler<(State<S>, Ctx, P)> for F
where
    F: Fn(State<S>, Ctx, P) -> T + Clone + Send + Sync + 'static,
    S: Send + Sync + 'static,
    P: DeserializeOwned + JsonSchema + Send + 'static,
    T: Send + 'static,
{
    type Params = P;
    type Output = T;
    fn call(&self, ctx: Ctx, params: P) -> T {
        let state = ctx
            .try_state::<S>()
            .expect("Api::build checked every needed state");
        self(State(state), ctx, params)
    }
    #[allow(private_interfaces)]
    fn needs() -> Option<Need> {
        Some(Need {
            id: TypeId::of::<S>(),
            name: std::any::type_name::<S>(),
        })
    }
}

/// An async function the [`Api`](crate::Api) can register with
/// [`Api::subscription`](crate::Api::subscription): it gets its params and a
/// [`Sink`](crate::Sink) to stream items into, and its `Result<(), RpcError>` ends the stream.
/// Implemented for `Fn(Ctx, P, Sink<T>) -> impl Future` and
/// `Fn(State<S>, Ctx, P, Sink<T>) -> impl Future`.
pub trait SubscriptionHandler<M>: Clone + Send + Sync + 'static {
    /// The params type, checked against its JSON Schema before the handler runs.
    type Params: DeserializeOwned + JsonSchema + Send + 'static;
    /// The type of each item.
    type Item: serde::Serialize + JsonSchema + Send + 'static;
    /// Runs the handler.
    #[doc(hidden)]
    fn call(
        &self,
        ctx: Ctx,
        params: Self::Params,
        sink: Sink<Self::Item>,
    ) -> BoxFuture<Result<(), RpcError>>;
    /// The state it needs, if any.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn needs() -> Option<Need> {
        None
    }
}

impl<F, Fut, P, T> SubscriptionHandler<(Ctx, P, Sink<T>)> for F
where
    F: Fn(Ctx, P, Sink<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), RpcError>> + Send + 'static,
    P: DeserializeOwned + JsonSchema + Send + 'static,
    T: serde::Serialize + JsonSchema + Send + 'static,
{
    type Params = P;
    type Item = T;
    fn call(&self, ctx: Ctx, params: P, sink: Sink<T>) -> BoxFuture<Result<(), RpcError>> {
        Box::pin(self(ctx, params, sink))
    }
}

impl<F, Fut, S, P, T> SubscriptionHandler<(State<S>, Ctx, P, Sink<T>)> for F
where
    F: Fn(State<S>, Ctx, P, Sink<T>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), RpcError>> + Send + 'static,
    S: Send + Sync + 'static,
    P: DeserializeOwned + JsonSchema + Send + 'static,
    T: serde::Serialize + JsonSchema + Send + 'static,
{
    type Params = P;
    type Item = T;
    fn call(&self, ctx: Ctx, params: P, sink: Sink<T>) -> BoxFuture<Result<(), RpcError>> {
        let state = ctx
            .try_state::<S>()
            .expect("Api::build checked every needed state");
        Box::pin(self(State(state), ctx, params, sink))
    }
    #[allow(private_interfaces)]
    fn needs() -> Option<Need> {
        Some(Need {
            id: TypeId::of::<S>(),
            name: std::any::type_name::<S>(),
        })
    }
}
