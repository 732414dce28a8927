//! `mpstore call`, `mpstore cloud call` and `mpstore host`: any API or host operation by name,
//! with JSON arguments, answering as the platform (or the bridge's `host.*`) would.

use mpstore::exit::{INVALID, NOT_FOUND, OK};
use serde_json::{json, Value};
use std::path::Path;

mod common;

/// Runs `mpstore --data-dir DIR ARGS`; returns the exit code, what it printed on stdout (as
/// JSON, `null` when nothing) and on stderr.
fn mpstore(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let (code, stdout, stderr) = common::mpstore_with_stderr(dir, args);
    let printed = match stdout.as_str() {
        "" => Value::Null,
        text => serde_json::from_str(text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}")),
    };
    (code, printed, stderr)
}

/// Checks one command's exit code and what it printed (stdout as JSON, or a part of stderr).
fn check(dir: &Path, args: &[&str], code: i32, printed: Printed) {
    let (got, stdout, stderr) = mpstore(dir, args);
    assert_eq!(
        got, code,
        "mpstore {args:?}\nstdout: {stdout}\nstderr: {stderr}"
    );
    match printed {
        Printed::Json(expected) => assert_eq!(stdout, expected, "mpstore {args:?}"),
        Printed::Error(part) => assert!(
            stderr.contains(part),
            "mpstore {args:?}: stderr {stderr:?} does not say {part:?}"
        ),
    }
}

