//! rpcview: a desktop webview whose page talks to Rust through JSON-RPC 2.0.
#![warn(missing_docs)]

pub mod app;
pub mod bridge;
pub mod demo;
pub mod rpc;
pub mod schema;

pub use app::{App, AppHandle};
pub use rpc::{Api, BuildError, Ctx, EmitError, Emitter, Limits, Router, RpcError, Target};
