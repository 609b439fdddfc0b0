//! Schema evolution: what changed between two OpenRPC documents, and whether a page built
//! against the old one breaks against the new one.
//!
//! The rules, from the caller's side:
//! - removing a method, a notification or an event breaks; adding one does not;
//! - a method that becomes a notification (or back) breaks;
//! - params: a new required param, a removed param, a param that became required, a param
//!   that moved position, or a params schema that accepts less (narrowed type, fewer enum
//!   values, tighter bounds, a new required field) breaks; a new optional param does not;
//! - results and event payloads: a schema that may now produce values the old one could not
//!   (widened type, more enum values, a removed field) breaks; a new field does not.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// One difference between two documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Whether a page built against the old document can break.
    pub breaking: bool,
    /// What changed, naming the method, param or event.
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
/// let changes = rpcview::schema::compat::compare(&old, &new);
/// assert_eq!(changes[0].to_string(), "BREAKING: method 'a' was removed");
/// ```
pub fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = Vec::new();
    let cx = Cx {
        old: components(old),
        new: components(new),
    };
    let old_methods = by_name(&old["methods"]);
    let new_methods = by_name(&new["methods"]);
    for (name, o) in &old_methods {
        let kind = if o.get("result").is_some() {
            "method"
        } else {
            "notification"
        };
        match new_methods.iter().find(|(n, _)| n == name) {
            None => out.push(breaking(format!("{kind} '{name}' was removed"))),
            Some((_, n)) => method(&cx, name, o, n, &mut out),
        }
    }
    for (name, n) in &new_methods {
        if !old_methods.iter().any(|(o, _)| o == name) {
            let kind = if n.get("result").is_some() {
                "method"
            } else {
                "notification"
            };
            out.push(compatible(format!("{kind} '{name}' was added")));
        }
    }
    let old_events = by_name(&old["x-events"]);
    let new_events = by_name(&new["x-events"]);
    for (name, o) in &old_events {
        match new_events.iter().find(|(n, _)| n == name) {
            None => out.push(breaking(format!("event '{name}' was removed"))),
            Some((_, n)) => output(
                &cx,
                &format!("event '{name}' payload"),
                &o["schema"],
                &n["schema"],
                &mut out,
            ),
        }
    }
    for (name, _) in &new_events {
        if !old_events.iter().any(|(o, _)| o == name) {
            out.push(compatible(format!("event '{name}' was added")));
        }
    }
    out.sort_by_key(|c| !c.breaking);
    out
}

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

fn method(cx: &Cx, name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    match (old.get("result"), new.get("result")) {
        (Some(_), None) => {
            return out.push(breaking(format!("method '{name}' became a notification")))
        }
        (None, Some(_)) => {
            return out.push(breaking(format!("notification '{name}' became a method")))
        }
        (Some(o), Some(n)) => output(
            cx,
            &format!("method '{name}' result"),
            &o["schema"],
            &n["schema"],
            out,
        ),
        (None, None) => {}
    }
    let structure = |m: &Value| m["paramStructure"].as_str().unwrap_or("either").to_owned();
    let (os, ns) = (structure(old), structure(new));
    if os != ns && ns != "either" {
        out.push(breaking(format!(
            "method '{name}' params are now {ns} only (were {os})"
        )));
    }
    let old_params = by_name(&old["params"]);
    let new_params = by_name(&new["params"]);
    let required = |p: &Value| p["required"].as_bool().unwrap_or(false);
    for (i, (pname, o)) in old_params.iter().enumerate() {
        let what = format!("method '{name}' param '{pname}'");
        match new_params.iter().position(|(n, _)| n == pname) {
            None => out.push(breaking(format!("{what} was removed"))),
            Some(j) => {
                let n = new_params[j].1;
                if j != i && os != "by-name" {
                    out.push(breaking(format!("{what} moved from position {i} to {j}")));
                }
                if !required(o) && required(n) {
                    out.push(breaking(format!("{what} became required")));
                }
                input(cx, &what, &o["schema"], &n["schema"], out);
            }
        }
    }
    for (pname, n) in &new_params {
        if !old_params.iter().any(|(o, _)| o == pname) {
            let what = format!("method '{name}' param '{pname}'");
            if required(n) {
                out.push(breaking(format!("{what} was added as required")));
            } else {
                out.push(compatible(format!("{what} was added as optional")));
            }
        }
    }
}

/// Params: the new schema must accept everything the old one did.
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

/// Results and payloads: the new schema must produce nothing the old one could not.
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

