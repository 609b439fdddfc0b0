//! Watching the notes folder with `notify`, so that edits from outside the app reach pages.

use std::time::Duration;

use notify::EventKind;
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};

use super::store::{note_id, ChangeKind, NotesChanged, Store};
use rpcview::{Emitter, Target};

/// Watches `store`'s folder and emits `notes.changed` for every note file that changes.
/// The watch lasts as long as the returned value.
///
/// # Errors
/// The folder cannot be watched.
pub fn watch(
    store: &Store,
    emitter: Emitter,
) -> notify::Result<Debouncer<notify::RecommendedWatcher, RecommendedCache>> {
    let dir = store.dir().to_owned();
    let mut debouncer = new_debouncer(
        Duration::from_millis(150),
        None,
        move |result: DebounceEventResult| {
            let Ok(events) = result else { return };
            let mut seen: Vec<(String, ChangeKind)> = Vec::new();
            for event in events {
                let kind = match event.kind {
                    EventKind::Create(_) | EventKind::Modify(_) => ChangeKind::Saved,
                    EventKind::Remove(_) => ChangeKind::Removed,
                    _ => continue,
                };
                for path in &event.paths {
                    let Some(id) = note_id(path) else { continue };
                    // A rename into place is a save; a path that is gone was removed.
                    let kind = if path.exists() {
                        kind
                    } else {
                        ChangeKind::Removed
                    };
                    if !seen.iter().any(|(i, k)| *i == id && *k == kind) {
                        seen.push((id, kind));
                    }
                }
            }
            for (id, kind) in seen {
                if let Err(e) =
                    emitter.emit(Target::All, "notes.changed", &NotesChanged { id, kind })
                {
                    tracing::error!("notes.changed not sent: {e}");
                }
            }
        },
    )?;
    debouncer.watch(&dir, notify::RecursiveMode::NonRecursive)?;
    Ok(debouncer)
}
