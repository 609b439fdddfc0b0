//! The schema is the contract: the OpenRPC document, `rpc.discover`, the generated TypeScript
//! and the compatibility baseline, checked against what the Rust code generates.
//!
//! Generated files that differ from what is checked in fail with the command that
//! regenerates them. The TypeScript itself is compiled by `tsc --strict` in `tests/ts`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use rpcview::contract::typescript;
use rpcview::rpc::openrpc;
use rpcview::{Allow, Api, CallSite, Ctx, Endpoint, Export, Router, RpcError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo_router() -> Router {
    let dir = tempfile::tempdir().unwrap();
    rpcview_notes::api(rpcview_notes::Store::open(dir.path()).unwrap())
        .build()
        .unwrap()
}

// The demo's own `schema/` is checked by its crate's test `schema_is_fresh`, through the same
// `Export` call any app uses; these tests check `Export` itself.

#[test]
fn a_stale_folder_fails_naming_the_command_that_regenerates_it() {
    let dir = tempfile::tempdir().unwrap();
    let export = Export::new(&demo_router())
        .dir(dir.path())
        .command("RPCVIEW_SCHEMA=write cargo test -p my-app");
    let err = export.run().unwrap_err().to_string();
    assert!(
        err.contains("openrpc.json, api.d.ts, client.js, client.d.ts, mock.js, mock.d.ts"),
        "{err}"
    );
    assert!(
        err.contains("run `RPCVIEW_SCHEMA=write cargo test -p my-app`"),
        "{err}"
    );
    let written = export.write().unwrap();
    assert_eq!(written.len(), 6);
    export.assert_fresh();
    std::fs::write(dir.path().join("api.d.ts"), "// edited by hand\n").unwrap();
    let err = export.run().unwrap_err().to_string();
    assert!(err.contains("(api.d.ts)"), "{err}");
}

#[test]
fn a_breaking_change_against_the_baseline_fails() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    // Pages were built against an API with one more method than the demo has today.
    let mut old = demo_router().openrpc();
    let mut extra = old["methods"][0].clone();
    extra["name"] = "notes.archive".into();
    old["methods"].as_array_mut().unwrap().push(extra);
    std::fs::write(&baseline, old.to_string()).unwrap();
    let export = Export::new(&demo_router())
        .dir(dir.path())
        .baseline(&baseline);
    export.write().unwrap();
    let err = export.run().unwrap_err().to_string();
    assert!(err.contains("notes.archive"), "{err}");
    let bump = format!(
        "If deliberate, make the current document the new baseline: cp {} {}",
        dir.path().join("openrpc.json").display(),
        baseline.display()
    );
    assert!(err.contains(&bump), "{err}");
    // The same document as its own baseline is compatible.
    std::fs::copy(dir.path().join("openrpc.json"), &baseline).unwrap();
    export.assert_fresh();
}

#[test]
fn exported_files_do_not_depend_on_key_order() {
    let export = Export::new(&demo_router());
    let files = export.files().unwrap();
    let doc: Value = serde_json::from_str(&files[0].1).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "object keys are stored sorted");
}

#[test]
fn the_document_has_every_part_openrpc_asks_for() {
    let doc = openrpc::document(&demo_router(), &Allow::all());
    assert_eq!(doc["openrpc"], "1.3.2");
    let save = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "notes.save")
        .unwrap();
    assert_eq!(save["paramStructure"], "either");
    let names: Vec<&str> = save["params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["title", "body", "id"],
        "declaration order, not the alphabet"
    );
    assert_eq!(save["params"][0]["required"], true);
    assert_eq!(save["params"][2]["required"], false);
    assert_eq!(
        save["params"][0]["description"],
        "The title, shown in the list; one line."
    );
    assert_eq!(
        save["result"]["schema"]["$ref"],
        "#/components/schemas/Note"
    );
    let codes: Vec<i64> = save["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [-32602, -32603, -32001, 500]);
    assert_eq!(
        save["examples"][0]["params"][0],
        json!({ "name": "title", "value": "Groceries" })
    );
    let log = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "app.log")
        .unwrap();
    assert!(log.get("result").is_none(), "a notification has no result");
    assert_eq!(doc["x-events"][0]["name"], "notes.changed");
    assert_eq!(
        doc["x-events"][0]["schema"]["$ref"],
        "#/components/schemas/NotesChanged"
    );
    let note = &doc["components"]["schemas"]["Note"];
    assert_eq!(note["title"], "Note");
    assert_eq!(note["description"], "A note as stored.");
}

