//! Fuzzing the host's untrusted-input path: the bridge's stamp check, JSON-RPC framing,
//! dispatch, params shaping and schema validation, on arbitrary bytes and on mutations of
//! valid messages. Runs on the stable toolchain (no coverage guidance: `cargo fuzz` needs
//! nightly), driven by a seeded generator so that any failure is reproducible from its seed.
//!
//! - `cargo test -p rpcview --lib fuzz`: a short run (part of `make test`);
//! - `make fuzz` (`RPCVIEW_FUZZ_EXECS=10000000 cargo test --release -p rpcview --lib
//!   fuzz::long -- --ignored --nocapture`): the long run; prints executions and rate.
//!
//! Invariants checked on every input: nothing panics or hangs; every reply (and every message
//! sent through the outbox) is JSON a strict parser reads, and every reply entry is JSON-RPC
//! 2.0 with exactly one of `result` and `error`; the bridge check never accepts a stamp from
//! another frame or origin.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Allow, Api, CallSite, Ctx, Endpoint, Limits, RpcError, Sink};

/// A small, fast, seeded generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Note {
    #[schemars(length(min = 1, max = 80))]
    title: String,
    #[serde(default)]
    tags: Vec<String>,
    #[schemars(range(min = 0, max = 10))]
    stars: Option<u8>,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind")]
enum Shape {
    Circle { r: f64 },
    Square { side: u32 },
}

fn router() -> crate::Router {
    Api::new()
        .limits(Limits {
            max_message_bytes: 64 * 1024,
            max_batch_len: 16,
            max_in_flight: 64,
            max_subscriptions: 4,
            subscription_window: 4,
            ..Limits::default()
        })
        .method("note.save", |_: Ctx, n: Note| async move {
            Ok::<_, RpcError>(n.title.len() + n.tags.len() + usize::from(n.stars.unwrap_or(0)))
        })
        .method("pair", |_: Ctx, (a, b): (String, i64)| async move {
            Ok::<_, RpcError>(format!("{a}{b}"))
        })
        .method("sum", |_: Ctx, xs: Vec<i64>| async move {
            Ok::<_, RpcError>(xs.iter().fold(0i64, |a, b| a.wrapping_add(*b)))
        })
        .method(
            "shape",
            |_: Ctx, s: Shape| async move { Ok::<_, RpcError>(s) },
        )
        .method(
            "echo",
            |_: Ctx, v: Value| async move { Ok::<_, RpcError>(v) },
        )
        .method("unit", |_: Ctx, _: ()| async move { Ok::<_, RpcError>(()) })
        .method("panics", |_: Ctx, _: ()| async move {
            if true {
                panic!("fuzz panic");
            }
            Ok::<_, RpcError>(())
        })
        .notification("log", |_: Ctx, _: String| async move {})
        .subscription("count", |_: Ctx, (n,): (u8,), sink: Sink<u8>| async move {
            for i in 0..n {
                sink.send(&i).await?;
            }
            Ok(())
        })
        .event::<Shape>("shape.changed")
        .relay()
        .build()
        .expect("the fuzz API builds")
}

/// Valid messages the mutations start from.
const SEEDS: &[&str] = &[
    r#"{"jsonrpc":"2.0","method":"note.save","params":{"title":"a","tags":["x"],"stars":3},"id":1}"#,
    r#"{"jsonrpc":"2.0","method":"note.save","params":["a",["x"],3],"id":"s"}"#,
    r#"{"jsonrpc":"2.0","method":"pair","params":["a",2],"id":null}"#,
    r#"{"jsonrpc":"2.0","method":"sum","params":[1,2,3],"id":-1.5}"#,
    r#"{"jsonrpc":"2.0","method":"shape","params":{"kind":"Circle","r":1.0},"id":7}"#,
    r#"{"jsonrpc":"2.0","method":"echo","params":[{"__proto__":{"a":1}}],"id":18446744073709551617}"#,
    r#"{"jsonrpc":"2.0","method":"unit","id":2}"#,
    r#"{"jsonrpc":"2.0","method":"panics","id":3}"#,
    r#"{"jsonrpc":"2.0","method":"log","params":["line"]}"#,
    r#"{"jsonrpc":"2.0","method":"count","params":[3],"id":4}"#,
    r#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#,
    r#"{"jsonrpc":"2.0","method":"$/unsubscribe","params":{"subscription":"1"},"id":5}"#,
    r#"{"jsonrpc":"2.0","method":"$/ack","params":{"subscription":"1","n":3}}"#,
    r#"{"jsonrpc":"2.0","method":"rpc.discover","id":6}"#,
    r#"{"jsonrpc":"2.0","method":"rpcview.relay","params":{"to":"x","event":"shape.changed","payload":{"kind":"Square","side":2}},"id":8}"#,
    r#"[{"jsonrpc":"2.0","method":"sum","params":[1],"id":1},{"jsonrpc":"2.0","method":"log","params":["x"]}]"#,
];

