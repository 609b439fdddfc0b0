//! JSON-RPC 2.0 framing and dispatch, to the letter: single calls, notifications, batches,
//! parse errors and invalid requests. The caller's id is kept as written (`1.5`, `-1`, `"x"`,
//! `null`, 2^64) and echoed byte for byte.
//!
//! A message is parsed once into its members, borrowed as raw JSON; the params are parsed
//! once more, into the value the schema checks. The method is found in the [`Router`]'s own
//! table: no stand-in request through another dispatcher.

use super::log::{refusal, Throttle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::call::Run;
use super::ctx::{CallSite, Ctx};
use super::error::{self, RpcError};
use super::router::{Router, DISCOVER};
use super::shared::{CallKey, Tasks, TypeMap};
use super::subscribe::{LiveSub, Outbox, Subscriptions, ACK, UNSUBSCRIBE};
use super::Allow;

/// One window's view of the API: answers JSON-RPC messages for that window.
///
/// ```
/// # use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, RpcError};
/// async fn ping(_: Ctx, _: ()) -> Result<&'static str, RpcError> { Ok("pong") }
/// let router = Api::new().method("ping", ping).build().unwrap();
/// let endpoint = Endpoint::new(&router, CallSite::new("main", "app://localhost"), Allow::all());
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let reply = rt.block_on(endpoint.handle(r#"{"jsonrpc":"2.0","method":"ping","id":7}"#));
/// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":7}"#);
/// ```
#[derive(Clone)]
pub struct Endpoint {
    router: Router,
    site: CallSite,
    allow: Allow,
    extensions: Arc<TypeMap>,
    tasks: Arc<Tasks>,
    discovered: Arc<OnceLock<Box<RawValue>>>,
    /// Calls of this endpoint's window now between dispatch and reply.
    running: Arc<AtomicUsize>,
    subs: Arc<Subscriptions>,
    outbox: Option<Outbox>,
    /// The capabilities `allow` comes from, named in refusals.
    capabilities: Arc<[String]>,
}

/// A subscription ready to start once its reply has gone out.
type Start = Box<dyn FnOnce() + Send>;

/// What handling one message gave: its reply, if one is due, and a subscription to start
/// after the reply has gone out.
#[derive(Default)]
struct Handled {
    reply: Option<String>,
    start: Option<Start>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("site", &self.site)
            .field("allow", &self.allow)
            .field("running", &self.running.load(Ordering::SeqCst))
            .finish_non_exhaustive()
    }
}

/// Counts one call as running until dropped.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Endpoint {
    /// An endpoint that answers messages on behalf of `site` (a window and its origin),
    /// limited to the methods `allow` accepts.
    pub fn new(router: &Router, site: CallSite, allow: Allow) -> Self {
        Self {
            router: router.clone(),
            site,
            allow,
            extensions: Arc::default(),
            tasks: Arc::default(),
            discovered: Arc::default(),
            running: Arc::default(),
            subs: Arc::default(),
            outbox: None,
            capabilities: Arc::new([]),
        }
    }

    /// Names the [capabilities](crate::Capability) its allowlist comes from, so that a
    /// refusal says which one to change.
    ///
    /// ```
    /// # use rpcview::{Allow, Api, CallSite, Endpoint};
    /// let router = Api::new().build().unwrap();
    /// let ep = Endpoint::new(&router, CallSite::new("main", "app://localhost"), Allow::only(["notes.*"]))
    ///     .with_capabilities(["main-window"]);
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let reply = rt.block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#)).unwrap();
    /// assert!(reply.contains("main-window"), "{reply}");
    /// ```
    pub fn with_capabilities<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.capabilities = names.into_iter().map(Into::into).collect();
        self
    }

    /// Where this endpoint sends messages that are not the reply to the message it is
    /// handling: for a subscription, its reply (so that it precedes the first item), items and
    /// end, as `(page scope, JSON-RPC message text)`. Without an outbox, subscribing fails
    /// with `-32603`.
    ///
    /// ```
    /// # use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, RpcError, Sink};
    /// async fn count(_: Ctx, (to,): (u32,), sink: Sink<u32>) -> Result<(), RpcError> {
    ///     for i in 1..=to { sink.send(&i).await? }
    ///     Ok(())
    /// }
    /// let router = Api::new().subscription("count", count).build().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let ep = Endpoint::new(&router, CallSite::default(), Allow::all())
    ///     .with_outbox(move |_scope, text| tx.send(text).unwrap());
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let reply = rt.block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"count","params":[2],"id":1}"#));
    /// assert_eq!(reply, None, "the reply went to the outbox, ahead of the items");
    /// let got: Vec<String> = rx.iter().take(4).collect();
    /// assert_eq!(got[0], r#"{"jsonrpc":"2.0","result":"1","id":1}"#);
    /// assert!(got[1].ends_with(r#""params":{"subscription":"1","result":1}}"#));
    /// assert!(got[2].ends_with(r#""params":{"subscription":"1","result":2}}"#));
    /// assert!(got[3].ends_with(r#""params":{"subscription":"1","end":true}}"#));
    /// ```
    pub fn with_outbox(mut self, outbox: impl Fn(&str, String) + Send + Sync + 'static) -> Self {
        self.outbox = Some(Arc::new(outbox));
        self
    }

    /// How many subscriptions of this endpoint are live.
    pub fn subscriptions(&self) -> usize {
        self.subs.len()
    }

    /// Attaches `value` to every call this endpoint runs; handlers read it with
    /// [`Ctx::extension`]. One value per type.
    ///
    /// ```
    /// # use rpcview::{Allow, Api, CallSite, Endpoint};
    /// struct Tenant(&'static str);
    /// let router = Api::new().build().unwrap();
    /// let ep = Endpoint::new(&router, CallSite::default(), Allow::all()).with_extension(Tenant("a"));
    /// ```
    pub fn with_extension<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        Arc::make_mut(&mut self.extensions).insert(value);
        self
    }

    /// Cancels every async handler this endpoint's calls are running and ends every live
    /// subscription; replies, if any, say so. Blocking handlers and methods that
    /// [run to completion](crate::Api::runs_to_completion) are only told
    /// ([`Ctx::is_cancelled`]). Returns how many calls and subscriptions were cancelled. The
    /// app does this when a window's page reloads, navigates away, crashes or closes.
    ///
    /// ```
    /// # use rpcview::{Allow, Api, CallSite, Endpoint};
    /// let ep = Endpoint::new(&Api::new().build().unwrap(), CallSite::default(), Allow::all());
    /// assert_eq!(ep.cancel_running(), 0);
    /// ```
    pub fn cancel_running(&self) -> usize {
        self.tasks.abort_all() + self.subs.close_all()
    }

    /// Who this endpoint answers for.
    pub fn site(&self) -> &CallSite {
        &self.site
    }

    /// The allowlist this endpoint enforces.
    pub fn allow(&self) -> &Allow {
        &self.allow
    }

    /// The router this endpoint dispatches to.
    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Answers one JSON-RPC message (a call, a notification or a batch). `None` means no reply
    /// is due: a notification, or a batch of notifications only.
    ///
    /// Must run inside a tokio runtime: handlers are spawned onto it.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub async fn handle(&self, text: &str) -> Option<String> {
        self.handle_from("", text).await
    }

    /// [`handle`](Self::handle) for messages from the page instance `scope` (the bridge passes
    /// the page's nonce): a `$/cancelRequest` cancels only calls of the same scope, so a page
    /// cannot cancel another page's calls by guessing ids.
    ///
    /// ```
    /// # use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, RpcError};
    /// async fn nap(_: Ctx, (ms,): (u64,)) -> Result<u64, RpcError> {
    ///     tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    ///     Ok(ms)
    /// }
    /// let router = Api::new().method("nap", nap).build().unwrap();
    /// let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let call = tokio::spawn({
    ///         let ep = ep.clone();
    ///         async move { ep.handle_from("page-1", r#"{"jsonrpc":"2.0","method":"nap","params":[60000],"id":7}"#).await }
    ///     });
    ///     while router.stats().in_flight() == 0 { tokio::task::yield_now().await }
    ///     ep.handle_from("page-1", r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}"#).await;
    ///     let reply = call.await.unwrap().unwrap();
    ///     assert!(reply.contains(r#""code":-32800"#), "{reply}");
    /// });
    /// ```
    pub async fn handle_from(&self, scope: &str, text: &str) -> Option<String> {
        self.handle_page(scope, "", text).await
    }

    /// [`handle_from`](Self::handle_from) for messages from a page at `url` (what handlers
    /// read with [`Ctx::url`]).
    pub async fn handle_page(&self, scope: &str, url: &str, text: &str) -> Option<String> {
        let limits = self.router.limits();
        if text.len() > limits.max_message_bytes {
            let e = RpcError::new(error::TOO_LARGE, error::TOO_LARGE_MSG).with_data(
                serde_json::json!({
                    "limit": limits.max_message_bytes, "size": text.len(), "unit": "bytes"
                }),
            );
            return refuse_unparsed(text, &e);
        }
        if let Some(deepest) = super::limits::too_deep(text, limits.max_depth) {
            let e = RpcError::new(error::TOO_LARGE, error::TOO_LARGE_MSG).with_data(
                serde_json::json!({ "limit": limits.max_depth, "size": deepest, "unit": "levels of nesting" }),
            );
            return refuse_unparsed(text, &e);
        }
        let page = Page {
            scope: scope.into(),
            url: url.into(),
        };
        if !text.trim_start().starts_with('[') {
            let handled = self.handle_one(&page, text).await;
            return self.started(&page, handled.reply, handled.start.into_iter().collect());
        }
        let items: Vec<&RawValue> = match serde_json::from_str(text) {
            Ok(items) => items,
            Err(e) => return Some(parse_error(&e)),
        };
        if items.is_empty() {
            return Some(invalid_request("null", "an empty batch is not a request"));
        }
        if items.len() > limits.max_batch_len {
            let e = RpcError::new(error::TOO_LARGE, error::TOO_LARGE_MSG)
                .with_data(serde_json::json!({ "limit": limits.max_batch_len, "size": items.len(), "unit": "batch entries" }));
            return Some(error_reply("null", &e));
        }
        // Entries run concurrently; replies keep the batch's order.
        let tasks: Vec<_> = items
            .iter()
            .map(|item| {
                let (this, page) = (self.clone(), page.clone());
                let item = item.get().to_owned();
                tokio::spawn(async move { this.handle_one(&page, &item).await })
            })
            .collect();
        let (mut replies, mut starts) = (Vec::new(), Vec::new());
        for task in tasks {
            match task.await {
                Ok(handled) => {
                    replies.extend(handled.reply);
                    starts.extend(handled.start);
                }
                Err(e) => replies.push(error_reply("null", &RpcError::internal(e.to_string()))),
            }
        }
        let reply = (!replies.is_empty()).then(|| format!("[{}]", replies.join(",")));
        self.started(&page, reply, starts)
    }

    /// Sends `reply` through the outbox and then starts `starts`, if there are any (so that a
    /// subscription's reply precedes its items); otherwise returns `reply`.
    fn started(&self, page: &Page, reply: Option<String>, starts: Vec<Start>) -> Option<String> {
        if starts.is_empty() {
            return reply;
        }
        if let (Some(outbox), Some(reply)) = (&self.outbox, reply) {
            outbox(&page.scope, reply);
        }
        for start in starts {
            start();
        }
        None
    }

    async fn handle_one(&self, page: &Page, text: &str) -> Handled {
        let reply = |text: String| Handled {
            reply: Some(text),
            start: None,
        };
        let request = match serde_json::from_str::<Request>(text) {
            Ok(r) => r,
            Err(e) if e.is_data() => {
                return reply(invalid_request("null", "a request must be a JSON object"))
            }
            Err(e) => return reply(parse_error(&e)),
        };
        let id = request.id.map(RawValue::get);
        if id.is_some_and(|id| !valid_id(id)) {
            return reply(invalid_request(
                "null",
                "id must be a string, a number or null",
            ));
        }
        let reply_id = id.unwrap_or("null");
        let fail = |why: &str| reply(invalid_request(reply_id, why));
        if request.jsonrpc.map(RawValue::get) != Some(r#""2.0""#) {
            return fail("\"jsonrpc\" must be exactly \"2.0\"");
        }
        let Some(Ok(method)) = request
            .method
            .map(|r| serde_json::from_str::<std::borrow::Cow<str>>(r.get()))
        else {
            return fail("\"method\" must be a string");
        };
        let max_len = self.router.limits().max_method_len;
        if method.len() > max_len {
            let mut end = max_len.min(32);
            while !method.is_char_boundary(end) {
                end -= 1;
            }
            return fail(&format!(
                "\"method\" is {} bytes; the limit is {max_len} (Limits::max_method_len): '{}…'",
                method.len(),
                &method[..end]
            ));
        }
        if let Some(p) = request.params {
            if !(p.get().starts_with('[') || p.get().starts_with('{')) {
                return fail("\"params\" must be an array or an object");
            }
        }
        let call = id.map(|id| CallKey {
            scope: page.scope.clone(),
            id: id.into(),
        });
        let mut start = None;
        let hook = self.router.inner.shared.on_call.get();
        let began = hook.map(|_| std::time::Instant::now());
        let outcome = match &*method {
            CANCEL => self.cancel(&page.scope, request.params),
            UNSUBSCRIBE => self.unsubscribe(&page.scope, request.params),
            ACK => self.ack(&page.scope, request.params),
            _ => match self.router.compiled(&method).map(|c| &c.run) {
                Some(Run::Subscribe(_)) if id.is_some() => {
                    match self.subscribe(page, &method, request.params) {
                        Ok((sub_id, s)) => {
                            start = Some(s);
                            Ok(sub_id)
                        }
                        Err(e) => Err(e),
                    }
                }
                _ => self.call(page, &method, request.params, call).await,
            },
        };
        if let (Some(hook), Some(began)) = (hook, began) {
            if !method.starts_with("$/") {
                hook(&self.record(&method, request.params, id.is_none(), &outcome, began));
            }
        }
        let Some(id) = id else {
            return Handled::default(); // a notification: never answered, whatever happened
        };
        Handled {
            reply: Some(match outcome {
                Ok(result) => {
                    format!(r#"{{"jsonrpc":"2.0","result":{},"id":{id}}}"#, result.get())
                }
                Err(e) => error_reply(id, &e),
            }),
            start,
        }
    }

    /// Checks the allowlist and the calls in flight, then runs the method.
    async fn call(
        &self,
        page: &Page,
        method: &str,
        params: Option<&RawValue>,
        call: Option<CallKey>,
    ) -> Result<Box<RawValue>, RpcError> {
        let compiled = self.router.compiled(method);
        if compiled.is_none() && method != DISCOVER {
            return Err(RpcError::method_not_found(method));
        }
        if compiled.is_some() && !self.allow.permits(method) {
            return Err(self.not_allowed(method));
        }
        // Counted like any call, `rpc.discover` included (its reply is the whole document).
        let limit = self.router.limits().max_in_flight;
        let _running = Running(self.running.clone());
        if self.running.fetch_add(1, Ordering::SeqCst) >= limit {
            static THROTTLE: Throttle = Throttle::new();
            refusal!(THROTTLE, method, window = %self.site.window, limit, "refused: too many calls in flight");
            return Err(RpcError::new(error::SERVER_BUSY, error::SERVER_BUSY_MSG)
                .with_data(serde_json::json!({ "limit": limit, "unit": "calls in flight" })));
        }
        let Some(compiled) = compiled else {
            return self.discover(params.map(RawValue::get));
        };
        if let Run::Subscribe(_) = compiled.run {
            return Err(RpcError::invalid_params(format!(
                "'{method}' is a subscription: send it as a request (with an id), as api.subscribe does"
            )));
        }
        let ctx = self.ctx(page, call).detached(compiled.detached);
        compiled.run(ctx, params).await
    }
}

