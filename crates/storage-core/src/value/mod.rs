//! The value model of behaviour §1: the eight JavaScript types a mini-program can store.
//!
//! A [`JsValue`] round-trips exactly through every backend: a String that looks like a number stays
//! a String, `-0` stays `-0`, a Date keeps its milliseconds, objects keep their key order. Its
//! [serialized length](JsValue::serialized_size) is measured on the text a JS host hands to native
//! code (a String as itself, anything else as its `JSON.stringify` text), in UTF-16 code units and in
//! UTF-8 bytes.

mod codec;
mod date;
mod js_string;
mod json_round_trip;
mod json_text;
mod object;
mod serde_impl;
pub mod tagged;

pub use codec::{decode, encode, DecodeError};
pub(crate) use codec::{decode_shared, encode_into};
pub use date::{civil_from_days, days_from_civil, JsDate};
pub use js_string::JsString;
pub use json_round_trip::Values;
pub use json_text::Size;
pub use object::JsObject;

/// How deep values may nest (arrays and objects inside each other) before they are refused.
///
/// The limit keeps every recursive walk (measuring, encoding, decoding) far from the stack's
/// end, whatever the input: a value nested deeper is a parameter error, never a crash, and
/// decoding refuses it before building it. Like `serde_json::Value`, a `JsValue` is dropped
/// recursively, so a Rust caller that builds one tens of thousands of levels deep itself can
/// exhaust the stack dropping it; every door that parses outside input (JSON, the bridge,
/// stored records) stops far earlier.
pub const MAX_DEPTH: usize = 100;

/// A JavaScript value of one of the eight storable types.
///
/// Equality is JavaScript's `Object.is` applied structurally: `NaN` equals `NaN`, `+0` differs
/// from `-0`, objects compare their entries in order. That is the equality a round trip must keep.
#[derive(Debug, Clone)]
pub enum JsValue {
    /// `undefined`.
    Undefined,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A Number (IEEE 754 double, including `NaN`, the infinities and `-0`).
    Number(f64),
    /// A String, immutable and shared: cloning one bumps a reference count (see [`JsString`]).
    /// Rust strings are always valid Unicode; use [`JsValue::from_utf16`] for JS text that may
    /// hold lone surrogates.
    String(JsString),
    /// An Array.
    Array(Vec<JsValue>),
    /// A plain Object, keys in their enumeration order.
    Object(JsObject),
    /// A Date.
    Date(JsDate),
}

/// The JavaScript type of a value, named as the platforms name it in their messages
/// (`"... should be String instead of Number"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsType {
    /// `undefined`
    Undefined,
    /// `null`
    Null,
    /// Boolean
    Boolean,
    /// Number
    Number,
    /// String
    String,
    /// Array
    Array,
    /// Object
    Object,
    /// Date
    Date,
}

impl JsType {
    /// The name the platforms print for this type.
    pub fn name(self) -> &'static str {
        match self {
            JsType::Undefined => "Undefined",
            JsType::Null => "Null",
            JsType::Boolean => "Boolean",
            JsType::Number => "Number",
            JsType::String => "String",
            JsType::Array => "Array",
            JsType::Object => "Object",
            JsType::Date => "Date",
        }
    }
}

impl std::fmt::Display for JsType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Text handed in as UTF-16 was not valid Unicode (a lone surrogate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("string holds a lone UTF-16 surrogate at unit {position}")]
pub struct LoneSurrogate {
    /// Index of the offending code unit.
    pub position: usize,
}

impl JsValue {
    /// The type of this value.
    pub fn js_type(&self) -> JsType {
        match self {
            JsValue::Undefined => JsType::Undefined,
            JsValue::Null => JsType::Null,
            JsValue::Bool(_) => JsType::Boolean,
            JsValue::Number(_) => JsType::Number,
            JsValue::String(_) => JsType::String,
            JsValue::Array(_) => JsType::Array,
            JsValue::Object(_) => JsType::Object,
            JsValue::Date(_) => JsType::Date,
        }
    }

    /// A String from JavaScript text in UTF-16, refusing lone surrogates (behaviour §1: such
    /// strings are rejected, never stored mangled).
    ///
    /// ```
    /// use storage_core::JsValue;
    /// assert_eq!(JsValue::from_utf16(&[0x676d, 0xd83d, 0xde00]).unwrap(), JsValue::from("杭😀"));
    /// assert!(JsValue::from_utf16(&[0xd800]).is_err());
    /// ```
    pub fn from_utf16(units: &[u16]) -> Result<JsValue, LoneSurrogate> {
        string_from_utf16(units).map(JsValue::from)
    }

