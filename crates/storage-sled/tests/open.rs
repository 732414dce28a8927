//! Opening stores: what is accepted, what is refused (clearly, changing nothing), and what
//! survives closing and reopening.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use storage_core::{block_on, Backend, Error, Limits, Op, Usage};
use storage_sled::{Durability, SledBackend, SledOptions, FORMAT_FILE};

fn put(key: &str, value: &str, charge: u64) -> Op {
    Op::Put {
        key: key.into(),
        value: value.into(),
        charge,
    }
}

/// Every file under `dir` with its bytes: a refused open must leave this unchanged.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                todo.push(p);
            } else {
                out.insert(p.clone(), fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Edits the store at `path` with sled itself, behind the backend's back, and returns once sled
/// has let go of it: a dropped `sled::Db` keeps its file lock while its queued I/O jobs finish,
/// and the backend would then find the store open elsewhere.
fn behind_our_back(path: &Path, edit: impl FnOnce(&sled::Db)) {
    {
        let db = sled::Config::new()
            .path(path)
            .segment_size(storage_sled::SEGMENT_SIZE_BYTES)
            .open()
            .unwrap();
        edit(&db);
        db.flush().unwrap();
    }
    let file = fs::File::open(path.join("db")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        use std::os::fd::AsRawFd;
        // SAFETY: `flock` on a descriptor this function owns for the whole call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            // The lock goes with the descriptor when `file` is dropped.
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "sled kept its lock on {}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Sets up `dir` with `prepare`, then checks that opening `dir/store` fails with a message
/// containing `expected` and changes no file.
fn check_refused(prepare: impl FnOnce(&Path), expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    prepare(&path);
    let before = snapshot(tmp.path());
    match SledBackend::open(&path) {
        Ok(_) => panic!("opening should fail with {expected:?}"),
        Err(Error::Backend(msg)) => assert!(msg.contains(expected), "{msg:?} lacks {expected:?}"),
        Err(other) => panic!("unexpected error {other:?}"),
    }
    assert_eq!(snapshot(tmp.path()), before, "a refused open changed files");
}

fn format_file(content: &'static str) -> impl FnOnce(&Path) {
    move |p| {
        fs::create_dir(p).unwrap();
        fs::write(p.join(FORMAT_FILE), content).unwrap();
    }
}

#[test]
fn paths_that_are_not_stores_are_refused_unchanged() {
    check_refused(|p| fs::write(p, "a file").unwrap(), "not a directory");
    check_refused(
        |p| {
            fs::create_dir(p).unwrap();
            fs::write(p.join("notes.txt"), "mine").unwrap();
        },
        "not empty",
    );
    // Formats 1 to 3 were never released: this build reads version 4 only, and says so.
    check_refused(format_file("mpstore-sled format 1\n"), "format version 1");
    check_refused(format_file("mpstore-sled format 2\n"), "format version 2");
    check_refused(
        format_file("mpstore-sled format 3\n"),
        "format version 3, which this build cannot read (it reads version 4 only)",
    );
    check_refused(format_file("mpstore-sled format 5\n"), "format version 5");
    check_refused(format_file("mpstore-sled format 0\n"), "format version 0");
    check_refused(
        format_file("mpstore-sled format 99999\n"),
        "format version 99999",
    );
    check_refused(
        format_file("mpstore-sled format one\n"),
        "not a format record",
    );
    check_refused(format_file("something else"), "not a format record");
    check_refused(format_file(""), "not a format record");
}

#[test]
fn a_store_open_in_this_process_is_refused_until_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    let first = SledBackend::open(&path).unwrap();
    // The open store's own flusher may write to sled's log at any moment, so the refusals are
    // checked to create or remove no file and to leave the format record as it was.
    let files = |dir: &Path| snapshot(dir).into_keys().collect::<Vec<_>>();
    let format = path.join(storage_sled::FORMAT_FILE);
    let before = (files(tmp.path()), fs::read(&format).unwrap());
    // Also through another spelling of the same path.
    for other in [path.clone(), tmp.path().join("./store/../store")] {
        match SledBackend::open(&other) {
            Err(Error::Backend(msg)) => assert!(msg.contains("already open"), "{msg}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!((files(tmp.path()), fs::read(&format).unwrap()), before);
    drop(first);
    SledBackend::open(&path).expect("reopen after drop");
}

#[test]
fn bad_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for options in [
        SledOptions::default().cache_capacity_bytes(0),
        SledOptions::default().flush_every_ms(0),
        SledOptions::default().value_log_segment_bytes(0),
    ] {
        let r = SledBackend::open_with(tmp.path().join("store"), options);
        assert!(matches!(r, Err(Error::InvalidParam(_))), "{r:?}");
    }
}

#[test]
fn new_stores_are_created_in_missing_or_empty_directories() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    // A creation killed while writing its format file left only the temporary file.
    let interrupted = tmp.path().join("interrupted");
    fs::create_dir(&interrupted).unwrap();
    fs::write(interrupted.join("MPSTORE_FORMAT.tmp"), "mpstore-sl").unwrap();
    for path in [tmp.path().join("missing/nested"), empty, interrupted] {
        drop(SledBackend::open(&path).unwrap());
        assert_eq!(
            fs::read_to_string(path.join(FORMAT_FILE)).unwrap(),
            "mpstore-sled format 4\n"
        );
        SledBackend::open(&path).expect("a created store reopens");
    }
}

/// Writes through one open, reads through the next: entries, order and usage all persist.
fn check_survives_reopen(options: SledOptions) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    {
        let s = SledBackend::open_with(&path, options.clone()).unwrap();
        let ops = [put("b", "2", 5), put("a", "1", 7), put("c", "3", 1)];
        block_on(s.apply(b"ns", &ops, Limits::NONE)).unwrap();
        block_on(s.apply(b"ns", &[Op::Delete { key: "c".into() }], Limits::NONE)).unwrap();
        block_on(s.apply(b"ns", &[put("b", "22", 6)], Limits::NONE)).unwrap();
        block_on(s.apply(b"n", &[put("x", "", 0)], Limits::NONE)).unwrap();
        if options.durability == Durability::Buffered {
            s.flush().unwrap();
        }
    }
    let s = SledBackend::open_with(&path, options).unwrap();
    let listing = block_on(s.list(b"ns")).unwrap();
    assert_eq!(listing.keys, [b"b".to_vec(), b"a".to_vec()]);
    assert_eq!(
        listing.usage,
        Usage {
            bytes: 13,
            entries: 2
        }
    );
    assert_eq!(block_on(s.get(b"ns", b"b")).unwrap(), Some(b"22".to_vec()));
    assert_eq!(block_on(s.get(b"ns", b"c")).unwrap(), None);
    let mut spaces = block_on(s.namespaces()).unwrap();
    spaces.sort();
    assert_eq!(
        spaces,
        [
            (
                b"n".to_vec(),
                Usage {
                    bytes: 0,
                    entries: 1
                }
            ),
            (
                b"ns".to_vec(),
                Usage {
                    bytes: 13,
                    entries: 2
                }
            )
        ]
    );
}

#[test]
fn writes_survive_closing_and_reopening() {
    check_survives_reopen(SledOptions::default());
    check_survives_reopen(SledOptions::default().durability(Durability::Buffered));
    check_survives_reopen(SledOptions::default().cache_capacity_bytes(64 * 1024));
}

#[test]
fn a_store_whose_record_inside_names_another_format_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    drop(SledBackend::open(&path).unwrap());
    behind_our_back(&path, |db| {
        db.insert(b"mpstore/format", &3u32.to_be_bytes()).unwrap();
    });
    let e = SledBackend::open(&path).unwrap_err().to_string();
    assert!(
        e.contains("records format version 3 inside") && e.contains("version 4 only"),
        "{e}"
    );
}

/// Damages one stored record behind the backend's back (through sled itself), then checks that
/// reading it gives `Error::Corrupt` and no panic.
fn check_damaged(tree: &str, key: &[u8], value: &[u8], read: impl Fn(&SledBackend) -> Error) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("store");
    {
        let s = SledBackend::open(&path).unwrap();
        block_on(s.apply(b"ns", &[put("k", "v", 1)], Limits::NONE)).unwrap();
    }
    behind_our_back(&path, |db| {
        db.open_tree(tree).unwrap().insert(key, value).unwrap();
    });
    let s = SledBackend::open(&path).unwrap();
    let e = read(&s);
    assert!(matches!(e, Error::Corrupt(_)), "{tree}: {e:?}");
}

#[test]
fn damaged_records_read_as_corrupt() {
    let entry = b"\x00\x00\x00\x02nsk";
    let write =
        |s: &SledBackend| block_on(s.apply(b"ns", &[put("k", "w", 1)], Limits::NONE)).unwrap_err();
    let get = |s: &SledBackend| block_on(s.get(b"ns", b"k")).unwrap_err();
    let list = |s: &SledBackend| block_on(s.list(b"ns")).unwrap_err();
    let spaces = |s: &SledBackend| block_on(s.namespaces()).unwrap_err();
    let other = b"\x00\x00\x00\x02nsz";
    // A damaged entry spoils reading it, and anything that derives usage from it.
    for (key, read) in [
        (entry, &get as &dyn Fn(&SledBackend) -> Error),
        (entry, &write),
        (entry, &list),
        (entry, &spaces),
        (other, &write),
        (other, &list),
        (other, &spaces),
    ] {
        check_damaged("mpstore/entries/v1", key, b"short", read);
    }
    // An entry key too short for its own namespace length cannot be placed in any namespace.
    check_damaged("mpstore/entries/v1", b"\x00\x00\x00\x09ns", b"", spaces);
}

#[test]
fn clearing_gets_rid_of_damaged_records() {
    for (tree, key) in [
        ("mpstore/entries/v1", &b"\x00\x00\x00\x02nsk"[..]),
        ("mpstore/entries/v1", b"\x00\x00\x00\x02ns?"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("store");
        {
            let s = SledBackend::open(&path).unwrap();
            block_on(s.apply(b"ns", &[put("k", "v", 1)], Limits::NONE)).unwrap();
            block_on(s.apply(b"other", &[put("k", "v", 1)], Limits::NONE)).unwrap();
        }
        behind_our_back(&path, |db| {
            db.open_tree(tree)
                .unwrap()
                .insert(key, &b"junk"[..])
                .unwrap();
        });
        let s = SledBackend::open(&path).unwrap();
        block_on(s.clear(b"ns")).unwrap_or_else(|e| panic!("{tree}: {e}"));
        let listing = block_on(s.list(b"ns")).unwrap();
        assert_eq!(
            (listing.keys.len(), listing.usage),
            (0, Usage::default()),
            "{tree}"
        );
        assert_eq!(block_on(s.get(b"ns", b"k")).unwrap(), None, "{tree}");
        let other = block_on(s.list(b"other")).unwrap();
        assert_eq!(
            other.usage,
            Usage {
                bytes: 1,
                entries: 1
            },
            "{tree}: another namespace"
        );
    }
}

#[test]
fn a_new_store_gets_the_conf_sled_itself_writes() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("store");
    drop(SledBackend::open(&ours).unwrap());
    let raw = dir.path().join("raw");
    drop(
        sled::Config::new()
            .path(&raw)
            .segment_size(storage_sled::SEGMENT_SIZE_BYTES)
            .open()
            .unwrap(),
    );
    let read = |p: &Path| std::fs::read(p.join("conf")).unwrap();
    assert_eq!(read(&ours), read(&raw));
}
