//! End-to-end tests in a real WebKitGTK webview.
//!
//! GTK wants one main thread per process, so each scenario runs in its own process: this
//! binary, run with no arguments, starts itself once per scenario (`--scenario NAME`) and
//! reports like a test runner. A scenario opens real windows on pages from
//! `tests/e2e/pages/`; the page checks what it can see and reports each check through the
//! bridge (`test.report`), and the scenario's driver checks what only the host can see
//! (handler runs, calls in flight, refused messages, dropped replies).
//!
//! Needs a display: under CI, run under `xvfb-run -a` (the README's test command does).

mod harness;
mod scenarios;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--scenario") {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "rpcview=warn".into()),
            )
            .with_writer(std::io::stderr)
            .init();
        let name = args.get(i + 1).expect("--scenario NAME");
        let scenario = scenarios::ALL
            .iter()
            .find(|s| s.0 == name)
            .unwrap_or_else(|| panic!("no scenario '{name}'"));
        match (scenario.1)() {
            Ok(()) => std::process::exit(0),
            Err(e) => {
                eprintln!("scenario failed: {e}");
                std::process::exit(1);
            }
        }
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "e2e: no display; run under `xvfb-run -a cargo test` (the README's test command does)"
        );
        println!("0 passed, 1 failed");
        std::process::exit(1);
    }
    // `cargo test NAME` passes NAME through: run the scenarios whose name contains it.
    let filter: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let selected: Vec<_> = scenarios::ALL
        .iter()
        .filter(|s| filter.is_empty() || filter.iter().any(|f| s.0.contains(f.as_str())))
        .collect();
    println!(
        "\nrunning {} end-to-end scenarios in a real WebKitGTK webview",
        selected.len()
    );
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let (mut passed, mut failed) = (0, 0);
    let started = Instant::now();
    for (name, _) in selected {
        let t = Instant::now();
        let mut child = Command::new(&exe)
            .args(["--scenario", name])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the scenario process starts");
        let deadline = Instant::now() + Duration::from_secs(180);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait on the scenario") {
                break Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = child.wait_with_output().expect("the scenario's output");
        let ok = status.is_some_and(|s| s.success());
        println!(
            "test e2e::{name} ... {} ({:.1}s)",
            if ok { "ok" } else { "FAILED" },
            t.elapsed().as_secs_f64()
        );
        if ok {
            passed += 1;
        } else {
            failed += 1;
            if status.is_none() {
                println!("  timed out after 90 s");
            }
            for line in String::from_utf8_lossy(&out.stdout)
                .lines()
                .chain(String::from_utf8_lossy(&out.stderr).lines())
            {
                println!("  | {line}");
            }
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out; finished in {:.2}s\n",
        if failed == 0 { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