#[derive(Default)]
struct Diff {
    /// Ways the new schema accepts less.
    narrowed: Vec<String>,
    /// Ways the new schema accepts more.
    widened: Vec<String>,
    /// Optional fields added: more for inputs, harmless extra for outputs; never breaking.
    added: Vec<String>,
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

fn diff(cx: &Cx, old: &Value, new: &Value, path: &str, d: &mut Diff, depth: usize) {
    if depth > 16 {
        return; // recursive types: deep enough
    }
    let ((o, o_null), (n, n_null)) = (unwrap(old, cx.old), unwrap(new, cx.new));
    let at = if path.is_empty() {
        String::new()
    } else {
        format!(" at {path}")
    };
    let (mut ot, mut nt) = (types(o), types(n));
    if o_null && !ot.is_empty() {
        ot.insert("null".into());
    }
    if n_null && !nt.is_empty() {
        nt.insert("null".into());
    }
    if ot.is_empty() && nt.is_empty() && o_null != n_null {
        let msg = format!(
            "{at}: {}",
            if n_null {
                "became nullable"
            } else {
                "no longer nullable"
            }
        );
        if n_null {
            d.widened.push(msg)
        } else {
            d.narrowed.push(msg)
        }
    }
    for key in ["oneOf", "anyOf"] {
        let count = |s: &Value| s.get(key).and_then(Value::as_array).map(Vec::len);
        if let (Some(a), Some(b)) = (count(o), count(n)) {
            if b < a {
                d.narrowed.push(format!("{at}: variants {a} → {b}"));
            } else if b > a {
                d.widened.push(format!("{at}: variants {a} → {b}"));
            }
        }
    }
    if !ot.is_empty() && !nt.is_empty() && ot != nt {
        // Every integer is a number: a set of types accepts a type if it names it or a wider one.
        let accepts = |set: &BTreeSet<String>, t: &str| {
            set.contains(t) || (t == "integer" && set.contains("number"))
        };
        let fmt = |t: &BTreeSet<String>| t.iter().cloned().collect::<Vec<_>>().join("|");
        let msg = format!("{at}: type {} → {}", fmt(&ot), fmt(&nt));
        let old_fits_new = ot.iter().all(|t| accepts(&nt, t));
        let new_fits_old = nt.iter().all(|t| accepts(&ot, t));
        match (old_fits_new, new_fits_old) {
            (true, false) => d.widened.push(msg),
            (false, true) => d.narrowed.push(msg),
            _ => {
                d.narrowed.push(msg.clone());
                d.widened.push(msg);
            }
        }
    }
    match (o.get("enum").is_some(), n.get("enum").is_some()) {
        (false, true) => d.narrowed.push(format!("{at}: restricted to an enum")),
        (true, false) => d.widened.push(format!("{at}: no longer an enum")),
        _ => {}
    }
    if let (Some(oe), Some(ne)) = (
        o.get("enum").and_then(Value::as_array),
        n.get("enum").and_then(Value::as_array),
    ) {
        let removed: Vec<String> = oe
            .iter()
            .filter(|v| !ne.contains(v))
            .map(Value::to_string)
            .collect();
        let added: Vec<String> = ne
            .iter()
            .filter(|v| !oe.contains(v))
            .map(Value::to_string)
            .collect();
        if !removed.is_empty() {
            d.narrowed
                .push(format!("{at}: enum values removed: {}", removed.join(", ")));
        }
        if !added.is_empty() {
            d.widened
                .push(format!("{at}: enum values added: {}", added.join(", ")));
        }
    }
    for (key, lower_is_tighter) in [
        ("minLength", false),
        ("minimum", false),
        ("minItems", false),
        ("maxLength", true),
        ("maximum", true),
        ("maxItems", true),
    ] {
        let (a, b) = (
            o.get(key).and_then(Value::as_f64),
            n.get(key).and_then(Value::as_f64),
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
    if let (Some(op), Some(np)) = (
        o.get("properties").and_then(Value::as_object),
        n.get("properties").and_then(Value::as_object),
    ) {
        let req = |s: &Value| -> BTreeSet<String> {
            s.get("required")
                .and_then(Value::as_array)
                .map(|r| {
                    r.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let (or, nr) = (req(o), req(n));
        for (k, os) in op {
            let p = format!("{path}/{k}");
            match np.get(k) {
                None => {
                    // Gone: an input that sent it may be refused; an output no longer has it.
                    d.narrowed.push(format!(" at {p}: field removed"));
                    d.widened.push(format!(" at {p}: field removed"));
                }
                Some(ns) => {
                    if !or.contains(k) && nr.contains(k) {
                        d.narrowed.push(format!(" at {p}: became required"));
                    }
                    if or.contains(k) && !nr.contains(k) {
                        d.widened.push(format!(" at {p}: became optional"));
                    }
                    diff(cx, os, ns, &p, d, depth + 1);
                }
            }
        }
        for k in np.keys().filter(|k| !op.contains_key(*k)) {
            let p = format!("{path}/{k}");
            if nr.contains(k) {
                d.narrowed.push(format!(" at {p}: required field added"));
            } else {
                d.added.push(format!(" at {p}: optional field added"));
            }
        }
    }
    if let (Some(oi), Some(ni)) = (o.get("items"), n.get("items")) {
        if oi.is_object() && ni.is_object() {
            diff(cx, oi, ni, &format!("{path}/*"), d, depth + 1);
        }
    }
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
    rule!(
        identical_documents_have_no_changes,
        doc(json!([p("a", true, S())]), S()),
        doc(json!([p("a", true, S())]), S()),
        false,
        ""
    );
}
