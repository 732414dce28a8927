//! `--profile OP SIZE SECONDS`: one operation in a loop, alone, for `perf record` or
//! callgrind to explain a gap the report shows. OP is `get`, `set-buffered`, `set-durable`,
//! `raw-get`, `raw-set`, `raw-set-flush`, or a layer of the buffered set alone: `sled-set`
//! (storage-sled) or `crypto-set` (storage-crypto over storage-sled).

use crate::peers::{full_stack, key, raw_sled, spread, value, Layers, Stamped};
use std::time::{Duration, Instant};
use storage_api::KvItem;
use storage_core::Scope;
use storage_sled::Durability;

/// Runs the loop; prints the calls made and the time per call.
pub fn run(args: &[String]) -> Result<(), String> {
    let [op, size, seconds] = args else {
        return Err("usage: --profile OP SIZE SECONDS".into());
    };
    let size: usize = size.parse().map_err(|_| format!("bad size {size:?}"))?;
    let seconds: f64 = seconds
        .parse()
        .map_err(|_| format!("bad seconds {seconds:?}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let v = value(size);
    // The keys the benchmark's ops suite cycles through for this size, so a loop shows what the
    // report measured (the working set of every layer's per-key state grows with them).
    let n = crate::suites::ops::keys_for(size);
    let keys: Vec<String> = (0..n).map(key).collect();
    let k = |i: u64| keys[spread(i, n) as usize].as_str();
    let mut op: Box<dyn FnMut(u64)> = match op.as_str() {
        "get" | "set-buffered" | "set-durable" => {
            let durability = if op == "set-durable" {
                Durability::Durable
            } else {
                Durability::Buffered
            };
            let store = full_stack(dir.path(), durability);
            let wx = store
                .mini_program("bench-user", "bench-app", Scope::App)
                .map_err(|e| e.to_string())?
                .wx();
            wx.batch_set_storage_sync(keys.iter().map(|key| KvItem::new(key.as_str(), v.as_str())))
                .map_err(|e| format!("{e:?}"))?;
            if op == "get" {
                Box::new(move |i| {
                    std::hint::black_box(wx.get_storage_sync(k(i)).expect("get"));
                })
            } else {
                let mut s = Stamped::new(size);
                Box::new(move |i| wx.set_storage_sync(k(i), s.at(i)).expect("set"))
            }
        }
        "raw-get" | "raw-set" | "raw-set-flush" => {
            let db = raw_sled(dir.path());
            for key in &keys {
                db.insert(key, v.as_bytes()).map_err(|e| e.to_string())?;
            }
            let flush = op == "raw-set-flush";
            if op == "raw-get" {
                Box::new(move |i| {
                    std::hint::black_box(db.get(k(i)).expect("get"));
                })
            } else {
                let mut s = Stamped::new(size);
                Box::new(move |i| {
                    db.insert(k(i), s.at(i).as_bytes()).expect("insert");
                    if flush {
                        db.flush().expect("flush");
                    }
                })
            }
        }
        "sled-set" | "crypto-set" => {
            let layers = Layers::open(dir.path(), Durability::Buffered);
            let encrypted = op == "crypto-set";
            let mut s = Stamped::new(size);
            Box::new(move |i| {
                let v = s.at(i).as_bytes();
                if encrypted {
                    layers.encrypted_set(k(i), v);
                } else {
                    layers.sled_set(k(i), v);
                }
            })
        }
        other => return Err(format!("unknown profile op {other:?}")),
    };
    let start = Instant::now();
    let mut calls = 0;
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        for _ in 0..16 {
            op(calls);
            calls += 1;
        }
    }
    let per = start.elapsed().as_secs_f64() / calls as f64;
    println!("{calls} calls, {} per call", crate::report::time(per));
    Ok(())
}
