//! The same workloads through rpcview: a method `bench.echo` (params validated against their
//! schema, the result serialized), a notification `bench.mark`, the preload, the isolated
//! world, and the app's event loop.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rpcview::{Api, App, Assets, Bytes, Ctx, RpcError, Window};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::record::Recorder;
use crate::{page, Measured, Plan};

/// A small call's params, echoed back.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Small {
    i: u32,
    text: String,
    ok: bool,
}

/// Hands rpcview's per-stage trace events (target [`rpcview::PROFILE_TARGET`]) to the
/// recorder, which keeps those of the sequential calls.
struct Stages(Arc<Mutex<Recorder>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Stages {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Stage(Option<String>);
        impl tracing::field::Visit for Stage {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "stage" {
                    self.0 = Some(value.to_owned());
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut stage = Stage(None);
        event.record(&mut stage);
        if let Some(stage) = stage.0 {
            self.0.lock().expect("recorder").stage(&stage);
        }
    }
}

pub(crate) fn run(plan: &Plan) -> Result<Measured, String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let started = Instant::now();
    let recorder = Arc::new(Mutex::new(Recorder::new(started)));
    let profile = Stages(recorder.clone()).with_filter(
        tracing_subscriber::filter::Targets::new()
            .with_target(rpcview::PROFILE_TARGET, tracing::Level::TRACE),
    );
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(profile))
        .map_err(|e| e.to_string())?;
    let (on_call, on_mark) = (recorder.clone(), recorder.clone());
    let (on_down, on_up) = (recorder.clone(), recorder.clone());
    let (on_bytes, on_upbytes) = (recorder.clone(), recorder.clone());
    let exit: Arc<Mutex<Option<rpcview::AppHandle>>> = Arc::default();
    let exit_on_done = exit.clone();
    let api = Api::new()
        .method("bench.echo", move |_: Ctx, p: Small| {
            on_call.lock().expect("recorder").call('c', p.text.len());
            async move { Ok::<_, RpcError>(p) }
        })
        .method("bench.down", move |_: Ctx, (n,): (usize,)| {
            on_down.lock().expect("recorder").call('d', n);
            async move { Ok::<_, RpcError>("x".repeat(n)) }
        })
        .method("bench.up", move |_: Ctx, (text,): (String,)| {
            on_up.lock().expect("recorder").call('u', text.len());
            async move { Ok::<_, RpcError>(text.len()) }
        })
        .method("bench.bytes", move |_: Ctx, (n,): (usize,)| {
            on_bytes.lock().expect("recorder").call('D', n);
            async move { Ok::<_, RpcError>(Bytes::from(vec![b'x'; n])) }
        })
        .method("bench.upbytes", move |_: Ctx, (data,): (Bytes,)| {
            on_upbytes.lock().expect("recorder").call('U', data.len());
            async move { Ok::<_, RpcError>(data.len()) }
        })
        .notification("bench.mark", move |_: Ctx, (name,): (String,)| {
            let done = on_mark.lock().expect("recorder").mark(&name);
            let exit = exit_on_done.clone();
            async move {
                if done {
                    if let Some(app) = exit.lock().expect("handle").as_ref() {
                        app.exit(0);
                    }
                }
            }
        });
    let js = page::rpcview_js(plan);
    let assets = Assets::from_fn(move |path| match path {
        "index.html" | "" | "/" => Some(Cow::Borrowed(page::RPCVIEW_HTML.as_bytes())),
        "bench.js" => Some(Cow::Owned(js.clone().into_bytes())),
        _ => None,
    });
    let code = App::new(api)
        .assets(assets)
        .window(Window::new("bench").title("rpcview"))
        .setup(move |handle| *exit.lock().expect("handle") = Some(handle))
        .run()
        .map_err(|e| e.to_string())?;
    if code != 0 {
        return Err(format!("the app exited with {code}"));
    }
    let measured = recorder.lock().expect("recorder").measured(plan.pipelined);
    Ok(measured)
}
