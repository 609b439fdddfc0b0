//! TypeScript from an OpenRPC document, and nothing else (a team without Rust can regenerate
//! from `schema/openrpc.json`).
//!
//! Three files come out:
//! - `api.d.ts`: a type per component schema, `Methods` / `Notifications` / `Subscriptions` /
//!   `Events` maps, and `Api`, the exact type of `window.api`: `invoke`, `notify` and
//!   `subscribe` are generic over those maps (what each takes after the name is in
//!   `InvokeArgs` / `NotifyArgs` / `SubscribeArgs`), so a misspelled name or wrong params fail
//!   to compile, and a misspelled name's error names it (`'"notes.sav"' is not assignable to
//!   parameter of type 'keyof Methods'`).
//! - `client.js`: a small typed client as plain JavaScript (`client.notes.save({...})`,
//!   `client.downloads.progress({...}, { onItem })`), usable without a build step; it looks
//!   `window.api` up at its first call, so it may load before the bridge.
//! - `client.d.ts`: its declaration.
//! - `mock.js`: a stand-in `window.api` for the page's unit tests without the host (handlers
//!   the test supplies, events and subscription items it pushes, the calls it records); the
//!   same for every app (its source is `typescript/mock.js`).
//! - `mock.d.ts`: its declaration, typed from `api.d.ts` (a handler with the wrong params or
//!   result, or for an unknown method, does not compile).
//!
//! The document is read once into a `Model` (TypeScript types already worked out); one
//! function per file fills that file's template (`typescript/templates.rs`) from it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

mod templates;

use templates::{fill, API_D_TS, CLIENT_D_TS, CLIENT_JS, HEADER, NOTIFY};

/// `mock.js`, as written (app-independent).
const MOCK_JS: &str = include_str!("typescript/mock.js");

/// `mock.d.ts`, as written: it imports the app's types from `./api`.
const MOCK_D_TS: &str = include_str!("typescript/mock.d.ts");

/// The method every window may invoke without the document listing it.
const DISCOVER: &str = "rpc.discover";

/// The params of a method that takes none: an empty list or an empty object.
const NO_PARAMS: &str = "[] | Record<string, never>";

/// The generated files, by file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// `(file name, contents)`, in a fixed order.
    pub files: Vec<(&'static str, String)>,
}

/// Why a document could not be turned into TypeScript.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TsError {
    /// The document lacks something the generator needs.
    #[error("not an OpenRPC document the generator understands: {0}")]
    Document(String),
    /// A method or subscription name the typed client cannot hold (`on`, `once`, `__proto__`).
    #[error("'{0}' cannot be a method or subscription of the typed client ('on' and 'once' are its own, '__proto__' is special); rename it")]
    Reserved(String),
    /// A method or subscription would be a group of others in the typed client too (`a.b` and
    /// `a.b.c`).
    #[error("'{0}' is both a method (or subscription) and a group ('{0}.…'); the typed client cannot hold both; rename one")]
    Collision(String),
    /// A method and a subscription (or two of either) share one name, so one place in the
    /// typed client.
    #[error(
        "'{0}' names two methods or subscriptions; the typed client cannot hold both; rename one"
    )]
    Duplicate(String),
}

/// Generates `api.d.ts`, `client.js`, `client.d.ts`, `mock.js` and `mock.d.ts` from `doc`.
/// `x-events` and `x-subscriptions` are optional (missing is empty).
///
/// # Errors
/// The document is not OpenRPC as rpcview writes it, or two names collide in the client.
///
/// ```
/// let doc = serde_json::json!({
///     "openrpc": "1.3.2", "info": {"title": "t", "version": "1"},
///     "methods": [{"name": "math.add", "paramStructure": "by-name",
///         "params": [{"name": "a", "required": true, "schema": {"type": "integer"}}],
///         "result": {"name": "result", "schema": {"type": "integer"}}}],
///     "components": {"schemas": {}}
/// });
/// let out = rpcview_contract::typescript::generate(&doc).unwrap();
/// let api = &out.files[0].1;
/// assert!(api.contains(r#""math.add": [params: { a: number }, options?: InvokeOptions];"#));
/// assert!(api.contains(r#"invoke<M extends keyof Methods>(method: M, ...args: InvokeArgs[M]): Promise<Methods[M]["result"]>;"#));
/// ```
pub fn generate(doc: &Value) -> Result<Generated, TsError> {
    let model = Model::read(doc)?;
    Ok(Generated {
        files: vec![
            ("api.d.ts", api_d_ts(&model)),
            ("client.js", client_js(&model)),
            ("client.d.ts", client_d_ts(&model)),
            ("mock.js", format!("{HEADER}{MOCK_JS}")),
            ("mock.d.ts", format!("{HEADER}\n{MOCK_D_TS}")),
        ],
    })
}

