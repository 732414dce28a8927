//! The rules of behaviour §5 for a player's own data: sizes in UTF-8 bytes at their exact
//! boundaries, the pair limit after merging, JS-typed input, leaderboard values, the gates, and
//! failed calls that change nothing.

use cloud_kv::{CallContext, Caller, CloudKv, HostKind, KvData, Platform};
use serde_json::json;
use std::sync::Arc;
use storage_core::{block_on, CloudRule, Error, JsValue, MemoryBackend};

const GAME: &str = "tt-game";
const BOARD: &str = "rank";

fn js(v: serde_json::Value) -> JsValue {
    serde_json::from_value(v).expect("JSON is a JsValue")
}

/// A fresh store with one leaderboard key, and a logged-in Douyin player in the open data
/// context.
struct World {
    cloud: CloudKv<Arc<MemoryBackend>>,
    player: Caller,
}

impl World {
    fn new() -> Self {
        let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
        block_on(cloud.set_leaderboard_keys(GAME, &[BOARD])).unwrap();
        World {
            cloud,
            player: Caller::new(Platform::Tt, GAME).logged_in("me").open_data(),
        }
    }

    fn set(&self, list: serde_json::Value) -> Result<(), Error> {
        block_on(self.cloud.set_user_cloud_storage(&self.player, &js(list)))
    }

    fn set_pairs(&self, pairs: &[(String, String)]) -> Result<(), Error> {
        let pairs: Vec<KvData> = pairs.iter().map(|(k, v)| KvData::new(k, v)).collect();
        block_on(self.cloud.set_pairs(&self.player, &pairs))
    }

    /// Every pair the player holds, in insertion order.
    fn all(&self) -> Vec<KvData> {
        let keys = block_on(self.cloud.get_user_cloud_storage_keys(&self.player)).unwrap();
        block_on(self.cloud.get_pairs(&self.player, &keys)).unwrap()
    }

    /// Runs a set that must fail with `rule`, and checks it changed nothing.
    fn refused(&self, list: serde_json::Value, rule: CloudRule) {
        let before = self.all();
        assert_eq!(self.set(list.clone()), Err(Error::Cloud(rule)), "{list}");
        assert_eq!(self.all(), before, "a refused call changed data: {list}");
    }
}

fn item(key: &str, value: &str) -> serde_json::Value {
    json!({"key": key, "value": value})
}

/// `n` bytes of ASCII followed by `tail`.
fn pad(n: usize, tail: &str) -> String {
    "a".repeat(n) + tail
}

#[test]
fn sizes_are_utf8_bytes_at_the_exact_boundaries() {
    // (key, value, expected): multi-byte characters straddle each boundary, so counting UTF-16
    // units or chars instead of bytes fails these.
    let cases: &[(String, String, Result<(), CloudRule>)] = &[
        (pad(128, ""), String::new(), Ok(())),
        (pad(129, ""), String::new(), Err(CloudRule::KeyTooLong)),
        (pad(125, "中"), String::new(), Ok(())), // 128 bytes, 126 UTF-16 units
        (pad(126, "中"), String::new(), Err(CloudRule::KeyTooLong)), // 129 bytes, 127 units
        (pad(124, "😀"), String::new(), Ok(())), // 128 bytes
        (pad(125, "😀"), String::new(), Err(CloudRule::KeyTooLong)), // 129 bytes
        ("中".repeat(42) + "aa", String::new(), Ok(())), // 128 bytes, 44 units
        ("中".repeat(43), String::new(), Err(CloudRule::KeyTooLong)), // 129 bytes, 43 units
        ("k".into(), pad(1023, ""), Ok(())),
        ("k".into(), pad(1024, ""), Err(CloudRule::KeyValueTooLong)),
        ("k".into(), pad(1020, "中"), Ok(())), // 1 + 1023 = 1024 bytes
        ("k".into(), pad(1021, "中"), Err(CloudRule::KeyValueTooLong)), // 1025 bytes
        ("k".into(), pad(1019, "😀"), Ok(())), // 1024 bytes
        ("k".into(), pad(1020, "😀"), Err(CloudRule::KeyValueTooLong)), // 1025 bytes
        (pad(125, "中"), pad(892, "😀"), Ok(())), // 128 + 896 = 1024
        (
            pad(125, "中"),
            pad(893, "😀"),
            Err(CloudRule::KeyValueTooLong),
        ), // 1025
        ("键".into(), "值".repeat(340) + "a", Ok(())), // 3 + 1021 = 1024
        (
            "键".into(),
            "值".repeat(340) + "ab",
            Err(CloudRule::KeyValueTooLong),
        ), // 1025
    ];
    for (key, value, expected) in cases {
        let w = World::new();
        match expected {
            Ok(()) => {
                w.set(json!([item(key, value)])).unwrap();
                assert_eq!(w.all(), [KvData::new(key, value)]);
            }
            Err(rule) => w.refused(json!([item(key, value)]), *rule),
        }
    }
}

