//! Records altered, truncated, swapped or moved in the inner backend read as corrupt; every other
//! entry still reads; nothing panics; nothing ever reads as someone else's data.

mod support;

use std::sync::Arc;
use storage_core::{block_on, Backend, Error, Limits, Namespace, Scope, Store};
use support::{is_corrupt, key, open, put, Fixture, ENTRIES};

/// Applies `tamper` to a fresh fixture, then checks that exactly the entries `corrupt` (as
/// (namespace, entry) indexes into `ENTRIES`) read as corrupt and all others as written, both
/// through the open store and through a freshly opened one (cold caches).
fn check(tamper: impl Fn(&Fixture), corrupt: &[(usize, usize)]) {
    let fx = Fixture::new();
    tamper(&fx);
    let mut expected = Fixture::expected();
    for &(n, e) in corrupt {
        expected[Fixture::index(n, e)] = Err(Error::Corrupt(String::new()));
    }
    let reopened = open(Arc::clone(&fx.raw), &key(1)).unwrap();
    for got in [Fixture::read_all(&fx.enc), Fixture::read_all(&reopened)] {
        assert_eq!(got.len(), expected.len());
        for (i, (got, want)) in got.iter().zip(&expected).enumerate() {
            match want {
                Err(_) => assert!(is_corrupt(got), "entry {i}: {got:?} should be corrupt"),
                Ok(v) => assert_eq!(got, &Ok(v.clone()), "entry {i}"),
            }
        }
    }
}

#[test]
fn an_untouched_fixture_reads_back() {
    check(|_| {}, &[]);
}

#[test]
fn a_flipped_byte_anywhere_in_a_value_is_corrupt() {
    let fx = Fixture::new();
    let len = fx.raw_get(&fx.slot(0, 0)).len();
    for at in 0..len {
        for mask in [0x01, 0x80, 0xff] {
            check(
                |fx| {
                    let slot = fx.slot(0, 0);
                    let mut record = fx.raw_get(&slot);
                    record[at] ^= mask;
                    fx.raw_put(&slot, &record);
                },
                &[(0, 0)],
            );
        }
    }
}

/// A value's first byte names its format (2, AES-256-PMAC-SIV, for everything written now; 1,
/// AES-256-SIV, for values written before): a record relabelled as format 1, or as a format that
/// does not exist, is corrupt.
#[test]
fn a_value_with_another_format_byte_is_corrupt() {
    let fx = Fixture::new();
    assert_eq!(
        fx.raw_get(&fx.slot(0, 0))[0],
        2,
        "values are written in format 2"
    );
    for format in [0, 1, 3, 0x82, 0xff] {
        check(
            |fx| {
                let slot = fx.slot(0, 0);
                let mut record = fx.raw_get(&slot);
                record[0] = format;
                fx.raw_put(&slot, &record);
            },
            &[(0, 0)],
        );
    }
}

#[test]
fn a_truncated_or_extended_value_is_corrupt() {
    // Entry (0, 2) holds the empty value: its record is the shortest there is.
    for (n, e) in [(0, 0), (0, 2)] {
        let fx = Fixture::new();
        let len = fx.raw_get(&fx.slot(n, e)).len();
        for cut in 0..len {
            check(
                |fx| {
                    let slot = fx.slot(n, e);
                    fx.raw_put(&slot, &fx.raw_get(&slot)[..cut]);
                },
                &[(n, e)],
            );
        }
        check(
            |fx| {
                let slot = fx.slot(n, e);
                let mut record = fx.raw_get(&slot);
                record.push(0);
                fx.raw_put(&slot, &record);
            },
            &[(n, e)],
        );
    }
}

#[test]
fn values_swapped_between_keys_are_corrupt() {
    check(
        |fx| {
            let (one, two) = (fx.slot(0, 0), fx.slot(0, 1));
            let (v1, v2) = (fx.raw_get(&one), fx.raw_get(&two));
            fx.raw_put(&one, &v2);
            fx.raw_put(&two, &v1);
        },
        &[(0, 0), (0, 1)],
    );
}

#[test]
fn a_value_copied_to_another_namespace_is_corrupt_there() {
    // ns-a's k1 over ns-b's k1: same plaintext key name, another namespace.
    check(
        |fx| fx.raw_put(&fx.slot(1, 0), &fx.raw_get(&fx.slot(0, 0))),
        &[(1, 0)],
    );
    // ns-c's only entry over ns-b's k2.
    check(
        |fx| fx.raw_put(&fx.slot(1, 1), &fx.raw_get(&fx.slot(2, 0))),
        &[(1, 1)],
    );
}

#[test]
fn a_value_moved_to_another_namespace_is_corrupt_there_and_gone_here() {
    let fx = Fixture::new();
    let (from, to) = (fx.slot(0, 1), fx.slot(1, 1));
    fx.raw_put(&to, &fx.raw_get(&from));
    block_on(fx.raw.apply(
        &from.0,
        &[storage_core::Op::Delete { key: from.1 }],
        Limits::NONE,
    ))
    .unwrap();
    let got = Fixture::read_all(&fx.enc);
    assert_eq!(got[Fixture::index(0, 1)], Ok(None));
    assert!(is_corrupt(&got[Fixture::index(1, 1)]));
    assert_eq!(got[Fixture::index(0, 0)], Ok(Some(b"value one".to_vec())));
}

