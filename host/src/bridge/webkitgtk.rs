//! WebKitGTK glue: an isolated script world that tells frames apart.
//!
//! wry's own IPC handler cannot say which frame called (every frame can reach it and it
//! reports the main frame's URL), so it is not used. Instead a user script runs in the
//! `rpcview` world of every frame; page scripts share the DOM with it but not its globals, so
//! they cannot see `window.webkit` nor change what it reports.

use webkit2gtk::{
    UserContentInjectedFrames, UserContentManagerExt, UserScript, UserScriptInjectionTime,
    WebViewExt,
};

/// The isolated world's name.
const WORLD: &str = "rpcview";
/// The script message handler's name, registered in that world only.
const HANDLER: &str = "bridge";

/// Runs in the isolated world of every frame, before page scripts.
fn world_script() -> String {
    format!(
        r#"(function () {{
  var post = window.webkit.messageHandlers.{HANDLER};
  var stringify = JSON.stringify;
  window.addEventListener({channel}, function (event) {{
    if (typeof event.detail !== 'string') return;
    post.postMessage(stringify({{
      origin: self.origin,
      top: window === window.top,
      href: location.href,
      detail: event.detail
    }}));
  }}, true);
}})();"#,
        channel = serde_json::to_string(super::CHANNEL).expect("a string serializes"),
    )
}

/// Installs the world script and its message handler on `webview`; `on_message` gets every
/// stamped message as text, on the GTK thread.
pub(crate) fn attach(webview: &webkit2gtk::WebView, on_message: impl Fn(String) + 'static) {
    let manager = webview
        .user_content_manager()
        .expect("a WebKitGTK webview has a UserContentManager");
    manager.add_script(&UserScript::for_world(
        &world_script(),
        UserContentInjectedFrames::AllFrames,
        UserScriptInjectionTime::Start,
        WORLD,
        &[],
        &[],
    ));
    manager.connect_script_message_received(Some(HANDLER), move |_, result| {
        if let Some(value) = result.js_value() {
            on_message(value.to_string());
        }
    });
    assert!(
        manager.register_script_message_handler_in_world(HANDLER, WORLD),
        "WebKitGTK refused to register the bridge's message handler"
    );
}

/// Runs `script` in the page's main world (where the preload defined its receiver).
pub(crate) fn eval(webview: &webkit2gtk::WebView, script: &str) {
    webview.evaluate_javascript(script, None, None, None::<&gtk::gio::Cancellable>, |r| {
        if let Err(e) = r {
            tracing::debug!("delivery script failed (page gone or reloading?): {e}");
        }
    });
}

/// Saves a PNG of what the webview shows to `path`; `done` gets the outcome.
pub(crate) fn snapshot(
    webview: &webkit2gtk::WebView,
    path: std::path::PathBuf,
    done: impl FnOnce(Result<(), String>) + 'static,
) {
    webview.snapshot(
        webkit2gtk::SnapshotRegion::FullDocument,
        webkit2gtk::SnapshotOptions::NONE,
        None::<&gtk::gio::Cancellable>,
        move |surface| {
            let outcome = surface.map_err(|e| e.to_string()).and_then(|surface| {
                let image = cairo::ImageSurface::try_from(surface)
                    .map_err(|_| "not an image surface".to_string())?;
                let mut file =
                    std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                image.write_to_png(&mut file).map_err(|e| e.to_string())
            });
            done(outcome);
        },
    );
}
