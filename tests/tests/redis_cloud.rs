//! cloud-kv with storage-crypto on Redis Cluster: the backend contract through the encryption
//! layer, and cloud-kv's rules (behaviour §5) giving exactly what they give on the reference
//! backend, at the real limits and under racing writers.
//!
//! Needs `MPSTORE_REDIS_CLUSTER` (see `scripts/redis-cluster/start`), or `MPSTORE_SKIP_REDIS=1`.

mod redis_support;

use cloud_kv::{Caller, CloudKv, KvData, Platform, RelationQuery, StoredRelations};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use redis_support::{encrypted, redis};
use std::sync::Arc;
use storage_core::{block_on, Backend, CloudPolicy, CloudRule, Error, JsValue, MemoryBackend};

#[test]
fn encrypted_redis_keeps_the_backend_contract() {
    let Some(base) = redis("redis-cloud-conformance") else {
        return;
    };
    let cases = std::sync::atomic::AtomicU64::new(0);
    storage_core::testkit::conformance(|| {
        let n = cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        encrypted(&base, &n.to_string())
    });
}

// ---------------------------------------------------------------------------------------------
// The same calls on the reference backend and on encrypted Redis give the same results.

const GAMES: [&str; 2] = ["g0", "g1"];
const PLAYERS: [&str; 3] = ["p0", "p1", "p2"];
const BOARD: &str = "r";
/// Small limits so every rule is hit often; big enough for a leaderboard value.
const POLICY: CloudPolicy = CloudPolicy {
    max_key_bytes: 6,
    max_pair_bytes: 64,
    max_pairs: 4,
};

/// cloud-kv on one backend, with its relations kept in the same backend.
struct Side<B> {
    cloud: CloudKv<B>,
    relations: Arc<StoredRelations<B>>,
}

impl<B: Backend + Clone + 'static> Side<B> {
    fn new(backend: B) -> Self {
        let relations = Arc::new(StoredRelations::new(backend.clone()));
        let cloud = CloudKv::with_relations(backend, relations.clone()).with_policy(POLICY);
        block_on(cloud.set_leaderboard_keys(GAMES[0], &[BOARD])).expect("leaderboard keys");
        Side { cloud, relations }
    }

    /// What a call gives, as comparable text (values and errors alike).
    fn run(&self, call: &Call) -> String {
        let caller =
            |(g, p): (usize, usize)| Caller::new(Platform::Tt, GAMES[g]).logged_in(PLAYERS[p]);
        let js_keys = |keys: &[String]| {
            JsValue::from(
                keys.iter()
                    .map(|k| JsValue::from(k.as_str()))
                    .collect::<Vec<_>>(),
            )
        };
        match call {
            Call::Set { who, list } => {
                let list = match list {
                    None => JsValue::Null,
                    Some(pairs) => JsValue::from(
                        pairs
                            .iter()
                            .map(|(k, v)| KvData::new(k, v).to_js())
                            .collect::<Vec<_>>(),
                    ),
                };
                format!(
                    "{:?}",
                    block_on(self.cloud.set_user_cloud_storage(&caller(*who), &list))
                )
            }
            Call::Remove { who, keys } => {
                format!(
                    "{:?}",
                    block_on(
                        self.cloud
                            .remove_user_cloud_storage(&caller(*who), &js_keys(keys))
                    )
                )
            }
            Call::Get { who, keys } => {
                format!(
                    "{:?}",
                    block_on(
                        self.cloud
                            .get_user_cloud_storage(&caller(*who).open_data(), &js_keys(keys))
                    )
                )
            }
            Call::Befriend { game, a, b } => {
                format!(
                    "{:?}",
                    block_on(
                        self.relations
                            .add_friendship(GAMES[*game], PLAYERS[*a], PLAYERS[*b])
                    )
                )
            }
            Call::Friends { who, sorted } => {
                let mut query = RelationQuery::friends([BOARD, "a"]);
                if *sorted {
                    query = query.sorted_by(BOARD);
                }
                format!(
                    "{:?}",
                    block_on(self.cloud.relation_read(&caller(*who).open_data(), &query))
                )
            }
        }
    }

    /// Every player's pairs, in insertion order.
    fn everything(&self) -> Vec<Vec<KvData>> {
        let mut all = Vec::new();
        for game in GAMES {
            for openid in PLAYERS {
                let reader = Caller::new(Platform::Tt, game)
                    .logged_in(openid)
                    .open_data();
                let keys = block_on(self.cloud.get_user_cloud_storage_keys(&reader)).expect("keys");
                all.push(block_on(self.cloud.get_pairs(&reader, &keys)).expect("pairs"));
            }
        }
        all
    }
}

#[derive(Debug, Clone)]
enum Call {
    Set {
        who: (usize, usize),
        list: Option<Vec<(String, String)>>,
    },
    Remove {
        who: (usize, usize),
        keys: Vec<String>,
    },
    Get {
        who: (usize, usize),
        keys: Vec<String>,
    },
    Befriend {
        game: usize,
        a: usize,
        b: usize,
    },
    Friends {
        who: (usize, usize),
        sorted: bool,
    },
}

fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a", "b", "c", "d", "e", "中", "😀", "abcdef", "abcdefg", "", BOARD,
    ])
    .prop_map(String::from)
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => storage_core::testkit::strategies::any_string(8),
        2 => (-3..3i32, 0..3i64).prop_map(|(s, t)| format!(r#"{{"ttgame":{{"score":{s},"update_time":{t}}}}}"#)),
        1 => Just("x".repeat(64)),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    let who = (0..GAMES.len(), 0..PLAYERS.len());
    let keys = || prop::collection::vec(key(), 0..4);
    prop_oneof![
        6 => (who.clone(), prop::option::weighted(0.95, prop::collection::vec((key(), value()), 0..5)))
            .prop_map(|(who, list)| Call::Set { who, list }),
        2 => (who.clone(), keys()).prop_map(|(who, keys)| Call::Remove { who, keys }),
        1 => (who.clone(), keys()).prop_map(|(who, keys)| Call::Get { who, keys }),
        1 => (0..GAMES.len(), 0..PLAYERS.len(), 0..PLAYERS.len())
            .prop_map(|(game, a, b)| Call::Befriend { game, a, b }),
        2 => (who, any::<bool>()).prop_map(|(who, sorted)| Call::Friends { who, sorted }),
    ]
}

#[test]
fn cloud_calls_on_encrypted_redis_match_the_reference_backend() {
    let Some(base) = redis("redis-cloud-differential") else {
        return;
    };
    let cases = storage_core::testkit::cases().min(96);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let n = std::sync::atomic::AtomicU64::new(0);
    let result = runner.run(&prop::collection::vec(call(), 1..30), |calls| {
        let case = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let reference = Side::new(Arc::new(MemoryBackend::new()));
        let redis = Side::new(encrypted(&base, &format!("differential-{case}")));
        for call in &calls {
            prop_assert_eq!(redis.run(call), reference.run(call), "{:?}", call);
            prop_assert_eq!(
                redis.everything(),
                reference.everything(),
                "after {:?}",
                call
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("cloud-kv on encrypted Redis differs from the reference backend: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The real limits, on Redis.

fn player(
    cloud: &CloudKv<Arc<storage_crypto::EncryptedBackend<storage_redis::RedisBackend>>>,
    pairs: &[(String, String)],
) -> Result<(), Error> {
    let me = Caller::new(Platform::Tt, "game").logged_in("me");
    let pairs: Vec<KvData> = pairs.iter().map(|(k, v)| KvData::new(k, v)).collect();
    block_on(cloud.set_pairs(&me, &pairs))
}

fn pairs(prefix: &str, n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("{prefix}{i}"), "v".into()))
        .collect()
}

#[test]
fn the_real_limits_hold_at_their_boundaries() {
    let Some(base) = redis("redis-cloud-limits") else {
        return;
    };
    let pad = |n: usize, tail: &str| "a".repeat(n) + tail;
    // (already stored, one call, expected): sizes in UTF-8 bytes, pairs counted after merging.
    type Case = (
        Vec<(String, String)>,
        Vec<(String, String)>,
        Result<(), CloudRule>,
    );
    let cases: Vec<Case> = vec![
        (vec![], vec![(pad(125, "中"), String::new())], Ok(())),
        (
            vec![],
            vec![(pad(126, "中"), String::new())],
            Err(CloudRule::KeyTooLong),
        ),
        (vec![], vec![("k".into(), pad(1019, "😀"))], Ok(())),
        (
            vec![],
            vec![("k".into(), pad(1020, "😀"))],
            Err(CloudRule::KeyValueTooLong),
        ),
        (vec![], pairs("k", 128), Ok(())),
        (vec![], pairs("k", 129), Err(CloudRule::TooManyPairs)),
        (pairs("old", 100), pairs("new", 28), Ok(())),
        (
            pairs("old", 100),
            pairs("new", 29),
            Err(CloudRule::TooManyPairs),
        ),
        (pairs("k", 128), pairs("k", 128), Ok(())),
        (
            pairs("k", 127),
            [pairs("k", 127), pairs("new", 2)].concat(),
            Err(CloudRule::TooManyPairs),
        ),
    ];
    for (i, (stored, call, expected)) in cases.iter().enumerate() {
        let cloud = CloudKv::new(encrypted(&base, &format!("limits-{i}")));
        if !stored.is_empty() {
            player(&cloud, stored).expect("stored pairs");
        }
        let me = Caller::new(Platform::Tt, "game")
            .logged_in("me")
            .open_data();
        let before = block_on(cloud.get_user_cloud_storage_keys(&me)).expect("keys");
        assert_eq!(
            player(&cloud, call),
            expected.map_err(Error::Cloud),
            "case {i}"
        );
        let after = block_on(cloud.get_user_cloud_storage_keys(&me)).expect("keys");
        if expected.is_err() {
            assert_eq!(after, before, "case {i}: a refused call changed data");
        }
        assert!(after.len() <= 128, "case {i}");
    }
}

#[test]
fn racing_writers_never_take_a_player_past_128_pairs() {
    let Some(base) = redis("redis-cloud-race") else {
        return;
    };
    let cloud = CloudKv::new(encrypted(&base, "race"));
    let refused = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for t in 0..4 {
            let (cloud, refused) = (&cloud, &refused);
            s.spawn(move || {
                for i in 0..40 {
                    match player(cloud, &[(format!("t{t}-{i}"), "v".into())]) {
                        Ok(()) => {}
                        Err(Error::Cloud(CloudRule::TooManyPairs)) => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => panic!("unexpected error: {e}"),
                    }
                }
            });
        }
    });
    let me = Caller::new(Platform::Tt, "game")
        .logged_in("me")
        .open_data();
    let keys = block_on(cloud.get_user_cloud_storage_keys(&me)).expect("keys");
    // 160 distinct keys were offered: exactly 128 got in, the other 32 were refused.
    assert_eq!(keys.len(), 128);
    assert_eq!(refused.into_inner(), 32);
}
