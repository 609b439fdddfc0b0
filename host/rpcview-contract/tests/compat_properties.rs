//! Properties of the compatibility check, on random schemas: a new schema that accepts
//! strictly more than the old one (a type added to a `type` array, a bound dropped or
//! loosened, an enum value added, a field no longer required, a subschema replaced by `true`,
//! a variant added, ...) is compatible as params and breaking as a result; the reverse pair
//! (strictly less) is breaking as params and compatible as a result. And a schema compared
//! with itself has no changes. Random subschemas sit behind `$ref`s, on both sides.
//!
//! Schemas are generated so that each widening is strict: every schema accepts some value,
//! each bound excludes some value of its type (a `minLength` of at least 2 beside a pattern
//! that needs one character, an integer `format` only where no bounds are), and a type is
//! added only where no other variant of a union already accepts it.

use proptest::prelude::*;
use proptest::sample::Index;
use rpcview_contract::compat::compare;
use serde_json::{json, Map, Value};

// Generating schemas.

fn string_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "string"})),
        (2u64..5, prop::option::of(1u64..10)).prop_map(|(min, extra)| {
            let mut s = json!({"type": "string", "minLength": min});
            if let Some(extra) = extra {
                s["maxLength"] = (min + extra).into();
            }
            s
        }),
        (1u64..10).prop_map(|max| json!({"type": "string", "maxLength": max})),
        Just(json!({"type": "string", "pattern": "^[a-z]+$"})),
        Just(json!({"type": "string", "format": "date-time"})),
    ]
}

fn integer_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "integer"})),
        Just(json!({"type": "integer", "format": "int32"})),
        (
            -10i64..10,
            prop::option::of(10i64..100),
            prop::option::of(2u64..5)
        )
            .prop_map(|(min, width, multiple)| {
                let mut s = json!({"type": "integer", "minimum": min});
                if let Some(w) = width {
                    s["maximum"] = (min + w).into();
                }
                if let Some(m) = multiple {
                    s["multipleOf"] = m.into();
                }
                s
            }),
    ]
}

fn number_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "number"})),
        (-10i64..10, 10i64..100, any::<bool>(), any::<bool>()).prop_map(
            |(min, width, exclusive_min, exclusive_max)| {
                let lower = if exclusive_min {
                    "exclusiveMinimum"
                } else {
                    "minimum"
                };
                let upper = if exclusive_max {
                    "exclusiveMaximum"
                } else {
                    "maximum"
                };
                json!({"type": "number", lower: min, upper: min + width})
            }
        ),
    ]
}

fn enum_leaf() -> impl Strategy<Value = Value> {
    prop::collection::btree_set("[a-c]{1,2}", 1..4).prop_map(
        |values| json!({"type": "string", "enum": values.into_iter().collect::<Vec<_>>()}),
    )
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        string_leaf(),
        integer_leaf(),
        number_leaf(),
        Just(json!({"type": "boolean"})),
        enum_leaf(),
    ]
}

fn array_of(items: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    (items, prop::option::of(1u64..3), prop::option::of(1u64..3)).prop_map(|(items, min, extra)| {
        let mut s = json!({"type": "array", "items": items});
        if let Some(min) = min {
            s["minItems"] = min.into();
        }
        if let Some(extra) = extra {
            s["maxItems"] = (min.unwrap_or(0) + extra).into();
        }
        s
    })
}

fn fields(inner: impl Strategy<Value = Value>) -> impl Strategy<Value = Vec<(Value, bool)>> {
    prop::collection::vec((inner, any::<bool>()), 1..4)
}

/// An object of fields `f0`, `f1`, ..., each required or not; `extra` fields first.
fn object(extra: Map<String, Value>, fields: Vec<(Value, bool)>) -> Value {
    let mut required: Vec<Value> = extra.keys().map(|k| k.as_str().into()).collect();
    let mut properties = extra;
    for (i, (schema, req)) in fields.into_iter().enumerate() {
        properties.insert(format!("f{i}"), schema);
        if req {
            required.push(format!("f{i}").into());
        }
    }
    json!({"type": "object", "properties": properties, "required": required})
}

