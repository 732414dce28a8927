//! The value log (format 4): values above 4096 bytes live in segment files beside sled's tree.
//! These tests use tiny segments, so segments fill, seal and get compacted constantly:
//! space is reclaimed and the directory stays bounded, live bytes are known after a reopen,
//! orphans are deleted, readers racing compaction see the right value, and damage to a segment
//! is reported as `Corrupt`, never as a wrong value.

use std::path::{Path, PathBuf};
use storage_core::{block_on, Backend, Error, Limits, Op};
use storage_sled::{Durability, SledBackend, SledOptions, ValueLogStats};

/// The segment size of these tests: a few values each.
const SEGMENT: u64 = 64 << 10;

fn options(durability: Durability) -> SledOptions {
    SledOptions::default()
        .durability(durability)
        .value_log_segment_bytes(SEGMENT)
}

fn open(path: &Path, durability: Durability) -> SledBackend {
    SledBackend::open_with(path, options(durability)).unwrap()
}

/// A value of `len` bytes no other `(len, tag)` produces.
fn value(len: usize, tag: u32) -> Vec<u8> {
    let stamp = format!("<{tag}/{len}>");
    stamp.bytes().cycle().take(len).collect()
}

fn put(key: &str, len: usize, tag: u32) -> Op {
    Op::Put {
        key: key.into(),
        value: value(len, tag),
        charge: 1,
    }
}

fn get(s: &SledBackend, ns: &[u8], key: &str) -> Option<Vec<u8>> {
    block_on(s.get(ns, key.as_bytes())).unwrap()
}

