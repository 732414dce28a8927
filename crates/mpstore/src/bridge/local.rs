//! The local-storage APIs over the bridge: each request becomes one call of the `wx` / `my` /
//! `tt` facade of storage-api, and its result is reported exactly as the facade shaped it.
//!
//! This module decides nothing about limits, keys or messages: it only reads JavaScript
//! arguments as a JS runtime would (a missing argument is `undefined`, an options argument that
//! is not an object has no properties) and hands them to the facade.

use super::outcome::{
    failed, no_values as none, settle, shaped, sync, undefined, value, Ending, Outcome,
};
use super::request::{flag, prop, unknown_api, Args, ProtocolError};
use crate::tagged::TagError;
use serde_json::Value;
use storage_api::{
    GetStorageOption, KvItem, MiniProgram, MyError, MySync, MySyncFailure, SetStorageOption,
    TtError, WxError,
};
use storage_core::codes::ApiKind;
use storage_core::{Dialect, Error, JsType, JsValue};

/// The methods every dialect has.
const COMMON: [&str; 10] = [
    "setStorage",
    "getStorage",
    "removeStorage",
    "clearStorage",
    "getStorageInfo",
    "setStorageSync",
    "getStorageSync",
    "removeStorageSync",
    "clearStorageSync",
    "getStorageInfoSync",
];

/// WeChat's batch methods.
const WX_BATCH: [&str; 4] = [
    "batchSetStorage",
    "batchGetStorage",
    "batchSetStorageSync",
    "batchGetStorageSync",
];

/// Whether `dialect` has the local-storage method `method`.
pub fn is_local_method(dialect: Dialect, method: &str) -> bool {
    COMMON.contains(&method) || (dialect == Dialect::Wx && WX_BATCH.contains(&method))
}

fn kind_of(method: &str) -> ApiKind {
    if method.starts_with("get") || method.starts_with("batchGet") {
        ApiKind::LocalRead
    } else {
        ApiKind::LocalWrite
    }
}

/// Runs `dialect.method(args)` on the mini-program `mp`.
pub fn call(
    mp: &MiniProgram,
    dialect: Dialect,
    method: &str,
    args: Result<Vec<JsValue>, TagError>,
) -> Result<Outcome, ProtocolError> {
    if !is_local_method(dialect, method) {
        return Err(unknown_api(&format!("{}.{method}", dialect.name())));
    }
    let args = match args {
        Ok(args) => Args(args),
        // Contract §1: a lone surrogate is the dialect's parameter error, never stored.
        Err(_) => {
            let err = Error::InvalidParam("string holds a lone UTF-16 surrogate".into());
            return Ok(failure(dialect, method, &err));
        }
    };
    Ok(match dialect {
        Dialect::Wx => wx(mp, method, &args),
        Dialect::Tt => tt(mp, method, &args),
        Dialect::My => my(mp, method, &args),
    })
}

/// How `dialect.method` reports `err` when the arguments could not even be handed to the
/// facade (a lone surrogate, a `kvList` that is not an Array): shaped by the facade's own error
/// types, from the one table of storage-core.
pub(crate) fn failure(dialect: Dialect, method: &str, err: &Error) -> Outcome {
    let kind = kind_of(method);
    let is_sync = method.ends_with("Sync");
    match (dialect, is_sync) {
        (Dialect::Wx, false) => failed(Ending::Fail, &WxError::new(method, kind, err)),
        (Dialect::Wx, true) => failed(Ending::Throw, &WxError::new(method, kind, err)),
        (Dialect::Tt, false) => failed(Ending::Fail, &TtError::new(method, kind, err)),
        (Dialect::Tt, true) => failed(Ending::Throw, &TtError::new(method, kind, err)),
        (Dialect::My, false) => failed(Ending::Fail, &MyError::new(kind, err)),
        (Dialect::My, true) => failed(Ending::Return, &MySyncFailure::new(kind, err)),
    }
}

fn set_option(o: &storage_core::JsObject) -> SetStorageOption {
    SetStorageOption {
        key: prop(o, "key"),
        data: o.get("data").cloned(),
        encrypt: flag(o, "encrypt"),
    }
}

fn get_option(o: &storage_core::JsObject) -> GetStorageOption {
    GetStorageOption {
        key: prop(o, "key"),
        encrypt: flag(o, "encrypt"),
    }
}

