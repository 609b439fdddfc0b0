//! The rpcview notes demo: a small notes app whose notes are Markdown files in a folder, built
//! on rpcview's public API like any app.
//!
//! It shows every pattern: `notes.*` methods (invoke), `app.log` (notify), and the
//! `notes.changed` event pushed whenever a file in the folder changes, whoever changed it.
//! Its page is the repository's `web/` folder, embedded; its contract is `schema/`, exported
//! by this crate's test `schema_is_fresh`.

mod store;
mod watch;

pub use store::{
    ChangeKind, GetNote, LogLevel, LogLine, Note, NoteSummary, NotesChanged, SaveNote, Store,
};
pub use watch::watch;

use rpcview::{embed, Api, Assets, Ctx, RpcError, State};
use serde_json::json;

embed!(Web, "../../../web");
embed!(Schema, "../../../schema");

/// The demo's page: `web/`, with the generated client `schema/client.js` served under
/// `/schema/`.
pub fn assets() -> Assets {
    Assets::embedded::<Web>().mount("schema/", Assets::embedded::<Schema>())
}

/// The demo's API over the notes in `store`.
///
/// ```
/// let dir = std::env::temp_dir().join("rpcview-doc-demo");
/// let router = rpcview_notes::api(rpcview_notes::Store::open(&dir).unwrap()).build().unwrap();
/// assert!(router.names().any(|n| n == "notes.save"));
/// ```
pub fn api(store: Store) -> Api {
    Api::new()
        .info("rpcview notes demo", env!("CARGO_PKG_VERSION"))
        .manage(store)
        .method("notes.list", notes_list)
        .doc("Every note, most recently changed first.")
        .error(store::STORAGE, "the notes folder could not be read")
        .method("notes.get", notes_get)
        .doc("One note, by id.")
        .error(store::NOT_FOUND, "no note has that id")
        .example("a note", json!({ "id": "groceries" }), json!({ "id": "groceries", "title": "Groceries", "body": "milk", "modified_ms": 1_700_000_000_000u64 }))
        .method("notes.save", notes_save)
        .doc("Creates a note (leave `id` out) or replaces one; returns it as stored.")
        .error(store::STORAGE, "the note could not be written")
        .example("a new note", json!({ "title": "Groceries", "body": "milk" }), json!({ "id": "groceries", "title": "Groceries", "body": "milk", "modified_ms": 1_700_000_000_000u64 }))
        .method("notes.delete", notes_delete)
        .doc("Deletes a note; deleting a missing note is not an error.")
        .error(store::STORAGE, "the note could not be removed")
        .notification("app.log", app_log)
        .doc("A log line from the page, printed by the host.")
        .event::<NotesChanged>("notes.changed")
        .doc("A note file changed: saved or removed, by this app or from outside.")
}

/// Every note, most recently changed first.
async fn notes_list(store: State<Store>, _: Ctx, _: ()) -> Result<Vec<NoteSummary>, RpcError> {
    store.list()
}

/// One note, by id.
async fn notes_get(store: State<Store>, _: Ctx, p: GetNote) -> Result<Note, RpcError> {
    store.get(&p.id)
}

/// Creates a note (no id) or replaces one; returns it as stored.
async fn notes_save(store: State<Store>, _: Ctx, p: SaveNote) -> Result<Note, RpcError> {
    store.save(p)
}

/// Deletes a note; deleting a missing note is not an error.
async fn notes_delete(store: State<Store>, _: Ctx, p: GetNote) -> Result<(), RpcError> {
    store.delete(&p.id)
}

/// A log line from the page, printed by the host.
async fn app_log(ctx: Ctx, line: LogLine) {
    let window = ctx.window();
    match line.level {
        LogLevel::Info => tracing::debug!(%window, "page: {}", line.message),
        LogLevel::Warn => tracing::warn!(%window, "page: {}", line.message),
        LogLevel::Error => tracing::error!(%window, "page: {}", line.message),
    }
    println!("[page log, {:?}] {}", line.level, line.message);
}

#[cfg(test)]
mod tests {
    /// `schema/` is what this API generates; `RPCVIEW_SCHEMA=write cargo test -p
    /// rpcview-notes` regenerates it, and the baseline must stay compatible.
    #[test]
    fn schema_is_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let router = super::api(super::Store::open(dir.path()).unwrap())
            .build()
            .unwrap();
        let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../schema");
        rpcview::Export::new(&router)
            .dir(schema)
            .baseline(format!("{schema}/baseline/openrpc.json"))
            .command("RPCVIEW_SCHEMA=write cargo test -p rpcview-notes schema_is_fresh")
            .assert_fresh();
    }

    #[test]
    fn the_page_and_its_client_are_embedded() {
        let assets = super::assets();
        assert!(assets.read("/").is_some());
        assert!(assets.read("/schema/client.js").is_some());
        assert!(assets.read("/app.js").is_some());
    }
}
