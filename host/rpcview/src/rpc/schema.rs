//! Schemas: `schemars` types → draft-07 JSON Schema, and how a method takes its params.
//!
//! Two generators are kept, one per direction: params are described in their *deserialize*
//! form (what the page may send) and results and event payloads in their *serialize* form
//! (what the host sends back); the two differ on skipped fields and split renames. Each keeps
//! one set of definitions under `#/components/schemas`, where an OpenRPC document keeps them,
//! so every named type is defined once.

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

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
    /// The deserialize-side schema of `T` (a `$ref` for named types), and the order in which
    /// serde declares its fields, if it is a struct.
    pub(crate) fn params_for<T: JsonSchema + DeserializeOwned>(
        &mut self,
    ) -> (Value, Option<&'static [&'static str]>) {
        (
            subschema_of::<T>(&mut self.params),
            super::fields::of::<T>(),
        )
    }

    /// The serialize-side schema of `T` (a `$ref` for named types).
    pub(crate) fn result_for<T: JsonSchema>(&mut self) -> Value {
        subschema_of::<T>(&mut self.results)
    }

    /// Definitions shared by every params schema, with the draft-07 transforms applied.
    pub(crate) fn params_definitions(&mut self) -> Map<String, Value> {
        definitions(&mut self.params)
    }

    /// Definitions shared by every result and event schema, with the draft-07 transforms applied.
    pub(crate) fn result_definitions(&mut self) -> Map<String, Value> {
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
    /// Reads the shape of `schema`, resolving one `$ref` into `definitions`. `declared` is the
    /// order serde declares the struct's fields in: JSON objects may be sorted by key (they are
    /// unless serde_json's `preserve_order` is on), so positions come from serde, not from the
    /// schema's `properties`.
    pub(crate) fn of(
        schema: &Value,
        definitions: &Map<String, Value>,
        declared: Option<&[&str]>,
    ) -> Self {
        let resolved = resolve(schema, definitions);
        match resolved.get("type").and_then(Value::as_str) {
            Some("object") if resolved.get("properties").is_some() => {
                let properties = resolved["properties"].as_object();
                let listed: Vec<String> = declared
                    .unwrap_or_default()
                    .iter()
                    .filter(|f| properties.is_some_and(|p| p.contains_key(**f)))
                    .map(|f| f.to_string())
                    .collect();
                let fields = match declared {
                    // Aliases are in serde's list but not in the schema: keep the schema's names.
                    Some(_) if listed.len() == properties.map_or(0, Map::len) => listed,
                    _ => properties
                        .map(|p| p.keys().cloned().collect())
                        .unwrap_or_default(),
                };
                ParamShape::Object { fields }
            }
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
