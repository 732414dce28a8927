//! Namespace listing through the registry: what is listed, what is pruned, and that pruning while
//! writers come and go never hides a namespace that holds entries.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use storage_core::{block_on, Backend, Limits, Op, Usage};
use storage_redis::RedisBackend;

fn put(key: &[u8], charge: u64) -> Op {
    Op::Put {
        key: key.to_vec(),
        value: b"v".to_vec(),
        charge,
    }
}

fn del(key: &[u8]) -> Op {
    Op::Delete { key: key.to_vec() }
}

fn apply(b: &RedisBackend, ns: &[u8], ops: &[Op]) {
    block_on(b.apply(ns, ops, Limits::NONE)).expect("apply");
}

fn listed(b: &RedisBackend) -> Vec<(Vec<u8>, Usage)> {
    let mut all = block_on(b.namespaces()).expect("namespaces");
    all.sort();
    all
}

fn usage(bytes: u64, entries: u64) -> Usage {
    Usage { bytes, entries }
}

#[test]
fn listing_follows_entries_through_writes_clears_and_drops() {
    let Some(b) = common::backend("registry-listing") else {
        return;
    };
    // One table: after each step, the namespaces listed.
    type Step<'a> = (&'a str, &'a dyn Fn(&RedisBackend));
    type Listed = Vec<(Vec<u8>, Usage)>;
    let steps: &[(Step, Listed)] = &[
        (
            ("write a", &|b| apply(b, b"a", &[put(b"k", 3)])),
            vec![(b"a".to_vec(), usage(3, 1))],
        ),
        (
            ("write b", &|b| {
                apply(b, b"b", &[put(b"k", 1), put(b"l", 1)])
            }),
            vec![(b"a".to_vec(), usage(3, 1)), (b"b".to_vec(), usage(2, 2))],
        ),
        (
            ("empty a by delete", &|b| apply(b, b"a", &[del(b"k")])),
            vec![(b"b".to_vec(), usage(2, 2))],
        ),
        (
            ("refill a", &|b| apply(b, b"a", &[put(b"x", 5)])),
            vec![(b"a".to_vec(), usage(5, 1)), (b"b".to_vec(), usage(2, 2))],
        ),
        (
            ("clear b", &|b| block_on(b.clear(b"b")).expect("clear")),
            vec![(b"a".to_vec(), usage(5, 1))],
        ),
        (
            ("drop a", &|b| {
                block_on(b.drop_namespace(b"a")).expect("drop")
            }),
            vec![],
        ),
        (
            ("write a again", &|b| apply(b, b"a", &[put(b"y", 1)])),
            vec![(b"a".to_vec(), usage(1, 1))],
        ),
        (
            ("a batch that nets to nothing", &|b| {
                apply(b, b"c", &[put(b"k", 1), del(b"k")])
            }),
            vec![(b"a".to_vec(), usage(1, 1))],
        ),
        (
            ("drop a namespace never written", &|b| {
                block_on(b.drop_namespace(b"z")).expect("drop")
            }),
            vec![(b"a".to_vec(), usage(1, 1))],
        ),
    ];
    for ((what, step), expected) in steps {
        step(&b);
        assert_eq!(&listed(&b), expected, "after: {what}");
        // Listing again (after pruning) gives the same.
        assert_eq!(&listed(&b), expected, "listing again after: {what}");
    }
    // A dropped namespace comes back with no memory of its old places.
    apply(&b, b"d", &[put(b"1", 1), put(b"2", 1)]);
    block_on(b.drop_namespace(b"d")).expect("drop");
    apply(&b, b"d", &[put(b"2", 1), put(b"1", 1)]);
    assert_eq!(
        block_on(b.list(b"d")).expect("list").keys,
        [b"2".to_vec(), b"1".to_vec()]
    );
}

/// Writers keep emptying and refilling their namespaces while listers list (and so prune). A
/// namespace that held entries during a whole listing must be in it, and at the end exactly the
/// non-empty namespaces are listed.
#[test]
fn pruning_never_hides_a_namespace_that_holds_entries() {
    let Some(b) = common::backend("registry-race") else {
        return;
    };
    const WRITERS: usize = 4;
    const LISTERS: u64 = 2;
    const ROUNDS: u64 = 30;
    // Per writer: odd while its namespace surely holds an entry (between a put's return and the
    // start of the delete that empties it), even otherwise.
    let phases: Vec<AtomicU64> = (0..WRITERS).map(|_| AtomicU64::new(0)).collect();
    let done = AtomicBool::new(false);
    let ns = |w: usize| format!("writer-{w}").into_bytes();
    let checked = AtomicU64::new(0);
    let listings = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..LISTERS {
            s.spawn(|| {
                while !done.load(Ordering::Acquire) {
                    let before: Vec<u64> =
                        phases.iter().map(|p| p.load(Ordering::Acquire)).collect();
                    let now = listed(&b);
                    for (w, phase) in phases.iter().enumerate() {
                        let after = phase.load(Ordering::Acquire);
                        if before[w] == after && after % 2 == 1 {
                            checked.fetch_add(1, Ordering::Relaxed);
                            assert!(
                                now.iter().any(|(n, _)| *n == ns(w)),
                                "writer {w} held an entry throughout a listing that missed it"
                            );
                        }
                    }
                    listings.fetch_add(1, Ordering::AcqRel);
                }
            });
        }
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (b, phases, ns, listings) = (&b, &phases, &ns, &listings);
                s.spawn(move || {
                    for _ in 0..ROUNDS {
                        apply(b, &ns(w), &[put(b"k", 1)]);
                        phases[w].fetch_add(1, Ordering::AcqRel);
                        // Hold the entry until a whole listing has run meanwhile: with one listing
                        // in flight per lister, LISTERS + 1 more finished ones include one that
                        // started after the put.
                        let seen = listings.load(Ordering::Acquire);
                        while listings.load(Ordering::Acquire) < seen + LISTERS + 1 {
                            std::thread::yield_now();
                        }
                        phases[w].fetch_add(1, Ordering::AcqRel);
                        apply(b, &ns(w), &[del(b"k")]);
                    }
                    // End holding an entry, for the final check.
                    apply(b, &ns(w), &[put(b"k", 1)]);
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer");
        }
        done.store(true, Ordering::Release);
    });
    assert!(
        checked.load(Ordering::Relaxed) >= WRITERS as u64 * ROUNDS,
        "every round was seen by a listing"
    );
    let expected: Vec<_> = (0..WRITERS).map(|w| (ns(w), usage(1, 1))).collect();
    assert_eq!(listed(&b), expected);
    assert_eq!(listed(&b), expected, "after pruning");
}
