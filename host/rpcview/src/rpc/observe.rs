//! What a page called, for whoever watches: a [`CallRecord`] per answered call or handled
//! notification, given to the hook an app sets ([`App::on_call`](crate::App::on_call)), which
//! test harnesses record and call logs print.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::log::{clean, FIELD_CHARS, MESSAGE_CHARS};
use super::RpcError;

/// Receives a record of every call a page made, once it was answered.
pub(crate) type CallHook = Arc<dyn Fn(&CallRecord) + Send + Sync>;

/// One call or notification a page made, and how it ended: what
/// [`App::on_call`](crate::App::on_call) is given once the handler returned (or the call was
/// refused). The protocol's own messages (`$/cancelRequest`, `$/ack`, `$/unsubscribe`) are
/// not recorded; a subscription's record is its start (its outcome is the subscription id).
///
/// ```
/// use rpcview::CallRecord;
/// fn line(r: &CallRecord) -> String {
///     let outcome = match &r.outcome {
///         Ok(_) => "ok".to_string(),
///         Err(e) => format!("error {}", e.code),
///     };
///     format!("[{}] {} {:?} {outcome}", r.window, r.method, r.duration)
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallRecord {
    /// The window whose page called.
    pub window: String,
    /// The origin the page called from.
    pub origin: String,
    /// The method, notification or subscription name, as sent.
    pub method: String,
    /// The params as sent (`null` when there were none).
    pub params: Value,
    /// Whether it was a notification (no reply was sent).
    pub notification: bool,
    /// The result or error the page was (or, for a notification, would have been) given.
    pub outcome: Result<Value, RpcError>,
    /// From the message's arrival at the endpoint to its outcome.
    pub duration: Duration,
}

/// Whether an app logs its calls ([`App::log_calls`](crate::App::log_calls)): one line per
/// call, notification or subscription start, at `INFO` under the `tracing` target
/// `rpcview::calls`, as `[window] method duration outcome`.
///
/// ```
/// use rpcview::CallLog;
/// assert_eq!(CallLog::default(), CallLog::Off);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CallLog {
    /// No call lines (the default).
    #[default]
    Off,
    /// Window, method, duration and outcome (`ok`, or `error CODE message`); never params.
    Calls,
    /// The same, plus the params as sent. They may hold what a user typed: only for
    /// debugging, never by default.
    WithParams,
}

impl CallLog {
    /// Logs `record` as this setting says.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn log(self, r: &CallRecord) {
        if self == CallLog::Off {
            return;
        }
        let outcome = match (&r.outcome, r.notification) {
            (Ok(_), false) => "ok".to_string(),
            (Ok(_), true) => "ok (notification)".to_string(),
            (Err(e), _) => format!("error {} {}", e.code, e.message),
        };
        // The method and the error message may be the page's text: escaped and cut.
        let method = clean(&r.method, FIELD_CHARS);
        let outcome = clean(&outcome, MESSAGE_CHARS);
        if self == CallLog::WithParams {
            let params = r.params.to_string();
            let params = clean(&params, MESSAGE_CHARS);
            tracing::info!(target: "rpcview::calls", "[{}] {method} {:.1?} {outcome} params={params}", r.window, r.duration);
        } else {
            tracing::info!(target: "rpcview::calls", "[{}] {method} {:.1?} {outcome}", r.window, r.duration);
        }
    }
}
