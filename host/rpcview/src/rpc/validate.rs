//! A compiled validator for one schema, reporting every violation with its JSON path.

use serde::Serialize;
use serde_json::{json, Map, Value};

/// One way an instance fails its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// JSON pointer to the offending value (`""` is the whole instance, `/title` a field).
    pub path: String,
    /// What is wrong, in words: `"" is shorter than 1 character`.
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        };
        write!(f, "{path}: {}", self.message)
    }
}

/// A draft-07 validator compiled once, at [`Api::build`](crate::Api::build).
pub(crate) struct Validator {
    inner: jsonschema::Validator,
}

impl std::fmt::Debug for Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Validator")
    }
}

impl Validator {
    /// Compiles `schema`, whose `$ref`s point into `definitions` (`#/components/schemas/…`).
    ///
    /// # Errors
    /// The schema is not valid draft-07, or a reference does not resolve.
    pub(crate) fn compile(
        schema: &Value,
        definitions: &Map<String, Value>,
    ) -> Result<Self, String> {
        let root = json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "components": { "schemas": definitions },
            "allOf": [schema],
        });
        let inner = jsonschema::draft7::new(&root).map_err(|e| e.to_string())?;
        Ok(Self { inner })
    }

    /// Every violation of the schema by `instance`, sorted by path; empty when it is valid.
    pub(crate) fn violations(&self, instance: &Value) -> Vec<Violation> {
        if self.inner.is_valid(instance) {
            return Vec::new();
        }
        let mut all: Vec<Violation> = self
            .inner
            .iter_errors(instance)
            .map(|e| Violation {
                path: e.instance_path().as_str().to_owned(),
                message: e.to_string(),
            })
            .collect();
        all.sort_by(|a, b| a.path.cmp(&b.path)); // stable: same-path messages keep their order
        all
    }
}

/// Every violation, as one line: `"/title: ... ; /stars: ..."`.
pub(crate) fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
