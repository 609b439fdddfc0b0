//! `rpcview webdriver`: starts WebKitGTK's WebDriver (`WebKitWebDriver`, Debian's
//! `webkit2gtk-driver`) for an rpcview app, and prints the capabilities a session needs.
//!
//! The driver starts the app itself, for each session, with the arguments the capabilities
//! name. It runs with `RPCVIEW_AUTOMATION=1` in its environment, which the apps it starts
//! inherit: that turns automation mode on in any rpcview app, whether it takes the
//! `--automation` flag or not.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// The environment variable that turns automation mode on in an rpcview app (the library's
/// `rpcview::app::AUTOMATION_ENV`; this crate builds without the library).
const AUTOMATION_ENV: &str = "RPCVIEW_AUTOMATION";

/// What `rpcview webdriver` was asked.
#[derive(clap::Args, Debug)]
pub(crate) struct Options {
    /// The app's binary (e.g. target/debug/rpcview-notes).
    binary: PathBuf,
    /// More arguments for the app, after `--` (e.g. -- --data /tmp/notes).
    #[arg(last = true)]
    args: Vec<String>,
    /// The port the driver listens on (127.0.0.1).
    #[arg(long, default_value_t = 4444)]
    port: u16,
    /// The WebDriver to run.
    #[arg(long, value_name = "PATH", default_value = "WebKitWebDriver")]
    driver: PathBuf,
    /// Do not pass `--automation` to the app (for apps that do not take it; RPCVIEW_AUTOMATION=1
    /// turns automation mode on anyway).
    #[arg(long)]
    no_flag: bool,
}

/// The capabilities of a session for `binary`: `webkitgtk:browserOptions` and nothing else.
/// No `browserName`: WebKitWebDriver matches it against the name the app reports ("wry"),
/// and any other fails with "Failed to match capabilities".
pub(crate) fn capabilities(binary: &Path, args: &[String]) -> Value {
    json!({
        "webkitgtk:browserOptions": {
            "binary": binary,
            "args": args,
        }
    })
}

/// Starts the driver and waits for it; returns whether it ended well.
pub(crate) fn run(o: Options) -> Result<bool, String> {
    let binary =
        std::path::absolute(&o.binary).map_err(|e| format!("{}: {e}", o.binary.display()))?;
    if !binary.is_file() {
        return Err(format!("{}: no such app binary", binary.display()));
    }
    let mut args = Vec::new();
    if !o.no_flag {
        args.push("--automation".to_owned());
    }
    args.extend(o.args);
    let caps = capabilities(&binary, &args);
    println!(
        "WebKitWebDriver on http://127.0.0.1:{}; the capabilities of a session (no browserName):",
        o.port
    );
    println!("{}", serde_json::to_string_pretty(&caps).expect("JSON"));
    let mut driver = Command::new(&o.driver);
    driver
        .arg(format!("--port={}", o.port))
        .env(AUTOMATION_ENV, "1");
    let failed = |e: std::io::Error| {
        format!(
            "{} did not start: {e}; install Debian's webkit2gtk-driver (`apt-get install webkit2gtk-driver`), or name it with --driver",
            o.driver.display()
        )
    };
    // The driver takes this process's place, so signals (Ctrl-C) reach it directly.
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::process::CommandExt;
        let _ = std::io::stdout().flush();
        Err(failed(driver.exec()))
    }
    #[cfg(not(unix))]
    {
        Ok(driver.status().map_err(failed)?.success())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_name_the_binary_and_its_arguments_and_no_browser() {
        let caps = capabilities(Path::new("/app"), &["--automation".into()]);
        assert_eq!(
            caps,
            json!({ "webkitgtk:browserOptions": { "binary": "/app", "args": ["--automation"] } })
        );
        assert!(caps.get("browserName").is_none());
    }

    #[test]
    fn a_missing_driver_says_what_to_install() {
        let o = Options {
            binary: std::env::current_exe().unwrap(),
            args: vec![],
            port: 4444,
            driver: "/nonexistent/WebKitWebDriver".into(),
            no_flag: false,
        };
        let e = run(o).unwrap_err();
        assert!(e.contains("webkit2gtk-driver"), "{e}");
    }
}
