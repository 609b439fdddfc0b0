//! `rpcview::testing` used as an app's own tests would: several tests in one ordinary
//! `cargo test` binary, each launching a real WebKitGTK window (they take turns on the
//! harness's GTK thread). Needs a display: `xvfb-run -a cargo test`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpcview::testing::{compare_png, Page, TestApp, TestError, Tolerance};
use rpcview::{Api, Ctx, RpcError, Target};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

/// A title that must not be empty, as a form would send it.
#[derive(Deserialize, JsonSchema)]
struct Titled {
    #[schemars(length(min = 1))]
    title: String,
}

fn api() -> Api {
    Api::new()
        .method("math.add", |_: Ctx, p: Add| async move {
            Ok::<_, RpcError>(p.a + p.b)
        })
        .method("notes.save", |_: Ctx, p: Titled| async move {
            Ok::<_, RpcError>(format!("saved {}", p.title))
        })
        .method("notes.fail", |_: Ctx, _: ()| async move {
            Err::<(), _>(RpcError::new(4000, "the disk is full"))
        })
        .event::<String>("notes.changed")
}

/// A form: a title input, a save button, and where the outcome shows; every click and key
/// press is logged with whether the browser marked it as trusted (real input).
const FORM: &str = r#"<!doctype html><meta charset="utf-8"><title>form</title>
<style>body { font: 16px sans-serif; margin: 20px } button { width: 120px; height: 40px }</style>
<input id="title" autocomplete="off"><button id="save">Save</button>
<p id="out"></p><p id="pushed"></p>
<script>
  window.trusted = [];
  const out = document.querySelector('#out');
  document.querySelector('#save').addEventListener('click', async (e) => {
    trusted.push('click:' + e.isTrusted);
    try { out.textContent = await api.invoke('notes.save', { title: document.querySelector('#title').value }); }
    catch (err) { out.textContent = 'error ' + err.code; }
  });
  document.querySelector('#title').addEventListener('keydown', (e) => {
    trusted.push('key:' + e.key + ':' + e.isTrusted);
    if (e.key === 'Enter') document.querySelector('#save').click();
  });
  api.on('notes.changed', (title) => { document.querySelector('#pushed').textContent = title; });
  console.log('form ready');
</script>"#;

#[test]
fn eval_returns_values_and_awaits_promises() -> Result<(), TestError> {
    let app = TestApp::launch(api(), Page::html(FORM))?;
    assert_eq!(app.eval::<String>("document.title")?, "form");
    assert_eq!(app.eval::<i64>("api.invoke('math.add', {a: 2, b: 3})")?, 5);
    assert_eq!(app.eval::<Value>("undefined")?, Value::Null);
    assert_eq!(
        app.eval::<Value>("({list: [1, 'two', null]})")?,
        json!({"list": [1, "two", null]})
    );
    // Exceptions and rejections come back with the page's message.
    match app.eval::<Value>("nope.nothing") {
        Err(TestError::Page(m)) => assert!(m.contains("nope"), "{m}"),
        other => panic!("expected the page's ReferenceError, got {other:?}"),
    }
    match app.eval::<Value>("api.invoke('notes.fail')") {
        Err(TestError::Page(m)) => assert!(m.contains("the disk is full"), "{m}"),
        other => panic!("expected the handler's error, got {other:?}"),
    }
    // A value of the wrong type is a decode error naming the value.
    assert!(matches!(
        app.eval::<i64>("'text'"),
        Err(TestError::Decode { .. })
    ));
    Ok(())
}

#[test]
fn clicks_and_typing_are_trusted_input_and_calls_are_recorded() -> Result<(), TestError> {
    let app = TestApp::launch(api(), Page::html(FORM))?;
    app.type_into("#title", "Groceries")?;
    app.wait_for("document.querySelector('#title').value === 'Groceries'")?;
    app.click("#save")?;
    app.wait_for("document.querySelector('#out').textContent === 'saved Groceries'")?;
    let call = app.wait_for_call("notes.save")?;
    assert_eq!(call.params, json!({"title": "Groceries"}));
    assert_eq!(call.outcome, Ok(json!("saved Groceries")));
    assert_eq!(call.window, "main");

    // Enter in the field saves again (the page's keydown handler), through a key press.
    app.click("#title")?;
    app.press("End")?;
    app.press("Backspace")?;
    app.wait_for("document.querySelector('#title').value === 'Grocerie'")?;
    app.press("Enter")?;
    let again = app.wait_for_call("notes.save")?;
    assert_eq!(again.params, json!({"title": "Grocerie"}));

    // An empty title is refused by the host's schema check: the page shows the code.
    app.eval::<Value>("document.querySelector('#title').value = ''")?;
    app.click("#save")?;
    app.wait_for("document.querySelector('#out').textContent === 'error -32602'")?;
    let refused = app.wait_for_call("notes.save")?;
    assert_eq!(refused.outcome.unwrap_err().code, -32602);

    let trusted: Vec<String> = app.eval("trusted")?;
    assert!(trusted.iter().any(|t| t == "click:true"), "{trusted:?}");
    assert!(trusted.iter().any(|t| t == "key:G:true"), "{trusted:?}");
    assert!(trusted.iter().any(|t| t == "key:Enter:true"), "{trusted:?}");
    assert!(!trusted
        .iter()
        .any(|t| t.ends_with(":false") && t.starts_with("key")));
    Ok(())
}

