//! Douyin's user groups and ImRank leaderboards through `storage_api::dispatch`, as the bridge
//! and the Node addon call them: each failure's `{errMsg, errorCode}`, each success's shape,
//! the host's clock moving a list past a day, and what `getImRankList` leaves for the host.

use serde_json::{json, Value};
use storage_api::cloud::{Cloud, GameContext};
use storage_api::dispatch::{cloud, host, Api, Args, Ending, Outcome, Payload};
use storage_api::Mpstore;
use storage_core::{Dialect, JsValue};

const GAME: &str = "tt-game";
/// Sunday 2026-12-06 23:00 in Beijing.
const SUNDAY_23H: f64 = 1_796_569_200_000.0;

struct World {
    store: Mpstore,
    cloud: Cloud,
}

impl World {
    fn new() -> Self {
        let store = Mpstore::in_memory();
        let cloud = store.cloud();
        let world = World { store, cloud };
        world.host("setClock", vec![JsValue::Number(SUNDAY_23H)]);
        world
    }

    /// `tt.<api>(options)` as `who` from `context` (`main` or `open`): how it ended, and its
    /// payload as JSON.
    fn call(&self, who: &str, context: &str, api: &str, options: Value) -> (Ending, Value) {
        let mut ctx = GameContext::new(GAME).logged_in(who);
        if context == "open" {
            ctx = ctx.open_data();
        }
        let game = self.cloud.mini_game(ctx);
        let api = Api::find(Dialect::Tt, api).unwrap_or_else(|| panic!("tt has no {api}"));
        let args = Args(vec![serde_json::from_value(options).unwrap()]);
        let outcome: Outcome = cloud::call(&game, api, Ok(args)).unwrap();
        let Payload::Shaped { json, .. } = outcome.payload() else {
            panic!("a cloud API answers an object")
        };
        (outcome.ending(), json.clone())
    }

    fn host(&self, method: &str, args: Vec<JsValue>) -> Value {
        let outcome = host::call(&self.store, &self.cloud, method, Args(args)).unwrap();
        let Payload::Shaped { json, .. } = outcome.payload() else {
            panic!("a host operation returns JSON")
        };
        json.clone()
    }
}

fn fail(api: &str, reason: &str, code: i64) -> (Ending, Value) {
    let err_msg = format!("{api}:fail {reason}");
    (Ending::Fail, json!({"errMsg": err_msg, "errorCode": code}))
}

fn ok(api: &str) -> (Ending, Value) {
    (Ending::Success, json!({"errMsg": format!("{api}:ok")}))
}

#[test]
fn each_failure_in_douyins_shape() {
    let w = World::new();
    let day = json!({"relationType": "all", "dataType": 0, "rankType": "day"});
    let cases = [
        ("setImRankData", "main", json!({"dataType": 5}), "invalid params: dataType must be 0 or 1", 21102),
        (
            "setImRankData",
            "main",
            json!({"dataType": 0, "value": "-3"}),
            "invalid params: value must be an integer string in [0, 2147483647) for dataType 0, a string of 1 to 128 bytes for dataType 1",
            21102,
        ),
        (
            "setImRankData",
            "main",
            json!({"dataType": 1, "value": "gold", "priority": -1}),
            "invalid params: priority must be an integer in [0, 2147483647]",
            21102,
        ),
        (
            "setImRankData",
            "main",
            json!({"dataType": 0, "value": "1", "extra": "x".repeat(129)}),
            "invalid params: extra must be a string of at most 128 bytes",
            21102,
        ),
        (
            "setImRankData",
            "main",
            json!({"dataType": 0, "value": "1", "zoneId": ""}),
            "invalid params: zoneId must be a string of 1 to 64 bytes",
            21102,
        ),
        ("setImRankData", "open", json!({}), "can only be called in main context", 999999),
        ("setImRankDataInOpenContext", "main", json!({}), "can only be called in open data context", 999999),
        ("getImRankList", "open", day.clone(), "can only be called in main context", 999999),
        (
            "getImRankList",
            "main",
            json!({"relationType": "group", "dataType": 0, "rankType": "day"}),
            "invalid params: relationType must be friend or all",
            21102,
        ),
        (
            "getImRankList",
            "main",
            json!({"dataType": 0, "rankType": "day", "suffix": 3}),
            "invalid params",
            21102,
        ),
        ("getImRankData", "main", day.clone(), "can only be called in open data context", 999999),
        (
            "getImRankData",
            "open",
            json!({"relationType": "all", "dataType": 0, "rankType": "year"}),
            "invalid params: rankType must be day, week, month or all",
            21102,
        ),
        (
            "getImRankData",
            "open",
            json!({"relationType": "all", "dataType": 0, "rankType": "day", "pageSize": 40}),
            "invalid params: pageNum must be an integer from 1 and pageSize one from 1 to 39",
            21102,
        ),
        ("setUserGroup", "main", json!({"groupId": ""}), "invalid groupId", 999999),
        ("setUserGroup", "main", json!({}), "invalid groupId", 999999),
    ];
    for (api, context, options, reason, code) in cases {
        let got = w.call("p", context, api, options.clone());
        assert_eq!(got, fail(api, reason, code), "{api} {options}");
    }
    // An 11th custom zone.
    for i in 0..10 {
        let option = json!({"dataType": 0, "value": "1", "zoneId": format!("z{i}")});
        assert_eq!(
            w.call("p", "main", "setImRankData", option),
            ok("setImRankData")
        );
    }
    let option = json!({"dataType": 0, "value": "1", "zoneId": "z10"});
    let reason = "invalid params: at most 10 zones besides default and test";
    let want = fail("setImRankData", reason, 21102);
    assert_eq!(w.call("p", "main", "setImRankData", option), want);
}