/// The segment files in the store's value log directory and their total size.
fn files(path: &Path) -> (Vec<PathBuf>, u64) {
    let mut out: Vec<PathBuf> = std::fs::read_dir(path.join("values"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    let bytes = out
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    (out, bytes)
}

/// What the stats must say of a store holding `live` bytes of large values, with `files`
/// matching the directory.
fn check_stats(path: &Path, stats: ValueLogStats, live: u64, context: &str) {
    assert_eq!(stats.live_bytes, live, "{context}: live bytes");
    let (names, bytes) = files(path);
    assert_eq!(stats.segments, names.len() as u64, "{context}: segments");
    assert_eq!(stats.file_bytes, bytes, "{context}: file bytes");
}

#[test]
fn overwriting_the_same_large_keys_forever_keeps_the_directory_bounded() {
    // (durability, value length, keys): values smaller and larger than a segment.
    let cases = [
        (Durability::Buffered, 20_000, 6),
        (Durability::Durable, 20_000, 3),
        (Durability::Buffered, 100 << 10, 4),
        (Durability::Buffered, 5000, 20),
    ];
    for (durability, len, keys) in cases {
        let context = format!("{durability:?}, {len} bytes over {keys} keys");
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        let mut s = open(&path, durability);
        let live = (len * keys) as u64;
        // Live bytes, plus what compaction may lag behind: under half live in every sealed
        // segment that is not a candidate, a few candidates and the active segment.
        let bound = 2 * live + 6 * SEGMENT.max(len as u64);
        let rounds = if durability == Durability::Durable {
            60
        } else {
            150
        };
        for round in 0..rounds {
            for k in 0..keys {
                let ops = [put(&format!("k{k}"), len, round)];
                block_on(s.apply(b"ns", &ops, Limits::NONE)).unwrap();
            }
            let (_, bytes) = files(&path);
            assert!(
                bytes <= bound,
                "{context}: round {round}: {bytes} bytes on disk for {live} live (bound {bound})"
            );
            if round % 50 == 49 {
                drop(s);
                s = open(&path, durability);
            }
            for k in 0..keys {
                let got = get(&s, b"ns", &format!("k{k}"));
                assert_eq!(got, Some(value(len, round)), "{context}: round {round}");
            }
            check_stats(&path, s.value_log_stats(), live, &context);
        }
    }
}

#[test]
fn removed_cleared_and_shrunk_values_are_reclaimed() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let s = open(&path, Durability::Buffered);
    // (what is done, the large bytes live after it)
    let filler = |ns: &[u8], n: u32| -> Vec<Op> {
        (0..n)
            .map(|i| put(&format!("{}{i}", ns.len()), 9000, i))
            .collect()
    };
    block_on(s.apply(b"a", &filler(b"a", 20), Limits::NONE)).unwrap();
    block_on(s.apply(b"ab", &filler(b"ab", 20), Limits::NONE)).unwrap();
    check_stats(&path, s.value_log_stats(), 2 * 20 * 9000, "filled");
    block_on(s.clear(b"a")).unwrap();
    check_stats(&path, s.value_log_stats(), 20 * 9000, "one cleared");
    let deletes: Vec<Op> = (0..10)
        .map(|i| Op::Delete {
            key: format!("2{i}").into(),
        })
        .collect();
    block_on(s.apply(b"ab", &deletes, Limits::NONE)).unwrap();
    check_stats(&path, s.value_log_stats(), 10 * 9000, "half deleted");
    let shrink: Vec<Op> = (10..20).map(|i| put(&format!("2{i}"), 10, i)).collect();
    block_on(s.apply(b"ab", &shrink, Limits::NONE)).unwrap();
    check_stats(&path, s.value_log_stats(), 0, "all shrunk");
    // The last write's compaction step deleted every segment but the one being appended to and
    // the newest sealed one (which waits for the next to be sealed).
    assert!(
        s.value_log_stats().segments <= 2,
        "{:?}",
        s.value_log_stats()
    );
    block_on(s.drop_namespace(b"ab")).unwrap();
    for i in 10..20 {
        assert_eq!(get(&s, b"ab", &format!("2{i}")), None);
    }
}

#[test]
fn live_bytes_and_values_survive_reopening_in_both_modes() {
    for durability in [Durability::Durable, Durability::Buffered] {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        let lens = [4097, 5000, 20_000, 63_000, 64 << 10, 200_000, 100, 4096];
        {
            let s = open(&path, durability);
            for (i, len) in lens.iter().enumerate() {
                let ops = [
                    put(&format!("k{i}"), *len, 1),
                    put(&format!("j{i}"), *len, 2),
                ];
                block_on(s.apply(b"ns", &ops, Limits::NONE)).unwrap();
            }
            // Half of them removed again.
            for i in 0..lens.len() {
                let ops = [Op::Delete {
                    key: format!("j{i}").into(),
                }];
                block_on(s.apply(b"ns", &ops, Limits::NONE)).unwrap();
            }
            s.flush().unwrap();
        }
        let s = open(&path, durability);
        let live: u64 = lens.iter().filter(|&&l| l > 4096).map(|&l| l as u64).sum();
        check_stats(&path, s.value_log_stats(), live, &format!("{durability:?}"));
        for (i, len) in lens.iter().enumerate() {
            assert_eq!(get(&s, b"ns", &format!("k{i}")), Some(value(*len, 1)));
            assert_eq!(get(&s, b"ns", &format!("j{i}")), None);
        }
    }
}

#[test]
fn orphan_segments_and_bytes_are_reclaimed_at_open() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    {
        let s = open(&path, Durability::Durable);
        block_on(s.apply(b"ns", &[put("k", 10_000, 1)], Limits::NONE)).unwrap();
    }
    let (before, _) = files(&path);
    assert_eq!(before.len(), 1);
    // A segment no record points to (a crash after it was created, before any pointer to it was
    // stored), and garbage past the last value of the live one (bytes appended by a write that
    // never committed).
    let orphan = path.join("values").join("00000000000000ff.log");
    std::fs::write(&orphan, vec![7u8; 5000]).unwrap();
    {
        use std::os::unix::fs::FileExt;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&before[0])
            .unwrap();
        f.write_all_at(&[9u8; 3000], 10_000).unwrap();
    }
    let s = open(&path, Durability::Durable);
    assert!(!orphan.exists(), "the orphan segment is deleted");
    check_stats(&path, s.value_log_stats(), 10_000, "reopened");
    // The next value goes after the last live one, over the garbage, and never reuses the
    // orphan's number for a pointer an old record could hold.
    block_on(s.apply(b"ns", &[put("j", 7000, 2)], Limits::NONE)).unwrap();
    assert_eq!(get(&s, b"ns", "k"), Some(value(10_000, 1)));
    assert_eq!(get(&s, b"ns", "j"), Some(value(7000, 2)));
    drop(s);
    let s = open(&path, Durability::Durable);
    assert_eq!(get(&s, b"ns", "j"), Some(value(7000, 2)));
    check_stats(&path, s.value_log_stats(), 17_000, "reopened again");
}