impl Endpoint {
    /// What the call hook is told of one call.
    fn record(
        &self,
        method: &str,
        params: Option<&RawValue>,
        notification: bool,
        outcome: &Result<Box<RawValue>, RpcError>,
        began: std::time::Instant,
    ) -> super::CallRecord {
        let value = |raw: Option<&RawValue>| {
            raw.and_then(|r| serde_json::from_str(r.get()).ok())
                .unwrap_or(serde_json::Value::Null)
        };
        super::CallRecord {
            window: self.site.window.to_string(),
            origin: self.site.origin.to_string(),
            method: method.to_owned(),
            params: value(params),
            notification,
            outcome: match outcome {
                Ok(result) => Ok(value(Some(result))),
                Err(e) => Err(e.clone()),
            },
            duration: began.elapsed(),
        }
    }
}

/// The notification a page sends to cancel one of its calls, as the Language Server Protocol
/// names it: `{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}`. The call's
/// async handler is dropped at its next `.await` (a blocking one sees
/// [`Ctx::is_cancelled`]); its reply, if the page still waits, is `-32800`. Every window may
/// send it; it reaches only calls of the same page.
pub const CANCEL: &str = "$/cancelRequest";

impl Endpoint {
    fn cancel(
        &self,
        scope: &Arc<str>,
        params: Option<&RawValue>,
    ) -> Result<Box<RawValue>, RpcError> {
        #[derive(Deserialize)]
        struct Cancel<'a> {
            #[serde(borrow)]
            id: &'a RawValue,
        }
        let id = params
            .and_then(|p| {
                serde_json::from_str::<Cancel>(p.get())
                    .map(|c| c.id)
                    .or_else(|_| serde_json::from_str::<(&RawValue,)>(p.get()).map(|c| c.0))
                    .ok()
            })
            .ok_or_else(|| {
                RpcError::invalid_params(format!(
                    "'{CANCEL}' takes the id of the call to cancel: {{\"id\": 7}}"
                ))
            })?;
        let cancelled = self.tasks.cancel(&CallKey {
            scope: scope.clone(),
            id: id.get().into(),
        });
        tracing::debug!(window = %self.site.window, id = id.get(), cancelled, "cancel requested");
        Ok(RawValue::from_string("null".into()).expect("null is JSON"))
    }
}

