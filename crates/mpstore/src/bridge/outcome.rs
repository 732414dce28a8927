//! What a call ended in, as the bridge reports it: which callback fired, or what a Sync form
//! returned or threw, with the payload exactly as the facade serializes it.

use crate::tagged::to_tagged;
use serde::Serialize;
use serde_json::Value;
use storage_core::JsValue;

/// How a call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An asynchronous call succeeded: `success` fired (then `complete`); a Promise resolves.
    Success(Value),
    /// An asynchronous call failed: `fail` fired (then `complete`); a Promise rejects.
    Fail(Value),
    /// A Sync form returned this value (for Alipay, also when it failed).
    Return(Value),
    /// A Sync form threw (WeChat, Douyin): the payload is `{errMsg, errno}` / `{errMsg, errNo}`.
    Throw(Value),
}

impl Outcome {
    /// The `"outcome"` field of the response.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Success(_) => "success",
            Outcome::Fail(_) => "fail",
            Outcome::Return(_) => "return",
            Outcome::Throw(_) => "throw",
        }
    }

    /// The `"result"` field of the response.
    pub fn result(&self) -> &Value {
        match self {
            Outcome::Success(v) | Outcome::Fail(v) | Outcome::Return(v) | Outcome::Throw(v) => v,
        }
    }

    /// Whether the call failed (for Alipay's Sync forms: returned `success: false`).
    pub fn is_failure(&self) -> bool {
        match self {
            Outcome::Success(_) => false,
            Outcome::Fail(_) | Outcome::Throw(_) => true,
            Outcome::Return(v) => v.get("success") == Some(&Value::Bool(false)),
        }
    }
}

/// A facade result or error as tagged JSON: its serde form (the exact platform shape), with the
/// named fields that hold stored values replaced by their lossless tagged form.
///
/// The facades serialize values as `JSON.stringify` shows them; a JS host needs them back with
/// their types, so `data` (or `dataList`) is re-encoded from the Rust field. Every other field
/// (`errMsg`, `errno`, `keys`, sizes…) is plain JSON, which tagged JSON carries as itself.
pub fn shaped<T: Serialize>(payload: &T, values: &[(&str, Value)]) -> Value {
    let mut v = serde_json::to_value(payload).unwrap_or_else(|e| {
        // The facades' result types always serialize; say so rather than panic if one did not.
        serde_json::json!({ "errMsg": format!("mpstore bridge: cannot serialize result: {e}") })
    });
    if let Value::Object(m) = &mut v {
        for (name, tagged) in values {
            // Replacing keeps the field's position (the map preserves order).
            m.insert((*name).to_owned(), tagged.clone());
        }
    }
    v
}

/// A stored value as tagged JSON.
pub fn value(v: &JsValue) -> Value {
    to_tagged(v)
}

/// What a Sync form returns when it returns nothing: `undefined`.
pub fn undefined() -> Value {
    to_tagged(&JsValue::Undefined)
}

/// For [`settle`]: a result with no stored values to re-encode.
pub fn no_values<S>(_: &S) -> Vec<(&'static str, Value)> {
    Vec::new()
}

/// An asynchronous call's settled result: `success` or `fail`.
pub fn settle<S: Serialize, F: Serialize>(
    result: Result<S, F>,
    values: impl FnOnce(&S) -> Vec<(&'static str, Value)>,
) -> Outcome {
    match result {
        Ok(s) => {
            let values = values(&s);
            Outcome::Success(shaped(&s, &values))
        }
        Err(f) => Outcome::Fail(shaped(&f, &[])),
    }
}

/// A throwing Sync form's result (WeChat, Douyin): `return` or `throw`.
pub fn sync<T, F: Serialize>(result: Result<T, F>, ret: impl FnOnce(T) -> Value) -> Outcome {
    match result {
        Ok(v) => Outcome::Return(ret(v)),
        Err(f) => Outcome::Throw(shaped(&f, &[])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    struct Res {
        data: &'static str,
        #[serde(rename = "errMsg")]
        err_msg: &'static str,
    }

    #[test]
    fn values_are_replaced_in_place() {
        let v = shaped(
            &Res {
                data: "lossy",
                err_msg: "getStorage:ok",
            },
            &[("data", json!({"$js": "undefined"}))],
        );
        assert_eq!(
            v,
            json!({"data": {"$js": "undefined"}, "errMsg": "getStorage:ok"})
        );
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"data":{"$js":"undefined"},"errMsg":"getStorage:ok"}"#
        );
    }

    #[test]
    fn failures_are_recognised() {
        assert!(Outcome::Fail(json!({})).is_failure());
        assert!(Outcome::Throw(json!({})).is_failure());
        assert!(Outcome::Return(json!({"success": false, "error": 2})).is_failure());
        assert!(!Outcome::Return(json!({"success": true})).is_failure());
        assert!(!Outcome::Return(json!("")).is_failure());
        assert!(!Outcome::Success(json!({})).is_failure());
    }
}
