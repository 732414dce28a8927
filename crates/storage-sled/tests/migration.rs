//! Opening a store of format version 1 (three trees: entries, order, meta), 2 (the entries
//! tree alone, values inline) or 3 (values above 4096 bytes in chunks) migrates it to version 4
//! (values above 4096 bytes in the value log), and a crash at any step of the migration leaves a
//! store that opens and has lost nothing. Old large values (inline or in chunks) stay readable;
//! writing over one replaces it whole, and the new value goes to the value log.
//!
//! The version 1, 2 and 3 stores are built here with sled directly, record by record, in the old
//! layouts (see `src/layout.rs`), including what version 1 left after deletes: gaps in the
//! sequence numbers and a `next_seq` past the largest one held, and large values stored inline.
//! Each step of the migration leaves a distinct state on disk; every one of them is built and
//! opened, for a migration by this build and, from version 1, one by a version 2 build.

use std::fs;
use std::path::Path;
use storage_core::{block_on, Backend, Error, Limits, Op, Usage};
use storage_sled::{SledBackend, FORMAT_FILE, FORMAT_VERSION};

const ENTRIES: &str = "mpstore/entries/v1";
const ORDER: &str = "mpstore/order/v1";
const META: &str = "mpstore/meta/v1";
const FORMAT_KEY: &[u8] = b"mpstore/format";

/// One namespace of a version 1 store: its entries as `(key, value, charge, seq)` and the
/// `next_seq` its meta record holds.
struct OldNamespace {
    ns: Vec<u8>,
    entries: Vec<(Vec<u8>, Vec<u8>, u64, u64)>,
    next_seq: u64,
}

impl OldNamespace {
    /// Keys in insertion order (by `seq`).
    fn keys(&self) -> Vec<Vec<u8>> {
        let mut sorted: Vec<_> = self.entries.iter().collect();
        sorted.sort_by_key(|e| e.3);
        sorted.into_iter().map(|e| e.0.clone()).collect()
    }

    fn usage(&self) -> Usage {
        Usage {
            bytes: self.entries.iter().map(|e| e.2).sum(),
            entries: self.entries.len() as u64,
        }
    }
}

fn entry(key: &str, value: &str, charge: u64, seq: u64) -> (Vec<u8>, Vec<u8>, u64, u64) {
    (key.into(), value.into(), charge, seq)
}

/// What the version 1 stores of these tests hold: related names, gaps left by deletes, and one
/// namespace large enough to fill many of sled's pages.
fn old_contents() -> Vec<OldNamespace> {
    vec![
        OldNamespace {
            ns: b"a".to_vec(),
            entries: vec![
                entry("k2", "two", 3, 5),
                entry("k0", "zero", 4, 1),
                entry("k9", "nine", 4, 7),
            ],
            next_seq: 10, // seqs 8 and 9 were deleted
        },
        OldNamespace {
            ns: b"a\x00".to_vec(),
            entries: vec![entry("", "empty key", 9, 0)],
            next_seq: 1,
        },
        OldNamespace {
            ns: Vec::new(),
            entries: vec![entry("x", "", 0, 3)],
            next_seq: 4,
        },
        OldNamespace {
            ns: b"big".to_vec(),
            entries: (0..3000u64)
                .map(|i| (format!("key{i:05}").into_bytes(), vec![b'v'; 200], 7, 2 * i))
                .collect(),
            next_seq: 6000,
        },
        OldNamespace {
            ns: b"large".to_vec(),
            entries: vec![
                (b"100k".to_vec(), vec![b'L'; 100 << 10], 11, 0),
                (b"5000".to_vec(), vec![b'M'; 5000], 12, 1),
                (b"4097".to_vec(), vec![b'N'; 4097], 13, 2),
            ],
            next_seq: 3,
        },
    ]
}

fn prefix(ns: &[u8]) -> Vec<u8> {
    [&(ns.len() as u32).to_be_bytes()[..], ns].concat()
}

fn be(parts: &[u64]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.to_be_bytes()).collect()
}

/// The store's sled database, opened directly to lay out or inspect old formats.
fn open_sled(path: &Path) -> RawSled {
    let db = sled::Config::new()
        .path(path)
        .mode(sled::Mode::LowSpace)
        .open()
        .unwrap_or_else(|e| panic!("cannot open sled at {}: {e}", path.display()));
    RawSled {
        db: Some(db),
        path: path.to_path_buf(),
    }
}

