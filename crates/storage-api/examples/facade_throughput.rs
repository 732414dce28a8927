//! Rough throughput of the facades' Sync path on each kind of store (writes from one and from
//! several threads, reads from one): `cargo run -p storage-api --release --example facade_throughput`.
//!
//! A figure for orientation, not a benchmark (no warm-up control, no statistics).

use std::time::Instant;
use storage_api::Mpstore;
use storage_core::Scope;
use storage_crypto::RawKeyProvider;
use storage_sled::{Durability, SledOptions};

const OPS: usize = 2_000;

fn measure(name: &str, store: &Mpstore, threads: usize) {
    let value = "杭州".repeat(50);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let wx = store
                .mini_program(format!("user{t}"), "app", Scope::App)
                .expect("valid ids")
                .wx();
            let value = value.clone();
            s.spawn(move || {
                for i in 0..OPS / threads {
                    wx.set_storage_sync(format!("k{}", i % 100), value.as_str())
                        .expect("write");
                }
            });
        }
    });
    let writes = start.elapsed();
    let wx = store
        .mini_program("user0", "app", Scope::App)
        .expect("valid ids")
        .wx();
    let start = Instant::now();
    for i in 0..OPS {
        wx.get_storage_sync(format!("k{}", i % 100)).expect("read");
    }
    let reads = start.elapsed();
    println!(
        "{name:<26} {:>9.0} setStorageSync/s on {threads} thread(s), {:>9.0} getStorageSync/s on 1",
        OPS as f64 / writes.as_secs_f64(),
        OPS as f64 / reads.as_secs_f64()
    );
}

fn main() {
    let key = RawKeyProvider::new([9; 32]);
    for threads in [1, 4] {
        measure("in memory", &Mpstore::in_memory(), threads);
        let dir = tempfile::tempdir().expect("temp dir");
        let durable = Mpstore::open(dir.path(), &key).expect("open");
        measure("encrypted sled, durable", &durable, threads);
        let dir = tempfile::tempdir().expect("temp dir");
        let options = SledOptions::default().durability(Durability::Buffered);
        let buffered = Mpstore::open_with(dir.path(), &key, options).expect("open");
        measure("encrypted sled, buffered", &buffered, threads);
    }
}
