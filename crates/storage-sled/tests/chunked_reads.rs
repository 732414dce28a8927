//! Values above 4096 bytes are stored in the value log, behind a pointer in their record (see the
//! crate docs): readers racing writers of the same key, and the compaction those writers run,
//! must still only ever see one written value, whole.

use std::sync::atomic::{AtomicBool, Ordering};
use storage_core::{block_on, Backend, Limits, Op};
use storage_sled::{Durability, SledBackend, SledOptions};

/// The length of the value tagged `tag`: inline and chunked, with chunk counts going up and
/// down, and often the same length as the value before (so only the bytes tell them apart).
fn len_of(tag: u8) -> usize {
    const LENS: [usize; 9] = [
        100 << 10,
        100 << 10,
        40,
        100 << 10,
        4097,
        100 << 10,
        9000,
        30_000,
        100 << 10,
    ];
    LENS[tag as usize % LENS.len()]
}

/// The value tagged `tag`: every byte is the tag, so a mix of two values shows.
fn value(tag: u8) -> Vec<u8> {
    vec![tag; len_of(tag)]
}

/// A value read is one written value, whole.
fn check_whole(got: &[u8]) {
    let tag = got[0];
    assert_eq!(
        got.len(),
        len_of(tag),
        "a value of tag {tag} has a wrong length"
    );
    assert!(got.iter().all(|&b| b == tag), "a value mixes two writes");
}

#[test]
fn readers_racing_overwriters_see_whole_values() {
    for durability in [Durability::Buffered, Durability::Durable] {
        let store = SledBackend::temporary_with(SledOptions {
            durability,
            ..SledOptions::default()
        })
        .unwrap();
        let rounds: u8 = match durability {
            Durability::Buffered => 200,
            Durability::Durable => 40,
        };
        let done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..2u8)
                .map(|w| {
                    let store = &store;
                    scope.spawn(move || {
                        for round in 0..rounds {
                            let tag = round.wrapping_mul(2).wrapping_add(w);
                            let put = |tag: u8| Op::Put {
                                key: b"k".to_vec(),
                                value: value(tag),
                                charge: 1,
                            };
                            // Single puts, batches that write the key twice, and deletes.
                            let ops = match round % 5 {
                                0 => vec![put(tag.wrapping_add(100)), put(tag)],
                                1 => vec![Op::Delete { key: b"k".to_vec() }],
                                _ => vec![put(tag)],
                            };
                            block_on(store.apply(b"ns", &ops, Limits::NONE)).unwrap();
                        }
                    })
                })
                .collect();
            for _ in 0..2 {
                let (store, done) = (&store, &done);
                scope.spawn(move || {
                    let mut seen = 0u32;
                    while !done.load(Ordering::Acquire) || seen == 0 {
                        if let Some(got) = block_on(store.get(b"ns", b"k")).unwrap() {
                            check_whole(&got);
                            seen += 1;
                        }
                    }
                });
            }
            for w in writers {
                w.join().unwrap();
            }
            // The last round of both writers is a put, so readers always find a value at the end.
            done.store(true, Ordering::Release);
        });
    }
}