/// The page a message came from: its scope (the bridge's nonce) and its URL.
#[derive(Clone)]
struct Page {
    scope: Arc<str>,
    url: Arc<str>,
}

impl Endpoint {
    fn ctx(&self, page: &Page, call: Option<CallKey>) -> Ctx {
        Ctx::new(
            self.site.clone(),
            self.router.inner.shared.clone(),
            self.extensions.clone(),
            self.tasks.clone(),
            call,
            page.url.clone(),
        )
    }

    /// Checks a subscription request and prepares its task; returns its id (the reply's
    /// result) and how to start it once the reply has gone out.
    fn subscribe(
        &self,
        page: &Page,
        method: &str,
        params: Option<&RawValue>,
    ) -> Result<(Box<RawValue>, Start), RpcError> {
        let compiled = self.router.compiled(method).expect("the caller found it");
        if !self.allow.permits(method) {
            return Err(self.not_allowed(method));
        }
        let Run::Subscribe(run) = &compiled.run else {
            unreachable!("the caller checked the kind")
        };
        let Some(outbox) = self.outbox.clone() else {
            return Err(RpcError::internal(format!(
                "'{method}' is a subscription, but this endpoint has no way to push items (Endpoint::with_outbox)"
            )));
        };
        let limits = self.router.limits();
        let busy = || {
            static THROTTLE: Throttle = Throttle::new();
            refusal!(THROTTLE, method, window = %self.site.window, limit = limits.max_subscriptions, "refused: too many live subscriptions");
            RpcError::new(error::SERVER_BUSY, error::SERVER_BUSY_MSG).with_data(
                serde_json::json!({ "limit": limits.max_subscriptions, "unit": "live subscriptions" }),
            )
        };
        if self.subs.len() >= limits.max_subscriptions {
            return Err(busy());
        }
        let params = compiled.params(params)?;
        let shared = &self.router.inner.shared;
        let n = shared.last_subscription.fetch_add(1, Ordering::SeqCst) + 1;
        let ctx = self.ctx(page, None);
        let live = Arc::new(LiveSub::new(
            n.to_string().into(),
            page.scope.clone(),
            method,
            outbox,
            compiled.result.clone(),
            limits.subscription_window,
            ctx.cancel_flag(),
            ctx.extension::<super::bytes::Scope>().cloned(),
        ));
        // Checked again where it is inserted, under one lock: concurrent subscribes cannot
        // pass the limit together.
        if !self
            .subs
            .insert_within(live.clone(), limits.max_subscriptions)
        {
            return Err(busy());
        }
        let reply = serde_json::value::to_raw_value(&*live.id).expect("a string is JSON");
        let (run, subs, name) = (run.clone(), self.subs.clone(), compiled.name.clone());
        let count = super::stats::LiveCount::enter(shared.stats.clone());
        let start: Start = Box::new(move || {
            let task = tokio::spawn(run(ctx, params, live.clone()));
            live.set_abort(task.abort_handle());
            tokio::spawn(async move {
                let _count = count;
                let outcome = match task.await {
                    Ok(outcome) => outcome,
                    Err(e) if e.is_cancelled() => Ok(()),
                    Err(e) => Err(super::call::panicked(&name, e)),
                };
                if let Err(e) = &outcome {
                    tracing::debug!(subscription = %name, id = %live.id, "ended with an error: {}", e.message);
                }
                live.end(outcome);
                subs.remove(&live.id);
            });
        });
        Ok((reply, start))
    }

