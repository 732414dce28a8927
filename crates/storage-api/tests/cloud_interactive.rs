//! WeChat interactive storage by name through `storage_api::dispatch`, as the bridge and the Node
//! addon call it: the API table (Promise forms, base libraries, the listener), the host
//! operations that configure it, and each failure in WeChat's `{errMsg, errCode}` shape.

use serde_json::{json, Value};
use storage_api::cloud::Cloud;
use storage_api::dispatch::{cloud, host, Api, Args, Ending, Payload};
use storage_api::Mpstore;
use storage_core::{Dialect, JsValue};

const GAME: &str = "game";
const SESSION: &str = "AAECAwQFBgcICQoLDA0ODw==";

fn js(v: Value) -> JsValue {
    serde_json::from_value(v).expect("JSON is a JsValue")
}

/// A store where game `GAME` has keys '1' (2 a day) and '2' (opNum up to 3), ann and bob are
/// friends, and ann has a session.
fn world() -> (Mpstore, Cloud) {
    let store = Mpstore::in_memory();
    let cloud = store.cloud();
    let host = |method: &str, args: Value| {
        let Value::Array(args) = args else { panic!() };
        let args = Args(args.into_iter().map(js).collect());
        host::call(&store, &cloud, method, args).unwrap_or_else(|e| panic!("{method}: {e}"));
    };
    host(
        "setInteractiveKeys",
        json!([GAME, [{"key": "1", "dailyLimit": 2}, {"key": "2", "maxOpNum": 3}]]),
    );
    host("addFriendship", json!([GAME, "ann", "bob"]));
    host("registerSession", json!(["wx", GAME, "ann", SESSION]));
    (store, cloud)
}

/// `wx.<name>(options)` as `who` in `context`: (ending, payload JSON).
fn call(cloud: &Cloud, who: &str, open_data: bool, name: &str, options: Value) -> (Ending, Value) {
    let game = cloud.mini_game(cloud::game_context(
        GAME.into(),
        Some(who.into()),
        open_data,
        true,
    ));
    let api = Api::find(Dialect::Wx, name).expect("in the table");
    let outcome = cloud::call(&game, api, Ok(Args(vec![js(options)]))).expect("served");
    let Payload::Shaped { json, .. } = outcome.payload() else {
        panic!("a shaped payload")
    };
    (outcome.ending(), json.clone())
}

fn modify_fail(reason: &str, code: Option<i64>) -> (Ending, Value) {
    let mut v = json!({"errMsg": format!("modifyFriendInteractiveStorage:fail {reason}")});
    if let Some(code) = code {
        v["errCode"] = code.into();
    }
    (Ending::Fail, v)
}

#[test]
fn the_table_lists_the_apis_with_their_promise_forms_and_base_libraries() {
    // (name, promise, writes, since, listener)
    let cases = [
        ("getUserInteractiveStorage", true, false, "2.7.7", false),
        (
            "modifyFriendInteractiveStorage",
            false,
            true,
            "2.7.7",
            false,
        ),
        ("onInteractiveStorageModified", false, false, "2.9.0", true),
    ];
    for (name, promise, writes, since, listener) in cases {
        let api = Api::find(Dialect::Wx, name).unwrap();
        assert_eq!(
            (
                api.has_promise(),
                api.writes(),
                api.since(),
                api.is_listener()
            ),
            (promise, writes, Some(since), listener),
            "{name}"
        );
        assert!(Api::find(Dialect::Tt, name).is_none(), "{name} is WeChat's");
    }
    let on = host::dialects()
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "wx")
        .unwrap()["apis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "onInteractiveStorageModified")
        .cloned()
        .unwrap();
    assert_eq!(
        (on["listener"].clone(), on["firedBy"].clone()),
        (json!(true), json!("modifyFriendInteractiveStorage"))
    );
}

#[test]
fn modify_answers_each_failure_in_wechats_shape() {
    let (_store, cloud) = world();
    let ok = (
        Ending::Success,
        json!({"errMsg": "modifyFriendInteractiveStorage:ok"}),
    );
    // (caller open data?, options, answer)
    let cases = [
        (
            true,
            json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}),
            ok.clone(),
        ),
        (
            false,
            json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}),
            modify_fail("can only be called in open data context", None),
        ),
        (
            true,
            json!({"key": "3", "opNum": 1, "operation": "add", "toUser": "bob"}),
            modify_fail("invalid key", Some(-17_012)),
        ),
        (
            true,
            json!({"key": "2", "opNum": 4, "operation": "add", "toUser": "bob"}),
            modify_fail("invalid opNum", None),
        ),
        (
            true,
            json!({"key": "2", "opNum": 3, "operation": "set", "toUser": "bob"}),
            modify_fail("invalid operation", None),
        ),
        (
            true,
            json!({"key": "2", "opNum": 3, "operation": "add", "toUser": "eve"}),
            modify_fail("invalid openid", Some(-17_007)),
        ),
        (
            true,
            json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}),
            ok.clone(),
        ),
        (
            true,
            json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"}),
            modify_fail("exceed daily limit of the key", None),
        ),
    ];
    for (open_data, options, answer) in cases {
        let got = call(
            &cloud,
            "ann",
            open_data,
            "modifyFriendInteractiveStorage",
            options.clone(),
        );
        assert_eq!(got, answer, "{options}");
    }
}

