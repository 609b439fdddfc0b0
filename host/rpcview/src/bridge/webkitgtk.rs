//! WebKitGTK glue: an isolated script world that tells frames apart and a private channel
//! to the preload that page scripts cannot reach.
//!
//! wry's own IPC handler cannot say which frame called (every frame can reach it and it
//! reports the main frame's URL), so it is not used. Instead a user script runs in the
//! `rpcview` world of every frame; page scripts share the DOM with it but not its globals, so
//! they cannot see `window.webkit` nor change what it reports.
//!
//! The preload and the world script meet on a *port*: a detached DOM node the preload
//! creates and hands over (as a `MouseEvent`'s `relatedTarget`) while the document starts,
//! before any page script runs. The world takes the first port it is offered and nothing
//! after. Messages both ways are events on that node, which no page script holds, so page
//! scripts can neither read the traffic nor inject replies. A page script in a frame without
//! the preload can offer a port of its own; its messages reach the host stamped with that
//! frame's origin and top-ness, and are refused there.

use webkit2gtk::{
    SettingsExt, UserContentInjectedFrames, UserContentManagerExt, UserScript,
    UserScriptInjectionTime, WebViewExt,
};

/// The isolated world's name.
const WORLD: &str = "rpcview";
/// The script message handler's name, registered in that world only.
const HANDLER: &str = "bridge";

/// Installs the world script and its message handler on `webview`; `on_message` gets every
/// stamped message as text, on the GTK thread.
pub(crate) fn attach(
    webview: &webkit2gtk::WebView,
    origins: &[String],
    max_chars: usize,
    on_message: impl Fn(String) + 'static,
) {
    // A page restored from the back/forward cache would wait for replies dropped while it
    // was away: navigating back loads the page anew instead.
    if let Some(settings) = WebViewExt::settings(webview) {
        settings.set_enable_page_cache(false);
    }
    let manager = webview
        .user_content_manager()
        .expect("a WebKitGTK webview has a UserContentManager");
    let world = super::WorldConfig {
        handler: HANDLER,
        origins: origins.to_vec(),
        max_chars,
        bridge: Default::default(),
    };
    manager.add_script(&UserScript::for_world(
        &world.script(),
        UserContentInjectedFrames::AllFrames,
        UserScriptInjectionTime::Start,
        WORLD,
        &[],
        &[],
    ));
    manager.connect_script_message_received(Some(HANDLER), move |_, result| {
        tracing::trace!(target: crate::PROFILE_TARGET, stage = "arrived");
        if let Some(value) = result.js_value() {
            let text = value.to_string();
            tracing::trace!(target: crate::PROFILE_TARGET, stage = "read");
            on_message(text);
        }
    });
    assert!(
        manager.register_script_message_handler_in_world(HANDLER, WORLD),
        "WebKitGTK refused to register the bridge's message handler"
    );
}

/// Runs `script` (from [`super::delivery_script`]) in the isolated world, which hands the
/// delivery to the preload through the port if the top frame is still on the window's origin.
pub(crate) fn deliver(webview: &webkit2gtk::WebView, script: &str) {
    webview.evaluate_javascript(
        script,
        Some(WORLD),
        None,
        None::<&gtk::gio::Cancellable>,
        |r| {
            if let Err(e) = r {
                tracing::debug!("delivery failed (page gone or reloading?): {e}");
            }
        },
    );
}

/// Calls `gone` with the reason whenever the webview's web process is gone.
pub(crate) fn on_process_gone(
    webview: &webkit2gtk::WebView,
    gone: impl Fn(super::GoneReason) + 'static,
) {
    use super::GoneReason;
    use webkit2gtk::WebProcessTerminationReason as R;
    webview.connect_web_process_terminated(move |_, reason| {
        gone(match reason {
            R::Crashed => GoneReason::Crashed,
            R::ExceededMemoryLimit => GoneReason::ExceededMemoryLimit,
            R::TerminatedByApi => GoneReason::TerminatedByApi,
            _ => GoneReason::Other,
        })
    });
}

/// Ends the webview's web process (`web-process-terminated` follows, `TerminatedByApi`).
pub(crate) fn terminate(webview: &webkit2gtk::WebView) {
    webview.terminate_web_process();
}

/// Runs an empty script in the isolated world; `answered` is called when the page's web
/// process has run it (or cannot: a dead process answers at once with an error).
pub(crate) fn ping(webview: &webkit2gtk::WebView, answered: impl FnOnce() + 'static) {
    webview.evaluate_javascript(
        "0",
        Some(WORLD),
        None,
        None::<&gtk::gio::Cancellable>,
        move |_| answered(),
    );
}

/// Takes a PNG of what the webview shows (the whole document); `done` gets its bytes.
pub(crate) fn snapshot(
    webview: &webkit2gtk::WebView,
    done: impl FnOnce(Result<Vec<u8>, String>) + 'static,
) {
    webview.snapshot(
        webkit2gtk::SnapshotRegion::FullDocument,
        webkit2gtk::SnapshotOptions::NONE,
        None::<&gtk::gio::Cancellable>,
        move |surface| {
            let outcome = surface.map_err(|e| e.to_string()).and_then(|surface| {
                let image = cairo::ImageSurface::try_from(surface)
                    .map_err(|_| "not an image surface".to_string())?;
                let mut png = Vec::new();
                image.write_to_png(&mut png).map_err(|e| e.to_string())?;
                Ok(png)
            });
            done(outcome);
        },
    );
}

/// Runs `expression` in the page's main world as the body of an async function, awaits it,
/// and gives `done` its value as JSON text (`null` for `undefined`), or the exception's
/// message.
pub(crate) fn evaluate(
    webview: &webkit2gtk::WebView,
    expression: &str,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    let body = format!(
        "const value = await (\n{expression}\n);\nreturn value === undefined ? 'null' : JSON.stringify(value);"
    );
    webview.call_async_javascript_function(
        &body,
        None,
        None,
        None,
        None::<&gtk::gio::Cancellable>,
        move |result| {
            done(match result {
                Ok(value) => Ok(value.to_string()),
                Err(e) => Err(e.message().to_owned()),
            })
        },
    );
}
