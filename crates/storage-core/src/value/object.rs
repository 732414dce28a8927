//! [`JsObject`]: a plain JavaScript object, keys kept in their enumeration order.

use super::JsValue;

/// A plain JavaScript object: string keys, each once, in enumeration order.
///
/// Setting a key that exists replaces its value and keeps its position, as assignment does in
/// JavaScript.
///
/// ```
/// use storage_core::{JsObject, JsValue};
/// let mut o = JsObject::new();
/// o.insert("cityName", "杭州");
/// o.insert("adCode", "330100");
/// o.insert("cityName", "上海");
/// assert_eq!(o.keys().collect::<Vec<_>>(), ["cityName", "adCode"]);
/// assert_eq!(o.get("cityName"), Some(&JsValue::from("上海")));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsObject {
    entries: Vec<(String, JsValue)>,
}

impl JsObject {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`; an existing key keeps its position.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<JsValue>) {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    /// An object from entries in order; a repeated key keeps its first position and its last
    /// value, as repeated assignment does. Linear in the number of entries.
    pub fn from_entries(entries: Vec<(String, JsValue)>) -> Self {
        let mut seen: std::collections::HashMap<String, usize> =
            std::collections::HashMap::with_capacity(entries.len());
        let mut out: Vec<(String, JsValue)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match seen.get(&k) {
                Some(&i) => out[i].1 = v,
                None => {
                    seen.insert(k.clone(), out.len());
                    out.push((k, v));
                }
            }
        }
        JsObject { entries: out }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&JsValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &JsValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// The entries themselves, for rewriting values in place (keys stay unique).
    pub(super) fn entries_mut(&mut self) -> &mut Vec<(String, JsValue)> {
        &mut self.entries
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the object has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<JsValue>> FromIterator<(K, V)> for JsObject {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        JsObject::from_entries(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}
