//! Latency of the raw backend's calls (no encryption, no cloud rules) against a cluster:
//! `get`, a one-put `apply`, and `list`, from one thread and from eight; then `get_many` of one
//! key in each of 10, 100 and 1,000 namespaces, from one thread.
//!
//! ```text
//! scripts/redis-cluster/start     # then export the MPSTORE_REDIS_CLUSTER line it prints
//! cargo run --release -p storage-redis --example roundtrip [ops]
//! ```

use std::time::{Duration, Instant};
use storage_core::{block_on, Backend, Limits, Op, ReadPair};
use storage_redis::{RedisBackend, RedisOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let nodes = std::env::var("MPSTORE_REDIS_CLUSTER")
        .map_err(|_| "set MPSTORE_REDIS_CLUSTER (scripts/redis-cluster/start prints it)")?;
    let nodes: Vec<&str> = nodes.split(',').collect();
    let ops: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let prefix = format!("roundtrip/{}", std::process::id());
    let backend = block_on(RedisBackend::connect(
        &nodes,
        RedisOptions::default().prefix(prefix.into_bytes()),
    ))?;
    block_on(backend.apply(b"ns", &[put(0)], Limits::NONE))?;
    println!("| call | threads | ops/s | p50 ms | p99 ms |");
    println!("|---|---|---|---|---|");
    for threads in [1, 8] {
        report(
            "get",
            threads,
            measure(threads, ops, |_, _| {
                block_on(backend.get(b"ns", b"k0")).expect("get");
            }),
        );
        report(
            "apply (1 put)",
            threads,
            measure(threads, ops, |t, i| {
                let ns = format!("ns-{t}");
                block_on(backend.apply(ns.as_bytes(), &[put(i % 32)], Limits::NONE))
                    .expect("apply");
            }),
        );
        report(
            "list",
            threads,
            measure(threads, ops, |t, _| {
                let ns = format!("ns-{t}");
                block_on(backend.list(ns.as_bytes())).expect("list");
            }),
        );
    }
    let namespaces: Vec<Vec<u8>> = (0..1000)
        .map(|i| format!("batch-{i}").into_bytes())
        .collect();
    for ns in &namespaces {
        block_on(backend.apply(ns, &[put(0)], Limits::NONE))?;
    }
    for n in [10, 100, 1000] {
        let pairs: Vec<ReadPair<'_>> = namespaces[..n]
            .iter()
            .map(|ns| (&ns[..], &b"k0"[..]))
            .collect();
        let name = format!("get_many ({n} namespaces)");
        let batches = (ops * 10 / n).clamp(20, ops);
        report(
            &name,
            1,
            measure(1, batches, |_, _| {
                let answers = block_on(backend.get_many(&pairs)).expect("get_many");
                assert!(answers.iter().all(Option::is_some));
            }),
        );
    }
    Ok(())
}

fn put(i: usize) -> Op {
    Op::Put {
        key: format!("k{i}").into_bytes(),
        value: vec![b'v'; 100],
        charge: 100,
    }
}

fn measure(
    threads: usize,
    total: usize,
    op: impl Fn(usize, usize) + Sync,
) -> (f64, Duration, Duration) {
    let per = total.div_ceil(threads);
    let start = Instant::now();
    let mut lat: Vec<Duration> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
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
        hs.into_iter()
            .flat_map(|h| h.join().expect("thread"))
            .collect()
    });
    let rate = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort();
    let at = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    (rate, at(0.5), at(0.99))
}

fn report(call: &str, threads: usize, (rate, p50, p99): (f64, Duration, Duration)) {
    println!(
        "| {call} | {threads} | {rate:.0} | {:.3} | {:.3} |",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
