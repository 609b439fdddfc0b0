//! `tests/ts/subscriptions/` holds the TypeScript the generator makes of the hand-written
//! document beside it (`openrpc.json`), for `tests/ts` to compile with tsc (`node --test` there
//! runs `tsconfig.subscriptions.json`). The other fixtures there come from Rust APIs through
//! `rpcview::Export`; this one needs only this crate.
//!
//! A stale folder fails; `RPCVIEW_SCHEMA=write cargo test -p rpcview-contract` rewrites it.

use std::path::PathBuf;

use rpcview_contract::{files, typescript};

#[test]
fn subscriptions_fixture_is_fresh() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/ts/subscriptions");
    let path = dir.join("openrpc.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let generated = typescript::generate(&doc).unwrap();
    if std::env::var("RPCVIEW_SCHEMA").is_ok_and(|v| v == "write") {
        files::write(&dir, &generated.files).unwrap();
        return;
    }
    let stale = files::stale(&dir, &generated.files);
    assert!(
        stale.is_empty(),
        "{} is stale ({}); run `RPCVIEW_SCHEMA=write cargo test -p rpcview-contract`",
        dir.display(),
        stale.join(", ")
    );
}
