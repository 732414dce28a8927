//! Failover: a master dies during writes. Every acknowledged write is still there once its
//! replica has taken over, and calls fail with a retryable `Error::Unavailable` while the slot
//! has no master.
//!
//! The test starts its own cluster (3 masters, 3 replicas, `appendonly yes`,
//! `appendfsync always`) on ports 7100-7105 with `scripts/redis-cluster/start`, since it kills a
//! node; writes are confirmed by a replica (`replica_acks: 1`), which is what makes an
//! acknowledged write outlive its master.

mod common;

use common::local::{cli, cluster_nodes, role, wait_until, LocalCluster, DEADLINE};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use storage_core::{block_on, Backend, Error, Limits, Op};
use storage_redis::{RedisBackend, RedisOptions};

const BASE: u16 = 7100;
const WRITERS: usize = 3;
const NAMESPACES_PER_WRITER: usize = 8;
/// Acknowledged writes each writer makes before the master is killed.
const WARM_UP: usize = 40;
/// Successful writes each namespace needs after the failover before the writers stop.
const AFTER: usize = 3;

#[test]
fn acknowledged_writes_survive_a_master_failover() {
    if common::skipped("failover") {
        return;
    }
    let cluster = LocalCluster::start(BASE, 1);
    let nodes = cluster.nodes.clone();
    let options = RedisOptions::default()
        .prefix(common::unique_prefix("failover").into_bytes())
        .replica_acks(1)
        .ack_timeout(Duration::from_millis(500))
        .connection_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_secs(1))
        .retries(1);
    let backend = common::connected(&nodes, block_on(RedisBackend::connect(&nodes, options)));

    let all = cluster_nodes(BASE);
    let (victim, heir) = all
        .iter()
        .filter(|m| m.master)
        .find_map(|m| {
            let replica = all.iter().find(|r| r.master_id == m.id)?;
            Some((m.port, replica.port))
        })
        .expect("a master with a replica");

    let acked: Vec<AtomicUsize> = (0..WRITERS).map(|_| AtomicUsize::new(0)).collect();
    let failed_over = AtomicBool::new(false);
    let ns = |w: usize, i: usize| format!("player-{w}-{i}").into_bytes();
    let results = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (backend, acked, failed_over, ns) = (&backend, &acked, &failed_over, &ns);
                s.spawn(move || {
                    // (namespace, key) → value of every acknowledged write; every error.
                    let mut kept = BTreeMap::new();
                    let mut errors = Vec::new();
                    let mut after = [0usize; NAMESPACES_PER_WRITER];
                    let start = Instant::now();
                    for seq in 0.. {
                        let i = seq % NAMESPACES_PER_WRITER;
                        if after.iter().all(|&n| n >= AFTER) {
                            break;
                        }
                        assert!(
                            start.elapsed() < 3 * DEADLINE,
                            "writer {w} never got through"
                        );
                        let settled = failed_over.load(Ordering::Acquire);
                        let (key, value) = (format!("k{seq}"), format!("v{w}-{seq}"));
                        let op = Op::Put {
                            key: key.clone().into_bytes(),
                            value: value.clone().into_bytes(),
                            charge: value.len() as u64,
                        };
                        match block_on(backend.apply(&ns(w, i), &[op], Limits::NONE)) {
                            Ok(_) => {
                                kept.insert((ns(w, i), key), value);
                                acked[w].fetch_add(1, Ordering::Release);
                                if settled {
                                    after[i] += 1;
                                }
                            }
                            Err(e) => errors.push(e),
                        }
                    }
                    (kept, errors)
                })
            })
            .collect();

        wait_until("the writers to warm up", || {
            acked.iter().all(|a| a.load(Ordering::Acquire) >= WARM_UP)
        });
        cluster.node("kill", victim);
        wait_until("the replica to take over", || {
            role(heir).starts_with("master")
        });
        // The operator brings the dead node back; it rejoins as a replica of the new master, so
        // writes there can be confirmed by a replica again.
        cluster.node("start", victim);
        wait_until("the old master to rejoin as a replica", || {
            let r = role(victim);
            r.starts_with("slave") && r.contains("connected")
        });
        wait_until("every node to see the cluster healthy", || {
            cluster_nodes(BASE).iter().all(|n| {
                cli(n.port, &["cluster", "info"]).is_some_and(|i| i.contains("cluster_state:ok"))
            })
        });
        failed_over.store(true, Ordering::Release);
        writers
            .into_iter()
            .map(|w| w.join().expect("writer"))
            .collect::<Vec<_>>()
    });

    let (mut errors, mut kept_total) = (0, 0);
    for (kept, errs) in &results {
        for ((ns, key), value) in kept {
            let got = block_on(backend.get(ns, key.as_bytes())).expect("read after failover");
            assert_eq!(
                got.as_deref(),
                Some(value.as_bytes()),
                "acknowledged write {key} lost"
            );
        }
        kept_total += kept.len();
        for e in errs {
            assert!(
                matches!(e, Error::Unavailable(_)) && e.is_retryable(),
                "a failover error must be Error::Unavailable, got {e:?}"
            );
        }
        errors += errs.len();
    }
    // Usage still equals what is stored, in every namespace.
    for w in 0..WRITERS {
        for i in 0..NAMESPACES_PER_WRITER {
            let listing = block_on(backend.list(&ns(w, i))).expect("list after failover");
            let mut bytes = 0;
            for key in &listing.keys {
                let value = block_on(backend.get(&ns(w, i), key)).expect("get");
                bytes += value.map_or(0, |v| v.len() as u64);
            }
            assert_eq!(listing.usage.entries, listing.keys.len() as u64);
            assert_eq!(listing.usage.bytes, bytes);
        }
    }
    eprintln!(
        "failover: {kept_total} acknowledged writes kept, {errors} calls failed with Unavailable"
    );
    assert!(
        errors > 0,
        "writes to the dead master's slots must have failed while it was down"
    );
}
