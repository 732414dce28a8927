//! Arguments as JavaScript passed them.

use storage_core::{JsObject, JsValue};

/// An argument held text that JavaScript can hold and a [`JsValue`] cannot: a lone UTF-16
/// surrogate. The call fails with the dialect's parameter error (never stored mangled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoneSurrogate;

/// The arguments of a call, read as JavaScript reads missing arguments and properties.
#[derive(Debug, Clone, Default)]
pub struct Args(pub Vec<JsValue>);

impl Args {
    /// Argument `i`, `undefined` when absent.
    pub fn get(&self, i: usize) -> JsValue {
        self.0.get(i).cloned().unwrap_or(JsValue::Undefined)
    }

    /// Argument `i`, `None` when absent (fewer arguments were passed).
    pub fn given(&self, i: usize) -> Option<JsValue> {
        self.0.get(i).cloned()
    }

    /// Argument `i` as an options object; anything that is not an Object reads as `{}` (so its
    /// properties are absent and the facade reports the missing ones in the platform's words).
    pub fn options(&self, i: usize) -> JsObject {
        match self.0.get(i) {
            Some(JsValue::Object(o)) => o.clone(),
            _ => JsObject::new(),
        }
    }
}

/// A property of an options object, `undefined` when absent.
pub fn prop(o: &JsObject, name: &str) -> JsValue {
    o.get(name).cloned().unwrap_or(JsValue::Undefined)
}

/// Whether an options flag is `true` (only the Boolean `true` turns a flag on).
pub fn flag(o: &JsObject, name: &str) -> bool {
    matches!(o.get(name), Some(JsValue::Bool(true)))
}