    fn unsubscribe(
        &self,
        scope: &str,
        params: Option<&RawValue>,
    ) -> Result<Box<RawValue>, RpcError> {
        let id = subscription_of(params, UNSUBSCRIBE)?;
        let closed = self.subs.get(scope, &id).is_some_and(|s| s.close());
        tracing::debug!(window = %self.site.window, id, closed, "unsubscribed");
        Ok(serde_json::value::to_raw_value(&closed).expect("a bool is JSON"))
    }

    fn ack(&self, scope: &str, params: Option<&RawValue>) -> Result<Box<RawValue>, RpcError> {
        #[derive(Deserialize)]
        struct Ack {
            subscription: String,
            n: u64,
        }
        let ack = params
            .and_then(|p| serde_json::from_str::<Ack>(p.get()).ok())
            .ok_or_else(|| {
                RpcError::invalid_params(format!(
                    "'{ACK}' takes the subscription and how many items were consumed: {{\"subscription\": \"7\", \"n\": 64}}"
                ))
            })?;
        if let Some(sub) = self.subs.get(scope, &ack.subscription) {
            sub.ack(ack.n);
        }
        Ok(RawValue::from_string("null".into()).expect("null is JSON"))
    }
}

/// The `subscription` member of `$/unsubscribe`'s params.
fn subscription_of(params: Option<&RawValue>, method: &str) -> Result<String, RpcError> {
    #[derive(Deserialize)]
    struct Of {
        subscription: String,
    }
    params
        .and_then(|p| {
            serde_json::from_str::<Of>(p.get())
                .map(|o| o.subscription)
                .or_else(|_| serde_json::from_str::<(String,)>(p.get()).map(|o| o.0))
                .ok()
        })
        .ok_or_else(|| {
            RpcError::invalid_params(format!(
                "'{method}' takes the subscription's id: {{\"subscription\": \"7\"}}"
            ))
        })
}

