//! JSON-RPC error objects: the codes rpcview answers with, and [`RpcError`], the error a
//! handler returns.
//!
//! Codes are stable once released. The five from the JSON-RPC 2.0 specification come first;
//! rpcview's own refusals use the implementation-defined range `-32000..=-32099`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Invalid JSON was received.
pub const PARSE_ERROR: i32 = -32700;
/// Message for [`PARSE_ERROR`].
pub const PARSE_ERROR_MSG: &str = "Parse error";
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i32 = -32600;
/// Message for [`INVALID_REQUEST`].
pub const INVALID_REQUEST_MSG: &str = "Invalid Request";
/// The method does not exist.
pub const METHOD_NOT_FOUND: i32 = -32601;
/// Message for [`METHOD_NOT_FOUND`].
pub const METHOD_NOT_FOUND_MSG: &str = "Method not found";
/// The params do not match the method's schema.
pub const INVALID_PARAMS: i32 = -32602;
/// Message for [`INVALID_PARAMS`].
pub const INVALID_PARAMS_MSG: &str = "Invalid params";
/// The handler failed in a way the caller cannot fix (a panic, an unserializable result).
pub const INTERNAL_ERROR: i32 = -32603;
/// Message for [`INTERNAL_ERROR`].
pub const INTERNAL_ERROR_MSG: &str = "Internal error";
/// The method exists but this window (or origin) may not call it.
pub const METHOD_NOT_ALLOWED: i32 = -32001;
/// Message for [`METHOD_NOT_ALLOWED`].
pub const METHOD_NOT_ALLOWED_MSG: &str = "Method not allowed";
/// The message is larger than [`Limits::max_message_bytes`](crate::Limits::max_message_bytes)
/// or the batch longer than [`Limits::max_batch_len`](crate::Limits::max_batch_len).
pub const TOO_LARGE: i32 = -32007;
/// Message for [`TOO_LARGE`].
pub const TOO_LARGE_MSG: &str = "Request too large";
/// The window has [`Limits::max_in_flight`](crate::Limits::max_in_flight) calls running.
pub const SERVER_BUSY: i32 = -32009;
/// Message for [`SERVER_BUSY`].
pub const SERVER_BUSY_MSG: &str = "Too many calls in flight; try again when some have finished";
/// The call was cancelled (by its page's `$/cancelRequest`, or because its page is gone) and
/// its handler dropped. The code the Language Server Protocol uses.
pub const REQUEST_CANCELLED: i32 = -32800;
/// Page side: the `timeoutMs` of an `invoke` elapsed (the handler may still run).
pub const TIMED_OUT: i32 = -32003;
/// Page side: the `signal` of an `invoke` aborted (the handler may still run).
pub const ABORTED: i32 = -32004;

/// A JSON-RPC error object: what a handler returns on failure and what the page's promise
/// rejects with (as an `RpcError` with the same `code`, `message` and `data`).
///
/// Application errors should use codes outside `-32768..=-32000`, which JSON-RPC reserves.
///
/// # Example
/// ```
/// use rpcview::RpcError;
/// let err = RpcError::new(404, "no note named 'groceries'")
///     .with_data(serde_json::json!({ "id": "groceries" }));
/// assert_eq!(err.code, 404);
/// assert_eq!(err.to_string(), "no note named 'groceries' (code 404)");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    /// The error code; see the constants in this module for the reserved ones.
    pub code: i32,
    /// A short, human-readable description.
    pub message: String,
    /// Structured detail (a schema violation's path, a refused method's name, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message` and no data.
    ///
    /// ```
    /// let e = rpcview::RpcError::new(1, "disk full");
    /// assert!(e.data.is_none());
    /// ```
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// The same error carrying `data`.
    ///
    /// ```
    /// let e = rpcview::RpcError::new(1, "disk full").with_data(serde_json::json!({"free": 0}));
    /// assert_eq!(e.data.unwrap()["free"], 0);
    /// ```
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `-32602 Invalid params` with a message saying what is wrong.
    ///
    /// ```
    /// let e = rpcview::RpcError::invalid_params("title must not be empty");
    /// assert_eq!(e.code, rpcview::rpc::error::INVALID_PARAMS);
    /// ```
    pub fn invalid_params(message: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, message)
    }

    /// `-32603 Internal error` with a message saying what failed.
    ///
    /// ```
    /// let e = rpcview::RpcError::internal("database is gone");
    /// assert_eq!(e.code, rpcview::rpc::error::INTERNAL_ERROR);
    /// ```
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, message)
    }

    pub(crate) fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, METHOD_NOT_FOUND_MSG)
            .with_data(serde_json::json!({ "method": method }))
    }

    /// The error object as JSON text.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an RpcError always serializes")
    }
}
