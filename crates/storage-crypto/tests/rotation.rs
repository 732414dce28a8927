//! Rotation of the master key: data keys re-wrapped, values untouched, and a kill or a failure at
//! any step leaves a store that the old or the new key opens, with nothing lost.

mod support;

use std::sync::Arc;
use storage_core::{block_on, Backend, Limits, MemoryBackend, Usage};
use storage_crypto::{is_wrong_master_key, EncryptedBackend};
use support::{dump, key, open, put, Faulty, Raw};

fn ns(i: usize) -> Vec<u8> {
    format!("namespace-{i}").into_bytes()
}

fn value(i: usize, k: &str) -> Vec<u8> {
    format!("value {k} of {i}").into_bytes()
}

/// Writes namespaces `0..n`, two entries each.
fn populate<B: Backend>(store: &B, n: usize) {
    for i in 0..n {
        let ops = [put(b"a", &value(i, "a")), put(b"b", &value(i, "b"))];
        block_on(store.apply(&ns(i), &ops, Limits::NONE)).unwrap();
    }
}

/// Namespaces `0..n` read, list and count exactly as [`populate`] left them.
fn assert_intact<B: Backend>(store: &B, n: usize) {
    for i in 0..n {
        for k in ["a", "b"] {
            let got = block_on(store.get(&ns(i), k.as_bytes())).unwrap();
            assert_eq!(got, Some(value(i, k)), "namespace {i}, key {k}");
        }
        let listing = block_on(store.list(&ns(i))).unwrap();
        assert_eq!(listing.keys, vec![b"a".to_vec(), b"b".to_vec()]);
    }
    let mut namespaces = block_on(store.namespaces()).unwrap();
    namespaces.sort();
    let mut expected: Vec<_> = (0..n)
        .map(|i| {
            let bytes = 2 + value(i, "a").len() + value(i, "b").len();
            (
                ns(i),
                Usage {
                    bytes: bytes as u64,
                    entries: 2,
                },
            )
        })
        .collect();
    expected.sort();
    assert_eq!(namespaces, expected);
}

/// The keyring's records: the head, then one wrapped key per namespace (no leftovers).
fn keyring_len(raw: &MemoryBackend) -> usize {
    block_on(raw.list(b"k")).unwrap().keys.len()
}

/// Every record of the data namespaces (not the keyring, not a key claim).
fn data_records(raw: &MemoryBackend) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    dump(raw)
        .into_iter()
        .filter(|(ns, _, _)| ns.len() == 33 && ns[0] == b'd')
        .collect()
}

/// How many key claims the inner backend holds (the head's, and one per namespace created in
/// the current generation).
fn claims(raw: &MemoryBackend) -> usize {
    let namespaces = block_on(raw.namespaces()).unwrap();
    namespaces.iter().filter(|(ns, _)| ns[0] == b'c').count()
}

#[test]
fn rotation_rewraps_keys_and_leaves_every_data_record_as_it_was() {
    let raw: Raw = Arc::default();
    let store = open(Arc::clone(&raw), &key(1)).unwrap();
    populate(&store, 5);
    let before = data_records(&raw);
    assert_eq!(claims(&raw), 1 + 5);
    block_on(store.rotate(&key(2))).unwrap();
    assert_eq!(data_records(&raw), before);
    assert_eq!(keyring_len(&raw), 1 + 5);
    assert_eq!(
        claims(&raw),
        1,
        "the old generation's claims are gone, the head's stays"
    );
    assert_intact(&store, 5);
    drop(store);
    assert!(is_wrong_master_key(
        &open(Arc::clone(&raw), &key(1)).unwrap_err()
    ));
    assert_intact(&open(Arc::clone(&raw), &key(2)).unwrap(), 5);
}

#[test]
fn rotations_chain_and_may_reuse_a_key() {
    let raw: Raw = Arc::default();
    let store = open(Arc::clone(&raw), &key(1)).unwrap();
    populate(&store, 3);
    for (next, others) in [(2, [1, 3]), (3, [1, 2]), (3, [1, 2]), (1, [2, 3])] {
        block_on(store.rotate(&key(next))).unwrap();
        assert_intact(&open(Arc::clone(&raw), &key(next)).unwrap(), 3);
        for other in others {
            assert!(
                open(Arc::clone(&raw), &key(other)).is_err(),
                "{next} {other}"
            );
        }
        assert_eq!(keyring_len(&raw), 1 + 3);
    }
    // Namespaces created after a rotation are wrapped by the current key.
    populate(&store, 6);
    drop(store);
    assert_intact(&open(Arc::clone(&raw), &key(1)).unwrap(), 6);
}