/// A request's members, borrowed as raw JSON; anything else in the object is ignored.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    /// `Some` whenever the member is present, `null` included: only its absence makes a
    /// notification.
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
}

/// `Some` whenever the member is present, `null` included.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

impl Endpoint {
    fn discover(&self, params: Option<&str>) -> Result<Box<RawValue>, RpcError> {
        if !self.allow.permits(DISCOVER) {
            return Err(self.not_allowed(DISCOVER));
        }
        if params.is_some_and(|p| !matches!(p.trim(), "[]" | "{}" | "null")) {
            return Err(RpcError::invalid_params(format!(
                "'{DISCOVER}' takes no params"
            )));
        }
        let doc = self.discovered.get_or_init(|| {
            let doc = super::openrpc::document(&self.router, &self.allow);
            RawValue::from_string(doc.to_string()).expect("a document is JSON")
        });
        Ok(doc.clone())
    }

    fn not_allowed(&self, method: &str) -> RpcError {
        let (window, origin) = (&*self.site.window, &*self.site.origin);
        if self.capabilities.is_empty() {
            static THROTTLE: Throttle = Throttle::new();
            refusal!(THROTTLE, method, window, origin, "refused: not in the window's allowlist; add it to the window's Window::allow if the page should use it");
            return RpcError::new(error::METHOD_NOT_ALLOWED, error::METHOD_NOT_ALLOWED_MSG)
                .with_data(
                    serde_json::json!({ "method": method, "window": window, "origin": origin }),
                );
        }
        let names = self.capabilities.join("', '");
        static THROTTLE: Throttle = Throttle::new();
        refusal!(THROTTLE, method, window, origin, capabilities = %names, "refused: no capability grants it; add it to one with Capability::allow if this page should use it");
        RpcError::new(
            error::METHOD_NOT_ALLOWED,
            format!("{}: no capability grants '{method}' to window '{window}' at {origin}; the capabilities in effect are '{names}' (add it with Capability::allow)", error::METHOD_NOT_ALLOWED_MSG),
        )
        .with_data(serde_json::json!({ "method": method, "window": window, "origin": origin, "capabilities": &*self.capabilities }))
    }
}

