//! Generated files in a folder: written, or checked against what is there.

use std::path::Path;

use serde_json::Value;

/// JSON as a schema folder stores it: two-space indents, object keys sorted (so the text does
/// not depend on whether some crate in the build turned on serde_json's `preserve_order`),
/// and a final newline.
///
/// ```
/// let text = rpcview_contract::files::pretty(&serde_json::json!({ "b": 1, "a": [true] }));
/// assert_eq!(text, "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}\n");
/// ```
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&sorted(v)).expect("JSON serializes");
    s.push('\n');
    s
}

/// `v` with every object's keys in sorted order.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The names of `files` whose contents in `dir` differ from the text given (or are missing).
///
/// ```
/// let dir = std::env::temp_dir().join("rpcview-contract-stale-doc");
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("a.txt"), "same").unwrap();
/// let files = [("a.txt", "same".to_string()), ("b.txt", "new".to_string())];
/// assert_eq!(rpcview_contract::files::stale(&dir, &files), ["b.txt"]);
/// ```
pub fn stale<'a>(dir: &Path, files: &'a [(&'a str, String)]) -> Vec<&'a str> {
    files
        .iter()
        .filter(|(name, text)| {
            std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(name, _)| *name)
        .collect()
}

/// Writes `files` into `dir` (created if missing) and returns the paths written.
///
/// # Errors
/// The folder or a file could not be written; the message names the path.
pub fn write(dir: &Path, files: &[(&str, String)]) -> Result<Vec<std::path::PathBuf>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