/// Fragments spliced into inputs: what breaks parsers and limits.
const FRAGMENTS: &[&str] = &[
    "\"\\ud800\"",
    "\"\\udc00\\ud800\"",
    "1e309",
    "-0",
    "18446744073709551616",
    "[[[[[[[[",
    "]]]]",
    "{\"__proto__\":",
    "null",
    "\"id\":",
    "\"method\":",
    "\"params\":",
    "\"jsonrpc\":\"1.0\"",
    "\u{0}",
    "\u{feff}",
    "\\",
    "\"",
    ",",
    ":",
    "{}",
    "[]",
    "true",
    "\"$/ack\"",
    "\"rpc.discover\"",
];

/// The next input: a seed mutated a few times, random bytes, or deep nesting.
fn input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => (0..rng.below(300)).map(|_| rng.next() as u8).collect(),
        1 => {
            let n = 1 + rng.below(200);
            let mut s = r#"{"jsonrpc":"2.0","method":"echo","id":1,"params":"#.to_string();
            s.push_str(&"[".repeat(n));
            s.push_str(&"]".repeat(rng.below(n + 2)));
            s.push('}');
            s.into_bytes()
        }
        _ => {
            let mut bytes = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len() + 1);
                match rng.below(5) {
                    0 if !bytes.is_empty() => {
                        let i = rng.below(bytes.len());
                        bytes[i] = rng.next() as u8;
                    }
                    1 if !bytes.is_empty() => {
                        let end = (at + rng.below(8)).min(bytes.len());
                        bytes.drain(at.min(end)..end);
                    }
                    2 => {
                        let other = SEEDS[rng.below(SEEDS.len())].as_bytes();
                        let from = rng.below(other.len());
                        let to = (from + rng.below(40)).min(other.len());
                        bytes.splice(at..at, other[from..to].iter().copied());
                    }
                    _ => {
                        let f = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
                        bytes.splice(at..at, f.iter().copied());
                    }
                }
            }
            bytes
        }
    }
}

/// Runs `execs` inputs from `seed`; panics (naming the seed and input) on a broken invariant.
fn run(seed: u64, execs: u64) -> u64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let router = router();
    let endpoint = Endpoint::new(
        &router,
        CallSite::new("main", "app://localhost"),
        Allow::all(),
    )
    .with_outbox(|_, text| {
        serde_json::from_str::<Value>(&text).expect("outbox messages are JSON");
    });
    let mut rng = Rng(seed | 1);
    let max = router.limits().max_handoff_bytes();
    let mut n = 0;
    while n < execs {
        let bytes = input(&mut rng);
        let text = String::from_utf8_lossy(&bytes);
        check_stamp(&text, max);
        let reply = rt.block_on(endpoint.handle_page("page", "app://localhost/", &text));
        if let Some(reply) = &reply {
            let v: Value = serde_json::from_str(reply).unwrap_or_else(|e| {
                panic!("seed {seed}: reply is not JSON ({e}): {reply}\ninput: {text}")
            });
            let ok = |m: &Value| {
                m["jsonrpc"] == "2.0" && (m.get("result").is_some() != m.get("error").is_some())
            };
            let valid = match &v {
                Value::Array(items) => !items.is_empty() && items.iter().all(ok),
                m => ok(m),
            };
            assert!(
                valid,
                "seed {seed}: not a JSON-RPC reply: {reply}\ninput: {text}"
            );
        }
        if n % 64 == 0 {
            endpoint.cancel_running();
        }
        n += 1;
    }
    endpoint.cancel_running();
    n
}

/// The bridge check on `text` as a stamp body from every kind of frame: never accepts one
/// from a subframe or another origin, never panics.
fn check_stamp(text: &str, max: usize) {
    for (origin, top) in [
        ("app://localhost", "1"),
        ("app://localhost", "0"),
        ("null", "1"),
    ] {
        let stamp = format!("{origin}\n{top}\napp://localhost/\n{}\n{text}", text.len());
        let accepted = crate::bridge::check(&stamp, &["app://localhost".into()], max).is_ok();
        assert!(
            !accepted || (origin == "app://localhost" && top == "1"),
            "a stamp from origin {origin} top={top} was accepted"
        );
    }
    let _ = crate::bridge::check(text, &["app://localhost".into()], max);
}

#[test]
fn short() {
    let execs = run(0x5eed, 20_000);
    assert_eq!(execs, 20_000);
}

/// `RPCVIEW_FUZZ_EXECS` executions (default 10 million), `RPCVIEW_FUZZ_SEED` (default the
/// clock); prints the figures.
#[test]
#[ignore = "long: run with `make fuzz`"]
fn long() {
    let execs = std::env::var("RPCVIEW_FUZZ_EXECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000u64);
    let seed = std::env::var("RPCVIEW_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        });
    let started = std::time::Instant::now();
    let n = run(seed, execs);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "fuzz: {n} executions from seed {seed} in {secs:.1} s ({:.0}/s); no invariant broken",
        n as f64 / secs
    );
}