#[test]
fn get_answers_sealed_data_or_wechats_failures() {
    let (_store, cloud) = world();
    let (ending, sealed) = call(
        &cloud,
        "ann",
        false,
        "getUserInteractiveStorage",
        json!({"keyList": ["1"]}),
    );
    assert_eq!(ending, Ending::Success);
    assert_eq!(sealed["errMsg"], "getUserInteractiveStorage:ok");
    let plain = cloud_kv::open_sealed(
        SESSION,
        sealed["encryptedData"].as_str().unwrap(),
        sealed["iv"].as_str().unwrap(),
    )
    .expect("the session key opens it");
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain["kv_list"], json!([]));
    assert!(sealed["cloudID"].as_str().is_some_and(|id| !id.is_empty()));
    let fail = |reason: &str, code: Option<i64>| {
        let mut v = json!({"errMsg": format!("getUserInteractiveStorage:fail {reason}")});
        if let Some(code) = code {
            v["errCode"] = code.into();
        }
        (Ending::Fail, v)
    };
    // (who, options, answer)
    let cases = [
        (
            "ann",
            json!({"keyList": "1"}),
            fail("invalid keyList", None),
        ),
        (
            "ann",
            json!({"keyList": ["51"]}),
            fail("invalid key", Some(-17_008)),
        ),
        (
            "bob",
            json!({"keyList": ["1"]}),
            fail("no session key, login first", None),
        ),
    ];
    for (who, options, answer) in cases {
        assert_eq!(
            call(
                &cloud,
                who,
                true,
                "getUserInteractiveStorage",
                options.clone()
            ),
            answer,
            "{options}"
        );
    }
}

#[test]
fn host_operations_refuse_bad_arguments_and_listeners_are_the_hosts() {
    let (store, cloud) = world();
    let refused = |method: &str, args: Value| {
        let Value::Array(args) = args else { panic!() };
        let args = Args(args.into_iter().map(js).collect());
        host::call(&store, &cloud, method, args).unwrap_err().kind
    };
    assert_eq!(
        refused("setInteractiveKeys", json!([GAME, "1"])),
        "bad_request"
    );
    assert_eq!(
        refused("setInteractiveKeys", json!([GAME, [{"key": "51"}]])),
        "host_error"
    );
    assert_eq!(
        refused("registerSession", json!(["my", GAME, "ann", SESSION])),
        "bad_request"
    );
    assert_eq!(
        refused("registerSession", json!(["wx", GAME, "", SESSION])),
        "host_error"
    );
    let game = cloud.mini_game(cloud::game_context(
        GAME.into(),
        Some("ann".into()),
        false,
        true,
    ));
    let on = Api::find(Dialect::Wx, "onInteractiveStorageModified").unwrap();
    assert_eq!(
        cloud::call(&game, on, Ok(Args(vec![]))).unwrap_err().kind,
        "bad_request"
    );
}

#[test]
fn a_dump_and_its_restore_keep_the_values_and_the_days_use() {
    let (store, cloud) = world();
    let add = json!({"key": "1", "opNum": 1, "operation": "add", "toUser": "bob"});
    let modify = |cloud: &Cloud| {
        call(
            cloud,
            "ann",
            true,
            "modifyFriendInteractiveStorage",
            add.clone(),
        )
        .0
    };
    assert_eq!(modify(&cloud), Ending::Success);
    assert_eq!(modify(&cloud), Ending::Success);
    let dump = storage_core::block_on(store.dump(None)).unwrap();
    storage_core::block_on(store.restore(&dump, Dialect::Wx)).unwrap();
    let cloud = store.cloud();
    // '1' allows 2 a day: the restored store still counts today's two.
    assert_eq!(modify(&cloud), Ending::Fail);
    let values = storage_core::block_on(cloud.engine().interactive_values(
        GAME,
        "bob",
        &["1".into()],
    ));
    assert_eq!(values.unwrap(), [("1".to_owned(), 2)]);
}
