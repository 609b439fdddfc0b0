//! rpcview: a desktop webview whose page talks to Rust through schema-checked JSON-RPC 2.0.
//!
//! The page sees one frozen object, `window.api`; every call crosses as a JSON-RPC 2.0
//! message, is checked against its params' JSON Schema, and runs a plain `async fn` on a
//! tokio runtime. The host pushes events back as notifications.
//!
//! # Example: one method, one window
//! ```no_run
//! use rpcview::{app::Window, Api, App, Ctx, RpcError};
//! use schemars::JsonSchema;
//! use serde::Deserialize;
//!
//! /// Two numbers.
//! #[derive(Deserialize, JsonSchema)]
//! struct Add { a: i64, b: i64 }
//!
//! async fn add(_ctx: Ctx, p: Add) -> Result<i64, RpcError> { Ok(p.a + p.b) }
//!
//! let code = App::new(Api::new().method("math.add", add))
//!     .window(Window::new("main").title("Calculator"))
//!     .run()
//!     .expect("the app starts");
//! // In the page: `await window.api.invoke('math.add', { a: 1, b: 2 })` → 3
//! std::process::exit(code);
//! ```
//!
//! # Example: invoke, without a window
//! The JSON-RPC core needs no webview; an [`rpc::Endpoint`] answers messages directly (this is
//! how the conformance tests run).
//! ```
//! # use rpcview::{Api, Ctx, RpcError, rpc::{Allow, CallSite}};
//! async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> { Ok(xs.iter().sum()) }
//! let endpoint = Api::new().method("sum", sum).build().unwrap()
//!     .endpoint(CallSite::new("main", "app://localhost"), Allow::all());
//! let rt = tokio::runtime::Runtime::new().unwrap();
//! let reply = rt.block_on(endpoint.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"}"#));
//! assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":7,"id":"1"}"#);
//! ```
//!
//! # Example: notify and push
//! ```
//! # use rpcview::{Api, Ctx, Target};
//! # use schemars::JsonSchema; use serde::Deserialize;
//! #[derive(Deserialize, JsonSchema)]
//! struct LogLine { message: String }
//! async fn log(ctx: Ctx, line: LogLine) {
//!     // `api.notify('app.log', { message })` lands here; no reply is ever sent.
//!     let _ = ctx.emit(Target::All, "app.logged", &line.message); // every `api.on('app.logged')`
//! }
//! let api = Api::new().notification("app.log", log).event::<String>("app.logged");
//! # api.build().unwrap();
//! ```
#![warn(missing_docs)]

pub mod app;
pub mod bridge;
pub mod demo;
pub mod rpc;
pub mod schema;

pub use app::{App, AppHandle};
pub use rpc::{Api, BuildError, Ctx, EmitError, Emitter, Limits, Router, RpcError, Target};

#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
