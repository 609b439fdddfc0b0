//! The baseline: a bare tao window and wry webview, `window.ipc.postMessage` in, and
//! `evaluate_script` straight from the IPC handler out. No validation, no framing: the floor
//! any bridge on this transport starts from.

use std::cell::RefCell;
use std::rc::Rc;
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
    let recorder = Rc::new(RefCell::new(Recorder::new(started)));
    let done = Rc::new(RefCell::new(false));
    let webview: Rc<RefCell<Option<wry::WebView>>> = Rc::default();
    let (rec, wv, fin) = (recorder.clone(), webview.clone(), done.clone());
    let built = WebViewBuilder::new()
        .with_html(page::raw_html(plan))
        .with_ipc_handler(move |req| {
            // `kind|id|payload`, as the raw page sends it.
            rec.borrow_mut().stage("arrived");
            let mut parts = req.body().splitn(3, '|');
            let (kind, id, payload) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let reply = match kind {
                "m" => {
                    if rec.borrow_mut().mark(payload) {
                        *fin.borrow_mut() = true;
                        let _ = proxy.send_event(());
                    }
                    return;
                }
                "d" => {
                    let n: usize = payload.parse().unwrap_or(0);
                    rec.borrow_mut().call('d', n);
                    format!("__reply({id},\"{}\")", "x".repeat(n))
                }
                "u" => {
                    rec.borrow_mut().call('u', payload.len().saturating_sub(2));
                    format!("__reply({id},{})", payload.len())
                }
                e if e.starts_with('e') => {
                    rec.borrow_mut().call('e', e[1..].parse().unwrap_or(0));
                    format!("__reply({id},{payload})")
                }
                _ => {
                    rec.borrow_mut().call('c', 0);
                    format!("__reply({id},{payload})")
                }
            };
            if let Some(w) = wv.borrow().as_ref() {
                let _ = w.evaluate_script(&reply);
                rec.borrow_mut().stage("delivered");
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
    let measured = recorder.borrow().measured(plan.pipelined);
    Ok(measured)
}