enum Skimmed {
    Notification,
    Id(String),
    Unknown,
}

/// The reply refusing `text` with `e` before it was parsed: by the call's id if one can be
/// read (skimming, not building values); a notification gets no reply, even to this.
fn refuse_unparsed(text: &str, e: &RpcError) -> Option<String> {
    match skim_id(text) {
        Skimmed::Notification => None,
        Skimmed::Id(id) => Some(error_reply(&id, e)),
        Skimmed::Unknown => Some(error_reply("null", e)),
    }
}

/// The id of a single request, read without keeping anything else of it.
fn skim_id(text: &str) -> Skimmed {
    #[derive(Deserialize)]
    struct Head<'a> {
        #[serde(borrow, default, deserialize_with = "present")]
        id: Option<&'a RawValue>,
        #[serde(default)]
        method: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_str::<Head>(text) {
        Ok(Head { id: Some(id), .. }) if valid_id(id.get()) => Skimmed::Id(id.get().to_owned()),
        Ok(Head {
            id: None,
            method: Some(_),
        }) => Skimmed::Notification,
        _ => Skimmed::Unknown,
    }
}

/// A string, a number or null that a strict JSON parser reads back, since the reply echoes
/// it as written: no lone surrogate such as `"\ud800"`, no number beyond a double's range
/// such as `1e999` (found by the fuzz test).
fn valid_id(raw: &str) -> bool {
    match raw.as_bytes().first() {
        Some(b'"') => !raw.contains("\\u") || serde_json::from_str::<String>(raw).is_ok(),
        Some(b'-' | b'0'..=b'9') => serde_json::from_str::<serde_json::Number>(raw).is_ok(),
        Some(b'n') => true,
        _ => false,
    }
}

fn error_reply(id: &str, e: &RpcError) -> String {
    format!(r#"{{"jsonrpc":"2.0","error":{},"id":{id}}}"#, e.to_json())
}

fn parse_error(e: &serde_json::Error) -> String {
    error_reply(
        "null",
        &RpcError::new(error::PARSE_ERROR, error::PARSE_ERROR_MSG).with_data(e.to_string().into()),
    )
}

fn invalid_request(id: &str, why: &str) -> String {
    error_reply(
        id,
        &RpcError::new(error::INVALID_REQUEST, error::INVALID_REQUEST_MSG).with_data(why.into()),
    )
}
