//! Schema evolution: what changed between two OpenRPC documents, and whether a page built
//! against the old one breaks against the new one.
//!
//! The rules, from the caller's side:
//! - removing a method, a notification, a subscription (`x-subscriptions`) or an event
//!   breaks; adding one does not;
//! - a method that becomes a notification (or back) breaks; so does a method or notification
//!   that becomes a subscription (or back);
//! - params (of methods, notifications and subscriptions alike): a new required param, a
//!   removed param, a param that became required, a param that moved position, or a params
//!   schema that accepts less (narrowed type, fewer enum values, tighter bounds, a new
//!   required field) breaks; a new optional param does not;
//! - results, subscription items and event payloads: a schema that may now produce values the
//!   old one could not (widened type, more enum values, a removed field) breaks; a new field
//!   does not.
//!
//! [`compare`] walks methods, subscriptions, params and events, applying one function per
//! rule. Schemas are compared by `diff`, which applies the schema rules in `SCHEMA_RULES` and
//! walks fields and items; `input` (params) and `output` (results, items, payloads) then say
//! which findings break.

use std::collections::BTreeSet;

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
    diff(cx, old, new, "", &mut d, 0);
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
    diff(cx, old, new, "", &mut d, 0);
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
}

/// One side of a schema comparison: the schema unwrapped, and its types.
struct Side<'a> {
    schema: &'a Value,
    /// Whether `null` is allowed besides `schema` (an `Option`).
    nullable: bool,
    /// The types `schema` names, `null` included when nullable.
    types: BTreeSet<String>,
}

impl<'a> Side<'a> {
    fn of(s: &'a Value, defs: &'a Map<String, Value>) -> Self {
        let (schema, nullable) = unwrap(s, defs);
        let mut types = types(schema);
        if nullable && !types.is_empty() {
            types.insert("null".into());
        }
        Self {
            schema,
            nullable,
            types,
        }
    }
}

/// A rule comparing one place of two schemas: `(old, new, " at /path" or "", findings)`.
type SchemaRule = fn(&Side<'_>, &Side<'_>, &str, &mut Diff);

/// The rules applied at every place, in the order their findings are listed.
const SCHEMA_RULES: [SchemaRule; 6] = [
    nullability,
    variant_count,
    type_set,
    enum_presence,
    enum_values,
    bounds,
];

/// Compares `old` and `new` at `path`: applies [`SCHEMA_RULES`], then walks fields and items.
fn diff(cx: &Cx, old: &Value, new: &Value, path: &str, d: &mut Diff, depth: usize) {
    if depth > 16 {
        return; // recursive types: deep enough
    }
    let (o, n) = (Side::of(old, cx.old), Side::of(new, cx.new));
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    };
    for rule in SCHEMA_RULES {
        rule(&o, &n, &at, d);
    }
    fields(cx, &o, &n, path, d, depth);
    if let (Some(oi), Some(ni)) = (o.schema.get("items"), n.schema.get("items")) {
        if oi.is_object() && ni.is_object() {
            diff(cx, oi, ni, &format!("{path}/*"), d, depth + 1);
        }
    }
}

/// A schema without types that becomes nullable accepts more (`null`); one that stops being
/// nullable accepts less. (With types, `null` is one of them: see [`type_set`].)
fn nullability(o: &Side<'_>, n: &Side<'_>, at: &str, d: &mut Diff) {
    if o.types.is_empty() && n.types.is_empty() && o.nullable != n.nullable {
        if n.nullable {
            d.widened.push(format!("{at}: became nullable"));
        } else {
            d.narrowed.push(format!("{at}: no longer nullable"));
        }
    }
}

/// Fewer `oneOf` / `anyOf` variants accept less; more accept more.
fn variant_count(o: &Side<'_>, n: &Side<'_>, at: &str, d: &mut Diff) {
    for key in ["oneOf", "anyOf"] {
        let count = |s: &Value| s.get(key).and_then(Value::as_array).map(Vec::len);
        if let (Some(a), Some(b)) = (count(o.schema), count(n.schema)) {
            if b < a {
                d.narrowed.push(format!("{at}: variants {a} → {b}"));
            } else if b > a {
                d.widened.push(format!("{at}: variants {a} → {b}"));
            }
        }
    }
}

/// Other types: fewer accept less, more accept more, others both (an integer is a number).
fn type_set(o: &Side<'_>, n: &Side<'_>, at: &str, d: &mut Diff) {
    let (ot, nt) = (&o.types, &n.types);
    if !ot.is_empty() && !nt.is_empty() && ot != nt {
        // Every integer is a number: a set of types accepts a type if it names it or a wider one.
        let accepts = |set: &BTreeSet<String>, t: &str| {
            set.contains(t) || (t == "integer" && set.contains("number"))
        };
        let fmt = |t: &BTreeSet<String>| t.iter().cloned().collect::<Vec<_>>().join("|");
        let msg = format!("{at}: type {} → {}", fmt(ot), fmt(nt));
        let old_fits_new = ot.iter().all(|t| accepts(nt, t));
        let new_fits_old = nt.iter().all(|t| accepts(ot, t));
        match (old_fits_new, new_fits_old) {
            (true, false) => d.widened.push(msg),
            (false, true) => d.narrowed.push(msg),
            _ => {
                d.narrowed.push(msg.clone());
                d.widened.push(msg);
            }
        }
    }
}

