//! Game cloud data in the inspector: players and their KVDataLists, edits as the player's own
//! calls, and a leaderboard ranked as `getCloudStorageByRelation` ranks.

mod common;

use common::{get, ns_param, post};
use serde_json::{json, Value};
use storage_api::dispatch::{self, Api, Args};
use storage_api::Mpstore;
use storage_core::value::tagged::from_tagged;
use storage_core::{block_on, Dialect};

fn player(game: &str, openid: &str) -> Value {
    json!({"kind": "cloud", "game": game, "openid": openid})
}

/// `api(args)` of `dialect` as `openid` of `game`, through the inspector or straight through the
/// dispatch (`open_data` for reads).
fn cloud_call(
    store: &Mpstore,
    via_page: bool,
    dialect: Dialect,
    game: &str,
    openid: &str,
    api: &str,
    args: Value,
) -> Value {
    if via_page {
        return post(
            store,
            "/api/call",
            json!({"ns": player(game, openid), "dialect": dialect.name(), "api": api, "args": [args]}),
        );
    }
    let read = api.starts_with("get");
    let ctx = dispatch::cloud::game_context(game.into(), Some(openid.into()), read, true);
    let outcome = dispatch::cloud::call(
        &store.cloud().mini_game(ctx),
        Api::find(dialect, api).unwrap(),
        Ok(Args(vec![from_tagged(&args).unwrap()])),
    )
    .unwrap();
    json!({"ending": outcome.ending().name(), "failed": outcome.is_failure(), "result": outcome.tagged()})
}

fn score(points: i64, at: i64) -> String {
    json!({"ttgame": {"score": points, "update_time": at}}).to_string()
}

#[test]
fn edits_of_a_players_pairs_answer_as_the_platform_does() {
    let long = "x".repeat(1100);
    let cases = [
        (
            "setUserCloudStorage",
            json!({"KVDataList": [{"key": "level", "value": "3"}]}),
        ),
        (
            "setUserCloudStorage",
            json!({"KVDataList": [{"key": "big", "value": long}]}),
        ),
        (
            "setUserCloudStorage",
            json!({"KVDataList": [{"key": "n", "value": 3}]}),
        ),
        ("removeUserCloudStorage", json!({"keyList": ["level"]})),
        ("removeUserCloudStorage", json!({"keyList": "level"})),
    ];
    let (store, twin) = (Mpstore::in_memory(), Mpstore::in_memory());
    for dialect in [Dialect::Tt, Dialect::Wx] {
        for (api, args) in &cases {
            let got = cloud_call(&store, true, dialect, "g", "p", api, args.clone());
            let want = cloud_call(&twin, false, dialect, "g", "p", api, args.clone());
            assert_eq!(got, want, "{dialect:?} {api} {args:.60}");
        }
    }
}

#[test]
fn a_players_pairs_are_listed_under_its_game() {
    let store = Mpstore::in_memory();
    for (openid, key) in [("p1", "a"), ("p2", "b")] {
        let list = json!({"KVDataList": [{"key": key, "value": "1"}, {"key": "z", "value": "2"}]});
        cloud_call(
            &store,
            true,
            Dialect::Tt,
            "g",
            openid,
            "setUserCloudStorage",
            list,
        );
    }
    let o = get(&store, "/api/namespaces");
    let players: Vec<_> = o["games"][0]["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["openid"].clone(), p["entries"].clone()))
        .collect();
    assert_eq!(o["games"][0]["game"], "g");
    assert_eq!(players, [(json!("p1"), json!(2)), (json!("p2"), json!(2))]);
    let page = get(
        &store,
        &format!("/api/entries?ns={}", ns_param(&player("g", "p2"))),
    );
    let keys: Vec<_> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].clone())
        .collect();
    assert_eq!(keys, [json!("b"), json!("z")]);
    assert_eq!(
        page["entries"][0]["size"], 2,
        "UTF-8 bytes of key and value"
    );
}

#[test]
fn the_leaderboard_ranks_as_get_cloud_storage_by_relation_does() {
    let store = Mpstore::in_memory();
    let cloud = store.cloud();
    block_on(cloud.set_leaderboard_keys("g", &["score"])).unwrap();
    // Ties on score broken by the earlier update_time; a player without the key comes last
    // here, and not at all in a relation read (it holds none of the keys asked for).
    let players = [
        ("p0", score(10, 5)),
        ("p1", score(30, 9)),
        ("p2", score(30, 2)),
        ("p3", String::new()),
        ("p4", score(-1, 0)),
        ("p5", score(20, 1)),
    ];
    for (openid, value) in &players {
        let pair = match value.as_str() {
            "" => json!({"key": "level", "value": "1"}),
            _ => json!({"key": "score", "value": value}),
        };
        let list = json!({"KVDataList": [pair]});
        cloud_call(
            &store,
            false,
            Dialect::Tt,
            "g",
            openid,
            "setUserCloudStorage",
            list,
        );
        if *openid != "p0" {
            block_on(cloud.stored_relations().add_friendship("g", "p0", openid)).unwrap();
        }
    }
    let relation = json!({"type": "friend", "keyList": ["score"], "extra": {"sortKey": "score"}});
    let read = cloud_call(
        &store,
        false,
        Dialect::Tt,
        "g",
        "p0",
        "getCloudStorageByRelation",
        relation,
    );
    let platform: Vec<Value> = read["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["openid"].clone())
        .collect();
    let board = get(&store, "/api/leaderboard?game=g&dialect=tt");
    let ours: Vec<Value> = board["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["openid"].clone())
        .collect();
    assert_eq!(ours[..5], platform);
    assert_eq!(ours, ["p2", "p1", "p5", "p0", "p4", "p3"]);
    assert_eq!(
        (board["sortKey"].clone(), board["leaderboardKeys"].clone()),
        (json!("score"), json!(["score"]))
    );
    assert_eq!(board["players"][0]["score"], 30);
    assert_eq!(board["players"][5]["score"], Value::Null);
    // WeChat's convention is `wxgame`: under wx nobody here has a score.
    let wx = get(&store, "/api/leaderboard?game=g&dialect=wx");
    assert!(wx["players"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["score"].is_null()));
}