#[test]
fn successes_and_the_lists_on_the_hosts_clock() {
    let w = World::new();
    w.host(
        "setProfile",
        ["tt-game", "ann", "Ann", "https://example.invalid/ann.png"]
            .map(JsValue::from)
            .to_vec(),
    );
    let set = json!({"dataType": 0, "value": "300", "extra": "lvl 9"});
    assert_eq!(
        w.call("ann", "main", "setImRankData", set),
        ok("setImRankData")
    );
    let set = json!({"dataType": 0, "value": "200"});
    let api = "setImRankDataInOpenContext";
    assert_eq!(w.call("bob", "open", api, set), ok(api));
    let day = json!({"relationType": "all", "dataType": 0, "rankType": "day", "pageSize": 1});
    let (ending, res) = w.call("bob", "open", "getImRankData", day.clone());
    assert_eq!(ending, Ending::Success);
    let ann = json!({"data_type": 0, "value": "300", "priority": 0, "extra": "lvl 9",
        "openid": "ann", "sec_uid": "", "user_img": "https://example.invalid/ann.png",
        "nick_name": "Ann", "utime": 1_796_569_200});
    let mut bob = json!({"data_type": 0, "value": "200", "priority": 0, "extra": "",
        "openid": "bob", "sec_uid": "", "user_img": "", "nick_name": "", "utime": 1_796_569_200});
    bob["rank"] = json!(2);
    assert_eq!(
        res,
        json!({"data": {"items": [ann], "self_user_info": bob}, "errMsg": "getImRankData:ok"})
    );
    // Monday 00:00 in Beijing: the day list is empty, the week's too; all keeps both.
    w.host("advanceClock", vec![JsValue::Number(3_600_000.0)]);
    let (_, res) = w.call("bob", "open", "getImRankData", day);
    assert_eq!(res["data"], json!({"items": [], "self_user_info": null}));
    let all = json!({"relationType": "all", "dataType": 0, "rankType": "all"});
    let (_, res) = w.call("bob", "open", "getImRankData", all);
    assert_eq!(res["data"]["items"].as_array().unwrap().len(), 2);
}

#[test]
fn get_im_rank_list_answers_ok_and_leaves_the_host_what_it_drew() {
    let w = World::new();
    let args = |who: &str| vec![JsValue::from(GAME), JsValue::from(who)];
    assert_eq!(w.host("imRankShown", args("ann")), Value::Null);
    let set = json!({"dataType": 1, "value": "gold", "priority": 3});
    assert_eq!(
        w.call("ann", "main", "setImRankData", set),
        ok("setImRankData")
    );
    let list = json!({"dataType": 1, "rankType": "month", "rankTitle": "Tiers"});
    assert_eq!(
        w.call("ann", "main", "getImRankList", list),
        ok("getImRankList")
    );
    let shown = w.host("imRankShown", args("ann"));
    assert_eq!(
        (
            &shown["relationType"],
            &shown["rankType"],
            &shown["rankTitle"],
            &shown["suffix"]
        ),
        (
            &json!("friend"),
            &json!("month"),
            &json!("Tiers"),
            &json!("")
        )
    );
    assert_eq!(shown["items"][0]["value"], "gold");
    assert_eq!(shown["shownAt"], json!(SUNDAY_23H as i64));
}

#[test]
fn set_user_group_feeds_group_relation_reads() {
    let w = World::new();
    let value = r#"{"ttgame":{"score":5,"update_time":1}}"#;
    w.host(
        "setLeaderboardKeys",
        vec![GAME.into(), JsValue::Array(vec!["rank".into()])],
    );
    for who in ["ann", "bob"] {
        assert_eq!(
            w.call(who, "main", "setUserGroup", json!({"groupId": "g1"})),
            ok("setUserGroup")
        );
        let set = json!({"KVDataList": [{"key": "rank", "value": value}]});
        assert_eq!(
            w.call(who, "main", "setUserCloudStorage", set),
            ok("setUserCloudStorage")
        );
    }
    assert_eq!(
        w.call("bob", "main", "setUserGroup", json!({"groupId": "g2"})),
        ok("setUserGroup")
    );
    let read = json!({"type": "group", "keyList": ["rank"], "extra": {"sortKey": "rank", "groupId": "g1"}});
    let (_, res) = w.call("cat", "open", "getCloudStorageByRelation", read);
    let ids: Vec<&str> = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["openid"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ann"]);
}

#[test]
fn the_api_table_lists_them_with_their_base_libraries() {
    let since = |name: &str| Api::find(Dialect::Tt, name).map(|a| (a.since(), a.writes()));
    assert_eq!(since("setUserGroup"), Some((None, true)));
    assert_eq!(since("setImRankData"), Some((Some("2.70.0"), true)));
    assert_eq!(
        since("setImRankDataInOpenContext"),
        Some((Some("2.74.0"), true))
    );
    assert_eq!(since("getImRankList"), Some((Some("2.70.0"), true)));
    assert_eq!(since("getImRankData"), Some((Some("2.70.0"), false)));
    assert_eq!(Api::find(Dialect::Wx, "setImRankData"), None);
}
