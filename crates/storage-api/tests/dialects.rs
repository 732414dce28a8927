//! The dialects served from their specification alone (QQ, Kuaishou, Baidu, Douyin mini-apps,
//! Lark), through `storage_api::dispatch`, as a bridge or the Node addon calls them: limits at
//! their boundaries in their units, every failure in the dialect's shape, and what each form
//! (async, Sync) ends in. Sources and decisions: docs/api.md, "Sources".

use serde_json::{json, Value};
use storage_api::dispatch::{local, Api, Args, Ending, Outcome, Payload};
use storage_api::{MiniProgram, Mpstore};
use storage_core::{Dialect, JsObject, JsValue, Scope};

fn program() -> MiniProgram {
    Mpstore::in_memory()
        .mini_program("u", "app", Scope::App)
        .unwrap()
}

/// `d.api(args)` on `mp`: how it ended, and its payload as JSON.
fn call(mp: &MiniProgram, d: Dialect, api: &str, args: Vec<JsValue>) -> (Ending, Value) {
    let api = Api::find(d, api).unwrap_or_else(|| panic!("{d:?} has no {api}"));
    let outcome: Outcome = local::call(mp, api, Ok(Args(args))).unwrap();
    let json = match outcome.payload() {
        Payload::Value(v) => serde_json::to_value(v).unwrap(),
        Payload::Shaped { json, values } => {
            let mut json = json.clone();
            for (name, v) in values {
                json[*name] = serde_json::to_value(v).unwrap();
            }
            json
        }
    };
    (outcome.ending(), json)
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let mut o = JsObject::new();
    for (k, v) in pairs {
        o.insert(*k, v.clone());
    }
    JsValue::Object(o)
}

/// A Sync set of `key` = `data`, positional as these dialects take it.
fn set_sync(mp: &MiniProgram, d: Dialect, key: &str, data: JsValue) -> (Ending, Value) {
    call(mp, d, "setStorageSync", vec![key.into(), data])
}

use Dialect::{Ks, Lark, Qq, Swan, TtApp};
use Ending::{Fail, Return, ReturnError, Success, Throw};

const NEW: [Dialect; 5] = [Qq, Ks, Swan, TtApp, Lark];

#[test]
fn each_is_named_and_lists_its_apis() {
    for (d, name, object) in [
        (Qq, "qq", "qq"),
        (Ks, "ks", "ks"),
        (Swan, "swan", "swan"),
        (TtApp, "tt-app", "tt"),
        (Lark, "lark", "tt"),
    ] {
        assert_eq!((d.name(), d.spec().object), (name, object));
        assert_eq!(name.parse::<Dialect>().unwrap(), d);
        assert_eq!(
            Api::all(d).count(),
            10,
            "{d:?}: the five APIs and their Sync forms"
        );
        assert!(Api::find(d, "batchSetStorage").is_none());
    }
}

#[test]
fn a_missing_key() {
    for (d, async_end, async_json) in [
        (
            Qq,
            Fail,
            json!({"errMsg": "getStorage:fail data not found"}),
        ),
        (
            Ks,
            Fail,
            json!({"errMsg": "getStorage:fail data not found"}),
        ),
        (
            Swan,
            Success,
            json!({"data": "", "errMsg": "getStorage:ok"}),
        ),
        (
            TtApp,
            Success,
            json!({"data": "", "errMsg": "getStorage:ok"}),
        ),
        (
            Lark,
            Success,
            json!({"data": "", "errMsg": "getStorage:ok"}),
        ),
    ] {
        let mp = program();
        let got = call(&mp, d, "getStorage", vec![options(&[("key", "k".into())])]);
        assert_eq!(got, (async_end, async_json), "{d:?}");
        assert_eq!(
            call(&mp, d, "getStorageSync", vec!["k".into()]),
            (Return, json!("")),
            "{d:?}"
        );
    }
}

