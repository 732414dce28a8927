//! WeChat interactive storage over the bridge protocol: the host operations that configure it,
//! each failure in WeChat's shape, the sealed success, and the listener the host keeps.

use super::Bridge;
use serde_json::{json, Value};
use storage_api::Mpstore;

const SESSION: &str = "AAECAwQFBgcICQoLDA0ODw==";

/// One request line: `api` with `args`, as `openid` in the open data context (or main).
fn line(api: &str, openid: &str, open: bool, args: Value) -> Vec<u8> {
    let ctx = json!({"game": "g", "openid": openid, "context": if open { "open" } else { "main" }});
    json!({"id": 1, "api": api, "ctx": ctx, "args": args})
        .to_string()
        .into_bytes()
}

fn host(bridge: &Bridge, method: &str, args: Value) -> Value {
    let line = json!({"id": 0, "api": format!("host.{method}"), "args": args}).to_string();
    bridge.answer(line.as_bytes())
}

fn bridge() -> Bridge {
    let bridge = Bridge::new(Mpstore::in_memory());
    let setup = [
        (
            "setInteractiveKeys",
            json!(["g", [{"key": "1", "dailyLimit": 1}]]),
        ),
        ("addFriendship", json!(["g", "ann", "bob"])),
        ("registerSession", json!(["wx", "g", "bob", SESSION])),
    ];
    for (method, args) in setup {
        let answer = host(&bridge, method, args);
        assert_eq!(answer["outcome"], "return", "{method}: {answer}");
    }
    bridge
}

#[test]
fn modify_answers_each_rule_then_the_daily_limit() {
    let bridge = bridge();
    let modify = |options: Value| {
        let answer = bridge.answer(&line(
            "wx.modifyFriendInteractiveStorage",
            "ann",
            true,
            json!([options]),
        ));
        (answer["outcome"].clone(), answer["result"].clone())
    };
    let fail = |reason: &str, code: Option<i64>| {
        let mut v = json!({"errMsg": format!("modifyFriendInteractiveStorage:fail {reason}")});
        if let Some(code) = code {
            v["errCode"] = code.into();
        }
        (json!("fail"), v)
    };
    let ok = (
        json!("success"),
        json!({"errMsg": "modifyFriendInteractiveStorage:ok"}),
    );
    let add = json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"});
    let cases = [
        (
            json!({"key": "2", "opNum": 1, "operation": "add", "toUser": "bob"}),
            fail("invalid key", Some(-17_012)),
        ),
        (
            json!({"key": "1", "opNum": 2, "operation": "add", "toUser": "bob"}),
            fail("invalid opNum", None),
        ),
        (
            json!({"key": "1", "opNum": 1, "operation": "sub", "toUser": "bob"}),
            fail("invalid operation", None),
        ),
        (
            json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "cat"}),
            fail("invalid openid", Some(-17_007)),
        ),
        (add.clone(), ok),
        (add, fail("exceed daily limit of the key", None)),
    ];
    for (options, expected) in cases {
        assert_eq!(modify(options.clone()), expected, "{options}");
    }
}

#[test]
fn get_is_sealed_for_the_session_key_and_the_listener_is_the_hosts() {
    let bridge = bridge();
    let answer = bridge.answer(&line(
        "wx.modifyFriendInteractiveStorage",
        "ann",
        true,
        json!([{"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}]),
    ));
    assert_eq!(answer["outcome"], "success", "{answer}");
    let answer = bridge.answer(&line(
        "wx.getUserInteractiveStorage",
        "bob",
        false,
        json!([{"keyList": ["1"]}]),
    ));
    assert_eq!(answer["outcome"], "success", "{answer}");
    let result = &answer["result"];
    let plain = cloud_kv::open_sealed(
        SESSION,
        result["encryptedData"].as_str().unwrap(),
        result["iv"].as_str().unwrap(),
    )
    .unwrap();
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain["kv_list"], json!([{"key": "1", "value": "1"}]));
    assert_eq!(plain["watermark"]["appid"], "g");
    let listener = bridge.answer(&line(
        "wx.onInteractiveStorageModified",
        "ann",
        false,
        json!([]),
    ));
    assert_eq!(
        (
            listener["outcome"].clone(),
            listener["error"]["kind"].clone()
        ),
        (json!("error"), json!("bad_request"))
    );
    let dialects = host(&bridge, "dialects", json!([]));
    let wx = dialects["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "wx")
        .unwrap();
    let on = wx["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "onInteractiveStorageModified")
        .unwrap();
    assert_eq!(on["firedBy"], "modifyFriendInteractiveStorage");
}
