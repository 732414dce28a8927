//! A full disk, on small tmpfs filesystems the tests mount (root with `CAP_SYS_ADMIN`; where
//! mounting fails the tests say so, and fail under `CI=true`).
//!
//! When the disk fills up, a write that would add data is refused with a clear error and changes
//! nothing; the store keeps serving reads, removals and clears (which free space); writes
//! resume once space returns, without a reopen; a store on a full disk opens.

use powercut_fs::Tmpfs;
use std::path::Path;
use storage_core::{block_on, Backend, Error, Limits, Op, Usage};
use storage_sled::{SledBackend, SledOptions};

const NS: &[u8] = b"full";
const OTHER: &[u8] = b"other";

/// A small tmpfs at `dir`; `None`, said loudly, where the machine does not allow mounting one
/// (a failure under `CI=true`).
fn tmpfs(dir: &Path, size: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(dir, size) {
        Ok(fs) => Some(fs),
        Err(e) => {
            let why = format!(
                "full disk NOT tested here: mounting a small tmpfs failed ({e}); it needs \
                 root with CAP_SYS_ADMIN"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("{why}");
            None
        }
    }
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

/// Put number `i` of `len` bytes, with a value only it has.
fn put(i: u32, len: usize) -> Op {
    Op::Put {
        key: key(i),
        value: format!("<value {i}>").bytes().cycle().take(len).collect(),
        charge: 1,
    }
}

fn value(i: u32, len: usize) -> Vec<u8> {
    match put(i, len) {
        Op::Put { value, .. } => value,
        Op::Delete { .. } => unreachable!(),
    }
}

fn apply(s: &SledBackend, ns: &[u8], op: Op) -> Result<Usage, Error> {
    block_on(s.apply(ns, &[op], Limits::NONE))
}

/// Writes puts of `len` bytes from `from` on until the disk is full; returns how many were
/// stored and the refusal, which must say the disk is full.
fn fill_with_puts(s: &SledBackend, from: u32, len: usize) -> u32 {
    let mut i = from;
    let refusal = loop {
        match apply(s, NS, put(i, len)) {
            Ok(_) => i += 1,
            Err(e) => break e,
        }
        assert!(i - from < 100_000, "the filesystem never filled up");
    };
    let message = refusal.to_string();
    assert!(
        matches!(refusal, Error::Backend(_)) && message.contains("is full"),
        "want a clear disk-full refusal, got {message:?}"
    );
    i - from
}

fn open(dir: &Path, segment: u64) -> SledBackend {
    let options = SledOptions::default().value_log_segment_bytes(segment);
    SledBackend::open_with(dir, options).expect("open on the small filesystem")
}

/// The store at `dir` must hold, in `NS`, exactly the puts `i` of `len` bytes for which
/// `kept(i)` holds, `i < n`.
fn check_holds(s: &SledBackend, n: u32, len: usize, kept: impl Fn(u32) -> bool) {
    let listing = block_on(s.list(NS)).unwrap();
    let want: Vec<Vec<u8>> = (0..n).filter(|&i| kept(i)).map(key).collect();
    assert_eq!(listing.keys, want, "keys");
    assert_eq!(listing.usage.entries, want.len() as u64, "usage");
    for i in (0..n).filter(|&i| kept(i)) {
        let got = block_on(s.get(NS, &key(i))).unwrap();
        assert_eq!(got, Some(value(i, len)), "value of put {i}");
    }
}

#[test]
fn a_full_disk_refuses_writes_serves_the_rest_and_resumes_when_space_returns() {
    // (value log segment size, value length, bytes of values that must fit in 2 MiB): small
    // values fill sled's log (which writes each several times over); 6000-byte values fill the
    // value log, in 64 KiB segments or in the default ones sized to the space left.
    for (segment, len, fit) in [
        (64 << 10, 300, 400 << 10),
        (64 << 10, 6000, 1 << 20),
        (SledOptions::DEFAULT_VALUE_LOG_SEGMENT_BYTES, 6000, 1 << 20),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let Some(fs) = tmpfs(tmp.path(), "2m") else {
            return;
        };
        let dir = tmp.path().join("store");
        let s = open(&dir, segment);
        apply(&s, OTHER, put(0, 100)).unwrap();
        let n = fill_with_puts(&s, 0, len);
        assert!(
            n as usize * len >= fit,
            "{segment}/{len}: only {n} puts fit in 2 MiB"
        );
        // Refused again, and nothing changed: reads, listings and usage as before.
        let before = block_on(s.list(NS)).unwrap().usage;
        assert!(apply(&s, NS, put(n, len)).is_err());
        assert_eq!(block_on(s.list(NS)).unwrap().usage, before);
        check_holds(&s, n, len, |_| true);
        // Removals and clears go on.
        for i in (0..n).step_by(3) {
            apply(&s, NS, Op::Delete { key: key(i) }).unwrap();
        }
        block_on(s.clear(OTHER)).unwrap();
        // Space returns: writes resume without a reopen.
        fs.resize("64m").unwrap();
        apply(&s, NS, put(n, len)).unwrap();
        check_holds(&s, n + 1, len, |i| i % 3 != 0 || i >= n);
        drop(s);
        let s = open(&dir, segment);
        check_holds(&s, n + 1, len, |i| i % 3 != 0 || i >= n);
        assert_eq!(block_on(s.list(OTHER)).unwrap().keys.len(), 0);
    }
}

#[test]
fn removals_on_a_full_disk_free_space_for_new_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = tmpfs(tmp.path(), "4m") else {
        return;
    };
    let dir = tmp.path().join("store");
    let len = 20_000;
    let s = open(&dir, 256 << 10);
    let n = fill_with_puts(&s, 0, len);
    let full = fs.free().unwrap();
    for i in 0..n {
        apply(&s, NS, Op::Delete { key: key(i) }).unwrap();
    }
    let freed = fs.free().unwrap().saturating_sub(full);
    assert!(
        freed >= u64::from(n) * len as u64 / 2,
        "removing {n} values of {len} bytes freed only {freed} bytes"
    );
    // The freed space takes new writes, without a reopen.
    let again = fill_with_puts(&s, n, len);
    assert!(again >= n / 2, "{again} new puts after removing {n}");
}

#[test]
fn a_store_on_a_full_disk_opens_for_reads_and_removals() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(fs) = tmpfs(tmp.path(), "2m") else {
        return;
    };
    let dir = tmp.path().join("store");
    let len = 300;
    {
        let s = open(&dir, 64 << 10);
        for i in 0..100 {
            apply(&s, NS, put(i, len)).unwrap();
        }
    }
    let filler = fs.fill().unwrap();
    let s = open(&dir, 64 << 10);
    check_holds(&s, 100, len, |_| true);
    let refusal = apply(&s, NS, put(100, len)).unwrap_err().to_string();
    assert!(refusal.contains("is full"), "{refusal}");
    for i in 0..10 {
        apply(&s, NS, Op::Delete { key: key(i) }).unwrap();
    }
    std::fs::remove_file(filler).unwrap();
    apply(&s, NS, put(100, len)).unwrap();
    check_holds(&s, 101, len, |i| i >= 10);
}
