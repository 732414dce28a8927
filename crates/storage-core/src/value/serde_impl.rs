//! Plain-JSON serde for [`JsValue`]: what `JSON.stringify` would show a mini-program.
//!
//! Serializing is lossy where JSON is (`undefined`, `NaN` and the invalid Date become `null`, a
//! Date its ISO string); a lossless, type-tagged transport is the job of the layer that needs one.

use super::{JsObject, JsValue};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

impl Serialize for JsValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            JsValue::Undefined | JsValue::Null => s.serialize_unit(),
            JsValue::Bool(b) => s.serialize_bool(*b),
            JsValue::Number(n) if n.is_finite() => {
                // Integral values print as integers, as JavaScript prints them.
                if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
                    s.serialize_i64(*n as i64)
                } else {
                    s.serialize_f64(*n)
                }
            }
            JsValue::Number(_) => s.serialize_unit(),
            JsValue::String(v) => s.serialize_str(v),
            JsValue::Date(d) => match d.to_iso_string() {
                Some(iso) => s.serialize_str(&iso),
                None => s.serialize_unit(),
            },
            JsValue::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            JsValue::Object(o) => {
                let mut map = s.serialize_map(None)?;
                for (k, item) in o.iter() {
                    if !matches!(item, JsValue::Undefined) {
                        map.serialize_entry(k, item)?;
                    }
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for JsValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = JsValue;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }
    fn visit_none<E>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsValue, D::Error> {
        JsValue::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<JsValue, E> {
        Ok(JsValue::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<JsValue, E> {
        Ok(JsValue::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<JsValue, E> {
        Ok(JsValue::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<JsValue, E> {
        Ok(JsValue::Number(n))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<JsValue, E> {
        Ok(JsValue::from(s))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<JsValue, E> {
        Ok(JsValue::from(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsValue::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsValue, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, JsValue>()? {
            entries.push((k, v));
        }
        Ok(JsValue::Object(JsObject::from_entries(entries)))
    }
}
