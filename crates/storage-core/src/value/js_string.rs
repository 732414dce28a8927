//! [`JsString`]: the text of a JavaScript String, immutable and shared as JavaScript shares it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The text of a [`JsValue::String`](super::JsValue::String): immutable, and cheap to clone.
///
/// JavaScript strings never change once made, so every copy of one can share the same text: a
/// clone bumps a reference count instead of copying the bytes. That is what lets a read served
/// from memory hand out a long string in time that does not depend on its length (see
/// [`crate::ReadCache`]).
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
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsString(Arc<str>);

impl JsString {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `a` and `b` share one text (not merely equal ones).
    pub fn ptr_eq(a: &JsString, b: &JsString) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
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
        &self.0
    }
}

impl AsRef<str> for JsString {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for JsString {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for JsString {
    fn from(s: &str) -> Self {
        JsString(s.into())
    }
}

impl From<String> for JsString {
    fn from(s: String) -> Self {
        JsString(s.into())
    }
}

impl From<&String> for JsString {
    fn from(s: &String) -> Self {
        JsString(s.as_str().into())
    }
}

impl From<Arc<str>> for JsString {
    fn from(s: Arc<str>) -> Self {
        JsString(s)
    }
}

impl From<JsString> for String {
    fn from(s: JsString) -> Self {
        s.0.as_ref().to_owned()
    }
}

impl From<JsString> for Arc<str> {
    fn from(s: JsString) -> Self {
        s.0
    }
}

impl PartialEq<str> for JsString {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for JsString {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for JsString {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<JsString> for str {
    fn eq(&self, other: &JsString) -> bool {
        *self == *other.0
    }
}

impl PartialEq<JsString> for &str {
    fn eq(&self, other: &JsString) -> bool {
        **self == *other.0
    }
}

impl PartialEq<JsString> for String {
    fn eq(&self, other: &JsString) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for JsString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for JsString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for JsString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(JsString::from)
    }
}
