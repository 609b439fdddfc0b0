//! The rpcview notes demo: a small notes app whose notes are Markdown files in a folder, built
//! on rpcview's public API like any app.
//!
//! It shows every pattern: `notes.*` methods (invoke), `app.log` (notify), the
//! `notes.changed` event pushed to every window whenever a file in the folder changes,
//! whoever changed it, `notes.export` (a subscription streaming its progress, cancellable),
//! `app.new_window` (the page asks, Rust opens another window), and `notes.synced` (relayed
//! from a second window to the first with `rpcview.relay`).
//! Its page is the repository's `web/` folder, embedded; its contract is `schema/`, exported
//! by this crate's test `schema_is_fresh`.

mod store;
pub mod tour;
mod watch;

pub use store::{
    ChangeKind, GetNote, LogLevel, LogLine, Note, NoteSummary, NotesChanged, SaveNote, Store,
};
pub use watch::watch;

use std::path::PathBuf;
use std::time::Duration;

use rpcview::{embed, Allow, Api, Assets, Bytes, Ctx, RpcError, Sink, State, Window};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
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
        .runs_to_completion()
        .doc("Creates a note (leave `id` out) or replaces one; returns it as stored. A save runs to its end even if the page reloads or closes meanwhile.")
        .error(store::STORAGE, "the note could not be written")
        .example("a new note", json!({ "title": "Groceries", "body": "milk" }), json!({ "id": "groceries", "title": "Groceries", "body": "milk", "modified_ms": 1_700_000_000_000u64 }))
        .method("notes.file", notes_file)
        .doc("One note's file as stored (its title line, then its text), as bytes: a Uint8Array in the page, carried beside the JSON.")
        .error(store::NOT_FOUND, "no note has that id")
        .example("a note's file (JSON clients see its bytes as base64)", json!({ "id": "groceries" }), json!({ "$base64": "R3JvY2VyaWVzCm1pbGs=" }))
        .method("notes.import", notes_import)
        .doc("Creates a note from a Markdown file's bytes (`new Uint8Array(await file.arrayBuffer())` of a file input): the first line is the title.")
        .error(store::STORAGE, "the note could not be written")
        .example("a Markdown file", json!({ "data": { "$base64": "IyBHcm9jZXJpZXMKbWlsaw==" } }), json!({ "id": "groceries", "title": "Groceries", "body": "milk", "modified_ms": 1_700_000_000_000u64 }))
        .method("notes.delete", notes_delete)
        .doc("Deletes a note; deleting a missing note is not an error.")
        .error(store::STORAGE, "the note could not be removed")
        .subscription("notes.export", notes_export)
        .doc("Exports every note into one Markdown file, streaming progress after each note; the last item names the file. Unsubscribing cancels the export and leaves no file.")
        .method("app.new_window", app_new_window)
        .doc("Opens another window on the notes; returns its label. Windows it opens may not open more.")
        .notification("app.log", app_log)
        .doc("A log line from the page, printed by the host.")
        .event::<NotesChanged>("notes.changed")
        .doc("A note file changed: saved or removed, by this app or from outside.")
        .event::<Synced>("notes.synced")
        .doc("A window other than the first refreshed its list after a push; relayed to the first window with rpcview.relay.")
        .relay()
}

/// What windows opened with `app.new_window` may use: everything but opening more windows.
pub fn secondary_allow() -> Allow {
    Allow::only(["notes.*", "app.log", "rpc.discover", "rpcview.relay"])
}

/// What a browser's page may use in browser mode (`rpcview-notes serve`): the notes, the log,
/// the OpenRPC document, and with `tour` the tour's methods (which `--tour` adds to the API).
/// Not `app.new_window` (a browser tab is not a native window: the tour skips that step), nor
/// `rpcview.relay` (there is no other window to relay to).
///
/// ```
/// let allow = rpcview_notes::browser_allow(false);
/// assert!(allow.permits("notes.save") && !allow.permits("tour.edit_outside"));
/// assert!(!allow.permits("app.new_window"));
/// assert!(rpcview_notes::browser_allow(true).permits("tour.edit_outside"));
/// ```
pub fn browser_allow(tour: bool) -> Allow {
    if tour {
        Allow::only(["notes.*", "app.log", "rpc.discover", "tour.*"])
    } else {
        Allow::only(["notes.*", "app.log", "rpc.discover"])
    }
}

