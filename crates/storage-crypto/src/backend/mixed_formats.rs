//! A store holding values of both formats: records of format 1 (AES-256-SIV, as written before
//! format 2) put in place of what was written, then some overwritten (format 2) and some
//! deleted; every read, listing and usage, warm or after a reopen, answers as written.

use super::*;
use crate::keys::{FORMAT_V1, FORMAT_V2};
use crate::provider::RawKeyProvider;
use storage_core::{block_on, MemoryBackend};

type Raw = Arc<MemoryBackend>;

const NAMESPACES: &[&[u8]] = &[b"ns-a", b"ns-b"];

fn put(key: &[u8], value: &[u8]) -> Op {
    Op::Put {
        key: key.to_vec(),
        value: value.to_vec(),
        charge: (key.len() + value.len()) as u64,
    }
}

fn open(raw: &Raw) -> EncryptedBackend<Raw> {
    block_on(EncryptedBackend::open(
        Arc::clone(raw),
        &RawKeyProvider::new([5; 32]),
    ))
    .unwrap()
}

/// The format byte of every value of `ns` in the inner backend, by plaintext key name.
fn formats(store: &EncryptedBackend<Raw>, ns: &[u8]) -> Vec<(Vec<u8>, u8)> {
    let keys = store.spaces.get(ns).unwrap();
    let sealed = block_on(store.inner.list(&keys.data_ns)).unwrap().keys;
    let mut out: Vec<_> = sealed
        .iter()
        .map(|name| {
            let record = block_on(store.inner.get(&keys.data_ns, name))
                .unwrap()
                .unwrap();
            (keys.open_name(name).unwrap(), record[0])
        })
        .collect();
    out.sort();
    out
}

/// A namespace as read: its name, usage and entries (key, value) in listing order.
type Read = (Vec<u8>, Usage, Vec<(Vec<u8>, Vec<u8>)>);

/// Everything readable in `store`, per namespace.
fn contents(store: &EncryptedBackend<Raw>) -> Vec<Read> {
    NAMESPACES
        .iter()
        .map(|ns| {
            let listing = block_on(store.list(ns)).unwrap();
            let values = listing
                .keys
                .iter()
                .map(|k| (k.clone(), block_on(store.get(ns, k)).unwrap().unwrap()))
                .collect();
            (ns.to_vec(), listing.usage, values)
        })
        .collect()
}

#[test]
fn values_of_both_formats_read_back_and_overwrites_are_format_2() {
    let raw: Raw = Arc::default();
    let store = open(&raw);
    let entries: &[(&[u8], &[u8])] = &[(b"k1", b"one"), (b"k2", b""), (b"k3", &[7; 300])];
    for ns in NAMESPACES {
        let ops: Vec<Op> = entries.iter().map(|(k, v)| put(k, v)).collect();
        block_on(store.apply(ns, &ops, Limits::NONE)).unwrap();
    }
    let written = contents(&store);
    // Every record replaced by the record format 1 made of the same entry, as a store written
    // before format 2 holds it.
    for ns in NAMESPACES {
        let keys = store.spaces.get(*ns).unwrap();
        let v1: Vec<Op> = entries
            .iter()
            .map(|(k, v)| Op::Put {
                key: keys.seal_name(k).unwrap(),
                value: keys.seal_value_v1(&[k.len() as u8; 16], k, v),
                charge: (k.len() + v.len()) as u64,
            })
            .collect();
        block_on(raw.apply(&keys.data_ns, &v1, Limits::NONE)).unwrap();
        assert!(formats(&store, ns).iter().all(|(_, f)| *f == FORMAT_V1));
    }
    assert_eq!(contents(&store), written);
    assert_eq!(contents(&open(&raw)), written);

    // Overwrite one, delete one: the overwrite is format 2, the untouched one still format 1.
    let ops = [
        put(b"k1", b"new"),
        Op::Delete {
            key: b"k2".to_vec(),
        },
    ];
    block_on(store.apply(b"ns-a", &ops, Limits::NONE)).unwrap();
    assert_eq!(
        formats(&store, b"ns-a"),
        vec![(b"k1".to_vec(), FORMAT_V2), (b"k3".to_vec(), FORMAT_V1)]
    );
    let mut expected = written;
    expected[0].1 = Usage {
        bytes: expected[0].1.bytes - 2, // "k2" and "" gone; "one" became "new"
        entries: 2,
    };
    expected[0].2 = vec![(b"k1".to_vec(), b"new".to_vec()), expected[0].2[2].clone()];
    for reader in [&store, &open(&raw)] {
        let mut got = contents(reader);
        got[0].2.sort();
        assert_eq!(got, expected);
    }
}
