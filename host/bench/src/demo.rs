//! The notes demo's footprint: `rpcview-notes` (built beside this binary) started with a
//! fresh notes folder; once its page's first call is answered (seen in its `--log-calls`
//! output), it idles, then the memory of its host process and of the WebKit processes it
//! started is read from `/proc`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// What the demo measured.
#[derive(Debug)]
pub(crate) struct Demo {
    /// From spawning the process to its page's first answered call.
    pub(crate) first_call_ms: f64,
    /// Resident memory of the host process after idling.
    pub(crate) host_rss_mib: f64,
    /// Proportional set size of the host and every process it started (WebKit's web and
    /// network processes): shared pages counted once across them.
    pub(crate) tree_pss_mib: f64,
}

/// Runs the demo, waits for its first answered call, idles for `idle`, measures, and stops it.
pub(crate) fn measure(idle: Duration) -> Result<Demo, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name("rpcview-notes");
    if !bin.exists() {
        return Err(format!(
            "{} is missing: build it first (cargo build -p rpcview-notes, with --release for a release bench)",
            bin.display()
        ));
    }
    let data = std::env::temp_dir().join(format!("rpcview-bench-notes-{}", std::process::id()));
    let started = Instant::now();
    let mut child = Command::new(&bin)
        .arg("--data")
        .arg(&data)
        .arg("--log-calls")
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("rpcview::calls") && line.contains(" ok") {
                let _ = tx.send(Instant::now());
            }
        }
    });
    let result = rx
        .recv_timeout(Duration::from_secs(120))
        .map_err(|_| "no answered call within 120 s".to_string())
        .map(|first| {
            std::thread::sleep(idle);
            let pid = child.id();
            let mut tree = vec![pid];
            descendants(pid, &mut tree);
            Demo {
                first_call_ms: (first - started).as_secs_f64() * 1e3,
                host_rss_mib: status_kib(pid, "VmRSS:") / 1024.0,
                tree_pss_mib: tree.iter().map(|p| pss_kib(*p)).sum::<f64>() / 1024.0,
            }
        });
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    result
}

/// Adds every process whose parent chain leads to `pid`.
fn descendants(pid: u32, out: &mut Vec<u32>) {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return;
    };
    let children: Vec<u32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| parent_of(*p) == Some(pid))
        .collect();
    for c in children {
        out.push(c);
        descendants(c, out);
    }
}

/// The parent of `pid`, from `/proc/PID/stat` (the field after the command's closing paren).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A `kB` field of `/proc/PID/status`.
fn status_kib(pid: u32, field: &str) -> f64 {
    kib_field(&format!("/proc/{pid}/status"), field)
}

/// The proportional set size of `pid`, from `/proc/PID/smaps_rollup`.
fn pss_kib(pid: u32) -> f64 {
    kib_field(&format!("/proc/{pid}/smaps_rollup"), "Pss:")
}

fn kib_field(path: &str, field: &str) -> f64 {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}
