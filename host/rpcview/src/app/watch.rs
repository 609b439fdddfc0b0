//! Live reload: watching the folders given to [`App::watch`](super::App::watch) and telling
//! the UI thread what changed, so that it reloads the pages served from them (or, when only
//! style sheets changed, swaps the style sheets in place).

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, DebouncedEvent};
use tao::event_loop::EventLoopProxy;

use super::handle::{Change, UserEvent};
use super::AppError;

/// How long the folder must be quiet before a change counts: an editor's save (a temporary
/// file, a rename, a few writes) is one change.
pub(crate) const DEBOUNCE: Duration = Duration::from_millis(100);

/// A debounced watch; dropping it (or [`stop`](Self::stop)) ends it.
pub(crate) type Watcher = notify_debouncer_full::Debouncer<
    notify::RecommendedWatcher,
    notify_debouncer_full::RecommendedCache,
>;

/// Watches `dir` (recursively) and sends [`UserEvent::Changed`] for every debounced change.
/// The watch lasts as long as the returned value.
pub(crate) fn start(dir: &Path, proxy: EventLoopProxy<UserEvent>) -> Result<Watcher, AppError> {
    let fail = |reason: String| AppError::Watch {
        dir: dir.to_owned(),
        reason,
    };
    let root = dir
        .canonicalize()
        .map_err(|e| fail(format!("not a folder to watch: {e}")))?;
    let sent = root.clone();
    let mut debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
        let events = match result {
            Ok(events) => events,
            Err(errors) => {
                for e in errors {
                    tracing::warn!(dir = %sent.display(), "watching: {e}");
                }
                return;
            }
        };
        if let Some((change, paths)) = classify(&events) {
            tracing::debug!(dir = %sent.display(), ?change, ?paths, "web folder changed");
            let _ = proxy.send_event(UserEvent::Changed {
                dir: sent.clone(),
                change,
                paths,
            });
        }
    })
    .map_err(|e| fail(e.to_string()))?;
    debouncer
        .watch(&root, RecursiveMode::Recursive)
        .map_err(|e| fail(e.to_string()))?;
    tracing::info!(dir = %root.display(), "watching for changes: pages served from it reload");
    Ok(debouncer)
}

/// What a batch of debounced events asks for, and the files it names; `None` when nothing
/// that matters changed (reads, an editor's scratch files).
pub(crate) fn classify(events: &[DebouncedEvent]) -> Option<(Change, Vec<PathBuf>)> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for event in events {
        let named: &[PathBuf] = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => &event.paths,
            EventKind::Access(_) | EventKind::Other | EventKind::Any => continue,
            // A rename into place (an editor's temporary file becoming the real one): what
            // counts is where it landed.
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
                event.paths.last().map(std::slice::from_ref).unwrap_or(&[])
            }
            _ => &event.paths,
        };
        for path in named {
            if !is_scratch(path) && !paths.contains(path) {
                paths.push(path.clone());
            }
        }
    }
    if paths.is_empty() {
        return None;
    }
    let styles_only = paths
        .iter()
        .all(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("css")));
    let change = if styles_only {
        Change::Styles
    } else {
        Change::Reload
    };
    Some((change, paths))
}

/// An editor's temporary or backup file: `.#x`, `x~`, `.x.swp`, `x.tmp`, vim's `4913`.
fn is_scratch(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name.starts_with(".#")
        || name.ends_with('~')
        || [".swp", ".swx", ".tmp", ".part", ".crswap"]
            .iter()
            .any(|ext| name.ends_with(ext))
        || name.contains(".tmp.")
        || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()))
}

/// The script that re-points every `<link rel=stylesheet>` of a page with a cache-busting
/// query: the browser loads the new sheet and swaps it in, with no reload (the page's state
/// survives) and nothing inline (the Content-Security-Policy forbids inline styles).
pub(crate) const SWAP_STYLES: &str = r#"(() => {
  const stamp = String(Date.now());
  for (const link of document.querySelectorAll('link[rel~="stylesheet"][href]')) {
    const url = new URL(link.getAttribute('href'), document.baseURI);
    url.searchParams.set('rpcview-reload', stamp);
    link.href = url.href;
  }
})()"#;

/// Whether a page served from the folder `root` is affected by a change in `dir`: one
/// contains the other.
pub(crate) fn related(root: &Path, dir: &Path) -> bool {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_owned());
    root.starts_with(dir) || dir.starts_with(&root)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange};
    use std::time::Instant;

    fn event(kind: EventKind, paths: &[&str]) -> DebouncedEvent {
        let mut e = notify::Event::new(kind);
        for p in paths {
            e = e.add_path(PathBuf::from(p));
        }
        DebouncedEvent::new(e, Instant::now())
    }

    #[test]
    fn css_alone_swaps_styles_and_anything_else_reloads() {
        let write = EventKind::Modify(ModifyKind::Data(DataChange::Any));
        let css = [
            event(write, &["/w/style.css"]),
            event(write, &["/w/a/b.CSS"]),
        ];
        assert_eq!(classify(&css).unwrap().0, Change::Styles);
        let mixed = [
            event(write, &["/w/style.css"]),
            event(write, &["/w/app.js"]),
        ];
        assert_eq!(classify(&mixed).unwrap().0, Change::Reload);
        let removed = [event(
            EventKind::Remove(notify::event::RemoveKind::File),
            &["/w/x.js"],
        )];
        assert_eq!(classify(&removed).unwrap().0, Change::Reload);
        let read = [event(EventKind::Access(AccessKind::Read), &["/w/app.js"])];
        assert_eq!(classify(&read), None);
    }

    #[test]
    fn a_rename_into_place_counts_where_it_landed() {
        let renamed = [
            event(EventKind::Create(CreateKind::File), &["/w/style.css.tmp"]),
            event(
                EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
                &["/w/style.css.tmp", "/w/style.css"],
            ),
        ];
        let (change, paths) = classify(&renamed).unwrap();
        assert_eq!(change, Change::Styles);
        assert_eq!(paths, [PathBuf::from("/w/style.css")]);
        let swap = [event(
            EventKind::Create(CreateKind::File),
            &["/w/.app.js.swp"],
        )];
        assert_eq!(classify(&swap), None);
    }

    #[test]
    fn folders_are_related_when_one_holds_the_other() {
        assert!(related(Path::new("/w"), Path::new("/w")));
        assert!(related(Path::new("/w/dist"), Path::new("/w")));
        assert!(related(Path::new("/w"), Path::new("/w/css")));
        assert!(!related(Path::new("/w"), Path::new("/x")));
    }
}
