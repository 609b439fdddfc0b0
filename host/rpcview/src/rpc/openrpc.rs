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
//!
//! Its schemas use only the `format`s every common validator knows ([`PORTABLE_FORMATS`]):
//! see [`portable`] for what becomes of the others `schemars` writes (`uint64`, `int32`, ...).

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
    for_each_schema(&mut doc, portable);
    doc
}

/// Applies `f` to every schema `doc` holds: components, params, results, subscription items
/// and event payloads (not to examples, which are values).
fn for_each_schema(doc: &mut Value, f: fn(&mut Value)) {
    if let Some(schemas) = doc["components"]["schemas"].as_object_mut() {
        schemas.values_mut().for_each(f);
    }
    for list in ["methods", "x-subscriptions"] {
        for m in doc[list].as_array_mut().into_iter().flatten() {
            for p in m["params"].as_array_mut().into_iter().flatten() {
                f(&mut p["schema"]);
            }
            for out in ["result", "item"] {
                if let Some(o) = m.get_mut(out) {
                    f(&mut o["schema"]);
                }
            }
        }
    }
    for e in doc["x-events"].as_array_mut().into_iter().flatten() {
        f(&mut e["schema"]);
    }
}

/// The `format`s an exported schema may carry: those both the OpenRPC project's validator
/// (ajv 6's built-in formats, in `@open-rpc/schema-utils-js`) and `ajv-formats` (with ajv 8)
/// know.
pub const PORTABLE_FORMATS: &[&str] = &[
    "date",
    "date-time",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "json-pointer",
    "json-pointer-uri-fragment",
    "regex",
    "relative-json-pointer",
    "time",
    "uri",
    "uri-reference",
    "uri-template",
    "url",
    "uuid",
];

/// The bounds a numeric `format` of `schemars` stands for: `(minimum, maximum)`, either
/// absent when JSON Schema cannot say it better than a plain number (floats; 128-bit
/// integers, beyond what a JSON number holds exactly). `None`: not a numeric format.
fn numeric_bounds(format: &str) -> Option<(Option<Value>, Option<Value>)> {
    let signed = |min: i64, max: i64| Some((Some(min.into()), Some(max.into())));
    let unsigned = |max: u64| Some((Some(0.into()), Some(max.into())));
    match format {
        "int8" => signed(i8::MIN.into(), i8::MAX.into()),
        "int16" => signed(i16::MIN.into(), i16::MAX.into()),
        "int32" => signed(i32::MIN.into(), i32::MAX.into()),
        "int64" => signed(i64::MIN, i64::MAX),
        // isize and usize: this build's.
        "int" => signed(isize::MIN as i64, isize::MAX as i64),
        "uint8" => unsigned(u8::MAX.into()),
        "uint16" => unsigned(u16::MAX.into()),
        "uint32" => unsigned(u32::MAX.into()),
        "uint64" => unsigned(u64::MAX),
        "uint" => unsigned(usize::MAX as u64),
        "uint128" => Some((Some(0.into()), None)),
        "int128" | "float" | "double" => Some((None, None)),
        _ => None,
    }
}

