//! Relation reads: who appears, in what order, how many, from where, and what they cost.

use async_trait::async_trait;
use cloud_kv::{
    Caller, CloudKv, KvData, Platform, Profile, RelationProvider, RelationQuery, StoredRelations,
    UserGameData,
};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use storage_core::{
    block_on, Backend, CloudRule, Error, JsValue, Limits, Listing, MemoryBackend, Namespace, Op,
    ReadPair, Result, StoredValue, Usage,
};

const GAME: &str = "game";
const BOARD: &str = "rank";

fn js(v: serde_json::Value) -> JsValue {
    serde_json::from_value(v).expect("JSON is a JsValue")
}

fn board(score: i64, update_time: i64) -> String {
    json!({"ttgame": {"score": score, "update_time": update_time}}).to_string()
}

/// A backend that records which namespaces were read.
#[derive(Default)]
struct Recording {
    inner: MemoryBackend,
    reads: Mutex<BTreeSet<Vec<u8>>>,
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl Backend for Recording {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.reads.lock().unwrap().insert(ns.to_vec());
        self.inner.get(ns, key).await
    }
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        self.reads.lock().unwrap().insert(ns.to_vec());
        self.inner.get_shared(ns, key).await
    }
    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        let read = pairs.iter().map(|(ns, _)| ns.to_vec());
        self.reads.lock().unwrap().extend(read);
        self.inner.get_many(pairs).await
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.inner.apply(ns, ops, limits).await
    }
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.inner.apply_blocking(ns, ops, limits)
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.reads.lock().unwrap().insert(ns.to_vec());
        self.inner.list(ns).await
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.inner.clear(ns).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.inner.drop_namespace(ns).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.inner.namespaces().await
    }
}

/// A game with leaderboard key `rank`, stored relations, and Douyin players.
struct World {
    backend: Arc<Recording>,
    cloud: CloudKv<Arc<Recording>>,
    relations: StoredRelations<Arc<Recording>>,
}

impl World {
    fn new() -> Self {
        let backend = Arc::new(Recording::default());
        let cloud = CloudKv::new(backend.clone());
        block_on(cloud.set_leaderboard_keys(GAME, &[BOARD])).unwrap();
        World {
            relations: StoredRelations::new(backend.clone()),
            backend,
            cloud,
        }
    }

    fn player(&self, openid: &str) -> Caller {
        Caller::new(Platform::Tt, GAME)
            .logged_in(openid)
            .open_data()
    }

    fn store(&self, openid: &str, pairs: &[(&str, &str)]) {
        let pairs: Vec<KvData> = pairs.iter().map(|(k, v)| KvData::new(*k, *v)).collect();
        block_on(self.cloud.set_pairs(&self.player(openid), &pairs)).unwrap();
    }

    fn befriend(&self, a: &str, b: &str) {
        block_on(self.relations.add_friendship(GAME, a, b)).unwrap();
    }

    fn read(&self, who: &str, query: &RelationQuery) -> Vec<UserGameData> {
        block_on(self.cloud.relation_read(&self.player(who), query)).unwrap()
    }

    fn openids(&self, who: &str, query: &RelationQuery) -> Vec<String> {
        self.read(who, query)
            .into_iter()
            .map(|u| u.openid)
            .collect()
    }
}

#[test]
fn only_players_holding_requested_data_appear_caller_included() {
    let w = World::new();
    for friend in ["ann", "bob", "cat", "dan"] {
        w.befriend("me", friend);
    }
    w.store("me", &[("level", "1")]);
    w.store("ann", &[("level", "7"), ("coins", "3")]);
    w.store("cat", &[("coins", "9")]); // holds data, but not the key asked for
    w.store("stranger", &[("level", "99")]); // not a friend
    block_on(
        w.relations
            .set_profile(GAME, "ann", &Profile::new("Ann", "https://a/ann.png")),
    )
    .unwrap();
    let read = w.read("me", &RelationQuery::friends(["level"]));
    assert_eq!(
        read,
        [
            UserGameData {
                avatar_url: "".into(),
                nickname: "".into(),
                openid: "me".into(),
                kv_data_list: vec![KvData::new("level", "1")]
            },
            UserGameData {
                avatar_url: "https://a/ann.png".into(),
                nickname: "Ann".into(),
                openid: "ann".into(),
                kv_data_list: vec![KvData::new("level", "7")]
            },
        ]
    );
    assert_eq!(
        w.openids("me", &RelationQuery::friends(["coins", "level"])),
        ["me", "ann", "cat"]
    );
    assert_eq!(
        w.openids("me", &RelationQuery::friends(Vec::<String>::new())),
        Vec::<String>::new()
    );
    // A caller without data is absent from their own read; their friend is there.
    assert_eq!(w.openids("dan", &RelationQuery::friends(["level"])), ["me"]);
    // Each player's list follows the order asked for.
    let read = w.read("me", &RelationQuery::friends(["coins", "level"]));
    assert_eq!(
        read[1].kv_data_list,
        [KvData::new("coins", "3"), KvData::new("level", "7")]
    );
}

