//! Crypto-shredding: dropping a namespace destroys its key, so its records, restored byte for
//! byte, never read again.

mod support;

use std::sync::Arc;
use storage_core::{block_on, Backend, Limits, Op, ReadPair};
use support::{is_corrupt, key, open, put, Faulty, Fixture, Raw, ENTRIES};

type Records = Vec<(Vec<u8>, Vec<u8>)>;

/// Every raw record of inner namespace `ns`.
fn copy(raw: &Raw, ns: &[u8]) -> Records {
    let keys = block_on(raw.list(ns)).unwrap().keys;
    keys.into_iter()
        .map(|k| {
            let v = block_on(raw.get(ns, &k)).unwrap().unwrap();
            (k, v)
        })
        .collect()
}

fn restore(raw: &Raw, ns: &[u8], records: &Records) {
    let ops: Vec<Op> = records.iter().map(|(k, v)| put(k, v)).collect();
    block_on(raw.apply(ns, &ops, Limits::NONE)).unwrap();
}

/// The keyring records that wrap the key of the namespace whose inner name is `inner_ns`.
fn wraps_of(raw: &Raw, inner_ns: &[u8]) -> Records {
    copy(raw, b"k")
        .into_iter()
        .filter(|(k, _)| k.ends_with(&inner_ns[1..]))
        .collect()
}

