//! Schema evolution: what changed between two OpenRPC documents, and whether a page built
//! against the old one breaks against the new one.
//!
//! The rules, from the caller's side:
//! - removing a method, a notification, a subscription (`x-subscriptions`) or an event
//!   breaks; adding one does not;
//! - a method that becomes a notification (or back) breaks; so does a method or notification
//!   that becomes a subscription (or back);
//! - params (of methods, notifications and subscriptions alike), what pages send: a new
//!   required param, a removed param, a param that became required, a param that moved
//!   position, or a params schema that accepts less (narrowed) breaks; a new optional param,
//!   or a schema that accepts more (widened), does not;
//! - results, subscription items and event payloads, what pages receive: a schema that may
//!   now produce values the old one could not (widened) breaks; one that produces less
//!   (narrowed), or a new field, does not.
//!
//! What a schema accepts, compared everywhere in it (each rule a function below):
//! - types: a type added or removed, `null` (an `Option`), anything (`true`, `{}`,
//!   `serde_json::Value`); an integer is a number, and a `type` array is the union of its
//!   types;
//! - values: `enum` and `const` values added or removed (a renamed unit variant is both), a
//!   type restricted to values or no longer;
//! - unions: every variant of `oneOf` / `anyOf` (nested, behind `$ref`s), matched by tag
//!   (`#[serde(tag = "type")]`: a field with one value in every variant), by their one field
//!   (externally tagged enums), else by type, field names and position: a variant added or
//!   removed, a tag renamed, and any change inside a matched variant, at its path
//!   (`at [type="Circle"]/r`); every member of an `allOf`;
//! - strings: `pattern` (a changed one goes both ways), `format`, `minLength`, `maxLength`;
//! - numbers: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (an integer's
//!   `format`, `uint32`, counts as the bounds it stands for), `multipleOf`;
//! - arrays: `minItems`, `maxItems`, `uniqueItems`, items (`/*`), tuple items position by
//!   position (array-form `items`, `prefixItems`: `/[0]`);
//! - objects: fields removed, added, required or not (`/field`), map values
//!   (`additionalProperties`: `/{key}`), closed to unknown fields;
//! - `$ref`s are followed on both sides; a recursive type is compared once.
//!
//! [`compare`] walks methods, subscriptions, params and events, applying one function per
//! rule. Schemas are compared by `diff`: each side is read as alternatives (`Alts`), compared
//! by the rules in `UNION_RULES`; their variants are paired (`match_variants`), and each pair
//! compared by the rules in `SCHEMA_RULES` and walked (fields, map values, items, `allOf`).
//! Findings are sorted as narrowed or widened; `input` (params) and `output` (results,
//! items, payloads) then say which break.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{Map, Value};

/// One difference between two documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Whether a page built against the old document can break.
    pub breaking: bool,
    /// What changed, naming the method, subscription, param or event.
    pub what: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            if self.breaking {
                "BREAKING"
            } else {
                "compatible"
            },
            self.what
        )
    }
}

/// Every difference between `old` and `new`, breaking ones first.
///
/// ```
/// use serde_json::json;
/// let old = json!({"methods": [{"name": "a", "params": [], "result": {"name": "r", "schema": {"type": "string"}}}]});
/// let new = json!({"methods": []});
/// let changes = rpcview_contract::compat::compare(&old, &new);
/// assert_eq!(changes[0].to_string(), "BREAKING: method 'a' was removed");
/// ```
pub fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let cx = Cx {
        old: components(old),
        new: components(new),
    };
    let mut out = Vec::new();
    let (old_methods, new_methods) = (by_name(&old["methods"]), by_name(&new["methods"]));
    let (old_subs, new_subs) = (
        by_name(&old["x-subscriptions"]),
        by_name(&new["x-subscriptions"]),
    );
    for (name, o) in &old_methods {
        match (find(&new_methods, name), find(&new_subs, name)) {
            (Some(n), _) => method(&cx, name, o, n, &mut out),
            (None, Some(_)) => out.push(became_subscription(name, o)),
            (None, None) => out.push(method_removed(name, o)),
        }
    }
    for (name, n) in added(&old_methods, &new_methods) {
        if find(&old_subs, name).is_none() {
            out.push(method_added(name, n));
        }
    }
    for (name, o) in &old_subs {
        match (find(&new_subs, name), find(&new_methods, name)) {
            (Some(n), _) => subscription(&cx, name, o, n, &mut out),
            (None, Some(n)) => out.push(stopped_being_a_subscription(name, n)),
            (None, None) => out.push(subscription_removed(name)),
        }
    }
    for (name, _) in added(&old_subs, &new_subs) {
        if find(&old_methods, name).is_none() {
            out.push(subscription_added(name));
        }
    }
    let (old_events, new_events) = (by_name(&old["x-events"]), by_name(&new["x-events"]));
    for (name, o) in &old_events {
        match find(&new_events, name) {
            None => out.push(event_removed(name)),
            Some(n) => event_payload(&cx, name, o, n, &mut out),
        }
    }
    for (name, _) in added(&old_events, &new_events) {
        out.push(event_added(name));
    }
    out.sort_by_key(|c| !c.breaking);
    out
}

/// One method or notification in both documents: its kind, result, and params.
fn method(cx: &Cx, name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if let Some(change) = kind_changed(name, old, new) {
        return out.push(change);
    }
    if let (Some(o), Some(n)) = (old.get("result"), new.get("result")) {
        method_result(cx, name, o, n, out);
    }
    params(cx, &format!("method '{name}'"), old, new, out);
}

/// One subscription in both documents: its item, and its params.
fn subscription(cx: &Cx, name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    subscription_item(cx, name, &old["item"], &new["item"], out);
    params(cx, &format!("subscription '{name}'"), old, new, out);
}

/// The params of `owner` (`method 'm'` or `subscription 's'`) in both documents.
fn params(cx: &Cx, owner: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (os, ns) = (param_structure(old), param_structure(new));
    out.extend(param_structure_restricted(owner, &os, &ns));
    let (old_params, new_params) = (by_name(&old["params"]), by_name(&new["params"]));
    for (i, (pname, o)) in old_params.iter().enumerate() {
        let what = format!("{owner} param '{pname}'");
        match new_params.iter().position(|(n, _)| n == pname) {
            None => out.push(param_removed(&what)),
            Some(j) => {
                let n = new_params[j].1;
                out.extend(param_moved(&what, i, j, &os));
                out.extend(param_became_required(&what, o, n));
                input(cx, &what, &o["schema"], &n["schema"], out);
            }
        }
    }
    for (pname, n) in added(&old_params, &new_params) {
        out.push(param_added(&format!("{owner} param '{pname}'"), n));
    }
}

// Methods and notifications.

/// A method or notification removed breaks: pages built on the old document still call it,
/// and the host no longer answers.
fn method_removed(name: &str, old: &Value) -> Change {
    breaking(format!("{} '{name}' was removed", kind(old)))
}

/// A method or notification added is compatible: no old page calls it.
fn method_added(name: &str, new: &Value) -> Change {
    compatible(format!("{} '{name}' was added", kind(new)))
}

/// A method that becomes a notification breaks: pages await a result that never comes. A
/// notification that becomes a method breaks: pages notify, and the host expects a call.
fn kind_changed(name: &str, old: &Value, new: &Value) -> Option<Change> {
    match (old.get("result"), new.get("result")) {
        (Some(_), None) => Some(breaking(format!("method '{name}' became a notification"))),
        (None, Some(_)) => Some(breaking(format!("notification '{name}' became a method"))),
        _ => None,
    }
}

/// A method's result: breaking when the new one may produce a value pages were not written
/// for (see [`output`]).
fn method_result(cx: &Cx, name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let what = format!("method '{name}' result");
    output(cx, &what, &old["schema"], &new["schema"], out);
}

// Subscriptions.

/// A removed subscription breaks: pages built on the old document still subscribe, and the
/// host refuses.
fn subscription_removed(name: &str) -> Change {
    breaking(format!("subscription '{name}' was removed"))
}

/// An added subscription is compatible: no old page subscribes to it.
fn subscription_added(name: &str) -> Change {
    compatible(format!("subscription '{name}' was added"))
}

/// A method or notification that became a subscription breaks: pages invoke (or notify) it,
/// and the host no longer answers that way.
fn became_subscription(name: &str, old: &Value) -> Change {
    breaking(format!("{} '{name}' became a subscription", kind(old)))
}

/// A subscription that became a method or notification breaks: pages subscribe to it, and
/// the host no longer streams it.
fn stopped_being_a_subscription(name: &str, new: &Value) -> Change {
    breaking(format!("subscription '{name}' became a {}", kind(new)))
}

/// A subscription's item: breaking when the new one may be a value pages were not written
/// for, as a method's result (see [`output`]).
fn subscription_item(cx: &Cx, name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let what = format!("subscription '{name}' item");
    output(cx, &what, &old["schema"], &new["schema"], out);
}

// Params.

/// Params accepted only by name or only by position, where they were accepted in another
/// form before, break: pages sending them the old way are refused. (Back to `either` is
/// compatible: both forms are accepted.) `owner` is `method 'm'` or `subscription 's'`.
fn param_structure_restricted(owner: &str, old: &str, new: &str) -> Option<Change> {
    (old != new && new != "either")
        .then(|| breaking(format!("{owner} params are now {new} only (were {old})")))
}

/// A removed param breaks: pages still send it, and by position every later param shifts.
fn param_removed(what: &str) -> Change {
    breaking(format!("{what} was removed"))
}

/// A param at another position breaks, unless params were taken by name only: pages sending
/// params by position put a value in the wrong place.
fn param_moved(what: &str, old: usize, new: usize, old_structure: &str) -> Option<Change> {
    (old != new && old_structure != "by-name")
        .then(|| breaking(format!("{what} moved from position {old} to {new}")))
}

/// An optional param that became required breaks: pages that leave it out are refused.
fn param_became_required(what: &str, old: &Value, new: &Value) -> Option<Change> {
    (!required(old) && required(new)).then(|| breaking(format!("{what} became required")))
}

/// A new param breaks when it is required (old pages do not send it, so they are refused);
/// a new optional one is compatible.
fn param_added(what: &str, new: &Value) -> Change {
    if required(new) {
        breaking(format!("{what} was added as required"))
    } else {
        compatible(format!("{what} was added as optional"))
    }
}

