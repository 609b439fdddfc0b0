//! Many apps, one after another, in one test binary: each `TestApp` leaves nothing behind
//! (no handler threads, no heartbeat, no window), so the next one starts clean. Alone in its
//! binary, so that no other test's app is running while the threads are counted.

use rpcview::testing::{Page, TestApp, TestError};
use rpcview::{Api, Ctx, RpcError};

/// The names of this process's threads.
fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux has /proc/self/task")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

fn app_threads() -> usize {
    threads()
        .iter()
        .filter(|n| n.starts_with("rpcview-handler") || n.starts_with("rpcview-heartbe"))
        .count()
}

/// Polls `cond` for up to 10 s.
fn eventually(cond: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    cond()
}

#[test]
fn eight_apps_in_a_row_leak_no_threads() -> Result<(), TestError> {
    let api = || {
        Api::new().method("slow.echo", |_: Ctx, (ms,): (u64,)| async move {
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            Ok::<_, RpcError>(ms)
        })
    };
    let mut baseline = None;
    for round in 0..8 {
        let app = TestApp::launch(api(), Page::html("<p>round</p>"))?;
        assert!(app_threads() > 0, "an app runs handler threads");
        assert_eq!(app.eval::<u64>("api.invoke('slow.echo', [5])")?, 5);
        // A call still running when the app closes must not keep anything alive.
        app.eval::<serde_json::Value>("void api.invoke('slow.echo', [60000]).catch(() => {})")?;
        drop(app);
        assert!(
            eventually(|| app_threads() == 0),
            "round {round}: app threads left: {:?}",
            threads()
        );
        let total = threads().len();
        let base = *baseline.get_or_insert(total);
        assert!(
            total <= base + 2,
            "round {round}: {total} threads, {base} after the first app: {:?}",
            threads()
        );
    }
    Ok(())
}
