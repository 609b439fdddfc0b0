//! The scenarios, one real app each. Names are what `cargo test --test e2e NAME` filters on.

use std::sync::atomic::Ordering;

use rpcview::Allow;

use crate::harness::{
    await_phase, await_phases, ensure, run, run_with, wait_until, window, window_allowing,
};

type Scenario = (&'static str, fn() -> Result<(), String>);

pub(crate) const ALL: &[Scenario] = &[
    ("invoke_reaches_handlers_and_errors_reach_the_page", invoke),
    ("push_reaches_listeners_and_off_removes_them", push),
    ("window_api_is_frozen_and_survives_tampering", tamper),
    ("a_foreign_origin_page_is_refused", foreign_origin),
    ("iframes_are_refused_by_every_route", frames),
    (
        "a_fast_call_overtakes_100_slow_ones_while_timers_fire",
        slow,
    ),
    ("reload_cancels_the_old_page_calls_and_streams", reload),
    ("closing_a_window_cancels_its_calls_and_streams", close),
    (
        "page_failures_and_csp_violations_reach_the_host",
        page_failures,
    ),
    (
        "a_crashed_web_process_cancels_its_calls_and_reloads",
        crashed,
    ),
    ("an_unresponsive_page_is_noticed_and_reloaded", unresponsive),
    (
        "abort_and_timeout_cancel_the_handler_on_the_host",
        cancelled,
    ),
    (
        "streams_deliver_100k_items_in_order_and_unsubscribe_ends_the_task",
        streamed,
    ),
    ("a_stalled_page_keeps_the_host_memory_bounded", stalled),
    (
        "windows_open_at_run_time_know_their_callers_and_relay",
        windows,
    ),
    ("document_open_cannot_take_over_the_bridge", takeover),
    (
        "hostile_pages_get_errors_and_the_host_keeps_serving",
        hostile,
    ),
    (
        "capabilities_grant_each_origin_exactly_its_api",
        capabilities,
    ),
];

fn capabilities() -> Result<(), String> {
    use rpcview::Capability;
    let port = crate::harness::serve_pages_over_http().map_err(|e| e.to_string())?;
    let remote = format!("http://127.0.0.1:{port}");
    let caps = [
        Capability::new("app-pages").windows(["main"]).allow([
            "test.add",
            "test.whoami",
            "test.report",
            "test.done",
        ]),
        Capability::new("remote-pages")
            .windows(["main"])
            .origins([remote.clone()])
            .allow(["test.whoami", "test.report", "test.done"]),
    ];
    let w = rpcview::Window::new("main")
        .url(&format!("app://localhost/capability.html?remote={remote}"));
    run_with(
        vec![w],
        move |app| caps.into_iter().fold(app, rpcview::App::capability),
        |h, probe, rx| {
            await_phase(probe, rx, "app", 30)?;
            await_phase(probe, rx, "remote", 30)?;
            all_quiet(h)
        },
    )
}

fn takeover() -> Result<(), String> {
    run(vec![window("main", "takeover.html")], |_, probe, rx| {
        await_phase(probe, rx, "done", 60)?;
        let victims = probe.victim_runs.load(Ordering::SeqCst);
        ensure(victims == 0, || {
            format!("a page-held port reached test.victim {victims} times")
        })
    })
}

fn hostile() -> Result<(), String> {
    // No navigation allowed beyond the app's origin here.
    let w = rpcview::Window::new("main").url("app://localhost/hostile.html");
    run(vec![w], |h, probe, rx| {
        await_phase(probe, rx, "flood", 180)?;
        let (refused, before) = (h.stats().refused(), rss_mib());
        let mut peak = before;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            peak = peak.max(rss_mib());
            match rx.recv_timeout(std::time::Duration::from_millis(10)) {
                Ok(d) if d.phase == "flooded" => {
                    wait_until(|| probe_reports(probe) >= d.checks, 5);
                    break;
                }
                _ if std::time::Instant::now() > deadline => {
                    return Err("the page did not finish phase 'flooded'".into())
                }
                _ => {}
            }
        }
        println!("a refused frame's 90 MB and 200 MB messages: host RSS {before:.0} MiB before, {peak:.0} MiB at most while it was sent");
        ensure(h.stats().refused() >= refused + 2, || {
            "the frame's two messages were not both refused".into()
        })?;
        ensure(peak - before < 100.0, || {
            format!(
                "the host's RSS grew by {:.0} MiB for a message it refuses",
                peak - before
            )
        })?;
        ensure(probe.victim_runs.load(Ordering::SeqCst) == 0, || {
            "a forged message ran test.victim".into()
        })?;
        all_quiet(h)
    })
}

