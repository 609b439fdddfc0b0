//! Schemas: `schemars` types → draft-07 JSON Schema → compiled `jsonschema` validators.
//!
//! Two generators are kept, one per direction: params are described in their *deserialize*
//! form (what the page may send) and results and event payloads in their *serialize* form
//! (what the host sends back); the two differ on skipped fields and split renames. Each keeps
//! one set of definitions under `#/components/schemas`, where an OpenRPC document keeps them,
//! so every named type is defined once.

pub mod compat;
pub mod openrpc;
pub mod typescript;
mod validate;

pub use validate::{Validator, Violation};

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value};

/// The files `schema/` holds for `router`: `openrpc.json` (everything, as `rpc.discover`
/// answers a window allowed everything) and the TypeScript generated from it.
///
/// # Errors
/// The TypeScript generator refused the document (see [`typescript::TsError`]).
///
/// ```
/// # use rpcview::{Api, Ctx, RpcError};
/// async fn ping(_: Ctx, _: ()) -> Result<String, RpcError> { Ok("pong".into()) }
/// let router = Api::new().method("ping", ping).build().unwrap();
/// let files = rpcview::schema::files(&router).unwrap();
/// let names: Vec<_> = files.iter().map(|f| f.0).collect();
/// assert_eq!(names, ["openrpc.json", "api.d.ts", "client.js", "client.d.ts"]);
/// ```
pub fn files(router: &crate::Router) -> Result<Vec<(&'static str, String)>, typescript::TsError> {
    let doc = openrpc::document(router, &crate::rpc::Allow::all());
    let mut files = vec![("openrpc.json", pretty(&doc))];
    files.extend(typescript::generate(&doc)?.files);
    Ok(files)
}

/// JSON as `schema/` stores it: two-space indents and a final newline.
pub fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("JSON serializes");
    s.push('\n');
    s
}

/// The names of `files` whose contents in `dir` differ (or are missing).
pub fn stale(dir: &std::path::Path, files: &[(&'static str, String)]) -> Vec<&'static str> {
    files
        .iter()
        .filter(|(name, text)| {
            std::fs::read_to_string(dir.join(name)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(name, _)| *name)
        .collect()
}

/// Where definitions live in every generated schema, as a JSON pointer.
pub const DEFINITIONS_PATH: &str = "/components/schemas";

/// The two generators an [`Api`](crate::Api) describes its types with.
pub(crate) struct Generators {
    params: SchemaGenerator,
    results: SchemaGenerator,
}

impl Default for Generators {
    fn default() -> Self {
        let settings = SchemaSettings::draft07().with(|s| {
            s.definitions_path = DEFINITIONS_PATH.into();
        });
        Self {
            params: settings.clone().for_deserialize().into_generator(),
            results: settings.for_serialize().into_generator(),
        }
    }
}

impl Generators {
    /// The deserialize-side schema of `T` (a `$ref` for named types).
    pub fn params_for<T: JsonSchema>(&mut self) -> Value {
        subschema_of::<T>(&mut self.params)
    }

    /// The serialize-side schema of `T` (a `$ref` for named types).
    pub fn result_for<T: JsonSchema>(&mut self) -> Value {
        subschema_of::<T>(&mut self.results)
    }

    /// Definitions shared by every params schema, with the draft-07 transforms applied.
    pub fn params_definitions(&mut self) -> Map<String, Value> {
        definitions(&mut self.params)
    }

    /// Definitions shared by every result and event schema, with the draft-07 transforms applied.
    pub fn result_definitions(&mut self) -> Map<String, Value> {
        definitions(&mut self.results)
    }
}

fn subschema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    let mut schema: Schema = generator.subschema_for::<T>();
    for t in generator.transforms_mut() {
        t.transform(&mut schema);
    }
    schema.to_value()
}

fn definitions(generator: &mut SchemaGenerator) -> Map<String, Value> {
    let mut defs = generator.definitions().clone();
    for value in defs.values_mut() {
        if let Ok(schema) = <&mut Schema>::try_from(value) {
            for t in generator.transforms_mut() {
                t.transform(schema);
            }
        }
    }
    defs
}

/// How a method takes its params, read off its params schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamShape {
    /// A struct: by name (an object) or by position (an array mapped onto `fields` in
    /// declaration order).
    Object {
        /// The struct's fields in declaration order.
        fields: Vec<String>,
    },
    /// A tuple or a sequence: by position only.
    Array,
    /// `()`: no params; absent, `[]` and `{}` all mean none.
    Unit,
    /// Anything else (an enum, a map, a scalar): passed as sent.
    Other,
}

impl ParamShape {
    /// Reads the shape of `schema`, resolving one `$ref` into `definitions`.
    pub fn of(schema: &Value, definitions: &Map<String, Value>) -> Self {
        let resolved = resolve(schema, definitions);
        match resolved.get("type").and_then(Value::as_str) {
            Some("object") if resolved.get("properties").is_some() => ParamShape::Object {
                fields: resolved["properties"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default(),
            },
            Some("array") => ParamShape::Array,
            Some("null") => ParamShape::Unit,
            _ => ParamShape::Other,
        }
    }
}

/// Follows a local `#/components/schemas/Name` reference, if `schema` is one.
pub(crate) fn resolve<'a>(schema: &'a Value, definitions: &'a Map<String, Value>) -> &'a Value {
    let prefix = concat!("#", "/components/schemas/");
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) if r.starts_with(prefix) => definitions.get(&r[prefix.len()..]).unwrap_or(schema),
        _ => schema,
    }
}
