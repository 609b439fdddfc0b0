//! The JSON-RPC core: errors, the [`Api`] table, framing and dispatch. Nothing here knows
//! about windows or webviews, so all of it is testable (and servable) without one.

pub mod error;

mod allow;
mod api;
mod ctx;
mod endpoint;
mod limits;
mod params;
mod stats;

pub use allow::Allow;
pub use api::{Api, BuildError, Docs, EventInfo, Info, Kind, MethodInfo, Router};
pub use ctx::{CallSite, Ctx, EmitError, Emitter, Target};
pub use endpoint::{Endpoint, DISCOVER};
pub use error::RpcError;
pub use limits::Limits;
pub use params::shape as shape_params;
pub use stats::Stats;
