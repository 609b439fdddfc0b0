//! The compatibility rules, seen from real Rust types: each test compiles a before (`v1`)
//! and an after (`v2`) type into the OpenRPC documents rpcview writes, and checks the verdict
//! of `compat::compare` on them, both ways where both ways mean something.
//!
//! Params are what pages send: a new version must accept everything the old one did.
//! Results, event payloads and subscription items are what pages receive: a new version must
//! produce only what the old one could.

use rpcview::contract::compat::compare;
use rpcview::rpc::openrpc;
use rpcview::{Allow, Api, Ctx, RpcError, Sink};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn document(api: Api) -> Value {
    openrpc::document(&api.build().unwrap(), &Allow::all())
}

/// A method `m` whose result is a `R`.
fn returning<R: Serialize + JsonSchema + Send + 'static>() -> Value {
    document(Api::new().method("m", |_: Ctx, _: ()| async {
        Err::<R, _>(RpcError::new(1, "never called"))
    }))
}

/// A method `m` whose params are `P` (a tuple: by position; a struct: its fields by name).
fn taking<P: DeserializeOwned + JsonSchema + Send + 'static>() -> Value {
    document(Api::new().method("m", |_: Ctx, _: P| async { Ok::<(), RpcError>(()) }))
}

/// An event `e` whose payload is a `T`.
fn emitting<T: Serialize + JsonSchema>() -> Value {
    document(Api::new().event::<T>("e"))
}

/// A subscription `s` whose params are `P` and items `T`.
fn streaming<P, T>() -> Value
where
    P: DeserializeOwned + JsonSchema + Send + 'static,
    T: Serialize + JsonSchema + Send + 'static,
{
    document(Api::new().subscription("s", |_: Ctx, _: P, _: Sink<T>| async { Ok(()) }))
}

/// Asserts whether `old` → `new` breaks, and that some change says `says`.
#[track_caller]
fn assert_verdict(old: &Value, new: &Value, breaking: bool, says: &str) {
    let changes = compare(old, new);
    let text: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        changes.iter().any(|c| c.breaking),
        breaking,
        "expected {}: {text:#?}",
        if breaking { "breaking" } else { "compatible" }
    );
    assert!(
        text.iter().any(|t| t.contains(says)),
        "no change says {says:?}: {text:#?}"
    );
}

#[track_caller]
fn breaks(old: &Value, new: &Value, says: &str) {
    assert_verdict(old, new, true, says);
}

#[track_caller]
fn compatible(old: &Value, new: &Value, says: &str) {
    assert_verdict(old, new, false, says);
}

