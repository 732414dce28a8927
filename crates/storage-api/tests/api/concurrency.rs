//! Concurrent writers through the facades (behaviour §6): the quota holds, and the final state is
//! one some serial order of the calls would produce.

use crate::common::*;
use std::thread;
use storage_api::{MiniProgram, Mpstore};
use storage_core::{block_on, Dialect, Scope};
use storage_crypto::RawKeyProvider;

/// `threads` threads each try to write `per_thread` entries of 100,000 units into one
/// namespace already filled close to its quota; exactly as many succeed as fit, and usage is the
/// sum of what was stored.
fn racing_writers(
    store: &Mpstore,
    mp: &MiniProgram,
    d: Dialect,
    threads: usize,
    per_thread: usize,
) {
    let quota = 10_485_760u64;
    // Room for exactly 7 more entries of 100,005 (key "tNNNN" + 100,000), whatever the dialect.
    let room = 7 * 100_005 + 5;
    fill(mp, d, quota - room);
    let results: Vec<bool> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mp = mp.clone();
                s.spawn(move || {
                    (0..per_thread)
                        .map(|i| {
                            let key = format!("t{t}{i:03}");
                            let outcome = if i % 2 == 0 {
                                set_sync(&mp, d, key, "x".repeat(100_000))
                            } else {
                                set(&mp, d, key, "x".repeat(100_000))
                            };
                            outcome == serde_json::json!({"return": null})
                                || outcome == serde_json::json!({"return": {"success": true}})
                                || outcome.get("success").is_some()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let succeeded = results.iter().filter(|ok| **ok).count();
    assert_eq!(succeeded, 7, "{d:?}");
    let snap = snapshot(store, mp);
    assert_eq!(snap.usage_bytes, quota - room + 7 * 100_005, "{d:?}");
    assert_eq!(
        snap.keys.iter().filter(|k| k.starts_with('t')).count(),
        7,
        "{d:?}"
    );
}

#[test]
fn concurrent_writers_never_pass_the_quota_in_memory() {
    for d in crate::common::TYPED {
        let store = Mpstore::in_memory();
        let mp = store.mini_program("u", "app", Scope::App).unwrap();
        racing_writers(&store, &mp, d, 4, 6);
    }
}

#[test]
fn concurrent_writers_never_pass_the_quota_on_the_default_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open(dir.path(), &RawKeyProvider::new([3; 32])).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    racing_writers(&store, &mp, My, 4, 3);
    assert_eq!(block_on(store.namespaces()).unwrap().len(), 1);
}