#[test]
fn ranked_by_score_highest_first_ties_by_earlier_update_time() {
    let w = World::new();
    // (openid, score, update_time), befriended in this order
    let players = [
        ("p1", 50, 1),
        ("p2", 100, 5),
        ("p3", 100, 3),
        ("p4", -1, 0),
        ("p5", 100, 3),
        ("p6", 2147483647, 9),
    ];
    for (openid, score, time) in players {
        w.befriend("me", openid);
        w.store(openid, &[(BOARD, &board(score, time))]);
    }
    w.befriend("me", "junk");
    // A value written before `rank` became a leaderboard key does not rank.
    block_on(w.cloud.set_leaderboard_keys::<&str>(GAME, &[])).unwrap();
    w.store("junk", &[(BOARD, "not a leaderboard value")]);
    block_on(w.cloud.set_leaderboard_keys(GAME, &[BOARD])).unwrap();
    w.store("me", &[("level", "1")]); // holds data but no score: after every ranked player
    let query = RelationQuery::friends([BOARD, "level"]).sorted_by(BOARD);
    assert_eq!(
        w.openids("me", &query),
        ["p6", "p3", "p5", "p2", "p1", "p4", "me", "junk"]
    );
    // The sort key is read and returned even when keyList lacks it.
    let read = w.read("me", &RelationQuery::friends(["level"]).sorted_by(BOARD));
    assert_eq!(
        read[0].kv_data_list,
        [KvData::new(BOARD, board(2147483647, 9))]
    );
    // Under WeChat's convention none of these values rank.
    let wx = Caller {
        platform: Platform::Wx,
        ..w.player("me")
    };
    let unranked: Vec<String> = block_on(w.cloud.relation_read(&wx, &query))
        .unwrap()
        .into_iter()
        .map(|u| u.openid)
        .collect();
    assert_eq!(unranked, ["me", "p1", "p2", "p3", "p4", "p5", "p6", "junk"]);
}

#[test]
fn at_most_100_players_and_the_top_100_when_ranked() {
    let w = World::new();
    for i in 0..150 {
        let openid = format!("f{i:03}");
        w.befriend("me", &openid);
        w.store(&openid, &[(BOARD, &board(i, 0))]);
    }
    w.store("me", &[(BOARD, &board(75, 0))]);
    let unranked = w.openids("me", &RelationQuery::friends([BOARD]));
    assert_eq!(unranked.len(), 100);
    assert_eq!(unranked[0], "me");
    assert_eq!(unranked[99], "f098");
    let ranked = w.read("me", &RelationQuery::friends([BOARD]).sorted_by(BOARD));
    assert_eq!(ranked.len(), 100);
    assert_eq!(ranked[0].openid, "f149");
    // scores 149..=50; `me` ties with f075 (same score and update_time) and keeps its place
    // ahead of it in the unranked order
    assert_eq!(ranked[74].openid, "me");
    assert_eq!(ranked[75].openid, "f075");
    assert_eq!(ranked[99].openid, "f051");
}

#[test]
fn groups_and_recommendations() {
    let w = World::new();
    for (openid, score) in [("g1", 5), ("g2", 9), ("g3", 1)] {
        block_on(w.relations.join_group(GAME, "group-A", openid)).unwrap();
        w.store(openid, &[(BOARD, &board(score, 0))]);
    }
    block_on(w.relations.join_group(GAME, "group-B", "g3")).unwrap();
    block_on(w.relations.recommend(GAME, "me", "g3")).unwrap();
    w.store("me", &[(BOARD, &board(7, 0))]);
    let read = |query: &RelationQuery| w.openids("me", query);
    assert_eq!(
        read(&RelationQuery::group("group-A", [BOARD]).sorted_by(BOARD)),
        ["g2", "me", "g1", "g3"]
    );
    assert_eq!(
        read(&RelationQuery::group("group-B", [BOARD]).sorted_by(BOARD)),
        ["me", "g3"]
    );
    assert_eq!(
        read(&RelationQuery::group("nobody", [BOARD]).sorted_by(BOARD)),
        ["me"]
    );
    assert_eq!(read(&RelationQuery::recommended([BOARD])), ["me", "g3"]);
    assert_eq!(read(&RelationQuery::friends([BOARD])), ["me"]);
    block_on(w.relations.leave_group(GAME, "group-A", "g2")).unwrap();
    assert_eq!(
        read(&RelationQuery::group("group-A", [BOARD])),
        ["me", "g1", "g3"]
    );
}

