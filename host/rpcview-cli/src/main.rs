//! The `rpcview` command: the contract tooling on files, for frontend teams and CI. It reads
//! OpenRPC documents only, so it builds without WebKitGTK (`cargo install rpcview-cli`).
//!
//! An app's own documents come from its Rust API through `rpcview::Export` (in a test of the
//! app); this command works from the documents alone.
//!
//! `rpcview webdriver APP` starts WebKitGTK's WebDriver for an app (see `webdriver.rs`).

mod webdriver;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rpcview_contract::{compat, files, typescript};

/// rpcview's contract tooling: TypeScript from an OpenRPC document, compatibility checks; and
/// a WebDriver for an app.
#[derive(Parser, Debug)]
#[command(version, about)]
enum Cli {
    /// Generate TypeScript (api.d.ts, client.js, client.d.ts, mock.js, mock.d.ts) from an OpenRPC document.
    Typescript {
        /// The OpenRPC document.
        document: PathBuf,
        /// Where to write the files.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Check that DIR holds exactly these files instead of writing them (exits 1 if not).
        #[arg(long)]
        check: bool,
    },
    /// Compare two OpenRPC documents; exits 1 if the new one breaks pages built on the old one.
    Compat {
        /// The document pages were built against (e.g. schema/baseline/openrpc.json).
        old: PathBuf,
        /// The document to check (e.g. schema/openrpc.json).
        new: PathBuf,
    },
    /// Start WebKitWebDriver for an app, and print the capabilities a session needs. The
    /// driver starts the app (with --automation, and RPCVIEW_AUTOMATION=1) for each session.
    Webdriver(webdriver::Options),
}

fn main() -> ExitCode {
    let outcome = match Cli::parse() {
        Cli::Typescript {
            document,
            out,
            check,
        } => generate(&document, &out, check),
        Cli::Compat { old, new } => compare(&old, &new),
        Cli::Webdriver(options) => webdriver::run(options),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("rpcview: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn generate(document: &Path, out: &Path, check: bool) -> Result<bool, String> {
    let generated = typescript::generate(&read_json(document)?).map_err(|e| e.to_string())?;
    if check {
        let stale = files::stale(out, &generated.files);
        for name in &stale {
            println!("{}/{name} is stale", out.display());
        }
        if !stale.is_empty() {
            println!(
                "run `rpcview typescript {} --out {}` to regenerate it",
                document.display(),
                out.display()
            );
        }
        return Ok(stale.is_empty());
    }
    for path in files::write(out, &generated.files)? {
        println!("wrote {}", path.display());
    }
    Ok(true)
}

fn compare(old: &Path, new: &Path) -> Result<bool, String> {
    let changes = compat::compare(&read_json(old)?, &read_json(new)?);
    for c in &changes {
        println!("{c}");
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    if breaking > 0 {
        println!(
            "{breaking} breaking change(s) against {}; if deliberate, make it the new baseline: cp {} {}",
            old.display(),
            new.display(),
            old.display()
        );
        return Ok(false);
    }
    println!("no breaking changes ({} compatible)", changes.len());
    Ok(true)
}
