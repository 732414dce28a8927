//! [`StoredValue`]: the bytes stored under one key, shared, with a memo of what they decode to.

use crate::value::JsValue;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The bytes a backend holds under one key, as a shared handle (what
/// [`Backend::get_shared`](crate::Backend::get_shared) answers).
///
/// Cloning bumps a reference count. A decorator that keeps values in memory
/// ([`crate::ReadCache`]) hands out its own handle, so a read it serves copies nothing; the
/// handle also remembers what the [`Store`](crate::Store) decoded the bytes into, so a value read
/// again is not decoded again.
///
/// # The memo
///
/// The first reader that decodes the bytes leaves the result in the handle when holding it costs
/// no memory beyond the handle itself ([`HANDLE_BYTES`](Self::HANDLE_BYTES)): a scalar, or a
/// String whose text is the stored bytes themselves (a [`JsString`](crate::JsString) made as a
/// view of them, as the store decodes a String record). Cloning it then costs O(1). An Array or
/// an Object is decoded on every read instead: a clone of one would cost as much as decoding it,
/// and its decoded form can take many times the room of its bytes. So whatever holds a handle
/// bounds its memory by counting the bytes and the handle, whether or not the memo is filled.
///
/// ```
/// use storage_core::StoredValue;
/// let stored = StoredValue::from(b"bytes".to_vec());
/// let copy = stored.clone();
/// assert!(StoredValue::ptr_eq(&stored, &copy));
/// assert_eq!(copy.bytes(), b"bytes");
/// assert_eq!(stored.into_vec(), b"bytes".to_vec());
/// ```
#[derive(Clone)]
pub struct StoredValue(Arc<Shared>);

struct Shared {
    /// Behind an `Arc` of their own, so a String decoded from them can share them without a
    /// cycle through the memo.
    bytes: Arc<Vec<u8>>,
    /// What the bytes decode to, once a reader has decoded them (see the type's docs).
    decoded: OnceLock<JsValue>,
}

/// The counts in front of every `Arc`'s allocation.
const ARC_COUNTS: usize = 2 * std::mem::size_of::<usize>();

impl StoredValue {
    /// The heap bytes of one handle apart from the stored bytes themselves: its two shared
    /// allocations (the handle with the memo's slot, and the byte vector), counts included.
    pub const HANDLE_BYTES: u64 =
        (2 * ARC_COUNTS + std::mem::size_of::<Shared>() + std::mem::size_of::<Vec<u8>>()) as u64;

    /// A handle on `bytes`, with an empty memo.
    pub fn new(bytes: Vec<u8>) -> Self {
        StoredValue(Arc::new(Shared {
            bytes: Arc::new(bytes),
            decoded: OnceLock::new(),
        }))
    }

    /// The stored bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.0.bytes
    }

    /// How many bytes are stored.
    pub fn len(&self) -> usize {
        self.0.bytes.len()
    }

    /// Whether the stored value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.bytes.is_empty()
    }

    /// The bytes as a vector of their own: without a copy when this is the only handle.
    pub fn into_vec(self) -> Vec<u8> {
        let bytes = match Arc::try_unwrap(self.0) {
            Ok(shared) => shared.bytes,
            Err(shared) => Arc::clone(&shared.bytes),
        };
        // Still shared when another handle, or a String decoded from them, holds them.
        Arc::try_unwrap(bytes).unwrap_or_else(|bytes| bytes.as_ref().clone())
    }

    /// Whether `a` and `b` are handles on the same stored bytes (not merely equal ones).
    pub fn ptr_eq(a: &StoredValue, b: &StoredValue) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// What `decode` makes of the bytes, from the memo when a reader filled it. `decode` must be
    /// a pure function of the bytes, and the same one every time (the crate has one: the
    /// store's record decoding); it gets them as a shared `Arc`, so a String can be a view of
    /// them.
    pub(crate) fn decoded<E>(
        &self,
        decode: impl FnOnce(&Arc<Vec<u8>>) -> Result<JsValue, E>,
    ) -> Result<JsValue, E> {
        if let Some(value) = self.0.decoded.get() {
            return Ok(value.clone());
        }
        let value = decode(&self.0.bytes)?;
        if self.fits_memo(&value) {
            // Two readers may race to fill it; one wins, and both answers are equal.
            let _ = self.0.decoded.set(value.clone());
        }
        Ok(value)
    }

    /// Whether the memo may hold `value`: only what costs no memory beside the handle (see the
    /// type's docs).
    fn fits_memo(&self, value: &JsValue) -> bool {
        match value {
            JsValue::Array(_) | JsValue::Object(_) => false,
            JsValue::String(s) => s.costs_nothing_beside(&self.0.bytes),
            _ => true,
        }
    }

    #[cfg(test)]
    fn memoised(&self) -> Option<&JsValue> {
        self.0.decoded.get()
    }
}