/// A union of variants of distinct types (a serde untagged enum of those).
fn untagged(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    let kinds = vec!["string", "integer", "boolean", "array", "object"];
    prop::sample::subsequence(kinds, 2..=3).prop_flat_map(move |kinds| {
        let variants: Vec<BoxedStrategy<Value>> = kinds
            .into_iter()
            .map(|k| match k {
                "string" => prop_oneof![string_leaf(), enum_leaf()].boxed(),
                "integer" => integer_leaf().boxed(),
                "boolean" => Just(json!({"type": "boolean"})).boxed(),
                "array" => array_of(inner.clone()).boxed(),
                _ => fields(inner.clone())
                    .prop_map(|f| object(Map::new(), f))
                    .boxed(),
            })
            .collect();
        variants.prop_map(|v| json!({"anyOf": v}))
    })
}

/// Objects told apart by a `kind` tag (a serde internally tagged enum).
fn tagged(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    prop::collection::vec(fields(inner), 1..4).prop_map(|variants| {
        let variants: Vec<Value> = variants
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let tag = json!({"type": "string", "const": format!("V{i}")});
                object(Map::from_iter([("kind".to_owned(), tag)]), f)
            })
            .collect();
        json!({"oneOf": variants})
    })
}

fn schema() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            array_of(inner.clone()),
            fields(inner.clone()).prop_map(|f| object(Map::new(), f)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| {
                json!({"type": "array", "items": [a, b], "minItems": 2, "maxItems": 2})
            }),
            inner
                .clone()
                .prop_map(|v| json!({"type": "object", "additionalProperties": v})),
            inner
                .clone()
                .prop_filter("an Option of an Option", |v| v.get("anyOf").is_none())
                .prop_map(|v| json!({"anyOf": [v, {"type": "null"}]})),
            untagged(inner.clone()),
            tagged(inner),
        ]
    })
}

// Widening them.

