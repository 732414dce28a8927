//! Finding the test cluster: `MPSTORE_REDIS_CLUSTER`, or an explicit opt-out.
#![allow(dead_code)] // each test binary uses its own part of this

pub mod local;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};
use storage_core::block_on;
use storage_redis::{RedisBackend, RedisOptions};

/// The env var naming the cluster's nodes, e.g. `127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002`
/// (what `scripts/redis-cluster/start` prints).
pub const CLUSTER_VAR: &str = "MPSTORE_REDIS_CLUSTER";
/// Set to `1` to skip the Redis tests on a machine without a cluster.
pub const SKIP_VAR: &str = "MPSTORE_SKIP_REDIS";

/// Whether the Redis tests were explicitly opted out of; says so on stderr.
pub fn skipped(test: &str) -> bool {
    let skip = std::env::var(SKIP_VAR).is_ok_and(|v| v == "1");
    // Under CI the cluster is always started: a skip there would hide the tests.
    assert!(
        !(skip && std::env::var("CI").as_deref() == Ok("true")),
        "{test}: the Redis tests cannot be skipped under CI=true"
    );
    if skip {
        eprintln!("SKIPPED {test}: {SKIP_VAR}=1 (no Redis Cluster tests run)");
    }
    skip
}

/// The cluster's nodes from `MPSTORE_REDIS_CLUSTER`; panics with how to get one when unset.
pub fn nodes() -> Vec<String> {
    let list = std::env::var(CLUSTER_VAR).unwrap_or_else(|_| {
        panic!(
            "{CLUSTER_VAR} is not set: these tests need a Redis Cluster. Start one with \
             `scripts/redis-cluster/start` and export the line it prints, or set {SKIP_VAR}=1 \
             to skip them explicitly."
        )
    });
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A prefix no earlier run used, so tests never see each other's data on a shared cluster.
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

/// The test cluster's nodes and options with a fresh prefix, or `None` when the tests are opted
/// out.
pub fn target(test: &str) -> Option<(Vec<String>, RedisOptions)> {
    if skipped(test) {
        return None;
    }
    let options = RedisOptions::default().prefix(unique_prefix(test).into_bytes());
    Some((nodes(), options))
}

/// Connecting to the test cluster must work: panics, loudly, when it does not.
pub fn connected(nodes: &[String], r: storage_core::Result<RedisBackend>) -> RedisBackend {
    r.unwrap_or_else(|e| panic!("cannot reach the Redis Cluster at {nodes:?} ({CLUSTER_VAR}): {e}"))
}

/// A backend on the test cluster under a fresh prefix, or `None` when the tests are opted out.
/// Panics, loudly, when the cluster cannot be reached.
pub fn backend(test: &str) -> Option<RedisBackend> {
    let (nodes, options) = target(test)?;
    Some(connected(
        &nodes,
        block_on(RedisBackend::connect(&nodes, options)),
    ))
}
