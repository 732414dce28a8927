//! The cloud facades as a mini-game sees them: option objects in, the platforms' JSON out
//! (`errMsg`, Douyin's `errorCode`), callbacks and Promises.

use serde::Serialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use storage_api::cloud::{
    GameContext, HostKind, KeyListOption, KvData, MiniGame, SetUserCloudStorageOption,
};
use storage_api::Mpstore;
use storage_core::{block_on, Backend, CloudRule, Error, Limits, Namespace, Op};

const GAME: &str = "game";

fn to_json<S: Serialize, F: Serialize>(outcome: Result<S, F>) -> Value {
    match outcome {
        Ok(s) => serde_json::to_value(s).unwrap(),
        Err(f) => serde_json::to_value(f).unwrap(),
    }
}

fn set_option(v: Value) -> SetUserCloudStorageOption {
    serde_json::from_value(v).unwrap()
}

fn keys_option(v: Value) -> KeyListOption {
    serde_json::from_value(v).unwrap()
}

/// A store with leaderboard key `rank` and a logged-in player in the open data context.
fn game() -> MiniGame {
    let store = Mpstore::in_memory();
    block_on(store.cloud().set_leaderboard_keys(GAME, &["rank"])).unwrap();
    store.mini_game(GameContext::new(GAME).logged_in("me").open_data())
}

fn tt_set(game: &MiniGame, option: Value) -> Value {
    to_json(block_on(
        game.tt().set_user_cloud_storage_with(set_option(option)),
    ))
}

fn wx_set(game: &MiniGame, option: Value) -> Value {
    to_json(block_on(
        game.wx().set_user_cloud_storage_with(set_option(option)),
    ))
}

fn tt_fail(reason: &str, code: i64) -> Value {
    json!({"errMsg": format!("setUserCloudStorage:fail {reason}"), "errorCode": code})
}

fn wx_fail(reason: &str) -> Value {
    json!({"errMsg": format!("setUserCloudStorage:fail {reason}")})
}

#[test]
fn set_user_cloud_storage_reports_each_rule_in_each_dialect() {
    let long_key = "中".repeat(43); // 129 bytes
    let long_pair = "a".repeat(1021) + "中"; // "k" + this = 1025 bytes
                                             // (option, reason or None for success)
    let cases = [
        (json!({"KVDataList": [{"key": "k", "value": "v"}]}), None),
        (
            json!({"KVDataList": [{"key": "中".repeat(42) + "aa", "value": ""}]}),
            None,
        ),
        (
            json!({"KVDataList": [{"key": "k", "value": "a".repeat(1020) + "中"}]}),
            None,
        ),
        (json!({}), Some("KVDataList must be an Array")),
        (
            json!({"KVDataList": "k=v"}),
            Some("KVDataList must be an Array"),
        ),
        (
            json!({"KVDataList": []}),
            Some("KVDataList.length must greater than 0"),
        ),
        (
            json!({"KVDataList": [{"key": "k", "value": 1}]}),
            Some("invalid KVData item"),
        ),
        (
            json!({"KVDataList": [{"key": "", "value": "v"}]}),
            Some("invalid KVData item"),
        ),
        (
            json!({"KVDataList": [{"key": long_key, "value": ""}]}),
            Some("some keys in list meet length exceed"),
        ),
        (
            json!({"KVDataList": [{"key": "k", "value": long_pair}]}),
            Some("some key-value in list meet length exceed"),
        ),
        (
            json!({"KVDataList": [{"key": "rank", "value": "{\"ttgame\":{\"score\":1.5,\"update_time\":1}}"}]}),
            Some("invalid leaderboard value"),
        ),
    ];
    for (option, reason) in &cases {
        let expected_tt = match reason {
            None => json!({"errMsg": "setUserCloudStorage:ok"}),
            Some(reason) => tt_fail(reason, 999999),
        };
        let expected_wx = match reason {
            None => json!({"errMsg": "setUserCloudStorage:ok"}),
            Some(reason) => wx_fail(reason),
        };
        assert_eq!(tt_set(&game(), option.clone()), expected_tt, "{option}");
        assert_eq!(wx_set(&game(), option.clone()), expected_wx, "{option}");
    }
}

#[test]
fn too_many_pairs_counts_stored_pairs() {
    let g = game();
    let pairs = |prefix: &str, n: usize| -> Vec<KvData> {
        (0..n)
            .map(|i| KvData::new(format!("{prefix}{i}"), "v"))
            .collect()
    };
    let tt = g.tt();
    block_on(tt.set_user_cloud_storage(&pairs("a", 100))).unwrap();
    block_on(tt.set_user_cloud_storage(&pairs("b", 28))).unwrap();
    block_on(tt.set_user_cloud_storage(&pairs("a", 100))).unwrap(); // overwrites
    let refused = to_json(block_on(tt.set_user_cloud_storage(&pairs("c", 1))));
    assert_eq!(
        refused,
        tt_fail(
            "user has stored too much keys. delete some keys and try again",
            999999
        )
    );
    let keys = block_on(g.wx().get_user_cloud_storage_keys()).unwrap().keys;
    assert_eq!(keys.len(), 128);
}

