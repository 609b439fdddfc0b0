//! Notes as files: `<dir>/<id>.md`, the title on the first line, the body after it.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use rpcview::RpcError;

/// Error code: no note has that id.
pub(crate) const NOT_FOUND: i32 = 404;
/// Error code: the notes folder could not be read or written.
pub(crate) const STORAGE: i32 = 500;

/// Which note.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetNote {
    /// The note's id: lowercase letters, digits and dashes.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,63}$"))]
    pub id: String,
}

/// A note to create (leave `id` out) or replace.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveNote {
    /// The title, shown in the list; one line.
    #[schemars(length(min = 1, max = 120), regex(pattern = r"^[^\n]*$"))]
    pub title: String,
    /// The text of the note.
    #[schemars(length(max = 100000))]
    pub body: String,
    /// The note to replace; a new note gets an id made from its title.
    #[serde(default)]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,63}$"))]
    pub id: Option<String>,
}

/// A note as stored.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Note {
    /// Its id (the file name without `.md`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its text.
    pub body: String,
    /// Last change, in milliseconds since the Unix epoch.
    pub modified_ms: u64,
}

/// A note in the list.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NoteSummary {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Last change, in milliseconds since the Unix epoch.
    pub modified_ms: u64,
}

/// How a note changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// It was created or replaced.
    Saved,
    /// It was deleted.
    Removed,
}

/// Pushed as `notes.changed` when a note file changes, from the app or from outside.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NotesChanged {
    /// The note's id.
    pub id: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// How loud a log line is.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    /// Routine.
    Info,
    /// Worth a look.
    Warn,
    /// Something failed.
    Error,
}

/// A log line from the page.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    /// How loud.
    pub level: LogLevel,
    /// What happened.
    #[schemars(length(max = 2000))]
    pub message: String,
}

/// The notes folder.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

fn storage(e: std::io::Error, path: &Path) -> RpcError {
    RpcError::new(STORAGE, format!("{}: {e}", path.display()))
}

impl Store {
    /// Opens (creating if needed) the folder `dir`.
    ///
    /// # Errors
    /// The folder cannot be created.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.md"))
    }

    /// Every note, most recently changed first.
    ///
    /// # Errors
    /// The folder cannot be read.
    pub fn list(&self) -> Result<Vec<NoteSummary>, RpcError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| storage(e, &self.dir))? {
            let Ok(entry) = entry else { continue };
            let path = entry.path();
            let Some(id) = note_id(&path) else { continue };
            if let Ok(note) = self.get(&id) {
                out.push(NoteSummary {
                    id: note.id,
                    title: note.title,
                    modified_ms: note.modified_ms,
                });
            }
        }
        out.sort_by(|a, b| b.modified_ms.cmp(&a.modified_ms).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One note.
    ///
    /// # Errors
    /// `404` if there is no such note.
    pub fn get(&self, id: &str) -> Result<Note, RpcError> {
        let path = self.path(id);
        let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RpcError::new(NOT_FOUND, format!("no note '{id}'"))
                .with_data(serde_json::json!({ "id": id })),
            _ => storage(e, &path),
        })?;
        let (title, body) = text.split_once('\n').unwrap_or((&text, ""));
        let modified_ms = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_millis() as u64);
        Ok(Note {
            id: id.to_owned(),
            title: title.trim().to_owned(),
            body: body.to_owned(),
            modified_ms,
        })
    }

    /// Creates or replaces a note.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, note: SaveNote) -> Result<Note, RpcError> {
        let id = match note.id {
            Some(id) => id,
            None => self.fresh_id(&note.title),
        };
        let path = self.path(&id);
        let tmp = self.dir.join(format!(".{id}.md.tmp"));
        std::fs::write(&tmp, format!("{}\n{}", note.title, note.body))
            .map_err(|e| storage(e, &tmp))?;
        std::fs::rename(&tmp, &path).map_err(|e| storage(e, &path))?;
        self.get(&id)
    }

    /// Deletes a note; a missing one is fine.
    ///
    /// # Errors
    /// The file exists and cannot be removed.
    pub fn delete(&self, id: &str) -> Result<(), RpcError> {
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(storage(e, &path)),
            _ => Ok(()),
        }
    }

    fn fresh_id(&self, title: &str) -> String {
        let mut slug: String = title
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
            .split('-')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        slug.truncate(48);
        if slug.is_empty() {
            slug = "note".into();
        }
        let mut id = slug.clone();
        let mut n = 2;
        while self.path(&id).exists() {
            id = format!("{slug}-{n}");
            n += 1;
        }
        id
    }
}

/// The id of a note file, if `path` is one.
pub(crate) fn note_id(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let id = name.strip_suffix(".md")?;
    let ok = !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ok.then(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_lists_and_gets_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = store
            .save(SaveNote {
                title: "Groceries & more".into(),
                body: "milk\neggs".into(),
                id: None,
            })
            .unwrap();
        assert_eq!(a.id, "groceries-more");
        let b = store
            .save(SaveNote {
                title: "Groceries & more".into(),
                body: "".into(),
                id: None,
            })
            .unwrap();
        assert_eq!(b.id, "groceries-more-2");
        assert_eq!(store.get("groceries-more").unwrap().body, "milk\neggs");
        assert_eq!(store.list().unwrap().len(), 2);
        store.delete("groceries-more").unwrap();
        assert_eq!(store.get("groceries-more").unwrap_err().code, NOT_FOUND);
    }

    #[test]
    fn only_note_files_have_ids() {
        assert_eq!(note_id(Path::new("/x/a-b.md")).as_deref(), Some("a-b"));
        assert_eq!(note_id(Path::new("/x/.a.md.tmp")), None);
        assert_eq!(note_id(Path::new("/x/A.md")), None);
    }
}