/// A param's schema: breaking when the new one accepts less, since pages may send what only
/// the old one accepted; accepting more (or new optional fields) is compatible.
fn input(cx: &Cx, what: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let mut d = Diff::default();
    diff(cx, old, new, "", &mut d);
    for n in d.narrowed {
        out.push(breaking(format!("{what}{n}")));
    }
    for w in d.widened.into_iter().chain(d.added) {
        out.push(compatible(format!("{what}{w}")));
    }
}

// Events.

/// A removed event breaks: pages listening for it never hear from it again.
fn event_removed(name: &str) -> Change {
    breaking(format!("event '{name}' was removed"))
}

/// An added event is compatible: no old page listens for it.
fn event_added(name: &str) -> Change {
    compatible(format!("event '{name}' was added"))
}

/// An event's payload: breaking when the new one may carry a value pages were not written
/// for (see [`output`]).
fn event_payload(cx: &Cx, name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let what = format!("event '{name}' payload");
    output(cx, &what, &old["schema"], &new["schema"], out);
}

/// A result's or payload's schema: breaking when the new one may produce values the old one
/// could not, since pages handle only what the old one produced; producing less (or new
/// optional fields) is compatible.
fn output(cx: &Cx, what: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let mut d = Diff::default();
    diff(cx, old, new, "", &mut d);
    for w in d.widened {
        out.push(breaking(format!("{what}{w}")));
    }
    for n in d.narrowed.into_iter().chain(d.added) {
        out.push(compatible(format!("{what}{n}")));
    }
}

// Walking the documents.

/// The component schemas of both documents, where `$ref`s point.
struct Cx<'a> {
    old: &'a Map<String, Value>,
    new: &'a Map<String, Value>,
}

fn components(doc: &Value) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    doc["components"]["schemas"]
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn by_name(list: &Value) -> Vec<(String, &Value)> {
    list.as_array()
        .map(|l| {
            l.iter()
                .filter_map(|m| Some((m["name"].as_str()?.to_owned(), m)))
                .collect()
        })
        .unwrap_or_default()
}

/// The first item of `list` named `name`.
fn find<'a>(list: &[(String, &'a Value)], name: &str) -> Option<&'a Value> {
    list.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
}

/// The items of `new` whose names `old` lacks, in order.
fn added<'a, 'b>(
    old: &'b [(String, &'a Value)],
    new: &'b [(String, &'a Value)],
) -> impl Iterator<Item = (&'b str, &'a Value)> {
    new.iter()
        .filter(|(name, _)| !old.iter().any(|(o, _)| o == name))
        .map(|(name, v)| (name.as_str(), *v))
}

/// `method` or `notification`.
fn kind(m: &Value) -> &'static str {
    if m.get("result").is_some() {
        "method"
    } else {
        "notification"
    }
}

fn param_structure(m: &Value) -> String {
    m["paramStructure"].as_str().unwrap_or("either").to_owned()
}

fn required(param: &Value) -> bool {
    param["required"].as_bool().unwrap_or(false)
}

fn breaking(what: String) -> Change {
    Change {
        breaking: true,
        what,
    }
}

fn compatible(what: String) -> Change {
    Change {
        breaking: false,
        what,
    }
}

// Schemas.

/// What differs between two schemas, by direction; [`input`] and [`output`] say which breaks.
#[derive(Default)]
struct Diff {
    /// Ways the new schema accepts less.
    narrowed: Vec<String>,
    /// Ways the new schema accepts more.
    widened: Vec<String>,
    /// Optional fields added: more for inputs, harmless extra for outputs; never breaking.
    added: Vec<String>,
    /// The (old, new) pairs of schemas already compared, by their place in the documents
    /// (where their `$ref`s lead). A recursive type (a `Tree` holding `Vec<Tree>`) meets its
    /// own pair again and stops there; a type reached twice is reported once. Each walk is in
    /// one direction ([`input`] or [`output`] starts its own), so the direction is implied.
    seen: HashSet<(*const Value, *const Value)>,
}

/// One side of a schema comparison: what the schema accepts, as alternatives. `anyOf` and
/// `oneOf` (nested or behind `$ref`s), `Option`s and `type` arrays are read as one union of
/// single-typed variants, values (`enum`, `const`) and `null`.
#[derive(Default)]
struct Alts<'a> {
    /// Whether anything is accepted: `true`, `{}`, or a variant that only documents
    /// (`serde_json::Value`).
    anything: bool,
    /// Whether `null` is accepted (an `Option`): a `null` variant, type or value.
    nullable: bool,
    /// Values accepted one by one (`enum`, `const`), `null` aside.
    values: Vec<&'a Value>,
    /// The variants with a structure (a type, fields, bounds), one per type they accept.
    variants: Vec<Variant<'a>>,
    /// The fields that may tell object variants apart (`#[serde(tag = "type")]`): those with
    /// one value (`const`) in every object variant, the likeliest first.
    tags: Vec<String>,
    /// The field chosen to tell object variants apart, if any (see [`choose_tags`]).
    tag: Option<String>,
    /// Whether variants are told apart by key (more than one schema): then their findings
    /// name the variant.
    keyed: bool,
}

/// One variant of [`Alts`]: a schema, seen as accepting one of its types.
struct Variant<'a> {
    schema: &'a Value,
    /// The type this view of `schema` accepts; `None` when the schema names none (any type).
    ty: Option<String>,
    /// How it is matched with the other side's variants (see [`Alts::key_variants`]).
    key: Key,
    /// Its fields that have one value (`const` or a one-value `enum`): maybe its tag.
    consts: BTreeMap<&'a str, &'a Value>,
}

/// What identifies a variant across versions.
#[derive(PartialEq)]
enum Key {
    /// The value of the union's tag field (internally or adjacently tagged enums).
    Tag(Value),
    /// The one field of an object variant (externally tagged enums: `{"Circle": {...}}`).
    Field(String),
    /// Neither: matched by type and fields, then by position (untagged enums, plain schemas).
    Shape,
}

impl<'a> Alts<'a> {
    /// The alternatives of `s`, following `$ref`s into `defs`.
    fn of(s: &'a Value, defs: &'a Map<String, Value>) -> Self {
        let mut alts = Self::default();
        alts.add(s, defs, 0);
        alts.find_tags();
        alts
    }

    /// The alternatives of a union's members (an `anyOf` or `oneOf` beside other keywords).
    fn of_union(members: &'a [Value], defs: &'a Map<String, Value>) -> Self {
        let mut alts = Self::default();
        for m in members {
            alts.add(m, defs, 1);
        }
        alts.find_tags();
        alts
    }

    fn add(&mut self, s: &'a Value, defs: &'a Map<String, Value>, depth: usize) {
        if depth > 32 {
            self.anything = true; // a union of itself without end: nothing to compare
            return;
        }
        let s = resolve(s, defs);
        let Some(m) = s.as_object() else {
            // `true` (anything), `false` (nothing), or not a schema: read as anything.
            self.anything |= s != &Value::Bool(false);
            return;
        };
        if let Some(c) = m.get("const") {
            return self.add_values(std::slice::from_ref(c));
        }
        if let Some(e) = m.get("enum").and_then(Value::as_array) {
            return self.add_values(e);
        }
        let constraints: Vec<&str> = m
            .keys()
            .map(String::as_str)
            .filter(|k| !is_annotation(k))
            .collect();
        match constraints.as_slice() {
            [] => self.anything = true,
            [k @ ("anyOf" | "oneOf" | "allOf")] => {
                let members = m[*k].as_array().map(Vec::as_slice).unwrap_or_default();
                match (*k, members) {
                    ("allOf", [only]) => self.add(only, defs, depth + 1),
                    ("allOf", _) => self.add_variant(s, defs),
                    _ => members.iter().for_each(|v| self.add(v, defs, depth + 1)),
                }
            }
            _ => self.add_variant(s, defs),
        }
    }

    fn add_values(&mut self, values: &'a [Value]) {
        for v in values {
            if v.is_null() {
                self.nullable = true;
            } else if !self.values.contains(&v) {
                self.values.push(v);
            }
        }
    }

    fn add_variant(&mut self, s: &'a Value, defs: &'a Map<String, Value>) {
        let mut types = types(s);
        self.nullable |= types.remove("null");
        let consts: BTreeMap<&str, &Value> = s
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(k, f)| Some((k.as_str(), one_value(resolve(f, defs))?)))
            .collect();
        let ts: Vec<Option<String>> = if s.get("type").is_none() {
            vec![None]
        } else {
            types.into_iter().map(Some).collect()
        };
        for ty in ts {
            self.variants.push(Variant {
                schema: s,
                ty,
                key: Key::Shape,
                consts: consts.clone(),
            });
        }
    }

    /// Finds the fields that may be a tag, and whether there are several schemas (then
    /// findings name the variant).
    fn find_tags(&mut self) {
        let mut schemas: Vec<*const Value> = self.variants.iter().map(|v| ptr(v.schema)).collect();
        schemas.dedup();
        self.keyed = schemas.len() > 1;
        let objects: Vec<&Variant<'_>> = self
            .variants
            .iter()
            .filter(|v| v.ty.as_deref() == Some("object"))
            .collect();
        let Some(first) = objects.first() else { return };
        let mut tags: Vec<&str> = first
            .consts
            .keys()
            .copied()
            .filter(|k| objects.iter().all(|o| o.consts.contains_key(k)))
            .collect();
        // Likeliest first: values that differ in every variant, then required everywhere.
        tags.sort_by_key(|k| {
            let values: Vec<&Value> = objects.iter().map(|o| o.consts[k]).collect();
            let distinct = values
                .iter()
                .enumerate()
                .all(|(i, v)| !values[..i].contains(v));
            let required = objects
                .iter()
                .all(|o| required_fields(o.schema).contains(*k));
            (!distinct, !required)
        });
        self.tags = tags.into_iter().map(str::to_owned).collect();
    }

    /// Keys the object variants with `tag` (its value), or else by their one field
    /// (externally tagged: `{"Circle": {...}}`); the others match by shape.
    fn key_variants(&mut self, tag: Option<String>) {
        for v in &mut self.variants {
            if v.ty.as_deref() != Some("object") {
                continue;
            }
            if let Some(value) = tag.as_deref().and_then(|t| v.consts.get(t)) {
                v.key = Key::Tag((*value).clone());
            } else if let Some(field) = only_field(v.schema) {
                v.key = Key::Field(field);
            }
        }
        self.tag = tag;
    }

    /// The types accepted, `null` included; `None`: any type.
    fn types(&self) -> Option<BTreeSet<String>> {
        if self.anything {
            return None;
        }
        let mut t = BTreeSet::new();
        for v in &self.variants {
            t.insert(v.ty.clone()?);
        }
        t.extend(self.values.iter().map(|v| json_type(v).to_owned()));
        if self.nullable {
            t.insert("null".into());
        }
        if t.contains("number") {
            t.remove("integer");
        }
        Some(t)
    }

    /// Whether one value is accepted, as far as types, values and simple bounds tell.
    fn admits(&self, value: &Value) -> bool {
        self.anything
            || (value.is_null() && self.nullable)
            || self.values.contains(&value)
            || self.variants.iter().any(|v| admits(v, value))
    }

    /// Whether some value of type `t` may be accepted.
    fn admits_type(&self, t: Option<&str>) -> bool {
        let Some(t) = t else { return true };
        self.types().is_none_or(|set| type_accepted(&set, t))
    }

    /// How a message names `v`: its label without brackets, or its type.
    fn name(&self, v: &Variant<'_>) -> String {
        match self.label(v) {
            l if l.is_empty() => v.ty.clone().unwrap_or_else(|| "any".into()),
            l => l.trim_start_matches('[').trim_end_matches(']').to_owned(),
        }
    }

    /// How a finding names `v`: by tag value, by its one field, or by type (and rank among
    /// variants of that type); nothing when there is only one schema.
    fn label(&self, v: &Variant<'_>) -> String {
        if !self.keyed {
            return String::new();
        }
        match &v.key {
            Key::Tag(value) => format!("[{}={value}]", self.tag.as_deref().unwrap_or("")),
            Key::Field(f) => format!("[{f}]"),
            Key::Shape => {
                let ty = v.ty.as_deref().unwrap_or("any");
                let same: Vec<_> = self
                    .variants
                    .iter()
                    .filter(|o| o.ty == v.ty && o.key == Key::Shape)
                    .collect();
                match same.iter().position(|o| std::ptr::eq(o.schema, v.schema)) {
                    Some(i) if same.len() > 1 => format!("[{ty} #{}]", i + 1),
                    _ => format!("[{ty}]"),
                }
            }
        }
    }
}

