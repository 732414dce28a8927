//! [`Values`]: how a platform keeps what a mini-program stores, and the `JSON.stringify` round
//! trip most of them put values through.

use super::{JsValue, MAX_DEPTH};

/// What a platform does to a value on its way into storage: what a later read returns.
///
/// ```
/// use storage_core::{JsDate, JsObject, JsValue, Values};
/// let date = JsValue::Date(JsDate::from_millis(0.0));
/// let mut o = JsObject::new();
/// o.insert("at", date.clone());
/// o.insert("gone", JsValue::Undefined);
/// o.insert("n", f64::NAN);
/// let stored = Values::JsonInside.stored(JsValue::Object(o));
/// assert_eq!(stored.to_json_string().unwrap(), r#"{"at":"1970-01-01T00:00:00.000Z","n":null}"#);
/// assert_eq!(Values::JsonInside.stored(date.clone()), date);
/// assert_eq!(Values::Json.stored(date), JsValue::from("1970-01-01T00:00:00.000Z"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Values {
    /// Every value comes back exactly as given (Douyin and Feishu keep each listed type; a host
    /// may ask for this in any dialect).
    Exact,
    /// Through `JSON.stringify` and back, except a top-level value that is neither an Array nor
    /// an Object, which is kept (WeChat's rule names Date apart from JSON objects).
    JsonInside,
    /// Through `JSON.stringify` and back, a top-level Date included (Alipay, Baidu). A top-level
    /// `undefined`, which has no JSON text, is kept.
    Json,
}

impl Values {
    /// `value` as a later read returns it.
    ///
    /// Parts nested deeper than [`MAX_DEPTH`] are left as they are: such a value is refused
    /// when stored.
    pub fn stored(self, mut value: JsValue) -> JsValue {
        match (self, &value) {
            (Values::Exact, _) => {}
            (Values::JsonInside, JsValue::Array(_) | JsValue::Object(_)) | (Values::Json, _) => {
                if !through_json(&mut value, 0) {
                    value = JsValue::Undefined;
                }
            }
            (Values::JsonInside, _) => {}
        }
        value
    }
}

impl JsValue {
    /// `JSON.parse(JSON.stringify(value))`, or `None` where `JSON.stringify` returns
    /// `undefined`.
    ///
    /// ```
    /// use storage_core::JsValue;
    /// let v = JsValue::Array(vec![JsValue::Undefined, (-0.0).into(), f64::INFINITY.into()]);
    /// assert_eq!(v.through_json().unwrap().to_json_string().unwrap(), "[null,0,null]");
    /// assert_eq!(JsValue::Undefined.through_json(), None);
    /// ```
    pub fn through_json(mut self) -> Option<JsValue> {
        through_json(&mut self, 0).then_some(self)
    }
}

/// Rewrites `v` in place as `JSON.parse(JSON.stringify(v))` would return it; `false` where
/// `JSON.stringify` would leave it out (an `undefined`). Allocates only for a Date's text.
fn through_json(v: &mut JsValue, level: usize) -> bool {
    match v {
        JsValue::Undefined => return false,
        JsValue::Number(n) if !n.is_finite() => *v = JsValue::Null,
        // `-0` becomes `0`, whose text it shares.
        JsValue::Number(n) if *n == 0.0 => *n = 0.0,
        JsValue::Date(d) => {
            *v = match d.to_iso_string() {
                Some(text) => JsValue::from(text),
                None => JsValue::Null,
            }
        }
        JsValue::Array(_) | JsValue::Object(_) if level >= MAX_DEPTH => {}
        JsValue::Array(items) => {
            for item in items {
                if !through_json(item, level + 1) {
                    *item = JsValue::Null;
                }
            }
        }
        JsValue::Object(o) => o
            .entries_mut()
            .retain_mut(|(_, item)| through_json(item, level + 1)),
        _ => {}
    }
    true
}