/// `api.d.ts`: the component types, the `Methods` / `InvokeArgs` / `Notifications` /
/// `NotifyArgs` / `Subscriptions` / `SubscribeArgs` / `Events` maps, and `Api`.
fn api_d_ts(model: &Model<'_>) -> String {
    let mut types = String::new();
    for t in &model.types {
        types.push_str(&jsdoc(t.description, ""));
        let _ = writeln!(types, "export type {} = {};\n", t.name, t.ts);
    }
    let (mut methods, mut invoke_args) = (String::new(), String::new());
    let (mut notifications, mut notify_args) = (String::new(), String::new());
    for m in &model.methods {
        let (key, params) = (quote(m.name), m.params.union());
        let arguments = format!("{key}: {};", m.arguments());
        match &m.result {
            Some(result) => {
                member(
                    &mut methods,
                    m.description,
                    &format!("{key}: {{ params: {params}; result: {result} }};"),
                );
                member(&mut invoke_args, None, &arguments);
            }
            None => {
                member(
                    &mut notifications,
                    m.description,
                    &format!("{key}: {{ params: {params} }};"),
                );
                member(&mut notify_args, None, &arguments);
            }
        }
    }
    // `rpc.discover`, which every window may invoke, unless the document has its own.
    if !model.methods.iter().any(|m| m.name == DISCOVER) {
        let key = quote(DISCOVER);
        member(
            &mut methods,
            Some("The OpenRPC document of what this window may use (OpenRPC service discovery)."),
            &format!("{key}: {{ params: {NO_PARAMS}; result: {{ openrpc: string; [key: string]: unknown }} }};"),
        );
        member(
            &mut invoke_args,
            None,
            &format!("{key}: [params?: {NO_PARAMS}, options?: InvokeOptions];"),
        );
    }
    // `notify` is declared only when there is something to notify.
    let notify = if notifications.is_empty() { "" } else { NOTIFY };
    let (mut subscriptions, mut subscribe_args) = (String::new(), String::new());
    for s in &model.subscriptions {
        let key = quote(s.name);
        member(
            &mut subscriptions,
            s.description,
            &format!(
                "{key}: {{ params: {}; item: {} }};",
                s.params.union(),
                s.item
            ),
        );
        member(
            &mut subscribe_args,
            None,
            &format!("{key}: {};", s.arguments()),
        );
    }
    let mut events = String::new();
    for e in &model.events {
        member(
            &mut events,
            e.description,
            &format!("{}: {};", quote(e.name), e.ts),
        );
    }
    let info = format!("// {} {}\n", model.title, model.version);
    fill(
        API_D_TS,
        &[
            ("HEADER", HEADER),
            ("INFO", &info),
            ("TYPES", &types),
            ("METHODS", &methods),
            ("INVOKE_ARGS", &invoke_args),
            ("NOTIFICATIONS", &notifications),
            ("NOTIFY_ARGS", &notify_args),
            ("SUBSCRIPTIONS", &subscriptions),
            ("SUBSCRIBE_ARGS", &subscribe_args),
            ("EVENTS", &events),
            ("NOTIFY", notify),
        ],
    )
}

/// `client.js`: `createClient`, whose object holds a function per method and subscription,
/// grouped by dots.
fn client_js(model: &Model<'_>) -> String {
    let mut members = String::new();
    model.client.write_js(model, &mut members, 2);
    fill(CLIENT_JS, &[("HEADER", HEADER), ("MEMBERS", &members)])
}

/// `client.d.ts`: the declaration of `client.js`, typed from `api.d.ts`'s maps.
fn client_d_ts(model: &Model<'_>) -> String {
    let mut members = String::new();
    model.client.write_d_ts(model, &mut members, 1);
    fill(CLIENT_D_TS, &[("HEADER", HEADER), ("MEMBERS", &members)])
}

/// Appends a member of an interface: its doc comment, then `line`, indented one level.
fn member(out: &mut String, description: Option<&str>, line: &str) {
    out.push_str(&jsdoc(description, "  "));
    let _ = writeln!(out, "  {line}");
}

/// What the three files are written from: the document, read once, with its schemas already
/// turned into TypeScript types.
struct Model<'a> {
    /// `info.title` (default `API`).
    title: &'a str,
    /// `info.version` (default empty).
    version: &'a str,
    /// One per component schema, in the document's order.
    types: Vec<NamedType<'a>>,
    /// Methods and notifications, in the document's order.
    methods: Vec<Method<'a>>,
    /// The subscriptions (`x-subscriptions`), in the document's order.
    subscriptions: Vec<Subscription<'a>>,
    /// The events the host pushes (`x-events`), in the document's order.
    events: Vec<Event<'a>>,
    /// The typed client: `methods` and `subscriptions` (by index) grouped by the dots in their
    /// names.
    client: Tree,
}

impl<'a> Model<'a> {
    /// Reads `doc`: the methods first, then the subscriptions (the first bad one, or the first
    /// name the client cannot hold, is the error), then the events.
    fn read(doc: &'a Value) -> Result<Self, TsError> {
        let list = doc["methods"]
            .as_array()
            .ok_or_else(|| TsError::Document("no `methods` array".into()))?;
        let mut methods = Vec::with_capacity(list.len());
        let mut client = Tree::default();
        for m in list {
            let method = Method::read(m)?;
            client.insert(method.name, Leaf::Method(methods.len()))?;
            methods.push(method);
        }
        let list = match &doc["x-subscriptions"] {
            Value::Null => &[][..],
            v => v
                .as_array()
                .ok_or_else(|| TsError::Document("`x-subscriptions` is not an array".into()))?,
        };
        let mut subscriptions = Vec::with_capacity(list.len());
        for s in list {
            let subscription = Subscription::read(s)?;
            client.insert(subscription.name, Leaf::Subscription(subscriptions.len()))?;
            subscriptions.push(subscription);
        }
        let events = match doc["x-events"].as_array() {
            Some(list) => list.iter().map(Event::read).collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        let types = match doc["components"]["schemas"].as_object() {
            Some(schemas) => schemas.iter().map(NamedType::read).collect(),
            None => Vec::new(),
        };
        Ok(Self {
            title: doc["info"]["title"].as_str().unwrap_or("API"),
            version: doc["info"]["version"].as_str().unwrap_or(""),
            types,
            methods,
            subscriptions,
            events,
            client,
        })
    }
}

/// A component schema as a TypeScript type alias.
struct NamedType<'a> {
    /// The alias: the schema's name as an identifier.
    name: String,
    description: Option<&'a str>,
    /// The aliased type.
    ts: String,
}

