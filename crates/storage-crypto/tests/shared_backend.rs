//! Several processes over one backend (app servers over one Redis Cluster): each opens its own
//! `EncryptedBackend` on the same inner store. Opening a fresh store and the first writes of a
//! namespace race between them, and every process must end up with the same keys, so each reads
//! what the others wrote.

mod support;

use std::sync::{Arc, Barrier};
use storage_core::{block_on, Backend, Limits, MemoryBackend};
use storage_crypto::EncryptedBackend;
use support::{key, put};

const PROCESSES: usize = 4;

/// `PROCESSES` stores opened at once over one empty inner backend.
fn opened_together(inner: &Arc<MemoryBackend>) -> Vec<EncryptedBackend<Arc<MemoryBackend>>> {
    let start = Barrier::new(PROCESSES);
    std::thread::scope(|s| {
        let opening: Vec<_> = (0..PROCESSES)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    block_on(EncryptedBackend::open(inner.clone(), &key(7))).expect("opens")
                })
            })
            .collect();
        opening.into_iter().map(|o| o.join().unwrap()).collect()
    })
}

#[test]
fn stores_opened_at_once_on_a_fresh_backend_agree_on_its_keys() {
    for round in 0..50 {
        let inner = Arc::new(MemoryBackend::new());
        let stores = opened_together(&inner);
        for (i, store) in stores.iter().enumerate() {
            let ns = format!("ns-{i}");
            block_on(store.apply(ns.as_bytes(), &[put(b"k", ns.as_bytes())], Limits::NONE))
                .unwrap();
        }
        // Each reads every other's write (a store that kept its own, losing key would fail here).
        for store in &stores {
            for i in 0..PROCESSES {
                let ns = format!("ns-{i}");
                let got = block_on(store.get(ns.as_bytes(), b"k"));
                assert_eq!(
                    got.unwrap().as_deref(),
                    Some(ns.as_bytes()),
                    "round {round}"
                );
            }
        }
    }
}

#[test]
fn first_writes_of_a_namespace_from_every_store_at_once_share_one_key() {
    let inner = Arc::new(MemoryBackend::new());
    let stores = opened_together(&inner);
    for round in 0..50 {
        let ns = format!("player-{round}");
        let start = Barrier::new(PROCESSES);
        std::thread::scope(|s| {
            for (i, store) in stores.iter().enumerate() {
                let (ns, start) = (&ns, &start);
                s.spawn(move || {
                    start.wait();
                    let key = format!("from-{i}");
                    block_on(store.apply(
                        ns.as_bytes(),
                        &[put(key.as_bytes(), b"v")],
                        Limits::NONE,
                    ))
                    .unwrap();
                });
            }
        });
        for store in &stores {
            for i in 0..PROCESSES {
                let key = format!("from-{i}");
                let got = block_on(store.get(ns.as_bytes(), key.as_bytes()));
                assert_eq!(got.unwrap().as_deref(), Some(&b"v"[..]), "{ns}: {key}");
            }
            let listed = block_on(store.list(ns.as_bytes())).unwrap();
            assert_eq!(listed.keys.len(), PROCESSES, "{ns}");
        }
    }
    let listed = block_on(stores[0].namespaces()).unwrap();
    assert_eq!(
        listed.len(),
        50,
        "each namespace listed once, claims not at all"
    );
}

/// The inner backend's key claims, each with its one record.
fn claims(inner: &MemoryBackend) -> Vec<(Vec<u8>, Vec<u8>)> {
    let namespaces = block_on(inner.namespaces()).unwrap();
    let claims = namespaces
        .into_iter()
        .filter(|(ns, _)| ns[0] == b'c' && ns.len() == 41);
    claims
        .map(|(ns, _)| {
            let keys = block_on(inner.list(&ns)).unwrap().keys;
            assert_eq!(keys.len(), 1, "a claim holds one record");
            let record = block_on(inner.get(&ns, &keys[0])).unwrap().unwrap();
            (ns, record)
        })
        .collect()
}

#[test]
fn a_drop_removes_the_claim_so_a_namespace_made_again_gets_a_new_key() {
    let inner = Arc::new(MemoryBackend::new());
    let stores = opened_together(&inner);
    block_on(stores[0].apply(b"ns", &[put(b"k", b"v")], Limits::NONE)).unwrap();
    let first = claims(&inner);
    assert_eq!(first.len(), 1);
    block_on(stores[0].drop_namespace(b"ns")).unwrap();
    assert!(claims(&inner).is_empty(), "dropped with its namespace");
    block_on(stores[1].apply(b"ns", &[put(b"k", b"w")], Limits::NONE)).unwrap();
    let again = claims(&inner);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, first[0].0, "the same namespace's claim");
    assert_ne!(again[0].1, first[0].1, "a new key, not the dropped one");
    assert_eq!(
        block_on(stores[1].get(b"ns", b"k")).unwrap().as_deref(),
        Some(&b"w"[..])
    );
}
