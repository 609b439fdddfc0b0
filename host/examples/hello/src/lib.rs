//! The smallest rpcview app: one method, one notification, one event, and its own page,
//! written in TypeScript against the `api.d.ts` generated from this API.
//!
//! - `hello.greet` (invoke): greets a name, counts greetings;
//! - `hello.log` (notify): a line from the page, printed by the host;
//! - `hello.greeted` (event): pushed to every window after each greeting.
//!
//! The page is `web/` (embedded in release builds), its contract `web/schema/` (kept fresh by
//! this crate's test `schema_is_fresh`).

use std::sync::atomic::{AtomicU64, Ordering};

use rpcview::{embed, Api, App, Assets, Ctx, RpcError, State, Target, Window};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

embed!(Web, "web");

/// Who to greet.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Greet {
    /// A name, as the page's user typed it.
    #[schemars(length(min = 1, max = 40))]
    pub name: String,
}

/// A greeting, and how many there have been.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Greeting {
    /// What to show.
    pub text: String,
    /// Greetings since the app started, this one included.
    pub count: u64,
}

/// A line from the page.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    /// What happened.
    pub message: String,
}

/// How many greetings there have been.
#[derive(Default)]
struct Counter(AtomicU64);

async fn greet(State(counter): State<Counter>, ctx: Ctx, p: Greet) -> Result<Greeting, RpcError> {
    let count = counter.0.fetch_add(1, Ordering::SeqCst) + 1;
    let greeting = Greeting {
        text: format!("Hello, {}!", p.name.trim()),
        count,
    };
    ctx.emit(Target::All, "hello.greeted", &greeting)
        .map_err(|e| RpcError::internal(e.to_string()))?;
    Ok(greeting)
}

async fn log(ctx: Ctx, line: LogLine) {
    println!("[{}] {}", ctx.window(), line.message);
}

/// The app's API.
///
/// ```
/// assert!(hello::api().build().is_ok());
/// ```
pub fn api() -> Api {
    Api::new()
        .info("hello", "1.0.0")
        .manage(Counter::default())
        .method("hello.greet", greet)
        .doc("Greets someone by name.")
        .notification("hello.log", log)
        .doc("A line from the page, printed by the host.")
        .event::<Greeting>("hello.greeted")
        .doc("Someone was greeted, in any window.")
}

/// The embedded page (`web/`), compiled into the binary.
pub fn assets() -> Assets {
    Assets::embedded::<Web>()
}

/// The app: `api` (usually [`api()`]) behind the embedded page, in one window.
pub fn app(api: Api) -> App {
    App::new(api)
        .assets(assets())
        .window(Window::new("main").title("Hello").size(520.0, 360.0))
}

#[cfg(test)]
mod tests {
    /// `web/schema/` is what `api()` generates: `RPCVIEW_SCHEMA=write cargo test -p hello`
    /// regenerates it, and `make schema-check` compiles `web/app.ts` against it.
    #[test]
    fn schema_is_fresh() {
        let router = super::api().build().unwrap();
        rpcview::Export::new(&router)
            .dir(concat!(env!("CARGO_MANIFEST_DIR"), "/web/schema"))
            .command("RPCVIEW_SCHEMA=write cargo test -p hello")
            .assert_fresh();
    }
}