impl<'a> NamedType<'a> {
    fn read((name, schema): (&'a String, &'a Value)) -> Self {
        Self {
            name: ident(name),
            description: schema.get("description").and_then(Value::as_str),
            ts: ts_type(schema, 0),
        }
    }
}

/// A method (it has a result) or a notification (it has none).
struct Method<'a> {
    name: &'a str,
    description: Option<&'a str>,
    params: Params,
    /// The result's TypeScript type; `None` for a notification.
    result: Option<String>,
}

impl<'a> Method<'a> {
    fn read(m: &'a Value) -> Result<Self, TsError> {
        let name = m["name"]
            .as_str()
            .ok_or_else(|| TsError::Document("a method without a name".into()))?;
        Ok(Self {
            name,
            description: m.get("description").and_then(Value::as_str),
            params: Params::of(m, "method")?,
            result: m.get("result").map(|r| ts_type(&r["schema"], 1)),
        })
    }

    /// Its entry in `InvokeArgs` (a method) or `NotifyArgs` (a notification): what `invoke`
    /// or `notify` takes after the name, as a tuple (params optional when every param is; a
    /// method's options).
    fn arguments(&self) -> String {
        let params = self.params.argument();
        match self.result {
            Some(_) => format!("[{params}, options?: InvokeOptions]"),
            None => format!("[{params}]"),
        }
    }

    /// Its declaration in `client.d.ts`, as the member `key` of a group indented by `pad`.
    fn d_ts_member(&self, key: &str, pad: &str) -> String {
        let q = quote(self.name);
        let params = if self.params.list.is_empty() {
            String::new()
        } else {
            let opt = if self.params.optional() { "?" } else { "" };
            let map = if self.result.is_some() {
                "Methods"
            } else {
                "Notifications"
            };
            format!("params{opt}: {map}[{q}][\"params\"]")
        };
        let mut s = jsdoc(self.description, pad);
        let key = prop_name(key);
        if self.result.is_some() {
            let sep = if params.is_empty() { "" } else { ", " };
            let _ = writeln!(
                s,
                "{pad}{key}({params}{sep}options?: InvokeOptions): Promise<Methods[{q}][\"result\"]>;"
            );
        } else {
            let _ = writeln!(s, "{pad}{key}({params}): void;");
        }
        s
    }

    /// Its entry in `client.js`, as the member `key` of a group indented by `pad`.
    fn js_member(&self, key: &str, pad: &str) -> String {
        let f = match (&self.result, self.params.list.is_empty()) {
            (Some(_), false) => "call",
            (Some(_), true) => "call0",
            (None, false) => "send",
            (None, true) => "send0",
        };
        format!("{pad}{}: {f}({}),\n", prop_name(key), quote(self.name))
    }
}

/// A subscription (`x-subscriptions`): params as a method's, and a stream of items.
struct Subscription<'a> {
    name: &'a str,
    description: Option<&'a str>,
    params: Params,
    /// The TypeScript type of each item.
    item: String,
}

impl<'a> Subscription<'a> {
    fn read(s: &'a Value) -> Result<Self, TsError> {
        let name = s["name"]
            .as_str()
            .ok_or_else(|| TsError::Document("a subscription without a name".into()))?;
        let item = s
            .get("item")
            .ok_or_else(|| TsError::Document(format!("subscription {name} has no `item`")))?;
        Ok(Self {
            name,
            description: s.get("description").and_then(Value::as_str),
            params: Params::of(s, "subscription")?,
            item: ts_type(&item["schema"], 1),
        })
    }

    /// Its entry in `SubscribeArgs`: what `subscribe` takes after the name, as a tuple (params
    /// optional when every param is, as in `invoke`; then options).
    fn arguments(&self) -> String {
        format!(
            "[{}, options?: SubscribeOptions<{}>]",
            self.params.argument(),
            self.item
        )
    }

    /// Its declaration in `client.d.ts`, as the member `key` of a group indented by `pad`.
    fn d_ts_member(&self, key: &str, pad: &str) -> String {
        let q = quote(self.name);
        let params = if self.params.list.is_empty() {
            String::new()
        } else {
            let opt = if self.params.optional() { "?" } else { "" };
            format!("params{opt}: Subscriptions[{q}][\"params\"], ")
        };
        let item = format!("Subscriptions[{q}][\"item\"]");
        let mut s = jsdoc(self.description, pad);
        let _ = writeln!(
            s,
            "{pad}{}({params}options?: SubscribeOptions<{item}>): Promise<Subscription<{item}>>;",
            prop_name(key)
        );
        s
    }