#[test]
fn the_seeds_example_call_succeeds_and_reads_back() {
    // "xxx" holds a leaderboard value, so make it a leaderboard key: the value must pass.
    let store = Mpstore::in_memory();
    block_on(store.cloud().set_leaderboard_keys(GAME, &["xxx"])).unwrap();
    let g = store.mini_game(GameContext::new(GAME).logged_in("me").open_data());
    let value =
        json!({"ttgame": {"score": 100, "update_time": 1557813466}, "progress": 10}).to_string();
    // tt.setUserCloudStorage({KVDataList: [{key: "xxx", value: JSON.stringify(...)}], success,
    // fail, complete})
    let log = Arc::new(Mutex::new(Vec::new()));
    let (s, f, c) = (log.clone(), log.clone(), log.clone());
    block_on(
        g.tt()
            .set_user_cloud_storage_with(set_option(
                json!({"KVDataList": [{"key": "xxx", "value": value}]}),
            ))
            .success(move |res| s.lock().unwrap().push(format!("success {}", res.err_msg)))
            .fail(move |res| f.lock().unwrap().push(format!("fail {}", res.err_msg)))
            .complete(move |_| c.lock().unwrap().push("complete".to_string())),
    );
    assert_eq!(
        *log.lock().unwrap(),
        ["success setUserCloudStorage:ok", "complete"]
    );
    let read = block_on(g.tt().get_user_cloud_storage(["xxx"])).unwrap();
    let kv = json!([{"key": "xxx", "value": value}]);
    assert_eq!(
        serde_json::to_value(read).unwrap(),
        json!({"KVDataList": kv, "data": kv, "errMsg": "getUserCloudStorage:ok"})
    );
}

#[test]
fn gates_and_their_codes() {
    let store = Mpstore::in_memory();
    let ctx = GameContext::new(GAME).logged_in("me");
    let app = store.mini_game(ctx.clone().open_data().in_host(HostKind::MiniApp));
    let nobody = store.mini_game(GameContext::new(GAME).open_data());
    let main = store.mini_game(ctx.clone().main());
    let list = json!({"KVDataList": [{"key": "k", "value": "v"}]});
    assert_eq!(
        tt_set(&app, list.clone()),
        tt_fail("feature is not supported in app", 999987)
    );
    assert_eq!(
        tt_set(&nobody, list.clone()),
        tt_fail("get session id failed", 999998)
    );
    assert_eq!(
        wx_set(&app, list.clone()),
        wx_fail("feature is not supported in app")
    );
    assert_eq!(
        wx_set(&nobody, list.clone()),
        wx_fail("must login before calling")
    );
    // Writes from the main context succeed; reads fail there.
    assert_eq!(
        tt_set(&main, list),
        json!({"errMsg": "setUserCloudStorage:ok"})
    );
    let read = to_json(block_on(main.tt().get_user_cloud_storage(["k"])));
    assert_eq!(
        read,
        json!({"errMsg": "getUserCloudStorage:fail can only be called in open data context", "errorCode": 999999})
    );
    let keys = to_json(block_on(main.wx().get_user_cloud_storage_keys()));
    assert_eq!(
        keys,
        json!({"errMsg": "getUserCloudStorageKeys:fail can only be called in open data context"})
    );
    let removed = to_json(block_on(main.wx().remove_user_cloud_storage(["k"])));
    assert_eq!(removed, json!({"errMsg": "removeUserCloudStorage:ok"}));
}

#[test]
fn get_remove_and_keys_in_json() {
    let g = game();
    block_on(
        g.wx()
            .set_user_cloud_storage(&[KvData::new("a", "1"), KvData::new("b", "2")]),
    )
    .unwrap();
    let wx = g.wx();
    let get = |option: Value| {
        to_json(block_on(
            wx.get_user_cloud_storage_with(keys_option(option)),
        ))
    };
    assert_eq!(
        get(json!({"keyList": ["b", "missing", "a"]})),
        json!({"KVDataList": [{"key": "b", "value": "2"}, {"key": "a", "value": "1"}], "errMsg": "getUserCloudStorage:ok"})
    );
    assert_eq!(
        get(json!({"keyList": "a"})),
        json!({"errMsg": "getUserCloudStorage:fail invalid keyList"})
    );
    assert_eq!(
        get(json!({})),
        json!({"errMsg": "getUserCloudStorage:fail invalid keyList"})
    );
    let tt_remove = to_json(block_on(
        g.tt()
            .remove_user_cloud_storage_with(keys_option(json!({"keyList": [1]}))),
    ));
    assert_eq!(
        tt_remove,
        json!({"errMsg": "removeUserCloudStorage:fail invalid keyList", "errorCode": 999999})
    );
    assert_eq!(
        to_json(block_on(g.tt().remove_user_cloud_storage(["a", "missing"]))),
        json!({"errMsg": "removeUserCloudStorage:ok"})
    );
    assert_eq!(
        to_json(block_on(wx.get_user_cloud_storage_keys())),
        json!({"keys": ["b"], "errMsg": "getUserCloudStorageKeys:ok"})
    );
}