/// Keywords that describe without constraining.
fn is_annotation(key: &str) -> bool {
    matches!(
        key,
        "title"
            | "description"
            | "default"
            | "examples"
            | "$comment"
            | "readOnly"
            | "writeOnly"
            | "deprecated"
            | "$schema"
            | "$id"
            | "definitions"
            | "$defs"
    ) || key.starts_with("x-")
}

/// The one value a schema allows (`const` or a one-value `enum`), if so.
fn one_value(s: &Value) -> Option<&Value> {
    s.get("const")
        .or_else(|| match s.get("enum")?.as_array()?.as_slice() {
            [only] => Some(only),
            _ => None,
        })
}

/// The one field of an object schema that has exactly one.
fn only_field(s: &Value) -> Option<String> {
    let props = s.get("properties")?.as_object()?;
    let [(name, _)] = props.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    Some(name.clone())
}

/// The tag fields of both sides: one both may have, the likeliest first; else, where both
/// sides have one and one side several object variants, each side's likeliest (a renamed
/// tag, told by [`tag_renamed`]); else none (a field that is constant on one side only is
/// no tag).
fn choose_tags(o: &Alts<'_>, n: &Alts<'_>) -> (Option<String>, Option<String>) {
    if let Some(t) = o.tags.iter().find(|t| n.tags.contains(t)) {
        return (Some(t.clone()), Some(t.clone()));
    }
    let objects = |a: &Alts<'_>| {
        a.variants
            .iter()
            .filter(|v| v.ty.as_deref() == Some("object"))
            .count()
    };
    match (o.tags.first(), n.tags.first()) {
        (Some(a), Some(b)) if objects(o) > 1 || objects(n) > 1 => {
            (Some(a.clone()), Some(b.clone()))
        }
        _ => (None, None),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a set of types accepts type `t`: it names it, or a wider one (every integer is a
/// number).
fn type_accepted(set: &BTreeSet<String>, t: &str) -> bool {
    set.contains(t) || (t == "integer" && set.contains("number"))
}

/// Whether variant `v` accepts `value`: its type, and its length or numeric bounds.
fn admits(v: &Variant<'_>, value: &Value) -> bool {
    let t = json_type(value);
    let fits = match v.ty.as_deref() {
        None => true,
        Some("number") => t == "number" || t == "integer",
        Some("integer") => t == "integer" || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        Some(ty) => ty == t,
    };
    let s = v.schema;
    fits && match value {
        Value::String(text) => {
            let len = text.chars().count() as f64;
            number(s, "minLength").is_none_or(|m| len >= m)
                && number(s, "maxLength").is_none_or(|m| len <= m)
        }
        Value::Number(n) => {
            let x = n.as_f64().unwrap_or_default();
            lower_bound(s).is_none_or(|(b, ex)| if ex { x > b } else { x >= b })
                && upper_bound(s).is_none_or(|(b, ex)| if ex { x < b } else { x <= b })
        }
        _ => true,
    }
}

fn ptr(v: &Value) -> *const Value {
    v
}

/// A bound as a message shows it: integers in full (`18446744073709551616`, not `1.8e19`).
fn show_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 2f64.powi(127) {
        (v as i128).to_string()
    } else {
        v.to_string()
    }
}

fn number(s: &Value, key: &str) -> Option<f64> {
    s.get(key).and_then(Value::as_f64)
}

/// Compares `old` and `new` at `path` (`""`, `/field`, `/*`, ...): their alternatives, then
/// each pair of matching variants.
fn diff(cx: &Cx, old: &Value, new: &Value, path: &str, d: &mut Diff) {
    let (o, n) = (Alts::of(old, cx.old), Alts::of(new, cx.new));
    alternatives(cx, o, n, path, d);
}

/// A rule comparing the alternatives of two schemas: `(old, new, " at /path" or "", findings)`.
type UnionRule = fn(&Alts<'_>, &Alts<'_>, &str, &mut Diff);

/// The rules applied to the alternatives at every place, in the order their findings are listed.
const UNION_RULES: [UnionRule; 3] = [type_set, tag_renamed, enum_values];

/// Applies [`UNION_RULES`], matches variants ([`match_variants`]), reports the unmatched and
/// compares the matched ([`variant`]). Nothing more is compared where either side accepts
/// anything.
fn alternatives(cx: &Cx, mut o: Alts<'_>, mut n: Alts<'_>, path: &str, d: &mut Diff) {
    let (ot, nt) = choose_tags(&o, &n);
    o.key_variants(ot);
    n.key_variants(nt);
    let (o, n) = (&o, &n);
    let at = at(path);
    for rule in UNION_RULES {
        rule(o, n, &at, d);
    }
    if o.anything || n.anything {
        return;
    }
    let matched = match_variants(o, n);
    for ov in matched.old_only {
        variant_removed(ov, o, n, &at, d);
    }
    for nv in matched.new_only {
        variant_added(nv, o, n, &at, d);
    }
    for (ov, nv) in matched.pairs {
        variant(cx, ov, nv, &format!("{path}{}", o.label(ov)), d);
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    }
}

/// Other types: fewer accept less, more accept more, others both (an integer is a number).
/// `null` is a type (an `Option`); a schema that accepts anything (`true`, `{}`,
/// `serde_json::Value`) has every type.
fn type_set(o: &Alts<'_>, n: &Alts<'_>, at: &str, d: &mut Diff) {
    let fmt = |t: &Option<BTreeSet<String>>| match t {
        None => "any".to_owned(),
        Some(t) if t.is_empty() => "nothing".to_owned(),
        Some(t) => t.iter().cloned().collect::<Vec<_>>().join("|"),
    };
    let (ot, nt) = (o.types(), n.types());
    let msg = format!("{at}: type {} → {}", fmt(&ot), fmt(&nt));
    let (old_fits_new, new_fits_old) = match (&ot, &nt) {
        (Some(a), Some(b)) if a == b => return,
        (Some(a), Some(b)) => (
            a.iter().all(|t| type_accepted(b, t)),
            b.iter().all(|t| type_accepted(a, t)),
        ),
        (Some(_), None) => (true, false),
        (None, Some(_)) => (false, true),
        (None, None) if o.anything == n.anything => return,
        (None, None) => (n.anything, o.anything),
    };
    match (old_fits_new, new_fits_old) {
        (true, false) => d.widened.push(msg),
        (false, true) => d.narrowed.push(msg),
        _ => {
            d.narrowed.push(msg.clone());
            d.widened.push(msg);
        }
    }
}

/// A union whose tag field changed name (`#[serde(tag = "type")]` → `"kind"`) breaks both
/// ways: no value of one has the other's tag.
fn tag_renamed(o: &Alts<'_>, n: &Alts<'_>, at: &str, d: &mut Diff) {
    if let (Some(a), Some(b)) = (&o.tag, &n.tag) {
        if a != b {
            d.narrowed.push(format!("{at}: tag '{a}' → '{b}'"));
            d.widened.push(format!("{at}: tag '{a}' → '{b}'"));
        }
    }
}

/// Values (`enum`, `const`, a renamed unit variant) the new side no longer accepts are removed
/// (accepts less); values the old side did not accept are added (accepts more). A value still
/// accepted by a variant of the other side (a string enum widened to any string) is neither.
fn enum_values(o: &Alts<'_>, n: &Alts<'_>, at: &str, d: &mut Diff) {
    let missing = |from: &Alts<'_>, other: &Alts<'_>| -> Vec<String> {
        from.values
            .iter()
            .filter(|v| !other.admits(v))
            .map(|v| v.to_string())
            .collect()
    };
    let (removed, added) = (missing(o, n), missing(n, o));
    if !removed.is_empty() {
        d.narrowed
            .push(format!("{at}: enum values removed: {}", removed.join(", ")));
    }
    if !added.is_empty() {
        d.widened
            .push(format!("{at}: enum values added: {}", added.join(", ")));
    }
}

/// Variants of both sides, paired; and those of each side left over.
struct Matched<'x, 'a> {
    pairs: Vec<(&'x Variant<'a>, &'x Variant<'a>)>,
    old_only: Vec<&'x Variant<'a>>,
    new_only: Vec<&'x Variant<'a>>,
}

/// Pairs variants: by tag value or single field where they have one; then by type (an integer
/// goes with a number) and the same field names; then by type, in order.
fn match_variants<'x, 'a>(o: &'x Alts<'a>, n: &'x Alts<'a>) -> Matched<'x, 'a> {
    fn group<'v>(v: &'v Variant<'_>) -> Option<&'v str> {
        match v.ty.as_deref() {
            Some("integer") => Some("number"),
            t => t,
        }
    }
    let same_group = |a: &Variant<'_>, b: &Variant<'_>| {
        group(a).is_none() || group(b).is_none() || group(a) == group(b)
    };
    let names = |v: &Variant<'_>| {
        v.schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect::<BTreeSet<_>>())
    };
    // Keys count where either side is a union: a plain schema is matched by its shape.
    let keyed = o.keyed || n.keyed;
    let shape = |v: &Variant<'_>| !keyed || v.key == Key::Shape;
    type Pass<'p> = &'p dyn Fn(&Variant<'_>, &Variant<'_>) -> bool;
    let passes: [Pass<'_>; 3] = [
        &|a, b| !shape(a) && a.key == b.key && same_group(a, b),
        &|a, b| shape(a) && shape(b) && same_group(a, b) && names(a) == names(b),
        &|a, b| shape(a) && shape(b) && same_group(a, b),
    ];
    let mut new_used = vec![false; n.variants.len()];
    let mut old_used = vec![false; o.variants.len()];
    let mut pairs = Vec::new();
    for pass in passes {
        for (i, ov) in o.variants.iter().enumerate() {
            if old_used[i] {
                continue;
            }
            let found = n
                .variants
                .iter()
                .enumerate()
                .find(|(j, nv)| !new_used[*j] && pass(ov, nv));
            if let Some((j, nv)) = found {
                old_used[i] = true;
                new_used[j] = true;
                pairs.push((ov, nv));
            }
        }
    }
    let unused = |vs: &'x [Variant<'a>], used: &[bool]| {
        vs.iter()
            .zip(used)
            .filter(|(_, u)| !**u)
            .map(|(v, _)| v)
            .collect()
    };
    Matched {
        old_only: unused(&o.variants, &old_used),
        new_only: unused(&n.variants, &new_used),
        pairs,
    }
}

