//! The text a JS host hands to native code, and its length (behaviour §1).
//!
//! Written once against a [`Sink`], so measuring never builds the text and the text never
//! disagrees with its measure.

use super::JsValue;

/// A serialized length, in both of the units the platforms count in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Size {
    /// UTF-16 code units (JavaScript's `string.length`).
    pub utf16: u64,
    /// UTF-8 bytes.
    pub utf8: u64,
}

impl Size {
    /// The size of a string.
    pub fn of_str(s: &str) -> Size {
        Size {
            utf16: utf16_len(s),
            utf8: s.len() as u64,
        }
    }
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, rhs: Size) -> Size {
        Size {
            utf16: self.utf16 + rhs.utf16,
            utf8: self.utf8 + rhs.utf8,
        }
    }
}

fn utf16_len(s: &str) -> u64 {
    // Every char is one unit but those outside the BMP (four UTF-8 bytes), which are two.
    if is_ascii(s.as_bytes()) {
        return s.len() as u64;
    }
    s.chars().map(|c| c.len_utf16() as u64).sum()
}

/// `bytes.is_ascii()`, eight bytes at a time: every write measures its key and value, and the
/// standard library's check cost about twice this on a 100-byte string (callgrind).
fn is_ascii(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(8);
    let mut seen = 0u64;
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        seen |= u64::from_ne_bytes(word);
    }
    for &b in chunks.remainder() {
        seen |= u64::from(b);
    }
    seen & 0x8080_8080_8080_8080 == 0
}

trait Sink {
    fn push(&mut self, s: &str);
}

impl Sink for String {
    fn push(&mut self, s: &str) {
        self.push_str(s);
    }
}

impl Sink for Size {
    fn push(&mut self, s: &str) {
        *self = *self + Size::of_str(s);
    }
}

pub(super) fn serialized_size(v: &JsValue) -> Size {
    let mut size = Size::default();
    serialized(v, &mut size);
    size
}

pub(super) fn serialized_text(v: &JsValue) -> String {
    let mut text = String::new();
    serialized(v, &mut text);
    text
}

pub(super) fn json_stringify(v: &JsValue) -> Option<String> {
    let mut text = String::new();
    json(v, &mut text).then_some(text)
}

/// The measured text: a String as itself, a Date as its ISO string, `undefined` as nothing,
/// anything else as JSON.
fn serialized(v: &JsValue, out: &mut impl Sink) {
    match v {
        JsValue::String(s) => out.push(s),
        JsValue::Undefined => {}
        JsValue::Date(d) => match d.to_iso_string() {
            Some(iso) => out.push(&iso),
            None => out.push("null"),
        },
        other => {
            json(other, out);
        }
    }
}

/// `JSON.stringify`; returns false where JavaScript returns `undefined` (nothing was written).
fn json(v: &JsValue, out: &mut impl Sink) -> bool {
    match v {
        JsValue::Undefined => return false,
        JsValue::Null => out.push("null"),
        JsValue::Bool(b) => out.push(if *b { "true" } else { "false" }),
        JsValue::Number(n) => number(*n, out),
        JsValue::String(s) => string(s, out),
        JsValue::Date(d) => match d.to_iso_string() {
            Some(iso) => string(&iso, out),
            None => out.push("null"),
        },
        JsValue::Array(items) => {
            out.push("[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(",");
                }
                if !json(item, out) {
                    out.push("null");
                }
            }
            out.push("]");
        }
        JsValue::Object(o) => {
            out.push("{");
            let mut first = true;
            for (k, item) in o.iter() {
                if matches!(item, JsValue::Undefined) {
                    continue;
                }
                if !first {
                    out.push(",");
                }
                first = false;
                string(k, out);
                out.push(":");
                json(item, out);
            }
            out.push("}");
        }
    }
    true
}

fn number(n: f64, out: &mut impl Sink) {
    if n.is_finite() {
        out.push(ryu_js::Buffer::new().format_finite(n));
    } else {
        out.push("null");
    }
}

/// A JSON string literal as `JSON.stringify` writes it: only `"`, `\` and control characters are
/// escaped; everything else, U+2028 included, stands as itself.
fn string(s: &str, out: &mut impl Sink) {
    out.push("\"");
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push(&s[start..i]);
        if escape.is_empty() {
            out.push(&format!("\\u{b:04x}"));
        } else {
            out.push(escape);
        }
        start = i + 1;
    }
    out.push(&s[start..]);
    out.push("\"");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_ascii_finds_a_non_ascii_byte_anywhere() {
        for len in 0..=33 {
            let ascii = "a".repeat(len);
            assert!(is_ascii(ascii.as_bytes()), "{len}");
            for at in 0..len {
                for high in [0x80, 0xc3, 0xff] {
                    let mut bytes = ascii.clone().into_bytes();
                    bytes[at] = high;
                    assert!(!is_ascii(&bytes), "{len} {at} {high:#x}");
                }
            }
        }
    }

    #[test]
    fn sizes_of_long_strings_count_every_unit() {
        for (s, utf16) in [
            ("a".repeat(100), 100),
            (format!("{}é", "a".repeat(16)), 17),
            (format!("{}😀", "a".repeat(9)), 11),
            (format!("杭{}", "a".repeat(20)), 21),
        ] {
            let size = Size::of_str(&s);
            assert_eq!((size.utf16, size.utf8), (utf16, s.len() as u64), "{s}");
        }
    }
}
