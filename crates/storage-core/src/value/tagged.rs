//! The type-tagged JSON that carries JavaScript values losslessly: over the bridge, and in dumps.
//!
//! Plain JSON loses what a mini-program can store: `undefined`, Dates, `NaN`, the infinities and
//! `-0`. The bridge therefore writes every value as JSON in which those are objects tagged with
//! the key [`TAG`] (`"$js"`); everything JSON already carries exactly is itself:
//!
//! | JavaScript value | tagged JSON |
//! |---|---|
//! | a String, `true`/`false`, `null` | itself |
//! | a finite Number other than `-0` | itself |
//! | `NaN`, `Infinity`, `-Infinity`, `-0` | `{"$js":"number","value":"NaN"}` (`"Infinity"`, `"-Infinity"`, `"-0"`) |
//! | `undefined` | `{"$js":"undefined"}` |
//! | a Date | `{"$js":"date","value":<milliseconds>}`; the invalid Date `{"$js":"date","value":"NaN"}` |
//! | an Array | an array of tagged values |
//! | an Object without a `"$js"` key | an object of tagged values, keys in order |
//! | an Object with a `"$js"` key | `{"$js":"object","entries":[[key, value], …]}` |
//! | a String with a lone surrogate | `{"$js":"string","utf16":[<code units>]}` |
//!
//! The escape form `{"$js":"object","entries":…}` is how a user object that happens to hold the
//! tag key travels; any object may be sent in it. Its keys may themselves be
//! `{"$js":"string","utf16":…}`. Mini-program strings with lone surrogates cannot become a
//! [`JsValue`]: decoding one yields [`TagError::LoneSurrogate`], which the bridge reports as the
//! dialect's parameter error (behaviour §1), never as mangled text.
//!
//! ```
//! use storage_core::value::tagged::{from_tagged, to_tagged};
//! use serde_json::json;
//! use storage_core::{JsDate, JsValue};
//!
//! let v = JsValue::Array(vec![JsValue::Undefined, JsValue::Number(-0.0), JsDate::from_millis(0.0).into()]);
//! let t = to_tagged(&v);
//! assert_eq!(t, json!([{"$js": "undefined"}, {"$js": "number", "value": "-0"}, {"$js": "date", "value": 0}]));
//! assert_eq!(from_tagged(&t).unwrap(), v);
//! ```

use crate::{JsDate, JsObject, JsValue};
use serde_json::{Map, Number, Value};

/// The key that marks a tagged object.
pub const TAG: &str = "$js";

/// Why a tagged JSON value could not become a [`JsValue`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagError {
    /// A `{"$js": …}` object that is not one of the documented forms.
    Malformed(String),
    /// A String (or object key) holding a lone UTF-16 surrogate: not storable (behaviour §1).
    LoneSurrogate,
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagError::Malformed(why) => write!(f, "malformed tagged value: {why}"),
            TagError::LoneSurrogate => f.write_str("string holds a lone UTF-16 surrogate"),
        }
    }
}

impl std::error::Error for TagError {}

/// A value as tagged JSON (see the [module docs](self)).
pub fn to_tagged(value: &JsValue) -> Value {
    match value {
        JsValue::Undefined => tag("undefined", None),
        JsValue::Null => Value::Null,
        JsValue::Bool(b) => Value::Bool(*b),
        JsValue::Number(n) => number(*n),
        JsValue::String(s) => Value::String(s.as_str().to_owned()),
        JsValue::Date(d) => {
            let time = d.time_value();
            let v = if time.is_nan() {
                Value::String("NaN".into())
            } else {
                plain_number(time)
            };
            tag("date", Some(v))
        }
        JsValue::Array(items) => Value::Array(items.iter().map(to_tagged).collect()),
        JsValue::Object(o) => {
            if o.keys().any(|k| k == TAG) {
                let entries = o
                    .iter()
                    .map(|(k, v)| Value::Array(vec![Value::String(k.to_owned()), to_tagged(v)]))
                    .collect();
                let mut m = Map::new();
                m.insert(TAG.into(), Value::String("object".into()));
                m.insert("entries".into(), Value::Array(entries));
                Value::Object(m)
            } else {
                Value::Object(
                    o.iter()
                        .map(|(k, v)| (k.to_owned(), to_tagged(v)))
                        .collect(),
                )
            }
        }
    }
}