/// What the first window may use: everything (its page relays nothing, but may receive
/// `notes.synced`).
pub fn main_allow() -> Allow {
    Allow::all()
}

/// How far an export is.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ExportProgress {
    /// Notes written so far.
    pub done: u32,
    /// Notes to write.
    pub total: u32,
    /// The note just written (empty in the last item).
    pub note: String,
    /// In the last item only: the file the notes were exported to.
    pub file: Option<String>,
}

/// How to export.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportNotes {
    /// Milliseconds to wait after each note, as a slow disk or network would (so that a
    /// person sees the progress, and can cancel). Default 150.
    #[serde(default = "default_pace")]
    #[schemars(range(max = 2000))]
    pub pace_ms: u32,
}

fn default_pace() -> u32 {
    150
}

/// A second window's list caught up with a push.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Synced {
    /// The note the push was about.
    pub id: String,
    /// How many notes that window lists now.
    pub notes: u32,
}

/// Exports every note into `exports/notes-<ms>.md` in the notes folder, one progress item
/// per note. The file is written as `.partial` and renamed at the end; if the page
/// unsubscribes (or closes) first, the task is dropped and the partial file removed.
async fn notes_export(
    store: State<Store>,
    _: Ctx,
    p: ExportNotes,
    sink: Sink<ExportProgress>,
) -> Result<(), RpcError> {
    /// Removes the partial export unless it was completed.
    struct Partial(PathBuf);
    impl Drop for Partial {
        fn drop(&mut self) {
            if self.0.exists() {
                let _ = std::fs::remove_file(&self.0);
                tracing::info!("export cancelled; removed {}", self.0.display());
            }
        }
    }
    let io = |e: std::io::Error| RpcError::new(store::STORAGE, format!("export: {e}"));
    let notes = store.list()?;
    let total = u32::try_from(notes.len()).unwrap_or(u32::MAX);
    let dir = store.dir().join("exports");
    std::fs::create_dir_all(&dir).map_err(io)?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let file = dir.join(format!("notes-{stamp}.md"));
    let partial = Partial(file.with_extension("md.partial"));
    let mut text = String::new();
    for (i, summary) in notes.iter().enumerate() {
        let note = store.get(&summary.id)?;
        text.push_str(&format!(
            "# {}

{}

",
            note.title, note.body
        ));
        std::fs::write(&partial.0, &text).map_err(io)?;
        let done = u32::try_from(i + 1).unwrap_or(u32::MAX);
        sink.send(&ExportProgress {
            done,
            total,
            note: note.id,
            file: None,
        })
        .await?;
        rpcview::tokio::time::sleep(Duration::from_millis(p.pace_ms.into())).await;
    }
    std::fs::write(&partial.0, &text).map_err(io)?;
    std::fs::rename(&partial.0, &file).map_err(io)?;
    sink.send(&ExportProgress {
        done: total,
        total,
        note: String::new(),
        file: Some(file.display().to_string()),
    })
    .await?;
    Ok(())
}

/// Extra windows open at once (each is a web process): a page cannot open them without end.
pub const MAX_EXTRA_WINDOWS: usize = 4;
/// The largest note body, in characters, however it arrives (`notes.save` or `notes.import`).
pub const MAX_BODY_CHARS: usize = 100_000;

/// Opens another window on the notes page; its pages may not open more windows.
async fn app_new_window(ctx: Ctx, _: ()) -> Result<String, RpcError> {
    let app = ctx
        .app()
        .ok_or_else(|| RpcError::internal("app.new_window needs a running app"))?;
    let taken: Vec<String> = app.windows().into_iter().map(|w| w.label).collect();
    if taken.iter().filter(|l| l.starts_with("notes-")).count() >= MAX_EXTRA_WINDOWS {
        return Err(RpcError::new(
            rpcview::error::SERVER_BUSY,
            format!("at most {MAX_EXTRA_WINDOWS} extra windows are open at once; close one first"),
        ));
    }
    let label = (2..)
        .map(|n| format!("notes-{n}"))
        .find(|l| !taken.contains(l))
        .expect("some label is free");
    let window = Window::new(&label)
        .title(&format!("rpcview notes ({label})"))
        .url(&format!("app://localhost/index.html?window={label}"))
        .size(760.0, 560.0)
        .allow(secondary_allow());
    app.open(window)
        .map_err(|e| RpcError::internal(e.to_string()))?;
    Ok(label)
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

/// A Markdown file to import as a note.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportNote {
    /// The file's bytes (UTF-8 text; the first line is the title).
    pub data: Bytes,
}