/// More namespaces than one rotation batch holds, so rotation takes several writes per phase.
const SPREAD: usize = 300;

/// Runs a rotation from key 1 to key 2 that fails at its `step`-th backend call (and at every
/// later one when `dies`). Returns the shared inner backend, whether the fault fired, and the
/// store (still usable when the fault did not kill it).
fn rotate_with_fault(step: u64, dies: bool) -> (Raw, bool, EncryptedBackend<Arc<Faulty<Raw>>>) {
    let raw: Raw = Arc::default();
    let faulty = Arc::new(Faulty::new(Arc::clone(&raw)));
    let store = open(Arc::clone(&faulty), &key(1)).unwrap();
    populate(&store, SPREAD);
    faulty.arm(step, dies);
    let result = block_on(store.rotate(&key(2)));
    let fired = faulty.calls() > step;
    assert_eq!(result.is_err(), fired, "step {step}: {result:?}");
    faulty.arm(u64::MAX, false);
    (raw, fired, store)
}

/// Opens `raw` with key 1 and with key 2: exactly one must succeed. Returns which, and the
/// store it opened.
fn open_with_one_key(raw: &Raw, step: u64) -> (u8, EncryptedBackend<Raw>) {
    let old = open(Arc::clone(raw), &key(1));
    let new = open(Arc::clone(raw), &key(2));
    match (old, new) {
        (Ok(store), Err(e)) if is_wrong_master_key(&e) => (1, store),
        (Err(e), Ok(store)) if is_wrong_master_key(&e) => (2, store),
        (old, new) => panic!(
            "step {step}: old key {:?}, new key {:?}",
            old.err(),
            new.err()
        ),
    }
}

#[test]
fn a_kill_at_any_step_of_rotation_leaves_a_store_the_old_or_new_key_opens_intact() {
    let mut opened_by = Vec::new();
    for step in 0.. {
        let (raw, fired, store) = rotate_with_fault(step, true);
        drop(store);
        let (which, reopened) = open_with_one_key(&raw, step);
        assert_intact(&reopened, SPREAD);
        // Opening finished or undid the interrupted rotation: no wrap of another generation.
        assert_eq!(keyring_len(&raw), 1 + SPREAD, "step {step}");
        opened_by.push(which);
        if !fired {
            break;
        }
    }
    // Every step was tried, the switch happened once, and afterwards only the new key opens.
    let switch = opened_by.iter().position(|&w| w == 2).unwrap();
    assert!(
        switch > SPREAD,
        "the re-wrapping takes more steps than namespaces"
    );
    assert!(opened_by[..switch].iter().all(|&w| w == 1));
    assert!(opened_by[switch..].iter().all(|&w| w == 2));
    assert_eq!(opened_by.last(), Some(&2));
}

#[test]
fn a_failure_at_any_step_of_rotation_keeps_the_store_usable_and_a_retry_completes_it() {
    for step in 0.. {
        let (raw, fired, store) = rotate_with_fault(step, false);
        // The same instance still reads and writes everything, whatever failed.
        assert_intact(&store, SPREAD);
        block_on(store.apply(&ns(SPREAD), &[put(b"a", &value(SPREAD, "a"))], Limits::NONE))
            .unwrap();
        block_on(store.apply(&ns(SPREAD), &[put(b"b", &value(SPREAD, "b"))], Limits::NONE))
            .unwrap();
        let (_, reopened) = open_with_one_key(&raw, step);
        assert_intact(&reopened, SPREAD + 1);
        drop(reopened);
        // A retry (to the same new key) completes, and only the new key opens afterwards.
        block_on(store.rotate(&key(2))).unwrap();
        drop(store);
        assert!(open(Arc::clone(&raw), &key(1)).is_err());
        assert_intact(&open(Arc::clone(&raw), &key(2)).unwrap(), SPREAD + 1);
        assert_eq!(keyring_len(&raw), 1 + SPREAD + 1);
        if !fired {
            break;
        }
    }
}