#[test]
fn douyin_options_are_checked_after_the_gates() {
    let w = World::new();
    w.store("me", &[(BOARD, &board(1, 1))]);
    let run = |who: &Caller,
               kind: serde_json::Value,
               keys: serde_json::Value,
               extra: serde_json::Value| {
        block_on(
            w.cloud
                .get_cloud_storage_by_relation(who, &js(kind), &js(keys), &js(extra)),
        )
        .map(|d| d.len())
    };
    let me = w.player("me");
    let fail = |rule: CloudRule| Err(Error::Cloud(rule));
    let group = CloudRule::GroupNeedsSortKeyAndGroupId;
    // (type, keyList, extra, expected)
    let cases = [
        (json!("friend"), json!([BOARD]), json!(null), Ok(1)),
        (json!("recommend"), json!([BOARD]), json!({}), Ok(1)),
        (
            json!("group"),
            json!([BOARD]),
            json!({"sortKey": BOARD, "groupId": "g"}),
            Ok(1),
        ),
        (
            json!("group"),
            json!([BOARD]),
            json!({"sortKey": BOARD}),
            fail(group),
        ),
        (
            json!("group"),
            json!([BOARD]),
            json!({"groupId": "g"}),
            fail(group),
        ),
        (
            json!("group"),
            json!([BOARD]),
            json!({"sortKey": "", "groupId": "g"}),
            fail(group),
        ),
        (
            json!("group"),
            json!([BOARD]),
            json!({"sortKey": BOARD, "groupId": 7}),
            fail(group),
        ),
        (json!("group"), json!([BOARD]), json!(null), fail(group)),
        (
            json!("friends"),
            json!([BOARD]),
            json!(null),
            fail(CloudRule::InvalidRelationType),
        ),
        (
            json!(null),
            json!([BOARD]),
            json!(null),
            fail(CloudRule::InvalidRelationType),
        ),
        (
            json!("friend"),
            json!(BOARD),
            json!(null),
            fail(CloudRule::InvalidKeyList),
        ),
        (
            json!("friend"),
            json!([BOARD, 1]),
            json!(null),
            fail(CloudRule::InvalidKeyList),
        ),
        // the type is checked before the key list, the key list before the group's extra
        (
            json!("nope"),
            json!(null),
            json!(null),
            fail(CloudRule::InvalidRelationType),
        ),
        (
            json!("group"),
            json!(null),
            json!(null),
            fail(CloudRule::InvalidKeyList),
        ),
    ];
    for (kind, keys, extra, expected) in cases {
        assert_eq!(
            run(&me, kind.clone(), keys.clone(), extra.clone()),
            expected,
            "{kind} {keys} {extra}"
        );
        // From the main context every one of them fails the context gate first.
        assert_eq!(
            run(&me.clone().main(), kind, keys, extra),
            fail(CloudRule::NotOpenDataContext)
        );
    }
}

#[test]
fn another_games_data_never_appears() {
    let w = World::new();
    w.befriend("me", "ann");
    let elsewhere = Caller::new(Platform::Tt, "other-game").logged_in("ann");
    block_on(w.cloud.set_pairs(&elsewhere, &[KvData::new("level", "9")])).unwrap();
    block_on(w.relations.add_friendship("other-game", "me", "ann")).unwrap();
    w.store("me", &[("level", "1")]);
    assert_eq!(w.openids("me", &RelationQuery::friends(["level"])), ["me"]);
    let there = Caller {
        game: "other-game".into(),
        ..w.player("me")
    };
    let read = block_on(
        w.cloud
            .relation_read(&there, &RelationQuery::friends(["level"])),
    )
    .unwrap();
    assert_eq!(
        read.iter().map(|u| u.openid.as_str()).collect::<Vec<_>>(),
        ["ann"]
    );
    assert_eq!(read[0].kv_data_list, [KvData::new("level", "9")]);
}

#[test]
fn a_read_touches_only_the_callers_and_their_friends_namespaces() {
    let w = World::new();
    for i in 0..300 {
        w.store(&format!("player{i}"), &[("level", "1")]);
    }
    for friend in ["player1", "player2", "nobody"] {
        w.befriend("me", friend);
    }
    w.backend.reads.lock().unwrap().clear();
    assert_eq!(
        w.openids("me", &RelationQuery::friends(["level"])),
        ["player1", "player2"]
    );
    let touched = std::mem::take(&mut *w.backend.reads.lock().unwrap());
    let cloud = |openid: &str| Namespace::cloud(GAME, openid).unwrap().encode();
    let host = |subject: &str| Namespace::game_host(GAME, subject).unwrap().encode();
    let expected: BTreeSet<Vec<u8>> = [
        cloud("me"),
        cloud("player1"),
        cloud("player2"),
        cloud("nobody"),
        host("friends:me"),
        host("profiles"),
    ]
    .into();
    assert_eq!(touched, expected);
}