type Pairs = Vec<(String, String)>;

fn pairs(prefix: &str, n: usize) -> Pairs {
    (0..n)
        .map(|i| (format!("{prefix}{i}"), "v".into()))
        .collect()
}

#[test]
fn at_most_128_pairs_after_merging_with_stored_ones() {
    // (already stored, then one call, expected): pairs are counted after the merge.
    let cases: &[(Pairs, Pairs, Result<(), CloudRule>)] = &[
        (vec![], pairs("k", 128), Ok(())),
        (vec![], pairs("k", 129), Err(CloudRule::TooManyPairs)),
        (pairs("old", 100), pairs("new", 28), Ok(())),
        (
            pairs("old", 100),
            pairs("new", 29),
            Err(CloudRule::TooManyPairs),
        ),
        (pairs("k", 128), pairs("k", 128), Ok(())), // overwrites add no pair
        (pairs("k", 128), pairs("k", 5), Ok(())),
        (
            pairs("k", 128),
            pairs("new", 1),
            Err(CloudRule::TooManyPairs),
        ),
        (
            pairs("k", 127),
            [pairs("k", 127), pairs("new", 1)].concat(),
            Ok(()),
        ),
        (
            pairs("k", 127),
            [pairs("k", 127), pairs("new", 2)].concat(),
            Err(CloudRule::TooManyPairs),
        ),
        // one call naming a key twice counts it once
        (vec![], [pairs("k", 128), pairs("k", 1)].concat(), Ok(())),
    ];
    for (stored, call, expected) in cases {
        let w = World::new();
        if !stored.is_empty() {
            w.set_pairs(stored).unwrap();
        }
        let before = w.all();
        assert_eq!(w.set_pairs(call), expected.map_err(Error::Cloud));
        let after = w.all();
        assert!(after.len() <= 128);
        if expected.is_err() {
            assert_eq!(after, before, "a refused call changed data");
        }
    }
}

