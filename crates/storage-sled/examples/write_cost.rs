//! Measures what a write costs as the store grows, and what group commit saves.
//!
//! ```text
//! cargo run --release -p storage-sled --example write_cost [-- SIZE]
//! ```
//!
//! SIZE (default 100000) is the number of keys in the big namespace and of namespaces in the big
//! store; `CACHE_MIB` sets the page cache (default 32). Timings are printed, not asserted: they
//! belong to this machine.

use std::time::{Duration, Instant};
use storage_core::{block_on, Backend, Limits, Op};
use storage_sled::{Durability, SledBackend, SledOptions};

const SAMPLE: u64 = 5_000;

fn put(key: u64, charge: u64) -> Op {
    Op::Put {
        key: format!("key-{key:08}").into_bytes(),
        value: vec![b'v'; 100],
        charge,
    }
}

fn store(durability: Durability) -> SledBackend {
    let cache_capacity_bytes = std::env::var("CACHE_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(SledOptions::DEFAULT_CACHE_CAPACITY_BYTES, |mib| mib << 20);
    SledBackend::temporary_with(
        SledOptions::default()
            .durability(durability)
            .cache_capacity_bytes(cache_capacity_bytes),
    )
    .expect("temporary store")
}

/// Fills `ns` with `n` keys, in batches.
fn fill(s: &SledBackend, ns: &[u8], n: u64) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let ops: Vec<Op> = chunk.iter().map(|&k| put(k, 1)).collect();
        block_on(s.apply(ns, &ops, Limits::NONE)).unwrap();
    }
    // Written out before measuring, so sled's background I/O of the fill is not measured.
    s.flush().unwrap();
}

/// Time of a write to `ns` (new key, overwrite, delete, in turn): the median over ROUNDS rounds
/// of SAMPLE / ROUNDS writes each, so a burst of load from elsewhere on the machine does not
/// decide the figure.
fn write_cost(s: &SledBackend, ns: &[u8], base: u64) -> Duration {
    const ROUNDS: u64 = 9;
    let limits = Limits {
        max_bytes: u64::MAX / 2,
        max_entries: u64::MAX / 2,
    };
    let per_round = SAMPLE / ROUNDS;
    let mut rounds: Vec<Duration> = (0..ROUNDS)
        .map(|round| {
            let start = Instant::now();
            for i in 0..per_round {
                let key = base + (round * per_round + i) / 3;
                let op = match i % 3 {
                    0 => put(key, 2),
                    1 => put(key, 3),
                    _ => Op::Delete {
                        key: format!("key-{key:08}").into_bytes(),
                    },
                };
                block_on(s.apply(ns, &[op], limits)).unwrap();
            }
            start.elapsed() / per_round as u32
        })
        .collect();
    rounds.sort();
    rounds[rounds.len() / 2]
}

fn main() {
    let size: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    println!("write cost (buffered mode, so the disk's fsync does not hide the engine's cost):");
    for n in [10, 1_000, 10_000, size] {
        let s = store(Durability::Buffered);
        fill(&s, b"ns", n);
        let cost = write_cost(&s, b"ns", n);
        println!("  namespace holding {n:>7} keys: {cost:>10.2?} per write");
    }
    for n in [1, 1_000, 10_000, size] {
        let s = store(Durability::Buffered);
        for i in 0..n {
            let ns = format!("namespace-{i:08}");
            block_on(s.apply(ns.as_bytes(), &[put(0, 1)], Limits::NONE)).unwrap();
        }
        s.flush().unwrap();
        let cost = write_cost(&s, b"namespace-00000000", 1);
        println!("  store holding {n:>7} namespaces: {cost:>10.2?} per write");
    }

    println!("listing a 10-key namespace:");
    for n in [0, size] {
        let s = store(Durability::Buffered);
        fill(&s, b"big", n);
        fill(&s, b"small", 10);
        let start = Instant::now();
        for _ in 0..1000 {
            assert_eq!(block_on(s.list(b"small")).unwrap().keys.len(), 10);
        }
        println!(
            "  beside a namespace of {n:>7} keys: {:>10.2?} per list",
            start.elapsed() / 1000
        );
    }

    println!("durable mode, group commit (each thread writes its own namespace):");
    for threads in [1u64, 2, 4, 8, 16] {
        let s = store(Durability::Durable);
        let per_thread = 400 / threads.min(4) * 2;
        let start = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..threads {
                let s = &s;
                scope.spawn(move || {
                    let ns = format!("writer-{t}");
                    for i in 0..per_thread {
                        block_on(s.apply(ns.as_bytes(), &[put(i, 1)], Limits::NONE)).unwrap();
                    }
                });
            }
        });
        let elapsed = start.elapsed();
        let writes = threads * per_thread;
        println!(
            "  {threads:>2} threads: {writes:>5} writes in {elapsed:>8.2?}, {:>7.0} writes/s, \
             {:>5} flushes ({:.2} writes per flush)",
            writes as f64 / elapsed.as_secs_f64(),
            s.flushes(),
            writes as f64 / s.flushes() as f64
        );
    }
}