#[test]
fn rpc_discover_shows_only_what_the_window_may_use() {
    let router = demo_router();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let call = |allow: Allow| {
        let ep = Endpoint::new(&router, CallSite::new("main", "app://localhost"), allow);
        let reply = rt
            .block_on(ep.handle(r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#))
            .unwrap();
        serde_json::from_str::<Value>(&reply).unwrap()
    };
    let all = call(Allow::all());
    assert_eq!(all["result"], openrpc::document(&router, &Allow::all()));
    let some = call(Allow::only(["rpc.discover", "notes.get"]));
    let names: Vec<&str> = some["result"]["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["notes.get"]);
    assert!(
        some["result"]["components"]["schemas"]
            .get("NoteSummary")
            .is_none(),
        "types of hidden methods are pruned"
    );
    assert_eq!(some["result"]["x-events"], json!([]));
    let none = call(Allow::only(["notes.get"]));
    assert_eq!(none["error"]["code"], -32001);
}

#[test]
fn what_the_types_cannot_catch_the_host_refuses_listing_every_violation() {
    // `const params = { ...draft, extra: 1 }` compiles against api.d.ts (TypeScript checks
    // extra fields only in object literals), and neither a pattern nor a length is a type.
    let router = demo_router();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ep = Endpoint::new(
        &router,
        CallSite::new("main", "app://localhost"),
        Allow::all(),
    );
    let params = json!({ "title": "two\nlines", "body": "b", "extra": 1 });
    let request = json!({ "jsonrpc": "2.0", "id": 1, "method": "notes.save", "params": params });
    let reply = rt.block_on(ep.handle(&request.to_string())).unwrap();
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    let errors: BTreeMap<&str, &str> = reply["error"]["data"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(errors.len(), 2, "{reply}");
    assert!(errors[""].contains("'extra' was unexpected"), "{reply}");
    assert!(errors["/title"].contains("^[^\\n]*$"), "{reply}");
}

// ---- Every shape schemars emits for serde types, generated into tests/ts/shapes ----------

/// A string enum.
#[derive(Serialize, Deserialize, JsonSchema)]
enum Color {
    Red,
    Green,
}

/// Internally tagged.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
enum Shape {
    Circle { r: f64 },
    Square { side: f64 },
}

/// Externally tagged, with unit, newtype and struct variants.
#[derive(Serialize, Deserialize, JsonSchema)]
enum External {
    A(i32),
    B { x: String },
    C,
}

/// Adjacently tagged.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Num(i32),
    Text(String),
}

/// Untagged.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
enum Untagged {
    Int(i64),
    Text(String),
    Pair(i32, i32),
}

/// Optional and nullable fields.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Optionals {
    required: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    optional: Option<String>,
    nullable: Option<i32>,
}

/// Maps.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Maps {
    counts: HashMap<String, u32>,
    tree: BTreeMap<String, Vec<String>>,
}

/// A tuple struct.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Point(f64, f64);

/// A recursive type.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Tree {
    name: String,
    children: Vec<Tree>,
}

/// Renamed fields.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Renamed {
    first_name: String,
}

/// Serialized without its password: the output form differs from the input form.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Login {
    user: String,
    #[serde(skip_serializing)]
    password: String,
}

/// Refers to a type whose output form differs, so its own output form differs too.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Session {
    login: Login,
}

