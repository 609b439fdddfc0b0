//! End-to-end tests of your own app in a real webview, from `cargo test`.
//!
//! [`TestApp::launch`] runs your [`Api`](crate::Api) with a page (a folder, a URL or inline HTML) in a
//! real WebKitGTK window, and hands the test a driver: evaluate JavaScript and get its value
//! back ([`TestApp::eval`]), wait for a condition, a call or a push, click and type as a
//! person does (trusted GDK input, not synthetic DOM events), read what the page called and
//! was sent, stub a handler, and take or check screenshots ([`TestApp::expect_screenshot`]).
//!
//! GTK allows one UI thread per process, so every `TestApp` of a test binary runs on one
//! thread the harness starts, one app at a time: tests that launch apps wait for each other
//! (others still run in parallel). Dropping a `TestApp` closes its windows and waits until
//! the app has shut down, so nothing leaks into the next test; when the test is failing
//! (panicking), the drop prints the page's console and the calls it made.
//!
//! Without a display, run the tests under `xvfb-run -a cargo test`.
//!
//! ```no_run
//! use rpcview::testing::{Page, TestApp};
//! use rpcview::{Api, Ctx, RpcError};
//!
//! async fn add(_: Ctx, (a, b): (i64, i64)) -> Result<i64, RpcError> { Ok(a + b) }
//!
//! #[test]
//! fn the_page_adds() -> Result<(), rpcview::testing::TestError> {
//!     let app = TestApp::launch(
//!         Api::new().method("math.add", add),
//!         Page::html(r#"<button id="go" onclick="api.invoke('math.add', [2, 3])
//!             .then(n => out.textContent = n)">add</button><p id="out"></p>"#),
//!     )?;
//!     app.click("#go")?;
//!     app.wait_for("document.querySelector('#out').textContent === '5'")?;
//!     assert_eq!(app.wait_for_call("math.add")?.outcome, Ok(serde_json::json!(5)));
//!     let sum: i64 = app.eval("api.invoke('math.add', [40, 2])")?;
//!     assert_eq!(sum, 42);
//!     Ok(())
//! }
//! ```

mod driver;
mod screenshot;

pub use driver::{Page, Push, TestApp, TestAppBuilder, TestError};
pub use screenshot::{compare_png, Comparison, Tolerance, UPDATE_ENV};
