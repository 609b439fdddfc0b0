//! `rpcview-bench`: what a call costs through rpcview, against the raw transport it is built
//! on (a bare tao + wry page: `window.ipc.postMessage` → Rust → `evaluate_script`), measured
//! in one run on the same machine, plus the JSON-RPC core alone against the serde floor.
//!
//! Each side runs in a child process of its own (GTK allows one event loop per process); the
//! parent prints one table of medians, p99 and ratios. Times are taken on the Rust side
//! (WebKitGTK clamps `performance.now()` to 1 ms): in a loop of sequential calls, the gap
//! between two arrivals at the host is one round trip. Nothing is asserted: a benchmark, not a
//! test. `--smoke` runs a few hundred calls, so that the test command keeps it from rotting.
//!
//! ```text
//! xvfb-run -a cargo run --release -p rpcview-bench            # the full run
//! xvfb-run -a cargo run -p rpcview-bench -- --smoke           # a quick check that it runs
//! cargo run --release -p rpcview-bench -- --core 300000      # the JSON-RPC core alone
//! ```

mod core;
mod demo;
mod page;
mod plot;
mod raw;
mod record;
mod via_rpcview;

use std::process::Command;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How much work each side does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Plan {
    /// Sequential calls whose round trips are timed.
    pub(crate) sequential: usize,
    /// Calls of each pipelined workload.
    pub(crate) pipelined: usize,
    /// Calls in flight in the windowed workload.
    pub(crate) window: usize,
    /// Sizes sent host → page, in bytes.
    pub(crate) down: Vec<usize>,
    /// Sizes sent page → host, in bytes.
    pub(crate) up: Vec<usize>,
    /// Calls of the memory workload (every other one refused).
    pub(crate) flood: usize,
    /// How long the page idles after the flood, in milliseconds.
    pub(crate) idle_ms: u64,
    /// Text sizes of the by-size echo, in bytes.
    pub(crate) echo: Vec<usize>,
    /// Round trips timed per size up to 16 KiB (fewer above: at least 15).
    pub(crate) echo_repeats: usize,
}