/// Every read of ns-a's entries fails as corrupt; ns-b and ns-c
/// read as written; listings of ns-a are corrupt; `namespaces` omits ns-a.
fn assert_shredded<B: Backend>(store: &B) {
    for (k, _) in ENTRIES[0].1 {
        let got = block_on(store.get(b"ns-a", k));
        assert!(
            is_corrupt(&got),
            "restored records must read as corrupt: {got:?}"
        );
    }
    assert!(is_corrupt(&block_on(store.list(b"ns-a"))));
    // A batch reading ns-a fails as `get` does; one of the others alone reads as written.
    let pairs: [ReadPair<'_>; 2] = [(b"ns-b", b"k1"), (b"ns-a", ENTRIES[0].1[0].0)];
    assert!(is_corrupt(&block_on(store.get_many(&pairs))));
    let others = block_on(store.get_many(&pairs[..1])).unwrap();
    assert_eq!(others[0].as_ref().map(|v| v.bytes()), Some(&b"b one"[..]));
    let all = Fixture::read_all(store);
    let expected = Fixture::expected();
    assert_eq!(all[ENTRIES[0].1.len()..], expected[ENTRIES[0].1.len()..]);
    let mut names: Vec<_> = block_on(store.namespaces())
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    names.sort();
    assert_eq!(names, vec![b"ns-b".to_vec(), b"ns-c".to_vec()]);
}

#[test]
fn a_dropped_namespace_restored_byte_for_byte_reads_as_corrupt() {
    let fx = Fixture::new();
    let inner_ns = fx.inner[0].0.clone();
    let records = copy(&fx.raw, &inner_ns);
    assert_eq!(wraps_of(&fx.raw, &inner_ns).len(), 1);
    block_on(fx.enc.drop_namespace(b"ns-a")).unwrap();
    assert!(
        wraps_of(&fx.raw, &inner_ns).is_empty(),
        "the key is destroyed"
    );
    assert!(copy(&fx.raw, &inner_ns).is_empty());
    restore(&fx.raw, &inner_ns, &records);
    assert_shredded(&fx.enc);
    assert_shredded(&open(Arc::clone(&fx.raw), &key(1)).unwrap());
}

#[test]
fn a_dropped_namespace_written_again_never_reads_its_old_records() {
    let fx = Fixture::new();
    let inner_ns = fx.inner[0].0.clone();
    let records = copy(&fx.raw, &inner_ns);
    block_on(fx.enc.drop_namespace(b"ns-a")).unwrap();
    block_on(
        fx.enc
            .apply(b"ns-a", &[put(b"k1", b"new one")], Limits::NONE),
    )
    .unwrap();
    // The namespace has the same inner name, and a new key.
    assert_eq!(
        support::raw_data_namespaces(&fx.raw)
            .iter()
            .filter(|n| **n == inner_ns)
            .count(),
        1
    );
    restore(&fx.raw, &inner_ns, &records);
    for store in [&fx.enc, &open(Arc::clone(&fx.raw), &key(1)).unwrap()] {
        assert_eq!(
            block_on(store.get(b"ns-a", b"k1")),
            Ok(Some(b"new one".to_vec()))
        );
        assert_eq!(block_on(store.get(b"ns-a", b"k2")), Ok(None));
        assert!(is_corrupt(&block_on(store.list(b"ns-a"))));
    }
}

/// The limit of shredding, stated as a test: the destroyed key's wrapped record, if an attacker
/// recovers it from the disk's residue and holds the master key, revives the data. Rotating the
/// master key after drops (and destroying the old key) closes that door: see docs/security.md.
#[test]
fn a_recovered_key_record_revives_data_until_the_master_key_is_rotated() {
    // Without rotation: data and key record restored read again.
    let fx = Fixture::new();
    let inner_ns = fx.inner[0].0.clone();
    let (records, wraps) = (copy(&fx.raw, &inner_ns), wraps_of(&fx.raw, &inner_ns));
    block_on(fx.enc.drop_namespace(b"ns-a")).unwrap();
    restore(&fx.raw, &inner_ns, &records);
    restore(&fx.raw, b"k", &wraps);
    let reopened = open(Arc::clone(&fx.raw), &key(1)).unwrap();
    assert_eq!(Fixture::read_all(&reopened), Fixture::expected());

    // With a rotation after the drop: the recovered record belongs to a retired generation.
    let fx = Fixture::new();
    let inner_ns = fx.inner[0].0.clone();
    let (records, wraps) = (copy(&fx.raw, &inner_ns), wraps_of(&fx.raw, &inner_ns));
    block_on(fx.enc.drop_namespace(b"ns-a")).unwrap();
    block_on(fx.enc.rotate(&key(2))).unwrap();
    restore(&fx.raw, &inner_ns, &records);
    restore(&fx.raw, b"k", &wraps);
    assert_shredded(&fx.enc);
    restore(&fx.raw, b"k", &wraps);
    assert_shredded(&open(Arc::clone(&fx.raw), &key(2)).unwrap());
}

/// A rotation that failed after writing the new generation's wraps leaves two wraps of every
/// key; dropping a namespace then destroys both.
#[test]
fn a_drop_after_an_interrupted_rotation_destroys_every_wrap_of_the_key() {
    for step in 0.. {
        let raw: Raw = Arc::default();
        let faulty = Arc::new(Faulty::new(Arc::clone(&raw)));
        let store = open(Arc::clone(&faulty), &key(1)).unwrap();
        for (ns, entries) in ENTRIES {
            for (k, v) in *entries {
                block_on(store.apply(ns, &[put(k, v)], Limits::NONE)).unwrap();
            }
        }
        faulty.arm(step, false);
        assert!(
            block_on(store.rotate(&key(2))).is_err(),
            "the fault never fired"
        );
        faulty.arm(u64::MAX, false);
        let wraps = copy(&raw, b"k").len() - 1;
        if wraps < 2 * ENTRIES.len() {
            continue; // failed before the second wraps were all written
        }
        let inner_ns: Vec<Vec<u8>> = support::raw_data_namespaces(&raw);
        block_on(store.drop_namespace(b"ns-a")).unwrap();
        let gone: Vec<_> = inner_ns
            .iter()
            .filter(|n| !support::raw_data_namespaces(&raw).contains(n))
            .collect();
        assert_eq!(gone.len(), 1);
        assert!(wraps_of(&raw, gone[0]).is_empty());
        assert_eq!(copy(&raw, b"k").len() - 1, wraps - 2);
        return;
    }
}

/// Drops racing writes to the same namespace: every outcome is one some serial order gives. A
/// write never lands under a key being destroyed, which would leave records no key can read.
#[test]
fn drops_racing_writes_leave_no_unreadable_records() {
    let raw: Raw = Arc::default();
    let store = open(Arc::clone(&raw), &key(1)).unwrap();
    std::thread::scope(|s| {
        for t in 0..3 {
            let store = &store;
            s.spawn(move || {
                for i in 0..200 {
                    let op = put(format!("k{t}-{i}").as_bytes(), b"v");
                    block_on(store.apply(b"contested", &[op], Limits::NONE)).unwrap();
                }
            });
        }
        s.spawn(|| {
            for _ in 0..50 {
                block_on(store.drop_namespace(b"contested")).unwrap();
            }
        });
    });
    for store in [&store, &open(Arc::clone(&raw), &key(1)).unwrap()] {
        let listing = block_on(store.list(b"contested")).unwrap();
        for k in &listing.keys {
            assert_eq!(
                block_on(store.get(b"contested", k)),
                Ok(Some(b"v".to_vec()))
            );
        }
        assert_eq!(listing.usage.entries, listing.keys.len() as u64);
    }
    // Exactly one wrap for the one live namespace, if it holds anything.
    let wraps = block_on(raw.list(b"k")).unwrap().keys.len() - 1;
    assert!(wraps <= 1);
}
