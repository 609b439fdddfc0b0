//! Live reload (`App::watch`) end to end, in a real webview: a script saved in the web folder
//! reloads the page (a plain write, and an editor's temporary file renamed into place), a
//! style sheet saved alone is swapped in without a reload, and the watch ends with the app.
//! Prints the time from a write to the new page's first call (median of several).
//!
//! Needs a display: run under `xvfb-run -a`.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rpcview::testing::{Page, TestApp, TestError};
use rpcview::{Api, Ctx, RpcError};

const INDEX: &str = r#"<!doctype html>
<link rel="stylesheet" href="style.css">
<p id="x">live</p>
<script src="app.js"></script>
"#;

/// The page's script: says which version it is, once, as soon as it runs.
fn script(version: &str) -> String {
    format!("window.version = '{version}';\nwindow.api.invoke('page.loaded', ['{version}']);\n")
}

fn style(color: &str) -> String {
    format!("#x {{ color: {color}; }}\n")
}

/// Writes `text` to `name` as editors that save safely do: a temporary file, renamed.
fn save_by_rename(dir: &Path, name: &str, text: &str) {
    let tmp = dir.join(format!("{name}.tmp"));
    std::fs::write(&tmp, text).expect("the temporary file is written");
    std::fs::rename(&tmp, dir.join(name)).expect("the rename lands");
}

fn api(loads: Arc<AtomicU64>) -> Api {
    Api::new().method("page.loaded", move |_: Ctx, (_version,): (String,)| {
        let loads = loads.clone();
        async move { Ok::<_, RpcError>(loads.fetch_add(1, Ordering::SeqCst) + 1) }
    })
}

/// The names of this process's threads.
fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .expect("Linux has /proc/self/task")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

fn watch_threads() -> usize {
    threads()
        .iter()
        .filter(|n| n.starts_with("notify-rs"))
        .count()
}

/// Polls `cond` for up to 10 s.
fn eventually(cond: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

fn color_is(rgb: &str) -> String {
    format!("getComputedStyle(document.getElementById('x')).color === '{rgb}'")
}

#[test]
fn saving_the_web_folder_reloads_the_page_or_swaps_its_styles() -> Result<(), TestError> {
    let web = tempfile::tempdir().expect("a temporary folder");
    let dir = web.path().to_owned();
    std::fs::write(dir.join("index.html"), INDEX).unwrap();
    std::fs::write(dir.join("app.js"), script("v1")).unwrap();
    std::fs::write(dir.join("style.css"), style("rgb(255, 0, 0)")).unwrap();

    let loads = Arc::new(AtomicU64::new(0));
    let watched = dir.clone();
    let app = TestApp::builder(api(loads.clone()), Page::dir(&dir))
        .timeout(Duration::from_secs(60))
        .app(move |app| app.watch(watched))
        .launch()?;
    let first = app.wait_for_call("page.loaded")?;
    assert_eq!(first.params, serde_json::json!(["v1"]));
    app.wait_for(&color_is("rgb(255, 0, 0)"))?;
    assert!(watch_threads() > 0, "the watch runs: {:?}", threads());

    // A script saved: the page reloads, and the new page's first call is the new version's.
    let mut took = Vec::new();
    for n in 2..=8 {
        let version = format!("v{n}");
        let start = Instant::now();
        std::fs::write(dir.join("app.js"), script(&version)).unwrap();
        let call = app.wait_for_call("page.loaded")?;
        took.push(start.elapsed());
        assert_eq!(
            call.params,
            serde_json::json!([version]),
            "the new script ran"
        );
        assert!(call.outcome.is_ok(), "the reloaded page has the API");
    }
    app.wait_for("window.version === 'v8'")?;
    took.sort();
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "live reload: write -> the new page's first call: median {:.0} ms (min {:.0}, max {:.0}, {} saves; debounce 100 ms)",
        ms(&took[took.len() / 2]),
        ms(&took[0]),
        ms(&took[took.len() - 1]),
        took.len()
    );

    // A style sheet saved alone: the new styles show, and the page did not reload.
    let loads_before = loads.load(Ordering::SeqCst);
    app.eval::<serde_json::Value>("window.marker = 42")?;
    std::fs::write(dir.join("style.css"), style("rgb(0, 0, 255)")).unwrap();
    app.wait_for(&color_is("rgb(0, 0, 255)"))?;
    assert_eq!(
        app.eval::<u64>("window.marker")?,
        42,
        "the page kept its state"
    );
    assert!(
        app.eval::<bool>("document.querySelector('link').href.includes('rpcview-reload=')")?,
        "the link was re-pointed"
    );

    // ... also when an editor saves it through a temporary file and a rename.
    save_by_rename(&dir, "style.css", &style("rgb(0, 128, 0)"));
    app.wait_for(&color_is("rgb(0, 128, 0)"))?;
    assert_eq!(app.eval::<u64>("window.marker")?, 42, "still no reload");
    assert_eq!(
        loads.load(Ordering::SeqCst),
        loads_before,
        "no page loaded anew for a style sheet"
    );

    // A script saved through a temporary file and a rename reloads the page.
    save_by_rename(&dir, "app.js", &script("v9"));
    let call = app.wait_for_call("page.loaded")?;
    assert_eq!(call.params, serde_json::json!(["v9"]));
    app.wait_for("window.version === 'v9' && window.marker === undefined")?;
    assert_eq!(loads.load(Ordering::SeqCst), loads_before + 1);

    // The watch ends with the app: no watcher thread is left.
    drop(app);
    assert!(
        eventually(|| watch_threads() == 0),
        "watch threads left after the app ended: {:?}",
        threads()
    );
    Ok(())
}
