//! JSON-RPC 2.0 framing, to the letter: single calls, notifications, batches, parse errors
//! and invalid requests. jsonrpsee's `raw_json_request` answers one call with a small
//! non-negative integer id; everything around it is here: the caller's id is kept aside as
//! written (`1.5`, `-1`, `"x"`, `null`, 2^64) and restored in the reply.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use jsonrpsee::Methods;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::api::Router;
use super::ctx::CallSite;
use super::error::{self, RpcError};
use super::Allow;

/// One window's view of the API: answers JSON-RPC messages for that window.
#[derive(Clone)]
pub struct Endpoint {
    router: Router,
    module: Methods,
    site: CallSite,
    allow: Allow,
    discovered: Arc<OnceLock<Box<RawValue>>>,
    /// Calls of this endpoint's window now between dispatch and reply.
    running: Arc<AtomicUsize>,
}

/// Counts one call as running until dropped.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Endpoint {
    pub(crate) fn new(router: Router, module: Methods, site: CallSite, allow: Allow) -> Self {
        Self {
            router,
            module,
            site,
            allow,
            discovered: Arc::default(),
            running: Arc::default(),
        }
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
    pub async fn handle(&self, text: &str) -> Option<String> {
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
        let raw: &RawValue = match serde_json::from_str(text) {
            Ok(raw) => raw,
            Err(e) => return Some(parse_error(&e)),
        };
        if !raw.get().starts_with('[') {
            return self.handle_one(raw.get()).await;
        }
        let items: Vec<&RawValue> = match serde_json::from_str(raw.get()) {
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
                let this = self.clone();
                let item = item.get().to_owned();
                tokio::spawn(async move { this.handle_one(&item).await })
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

    async fn handle_one(&self, text: &str) -> Option<String> {
        let Ok(members) = serde_json::from_str::<HashMap<String, &RawValue>>(text) else {
            return Some(invalid_request("null", "a request must be a JSON object"));
        };
        let id = members.get("id").map(|r| r.get());
        if let Some(id) = id {
            if !matches!(
                id.as_bytes().first(),
                Some(b'"' | b'-' | b'0'..=b'9' | b'n')
            ) {
                return Some(invalid_request(
                    "null",
                    "id must be a string, a number or null",
                ));
            }
        }
        let reply_id = id.unwrap_or("null");
        let fail = |why: &str| Some(invalid_request(reply_id, why));
        match members
            .get("jsonrpc")
            .map(|r| serde_json::from_str::<String>(r.get()))
        {
            Some(Ok(v)) if v == "2.0" => {}
            _ => return fail("\"jsonrpc\" must be exactly \"2.0\""),
        }
        let Some(Ok(method)) = members
            .get("method")
            .map(|r| serde_json::from_str::<String>(r.get()))
        else {
            return fail("\"method\" must be a string");
        };
        let params = members.get("params").map(|r| r.get());
        if let Some(p) = params {
            if !(p.starts_with('[') || p.starts_with('{')) {
                return fail("\"params\" must be an array or an object");
            }
        }
        let outcome = self.call(&method, params).await;
        let id = id?; // a notification: never answered, whatever happened
        Some(match outcome {
            Ok(result) => format!(r#"{{"jsonrpc":"2.0","result":{},"id":{id}}}"#, result.get()),
            Err(e) => error_reply(id, &e),
        })
    }

    /// Checks the allowlist, then dispatches through jsonrpsee with a stand-in id.
    async fn call(&self, method: &str, params: Option<&str>) -> Result<Box<RawValue>, RpcError> {
        if method == DISCOVER {
            return self.discover(params);
        }
        if self.router.method(method).is_none() {
            return Err(RpcError::method_not_found(method));
        }
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
        let request = format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":{},"params":{}}}"#,
            serde_json::to_string(method).expect("a string serializes"),
            params.unwrap_or("null")
        );
        let (response, _) = self
            .module
            .raw_json_request(&request, 1)
            .await
            .map_err(|e| RpcError::internal(format!("dispatch failed: {e}")))?;
        #[derive(Deserialize)]
        struct Response {
            result: Option<Box<RawValue>>,
            error: Option<RpcError>,
        }
        let response: Response = serde_json::from_str(response.get())
            .map_err(|e| RpcError::internal(format!("unreadable dispatcher response: {e}")))?;
        match (response.error, response.result) {
            (Some(e), _) => Err(e),
            (None, Some(r)) => Ok(r),
            (None, None) => Ok(RawValue::from_string("null".into()).expect("null is JSON")),
        }
    }
}

/// The OpenRPC service-discovery method: answers with the document of what this window may use.
pub const DISCOVER: &str = "rpc.discover";

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
            let doc = crate::schema::openrpc::document(&self.router, &self.allow);
            RawValue::from_string(doc.to_string()).expect("a document is JSON")
        });
        Ok(doc.clone())
    }

    fn not_allowed(&self, method: &str) -> RpcError {
        tracing::warn!(method, window = %self.site.window, origin = %self.site.origin, "refused: not in the window's allowlist");
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
    /// `Some` whenever the member is present, `null` included.
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
        <&RawValue>::deserialize(d).map(Some)
    }
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
