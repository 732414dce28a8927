//! A small benchmark of game cloud data on Redis Cluster beside durable sled, both encrypted:
//! `setUserCloudStorage` of one pair, and a ranked relation read (a player and 50 friends each
//! holding a leaderboard score), each from 1 and from 8 threads, then the ranked relation read of
//! a player with 10, 100 and 1,000 friends from one thread. Prints throughput and p50 / p99
//! latency; the figures in `docs/scaling.md` come from it.
//!
//! As a test it runs few operations and checks only that every call succeeds and every read
//! finds every friend (up to the 100 players a read returns). For figures, run it by hand, in
//! release mode, with more operations:
//!
//! ```text
//! scripts/redis-cluster/start            # then export the MPSTORE_REDIS_CLUSTER line it prints
//! MPSTORE_BENCH_OPS=4000 cargo test --release -p mpstore-tests --test redis_bench -- --nocapture
//! ```

mod redis_support;

use async_trait::async_trait;
use cloud_kv::{Caller, CloudKv, KvData, Platform, RelationQuery, StoredRelations};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use storage_core::{block_on, Backend, Limits, Listing, Op, ReadPair, Result, StoredValue, Usage};
use storage_crypto::EncryptedBackend;
use storage_sled::SledBackend;

const GAME: &str = "bench-game";
const BOARD: &str = "score";
const FRIENDS: usize = 50;
/// The friend counts of the scaling rows (each in a game of its own).
const SCALING: [usize; 3] = [10, 100, 1000];

/// Operations per measurement (per thread count): `MPSTORE_BENCH_OPS`, or a few for the test.
fn ops() -> usize {
    std::env::var("MPSTORE_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(64)
}

fn board(score: usize) -> String {
    format!(r#"{{"ttgame":{{"score":{score},"update_time":1}}}}"#)
}

fn player(id: &str) -> Caller {
    player_of(GAME, id)
}

fn player_of(game: &str, id: &str) -> Caller {
    Caller::new(Platform::Tt, game).logged_in(id)
}

/// Cloud data in `backend` with the relation-read fixture: "me" and 50 friends, each holding a
/// leaderboard score.
fn with_friends<B: Backend + Clone + 'static>(backend: B) -> CloudKv<B> {
    let relations = Arc::new(StoredRelations::new(backend.clone()));
    let cloud = CloudKv::with_relations(backend, relations);
    add_friends(&cloud, GAME, FRIENDS);
    cloud
}

/// In `game`: the leaderboard key, and "me" with `friends` friends, each holding a score.
fn add_friends<B: Backend + Clone + 'static>(cloud: &CloudKv<B>, game: &str, friends: usize) {
    let relations = StoredRelations::new(cloud.backend().clone());
    block_on(cloud.set_leaderboard_keys(game, &[BOARD])).expect("leaderboard keys");
    for f in 0..friends {
        let friend = format!("friend-{f}");
        block_on(relations.add_friendship(game, "me", &friend)).expect("friendship");
        block_on(cloud.set_pairs(&player_of(game, &friend), &[KvData::new(BOARD, board(f))]))
            .expect("score");
    }
}

/// One ranked relation read of "me" in `game`, checked to find every friend it can return.
fn ranked_read<B: Backend>(cloud: &CloudKv<B>, game: &str, friends: usize) {
    let me = player_of(game, "me").open_data();
    let query = RelationQuery::friends([BOARD]).sorted_by(BOARD);
    let read = block_on(cloud.relation_read(&me, &query)).expect("relation read");
    assert_eq!(
        read.len(),
        (friends + 1).min(cloud_kv::MAX_RELATION_RESULTS),
        "every friend and me, up to the most a read returns"
    );
}

/// Runs `op(thread, i)` `total` times over `threads` threads; returns (ops/s, p50, p99).
fn measure(
    threads: usize,
    total: usize,
    op: impl Fn(usize, usize) + Sync,
) -> (f64, Duration, Duration) {
    let per = total.div_ceil(threads);
    let start = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let op = &op;
                s.spawn(move || {
                    (0..per)
                        .map(|i| {
                            let t0 = Instant::now();
                            op(t, i);
                            t0.elapsed()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("bench thread"))
            .collect()
    });
    let elapsed = start.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    (
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99),
    )
}

