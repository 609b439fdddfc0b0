//! Subscriptions (streams): the page subscribes, the host streams items to it as JSON-RPC
//! notifications until the handler ends, the page unsubscribes, or the page goes away.
//!
//! The wire, as jsonrpsee's subscriptions have it:
//! - subscribe: `{"jsonrpc":"2.0","id":5,"method":"downloads.progress","params":{...}}`,
//!   answered `{"jsonrpc":"2.0","result":"17","id":5}`: `"17"` is the subscription's id;
//! - each item: `{"jsonrpc":"2.0","method":"downloads.progress","params":{"subscription":"17","result":ITEM}}`;
//! - the end: `params` `{"subscription":"17","end":true}`, or `{"subscription":"17","error":{code, message, data?}}`;
//! - the page stops it with [`UNSUBSCRIBE`]: `{"method":"$/unsubscribe","params":{"subscription":"17"}}`
//!   (answered `true` or `false` when sent with an id);
//! - and grants credit with [`ACK`]: `{"method":"$/ack","params":{"subscription":"17","n":64}}`.
//!
//! **Backpressure.** The host sends at most [`Limits::subscription_window`](crate::Limits)
//! items a page has not acknowledged; then [`Sink::send`] waits until the page acknowledges
//! some (the preload does after each item reached its listener or its `for await` loop). A page
//! that stalls therefore costs the host at most one window of items per subscription, however
//! fast the handler produces. The subscription's reply always reaches the page before its
//! first item.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::error::RpcError;
use super::validate::Validator;

/// The notification a page sends to end one of its subscriptions:
/// `{"jsonrpc":"2.0","method":"$/unsubscribe","params":{"subscription":"17"}}`. Sent as a
/// request (with an id) it is answered `true` if the subscription was live. It reaches only
/// subscriptions of the same page.
pub const UNSUBSCRIBE: &str = "$/unsubscribe";

/// The notification a page sends once it has consumed items:
/// `{"jsonrpc":"2.0","method":"$/ack","params":{"subscription":"17","n":64}}`; it lets the
/// host send `n` more. A client that never acknowledges receives one window of items.
pub const ACK: &str = "$/ack";

/// Where an endpoint sends what is not a reply to the message it is handling: a
/// subscription's reply, items and end, as `(page scope, JSON-RPC message text)`.
pub(crate) type Outbox = Arc<dyn Fn(&str, String) + Send + Sync>;

/// Why [`Sink::send`] did not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// The page unsubscribed, reloaded or closed: stop producing.
    #[error("the subscription is closed: the page unsubscribed or went away")]
    Closed,
    /// The item did not serialize.
    #[error("the item did not serialize: {0}")]
    Serialize(String),
    /// The item does not match the declared item type's schema (checked in debug builds).
    #[error("the item does not match its schema: {0}")]
    Schema(String),
}

impl From<SinkError> for RpcError {
    fn from(e: SinkError) -> Self {
        RpcError::internal(e.to_string())
    }
}

/// One live subscription, shared by its [`Sink`], its endpoint's registry and its task.
pub(crate) struct LiveSub {
    pub(crate) id: Arc<str>,
    pub(crate) scope: Arc<str>,
    name: Arc<str>,
    outbox: Outbox,
    item: Option<Arc<Validator>>,
    credit: tokio::sync::Semaphore,
    /// Items sent and not yet acknowledged.
    outstanding: Mutex<usize>,
    closed: tokio::sync::watch::Sender<bool>,
    /// The handler's `Ctx::is_cancelled` flag.
    cancelled: Arc<AtomicBool>,
    abort: Mutex<Option<tokio::task::AbortHandle>>,
    /// Where the items' [`Bytes`](super::Bytes) go: the window's store, in a webview.
    blobs: Option<super::bytes::Scope>,
}

impl LiveSub {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: Arc<str>,
        scope: Arc<str>,
        name: &str,
        outbox: Outbox,
        item: Option<Arc<Validator>>,
        window: usize,
        cancelled: Arc<AtomicBool>,
        blobs: Option<super::bytes::Scope>,
    ) -> Self {
        Self {
            id,
            scope,
            name: name.into(),
            outbox,
            item,
            credit: tokio::sync::Semaphore::new(window),
            outstanding: Mutex::new(0),
            closed: tokio::sync::watch::channel(false).0,
            cancelled,
            abort: Mutex::new(None),
            blobs,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// The page consumed `n` items: lets the sink send as many more (never more than it has
    /// sent, so a page cannot open the window wider than the limit).
    pub(crate) fn ack(&self, n: u64) {
        let mut outstanding = self.outstanding.lock().expect("credit lock");
        let n = usize::try_from(n).unwrap_or(usize::MAX).min(*outstanding);
        *outstanding -= n;
        self.credit.add_permits(n);
    }

    /// Stops the stream: the sink's `send` fails, `closed()` resolves, the handler's task is
    /// dropped at its next `.await`. Returns whether it was live.
    pub(crate) fn close(&self) -> bool {
        let was_live = !self.closed.send_replace(true);
        self.credit.close();
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(abort) = self.abort.lock().expect("abort lock").as_ref() {
            abort.abort();
        }
        was_live
    }

    /// Remembers how to abort the handler's task (aborting at once if already closed).
    pub(crate) fn set_abort(&self, abort: tokio::task::AbortHandle) {
        if self.is_closed() {
            abort.abort();
        }
        *self.abort.lock().expect("abort lock") = Some(abort);
    }

    /// The handler returned: tells the page how the stream ended, unless the page ended it.
    pub(crate) fn end(&self, outcome: Result<(), RpcError>) {
        if !self.closed.send_replace(true) {
            self.credit.close();
            let end = match outcome {
                Ok(()) => "\"end\":true".to_owned(),
                Err(e) => format!("\"error\":{}", e.to_json()),
            };
            (self.outbox)(&self.scope, self.message(&end));
        }
    }

    /// `{"jsonrpc":"2.0","method":NAME,"params":{"subscription":ID,MEMBER}}`.
    fn message(&self, member: &str) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","method":{},"params":{{"subscription":{},{member}}}}}"#,
            serde_json::to_string(&*self.name).expect("a string serializes"),
            serde_json::to_string(&*self.id).expect("a string serializes"),
        )
    }
}

