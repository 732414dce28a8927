//! The local-storage APIs by name: each call becomes one call of the `wx` / `my` / `tt` facade,
//! and its result is reported exactly as the facade shaped it.

use super::outcome::{failed, no_values as none, settle, shaped, sync, Ending, Outcome};
use super::{flag, prop, Api, Args, Family, LoneSurrogate, Refusal};
use crate::{
    GetStorageOption, KvItem, MiniProgram, MyError, MySync, MySyncFailure, SetStorageOption,
    TtError, WxError,
};
use storage_core::{Dialect, Error, JsType, JsValue};

/// Runs `api(args)` on the mini-program `mp`; refused when `api` is not a local-storage API.
pub fn call(
    mp: &MiniProgram,
    api: Api,
    args: Result<Args, LoneSurrogate>,
) -> Result<Outcome, Refusal> {
    if api.family() != Family::Local {
        return Err(Refusal::new(
            "bad_context",
            "cloud APIs run in a game context: {\"game\", \"openid\", \"context\"}",
        ));
    }
    let args = match args {
        Ok(args) => args,
        // Contract §1: a lone surrogate is the dialect's parameter error, never stored.
        Err(LoneSurrogate) => {
            let err = Error::InvalidParam("string holds a lone UTF-16 surrogate".into());
            return Ok(failure(api, &err));
        }
    };
    Ok(match api.dialect() {
        Dialect::Wx => wx(mp, api, &args),
        Dialect::Tt => tt(mp, api, &args),
        Dialect::My => my(mp, api, &args),
        _ => super::generic::call(mp, api, &args),
    })
}

/// How `api` reports `err` when the arguments could not even be handed to the facade (a lone
/// surrogate, a `kvList` that is not an Array, a value JavaScript could not convert, a store
/// that failed outside any call): shaped by the facade's own error types, from the one table of
/// storage-core.
pub fn failure(api: Api, err: &Error) -> Outcome {
    let (kind, method) = (api.kind(), api.name());
    match (api.dialect(), api.is_sync()) {
        (Dialect::Wx, false) => failed(Ending::Fail, &WxError::new(method, kind, err)),
        (Dialect::Wx, true) => failed(Ending::Throw, &WxError::new(method, kind, err)),
        (Dialect::Tt, false) => failed(Ending::Fail, &TtError::new(method, kind, err)),
        (Dialect::Tt, true) => failed(Ending::Throw, &TtError::new(method, kind, err)),
        (Dialect::My, false) => failed(Ending::Fail, &MyError::new(kind, err)),
        (Dialect::My, true) => failed(Ending::Return, &MySyncFailure::new(kind, err)),
        _ => super::generic::failure(api, err),
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

/// What a Sync form returns when it returns nothing.
fn undefined<T>(_: T) -> Outcome {
    Outcome::returned(JsValue::Undefined)
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
                vec![("data", r.data.clone())]
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
                undefined,
            )),
            "getStorageSync" => Some(sync(f.get_storage_sync(args.get(0)), Outcome::returned)),
            "removeStorageSync" => Some(sync(f.remove_storage_sync(args.get(0)), undefined)),
            "clearStorageSync" => Some(sync(f.clear_storage_sync(), undefined)),
            "getStorageInfoSync" => Some(sync(f.get_storage_info_sync(), |info| {
                shaped(Ending::Return, &info, Vec::new())
            })),
            _ => None,
        }
    }};
}

/// A method the table lists and the facade lacks: a bug, reported rather than a panic.
fn unserved(api: Api) -> Outcome {
    failure(
        api,
        &Error::InvalidParam(format!("{} is not served", api.name())),
    )
}

fn wx(mp: &MiniProgram, api: Api, args: &Args) -> Outcome {
    let wx = mp.wx();
    let method = api.name();
    if let Some(done) = wx_tt_common!(&wx, method, args) {
        return done;
    }
    let o = args.options(0);
    let result = match method {
        "batchSetStorage" => kv_items(prop(&o, "kvList"))
            .map(|items| settle(wx.batch_set_storage(items).wait(), none)),
        "batchGetStorage" => array("keyList", prop(&o, "keyList")).map(|keys| {
            settle(wx.batch_get_storage(keys).wait(), |r| {
                vec![("dataList", JsValue::Array(r.data_list.clone()))]
            })
        }),
        "batchSetStorageSync" => {
            kv_items(args.get(0)).map(|items| sync(wx.batch_set_storage_sync(items), undefined))
        }
        "batchGetStorageSync" => array("keyList", args.get(0)).map(|keys| {
            sync(wx.batch_get_storage_sync(keys), |values| {
                Outcome::returned(JsValue::Array(values))
            })
        }),
        _ => return unserved(api),
    };
    result.unwrap_or_else(|err| failure(api, &err))
}

fn tt(mp: &MiniProgram, api: Api, args: &Args) -> Outcome {
    wx_tt_common!(&mp.tt(), api.name(), args).unwrap_or_else(|| unserved(api))
}

/// An Alipay Sync result: always returned, a failure as `{success: false, error, errorMessage}`.
fn my_sync<T: serde::Serialize>(
    result: MySync<T>,
    values: impl FnOnce(&T) -> Vec<(&'static str, JsValue)>,
) -> Outcome {
    match &result {
        MySync::Ok(t) => {
            let values = values(t);
            shaped(Ending::Return, &result, values)
        }
        MySync::Fail(f) => failed(Ending::Return, f),
    }
}

fn my(mp: &MiniProgram, api: Api, args: &Args) -> Outcome {
    let my = mp.my();
    let o = args.options(0);
    let data = |r: &crate::MyData| vec![("data", r.data.clone())];
    match api.name() {
        "setStorage" => settle(my.set_storage_with(set_option(&o)).wait(), none),
        "getStorage" => settle(my.get_storage_with(get_option(&o)).wait(), data),
        "removeStorage" => settle(my.remove_storage(prop(&o, "key")).wait(), none),
        "clearStorage" => settle(my.clear_storage().wait(), none),
        "getStorageInfo" => settle(my.get_storage_info().wait(), none),
        // Alipay's Sync forms take one options object.
        "setStorageSync" => my_sync(my.set_storage_sync_with(set_option(&o)), none),
        "getStorageSync" => my_sync(my.get_storage_sync(prop(&o, "key")), data),
        "removeStorageSync" => my_sync(my.remove_storage_sync(prop(&o, "key")), none),
        "clearStorageSync" => my_sync(my.clear_storage_sync(), none),
        "getStorageInfoSync" => my_sync(my.get_storage_info_sync(), none),
        _ => unserved(api),
    }
}
