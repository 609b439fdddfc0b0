//! Subscriptions without a window: the wire, backpressure, unsubscribe, and what a page may
//! and may not do to other pages' streams. The host enforces all of it; the preload only
//! follows the protocol.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, Limits, RpcError, Sink};
use serde_json::Value;

const WINDOW: usize = 8;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An endpoint whose outbox feeds `rx`, over an API with a counted stream.
fn endpoint(sent: Arc<AtomicU64>, limits: Limits) -> (Endpoint, mpsc::Receiver<(String, Value)>) {
    let router = Api::new()
        .limits(limits)
        .subscription("count", move |_: Ctx, (n,): (u64,), sink: Sink<u64>| {
            let sent = sent.clone();
            async move {
                for i in 0..n {
                    sink.send(&i).await?;
                    sent.fetch_add(1, Ordering::SeqCst);
                }
                Ok(())
            }
        })
        .subscription("broken", |_: Ctx, _: (), _: Sink<u8>| async move {
            Err(RpcError::new(77, "no source"))
        })
        .subscription("panics", |_: Ctx, _: (), _: Sink<u8>| async move {
            panic!("stream kaboom")
        })
        .build()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let ep = Endpoint::new(
        &router,
        CallSite::new("main", "app://localhost"),
        Allow::all(),
    )
    .with_outbox(move |scope, text| {
        let _ = tx.send((scope.to_owned(), serde_json::from_str(&text).unwrap()));
    });
    (ep, rx)
}

fn limits() -> Limits {
    Limits {
        subscription_window: WINDOW,
        ..Limits::default()
    }
}

fn next(rx: &mpsc::Receiver<(String, Value)>) -> (String, Value) {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("a message in the outbox")
}

/// Waits until `cond`, polling; panics after 10 s.
fn wait(cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "condition not met in 10 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn the_reply_precedes_the_items_which_wait_for_acknowledgements() {
    let rt = rt();
    let sent = Arc::new(AtomicU64::new(0));
    let (ep, rx) = endpoint(sent.clone(), limits());
    let reply = rt.block_on(ep.handle_from(
        "page",
        r#"{"jsonrpc":"2.0","method":"count","params":[20],"id":1}"#,
    ));
    assert_eq!(reply, None, "the reply goes through the outbox");
    let (scope, first) = next(&rx);
    assert_eq!(scope, "page");
    assert_eq!(first["id"], 1);
    let id = first["result"]
        .as_str()
        .expect("a subscription id")
        .to_owned();
    for i in 0..WINDOW as u64 {
        let (_, item) = next(&rx);
        assert_eq!(item["method"], "count");
        assert_eq!(
            item["params"],
            serde_json::json!({"subscription": id, "result": i})
        );
    }
    // No acknowledgement: the handler waits with exactly one window sent.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sent.load(Ordering::SeqCst), WINDOW as u64);
    assert!(rx.try_recv().is_err());
    // Acknowledging more than was sent opens the window no wider than the limit.
    let ack = format!(
        r#"{{"jsonrpc":"2.0","method":"$/ack","params":{{"subscription":"{id}","n":1000000}}}}"#
    );
    assert_eq!(rt.block_on(ep.handle_from("page", &ack)), None);
    wait(|| sent.load(Ordering::SeqCst) == 2 * WINDOW as u64);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sent.load(Ordering::SeqCst), 2 * WINDOW as u64);
    // Another page's acknowledgement does nothing.
    assert_eq!(rt.block_on(ep.handle_from("other page", &ack)), None);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sent.load(Ordering::SeqCst), 2 * WINDOW as u64);
    // The rest, then the end.
    assert_eq!(rt.block_on(ep.handle_from("page", &ack)), None);
    let mut rest = Vec::new();
    loop {
        let (_, msg) = next(&rx);
        if msg["params"]["end"] == true {
            break;
        }
        rest.push(msg["params"]["result"].as_u64().unwrap());
    }
    assert_eq!(
        rest,
        (WINDOW as u64..20).collect::<Vec<_>>(),
        "every item once, in order"
    );
}

