//! The scenarios, one real app each. Names are what `cargo test --test e2e NAME` filters on.

use std::sync::atomic::Ordering;

use rpcview::Allow;

use crate::harness::{await_phase, ensure, run, run_with, wait_until, window, window_allowing};

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
    ("reload_drops_stale_replies_and_handlers_finish", reload),
    ("closing_a_window_drops_replies_and_handlers_finish", close),
    (
        "the_hello_example_greets_through_its_typescript_page",
        hello,
    ),
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
];

fn invoke() -> Result<(), String> {
    run(vec![window("main", "invoke.html")], |h, probe, rx| {
        await_phase(probe, rx, "done", 60)?;
        ensure(wait_until(|| h.stats().in_flight() == 0, 5), || {
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
        h.reload("main");
        await_phase(probe, rx, "after", 30)?;
        // The old page's 5 calls and the new page's 1 all ran to their end.
        ensure(
            wait_until(|| probe.slow_completed.load(Ordering::SeqCst) == 6, 5),
            || {
                format!(
                    "{} of 6 handlers finished after the reload",
                    probe.slow_completed.load(Ordering::SeqCst)
                )
            },
        )?;
        ensure(wait_until(|| h.stats().in_flight() == 0, 5), || {
            format!("{} calls still in flight", h.stats().in_flight())
        })?;
        let dropped = h.stats().replies_dropped();
        ensure(dropped >= 5, || {
            format!("expected the 5 stale replies dropped by the host, it dropped {dropped}")
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
            h.close("doomed");
            ensure(
                wait_until(|| probe.slow_completed.load(Ordering::SeqCst) == 5, 5),
                || {
                    format!(
                        "{} of 5 handlers finished after the close",
                        probe.slow_completed.load(Ordering::SeqCst)
                    )
                },
            )?;
            ensure(wait_until(|| h.stats().in_flight() == 0, 5), || {
                format!("{} calls still in flight", h.stats().in_flight())
            })?;
            ensure(wait_until(|| h.stats().replies_dropped() >= 5, 2), || {
                format!(
                    "expected 5 replies dropped for the closed window, got {}",
                    h.stats().replies_dropped()
                )
            })?;
            h.eval("main", "window.afterClose()");
            await_phase(probe, rx, "after", 30)?;
            Ok(())
        },
    )
}

/// The minimal example as its users get it: its own embedded page (TypeScript compiled to
/// `app.js`) and its own API, driven like a person would: type a name, submit the form.
fn hello() -> Result<(), String> {
    use std::sync::mpsc;
    let (tx, rx) = mpsc::channel::<(String, String)>();
    let tx = std::sync::Mutex::new(tx);
    let tx = std::sync::Arc::new(tx);
    // The example's API, plus one notification through which the test reads the page.
    let api = hello::api().notification(
        "test.seen",
        move |_: rpcview::Ctx, (out, events): (String, String)| {
            let tx = tx.clone();
            async move {
                let _ = tx.lock().unwrap().send((out, events));
            }
        },
    );
    let verdict = std::sync::Arc::new(std::sync::Mutex::new(None));
    let v = verdict.clone();
    let code = hello::app(api)
        .setup(move |h| {
            let outcome = (|| {
                // Once per document; the driver repeats it until the page answers, in case the
                // first one ran before the page had loaded.
                let drive = r#"
                  if (!window.__driven) (function tryOnce() {
                    window.__driven = true;
                    if (!window.api || document.body?.dataset.ready !== 'true') return setTimeout(tryOnce, 50);
                    document.getElementById('name').value = 'Ada';
                    document.getElementById('greet').requestSubmit();
                    const poll = setInterval(() => {
                      const out = document.getElementById('out').textContent;
                      const events = document.getElementById('events').textContent;
                      if (out && events) {
                        clearInterval(poll);
                        window.api.notify('test.seen', [out, events]);
                      }
                    }, 50);
                  })();"#;
                let mut seen = None;
                for _ in 0..30 {
                    h.eval("main", drive);
                    if let Ok(s) = rx.recv_timeout(std::time::Duration::from_secs(2)) {
                        seen = Some(s);
                        break;
                    }
                }
                let (out, events) = seen.ok_or("the page never showed a greeting in 60 s")?;
                ensure(out == "Hello, Ada!", || format!("the page shows {out:?}"))?;
                ensure(events.contains("greeted: Hello, Ada! (#1)"), || {
                    format!("the pushed event shows {events:?}")
                })?;
                // hello.greet, hello.log and test.seen ran.
                ensure(
                    wait_until(|| h.stats().handler_runs() >= 3, 10),
                    || format!("{} handler runs", h.stats().handler_runs()),
                )?;
                ensure(h.stats().refused() == 0, || "messages were refused".into())
            })();
            *v.lock().unwrap() = Some(outcome);
            h.exit(0);
        })
        .run()
        .map_err(|e| e.to_string())?;
    ensure(code == 0, || format!("the app exited with {code}"))?;
    let outcome = verdict.lock().unwrap().take();
    outcome.unwrap_or(Err("the driver did not finish".into()))
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
