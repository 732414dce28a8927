//! Batched reads through the decorator: each answer what `get` answers, the namespaces' keys it
//! lacks fetched in one read of the keyring, and every pair in one read of the backend beneath.

mod support;

use std::sync::Arc;
use storage_core::{block_on, Backend, Limits, ReadPair, Result};
use storage_crypto::EncryptedBackend;
use support::{key, open, put, Faulty, Raw};

const NAMESPACES: usize = 30;

fn ns(i: usize) -> Vec<u8> {
    format!("player-{i}").into_bytes()
}

/// A raw store holding `NAMESPACES` encrypted namespaces of two keys each.
fn written() -> Raw {
    let raw: Raw = Arc::default();
    let enc = open(Arc::clone(&raw), &key(1)).unwrap();
    for i in 0..NAMESPACES {
        let ops = [put(b"a", format!("a{i}").as_bytes()), put(b"b", b"")];
        block_on(enc.apply(&ns(i), &ops, Limits::NONE)).unwrap();
    }
    raw
}

/// The decorator over `raw` with nothing in memory, counting the calls that reach `raw`.
fn cold(raw: &Raw) -> EncryptedBackend<Faulty<Raw>> {
    let enc = open(Faulty::new(Arc::clone(raw)), &key(1)).unwrap();
    enc.inner().arm(u64::MAX, false);
    enc
}

fn bytes(answers: Result<Vec<Option<storage_core::StoredValue>>>) -> Result<Vec<Option<Vec<u8>>>> {
    answers.map(|a| a.into_iter().map(|v| v.map(|v| v.into_vec())).collect())
}

/// `pairs` read in one batch, and how many calls reached the backend beneath.
fn batch<B: Backend>(
    enc: &EncryptedBackend<Faulty<B>>,
    pairs: &[ReadPair<'_>],
) -> (Result<Vec<Option<Vec<u8>>>>, u64) {
    enc.inner().arm(u64::MAX, false);
    let answers = bytes(block_on(enc.get_many(pairs)));
    (answers, enc.inner().calls())
}

/// What `get` answers for each of `pairs`, on a decorator of its own.
fn one_by_one(raw: &Raw, pairs: &[ReadPair<'_>]) -> Vec<Option<Vec<u8>>> {
    let enc = open(Arc::clone(raw), &key(1)).unwrap();
    pairs
        .iter()
        .map(|(n, k)| block_on(enc.get(n, k)).unwrap())
        .collect()
}

#[test]
fn a_cold_batch_reads_the_keyring_once_and_the_data_once() {
    let raw = written();
    let names: Vec<Vec<u8>> = (0..NAMESPACES).map(ns).collect();
    let mut pairs: Vec<ReadPair<'_>> = names
        .iter()
        .flat_map(|n| [(&n[..], &b"a"[..]), (n, b"b"), (n, b"missing")])
        .collect();
    pairs.push((&names[3], b"a")); // a repeat
    let expected = one_by_one(&raw, &pairs);
    assert_eq!(expected[0], Some(b"a0".to_vec()));
    let enc = cold(&raw);
    assert_eq!(
        batch(&enc, &pairs),
        (Ok(expected.clone()), 2),
        "keys, then data"
    );
    assert_eq!(
        batch(&enc, &pairs),
        (Ok(expected), 1),
        "keys in memory: the data only"
    );
    assert_eq!(
        batch(&enc, &[]),
        (Ok(vec![]), 0),
        "an empty batch reads nothing"
    );
}

#[test]
fn namespaces_without_a_key_are_checked_as_get_checks_them() {
    let raw = written();
    let unknown: Vec<Vec<u8>> = (0..5)
        .map(|i| format!("stranger-{i}").into_bytes())
        .collect();
    let mut pairs: Vec<ReadPair<'_>> = unknown.iter().map(|n| (&n[..], &b"a"[..])).collect();
    let first = ns(0);
    pairs.push((&first, b"a"));
    let enc = cold(&raw);
    let expected = [vec![None; 5], vec![Some(b"a0".to_vec())]].concat();
    // The keyring once for all six, one listing per keyless namespace (as `get` makes), the data
    // of the one that has a key.
    assert_eq!(batch(&enc, &pairs), (Ok(expected.clone()), 1 + 5 + 1));
    let none: Vec<ReadPair<'_>> = pairs[..5].to_vec();
    assert_eq!(
        batch(&enc, &none),
        (Ok(vec![None; 5]), 1 + 5),
        "nothing to read beneath"
    );
}

#[test]
fn a_failure_beneath_fails_the_whole_batch() {
    let raw = written();
    let names: Vec<Vec<u8>> = (0..3).map(ns).collect();
    let pairs: Vec<ReadPair<'_>> = names.iter().map(|n| (&n[..], &b"a"[..])).collect();
    for fail_at in 0..2 {
        let enc = cold(&raw);
        enc.inner().arm(fail_at, false);
        let got = block_on(enc.get_many(&pairs));
        assert!(got.is_err(), "call {fail_at} failing beneath: {got:?}");
    }
}