#[test]
fn wechat_friend_and_group_reads() {
    let w = World::new();
    w.befriend("me", "ann");
    block_on(w.relations.join_group(GAME, "chat-1", "bob")).unwrap();
    for openid in ["me", "ann", "bob"] {
        w.store(openid, &[("level", openid)]);
    }
    let me = Caller {
        platform: Platform::Wx,
        ..w.player("me")
    };
    let friends = |keys: serde_json::Value| {
        block_on(w.cloud.get_friend_cloud_storage(&me, &js(keys)))
            .map(|d| d.into_iter().map(|u| u.openid).collect::<Vec<_>>())
    };
    assert_eq!(friends(json!(["level"])).unwrap(), ["me", "ann"]);
    assert_eq!(
        friends(json!("level")),
        Err(Error::Cloud(CloudRule::InvalidKeyList))
    );
    let group = |ticket: serde_json::Value, groupid: serde_json::Value, keys: serde_json::Value| {
        block_on(
            w.cloud
                .get_group_cloud_storage(&me, &js(ticket), &js(groupid), &js(keys)),
        )
        .map(|d| d.into_iter().map(|u| u.openid).collect::<Vec<_>>())
    };
    let needs = Err(Error::Cloud(CloudRule::GroupNeedsShareTicket));
    assert_eq!(
        group(json!("chat-1"), json!(null), json!(["level"])).unwrap(),
        ["me", "bob"]
    );
    assert_eq!(
        group(json!("other"), json!("chat-1"), json!(["level"])).unwrap(),
        ["me", "bob"]
    );
    assert_eq!(group(json!(null), json!(null), json!(["level"])), needs);
    assert_eq!(group(json!(""), json!(""), json!(["level"])), needs);
    assert_eq!(
        group(json!("chat-1"), json!(null), json!(null)),
        Err(Error::Cloud(CloudRule::InvalidKeyList))
    );
    let main = me.clone().main();
    assert_eq!(
        block_on(w.cloud.get_group_cloud_storage(
            &main,
            &JsValue::Null,
            &JsValue::Null,
            &JsValue::Null
        )),
        Err(Error::Cloud(CloudRule::NotOpenDataContext))
    );
}

/// Asked for more keys than a player can hold, a read lists each player first and reads only
/// what they hold: it answers exactly what a short key list answers.
#[test]
fn a_key_list_longer_than_a_player_can_hold_answers_the_same() {
    let w = World::new();
    for friend in ["ann", "bob"] {
        w.befriend("me", friend);
    }
    w.store("me", &[("level", "1")]);
    w.store("ann", &[("coins", "3"), ("level", "7")]);
    let short = RelationQuery::friends(["level", "coins"]);
    let mut keys: Vec<String> = (0..200).map(|i| format!("absent-{i}")).collect();
    keys.insert(50, "level".into());
    keys.push("coins".into());
    let long = RelationQuery::friends(keys);
    let read = w.read("me", &long);
    assert_eq!(read, w.read("me", &short));
    assert_eq!(
        read[1].kv_data_list,
        [KvData::new("level", "7"), KvData::new("coins", "3")]
    );
}

/// The stored relations answer many profiles in one batch exactly as one by one.
#[test]
fn profiles_read_together_answer_as_one_by_one() {
    let w = World::new();
    let ann = Profile::new("Ann", "https://a/ann.png");
    block_on(w.relations.set_profile(GAME, "ann", &ann)).unwrap();
    block_on(
        w.relations
            .set_profile(GAME, "bob", &Profile::new("Bob", "")),
    )
    .unwrap();
    let openids: Vec<String> = ["bob", "nobody", "ann", "bob"].map(String::from).into();
    let together = block_on(w.relations.profiles(GAME, &openids)).unwrap();
    let one_by_one: Vec<Option<Profile>> = openids
        .iter()
        .map(|o| block_on(w.relations.profile(GAME, o)).unwrap())
        .collect();
    assert_eq!(together, one_by_one);
    assert_eq!(together[2], Some(ann));
    assert_eq!(together[1], None);
    assert_eq!(block_on(w.relations.profiles(GAME, &[])).unwrap(), []);
}
