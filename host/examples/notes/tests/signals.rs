//! A real signal on the real demo: SIGTERM and SIGINT close it as closing its last window
//! does, with exit code 143 and 130. Needs a display (`xvfb-run -a cargo test`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn signal_ends_the_demo(signal: &str, code: i32) {
    let data = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_rpcview-notes"))
        .arg("--data")
        .arg(data.path())
        .env("RUST_LOG", "rpcview=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the demo starts");
    // Its log, line by line, read on a thread so that the test can time out.
    let (tx, rx) = mpsc::channel();
    let stderr = demo.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let wait_for = |what: &str| -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
            let found = line.contains(what);
            seen.push(line);
            if found {
                return seen;
            }
        }
        panic!(
            "the demo never logged '{what}'; it logged:\n{}",
            seen.join("\n")
        );
    };
    wait_for("running; SIGINT or SIGTERM closes the app");
    let sent = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(demo.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    wait_for(&format!("received SIG{signal}: closing the app"));
    let status = wait_with_timeout(&mut demo, Duration::from_secs(60));
    assert_eq!(status.code(), Some(code), "exit status {status:?}");
}

fn wait_with_timeout(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the demo did not exit within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_closes_the_demo_with_143() {
    signal_ends_the_demo("TERM", 143);
}

#[test]
fn sigint_closes_the_demo_with_130() {
    signal_ends_the_demo("INT", 130);
}
