//! Parsing a request line as JSON that names each key once.
//!
//! `serde_json` keeps the last of a repeated key. A host that routes or authorises on the first
//! (`"ctx":{"user":"u","app":"a","user":"v"}`) would then let a call through for one user that
//! writes another's data, so the bridge refuses a repeated key at any depth.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Why a line is not a request: not JSON at all, or JSON that repeats a key.
#[derive(Debug)]
pub enum Refused {
    /// Not JSON (the parser's words).
    NotJson(String),
    /// An object names a key twice.
    RepeatedKey(String),
}

/// `line` as a JSON value, if it is JSON and no object in it repeats a key.
pub fn parse(line: &[u8]) -> Result<Value, Refused> {
    match serde_json::from_slice::<Strict>(line) {
        Ok(Strict(v)) => Ok(v),
        Err(e) if e.classify() == serde_json::error::Category::Data => {
            Err(Refused::RepeatedKey(e.to_string()))
        }
        Err(e) => Err(Refused::NotJson(e.to_string())),
    }
}

/// A JSON value whose objects were checked for repeated keys while parsing.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // serde_json only hands out finite numbers.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("the key {key:?} is repeated")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_parse_as_serde_json_parses_them() {
        for line in [
            r#"{"id":1,"api":"wx.setStorageSync","ctx":{"user":"u","app":"a"},"args":["k",[1,2.5,-3,null,true,"x"]]}"#,
            r#"[]"#,
            r#""text""#,
            r#"{"a":{"b":{"c":{}}},"z":1e300,"n":18446744073709551615}"#,
        ] {
            let strict = parse(line.as_bytes()).unwrap();
            let loose: Value = serde_json::from_str(line).unwrap();
            assert_eq!(strict, loose, "{line}");
        }
        // Key order is kept.
        let v = parse(br#"{"b":1,"a":2}"#).unwrap();
        assert_eq!(
            v.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["b", "a"]
        );
        assert_eq!(v, json!({"b": 1, "a": 2}));
    }

    #[test]
    fn a_repeated_key_at_any_depth_is_refused() {
        for line in [
            r#"{"id":1,"id":2}"#,
            r#"{"ctx":{"user":"u","app":"a","user":"v"}}"#,
            r#"{"args":[{"key":"k","data":1,"key":"j"}]}"#,
            r#"[[{"x":{"y":1,"y":1}}]]"#,
            r#"{"\u0061":1,"a":2}"#,
        ] {
            assert!(
                matches!(parse(line.as_bytes()), Err(Refused::RepeatedKey(_))),
                "{line}"
            );
        }
    }

    #[test]
    fn what_is_not_json_says_so() {
        for line in [&b"{"[..], b"nope", b"{\"a\":1,}", b"\xff"] {
            assert!(matches!(parse(line), Err(Refused::NotJson(_))), "{line:?}");
        }
    }
}
