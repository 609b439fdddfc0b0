//! The JSON-RPC core alone, without a webview: `Endpoint::handle` on a small call (framing,
//! allowlist, params validation, dispatch, the result serialized), beside the serde floor
//! (parsing the same request into a value and serializing a reply).

use std::time::Instant;

use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, RpcError};
use serde_json::Value;

/// Microseconds per call.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) serde_floor_us: f64,
    pub(crate) endpoint_us: f64,
}

const CALL: &str = r#"{"jsonrpc":"2.0","id":7,"method":"bench.add","params":{"a":40,"b":2}}"#;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Add {
    a: i64,
    b: i64,
}

pub(crate) fn measure(calls: usize) -> Core {
    let floor_started = Instant::now();
    for _ in 0..calls {
        let v: Value = serde_json::from_str(CALL).expect("JSON");
        let reply =
            serde_json::json!({"jsonrpc": "2.0", "result": v["params"]["a"], "id": v["id"]});
        std::hint::black_box(reply.to_string());
    }
    let serde_floor_us = floor_started.elapsed().as_secs_f64() * 1e6 / calls as f64;

    let router = Api::new()
        .method("bench.add", |_: Ctx, p: Add| async move {
            Ok::<_, RpcError>(p.a + p.b)
        })
        .build()
        .expect("the bench API builds");
    let endpoint = Endpoint::new(
        &router,
        CallSite::new("bench", "app://localhost"),
        Allow::all(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    rt.block_on(async {
        for _ in 0..calls {
            std::hint::black_box(endpoint.handle(CALL).await);
        }
    });
    let endpoint_us = started.elapsed().as_secs_f64() * 1e6 / calls as f64;
    Core {
        serde_floor_us,
        endpoint_us,
    }
}
