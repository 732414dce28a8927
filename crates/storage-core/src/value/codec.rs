//! The binary form a [`JsValue`] takes inside a record.
//!
//! One tag byte per value, then its payload: numbers and dates as little-endian `f64` bits (so
//! `-0` and every `NaN` payload survive), strings and containers length-prefixed with LEB128
//! varints. Decoding accepts any bytes: malformed input is a [`DecodeError`], never a panic, and
//! nesting deeper than [`MAX_DEPTH`] is refused before it can exhaust the stack.

use super::{JsDate, JsObject, JsString, JsValue, MAX_DEPTH};
use std::sync::Arc;

const UNDEFINED: u8 = 0;
const NULL: u8 = 1;
const FALSE: u8 = 2;
const TRUE: u8 = 3;
const NUMBER: u8 = 4;
const STRING: u8 = 5;
const DATE: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

/// Stored bytes that are not a value this codec wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed value encoding at byte {offset}: {what}")]
pub struct DecodeError {
    /// Where decoding stopped.
    pub offset: usize,
    /// What was wrong there.
    pub what: &'static str,
}

/// Encodes a value. The caller has checked its depth (see [`JsValue::depth`]).
///
/// ```
/// use storage_core::value::{decode, encode};
/// use storage_core::JsValue;
/// let v = JsValue::from(vec![JsValue::from(-0.0), JsValue::from("1234567.890"), JsValue::Undefined]);
/// assert_eq!(decode(&encode(&v)).unwrap(), v);
/// ```
pub fn encode(v: &JsValue) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(v, &mut out);
    out
}

/// [`encode`], appended to `out` (a record's header may already be there).
pub(crate) fn encode_into(v: &JsValue, out: &mut Vec<u8>) {
    match v {
        JsValue::Undefined => out.push(UNDEFINED),
        JsValue::Null => out.push(NULL),
        JsValue::Bool(false) => out.push(FALSE),
        JsValue::Bool(true) => out.push(TRUE),
        JsValue::Number(n) => {
            out.push(NUMBER);
            out.extend_from_slice(&n.to_bits().to_le_bytes());
        }
        JsValue::Date(d) => {
            out.push(DATE);
            out.extend_from_slice(&d.time_value().to_bits().to_le_bytes());
        }
        JsValue::String(s) => {
            out.reserve(s.len() + 6);
            out.push(STRING);
            put_str(s, out);
        }
        JsValue::Array(items) => {
            out.push(ARRAY);
            put_len(items.len(), out);
            for item in items {
                encode_into(item, out);
            }
        }
        JsValue::Object(o) => {
            out.push(OBJECT);
            put_len(o.len(), out);
            for (k, item) in o.iter() {
                put_str(k, out);
                encode_into(item, out);
            }
        }
    }
}

fn put_str(s: &str, out: &mut Vec<u8>) {
    put_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn put_len(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Decodes bytes written by [`encode`]; the whole input must be one value.
pub fn decode(bytes: &[u8]) -> Result<JsValue, DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    let v = r.value(0)?;
    if r.pos != bytes.len() {
        return Err(r.err("trailing bytes"));
    }
    Ok(v)
}

/// Decodes `bytes[start..]` as [`decode`] does (the same value or the same error), except that
/// when the value is a String, its text is a view of `bytes` ([`JsString`]): shared, not copied.
///
/// Only a String standing alone is a view: a String inside an Array or Object is copied, so a
/// small part kept by a caller never keeps a large record alive.
pub(crate) fn decode_shared(bytes: &Arc<Vec<u8>>, start: usize) -> Result<JsValue, DecodeError> {
    let body = bytes.get(start..).unwrap_or_default();
    if body.first() != Some(&STRING) {
        return decode(body);
    }
    let mut r = Reader {
        bytes: body,
        pos: 1,
    };
    let n = r.len()?;
    let text_start = r.pos;
    r.take(n)?;
    let text =
        JsString::in_record(bytes, start + text_start..start + r.pos).ok_or(DecodeError {
            offset: text_start,
            what: "string is not UTF-8",
        })?;
    if r.pos != body.len() {
        return Err(r.err("trailing bytes"));
    }
    Ok(JsValue::String(text))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn err(&self, what: &'static str) -> DecodeError {
        DecodeError {
            offset: self.pos,
            what,
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| self.err("unexpected end"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }

    fn f64(&mut self) -> Result<f64, DecodeError> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.take(8)?);
        Ok(f64::from_bits(u64::from_le_bytes(raw)))
    }

    fn len(&mut self) -> Result<usize, DecodeError> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                // A count can never exceed the bytes left, so this also bounds allocations.
                return usize::try_from(n)
                    .ok()
                    .filter(|&n| n <= self.bytes.len() - self.pos)
                    .ok_or_else(|| self.err("length beyond the input"));
            }
        }
        Err(self.err("length varint too long"))
    }

    /// A length-prefixed string, borrowed from the input.
    fn text(&mut self) -> Result<&str, DecodeError> {
        let n = self.len()?;
        let start = self.pos;
        let raw = self.take(n)?;
        std::str::from_utf8(raw).map_err(|_| DecodeError {
            offset: start,
            what: "string is not UTF-8",
        })
    }

    fn value(&mut self, depth: usize) -> Result<JsValue, DecodeError> {
        Ok(match self.byte()? {
            UNDEFINED => JsValue::Undefined,
            NULL => JsValue::Null,
            FALSE => JsValue::Bool(false),
            TRUE => JsValue::Bool(true),
            NUMBER => JsValue::Number(self.f64()?),
            DATE => {
                let t = self.f64()?;
                let d = JsDate::from_millis(t);
                // Only what `encode` writes: a clipped time value, or NaN for the invalid Date.
                if !t.is_nan() && d.time_value().to_bits() != t.to_bits() {
                    return Err(self.err("date is not a clipped time value"));
                }
                JsValue::Date(d)
            }
            // Straight into the shared text: one copy of the bytes, no intermediate `String`.
            STRING => JsValue::String(self.text()?.into()),
            ARRAY | OBJECT if depth >= MAX_DEPTH => return Err(self.err("nested too deeply")),
            ARRAY => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                JsValue::Array(items)
            }
            OBJECT => {
                let n = self.len()?;
                let mut entries = Vec::with_capacity(n);
                for _ in 0..n {
                    let k = self.text()?.to_owned();
                    entries.push((k, self.value(depth + 1)?));
                }
                JsValue::Object(JsObject::from_entries(entries))
            }
            _ => {
                self.pos -= 1;
                return Err(self.err("unknown type tag"));
            }
        })
    }
}
