//! JSON-RPC 2.0 conformance, without a window: every example of section 7 of the
//! specification, id handling, params by name and by position, validation and panics.

use std::time::Duration;

use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, RpcError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize, JsonSchema)]
struct Subtract {
    minuend: i64,
    subtrahend: i64,
}

/// Fields deliberately not in alphabetical order: position 0 is `start`.
#[derive(Deserialize, JsonSchema)]
struct Interval {
    start: i64,
    end: i64,
}

/// A note to save.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SaveNote {
    /// The title, shown in the list.
    #[schemars(length(min = 1, max = 80))]
    title: String,
    body: String,
    #[serde(default)]
    pinned: Option<bool>,
}

/// Promises to be positive, so a handler that returns 0 breaks its own schema.
#[derive(Serialize, JsonSchema)]
struct Positive(#[schemars(range(min = 1))] i64);

async fn subtract(_: Ctx, p: Subtract) -> Result<i64, RpcError> {
    Ok(p.minuend - p.subtrahend)
}
async fn interval_length(_: Ctx, p: Interval) -> Result<i64, RpcError> {
    Ok(p.end - p.start)
}
async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> {
    Ok(xs.iter().sum())
}
async fn pair(_: Ctx, (a, b): (String, u8)) -> Result<String, RpcError> {
    Ok(a.repeat(b as usize))
}
async fn get_data(_: Ctx, _: ()) -> Result<(String, i64), RpcError> {
    Ok(("hello".into(), 5))
}
async fn ignore(_: Ctx, _: Vec<i64>) {}
async fn save(_: Ctx, p: SaveNote) -> Result<String, RpcError> {
    Ok(format!("{}:{}:{:?}", p.title, p.body.len(), p.pinned))
}
async fn explode(_: Ctx, _: ()) -> Result<(), RpcError> {
    panic!("kaboom")
}
async fn zero(_: Ctx, _: ()) -> Result<Positive, RpcError> {
    Ok(Positive(0))
}
async fn fail(_: Ctx, _: ()) -> Result<(), RpcError> {
    Err(RpcError::new(42, "the answer").with_data(serde_json::json!({"why": "because"})))
}
async fn sleep_ms(_: Ctx, ms: Vec<u64>) -> Result<u64, RpcError> {
    tokio::time::sleep(Duration::from_millis(ms[0])).await;
    Ok(ms[0])
}

fn endpoint() -> Endpoint {
    let router = Api::new()
        .method("subtract", subtract)
        .method("interval.length", interval_length)
        .method("sum", sum)
        .method("pair", pair)
        .method("get_data", get_data)
        .notification("update", ignore)
        .notification("notify_hello", ignore)
        .notification("notify_sum", ignore)
        .method("notes.save", save)
        .method("explode", explode)
        .method("zero", zero)
        .method("fail", fail)
        .method("sleep", sleep_ms)
        .build()
        .expect("the test API builds");
    Endpoint::new(
        &router,
        CallSite::new("main", "app://localhost"),
        Allow::all(),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn call(input: &str) -> Option<String> {
    rt().block_on(endpoint().handle(input))
}

/// Drops `data` from error objects: the specification's examples carry none, ours say more.
fn strip_data(mut v: Value) -> Value {
    match &mut v {
        Value::Array(items) => items.iter_mut().for_each(|i| *i = strip_data(i.take())),
        Value::Object(o) => {
            if let Some(Value::Object(e)) = o.get_mut("error") {
                e.remove("data");
            }
        }
        _ => {}
    }
    v
}

/// Asserts the reply to `input` is `expected` (JSON, error data aside), or no reply at all.
fn spec(input: &str, expected: Option<&str>) {
    let got = call(input);
    match (got, expected) {
        (None, None) => {}
        (Some(g), Some(e)) => {
            let g: Value = serde_json::from_str(&g)
                .unwrap_or_else(|err| panic!("reply is not JSON ({err}): {g}"));
            let e: Value = serde_json::from_str(e).unwrap();
            assert_eq!(strip_data(g), e, "reply to {input}");
        }
        (g, e) => panic!("reply to {input}: got {g:?}, expected {e:?}"),
    }
}

macro_rules! spec_case {
    ($name:ident, $input:expr, None) => {
        #[test]
        fn $name() {
            spec($input, None)
        }
    };
    ($name:ident, $input:expr, $expected:expr) => {
        #[test]
        fn $name() {
            spec($input, Some($expected))
        }
    };
}

// Section 7 of the JSON-RPC 2.0 specification, example by example.
spec_case!(
    positional_params,
    r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "result": 19, "id": 1}"#
);
spec_case!(
    positional_params_reversed,
    r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#,
    r#"{"jsonrpc": "2.0", "result": -19, "id": 2}"#
);
spec_case!(
    named_params,
    r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
    r#"{"jsonrpc": "2.0", "result": 19, "id": 3}"#
);
spec_case!(
    named_params_reordered,
    r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
    r#"{"jsonrpc": "2.0", "result": 19, "id": 4}"#
);
spec_case!(
    notification_gets_no_reply,
    r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#,
    None
);
spec_case!(
    notification_of_unknown_method_gets_no_reply,
    r#"{"jsonrpc": "2.0", "method": "foobar"}"#,
    None
);
spec_case!(
    unknown_method_is_32601,
    r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#
);
spec_case!(
    invalid_json_is_32700,
    r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#
);
spec_case!(
    invalid_request_object_is_32600,
    r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#
);
spec_case!(
    batch_with_invalid_json_is_32700,
    r#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#
);
spec_case!(
    empty_batch_is_32600,
    "[]",
    r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#
);
spec_case!(
    batch_of_a_non_request_is_an_array_of_one_error,
    "[1]",
    r#"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#
);
spec_case!(
    batch_of_non_requests_is_an_array_of_errors,
    "[1,2,3]",
    r#"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#
);
spec_case!(
    mixed_batch_answers_each_call_in_order,
    r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#,
    r#"[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]"#
);
spec_case!(
    batch_of_notifications_gets_no_reply,
    r#"[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"#,
    None
);

// Framing beyond the examples.
spec_case!(
    missing_jsonrpc_is_32600,
    r#"{"method": "sum", "params": [1], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 1}"#
);
spec_case!(
    wrong_jsonrpc_version_is_32600,
    r#"{"jsonrpc": "1.0", "method": "sum", "params": [1], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 1}"#
);
spec_case!(
    object_id_is_32600_with_null_id,
    r#"{"jsonrpc": "2.0", "method": "sum", "params": [1], "id": {"a": 1}}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#
);
spec_case!(
    scalar_params_are_32600,
    r#"{"jsonrpc": "2.0", "method": "sum", "params": 3, "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 1}"#
);
spec_case!(
    null_id_is_a_call_not_a_notification,
    r#"{"jsonrpc": "2.0", "method": "sum", "params": [1, 1], "id": null}"#,
    r#"{"jsonrpc": "2.0", "result": 2, "id": null}"#
);

// Params: by name, by position, tuples, sequences, none.
spec_case!(
    positional_params_follow_declaration_order_not_the_alphabet,
    r#"{"jsonrpc": "2.0", "method": "interval.length", "params": [2, 10], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "result": 8, "id": 1}"#
);
spec_case!(
    too_many_positional_params_are_32602,
    r#"{"jsonrpc": "2.0", "method": "interval.length", "params": [2, 10, 11], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32602, "message": "'interval.length' takes at most 2 positional params (start, end), got 3"}, "id": 1}"#
);
spec_case!(
    tuple_params_by_position,
    r#"{"jsonrpc": "2.0", "method": "pair", "params": ["ab", 3], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "result": "ababab", "id": 1}"#
);
spec_case!(
    tuple_params_by_name_are_32602,
    r#"{"jsonrpc": "2.0", "method": "pair", "params": {"a": "ab"}, "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32602, "message": "'pair' takes its params by position (an array)"}, "id": 1}"#
);
spec_case!(
    no_params_absent,
    r#"{"jsonrpc": "2.0", "method": "get_data", "id": 1}"#,
    r#"{"jsonrpc": "2.0", "result": ["hello", 5], "id": 1}"#
);
spec_case!(
    no_params_empty_array,
    r#"{"jsonrpc": "2.0", "method": "get_data", "params": [], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "result": ["hello", 5], "id": 1}"#
);
spec_case!(
    no_params_empty_object,
    r#"{"jsonrpc": "2.0", "method": "get_data", "params": {}, "id": 1}"#,
    r#"{"jsonrpc": "2.0", "result": ["hello", 5], "id": 1}"#
);
spec_case!(
    params_to_a_method_taking_none_are_32602,
    r#"{"jsonrpc": "2.0", "method": "get_data", "params": [1], "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": -32602, "message": "'get_data' takes no params"}, "id": 1}"#
);
spec_case!(
    handler_errors_reach_the_caller_whole,
    r#"{"jsonrpc": "2.0", "method": "fail", "id": 1}"#,
    r#"{"jsonrpc": "2.0", "error": {"code": 42, "message": "the answer"}, "id": 1}"#
);

/// Ids come back byte for byte as written, even where jsonrpsee could not hold them.
#[test]
fn ids_are_echoed_exactly_as_written() {
    for id in [
        "18446744073709551617",
        "9007199254740993",
        "-1",
        "1.5",
        "1e3",
        r#""abc""#,
        r#""\u00e9""#,
        "null",
        "0",
    ] {
        let input = format!(r#"{{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":{id}}}"#);
        assert_eq!(
            call(&input).unwrap(),
            format!(r#"{{"jsonrpc":"2.0","result":3,"id":{id}}}"#)
        );
    }
}

#[test]
fn invalid_params_list_every_violation_with_its_path() {
    let reply =
        call(r#"{"jsonrpc":"2.0","method":"notes.save","params":{"title":"","body":7},"id":1}"#)
            .unwrap();
    assert_eq!(
        reply,
        concat!(
            r#"{"jsonrpc":"2.0","error":{"code":-32602,"message":"invalid params for 'notes.save': /body: 7 is not of type \"string\"; /title: \"\" is shorter than 1 character","#,
            r#""data":{"errors":[{"message":"7 is not of type \"string\"","path":"/body"},{"message":"\"\" is shorter than 1 character","path":"/title"}],"method":"notes.save"}},"id":1}"#
        )
    );
}

#[test]
fn unknown_fields_are_refused_where_the_type_denies_them() {
    let reply = call(r#"{"jsonrpc":"2.0","method":"notes.save","params":{"title":"a","body":"b","color":"red"},"id":1}"#).unwrap();
    let v: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v["error"]["code"], -32602);
    assert_eq!(v["error"]["data"]["errors"][0]["path"], "");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'color' was unexpected"),
        "{reply}"
    );
}

#[test]
fn optional_fields_may_be_left_out_or_given() {
    assert_eq!(
        call(
            r#"{"jsonrpc":"2.0","method":"notes.save","params":{"title":"a","body":"bb"},"id":1}"#
        )
        .unwrap(),
        r#"{"jsonrpc":"2.0","result":"a:2:None","id":1}"#
    );
    assert_eq!(
        call(r#"{"jsonrpc":"2.0","method":"notes.save","params":["a","bb",true],"id":1}"#).unwrap(),
        r#"{"jsonrpc":"2.0","result":"a:2:Some(true)","id":1}"#
    );
}

#[test]
fn a_panicking_handler_fails_only_its_own_call() {
    let rt = rt();
    let ep = endpoint();
    let reply = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"explode","id":1}"#))
        .unwrap();
    assert_eq!(
        reply,
        r#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"the handler of 'explode' panicked: kaboom"},"id":1}"#
    );
    let after = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[2,2],"id":2}"#))
        .unwrap();
    assert_eq!(after, r#"{"jsonrpc":"2.0","result":4,"id":2}"#);
    assert_eq!(ep.router().stats().in_flight(), 0);
}

#[test]
#[cfg(debug_assertions)]
fn a_result_that_breaks_its_schema_is_32603_in_debug_builds() {
    let reply = call(r#"{"jsonrpc":"2.0","method":"zero","id":1}"#).unwrap();
    let v: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(v["error"]["code"], -32603, "{reply}");
    assert_eq!(v["error"]["data"]["errors"][0]["path"], "");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("0 is less than the minimum of 1"),
        "{reply}"
    );
}

#[test]
fn slow_calls_complete_out_of_order_and_a_fast_one_overtakes_them() {
    let rt = rt();
    let ep = endpoint();
    let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..100u64 {
            let (ep, order) = (ep.clone(), order.clone());
            // Later calls finish sooner, 9 ms apart so that a loaded machine keeps the order.
            let ms = 1000 - 9 * i;
            tasks.push(tokio::spawn(async move {
                let r = ep
                    .handle(&format!(
                        r#"{{"jsonrpc":"2.0","method":"sleep","params":[{ms}],"id":{i}}}"#
                    ))
                    .await;
                order.lock().unwrap().push(i);
                r
            }));
        }
        // Wait for all 100 to be running (a condition, not a fixed sleep).
        while ep.router().stats().in_flight() < 100 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(ep.router().stats().in_flight(), 100);
        let fast = ep
            .handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":"fast"}"#)
            .await;
        assert_eq!(fast.unwrap(), r#"{"jsonrpc":"2.0","result":1,"id":"fast"}"#);
        assert!(
            order.lock().unwrap().is_empty(),
            "the fast call settled before any slow one"
        );
        for t in tasks {
            assert!(t.await.unwrap().unwrap().contains("\"result\""));
        }
    });
    let order = order.lock().unwrap();
    assert_eq!(order.len(), 100);
    assert_eq!(
        order[0], 99,
        "the call with the shortest sleep finished first"
    );
    assert_eq!(ep.router().stats().in_flight(), 0);
}

#[test]
fn a_dropped_call_still_runs_to_completion() {
    let rt = rt();
    let ep = endpoint();
    rt.block_on(async {
        let fut = ep.handle(r#"{"jsonrpc":"2.0","method":"sleep","params":[100],"id":1}"#);
        // Poll once so the handler starts, then drop the caller (a closed window).
        let _ = tokio::time::timeout(Duration::from_millis(20), fut).await;
        assert_eq!(ep.router().stats().in_flight(), 1);
        // Nobody waits for it: it finishes by itself (a condition with a generous deadline).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while ep.router().stats().in_flight() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    assert_eq!(ep.router().stats().handler_runs(), 1);
    assert_eq!(ep.router().stats().in_flight(), 0);
}

#[test]
fn methods_outside_the_allowlist_are_refused_before_running() {
    let router = Api::new()
        .method("sum", sum)
        .method("subtract", subtract)
        .build()
        .unwrap();
    let ep = Endpoint::new(
        &router,
        CallSite::new("main", "app://localhost"),
        Allow::only(["sum"]),
    );
    let reply = rt()
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"subtract","params":[1,2],"id":1}"#))
        .unwrap();
    assert_eq!(
        reply,
        r#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"Method not allowed","data":{"method":"subtract","origin":"app://localhost","window":"main"}},"id":1}"#
    );
    assert_eq!(router.stats().handler_runs(), 0);
}

#[test]
fn oversized_messages_and_batches_are_refused_with_the_limit() {
    let router = Api::new()
        .method("sum", sum)
        .limits(rpcview::Limits {
            max_message_bytes: 64,
            max_batch_len: 2,
            ..rpcview::Limits::default()
        })
        .build()
        .unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    let rt = rt();
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"sum","params":[{}],"id":1}}"#,
        vec!["1"; 40].join(",")
    );
    assert_eq!(
        rt.block_on(ep.handle(&big)).unwrap(),
        format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":-32007,"message":"Request too large","data":{{"limit":64,"size":{},"unit":"bytes"}}}},"id":1}}"#,
            big.len()
        )
    );
    let big_call = format!(
        r#"{{"jsonrpc":"2.0","method":"sum","params":[{}],"id":"big"}}"#,
        vec!["1"; 40].join(",")
    );
    assert!(
        rt.block_on(ep.handle(&big_call))
            .unwrap()
            .ends_with(r#""id":"big"}"#),
        "answered by its own id"
    );
    let big_note = format!(
        r#"{{"jsonrpc":"2.0","method":"sum","params":[{}]}}"#,
        vec!["1"; 40].join(",")
    );
    assert_eq!(
        rt.block_on(ep.handle(&big_note)),
        None,
        "a notification gets no reply, even when too large"
    );
    assert_eq!(
        rt.block_on(ep.handle("[1,2,3]")).unwrap(),
        r#"{"jsonrpc":"2.0","error":{"code":-32007,"message":"Request too large","data":{"limit":2,"size":3,"unit":"batch entries"}},"id":null}"#
    );
}

#[test]
fn deep_nesting_long_names_and_lone_surrogate_ids_are_refused_by_limit() {
    let router = Api::new().method("sum", sum).build().unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    let rt = rt();
    let deep = format!(
        r#"{{"jsonrpc":"2.0","method":"sum","params":{}{},"id":9}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let reply = rt.block_on(ep.handle(&deep)).unwrap();
    assert!(
        reply.contains(r#""code":-32007"#)
            && reply.contains(r#""unit":"levels of nesting""#)
            && reply.ends_with(r#""id":9}"#),
        "{reply}"
    );
    let name = "x".repeat(1 << 20);
    let long = format!(r#"{{"jsonrpc":"2.0","method":"{name}","id":1}}"#);
    let reply = rt.block_on(ep.handle(&long)).unwrap();
    assert!(
        reply.contains(r#""code":-32600"#) && reply.contains("max_method_len"),
        "{reply}"
    );
    assert!(
        reply.len() < 512,
        "the name is not echoed whole: {} bytes",
        reply.len()
    );
    let surrogate = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":"\ud800"}"#))
        .unwrap();
    assert_eq!(
        surrogate,
        r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"id must be a string, a number or null"},"id":null}"#,
        "a lone surrogate is not echoed"
    );
    let huge = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":1e999}"#))
        .unwrap();
    assert!(
        huge.ends_with(r#""id":null}"#),
        "a number no double holds is not echoed: {huge}"
    );
    let paired = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":"\ud83d\ude00"}"#))
        .unwrap();
    assert!(paired.ends_with(r#""id":"\ud83d\ude00"}"#), "{paired}");
    assert_eq!(
        rt.block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1],"id":1}"#))
            .unwrap(),
        r#"{"jsonrpc":"2.0","result":1,"id":1}"#,
        "and the host keeps serving"
    );
}

#[test]
fn duplicate_and_reserved_names_fail_at_build() {
    let dup = Api::new().method("sum", sum).method("sum", sum).build();
    assert_eq!(
        dup.err().unwrap().to_string(),
        "'sum' is registered twice; give one of them another name"
    );
    let reserved = Api::new().method("rpc.sum", sum).build();
    assert!(reserved
        .err()
        .unwrap()
        .to_string()
        .contains("not starting with 'rpc.'"));
}

#[test]
fn calls_beyond_the_in_flight_limit_are_refused_until_some_finish() {
    let router = Api::new()
        .method("sleep", sleep_ms)
        .limits(rpcview::Limits {
            max_in_flight: 2,
            ..rpcview::Limits::default()
        })
        .build()
        .unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    let rt = rt();
    rt.block_on(async {
        let slow: Vec<_> = (0..2)
            .map(|i| {
                let ep = ep.clone();
                tokio::spawn(async move {
                    ep.handle(&format!(r#"{{"jsonrpc":"2.0","method":"sleep","params":[200],"id":{i}}}"#)).await
                })
            })
            .collect();
        while ep.router().stats().in_flight() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let busy = ep.handle(r#"{"jsonrpc":"2.0","method":"sleep","params":[1],"id":9}"#).await.unwrap();
        assert_eq!(
            busy,
            r#"{"jsonrpc":"2.0","error":{"code":-32009,"message":"Too many calls in flight; try again when some have finished","data":{"limit":2,"unit":"calls in flight"}},"id":9}"#
        );
        // rpc.discover (whose reply is the whole document) counts like any call.
        let discover = ep.handle(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":11}"#).await.unwrap();
        assert!(discover.contains(r#""code":-32009"#), "{discover}");
        for t in slow {
            assert!(t.await.unwrap().unwrap().contains(r#""result":200"#));
        }
        let after = ep.handle(r#"{"jsonrpc":"2.0","method":"sleep","params":[1],"id":10}"#).await.unwrap();
        assert_eq!(after, r#"{"jsonrpc":"2.0","result":1,"id":10}"#);
        let discover = ep.handle(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":12}"#).await.unwrap();
        assert!(discover.contains(r#""openrpc""#), "{discover}");
    });
}

/// Two blocking handlers hold their threads until the async call has been answered: if they
/// ran on the runtime's (single) worker, that answer could never come and the test would time
/// out instead.
#[test]
fn blocking_handlers_do_not_delay_async_calls() {
    use std::sync::{Arc, Condvar, Mutex};
    let gate: Arc<(Mutex<bool>, Condvar)> = Arc::default();
    let g = gate.clone();
    let router = Api::new()
        .blocking_method("disk.slow", move |_: Ctx, _: ()| {
            let (open, cv) = &*g;
            let mut open = open.lock().unwrap();
            while !*open {
                open = cv.wait(open).unwrap();
            }
            Ok::<_, RpcError>("done")
        })
        .method("sum", sum)
        .build()
        .unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let slow: Vec<_> = (1..=2)
            .map(|i| {
                let ep = ep.clone();
                tokio::spawn(async move {
                    ep.handle(&format!(
                        r#"{{"jsonrpc":"2.0","method":"disk.slow","id":{i}}}"#
                    ))
                    .await
                })
            })
            .collect();
        // Both blocking handlers are running (and blocked) before the async call is made.
        while router.stats().in_flight() < 2 {
            tokio::task::yield_now().await;
        }
        let fast = tokio::time::timeout(
            Duration::from_secs(60),
            ep.handle(r#"{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":3}"#),
        )
        .await
        .expect("an async call is answered while blocking handlers hold their threads");
        assert_eq!(fast.unwrap(), r#"{"jsonrpc":"2.0","result":3,"id":3}"#);
        assert_eq!(router.stats().in_flight(), 2, "the blocking ones still run");
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        for (i, task) in slow.into_iter().enumerate() {
            let reply = task.await.unwrap().unwrap();
            assert_eq!(
                reply,
                format!(r#"{{"jsonrpc":"2.0","result":"done","id":{}}}"#, i + 1)
            );
        }
    });
    assert_eq!(router.stats().in_flight(), 0);
}

#[test]
fn a_panicking_blocking_handler_is_an_internal_error() {
    let router = Api::new()
        .blocking_method("boom", |_: Ctx, _: ()| -> Result<(), RpcError> {
            panic!("blocking kaboom")
        })
        .build()
        .unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    let reply = rt()
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"boom","id":1}"#))
        .unwrap();
    assert_eq!(
        reply,
        r#"{"jsonrpc":"2.0","error":{"code":-32603,"message":"the handler of 'boom' panicked: blocking kaboom"},"id":1}"#
    );
    assert_eq!(router.stats().in_flight(), 0);
}

/// `$/cancelRequest` drops the handler of the same page's call with that id, and no other.
#[test]
fn cancel_request_reaches_only_the_same_pages_call() {
    let router = Api::new().method("sleep", sleep_ms).build().unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    rt().block_on(async {
        let call = |page: &'static str| {
            let ep = ep.clone();
            tokio::spawn(async move {
                ep.handle_from(page, r#"{"jsonrpc":"2.0","method":"sleep","params":[60000],"id":1}"#)
                    .await
            })
        };
        let (a, b) = (call("page-a"), call("page-b"));
        while router.stats().in_flight() < 2 {
            tokio::task::yield_now().await;
        }
        let cancel = r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#;
        assert_eq!(ep.handle_from("page-b", cancel).await, None, "a notification");
        let reply = b.await.unwrap().unwrap();
        assert_eq!(
            reply,
            r#"{"jsonrpc":"2.0","error":{"code":-32800,"message":"the call to 'sleep' was cancelled"},"id":1}"#
        );
        assert_eq!(router.stats().in_flight(), 1, "page-a's call runs on");
        assert!(!a.is_finished());
        // Positional, and before the call has started: it is cancelled as it starts.
        ep.handle_from("page-c", r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":[9]}"#)
            .await;
        let early = ep
            .handle_from("page-c", r#"{"jsonrpc":"2.0","method":"sleep","params":[60000],"id":9}"#)
            .await
            .unwrap();
        assert!(early.contains("-32800"), "{early}");
        ep.handle_from("page-a", cancel).await;
        assert!(a.await.unwrap().unwrap().contains("-32800"));
    });
    assert_eq!(router.stats().in_flight(), 0);
    let bad = rt()
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{},"id":5}"#))
        .unwrap();
    assert!(
        bad.contains("-32602") && bad.contains("takes the id of the call"),
        "{bad}"
    );
}