impl From<Vec<u8>> for StoredValue {
    fn from(bytes: Vec<u8>) -> Self {
        StoredValue::new(bytes)
    }
}

impl PartialEq for StoredValue {
    /// Equal when the stored bytes are (the memo follows from them).
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for StoredValue {}

impl fmt::Debug for StoredValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredValue")
            .field("len", &self.len())
            .field("decoded", &self.0.decoded.get().is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{JsObject, JsString};

    /// Stores `bytes` that decode to `value`: whether the memo keeps it, so a second read does
    /// not decode again.
    fn check(name: &str, bytes: &[u8], value: JsValue, memoised: bool) {
        let stored = StoredValue::from(bytes.to_vec());
        let decode = |_: &Arc<Vec<u8>>| -> Result<JsValue, ()> { Ok(value.clone()) };
        let first = stored.decoded(decode).unwrap();
        assert_eq!(first, value, "{name}");
        assert_eq!(stored.memoised().is_some(), memoised, "{name}");
        let second = stored.decoded(|_| Err(())).map_err(|_| "decoded again");
        assert_eq!(second.is_ok(), memoised, "{name}");
    }

    #[test]
    fn what_the_memo_keeps() {
        let object: JsObject = [("a", "b")].into_iter().collect();
        check(
            "a string of its own",
            b"..text",
            JsValue::from("text"),
            false,
        );
        check("the empty string", b"", JsValue::from(""), true);
        check("a number", b"n", JsValue::from(1.5), true);
        check("null", b"", JsValue::Null, true);
        check("an array", b"[]", JsValue::from(vec![]), false);
        check("an object", b"{}", object.into(), false);
    }

    /// A String that is a view of the stored bytes, after two bytes of header.
    fn view(bytes: &Arc<Vec<u8>>) -> Result<JsValue, ()> {
        let text = JsString::in_record(bytes, 2..bytes.len()).expect("UTF-8");
        Ok(JsValue::String(text))
    }

    #[test]
    fn a_string_sharing_the_bytes_is_memoised_and_an_error_is_not() {
        let stored = StoredValue::from(b"..text".to_vec());
        assert_eq!(stored.decoded(|_| Err("corrupt")), Err("corrupt"));
        assert!(stored.memoised().is_none());
        let JsValue::String(a) = stored.decoded(view).unwrap() else {
            panic!("a string")
        };
        let JsValue::String(b) = stored.clone().decoded(|_| Err(())).unwrap() else {
            panic!("a string")
        };
        assert_eq!((a.as_str(), b.as_str()), ("text", "text"));
        assert!(JsString::ptr_eq(&a, &b));
        assert!(
            std::ptr::eq(a.as_ptr(), stored.bytes()[2..].as_ptr()),
            "the stored bytes"
        );
    }

    #[test]
    fn into_vec_copies_only_shared_bytes() {
        let stored = StoredValue::from(b"..text".to_vec());
        let other = stored.clone();
        assert_eq!(stored.into_vec(), b"..text");
        let text = other.decoded(view).unwrap();
        assert_eq!(other.into_vec(), b"..text", "a String still shares them");
        assert_eq!(text, JsValue::from("text"));
    }
}
