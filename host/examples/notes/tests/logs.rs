//! The demo's logs, as a person running it sees them: quiet by default, one line per call
//! with `--log-calls` (params only with `--log-params`), and the page's `console` at the level
//! `--page-log` asks for. The demo runs its tour (it calls every pattern, one call fails
//! validation on purpose). Needs a display (`xvfb-run -a cargo test`).

use std::process::Command;

/// Runs the tour with `flags`; returns what it wrote to stderr (its log).
fn tour_log(flags: &[&str]) -> String {
    let data = tempfile::tempdir().unwrap();
    let shot = data.path().join("tour.png");
    let out = Command::new(env!("CARGO_BIN_EXE_rpcview-notes"))
        .args(["--tour", "--data"])
        .arg(data.path().join("notes"))
        .arg("--screenshot")
        .arg(&shot)
        .args(flags)
        .env_remove("RUST_LOG")
        .output()
        .expect("the demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the tour failed:\n{stdout}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn quiet_by_default() {
    let log = tour_log(&[]);
    assert!(!log.contains("INFO"), "no info lines by default:\n{log}");
    assert!(!log.contains("rpcview::calls"), "{log}");
}

#[test]
fn log_calls_prints_one_line_per_call_without_params() {
    let log = tour_log(&["--log-calls", "--page-log", "info"]);
    let calls: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("rpcview::calls"))
        .collect();
    assert!(
        calls
            .iter()
            .any(|l| l.contains("[main] notes.save") && l.ends_with(" ok")),
        "{log}"
    );
    // The tour's empty title: refused by the schema, with its code.
    assert!(
        calls
            .iter()
            .any(|l| l.contains("[main] notes.save") && l.contains("error -32602")),
        "{log}"
    );
    assert!(
        calls
            .iter()
            .any(|l| l.contains("app.log") && l.contains("ok (notification)")),
        "{log}"
    );
    assert!(
        !log.contains("params="),
        "params only with --log-params:\n{log}"
    );
    // The page's console.info, at the level asked for.
    assert!(
        log.contains("page: tour: driving the demo through every pattern"),
        "{log}"
    );
}

#[test]
fn log_params_adds_the_params() {
    let log = tour_log(&["--log-calls", "--log-params"]);
    assert!(
        log.lines()
            .any(|l| l.contains("[main] notes.save") && l.contains(r#"params={"#)),
        "{log}"
    );
    // --page-log left at warn: console.info stays out.
    assert!(!log.contains("page: tour: driving"), "{log}");
}
