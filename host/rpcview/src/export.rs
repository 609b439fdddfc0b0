//! Schema export for any [`Api`](crate::Api): the OpenRPC document and the TypeScript
//! generated from it, kept fresh in a folder of the app's own repository, and checked for
//! compatibility against a baseline.
//!
//! Put one call in a test (or a build script). It fails with the command to run when the
//! files are stale, writes them when `RPCVIEW_SCHEMA=write` is set (the way snapshot-testing
//! tools bless their snapshots), and fails on changes that would break pages built against the
//! baseline.
//!
//! # Example: in a test of your app
//! ```no_run
//! # fn my_api() -> rpcview::Api { rpcview::Api::new() }
//! #[test]
//! fn schema_is_fresh() {
//!     let router = my_api().build().unwrap();
//!     rpcview::Export::new(&router)
//!         .dir(concat!(env!("CARGO_MANIFEST_DIR"), "/schema"))
//!         .baseline(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/baseline/openrpc.json"))
//!         .assert_fresh();
//! }
//! ```
//! Then `RPCVIEW_SCHEMA=write cargo test schema_is_fresh` regenerates `schema/`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use rpcview_contract::{compat, files, typescript};

use crate::rpc::{openrpc, Allow, Router};

/// The environment variable that makes [`Export::run`] write instead of check: set it to
/// `write`.
pub const WRITE_VAR: &str = "RPCVIEW_SCHEMA";

/// The files `schema/` holds for a router, and where they go.
///
/// ```
/// # use rpcview::{Api, Ctx, RpcError};
/// async fn ping(_: Ctx, _: ()) -> Result<String, RpcError> { Ok("pong".into()) }
/// let router = Api::new().method("ping", ping).build().unwrap();
/// let files = rpcview::Export::new(&router).files().unwrap();
/// let names: Vec<_> = files.iter().map(|f| f.0).collect();
/// assert_eq!(names, ["openrpc.json", "api.d.ts", "client.js", "client.d.ts", "mock.js", "mock.d.ts"]);
/// ```
#[derive(Debug, Clone)]
pub struct Export {
    document: Value,
    dir: PathBuf,
    baseline: Option<PathBuf>,
    command: String,
}

/// Why an [`Export`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The generated files differ from those in the folder.
    #[error("{} is stale ({}); run `{command}` to regenerate it", dir.display(), files.join(", "))]
    Stale {
        /// The folder.
        dir: PathBuf,
        /// The files that differ or are missing.
        files: Vec<String>,
        /// The command that regenerates them.
        command: String,
    },
    /// The document breaks pages built against the baseline.
    #[error("{} breaking change(s) against {}:\n  {}\nIf deliberate, make the current document the new baseline: cp {} {}", changes.len(), baseline.display(), changes.join("\n  "), current.display(), baseline.display())]
    Breaking {
        /// The baseline document.
        baseline: PathBuf,
        /// The current document (in the export folder).
        current: PathBuf,
        /// Each breaking change, in words.
        changes: Vec<String>,
    },
    /// The TypeScript generator refused the document (a reserved name, ...).
    #[error("TypeScript generation failed: {0}")]
    TypeScript(#[from] typescript::TsError),
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

/// What [`Export::run`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Every file was already up to date.
    Fresh,
    /// The files were written (`RPCVIEW_SCHEMA=write`).
    Written(Vec<PathBuf>),
}

impl Export {
    /// An export of everything `router` serves, into `./schema`.
    pub fn new(router: &Router) -> Self {
        Self {
            document: openrpc::document(router, &Allow::all()),
            dir: PathBuf::from("schema"),
            baseline: None,
            command: format!("{WRITE_VAR}=write cargo test"),
        }
    }

    /// The folder the files live in. Default: `schema` (relative to the working directory,
    /// which is the package's folder under `cargo test`).
    pub fn dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// Checks the document against this baseline document too: a change that would break
    /// pages built against it (a removed method, a new required param, a narrowed type, ...)
    /// fails. Bump the baseline deliberately, by copying the current document over it.
    pub fn baseline(mut self, path: impl Into<PathBuf>) -> Self {
        self.baseline = Some(path.into());
        self
    }

    /// The command a stale folder's error tells the user to run. Default:
    /// `RPCVIEW_SCHEMA=write cargo test`.
    pub fn command(mut self, command: &str) -> Self {
        self.command = command.into();
        self
    }

    /// The OpenRPC document exported.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The files, as `(name, text)`: `openrpc.json`, `api.d.ts`, `client.js`, `client.d.ts`,
    /// `mock.js`, `mock.d.ts`.
    /// The TypeScript is generated from the document as stored, so the same document read
    /// back gives the same files.
    ///
    /// # Errors
    /// The TypeScript generator refused the document.
    pub fn files(&self) -> Result<Vec<(&'static str, String)>, ExportError> {
        let stored = files::sorted(&self.document);
        let mut out = vec![("openrpc.json", files::pretty(&stored))];
        out.extend(typescript::generate(&stored)?.files);
        Ok(out)
    }

    /// Writes the files if `RPCVIEW_SCHEMA=write` is set, else checks them; then checks the
    /// baseline, if one is set.
    ///
    /// # Errors
    /// Stale files (naming the command to run), breaking changes, or a file that cannot be
    /// read or written.
    pub fn run(&self) -> Result<Outcome, ExportError> {
        let writing = std::env::var(WRITE_VAR).is_ok_and(|v| v == "write");
        let outcome = if writing {
            Outcome::Written(self.write()?)
        } else {
            let files = self.files()?;
            let stale = files::stale(&self.dir, &files);
            if !stale.is_empty() {
                return Err(ExportError::Stale {
                    dir: self.dir.clone(),
                    files: stale.into_iter().map(str::to_owned).collect(),
                    command: self.command.clone(),
                });
            }
            Outcome::Fresh
        };
        if let Some(baseline) = &self.baseline {
            self.check_baseline(baseline)?;
        }
        Ok(outcome)
    }

    /// Writes the files into the folder, whatever is there, and returns their paths.
    ///
    /// # Errors
    /// The TypeScript generator refused the document, or a file could not be written.
    pub fn write(&self) -> Result<Vec<PathBuf>, ExportError> {
        files::write(&self.dir, &self.files()?).map_err(ExportError::Io)
    }

    /// [`run`](Self::run), panicking with its error's message: for a test.
    ///
    /// # Panics
    /// Whenever `run` fails.
    #[track_caller]
    pub fn assert_fresh(&self) {
        if let Err(e) = self.run() {
            panic!("{e}");
        }
    }

    fn check_baseline(&self, baseline: &Path) -> Result<(), ExportError> {
        let text = std::fs::read_to_string(baseline)
            .map_err(|e| ExportError::Io(format!("baseline {}: {e}", baseline.display())))?;
        let old: Value = serde_json::from_str(&text)
            .map_err(|e| ExportError::Io(format!("baseline {}: {e}", baseline.display())))?;
        let changes: Vec<String> = compat::compare(&old, &self.document)
            .into_iter()
            .filter(|c| c.breaking)
            .map(|c| c.to_string())
            .collect();
        if changes.is_empty() {
            return Ok(());
        }
        Err(ExportError::Breaking {
            baseline: baseline.to_owned(),
            current: self.dir.join("openrpc.json"),
            changes,
        })
    }
}
