//! Writers racing on one namespace.

use crate::backend::Backend;
use crate::block_on;
use crate::namespace::{Namespace, Scope};
use crate::policy::{Dialect, Policy};
use crate::store::{SetOptions, Store};
use crate::value::JsValue;
use std::sync::atomic::{AtomicBool, Ordering};

const THREADS: usize = 4;
const WRITES: usize = 40;
const KEYS: usize = 6;

/// Threads racing to fill one namespace under a small quota never take it past the quota (a
/// watcher checks while they run), and end in a state some serial order of their successful
/// writes produces: each key holds the last successful write of one of the threads, a key no
/// write reached is absent, and usage is exactly the sum of what is stored.
pub fn concurrent_writers<B: Backend>(factory: impl Fn() -> B + Sync) {
    let rounds = (super::cases() / 16).max(16);
    for round in 0..rounds {
        for dialect in Dialect::ALL {
            race(&factory, dialect, round);
        }
    }
}

/// A successful write: which key, which value.
type Write = (usize, String);

fn race<B: Backend>(factory: &(impl Fn() -> B + Sync), dialect: Dialect, round: u32) {
    let policy = Policy {
        entry_limit: 100,
        quota: 300,
        ..dialect.policy().clone()
    };
    let limit = policy.limits().max_bytes;
    let store = Store::new(factory());
    let ns = Namespace::local("racer", "app", Scope::App).expect("valid ids");
    let done = AtomicBool::new(false);
    let successes: Vec<Vec<Write>> = std::thread::scope(|s| {
        let watcher = s.spawn(|| {
            while !done.load(Ordering::Acquire) {
                std::thread::yield_now();
                let usage = block_on(store.backend().list(&ns.encode()))
                    .expect("list")
                    .usage;
                assert!(
                    usage.bytes <= limit,
                    "usage {} passed the limit {limit}",
                    usage.bytes
                );
            }
        });
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, ns, policy) = (&store, &ns, &policy);
                s.spawn(move || {
                    let mut ok = Vec::new();
                    for i in 0..WRITES {
                        // Sizes vary with thread, write and round so that races land on the quota.
                        let key = (t * 7 + i * 3 + round as usize) % KEYS;
                        let len = (t * 13 + i * 29 + round as usize * 7) % 90;
                        let value = format!("{t}:{i}:{}", "v".repeat(len));
                        let (name, js) = (key_name(key), JsValue::from(value.as_str()));
                        let options = SetOptions::default();
                        // Every writer through both doors in turn: they race each other too.
                        let r = if (t + i) % 2 == 0 {
                            store.set_blocking(ns, policy, &name, &js, options)
                        } else {
                            block_on(store.set(ns, policy, &name, &js, options))
                        };
                        if r.is_ok() {
                            ok.push((key, value));
                        }
                    }
                    ok
                })
            })
            .collect();
        let results = writers
            .into_iter()
            .map(|w| w.join().expect("writer"))
            .collect();
        done.store(true, Ordering::Release);
        watcher.join().expect("watcher");
        results
    });

    let listing = block_on(store.backend().list(&ns.encode())).expect("list");
    let mut expected_usage = 0;
    for key in 0..KEYS {
        let stored = block_on(store.get(&ns, &key_name(key), false)).expect("get");
        // The candidates: each thread's last successful write to this key.
        let last: Vec<&String> = successes
            .iter()
            .filter_map(|writes| writes.iter().rev().find(|w| w.0 == key).map(|w| &w.1))
            .collect();
        match stored {
            None => assert!(last.is_empty(), "{key} lost every successful write"),
            Some(JsValue::String(v)) => {
                assert!(
                    last.iter().any(|w| **w == v),
                    "{key} holds {v:?}, no thread's last write"
                );
                expected_usage += policy
                    .check_entry(&key_name(key), &JsValue::String(v), false)
                    .expect("stored entries are valid");
            }
            Some(other) => panic!("{key} holds a value never written: {other:?}"),
        }
    }
    assert_eq!(
        listing.usage.bytes, expected_usage,
        "usage equals the entries"
    );
    assert!(listing.usage.bytes <= limit, "final usage passed the limit");
}

fn key_name(i: usize) -> String {
    format!("key-{i}")
}
