//! Property test: any sequence of cloud calls, valid or not, by several players of several
//! games, keeps every player within the limits and matches a simple model (ordered pairs per
//! player, rules checked in the documented order).

use cloud_kv::{Caller, CloudKv, KvData, Platform};
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use storage_core::testkit::strategies;
use storage_core::{block_on, CloudPolicy, CloudRule, Error, JsObject, JsValue, MemoryBackend};

/// Small limits, so every rule is hit often.
const POLICY: CloudPolicy = CloudPolicy {
    max_key_bytes: 6,
    max_pair_bytes: 12,
    max_pairs: 4,
};
const GAMES: [&str; 2] = ["g0", "g1"];
const PLAYERS: [&str; 2] = ["p0", "p1"];
/// The leaderboard key of game `g0` only.
const BOARD: &str = "rank";
const GOOD_SCORE: &str = r#"{"ttgame":{"score":1,"update_time":2}}"#;

#[derive(Debug, Clone)]
enum Item {
    Pair(String, String),
    /// A value that is not a String.
    NonString(String),
    /// An item that is not an object.
    NotObject,
}

#[derive(Debug, Clone)]
enum Call {
    Set {
        who: (usize, usize),
        list: Option<Vec<Item>>,
    },
    Remove {
        who: (usize, usize),
        keys: Vec<String>,
    },
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec!["a", "b", "c", "d", "e", "中", "😀", "abcdef", "abcdefg", BOARD])
            .prop_map(String::from),
        1 => strategies::key(),
        1 => Just(String::new()),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => strategies::any_string(8),
        1 => Just(GOOD_SCORE.to_string()),
        1 => Just("x".repeat(11)),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        8 => (key(), value()).prop_map(|(k, v)| Item::Pair(k, v)),
        1 => key().prop_map(Item::NonString),
        1 => Just(Item::NotObject),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    let who = (0..GAMES.len(), 0..PLAYERS.len());
    prop_oneof![
        4 => (who.clone(), prop::option::weighted(0.95, prop::collection::vec(item(), 0..6)))
            .prop_map(|(who, list)| Call::Set { who, list }),
        1 => (who, prop::collection::vec(key(), 0..4)).prop_map(|(who, keys)| Call::Remove { who, keys }),
    ]
}

fn to_js(list: &Option<Vec<Item>>) -> JsValue {
    let Some(items) = list else {
        return JsValue::from("not an array");
    };
    let items = items
        .iter()
        .map(|item| match item {
            Item::Pair(k, v) => KvData::new(k, v).to_js(),
            Item::NonString(k) => {
                let o: JsObject = [
                    ("key", JsValue::from(k.as_str())),
                    ("value", JsValue::from(1)),
                ]
                .into_iter()
                .collect();
                o.into()
            }
            Item::NotObject => JsValue::Null,
        })
        .collect::<Vec<_>>();
    items.into()
}

type Model = HashMap<(usize, usize), Vec<(String, String)>>;

/// What the model says a set does.
fn model_set(
    model: &mut Model,
    who: (usize, usize),
    list: &Option<Vec<Item>>,
) -> Result<(), CloudRule> {
    let items = list.as_ref().ok_or(CloudRule::ListNotArray)?;
    if items.is_empty() {
        return Err(CloudRule::ListEmpty);
    }
    let mut pairs = Vec::new();
    for item in items {
        match item {
            Item::Pair(k, v) if !k.is_empty() => pairs.push((k, v)),
            _ => return Err(CloudRule::InvalidItem),
        }
    }
    for (k, v) in &pairs {
        if k.len() > 6 {
            return Err(CloudRule::KeyTooLong);
        }
        if k.len() + v.len() > 12 {
            return Err(CloudRule::KeyValueTooLong);
        }
        if who.0 == 0 && k.as_str() == BOARD && v.as_str() != GOOD_SCORE {
            return Err(CloudRule::InvalidLeaderboardValue);
        }
    }
    let mut merged = model.get(&who).cloned().unwrap_or_default();
    for (k, v) in pairs {
        match merged.iter_mut().find(|(mk, _)| mk == k) {
            Some(slot) => slot.1 = v.clone(),
            None => merged.push((k.clone(), v.clone())),
        }
    }
    if merged.len() > 4 {
        return Err(CloudRule::TooManyPairs);
    }
    model.insert(who, merged);
    Ok(())
}

