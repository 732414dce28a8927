//! Hostile input through the bridge (in process, over encrypted sled): lines that are not JSON or
//! not UTF-8, unknown dialects and APIs, malformed contexts and tagged values, lone surrogates,
//! values nested past every limit, numbers beyond f64, empty and huge keys and values, lines past
//! the cap. Each gets the response `docs/bridge.md` documents (a protocol error of the documented
//! kind, or the dialect's own failure from the one error table), one response per line, nothing
//! panics, and the entries stored before are all still there.

use mpstore::bridge::Bridge;
use mpstore_tests::bridge_lines::{kinds, responses};
use serde_json::{json, Value};
use storage_api::{Mpstore, MySyncFailure, TtError, WxError};
use storage_core::codes::ApiKind::LocalWrite as W;
use storage_core::{Error, JsType, Policy};
use storage_crypto::RawKeyProvider;

/// A bridge over a fresh encrypted store holding a few entries.
fn bridge() -> (tempfile::TempDir, Bridge) {
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open(dir.path(), &RawKeyProvider::new([4; 32])).unwrap();
    let bridge = Bridge::new(store).max_line_bytes(4 * 1024 * 1024);
    for (i, (key, value)) in [
        ("keep-1", json!({"a": [1, null]})),
        ("keep-2", json!("杭州")),
    ]
    .iter()
    .enumerate()
    {
        let line = request(i as i64, "wx.setStorageSync", json!([key, value]));
        assert_eq!(answer(&bridge, &line)["outcome"], "return");
    }
    (dir, bridge)
}

fn request(id: i64, api: &str, args: Value) -> String {
    json!({"id": id, "api": api, "ctx": {"user": "u", "app": "a"}, "args": args}).to_string()
}

fn answer(bridge: &Bridge, line: &str) -> Value {
    bridge.answer(line.as_bytes())
}

/// The fixture is intact: same keys first, same values.
fn intact(bridge: &Bridge) {
    let info = answer(bridge, &request(900, "wx.getStorageInfoSync", json!([])));
    assert_eq!(info["result"]["keys"][0], "keep-1", "{info}");
    assert_eq!(info["result"]["keys"][1], "keep-2", "{info}");
    let one = answer(
        bridge,
        &request(901, "wx.getStorageSync", json!(["keep-1"])),
    );
    assert_eq!(one["result"], json!({"a": [1, null]}));
    let two = answer(
        bridge,
        &request(902, "my.getStorageSync", json!([{"key": "keep-2"}])),
    );
    assert_eq!(two["result"], json!({"data": "杭州"}));
}

/// `line` is answered with a protocol error of `kind` (and the id it should echo).
fn check_error(line: &[u8], kind: &str, id: Value) {
    let (_dir, bridge) = bridge();
    let r = bridge.answer(line);
    let shown = String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned();
    assert_eq!(r["outcome"], "error", "{shown}: {r}");
    assert_eq!(r["error"]["kind"], kind, "{shown}: {r}");
    assert_eq!(r["id"], id, "{shown}: {r}");
    assert!(!r["error"]["message"].as_str().unwrap().is_empty());
    intact(&bridge);
}

/// `api(args)` reaches the facade and ends in `outcome` with exactly `result`.
fn check_call(api: &str, args: Value, outcome: &str, result: Value) {
    let (_dir, bridge) = bridge();
    let r = answer(&bridge, &request(5, api, args.clone()));
    assert_eq!(
        (r["outcome"].as_str(), &r["result"]),
        (Some(outcome), &result),
        "{api} {:.200}",
        args.to_string()
    );
    intact(&bridge);
}

fn nested_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn js<T: serde::Serialize>(t: T) -> Value {
    serde_json::to_value(t).unwrap()
}