mod v1 {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) enum Kind {
        Saved,
        Removed,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "type")]
    pub(crate) enum Shape {
        Circle { r: f64 },
        Square { side: f64 },
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) enum External {
        Unit,
        Point { x: i32, y: i32 },
        Label(String),
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Named {
        pub(crate) name: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Slug {
        #[schemars(regex(pattern = r"^[a-z-]+$"))]
        pub(crate) slug: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Page {
        #[schemars(range(min = 1, max = 100))]
        pub(crate) size: u32,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Pair(pub(crate) String, pub(crate) u8);

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Counts {
        pub(crate) counts: BTreeMap<String, u32>,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Tree {
        pub(crate) name: String,
        pub(crate) children: Vec<Tree>,
    }
}

mod v2 {
    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use std::collections::BTreeMap;

    /// `Removed` renamed.
    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) enum Kind {
        Saved,
        Deleted,
    }

    /// One more variant.
    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) enum KindPlus {
        Saved,
        Removed,
        Archived,
    }

    /// The tag field renamed.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "kind")]
    pub(crate) enum ShapeRetagged {
        Circle { r: f64 },
        Square { side: f64 },
    }

    /// A variant's tag value renamed.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "type")]
    pub(crate) enum ShapeRenamed {
        #[serde(rename = "Round")]
        Circle {
            r: f64,
        },
        Square {
            side: f64,
        },
    }

    /// A field of a variant retyped.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(tag = "type")]
    pub(crate) enum ShapeRetyped {
        Circle { r: String },
        Square { side: f64 },
    }

    /// A field of a struct variant retyped.
    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) enum External {
        Unit,
        Point { x: i32, y: f64 },
        Label(String),
    }

    /// Untagged: a string, or now an integer.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(untagged)]
    pub(crate) enum StringOrInt {
        Text(String),
        Int(i64),
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct NamedAnything {
        pub(crate) name: serde_json::Value,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct NamedOption {
        pub(crate) name: Option<String>,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Slug {
        #[schemars(regex(pattern = r"^[a-z]{3,}$"))]
        pub(crate) slug: String,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Page {
        #[schemars(range(min = 10, max = 50))]
        pub(crate) size: u32,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Pair(pub(crate) String, pub(crate) String);

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Counts {
        pub(crate) counts: BTreeMap<String, String>,
    }

    #[derive(Serialize, Deserialize, JsonSchema)]
    pub(crate) struct Tree {
        pub(crate) name: String,
        pub(crate) children: Vec<Tree>,
    }

    /// A field of the recursive type retyped: `name` may be missing.
    #[derive(Serialize, Deserialize, JsonSchema)]
    #[schemars(rename = "Tree")]
    pub(crate) struct TreeChanged {
        pub(crate) name: Option<String>,
        pub(crate) children: Vec<TreeChanged>,
    }
}

// Enum values.

#[test]
fn a_renamed_enum_variant_breaks_a_result_both_ways() {
    let (old, new) = (returning::<v1::Kind>(), returning::<v2::Kind>());
    breaks(&old, &new, "enum values added: \"Deleted\"");
    breaks(&new, &old, "enum values added: \"Removed\"");
}

#[test]
fn a_renamed_enum_variant_breaks_a_param_both_ways() {
    let (old, new) = (taking::<(v1::Kind,)>(), taking::<(v2::Kind,)>());
    breaks(&old, &new, "enum values removed: \"Removed\"");
    breaks(&new, &old, "enum values removed: \"Deleted\"");
}

#[test]
fn an_added_variant_breaks_a_result_not_a_param() {
    breaks(
        &returning::<v1::Kind>(),
        &returning::<v2::KindPlus>(),
        "enum values added: \"Archived\"",
    );
    compatible(
        &taking::<(v1::Kind,)>(),
        &taking::<(v2::KindPlus,)>(),
        "enum values added: \"Archived\"",
    );
    // A removed variant: the reverse.
    compatible(
        &returning::<v2::KindPlus>(),
        &returning::<v1::Kind>(),
        "enum values removed: \"Archived\"",
    );
    breaks(
        &taking::<(v2::KindPlus,)>(),
        &taking::<(v1::Kind,)>(),
        "enum values removed: \"Archived\"",
    );
}

// Tagged enums: variants matched by tag, fields inside them compared.

#[test]
fn a_retagged_internally_tagged_enum_breaks_both_ways() {
    let (old, new) = (returning::<v1::Shape>(), returning::<v2::ShapeRetagged>());
    breaks(&old, &new, "tag 'type' → 'kind'");
    breaks(&new, &old, "tag 'kind' → 'type'");
    let (old, new) = (taking::<(v1::Shape,)>(), taking::<(v2::ShapeRetagged,)>());
    breaks(&old, &new, "tag 'type' → 'kind'");
    breaks(&new, &old, "tag 'kind' → 'type'");
}

#[test]
fn a_renamed_tag_value_breaks_both_ways() {
    let (old, new) = (returning::<v1::Shape>(), returning::<v2::ShapeRenamed>());
    breaks(&old, &new, "variant type=\"Round\" added");
    breaks(&new, &old, "variant type=\"Circle\" added");
    let (old, new) = (taking::<(v1::Shape,)>(), taking::<(v2::ShapeRenamed,)>());
    breaks(&old, &new, "variant type=\"Circle\" removed");
    breaks(&new, &old, "variant type=\"Round\" removed");
}

#[test]
fn a_field_changed_inside_a_variant_breaks_at_its_path() {
    let says = "[type=\"Circle\"]/r: type number → string";
    breaks(
        &returning::<v1::Shape>(),
        &returning::<v2::ShapeRetyped>(),
        says,
    );
    breaks(
        &taking::<(v1::Shape,)>(),
        &taking::<(v2::ShapeRetyped,)>(),
        says,
    );
    // An externally tagged struct variant: i32 → f64 widens.
    let says = "[Point]/Point/y: type integer → number";
    breaks(
        &returning::<v1::External>(),
        &returning::<v2::External>(),
        says,
    );
    compatible(
        &taking::<(v1::External,)>(),
        &taking::<(v2::External,)>(),
        says,
    );
    breaks(
        &taking::<(v2::External,)>(),
        &taking::<(v1::External,)>(),
        "type number → integer",
    );
}

// Widening to a union, to anything, to an Option.

#[test]
fn a_string_widened_to_an_untagged_union_breaks_a_result_not_a_param() {
    let says = "type string → integer|string";
    breaks(
        &returning::<String>(),
        &returning::<v2::StringOrInt>(),
        says,
    );
    compatible(
        &returning::<v2::StringOrInt>(),
        &returning::<String>(),
        "type integer|string → string",
    );
    compatible(
        &taking::<(String,)>(),
        &taking::<(v2::StringOrInt,)>(),
        says,
    );
    breaks(
        &taking::<(v2::StringOrInt,)>(),
        &taking::<(String,)>(),
        "type integer|string → string",
    );
}

#[test]
fn a_field_become_any_json_breaks_a_result_not_a_param() {
    let says = "at /name: type string → any";
    breaks(
        &returning::<v1::Named>(),
        &returning::<v2::NamedAnything>(),
        says,
    );
    compatible(
        &returning::<v2::NamedAnything>(),
        &returning::<v1::Named>(),
        "at /name: type any → string",
    );
    compatible(
        &taking::<(v1::Named,)>(),
        &taking::<(v2::NamedAnything,)>(),
        says,
    );
    breaks(
        &taking::<(v2::NamedAnything,)>(),
        &taking::<(v1::Named,)>(),
        "at /name: type any → string",
    );
}

#[test]
fn an_option_added_breaks_a_result_field_not_a_param_field() {
    breaks(
        &returning::<v1::Named>(),
        &returning::<v2::NamedOption>(),
        "at /name: type string → null|string",
    );
    compatible(
        &taking::<(v1::Named,)>(),
        &taking::<(v2::NamedOption,)>(),
        "at /name: type string → null|string",
    );
    // Taken away again: the reverse.
    compatible(
        &returning::<v2::NamedOption>(),
        &returning::<v1::Named>(),
        "type null|string → string",
    );
    breaks(
        &taking::<(v2::NamedOption,)>(),
        &taking::<(v1::Named,)>(),
        "type null|string → string",
    );
    // A struct's fields as params by name: the param itself became optional.
    compatible(
        &taking::<v1::Named>(),
        &taking::<v2::NamedOption>(),
        "type string → null|string",
    );
}

// Strings and numbers.

#[test]
fn a_changed_pattern_breaks_a_param_and_a_result() {
    let says = "at /slug: pattern /^[a-z-]+$/ → /^[a-z]{3,}$/";
    breaks(&taking::<(v1::Slug,)>(), &taking::<(v2::Slug,)>(), says);
    breaks(&returning::<v1::Slug>(), &returning::<v2::Slug>(), says);
}

#[test]
fn a_pattern_dropped_breaks_a_result_not_a_param() {
    #[derive(serde::Serialize, serde::Deserialize, JsonSchema)]
    #[schemars(rename = "Slug")]
    struct Plain {
        slug: String,
    }
    let says = "at /slug: pattern /^[a-z-]+$/ → none";
    compatible(&taking::<(v1::Slug,)>(), &taking::<(Plain,)>(), says);
    breaks(&returning::<v1::Slug>(), &returning::<Plain>(), says);
    breaks(
        &taking::<(Plain,)>(),
        &taking::<(v1::Slug,)>(),
        "pattern none → /^[a-z-]+$/",
    );
}

#[test]
fn a_tightened_range_breaks_a_param_and_a_loosened_one_a_result() {
    let (wide, narrow) = (taking::<(v1::Page,)>(), taking::<(v2::Page,)>());
    breaks(&wide, &narrow, "at /size: minimum 1 → 10");
    breaks(&wide, &narrow, "at /size: maximum 100 → 50");
    compatible(&narrow, &wide, "at /size: maximum 50 → 100");
    let (wide, narrow) = (returning::<v1::Page>(), returning::<v2::Page>());
    compatible(&wide, &narrow, "at /size: minimum 1 → 10");
    breaks(&narrow, &wide, "at /size: maximum 50 → 100");
}

#[test]
fn a_wider_integer_breaks_a_result_not_a_param() {
    // Whether a document writes an integer's `format` or the bounds it stands for, the
    // bounds are compared.
    breaks(
        &returning::<u8>(),
        &returning::<u16>(),
        "maximum 255 → 65535",
    );
    compatible(
        &taking::<(u8,)>(),
        &taking::<(u16,)>(),
        "maximum 255 → 65535",
    );
    breaks(&taking::<(i64,)>(), &taking::<(i32,)>(), "→ 2147483647");
    compatible(&returning::<i64>(), &returning::<i32>(), "→ 2147483647");
}

// Tuples and maps.

#[test]
fn a_tuple_item_retyped_breaks_both_ways() {
    let says = "at /[1]: type integer → string";
    breaks(&returning::<v1::Pair>(), &returning::<v2::Pair>(), says);
    breaks(&taking::<(v1::Pair,)>(), &taking::<(v2::Pair,)>(), says);
    breaks(
        &returning::<v2::Pair>(),
        &returning::<v1::Pair>(),
        "at /[1]: type string → integer",
    );
}

#[test]
fn a_map_value_retyped_breaks_both_ways() {
    let says = "at /counts/{key}: type integer → string";
    breaks(&returning::<v1::Counts>(), &returning::<v2::Counts>(), says);
    breaks(&taking::<(v1::Counts,)>(), &taking::<(v2::Counts,)>(), says);
    breaks(
        &returning::<v2::Counts>(),
        &returning::<v1::Counts>(),
        "at /counts/{key}: type string → integer",
    );
}

// Recursive types.

#[test]
fn an_unchanged_recursive_type_is_compatible() {
    let (old, new) = (returning::<v1::Tree>(), returning::<v2::Tree>());
    assert_eq!(compare(&old, &new), []);
    let (old, new) = (taking::<(v1::Tree,)>(), taking::<(v2::Tree,)>());
    assert_eq!(compare(&old, &new), []);
}

#[test]
fn a_changed_recursive_type_breaks() {
    breaks(
        &returning::<v1::Tree>(),
        &returning::<v2::TreeChanged>(),
        "at /name: type string → null|string",
    );
    breaks(
        &taking::<(v2::TreeChanged,)>(),
        &taking::<(v1::Tree,)>(),
        "at /name: type null|string → string",
    );
}

// Events and subscriptions.

#[test]
fn event_payloads_are_results() {
    breaks(
        &emitting::<v1::Kind>(),
        &emitting::<v2::KindPlus>(),
        "event 'e' payload: enum values added: \"Archived\"",
    );
    compatible(
        &emitting::<v2::KindPlus>(),
        &emitting::<v1::Kind>(),
        "event 'e' payload: enum values removed",
    );
    breaks(
        &emitting::<v1::Shape>(),
        &emitting::<v2::ShapeRetyped>(),
        "event 'e' payload at [type=\"Circle\"]/r",
    );
}

#[test]
fn subscription_items_are_results_and_params_are_params() {
    breaks(
        &streaming::<(), v1::Named>(),
        &streaming::<(), v2::NamedAnything>(),
        "subscription 's' item at /name: type string → any",
    );
    compatible(
        &streaming::<(), v2::NamedAnything>(),
        &streaming::<(), v1::Named>(),
        "subscription 's' item at /name: type any → string",
    );
    breaks(
        &streaming::<(v1::Slug,), u8>(),
        &streaming::<(v2::Slug,), u8>(),
        "subscription 's' param",
    );
    compatible(
        &streaming::<(v1::Kind,), u8>(),
        &streaming::<(v2::KindPlus,), u8>(),
        "enum values added",
    );
}
