//! Relation reads through the facades: `tt.getCloudStorageByRelation`,
//! `wx.getFriendCloudStorage`, `wx.getGroupCloudStorage`, as JSON.

use async_trait::async_trait;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use storage_api::cloud::{
    Cloud, GameContext, GetCloudStorageByRelationOption, GetGroupCloudStorageOption, KvData,
    Profile, RelationProvider,
};
use storage_api::Mpstore;
use storage_core::{block_on, Error, Result};

const GAME: &str = "game";

fn to_json<S: Serialize, F: Serialize>(outcome: std::result::Result<S, F>) -> Value {
    match outcome {
        Ok(s) => serde_json::to_value(s).unwrap(),
        Err(f) => serde_json::to_value(f).unwrap(),
    }
}

fn board(score: i64, update_time: i64) -> String {
    json!({"ttgame": {"score": score, "update_time": update_time}}).to_string()
}

/// A store where `me` has friends `ann` (scored), `bob` (no data) and `cat` (scored, tied with
/// ann but earlier), and `stranger` (not a friend) holds data too.
fn world() -> (Mpstore, Cloud) {
    let store = Mpstore::in_memory();
    let cloud = store.cloud();
    block_on(cloud.set_leaderboard_keys(GAME, &["rank"])).unwrap();
    let relations = cloud.stored_relations();
    for friend in ["ann", "bob", "cat"] {
        block_on(relations.add_friendship(GAME, "me", friend)).unwrap();
    }
    block_on(relations.set_profile(GAME, "ann", &Profile::new("Ann", "https://a/ann.png")))
        .unwrap();
    for (openid, score, time) in [
        ("me", 5, 1),
        ("ann", 9, 7),
        ("cat", 9, 3),
        ("stranger", 99, 1),
    ] {
        let player = store.mini_game(GameContext::new(GAME).logged_in(openid));
        block_on(
            player
                .tt()
                .set_user_cloud_storage(&[KvData::new("rank", board(score, time))]),
        )
        .unwrap();
    }
    (store, cloud)
}

fn user(openid: &str, nickname: &str, avatar: &str, kv: Value) -> Value {
    json!({"avatarUrl": avatar, "nickname": nickname, "openid": openid, "KVDataList": kv})
}

fn rank(score: i64, time: i64) -> Value {
    json!([{"key": "rank", "value": board(score, time)}])
}

#[test]
fn tt_friends_ranked_with_profiles() {
    let (store, _) = world();
    let tt = store
        .mini_game(GameContext::new(GAME).logged_in("me").open_data())
        .tt();
    let option: GetCloudStorageByRelationOption = serde_json::from_value(
        json!({"type": "friend", "keyList": ["rank"], "extra": {"sortKey": "rank"}}),
    )
    .unwrap();
    assert_eq!(
        to_json(block_on(tt.get_cloud_storage_by_relation(option))),
        json!({
            "data": [
                user("cat", "", "", rank(9, 3)),
                user("ann", "Ann", "https://a/ann.png", rank(9, 7)),
                user("me", "", "", rank(5, 1)),
            ],
            "errMsg": "getCloudStorageByRelation:ok",
        })
    );
    let unranked = block_on(
        tt.get_cloud_storage_by_relation(GetCloudStorageByRelationOption::friends(["rank"])),
    )
    .unwrap();
    let order: Vec<&str> = unranked.data.iter().map(|u| u.openid.as_str()).collect();
    assert_eq!(order, ["me", "ann", "cat"]);
}

#[test]
fn tt_option_failures_and_the_main_context() {
    let (store, _) = world();
    let ctx = GameContext::new(GAME).logged_in("me");
    let open = store.mini_game(ctx.clone().open_data()).tt();
    let main = store.mini_game(ctx.main()).tt();
    let run = |tt: &storage_api::cloud::TtGame, option: Value| {
        to_json(block_on(tt.get_cloud_storage_by_relation(
            serde_json::from_value(option).unwrap(),
        )))
    };
    let fail = |reason: &str| json!({"errMsg": format!("getCloudStorageByRelation:fail {reason}"), "errorCode": 999999});
    let group_needs = fail("extra.sortKey and extra.groupId are required when type is group");
    let cases = [
        (
            json!({"type": "group", "keyList": ["rank"]}),
            group_needs.clone(),
        ),
        (
            json!({"type": "group", "keyList": ["rank"], "extra": {"sortKey": "rank"}}),
            group_needs.clone(),
        ),
        (
            json!({"type": "group", "keyList": ["rank"], "extra": {"groupId": "g"}}),
            group_needs,
        ),
        (
            json!({"type": "rivals", "keyList": ["rank"]}),
            fail("invalid relation type"),
        ),
        (json!({"keyList": ["rank"]}), fail("invalid relation type")),
        (json!({"type": "friend"}), fail("invalid keyList")),
    ];
    for (option, expected) in cases {
        assert_eq!(run(&open, option.clone()), expected, "{option}");
        assert_eq!(
            run(&main, option),
            fail("can only be called in open data context")
        );
    }
    let ok = run(
        &open,
        json!({"type": "group", "keyList": ["rank"], "extra": {"sortKey": "rank", "groupId": "g"}}),
    );
    assert_eq!(
        ok,
        json!({"data": [user("me", "", "", rank(5, 1))], "errMsg": "getCloudStorageByRelation:ok"})
    );
}

