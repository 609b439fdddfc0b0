//! rpcview's contract tooling, from OpenRPC documents alone: no webview, no Rust API needed.
//!
//! - [`typescript`]: `api.d.ts` (types `window.api`), `client.js` and `client.d.ts` (a typed
//!   client), `mock.js` and `mock.d.ts` (a typed mock `window.api` for unit tests) from an
//!   OpenRPC document;
//! - [`compat`]: what changed between two documents, and whether it breaks pages built on the
//!   old one;
//! - [`files`]: generated files kept fresh in a folder, checked or written.
//!
//! The `rpcview` library builds the document from an `Api` and re-exports this crate as
//! `rpcview::contract`; the `rpcview` command (`rpcview-cli`) runs it on files.
//!
//! # Example: TypeScript from a document
//! ```
//! let doc = serde_json::json!({
//!     "openrpc": "1.3.2",
//!     "info": { "title": "Math", "version": "1.0.0" },
//!     "methods": [{
//!         "name": "math.add",
//!         "params": [{ "name": "a", "schema": { "type": "integer" }, "required": true }],
//!         "result": { "name": "result", "schema": { "type": "integer" } },
//!     }],
//! });
//! let generated = rpcview_contract::typescript::generate(&doc).unwrap();
//! let names: Vec<_> = generated.files.iter().map(|f| f.0).collect();
//! assert_eq!(names, ["api.d.ts", "client.js", "client.d.ts", "mock.js", "mock.d.ts"]);
//! ```

pub mod compat;
pub mod files;
pub mod typescript;