    /// Its entry in `client.js`, as the member `key` of a group indented by `pad`.
    fn js_member(&self, key: &str, pad: &str) -> String {
        let f = if self.params.list.is_empty() {
            "sub0"
        } else {
            "sub"
        };
        format!("{pad}{}: {f}({}),\n", prop_name(key), quote(self.name))
    }
}

/// An event the host pushes, with its payload's TypeScript type.
struct Event<'a> {
    name: &'a str,
    description: Option<&'a str>,
    ts: String,
}

impl<'a> Event<'a> {
    fn read(e: &'a Value) -> Result<Self, TsError> {
        Ok(Self {
            name: e["name"]
                .as_str()
                .ok_or_else(|| TsError::Document("an event without a name".into()))?,
            description: e.get("description").and_then(Value::as_str),
            ts: ts_type(&e["schema"], 1),
        })
    }
}

/// A method's or subscription's params, read off its ContentDescriptors.
struct Params {
    structure: String,
    list: Vec<Param>,
}

/// One param: its name, TypeScript type, and whether it must be given or is variadic.
struct Param {
    name: String,
    ts: String,
    required: bool,
    rest: bool,
}

impl Params {
    /// The params of `owner`, a `kind` (`method` or `subscription`).
    fn of(owner: &Value, kind: &str) -> Result<Self, TsError> {
        let structure = owner["paramStructure"]
            .as_str()
            .unwrap_or("either")
            .to_owned();
        let list = owner["params"]
            .as_array()
            .ok_or_else(|| {
                TsError::Document(format!("{kind} {} has no `params` array", owner["name"]))
            })?
            .iter()
            .map(|d| Param {
                name: d["name"].as_str().unwrap_or("arg").to_owned(),
                ts: ts_type(&d["schema"], 2),
                required: d["required"].as_bool().unwrap_or(false),
                rest: d["x-rest"].as_bool().unwrap_or(false),
            })
            .collect();
        Ok(Self { structure, list })
    }

    fn by_name(&self) -> String {
        let mut s = String::from("{ ");
        for (i, p) in self.list.iter().enumerate() {
            let _ = write!(
                s,
                "{}{}{}: {}",
                if i > 0 { "; " } else { "" },
                prop_name(&p.name),
                if p.required { "" } else { "?" },
                p.ts
            );
        }
        s.push_str(" }");
        s
    }

    fn by_position(&self) -> String {
        let parts: Vec<String> = self
            .list
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let label = ident(&p.name);
                if p.rest {
                    format!("...{label}: {}[]", paren(&p.ts))
                } else {
                    // An element may be optional only when every later one is too.
                    let optional = !p.required && self.list[i..].iter().all(|p| !p.required);
                    format!("{label}{}: {}", if optional { "?" } else { "" }, p.ts)
                }
            })
            .collect();
        format!("[{}]", parts.join(", "))
    }

    /// Every form the params may take.
    fn union(&self) -> String {
        if self.list.is_empty() {
            return NO_PARAMS.into();
        }
        match self.structure.as_str() {
            "by-name" => self.by_name(),
            "by-position" => self.by_position(),
            _ => format!("{} | {}", self.by_name(), self.by_position()),
        }
    }

    fn optional(&self) -> bool {
        self.list.iter().all(|p| !p.required)
    }

    /// The `params` argument of `invoke` / `notify` / `subscribe`.
    fn argument(&self) -> String {
        format!(
            "params{}: {}",
            if self.optional() { "?" } else { "" },
            self.union()
        )
    }
}

/// The typed client's shape: methods and subscriptions by the last part of their names,
/// inside groups named by the parts before.
#[derive(Default)]
struct Tree {
    leaves: BTreeMap<String, Leaf>,
    groups: BTreeMap<String, Tree>,
}

/// A function of the typed client.
#[derive(Clone, Copy)]
enum Leaf {
    /// An index into [`Model::methods`].
    Method(usize),
    /// An index into [`Model::subscriptions`].
    Subscription(usize),
}

impl Tree {
    fn insert(&mut self, path: &str, leaf: Leaf) -> Result<(), TsError> {
        let parts: Vec<&str> = path.split('.').collect();
        if matches!(parts.as_slice(), ["on"] | ["once"]) || parts.contains(&"__proto__") {
            return Err(TsError::Reserved(path.into()));
        }
        self.insert_at(path, &parts, leaf)
    }

    fn insert_at(&mut self, full: &str, parts: &[&str], leaf: Leaf) -> Result<(), TsError> {
        match parts {
            [last] => {
                if self.groups.contains_key(*last) {
                    return Err(TsError::Collision(full.into()));
                }
                if self.leaves.insert((*last).into(), leaf).is_some() {
                    return Err(TsError::Duplicate(full.into()));
                }
                Ok(())
            }
            [first, rest @ ..] => {
                if self.leaves.contains_key(*first) {
                    return Err(TsError::Collision(
                        full.rsplit_once('.').map_or(full, |p| p.0).into(),
                    ));
                }
                self.groups
                    .entry((*first).into())
                    .or_default()
                    .insert_at(full, rest, leaf)
            }
            [] => Err(TsError::Document("an empty method name".into())),
        }
    }