/// An old variant with no counterpart accepts less: removed (a variant of an enum), or
/// restricted to values (a string that became an enum of strings). A variant whose type the
/// new side lacks altogether is already told by [`type_set`].
fn variant_removed(v: &Variant<'_>, o: &Alts<'_>, n: &Alts<'_>, at: &str, d: &mut Diff) {
    if n.admits_type(v.ty.as_deref()) {
        d.narrowed.push(if became_values(v, n) {
            format!("{at}: restricted to an enum")
        } else {
            format!("{at}: variant {} removed", o.name(v))
        });
    }
}

/// A new variant with no counterpart accepts more: added (a variant of an enum), or no longer
/// restricted to values. A variant of a type the old side lacked is already told by
/// [`type_set`].
fn variant_added(v: &Variant<'_>, o: &Alts<'_>, n: &Alts<'_>, at: &str, d: &mut Diff) {
    if o.admits_type(v.ty.as_deref()) {
        d.widened.push(if became_values(v, o) {
            format!("{at}: no longer an enum")
        } else {
            format!("{at}: variant {} added", n.name(v))
        });
    }
}

/// Whether the other side takes, in place of variant `v`, values of its type.
fn became_values(v: &Variant<'_>, other: &Alts<'_>) -> bool {
    v.key == Key::Shape
        && other.values.iter().any(|x| {
            v.ty.as_deref()
                .is_none_or(|t| t == json_type(x) || (t == "number" && json_type(x) == "integer"))
        })
}

/// A rule comparing one keyword of two matched variants: `(old, new, " at /path" or "",
/// findings)`.
type SchemaRule = fn(&Value, &Value, &str, &mut Diff);

/// The rules applied to every pair of matched variants, in the order their findings are listed.
const SCHEMA_RULES: [SchemaRule; 7] = [
    bounds,
    numeric_bounds,
    multiple_of,
    pattern,
    format,
    unique_items,
    closed_object,
];

/// Compares two matched variants at `path`: applies [`SCHEMA_RULES`], then walks fields, map
/// values, items (tuples position by position), `allOf` members and a union beside other
/// keywords. A pair already compared (a recursive type) is not compared again.
fn variant(cx: &Cx, o: &Variant<'_>, n: &Variant<'_>, path: &str, d: &mut Diff) {
    if !d.seen.insert((ptr(o.schema), ptr(n.schema))) {
        return;
    }
    let (os, ns) = (o.schema, n.schema);
    let at = at(path);
    for rule in SCHEMA_RULES {
        rule(os, ns, &at, d);
    }
    fields(cx, os, ns, path, d);
    map_values(cx, os, ns, path, d);
    items(cx, os, ns, path, d);
    all_of(cx, os, ns, path, d);
    inner_union(cx, os, ns, path, d);
}

/// Pushes a finding: `Some(true)` narrowed, `Some(false)` widened, `None` nothing.
fn tightened(tighter: Option<bool>, msg: impl FnOnce() -> String, d: &mut Diff) {
    match tighter {
        Some(true) => d.narrowed.push(msg()),
        Some(false) => d.widened.push(msg()),
        None => {}
    }
}

/// A tighter bound (a new one, a higher minimum, a lower maximum, on lengths, item or field
/// counts) accepts less; a looser or dropped one accepts more.
fn bounds(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    for (key, lower_is_tighter) in [
        ("minLength", false),
        ("minItems", false),
        ("minProperties", false),
        ("maxLength", true),
        ("maxItems", true),
        ("maxProperties", true),
    ] {
        let (a, b) = (number(o, key), number(n, key));
        let tighter = match (a, b) {
            (None, Some(_)) => Some(true),
            (Some(_), None) => Some(false),
            (Some(a), Some(b)) if a != b => Some((b < a) == lower_is_tighter),
            _ => None,
        };
        let show = |v: Option<f64>| v.map_or("none".to_owned(), |v| v.to_string());
        tightened(
            tighter,
            || format!("{at}: {key} {} → {}", show(a), show(b)),
            d,
        );
    }
}

/// The lower bound of numbers, and whether it is exclusive: the tightest of `minimum`,
/// `exclusiveMinimum` (a number, or draft-04's `true` beside `minimum`) and the minimum of a
/// number type's `format` (`uint32`: 0).
fn lower_bound(s: &Value) -> Option<(f64, bool)> {
    let implied = format_bounds(s.get("format").and_then(Value::as_str).unwrap_or_default())
        .and_then(|(min, _)| min);
    bound(s, "minimum", "exclusiveMinimum", implied, |a, b| a > b)
}

/// The upper bound of numbers, and whether it is exclusive (see [`lower_bound`]).
fn upper_bound(s: &Value) -> Option<(f64, bool)> {
    let implied = format_bounds(s.get("format").and_then(Value::as_str).unwrap_or_default())
        .and_then(|(_, max)| max);
    bound(s, "maximum", "exclusiveMaximum", implied, |a, b| a < b)
}

/// The tightest of the bounds `key`, `exclusive` and `implied` (by a format) of `s`.
fn bound(
    s: &Value,
    key: &str,
    exclusive: &str,
    implied: Option<f64>,
    tighter: fn(f64, f64) -> bool,
) -> Option<(f64, bool)> {
    let inclusive = number(s, key);
    let mut candidates = vec![inclusive.map(|b| (b, false)), implied.map(|b| (b, false))];
    match s.get(exclusive) {
        Some(Value::Bool(true)) => candidates[0] = inclusive.map(|b| (b, true)),
        Some(e) => candidates.push(e.as_f64().map(|b| (b, true))),
        None => {}
    }
    // The tightest; at equal values, an exclusive one.
    candidates.into_iter().flatten().reduce(|a, b| {
        if tighter(b.0, a.0) || (b.0 == a.0 && b.1) {
            b
        } else {
            a
        }
    })
}

/// A higher `minimum` (or an exclusive one where it was inclusive), a lower `maximum`, or a
/// new one, accepts less; the reverse accepts more.
fn numeric_bounds(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    let show = |b: Option<(f64, bool)>| match b {
        None => "none".to_owned(),
        Some((v, false)) => show_number(v),
        Some((v, true)) => format!("{} (exclusive)", show_number(v)),
    };
    for (key, get, above) in [
        ("minimum", lower_bound as fn(&Value) -> _, true),
        ("maximum", upper_bound, false),
    ] {
        let (a, b) = (get(o), get(n));
        let tighter = match (a, b) {
            (None, Some(_)) => Some(true),
            (Some(_), None) => Some(false),
            (Some(a), Some(b)) if a != b => Some(if a.0 == b.0 {
                b.1 // same bound, now exclusive
            } else {
                (b.0 > a.0) == above
            }),
            _ => None,
        };
        tightened(
            tighter,
            || format!("{at}: {key} {} → {}", show(a), show(b)),
            d,
        );
    }
}

/// A `multipleOf` that is a multiple of the old one (2 → 4), or a new one, accepts less; a
/// divisor of it (4 → 2), or none, accepts more; another (2 → 3), both.
fn multiple_of(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    let (a, b) = (number(o, "multipleOf"), number(n, "multipleOf"));
    let divides = |x: f64, y: f64| {
        let r = y / x;
        (r - r.round()).abs() < 1e-9
    };
    let show = |v: Option<f64>| v.map_or("none".to_owned(), |v| v.to_string());
    let msg = format!("{at}: multipleOf {} → {}", show(a), show(b));
    match (a, b) {
        (None, Some(_)) => d.narrowed.push(msg),
        (Some(_), None) => d.widened.push(msg),
        (Some(a), Some(b)) if a != b => match (divides(a, b), divides(b, a)) {
            (true, _) => d.narrowed.push(msg),
            (_, true) => d.widened.push(msg),
            _ => {
                d.narrowed.push(msg.clone());
                d.widened.push(msg);
            }
        },
        _ => {}
    }
}

/// A string `pattern` added accepts less; removed, more; changed, both (regular expressions
/// are not compared): so a changed pattern breaks params and results alike.
fn pattern(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    let get = |s: &Value| s.get("pattern").and_then(Value::as_str).map(str::to_owned);
    let (a, b) = (get(o), get(n));
    let show = |v: &Option<String>| v.as_ref().map_or("none".to_owned(), |p| format!("/{p}/"));
    let msg = format!("{at}: pattern {} → {}", show(&a), show(&b));
    match (&a, &b) {
        (None, Some(_)) => d.narrowed.push(msg),
        (Some(_), None) => d.widened.push(msg),
        (Some(x), Some(y)) if x != y => {
            d.narrowed.push(msg.clone());
            d.widened.push(msg);
        }
        _ => {}
    }
}

