//! The OpenRPC 1.3 document of a built API: what `rpc.discover` answers, what `schema/`
//! holds, and the only input of the TypeScript generator.
//!
//! Standard OpenRPC throughout, plus two documented extensions:
//! - `x-events` (top level): the events the host pushes, each `{name, description?, schema}`;
//!   pages receive them with `api.on(name, listener)`.
//! - `x-subscriptions` (top level): the streams a page may start with `api.subscribe`, each
//!   shaped like a method (`name`, `description?`, `paramStructure`, `params`, `errors`) with
//!   `item` (`{name: "item", schema}`, the schema of every item) in place of `result`. They
//!   are not in `methods`, since a plain OpenRPC client could not call them.
//! - `x-rest` (on the last positional param of a method that takes a `Vec`): this param and
//!   every one after it have this schema (`sum(1, 2, 4)`).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use super::error::{
    INTERNAL_ERROR, INTERNAL_ERROR_MSG, INVALID_PARAMS, INVALID_PARAMS_MSG, METHOD_NOT_ALLOWED,
    METHOD_NOT_ALLOWED_MSG,
};
use super::schema::{resolve, ParamShape};
use super::{Allow, Kind, MethodInfo, Router};

/// The OpenRPC version the documents declare (1.3 is the first to allow methods without a
/// result, which is what notifications are).
pub const OPENRPC_VERSION: &str = "1.3.2";

const REF_PREFIX: &str = "#/components/schemas/";

/// The document for everything `allow` permits of `router`, components pruned to what those
/// methods and events use.
///
/// ```
/// # use rpcview::{Api, Ctx, RpcError, Allow};
/// async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> { Ok(xs.iter().sum()) }
/// let router = Api::new().info("Math", "1.0.0").method("sum", sum).build().unwrap();
/// let doc = rpcview::rpc::openrpc::document(&router, &Allow::all());
/// assert_eq!(doc["openrpc"], "1.3.2");
/// assert_eq!(doc["methods"][0]["name"], "sum");
/// assert_eq!(doc["methods"][0]["paramStructure"], "by-position");
/// ```
pub fn document(router: &Router, allow: &Allow) -> Value {
    let (components, renames) =
        merge_components(router.params_definitions(), router.result_definitions());
    let output = |schema: &Value| rename_refs(schema.clone(), &renames);

    let (mut methods, mut subscriptions) = (Vec::new(), Vec::new());
    for (name, info) in router.methods() {
        if !allow.permits(name) {
            continue;
        }
        let mut m = method(name, info, router, &output);
        if info.kind == Kind::Subscription {
            if let Some(Value::Object(mut item)) =
                m.as_object_mut().and_then(|m| m.remove("result"))
            {
                item.insert("name".into(), "item".into());
                m["item"] = Value::Object(item);
            }
            subscriptions.push(m);
        } else {
            methods.push(m);
        }
    }
    let events: Vec<Value> = router
        .events()
        .filter(|e| allow.permits(e))
        .map(|name| {
            let e = router.event(name).expect("listed events exist");
            let mut ev = Map::new();
            ev.insert("name".into(), name.into());
            if let Some(d) = &e.description {
                ev.insert("description".into(), d.clone().into());
            }
            ev.insert("schema".into(), output(&e.schema));
            Value::Object(ev)
        })
        .collect();

    let mut doc = json!({
        "openrpc": OPENRPC_VERSION,
        "info": { "title": router.info().title, "version": router.info().version },
        "methods": methods,
    });
    let used = reachable(
        &Value::Array(vec![
            doc["methods"].clone(),
            Value::Array(events.clone()),
            Value::Array(subscriptions.clone()),
        ]),
        &components,
    );
    let schemas: Map<String, Value> = components
        .into_iter()
        .filter(|(k, _)| used.contains(k))
        .collect();
    doc["components"] = json!({ "schemas": schemas });
    doc["x-events"] = Value::Array(events);
    doc["x-subscriptions"] = Value::Array(subscriptions);
    doc
}

