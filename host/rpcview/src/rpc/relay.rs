//! The built-in relay between windows ([`Api::relay`](crate::Api::relay)): a page sends a
//! declared event to another window through the host, which checks it as it would its own.

use schemars::JsonSchema;
use serde::Deserialize;

use super::ctx::Ctx;
use super::error::RpcError;

/// The name of the built-in relay method: `{"method":"rpcview.relay","params":{"to":"settings","event":"theme.changed","payload":...}}`.
pub const RELAY: &str = "rpcview.relay";

/// What a page relays, and to whom.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Relay {
    /// The label of the window to send to.
    to: String,
    /// A declared event the target window's allowlist accepts.
    event: String,
    /// The event's payload, checked against the event's schema.
    payload: serde_json::Value,
}

pub(crate) async fn relay(ctx: Ctx, p: Relay) -> Result<(), RpcError> {
    tracing::debug!(from = %ctx.window(), to = %p.to, event = %p.event, "relay");
    Ok(ctx
        .emitter()
        .relay(ctx.window(), &p.to, &p.event, p.payload)?)
}