/// A schema restricted to an `enum` accepts less; one no longer an `enum` accepts more.
fn enum_presence(o: &Side<'_>, n: &Side<'_>, at: &str, d: &mut Diff) {
    match (
        o.schema.get("enum").is_some(),
        n.schema.get("enum").is_some(),
    ) {
        (false, true) => d.narrowed.push(format!("{at}: restricted to an enum")),
        (true, false) => d.widened.push(format!("{at}: no longer an enum")),
        _ => {}
    }
}

/// Enum values removed accept less; enum values added accept more.
fn enum_values(o: &Side<'_>, n: &Side<'_>, at: &str, d: &mut Diff) {
    let (Some(oe), Some(ne)) = (
        o.schema.get("enum").and_then(Value::as_array),
        n.schema.get("enum").and_then(Value::as_array),
    ) else {
        return;
    };
    let missing = |from: &Vec<Value>, other: &Vec<Value>| -> Vec<String> {
        from.iter()
            .filter(|v| !other.contains(v))
            .map(Value::to_string)
            .collect()
    };
    let (removed, added) = (missing(oe, ne), missing(ne, oe));
    if !removed.is_empty() {
        d.narrowed
            .push(format!("{at}: enum values removed: {}", removed.join(", ")));
    }
    if !added.is_empty() {
        d.widened
            .push(format!("{at}: enum values added: {}", added.join(", ")));
    }
}

/// A tighter bound (a new one, a higher minimum, a lower maximum, on lengths, values or
/// item counts) accepts less; a looser or dropped one accepts more.
fn bounds(o: &Side<'_>, n: &Side<'_>, at: &str, d: &mut Diff) {
    for (key, lower_is_tighter) in [
        ("minLength", false),
        ("minimum", false),
        ("minItems", false),
        ("maxLength", true),
        ("maximum", true),
        ("maxItems", true),
    ] {
        let (a, b) = (
            o.schema.get(key).and_then(Value::as_f64),
            n.schema.get(key).and_then(Value::as_f64),
        );
        let tighter = match (a, b) {
            (None, Some(_)) => Some(true),
            (Some(_), None) => Some(false),
            (Some(a), Some(b)) if a != b => Some((b < a) == lower_is_tighter),
            _ => None,
        };
        let show = |v: Option<f64>| v.map_or("none".to_owned(), |v| v.to_string());
        match tighter {
            Some(true) => d
                .narrowed
                .push(format!("{at}: {key} {} → {}", show(a), show(b))),
            Some(false) => d
                .widened
                .push(format!("{at}: {key} {} → {}", show(a), show(b))),
            None => {}
        }
    }
}

/// Walks the fields of two object schemas: applies the field rules to each, and compares the
/// schemas of the fields both have.
fn fields(cx: &Cx, o: &Side<'_>, n: &Side<'_>, path: &str, d: &mut Diff, depth: usize) {
    let (Some(op), Some(np)) = (
        o.schema.get("properties").and_then(Value::as_object),
        n.schema.get("properties").and_then(Value::as_object),
    ) else {
        return;
    };
    let (or, nr) = (required_fields(o.schema), required_fields(n.schema));
    for (k, os) in op {
        let p = format!("{path}/{k}");
        match np.get(k) {
            None => field_removed(&p, d),
            Some(ns) => {
                field_requiredness(or.contains(k), nr.contains(k), &p, d);
                diff(cx, os, ns, &p, d, depth + 1);
            }
        }
    }
    for k in np.keys().filter(|k| !op.contains_key(*k)) {
        field_added(nr.contains(k), &format!("{path}/{k}"), d);
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

/// Follows `$ref`s and one-element `allOf`s (how schemars wraps a documented field), and
/// reads `anyOf`/`oneOf` of one schema and `null` (an `Option`) as that schema, nullable.
fn unwrap<'a>(s: &'a Value, defs: &'a Map<String, Value>) -> (&'a Value, bool) {
    let mut s = resolve(s, defs);
    let mut nullable = false;
    for _ in 0..8 {
        if let Some([only]) = s.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
            if s.get("type").is_none() && s.get("properties").is_none() {
                s = resolve(only, defs);
                continue;
            }
        }
        let pair = s
            .get("anyOf")
            .or_else(|| s.get("oneOf"))
            .and_then(Value::as_array);
        if let Some([a, b]) = pair.map(Vec::as_slice) {
            let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
            if is_null(b) || is_null(a) {
                nullable = true;
                s = resolve(if is_null(b) { a } else { b }, defs);
                continue;
            }
        }
        break;
    }
    (s, nullable)
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
}