#[test]
fn successes_in_every_form() {
    for d in NEW {
        let mp = program();
        assert_eq!(
            set_sync(&mp, d, "k", 1.into()),
            (Return, Value::Null),
            "{d:?}"
        );
        let set = call(
            &mp,
            d,
            "setStorage",
            vec![options(&[("key", "j".into()), ("data", "v".into())])],
        );
        assert_eq!(set, (Success, json!({"errMsg": "setStorage:ok"})), "{d:?}");
        let get = call(&mp, d, "getStorage", vec![options(&[("key", "k".into())])]);
        assert_eq!(
            get,
            (Success, json!({"data": 1, "errMsg": "getStorage:ok"})),
            "{d:?}"
        );
        assert_eq!(
            call(&mp, d, "getStorageSync", vec!["j".into()]),
            (Return, json!("v"))
        );
        let info = call(&mp, d, "getStorageInfoSync", vec![]);
        assert_eq!(
            info,
            (
                Return,
                json!({"keys": ["k", "j"], "currentSize": 1, "limitSize": 10240})
            ),
            "{d:?}"
        );
        let removed = call(
            &mp,
            d,
            "removeStorage",
            vec![options(&[("key", "k".into())])],
        );
        assert_eq!(removed, (Success, json!({"errMsg": "removeStorage:ok"})));
        assert_eq!(
            call(&mp, d, "clearStorageSync", vec![]),
            (Return, Value::Null)
        );
        assert_eq!(call(&mp, d, "getStorageInfo", vec![]).1["keys"], json!([]));
    }
}

#[test]
fn an_empty_key_in_each_dialects_words() {
    for (d, sync_end, sync_json) in [
        (
            Qq,
            Throw,
            json!({"errMsg": "setStorageSync:fail key is empty"}),
        ),
        (
            Ks,
            Throw,
            json!({"errMsg": "setStorageSync:fail invalid key"}),
        ),
        (
            Swan,
            ReturnError,
            json!({"errMsg": "setStorageSync:fail 解析失败，请检查参数是否正确", "errCode": 202}),
        ),
        (
            TtApp,
            Throw,
            json!({"errMsg": "setStorageSync:fail the length of params.key should be greater than or equal to 1", "errorCode": 117_799, "errorType": "D"}),
        ),
        (
            Lark,
            Throw,
            json!({"errMsg": "setStorageSync:fail the length of params.key should be greater than or equal to 1"}),
        ),
    ] {
        assert_eq!(
            set_sync(&program(), d, "", 1.into()),
            (sync_end, sync_json),
            "{d:?}"
        );
    }
    // Douyin mini-apps: a read's parameter failure has the read code.
    let got = call(&program(), TtApp, "getStorageSync", vec!["".into()]);
    assert_eq!(got.1["errorCode"], json!(100_599));
    assert_eq!(
        got.1["errMsg"],
        json!("getStorageSync:fail the length of inputs[0] should be greater than or equal to 1")
    );
}

#[test]
fn a_key_that_is_not_a_string_and_missing_data() {
    let qq = call(
        &program(),
        Qq,
        "setStorage",
        vec![options(&[("key", 1.into()), ("data", 1.into())])],
    );
    assert_eq!(
        qq,
        (
            Fail,
            json!({"errMsg": "setStorage:fail parameter error: parameter.key should be String instead of Number;"})
        )
    );
    let tt_app = call(
        &program(),
        TtApp,
        "setStorage",
        vec![options(&[("key", 1.into()), ("data", 1.into())])],
    );
    assert_eq!(
        tt_app.1,
        json!({"errMsg": "setStorage:fail params.key should be string", "errorCode": 117_799, "errorType": "D"})
    );
    // Douyin mini-apps and Lark store undefined for a missing data; the others refuse it.
    for d in [TtApp, Lark] {
        let mp = program();
        let got = call(&mp, d, "setStorage", vec![options(&[("key", "k".into())])]);
        assert_eq!(got, (Success, json!({"errMsg": "setStorage:ok"})), "{d:?}");
        assert_eq!(
            call(&mp, d, "getStorageInfoSync", vec![]).1["keys"],
            json!(["k"])
        );
    }
    let swan = call(
        &program(),
        Swan,
        "setStorage",
        vec![options(&[("key", "k".into())])],
    );
    assert_eq!(
        swan,
        (
            Fail,
            json!({"errMsg": "setStorage:fail 解析失败，请检查参数是否正确", "errCode": 202})
        )
    );
}

