//! What a call ended in, as the bridge reports it: which callback fired, or what a Sync form
//! returned or threw, with the payload exactly as the facade serializes it, and the storage
//! error behind a failure (for the command line's exit codes).

use crate::tagged::to_tagged;
use serde::Serialize;
use serde_json::Value;
use storage_api::cloud::TtCloudError;
use storage_api::{MyError, MySyncFailure, TtError, WxError};
use storage_core::{Error, JsValue};

/// How a call ended: which callback fired, or whether a Sync form returned or threw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// An asynchronous call succeeded: `success` fired (then `complete`); a Promise resolves.
    Success,
    /// An asynchronous call failed: `fail` fired (then `complete`); a Promise rejects.
    Fail,
    /// A Sync form returned (for Alipay, also when it failed).
    Return,
    /// A Sync form threw (WeChat, Douyin): the payload is `{errMsg, errno}` / `{errMsg, errNo}`.
    Throw,
}

/// How a call ended, the payload exactly as the facade serializes it, and, for a failure, the
/// storage error the facade reported (which the platforms' payloads do not always tell apart:
/// a corrupt record and a backend failure are both "internal error").
///
/// ```
/// use mpstore::bridge::outcome::{Ending, Outcome};
/// use serde_json::json;
/// use storage_core::Error;
/// let ok = Outcome::success(json!({"errMsg": "setStorage:ok"}));
/// assert_eq!((ok.name(), ok.is_failure(), ok.cause()), ("success", false, None));
/// let failed = Outcome::failure(Ending::Throw, json!({"errMsg": "x"}), Error::EmptyKey);
/// assert_eq!((failed.name(), failed.cause()), ("throw", Some(&Error::EmptyKey)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    ending: Ending,
    result: Value,
    cause: Option<Error>,
}

impl Outcome {
    /// An asynchronous call succeeded with `result`.
    pub fn success(result: Value) -> Self {
        Outcome {
            ending: Ending::Success,
            result,
            cause: None,
        }
    }

    /// A Sync form returned `result` (a success).
    pub fn returned(result: Value) -> Self {
        Outcome {
            ending: Ending::Return,
            result,
            cause: None,
        }
    }

    /// A call failed with the platform payload `result`, reporting `cause`: `fail` or `throw`,
    /// or `return` for Alipay's Sync forms (`{success: false, …}`).
    pub fn failure(ending: Ending, result: Value, cause: Error) -> Self {
        Outcome {
            ending,
            result,
            cause: Some(cause),
        }
    }

    /// How the call ended.
    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// The `"outcome"` field of the response.
    pub fn name(&self) -> &'static str {
        match self.ending {
            Ending::Success => "success",
            Ending::Fail => "fail",
            Ending::Return => "return",
            Ending::Throw => "throw",
        }
    }

    /// The `"result"` field of the response.
    pub fn result(&self) -> &Value {
        &self.result
    }

    /// Whether the call failed (for Alipay's Sync forms: returned `success: false`).
    pub fn is_failure(&self) -> bool {
        self.cause.is_some()
    }

    /// The storage error a failed call reported; `None` for a success.
    pub fn cause(&self) -> Option<&Error> {
        self.cause.as_ref()
    }
}

/// A facade's failure type: serialized as the platform shows it, and keeping its cause.
pub trait Failure: Serialize {
    /// The storage error the failure reports.
    fn cause(&self) -> &Error;
}

macro_rules! failures {
    ($($ty:ty),*) => {$(
        impl Failure for $ty {
            fn cause(&self) -> &Error {
                <$ty>::cause(self)
            }
        }
    )*};
}

failures!(WxError, TtError, MyError, MySyncFailure, TtCloudError);

/// `err`, failed as `ending`, as an outcome carrying its cause.
pub fn failed<F: Failure>(ending: Ending, err: &F) -> Outcome {
    Outcome::failure(ending, shaped(err, &[]), err.cause().clone())
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
pub fn settle<S: Serialize, F: Failure>(
    result: Result<S, F>,
    values: impl FnOnce(&S) -> Vec<(&'static str, Value)>,
) -> Outcome {
    match result {
        Ok(s) => {
            let values = values(&s);
            Outcome::success(shaped(&s, &values))
        }
        Err(f) => failed(Ending::Fail, &f),
    }
}

/// A throwing Sync form's result (WeChat, Douyin): `return` or `throw`.
pub fn sync<T, F: Failure>(result: Result<T, F>, ret: impl FnOnce(T) -> Value) -> Outcome {
    match result {
        Ok(v) => Outcome::returned(ret(v)),
        Err(f) => failed(Ending::Throw, &f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use storage_core::codes::ApiKind;

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
        let cause = || Error::Backend("disk".into());
        for ending in [Ending::Fail, Ending::Throw, Ending::Return] {
            let o = Outcome::failure(ending, json!({}), cause());
            assert!(o.is_failure(), "{ending:?}");
            assert_eq!(o.cause(), Some(&cause()));
            assert_eq!(o.ending(), ending);
        }
        assert!(!Outcome::returned(json!({"success": true})).is_failure());
        assert!(!Outcome::returned(json!("")).is_failure());
        assert!(!Outcome::success(json!({})).is_failure());
    }

    #[test]
    fn a_failure_keeps_the_facades_cause() {
        let err = WxError::new(
            "getStorage",
            ApiKind::LocalRead,
            &Error::Corrupt("x".into()),
        );
        let o = settle::<(), _>(Err(err.clone()), no_values);
        assert_eq!(o.name(), "fail");
        assert_eq!(o.result(), &serde_json::to_value(&err).unwrap());
        assert_eq!(o.cause(), Some(&Error::Corrupt("x".into())));
        let o = sync::<(), _>(Err(err), |()| undefined());
        assert_eq!(
            (o.name(), o.cause()),
            ("throw", Some(&Error::Corrupt("x".into())))
        );
    }
}
