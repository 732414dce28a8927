//! What a call ended in: which callback fired, or what a Sync form returned or threw, with the
//! payload as the facade shapes it, and the storage error behind a failure.

use crate::cloud::TtCloudError;
use crate::{MyError, MySyncFailure, TtError, WxError};
use serde::Serialize;
use serde_json::Value;
use storage_core::value::tagged::{to_tagged, TAG};
use storage_core::{Error, JsValue};

/// How a call ended: which callback fired, or whether a Sync form returned or threw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// An asynchronous call succeeded: `success` fires (then `complete`); a Promise resolves.
    Success,
    /// An asynchronous call failed: `fail` fires (then `complete`); a Promise rejects.
    Fail,
    /// A Sync form returned (for Alipay, also when it failed).
    Return,
    /// A Sync form threw (WeChat, Douyin): the payload is `{errMsg, errno}` / `{errMsg, errNo}`.
    Throw,
    /// A Sync form returned an `Error` object built from the payload (Baidu): what a host
    /// would throw, returned instead.
    ReturnError,
}

impl Ending {
    /// The name hosts use for it: `success`, `fail`, `return`, `throw`.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Success => "success",
            Ending::Fail => "fail",
            Ending::Return => "return",
            Ending::Throw => "throw",
            Ending::ReturnError => "return_error",
        }
    }
}

/// What a call hands to JavaScript.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// An object as the facade serializes it (the platform's exact shape). The fields named in
    /// `values` hold stored values: the facades serialize them as `JSON.stringify` shows them,
    /// so a host puts these `JsValue`s, with their types, in their place.
    Shaped {
        /// The serialized object.
        json: Value,
        /// The fields holding stored values (`data`, `dataList`), and those values.
        values: Vec<(&'static str, JsValue)>,
    },
    /// What a Sync form returns: a stored value, `undefined`, or an Array of values.
    Value(JsValue),
}

/// How a call ended, its payload, and, for a failure, the storage error the facade reported
/// (which the platforms' payloads do not always tell apart: a corrupt record and a backend
/// failure are both "internal error").
///
/// ```
/// use serde_json::json;
/// use storage_api::dispatch::{Ending, Outcome};
/// use storage_core::Error;
/// let ok = Outcome::success(json!({"errMsg": "setStorage:ok"}));
/// assert_eq!((ok.ending().name(), ok.is_failure(), ok.cause()), ("success", false, None));
/// let failed = Outcome::failure(Ending::Throw, json!({"errMsg": "x"}), Error::EmptyKey);
/// assert_eq!((failed.ending(), failed.cause()), (Ending::Throw, Some(&Error::EmptyKey)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    ending: Ending,
    payload: Payload,
    cause: Option<Error>,
}

impl Outcome {
    /// An asynchronous call succeeded with the object `json`.
    pub fn success(json: Value) -> Self {
        Outcome::of(Ending::Success, Payload::shaped(json), None)
    }

    /// A Sync form returned `value`.
    pub fn returned(value: JsValue) -> Self {
        Outcome::of(Ending::Return, Payload::Value(value), None)
    }

    /// A Sync form (or a host operation) returned the object `json`.
    pub fn returned_json(json: Value) -> Self {
        Outcome::of(Ending::Return, Payload::shaped(json), None)
    }

    /// A call failed with the platform payload `json`, reporting `cause`: `fail` or `throw`, or
    /// `return` for Alipay's Sync forms (`{success: false, …}`).
    pub fn failure(ending: Ending, json: Value, cause: Error) -> Self {
        Outcome::of(ending, Payload::shaped(json), Some(cause))
    }

    pub(crate) fn of(ending: Ending, payload: Payload, cause: Option<Error>) -> Self {
        Outcome {
            ending,
            payload,
            cause,
        }
    }

    /// How the call ended.
    pub fn ending(&self) -> Ending {
        self.ending
    }

    /// What the call hands to JavaScript.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The payload, taken.
    pub fn into_payload(self) -> Payload {
        self.payload
    }

    /// The value a Sync form returned, if it returned one.
    pub fn value(&self) -> Option<&JsValue> {
        match &self.payload {
            Payload::Value(v) => Some(v),
            Payload::Shaped { .. } => None,
        }
    }

