//! The local-storage APIs of the dialects served from their specification alone
//! ([`storage_core::dialect::Spec`]): what each API reads, does and answers follows from the
//! spec's shape, Sync forms, missing-key rule and error rows, over the same engine as the typed
//! facades.

use super::outcome::{Ending, Outcome, Payload};
use super::{flag, prop, Api, Args};
use crate::local::or_empty_string;
use serde_json::{json, Map, Value};
use storage_core::dialect::{MissingKey, Shape, Spec, SyncFailure};
use storage_core::{block_on, platform_error_in, Error, JsValue, Result};

/// Runs `api(args)` on `mp` as `api`'s dialect specifies.
pub(crate) fn call(mp: &crate::MiniProgram, api: Api, args: &Args) -> Outcome {
    let spec = api.dialect().spec();
    let local = mp.local();
    let sync = api.is_sync();
    // Async forms, and Alipay-like Sync forms, take one options object.
    let options = !sync || spec.sync_object;
    let o = args.options(0);
    let key = || {
        if options {
            prop(&o, "key")
        } else {
            args.get(0)
        }
    };
    let data = || {
        let given = if options {
            o.get("data").cloned()
        } else {
            args.given(1)
        };
        given.or(spec.data_optional.then_some(JsValue::Undefined))
    };
    let policy = local.policy(&spec.policy);
    let base = api.name().trim_end_matches("Sync");
    let result: Result<Answer> = match base {
        "setStorage" => {
            let encrypt = !sync && spec.policy.encrypt_factor.is_some() && flag(&o, "encrypt");
            run(sync, local.set(&policy, &key(), data(), encrypt), || {
                local.set_blocking(&policy, &key(), data())
            })
            .map(|()| Answer::Done)
        }
        "getStorage" => {
            let encrypt = !sync && flag(&o, "encrypt");
            let key = key();
            block_on(local.get(&key, encrypt)).and_then(|found| match found {
                Some(v) => Ok(Answer::Data(v)),
                None if sync && spec.shape == Shape::Alipay => Ok(Answer::Data(JsValue::Null)),
                None if sync => Ok(Answer::Data(or_empty_string(None))),
                None => match spec.missing_key {
                    MissingKey::Empty => Ok(Answer::Data(JsValue::from(""))),
                    MissingKey::Null => Ok(Answer::Data(JsValue::Null)),
                    MissingKey::Fail => Err(Error::NotFound {
                        key: match key {
                            JsValue::String(s) => String::from(s),
                            _ => String::new(),
                        },
                    }),
                },
            })
        }
        "removeStorage" => {
            let key = key();
            run(sync, local.remove(&key), || local.remove_blocking(&key)).map(|()| Answer::Done)
        }
        "clearStorage" => block_on(local.clear()).map(|()| Answer::Done),
        "getStorageInfo" => block_on(local.info(&policy)).map(|info| {
            Answer::Info(json!({
                "keys": info.keys,
                "currentSize": info.current_size,
                "limitSize": info.limit_size,
            }))
        }),
        _ => Err(Error::InvalidParam(format!("{} is not served", api.name()))),
    };
    match result {
        Ok(answer) => success(spec, api, sync, answer),
        Err(err) => failure(api, &err),
    }
}

/// A write through the async door, or the blocking one for a Sync form.
fn run(
    sync: bool,
    write: impl std::future::Future<Output = Result<()>>,
    blocking: impl FnOnce() -> Result<()>,
) -> Result<()> {
    if sync {
        blocking()
    } else {
        block_on(write)
    }
}

/// What a call succeeded with, before the dialect shapes it.
enum Answer {
    /// A write: nothing to hand back.
    Done,
    /// A read's value.
    Data(JsValue),
    /// `getStorageInfo`'s fields.
    Info(Value),
}

fn success(spec: &Spec, api: Api, sync: bool, answer: Answer) -> Outcome {
    let ok = format!("{}:ok", api.name());
    let alipay = spec.shape == Shape::Alipay;
    let shaped = |ending, json: Value, values: Vec<(&'static str, JsValue)>| {
        Outcome::of(ending, Payload::Shaped { json, values }, None)
    };
    let ending = if sync {
        Ending::Return
    } else {
        Ending::Success
    };
    match answer {
        // Sync writes of the errMsg dialects return nothing.
        Answer::Done if sync && !alipay => Outcome::returned(JsValue::Undefined),
        Answer::Done if alipay => shaped(ending, json!({"success": true}), vec![]),
        Answer::Done => shaped(ending, json!({"errMsg": ok}), vec![]),
        Answer::Data(v) if sync && !alipay => Outcome::returned(v),
        Answer::Data(v) if alipay => shaped(ending, json!({"data": null}), vec![("data", v)]),
        Answer::Data(v) => shaped(
            ending,
            json!({"data": null, "errMsg": ok}),
            vec![("data", v)],
        ),
        Answer::Info(info) if sync || alipay => shaped(ending, info, vec![]),
        Answer::Info(mut info) => {
            info["errMsg"] = ok.into();
            shaped(ending, info, vec![])
        }
    }
}

/// How `api` of a dialect served from its specification reports `err`.
pub(crate) fn failure(api: Api, err: &Error) -> Outcome {
    let spec = api.dialect().spec();
    let p = platform_error_in(api.dialect(), api.kind(), api.name(), err);
    let mut m = Map::new();
    match spec.shape {
        Shape::Alipay => {
            if api.is_sync() {
                m.insert("success".into(), false.into());
            }
            m.insert("error".into(), p.code.into());
            m.insert("errorMessage".into(), p.message.into());
        }
        Shape::ErrMsg { code } => {
            m.insert(
                "errMsg".into(),
                format!("{}:fail {}", api.name(), p.message).into(),
            );
            if let Some(c) = p.code {
                m.insert(p.field.unwrap_or(code).into(), c.into());
            }
            if let Some(t) = p.error_type {
                m.insert("errorType".into(), t.into());
            }
        }
    }
    let ending = match (api.is_sync(), spec.sync_failure) {
        (false, _) => Ending::Fail,
        (true, SyncFailure::Throw) => Ending::Throw,
        (true, SyncFailure::ReturnError) => Ending::ReturnError,
        (true, SyncFailure::ReturnObject) => Ending::Return,
    };
    Outcome::failure(ending, Value::Object(m), err.clone())
}