#[test]
fn lines_that_are_not_json_requests() {
    check_error(b"", "bad_json", Value::Null);
    check_error(b"not json", "bad_json", Value::Null);
    check_error(b"\xff\xfe{}", "bad_json", Value::Null);
    check_error(
        br#"{"id":1,"api":"wx.setStorageSync","ctx":{"user":"u","app":"a"},"args":["\ud800",1]}"#,
        "bad_json",
        Value::Null,
    );
    check_error(b"{\"id\":1,", "bad_json", Value::Null);
    check_error(format!(r#"{{"id":1,"api":"wx.setStorageSync","ctx":{{"user":"u","app":"a"}},"args":["k",{}]}}"#, nested_json(100_000)).as_bytes(), "bad_json", Value::Null);
    check_error(
        br#"{"id":1,"api":"wx.setStorageSync","ctx":{"user":"u","app":"a"},"args":["k",1e400]}"#,
        "bad_json",
        Value::Null,
    );
    check_error(b"[1,2,3]", "bad_request", Value::Null);
    check_error(
        br#"{"id":{"x":1},"api":"wx.getStorageSync"}"#,
        "bad_request",
        Value::Null,
    );
    check_error(br#"{"id":1,"api":7}"#, "bad_request", json!(1));
    check_error(
        br#"{"id":1,"api":"wx.getStorageSync","ctx":{"user":"u","app":"a"},"args":{"0":"k"}}"#,
        "bad_request",
        json!(1),
    );
    check_error(
        br#"{"id":"x","api":"wx.getStorageSync","ctx":{"user":"u","app":"a"},"extra":1}"#,
        "bad_request",
        json!("x"),
    );
}

#[test]
fn unknown_dialects_and_apis() {
    for api in [
        "xx.setStorage",
        "WX.setStorage",
        "wx",
        "wx.",
        ".setStorage",
        "wx.nope",
        "my.batchSetStorage",
        "tt.batchGetStorageSync",
        "wx.setStorage.extra",
        "wx.__proto__",
        "host.drop",
    ] {
        let line = if api.starts_with("host.") {
            json!({"id": 3, "api": api}).to_string()
        } else {
            request(3, api, json!([]))
        };
        check_error(line.as_bytes(), "unknown_api", json!(3));
    }
    // A huge API name is refused without being echoed whole.
    let (_dir, bridge) = bridge();
    let r = answer(
        &bridge,
        &request(4, &format!("wx.{}", "x".repeat(1 << 20)), json!([])),
    );
    assert_eq!(r["error"]["kind"], "unknown_api");
    assert!(r["error"]["message"].as_str().unwrap().len() < 200);
    intact(&bridge);
}

#[test]
fn malformed_contexts() {
    for ctx in [
        json!(null),
        json!("u"),
        json!({"user": "", "app": "a"}),
        json!({"user": "u", "app": ""}),
        json!({"user": 1, "app": "a"}),
        json!({"user": "u", "app": "a", "scope": "desktop"}),
        json!({"user": "u", "app": "a", "scope": {"plugin": ""}}),
        json!({"user": "u", "app": "a", "x": 1}),
        json!({"user": "u".repeat(5000), "app": "a"}),
    ] {
        let line =
            json!({"id": 8, "api": "wx.setStorageSync", "ctx": ctx, "args": ["k", 1]}).to_string();
        check_error(line.as_bytes(), "bad_context", json!(8));
    }
    // Local storage APIs in a game context and the reverse.
    let game = json!({"id": 8, "api": "wx.setStorageSync", "ctx": {"game": "g", "openid": "o"}, "args": ["k", 1]});
    check_error(game.to_string().as_bytes(), "unknown_api", json!(8));
    check_error(
        request(8, "tt.setUserCloudStorage", json!([])).as_bytes(),
        "bad_context",
        json!(8),
    );
}

#[test]
fn malformed_tagged_values() {
    for value in [
        json!({"$js": "bogus"}),
        json!({"$js": 1}),
        json!({"$js": "number", "value": "1e400"}),
        json!({"$js": "date", "value": "tomorrow"}),
        json!({"$js": "undefined", "extra": 1}),
        json!({"$js": "object", "entries": [[1, 2]]}),
        json!({"$js": "string", "utf16": [70000]}),
    ] {
        check_error(
            request(9, "wx.setStorageSync", json!(["k", value])).as_bytes(),
            "bad_value",
            json!(9),
        );
    }
}

#[test]
fn lone_surrogates_are_each_dialects_parameter_error() {
    let lone = json!({"$js": "string", "utf16": [97, 55296]});
    let (_dir, bridge) = bridge();
    let r = answer(&bridge, &request(1, "wx.setStorageSync", json!([lone, 1])));
    assert_eq!(r["outcome"], "throw");
    assert!(
        r["result"]["errMsg"]
            .as_str()
            .unwrap()
            .starts_with("setStorageSync:fail parameter error"),
        "{r}"
    );
    intact(&bridge);
    let invalid = Error::InvalidParam("lone surrogate".into());
    check_call(
        "tt.setStorageSync",
        json!(["k", lone]),
        "throw",
        js(TtError::new("setStorageSync", W, &invalid)),
    );
    check_call(
        "my.setStorageSync",
        json!([{"key": lone, "data": 1}]),
        "return",
        js(MySyncFailure::new(W, &invalid)),
    );
}

#[test]
fn empty_keys_and_keys_of_the_wrong_type() {
    check_call(
        "wx.setStorageSync",
        json!(["", 1]),
        "throw",
        js(WxError::new("setStorageSync", W, &Error::EmptyKey)),
    );
    check_call(
        "tt.setStorage",
        json!([{"key": "", "data": 1}]),
        "fail",
        js(TtError::new("setStorage", W, &Error::EmptyKey)),
    );
    check_call(
        "my.setStorageSync",
        json!([{"key": "", "data": 1}]),
        "return",
        js(MySyncFailure::new(W, &Error::EmptyKey)),
    );
    let number = Error::WrongType {
        param: "key".into(),
        expected: JsType::String,
        actual: JsType::Number,
    };
    check_call(
        "wx.setStorageSync",
        json!([5, 1]),
        "throw",
        js(WxError::new("setStorageSync", W, &number)),
    );
    let undefined = Error::WrongType {
        param: "key".into(),
        expected: JsType::String,
        actual: JsType::Undefined,
    };
    check_call(
        "tt.setStorageSync",
        json!([]),
        "throw",
        js(TtError::new("setStorageSync", W, &undefined)),
    );
    check_call(
        "my.setStorage",
        json!(["not an options object"]),
        "fail",
        js(storage_api::MyError::new(W, &undefined)),
    );
}

#[test]
fn huge_keys_and_values_hit_the_limits() {
    let big = "x".repeat(1_048_576);
    let too_large = Policy::WX
        .check_entry("k", &big.as_str().into(), false)
        .unwrap_err();
    check_call(
        "wx.setStorageSync",
        json!(["k", big]),
        "throw",
        js(WxError::new("setStorageSync", W, &too_large)),
    );
    let huge_key = "k".repeat(2_000_000);
    let key_too_large = Policy::WX
        .check_entry(&huge_key, &1.into(), false)
        .unwrap_err();
    check_call(
        "wx.setStorageSync",
        json!([huge_key, 1]),
        "throw",
        js(WxError::new("setStorageSync", W, &key_too_large)),
    );
    let my_big = "x".repeat(204_801);
    let my_too_large = Policy::MY
        .check_entry("k", &my_big.as_str().into(), false)
        .unwrap_err();
    check_call(
        "my.setStorageSync",
        json!([{"key": "k", "data": my_big}]),
        "return",
        js(MySyncFailure::new(W, &my_too_large)),
    );
    // The empty string and the empty containers are ordinary values.
    check_call(
        "tt.setStorageSync",
        json!(["k", ""]),
        "return",
        json!({"$js": "undefined"}),
    );
    check_call(
        "wx.batchSetStorageSync",
        json!([[]]),
        "return",
        json!({"$js": "undefined"}),
    );
}

#[test]
fn values_nested_past_the_limit() {
    // Deep enough for the facade to refuse (past 100 levels), shallow enough for JSON (128).
    let deep: Value = serde_json::from_str(&nested_json(110)).unwrap();
    let (_dir, bridge) = bridge();
    for (api, args) in [
        ("wx.setStorageSync", json!(["k", deep])),
        ("tt.setStorage", json!([{"key": "k", "data": deep}])),
        (
            "wx.batchSetStorageSync",
            json!([[{"key": "k", "value": deep}]]),
        ),
    ] {
        let r = answer(&bridge, &request(6, api, args));
        assert!(
            ["throw", "fail"].contains(&r["outcome"].as_str().unwrap()),
            "{api}: {r}"
        );
        let msg = r["result"]["errMsg"].as_str().unwrap();
        assert!(
            msg.contains("parameter error") || msg.contains("invalid param"),
            "{api}: {msg}"
        );
    }
    let r = answer(
        &bridge,
        &request(7, "my.setStorageSync", json!([{"key": "k", "data": deep}])),
    );
    assert_eq!(r["result"]["success"], false, "{r}");
    let r = answer(&bridge, &request(7, "wx.getStorageSync", json!(["k"])));
    assert_eq!(r["result"], "", "nothing was stored: {r}");
    intact(&bridge);
}

#[test]
fn numbers_beyond_f64_and_special_numbers() {
    let (_dir, bridge) = bridge();
    // An integer beyond u64 is read as JavaScript's JSON.parse reads it: the nearest double.
    let line = r#"{"id":1,"api":"wx.setStorageSync","ctx":{"user":"u","app":"a"},"args":["big",123456789012345678901234567890]}"#;
    assert_eq!(answer(&bridge, line)["outcome"], "return");
    let r = answer(&bridge, &request(2, "wx.getStorageSync", json!(["big"])));
    assert_eq!(r["result"].as_f64(), Some(1.2345678901234568e29), "{r}");
    for (name, tagged) in [
        ("nan", "NaN"),
        ("inf", "Infinity"),
        ("ninf", "-Infinity"),
        ("nzero", "-0"),
    ] {
        let n = json!({"$js": "number", "value": tagged});
        assert_eq!(
            answer(&bridge, &request(3, "tt.setStorageSync", json!([name, n])))["outcome"],
            "return"
        );
        let r = answer(&bridge, &request(4, "tt.getStorageSync", json!([name])));
        assert_eq!(r["result"], n, "{name}");
    }
    intact(&bridge);
}

#[test]
fn every_line_of_a_hostile_stream_gets_one_response_in_order() {
    let (_dir, bridge) = bridge();
    let bridge = bridge.max_line_bytes(1000);
    let long = format!("{}\n", "y".repeat(5000));
    let input = [
        "\n".to_string(),
        "garbage\n".to_string(),
        long.clone(),
        format!(
            "{}\n",
            request(1, "wx.setStorageSync", json!(["after-long", 1]))
        ),
        "\r\n".to_string(),
        long,
        format!("{}\n", request(2, "xx.getStorage", json!([]))),
        request(3, "wx.getStorageSync", json!(["after-long"])),
    ]
    .concat();
    let mut out = Vec::new();
    let stats = bridge.serve(input.as_bytes(), &mut out).unwrap();
    let lines = responses(std::str::from_utf8(&out).unwrap());
    // Protocol errors too carry an outcome.
    assert!(lines.iter().all(|r| r["outcome"].is_string()), "{lines:?}");
    assert_eq!(
        kinds(&lines),
        [
            "bad_json",
            "bad_json",
            "line_too_long",
            "return",
            "bad_json",
            "line_too_long",
            "unknown_api",
            "return"
        ]
    );
    assert_eq!(lines[7]["result"], 1);
    assert_eq!((stats.lines, stats.protocol_errors), (8, 6));
    intact(&bridge);
}

#[test]
fn two_bridges_over_one_store_share_it() {
    let (_dir, a) = bridge();
    let b = a.clone();
    assert_eq!(
        answer(&a, &request(1, "wx.setStorageSync", json!(["shared", 1])))["outcome"],
        "return"
    );
    assert_eq!(
        answer(&b, &request(2, "tt.getStorageSync", json!(["shared"])))["result"],
        1
    );
    intact(&b);
}
