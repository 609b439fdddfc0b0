//! JSON-RPC 2.0 framing and dispatch, to the letter: single calls, notifications, batches,
//! parse errors and invalid requests. The caller's id is kept as written (`1.5`, `-1`, `"x"`,
//! `null`, 2^64) and echoed byte for byte.
//!
//! A message is parsed once into its members, borrowed as raw JSON; the params are parsed
//! once more, into the value the schema checks. The method is found in the [`Router`]'s own
//! table: no stand-in request through another dispatcher.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::ctx::{CallSite, Ctx};
use super::error::{self, RpcError};
use super::router::{Router, DISCOVER};
use super::shared::{CallKey, Tasks, TypeMap};
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
        }
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

    /// Cancels every async handler this endpoint's calls are running (blocking handlers run to
    /// their end); their replies, if any, say so. Returns how many were cancelled. The app
    /// does this when a window's web process is gone.
    ///
    /// ```
    /// # use rpcview::{Allow, Api, CallSite, Endpoint};
    /// let ep = Endpoint::new(&Api::new().build().unwrap(), CallSite::default(), Allow::all());
    /// assert_eq!(ep.cancel_running(), 0);
    /// ```
    pub fn cancel_running(&self) -> usize {
        self.tasks.abort_all()
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
        let limits = self.router.limits();
        if text.len() > limits.max_message_bytes {
            let e = RpcError::new(error::TOO_LARGE, error::TOO_LARGE_MSG).with_data(
                serde_json::json!({
                    "limit": limits.max_message_bytes, "size": text.len(), "unit": "bytes"
                }),
            );
            // Answer the call by its id if one can be read (skimming, not building values);
            // a notification gets no reply, even to this.
            return match skim_id(text) {
                Skimmed::Notification => None,
                Skimmed::Id(id) => Some(error_reply(&id, &e)),
                Skimmed::Unknown => Some(error_reply("null", &e)),
            };
        }
        let scope: Arc<str> = scope.into();
        if !text.trim_start().starts_with('[') {
            return self.handle_one(&scope, text).await;
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
                let (this, scope) = (self.clone(), scope.clone());
                let item = item.get().to_owned();
                tokio::spawn(async move { this.handle_one(&scope, &item).await })
            })
            .collect();
        let mut replies = Vec::new();
        for task in tasks {
            match task.await {
                Ok(Some(reply)) => replies.push(reply),
                Ok(None) => {}
                Err(e) => replies.push(error_reply("null", &RpcError::internal(e.to_string()))),
            }
        }
        (!replies.is_empty()).then(|| format!("[{}]", replies.join(",")))
    }

    async fn handle_one(&self, scope: &Arc<str>, text: &str) -> Option<String> {
        let request = match serde_json::from_str::<Request>(text) {
            Ok(r) => r,
            Err(e) if e.is_data() => {
                return Some(invalid_request("null", "a request must be a JSON object"))
            }
            Err(e) => return Some(parse_error(&e)),
        };
        let id = request.id.map(RawValue::get);
        if id.is_some_and(|id| !valid_id(id)) {
            return Some(invalid_request(
                "null",
                "id must be a string, a number or null",
            ));
        }
        let reply_id = id.unwrap_or("null");
        let fail = |why: &str| Some(invalid_request(reply_id, why));
        if request.jsonrpc.map(RawValue::get) != Some(r#""2.0""#) {
            return fail("\"jsonrpc\" must be exactly \"2.0\"");
        }
        let Some(Ok(method)) = request
            .method
            .map(|r| serde_json::from_str::<std::borrow::Cow<str>>(r.get()))
        else {
            return fail("\"method\" must be a string");
        };
        if let Some(p) = request.params {
            if !(p.get().starts_with('[') || p.get().starts_with('{')) {
                return fail("\"params\" must be an array or an object");
            }
        }
        let call = id.map(|id| CallKey {
            scope: scope.clone(),
            id: id.into(),
        });
        let outcome = if method == CANCEL {
            self.cancel(scope, request.params)
        } else {
            self.call(&method, request.params, call).await
        };
        let id = id?; // a notification: never answered, whatever happened
        Some(match outcome {
            Ok(result) => format!(r#"{{"jsonrpc":"2.0","result":{},"id":{id}}}"#, result.get()),
            Err(e) => error_reply(id, &e),
        })
    }

    /// Checks the allowlist and the calls in flight, then runs the method.
    async fn call(
        &self,
        method: &str,
        params: Option<&RawValue>,
        call: Option<CallKey>,
    ) -> Result<Box<RawValue>, RpcError> {
        if method == DISCOVER {
            return self.discover(params.map(RawValue::get));
        }
        let Some(compiled) = self.router.compiled(method) else {
            return Err(RpcError::method_not_found(method));
        };
        if !self.allow.permits(method) {
            return Err(self.not_allowed(method));
        }
        let limit = self.router.limits().max_in_flight;
        let _running = Running(self.running.clone());
        if self.running.fetch_add(1, Ordering::SeqCst) >= limit {
            tracing::warn!(method, window = %self.site.window, limit, "refused: too many calls in flight");
            return Err(RpcError::new(error::SERVER_BUSY, error::SERVER_BUSY_MSG)
                .with_data(serde_json::json!({ "limit": limit, "unit": "calls in flight" })));
        }
        let ctx = Ctx::new(
            self.site.clone(),
            self.router.inner.shared.clone(),
            self.extensions.clone(),
            self.tasks.clone(),
            call,
        );
        let result = compiled.run(ctx, params).await?;
        serde_json::value::to_raw_value(&result).map_err(|e| {
            RpcError::internal(format!("the result of '{method}' did not encode: {e}"))
        })
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
        tracing::warn!(method, window = %self.site.window, origin = %self.site.origin, "refused: not in the window's allowlist; add it to the window's Window::allow if the page should use it");
        RpcError::new(error::METHOD_NOT_ALLOWED, error::METHOD_NOT_ALLOWED_MSG).with_data(
            serde_json::json!({ "method": method, "window": &*self.site.window, "origin": &*self.site.origin }),
        )
    }
}

enum Skimmed {
    Notification,
    Id(String),
    Unknown,
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

fn valid_id(raw: &str) -> bool {
    matches!(
        raw.as_bytes().first(),
        Some(b'"' | b'-' | b'0'..=b'9' | b'n')
    )
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