#[test]
fn a_storage_failure_is_999993_internal_error() {
    let store = Mpstore::in_memory();
    // A record no engine wrote: the read finds it corrupt.
    let ns = Namespace::cloud(GAME, "me").unwrap().encode();
    let junk = Op::Put {
        key: b"k".to_vec(),
        value: vec![0xff, 0xfe],
        charge: 2,
    };
    block_on(store.backend().apply(&ns, &[junk], Limits::NONE)).unwrap();
    let g = store.mini_game(GameContext::new(GAME).logged_in("me").open_data());
    assert_eq!(
        to_json(block_on(g.tt().get_user_cloud_storage(["k"]))),
        json!({"errMsg": "getUserCloudStorage:fail internal error", "errorCode": 999993})
    );
    assert_eq!(
        to_json(block_on(g.wx().get_user_cloud_storage(["k"]))),
        json!({"errMsg": "getUserCloudStorage:fail internal error"})
    );
    // Both keep the storage error they report: a corrupt record, not a backend failure.
    let tt = block_on(g.tt().get_user_cloud_storage(["k"])).unwrap_err();
    assert!(matches!(tt.cause(), Error::Corrupt(_)), "{tt:?}");
    let wx = block_on(g.wx().get_user_cloud_storage(["k"])).unwrap_err();
    assert!(matches!(wx.cause(), Error::Corrupt(_)), "{wx:?}");
    let rule = block_on(g.tt().set_user_cloud_storage(&[])).unwrap_err();
    assert_eq!(rule.cause(), &Error::Cloud(CloudRule::ListEmpty));
}

/// Which callbacks ran, in order, with what.
fn run_callbacks(g: &MiniGame, option: Value) -> Vec<String> {
    let log = Arc::new(Mutex::new(Vec::new()));
    let (s, f, c) = (log.clone(), log.clone(), log.clone());
    block_on(
        g.tt()
            .set_user_cloud_storage_with(set_option(option))
            .success(move |res| s.lock().unwrap().push(format!("success {}", res.err_msg)))
            .fail(move |err| {
                f.lock()
                    .unwrap()
                    .push(format!("fail {} {}", err.err_msg, err.error_code))
            })
            .complete(move |res| c.lock().unwrap().push(format!("complete {}", res.is_ok()))),
    );
    let log = log.lock().unwrap().clone();
    log
}

#[test]
fn callbacks_run_once_each_complete_last() {
    let g = game();
    assert_eq!(
        run_callbacks(&g, json!({"KVDataList": [{"key": "k", "value": "v"}]})),
        ["success setUserCloudStorage:ok", "complete true"]
    );
    assert_eq!(
        run_callbacks(&g, json!({"KVDataList": []})),
        [
            "fail setUserCloudStorage:fail KVDataList.length must greater than 0 999999",
            "complete false"
        ]
    );
    // complete alone gets the outcome too
    let seen = Arc::new(Mutex::new(None));
    let s = seen.clone();
    block_on(
        g.wx()
            .get_user_cloud_storage(["k"])
            .complete(move |res| *s.lock().unwrap() = Some(res)),
    );
    let got = seen.lock().unwrap().take().unwrap().unwrap();
    assert_eq!(got.kv_data_list, [KvData::new("k", "v")]);
}

#[tokio::test]
async fn promise_form_inside_a_runtime() {
    let g = game();
    let ok = g
        .wx()
        .set_user_cloud_storage(&[KvData::new("k", "v")])
        .await
        .unwrap();
    assert_eq!(ok.err_msg, "setUserCloudStorage:ok");
    let err = g.tt().set_user_cloud_storage(&[]).await.unwrap_err();
    assert_eq!(
        (err.err_msg.as_str(), err.error_code),
        (
            "setUserCloudStorage:fail KVDataList.length must greater than 0",
            999999
        )
    );
    // Calls are Send + 'static: they can be spawned.
    let spawned = tokio::spawn(g.wx().get_user_cloud_storage(["k"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spawned.kv_data_list, [KvData::new("k", "v")]);
}

#[test]
fn data_is_durable_and_encrypted_in_the_default_store() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "a-very-recognisable-cloud-value";
    {
        let store = Mpstore::open_default(dir.path()).unwrap();
        let g = store.mini_game(GameContext::new(GAME).logged_in("me"));
        block_on(
            g.tt()
                .set_user_cloud_storage(&[KvData::new("save-slot", secret)]),
        )
        .unwrap();
    }
    let store = Mpstore::open_default(dir.path()).unwrap();
    let g = store.mini_game(GameContext::new(GAME).logged_in("me").open_data());
    let read = block_on(g.tt().get_user_cloud_storage(["save-slot"])).unwrap();
    assert_eq!(read.kv_data_list, [KvData::new("save-slot", secret)]);
    drop(store);
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        for needle in [secret.as_bytes(), b"save-slot"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{entry:?} holds plaintext"
            );
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
