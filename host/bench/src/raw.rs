//! The baseline: a bare tao window and wry webview, `window.ipc.postMessage` in, and
//! `evaluate_script` straight from the IPC handler out. No validation, no framing: the floor
//! any bridge on this transport starts from.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tao::event_loop::{ControlFlow, EventLoopBuilder};
use tao::platform::run_return::EventLoopExtRunReturn;
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use wry::{WebViewBuilder, WebViewBuilderExtUnix};

use crate::record::Recorder;
use crate::{page, Measured, Plan};

pub(crate) fn run(plan: &Plan) -> Result<Measured, String> {
    let started = Instant::now();
    let mut event_loop = EventLoopBuilder::<()>::with_user_event().build();
    let proxy = event_loop.create_proxy();
    let window = WindowBuilder::new()
        .with_title("raw wry")
        .build(&event_loop)
        .map_err(|e| e.to_string())?;
    let recorder = Arc::new(Mutex::new(Recorder::new(started)));
    let done = Rc::new(RefCell::new(false));
    let webview: Rc<RefCell<Option<wry::WebView>>> = Rc::default();
    let (rec, wv, fin) = (recorder.clone(), webview.clone(), done.clone());
    let (rec_bytes, html) = (recorder.clone(), page::raw_html(plan));
    let built = WebViewBuilder::new()
        .with_custom_protocol("raw".into(), move |_, req| {
            // The page, and binary data both ways as bodies.
            let path = req.uri().path().to_owned();
            let body = if let Some(n) = path.strip_prefix("/bytes/") {
                let n: usize = n.parse().unwrap_or(0);
                rec_bytes.lock().expect("recorder").call('D', n);
                vec![b'x'; n]
            } else if path == "/up" {
                rec_bytes
                    .lock()
                    .expect("recorder")
                    .call('U', req.body().len());
                req.body().len().to_string().into_bytes()
            } else {
                html.clone().into_bytes()
            };
            let kind = if path == "/" {
                "text/html"
            } else {
                "application/octet-stream"
            };
            wry::http::Response::builder()
                .header("Content-Type", kind)
                .body(std::borrow::Cow::Owned(body))
                .expect("a response builds")
        })
        .with_url("raw://localhost/")
        .with_ipc_handler(move |req| {
            // `kind|id|payload`, as the raw page sends it.
            rec.lock().expect("recorder").stage("arrived");
            let mut parts = req.body().splitn(3, '|');
            let (kind, id, payload) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let reply = match kind {
                "m" => {
                    if rec.lock().expect("recorder").mark(payload) {
                        *fin.borrow_mut() = true;
                        let _ = proxy.send_event(());
                    }
                    return;
                }
                "d" => {
                    let n: usize = payload.parse().unwrap_or(0);
                    rec.lock().expect("recorder").call('d', n);
                    format!("__reply({id},\"{}\")", "x".repeat(n))
                }
                "u" => {
                    rec.lock()
                        .expect("recorder")
                        .call('u', payload.len().saturating_sub(2));
                    format!("__reply({id},{})", payload.len())
                }
                e if e.starts_with('e') => {
                    rec.lock()
                        .expect("recorder")
                        .call('e', e[1..].parse().unwrap_or(0));
                    format!("__reply({id},{payload})")
                }
                _ => {
                    rec.lock().expect("recorder").call('c', 0);
                    format!("__reply({id},{payload})")
                }
            };
            if let Some(w) = wv.borrow().as_ref() {
                let _ = w.evaluate_script(&reply);
                rec.lock().expect("recorder").stage("delivered");
            }
        })
        .build_gtk(window.default_vbox().ok_or("no GTK container")?)
        .map_err(|e| e.to_string())?;
    *webview.borrow_mut() = Some(built);
    event_loop.run_return(|_, _, flow| {
        *flow = if *done.borrow() {
            ControlFlow::Exit
        } else {
            ControlFlow::Wait
        };
    });
    drop(webview);
    let measured = recorder.lock().expect("recorder").measured(plan.pipelined);
    Ok(measured)
}
