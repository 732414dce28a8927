//! The local-storage APIs of every dialect, served from its specification
//! ([`storage_core::dialect::Spec`]): what each API reads, does and answers follows from the
//! spec's shape, Sync forms, missing-key rule and error rows, over the same engine as the typed
//! Rust facades.

use super::outcome::{Ending, Outcome, Payload};
use super::{flag, prop, Api, Args};
use crate::local::or_empty_string;
use crate::KvItem;
use serde_json::{json, Map, Value};
use storage_core::dialect::{MissingKey, Shape, Spec, SyncFailure};
use storage_core::{block_on, platform_error_in, Error, JsType, JsValue, Result};

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
    // WeChat's `encrypt`, in its async forms only; the other dialects have no such option.
    let encrypt = !sync && spec.policy.encrypt_factor.is_some() && flag(&o, "encrypt");
    // A batch API's one list: its first argument (Sync) or its options' `kvList` / `keyList`.
    let list = |name: &str| if sync { args.get(0) } else { prop(&o, name) };
    let result: Result<Answer> = match base {
        "setStorage" => {
            let key = key();
            run(
                sync,
                || local.set(&policy, &key, data(), encrypt),
                || local.set_blocking(&policy, &key, data()),
            )
            .map(|()| Answer::Done)
        }
        "getStorage" => {
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
            run(sync, || local.remove(&key), || local.remove_blocking(&key)).map(|()| Answer::Done)
        }
        "clearStorage" => block_on(local.clear()).map(|()| Answer::Done),
        "getStorageInfo" => block_on(local.info(&policy)).map(|info| {
            Answer::Info(json!({
                "keys": info.keys,
                "currentSize": info.current_size,
                "limitSize": info.limit_size,
            }))
        }),
        "batchSetStorage" => kv_items(list("kvList")).and_then(|items| {
            if sync {
                local.batch_set_blocking(&policy, items)
            } else {
                block_on(local.batch_set(&policy, items))
            }
            .map(|()| Answer::Done)
        }),
        "batchGetStorage" => array("keyList", list("keyList"))
            .and_then(|keys| block_on(local.batch_get(keys)))
            .map(Answer::List),
        _ => Err(Error::InvalidParam(format!("{} is not served", api.name()))),
    };
    match result {
        Ok(answer) => success(spec, api, sync, answer),
        Err(err) => failure(api, &err),
    }
}

/// A write through the blocking door for a Sync form, or the async one; only the door taken is
/// built, so its data is copied once.
fn run<F: std::future::Future<Output = Result<()>>>(
    sync: bool,
    write: impl FnOnce() -> F,
    blocking: impl FnOnce() -> Result<()>,
) -> Result<()> {
    if sync {
        blocking()
    } else {
        block_on(write())
    }
}

fn array(param: &str, v: JsValue) -> Result<Vec<JsValue>> {
    match v {
        JsValue::Array(items) => Ok(items),
        other => Err(Error::WrongType {
            param: param.to_owned(),
            expected: JsType::Array,
            actual: other.js_type(),
        }),
    }
}

/// `kvList`: an Array of `{key, value}`; an item that is not an object has neither.
fn kv_items(list: JsValue) -> Result<Vec<KvItem>> {
    Ok(array("kvList", list)?
        .into_iter()
        .map(|item| match item {
            JsValue::Object(o) => KvItem::new(prop(&o, "key"), prop(&o, "value")),
            _ => KvItem::new(JsValue::Undefined, JsValue::Undefined),
        })
        .collect())
}

/// What a call succeeded with, before the dialect shapes it.
enum Answer {
    /// A write: nothing to hand back.
    Done,
    /// A read's value.
    Data(JsValue),
    /// A batch read's values, in the order of its keys.
    List(Vec<JsValue>),
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
        Answer::List(values) if sync => Outcome::returned(JsValue::Array(values)),
        Answer::List(values) => shaped(
            ending,
            json!({"dataList": null, "errMsg": ok}),
            vec![("dataList", JsValue::Array(values))],
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
