//! The parameter rows of behaviour §4: empty key, non-string key, missing data.

use crate::common::*;
use serde_json::{json, Value};
use storage_api::{GetStorageOption, SetStorageOption};
use storage_core::{Dialect, JsDate, JsObject, JsValue};

/// On a fresh namespace, `call` gives exactly `expected`, and nothing was stored.
fn check(d: Dialect, call: impl Fn(&storage_api::MiniProgram, Dialect) -> Value, expected: Value) {
    let mp = fresh();
    assert_eq!(call(&mp, d), expected, "{d:?}");
    assert!(
        storage_info(&mp, d).keys.is_empty(),
        "{d:?}: a failed call stored something"
    );
}

fn set_key(key: impl Into<JsValue>) -> SetStorageOption {
    SetStorageOption::new(key, "v")
}

fn no_data() -> SetStorageOption {
    SetStorageOption {
        key: "k".into(),
        data: None,
        encrypt: false,
    }
}

#[rustfmt::skip]
#[test]
fn empty_key() {
    check(Wx, |mp, d| set(mp, d, "", "v"), json!({"fail": {"errMsg": "setStorage:fail invalid key", "errno": 800003}}));
    check(Wx, |mp, d| set_sync(mp, d, "", "v"), json!({"throw": {"errMsg": "setStorageSync:fail invalid key", "errno": 800003}}));
    check(Wx, |mp, d| get(mp, d, ""), json!({"fail": {"errMsg": "getStorage:fail invalid key", "errno": 800003}}));
    check(Wx, |mp, d| get_sync(mp, d, ""), json!({"throw": {"errMsg": "getStorageSync:fail invalid key", "errno": 800003}}));
    check(Wx, |mp, d| remove(mp, d, ""), json!({"fail": {"errMsg": "removeStorage:fail invalid key", "errno": 800003}}));
    check(Wx, |mp, d| remove_sync(mp, d, ""), json!({"throw": {"errMsg": "removeStorageSync:fail invalid key", "errno": 800003}}));
    check(My, |mp, d| set(mp, d, "", "v"), json!({"fail": {"error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| set_sync(mp, d, "", "v"), json!({"return": {"success": false, "error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| get(mp, d, ""), json!({"fail": {"error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| get_sync(mp, d, ""), json!({"return": {"success": false, "error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| remove(mp, d, ""), json!({"fail": {"error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| remove_sync(mp, d, ""), json!({"return": {"success": false, "error": 2, "errorMessage": "必填参数为空"}}));
    check(Tt, |mp, d| set(mp, d, "", "v"), json!({"fail": {"errMsg": "setStorage:fail key is illegal", "errNo": 20000}}));
    check(Tt, |mp, d| set_sync(mp, d, "", "v"), json!({"throw": {"errMsg": "setStorageSync:fail key is illegal", "errNo": 20000}}));
    check(Tt, |mp, d| get(mp, d, ""), json!({"fail": {"errMsg": "getStorage:fail key is illegal", "errNo": 20000}}));
    check(Tt, |mp, d| get_sync(mp, d, ""), json!({"throw": {"errMsg": "getStorageSync:fail key is illegal", "errNo": 20000}}));
    check(Tt, |mp, d| remove(mp, d, ""), json!({"fail": {"errMsg": "removeStorage:fail key is illegal", "errNo": 20000}}));
    check(Tt, |mp, d| remove_sync(mp, d, ""), json!({"throw": {"errMsg": "removeStorageSync:fail key is illegal", "errNo": 20000}}));
}

#[rustfmt::skip]
#[test]
fn non_string_key() {
    // WeChat's base library: `parameter.key` in an options object, `parameter` (the first
    // argument) in a positional Sync form, and a trailing `;`.
    let wx_type = |api: &str, ty: &str| {
        let parameter = if api.ends_with("Sync") { "parameter" } else { "parameter.key" };
        format!("{api}:fail parameter error: {parameter} should be String instead of {ty};")
    };
    check(Wx, |mp, d| set_with(mp, d, set_key(1)), json!({"fail": {"errMsg": wx_type("setStorage", "Number")}}));
    check(Wx, |mp, d| set_with(mp, d, set_key(JsValue::Null)), json!({"fail": {"errMsg": wx_type("setStorage", "Null")}}));
    check(Wx, |mp, d| set_with(mp, d, set_key(JsValue::Undefined)), json!({"fail": {"errMsg": wx_type("setStorage", "Undefined")}}));
    check(Wx, |mp, d| set_with(mp, d, set_key(true)), json!({"fail": {"errMsg": wx_type("setStorage", "Boolean")}}));
    check(Wx, |mp, d| set_with(mp, d, set_key(JsObject::new())), json!({"fail": {"errMsg": wx_type("setStorage", "Object")}}));
    check(Wx, |mp, d| set_with(mp, d, set_key(vec![JsValue::from("k")])), json!({"fail": {"errMsg": wx_type("setStorage", "Array")}}));
    check(Wx, |mp, d| set_with(mp, d, set_key(JsDate::from_millis(0.0))), json!({"fail": {"errMsg": wx_type("setStorage", "Date")}}));
    check(Wx, |mp, d| set_sync_with(mp, d, set_key(1)), json!({"throw": {"errMsg": wx_type("setStorageSync", "Number")}}));
    check(Wx, |mp, d| get_with(mp, d, GetStorageOption::new(1)), json!({"fail": {"errMsg": wx_type("getStorage", "Number")}}));
    check(Wx, |mp, d| get_sync(mp, d, 1), json!({"throw": {"errMsg": wx_type("getStorageSync", "Number")}}));
    check(Wx, |mp, d| remove(mp, d, 1), json!({"fail": {"errMsg": wx_type("removeStorage", "Number")}}));
    check(Wx, |mp, d| remove_sync(mp, d, false), json!({"throw": {"errMsg": wx_type("removeStorageSync", "Boolean")}}));
    check(My, |mp, d| set_with(mp, d, set_key(1)), json!({"fail": {"error": 2, "errorMessage": "参数无效"}}));
    check(My, |mp, d| set_with(mp, d, set_key(JsValue::Undefined)), json!({"fail": {"error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| set_sync_with(mp, d, set_key(JsValue::Null)), json!({"return": {"success": false, "error": 2, "errorMessage": "参数无效"}}));
    check(My, |mp, d| get(mp, d, 1), json!({"fail": {"error": 2, "errorMessage": "参数无效"}}));
    check(My, |mp, d| get_sync(mp, d, JsValue::Undefined), json!({"return": {"success": false, "error": 2, "errorMessage": "必填参数为空"}}));
    check(My, |mp, d| remove_sync(mp, d, 1), json!({"return": {"success": false, "error": 2, "errorMessage": "参数无效"}}));
    check(Tt, |mp, d| set_with(mp, d, set_key(1)), json!({"fail": {"errMsg": "setStorage:fail invalid param", "errNo": 20001}}));
    check(Tt, |mp, d| set_sync_with(mp, d, set_key(JsValue::Null)), json!({"throw": {"errMsg": "setStorageSync:fail invalid param", "errNo": 20001}}));
    check(Tt, |mp, d| get(mp, d, 1), json!({"fail": {"errMsg": "getStorage:fail invalid param", "errNo": 20001}}));
    check(Tt, |mp, d| get_sync(mp, d, 1), json!({"throw": {"errMsg": "getStorageSync:fail invalid param", "errNo": 20001}}));
    check(Tt, |mp, d| remove(mp, d, 1), json!({"fail": {"errMsg": "removeStorage:fail invalid param", "errNo": 20001}}));
}

#[rustfmt::skip]
#[test]
fn missing_data() {
    check(Wx, |mp, d| set_with(mp, d, no_data()), json!({"fail": {"errMsg": "setStorage:fail parameter error: parameter.data is required"}}));
    check(Wx, |mp, d| set_sync_with(mp, d, no_data()), json!({"throw": {"errMsg": "setStorageSync:fail parameter error: parameter.data is required"}}));
    check(My, |mp, d| set_with(mp, d, no_data()), json!({"fail": {"error": 2, "errorMessage": "参数无效"}}));
    check(My, |mp, d| set_sync_with(mp, d, no_data()), json!({"return": {"success": false, "error": 2, "errorMessage": "参数无效"}}));
    check(Tt, |mp, d| set_with(mp, d, no_data()), json!({"fail": {"errMsg": "setStorage:fail invalid param", "errNo": 20001}}));
    check(Tt, |mp, d| set_sync_with(mp, d, no_data()), json!({"throw": {"errMsg": "setStorageSync:fail invalid param", "errNo": 20001}}));
}

#[test]
fn explicit_undefined_data_is_stored() {
    for d in crate::common::TYPED {
        let mp = fresh();
        set_with(&mp, d, SetStorageOption::new("k", JsValue::Undefined));
        assert_eq!(storage_info(&mp, d).keys, ["k"], "{d:?}");
        assert_eq!(value(&mp, d, "k"), JsValue::Undefined, "{d:?}");
    }
}

#[test]
fn keys_that_look_alike_are_different_keys() {
    for d in crate::common::TYPED {
        let mp = fresh();
        let keys = [
            "a", "a ", " a", "A", "\u{e9}", "e\u{301}", "a/b", "a:b", "\0", "\u{2028}", "😀",
        ];
        for (i, k) in keys.iter().enumerate() {
            set_sync(&mp, d, *k, i as i32);
        }
        assert_eq!(storage_info(&mp, d).keys, keys, "{d:?}");
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                value_sync(&mp, d, k),
                JsValue::from(i as i32),
                "{d:?} {k:?}"
            );
        }
    }
}

/// `[[[…]]]`, nested `depth` levels.
fn nested(depth: usize) -> JsValue {
    (0..depth).fold(JsValue::Null, |inner, _| JsValue::Array(vec![inner]))
}

#[rustfmt::skip]
#[test]
fn values_nested_deeper_than_100_levels_are_refused() {
    let deep = || nested(1_000);
    check(Wx, |mp, d| set(mp, d, "k", deep()), json!({"fail": {"errMsg": "setStorage:fail parameter error: data nests deeper than 100 levels"}}));
    check(My, |mp, d| set_sync(mp, d, "k", deep()), json!({"return": {"success": false, "error": 2, "errorMessage": "参数无效"}}));
    check(Tt, |mp, d| set(mp, d, "k", deep()), json!({"fail": {"errMsg": "setStorage:fail invalid param", "errNo": 20001}}));
    for d in crate::common::TYPED {
        let mp = fresh();
        set_sync(&mp, d, "k", nested(100));
        assert_eq!(value_sync(&mp, d, "k"), nested(100), "{d:?}");
    }
}