/// One way to make the schema at a place accept strictly more.
#[derive(Debug, Clone)]
enum Widening {
    /// Accept one more type (`"string"` → `["string", "boolean"]`).
    AddType(&'static str),
    /// An integer becomes any number.
    ToNumber,
    /// Drop a bound, a `pattern` or a `format`.
    Drop(&'static str),
    /// Move a bound by one, outwards.
    Loosen(&'static str),
    /// One more enum value.
    AddValue,
    /// No longer an enum: any string.
    DropEnum,
    /// A field no longer required.
    Unrequire(String),
    /// Replaced by `true`: anything.
    Anything,
    /// A union of types gets a variant of another type.
    AddVariant(&'static str),
    /// A tagged union gets a variant with a new tag value.
    AddTagged,
}

const BOUNDS: [&str; 9] = [
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

/// Every place of `s` (a JSON pointer) and a strict widening there. `in_union`: `s` is a
/// variant of a union (adding a type there may add nothing); `tag`: `s` is a tag field.
fn widenings(s: &Value, at: &str, in_union: bool, out: &mut Vec<(String, Widening)>) {
    out.push((at.to_owned(), Widening::Anything));
    let ty = s["type"].as_str().unwrap_or_default();
    if let Some(variants) = s["anyOf"].as_array() {
        let types: Vec<&str> = variants.iter().filter_map(|v| v["type"].as_str()).collect();
        for t in ["string", "integer", "boolean", "null"] {
            if !types.contains(&t) {
                out.push((at.to_owned(), Widening::AddVariant(t)));
            }
        }
        for (i, v) in variants.iter().enumerate() {
            widenings(v, &format!("{at}/anyOf/{i}"), true, out);
        }
        return;
    }
    if let Some(variants) = s["oneOf"].as_array() {
        out.push((at.to_owned(), Widening::AddTagged));
        for (i, v) in variants.iter().enumerate() {
            widenings(v, &format!("{at}/oneOf/{i}"), true, out);
        }
        return;
    }
    if s.get("enum").is_some() {
        out.push((at.to_owned(), Widening::AddValue));
        out.push((at.to_owned(), Widening::DropEnum));
        return;
    }
    if !in_union && ["string", "integer", "number", "boolean"].contains(&ty) {
        for t in ["string", "integer", "boolean", "null"] {
            if t != ty && !(ty == "number" && t == "integer") {
                out.push((at.to_owned(), Widening::AddType(t)));
            }
        }
        if ty == "integer" && s.get("multipleOf").is_none() {
            out.push((at.to_owned(), Widening::ToNumber));
        }
    }
    for key in BOUNDS.into_iter().chain(["pattern", "format"]) {
        if s.get(key).is_some() {
            out.push((at.to_owned(), Widening::Drop(key)));
            if BOUNDS.contains(&key) && key != "multipleOf" {
                out.push((at.to_owned(), Widening::Loosen(key)));
            }
        }
    }
    if let Some(props) = s["properties"].as_object() {
        for f in s["required"].as_array().into_iter().flatten() {
            let f = f.as_str().unwrap_or_default();
            if f != "kind" {
                out.push((at.to_owned(), Widening::Unrequire(f.to_owned())));
            }
        }
        for (k, v) in props.iter().filter(|(k, _)| *k != "kind") {
            widenings(v, &format!("{at}/properties/{k}"), false, out);
        }
    }
    match &s["items"] {
        Value::Array(tuple) => {
            for (i, v) in tuple.iter().enumerate() {
                widenings(v, &format!("{at}/items/{i}"), false, out);
            }
        }
        Value::Object(_) => widenings(&s["items"], &format!("{at}/items"), false, out),
        _ => {}
    }
    if s["additionalProperties"].is_object() {
        widenings(
            &s["additionalProperties"],
            &format!("{at}/additionalProperties"),
            false,
            out,
        );
    }
}

fn widen(s: &mut Value, w: &Widening) {
    match w {
        Widening::AddType(t) => s["type"] = json!([s["type"].clone(), t]),
        Widening::ToNumber => s["type"] = "number".into(),
        Widening::Drop(key) => {
            s.as_object_mut().unwrap().remove(*key);
        }
        Widening::Loosen(key) => {
            // By one, or by `multipleOf` so that one more multiple is in.
            let step = s["multipleOf"]
                .as_f64()
                .filter(|_| !key.ends_with("Length") && !key.ends_with("Items"));
            let (v, step) = (s[*key].as_i64().unwrap(), step.unwrap_or(1.0) as i64);
            let down = key.starts_with("min") || *key == "exclusiveMinimum";
            s[*key] = json!(if down { v - step } else { v + step });
        }
        Widening::AddValue => s["enum"].as_array_mut().unwrap().push("zz".into()),
        Widening::DropEnum => {
            s.as_object_mut().unwrap().remove("enum");
        }
        Widening::Unrequire(f) => s["required"].as_array_mut().unwrap().retain(|r| r != f),
        Widening::Anything => *s = json!(true),
        Widening::AddVariant(t) => s["anyOf"].as_array_mut().unwrap().push(json!({"type": t})),
        Widening::AddTagged => {
            let variants = s["oneOf"].as_array_mut().unwrap();
            let tag = json!({"type": "string", "const": format!("V{}", variants.len())});
            variants.push(object(Map::from_iter([("kind".to_owned(), tag)]), vec![]));
        }
    }
}

/// The places (JSON pointers) of every subschema of `s`, `s` itself first.
fn subschemas(s: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    for key in ["anyOf", "oneOf", "items"] {
        for (i, v) in s[key].as_array().into_iter().flatten().enumerate() {
            subschemas(v, &format!("{at}/{key}/{i}"), out);
        }
    }
    for (k, v) in s["properties"].as_object().into_iter().flatten() {
        subschemas(v, &format!("{at}/properties/{k}"), out);
    }
    for key in ["items", "additionalProperties"] {
        if s[key].is_object() {
            subschemas(&s[key], &format!("{at}/{key}"), out);
        }
    }
}

/// A document's params or result schema `s` with the subschemas at `places` moved into
/// `components/schemas` (as `S0`, `S1`, ...) and `$ref`ed, as rpcview does with named types:
/// `(schema, components)`.
fn with_refs(s: &Value, places: &[String]) -> (Value, Value) {
    let mut s = s.clone();
    let mut defs = Map::new();
    let mut places: Vec<&String> = places.iter().collect();
    places.sort_by_key(|p| std::cmp::Reverse(p.len())); // the deepest first
    places.dedup();
    for (i, p) in places.into_iter().enumerate() {
        if let Some(node) = s.pointer_mut(p) {
            let name = format!("S{i}");
            let taken = std::mem::replace(
                node,
                json!({"$ref": format!("#/components/schemas/{name}")}),
            );
            defs.insert(name, taken);
        }
    }
    (s, Value::Object(defs))
}

/// A schema and its components, and the same widened strictly at one place. The same
/// subschemas (where both have them) are behind `$ref`s on both sides.
fn widening() -> impl Strategy<Value = (Doc, Doc, String, Widening)> {
    (
        schema(),
        any::<Index>(),
        prop::collection::vec(any::<Index>(), 0..4),
    )
        .prop_map(|(old, pick, refs)| {
            let mut places = Vec::new();
            widenings(&old, "", false, &mut places);
            let (at, w) = places[pick.index(places.len())].clone();
            let mut new = old.clone();
            widen(new.pointer_mut(&at).unwrap(), &w);
            let mut nodes = Vec::new();
            subschemas(&old, "", &mut nodes);
            let refs: Vec<String> = refs
                .iter()
                .map(|i| nodes[i.index(nodes.len())].clone())
                .collect();
            (with_refs(&old, &refs), with_refs(&new, &refs), at, w)
        })
}

/// A schema, and the component schemas its `$ref`s point to.
type Doc = (Value, Value);

// Checking them.

/// The schema as the only param of method `m` (what pages send).
fn as_param((s, defs): &Doc) -> Value {
    json!({"methods": [{"name": "m", "params": [{"name": "a", "required": true, "schema": s}],
        "result": {"name": "result", "schema": {"type": "null"}}}],
        "components": {"schemas": defs}})
}

/// The schema as the result of method `m` (what pages receive).
fn as_result((s, defs): &Doc) -> Value {
    json!({"methods": [{"name": "m", "params": [], "result": {"name": "result", "schema": s}}],
        "components": {"schemas": defs}})
}

/// Whether `old` → `new` breaks, and every change, for a failure to show.
fn verdict(old: &Value, new: &Value) -> (bool, Vec<String>) {
    let changes = compare(old, new);
    (
        changes.iter().any(|c| c.breaking),
        changes.iter().map(ToString::to_string).collect(),
    )
}

proptest! {
    // 1000 cases unless PROPTEST_CASES says. Failures are shown shrunk; a test file has no
    // `lib.rs` beside it to keep them in.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(1000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Accepting strictly more: fine for what pages send, breaking for what they receive.
    #[test]
    fn a_strict_widening_is_compatible_as_params_and_breaking_as_a_result(
        (old, new, at, w) in widening()
    ) {
        let (breaks, says) = verdict(&as_param(&old), &as_param(&new));
        prop_assert!(!breaks, "as params, {w:?} at '{at}' broke: {says:#?}\nold: {old:?}\nnew: {new:?}");
        let (breaks, says) = verdict(&as_result(&old), &as_result(&new));
        prop_assert!(breaks, "as a result, {w:?} at '{at}' did not break: {says:#?}\nold: {old:?}\nnew: {new:?}");
    }

    /// Accepting strictly less (the reverse pair): breaking for what pages send, fine for
    /// what they receive.
    #[test]
    fn a_strict_narrowing_is_breaking_as_params_and_compatible_as_a_result(
        (wide, narrow, at, w) in widening().prop_map(|(old, new, at, w)| (new, old, at, w))
    ) {
        let (breaks, says) = verdict(&as_param(&wide), &as_param(&narrow));
        prop_assert!(breaks, "as params, undoing {w:?} at '{at}' did not break: {says:#?}\nold: {wide:?}\nnew: {narrow:?}");
        let (breaks, says) = verdict(&as_result(&wide), &as_result(&narrow));
        prop_assert!(!breaks, "as a result, undoing {w:?} at '{at}' broke: {says:#?}\nold: {wide:?}\nnew: {narrow:?}");
    }

    /// A schema compared with itself has no changes at all.
    #[test]
    fn a_schema_is_compatible_with_itself((s, _, _, _) in widening()) {
        prop_assert_eq!(compare(&as_param(&s), &as_param(&s)), vec![]);
        prop_assert_eq!(compare(&as_result(&s), &as_result(&s)), vec![]);
    }
}
