//! The JSON-RPC core: the [`Api`] table, its [`Router`], framing and dispatch
//! ([`Endpoint`]), schemas and validation, the OpenRPC document. Nothing here knows about
//! windows or webviews, so all of it is testable (and servable) without one.

pub mod capability;
pub mod error;
pub mod openrpc;

mod allow;
mod api;
mod bytes;
mod call;
mod ctx;
mod emit;
mod endpoint;
mod fields;
mod handler;
mod limits;
pub(crate) mod log;
pub(crate) mod observe;
mod params;
mod relay;
mod router;
mod schema;
mod shared;
mod stats;
mod subscribe;
mod validate;

pub use allow::Allow;
pub use api::{Api, BuildError};
#[cfg(feature = "webview")]
pub(crate) use bytes::{fresh_id, Blobs, Scope as BlobScope};
pub use bytes::{BlobError, Bytes};
pub use capability::{Capability, Grant};
pub use ctx::{CallSite, Ctx};
pub use emit::{EmitError, Emitter};
pub use endpoint::{Endpoint, CANCEL};
pub use error::RpcError;
pub use handler::{BlockingHandler, Handler, State, SubscriptionHandler};
pub use limits::Limits;
pub use log::{for_log, Clean};
pub use observe::{CallLog, CallRecord};
pub use relay::RELAY;
pub use router::{AllowedNames, Docs, EventInfo, Info, Kind, MethodInfo, Router, DISCOVER};
pub use schema::{ParamShape, DEFINITIONS_PATH};
pub use shared::{Target, WindowInfo};
pub use stats::Stats;
pub use subscribe::{Sink, SinkError, ACK, UNSUBSCRIBE};
pub use validate::Violation;