enum Printed {
    Json(Value),
    Error(&'static str),
}
use Printed::{Error, Json};

/// `mpstore --platform PLATFORM cloud --game g --openid OPENID --context CONTEXT call REST…`.
fn cloud_call(
    platform: &'static str,
    openid: &'static str,
    context: &'static str,
    rest: &[&'static str],
) -> Vec<&'static str> {
    let mut args = vec!["--platform", platform, "cloud", "--game", "g"];
    args.extend(["--openid", openid, "--context", context, "call"]);
    args.extend(rest);
    args
}

#[test]
fn local_apis_by_name_answer_as_the_platform() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    check(
        d,
        &["call", "setStorageSync", r#""k""#, r#"{"a":1}"#],
        OK,
        Json(Value::Null),
    );
    check(
        d,
        &["call", "getStorageSync", r#""k""#],
        OK,
        Json(json!({"a": 1})),
    );
    check(
        d,
        &["call", "getStorageInfoSync"],
        OK,
        Json(json!({"keys": ["k"], "currentSize": 1, "limitSize": 10240})),
    );
    check(
        d,
        &[
            "--platform",
            "my",
            "call",
            "getStorageSync",
            r#"{"key":"k"}"#,
        ],
        OK,
        // One namespace, whichever platform's API reads it.
        Json(json!({"data": {"a": 1}})),
    );
    check(
        d,
        &[
            "call",
            "setStorage",
            r#"{"key":"d","data":{"$js":"date","value":0}}"#,
        ],
        OK,
        Json(json!({"errMsg": "setStorage:ok"})),
    );
    check(
        d,
        &["--tagged", "call", "getStorageSync", r#""d""#],
        OK,
        Json(json!({"$js": "date", "value": 0})),
    );
    check(
        d,
        &["call", "getStorage", r#"{"key":"gone"}"#],
        NOT_FOUND,
        Json(json!({"errMsg": "getStorage:fail data not found"})),
    );
    check(
        d,
        &["call", "removeStorage", r#"{"key":"k"}"#],
        OK,
        Json(json!({"errMsg": "removeStorage:ok"})),
    );
}

#[test]
fn bad_calls_by_name_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    check(d, &["call", "nope"], INVALID, Error("wx.nope"));
    check(
        d,
        &["--platform", "my", "call", "batchSetStorage"],
        INVALID,
        Error("my.batchSetStorage"),
    );
    check(
        d,
        &["call", "setStorageSync", "k", "1"],
        INVALID,
        Error("argument 0 is not JSON"),
    );
    check(
        d,
        &["call", "setStorageSync", r#""k""#, r#"{"$js":"nope"}"#],
        INVALID,
        Error("argument 1 is not valid tagged JSON"),
    );
    check(d, &["cloud", "call", "nope"], INVALID, Error("wx.nope"));
    check(d, &["host", "nope"], INVALID, Error("host.nope"));
    check(
        d,
        &["host", "removeUser", "1"],
        INVALID,
        Error("argument 0 must be a string"),
    );
    check(
        d,
        &["host", "setClock", "0"],
        INVALID,
        Error("the clock lasts as long as its process"),
    );
    check(
        d,
        &["host", "removeUser", "{"],
        INVALID,
        Error("host.removeUser: argument 0 is not JSON"),
    );
    // A host operation's storage error exits with that error's code.
    check(
        d,
        &["host", "setInteractiveKeys", r#""g""#, r#"[{"key":"99"}]"#],
        INVALID,
        Error(r#"an interactive key is '1' to '50' with maxOpNum at least 1, not "99""#),
    );
    // Nothing above wrote.
    check(d, &["host", "namespaces"], OK, Json(json!([])));
}

#[test]
fn im_rank_lists_through_cloud_calls_and_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tt = |openid, context, rest: &[&'static str]| cloud_call("tt", openid, context, rest);
    for (openid, score) in [
        ("ann", r#"{"dataType":0,"value":"42"}"#),
        ("bob", r#"{"dataType":0,"value":"7"}"#),
    ] {
        check(
            d,
            &tt(openid, "main", &["setImRankData", score]),
            OK,
            Json(json!({"errMsg": "setImRankData:ok"})),
        );
    }
    let (code, page, _) = mpstore(
        d,
        &tt(
            "bob",
            "open",
            &[
                "getImRankData",
                r#"{"relationType":"all","dataType":0,"rankType":"all"}"#,
            ],
        ),
    );
    assert_eq!(code, OK, "{page}");
    let ranked: Vec<_> = page["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["openid"].clone())
        .collect();
    assert_eq!(ranked, [json!("ann"), json!("bob")]);
    assert_eq!(page["data"]["self_user_info"]["rank"], json!(2));
    // setImRankData is the main context's; the open data context has its own form.
    check(
        d,
        &tt(
            "ann",
            "open",
            &["setImRankData", r#"{"dataType":0,"value":"1"}"#],
        ),
        INVALID,
        Json(
            json!({"errMsg": "setImRankData:fail can only be called in main context", "errorCode": 999999}),
        ),
    );
    check(
        d,
        &["host", "imRankShown", r#""g""#, r#""ann""#],
        OK,
        Json(Value::Null),
    );
    check(
        d,
        &tt(
            "ann",
            "main",
            &[
                "getImRankList",
                r#"{"relationType":"all","dataType":0,"rankType":"all","rankTitle":"Best"}"#,
            ],
        ),
        OK,
        Json(json!({"errMsg": "getImRankList:ok"})),
    );
    let (code, shown, _) = mpstore(d, &["host", "imRankShown", r#""g""#, r#""ann""#]);
    assert_eq!((code, &shown["rankTitle"]), (OK, &json!("Best")), "{shown}");
    assert_eq!(shown["items"].as_array().map(Vec::len), Some(2), "{shown}");
}

#[test]
fn wechat_interactive_storage_through_host_and_cloud_calls() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for host in [
        &["host", "setInteractiveKeys", r#""g""#, r#"[{"key":"1"}]"#][..],
        &["host", "addFriendship", r#""g""#, r#""ann""#, r#""bob""#],
        &[
            "host",
            "registerSession",
            r#""wx""#,
            r#""g""#,
            r#""bob""#,
            r#""AAAAAAAAAAAAAAAAAAAAAA==""#,
        ],
    ] {
        check(d, host, OK, Json(Value::Null));
    }
    let wx = |openid, context, rest: &[&'static str]| cloud_call("wx", openid, context, rest);
    let modify = r#"{"key":"1","opNum":1,"operation":"add","toUser":"bob"}"#;
    check(
        d,
        &wx("ann", "open", &["modifyFriendInteractiveStorage", modify]),
        OK,
        Json(json!({"errMsg": "modifyFriendInteractiveStorage:ok"})),
    );
    let (code, sealed, _) = mpstore(
        d,
        &wx(
            "bob",
            "main",
            &["getUserInteractiveStorage", r#"{"keyList":["1"]}"#],
        ),
    );
    assert_eq!(code, OK, "{sealed}");
    for field in ["encryptedData", "iv"] {
        assert!(
            sealed[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} in {sealed}"
        );
    }
    check(
        d,
        &wx(
            "ann",
            "open",
            &[
                "modifyFriendInteractiveStorage",
                r#"{"key":"2","opNum":1,"operation":"add","toUser":"bob"}"#,
            ],
        ),
        INVALID,
        Json(
            json!({"errMsg": "modifyFriendInteractiveStorage:fail invalid key", "errCode": -17012}),
        ),
    );
}
