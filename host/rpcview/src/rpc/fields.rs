//! The names of a struct's fields in the order serde declares them, read by asking the type
//! to deserialize itself from a deserializer that only listens.
//!
//! Positional params map onto fields in declaration order. A JSON Schema's `properties` is an
//! object, and serde_json sorts object keys unless its `preserve_order` feature is on, which
//! rpcview must not force on its users' builds; serde's derive passes the declared names (after
//! renames) to `deserialize_struct`, whatever the features.

use serde::de::{self, DeserializeOwned, Visitor};

/// The fields of `T` in declaration order, if `T` deserializes as a plain struct (not a map,
/// a sequence, an enum or a struct with flattened fields).
pub(crate) fn of<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut found = None;
    let _ = T::deserialize(Listener(&mut found));
    found
}

struct Listener<'a>(&'a mut Option<&'static [&'static str]>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for Listener<'_> {
    type Error = Stop;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = Some(fields);
        Err(Stop)
    }

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Zebra {
        zeta: u8,
        #[serde(rename = "alphaName")]
        alpha: u8,
        #[serde(skip)]
        hidden: u8,
        mid: u8,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Wrapper(u8);

    #[test]
    fn fields_come_in_declaration_order_with_serde_names() {
        assert_eq!(
            super::of::<Zebra>(),
            Some(&["zeta", "alphaName", "mid"][..])
        );
    }

    #[test]
    fn non_structs_have_no_fields() {
        assert_eq!(super::of::<Wrapper>(), None);
        assert_eq!(super::of::<Vec<u8>>(), None);
        assert_eq!(super::of::<(String, u8)>(), None);
        assert_eq!(super::of::<String>(), None);
    }
}