/// Rewrites `schema` (and every schema in it) to use only [`PORTABLE_FORMATS`], keeping what
/// a validator can check.
///
/// `schemars` writes a `format` per Rust number type (`uint64`, `int32`, `double`, ...) and a
/// few of its own for strings (`ip`, `partial-date-time`, ...). Those are not JSON Schema
/// formats, and validators refuse unknown formats rather than ignore them: the OpenRPC
/// project's `MethodCallValidator` (ajv 6) throws `unknown format "int32" is used in schema`,
/// and ajv 8 in its default strict mode throws `unknown format "uint64" ignored in schema`,
/// so a page or a tool could not compile the document's schemas as they were. So:
/// - a numeric format is dropped, and the range it stands for becomes `minimum` / `maximum`
///   where the schema has no bound of its own already (`uint32` gives `minimum: 0,
///   maximum: 4294967295`; a `u8`'s `0..=255` from `schemars` stays as it is);
/// - `ip` (an `IpAddr`) becomes `anyOf: [ipv4, ipv6]`;
/// - any other unknown format is dropped (its type, a string, still holds).
///
/// This is the document only: the host validates calls with the schemas it compiled at
/// `Api::build` from `schemars` directly (unknown formats are ignored there), and `serde`
/// refuses out-of-range numbers anyway.
pub fn portable(schema: &mut Value) {
    let Value::Object(o) = schema else { return };
    if let Some(format) = o.get("format").and_then(Value::as_str).map(str::to_owned) {
        if !PORTABLE_FORMATS.contains(&format.as_str()) {
            o.remove("format");
            if let Some((min, max)) = numeric_bounds(&format) {
                if let Some(min) = min.filter(|_| !o.contains_key("exclusiveMinimum")) {
                    o.entry("minimum").or_insert(min);
                }
                if let Some(max) = max.filter(|_| !o.contains_key("exclusiveMaximum")) {
                    o.entry("maximum").or_insert(max);
                }
            } else if format == "ip" && !o.contains_key("anyOf") {
                o.insert(
                    "anyOf".into(),
                    json!([
                        { "type": "string", "format": "ipv4" },
                        { "type": "string", "format": "ipv6" }
                    ]),
                );
            }
        }
    }
    // Into every subschema (draft-07), not into values (`const`, `enum`, `default`, ...).
    for (key, value) in o.iter_mut() {
        match key.as_str() {
            "additionalItems"
            | "additionalProperties"
            | "contains"
            | "else"
            | "if"
            | "not"
            | "propertyNames"
            | "then" => portable(value),
            "items" => match value {
                Value::Array(items) => items.iter_mut().for_each(portable),
                item => portable(item),
            },
            "allOf" | "anyOf" | "oneOf" => value
                .as_array_mut()
                .into_iter()
                .flatten()
                .for_each(portable),
            "properties" | "patternProperties" | "definitions" | "$defs" | "dependencies" => {
                if let Some(map) = value.as_object_mut() {
                    // A `dependencies` entry may be a list of names: `portable` skips it.
                    map.values_mut().for_each(portable);
                }
            }
            _ => {}
        }
    }
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

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::portable;
    use crate::rpc::{Api, CallSite, Endpoint};
    use crate::{Allow, Ctx, RpcError};

    /// Every number type, and an address.
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Numbers {
        a: u8,
        b: u16,
        c: u32,
        d: u64,
        e: usize,
        f: i8,
        g: i16,
        h: i32,
        i: i64,
        j: isize,
        k: f32,
        l: f64,
        m: Option<u32>,
        n: Vec<u64>,
        ip: IpAddr,
    }

    /// Params with `Numbers` inside, so that it is a component.
    #[derive(Deserialize, JsonSchema)]
    struct Count {
        numbers: Numbers,
        /// A params field, in its descriptor.
        limit: u16,
    }

    async fn count(_: Ctx, n: Count) -> Result<u32, RpcError> {
        Ok(n.numbers.c.min(n.limit.into()))
    }

    fn router() -> crate::Router {
        Api::new().method("count", count).build().unwrap()
    }

    fn formats(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(f) = o.get("format").and_then(Value::as_str) {
                    out.push(f.to_owned());
                }
                o.values().for_each(|v| formats(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| formats(v, out)),
            _ => {}
        }
    }

    #[test]
    fn numeric_formats_become_bounds() {
        let doc = router().openrpc();
        let mut found = Vec::new();
        formats(&doc, &mut found);
        assert_eq!(found, ["ipv4", "ipv6"], "{doc:#}");
        let p = &doc["components"]["schemas"]["Numbers"]["properties"];
        let bounds = |k: &str| (p[k]["minimum"].clone(), p[k]["maximum"].clone());
        assert_eq!(bounds("a"), (json!(0), json!(255)));
        assert_eq!(bounds("b"), (json!(0), json!(65535)));
        assert_eq!(bounds("c"), (json!(0), json!(4294967295u32)));
        assert_eq!(bounds("d"), (json!(0), json!(u64::MAX)));
        assert_eq!(bounds("e"), (json!(0), json!(usize::MAX as u64)));
        assert_eq!(bounds("f"), (json!(-128), json!(127)));
        assert_eq!(bounds("g"), (json!(-32768), json!(32767)));
        assert_eq!(bounds("h"), (json!(i32::MIN), json!(i32::MAX)));
        assert_eq!(bounds("i"), (json!(i64::MIN), json!(i64::MAX)));
        assert_eq!(
            bounds("j"),
            (json!(isize::MIN as i64), json!(isize::MAX as i64))
        );
        assert_eq!(bounds("k"), (Value::Null, Value::Null));
        assert_eq!(bounds("l"), (Value::Null, Value::Null));
        assert_eq!(p["m"]["type"], json!(["integer", "null"]));
        assert_eq!(p["m"]["maximum"], json!(u32::MAX));
        assert_eq!(p["n"]["items"]["maximum"], json!(u64::MAX));
        assert_eq!(p["ip"]["type"], "string");
        assert_eq!(p["ip"]["anyOf"][1]["format"], "ipv6");
        // A descriptor's own schema, the method's result.
        let limit = &doc["methods"][0]["params"][1];
        assert_eq!(limit["name"], "limit");
        assert_eq!(limit["schema"]["maximum"], json!(u16::MAX));
        assert_eq!(
            doc["methods"][0]["result"]["schema"]["maximum"],
            json!(u32::MAX)
        );
    }

    #[test]
    fn bounds_of_its_own_and_values_are_kept() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "pace": { "type": "integer", "format": "uint32", "minimum": 0, "maximum": 2000 },
                "above": { "type": "integer", "format": "uint32", "exclusiveMinimum": 5 },
                "format": { "type": "string", "format": "date-time" },
                "odd": { "type": "string", "format": "partial-date-time" },
            },
            "default": { "format": "uint8" },
            "enum": [{ "format": "uint8" }],
        });
        portable(&mut schema);
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "pace": { "type": "integer", "minimum": 0, "maximum": 2000 },
                    "above": { "type": "integer", "exclusiveMinimum": 5, "maximum": 4294967295u32 },
                    "format": { "type": "string", "format": "date-time" },
                    "odd": { "type": "string" },
                },
                "default": { "format": "uint8" },
                "enum": [{ "format": "uint8" }],
            })
        );
    }

    #[test]
    fn the_host_validates_with_its_own_schemas_not_the_document() {
        // The router keeps what schemars wrote; only the document is rewritten.
        let router = router();
        let own = &router.params_definitions()["Numbers"]["properties"]["c"];
        assert_eq!(own["format"], "uint32");
        assert!(own.get("maximum").is_none());
        // And it refuses what the document's bounds refuse, as before.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let ep = Endpoint::new(
            &router,
            CallSite::new("main", "app://localhost"),
            Allow::all(),
        );
        let call = |c: Value| {
            let mut params = json!({ "limit": 100, "numbers": {
                "a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 0, "g": 0, "h": 0, "i": 0,
                "j": 0, "k": 0.5, "l": 0.5, "m": null, "n": [], "ip": "::1"
            }});
            params["numbers"]["c"] = c;
            let request = json!({"jsonrpc": "2.0", "id": 1, "method": "count", "params": params});
            let reply = rt.block_on(ep.handle(&request.to_string())).unwrap();
            serde_json::from_str::<Value>(&reply).unwrap()
        };
        assert_eq!(call(json!(7))["result"], 7);
        assert_eq!(call(json!(-1))["error"]["code"], -32602);
        assert_eq!(call(json!(4294967296u64))["error"]["code"], -32602);
    }
}
