//! Douyin's ImRank leaderboards (behaviour §5.1): the options' rules in order,
//! the gates, zones and their limit, ranking, periods on a clock the test moves, friends, pages,
//! what getImRankList records; and a property test against a simple model.

use cloud_kv::{
    Caller, Clock, CloudKv, GetImRankOption, HostKind, ImRankPage, Platform, SetImRankDataOption,
};
use proptest::prelude::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use storage_core::{block_on, CloudRule, Error, JsValue, MemoryBackend};

const GAME: &str = "tt-game";
const HOUR: i64 = 3_600_000;
/// Sunday 2026-12-06 23:00 in Beijing (15:00 UTC).
const SUNDAY_23H: i64 = 1_796_569_200_000;

fn set_option(v: serde_json::Value) -> SetImRankDataOption {
    serde_json::from_value(v).expect("a setImRankData option")
}

fn get_option(v: serde_json::Value) -> GetImRankOption {
    serde_json::from_value(v).expect("a getImRankData option")
}

struct World {
    cloud: CloudKv<Arc<MemoryBackend>>,
    clock: Clock,
}

impl World {
    fn new() -> Self {
        let clock = Clock::fixed(SUNDAY_23H);
        World {
            cloud: CloudKv::new(Arc::new(MemoryBackend::new())).with_clock(clock.clone()),
            clock,
        }
    }

    fn main(&self, who: &str) -> Caller {
        Caller::new(Platform::Tt, GAME).logged_in(who)
    }

    fn set(&self, who: &str, option: serde_json::Value) -> Result<(), Error> {
        block_on(
            self.cloud
                .set_im_rank_data(&self.main(who), &set_option(option)),
        )
    }

    fn page(&self, who: &str, option: serde_json::Value) -> Result<ImRankPage, Error> {
        let caller = self.main(who).open_data();
        block_on(self.cloud.get_im_rank_data(&caller, &get_option(option)))
    }