/// Counts the calls that reach a backend: on Redis each is one round trip (two more on a
/// namespace's first write; a write's `WAIT` for a replica rides in the same pipeline).
struct Counting<B> {
    inner: B,
    calls: AtomicU64,
}

impl<B> Counting<B> {
    fn count(&self) {
        self.calls.fetch_add(1, Ordering::Relaxed);
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for Counting<B> {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.count();
        self.inner.get(ns, key).await
    }
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        self.count();
        self.inner.get_shared(ns, key).await
    }
    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        self.count();
        self.inner.get_many(pairs).await
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.count();
        self.inner.apply(ns, ops, limits).await
    }
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.count();
        self.inner.apply_blocking(ns, ops, limits)
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.count();
        self.inner.list(ns).await
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.count();
        self.inner.clear(ns).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.count();
        self.inner.drop_namespace(ns).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.count();
        self.inner.namespaces().await
    }
}

/// How many calls reach the raw backend under the encryption layer during `op`.
fn calls_during<B>(counter: &Counting<B>, op: impl FnOnce()) -> u64 {
    let before = counter.calls.load(Ordering::Relaxed);
    op();
    counter.calls.load(Ordering::Relaxed) - before
}

/// Prints how many raw backend calls one cloud set and one relation read make.
fn calls_per_operation() {
    let counter = Arc::new(Counting {
        inner: storage_core::MemoryBackend::new(),
        calls: AtomicU64::new(0),
    });
    let key = redis_support::key();
    let backend = Arc::new(block_on(EncryptedBackend::open(counter.clone(), &key)).expect("open"));
    let cloud = with_friends(backend);
    let me = player("me");
    let first = calls_during(&counter, || {
        block_on(cloud.set_pairs(&me, &[KvData::new(BOARD, board(7))])).expect("set");
    });
    let again = calls_during(&counter, || {
        block_on(cloud.set_pairs(&me, &[KvData::new(BOARD, board(8))])).expect("set");
    });
    let read = calls_during(&counter, || {
        let query = RelationQuery::friends([BOARD]).sorted_by(BOARD);
        let players = block_on(cloud.relation_read(&me.clone().open_data(), &query)).expect("read");
        assert_eq!(players.len(), FRIENDS + 1);
    });
    eprintln!(
        "backend calls under encryption: first set of a player {first}, later sets {again}, \
         ranked relation read of {} players {read}",
        FRIENDS + 1
    );
    for (friends, calls) in relation_read_calls(&SCALING) {
        eprintln!(
            "backend calls under encryption: ranked relation read, {friends} friends: {calls}"
        );
    }
}

/// For each count of friends, how many raw backend calls (under the encryption layer) one ranked
/// relation read makes once its fixture is written.
fn relation_read_calls(counts: &[usize]) -> Vec<(usize, u64)> {
    let counter = Arc::new(Counting {
        inner: storage_core::MemoryBackend::new(),
        calls: AtomicU64::new(0),
    });
    let key = redis_support::key();
    let backend = Arc::new(block_on(EncryptedBackend::open(counter.clone(), &key)).expect("open"));
    let cloud = CloudKv::new(backend);
    counts
        .iter()
        .map(|&friends| {
            let game = format!("count-{friends}");
            add_friends(&cloud, &game, friends);
            let me = player_of(&game, "me");
            block_on(cloud.set_pairs(&me, &[KvData::new(BOARD, board(7))])).expect("score");
            let calls = calls_during(&counter, || ranked_read(&cloud, &game, friends));
            (friends, calls)
        })
        .collect()
}