/// What one side measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Measured {
    /// Round trips of sequential small calls, in microseconds, sorted.
    pub(crate) round_trips_us: Vec<f64>,
    /// Calls per second with `window` in flight.
    pub(crate) windowed_per_s: f64,
    /// Calls per second with all fired at once.
    pub(crate) burst_per_s: f64,
    /// From process start to the first call answered, in milliseconds.
    pub(crate) first_call_ms: f64,
    /// Median time of a host → page transfer, by size: `(bytes, ms)`.
    pub(crate) down_ms: Vec<(usize, f64)>,
    /// Median time of a page → host transfer, by size: `(bytes, ms)`.
    pub(crate) up_ms: Vec<(usize, f64)>,
    /// The same for binary data (a `Uint8Array` in the page), host → page.
    pub(crate) down_bytes_ms: Vec<(usize, f64)>,
    /// The same for binary data, page → host.
    pub(crate) up_bytes_ms: Vec<(usize, f64)>,
    /// Resident memory of the host process at marks: `(mark, MiB)`.
    pub(crate) rss_mib: Vec<(String, f64)>,
    /// Round trips of an echo by text size, in microseconds: `(bytes, p50, p99)`.
    pub(crate) echo_us: Vec<(usize, f64, f64)>,
    /// Medians of the stages of a sequential call, in microseconds, in order.
    pub(crate) stages_us: Vec<(String, f64)>,
    /// The largest download's size and the medians of its stages, in milliseconds.
    pub(crate) down_stages_ms: (usize, Vec<(String, f64)>),
    /// The same for the largest upload.
    pub(crate) up_stages_ms: (usize, Vec<(String, f64)>),
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--smoke");
    let plan = if smoke {
        Plan {
            sequential: 200,
            pipelined: 1_000,
            window: 64,
            down: vec![64 << 10],
            up: vec![64 << 10],
            flood: 2_000,
            idle_ms: 200,
            echo: vec![64, 16 << 10],
            echo_repeats: 5,
        }
    } else {
        Plan {
            sequential: 3_000,
            pipelined: 10_000,
            window: 256,
            down: vec![1 << 20, 10 << 20, 50 << 20],
            up: vec![1 << 20, 10 << 20],
            flood: 100_000,
            idle_ms: 10_000,
            echo: vec![64, 1 << 10, 16 << 10, 256 << 10, 1 << 20, 4 << 20],
            echo_repeats: 300,
        }
    };
    if let Some(i) = args.iter().position(|a| a == "--side") {
        let side = args.get(i + 1).map(String::as_str).unwrap_or_default();
        let measured = match side {
            "raw" => raw::run(&plan),
            "rpcview" => via_rpcview::run(&plan),
            other => Err(format!("no side '{other}'")),
        };
        match measured {
            Ok(m) => println!("{}", serde_json::to_string(&m).expect("serializes")),
            Err(e) => {
                eprintln!("rpcview-bench ({side}): {e}");
                std::process::exit(1);
            }
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--core") {
        // The JSON-RPC core alone (no webview, no display): `--core [CALLS]`, for profilers.
        let calls = args
            .get(i + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(300_000);
        let core = core::measure(calls);
        println!(
            "core: {:.2} µs per small call through Endpoint::handle; serde floor {:.2} µs ({calls} calls)",
            core.endpoint_us, core.serde_floor_us
        );
        return;
    }
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!("rpcview-bench: no display; run under `xvfb-run -a`");
        std::process::exit(2);
    }
    println!(
        "rpcview-bench{}: {} sequential calls, {} pipelined ({} in flight, then all at once), {} in the memory flood then {} ms idle; {} build",
        if smoke { " --smoke" } else { "" },
        plan.sequential,
        plan.pipelined,
        plan.window,
        plan.flood,
        plan.idle_ms,
        if cfg!(debug_assertions) { "debug" } else { "release" }
    );
    let raw = side("raw", smoke);
    let ours = side("rpcview", smoke);
    let (raw, ours) = match (raw, ours) {
        (Ok(r), Ok(o)) => (r, o),
        (r, o) => {
            eprintln!(
                "rpcview-bench: a side failed: raw {:?}, rpcview {:?}",
                r.err(),
                o.err()
            );
            std::process::exit(1);
        }
    };
    let core = core::measure(if smoke { 20_000 } else { 300_000 });
    let demo = demo::measure(Duration::from_millis(plan.idle_ms));
    print_table(&raw, &ours, &core);
    print_stages(&raw, &ours);
    match &demo {
        Ok(d) => println!(
            "demo (rpcview-notes): first answered call {:.0} ms after start; idle {:.1} s later: host RSS {:.1} MiB, with its WebKit processes {:.1} MiB (PSS)",
            d.first_call_ms,
            plan.idle_ms as f64 / 1000.0,
            d.host_rss_mib,
            d.tree_pss_mib
        ),
        Err(e) => println!("demo (rpcview-notes): not measured: {e}"),
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench");
    match plot::write(&raw, &ours, &dir) {
        Ok(png) => println!("plot: {}", png.display()),
        Err(e) => {
            eprintln!("rpcview-bench: the plot failed: {e}");
            std::process::exit(1);
        }
    }
}

/// Runs one side in a child process and reads what it measured.
fn side(name: &str, smoke: bool) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(exe);
    cmd.args(["--side", name]);
    if smoke {
        cmd.arg("--smoke");
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{name} exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    serde_json::from_str(line).map_err(|e| format!("{name}: {e}: {text}"))
}

/// The value at quantile `q` of `sorted`.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// `1 MiB`, `64 KiB`, `64 B`.
pub(crate) fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// Where one sequential round trip goes, stage by stage (medians; they need not add up to
/// the median round trip exactly).
fn print_stages(raw: &Measured, ours: &Measured) {
    for (name, m) in [("raw wry", raw), ("rpcview", ours)] {
        let total: f64 = m.stages_us.iter().map(|(_, us)| us).sum();
        println!(
            "where a sequential round trip goes, {name} (medians, sum {total:.0} µs; round trip p50 {:.0} µs):",
            quantile(&m.round_trips_us, 0.5)
        );
        for (stage, us) in &m.stages_us {
            println!("  {stage:<34} {us:>8.1} µs  {:>5.1}%", us / total * 100.0);
        }
    }
    for (name, m) in [("raw wry", raw), ("rpcview", ours)] {
        for (what, (bytes, stages)) in [
            ("host → page", &m.down_stages_ms),
            ("page → host", &m.up_stages_ms),
        ] {
            if stages.is_empty() {
                continue;
            }
            println!(
                "where a {what} transfer of {} goes, {name} (medians of its repeats):",
                size(*bytes)
            );
            for (stage, ms) in stages {
                println!("  {stage:<42} {ms:>9.2} ms");
            }
        }
    }
    println!();
}

fn print_table(raw: &Measured, ours: &Measured, core: &core::Core) {
    let row = |what: &str, r: f64, o: f64, unit: &str| {
        println!(
            "| {what:<34} | {r:>12.1} | {o:>12.1} | {:>6.2} | {unit}",
            o / r
        );
    };
    println!();
    println!(
        "| {:<34} | {:>12} | {:>12} | {:>6} |",
        "workload", "raw wry", "rpcview", "ratio"
    );
    println!("|{:-<36}|{:->14}|{:->14}|{:->8}|", "", "", "", "");
    for (q, name) in [
        (0.5, "one call at a time, p50"),
        (0.99, "one call at a time, p99"),
    ] {
        row(
            name,
            quantile(&raw.round_trips_us, q),
            quantile(&ours.round_trips_us, q),
            "µs (lower is better)",
        );
    }
    row(
        "calls/s, window in flight",
        raw.windowed_per_s,
        ours.windowed_per_s,
        "calls/s (higher is better)",
    );
    row(
        "calls/s, all at once",
        raw.burst_per_s,
        ours.burst_per_s,
        "calls/s (higher is better)",
    );
    row(
        "start to first answered call",
        raw.first_call_ms,
        ours.first_call_ms,
        "ms",
    );
    for (what, r, o) in [
        ("host → page", &raw.down_ms, &ours.down_ms),
        ("page → host", &raw.up_ms, &ours.up_ms),
        ("host → page bytes", &raw.down_bytes_ms, &ours.down_bytes_ms),
        ("page → host bytes", &raw.up_bytes_ms, &ours.up_bytes_ms),
    ] {
        for ((bytes, r), (_, o)) in r.iter().zip(o.iter()) {
            row(
                &format!("{what} {}", size(*bytes)),
                *r,
                *o,
                "ms, median of 3 (lower is better)",
            );
        }
    }
    let rss = |m: &Measured, mark: &str| {
        m.rss_mib
            .iter()
            .find(|(n, _)| n == mark)
            .map(|(_, v)| *v)
            .unwrap_or(f64::NAN)
    };
    for ((bytes, r50, r99), (_, o50, o99)) in raw.echo_us.iter().zip(ours.echo_us.iter()) {
        row(
            &format!("echo round trip {}, p50", size(*bytes)),
            *r50,
            *o50,
            "µs (lower is better)",
        );
        row(
            &format!("echo round trip {}, p99", size(*bytes)),
            *r99,
            *o99,
            "µs",
        );
    }
    for (mark, what) in [
        ("sequential", "RSS after start-up"),
        ("flooded", "RSS after the flood of calls"),
        ("idled", "RSS after the flood and idling"),
        ("done", "RSS after the large transfers"),
    ] {
        row(what, rss(raw, mark), rss(ours, mark), "MiB (host process)");
    }
    let (start, idled) = (rss(ours, "sequential"), rss(ours, "idled"));
    println!(
        "| {:<34} | {:>12} | {:>12.1} | {:>6.2} | rpcview's host RSS after the flood and idling ÷ at start-up (target ≤ 1.10)",
        "memory comes back",
        "",
        idled,
        idled / start
    );
    row(
        "core: per small call (serde floor)",
        core.serde_floor_us,
        core.endpoint_us,
        "µs: parse + serialize / Endpoint::handle",
    );
    println!();
    std::thread::sleep(Duration::from_millis(10));
}
