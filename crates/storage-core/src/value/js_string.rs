//! [`JsString`]: the text of a JavaScript String, immutable and shared as JavaScript shares it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, Range};
use std::sync::Arc;

/// The text of a [`JsValue::String`](super::JsValue::String): immutable, and cheap to clone.
///
/// JavaScript strings never change once made, so every copy of one can share the same text: a
/// clone bumps a reference count instead of copying the bytes. That is what lets a read served
/// from memory hand out a long string in time that does not depend on its length (see
/// [`crate::ReadCache`]): a String read from a stored record is the record's own bytes, shared
/// with whatever holds the record, not a copy of them.
///
/// It reads like a `&str` (it derefs to one) and compares, orders and hashes as its text does.
/// Serde sees a plain string.
///
/// ```
/// use storage_core::{JsString, JsValue};
/// let city = JsString::from("杭州");
/// let copy = city.clone();
/// assert!(JsString::ptr_eq(&city, &copy)); // one text, two handles
/// assert_eq!(city, "杭州");
/// assert_eq!(city.chars().count(), 2); // every `str` method, through `Deref`
///
/// let JsValue::String(s) = JsValue::from("hangzhou") else { unreachable!() };
/// assert_eq!((s.as_str(), &*s, s.len()), ("hangzhou", "hangzhou", 8));
/// let owned: String = s.into();
/// assert_eq!(owned, "hangzhou");
/// ```
#[derive(Clone)]
pub struct JsString(Repr);

#[derive(Clone)]
enum Repr {
    /// Text of its own.
    Own(Arc<str>),
    /// Part of a stored record, shared with it: `bytes[start..start + len]`, checked to be UTF-8
    /// when made (see [`JsString::in_record`]).
    InRecord {
        bytes: Arc<Vec<u8>>,
        start: u32,
        len: u32,
    },
}

impl JsString {
    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Own(text) => text,
            Repr::InRecord { bytes, start, len } => {
                let range = *start as usize..(*start + *len) as usize;
                // SAFETY: `in_record` made this only after `from_utf8` accepted exactly this
                // range of these bytes, and they cannot have changed since: they are behind an
                // `Arc` that this string keeps alive, and nothing mutates bytes behind a shared
                // `Arc` (`Arc::get_mut` needs the only handle, and this is another one).
                unsafe { std::str::from_utf8_unchecked(&bytes[range]) }
            }
        }
    }

    /// Whether `a` and `b` share one text (not merely equal ones).
    pub fn ptr_eq(a: &JsString, b: &JsString) -> bool {
        let (a, b) = (a.as_str(), b.as_str());
        std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len()
    }

    /// `range` of `bytes` as a string sharing them (no copy), or `None` when it is not UTF-8 or
    /// not inside `bytes`. A range beyond `u32` (larger than any stored value) is copied instead.
    pub(crate) fn in_record(bytes: &Arc<Vec<u8>>, range: Range<usize>) -> Option<JsString> {
        let text = std::str::from_utf8(bytes.get(range.clone())?).ok()?;
        Some(
            match (u32::try_from(range.start), u32::try_from(range.len())) {
                (Ok(start), Ok(len)) if start.checked_add(len).is_some() => {
                    JsString(Repr::InRecord {
                        bytes: Arc::clone(bytes),
                        start,
                        len,
                    })
                }
                _ => JsString::from(text),
            },
        )
    }

    /// Whether this text lives inside `bytes` (shares them) or is empty: holding it then takes
    /// no memory beyond what holds `bytes`.
    pub(crate) fn costs_nothing_beside(&self, bytes: &Arc<Vec<u8>>) -> bool {
        match &self.0 {
            Repr::Own(text) => text.is_empty(),
            Repr::InRecord { bytes: own, .. } => Arc::ptr_eq(own, bytes),
        }
    }
}

impl PartialEq for JsString {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for JsString {}

impl PartialOrd for JsString {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for JsString {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for JsString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `str` hashes, so `Borrow<str>` lookups work.
        self.as_str().hash(state);
    }
}

impl Default for JsString {
    fn default() -> Self {
        JsString::from("")
    }
}

impl Deref for JsString {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for JsString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for JsString {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for JsString {
    fn from(s: &str) -> Self {
        JsString(Repr::Own(s.into()))
    }
}

impl From<String> for JsString {
    fn from(s: String) -> Self {
        JsString(Repr::Own(s.into()))
    }
}

impl From<&String> for JsString {
    fn from(s: &String) -> Self {
        JsString::from(s.as_str())
    }
}

impl From<Arc<str>> for JsString {
    fn from(s: Arc<str>) -> Self {
        JsString(Repr::Own(s))
    }
}

impl From<JsString> for String {
    fn from(s: JsString) -> Self {
        s.as_str().to_owned()
    }
}

impl From<JsString> for Arc<str> {
    fn from(s: JsString) -> Self {
        match s.0 {
            Repr::Own(text) => text,
            Repr::InRecord { .. } => Arc::from(s.as_str()),
        }
    }
}

impl PartialEq<str> for JsString {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for JsString {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for JsString {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<JsString> for str {
    fn eq(&self, other: &JsString) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<JsString> for &str {
    fn eq(&self, other: &JsString) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<JsString> for String {
    fn eq(&self, other: &JsString) -> bool {
        self == other.as_str()
    }
}

impl fmt::Display for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl fmt::Debug for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for JsString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JsString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(JsString::from)
    }
}