fn probe_reports(probe: &crate::harness::Probe) -> usize {
    probe.report_count()
}

/// Live subscriptions, calls in flight and the page's tasks all back to 0.
fn all_quiet(h: &rpcview::AppHandle) -> Result<(), String> {
    ensure(
        wait_until(
            || h.stats().in_flight() == 0 && h.stats().subscriptions() == 0,
            10,
        ),
        || {
            format!(
                "{} calls in flight and {} subscriptions still live",
                h.stats().in_flight(),
                h.stats().subscriptions()
            )
        },
    )
}

fn streamed() -> Result<(), String> {
    run(vec![window("main", "stream.html")], |h, probe, rx| {
        await_phase(probe, rx, "unsubscribed", 120)?;
        ensure(
            wait_until(|| probe.forever_ended.load(Ordering::SeqCst) == 1, 10),
            || "the unsubscribed stream's task is still running on the host".into(),
        )?;
        await_phase(probe, rx, "aborted", 60)?;
        ensure(
            wait_until(|| probe.forever_ended.load(Ordering::SeqCst) == 2, 10),
            || "the aborted stream's task is still running on the host".into(),
        )?;
        all_quiet(h)
    })
}

/// Resident memory of this process, in MiB.
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn stalled() -> Result<(), String> {
    run(vec![window("main", "stall.html")], |h, probe, rx| {
        let before = rss_mib();
        let window = rpcview::Limits::default().subscription_window as u64;
        // The page stalls for 6 s on its first item: while it does, the host may have sent at
        // most one window of items, however fast the handler could produce them.
        ensure(
            wait_until(|| probe.flood_sent.load(Ordering::SeqCst) > 0, 30),
            || "the flood never started".into(),
        )?;
        let (mut most, mut peak) = (0, before);
        let sampled = std::time::Instant::now();
        while sampled.elapsed() < std::time::Duration::from_secs(2) {
            most = most.max(probe.flood_sent.load(Ordering::SeqCst));
            peak = peak.max(rss_mib());
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        println!("during the stall: {most} items sent (window {window}); RSS {before:.0} MiB before, {peak:.0} MiB at most");
        ensure(most <= window, || {
            format!("the host sent {most} items to a stalled page; the window is {window}")
        })?;
        await_phase(probe, rx, "done", 120)?;
        println!(
            "after the stream: RSS {:.0} MiB; {} items sent",
            rss_mib(),
            probe.flood_sent.load(Ordering::SeqCst)
        );
        ensure(probe.flood_finished.load(Ordering::SeqCst) == 1, || {
            "the flood's handler did not finish".into()
        })?;
        all_quiet(h)
    })
}

fn windows() -> Result<(), String> {
    use rpcview::{EmitError, Target};
    let no_relay = Allow::only([
        "test.whoami",
        "test.report",
        "test.done",
        "test.emit",
        "test.ping",
        "test.note",
    ]);
    let mute = Allow::only(["test.whoami", "test.report", "test.done", "test.ping"]);
    run(
        vec![window("main", "windows.html?role=main")],
        move |h, probe, rx| {
            await_phase(probe, rx, "ready", 90)?;
            let labels = |h: &rpcview::AppHandle| {
                h.windows().into_iter().map(|w| w.label).collect::<Vec<_>>()
            };
            ensure(labels(h) == ["main"], || {
                format!("windows: {:?}", labels(h))
            })?;
            h.open(window_allowing(
                "second",
                "windows.html?role=second",
                no_relay,
            ))
            .map_err(|e| e.to_string())?;
            h.open(window_allowing(
                "mute",
                "windows.html?role=mute",
                mute.clone(),
            ))
            .map_err(|e| e.to_string())?;
            let again = h.open(window_allowing("mute", "windows.html?role=mute", mute));
            ensure(again.is_err(), || {
                "a second window labelled 'mute' was opened".into()
            })?;
            ensure(labels(h) == ["main", "mute", "second"], || {
                format!("windows: {:?}", labels(h))
            })?;
            let second = h
                .windows()
                .into_iter()
                .find(|w| w.label == "second")
                .unwrap();
            ensure(second.origin == "app://localhost", || second.origin.clone())?;
            // Both new pages listen before anything is relayed or pushed to them.
            await_phases(probe, rx, &["mute-ready", "second-ready"], 90)?;
            let ghost = h
                .emitter()
                .emit(Target::Window("ghost".into()), "test.ping", &1);
            ensure(matches!(ghost, Err(EmitError::NoSuchWindow(_))), || {
                format!("emit to a missing window: {ghost:?}")
            })?;
            h.eval("main", "window.relay()");
            await_phases(probe, rx, &["relayed", "received"], 60)?;
            h.close("second");
            h.close("mute");
            ensure(wait_until(|| labels(h) == ["main"], 30), || {
                format!("after closing: {:?}", labels(h))
            })?;
            all_quiet(h)
        },
    )
}

fn invoke() -> Result<(), String> {
    run(vec![window("main", "invoke.html")], |h, probe, rx| {
        await_phase(probe, rx, "done", 60)?;
        ensure(wait_until(|| h.stats().in_flight() == 0, 30), || {
            format!("{} calls still in flight", h.stats().in_flight())
        })
    })
}

fn push() -> Result<(), String> {
    // Everything but the `test.secret` event.
    let allow = Allow::only([
        "test.add",
        "test.emit",
        "test.report",
        "test.done",
        "test.ping",
    ]);
    run(
        vec![window_allowing("main", "push.html", allow)],
        |h, probe, rx| {
            await_phase(probe, rx, "listening", 30)?;
            // A push from outside any handler, to every window.
            h.emitter()
                .emit(
                    rpcview::Target::All,
                    "test.ping",
                    &serde_json::json!({"from": "host thread"}),
                )
                .map_err(|e| e.to_string())?;
            // And one the window may not receive: the page checks it never arrives.
            h.emitter()
                .emit(
                    rpcview::Target::All,
                    "test.secret",
                    &serde_json::json!("classified"),
                )
                .map_err(|e| e.to_string())?;
            await_phase(probe, rx, "done", 30)?;
            Ok(())
        },
    )
}

fn tamper() -> Result<(), String> {
    run(vec![window("main", "tamper.html")], |_, probe, rx| {
        await_phase(probe, rx, "done", 30)?;
        let victims = probe.victim_runs.load(Ordering::SeqCst);
        ensure(victims == 0, || {
            format!("a tampered page reached test.victim {victims} times")
        })
    })
}

fn foreign_origin() -> Result<(), String> {
    run(vec![window("main", "goto-foreign.html")], |h, probe, rx| {
        // foreign.html (other://localhost) sends three raw messages, which reach the host
        // stamped with their origin, then goes back to raw.html (the app's origin), whose page
        // script cannot reach the bridge without the preload at all.
        await_phase(probe, rx, "done", 30)?;
        let refused = h.stats().refused();
        let victims = probe.victim_runs.load(Ordering::SeqCst);
        ensure(refused >= 3, || {
            format!("expected the foreign page's 3 messages refused, the host refused {refused}")
        })?;
        ensure(victims == 0, || format!("test.victim ran {victims} times"))
    })
}

fn frames() -> Result<(), String> {
    run(vec![window("main", "frames.html")], |h, probe, rx| {
        await_phase(probe, rx, "done", 30)?;
        let refused = h.stats().refused();
        let victims = probe.victim_runs.load(Ordering::SeqCst);
        ensure(refused >= 4, || {
            format!("expected 4 frames' messages refused, the host refused {refused}")
        })?;
        ensure(victims == 0, || format!("test.victim ran {victims} times"))
    })
}

fn slow() -> Result<(), String> {
    run(vec![window("main", "slow.html")], |h, probe, rx| {
        await_phase(probe, rx, "done", 60)?;
        ensure(probe.slow_completed.load(Ordering::SeqCst) == 100, || {
            "not every slow call completed".into()
        })?;
        ensure(wait_until(|| h.stats().in_flight() == 0, 5), || {
            format!("{} calls still in flight", h.stats().in_flight())
        })
    })
}

fn reload() -> Result<(), String> {
    run(vec![window("main", "reload.html")], |h, probe, rx| {
        await_phase(probe, rx, "sent", 30)?;
        // 5 slow calls and 1 that runs to completion in flight, 1 endless stream live.
        ensure(
            wait_until(
                || h.stats().in_flight() == 6 && h.stats().subscriptions() == 1,
                10,
            ),
            || {
                format!(
                    "before the reload: {} in flight, {} streams",
                    h.stats().in_flight(),
                    h.stats().subscriptions()
                )
            },
        )?;
        h.reload("main");
        await_phase(probe, rx, "after", 30)?;
        ensure(
            wait_until(|| probe.slow_dropped.lock().unwrap().len() == 5, 10),
            || {
                format!(
                    "{} of the old page's 5 calls were cancelled by the reload",
                    probe.slow_dropped.lock().unwrap().len()
                )
            },
        )?;
        ensure(
            wait_until(|| probe.forever_ended.load(Ordering::SeqCst) == 1, 10),
            || "the old page's stream still runs".into(),
        )?;
        ensure(
            wait_until(|| probe.durable_completed.load(Ordering::SeqCst) == 1, 10),
            || "the call that runs to completion did not".into(),
        )?;
        ensure(probe.slow_completed.load(Ordering::SeqCst) == 1, || {
            format!(
                "{} slow calls completed; only the new page's should",
                probe.slow_completed.load(Ordering::SeqCst)
            )
        })?;
        all_quiet(h)?;
        let dropped = h.stats().replies_dropped();
        ensure(dropped >= 6, || {
            format!("expected the 6 stale replies dropped by the host, it dropped {dropped}")
        })
    })
}

fn close() -> Result<(), String> {
    run(
        vec![
            window("main", "close.html?role=main"),
            window("doomed", "close.html?role=doomed"),
        ],
        |h, probe, rx| {
            let sent = await_phase(probe, rx, "sent", 30)?;
            ensure(sent.window == "doomed", || {
                format!("'sent' came from '{}'", sent.window)
            })?;
            ensure(
                wait_until(
                    || h.stats().in_flight() == 5 && h.stats().subscriptions() == 1,
                    10,
                ),
                || {
                    format!(
                        "before the close: {} in flight, {} streams",
                        h.stats().in_flight(),
                        h.stats().subscriptions()
                    )
                },
            )?;
            h.close("doomed");
            ensure(
                wait_until(|| probe.slow_dropped.lock().unwrap().len() == 5, 10),
                || {
                    format!(
                        "{} of the closed window's 5 calls were cancelled",
                        probe.slow_dropped.lock().unwrap().len()
                    )
                },
            )?;
            ensure(
                wait_until(|| probe.forever_ended.load(Ordering::SeqCst) == 1, 10),
                || "the closed window's stream still runs".into(),
            )?;
            ensure(probe.slow_completed.load(Ordering::SeqCst) == 0, || {
                "a cancelled call ran to its end".into()
            })?;
            all_quiet(h)?;
            // The main page may still be loading its module on a busy machine: call
            // afterClose once it exists.
            h.eval(
                "main",
                "(function go() { if (window.afterClose) window.afterClose(); else setTimeout(go, 20); })()",
            );
            await_phase(probe, rx, "after", 60)?;
            Ok(())
        },
    )
}

/// Under the default Content-Security-Policy an inline script is blocked; that, console errors
/// and warnings, an uncaught error and an unhandled rejection all reach the host (its log and
/// `App::on_page_log`), with the window's label.
fn page_failures() -> Result<(), String> {
    use std::sync::{Arc, Mutex};
    let logs: Arc<Mutex<Vec<rpcview::PageLog>>> = Arc::default();
    let seen = logs.clone();
    let probe = Arc::new(crate::harness::Probe::default());
    let verdict = Arc::new(Mutex::new(None));
    let v = verdict.clone();
    let expected: [(&str, rpcview::PageLogLevel); 5] = [
        (
            "Content-Security-Policy blocked an inline script",
            rpcview::PageLogLevel::Error,
        ),
        (
            "deliberate console error {\"code\":7}",
            rpcview::PageLogLevel::Error,
        ),
        ("deliberate warning", rpcview::PageLogLevel::Warn),
        (
            "uncaught Error: deliberate uncaught error",
            rpcview::PageLogLevel::Error,
        ),
        (
            "unhandled rejection: Error: deliberate rejection",
            rpcview::PageLogLevel::Error,
        ),
    ];
    let code = rpcview::App::new(crate::harness::test_api(probe))
        .assets(rpcview::Assets::dir(crate::harness::pages()))
        .on_page_log(move |log| seen.lock().unwrap().push(log.clone()))
        .window(window("main", "csp.html"))
        .setup(move |h| {
            let found = |text: &str, level| {
                logs.lock()
                    .unwrap()
                    .iter()
                    .any(|l| l.window == "main" && l.level == level && l.message.contains(text))
            };
            let all = || expected.iter().all(|(t, l)| found(t, *l));
            let outcome = if wait_until(all, 30) {
                let quiet = logs
                    .lock()
                    .unwrap()
                    .iter()
                    .any(|l| l.message.contains("quiet"));
                ensure(!quiet, || "console.log was forwarded".into())
            } else {
                Err(format!("the host heard: {:#?}", logs.lock().unwrap()))
            };
            *v.lock().unwrap() = Some(outcome);
            h.exit(0);
        })
        .run()
        .map_err(|e| e.to_string())?;
    ensure(code == 0, || format!("the app exited with {code}"))?;
    let outcome = verdict.lock().unwrap().take();
    outcome.unwrap_or(Err("the driver did not finish".into()))
}

/// Faults the app's `on_fault` hook saw.
type Faults = std::sync::Arc<std::sync::Mutex<Vec<rpcview::Fault>>>;

fn watching(faults: &Faults) -> impl FnOnce(rpcview::App) -> rpcview::App {
    let seen = faults.clone();
    move |app| app.on_fault(move |f| seen.lock().unwrap().push(f.clone()))
}

/// The pids of this process's WebKit web processes.
fn web_processes() -> Vec<u32> {
    let me = std::process::id().to_string();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let Some((head, tail)) = stat.rsplit_once(") ") else {
            continue;
        };
        let comm = head.split_once(" (").map(|(_, c)| c).unwrap_or_default();
        let ppid = tail.split_whitespace().nth(1).unwrap_or_default();
        if comm.starts_with("WebKitWebProces") && ppid == me {
            if let Ok(pid) = entry.file_name().to_string_lossy().parse() {
                pids.push(pid);
            }
        }
    }
    pids
}