/// The bounds a number type's `format` stands for, `(minimum, maximum)` (`schemars` names
/// Rust's number types so: `uint8` is `0..=255`); `None`: not a number type's format. These
/// are the bounds rpcview's documents write in place of such formats, so a schema with the
/// format and one with its bounds compare equal.
fn format_bounds(f: &str) -> Option<(Option<f64>, Option<f64>)> {
    let bits = |b: i32| 2f64.powi(b);
    let signed = |b: i32| Some((Some(-bits(b - 1)), Some(bits(b - 1) - 1.0)));
    let unsigned = |b: i32| Some((Some(0.0), Some(bits(b) - 1.0)));
    match f {
        "int8" => signed(8),
        "int16" => signed(16),
        "int32" => signed(32),
        "int64" | "int" => signed(64),
        "uint8" => unsigned(8),
        "uint16" => unsigned(16),
        "uint32" => unsigned(32),
        "uint64" | "uint" => unsigned(64),
        "uint128" => Some((Some(0.0), None)),
        "int128" | "float" | "double" => Some((None, None)),
        _ => None,
    }
}

/// A `format` added accepts less; removed, more; changed, both. (A number type's format is
/// compared as the bounds it stands for: see [`format_bounds`].)
fn format(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    let get = |s: &Value| {
        s.get("format")
            .and_then(Value::as_str)
            .filter(|f| format_bounds(f).is_none())
            .map(str::to_owned)
    };
    let (a, b) = (get(o), get(n));
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let msg = format!("{at}: format {} → {}", show(&a), show(&b));
    match (&a, &b) {
        (None, Some(_)) => d.narrowed.push(msg),
        (Some(_), None) => d.widened.push(msg),
        (Some(x), Some(y)) if x != y => {
            d.narrowed.push(msg.clone());
            d.widened.push(msg);
        }
        _ => {}
    }
}