fn caller((game, player): (usize, usize)) -> Caller {
    Caller::new(Platform::Tt, GAMES[game]).logged_in(PLAYERS[player])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(storage_core::testkit::cases()))]

    #[test]
    fn any_sequence_of_calls_matches_the_model(calls in prop::collection::vec(call(), 1..40)) {
        let cloud = CloudKv::new(Arc::new(MemoryBackend::new())).with_policy(POLICY);
        block_on(cloud.set_leaderboard_keys(GAMES[0], &[BOARD])).unwrap();
        let mut model = Model::new();
        for call in &calls {
            match call {
                Call::Set { who, list } => {
                    let got = block_on(cloud.set_user_cloud_storage(&caller(*who), &to_js(list)));
                    let expected = model_set(&mut model, *who, list).map_err(Error::Cloud);
                    prop_assert_eq!(got, expected, "{:?}", call);
                }
                Call::Remove { who, keys } => {
                    let keys_js = JsValue::from(keys.iter().map(|k| JsValue::from(k.as_str())).collect::<Vec<_>>());
                    block_on(cloud.remove_user_cloud_storage(&caller(*who), &keys_js)).unwrap();
                    if let Some(pairs) = model.get_mut(who) {
                        pairs.retain(|(k, _)| !keys.contains(k));
                    }
                }
            }
            for game in 0..GAMES.len() {
                for player in 0..PLAYERS.len() {
                    let reader = caller((game, player)).open_data();
                    let keys = block_on(cloud.get_user_cloud_storage_keys(&reader)).unwrap();
                    let pairs = block_on(cloud.get_pairs(&reader, &keys)).unwrap();
                    let expected: Vec<KvData> = model
                        .get(&(game, player))
                        .map(|ps| ps.iter().map(|(k, v)| KvData::new(k, v)).collect())
                        .unwrap_or_default();
                    prop_assert_eq!(&pairs, &expected);
                    prop_assert!(pairs.len() <= 4);
                    for p in &pairs {
                        prop_assert!(POLICY.check_pair(&p.key, &p.value).is_ok());
                    }
                }
            }
        }
    }
}

/// One player of a relation-read case: a friend of the caller or not, and their score under
/// `rank` (`None`: they hold only an unrelated key).
#[derive(Debug, Clone)]
struct Other {
    friend: bool,
    score: Option<(i32, i64)>,
}

fn other() -> impl Strategy<Value = Other> {
    // Few distinct scores and times, so ties are common.
    (any::<bool>(), prop::option::of((-2..3i32, 0..3i64)))
        .prop_map(|(friend, score)| Other { friend, score })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(storage_core::testkit::cases().min(64)))]

    #[test]
    fn relation_reads_match_the_model(
        me in prop::option::of((-2..3i32, 0..3i64)),
        others in prop::collection::vec(other(), 0..130),
    ) {
        let cloud = CloudKv::new(Arc::new(MemoryBackend::new()));
        let relations = cloud_kv::StoredRelations::new(cloud.backend().clone());
        block_on(cloud.set_leaderboard_keys("g", &[BOARD])).unwrap();
        let value = |(score, time): (i32, i64)| {
            format!(r#"{{"ttgame":{{"score":{score},"update_time":{time}}}}}"#)
        };
        let write = |openid: &str, score: Option<(i32, i64)>| {
            let pair = match score {
                Some(s) => KvData::new(BOARD, value(s)),
                None => KvData::new("other", "x"),
            };
            let who = Caller::new(Platform::Tt, "g").logged_in(openid);
            block_on(cloud.set_pairs(&who, &[pair])).unwrap();
        };
        write("me", me);
        // The model: who holds `rank` among the caller and their friends, in relation order.
        let mut model: Vec<(String, (i32, i64))> = me.map(|s| ("me".to_string(), s)).into_iter().collect();
        for (i, o) in others.iter().enumerate() {
            let openid = format!("p{i:03}");
            write(&openid, o.score);
            if o.friend {
                block_on(relations.add_friendship("g", "me", &openid)).unwrap();
                if let Some(s) = o.score {
                    model.push((openid, s));
                }
            }
        }
        let reader = Caller::new(Platform::Tt, "g").logged_in("me").open_data();
        let read = |q: cloud_kv::RelationQuery| -> Vec<(String, String)> {
            block_on(cloud.relation_read(&reader, &q))
                .unwrap()
                .into_iter()
                .map(|u| {
                    assert_eq!(u.kv_data_list.len(), 1);
                    (u.openid, u.kv_data_list[0].value.clone())
                })
                .collect()
        };
        let expect = |list: &[(String, (i32, i64))]| -> Vec<(String, String)> {
            list.iter().take(100).map(|(o, s)| (o.clone(), value(*s))).collect()
        };
        prop_assert_eq!(read(cloud_kv::RelationQuery::friends([BOARD])), expect(&model));
        let mut ranked = model.clone();
        ranked.sort_by_key(|(_, (score, time))| (std::cmp::Reverse(*score), *time));
        prop_assert_eq!(read(cloud_kv::RelationQuery::friends([BOARD]).sorted_by(BOARD)), expect(&ranked));
    }
}
