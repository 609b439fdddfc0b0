//! rpcview: a desktop webview whose page talks to Rust through schema-checked JSON-RPC 2.0.
//!
//! The page sees one frozen object, `window.api`; every call crosses as a JSON-RPC 2.0
//! message, is checked against its params' JSON Schema, and runs a plain `async fn` on a
//! tokio runtime. The host pushes events back as notifications. The API's schema is the
//! contract: [`Export`] writes its OpenRPC document and a typed TypeScript client into the
//! app's repository, and keeps them fresh.
//!
//! Everything an app needs is at the root (or `use rpcview::prelude::*`).
//!
//! # Example: one method, one window, an embedded page
//! ```no_run
//! use rpcview::{embed, Api, App, Assets, Ctx, RpcError, Window};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! // `web/` (beside Cargo.toml): compiled into release builds, read from disk in debug ones.
//! # /*
//! embed!(Web, "web");
//! # */ embed!(Web, "src/bridge/js");
//!
//! /// Two numbers.
//! #[derive(Deserialize, JsonSchema)]
//! struct Add { a: i64, b: i64 }
//!
//! async fn add(_ctx: Ctx, p: Add) -> Result<i64, RpcError> { Ok(p.a + p.b) }
//!
//! let code = App::new(Api::new().method("math.add", add))
//!     .assets(Assets::embedded::<Web>())
//!     .window(Window::new("main").title("Calculator"))
//!     .run()
//!     .expect("the app starts");
//! // In the page: `await window.api.invoke('math.add', { a: 1, b: 2 })` → 3
//! std::process::exit(code);
//! ```
//!
//! # Example: invoke, without a window
//! The JSON-RPC core needs no webview (build with `default-features = false` to leave the
//! webview out entirely); an [`Endpoint`] answers messages directly.
//! ```
//! # use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, RpcError};
//! async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> { Ok(xs.iter().sum()) }
//! let router = Api::new().method("sum", sum).build().unwrap();
//! let endpoint = Endpoint::new(&router, CallSite::new("main", "app://localhost"), Allow::all());
//! let rt = tokio::runtime::Runtime::new().unwrap();
//! let reply = rt.block_on(endpoint.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"}"#));
//! assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":7,"id":"1"}"#);
//! ```
//!
//! # Example: notify, push and state
//! ```
//! # use rpcview::{Api, Ctx, State, Target};
//! # use schemars::JsonSchema; use serde::Deserialize;
//! #[derive(Deserialize, JsonSchema)]
//! struct LogLine { message: String }
//! struct Prefix(&'static str);
//! async fn log(State(prefix): State<Prefix>, ctx: Ctx, line: LogLine) {
//!     // `api.notify('app.log', { message })` lands here; no reply is ever sent.
//!     let text = format!("{}{}", prefix.0, line.message);
//!     let _ = ctx.emit(Target::All, "app.logged", &text); // every `api.on('app.logged')`
//! }
//! let api = Api::new()
//!     .manage(Prefix("page: "))
//!     .notification("app.log", log)
//!     .event::<String>("app.logged");
//! api.build().unwrap(); // a missing `.manage(Prefix(..))` fails here, not at the first call
//! ```
//!
//! # Cargo features
//! - `webview` (default): [`App`], [`Window`], [`Assets`], [`embed!`] and the bridge
//!   (tao + wry, WebKitGTK on Linux). Without it: the JSON-RPC core, schemas, OpenRPC and
//!   [`Export`], with no system library needed.
//! - `serve` (off by default; needs `webview`): browser mode, `rpcview::serve::Server`: the
//!   app's assets over HTTP and the same API over WebSocket on 127.0.0.1, so the page runs in
//!   Chromium or Firefox with the same `window.api`.
//!
//! # Profiling a call
//! With a `tracing` subscriber enabling target [`PROFILE_TARGET`] at `TRACE`, each stage of a
//! call through a window emits an event whose `stage` field names it, in order: `arrived`
//! (WebKit handed the page's message to the UI thread), `read` (its text is in Rust),
//! `checked` (the stamp and framing checked), `task` (running on the tokio runtime),
//! `answered` (the endpoint parsed, validated, dispatched and serialized), `queued` (the reply
//! is back on the UI thread), `delivered` (`evaluate_javascript` called for the reply).
//! `rpcview-bench` times them. Off, they cost a disabled callsite check each.
extern crate self as rpcview;