#[test]
fn js_typed_input_fails_with_its_reason() {
    let ok = item("ok", "1");
    let cases = [
        (json!(null), CloudRule::ListNotArray),
        (json!({"key": "k", "value": "v"}), CloudRule::ListNotArray),
        (json!("[]"), CloudRule::ListNotArray),
        (json!([]), CloudRule::ListEmpty),
        (json!([{"key": "k", "value": 1}]), CloudRule::InvalidItem),
        (
            json!([{"key": "k", "value": {"score": 1}}]),
            CloudRule::InvalidItem,
        ),
        (json!([{"key": "k", "value": null}]), CloudRule::InvalidItem),
        (json!([{"key": "k", "value": true}]), CloudRule::InvalidItem),
        (json!([{"key": "k"}]), CloudRule::InvalidItem),
        (json!([{"key": 1, "value": "v"}]), CloudRule::InvalidItem),
        (json!([{"key": "", "value": "v"}]), CloudRule::InvalidItem),
        (json!([{"value": "v"}]), CloudRule::InvalidItem),
        (json!(["k"]), CloudRule::InvalidItem),
        (json!([null]), CloudRule::InvalidItem),
        (
            json!([ok, {"key": "", "value": "v"}]),
            CloudRule::InvalidItem,
        ),
        // the shape of every item is checked before any size
        (
            json!([item(&pad(129, ""), "v"), {"key": 2, "value": "v"}]),
            CloudRule::InvalidItem,
        ),
        // sizes item by item: the first item's failure wins
        (
            json!([item(&pad(129, ""), ""), item("k", &pad(1024, ""))]),
            CloudRule::KeyTooLong,
        ),
        (
            json!([item("k", &pad(1024, "")), item(&pad(129, ""), "")]),
            CloudRule::KeyValueTooLong,
        ),
        (
            json!([ok, item(BOARD, "100")]),
            CloudRule::InvalidLeaderboardValue,
        ),
    ];
    for (list, rule) in cases {
        let w = World::new();
        w.set(json!([item("stored", "before")])).unwrap();
        w.refused(list, rule);
    }
    // Undefined (a missing KVDataList) is not an array either.
    let w = World::new();
    let undefined = block_on(
        w.cloud
            .set_user_cloud_storage(&w.player, &JsValue::Undefined),
    );
    assert_eq!(undefined, Err(Error::Cloud(CloudRule::ListNotArray)));
    // Extra fields of an item are ignored; an empty value is a value.
    w.set(json!([{"key": "k", "value": "", "note": 1}]))
        .unwrap();
    assert_eq!(w.all(), [KvData::new("k", "")]);
}