/// Entry limits at the boundary, in each dialect's unit.
#[test]
fn entry_limits_at_the_boundary() {
    // QQ, Kuaishou: key + value ≤ 1,048,576 UTF-16 units (a String is measured as itself).
    for (d, fail) in [
        (Qq, "entry size limit reached"),
        (Ks, "entry size limit reached"),
    ] {
        let mp = program();
        assert_eq!(
            set_sync(&mp, d, "k", "x".repeat(1_048_575).into()).0,
            Return,
            "{d:?}"
        );
        let got = set_sync(&mp, d, "k", "x".repeat(1_048_576).into());
        assert_eq!(
            got,
            (
                Throw,
                json!({"errMsg": format!("setStorageSync:fail {fail}")})
            ),
            "{d:?}"
        );
    }
    // Douyin mini-apps, Lark: the value ≤ 1,048,576 UTF-8 bytes, the key not counted.
    for (d, fields) in [(TtApp, json!({"errNo": 21_101})), (Lark, json!({}))] {
        let mp = program();
        assert_eq!(
            set_sync(
                &mp,
                d,
                "a-long-key",
                format!("{}x", "杭".repeat(349_525)).into()
            )
            .0,
            Return
        );
        let (end, got) = set_sync(&mp, d, "k", format!("{}xy", "杭".repeat(349_525)).into());
        let mut expected = json!({"errMsg": "setStorageSync:fail exceed storage item max length"});
        expected
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        assert_eq!((end, got), (Throw, expected), "{d:?}");
    }
}

/// The 10 MB quota (keys and values): QQ and Kuaishou refuse reaching it, the others passing
/// it; Baidu has no entry limit, so one entry over the quota is the quota failure.
#[test]
fn the_quota_in_each_dialects_words() {
    let chunk = || JsValue::from("x".repeat(1_048_000));
    for (d, reach_refused, failure) in [
        (
            Qq,
            true,
            json!({"errMsg": "setStorageSync:fail quota reached"}),
        ),
        (
            Ks,
            true,
            json!({"errMsg": "setStorageSync:fail quota reached"}),
        ),
        (
            Swan,
            false,
            json!({"errMsg": "setStorageSync:fail 超过最大存储文件大小", "errCode": 1003}),
        ),
        (
            TtApp,
            false,
            json!({"errMsg": "setStorageSync:fail exceed storage max size 10Mb", "errNo": 21_102}),
        ),
        (
            Lark,
            false,
            json!({"errMsg": "setStorageSync:fail exceed storage max size 10Mb"}),
        ),
    ] {
        let mp = program();
        for i in 0..10 {
            assert_eq!(
                set_sync(&mp, d, &format!("k{i}"), chunk()).0,
                Return,
                "{d:?} {i}"
            );
        }
        // The quota counts keys and values, whatever the per-entry limit measures.
        let left: u64 = 10_485_760 - 10 * (2 + 1_048_000);
        let key_cost = 1;
        let largest = left - key_cost - u64::from(reach_refused);
        let (end, got) = set_sync(&mp, d, "z", "x".repeat(largest as usize + 1).into());
        let expected_end = if d == Swan { ReturnError } else { Throw };
        assert_eq!((end, got), (expected_end, failure.clone()), "{d:?}");
        assert_eq!(
            set_sync(&mp, d, "z", "x".repeat(largest as usize).into()).0,
            Return,
            "{d:?}"
        );
    }
    let got = set_sync(&program(), Swan, "k", "x".repeat(10_485_760).into());
    assert_eq!(got.1["errCode"], json!(1003));
}

#[test]
fn a_closed_store() {
    for d in NEW {
        let store = Mpstore::in_memory();
        let mp = store.mini_program("u", "app", Scope::App).unwrap();
        store.close().unwrap();
        let (end, got) = call(&mp, d, "getStorage", vec![options(&[("key", "k".into())])]);
        assert_eq!(end, Fail, "{d:?}");
        assert!(
            got["errMsg"].as_str().unwrap().ends_with("store closed"),
            "{d:?}: {got}"
        );
    }
}

/// DingTalk: Alipay's shapes, codes and limits; a missing key fails with 11.
#[test]
fn dingtalk() {
    let mp = program();
    let d = Dialect::Dd;
    assert_eq!((d.name(), d.spec().object), ("dd", "dd"));
    let missing = call(&mp, d, "getStorage", vec![options(&[("key", "k".into())])]);
    assert_eq!(
        missing,
        (Fail, json!({"error": 11, "errorMessage": "查无此key"}))
    );
    let sync = |data: JsValue| {
        call(
            &mp,
            d,
            "setStorageSync",
            vec![options(&[("key", "k".into()), ("data", data)])],
        )
    };
    assert_eq!(
        sync("x".repeat(204_800).into()),
        (Return, json!({"success": true}))
    );
    assert_eq!(
        sync("x".repeat(204_801).into()),
        (
            Return,
            json!({"success": false, "error": 14, "errorMessage": "data长度超限"})
        )
    );
    let got = call(
        &mp,
        d,
        "getStorageSync",
        vec![options(&[("key", "none".into())])],
    );
    assert_eq!(got, (Return, json!({"data": null})));
}