/// A tagged JSON value back as a [`JsValue`] (see the [module docs](self)).
///
/// Nesting is bounded by the JSON parser that produced `value` (serde_json refuses more than 128
/// levels), so this recursion cannot run out of stack.
pub fn from_tagged(value: &Value) -> Result<JsValue, TagError> {
    Ok(match value {
        Value::Null => JsValue::Null,
        Value::Bool(b) => JsValue::Bool(*b),
        Value::Number(n) => JsValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => JsValue::from(s.as_str()),
        Value::Array(items) => {
            JsValue::Array(items.iter().map(from_tagged).collect::<Result<_, _>>()?)
        }
        Value::Object(m) => match m.get(TAG) {
            None => JsValue::Object(JsObject::from_entries(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), from_tagged(v)?)))
                    .collect::<Result<_, TagError>>()?,
            )),
            Some(Value::String(t)) => from_tag(t, m)?,
            Some(other) => {
                return Err(TagError::Malformed(format!(
                    "\"$js\" must be a string, not {other}"
                )))
            }
        },
    })
}

fn from_tag(t: &str, m: &Map<String, Value>) -> Result<JsValue, TagError> {
    let allow = |fields: &[&str]| -> Result<(), TagError> {
        match m
            .keys()
            .find(|k| *k != TAG && !fields.contains(&k.as_str()))
        {
            Some(k) => Err(TagError::Malformed(format!(
                "unexpected field {k:?} in a \"{t}\" tag"
            ))),
            None => Ok(()),
        }
    };
    let field = |name: &str| {
        m.get(name)
            .ok_or_else(|| TagError::Malformed(format!("a \"{t}\" tag needs \"{name}\"")))
    };
    match t {
        "undefined" => {
            allow(&[])?;
            Ok(JsValue::Undefined)
        }
        "number" => {
            allow(&["value"])?;
            match field("value")? {
                Value::String(s) => match s.as_str() {
                    "NaN" => Ok(JsValue::Number(f64::NAN)),
                    "Infinity" => Ok(JsValue::Number(f64::INFINITY)),
                    "-Infinity" => Ok(JsValue::Number(f64::NEG_INFINITY)),
                    "-0" => Ok(JsValue::Number(-0.0)),
                    other => Err(TagError::Malformed(format!("unknown number {other:?}"))),
                },
                Value::Number(n) => Ok(JsValue::Number(n.as_f64().unwrap_or(f64::NAN))),
                other => Err(TagError::Malformed(format!("a number value of {other}"))),
            }
        }
        "date" => {
            allow(&["value"])?;
            match field("value")? {
                Value::Number(n) => Ok(JsDate::from_millis(n.as_f64().unwrap_or(f64::NAN)).into()),
                Value::String(s) if s == "NaN" => Ok(JsDate::invalid().into()),
                other => Err(TagError::Malformed(format!("a date value of {other}"))),
            }
        }
        "string" => {
            allow(&["utf16"])?;
            string16(field("utf16")?).map(JsValue::from)
        }
        "object" => {
            allow(&["entries"])?;
            let Value::Array(entries) = field("entries")? else {
                return Err(TagError::Malformed("\"entries\" must be an array".into()));
            };
            let entries = entries
                .iter()
                .map(|e| match e.as_array().map(Vec::as_slice) {
                    Some([k, v]) => Ok((object_key(k)?, from_tagged(v)?)),
                    _ => Err(TagError::Malformed(
                        "each entry must be a [key, value] pair".into(),
                    )),
                })
                .collect::<Result<_, _>>()?;
            Ok(JsValue::Object(JsObject::from_entries(entries)))
        }
        other => Err(TagError::Malformed(format!("unknown tag {other:?}"))),
    }
}