    fn write_d_ts(&self, model: &Model<'_>, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        for (key, group) in &self.groups {
            let _ = writeln!(out, "{pad}readonly {}: {{", prop_name(key));
            group.write_d_ts(model, out, depth + 1);
            let _ = writeln!(out, "{pad}}};");
        }
        for (key, &leaf) in &self.leaves {
            out.push_str(&match leaf {
                Leaf::Method(i) => model.methods[i].d_ts_member(key, &pad),
                Leaf::Subscription(i) => model.subscriptions[i].d_ts_member(key, &pad),
            });
        }
    }

    fn write_js(&self, model: &Model<'_>, out: &mut String, depth: usize) {
        let pad = "  ".repeat(depth);
        for (key, group) in &self.groups {
            let _ = writeln!(out, "{pad}{}: Object.freeze({{", prop_name(key));
            group.write_js(model, out, depth + 1);
            let _ = writeln!(out, "{pad}}}),");
        }
        for (key, &leaf) in &self.leaves {
            out.push_str(&match leaf {
                Leaf::Method(i) => model.methods[i].js_member(key, &pad),
                Leaf::Subscription(i) => model.subscriptions[i].js_member(key, &pad),
            });
        }
    }
}

/// The TypeScript type of a (draft-07, schemars-style) JSON Schema. `depth` indents objects.
pub(crate) fn ts_type(schema: &Value, depth: usize) -> String {
    let o = match schema {
        Value::Bool(true) => return "unknown".into(),
        Value::Bool(false) => return "never".into(),
        Value::Object(o) => o,
        _ => return "unknown".into(),
    };
    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
        return ident(r.rsplit('/').next().unwrap_or(r));
    }
    // Binary data (`rpcview::Bytes`): the preload hands the page a Uint8Array and takes any
    // ArrayBuffer view; the JSON forms on the wire are the transport's business.
    if o.get("contentMediaType").and_then(Value::as_str) == Some("application/octet-stream") {
        return "Uint8Array".into();
    }
    if let Some(c) = o.get("const") {
        return c.to_string();
    }
    if let Some(e) = o.get("enum").and_then(Value::as_array) {
        return e
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(list) = o.get(key).and_then(Value::as_array) {
            let mut alts: Vec<String> = Vec::new();
            for s in list {
                let t = ts_type(s, depth);
                if !alts.contains(&t) {
                    alts.push(t);
                }
            }
            let union = alts
                .iter()
                .map(|t| paren(t))
                .collect::<Vec<_>>()
                .join(" | ");
            return with_siblings(o, union, depth, key);
        }
    }
    if let Some(list) = o.get("allOf").and_then(Value::as_array) {
        let parts: Vec<String> = list.iter().map(|s| paren(&ts_type(s, depth))).collect();
        return with_siblings(o, parts.join(" & "), depth, "allOf");
    }
    let types: Vec<&str> = match o.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if o.contains_key("properties") || o.contains_key("additionalProperties") => {
            vec!["object"]
        }
        _ if o.contains_key("items") => vec!["array"],
        _ => return "unknown".into(),
    };
    let parts: Vec<String> = types
        .iter()
        .map(|t| match *t {
            "string" => "string".into(),
            "integer" | "number" => "number".into(),
            "boolean" => "boolean".into(),
            "null" => "null".into(),
            "array" => array_type(o, depth),
            "object" => object_type(o, depth),
            _ => "unknown".into(),
        })
        .collect();
    parts.join(" | ")
}

/// A union with sibling object keywords (an internally tagged enum's shared properties).
fn with_siblings(
    o: &serde_json::Map<String, Value>,
    combined: String,
    depth: usize,
    _key: &str,
) -> String {
    if o.contains_key("properties") {
        format!("{} & ({combined})", object_type(o, depth))
    } else {
        combined
    }
}

fn array_type(o: &serde_json::Map<String, Value>, depth: usize) -> String {
    match o.get("items") {
        Some(Value::Array(items)) => {
            let min = o
                .get("minItems")
                .and_then(Value::as_u64)
                .unwrap_or(items.len() as u64) as usize;
            let parts: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}{}", ts_type(s, depth), if i >= min { "?" } else { "" }))
                .collect();
            format!("[{}]", parts.join(", "))
        }
        Some(item) => format!("{}[]", paren(&ts_type(item, depth))),
        None => "unknown[]".into(),
    }
}

fn object_type(o: &serde_json::Map<String, Value>, depth: usize) -> String {
    let required: Vec<&str> = o
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let extra = match o.get("additionalProperties") {
        Some(Value::Bool(false)) => None,
        Some(s @ Value::Object(_)) => Some(ts_type(s, depth + 1)),
        _ => Some("unknown".to_string()),
    };
    let props = match o.get("properties").and_then(Value::as_object) {
        Some(p) if !p.is_empty() => p,
        _ => {
            return format!(
                "{{ [key: string]: {} }}",
                extra.unwrap_or_else(|| "never".into())
            )
        }
    };
    let pad = "  ".repeat(depth + 1);
    let mut s = String::from("{\n");
    if let Some(Value::Object(_)) = o.get("additionalProperties") {
        // Extra keys (a flattened map) next to typed fields: typed as unknown, which every
        // field's type fits.
        let _ = writeln!(s, "{pad}[key: string]: unknown;");
    }
    for (name, schema) in props {
        s.push_str(&jsdoc(
            schema.get("description").and_then(Value::as_str),
            &pad,
        ));
        let opt = if required.contains(&name.as_str()) {
            ""
        } else {
            "?"
        };
        let _ = writeln!(
            s,
            "{pad}{}{opt}: {};",
            prop_name(name),
            ts_type(schema, depth + 1)
        );
    }
    let _ = write!(s, "{}}}", "  ".repeat(depth));
    s
}