/// Where a subscription handler sends its items, in order, each exactly once.
///
/// [`send`](Self::send) waits while the page has a full window of items it has not consumed
/// (see [`Limits::subscription_window`](crate::Limits)), and fails once the page unsubscribed
/// or went away; [`closed`](Self::closed) resolves then too. The stream ends when the handler
/// returns: `Ok(())` ends it normally (the page's `onEnd`), `Err(e)` with an error (its
/// `onError`).
///
/// ```
/// use rpcview::{Api, Ctx, RpcError, Sink};
/// /// Counts from 0 to `to`, one item at a time.
/// async fn count(_: Ctx, (to,): (u32,), sink: Sink<u32>) -> Result<(), RpcError> {
///     for i in 0..=to {
///         sink.send(&i).await?; // Err once the page unsubscribed: `?` ends the task
///     }
///     Ok(())
/// }
/// let api = Api::new().subscription("count", count);
/// # api.build().unwrap();
/// ```
pub struct Sink<T> {
    live: Arc<LiveSub>,
    _item: PhantomData<fn(&T)>,
}

impl<T> std::fmt::Debug for Sink<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink")
            .field("subscription", &self.live.id)
            .field("method", &self.live.name)
            .field("closed", &self.live.is_closed())
            .finish()
    }
}

impl<T: Serialize> Sink<T> {
    pub(crate) fn new(live: Arc<LiveSub>) -> Self {
        Self {
            live,
            _item: PhantomData,
        }
    }

    /// Sends one item, waiting while the page has a full window of items to consume.
    ///
    /// # Errors
    /// [`SinkError::Closed`] once the page unsubscribed, reloaded or closed; a serialization
    /// or (debug builds) schema error for an item that does not match its declared type.
    pub async fn send(&self, item: &T) -> Result<(), SinkError> {
        let text = self.encode(item)?;
        let permit = self
            .live
            .credit
            .acquire()
            .await
            .map_err(|_| SinkError::Closed)?;
        permit.forget();
        *self.live.outstanding.lock().expect("credit lock") += 1;
        (self.live.outbox)(&self.live.scope, self.live.message(&text));
        Ok(())
    }

    fn encode(&self, item: &T) -> Result<String, SinkError> {
        super::bytes::Scope::with(self.live.blobs.as_ref(), || self.encode_here(item))
    }

    fn encode_here(&self, item: &T) -> Result<String, SinkError> {
        let serialize = |e: serde_json::Error| SinkError::Serialize(e.to_string());
        let text = match &self.live.item {
            Some(check) => {
                let value = serde_json::to_value(item).map_err(serialize)?;
                let violations = check.violations(&value);
                if !violations.is_empty() {
                    let list = super::validate::join(&violations);
                    tracing::error!(subscription = %self.live.name, "item does not match its schema: {list}");
                    return Err(SinkError::Schema(list));
                }
                value.to_string()
            }
            None => serde_json::to_string(item).map_err(serialize)?,
        };
        Ok(format!("\"result\":{text}"))
    }

    /// Resolves once the page unsubscribed, reloaded or closed.
    pub async fn closed(&self) {
        let mut rx = self.live.closed.subscribe();
        let _ = rx.wait_for(|closed| *closed).await;
    }

    /// Whether the page unsubscribed, reloaded or closed.
    pub fn is_closed(&self) -> bool {
        self.live.is_closed()
    }

    /// The subscription's id, as the page knows it.
    pub fn id(&self) -> &str {
        &self.live.id
    }
}

/// The live subscriptions of one endpoint, by id.
#[derive(Default)]
pub(crate) struct Subscriptions {
    live: Mutex<std::collections::HashMap<Arc<str>, Arc<LiveSub>>>,
}

impl std::fmt::Debug for Subscriptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Subscriptions({})", self.len())
    }
}

impl Subscriptions {
    pub(crate) fn len(&self) -> usize {
        self.live.lock().expect("subscriptions lock").len()
    }

    /// Inserts `sub` if fewer than `limit` are live; whether it did.
    pub(crate) fn insert_within(&self, sub: Arc<LiveSub>, limit: usize) -> bool {
        let mut live = self.live.lock().expect("subscriptions lock");
        if live.len() >= limit {
            return false;
        }
        live.insert(sub.id.clone(), sub);
        true
    }

    pub(crate) fn remove(&self, id: &str) {
        self.live.lock().expect("subscriptions lock").remove(id);
    }

    /// The subscription `id` if the page `scope` owns it.
    pub(crate) fn get(&self, scope: &str, id: &str) -> Option<Arc<LiveSub>> {
        self.live
            .lock()
            .expect("subscriptions lock")
            .get(id)
            .filter(|s| &*s.scope == scope)
            .cloned()
    }

    /// Closes every subscription; returns how many were live.
    pub(crate) fn close_all(&self) -> usize {
        let all = std::mem::take(&mut *self.live.lock().expect("subscriptions lock"));
        all.values().filter(|s| s.close()).count()
    }
}