fn object_key(k: &Value) -> Result<String, TagError> {
    match k {
        Value::String(s) => Ok(s.clone()),
        Value::Object(m) if m.get(TAG) == Some(&Value::String("string".into())) => {
            match (m.len(), m.get("utf16")) {
                (2, Some(units)) => string16(units),
                _ => Err(TagError::Malformed(
                    "a \"string\" key needs only \"utf16\"".into(),
                )),
            }
        }
        _ => Err(TagError::Malformed("an object key must be a string".into())),
    }
}

fn string16(units: &Value) -> Result<String, TagError> {
    let Value::Array(units) = units else {
        return Err(TagError::Malformed("\"utf16\" must be an array".into()));
    };
    let units = units
        .iter()
        .map(|u| {
            u.as_u64()
                .and_then(|u| u16::try_from(u).ok())
                .ok_or_else(|| TagError::Malformed("a UTF-16 code unit is 0..=65535".into()))
        })
        .collect::<Result<Vec<u16>, _>>()?;
    match JsValue::from_utf16(&units) {
        Ok(JsValue::String(s)) => Ok(s.into()),
        _ => Err(TagError::LoneSurrogate),
    }
}

fn tag(name: &str, value: Option<Value>) -> Value {
    let mut m = Map::new();
    m.insert(TAG.into(), Value::String(name.into()));
    if let Some(v) = value {
        m.insert("value".into(), v);
    }
    Value::Object(m)
}

fn number(n: f64) -> Value {
    if n.is_nan() {
        tag("number", Some(Value::String("NaN".into())))
    } else if n == f64::INFINITY {
        tag("number", Some(Value::String("Infinity".into())))
    } else if n == f64::NEG_INFINITY {
        tag("number", Some(Value::String("-Infinity".into())))
    } else if n == 0.0 && n.is_sign_negative() {
        tag("number", Some(Value::String("-0".into())))
    } else {
        plain_number(n)
    }
}