/// Items that must become unique (a `Vec` turned `HashSet`) accept less; the reverse, more.
fn unique_items(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    let get = |s: &Value| {
        s.get("uniqueItems")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    match (get(o), get(n)) {
        (false, true) => d.narrowed.push(format!("{at}: items must be unique")),
        (true, false) => d.widened.push(format!("{at}: items no longer unique")),
        _ => {}
    }
}

/// An object closed to unknown fields (`additionalProperties: false`, `deny_unknown_fields`)
/// accepts less; one opened accepts more, harmless as an output (extra fields), so never
/// breaking.
fn closed_object(o: &Value, n: &Value, at: &str, d: &mut Diff) {
    let closed = |s: &Value| s.get("additionalProperties") == Some(&Value::Bool(false));
    match (closed(o), closed(n)) {
        (false, true) => d.narrowed.push(format!("{at}: unknown fields refused")),
        (true, false) => d.added.push(format!("{at}: unknown fields allowed")),
        _ => {}
    }
}

/// Walks the fields of two object schemas: applies the field rules to each, and compares the
/// schemas of the fields both have (a field only one has is compared with the other's map
/// values, where it is a map).
fn fields(cx: &Cx, o: &Value, n: &Value, path: &str, d: &mut Diff) {
    let empty = Map::new();
    fn props(s: &Value) -> Option<&Map<String, Value>> {
        s.get("properties").and_then(Value::as_object)
    }
    fn map_of(s: &Value) -> Option<&Value> {
        s.get("additionalProperties").filter(|a| !a.is_boolean())
    }
    let (op, np) = match (props(o), props(n)) {
        (None, None) => return,
        (a, b) => (a.unwrap_or(&empty), b.unwrap_or(&empty)),
    };
    let (or, nr) = (required_fields(o), required_fields(n));
    for (k, os) in op {
        let p = format!("{path}/{k}");
        match (np.get(k), map_of(n)) {
            (Some(ns), _) => {
                field_requiredness(or.contains(k), nr.contains(k), &p, d);
                diff(cx, os, ns, &p, d);
            }
            (None, Some(values)) => {
                field_requiredness(or.contains(k), false, &p, d);
                diff(cx, os, values, &p, d);
            }
            (None, None) => field_removed(&p, d),
        }
    }
    for (k, ns) in np.iter().filter(|(k, _)| !op.contains_key(*k)) {
        let p = format!("{path}/{k}");
        field_added(nr.contains(k), &p, d);
        if let Some(os) = map_of(o) {
            diff(cx, os, ns, &p, d);
        }
    }
}

fn required_fields(s: &Value) -> BTreeSet<String> {
    s.get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A removed field goes both ways: an input that sent it may be refused (less accepted), an
/// output no longer has it (the old field's values are gone, so pages reading it break).
fn field_removed(p: &str, d: &mut Diff) {
    d.narrowed.push(format!(" at {p}: field removed"));
    d.widened.push(format!(" at {p}: field removed"));
}

/// A field that became required accepts less (inputs must now send it); one that became
/// optional may produce more (outputs may now leave it out).
fn field_requiredness(was: bool, is: bool, p: &str, d: &mut Diff) {
    if !was && is {
        d.narrowed.push(format!(" at {p}: became required"));
    }
    if was && !is {
        d.widened.push(format!(" at {p}: became optional"));
    }
}

/// A new required field accepts less (inputs must now send it); a new optional field never
/// breaks.
fn field_added(required: bool, p: &str, d: &mut Diff) {
    if required {
        d.narrowed.push(format!(" at {p}: required field added"));
    } else {
        d.added.push(format!(" at {p}: optional field added"));
    }
}

/// Anything, where a schema leaves a place open (no `items`, no `additionalProperties`).
static ANYTHING: Value = Value::Bool(true);

/// Compares the values of two maps (`additionalProperties` schemas), at `/{key}`; a side
/// without one accepts any value there. (`false`, closed to unknown fields, is
/// [`closed_object`]'s.)
fn map_values(cx: &Cx, o: &Value, n: &Value, path: &str, d: &mut Diff) {
    fn get(s: &Value) -> Option<&Value> {
        s.get("additionalProperties")
    }
    let closed = Some(&Value::Bool(false));
    if get(o) == closed || get(n) == closed {
        return;
    }
    if get(o).is_some() || get(n).is_some() {
        let (a, b) = (get(o).unwrap_or(&ANYTHING), get(n).unwrap_or(&ANYTHING));
        diff(cx, a, b, &format!("{path}/{{key}}"), d);
    }
}

/// The positional item schemas of a tuple: `prefixItems`, or draft-07's array-form `items`.
fn tuple(s: &Value) -> Option<&[Value]> {
    s.get("prefixItems")
        .or_else(|| s.get("items").filter(|i| i.is_array()))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
}

/// The schema of items past the tuple (every item, when not a tuple): `items` beside
/// `prefixItems`, `additionalItems` beside array-form `items`, or `items`.
fn rest(s: &Value) -> Option<&Value> {
    if s.get("prefixItems").is_some() {
        s.get("items")
    } else if s.get("items").is_some_and(Value::is_array) {
        s.get("additionalItems")
    } else {
        s.get("items")
    }
}

/// Compares array items: every item (`/*`), or tuple items position by position (`/[0]`),
/// a tuple's position against the other side's every-item schema where one is a `Vec`.
/// Lengths are [`bounds`]' (`minItems`, `maxItems`).
fn items<'a>(cx: &Cx, o: &'a Value, n: &'a Value, path: &str, d: &mut Diff) {
    match (tuple(o), tuple(n)) {
        (None, None) => {
            let (a, b) = match (rest(o), rest(n)) {
                (None, None) => return,
                (a, b) => (a.unwrap_or(&ANYTHING), b.unwrap_or(&ANYTHING)),
            };
            diff(cx, a, b, &format!("{path}/*"), d);
        }
        (ot, nt) => {
            let len = ot
                .map_or(0, <[Value]>::len)
                .max(nt.map_or(0, <[Value]>::len));
            for i in 0..len {
                let pos = |t: Option<&'a [Value]>, s: &'a Value| {
                    t.and_then(|t| t.get(i)).or_else(|| rest(s))
                };
                if let (Some(a), Some(b)) = (pos(ot, o), pos(nt, n)) {
                    diff(cx, a, b, &format!("{path}/[{i}]"), d);
                }
            }
        }
    }
}

/// Compares the members of `allOf`s (each constrains the same value), position by position:
/// a member added accepts less, one removed accepts more.
fn all_of(cx: &Cx, o: &Value, n: &Value, path: &str, d: &mut Diff) {
    fn get(s: &Value) -> Option<&[Value]> {
        s.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
    }
    let (a, b) = match (get(o), get(n)) {
        (None, None) => return,
        (a, b) => (a.unwrap_or_default(), b.unwrap_or_default()),
    };
    for (x, y) in a.iter().zip(b) {
        diff(cx, x, y, path, d);
    }
    let at = at(path);
    if b.len() > a.len() {
        d.narrowed
            .push(format!("{at}: allOf {} → {} members", a.len(), b.len()));
    } else if a.len() > b.len() {
        d.widened
            .push(format!("{at}: allOf {} → {} members", a.len(), b.len()));
    }
}

/// Compares an `anyOf` / `oneOf` that stands beside other keywords (a struct that flattens an
/// enum) as [`alternatives`]; a side without one accepts anything there.
fn inner_union(cx: &Cx, o: &Value, n: &Value, path: &str, d: &mut Diff) {
    fn get(s: &Value) -> Option<&Vec<Value>> {
        s.get("anyOf")
            .or_else(|| s.get("oneOf"))
            .and_then(Value::as_array)
    }
    fn of<'a>(u: Option<&'a Vec<Value>>, defs: &'a Map<String, Value>) -> Alts<'a> {
        match u {
            Some(u) => Alts::of_union(u, defs),
            None => Alts {
                anything: true,
                ..Alts::default()
            },
        }
    }
    let (a, b) = (get(o), get(n));
    if a.is_some() || b.is_some() {
        alternatives(cx, of(a, cx.old), of(b, cx.new), path, d);
    }
}

fn resolve<'a>(s: &'a Value, defs: &'a Map<String, Value>) -> &'a Value {
    let mut s = s;
    for _ in 0..8 {
        match s
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .and_then(|n| defs.get(n))
        {
            Some(target) => s = target,
            None => break,
        }
    }
    s
}

fn types(s: &Value) -> BTreeSet<String> {
    let mut t: BTreeSet<String> = match s.get("type") {
        Some(Value::String(t)) => [t.clone()].into(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => BTreeSet::new(),
    };
    if t.contains("number") {
        t.remove("integer");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::compare;
    use serde_json::{json, Value};

    fn doc(params: Value, result: Value) -> Value {
        json!({"methods": [{"name": "m", "paramStructure": "either", "params": params,
            "result": {"name": "result", "schema": result}}], "x-events": [], "components": {"schemas": {}}})
    }
    fn p(name: &str, required: bool, schema: Value) -> Value {
        json!({"name": name, "required": required, "schema": schema})
    }
    fn verdict(old: &Value, new: &Value) -> (bool, String) {
        let c = compare(old, new);
        (
            c.iter().any(|c| c.breaking),
            c.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    macro_rules! rule {
        ($name:ident, $old:expr, $new:expr, $breaking:expr, $says:expr) => {
            #[test]
            fn $name() {
                let (breaking, text) = verdict(&$old, &$new);
                assert_eq!(breaking, $breaking, "{text}");
                assert!(text.contains($says), "{text}");
            }
        };
    }

    const S: fn() -> Value = || json!({"type": "string"});
    rule!(
        removed_method_breaks,
        doc(json!([]), S()),
        json!({"methods": []}),
        true,
        "method 'm' was removed"
    );
    rule!(
        added_method_is_compatible,
        json!({"methods": []}),
        doc(json!([]), S()),
        false,
        "method 'm' was added"
    );
    rule!(
        new_required_param_breaks,
        doc(json!([]), S()),
        doc(json!([p("a", true, S())]), S()),
        true,
        "param 'a' was added as required"
    );
    rule!(
        new_optional_param_is_compatible,
        doc(json!([]), S()),
        doc(json!([p("a", false, S())]), S()),
        false,
        "added as optional"
    );
    rule!(
        removed_param_breaks,
        doc(json!([p("a", true, S())]), S()),
        doc(json!([]), S()),
        true,
        "param 'a' was removed"
    );
    rule!(
        param_becoming_required_breaks,
        doc(json!([p("a", false, S())]), S()),
        doc(json!([p("a", true, S())]), S()),
        true,
        "became required"
    );
    rule!(
        moved_param_breaks,
        doc(json!([p("a", true, S()), p("b", true, S())]), S()),
        doc(json!([p("b", true, S()), p("a", true, S())]), S()),
        true,
        "moved from position 0 to 1"
    );
    rule!(
        narrowed_param_type_breaks,
        doc(
            json!([p("a", true, json!({"type": ["string", "null"]}))]),
            S()
        ),
        doc(json!([p("a", true, S())]), S()),
        true,
        "type null|string → string"
    );
    rule!(
        widened_param_type_is_compatible,
        doc(json!([p("a", true, S())]), S()),
        doc(
            json!([p("a", true, json!({"type": ["string", "null"]}))]),
            S()
        ),
        false,
        "type string → null|string"
    );
    rule!(
        tighter_bound_breaks,
        doc(
            json!([p("a", true, json!({"type": "string", "minLength": 1}))]),
            S()
        ),
        doc(
            json!([p("a", true, json!({"type": "string", "minLength": 3}))]),
            S()
        ),
        true,
        "minLength 1 → 3"
    );
    rule!(
        removed_enum_value_in_params_breaks,
        doc(json!([p("a", true, json!({"enum": ["x", "y"]}))]), S()),
        doc(json!([p("a", true, json!({"enum": ["x"]}))]), S()),
        true,
        "enum values removed: \"y\""
    );
    rule!(
        added_enum_value_in_result_breaks,
        doc(json!([]), json!({"enum": ["x"]})),
        doc(json!([]), json!({"enum": ["x", "y"]})),
        true,
        "result: enum values added"
    );
    rule!(
        widened_result_type_breaks,
        doc(json!([]), S()),
        doc(json!([]), json!({"type": ["string", "null"]})),
        true,
        "result: type string → null|string"
    );
    rule!(
        narrowed_result_is_compatible,
        doc(json!([]), json!({"type": ["string", "null"]})),
        doc(json!([]), S()),
        false,
        "result: type null|string → string"
    );
    rule!(
        removed_result_field_breaks,
        doc(
            json!([]),
            json!({"type": "object", "properties": {"a": S(), "b": S()}, "required": ["a", "b"]})
        ),
        doc(
            json!([]),
            json!({"type": "object", "properties": {"a": S()}, "required": ["a"]})
        ),
        true,
        "result at /b: field removed"
    );
    rule!(
        added_result_field_is_compatible,
        doc(
            json!([]),
            json!({"type": "object", "properties": {"a": S()}, "required": ["a"]})
        ),
        doc(
            json!([]),
            json!({"type": "object", "properties": {"a": S(), "b": S()}, "required": ["a", "b"]})
        ),
        false,
        "required field added"
    );
    fn with_n(n: Value) -> Value {
        json!({"methods": [{"name": "m", "params": [p("n", true, json!({"$ref": "#/components/schemas/N"}))],
            "result": {"name": "result", "schema": S()}}], "components": {"schemas": {"N": n}}})
    }
    rule!(
        new_required_field_in_params_breaks,
        with_n(json!({"type": "object", "properties": {"y": S()}})),
        with_n(json!({"type": "object", "properties": {"y": S(), "x": S()}, "required": ["x"]})),
        true,
        "param 'n' at /x: required field added"
    );
    rule!(
        result_becoming_optional_breaks,
        json!({"methods": [{"name": "m", "params": [], "result": {"name": "r", "schema": {"$ref": "#/components/schemas/N"}}}],
            "components": {"schemas": {"N": {"type": "object", "properties": {"a": S()}}}}}),
        json!({"methods": [{"name": "m", "params": [], "result": {"name": "r", "schema": {"anyOf": [{"$ref": "#/components/schemas/N"}, {"type": "null"}]}}}],
            "components": {"schemas": {"N": {"type": "object", "properties": {"a": S()}}}}}),
        true,
        "result: type object → null|object"
    );
    rule!(
        changes_inside_a_documented_field_are_seen,
        doc(
            json!([p(
                "a",
                true,
                json!({"description": "d", "allOf": [{"type": "string", "minLength": 1}]})
            )]),
            S()
        ),
        doc(
            json!([p(
                "a",
                true,
                json!({"description": "d", "allOf": [{"type": "string", "minLength": 2}]})
            )]),
            S()
        ),
        true,
        "minLength 1 → 2"
    );
    rule!(
        restricting_a_string_param_to_an_enum_breaks,
        doc(json!([p("a", true, S())]), S()),
        doc(
            json!([p("a", true, json!({"type": "string", "enum": ["x"]}))]),
            S()
        ),
        true,
        "restricted to an enum"
    );
    rule!(
        an_optional_field_added_to_a_result_is_compatible,
        doc(
            json!([]),
            json!({"type": "object", "properties": {"a": S()}, "required": ["a"]})
        ),
        doc(
            json!([]),
            json!({"type": "object", "properties": {"a": S(), "b": S()}, "required": ["a"]})
        ),
        false,
        "optional field added"
    );
    rule!(
        method_becoming_notification_breaks,
        doc(json!([]), S()),
        json!({"methods": [{"name": "m", "params": []}]}),
        true,
        "became a notification"
    );
    rule!(
        removed_event_breaks,
        json!({"methods": [], "x-events": [{"name": "e", "schema": S()}]}),
        json!({"methods": [], "x-events": []}),
        true,
        "event 'e' was removed"
    );
    rule!(
        widened_event_payload_breaks,
        json!({"methods": [], "x-events": [{"name": "e", "schema": S()}]}),
        json!({"methods": [], "x-events": [{"name": "e", "schema": {"type": ["string", "integer"]}}]}),
        true,
        "event 'e' payload: type string → integer|string"
    );

    // Subscriptions: params as a method's, items as a method's results.
    fn subs(params: Value, item: Value) -> Value {
        json!({"methods": [], "x-subscriptions": [{"name": "s", "paramStructure": "either",
            "params": params, "item": {"name": "item", "schema": item},
            "errors": [{"code": -32602, "message": "bad"}]}], "components": {"schemas": {}}})
    }
    rule!(
        removed_subscription_breaks,
        subs(json!([]), S()),
        json!({"methods": [], "x-subscriptions": []}),
        true,
        "subscription 's' was removed"
    );
    rule!(
        added_subscription_is_compatible,
        json!({"methods": []}),
        subs(json!([]), S()),
        false,
        "subscription 's' was added"
    );
    rule!(
        new_required_subscription_param_breaks,
        subs(json!([]), S()),
        subs(json!([p("a", true, S())]), S()),
        true,
        "subscription 's' param 'a' was added as required"
    );
    rule!(
        new_optional_subscription_param_is_compatible,
        subs(json!([]), S()),
        subs(json!([p("a", false, S())]), S()),
        false,
        "subscription 's' param 'a' was added as optional"
    );
    rule!(
        removed_subscription_param_breaks,
        subs(json!([p("a", true, S())]), S()),
        subs(json!([]), S()),
        true,
        "subscription 's' param 'a' was removed"
    );
    rule!(
        moved_subscription_param_breaks,
        subs(json!([p("a", true, S()), p("b", true, S())]), S()),
        subs(json!([p("b", true, S()), p("a", true, S())]), S()),
        true,
        "subscription 's' param 'a' moved from position 0 to 1"
    );
    rule!(
        narrowed_subscription_param_breaks,
        subs(
            json!([p("a", true, json!({"type": "string", "minLength": 1}))]),
            S()
        ),
        subs(
            json!([p("a", true, json!({"type": "string", "minLength": 3}))]),
            S()
        ),
        true,
        "subscription 's' param 'a': minLength 1 → 3"
    );
    rule!(
        widened_subscription_param_is_compatible,
        subs(json!([p("a", true, S())]), S()),
        subs(
            json!([p("a", true, json!({"type": ["string", "null"]}))]),
            S()
        ),
        false,
        "subscription 's' param 'a': type string → null|string"
    );
    rule!(
        subscription_params_restricted_to_by_position_break,
        subs(json!([p("a", true, S())]), S()),
        {
            let mut d = subs(json!([p("a", true, S())]), S());
            d["x-subscriptions"][0]["paramStructure"] = "by-position".into();
            d
        },
        true,
        "subscription 's' params are now by-position only (were either)"
    );
    rule!(
        widened_subscription_item_breaks,
        subs(json!([]), S()),
        subs(json!([]), json!({"type": ["string", "null"]})),
        true,
        "subscription 's' item: type string → null|string"
    );
    rule!(
        added_enum_value_in_subscription_item_breaks,
        subs(json!([]), json!({"enum": ["x"]})),
        subs(json!([]), json!({"enum": ["x", "y"]})),
        true,
        "subscription 's' item: enum values added: \"y\""
    );
    rule!(
        narrowed_subscription_item_is_compatible,
        subs(json!([]), json!({"type": ["string", "null"]})),
        subs(json!([]), S()),
        false,
        "subscription 's' item: type null|string → string"
    );
    fn sub_of_n(n: Value) -> Value {
        json!({"methods": [], "x-subscriptions": [{"name": "s", "params": [],
            "item": {"name": "item", "schema": {"$ref": "#/components/schemas/N"}}}],
            "components": {"schemas": {"N": n}}})
    }
    rule!(
        removed_subscription_item_field_breaks,
        sub_of_n(
            json!({"type": "object", "properties": {"a": S(), "b": S()}, "required": ["a", "b"]})
        ),
        sub_of_n(json!({"type": "object", "properties": {"a": S()}, "required": ["a"]})),
        true,
        "subscription 's' item at /b: field removed"
    );
    rule!(
        optional_field_added_to_subscription_item_is_compatible,
        sub_of_n(json!({"type": "object", "properties": {"a": S()}, "required": ["a"]})),
        sub_of_n(json!({"type": "object", "properties": {"a": S(), "b": S()}, "required": ["a"]})),
        false,
        "subscription 's' item at /b: optional field added"
    );
    rule!(
        notification_becoming_subscription_breaks,
        json!({"methods": [{"name": "s", "params": []}]}),
        subs(json!([]), S()),
        true,
        "notification 's' became a subscription"
    );

    /// A method that became a subscription (or back) is one change, not a removal and an
    /// addition.
    #[test]
    fn method_and_subscription_swapping_is_one_breaking_change() {
        let method = json!({"methods": [{"name": "s", "params": [],
            "result": {"name": "result", "schema": S()}}]});
        let subscription = subs(json!([]), S());
        let says = |old: &Value, new: &Value| -> Vec<String> {
            compare(old, new).iter().map(|c| c.to_string()).collect()
        };
        assert_eq!(
            says(&method, &subscription),
            ["BREAKING: method 's' became a subscription"]
        );
        assert_eq!(
            says(&subscription, &method),
            ["BREAKING: subscription 's' became a method"]
        );
    }

    #[test]
    fn identical_subscriptions_have_no_changes() {
        let doc = subs(json!([p("a", true, S())]), json!({"type": "integer"}));
        assert_eq!(compare(&doc, &doc), []);
    }

    rule!(
        identical_documents_have_no_changes,
        doc(json!([p("a", true, S())]), S()),
        doc(json!([p("a", true, S())]), S()),
        false,
        ""
    );

    // The schema rules, each as a param (pages send it: accepting less breaks) and as a
    // result (pages receive it: producing more breaks).

    fn as_param(s: Value) -> Value {
        doc(json!([p("a", true, s)]), S())
    }
    fn as_result(s: Value) -> Value {
        doc(json!([]), s)
    }
    /// Both documents with `defs` as their component schemas.
    fn with_defs(mut d: Value, defs: Value) -> Value {
        d["components"]["schemas"] = defs;
        d
    }

    /// `old` → `new` as a param and as a result: whether each breaks, and a finding either
    /// says (`$defs_old`/`$defs_new`: component schemas of each side).
    macro_rules! both {
        ($name:ident, $old:expr, $new:expr, param: $pb:expr, result: $rb:expr, $says:expr) => {
            both!($name, $old, $new, json!({}), json!({}), param: $pb, result: $rb, $says);
        };
        ($name:ident, $old:expr, $new:expr, $defs_old:expr, $defs_new:expr,
            param: $pb:expr, result: $rb:expr, $says:expr) => {
            #[test]
            fn $name() {
                let (old, new): (Value, Value) = ($old, $new);
                let (dold, dnew): (Value, Value) = ($defs_old, $defs_new);
                let side = |f: fn(Value) -> Value, s: &Value, defs: &Value| {
                    with_defs(f(s.clone()), defs.clone())
                };
                let (pb, pt) = verdict(&side(as_param, &old, &dold), &side(as_param, &new, &dnew));
                let (rb, rt) = verdict(&side(as_result, &old, &dold), &side(as_result, &new, &dnew));
                assert_eq!(pb, $pb, "as a param: {pt}");
                assert_eq!(rb, $rb, "as a result: {rt}");
                assert!(pt.contains($says) && rt.contains($says), "{pt} / {rt}");
            }
        };
    }

    // Enum values and `const`.
    both!(
        renamed_enum_value_breaks_both_ways,
        json!({"type": "string", "enum": ["saved", "removed"]}),
        json!({"type": "string", "enum": ["saved", "deleted"]}),
        param: true,
        result: true,
        "enum values removed: \"removed\""
    );
    both!(
        removed_enum_value_breaks_params_only,
        json!({"enum": ["a", "b"]}),
        json!({"enum": ["a"]}),
        param: true,
        result: false,
        "enum values removed: \"b\""
    );
    both!(
        added_enum_value_breaks_results_only,
        json!({"enum": ["a"]}),
        json!({"enum": ["a", "b"]}),
        param: false,
        result: true,
        "enum values added: \"b\""
    );
    both!(
        changed_const_breaks_both_ways,
        json!({"const": "v1"}),
        json!({"const": "v2"}),
        param: true,
        result: true,
        "enum values added: \"v2\""
    );
    both!(
        const_widened_to_its_type_breaks_results_only,
        json!({"type": "string", "const": "v1"}),
        json!({"type": "string"}),
        param: false,
        result: true,
        "no longer an enum"
    );
    both!(
        values_still_accepted_by_a_variant_are_not_removed,
        json!({"anyOf": [{"const": "a"}, {"type": "integer"}]}),
        json!({"anyOf": [{"type": "string"}, {"type": "integer"}]}),
        param: false,
        result: true,
        "no longer an enum"
    );

    // Every branch of `oneOf` / `anyOf` / `allOf`, matched by tag, const or structure.
    fn circle(r: Value) -> Value {
        json!({"type": "object", "properties": {"type": {"type": "string", "const": "Circle"}, "r": r},
            "required": ["type", "r"]})
    }
    fn square() -> Value {
        json!({"type": "object", "properties": {"type": {"type": "string", "const": "Square"},
            "side": {"type": "number"}}, "required": ["type", "side"]})
    }
    both!(
        a_field_changed_inside_a_tagged_variant_is_reported_at_its_path,
        json!({"oneOf": [circle(json!({"type": "number"})), square()]}),
        json!({"oneOf": [circle(json!({"type": "string"})), square()]}),
        param: true,
        result: true,
        "at [type=\"Circle\"]/r: type number → string"
    );
    both!(
        variants_are_matched_by_tag_not_position,
        json!({"oneOf": [circle(json!({"type": "number"})), square()]}),
        json!({"oneOf": [square(), circle(json!({"type": "number"}))]}),
        param: false,
        result: false,
        ""
    );
    both!(
        an_added_variant_breaks_results_only,
        json!({"oneOf": [circle(json!({"type": "number"}))]}),
        json!({"oneOf": [circle(json!({"type": "number"})), square()]}),
        param: false,
        result: true,
        "variant type=\"Square\" added"
    );
    both!(
        a_removed_variant_breaks_params_only,
        json!({"oneOf": [circle(json!({"type": "number"})), square()]}),
        json!({"oneOf": [square()]}),
        param: true,
        result: false,
        "variant type=\"Circle\" removed"
    );
    both!(
        a_renamed_tag_breaks_both_ways,
        json!({"oneOf": [circle(json!({"type": "number"})), square()]}),
        {
            let mut v = json!({"oneOf": [circle(json!({"type": "number"})), square()]});
            for b in v["oneOf"].as_array_mut().unwrap() {
                let t = b["properties"].as_object_mut().unwrap().remove("type").unwrap();
                b["properties"]["kind"] = t;
                b["required"][0] = "kind".into();
            }
            v
        },
        param: true,
        result: true,
        "tag 'type' → 'kind'"
    );
    both!(
        a_renamed_tag_value_breaks_both_ways,
        json!({"oneOf": [circle(json!({"type": "number"})), square()]}),
        {
            let mut c = circle(json!({"type": "number"}));
            c["properties"]["type"]["const"] = "Round".into();
            json!({"oneOf": [c, square()]})
        },
        param: true,
        result: true,
        "variant type=\"Circle\" removed"
    );
    fn external(b: Value) -> Value {
        json!({"oneOf": [{"type": "string", "enum": ["C"]},
            {"type": "object", "properties": {"A": {"type": "integer"}}, "required": ["A"], "additionalProperties": false},
            {"type": "object", "properties": {"B": b}, "required": ["B"], "additionalProperties": false}]})
    }
    both!(
        externally_tagged_variants_are_matched_by_their_field,
        external(json!({"type": "object", "properties": {"x": S()}, "required": ["x"]})),
        external(json!({"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]})),
        param: true,
        result: true,
        "at [B]/B/x: type string → integer"
    );
    both!(
        a_renamed_unit_variant_breaks_both_ways,
        json!({"oneOf": [{"const": "Saved", "description": "d"}, {"const": "Removed"}]}),
        json!({"oneOf": [{"const": "Saved", "description": "d"}, {"const": "Deleted"}]}),
        param: true,
        result: true,
        "enum values removed: \"Removed\""
    );
    both!(
        untagged_object_variants_are_matched_by_their_fields,
        json!({"anyOf": [{"type": "object", "properties": {"a": S()}},
            {"type": "object", "properties": {"b": S()}}]}),
        json!({"anyOf": [{"type": "object", "properties": {"c": S()}},
            {"type": "object", "properties": {"b": S()}}, {"type": "object", "properties": {"a": S()}}]}),
        param: false,
        result: true,
        "variant c added"
    );
    both!(
        all_of_members_are_compared,
        json!({"allOf": [{"type": "string"}, {"minLength": 1}]}),
        json!({"allOf": [{"type": "string"}, {"minLength": 2}]}),
        param: true,
        result: false,
        "minLength 1 → 2"
    );

    // Widening and narrowing in every form.
    both!(
        a_string_widened_to_a_union_breaks_results_only,
        S(),
        json!({"anyOf": [{"type": "string"}, {"type": "integer", "format": "int64"}]}),
        param: false,
        result: true,
        "type string → integer|string"
    );
    both!(
        a_type_array_and_the_same_union_are_the_same,
        json!({"type": ["string", "integer"]}),
        json!({"anyOf": [{"type": "integer"}, {"type": "string"}]}),
        param: false,
        result: false,
        ""
    );
    both!(
        anything_breaks_results_only,
        json!({"type": "object", "properties": {"a": S()}, "required": ["a"]}),
        json!(true),
        param: false,
        result: true,
        "type object → any"
    );
    both!(
        an_empty_schema_is_anything,
        json!({"type": "object", "properties": {"a": S()}, "required": ["a"]}),
        json!({"type": "object", "properties": {"a": {"description": "any JSON"}}, "required": ["a"]}),
        param: false,
        result: true,
        "at /a: type string → any"
    );
    both!(
        anything_narrowed_breaks_params_only,
        json!({}),
        S(),
        param: true,
        result: false,
        "type any → string"
    );
    both!(
        null_added_breaks_results_only,
        json!({"type": "object", "properties": {"a": S()}, "required": ["a"]}),
        json!({"type": "object", "properties": {"a": {"type": ["string", "null"]}}, "required": ["a"]}),
        param: false,
        result: true,
        "at /a: type string → null|string"
    );
    both!(
        null_removed_breaks_params_only,
        json!({"anyOf": [{"enum": ["x", "y"]}, {"type": "null"}]}),
        json!({"enum": ["x", "y"]}),
        param: true,
        result: false,
        "type null|string → string"
    );
    both!(
        an_integer_widened_to_a_number_breaks_results_only,
        json!({"type": "integer"}),
        json!({"type": "number"}),
        param: false,
        result: true,
        "type integer → number"
    );

    // Strings, numbers, arrays.
    both!(
        a_changed_pattern_breaks_both_ways,
        json!({"type": "string", "pattern": "^[a-z]+$"}),
        json!({"type": "string", "pattern": "^[a-z]{3}$"}),
        param: true,
        result: true,
        "pattern /^[a-z]+$/ → /^[a-z]{3}$/"
    );
    both!(
        an_added_pattern_breaks_params_only,
        S(),
        json!({"type": "string", "pattern": "^x"}),
        param: true,
        result: false,
        "pattern none → /^x/"
    );
    both!(
        a_removed_pattern_breaks_results_only,
        json!({"type": "string", "pattern": "^x"}),
        S(),
        param: false,
        result: true,
        "pattern /^x/ → none"
    );
    both!(
        a_wider_integer_format_breaks_results_only,
        json!({"type": "integer", "format": "int32"}),
        json!({"type": "integer", "format": "int64"}),
        param: false,
        result: true,
        "maximum 2147483647 → 9223372036854775808"
    );
    both!(
        a_number_format_is_the_bounds_it_stands_for,
        json!({"type": "integer", "format": "uint32", "minimum": 0}),
        json!({"type": "integer", "minimum": 0, "maximum": 4294967295_u64}),
        param: false,
        result: false,
        ""
    );
    both!(
        a_number_format_tighter_than_its_bounds_counts,
        json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 1000}),
        json!({"type": "integer", "minimum": 0, "maximum": 1000}),
        param: false,
        result: true,
        "maximum 255 → 1000"
    );
    both!(
        another_format_breaks_both_ways,
        json!({"type": "string", "format": "date"}),
        json!({"type": "string", "format": "date-time"}),
        param: true,
        result: true,
        "format date → date-time"
    );
    both!(
        a_lower_max_length_breaks_params_only,
        json!({"type": "string", "maxLength": 10}),
        json!({"type": "string", "maxLength": 5}),
        param: true,
        result: false,
        "maxLength 10 → 5"
    );
    both!(
        a_higher_maximum_breaks_results_only,
        json!({"type": "integer", "minimum": 0, "maximum": 10}),
        json!({"type": "integer", "minimum": 0, "maximum": 100}),
        param: false,
        result: true,
        "maximum 10 → 100"
    );
    both!(
        an_exclusive_minimum_breaks_params_only,
        json!({"type": "number", "minimum": 0}),
        json!({"type": "number", "exclusiveMinimum": 0}),
        param: true,
        result: false,
        "minimum 0 → 0 (exclusive)"
    );
    both!(
        a_dropped_exclusive_maximum_breaks_results_only,
        json!({"type": "number", "exclusiveMaximum": 1}),
        json!({"type": "number"}),
        param: false,
        result: true,
        "maximum 1 (exclusive) → none"
    );
    both!(
        a_multiple_of_a_multiple_breaks_params_only,
        json!({"type": "integer", "multipleOf": 2}),
        json!({"type": "integer", "multipleOf": 4}),
        param: true,
        result: false,
        "multipleOf 2 → 4"
    );
    both!(
        another_multiple_of_breaks_both_ways,
        json!({"type": "integer", "multipleOf": 2}),
        json!({"type": "integer", "multipleOf": 3}),
        param: true,
        result: true,
        "multipleOf 2 → 3"
    );
    both!(
        fewer_max_items_break_params_only,
        json!({"type": "array", "items": S(), "maxItems": 3}),
        json!({"type": "array", "items": S(), "maxItems": 2}),
        param: true,
        result: false,
        "maxItems 3 → 2"
    );
    both!(
        more_min_items_break_params_only,
        json!({"type": "array", "items": S()}),
        json!({"type": "array", "items": S(), "minItems": 1}),
        param: true,
        result: false,
        "minItems none → 1"
    );
    both!(
        unique_items_break_params_only,
        json!({"type": "array", "items": S()}),
        json!({"type": "array", "items": S(), "uniqueItems": true}),
        param: true,
        result: false,
        "items must be unique"
    );

    // Tuples and maps.
    fn pair(second: Value) -> Value {
        json!({"type": "array", "items": [S(), second], "minItems": 2, "maxItems": 2})
    }
    both!(
        a_tuple_item_is_compared_by_position,
        pair(json!({"type": "integer"})),
        pair(S()),
        param: true,
        result: true,
        "at /[1]: type integer → string"
    );
    both!(
        prefix_items_are_compared_by_position,
        json!({"type": "array", "prefixItems": [S(), {"type": "integer", "maximum": 9}]}),
        json!({"type": "array", "prefixItems": [S(), {"type": "integer", "maximum": 99}]}),
        param: false,
        result: true,
        "at /[1]: maximum 9 → 99"
    );
    both!(
        a_tuple_item_against_a_vec_is_compared,
        pair(S()),
        json!({"type": "array", "items": {"type": "string", "minLength": 1}}),
        param: true,
        result: true,
        "at /[0]: minLength none → 1"
    );
    both!(
        a_map_value_change_is_reported_at_key,
        json!({"type": "object", "additionalProperties": {"type": "integer", "format": "uint32", "minimum": 0}}),
        json!({"type": "object", "additionalProperties": S()}),
        param: true,
        result: true,
        "at /{key}: type integer → string"
    );
    both!(
        a_closed_object_breaks_params_only,
        json!({"type": "object", "properties": {"a": S()}}),
        json!({"type": "object", "properties": {"a": S()}, "additionalProperties": false}),
        param: true,
        result: false,
        "unknown fields refused"
    );

    // `$ref`s, recursive types.
    fn tree(name: Value) -> Value {
        json!({"Tree": {"type": "object", "properties": {"name": name,
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}},
            "parent": {"anyOf": [{"$ref": "#/components/schemas/Tree"}, {"type": "null"}]}},
            "required": ["name", "children"]}})
    }
    const TREE: fn() -> Value = || json!({"$ref": "#/components/schemas/Tree"});
    both!(
        an_unchanged_recursive_type_terminates_with_no_changes,
        TREE(),
        TREE(),
        tree(S()),
        tree(S()),
        param: false,
        result: false,
        ""
    );
    both!(
        a_changed_recursive_type_is_reported_once,
        TREE(),
        TREE(),
        tree(S()),
        tree(json!({"type": "string", "maxLength": 5})),
        param: true,
        result: false,
        "at /name: maxLength none → 5"
    );
    both!(
        mutually_recursive_types_of_other_cycles_terminate,
        json!({"$ref": "#/components/schemas/A"}),
        json!({"$ref": "#/components/schemas/A"}),
        json!({"A": {"type": "object", "properties": {"next": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}}}}),
        json!({"A": {"type": "object", "properties": {"next": {"type": "array", "items": {"$ref": "#/components/schemas/B"}}}},
            "B": {"type": "object", "properties": {"next": {"type": "array", "items": {"$ref": "#/components/schemas/A"}}, "x": S()}}}),
        param: false,
        result: false,
        "optional field added"
    );
    both!(
        refs_are_followed_into_unions,
        json!({"$ref": "#/components/schemas/Kind"}),
        json!({"$ref": "#/components/schemas/Kind"}),
        json!({"Kind": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"const": "B"}]}, "A": {"type": "object", "properties": {"A": S()}, "required": ["A"]}}),
        json!({"Kind": {"oneOf": [{"$ref": "#/components/schemas/A"}, {"const": "B"}]}, "A": {"type": "object", "properties": {"A": {"type": "integer"}}, "required": ["A"]}}),
        param: true,
        result: true,
        "at /A: type string → integer"
    );

    // Events and subscriptions, as results (items, payloads) and params.
    rule!(
        a_union_widened_in_an_event_payload_breaks,
        json!({"methods": [], "x-events": [{"name": "e", "schema": {"oneOf": [circle(S()), square()]}}]}),
        json!({"methods": [], "x-events": [{"name": "e", "schema": {"oneOf": [circle(json!({"type": ["string", "null"]})), square()]}}]}),
        true,
        "event 'e' payload at [type=\"Circle\"]/r: type string → null|string"
    );
    rule!(
        anything_in_a_subscription_item_breaks,
        subs(json!([]), json!({"type": "integer"})),
        subs(json!([]), json!(true)),
        true,
        "subscription 's' item: type integer → any"
    );
    rule!(
        a_tightened_pattern_in_subscription_params_breaks,
        subs(
            json!([p("a", true, json!({"type": "string", "pattern": "^a"}))]),
            S()
        ),
        subs(
            json!([p("a", true, json!({"type": "string", "pattern": "^ab"}))]),
            S()
        ),
        true,
        "subscription 's' param 'a': pattern /^a/ → /^ab/"
    );
    rule!(
        a_widened_subscription_param_union_is_compatible,
        subs(json!([p("a", true, S())]), S()),
        subs(
            json!([p("a", true, json!({"anyOf": [S(), {"type": "boolean"}]}))]),
            S()
        ),
        false,
        "subscription 's' param 'a': type string → boolean|string"
    );
}