/// The `tracing` target of the per-stage profiling events (see [Profiling a call](self#profiling-a-call)).
///
/// ```
/// assert_eq!(rpcview::PROFILE_TARGET, "rpcview::profile");
/// ```
pub const PROFILE_TARGET: &str = "rpcview::profile";

#[cfg(feature = "webview")]
pub mod app;
#[cfg(feature = "webview")]
mod bridge;
pub mod export;
#[cfg(all(test, feature = "webview"))]
mod fuzz;
pub mod rpc;
#[cfg(feature = "serve")]
pub mod serve;
#[cfg(feature = "webview")]
pub mod testing;

/// The contract tooling (TypeScript generation, compatibility check, schema files), re-exported
/// from the `rpcview-contract` crate.
pub use rpcview_contract as contract;

pub use export::{Export, ExportError};
pub use rpc::{
    error, for_log, Allow, Api, BlobError, BlockingHandler, BuildError, Bytes, CallLog, CallRecord,
    CallSite, Capability, Clean, Ctx, EmitError, Emitter, Endpoint, Handler, Limits, Router,
    RpcError, Sink, SinkError, State, Stats, SubscriptionHandler, Target, WindowInfo,
};

#[cfg(feature = "webview")]
pub use app::{
    App, AppError, AppHandle, Assets, CrashPolicy, Fault, GoneReason, PageLog, PageLogLevel,
    Recovery, UnresponsivePolicy, Window, DEFAULT_CSP,
};

/// The crates rpcview's types are made of, re-exported so an app can match their versions
/// (derives in the app still need `serde` and `schemars` in its own `Cargo.toml`, at the same
/// major versions: `serde = { version = "1", features = ["derive"] }`, `schemars = "1"`).
pub use schemars;
pub use serde;
pub use serde_json;
pub use tokio;

/// What `embed!` expands to needs it; not part of rpcview's API.
#[cfg(feature = "webview")]
#[doc(hidden)]
pub use rust_embed;

/// Everything an app usually needs, in one import.
///
/// ```
/// use rpcview::prelude::*;
/// async fn ping(_: Ctx, _: ()) -> Result<&'static str, RpcError> { Ok("pong") }
/// let api = Api::new().method("ping", ping);
/// ```
pub mod prelude {
    #[cfg(feature = "webview")]
    pub use crate::{embed, App, AppHandle, Assets, Window};
    pub use crate::{Allow, Api, Capability, Ctx, Emitter, Export, RpcError, Sink, State, Target};
    pub use schemars::JsonSchema;
    pub use serde::{Deserialize, Serialize};
}

/// Embeds a folder of the app's frontend: `embed!(Web, "web")` declares `struct Web`, whose
/// files [`Assets::embedded::<Web>()`](Assets::embedded) serves. The path is relative to the
/// crate's `Cargo.toml`. Release builds compile the files into the binary; debug builds read
/// them from disk, so edits show on reload.
///
/// ```
/// rpcview::embed!(Js, "src/bridge/js");
/// assert!(rpcview::Assets::embedded::<Js>().read("/world.js").is_some());
/// ```
#[cfg(feature = "webview")]
#[macro_export]
macro_rules! embed {
    ($vis:vis $name:ident, $folder:literal) => {
        #[derive($crate::rust_embed::RustEmbed)]
        #[folder = $folder]
        #[crate_path = "rpcview::rust_embed"]
        $vis struct $name;
    };
}

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