    /// The payload as tagged JSON (`storage_core::value::tagged`): the object as the facade
    /// shaped it, with the fields that hold stored values (or a Sync form's returned value) in
    /// their lossless tagged form. What the bridge answers as `"result"` and the storage
    /// inspector shows.
    ///
    /// ```
    /// use storage_api::dispatch::Outcome;
    /// use storage_core::JsValue;
    /// assert_eq!(Outcome::returned(JsValue::Undefined).tagged(), serde_json::json!({"$js": "undefined"}));
    /// ```
    pub fn tagged(&self) -> Value {
        match &self.payload {
            Payload::Value(v) => to_tagged(v),
            Payload::Shaped { json, values } => {
                // Plain JSON is tagged JSON of itself, but for an object holding the tag key (a
                // dump's values): that one travels escaped, so the host reads back what was sent.
                let mut json = if holds_tag(json) {
                    serde_json::from_value::<JsValue>(json.clone())
                        .map(|v| to_tagged(&v))
                        .unwrap_or_else(|_| json.clone())
                } else {
                    json.clone()
                };
                if let Value::Object(m) = &mut json {
                    for (name, v) in values {
                        // Replacing keeps the field's position (the map preserves order).
                        m.insert((*name).to_owned(), to_tagged(v));
                    }
                }
                json
            }
        }
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

impl Payload {
    fn shaped(json: Value) -> Self {
        Payload::Shaped {
            json,
            values: Vec::new(),
        }
    }
}

/// Whether an object anywhere in `json` has the tag key.
fn holds_tag(json: &Value) -> bool {
    match json {
        Value::Object(m) => m.contains_key(TAG) || m.values().any(holds_tag),
        Value::Array(items) => items.iter().any(holds_tag),
        _ => false,
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

/// A facade result or error as JSON: its serde form, the exact platform shape.
pub(crate) fn to_json<T: Serialize>(payload: &T) -> Value {
    serde_json::to_value(payload).unwrap_or_else(|e| {
        // The facades' result types always serialize; say so rather than panic if one did not.
        serde_json::json!({ "errMsg": format!("mpstore: cannot serialize result: {e}") })
    })
}

/// `err`, failed as `ending`, as an outcome carrying its cause.
pub(crate) fn failed<F: Failure>(ending: Ending, err: &F) -> Outcome {
    Outcome::failure(ending, to_json(err), err.cause().clone())
}

/// `payload` with the fields holding stored values.
pub(crate) fn shaped<T: Serialize>(
    ending: Ending,
    payload: &T,
    values: Vec<(&'static str, JsValue)>,
) -> Outcome {
    Outcome::of(
        ending,
        Payload::Shaped {
            json: to_json(payload),
            values,
        },
        None,
    )
}

/// For [`settle`]: a result with no stored values.
pub(crate) fn no_values<S>(_: &S) -> Vec<(&'static str, JsValue)> {
    Vec::new()
}

/// An asynchronous call's settled result: `success` or `fail`.
pub(crate) fn settle<S: Serialize, F: Failure>(
    result: Result<S, F>,
    values: impl FnOnce(&S) -> Vec<(&'static str, JsValue)>,
) -> Outcome {
    match result {
        Ok(s) => {
            let values = values(&s);
            shaped(Ending::Success, &s, values)
        }
        Err(f) => failed(Ending::Fail, &f),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use storage_core::codes::ApiKind;

    #[test]
    fn failures_are_recognised() {
        let cause = || Error::Backend("disk".into());
        for ending in [Ending::Fail, Ending::Throw, Ending::Return] {
            let o = Outcome::failure(ending, serde_json::json!({}), cause());
            assert!(o.is_failure(), "{ending:?}");
            assert_eq!(o.cause(), Some(&cause()));
            assert_eq!(o.ending(), ending);
        }
        assert!(!Outcome::returned(JsValue::from("")).is_failure());
        assert!(!Outcome::success(serde_json::json!({})).is_failure());
    }

    #[test]
    fn a_failure_keeps_the_facades_cause() {
        let err = WxError::new(
            "getStorage",
            ApiKind::LocalRead,
            &Error::Corrupt("x".into()),
        );
        let o = settle::<(), _>(Err(err.clone()), no_values);
        assert_eq!(o.ending(), Ending::Fail);
        assert_eq!(
            o.payload(),
            &Payload::Shaped {
                json: serde_json::to_value(&err).unwrap(),
                values: vec![]
            }
        );
        assert_eq!(o.cause(), Some(&Error::Corrupt("x".into())));
    }
}