fn array(param: &str, v: JsValue) -> Result<Vec<JsValue>, Error> {
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
fn kv_items(list: JsValue) -> Result<Vec<KvItem>, Error> {
    Ok(array("kvList", list)?
        .into_iter()
        .map(|item| match item {
            JsValue::Object(o) => KvItem::new(prop(&o, "key"), prop(&o, "value")),
            _ => KvItem::new(JsValue::Undefined, JsValue::Undefined),
        })
        .collect())
}

/// The calls WeChat and Douyin share, shaped alike (`{errMsg}` successes, thrown Sync errors).
macro_rules! wx_tt_common {
    ($facade:expr, $method:expr, $args:expr) => {{
        let f = $facade;
        let args: &Args = $args;
        let o = args.options(0);
        match $method {
            "setStorage" => Some(settle(f.set_storage_with(set_option(&o)).wait(), none)),
            "getStorage" => Some(settle(f.get_storage_with(get_option(&o)).wait(), |r| {
                vec![("data", value(&r.data))]
            })),
            "removeStorage" => Some(settle(f.remove_storage(prop(&o, "key")).wait(), none)),
            "clearStorage" => Some(settle(f.clear_storage().wait(), none)),
            "getStorageInfo" => Some(settle(f.get_storage_info().wait(), none)),
            "setStorageSync" => Some(sync(
                f.set_storage_sync_with(SetStorageOption {
                    key: args.get(0),
                    data: args.given(1),
                    encrypt: false,
                }),
                |()| undefined(),
            )),
            "getStorageSync" => Some(sync(f.get_storage_sync(args.get(0)), |v| value(&v))),
            "removeStorageSync" => Some(sync(f.remove_storage_sync(args.get(0)), |()| undefined())),
            "clearStorageSync" => Some(sync(f.clear_storage_sync(), |()| undefined())),
            "getStorageInfoSync" => {
                Some(sync(f.get_storage_info_sync(), |info| shaped(&info, &[])))
            }
            _ => None,
        }
    }};
}

fn wx(mp: &MiniProgram, method: &str, args: &Args) -> Outcome {
    let wx = mp.wx();
    if let Some(done) = wx_tt_common!(&wx, method, args) {
        return done;
    }
    let o = args.options(0);
    let result = match method {
        "batchSetStorage" => kv_items(prop(&o, "kvList"))
            .map(|items| settle(wx.batch_set_storage(items).wait(), none)),
        "batchGetStorage" => array("keyList", prop(&o, "keyList")).map(|keys| {
            settle(wx.batch_get_storage(keys).wait(), |r| {
                vec![(
                    "dataList",
                    Value::Array(r.data_list.iter().map(value).collect()),
                )]
            })
        }),
        "batchSetStorageSync" => kv_items(args.get(0))
            .map(|items| sync(wx.batch_set_storage_sync(items), |()| undefined())),
        "batchGetStorageSync" => array("keyList", args.get(0)).map(|keys| {
            sync(wx.batch_get_storage_sync(keys), |values| {
                Value::Array(values.iter().map(value).collect())
            })
        }),
        // `call` checked the method against the table.
        _ => Err(Error::InvalidParam(format!("unknown method {method}"))),
    };
    result.unwrap_or_else(|err| failure(Dialect::Wx, method, &err))
}

fn tt(mp: &MiniProgram, method: &str, args: &Args) -> Outcome {
    wx_tt_common!(&mp.tt(), method, args).unwrap_or_else(|| {
        failure(
            Dialect::Tt,
            method,
            &Error::InvalidParam(format!("unknown method {method}")),
        )
    })
}

/// An Alipay Sync result: always returned, a failure as `{success: false, error, errorMessage}`.
fn my_sync<T: serde::Serialize>(
    result: MySync<T>,
    values: impl FnOnce(&T) -> Vec<(&'static str, Value)>,
) -> Outcome {
    match &result {
        MySync::Ok(t) => Outcome::returned(shaped(&result, &values(t))),
        MySync::Fail(f) => failed(Ending::Return, f),
    }
}

fn my(mp: &MiniProgram, method: &str, args: &Args) -> Outcome {
    let my = mp.my();
    let o = args.options(0);
    match method {
        "setStorage" => settle(my.set_storage_with(set_option(&o)).wait(), none),
        "getStorage" => settle(my.get_storage_with(get_option(&o)).wait(), |r| {
            vec![("data", value(&r.data))]
        }),
        "removeStorage" => settle(my.remove_storage(prop(&o, "key")).wait(), none),
        "clearStorage" => settle(my.clear_storage().wait(), none),
        "getStorageInfo" => settle(my.get_storage_info().wait(), none),
        // Alipay's Sync forms take one options object.
        "setStorageSync" => my_sync(my.set_storage_sync_with(set_option(&o)), none),
        "getStorageSync" => my_sync(my.get_storage_sync(prop(&o, "key")), |r| {
            vec![("data", value(&r.data))]
        }),
        "removeStorageSync" => my_sync(my.remove_storage_sync(prop(&o, "key")), none),
        "clearStorageSync" => my_sync(my.clear_storage_sync(), none),
        "getStorageInfoSync" => my_sync(my.get_storage_info_sync(), none),
        _ => failure(
            Dialect::My,
            method,
            &Error::InvalidParam(format!("unknown method {method}")),
        ),
    }
}
