//! Batched reads racing writers.

use crate::backend::{Backend, Limits, Op, ReadPair};
use crate::block_on;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Namespaces written, with names that are empty or prefixes of each other.
const NAMESPACES: [&[u8]; 3] = [b"", b"n", b"n\0"];
const KEYS: usize = 2;
const CELLS: usize = NAMESPACES.len() * KEYS;
const WRITERS: usize = 2;
/// Not a multiple of `DELETE_EVERY`: every key ends holding a value of its own, so the last
/// batches tell the keys apart.
const WRITES: u64 = 41;
/// Every write whose sequence number is a multiple of this deletes instead of writing.
const DELETE_EVERY: u64 = 5;

/// Writers keep changing a few keys of a few namespaces, each key with ever larger sequence
/// numbers (and sometimes deleting it), while a reader reads every key, twice, and a key never
/// written, in batches ([`Backend::get_many`]). Each answer must be a state of its key no older
/// than the last write acknowledged before the batch started and no newer than the last write
/// started before it returned (its contract: what `get` answers at some instant of the call).
pub fn concurrent_batch_reads<B: Backend>(factory: impl Fn() -> B + Sync) {
    let rounds = (super::cases() / 32).max(8);
    for round in 0..rounds {
        race(&factory(), round);
    }
}

/// Sets its flag when dropped.
struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

fn cell(i: usize) -> (&'static [u8], Vec<u8>) {
    (
        NAMESPACES[i / KEYS],
        format!("key-{}", i % KEYS).into_bytes(),
    )
}

fn value(i: usize, seq: u64) -> Vec<u8> {
    format!("{i}:{seq}").into_bytes()
}

fn race<B: Backend>(backend: &B, round: u32) {
    let started: Vec<AtomicU64> = (0..CELLS).map(|_| AtomicU64::new(0)).collect();
    let acked: Vec<AtomicU64> = (0..CELLS).map(|_| AtomicU64::new(0)).collect();
    let done = AtomicBool::new(false);
    let reading = AtomicBool::new(false);
    let cells: Vec<(&[u8], Vec<u8>)> = (0..CELLS).map(cell).collect();
    let mut pairs: Vec<ReadPair<'_>> = cells.iter().map(|(ns, key)| (*ns, &key[..])).collect();
    pairs.extend(pairs.clone().into_iter().rev());
    pairs.push((NAMESPACES[1], b"never written"));
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (started, acked, cells, reading) = (&started, &acked, &cells, &reading);
                s.spawn(move || {
                    // The writes begin once the reader has read once, so they race its batches.
                    while !reading.load(Ordering::SeqCst) {
                        std::thread::yield_now();
                    }
                    for seq in 1..=WRITES {
                        // Each cell has one writer, so its sequence numbers only grow.
                        for i in (w..CELLS).step_by(WRITERS) {
                            let (ns, key) = &cells[i];
                            let op = if seq.is_multiple_of(DELETE_EVERY) {
                                Op::Delete { key: key.clone() }
                            } else {
                                let value = value(i, seq);
                                let charge = value.len() as u64;
                                Op::Put {
                                    key: key.clone(),
                                    value,
                                    charge,
                                }
                            };
                            started[i].store(seq, Ordering::SeqCst);
                            let ops = [op];
                            let r = if (seq + round as u64).is_multiple_of(2) {
                                backend.apply_blocking(ns, &ops, Limits::NONE)
                            } else {
                                block_on(backend.apply(ns, &ops, Limits::NONE))
                            };
                            r.expect("an unlimited write succeeds");
                            acked[i].store(seq, Ordering::SeqCst);
                        }
                    }
                })
            })
            .collect();
        let reader = s.spawn(|| {
            // Lets the writers go even if the first batch panics, so the failure is reported.
            let _go = SetOnDrop(&reading);
            let mut batches = 0;
            loop {
                // The last batch starts once every write is acknowledged, so a backend answering
                // old states is caught however the threads were scheduled.
                let last = done.load(Ordering::SeqCst) && batches >= 4;
                let low: Vec<u64> = acked.iter().map(|a| a.load(Ordering::SeqCst)).collect();
                let answers = block_on(backend.get_many(&pairs)).expect("get_many");
                let high: Vec<u64> = started.iter().map(|a| a.load(Ordering::SeqCst)).collect();
                assert_eq!(answers.len(), pairs.len(), "one answer per pair");
                for (at, answer) in answers.iter().enumerate() {
                    let answer = answer.as_ref().map(|v| v.bytes());
                    if at == pairs.len() - 1 {
                        assert_eq!(answer, None, "a key never written");
                        continue;
                    }
                    let i = at % CELLS;
                    let i = if at < CELLS { i } else { CELLS - 1 - i };
                    let fits = (low[i]..=high[i]).any(|seq| match answer {
                        None => seq == 0 || seq.is_multiple_of(DELETE_EVERY),
                        Some(v) => {
                            !seq.is_multiple_of(DELETE_EVERY) && seq > 0 && v == value(i, seq)
                        }
                    });
                    assert!(
                        fits,
                        "get_many answered {:?} for key {i}, whose state was between writes {} \
                         and {} during the call",
                        answer.map(String::from_utf8_lossy),
                        low[i],
                        high[i]
                    );
                }
                batches += 1;
                reading.store(true, Ordering::SeqCst);
                if last {
                    break;
                }
            }
        });
        let written: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        // Set even when a writer failed, so the reader stops and the failure is reported.
        done.store(true, Ordering::SeqCst);
        reader.join().expect("reader");
        for w in written {
            w.expect("writer");
        }
    });
}