/// A finite Number as JSON; integers print without a fraction, as JavaScript prints them.
fn plain_number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::MAX_DEPTH;
    use serde_json::json;

    fn round_trip(v: JsValue) {
        let t = to_tagged(&v);
        // Through text, as the bridge carries it.
        let text = serde_json::to_string(&t).unwrap();
        let back = from_tagged(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back, v, "{text}");
    }

    fn decodes(t: Value, v: JsValue) {
        assert_eq!(from_tagged(&t).unwrap(), v, "{t}");
    }

    fn malformed(t: Value) {
        assert!(
            matches!(from_tagged(&t), Err(TagError::Malformed(_))),
            "{t} should be malformed"
        );
    }

    fn obj(entries: &[(&str, JsValue)]) -> JsValue {
        JsValue::Object(entries.iter().cloned().collect())
    }

    #[test]
    fn values_round_trip() {
        round_trip(JsValue::Undefined);
        round_trip(JsValue::Null);
        round_trip(true.into());
        round_trip("1234567.890".into());
        round_trip(1100.8989.into());
        round_trip(0.into());
        round_trip("".into());
        round_trip(JsValue::Number(f64::NAN));
        round_trip(JsValue::Number(f64::INFINITY));
        round_trip(JsValue::Number(f64::NEG_INFINITY));
        round_trip(JsValue::Number(-0.0));
        round_trip(JsValue::Number(f64::MAX));
        round_trip(JsValue::Number(5e-324));
        round_trip(JsValue::Number(9_007_199_254_740_993.0));
        round_trip(JsDate::from_millis(1_557_813_466_000.0).into());
        round_trip(JsDate::from_millis(-8.64e15).into());
        round_trip(JsDate::invalid().into());
        round_trip(obj(&[
            ("b", 1.into()),
            ("a", JsValue::Undefined),
            ("", "x".into()),
        ]));
        round_trip(obj(&[
            (TAG, "user data".into()),
            ("z", JsValue::Number(-0.0)),
        ]));
        round_trip(obj(&[(TAG, obj(&[(TAG, "nested".into())]))]));
        round_trip(JsValue::Array(vec![
            JsValue::Undefined,
            JsValue::Null,
            vec![].into(),
        ]));
        round_trip("杭州😀\u{0}\u{2028}".into());
    }

    // The model's strategies live in the testkit.
    #[cfg(feature = "testkit")]
    proptest::proptest! {
        /// Any value of the model survives tagging, JSON text and decoding, exactly.
        #[test]
        fn any_value_round_trips(v in crate::testkit::strategies::js_value(40)) {
            round_trip(v);
        }

        /// Decoding never panics, whatever JSON it is given (tag-like shapes included), and what
        /// it accepts re-encodes to something that decodes to the same value.
        #[test]
        fn decoding_any_json_is_total(v in tag_like_json()) {
            if let Ok(decoded) = from_tagged(&v) {
                proptest::prop_assert_eq!(from_tagged(&to_tagged(&decoded)).unwrap(), decoded);
            }
        }
    }

    /// JSON biased toward the tag's vocabulary, so malformed tags are common.
    #[cfg(feature = "testkit")]
    fn tag_like_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        const WORDS: &[&str] = &[
            "$js",
            "undefined",
            "number",
            "date",
            "string",
            "object",
            "entries",
            "utf16",
            "value",
            "NaN",
            "-0",
            "Infinity",
        ];
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            (0u32..70_000).prop_map(|n| json!(n)),
            proptest::sample::select(WORDS).prop_map(|w| json!(w)),
        ];
        leaf.prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(WORDS), inner), 0..4).prop_map(
                    |kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                ),
            ]
        })
    }

    #[cfg(feature = "testkit")]
    proptest::proptest! {
        #[test]
        fn tags_survive_being_nested_in_arrays(v in crate::testkit::strategies::js_value(8)) {
            round_trip(JsValue::Array(vec![v.clone(), JsValue::Object([("$js", v)].into_iter().collect())]));
        }
    }

    #[test]
    fn deep_values_round_trip() {
        let mut v = JsValue::from("leaf");
        for _ in 0..MAX_DEPTH {
            v = JsValue::Array(vec![v]);
        }
        round_trip(v);
    }

    #[test]
    fn tags_decode() {
        decodes(json!({"$js": "number", "value": 1.5}), 1.5.into());
        decodes(
            json!({"$js": "date", "value": 1.9}),
            JsDate::from_millis(1.0).into(),
        );
        decodes(
            json!({"$js": "string", "utf16": [0x676d, 0xd83d, 0xde00]}),
            "杭😀".into(),
        );
        decodes(
            json!({"$js": "object", "entries": [[{"$js": "string", "utf16": [97]}, 1], ["b", {"$js": "undefined"}]]}),
            obj(&[("a", 1.into()), ("b", JsValue::Undefined)]),
        );
        decodes(json!({"a": 1, "a": 2}), obj(&[("a", 2.into())]));
    }

    #[test]
    fn lone_surrogates_are_refused() {
        let lone = json!({"$js": "string", "utf16": [0xd800]});
        assert_eq!(from_tagged(&lone), Err(TagError::LoneSurrogate));
        let key =
            json!({"$js": "object", "entries": [[{"$js": "string", "utf16": [0xdc00, 97]}, 1]]});
        assert_eq!(from_tagged(&key), Err(TagError::LoneSurrogate));
        assert_eq!(
            from_tagged(&json!([1, {"x": lone}])),
            Err(TagError::LoneSurrogate)
        );
    }

    #[test]
    fn malformed_tags_are_refused() {
        malformed(json!({"$js": "nope"}));
        malformed(json!({"$js": 1}));
        malformed(json!({"$js": "undefined", "extra": 1}));
        malformed(json!({"$js": "number"}));
        malformed(json!({"$js": "number", "value": "nan"}));
        malformed(json!({"$js": "number", "value": null}));
        malformed(json!({"$js": "date", "value": "2020-01-01"}));
        malformed(json!({"$js": "string", "utf16": [70000]}));
        malformed(json!({"$js": "string", "utf16": "a"}));
        malformed(json!({"$js": "object", "entries": {}}));
        malformed(json!({"$js": "object", "entries": [["a"]]}));
        malformed(json!({"$js": "object", "entries": [[1, 2]]}));
        malformed(json!([{"ok": {"$js": "bad"}}]));
    }
}