    /// `(openid, value)` of the whole `all` list of `rank_type`, best first.
    fn board(&self, data_type: u8, rank_type: &str, zone: &str) -> Vec<(String, String)> {
        let option = json!({"relationType": "all", "dataType": data_type, "rankType": rank_type,
            "zoneId": zone, "pageSize": 39});
        let page = self.page("viewer", option).unwrap();
        page.items
            .into_iter()
            .map(|i| (i.openid, i.value))
            .collect()
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn set_im_rank_data_checks_its_options_in_order() {
    let w = World::new();
    use CloudRule::*;
    let cases: Vec<(serde_json::Value, Option<CloudRule>)> = vec![
        (json!({}), Some(ImRankDataType)),
        (json!({"dataType": 2, "value": "1"}), Some(ImRankDataType)),
        (json!({"dataType": "0", "value": "1"}), Some(ImRankDataType)),
        (json!({"dataType": 0.5, "value": "1"}), Some(ImRankDataType)),
        (json!({"dataType": 0}), Some(ImRankValue)),
        (json!({"dataType": 0, "value": 103}), Some(ImRankValue)),
        (json!({"dataType": 0, "value": ""}), Some(ImRankValue)),
        (json!({"dataType": 0, "value": "-1"}), Some(ImRankValue)),
        (json!({"dataType": 0, "value": "1.5"}), Some(ImRankValue)),
        (json!({"dataType": 0, "value": " 1"}), Some(ImRankValue)),
        (
            json!({"dataType": 0, "value": "2147483647"}),
            Some(ImRankValue),
        ),
        (json!({"dataType": 0, "value": "2147483646"}), None),
        (json!({"dataType": 0, "value": "0"}), None),
        (json!({"dataType": 1, "value": ""}), Some(ImRankValue)),
        (
            json!({"dataType": 1, "value": "段".repeat(43)}),
            Some(ImRankValue),
        ),
        (json!({"dataType": 1, "value": "x".repeat(128)}), None),
        (
            json!({"dataType": 1, "value": "gold", "priority": -1}),
            Some(ImRankPriority),
        ),
        (
            json!({"dataType": 1, "value": "gold", "priority": 1.5}),
            Some(ImRankPriority),
        ),
        (
            json!({"dataType": 1, "value": "gold", "priority": "3"}),
            Some(ImRankPriority),
        ),
        (
            json!({"dataType": 1, "value": "gold", "priority": 2147483648.0}),
            Some(ImRankPriority),
        ),
        (
            json!({"dataType": 1, "value": "gold", "priority": 2147483647}),
            None,
        ),
        // A score's priority is ignored, whatever it is.
        (json!({"dataType": 0, "value": "1", "priority": "x"}), None),
        (
            json!({"dataType": 0, "value": "1", "extra": 1}),
            Some(ImRankExtra),
        ),
        (
            json!({"dataType": 0, "value": "1", "extra": "e".repeat(129)}),
            Some(ImRankExtra),
        ),
        (
            json!({"dataType": 0, "value": "1", "extra": "e".repeat(128)}),
            None,
        ),
        (
            json!({"dataType": 0, "value": "1", "zoneId": ""}),
            Some(ImRankZone),
        ),
        (
            json!({"dataType": 0, "value": "1", "zoneId": 7}),
            Some(ImRankZone),
        ),
        (
            json!({"dataType": 0, "value": "1", "zoneId": "z".repeat(65)}),
            Some(ImRankZone),
        ),
        (
            json!({"dataType": 0, "value": "1", "zoneId": "z".repeat(64)}),
            None,
        ),
        // The first broken rule wins.
        (
            json!({"dataType": 0, "value": "x", "extra": 1, "zoneId": ""}),
            Some(ImRankValue),
        ),
    ];
    for (option, rule) in cases {
        let before = (w.board(0, "all", "default"), w.board(1, "all", "default"));
        let got = w.set("p", option.clone());
        assert_eq!(
            got,
            rule.map_or(Ok(()), |r| Err(Error::Cloud(r))),
            "{option}"
        );
        if rule.is_some() {
            let after = (w.board(0, "all", "default"), w.board(1, "all", "default"));
            assert_eq!(after, before, "a refused write changed the board: {option}");
        }
    }
}

#[test]
fn the_reads_check_their_options_in_order() {
    let w = World::new();
    let main = w.main("p");
    let list = |v: serde_json::Value| block_on(w.cloud.get_im_rank_list(&main, &get_option(v)));
    use CloudRule::*;
    let base = json!({"relationType": "all", "dataType": 0, "rankType": "day"});
    let with = |extra: serde_json::Value| {
        let mut o = base.clone();
        o.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        o
    };
    let cases: Vec<(serde_json::Value, Option<CloudRule>, Option<CloudRule>)> = vec![
        // (options, getImRankData's answer, getImRankList's)
        (base.clone(), None, None),
        (
            with(json!({"relationType": "group"})),
            Some(ImRankRelationType),
            Some(ImRankRelationType),
        ),
        (
            json!({"dataType": 0, "rankType": "day"}),
            Some(ImRankRelationType),
            None,
        ),
        (
            with(json!({"dataType": 3})),
            Some(ImRankDataType),
            Some(ImRankDataType),
        ),
        (
            with(json!({"rankType": "year"})),
            Some(ImRankRankType),
            Some(ImRankRankType),
        ),
        (
            json!({"relationType": "all", "dataType": 0}),
            Some(ImRankRankType),
            Some(ImRankRankType),
        ),
        (
            with(json!({"zoneId": null})),
            Some(ImRankZone),
            Some(ImRankZone),
        ),
        (with(json!({"suffix": 1})), None, Some(ImRankParams)),
        (with(json!({"rankTitle": ["t"]})), None, Some(ImRankParams)),
        (
            with(json!({"suffix": "pts", "rankTitle": "Top"})),
            None,
            None,
        ),
        (with(json!({"pageNum": 0})), Some(ImRankPage), None),
        (with(json!({"pageNum": 1.5})), Some(ImRankPage), None),
        (with(json!({"pageSize": 0})), Some(ImRankPage), None),
        (with(json!({"pageSize": 40})), Some(ImRankPage), None),
        (with(json!({"pageSize": 39, "pageNum": 7})), None, None),
        (
            with(json!({"rankType": "x", "pageNum": 0})),
            Some(ImRankRankType),
            Some(ImRankRankType),
        ),
    ];
    for (option, data_rule, list_rule) in cases {
        let want = |r: Option<CloudRule>| r.map_or(Ok(()), |r| Err(Error::Cloud(r)));
        assert_eq!(
            w.page("p", option.clone()).map(|_| ()),
            want(data_rule),
            "data {option}"
        );
        assert_eq!(list(option.clone()), want(list_rule), "list {option}");
    }
}

#[test]
fn the_gates_come_first_each_api_in_its_context() {
    let w = World::new();
    let ok = set_option(json!({"dataType": 0, "value": "1"}));
    let bad = set_option(json!({}));
    let read = get_option(json!({"relationType": "all", "dataType": 0, "rankType": "day"}));
    let main = w.main("p");
    let open = main.clone().open_data();
    let nobody = Caller::new(Platform::Tt, GAME);
    let app = main.clone().in_host(HostKind::MiniApp);
    use CloudRule::*;
    let c = &w.cloud;
    let cases: Vec<(&str, Result<(), Error>, Option<CloudRule>)> = vec![
        ("set, main", block_on(c.set_im_rank_data(&main, &ok)), None),
        (
            "set, open",
            block_on(c.set_im_rank_data(&open, &bad)),
            Some(NotMainContext),
        ),
        (
            "set, nobody",
            block_on(c.set_im_rank_data(&nobody, &bad)),
            Some(NotLoggedIn),
        ),
        (
            "set, app",
            block_on(c.set_im_rank_data(&app, &bad)),
            Some(NotAGame),
        ),
        (
            "open set, open",
            block_on(c.set_im_rank_data_in_open_context(&open, &ok)),
            None,
        ),
        (
            "open set, main",
            block_on(c.set_im_rank_data_in_open_context(&main, &bad)),
            Some(NotOpenDataContext),
        ),
        (
            "list, main",
            block_on(c.get_im_rank_list(&main, &read)),
            None,
        ),
        (
            "list, open",
            block_on(c.get_im_rank_list(&open, &read)),
            Some(NotMainContext),
        ),
        (
            "list, nobody",
            block_on(c.get_im_rank_list(&nobody, &read)),
            Some(NotLoggedIn),
        ),
        (
            "data, open",
            block_on(c.get_im_rank_data(&open, &read)).map(|_| ()),
            None,
        ),
        (
            "data, main",
            block_on(c.get_im_rank_data(&main, &read)).map(|_| ()),
            Some(NotOpenDataContext),
        ),
        (
            "group, open",
            block_on(c.set_user_group(&open, &"g".into())),
            None,
        ),
        (
            "group, app",
            block_on(c.set_user_group(&app, &JsValue::Null)),
            Some(NotAGame),
        ),
        (
            "group, nobody",
            block_on(c.set_user_group(&nobody, &JsValue::Null)),
            Some(NotLoggedIn),
        ),
    ];
    for (case, got, rule) in cases {
        assert_eq!(got, rule.map_or(Ok(()), |r| Err(Error::Cloud(r))), "{case}");
    }
}

#[test]
fn entries_rank_by_score_or_priority_then_the_earlier_write() {
    let w = World::new();
    for (who, score) in [("ann", "50"), ("bob", "120"), ("cat", "50"), ("dan", "9")] {
        w.set(who, json!({"dataType": 0, "value": score})).unwrap();
        w.clock.advance(1_000);
    }
    // Numbers, not text: 120 before 50 before 9; ann wrote 50 before cat.
    let want = pairs(&[("bob", "120"), ("ann", "50"), ("cat", "50"), ("dan", "9")]);
    assert_eq!(w.board(0, "all", "default"), want);
    for (who, name, priority) in [
        ("ann", "silver", 2),
        ("bob", "bronze", 1),
        ("cat", "gold", 3),
    ] {
        w.set(
            who,
            json!({"dataType": 1, "value": name, "priority": priority}),
        )
        .unwrap();
    }
    let named = pairs(&[("cat", "gold"), ("ann", "silver"), ("bob", "bronze")]);
    assert_eq!(w.board(1, "all", "default"), named);
    // A write replaces the player's entry (a lower score too), and counts as a later write.
    w.set("bob", json!({"dataType": 0, "value": "50"})).unwrap();
    let want = pairs(&[("ann", "50"), ("cat", "50"), ("bob", "50"), ("dan", "9")]);
    assert_eq!(w.board(0, "all", "default"), want);
    // Same score, same millisecond: by openid.
    w.set("eve", json!({"dataType": 0, "value": "7"})).unwrap();
    w.set("abe", json!({"dataType": 0, "value": "7"})).unwrap();
    assert_eq!(
        w.board(0, "all", "default")[4..],
        pairs(&[("abe", "7"), ("eve", "7")])
    );
}

#[test]
fn zones_are_apart_and_at_most_ten_besides_default_and_test() {
    let w = World::new();
    let score = |zone: &str| json!({"dataType": 0, "value": "5", "zoneId": zone});
    w.set("p", score("test")).unwrap();
    assert_eq!(w.board(0, "all", "default"), []);
    assert_eq!(w.board(0, "all", "test"), pairs(&[("p", "5")]));
    w.set("p", json!({"dataType": 0, "value": "6"})).unwrap();
    assert_eq!(w.board(0, "all", "default"), pairs(&[("p", "6")]));
    for i in 0..10 {
        w.set("p", score(&format!("z{i}"))).unwrap();
    }
    let refused = Err(Error::Cloud(CloudRule::ImRankTooManyZones));
    assert_eq!(w.set("p", score("z10")), refused);
    assert_eq!(w.board(0, "all", "z10"), []);
    // Zones already used stay open; default and test never count.
    w.set("q", score("z3")).unwrap();
    w.set("q", score("test")).unwrap();
    w.set("q", score("default")).unwrap();
    // Reading an unknown zone is an empty list, and opens nothing.
    assert_eq!(w.board(0, "week", "never"), []);
    assert_eq!(w.set("p", score("never")), refused);
}

#[test]
fn periods_turn_over_at_beijing_midnight_mondays_and_months() {
    let w = World::new();
    // Sunday 23:00, 2026-12-06, Beijing.
    w.set("sun", json!({"dataType": 0, "value": "10"})).unwrap();
    let all = |rank: &str| w.board(0, rank, "default");
    for rank in ["day", "week", "month", "all"] {
        assert_eq!(all(rank), pairs(&[("sun", "10")]), "{rank} on Sunday");
    }
    w.clock.advance(HOUR); // Monday 00:00: a new day and week, the same month.
    w.set("mon", json!({"dataType": 0, "value": "5"})).unwrap();
    assert_eq!(all("day"), pairs(&[("mon", "5")]));
    assert_eq!(all("week"), pairs(&[("mon", "5")]));
    assert_eq!(all("month"), pairs(&[("sun", "10"), ("mon", "5")]));
    assert_eq!(all("all"), pairs(&[("sun", "10"), ("mon", "5")]));
    // A write in the new day brings the player back, with the new value.
    w.set("sun", json!({"dataType": 0, "value": "1"})).unwrap();
    assert_eq!(all("day"), pairs(&[("mon", "5"), ("sun", "1")]));
    w.clock.set(1_798_732_800_000); // 2027-01-01 00:00 Beijing: a new month.
    assert_eq!(all("month"), []);
    assert_eq!(all("all"), pairs(&[("mon", "5"), ("sun", "1")]));
    // One millisecond before the turn still counts in the old period.
    w.clock.set(1_798_732_800_000 - 1);
    assert_eq!(all("month").len(), 2);
}

#[test]
fn friend_lists_show_the_caller_and_their_friends_only() {
    let w = World::new();
    let relations = cloud_kv::StoredRelations::new(w.cloud.backend().clone());
    block_on(relations.add_friendship(GAME, "ann", "bob")).unwrap();
    let profile = cloud_kv::Profile::new("Bob", "https://example.invalid/bob.png");
    block_on(relations.set_profile(GAME, "bob", &profile)).unwrap();
    for (who, score) in [("ann", "1"), ("bob", "2"), ("stranger", "3")] {
        w.set(who, json!({"dataType": 0, "value": score, "extra": who}))
            .unwrap();
    }
    let option = json!({"relationType": "friend", "dataType": 0, "rankType": "all"});
    let page = w.page("ann", option).unwrap();
    let got: Vec<_> = page.items.iter().map(|i| i.openid.as_str()).collect();
    assert_eq!(got, ["bob", "ann"]);
    let bob = &page.items[0];
    let want = json!({"data_type": 0, "value": "2", "priority": 0, "extra": "bob",
        "openid": "bob", "sec_uid": "", "user_img": "https://example.invalid/bob.png",
        "nick_name": "Bob", "utime": SUNDAY_23H / 1000});
    assert_eq!(serde_json::to_value(bob).unwrap(), want);
    let me = page.self_user_info.unwrap();
    assert_eq!((me.rank, me.item.openid.as_str()), (2, "ann"));
}

#[test]
fn get_im_rank_data_pages_and_finds_the_caller_anywhere() {
    let w = World::new();
    for i in 0..7 {
        w.set(
            &format!("p{i}"),
            json!({"dataType": 0, "value": (100 - i).to_string()}),
        )
        .unwrap();
    }
    let page = |num: u32, size: u32, who: &str| {
        let option = json!({"relationType": "all", "dataType": 0, "rankType": "all",
            "pageNum": num, "pageSize": size});
        let p = w.page(who, option).unwrap();
        let ids: Vec<String> = p.items.iter().map(|i| i.openid.clone()).collect();
        (ids, p.self_user_info.map(|s| s.rank))
    };
    let ids = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(page(1, 3, "p5"), (ids(&["p0", "p1", "p2"]), Some(6)));
    assert_eq!(page(3, 3, "p0"), (ids(&["p6"]), Some(1)));
    assert_eq!(page(4, 3, "p0"), (vec![], Some(1)));
    assert_eq!(page(1, 3, "nobody-here"), (ids(&["p0", "p1", "p2"]), None));
    // The defaults: page 1 of 20.
    let option = json!({"relationType": "all", "dataType": 0, "rankType": "all"});
    let p = w.page("p0", option).unwrap();
    assert_eq!(p.items.len(), 7);
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["self_user_info"]["rank"], 1);
    assert_eq!(json["self_user_info"]["openid"], "p0");
}

#[test]
fn get_im_rank_list_records_what_it_would_show() {
    let w = World::new();
    assert_eq!(block_on(w.cloud.im_rank_shown(GAME, "ann")).unwrap(), None);
    w.set(
        "ann",
        json!({"dataType": 1, "value": "gold", "priority": 3, "zoneId": "test"}),
    )
    .unwrap();
    let option = json!({"dataType": 1, "rankType": "week", "zoneId": "test", "suffix": "pts",
        "rankTitle": "Weekly"});
    block_on(
        w.cloud
            .get_im_rank_list(&w.main("ann"), &get_option(option)),
    )
    .unwrap();
    let shown = block_on(w.cloud.im_rank_shown(GAME, "ann"))
        .unwrap()
        .unwrap();
    let json = serde_json::to_value(&shown).unwrap();
    assert_eq!(
        (
            &json["relationType"],
            &json["dataType"],
            &json["rankType"],
            &json["zoneId"]
        ),
        (&json!("friend"), &json!(1), &json!("week"), &json!("test"))
    );
    assert_eq!(
        (&json["suffix"], &json["rankTitle"]),
        (&json!("pts"), &json!("Weekly"))
    );
    assert_eq!(json["shownAt"], SUNDAY_23H);
    assert_eq!(shown.items.len(), 1);
    assert_eq!(
        (shown.items[0].value.as_str(), shown.items[0].priority),
        ("gold", 3)
    );
    // A refused call records nothing new.
    let bad = get_option(json!({"dataType": 1, "rankType": "year"}));
    assert!(block_on(w.cloud.get_im_rank_list(&w.main("ann"), &bad)).is_err());
    assert_eq!(
        block_on(w.cloud.im_rank_shown(GAME, "ann")).unwrap(),
        Some(shown)
    );
}

/// One step of the property test: a write, or the clock moving on.
#[derive(Debug, Clone)]
enum Step {
    Set {
        who: u8,
        data_type: u8,
        value: u32,
        zone: bool,
    },
    Advance(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..5, 0u8..2, 0u32..20, any::<bool>()).prop_map(|(who, data_type, value, zone)| {
            Step::Set {
                who,
                data_type,
                value,
                zone,
            }
        }),
        // Minutes to weeks: crosses days, weeks and months.
        (1i64..(40 * 24 * 60)).prop_map(|m| Step::Advance(m * 60_000)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The lists against a model: each player's latest write per (zone, data type), listed
    /// when written in the current period, best first, then the earlier write, then openid.
    #[test]
    fn lists_match_a_model_across_periods(steps in proptest::collection::vec(step(), 1..40)) {
        let w = World::new();
        // (zone, dataType, who) -> (weight, value, written at)
        let mut model: HashMap<(bool, u8, String), (i64, String, i64)> = HashMap::new();
        for step in steps {
            match step {
                Step::Advance(ms) => w.clock.advance(ms),
                Step::Set { who, data_type, value, zone } => {
                    let who = format!("p{who}");
                    let (text, priority) = if data_type == 0 {
                        (value.to_string(), 0)
                    } else {
                        (format!("tier{value}"), value)
                    };
                    let zone_id = if zone { "test" } else { "default" };
                    w.set(&who, json!({"dataType": data_type, "value": text,
                        "priority": priority, "zoneId": zone_id})).unwrap();
                    model.insert((zone, data_type, who), (value.into(), text, w.clock.now_ms()));
                }
            }
            let now = w.clock.now_ms();
            for (rank, period) in [("day", cloud_kv::Period::Day), ("week", cloud_kv::Period::Week),
                ("month", cloud_kv::Period::Month), ("all", cloud_kv::Period::All)] {
                for zone in [false, true] {
                    for data_type in [0u8, 1] {
                        let mut want: Vec<_> = model
                            .iter()
                            .filter(|((z, d, _), (_, _, at))| *z == zone && *d == data_type
                                && period.start(*at) == period.start(now))
                            .map(|((_, _, who), (weight, text, at))| (-weight, *at, who.clone(), text.clone()))
                            .collect();
                        want.sort();
                        let want: Vec<_> = want.into_iter().map(|(_, _, who, text)| (who, text)).collect();
                        let zone_id = if zone { "test" } else { "default" };
                        prop_assert_eq!(w.board(data_type, rank, zone_id), want, "{} {}", rank, zone_id);
                    }
                }
            }
        }
    }
}