    /// How deeply arrays and objects nest in this value: 0 for a scalar, 1 for `[]` or `{}`.
    ///
    /// Stops counting past [`MAX_DEPTH`] + 1, so it costs little on hostile input.
    pub fn depth(&self) -> usize {
        fn walk(v: &JsValue, level: usize) -> usize {
            if level > MAX_DEPTH {
                return level;
            }
            match v {
                JsValue::Array(items) => items
                    .iter()
                    .map(|i| walk(i, level + 1))
                    .max()
                    .unwrap_or(level + 1)
                    .max(level + 1),
                JsValue::Object(o) => o
                    .iter()
                    .map(|(_, i)| walk(i, level + 1))
                    .max()
                    .unwrap_or(level + 1)
                    .max(level + 1),
                _ => level,
            }
        }
        walk(self, 0)
    }

    /// The serialized length of behaviour §1 in UTF-16 units and UTF-8 bytes: a String measured as
    /// itself, a Date as its ISO string, `undefined` as nothing, anything else as its
    /// `JSON.stringify` text.
    ///
    /// ```
    /// use storage_core::JsValue;
    /// let s = JsValue::from("杭州😀").serialized_size();
    /// assert_eq!((s.utf16, s.utf8), (4, 10));
    /// let n = JsValue::from(1100.8989).serialized_size();
    /// assert_eq!(n.utf16, "1100.8989".len() as u64);
    /// ```
    pub fn serialized_size(&self) -> Size {
        json_text::serialized_size(self)
    }

    /// The text of behaviour §1 that [`serialized_size`](Self::serialized_size) measures.
    pub fn serialized_text(&self) -> String {
        json_text::serialized_text(self)
    }

    /// `JSON.stringify(value)`, or `None` where JavaScript returns `undefined`.
    pub fn to_json_string(&self) -> Option<String> {
        json_text::json_stringify(self)
    }
}

pub(crate) fn string_from_utf16(units: &[u16]) -> Result<String, LoneSurrogate> {
    let mut out = String::with_capacity(units.len());
    let mut position = 0;
    for c in char::decode_utf16(units.iter().copied()) {
        match c {
            Ok(c) => {
                out.push(c);
                position += c.len_utf16();
            }
            Err(_) => return Err(LoneSurrogate { position }),
        }
    }
    Ok(out)
}

fn same_number(a: f64, b: f64) -> bool {
    // Object.is: NaN is itself, +0 and -0 differ.
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

impl PartialEq for JsValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (JsValue::Undefined, JsValue::Undefined) | (JsValue::Null, JsValue::Null) => true,
            (JsValue::Bool(a), JsValue::Bool(b)) => a == b,
            (JsValue::Number(a), JsValue::Number(b)) => same_number(*a, *b),
            (JsValue::String(a), JsValue::String(b)) => a == b,
            (JsValue::Array(a), JsValue::Array(b)) => a == b,
            (JsValue::Object(a), JsValue::Object(b)) => a == b,
            (JsValue::Date(a), JsValue::Date(b)) => same_number(a.time_value(), b.time_value()),
            _ => false,
        }
    }
}

impl From<&str> for JsValue {
    fn from(s: &str) -> Self {
        JsValue::String(s.into())
    }
}
impl From<String> for JsValue {
    fn from(s: String) -> Self {
        JsValue::String(s.into())
    }
}
impl From<JsString> for JsValue {
    fn from(s: JsString) -> Self {
        JsValue::String(s)
    }
}
impl From<f64> for JsValue {
    fn from(n: f64) -> Self {
        JsValue::Number(n)
    }
}
impl From<i32> for JsValue {
    fn from(n: i32) -> Self {
        JsValue::Number(n.into())
    }
}
impl From<bool> for JsValue {
    fn from(b: bool) -> Self {
        JsValue::Bool(b)
    }
}
impl From<JsDate> for JsValue {
    fn from(d: JsDate) -> Self {
        JsValue::Date(d)
    }
}
impl From<JsObject> for JsValue {
    fn from(o: JsObject) -> Self {
        JsValue::Object(o)
    }
}
impl From<Vec<JsValue>> for JsValue {
    fn from(v: Vec<JsValue>) -> Self {
        JsValue::Array(v)
    }
}

#[cfg(test)]
mod tests;