/// Writers racing a rotation: every write that succeeded is readable with the new key, in
/// namespaces that existed before and in namespaces created during the rotation.
#[test]
fn writes_racing_a_rotation_all_survive_it() {
    let raw: Raw = Arc::default();
    let store = open(Arc::clone(&raw), &key(1)).unwrap();
    populate(&store, 20);
    std::thread::scope(|s| {
        for t in 0..4 {
            let store = &store;
            s.spawn(move || {
                for i in 0..50 {
                    let target = format!("racer-{t}-{}", i % 10).into_bytes();
                    let op = put(format!("k{i}").as_bytes(), &value(i, "racer"));
                    block_on(store.apply(&target, &[op], Limits::NONE)).unwrap();
                }
            });
        }
        s.spawn(|| {
            for k in [2, 3, 2] {
                block_on(store.rotate(&key(k))).unwrap();
            }
        });
    });
    drop(store);
    let reopened = open(Arc::clone(&raw), &key(2)).unwrap();
    assert_intact_racers(&reopened);
    assert_eq!(block_on(reopened.namespaces()).unwrap().len(), 20 + 40);
}

fn assert_intact_racers<B: Backend>(store: &B) {
    for t in 0..4 {
        for i in 0..50 {
            let target = format!("racer-{t}-{}", i % 10).into_bytes();
            let got = block_on(store.get(&target, format!("k{i}").as_bytes())).unwrap();
            assert_eq!(got, Some(value(i, "racer")), "racer {t}, write {i}");
        }
    }
}

#[test]
fn a_store_that_is_only_opened_and_rotated_works() {
    let raw: Raw = Arc::default();
    let store = block_on(EncryptedBackend::open(Arc::clone(&raw), &key(1))).unwrap();
    block_on(store.rotate(&key(2))).unwrap();
    drop(store);
    assert_intact(&open(Arc::clone(&raw), &key(2)).unwrap(), 0);
    assert_eq!(keyring_len(&raw), 1);
}

/// Opening reads the head and the rotation marker, whatever the store holds; only an open after
/// an interrupted rotation walks the keyring.
#[test]
fn an_open_reads_two_records_unless_a_rotation_was_interrupted() {
    let raw: Raw = Arc::default();
    populate(&open(Arc::clone(&raw), &key(1)).unwrap(), 50);
    let faulty = Arc::new(Faulty::new(Arc::clone(&raw)));
    faulty.arm(u64::MAX, false);
    let store = open(Arc::clone(&faulty), &key(1)).unwrap();
    assert_eq!(faulty.calls(), 2);
    // Interrupt a rotation after its marker and a few new wraps (a kill: nothing after).
    faulty.arm(4, true);
    assert!(block_on(store.rotate(&key(2))).is_err());
    drop(store);
    faulty.arm(u64::MAX, false);
    let store = open(Arc::clone(&faulty), &key(1)).unwrap();
    assert!(faulty.calls() > 2);
    assert_intact(&store, 50);
    faulty.arm(u64::MAX, false);
    drop(open(Arc::clone(&faulty), &key(1)).unwrap());
    assert_eq!(faulty.calls(), 2);
}

/// A namespace key record that fails authentication stops a rotation before its switch: the
/// store still opens with the old key, and no namespace is silently left behind.
#[test]
fn a_damaged_key_record_stops_rotation_before_the_switch() {
    let raw: Raw = Arc::default();
    let store = open(Arc::clone(&raw), &key(1)).unwrap();
    populate(&store, 5);
    let keyring = block_on(raw.list(b"k")).unwrap().keys;
    let wrap = keyring.iter().find(|k| k.starts_with(b"w")).unwrap();
    let mut record = block_on(raw.get(b"k", wrap)).unwrap().unwrap();
    record[10] ^= 1;
    block_on(raw.apply(b"k", &[put(wrap, &record)], Limits::NONE)).unwrap();
    let err = block_on(store.rotate(&key(2))).unwrap_err();
    assert!(matches!(err, storage_core::Error::Corrupt(_)), "{err}");
    drop(store);
    assert!(open(Arc::clone(&raw), &key(2)).is_err());
    let reopened = open(Arc::clone(&raw), &key(1)).unwrap();
    let readable = (0..5)
        .filter(|&i| block_on(reopened.get(&ns(i), b"a")).is_ok())
        .count();
    assert_eq!(readable, 4);
    assert_eq!(keyring_len(&raw), 1 + 5);
}
