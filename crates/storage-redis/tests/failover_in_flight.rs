//! A write's replica confirmation in flight when its master dies: the client retries it after
//! the failover, and only a confirmation from the node that holds the write may acknowledge it.
//!
//! The master keeps serving clients but its replica cannot copy from it (the master refuses the
//! replication handshake), so the write stays on the master alone while its `WAIT` waits. The
//! master is killed; the replica takes over without the write; the old master comes back as the
//! new master's replica. A `WAIT` retried on its own there would count that replica and
//! acknowledge a write nobody holds; the write is on the new master when it is acknowledged.
//!
//! Its own cluster (3 masters, 3 replicas) on ports 7120-7125, since it kills a node.

mod common;

use common::local::{cli, cluster_nodes, role, wait_until, LocalCluster};
use std::time::Duration;
use storage_core::{block_on, Backend, Limits, Op, Result};
use storage_redis::{RedisBackend, RedisOptions};

const BASE: u16 = 7120;

fn put(backend: &RedisBackend, ns: &[u8], key: &str, value: &str) -> Result<()> {
    let op = Op::Put {
        key: key.as_bytes().to_vec(),
        value: value.as_bytes().to_vec(),
        charge: value.len() as u64,
    };
    block_on(backend.apply(ns, &[op], Limits::NONE)).map(|_| ())
}

/// How many scripts the node at `port` has run (`EVALSHA` calls).
fn scripts_run(port: u16) -> u64 {
    let stats = cli(port, &["info", "commandstats"]).unwrap_or_default();
    stats
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn a_write_confirmed_across_a_failover_is_on_the_new_master() {
    if common::skipped("failover_in_flight") {
        return;
    }
    let cluster = LocalCluster::start(BASE, 1);
    // Patient enough that the retried write outlasts the failover and the old master's return.
    let options = RedisOptions::default()
        .prefix(common::unique_prefix("in-flight").into_bytes())
        .replica_acks(1)
        .ack_timeout(Duration::from_secs(10))
        .connection_timeout(Duration::from_millis(300))
        .response_timeout(Duration::from_secs(20))
        .retries(12);
    let nodes = cluster.nodes.clone();
    let backend = common::connected(&nodes, block_on(RedisBackend::connect(&nodes, options)));
    let ns = b"player".to_vec();
    put(&backend, &ns, "before", "1").expect("a write while every node is up");

    // The master holding the namespace (its keys carry the namespace in hex), and its replica.
    let hex: String = ns.iter().map(|b| format!("{b:02x}")).collect();
    let all = cluster_nodes(BASE);
    let master = all
        .iter()
        .find(|n| n.master && cluster.keys_on(n.port).iter().any(|k| k.contains(&hex)))
        .expect("the namespace's master");
    let replica = all
        .iter()
        .find(|n| n.master_id == master.id)
        .expect("its replica");
    let (m, r) = (master.port, replica.port);

    let refused = cli(
        m,
        &["acl", "setuser", "default", "-psync", "-sync", "-replconf"],
    );
    assert_eq!(refused.as_deref().map(str::trim), Some("OK"));
    cli(m, &["client", "kill", "type", "replica"]).expect("cut the replica's link");
    wait_until("the master to lose its replica", || {
        cli(m, &["info", "replication"]).is_some_and(|i| i.contains("connected_slaves:0"))
    });

    let run_before = scripts_run(m);
    let writer = {
        let backend = backend.clone();
        let ns = ns.clone();
        std::thread::spawn(move || put(&backend, &ns, "during", "2"))
    };
    wait_until("the write to run on the master", || {
        scripts_run(m) > run_before
    });
    cluster.node("kill", m);
    wait_until("the replica to take over", || role(r).starts_with("master"));
    cluster.node("start", m);
    wait_until("the old master to rejoin as a replica", || {
        let role = role(m);
        role.starts_with("slave") && role.contains("connected")
    });

    let acknowledged = writer.join().expect("writer");
    assert!(
        acknowledged.is_ok(),
        "the write should get through once the cluster has failed over: {acknowledged:?}"
    );
    let held = block_on(backend.get(&ns, b"during")).expect("read after the failover");
    assert_eq!(
        held.as_deref(),
        Some(&b"2"[..]),
        "an acknowledged write is not on the new master"
    );
    let earlier = block_on(backend.get(&ns, b"before")).expect("read after the failover");
    assert_eq!(earlier.as_deref(), Some(&b"1"[..]));
}
