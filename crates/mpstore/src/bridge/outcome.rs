//! How the bridge writes an [`Outcome`]: its `"outcome"` name and its `"result"` as tagged JSON.

use serde_json::Value;
pub use storage_api::dispatch::{Ending, Outcome, Payload};

/// The `"result"` field of a response: the payload as the facade shaped it, with the fields that
/// hold stored values (or a Sync form's returned value) in their lossless tagged form.
///
/// ```
/// use mpstore::bridge::outcome::result;
/// use storage_api::dispatch::Outcome;
/// use storage_core::JsValue;
/// assert_eq!(result(&Outcome::returned(JsValue::Undefined)), serde_json::json!({"$js": "undefined"}));
/// ```
pub fn result(outcome: &Outcome) -> Value {
    outcome.tagged()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use storage_api::{Mpstore, MyError};
    use storage_core::JsValue;
    use storage_core::{codes::ApiKind, Dialect, Error, Scope};

    #[test]
    fn values_are_replaced_in_place() {
        let mp = Mpstore::in_memory()
            .mini_program("u", "a", Scope::App)
            .unwrap();
        mp.wx().set_storage_sync("k", JsValue::Undefined).unwrap();
        let get = storage_api::dispatch::Api::find(Dialect::Wx, "getStorage").unwrap();
        let args = storage_api::dispatch::Args(vec![json_obj()]);
        let o = storage_api::dispatch::local::call(&mp, get, Ok(args)).unwrap();
        assert_eq!(
            serde_json::to_string(&result(&o)).unwrap(),
            r#"{"data":{"$js":"undefined"},"errMsg":"getStorage:ok"}"#
        );
    }

    fn json_obj() -> storage_core::JsValue {
        crate::tagged::from_tagged(&json!({"key": "k"})).unwrap()
    }

    #[test]
    fn failures_are_plain_json() {
        let err = MyError::new(ApiKind::LocalWrite, &Error::EmptyKey);
        let o = Outcome::failure(
            Ending::Fail,
            serde_json::to_value(&err).unwrap(),
            Error::EmptyKey,
        );
        assert_eq!(
            result(&o),
            json!({"error": 2, "errorMessage": "必填参数为空"})
        );
    }
}
