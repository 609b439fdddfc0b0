//! Browser mode (`rpcview::serve`) from Rust: jsonrpsee's WebSocket client, a JSON-RPC client
//! that knows nothing of rpcview, against a [`Server`] on a free port of 127.0.0.1: a call, a
//! validation error, a batch, a notification, pushes received by method name; a closed
//! socket cancelling its page's calls; and every refusal (token, Origin, Host) checked with a
//! raw HTTP client before any handler runs.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee_core::client::{ClientT, SubscriptionClientT};
use jsonrpsee_core::params::BatchRequestBuilder;
use jsonrpsee_core::rpc_params;
use jsonrpsee_ws_client::{HeaderMap, HeaderValue, WsClientBuilder};
use rpcview::serve::{Server, WS_PATH};
use rpcview::{Allow, Api, Ctx, RpcError, Target, Window};
use schemars::JsonSchema;
use serde::Deserialize;

/// Generous: the machine may be loaded.
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Deserialize, JsonSchema)]
struct Add {
    a: i64,
    #[schemars(range(min = 0))]
    b: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Line {
    message: String,
}

/// The test API: `math.add`, `slow` (counts its drops), `app.log` (pushes `app.logged` to
/// every window), `secret` (not in the window's allowlist).
fn api(dropped: Arc<AtomicUsize>) -> Api {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    Api::new()
        .method("math.add", |_: Ctx, p: Add| async move {
            Ok::<_, RpcError>(p.a + p.b)
        })
        .method("slow", move |_: Ctx, _: ()| {
            let counted = Counted(dropped.clone());
            async move {
                let _counted = counted;
                rpcview::tokio::time::sleep(Duration::from_secs(600)).await;
                Ok::<_, RpcError>(())
            }
        })
        .notification("app.log", |ctx: Ctx, line: Line| async move {
            ctx.emit(Target::All, "app.logged", &line.message).unwrap();
        })
        .event::<String>("app.logged")
        .method("secret", |_: Ctx, _: ()| async { Ok::<_, RpcError>(42) })
}

/// A server on a free port, stopped when dropped.
struct Running {
    url: String,
    port: u16,
    token: String,
    origin: String,
    router: rpcview::Router,
    task: tokio::task::JoinHandle<Result<(), rpcview::serve::ServeError>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn start(dropped: Arc<AtomicUsize>) -> Running {
    let bound = Server::new(api(dropped))
        .window(Window::new("main").allow(Allow::only(["math.*", "slow", "app.*"])))
        .bind()
        .unwrap();
    // What a person would open; parsed here as the node tests parse the demo's output.
    let url = bound.url();
    let (base, token) = url.split_once("/?token=").unwrap();
    let port = base.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(
        bound.ws_url(),
        format!("ws://127.0.0.1:{port}{WS_PATH}?token={token}")
    );
    Running {
        url: bound.ws_url(),
        port,
        token: token.to_owned(),
        origin: bound.origin().to_owned(),
        router: bound.router().clone(),
        task: tokio::spawn(bound.serve()),
    }
}

async fn client(server: &Running) -> jsonrpsee_ws_client::WsClient {
    let mut headers = HeaderMap::new();
    headers.insert("Origin", HeaderValue::from_str(&server.origin).unwrap());
    WsClientBuilder::default()
        .set_headers(headers)
        .request_timeout(TIMEOUT)
        .build(&server.url)
        .await
        .unwrap()
}

async fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonrpsee_calls_batches_notifies_and_receives_pushes() {
    let server = start(Arc::default());
    let client = client(&server).await;

    let sum: i64 = client.request("math.add", rpc_params![2, 3]).await.unwrap();
    assert_eq!(sum, 5);

    let bad = client
        .request::<i64, _>("math.add", rpc_params![2, -1])
        .await
        .unwrap_err();
    let jsonrpsee_core::ClientError::Call(e) = bad else {
        panic!("not a JSON-RPC error: {bad}")
    };
    assert_eq!(e.code(), -32602, "{e}");
    assert!(e.message().contains("/b"), "{e}");

    let refused = client
        .request::<i64, _>("secret", rpc_params![])
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("not allowed"), "{refused}");

    let mut batch = BatchRequestBuilder::new();
    batch.insert("math.add", rpc_params![1, 1]).unwrap();
    batch.insert("math.add", rpc_params![1, "x"]).unwrap();
    batch.insert("math.add", rpc_params![20, 22]).unwrap();
    let replies = client.batch_request::<i64>(batch).await.unwrap();
    let replies: Vec<Result<i64, i32>> = replies
        .into_iter()
        .map(|r| r.map_err(|e| e.code()))
        .collect();
    assert_eq!(replies, [Ok(2), Err(-32602), Ok(42)]);

    // A notification from this client makes the host push to every page: this one too.
    let mut logged = client
        .subscribe_to_method::<String>("app.logged")
        .await
        .unwrap();
    client
        .notification("app.log", rpc_params!["hello from jsonrpsee"])
        .await
        .unwrap();
    let pushed = tokio::time::timeout(TIMEOUT, logged.next())
        .await
        .expect("a push within the timeout")
        .unwrap()
        .unwrap();
    assert_eq!(pushed, "hello from jsonrpsee");