/// The web process is killed as the OOM killer would (SIGKILL) while a call runs: the host
/// reports it, cancels the call (in flight back to 0), drops its reply, and reloads the page.
fn crashed() -> Result<(), String> {
    let faults: Faults = Default::default();
    let f = faults.clone();
    run_with(
        vec![window("main", "crash.html")],
        watching(&faults),
        move |h, probe, rx| {
            await_phase(probe, rx, "slow-started", 60)?;
            ensure(wait_until(|| h.stats().in_flight() >= 1, 30), || {
                "the slow call never started".into()
            })?;
            let pids = web_processes();
            ensure(pids.len() == 1, || format!("web processes: {pids:?}"))?;
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &pids[0].to_string()])
                .status()
                .map_err(|e| e.to_string())?;
            ensure(killed.success(), || "kill failed".into())?;
            let gone = || {
                f.lock().unwrap().iter().any(|f| {
                matches!(f, rpcview::Fault::WebProcessGone {
                    window, reason: rpcview::GoneReason::Crashed, cancelled, recovery: rpcview::Recovery::Reloaded, ..
                } if window == "main" && *cancelled >= 1)
            })
            };
            ensure(wait_until(gone, 30), || {
                format!("faults seen: {:?}", f.lock().unwrap())
            })?;
            ensure(wait_until(|| h.stats().in_flight() == 0, 30), || {
                format!("{} calls still in flight", h.stats().in_flight())
            })?;
            await_phase(probe, rx, "reloaded", 60)?;
            ensure(h.stats().replies_dropped() >= 1, || {
                "the cancelled call's reply was not dropped".into()
            })?;
            ensure(probe.slow_completed.load(Ordering::SeqCst) == 0, || {
                "the cancelled handler ran to its end".into()
            })
        },
    )
}