#[test]
fn leaderboard_values_follow_the_platform_convention() {
    // (platform, value, accepted)
    let cases = [
        (
            Platform::Tt,
            r#"{"ttgame":{"score":100,"update_time":1557813466}}"#,
            true,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":100,"update_time":1557813466},"progress":10}"#,
            true,
        ),
        (
            Platform::Tt,
            r#"{"progress":10,"ttgame":{"update_time":1,"score":-5}}"#,
            true,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":2147483647,"update_time":9223372036854775807}}"#,
            true,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":-2147483648,"update_time":0}}"#,
            true,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":100.0,"update_time":1e9}}"#,
            true,
        ),
        (
            Platform::Wx,
            r#"{"wxgame":{"score":16,"update_time":1513080573},"cost_ms":36500}"#,
            true,
        ),
        (Platform::Tt, r#"{"progress":10}"#, false), // missing ttgame
        (
            Platform::Tt,
            r#"{"wxgame":{"score":1,"update_time":1}}"#,
            false,
        ),
        (
            Platform::Wx,
            r#"{"ttgame":{"score":1,"update_time":1}}"#,
            false,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":1,"update_time":1,"level":2}}"#,
            false,
        ), // extra field
        (Platform::Tt, r#"{"ttgame":{"score":1}}"#, false),
        (Platform::Tt, r#"{"ttgame":{"update_time":1}}"#, false),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":1.5,"update_time":1}}"#,
            false,
        ), // non-integer
        (
            Platform::Tt,
            r#"{"ttgame":{"score":"100","update_time":1}}"#,
            false,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":null,"update_time":1}}"#,
            false,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":1,"update_time":1.5}}"#,
            false,
        ),
        (
            Platform::Tt,
            r#"{"ttgame":{"score":2147483648,"update_time":1}}"#,
            false,
        ), // > int32
        (
            Platform::Tt,
            r#"{"ttgame":{"score":-2147483649,"update_time":1}}"#,
            false,
        ), // < int32
        (
            Platform::Tt,
            r#"{"ttgame":{"score":1,"update_time":9223372036854775808}}"#,
            false,
        ),
        (Platform::Tt, r#"{"ttgame":null}"#, false),
        (Platform::Tt, r#"{"ttgame":[100,1]}"#, false),
        (
            Platform::Tt,
            r#"[{"ttgame":{"score":1,"update_time":1}}]"#,
            false,
        ),
        (Platform::Tt, "100", false),
        (Platform::Tt, "not json", false),
        (Platform::Tt, "", false),
    ];
    for (platform, value, accepted) in cases {
        let mut w = World::new();
        w.player.platform = platform;
        if accepted {
            w.set(json!([item(BOARD, value)])).unwrap();
            assert_eq!(w.all(), [KvData::new(BOARD, value)]);
        } else {
            w.refused(
                json!([item(BOARD, value)]),
                CloudRule::InvalidLeaderboardValue,
            );
        }
        // Keys that are not leaderboard keys take any string.
        w.set(json!([item("free", value)])).unwrap();
    }
}

#[test]
fn leaderboard_keys_are_per_game_and_replaceable() {
    let w = World::new();
    let bad = json!([item("other", "100")]);
    w.set(bad.clone()).unwrap();
    block_on(w.cloud.set_leaderboard_keys(GAME, &["other"])).unwrap();
    assert_eq!(block_on(w.cloud.leaderboard_keys(GAME)).unwrap(), ["other"]);
    w.refused(bad, CloudRule::InvalidLeaderboardValue);
    w.set(json!([item(BOARD, "100")])).unwrap(); // no longer a leaderboard key
    let elsewhere = Caller {
        game: "another-game".into(),
        ..w.player.clone()
    };
    block_on(
        w.cloud
            .set_pairs(&elsewhere, &[KvData::new("other", "100")]),
    )
    .unwrap();
}

#[test]
fn the_seeds_example_call_succeeds_and_reads_back() {
    // tt.setUserCloudStorage({KVDataList: [{key: "xxx", value: JSON.stringify({ttgame: {score:
    // 100, update_time: 1557813466}, progress: 10})}]}), with "xxx" a leaderboard key.
    let w = World::new();
    block_on(w.cloud.set_leaderboard_keys(GAME, &["xxx"])).unwrap();
    let value = serde_json::to_string(&json!({
        "ttgame": {"score": 100, "update_time": 1557813466},
        "progress": 10,
    }))
    .unwrap();
    w.set(json!([{"key": "xxx", "value": value}])).unwrap();
    let read = block_on(
        w.cloud
            .get_user_cloud_storage(&w.player, &js(json!(["xxx"]))),
    )
    .unwrap();
    assert_eq!(read, [KvData::new("xxx", &value)]);
}

#[test]
fn reads_return_requested_keys_in_order_and_removes_are_all_at_once() {
    let w = World::new();
    w.set(json!([item("a", "1"), item("b", "2"), item("c", "3")]))
        .unwrap();
    let get =
        |keys: serde_json::Value| block_on(w.cloud.get_user_cloud_storage(&w.player, &js(keys)));
    assert_eq!(
        get(json!(["c", "missing", "a", "c"])).unwrap(),
        [KvData::new("c", "3"), KvData::new("a", "1")]
    );
    assert_eq!(get(json!([])).unwrap(), []);
    for bad in [json!("a"), json!(null), json!([1]), json!(["a", null])] {
        assert_eq!(get(bad), Err(Error::Cloud(CloudRule::InvalidKeyList)));
    }
    let remove =
        |keys: serde_json::Value| block_on(w.cloud.remove_user_cloud_storage(&w.player, &js(keys)));
    assert_eq!(
        remove(json!(["a", 2])),
        Err(Error::Cloud(CloudRule::InvalidKeyList))
    );
    assert_eq!(w.all().len(), 3, "a refused remove changed data");
    remove(json!(["a", "missing", "c"])).unwrap();
    assert_eq!(w.all(), [KvData::new("b", "2")]);
    // Overwriting keeps a key's place; removing then setting moves it to the end.
    w.set(json!([item("x", "1"), item("b", "3")])).unwrap();
    assert_eq!(
        block_on(w.cloud.get_user_cloud_storage_keys(&w.player)).unwrap(),
        ["b", "x"]
    );
}

#[test]
fn gates_come_first_in_their_order() {
    let base = Caller::new(Platform::Tt, GAME).logged_in("me");
    let app = base.clone().in_host(HostKind::MiniApp);
    let nobody = Caller {
        openid: None,
        ..base.clone()
    };
    let empty = Caller {
        openid: Some(String::new()),
        ..base.clone()
    };
    let main = base.clone().main();
    let open = base.clone().open_data();
    let bad_list = js(json!("not a list"));
    let keys = js(json!(["k"]));
    let w = World::new();
    let c = &w.cloud;
    let set = |who: &Caller| block_on(c.set_user_cloud_storage(who, &bad_list));
    let get = |who: &Caller| block_on(c.get_user_cloud_storage(who, &keys)).map(|_| ());
    let remove = |who: &Caller| block_on(c.remove_user_cloud_storage(who, &keys));
    let list_keys = |who: &Caller| block_on(c.get_user_cloud_storage_keys(who)).map(|_| ());
    let relation = |who: &Caller| {
        block_on(c.get_cloud_storage_by_relation(
            who,
            &js(json!("friend")),
            &keys,
            &JsValue::Undefined,
        ))
        .map(|_| ())
    };
    let fail = |rule: CloudRule| Err(Error::Cloud(rule));
    // The mini-app gate beats every other, even a missing login and a bad argument.
    let app_nobody = Caller {
        openid: None,
        ..app.clone()
    };
    for r in [
        set(&app),
        set(&app_nobody),
        get(&app),
        remove(&app),
        list_keys(&app),
        relation(&app),
    ] {
        assert_eq!(r, fail(CloudRule::NotAGame));
    }
    for who in [&nobody, &empty] {
        for r in [
            set(who),
            get(who),
            remove(who),
            list_keys(who),
            relation(who),
        ] {
            assert_eq!(r, fail(CloudRule::NotLoggedIn));
        }
    }
    // Reads only from the open data context; writes from both.
    for r in [get(&main), list_keys(&main), relation(&main)] {
        assert_eq!(r, fail(CloudRule::NotOpenDataContext));
    }
    for who in [&main, &open] {
        assert_eq!(who.context == CallContext::Main, who == &main);
        assert_eq!(set(who), fail(CloudRule::ListNotArray));
        block_on(c.set_pairs(who, &[KvData::new("k", "v")])).unwrap();
        remove(who).unwrap();
    }
    for r in [get(&open), list_keys(&open), relation(&open)] {
        r.unwrap();
    }
}

#[test]
fn concurrent_writers_never_pass_128_pairs() {
    // 10 threads each write 20 new keys in one call: exactly 6 calls fit (120 pairs), whatever
    // the interleaving, and the data is exactly theirs.
    let w = World::new();
    let outcomes: Vec<(usize, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|t| {
                let w = &w;
                s.spawn(move || (t, w.set_pairs(&pairs(&format!("t{t}-"), 20)).is_ok()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<usize> = outcomes
        .iter()
        .filter(|(_, ok)| *ok)
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(winners.len(), 6);
    let mut held: Vec<String> = w.all().into_iter().map(|p| p.key).collect();
    let mut expected: Vec<String> = winners
        .iter()
        .flat_map(|t| pairs(&format!("t{t}-"), 20).into_iter().map(|(k, _)| k))
        .collect();
    held.sort();
    expected.sort();
    assert_eq!(held, expected);
}

#[test]
fn removing_a_player_removes_their_data_only() {
    let w = World::new();
    w.set(json!([item("k", "v")])).unwrap();
    let other = Caller::new(Platform::Tt, GAME)
        .logged_in("other")
        .open_data();
    block_on(w.cloud.set_pairs(&other, &[KvData::new("k", "v")])).unwrap();
    block_on(w.cloud.remove_player(GAME, "me")).unwrap();
    assert_eq!(w.all(), []);
    assert_eq!(
        block_on(w.cloud.get_pairs(&other, &["k".into()])).unwrap(),
        [KvData::new("k", "v")]
    );
    assert_eq!(block_on(w.cloud.leaderboard_keys(GAME)).unwrap(), [BOARD]);
}