/// A record copied verbatim, sealed name and all, into another namespace: it cannot be looked
/// up there (names are sealed per namespace), and listing that namespace reports it as corrupt
/// instead of naming it; reads of every entry are unaffected.
#[test]
fn a_record_copied_whole_to_another_namespace_makes_its_listing_corrupt() {
    let fx = Fixture::new();
    let (_, name) = fx.slot(0, 0);
    let target = (fx.inner[1].0.clone(), name);
    fx.raw_put(&target, &fx.raw_get(&fx.slot(0, 0)));
    assert_eq!(Fixture::read_all(&fx.enc), Fixture::expected());
    assert!(is_corrupt(&block_on(fx.enc.list(b"ns-b"))));
    assert_eq!(block_on(fx.enc.list(b"ns-a")).unwrap().keys.len(), 3);
}

#[test]
fn a_flipped_byte_in_a_key_name_makes_it_unreachable_and_its_listing_corrupt() {
    let fx = Fixture::new();
    let (ns, name) = fx.slot(0, 1);
    let value = fx.raw_get(&(ns.clone(), name.clone()));
    let mut bad = name.clone();
    bad[3] ^= 0x10;
    block_on(fx.raw.apply(
        &ns,
        &[storage_core::Op::Delete { key: name }, put(&bad, &value)],
        Limits::NONE,
    ))
    .unwrap();
    let got = Fixture::read_all(&fx.enc);
    assert_eq!(got[Fixture::index(0, 1)], Ok(None));
    assert!(is_corrupt(&block_on(fx.enc.list(b"ns-a"))));
    assert_eq!(
        block_on(fx.enc.list(b"ns-b")).unwrap().keys,
        vec![b"k1".to_vec(), b"k2".to_vec()]
    );
}

/// A damaged namespace key record makes that namespace unreadable (corrupt), not the others.
#[test]
fn a_damaged_namespace_key_is_corrupt_for_its_namespace_only() {
    let fx = Fixture::new();
    let keyring = block_on(fx.raw.list(b"k")).unwrap().keys;
    let tag = &fx.inner[1].0[1..];
    let wrap = keyring.iter().find(|k| k.ends_with(tag)).unwrap().clone();
    let slot = (b"k".to_vec(), wrap);
    let mut record = fx.raw_get(&slot);
    record[5] ^= 1;
    fx.raw_put(&slot, &record);
    let reopened = open(Arc::clone(&fx.raw), &key(1)).unwrap();
    let got = Fixture::read_all(&reopened);
    for (i, r) in got.iter().enumerate() {
        let in_b = (Fixture::index(1, 0)..Fixture::index(2, 0)).contains(&i);
        assert_eq!(is_corrupt(r), in_b, "entry {i}: {r:?}");
    }
    assert!(is_corrupt(&block_on(reopened.namespaces())));
}

/// Every single-byte change to every record of the inner backend, keyring included, followed by
/// a fresh open and a read of everything: each answer is either the value written or an error
/// (corrupt, or a failed key check for the head record); never another value, never a panic.
#[test]
fn no_single_byte_change_anywhere_yields_wrong_data() {
    let fx = Fixture::new();
    let records = support::dump(&*fx.raw);
    for (ns, key_, value) in &records {
        for at in 0..value.len() {
            let slot = (ns.clone(), key_.clone());
            let mut bad = value.clone();
            bad[at] ^= 0x04;
            fx.raw_put(&slot, &bad);
            if let Ok(enc) = open(Arc::clone(&fx.raw), &key(1)) {
                for (got, want) in Fixture::read_all(&enc).iter().zip(Fixture::expected()) {
                    assert!(got == &want || is_corrupt(got), "{got:?}");
                }
                let _ = block_on(enc.namespaces());
                for (ns, _) in ENTRIES {
                    let _ = block_on(enc.list(ns));
                }
            }
            fx.raw_put(&slot, value);
        }
    }
    assert_eq!(Fixture::read_all(&fx.enc), Fixture::expected());
}

/// Through the store engine, a corrupt record is the engine's `Error::Corrupt` too, and the
/// engine's other entries read.
#[test]
fn the_store_engine_reports_corrupt_records() {
    let raw: support::Raw = Arc::default();
    let store = Store::new(open(Arc::clone(&raw), &key(1)).unwrap());
    let ns = Namespace::local("user", "app", Scope::App).unwrap();
    let policy = storage_core::Policy::WX;
    for k in ["a", "b"] {
        block_on(store.set(&ns, &policy, k, &k.into(), Default::default())).unwrap();
    }
    let inner_ns = support::raw_data_namespaces(&raw).pop().unwrap();
    let first = block_on(raw.list(&inner_ns)).unwrap().keys[0].clone();
    let mut record = block_on(raw.get(&inner_ns, &first)).unwrap().unwrap();
    record[20] ^= 1;
    block_on(raw.apply(&inner_ns, &[put(&first, &record)], Limits::NONE)).unwrap();
    assert!(is_corrupt(&block_on(store.get(&ns, "a", false))));
    assert_eq!(block_on(store.get(&ns, "b", false)), Ok(Some("b".into())));
}
