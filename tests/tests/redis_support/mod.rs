//! Finding the Redis test cluster for the `redis_*` tests: `MPSTORE_REDIS_CLUSTER`, or the
//! explicit opt-out `MPSTORE_SKIP_REDIS=1`. Without either, the tests fail and say how to start
//! one (`scripts/redis-cluster/start`).
#![allow(dead_code)] // each test binary uses its own part of this

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use storage_core::block_on;
use storage_crypto::{EncryptedBackend, RawKeyProvider};
use storage_redis::{RedisBackend, RedisOptions};

/// Whether the Redis tests were explicitly opted out of; says so on stderr.
pub fn skipped(test: &str) -> bool {
    let skip = std::env::var("MPSTORE_SKIP_REDIS").is_ok_and(|v| v == "1");
    // Under CI the cluster is always started: a skip there would hide the tests.
    assert!(
        !(skip && std::env::var("CI").as_deref() == Ok("true")),
        "{test}: the Redis tests cannot be skipped under CI=true"
    );
    if skip {
        eprintln!("SKIPPED {test}: MPSTORE_SKIP_REDIS=1 (no Redis Cluster tests run)");
    }
    skip
}

/// A prefix no earlier run used, so runs and cases never see each other's data.
pub fn unique_prefix(test: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "test/{test}/{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A backend on the test cluster under a fresh prefix, or `None` when the tests are opted out.
/// Panics, loudly, when no cluster is named or it cannot be reached.
pub fn redis(test: &str) -> Option<RedisBackend> {
    if skipped(test) {
        return None;
    }
    let list = std::env::var("MPSTORE_REDIS_CLUSTER").unwrap_or_else(|_| {
        panic!(
            "MPSTORE_REDIS_CLUSTER is not set: {test} needs a Redis Cluster. Start one with \
             `scripts/redis-cluster/start` and export the line it prints, or set \
             MPSTORE_SKIP_REDIS=1 to skip the Redis tests explicitly."
        )
    });
    let nodes: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect();
    let options = RedisOptions::default().prefix(unique_prefix(test).into_bytes());
    match block_on(RedisBackend::connect(&nodes, options)) {
        Ok(b) => Some(b),
        Err(e) => {
            panic!("cannot reach the Redis Cluster at {nodes:?} (MPSTORE_REDIS_CLUSTER): {e}")
        }
    }
}

/// The master key of the encrypted tests.
pub fn key() -> RawKeyProvider {
    RawKeyProvider::new([7; 32])
}

/// A fresh encrypted store on Redis: `base`'s connection under a new prefix.
pub fn encrypted(base: &RedisBackend, case: &str) -> Arc<EncryptedBackend<RedisBackend>> {
    let prefix = format!("{}/{case}", String::from_utf8_lossy(base.prefix()));
    let inner = base.with_prefix(prefix);
    Arc::new(
        block_on(EncryptedBackend::open(inner, &key())).expect("a fresh encrypted store opens"),
    )
}