fn paren(t: &str) -> String {
    if t.contains(" | ") || t.contains(" & ") {
        format!("({t})")
    } else {
        t.to_owned()
    }
}

fn jsdoc(text: Option<&str>, pad: &str) -> String {
    match text {
        None => String::new(),
        Some(t) if !t.contains('\n') => format!("{pad}/** {} */\n", t.replace("*/", "*\\/")),
        Some(t) => {
            let mut s = format!("{pad}/**\n");
            for line in t.lines() {
                let _ = writeln!(s, "{pad} * {}", line.replace("*/", "*\\/")).map(|_| ());
            }
            s.push_str(&format!("{pad} */\n"));
            s.replace(" * \n", " *\n")
        }
    }
}

/// A valid TypeScript identifier for a schema or param name.
fn ident(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

fn is_ident(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn prop_name(name: &str) -> String {
    if is_ident(name) {
        name.to_owned()
    } else {
        quote(name)
    }
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

#[cfg(test)]
mod tests {
    use super::ts_type;
    use serde_json::json;

    macro_rules! case {
        ($name:ident, $schema:expr, $want:expr) => {
            #[test]
            fn $name() {
                assert_eq!(ts_type(&$schema, 0), $want);
            }
        };
    }
    case!(string, json!({"type": "string"}), "string");
    case!(
        bytes_are_a_uint8array,
        json!({"contentMediaType": "application/octet-stream", "type": "object", "oneOf": [{"required": ["$blob"]}, {"required": ["$base64"]}]}),
        "Uint8Array"
    );
    case!(
        nullable,
        json!({"type": ["string", "null"]}),
        "string | null"
    );
    case!(
        integer,
        json!({"type": "integer", "format": "int64"}),
        "number"
    );
    case!(
        string_enum,
        json!({"type": "string", "enum": ["a", "b"]}),
        "\"a\" | \"b\""
    );
    case!(
        reference,
        json!({"$ref": "#/components/schemas/Note"}),
        "Note"
    );
    case!(
        option_of_struct,
        json!({"anyOf": [{"$ref": "#/components/schemas/Note"}, {"type": "null"}]}),
        "Note | null"
    );
    case!(
        vec,
        json!({"type": "array", "items": {"type": "boolean"}}),
        "boolean[]"
    );
    case!(
        vec_of_union,
        json!({"type": "array", "items": {"type": ["string", "null"]}}),
        "(string | null)[]"
    );
    case!(
        tuple,
        json!({"type": "array", "items": [{"type": "string"}, {"type": "integer"}], "minItems": 2}),
        "[string, number]"
    );
    case!(
        map,
        json!({"type": "object", "additionalProperties": {"type": "integer"}}),
        "{ [key: string]: number }"
    );
    case!(unit, json!({"type": "null"}), "null");
    case!(anything, json!(true), "unknown");
    case!(
        object,
        json!({"type": "object", "properties": {"a": {"type": "string"}, "b-c": {"type": "integer"}}, "required": ["a"]}),
        "{\n  a: string;\n  \"b-c\"?: number;\n}"
    );

    case!(
        flattened_map,
        json!({"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}, "required": ["a"]}),
        "{\n  [key: string]: unknown;\n  a: string;\n}"
    );

    #[test]
    fn reserved_client_names_are_refused() {
        for name in ["on", "once", "a.__proto__"] {
            let doc = json!({"methods": [{"name": name, "params": [], "result": {"name": "r", "schema": true}}]});
            assert_eq!(
                super::generate(&doc).unwrap_err(),
                super::TsError::Reserved(name.into())
            );
        }
        let ok = json!({"methods": [{"name": "notes.on", "params": [], "result": {"name": "r", "schema": true}}]});
        assert!(super::generate(&ok).is_ok());
    }

    /// A document with a method, a subscription with params and one without.
    fn with_subscriptions() -> serde_json::Value {
        json!({
            "methods": [{"name": "downloads.start", "paramStructure": "by-name",
                "params": [{"name": "url", "required": true, "schema": {"type": "string"}}],
                "result": {"name": "result", "schema": {"type": "string"}}}],
            "x-subscriptions": [
                {"name": "downloads.progress", "description": "How far a download got.",
                    "paramStructure": "either",
                    "params": [{"name": "id", "required": true, "schema": {"type": "string"}}],
                    "item": {"name": "item", "schema": {"$ref": "#/components/schemas/Progress"}},
                    "errors": [{"code": -32602, "message": "no such download"}]},
                {"name": "clock.ticks", "paramStructure": "by-name", "params": [],
                    "item": {"name": "item", "schema": {"type": "integer"}}},
                {"name": "logs.tail", "paramStructure": "by-position",
                    "params": [{"name": "level", "schema": {"type": "string"}}],
                    "item": {"name": "item", "schema": {"type": "string"}}}
            ],
            "components": {"schemas": {"Progress": {"type": "object",
                "properties": {"done": {"type": "integer"}}, "required": ["done"]}}}
        })
    }

    fn files(doc: &serde_json::Value) -> [String; 5] {
        let out = super::generate(doc).unwrap();
        let names: Vec<_> = out.files.iter().map(|f| f.0).collect();
        assert_eq!(
            names,
            [
                "api.d.ts",
                "client.js",
                "client.d.ts",
                "mock.js",
                "mock.d.ts"
            ]
        );
        let texts: Vec<String> = out.files.into_iter().map(|f| f.1).collect();
        texts.try_into().unwrap()
    }

    #[track_caller]
    fn has(text: &str, line: &str) {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }

    #[test]
    fn subscriptions_are_typed_in_api_d_ts() {
        let [api, ..] = files(&with_subscriptions());
        has(&api, "export interface Subscriptions {\n  /** How far a download got. */\n  \"downloads.progress\": { params: { id: string } | [id: string]; item: Progress };\n");
        has(
            &api,
            "  \"clock.ticks\": { params: [] | Record<string, never>; item: number };\n",
        );
        has(
            &api,
            "  \"logs.tail\": { params: [level?: string]; item: string };\n",
        );
        // Params are optional exactly when `invoke`'s would be.
        has(&api, "  \"downloads.progress\": [params: { id: string } | [id: string], options?: SubscribeOptions<Progress>];\n");
        has(&api, "  \"clock.ticks\": [params?: [] | Record<string, never>, options?: SubscribeOptions<number>];\n");
        has(
            &api,
            "  \"logs.tail\": [params?: [level?: string], options?: SubscribeOptions<string>];\n",
        );
        has(&api, "  subscribe<S extends keyof Subscriptions>(name: S, ...args: SubscribeArgs[S]): Promise<Subscription<Subscriptions[S][\"item\"]>>;\n");
        has(
            &api,
            "  readonly subscriptions: readonly (keyof Subscriptions)[];\n",
        );
        has(&api, "  subscriptionCount(): number;\n");
        has(&api, "export interface Subscription<T> {\n");
        has(&api, "  [Symbol.asyncIterator](): AsyncIterator<T>;\n");
        has(&api, "  onError?: (error: RpcError) => void;\n");
        // Subscriptions are not methods.
        assert!(!api.contains("\"downloads.progress\": [params: { id: string } | [id: string], options?: InvokeOptions]"), "{api}");
        assert!(
            !api.contains(
                "\"downloads.progress\": { params: { id: string } | [id: string]; result"
            ),
            "{api}"
        );
    }

    #[test]
    fn invoke_and_notify_are_generic_over_their_maps() {
        let doc = json!({"methods": [
            {"name": "notes.get", "description": "One note.", "paramStructure": "by-name",
                "params": [{"name": "id", "required": true, "schema": {"type": "string"}}],
                "result": {"name": "result", "schema": {"type": "string"}}},
            {"name": "notes.list", "params": [], "result": {"name": "result", "schema": {"type": "integer"}}},
            {"name": "app.log", "paramStructure": "by-position",
                "params": [{"name": "line", "schema": {"type": "string"}}]}
        ]});
        let [api, ..] = files(&doc);
        has(&api, "  invoke<M extends keyof Methods>(method: M, ...args: InvokeArgs[M]): Promise<Methods[M][\"result\"]>;\n");
        has(
            &api,
            "  notify<N extends keyof Notifications>(method: N, ...args: NotifyArgs[N]): void;\n",
        );
        has(&api, "export interface InvokeArgs {\n  \"notes.get\": [params: { id: string }, options?: InvokeOptions];\n  \"notes.list\": [params?: [] | Record<string, never>, options?: InvokeOptions];\n");
        has(
            &api,
            "export interface NotifyArgs {\n  \"app.log\": [params?: [line?: string]];\n}\n",
        );
        // rpc.discover is a method of every window, in both maps.
        has(&api, "  \"rpc.discover\": { params: [] | Record<string, never>; result: { openrpc: string; [key: string]: unknown } };\n}\n");
        has(&api, "  \"rpc.discover\": [params?: [] | Record<string, never>, options?: InvokeOptions];\n}\n");
        // Descriptions stay on the maps.
        has(
            &api,
            "  /** One note. */\n  \"notes.get\": { params: { id: string }; result: string };\n",
        );
        // No notifications: no `notify` (a call fails to compile naming `notify`).
        let doc = json!({"methods": [{"name": "m", "params": [], "result": {"name": "r", "schema": true}}]});
        let [api, ..] = files(&doc);
        assert!(!api.contains("notify<"), "{api}");
        has(&api, "export interface NotifyArgs {\n}\n");
        // A document with its own rpc.discover keeps it, once.
        let doc = json!({"methods": [{"name": "rpc.discover", "params": [], "result": {"name": "r", "schema": {"type": "object"}}}]});
        let [api, ..] = files(&doc);
        assert_eq!(api.matches("\"rpc.discover\": {").count(), 1, "{api}");
    }

    #[test]
    fn the_client_looks_the_bridge_up_at_its_first_call() {
        let [_, js, d_ts, ..] = files(&with_subscriptions());
        has(&js, "export function createClient(api) {\n");
        has(
            &js,
            "    if (found == null) found = /** @type {any} */ (globalThis).api;\n",
        );
        has(
            &js,
            "`rpcview: window.api is not defined, so ${what} cannot be called. `",
        );
        assert!(!js.contains("createClient(api ="), "{js}");
        has(&d_ts, "looked up at the first call");
    }

    #[test]
    fn subscriptions_are_in_the_client_beside_methods() {
        let [_, js, d_ts, ..] = files(&with_subscriptions());
        has(&js, "    downloads: Object.freeze({\n      progress: sub(\"downloads.progress\"),\n      start: call(\"downloads.start\"),\n    }),\n");
        has(&js, "      ticks: sub0(\"clock.ticks\"),\n");
        has(&js, "      tail: sub(\"logs.tail\"),\n");
        has(&d_ts, "    /** How far a download got. */\n    progress(params: Subscriptions[\"downloads.progress\"][\"params\"], options?: SubscribeOptions<Subscriptions[\"downloads.progress\"][\"item\"]>): Promise<Subscription<Subscriptions[\"downloads.progress\"][\"item\"]>>;\n");
        has(&d_ts, "    ticks(options?: SubscribeOptions<Subscriptions[\"clock.ticks\"][\"item\"]>): Promise<Subscription<Subscriptions[\"clock.ticks\"][\"item\"]>>;\n");
        has(
            &d_ts,
            "    tail(params?: Subscriptions[\"logs.tail\"][\"params\"], options?: ",
        );
    }

    #[test]
    fn event_listeners_get_the_relay_metadata() {
        let [api, ..] = files(&with_subscriptions());
        has(&api, "export interface EventMeta {\n");
        has(&api, "  readonly from?: string;\n");
        for f in ["on", "once"] {
            has(&api, &format!("  {f}<E extends keyof Events>(event: E, listener: (payload: Events[E], meta: EventMeta) => void): () => void;\n"));
        }
    }

    #[test]
    fn missing_subscriptions_are_none() {
        let doc = json!({"methods": [{"name": "m", "params": [], "result": {"name": "r", "schema": true}}]});
        let [api, js, ..] = files(&doc);
        has(&api, "export interface Subscriptions {\n}\n");
        has(&api, "export interface SubscribeArgs {\n}\n");
        assert!(!js.contains(": sub"), "{js}");
    }

    #[test]
    fn subscription_names_the_client_cannot_hold_are_refused() {
        let method = |name: &str| json!({"name": name, "params": [], "result": {"name": "r", "schema": true}});
        let sub = |name: &str| json!({"name": name, "params": [], "item": {"name": "item", "schema": true}});
        let refused = |methods: serde_json::Value, subs: serde_json::Value| {
            super::generate(&json!({"methods": methods, "x-subscriptions": subs})).unwrap_err()
        };
        use super::TsError::{Collision, Duplicate, Reserved};
        assert_eq!(
            refused(json!([method("a.b")]), json!([sub("a")])),
            Collision("a".into())
        );
        assert_eq!(
            refused(json!([method("a")]), json!([sub("a.b")])),
            Collision("a".into())
        );
        assert_eq!(
            refused(json!([method("a.b")]), json!([sub("a.b")])),
            Duplicate("a.b".into())
        );
        assert_eq!(
            refused(json!([]), json!([sub("a"), sub("a")])),
            Duplicate("a".into())
        );
        for name in ["on", "once", "a.__proto__"] {
            assert_eq!(
                refused(json!([]), json!([sub(name)])),
                Reserved(name.into())
            );
        }
    }

    #[test]
    fn a_subscription_needs_a_name_params_and_an_item() {
        let bad = [
            json!({"params": [], "item": {"name": "item", "schema": true}}),
            json!({"name": "s", "item": {"name": "item", "schema": true}}),
            json!({"name": "s", "params": []}),
        ];
        for s in bad {
            let doc = json!({"methods": [], "x-subscriptions": [s]});
            assert!(
                matches!(super::generate(&doc), Err(super::TsError::Document(_))),
                "{doc}"
            );
        }
        let doc = json!({"methods": [], "x-subscriptions": {}});
        assert!(matches!(
            super::generate(&doc),
            Err(super::TsError::Document(_))
        ));
    }

    #[test]
    fn the_mock_is_the_same_for_every_app_and_typed_from_its_api() {
        let [_, _, _, js, d_ts] = files(&with_subscriptions());
        let [_, _, _, other_js, other_d_ts] = files(&json!({"methods": []}));
        assert_eq!(js, other_js, "mock.js does not depend on the document");
        assert_eq!(
            d_ts, other_d_ts,
            "mock.d.ts takes the app's types from ./api"
        );
        assert!(js.starts_with(super::HEADER), "{js}");
        has(&js, "export function installMock(options) {\n");
        has(&js, "export function createMock(options) {\n");
        has(
            &js,
            "new RpcError(Code.METHOD_NOT_FOUND, 'Method not found', { method })",
        );
        has(&d_ts, "} from \"./api\";\n");
        has(
            &d_ts,
            "export type Handlers = { [M in keyof Methods]?: Handler<M> };\n",
        );
        has(&d_ts, "emit<E extends keyof Events>(event: E, payload: Events[E], meta?: EventMeta): number;\n");
    }
}