fn method(
    name: &str,
    info: &MethodInfo,
    router: &Router,
    output: &dyn Fn(&Value) -> Value,
) -> Value {
    let defs = router.params_definitions();
    let (structure, descriptors) = content_descriptors(&info.params, &info.shape, defs);
    let mut m = Map::new();
    m.insert("name".into(), name.into());
    if let Some(d) = &info.docs.description {
        m.insert("description".into(), d.clone().into());
    }
    m.insert("paramStructure".into(), structure.into());
    m.insert("params".into(), Value::Array(descriptors.clone()));
    if info.kind != Kind::Notification {
        let schema = output(info.result.as_ref().expect("methods have results"));
        m.insert(
            "result".into(),
            json!({ "name": "result", "schema": schema }),
        );
        let mut errors = Vec::new();
        if info.shape != ParamShape::Unit {
            errors.push(json!({ "code": INVALID_PARAMS, "message": INVALID_PARAMS_MSG }));
        }
        errors.push(json!({ "code": INTERNAL_ERROR, "message": INTERNAL_ERROR_MSG }));
        errors.push(json!({ "code": METHOD_NOT_ALLOWED, "message": METHOD_NOT_ALLOWED_MSG }));
        for (code, message) in &info.docs.errors {
            errors.push(json!({ "code": code, "message": message }));
        }
        m.insert("errors".into(), Value::Array(errors));
    }
    if !info.docs.examples.is_empty() {
        let examples = info
            .docs
            .examples
            .iter()
            .map(|(example, p, r)| {
                let params: Vec<Value> = match p {
                    // In the order the params are declared, whatever order the map keeps.
                    Value::Object(o) => descriptors
                        .iter()
                        .filter_map(|d| d["name"].as_str())
                        .filter_map(|k| o.get(k).map(|v| json!({ "name": k, "value": v })))
                        .collect(),
                    Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let name = descriptors.get(i).or(descriptors.last()).and_then(|d| d["name"].as_str()).unwrap_or("value");
                            json!({ "name": name, "value": v })
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                json!({ "name": example, "params": params, "result": { "name": "result", "value": r } })
            })
            .collect();
        m.insert("examples".into(), Value::Array(examples));
    }
    Value::Object(m)
}

/// `(paramStructure, [ContentDescriptor])` for a params schema.
fn content_descriptors(
    schema: &Value,
    shape: &ParamShape,
    defs: &Map<String, Value>,
) -> (&'static str, Vec<Value>) {
    let resolved = resolve(schema, defs);
    match shape {
        ParamShape::Object { fields } => {
            let required: BTreeSet<&str> = resolved["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let params = fields
                .iter()
                .map(|f| descriptor(f, &resolved["properties"][f], required.contains(f.as_str())))
                .collect();
            ("either", params)
        }
        ParamShape::Array => match &resolved["items"] {
            Value::Array(items) => {
                let min = resolved["minItems"].as_u64().unwrap_or(items.len() as u64) as usize;
                let params = items
                    .iter()
                    .enumerate()
                    .map(|(i, s)| descriptor(&format!("arg{i}"), s, i < min))
                    .collect();
                ("by-position", params)
            }
            item => {
                let mut d = descriptor(
                    "items",
                    if item.is_null() {
                        &Value::Bool(true)
                    } else {
                        item
                    },
                    false,
                );
                d["x-rest"] = Value::Bool(true);
                ("by-position", vec![d])
            }
        },
        ParamShape::Unit => ("either", Vec::new()),
        ParamShape::Other => ("by-position", vec![descriptor("value", schema, true)]),
    }
}

fn descriptor(name: &str, schema: &Value, required: bool) -> Value {
    let mut d = Map::new();
    d.insert("name".into(), name.into());
    if let Some(desc) = schema.get("description") {
        d.insert("description".into(), desc.clone());
    }
    d.insert("required".into(), required.into());
    d.insert("schema".into(), schema.clone());
    Value::Object(d)
}

/// One `components/schemas` for both directions. A type whose serialize-side schema differs
/// from its deserialize-side one (skipped or renamed fields) keeps both: the output form as
/// `NameOutput`; `renames` says which.
fn merge_components(
    params: &Map<String, Value>,
    results: &Map<String, Value>,
) -> (BTreeMap<String, Value>, BTreeMap<String, String>) {
    // A type whose output form differs is renamed; then so is any type that refers to a
    // renamed one (its output form now differs too), until nothing changes.
    let mut renames = BTreeMap::new();
    loop {
        let before = renames.len();
        for (name, schema) in results {
            if renames.contains_key(name) {
                continue;
            }
            if params
                .get(name)
                .is_some_and(|p| *p != rename_refs(schema.clone(), &renames))
            {
                renames.insert(name.clone(), format!("{name}Output"));
            }
        }
        if renames.len() == before {
            break;
        }
    }
    let mut all = BTreeMap::new();
    for (name, schema) in params {
        all.insert(name.clone(), titled(name, schema.clone()));
    }
    for (name, schema) in results {
        let named = renames.get(name).unwrap_or(name);
        all.entry(named.clone())
            .or_insert_with(|| titled(named, rename_refs(schema.clone(), &renames)));
    }
    (all, renames)
}

fn titled(name: &str, mut schema: Value) -> Value {
    if let Value::Object(o) = &mut schema {
        o.entry("title").or_insert_with(|| name.into());
    }
    schema
}

fn rename_refs(mut schema: Value, renames: &BTreeMap<String, String>) -> Value {
    if renames.is_empty() {
        return schema;
    }
    fn walk(v: &mut Value, renames: &BTreeMap<String, String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get_mut("$ref") {
                    if let Some(new) = r.strip_prefix(REF_PREFIX).and_then(|n| renames.get(n)) {
                        *r = format!("{REF_PREFIX}{new}");
                    }
                }
                o.values_mut().for_each(|v| walk(v, renames));
            }
            Value::Array(a) => a.iter_mut().for_each(|v| walk(v, renames)),
            _ => {}
        }
    }
    walk(&mut schema, renames);
    schema
}

/// Names of the components `root` refers to, directly or through other components.
fn reachable(root: &Value, components: &BTreeMap<String, Value>) -> BTreeSet<String> {
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(n) = o
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix(REF_PREFIX))
                {
                    out.push(n.to_owned());
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut seen = BTreeSet::new();
    let mut todo = Vec::new();
    refs(root, &mut todo);
    while let Some(n) = todo.pop() {
        if seen.insert(n.clone()) {
            if let Some(s) = components.get(&n) {
                refs(s, &mut todo);
            }
        }
    }
    seen
}

impl Router {
    /// The OpenRPC document of everything this router serves (what `rpc.discover` answers a
    /// window allowed everything).
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn ping(_: Ctx, _: ()) -> Result<String, RpcError> { Ok("pong".into()) }
    /// let doc = Api::new().method("ping", ping).build().unwrap().openrpc();
    /// assert_eq!(doc["methods"][0]["name"], "ping");
    /// ```
    pub fn openrpc(&self) -> Value {
        document(self, &Allow::all())
    }
}
