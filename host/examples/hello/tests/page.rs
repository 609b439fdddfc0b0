//! The example's page, end to end, as its users would test their own app: a real WebKitGTK
//! window (`rpcview::testing`), a name typed and submitted as a person would, the reply and
//! the pushed event checked on the page and on the host. Needs a display:
//! `xvfb-run -a cargo test -p hello`.

use rpcview::testing::{Page, TestApp, TestError};
use serde_json::json;

#[test]
fn greeting_someone_shows_the_reply_and_the_push() -> Result<(), TestError> {
    let app = TestApp::builder(hello::api(), Page::Assets(hello::assets()))
        .window(|w| w.size(520.0, 360.0))
        .launch()?;
    app.wait_for("document.body.dataset.ready === 'true'")?;
    app.type_into("#name", "Ada")?;
    app.press("Enter")?; // submits the form
    app.wait_for("document.querySelector('#out').textContent === 'Hello, Ada!'")?;
    let call = app.wait_for_call("hello.greet")?;
    assert_eq!(call.params, json!({ "name": "Ada" }));
    assert_eq!(
        call.outcome,
        Ok(json!({ "text": "Hello, Ada!", "count": 1 }))
    );
    let push = app.wait_for_push("hello.greeted")?;
    assert_eq!(push.payload["count"], 1);
    app.wait_for(
        "document.querySelector('#events').textContent.includes('greeted: Hello, Ada! (#1)')",
    )?;
    // The name field is required: an empty submit never reaches the host.
    app.eval::<serde_json::Value>("document.querySelector('#name').value = ''")?;
    app.click("button")?;
    // A call made after the click is answered after anything the click sent.
    let bob: serde_json::Value = app.eval("api.invoke('hello.greet', {name: 'Bob'})")?;
    assert_eq!(bob["count"], 2);
    let names: Vec<String> = app
        .calls()
        .iter()
        .filter(|c| c.method == "hello.greet")
        .map(|c| c.params["name"].to_string())
        .collect();
    assert_eq!(names, [r#""Ada""#, r#""Bob""#]);
    Ok(())
}