    // Pushes from outside any call (a watcher, a timer) reach it too, by window label.
    server
        .router
        .emitter()
        .emit(Target::Window("main".into()), "app.logged", &"from Rust")
        .unwrap();
    let pushed = tokio::time::timeout(TIMEOUT, logged.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(pushed, "from Rust");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_socket_cancels_its_calls() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let server = start(dropped.clone());
    let client = client(&server).await;
    let call = tokio::spawn(async move {
        let _ = client.request::<(), _>("slow", rpc_params![]).await;
        client // keeps the socket open until the task is aborted
    });
    let stats = server.router.stats().clone();
    eventually("the slow call to start", || stats.in_flight() == 1).await;
    call.abort(); // drops the client: the socket closes
    eventually("the slow handler to be dropped", || {
        dropped.load(Ordering::SeqCst) == 1
    })
    .await;
    eventually("no call in flight", || stats.in_flight() == 0).await;
}

/// Sends a WebSocket upgrade by hand; returns the status line.
fn upgrade(port: u16, path: &str, host: Option<&str>, origin: Option<&str>) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\n");
    if let Some(host) = host {
        req += &format!("Host: {host}\r\n");
    }
    if let Some(origin) = origin {
        req += &format!("Origin: {origin}\r\n");
    }
    req += "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    stream.write_all(req.as_bytes()).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n") && stream.read(&mut byte).unwrap() == 1 {
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap().trim_end().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_without_the_token_origin_or_host_are_refused_before_any_handler() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let server = start(Arc::default());
    let (port, token) = (server.port, server.token.clone());
    let host = format!("127.0.0.1:{port}");
    let ok_path = format!("{WS_PATH}?token={token}");
    let wrong_token = format!("{WS_PATH}?token={}", "0".repeat(64));
    let own = server.origin.clone();
    // (what, path, Host, Origin, the status expected)
    type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str);
    let cases: [Case; 8] = [
        ("accepted", &ok_path, Some(&host), Some(&own), "101"),
        (
            "localhost",
            &ok_path,
            Some(&format!("localhost:{port}")),
            Some(&format!("http://localhost:{port}")),
            "101",
        ),
        ("no token", WS_PATH, Some(&host), Some(&own), "403"),
        ("wrong token", &wrong_token, Some(&host), Some(&own), "403"),
        (
            "another origin",
            &ok_path,
            Some(&host),
            Some("https://evil.example"),
            "403",
        ),
        ("no origin", &ok_path, Some(&host), None, "403"),
        (
            "another host (DNS rebinding)",
            &ok_path,
            Some(&format!("evil.example:{port}")),
            Some(&own),
            "403",
        ),
        ("no host", &ok_path, None, Some(&own), "403"),
    ];
    let runs_before = server.router.stats().handler_runs();
    for (what, path, host, origin, status) in cases {
        let (path, host, origin) = (
            path.to_owned(),
            host.map(str::to_owned),
            origin.map(str::to_owned),
        );
        let line = tokio::task::spawn_blocking(move || {
            upgrade(port, &path, host.as_deref(), origin.as_deref())
        })
        .await
        .unwrap();
        assert!(
            line.starts_with(&format!("HTTP/1.1 {status}")),
            "{what}: {line}"
        );
    }
    assert_eq!(
        server.router.stats().handler_runs(),
        runs_before,
        "no handler ran"
    );
}

/// A WebSocket text frame as a client sends it (masked, here with a zero key).
fn client_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x81];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n if n < 65536 => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend_from_slice(payload);
    frame
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_silent_connections_are_bounded_and_timed_out() {
    let server = start(Arc::default());
    let port = server.port;
    // More idle connections than the server serves at once; none sends a byte.
    let idle = tokio::task::spawn_blocking(move || {
        (0..300)
            .map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    // A good client is still answered (the idle ones are closed after the header timeout).
    let mut headers = HeaderMap::new();
    headers.insert("Origin", HeaderValue::from_str(&server.origin).unwrap());
    let client = WsClientBuilder::default()
        .set_headers(headers)
        .connection_timeout(TIMEOUT)
        .request_timeout(TIMEOUT)
        .build(&server.url)
        .await
        .unwrap();
    let sum: i64 = client.request("math.add", rpc_params![2, 3]).await.unwrap();
    assert_eq!(sum, 5);
    // A silent connection is closed by the server, not held forever.
    let closed = tokio::task::spawn_blocking(move || {
        let mut first = idle.into_iter().next().unwrap();
        first.set_read_timeout(Some(TIMEOUT)).unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 64];
        let n = first.read(&mut buf);
        (n.map_err(|e| e.kind()), started.elapsed())
    })
    .await
    .unwrap();
    assert!(
        matches!(closed.0, Ok(0) | Err(std::io::ErrorKind::ConnectionReset)),
        "{closed:?}"
    );
    assert!(closed.1 < TIMEOUT, "{closed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_reads_is_closed_before_its_replies_pile_up() {
    let server = start(Arc::default());
    let (port, token, origin) = (server.port, server.token.clone(), server.origin.clone());
    let outcome = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_write_timeout(Some(TIMEOUT)).unwrap();
        let req = format!(
            "GET {WS_PATH}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n\
             Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).unwrap();
        // Batches of rpc.discover (each reply is the whole document), and never a read.
        let batch = format!(
            "[{}]",
            vec![r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#; 20].join(",")
        );
        let frame = client_frame(batch.as_bytes());
        let started = Instant::now();
        let mut sent = 0usize;
        while started.elapsed() < TIMEOUT * 2 {
            if let Err(e) = stream.write_all(&frame) {
                return Ok((sent, e.kind()));
            }
            sent += 1;
        }
        Err(sent)
    })
    .await
    .unwrap();
    let (sent, why) = outcome.expect("the server never closed the socket");
    assert!(
        matches!(
            why,
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        ),
        "{why:?} after {sent} frames"
    );
    // The server goes on serving others.
    let client = client(&server).await;
    let sum: i64 = client.request("math.add", rpc_params![1, 1]).await.unwrap();
    assert_eq!(sum, 2);
}
