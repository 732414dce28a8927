//! Damaged files: a store whose files were truncated or overwritten opens without a panic and
//! holds a consistent prefix of its writes (sled treats damage in its log as the log's end), with
//! usage agreeing with the entries.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use storage_core::{block_on, Backend, Limits, Op, Usage};
use storage_sled::SledBackend;

const WRITES: u32 = 300;

fn write(i: u32) -> Op {
    Op::Put {
        key: i.to_be_bytes().to_vec(),
        value: vec![i as u8; 300],
        charge: 2,
    }
}

/// Copies the store at `original` into the new directory `into`.
fn copy_of_store(original: &Path, into: &Path) {
    std::fs::create_dir(into).unwrap();
    for e in std::fs::read_dir(original).unwrap() {
        let e = e.unwrap();
        if e.path().is_file() {
            std::fs::copy(e.path(), into.join(e.file_name())).unwrap();
        } else {
            std::fs::create_dir(into.join(e.file_name())).unwrap();
        }
    }
}

fn truncate(to: u64) -> impl Fn(&Path) {
    move |dir| {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("db"))
            .unwrap();
        f.set_len(to).unwrap();
    }
}

fn garbage(at: u64) -> impl Fn(&Path) {
    move |dir| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.join("db"))
            .unwrap();
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&[0xA5; 64]).unwrap();
    }
}

/// Damages a copy of the store with `damage`, reopens it and checks that it holds writes
/// `0..n` for some `n`, whole, in order, with exact usage.
fn check(original: &Path, case: &str, damage: impl Fn(&Path)) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    copy_of_store(original, &dir);
    damage(&dir);
    let s = SledBackend::open(&dir).unwrap_or_else(|e| panic!("{case}: {e}"));
    let listing = block_on(s.list(b"ns")).unwrap();
    let n = listing.keys.len() as u32;
    for (i, key) in (0..n).zip(&listing.keys) {
        let Op::Put { key: k, value, .. } = write(i) else {
            unreachable!()
        };
        assert_eq!(key, &k, "{case}: key {i}");
        assert_eq!(
            block_on(s.get(b"ns", key)).unwrap(),
            Some(value),
            "{case}: value {i}"
        );
    }
    let usage = Usage {
        bytes: 2 * u64::from(n),
        entries: u64::from(n),
    };
    assert_eq!(listing.usage, usage, "{case}: usage");
    // The damaged store still takes writes.
    block_on(s.apply(b"ns", &[write(WRITES)], Limits::NONE))
        .unwrap_or_else(|e| panic!("{case}: {e}"));
}

#[test]
fn damaged_files_recover_to_a_consistent_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let original = tmp.path().join("original");
    {
        let s = SledBackend::open(&original).unwrap();
        for i in 0..WRITES {
            block_on(s.apply(b"ns", &[write(i)], Limits::NONE)).unwrap();
        }
    }
    let len = std::fs::metadata(original.join("db")).unwrap().len();
    for cut in [0, 1, 100, 4096, len / 3, len / 2, len - 1] {
        check(&original, &format!("db truncated to {cut}"), truncate(cut));
    }
    for at in [0, 20, 100, 1000, len / 3, len / 2, len - 200] {
        check(&original, &format!("garbage at {at}"), garbage(at));
    }
    check(&original, "no conf", |d| {
        std::fs::remove_file(d.join("conf")).unwrap()
    });
    check(&original, "garbage conf", |d| {
        std::fs::write(d.join("conf"), "junk").unwrap()
    });
    check(&original, "no db", |d| {
        std::fs::remove_file(d.join("db")).unwrap()
    });
}
