//! The demo's own tour, driven by the page (`?tour`) in a real webview through
//! `rpcview::testing`, and its final screen checked against `tests/screenshots/tour.png`.
//! After a deliberate change to the demo's look, store the new picture with
//! `RPCVIEW_UPDATE_SCREENSHOTS=1 xvfb-run -a cargo test -p rpcview-integration --test demo_tour`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rpcview::testing::{Page, TestApp, TestError, Tolerance};
use rpcview_notes::{self as demo, tour, Store};

/// What differs on every run: clocks, "saved 0s ago", the export's temporary path, and the
/// activity log, whose pushes from two windows arrive in either order.
const MASK: [&str; 5] = [
    "#last-push",
    "#saved",
    "#list .m",
    "#export-status",
    "#events",
];

/// How far two runs may differ: anti-aliasing noise per pixel (10% per channel), and at most
/// 0.2% of the pixels beyond it. Five runs on the development machine, masked so, were
/// identical to the pixel; unmasked, the activity log's order alone made 2.6% differ.
const TOLERANCE: Tolerance = Tolerance {
    threshold: 0.1,
    max_diff_pixels: usize::MAX,
    max_diff_ratio: 0.002,
};

#[test]
fn the_tour_passes_and_its_last_screen_matches() -> Result<(), TestError> {
    let data = tempfile::tempdir().map_err(|e| TestError::App(e.to_string()))?;
    let store = Store::open(data.path()).map_err(|e| TestError::App(e.to_string()))?;
    let steps: Arc<Mutex<Vec<tour::TourStep>>> = Arc::default();
    let seen = steps.clone();
    let api = tour::api(
        demo::api(store.clone()),
        data.path().to_path_buf(),
        move |step| seen.lock().unwrap().push(step.clone()),
        |_| {},
    );
    // The folder watcher pushes `notes.changed`, as in the demo; it lives as long as the app.
    let watcher: Arc<Mutex<Option<Box<dyn std::any::Any + Send>>>> = Arc::default();
    let keep = watcher.clone();
    let app = TestApp::builder(api, Page::Assets(demo::assets()))
        .window(|w| {
            w.url("app://localhost/index.html?tour")
                .title("rpcview notes")
        })
        .app(move |app| {
            app.setup(move |handle| {
                let w = demo::watch(&store, handle.emitter()).expect("the folder is watched");
                *keep.lock().unwrap() = Some(Box::new(w));
            })
        })
        .timeout(Duration::from_secs(90))
        .launch()?;
    app.wait_for_call("tour.finish")?;
    let steps = steps.lock().unwrap().clone();
    let failed: Vec<_> = steps.iter().filter(|s| !s.ok).collect();
    assert!(steps.len() >= 10, "the tour reported {} steps", steps.len());
    assert!(failed.is_empty(), "tour steps failed: {failed:?}");
    let expected =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/screenshots/tour.png");
    app.expect_screenshot_masked(expected, TOLERANCE, &MASK)?;
    drop(app);
    drop(watcher);
    Ok(())
}
