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