/// Measures one backend and prints its rows.
fn bench<B: Backend + Clone + 'static>(name: &str, backend: B) {
    let cloud = with_friends(backend);
    block_on(cloud.set_pairs(&player("me"), &[KvData::new(BOARD, board(7))])).expect("score");

    let n = ops();
    for threads in [1, 8] {
        let (rate, p50, p99) = measure(threads, n, |t, i| {
            // Each thread writes as its own player, cycling over 32 keys (overwrites after that).
            let pair = KvData::new(format!("k{}", i % 32), format!("value {i}"));
            block_on(cloud.set_pairs(&player(&format!("writer-{threads}-{t}")), &[pair]))
                .expect("set");
        });
        row(
            name,
            "setUserCloudStorage (1 pair)",
            threads,
            rate,
            p50,
            p99,
        );
    }
    let me = player("me").open_data();
    let query = RelationQuery::friends([BOARD]).sorted_by(BOARD);
    for threads in [1, 8] {
        let (rate, p50, p99) = measure(threads, n / 4, |_, _| {
            let read = block_on(cloud.relation_read(&me, &query)).expect("relation read");
            assert_eq!(read.len(), FRIENDS + 1, "every friend and me");
        });
        row(
            name,
            "relation read, ranked (51 players)",
            threads,
            rate,
            p50,
            p99,
        );
    }
}

/// Measures the ranked relation read of 10, 100 and 1,000 friends from one thread and prints
/// their rows.
fn bench_scaling<B: Backend + Clone + 'static>(name: &str, backend: B) {
    let cloud = CloudKv::new(backend);
    for friends in SCALING {
        let game = format!("bench-{friends}");
        add_friends(&cloud, &game, friends);
        block_on(cloud.set_pairs(&player_of(&game, "me"), &[KvData::new(BOARD, board(7))]))
            .expect("score");
        // A few reads first, so the writes of the fixture are behind the servers; then fewer
        // reads of the larger lists, so a slow backend still finishes.
        for _ in 0..4 {
            ranked_read(&cloud, &game, friends);
        }
        let reads = (ops() / 4 * 51 / (friends + 1)).max(64);
        let (rate, p50, p99) = measure(1, reads, |_, _| ranked_read(&cloud, &game, friends));
        let label = format!("relation read, ranked ({friends} friends)");
        row(name, &label, 1, rate, p50, p99);
    }
}

fn row(backend: &str, op: &str, threads: usize, rate: f64, p50: Duration, p99: Duration) {
    eprintln!(
        "| {backend} | {op} | {threads} | {rate:.0} | {:.2} | {:.2} |",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

#[test]
fn cloud_data_on_redis_beside_sled() {
    let Some(redis) = redis_support::redis("redis-bench") else {
        return;
    };
    calls_per_operation();
    eprintln!("| backend | operation | threads | ops/s | p50 ms | p99 ms |");
    eprintln!("|---|---|---|---|---|---|");
    let on_redis = redis_support::encrypted(&redis, "bench");
    bench("encrypted Redis Cluster", on_redis.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let sled = SledBackend::open(dir.path().join("store")).expect("sled store");
    let key = redis_support::key();
    let on_sled = Arc::new(block_on(EncryptedBackend::open(sled, &key)).expect("encrypted sled"));
    bench("encrypted sled (durable)", on_sled.clone());
    bench_scaling("encrypted Redis Cluster", on_redis);
    bench_scaling("encrypted sled (durable)", on_sled);
}

/// A ranked relation read makes as many backend calls for 1,000 friends as for 10: the players'
/// data and profiles are read in batches (`Backend::get_many`), not player by player.
#[test]
fn a_relation_read_makes_as_many_backend_calls_whatever_the_number_of_friends() {
    let calls = relation_read_calls(&SCALING);
    let first = calls[0].1;
    assert!(
        calls.iter().all(|&(_, n)| n == first),
        "backend calls per ranked relation read, by friends: {calls:?}"
    );
    // The friend list, the players' data, and the profiles (their namespace's key, then, as it
    // holds none, the listing that shows it holds nothing).
    assert_eq!(first, 4, "backend calls per ranked relation read");
}