/// Everything at once.
#[derive(Serialize, Deserialize, JsonSchema)]
struct All {
    color: Color,
    shape: Shape,
    external: External,
    adjacent: Adjacent,
    untagged: Untagged,
    optionals: Optionals,
    maps: Maps,
    point: Point,
    pair: (String, u8),
    tree: Tree,
    renamed: Renamed,
    colors: Vec<Option<Color>>,
}

async fn echo_all(_: Ctx, a: All) -> Result<All, RpcError> {
    Ok(a)
}
async fn pair(_: Ctx, p: (String, u8)) -> Result<String, RpcError> {
    Ok(p.0.repeat(p.1 as usize))
}
async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> {
    Ok(xs.iter().sum())
}
async fn none(_: Ctx, _: ()) -> Result<Option<Tree>, RpcError> {
    Ok(None)
}
async fn note(_: Ctx, _: Renamed) {}
async fn session(_: Ctx, s: Session) -> Result<Session, RpcError> {
    Ok(s)
}
async fn login(_: Ctx, l: Login) -> Result<Login, RpcError> {
    if l.password.is_empty() {
        return Err(RpcError::invalid_params("empty password"));
    }
    Ok(l)
}

fn shapes_router() -> Router {
    Api::new()
        .info("shapes", "1.0.0")
        .method("shapes.echo_all", echo_all)
        .doc("Returns what it is given.")
        .method("shapes.pair", pair)
        .method("shapes.sum", sum)
        .method("shapes.none", none)
        .method("shapes.login", login)
        .method("shapes.session", session)
        .notification("shapes.note", note)
        .event::<Tree>("shapes.tree")
        .build()
        .unwrap()
}

#[test]
fn every_serde_shape_generates_typescript() {
    Export::new(&shapes_router())
        .dir(root().join("tests/ts/shapes"))
        .command("RPCVIEW_SCHEMA=write cargo test -p rpcview-integration --test schema")
        .assert_fresh();
}

// ---- A recursive type alone, generated into tests/ts/recursive ---------------------------
// The OpenRPC project's `dereferenceDocument` never returns on a type that contains itself
// (tests/ts/interop.test.js shows it, and validates this document's calls with ajv instead).

async fn count(_: Ctx, tree: Tree) -> Result<usize, RpcError> {
    fn nodes(t: &Tree) -> usize {
        1 + t.children.iter().map(nodes).sum::<usize>()
    }
    Ok(nodes(&tree))
}

async fn leaf(_: Ctx, name: (String,)) -> Result<Tree, RpcError> {
    Ok(Tree {
        name: name.0,
        children: Vec::new(),
    })
}

fn recursive_router() -> Router {
    Api::new()
        .info("recursive", "1.0.0")
        .method("tree.count", count)
        .doc("How many nodes the tree has.")
        .example(
            "two nodes",
            json!({ "name": "root", "children": [{ "name": "leaf", "children": [] }] }),
            json!(2),
        )
        .method("tree.leaf", leaf)
        .doc("A tree of one node.")
        .build()
        .unwrap()
}

#[test]
fn a_recursive_type_is_exported() {
    let export = Export::new(&recursive_router())
        .dir(root().join("tests/ts/recursive"))
        .command("RPCVIEW_SCHEMA=write cargo test -p rpcview-integration --test schema");
    let tree = &export.document()["components"]["schemas"]["Tree"];
    assert_eq!(
        tree["properties"]["children"]["items"]["$ref"],
        "#/components/schemas/Tree"
    );
    export.assert_fresh();
}

#[test]
fn typescript_comes_from_the_document_alone() {
    // The generator's only input is the document: the same document, read back, gives the
    // same files.
    let committed = std::fs::read_to_string(root().join("schema/openrpc.json")).unwrap();
    let doc: Value = serde_json::from_str(&committed).unwrap();
    let generated = typescript::generate(&doc).unwrap();
    for (name, text) in generated.files {
        assert_eq!(
            std::fs::read_to_string(root().join("schema").join(name)).unwrap(),
            text,
            "{name}"
        );
    }
}
