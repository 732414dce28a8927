//! What the decorator keeps in memory (namespace keys, sealed key names) stays within its
//! [`CacheSizes`], never changes an answer, is emptied of a dropped namespace, and keeps working
//! across rotations.

mod support;

use std::sync::Arc;
use storage_core::{block_on, Backend, Limits, MemoryBackend};
use storage_crypto::{CacheSizes, EncryptedBackend, MAX_CACHED_NAME};
use support::{is_corrupt, key, put, Raw};

fn sizes(namespaces: usize, names: usize) -> CacheSizes {
    CacheSizes::default().namespaces(namespaces).names(names)
}

#[test]
fn cache_sizes_default_to_the_documented_bounds_and_each_setter_sets_its_own() {
    let d = CacheSizes::default();
    assert_eq!((d.namespaces, d.names), (4096, 65_536));
    let n = CacheSizes::default().namespaces(16);
    assert_eq!((n.namespaces, n.names), (16, 65_536));
    let k = CacheSizes::default().names(256);
    assert_eq!((k.namespaces, k.names), (4096, 256));
}

fn open_sized(raw: &Raw, n: u8, sizes: CacheSizes) -> EncryptedBackend<Raw> {
    block_on(EncryptedBackend::open_with(Arc::clone(raw), &key(n), sizes)).unwrap()
}

fn ns(i: usize) -> Vec<u8> {
    format!("namespace-{i}").into_bytes()
}

/// Key `j`: short ones are cached, every fifth is too long to be.
fn name(j: usize) -> Vec<u8> {
    let short = format!("key-{j}");
    match j % 5 {
        4 => format!("{short}-{}", "x".repeat(MAX_CACHED_NAME)).into_bytes(),
        _ => short.into_bytes(),
    }
}

fn value(i: usize, j: usize) -> Vec<u8> {
    format!("value {j} of {i}").into_bytes()
}

fn write<B: Backend>(store: &B, i: usize, j: usize) {
    let ops = [put(&name(j), &value(i, j))];
    block_on(store.apply(&ns(i), &ops, Limits::NONE)).unwrap();
}

fn read<B: Backend>(store: &B, i: usize, j: usize) -> Option<Vec<u8>> {
    block_on(store.get(&ns(i), &name(j))).unwrap()
}

/// The decorator keeps the whole backend contract whatever its cache sizes, including none and
/// ones so small that every call evicts.
#[test]
fn the_backend_contract_holds_with_any_cache_size() {
    for s in [
        sizes(0, 0),
        sizes(1, 1),
        sizes(2, 3),
        sizes(1, 0),
        sizes(0, 5),
    ] {
        storage_core::testkit::conformance(|| {
            let key = key(7);
            block_on(EncryptedBackend::open_with(MemoryBackend::new(), &key, s)).unwrap()
        });
    }
}

/// (cache sizes, namespaces, keys per namespace): every write and read goes through caches far
/// smaller than the data; they never hold more than their sizes and every entry reads back,
/// from a warm store and from a cold one.
#[test]
fn caches_stay_within_their_sizes_and_never_change_an_answer() {
    let cases = [
        (sizes(1, 1), 3, 4),
        (sizes(4, 16), 12, 10),
        (sizes(16, 4), 6, 20),
        (sizes(0, 0), 3, 3),
        (CacheSizes::default(), 5, 5),
    ];
    for (s, namespaces, keys) in cases {
        let raw: Raw = Arc::default();
        let store = open_sized(&raw, 1, s);
        let within = |store: &EncryptedBackend<Raw>| {
            let held = store.cached();
            assert!(held.namespaces <= s.namespaces, "{s:?}: {held:?}");
            assert!(held.names <= s.names, "{s:?}: {held:?}");
        };
        for i in 0..namespaces {
            for j in 0..keys {
                write(&store, i, j);
                within(&store);
            }
        }
        for round in 0..2 {
            for i in 0..namespaces {
                for j in (0..keys).rev() {
                    assert_eq!(read(&store, i, j), Some(value(i, j)), "{s:?} {round}");
                    within(&store);
                }
                let listed = block_on(store.list(&ns(i))).unwrap().keys;
                assert_eq!(listed, (0..keys).map(name).collect::<Vec<_>>());
            }
        }
        drop(store);
        let cold = open_sized(&raw, 1, sizes(1, 1));
        assert!((0..namespaces).all(|i| (0..keys).all(|j| read(&cold, i, j) == Some(value(i, j)))));
    }
}