#[test]
fn a_stream_ends_with_end_or_with_its_error_and_a_panic_is_an_error() {
    let rt = rt();
    let (ep, rx) = endpoint(Arc::default(), limits());
    rt.block_on(ep.handle_from(
        "p",
        r#"{"jsonrpc":"2.0","method":"count","params":[0],"id":1}"#,
    ));
    let (_, reply) = next(&rx);
    let id = reply["result"].as_str().unwrap().to_owned();
    let (_, end) = next(&rx);
    assert_eq!(
        end["params"],
        serde_json::json!({"subscription": id, "end": true})
    );

    rt.block_on(ep.handle_from("p", r#"{"jsonrpc":"2.0","method":"broken","id":2}"#));
    let _ = next(&rx);
    let (_, end) = next(&rx);
    assert_eq!(
        end["params"]["error"],
        serde_json::json!({"code": 77, "message": "no source"})
    );

    rt.block_on(ep.handle_from("p", r#"{"jsonrpc":"2.0","method":"panics","id":3}"#));
    let _ = next(&rx);
    let (_, end) = next(&rx);
    assert_eq!(end["params"]["error"]["code"], -32603);
    assert!(end["params"]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("stream kaboom"));
    wait(|| ep.router().stats().subscriptions() == 0);
}

#[test]
fn only_the_page_that_subscribed_can_unsubscribe_and_its_task_ends() {
    let rt = rt();
    let sent = Arc::new(AtomicU64::new(0));
    let (ep, rx) = endpoint(sent.clone(), limits());
    rt.block_on(ep.handle_from(
        "page",
        r#"{"jsonrpc":"2.0","method":"count","params":[1000000],"id":1}"#,
    ));
    let id = next(&rx).1["result"].as_str().unwrap().to_owned();
    wait(|| ep.router().stats().subscriptions() == 1);
    let unsub = format!(
        r#"{{"jsonrpc":"2.0","method":"$/unsubscribe","params":{{"subscription":"{id}"}},"id":9}}"#
    );
    let theirs = rt.block_on(ep.handle_from("intruder", &unsub)).unwrap();
    assert_eq!(theirs, r#"{"jsonrpc":"2.0","result":false,"id":9}"#);
    assert_eq!(ep.subscriptions(), 1);
    let mine = rt.block_on(ep.handle_from("page", &unsub)).unwrap();
    assert_eq!(mine, r#"{"jsonrpc":"2.0","result":true,"id":9}"#);
    wait(|| ep.router().stats().subscriptions() == 0 && ep.subscriptions() == 0);
    // Nothing more is sent, not even an end: the page asked for the stop.
    std::thread::sleep(Duration::from_millis(50));
    let after: Vec<_> = rx.try_iter().collect();
    assert!(
        after.iter().all(|(_, m)| m["params"].get("end").is_none()),
        "{after:?}"
    );
}

#[test]
fn cancel_running_ends_every_stream_as_a_closed_window_does() {
    let rt = rt();
    let (ep, rx) = endpoint(Arc::default(), limits());
    for id in 1..=3 {
        let msg = format!(r#"{{"jsonrpc":"2.0","method":"count","params":[1000000],"id":{id}}}"#);
        rt.block_on(ep.handle_from("page", &msg));
    }
    wait(|| ep.router().stats().subscriptions() == 3);
    assert_eq!(ep.cancel_running(), 3);
    wait(|| ep.router().stats().subscriptions() == 0);
    drop(rx);
}

#[test]
fn a_subscription_sent_as_a_notification_starts_nothing() {
    let rt = rt();
    let (ep, rx) = endpoint(Arc::default(), limits());
    assert_eq!(
        rt.block_on(ep.handle_from("p", r#"{"jsonrpc":"2.0","method":"count","params":[5]}"#)),
        None
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(rx.try_recv().is_err());
    assert_eq!(ep.router().stats().subscriptions(), 0);
}

#[test]
fn bad_params_and_the_subscription_limit_are_refused_before_anything_runs() {
    let rt = rt();
    let (ep, rx) = endpoint(
        Arc::default(),
        Limits {
            max_subscriptions: 1,
            ..limits()
        },
    );
    let bad = rt
        .block_on(ep.handle_from(
            "p",
            r#"{"jsonrpc":"2.0","method":"count","params":["x"],"id":1}"#,
        ))
        .unwrap();
    assert!(bad.contains("-32602"), "{bad}");
    rt.block_on(ep.handle_from(
        "p",
        r#"{"jsonrpc":"2.0","method":"count","params":[1000000],"id":2}"#,
    ));
    let _ = next(&rx);
    let busy = rt
        .block_on(ep.handle_from(
            "p",
            r#"{"jsonrpc":"2.0","method":"count","params":[1],"id":3}"#,
        ))
        .unwrap();
    assert!(
        busy.contains("-32009") && busy.contains("live subscriptions"),
        "{busy}"
    );
    ep.cancel_running();
}

#[test]
fn concurrent_subscribes_cannot_pass_the_limit_together() {
    let rt = rt();
    let (ep, _rx) = endpoint(
        Arc::default(),
        Limits {
            max_subscriptions: 4,
            ..limits()
        },
    );
    let accepted = rt.block_on(async {
        let tries: Vec<_> = (0..64)
            .map(|i| {
                let ep = ep.clone();
                tokio::spawn(async move {
                    let text = format!(
                        r#"{{"jsonrpc":"2.0","method":"count","params":[1000000],"id":{i}}}"#
                    );
                    ep.handle_from("p", &text).await.unwrap_or_default()
                })
            })
            .collect();
        let mut accepted = 0;
        for t in tries {
            let reply = t.await.unwrap();
            // An accepted subscribe is answered through the outbox (before its first item).
            if reply.is_empty() || reply.contains(r#""result""#) {
                accepted += 1;
            } else {
                assert!(reply.contains("-32009"), "{reply}");
            }
        }
        accepted
    });
    assert_eq!(accepted, 4);
    ep.cancel_running();
}

#[test]
fn without_an_outbox_subscribing_is_an_error_not_a_hang() {
    let rt = rt();
    let router = Api::new()
        .subscription("count", |_: Ctx, _: (), _: Sink<u8>| async move { Ok(()) })
        .build()
        .unwrap();
    let ep = Endpoint::new(&router, CallSite::default(), Allow::all());
    let reply = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"count","id":1}"#))
        .unwrap();
    assert!(
        reply.contains("-32603") && reply.contains("with_outbox"),
        "{reply}"
    );
}

#[test]
fn relay_is_refused_on_the_host_to_a_window_whose_allowlist_lacks_it() {
    let rt = rt();
    let router = Api::new().event::<String>("note").relay().build().unwrap();
    let ep = Endpoint::new(
        &router,
        CallSite::new("w", "app://localhost"),
        Allow::only(["note"]),
    );
    let reply = rt
        .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"rpcview.relay","params":{"to":"x","event":"note","payload":"hi"},"id":1}"#))
        .unwrap();
    assert!(reply.contains("-32001"), "{reply}");
}