#[test]
fn damaged_or_missing_segments_are_corrupt_never_a_wrong_value() {
    // (what is done to the segment holding the value)
    type Damage = fn(&Path);
    let damage: [(&str, Damage); 3] = [
        ("a byte flipped", |p| {
            let mut bytes = std::fs::read(p).unwrap();
            bytes[100] ^= 1;
            std::fs::write(p, bytes).unwrap();
        }),
        ("cut short", |p| {
            let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
            f.set_len(5000).unwrap();
        }),
        ("deleted", |p| std::fs::remove_file(p).unwrap()),
    ];
    for (what, damage) in damage {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        {
            let s = open(&path, Durability::Durable);
            block_on(s.apply(b"ns", &[put("k", 10_000, 1)], Limits::NONE)).unwrap();
        }
        let (segments, _) = files(&path);
        damage(&segments[0]);
        let s = open(&path, Durability::Durable);
        let got = block_on(s.get(b"ns", b"k"));
        assert!(matches!(got, Err(Error::Corrupt(_))), "{what}: {got:?}");
        // Overwriting or clearing gets rid of it.
        block_on(s.apply(b"ns", &[put("k", 9000, 2)], Limits::NONE)).unwrap();
        assert_eq!(get(&s, b"ns", "k"), Some(value(9000, 2)), "{what}");
        block_on(s.clear(b"ns")).unwrap();
        assert_eq!(get(&s, b"ns", "k"), None, "{what}");
    }
}

#[test]
fn readers_racing_compaction_always_see_the_right_value() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let s = open(&path, Durability::Buffered);
    // Values written once and never again: compaction moves them over and over as the writer
    // below fills segments with garbage around them.
    let steady: Vec<(String, usize)> = (0..12)
        .map(|i| (format!("steady{i}"), 4097 + i * 3000))
        .collect();
    for (key, len) in &steady {
        block_on(s.apply(b"r", &[put(key, *len, 7)], Limits::NONE)).unwrap();
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                let mut reads = 0u64;
                while !done.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                    for (key, len) in &steady {
                        let got = block_on(s.get(b"r", key.as_bytes())).unwrap();
                        assert_eq!(got, Some(value(*len, 7)), "{key}");
                        reads += 1;
                    }
                }
            });
        }
        for round in 0..400 {
            let ops = [put("churn", 30_000, round), put("churn2", 9000, round)];
            block_on(s.apply(b"w", &ops, Limits::NONE)).unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let live = steady.iter().map(|(_, l)| *l as u64).sum::<u64>() + 39_000;
    check_stats(&path, s.value_log_stats(), live, "after the race");
}

#[test]
fn concurrent_writers_clears_and_compaction_keep_live_bytes_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let s = open(&path, Durability::Buffered);
    // Each thread owns a namespace and overwrites, deletes and clears in it, while all of them
    // fill and compact the same value log.
    std::thread::scope(|scope| {
        for t in 0..3u32 {
            let s = &s;
            scope.spawn(move || {
                let ns = format!("ns{t}").into_bytes();
                for i in 0..300u32 {
                    let key = format!("k{}", i % 7);
                    let op = match i % 11 {
                        0 => Op::Delete { key: key.into() },
                        1 => {
                            block_on(s.clear(&ns)).unwrap();
                            continue;
                        }
                        n => put(&key, 3000 + (n as usize) * 2500, i),
                    };
                    block_on(s.apply(&ns, &[op], Limits::NONE)).unwrap();
                }
            });
        }
    });
    let large = |s: &SledBackend| -> u64 {
        let mut total = 0;
        for t in 0..3u32 {
            let ns = format!("ns{t}").into_bytes();
            for key in block_on(s.list(&ns)).unwrap().keys {
                let len = block_on(s.get(&ns, &key)).unwrap().unwrap().len() as u64;
                total += if len > 4096 { len } else { 0 };
            }
        }
        total
    };
    let live = large(&s);
    check_stats(&path, s.value_log_stats(), live, "after the writers");
    drop(s);
    let s = open(&path, Durability::Buffered);
    assert_eq!(large(&s), live);
    check_stats(&path, s.value_log_stats(), live, "reopened");
}
