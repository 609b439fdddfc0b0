//! Params as sent → params as the handler's type expects: positional arrays mapped onto a
//! struct's fields in declaration order, "no params" spelled any of the three ways.

use serde_json::{Map, Value};

use super::error::RpcError;
use super::schema::ParamShape;

/// Normalizes `sent` (absent, an array or an object) for a method whose params have `shape`.
///
/// # Errors
/// `-32602` naming what the method takes, when `sent` cannot be read as that.
pub(crate) fn shape(
    method: &str,
    shape: &ParamShape,
    sent: Option<Value>,
) -> Result<Value, RpcError> {
    match (shape, sent) {
        (ParamShape::Object { .. }, None) => Ok(Value::Object(Map::new())),
        (ParamShape::Object { .. }, Some(Value::Object(o))) => Ok(Value::Object(o)),
        (ParamShape::Object { fields }, Some(Value::Array(items))) => {
            if items.len() > fields.len() {
                return Err(RpcError::invalid_params(format!(
                    "'{method}' takes at most {} positional params ({}), got {}",
                    fields.len(),
                    fields.join(", "),
                    items.len()
                )));
            }
            Ok(Value::Object(fields.iter().cloned().zip(items).collect()))
        }
        (ParamShape::Array, None) => Ok(Value::Array(Vec::new())),
        (ParamShape::Array, Some(Value::Array(a))) => Ok(Value::Array(a)),
        (ParamShape::Array, Some(_)) => Err(RpcError::invalid_params(format!(
            "'{method}' takes its params by position (an array)"
        ))),
        (ParamShape::Unit, None) => Ok(Value::Null),
        (ParamShape::Unit, Some(Value::Array(a))) if a.is_empty() => Ok(Value::Null),
        (ParamShape::Unit, Some(Value::Object(o))) if o.is_empty() => Ok(Value::Null),
        (ParamShape::Unit, Some(_)) => Err(RpcError::invalid_params(format!(
            "'{method}' takes no params"
        ))),
        (ParamShape::Object { .. }, Some(_)) => Err(RpcError::invalid_params(format!(
            "'{method}' takes params by name (an object) or by position (an array)"
        ))),
        // One value by position: `["text"]` for a method taking a `String`.
        (ParamShape::Other, Some(Value::Array(mut a))) if a.len() == 1 => Ok(a.remove(0)),
        (ParamShape::Other, sent) => Ok(sent.unwrap_or(Value::Null)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj() -> ParamShape {
        ParamShape::Object {
            fields: vec!["start".into(), "end".into()],
        }
    }

    macro_rules! case {
        ($name:ident, $shape:expr, $sent:expr, $want:expr) => {
            #[test]
            fn $name() {
                let got = shape("m", &$shape, $sent).map_err(|e| e.message);
                assert_eq!(got, $want);
            }
        };
    }

    case!(
        positional_maps_in_declaration_order,
        obj(),
        Some(json!([1, 2])),
        Ok(json!({"start": 1, "end": 2}))
    );
    case!(
        short_positional_leaves_fields_out,
        obj(),
        Some(json!([1])),
        Ok(json!({"start": 1}))
    );
    case!(
        long_positional_is_refused,
        obj(),
        Some(json!([1, 2, 3])),
        Err("'m' takes at most 2 positional params (start, end), got 3".into())
    );
    case!(
        absent_struct_params_are_empty_object,
        obj(),
        None,
        Ok(json!({}))
    );
    case!(
        named_params_pass_through,
        obj(),
        Some(json!({"end": 2})),
        Ok(json!({"end": 2}))
    );
    case!(
        tuple_refuses_object,
        ParamShape::Array,
        Some(json!({"a": 1})),
        Err("'m' takes its params by position (an array)".into())
    );
    case!(unit_accepts_absent, ParamShape::Unit, None, Ok(Value::Null));
    case!(
        unit_accepts_empty_array,
        ParamShape::Unit,
        Some(json!([])),
        Ok(Value::Null)
    );
    case!(
        unit_accepts_empty_object,
        ParamShape::Unit,
        Some(json!({})),
        Ok(Value::Null)
    );
    case!(
        single_value_by_position,
        ParamShape::Other,
        Some(json!(["x"])),
        Ok(json!("x"))
    );
    case!(
        unit_refuses_values,
        ParamShape::Unit,
        Some(json!([1])),
        Err("'m' takes no params".into())
    );
}