/// A raw sled handle that, when dropped, waits until sled has let go of its file lock: sled's
/// I/O jobs finish after the handle is dropped and give no signal, so the next open of the same
/// store could otherwise find the lock held (`SledBackend` waits the same way when it closes).
struct RawSled {
    db: Option<sled::Db>,
    path: std::path::PathBuf,
}

impl std::ops::Deref for RawSled {
    type Target = sled::Db;
    fn deref(&self) -> &sled::Db {
        self.db.as_ref().expect("open until dropped")
    }
}

impl Drop for RawSled {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        drop(self.db.take());
        let Ok(file) = fs::File::open(self.path.join("db")) else {
            return;
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        // SAFETY: `flock` on a descriptor this function owns for the whole loop.
        while unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "sled kept its lock for 10 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // SAFETY: as above; the lock was taken just now, on this descriptor.
        unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// Writes a version 2 store at `path`, exactly as version 2 of this crate laid it out.
fn write_v2_store(path: &Path, contents: &[OldNamespace]) {
    fs::create_dir_all(path).unwrap();
    fs::write(path.join(FORMAT_FILE), "mpstore-sled format 2\n").unwrap();
    let db = open_sled(path);
    db.insert(FORMAT_KEY, &2u32.to_be_bytes()).unwrap();
    let entries = db.open_tree(ENTRIES).unwrap();
    for space in contents {
        let p = prefix(&space.ns);
        for (key, value, charge, seq) in &space.entries {
            let record = [be(&[*seq, *charge]), value.clone()].concat();
            entries.insert([&p[..], key].concat(), record).unwrap();
        }
    }
    db.flush().unwrap();
}

/// Writes a version 3 store at `path`, exactly as version 3 of this crate laid it out: values
/// above 4096 bytes in chunks of 4096 bytes, under `FF FF FF FF ‖ prefix ‖ key ‖ i`.
fn write_v3_store(path: &Path, contents: &[OldNamespace]) {
    fs::create_dir_all(path).unwrap();
    fs::write(path.join(FORMAT_FILE), "mpstore-sled format 3\n").unwrap();
    let db = open_sled(path);
    db.insert(FORMAT_KEY, &3u32.to_be_bytes()).unwrap();
    let entries = db.open_tree(ENTRIES).unwrap();
    for space in contents {
        let p = prefix(&space.ns);
        for (key, value, charge, seq) in &space.entries {
            let ekey = [&p[..], key].concat();
            if value.len() <= 4096 {
                let record = [be(&[*seq, *charge]), value.clone()].concat();
                entries.insert(ekey, record).unwrap();
                continue;
            }
            let n = value.len().div_ceil(4096) as u32;
            let record = [
                be(&[*seq | 1 << 63, *charge, value.len() as u64]),
                n.to_be_bytes().to_vec(),
            ]
            .concat();
            entries.insert(&ekey[..], record).unwrap();
            for (i, chunk) in (0..n).zip(value.chunks(4096)) {
                let ckey = [&[0xff; 4][..], &ekey, &i.to_be_bytes()].concat();
                entries.insert(ckey, chunk).unwrap();
            }
        }
    }
    db.flush().unwrap();
}

/// Writes a version 1 store at `path`, exactly as version 1 of this crate laid it out.
fn write_v1_store(path: &Path, contents: &[OldNamespace]) {
    fs::create_dir_all(path).unwrap();
    fs::write(path.join(FORMAT_FILE), "mpstore-sled format 1\n").unwrap();
    let db = open_sled(path);
    db.insert(FORMAT_KEY, &1u32.to_be_bytes()).unwrap();
    let (entries, order, meta) = (
        db.open_tree(ENTRIES).unwrap(),
        db.open_tree(ORDER).unwrap(),
        db.open_tree(META).unwrap(),
    );
    for space in contents {
        let p = prefix(&space.ns);
        for (key, value, charge, seq) in &space.entries {
            let record = [be(&[*seq, *charge]), value.clone()].concat();
            entries.insert([&p[..], key].concat(), record).unwrap();
            order
                .insert([p.clone(), be(&[*seq])].concat(), key.as_slice())
                .unwrap();
        }
        let usage = space.usage();
        meta.insert(
            space.ns.as_slice(),
            be(&[usage.bytes, usage.entries, space.next_seq]),
        )
        .unwrap();
    }
    db.flush().unwrap();
}

/// The points a migration can be interrupted at, in order (see `src/open.rs`).
#[derive(Debug, Clone, Copy)]
enum Interrupted {
    /// Before it started: a plain old store.
    BeforeStarting,
    /// After the format record inside sled became the new version.
    AfterTheRecord,
    /// As above, while the new format file was being written (its temporary file left behind).
    WhileWritingTheFile,
    /// After the format file became the new version, before any old tree was dropped.
    AfterTheFile,
    /// After one old tree was dropped.
    AfterOneDrop,
    /// After both old trees were dropped (the migration is over).
    AfterBothDrops,
}

/// Leaves the old store at `path` as a migration to version `to` interrupted at `at` would have
/// (the drops happen in migrations from version 1 only).
fn interrupt_migration(path: &Path, at: Interrupted, to: u32) {
    use Interrupted::*;
    if matches!(at, BeforeStarting) {
        return;
    }
    let db = open_sled(path);
    db.insert(FORMAT_KEY, &to.to_be_bytes()).unwrap();
    if matches!(at, AfterOneDrop | AfterBothDrops) {
        db.drop_tree(ORDER).unwrap();
    }
    if matches!(at, AfterBothDrops) {
        db.drop_tree(META).unwrap();
    }
    db.flush().unwrap();
    drop(db);
    match at {
        WhileWritingTheFile => fs::write(path.join("MPSTORE_FORMAT.tmp"), "mpstore-sl").unwrap(),
        AfterTheFile | AfterOneDrop | AfterBothDrops => fs::write(
            path.join(FORMAT_FILE),
            format!("mpstore-sled format {to}\n"),
        )
        .unwrap(),
        BeforeStarting | AfterTheRecord => {}
    }
}

/// `store` holds exactly `contents`: namespaces, keys in order, values and usage.
fn check_holds(store: &SledBackend, contents: &[OldNamespace], context: &str) {
    let mut listed = block_on(store.namespaces()).unwrap();
    listed.sort();
    let mut expected: Vec<(Vec<u8>, Usage)> =
        contents.iter().map(|s| (s.ns.clone(), s.usage())).collect();
    expected.sort();
    assert_eq!(listed, expected, "{context}: namespaces");
    for space in contents {
        let listing = block_on(store.list(&space.ns)).unwrap();
        assert_eq!(
            listing.keys,
            space.keys(),
            "{context}: order of {:?}",
            space.ns
        );
        assert_eq!(
            listing.usage,
            space.usage(),
            "{context}: usage of {:?}",
            space.ns
        );
        for (key, value, _, _) in &space.entries {
            let got = block_on(store.get(&space.ns, key)).unwrap();
            assert_eq!(got.as_ref(), Some(value), "{context}: {key:?}");
        }
    }
}

/// The files and trees say the migration is over, and large values written since are chunked.
fn check_migrated(path: &Path, context: &str) {
    assert_eq!(
        fs::read_to_string(path.join(FORMAT_FILE)).unwrap(),
        format!("mpstore-sled format {FORMAT_VERSION}\n"),
        "{context}"
    );
    let db = open_sled(path);
    let names = db.tree_names();
    for old in [ORDER, META] {
        assert!(
            !names.iter().any(|n| n.as_ref() == old.as_bytes()),
            "{context}: {old} is still there"
        );
    }
    assert_eq!(
        db.get(FORMAT_KEY).unwrap().unwrap().as_ref(),
        FORMAT_VERSION.to_be_bytes(),
        "{context}"
    );
    // The one value written large after the migration (90,000 bytes) is in the value log, with
    // one index entry (`FF` × 8 ‖ segment ‖ offset); no chunk (`FF` × 4 ‖ prefix ‖ key ‖ i) is
    // left of the old large values.
    let tree = db.open_tree(ENTRIES).unwrap();
    assert_eq!(tree.scan_prefix([0xff; 8]).count(), 1, "{context}");
    assert_eq!(tree.scan_prefix([0xff; 4]).count(), 1, "{context}");
    let segments = fs::read_dir(path.join("values")).unwrap().count();
    assert_eq!(segments, 1, "{context}");
}

fn put(key: &str, charge: u64) -> Op {
    Op::Put {
        key: key.into(),
        value: key.into(),
        charge,
    }
}

/// Opens the old store at `path` holding `contents`, checks it holds them, writes to it (a new
/// key lists last, a limit sees the migrated usage; large values written again go to chunks),
/// and checks the migration is over and everything survives a reopen.
fn open_migrated(path: &Path, mut contents: Vec<OldNamespace>, context: &str) {
    {
        let store = SledBackend::open(path).unwrap_or_else(|e| panic!("{context}: {e}"));
        check_holds(&store, &contents, context);
        let a = &mut contents[0];
        let before = a.usage();
        let limits = Limits {
            max_bytes: before.bytes,
            max_entries: u64::MAX,
        };
        let refused = block_on(store.apply(&a.ns, &[put("new", 1)], limits)).unwrap_err();
        assert!(
            matches!(refused, Error::LimitExceeded { before: b, .. } if b == before),
            "{context}: {refused:?}"
        );
        block_on(store.apply(&a.ns, &[put("new", 1)], Limits::NONE)).unwrap();
        a.entries.push(entry("new", "new", 1, u64::MAX));
        // Large values stored inline or in chunks by the old format: one rewritten (now in the
        // value log), one shrunk, one deleted; the old record of each is replaced whole.
        let large = contents.iter_mut().find(|s| s.ns == b"large").unwrap();
        let ops = [
            Op::Put {
                key: b"100k".to_vec(),
                value: vec![b'l'; 90_000],
                charge: 11,
            },
            Op::Put {
                key: b"5000".to_vec(),
                value: vec![b'm'; 10],
                charge: 12,
            },
            Op::Delete {
                key: b"4097".to_vec(),
            },
        ];
        block_on(store.apply(&large.ns, &ops, Limits::NONE)).unwrap();
        large.entries[0].1 = vec![b'l'; 90_000];
        large.entries[1].1 = vec![b'm'; 10];
        large.entries.pop();
        check_holds(&store, &contents, context);
    }
    check_migrated(path, context);
    let store = SledBackend::open(path).unwrap();
    check_holds(&store, &contents, &format!("{context}, reopened"));
}

/// A store of format `from` (`write` builds it from the old contents), left as a migration to
/// format `to` interrupted `at` leaves it, opens with everything the old store held.
fn migrates_intact(
    from: u32,
    to: u32,
    at: Interrupted,
    write: impl FnOnce(&Path, &[OldNamespace], &str),
) {
    let context = format!("{from} -> {to}, interrupted {at:?}");
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let contents = old_contents();
    write(&path, &contents, &context);
    interrupt_migration(&path, at, to);
    open_migrated(&path, contents, &context);
}

#[test]
fn a_migration_from_version_1_interrupted_anywhere_opens_with_everything() {
    use Interrupted::*;
    // `to`: 4 is this build's migration; 2 and 3 are ones a version 2 or 3 build began.
    for to in [4, 3, 2] {
        for at in [
            BeforeStarting,
            AfterTheRecord,
            WhileWritingTheFile,
            AfterTheFile,
            AfterOneDrop,
            AfterBothDrops,
        ] {
            migrates_intact(1, to, at, |path, contents, _| {
                write_v1_store(path, contents)
            });
        }
    }
}

#[test]
fn a_migration_from_version_2_interrupted_anywhere_opens_with_everything() {
    use Interrupted::*;
    for at in [
        BeforeStarting,
        AfterTheRecord,
        WhileWritingTheFile,
        AfterTheFile,
    ] {
        // `to`: 4 is this build's migration; 3 is one a version 3 build began.
        for to in [4, 3] {
            migrates_intact(2, to, at, |path, contents, _| {
                write_v2_store(path, contents)
            });
        }
    }
}

#[test]
fn a_migration_from_version_3_interrupted_anywhere_opens_with_everything() {
    use Interrupted::*;
    for at in [
        BeforeStarting,
        AfterTheRecord,
        WhileWritingTheFile,
        AfterTheFile,
    ] {
        migrates_intact(3, 4, at, |path, contents, context| {
            write_v3_store(path, contents);
            assert_eq!(
                open_sled(path)
                    .open_tree(ENTRIES)
                    .unwrap()
                    .scan_prefix([0xff; 4])
                    .count(),
                25 + 2 + 2,
                "{context}: the old large values are in chunks"
            );
        });
    }
}

#[test]
fn a_format_file_newer_than_the_record_inside_is_refused() {
    // No step of a migration writes the file before the record, so these are not stores this
    // crate wrote: refuse them rather than guess. (file, record)
    for (file, record) in [(2u32, 1u32), (3, 1), (3, 2), (4, 3), (4, 1)] {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        write_v1_store(&path, &old_contents());
        let db = open_sled(&path);
        db.insert(FORMAT_KEY, &record.to_be_bytes()).unwrap();
        db.flush().unwrap();
        drop(db);
        fs::write(
            path.join(FORMAT_FILE),
            format!("mpstore-sled format {file}\n"),
        )
        .unwrap();
        match SledBackend::open(&path) {
            Err(Error::Backend(msg)) => assert!(msg.contains("records format"), "{msg}"),
            other => panic!("file {file}, record {record}: expected a refusal, got {other:?}"),
        }
    }
}