/// A page that busy-loops is noticed within its window's limit (1 s here), reported, and,
/// as the window's policy says, its web process is ended and the page loaded anew.
fn unresponsive() -> Result<(), String> {
    let faults: Faults = Default::default();
    let f = faults.clone();
    let w = window("main", "hang.html").on_unresponsive(
        std::time::Duration::from_secs(1),
        rpcview::UnresponsivePolicy::Reload,
    );
    run_with(vec![w], watching(&faults), move |_h, probe, rx| {
        await_phase(probe, rx, "hanging", 60)?;
        let noticed = || {
            f.lock().unwrap().iter().any(|f| {
                matches!(f, rpcview::Fault::Unresponsive {
                    window, after, recovery: rpcview::Recovery::Reloaded, ..
                } if window == "main" && *after >= std::time::Duration::from_secs(1))
            })
        };
        ensure(wait_until(noticed, 60), || {
            format!("faults seen: {:?}", f.lock().unwrap())
        })?;
        await_phase(probe, rx, "recovered", 60)?;
        let ended = f.lock().unwrap().iter().any(|f| {
            matches!(
                f,
                rpcview::Fault::WebProcessGone {
                    reason: rpcview::GoneReason::TerminatedByApi,
                    ..
                }
            )
        });
        ensure(ended, || format!("faults seen: {:?}", f.lock().unwrap()))
    })
}

/// `signal` and `timeoutMs` reach Rust: both 10-second handlers are dropped long before their
/// end, none completes, and nothing is left in flight.
fn cancelled() -> Result<(), String> {
    run(vec![window("main", "cancel.html")], |h, probe, rx| {
        await_phase(probe, rx, "done", 60)?;
        ensure(
            wait_until(|| probe.slow_dropped.lock().unwrap().len() == 2, 30),
            || format!("dropped: {:?}", probe.slow_dropped.lock().unwrap()),
        )?;
        println!(
            "cancelled handlers had run {:?} when dropped",
            probe.slow_dropped.lock().unwrap()
        );
        ensure(probe.slow_completed.load(Ordering::SeqCst) == 0, || {
            "a cancelled handler ran to its end".into()
        })?;
        ensure(wait_until(|| h.stats().in_flight() == 0, 10), || {
            format!("{} calls still in flight", h.stats().in_flight())
        })
    })
}