/// Dropping a namespace empties the caches of it: its keys and sealed names go, the other
/// namespaces' stay; written again, it gets a new key, and its old sealed names are never reused
/// (they would not open under the new key, and the listing would fail).
#[test]
fn a_drop_empties_the_caches_of_the_namespace() {
    let raw: Raw = Arc::default();
    let store = open_sized(&raw, 1, CacheSizes::default());
    let mut inner_ns0 = Vec::new();
    for i in 0..2 {
        for j in 0..4 {
            write(&store, i, j);
            assert_eq!(read(&store, i, j), Some(value(i, j)));
        }
        if i == 0 {
            inner_ns0 = support::raw_data_namespaces(&raw).pop().unwrap();
        }
    }
    // Two namespaces, four short names each (the fifth, j = 4, would be too long to cache).
    assert_eq!(store.cached(), sizes(2, 8));
    let old_names = block_on(raw.list(&inner_ns0)).unwrap().keys;

    block_on(store.drop_namespace(&ns(0))).unwrap();
    assert_eq!(store.cached(), sizes(1, 4), "namespace-1 keeps its entries");
    assert_eq!(read(&store, 0, 0), None);
    assert!((0..4).all(|j| read(&store, 1, j) == Some(value(1, j))));

    // Written again: a new key, so new sealed names, and the listing opens them.
    for j in 0..4 {
        write(&store, 0, j);
    }
    let listed = block_on(store.list(&ns(0))).unwrap().keys;
    assert_eq!(listed, (0..4).map(name).collect::<Vec<_>>());
    let new_names = block_on(raw.list(&inner_ns0)).unwrap().keys;
    assert_eq!(new_names.len(), 4);
    assert!(
        new_names.iter().all(|n| !old_names.contains(n)),
        "names are sealed under the new key"
    );
    assert!((0..4).all(|j| read(&store, 0, j) == Some(value(0, j))));
}

/// A namespace dropped while its keys and names are cached: its records, restored byte for
/// byte, read as corrupt through the same (warm) store, never as data.
#[test]
fn nothing_cached_reads_a_dropped_namespace_restored() {
    let raw: Raw = Arc::default();
    let store = open_sized(&raw, 1, CacheSizes::default());
    for j in 0..3 {
        write(&store, 0, j);
        assert_eq!(read(&store, 0, j), Some(value(0, j)));
    }
    let inner_ns = support::raw_data_namespaces(&raw).pop().unwrap();
    let records: Vec<_> = block_on(raw.list(&inner_ns))
        .unwrap()
        .keys
        .into_iter()
        .map(|k| {
            let v = block_on(raw.get(&inner_ns, &k)).unwrap().unwrap();
            put(&k, &v)
        })
        .collect();
    block_on(store.drop_namespace(&ns(0))).unwrap();
    block_on(raw.apply(&inner_ns, &records, Limits::NONE)).unwrap();
    for j in 0..3 {
        assert!(
            is_corrupt(&block_on(store.get(&ns(0), &name(j)))),
            "key {j}"
        );
    }
    assert!(is_corrupt(&block_on(store.list(&ns(0)))));
}

/// Rotation keeps the caches valid (data keys and sealed names do not change): a warm store reads
/// and writes on after each rotation, and a cold one opened with the last key reads it all.
#[test]
fn warm_caches_survive_rotations() {
    let raw: Raw = Arc::default();
    let store = open_sized(&raw, 1, sizes(2, 4));
    for round in 0..3 {
        for i in 0..3 {
            write(&store, i, round);
            assert!((0..=round).all(|j| read(&store, i, j) == Some(value(i, j))));
        }
        block_on(store.rotate(&key(2 + round as u8))).unwrap();
        assert!((0..3).all(|i| (0..=round).all(|j| read(&store, i, j) == Some(value(i, j)))));
    }
    drop(store);
    assert!(
        block_on(EncryptedBackend::open(Arc::clone(&raw), &key(3))).is_err(),
        "an old key no longer opens it"
    );
    let cold = open_sized(&raw, 4, sizes(0, 0));
    assert!((0..3).all(|i| (0..3).all(|j| read(&cold, i, j) == Some(value(i, j)))));
}

/// Threads sharing one namespace find its kept ciphers and caches busy: each call still seals and
/// opens exactly (a busy cipher is replaced by a temporary one, never waited for or shared).
#[test]
fn threads_sharing_a_namespace_read_and_write_exactly() {
    let raw: Raw = Arc::default();
    let store = open_sized(&raw, 1, sizes(2, 8));
    std::thread::scope(|s| {
        for t in 0..4 {
            let store = &store;
            s.spawn(move || {
                for round in 0..150 {
                    let j = t * 1000 + round % 12;
                    write(store, 0, j);
                    assert_eq!(read(store, 0, j), Some(value(0, j)), "thread {t}");
                }
            });
        }
    });
    let cold = open_sized(&raw, 1, sizes(0, 0));
    let listed = block_on(cold.list(&ns(0))).unwrap().keys;
    assert_eq!(listed.len(), 4 * 12);
    assert!((0..4)
        .all(|t| (0..12).all(|r| read(&cold, 0, t * 1000 + r) == Some(value(0, t * 1000 + r)))));
}