#[test]
fn wx_friend_and_group_reads() {
    let (store, cloud) = world();
    block_on(
        cloud
            .stored_relations()
            .join_group(GAME, "ticket-1", "stranger"),
    )
    .unwrap();
    let wx = store
        .mini_game(GameContext::new(GAME).logged_in("me").open_data())
        .wx();
    let friends = to_json(block_on(wx.get_friend_cloud_storage(["rank"])));
    let openids: Vec<&str> = friends["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["openid"].as_str().unwrap())
        .collect();
    assert_eq!(openids, ["me", "ann", "cat"]);
    assert_eq!(friends["errMsg"], "getFriendCloudStorage:ok");
    let group = to_json(block_on(wx.get_group_cloud_storage(
        GetGroupCloudStorageOption::share_ticket("ticket-1", ["rank"]),
    )));
    assert_eq!(
        group,
        json!({"data": [user("me", "", "", rank(5, 1)), user("stranger", "", "", rank(99, 1))], "errMsg": "getGroupCloudStorage:ok"})
    );
    let no_ticket: GetGroupCloudStorageOption =
        serde_json::from_value(json!({"keyList": ["rank"]})).unwrap();
    assert_eq!(
        to_json(block_on(wx.get_group_cloud_storage(no_ticket))),
        json!({"errMsg": "getGroupCloudStorage:fail shareTicket or groupid is required"})
    );
}

#[test]
fn at_most_100_players() {
    let store = Mpstore::in_memory();
    let cloud = store.cloud();
    let relations = cloud.stored_relations();
    for i in 0..120 {
        let openid = format!("f{i:03}");
        block_on(relations.add_friendship(GAME, "me", &openid)).unwrap();
        let friend = store.mini_game(GameContext::new(GAME).logged_in(openid.as_str()));
        block_on(
            friend
                .wx()
                .set_user_cloud_storage(&[KvData::new("level", i.to_string())]),
        )
        .unwrap();
    }
    let wx = store
        .mini_game(GameContext::new(GAME).logged_in("me").open_data())
        .wx();
    let data = block_on(wx.get_friend_cloud_storage(["level"]))
        .unwrap()
        .data;
    assert_eq!(data.len(), 100);
    assert_eq!(
        (data[0].openid.as_str(), data[99].openid.as_str()),
        ("f000", "f099")
    );
}

/// A host's own social graph: everyone is friends with `ann`; the provider can fail.
struct HostGraph;

#[async_trait]
impl RelationProvider for HostGraph {
    async fn friends(&self, _game: &str, openid: &str) -> Result<Vec<String>> {
        match openid {
            "broken" => Err(Error::Unavailable("social graph offline".into())),
            _ => Ok(vec!["ann".into()]),
        }
    }
    async fn group_members(&self, _game: &str, _group_id: &str) -> Result<Vec<String>> {
        Ok(vec![])
    }
    async fn recommended(&self, _game: &str, _openid: &str) -> Result<Vec<String>> {
        Ok(vec![])
    }
    async fn profile(&self, _game: &str, openid: &str) -> Result<Option<Profile>> {
        Ok(Some(Profile::new(
            openid.to_uppercase(),
            format!("https://host/{openid}.png"),
        )))
    }
}

#[test]
fn a_host_relation_provider() {
    let (store, _) = world();
    let cloud = Cloud::with_relations(&store, Arc::new(HostGraph));
    let tt = cloud
        .mini_game(GameContext::new(GAME).logged_in("me").open_data())
        .tt();
    let read = block_on(
        tt.get_cloud_storage_by_relation(GetCloudStorageByRelationOption::friends(["rank"])),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(read.data).unwrap(),
        json!([
            user("me", "ME", "https://host/me.png", rank(5, 1)),
            user("ann", "ANN", "https://host/ann.png", rank(9, 7))
        ])
    );
    let broken = cloud
        .mini_game(GameContext::new(GAME).logged_in("broken").open_data())
        .tt();
    assert_eq!(
        to_json(block_on(broken.get_cloud_storage_by_relation(
            GetCloudStorageByRelationOption::friends(["rank"])
        ))),
        json!({"errMsg": "getCloudStorageByRelation:fail internal error", "errorCode": 999993})
    );
}