/// One note's file as stored.
async fn notes_file(store: State<Store>, _: Ctx, p: GetNote) -> Result<Bytes, RpcError> {
    let note = store.get(&p.id)?;
    Ok(Bytes::from(
        format!("{}\n{}", note.title, note.body).into_bytes(),
    ))
}

/// Creates a note from a Markdown file's bytes.
async fn notes_import(store: State<Store>, _: Ctx, p: ImportNote) -> Result<Note, RpcError> {
    let text = std::str::from_utf8(&p.data)
        .map_err(|e| RpcError::invalid_params(format!("the file is not UTF-8 text: {e}")))?;
    let (title, body) = text.split_once('\n').unwrap_or((text, ""));
    // The same bound as notes.save's schema: the bytes' own size is checked by the host only
    // against the message limit.
    if body.chars().nth(MAX_BODY_CHARS).is_some() {
        return Err(RpcError::invalid_params(format!(
            "the file's body is longer than {MAX_BODY_CHARS} characters"
        )));
    }
    let title = title.trim_start_matches('#').trim();
    if title.is_empty() {
        return Err(RpcError::invalid_params(
            "the file's first line (the title) is empty",
        ));
    }
    store.save(SaveNote {
        title: title.chars().take(120).collect(),
        body: body.to_owned(),
        id: None,
    })
}

/// Deletes a note; deleting a missing note is not an error.
async fn notes_delete(store: State<Store>, _: Ctx, p: GetNote) -> Result<(), RpcError> {
    store.delete(&p.id)
}

/// A log line from the page, printed by the host.
async fn app_log(ctx: Ctx, line: LogLine) {
    let window = ctx.window();
    // The page's text, escaped and cut: it cannot forge a line of ours nor steer the terminal.
    let message = rpcview::for_log(&line.message);
    match line.level {
        LogLevel::Info => tracing::debug!(%window, "page: {message}"),
        LogLevel::Warn => tracing::warn!(%window, "page: {message}"),
        LogLevel::Error => tracing::error!(%window, "page: {message}"),
    }
    println!("[page log, {:?}] {message}", line.level);
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
    fn an_import_is_bounded_like_a_save() {
        let dir = tempfile::tempdir().unwrap();
        let router = super::api(super::Store::open(dir.path()).unwrap())
            .build()
            .unwrap();
        let ep =
            rpcview::Endpoint::new(&router, rpcview::CallSite::default(), rpcview::Allow::all());
        let rt = rpcview::tokio::runtime::Runtime::new().unwrap();
        let call = |body_chars: usize| {
            let data = format!("title\n{}", "x".repeat(body_chars));
            let b64 = base64_of(data.as_bytes());
            let text = format!(
                r#"{{"jsonrpc":"2.0","method":"notes.import","params":{{"data":{{"$base64":"{b64}"}}}},"id":1}}"#
            );
            rt.block_on(ep.handle(&text)).unwrap()
        };
        assert!(call(super::MAX_BODY_CHARS).contains(r#""result""#));
        let big = call(super::MAX_BODY_CHARS + 1);
        assert!(
            big.contains("-32602") && big.contains("longer than"),
            "{big}"
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "only the first was stored"
        );
    }

    fn base64_of(data: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in data.chunks(3) {
            let n = (u32::from(c[0]) << 16)
                | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
                | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn the_page_and_its_client_are_embedded() {
        let assets = super::assets();
        assert!(assets.read("/").is_some());
        assert!(assets.read("/schema/client.js").is_some());
        assert!(assets.read("/app.js").is_some());
    }
}