#[test]
fn pushes_are_recorded_and_reach_the_page() -> Result<(), TestError> {
    let app = TestApp::launch(api(), Page::html(FORM))?;
    app.wait_for("typeof api === 'object'")?;
    app.handle()
        .emitter()
        .emit(Target::All, "notes.changed", &"from Rust")
        .map_err(|e| TestError::App(e.to_string()))?;
    let push = app.wait_for_push("notes.changed")?;
    assert_eq!(push.payload, json!("from Rust"));
    assert_eq!(push.windows, ["main"]);
    app.wait_for("document.querySelector('#pushed').textContent === 'from Rust'")?;
    // console.log reaches the harness (all levels are taken in tests).
    assert!(
        app.console().iter().any(|l| l.message == "form ready"),
        "{:?}",
        app.console()
    );
    Ok(())
}

#[test]
fn a_stub_replaces_a_handler_and_keeps_its_schema() -> Result<(), TestError> {
    let runs = Arc::new(AtomicUsize::new(0));
    let seen = runs.clone();
    let api = api().stub("notes.save", move |_, params| {
        let runs = seen.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(json!(format!(
                "stubbed {}",
                params["title"].as_str().unwrap_or("?")
            )))
        }
    });
    let app = TestApp::launch(api, Page::html(FORM))?;
    assert_eq!(
        app.eval::<String>("api.invoke('notes.save', {title: 'x'})")?,
        "stubbed x"
    );
    // The params schema still applies: the stub never sees an empty title.
    assert!(matches!(
        app.eval::<Value>("api.invoke('notes.save', {title: ''})"),
        Err(TestError::Page(_))
    ));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    Ok(())
}

#[test]
fn a_second_app_in_the_same_test_is_an_error_not_a_deadlock() -> Result<(), TestError> {
    let first = TestApp::launch(api(), Page::html(FORM))?;
    let second = TestApp::launch(api(), Page::html(FORM));
    match second {
        Err(TestError::Launch(why)) => assert!(why.contains("drop it"), "{why}"),
        other => panic!(
            "a second app launched beside the first: {:?}",
            other.is_ok()
        ),
    }
    drop(first);
    // Once the first is gone, the thread may launch again.
    let again = TestApp::launch(api(), Page::html(FORM))?;
    assert_eq!(again.eval::<i32>("1 + 1")?, 2);
    Ok(())
}

#[test]
fn waits_time_out_with_a_clear_error() -> Result<(), TestError> {
    let app = TestApp::builder(api(), Page::html(FORM))
        .timeout(std::time::Duration::from_millis(300))
        .launch();
    // The short timeout may be too short for the launch itself on a loaded machine.
    let Ok(app) = app else { return Ok(()) };
    match app.wait_for("document.querySelector('#never')") {
        Err(TestError::Timeout { what, .. }) => assert!(what.contains("#never"), "{what}"),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(matches!(
        app.click("#never"),
        Err(TestError::Timeout { .. })
    ));
    assert!(matches!(
        app.wait_for_call("math.add"),
        Err(TestError::Timeout { .. })
    ));
    Ok(())
}

/// A page drawn only with solid boxes (no text), so its pixels are the same on every run.
const BOXES: &str = r#"<!doctype html><style>html, body { margin: 0; background: #fff }
div { position: absolute; width: 100px; height: 60px }</style>
<div style="left: 10px; top: 10px; background: #c33"></div>
<div id="moving" style="left: 150px; top: 10px; background: #36c"></div>"#;

#[test]
fn screenshots_match_within_tolerance_and_mismatches_leave_a_diff() -> Result<(), TestError> {
    let dir = tempfile::tempdir().map_err(|e| TestError::App(e.to_string()))?;
    let expected = dir.path().join("boxes.png");
    let app = TestApp::builder(api(), Page::html(BOXES))
        .window(|w| w.size(320.0, 100.0))
        .launch()?;
    let first = app.screenshot()?;
    assert_eq!(&first[1..4], b"PNG");
    std::fs::write(&expected, &first).map_err(|e| TestError::App(e.to_string()))?;
    app.expect_screenshot(&expected, Tolerance::exact())?;
    assert!(!dir.path().join("boxes.actual.png").exists());

    // Move a box by 30 px: 2 × 30 × 60 pixels change.
    app.eval::<Value>("document.querySelector('#moving').style.left = '180px'")?;
    app.wait_for("getComputedStyle(document.querySelector('#moving')).left === '180px'")?;
    let err = app
        .expect_screenshot(&expected, Tolerance::default())
        .expect_err("a moved box is a mismatch");
    assert!(err.to_string().contains("3600 of"), "{err}");
    let diff = std::fs::read(dir.path().join("boxes.diff.png")).expect("a diff image");
    let actual = std::fs::read(dir.path().join("boxes.actual.png")).expect("the actual image");
    let c = compare_png(&first, &actual, Tolerance::exact()).expect("same size");
    assert_eq!(c.differing, 3600);
    // Enough tolerance lets it pass.
    let loose = Tolerance {
        threshold: 0.1,
        max_diff_pixels: 3600,
        max_diff_ratio: 1.0,
    };
    app.expect_screenshot(&expected, loose)?;
    assert!(!diff.is_empty());
    Ok(())
}
