//! The state model and the power cut, without FUSE.

use std::ffi::OsStr;

use crate::state::{Ino, State, ROOT_INO, SECTOR};

fn name(s: &str) -> &OsStr {
    OsStr::new(s)
}

/// Builds states through the same operations the FUSE side uses.
struct Model {
    s: State,
}

impl Model {
    fn new() -> Model {
        Model { s: State::new() }
    }

    fn file(&mut self, parent: Ino, n: &str) -> Ino {
        self.s.create(parent, name(n), false, 0o644, 0, 0).unwrap()
    }

    fn dir(&mut self, parent: Ino, n: &str) -> Ino {
        self.s.create(parent, name(n), true, 0o755, 0, 0).unwrap()
    }

    /// A file of `sectors` sectors filled with `fill`, synced and named durably in the root.
    fn durable_file(&mut self, n: &str, sectors: usize, fill: u8) -> Ino {
        let ino = self.file(ROOT_INO, n);
        self.s
            .write(ino, 0, &vec![fill; sectors * SECTOR as usize])
            .unwrap();
        self.s.fsync(ino).unwrap();
        self.s.fsyncdir(ROOT_INO).unwrap();
        ino
    }

    fn write(&mut self, ino: Ino, off: u64, data: &[u8]) {
        self.s.write(ino, off, data).unwrap();
    }

    fn cur(&self, path: &str) -> Option<Vec<u8>> {
        self.s.read_file(path)
    }
}

/// The first seed (from 0) whose cut of a copy of `s` satisfies `pred`.
fn seed_where(s: &State, pred: impl Fn(&crate::CutReport) -> bool) -> u64 {
    (0..10_000)
        .find(|&seed| pred(&s.clone().power_cut(seed)))
        .expect("some seed fits")
}

#[test]
fn sync_makes_exactly_the_current_bytes_durable() {
    let mut m = Model::new();
    let ino = m.durable_file("f", 4, b'a');
    m.write(ino, 700, b"xyz");
    assert_eq!(m.s.read_durable_file("f").unwrap(), vec![b'a'; 2048]);
    assert_eq!(m.s.inode(ino).unwrap().file().unwrap().dirty.len(), 1);
    m.s.fsync(ino).unwrap();
    assert_eq!(m.s.read_durable_file("f"), m.cur("f"));
    assert!(m.s.inode(ino).unwrap().file().unwrap().dirty.is_empty());
}

#[test]
fn size_changes_keep_the_zero_padded_invariant() {
    // Each case: a durable file of 3 sectors of 'a', then size changes; after a drop-mode cut
    // the durable bytes come back, after a sync the current ones.
    // Each case: the step, the size after it, and how many leading 'a's are left.
    type Step = fn(&mut State, Ino);
    let cases: &[(&str, Step, usize, usize)] = &[
        ("shrink", |s, i| s.set_size(i, 100).unwrap(), 100, 100),
        (
            "shrink then grow",
            |s, i| {
                s.set_size(i, 100).unwrap();
                s.set_size(i, 4000).unwrap();
            },
            4000,
            100,
        ),
        ("grow", |s, i| s.set_size(i, 10_000).unwrap(), 10_000, 1536),
        (
            "fallocate",
            |s, i| s.fallocate(i, 0, 8192, 0).unwrap(),
            8192,
            1536,
        ),
        (
            "fallocate keep size",
            |s, i| s.fallocate(i, 0, 8192, libc::FALLOC_FL_KEEP_SIZE).unwrap(),
            1536,
            1536,
        ),
        (
            "sparse write",
            |s, i| s.write(i, 5000, b"z").unwrap(),
            5001,
            1536,
        ),
    ];
    for (what, step, size, kept) in cases {
        let mut m = Model::new();
        let ino = m.durable_file("f", 3, b'a');
        step(&mut m.s, ino);
        let mut want = vec![b'a'; *kept];
        want.resize(*size, 0);
        if *what == "sparse write" {
            want[5000] = b'z';
        }
        assert_eq!(m.cur("f").unwrap(), want, "{what}: current bytes");
        let seed = seed_where(&m.s, |r| r.files.iter().all(|f| !f.torn));
        let mut dropped = m.s.clone();
        dropped.power_cut(seed);
        assert_eq!(
            dropped.read_file("f").unwrap(),
            vec![b'a'; 1536],
            "{what}: dropped"
        );
        m.s.fsync(ino).unwrap();
        m.s.power_cut(0);
        assert_eq!(m.cur("f").unwrap(), want, "{what}: synced");
    }
}

#[test]
fn torn_cuts_mix_old_and_new_sectors_deterministically() {
    let mut m = Model::new();
    let ino = m.durable_file("f", 64, b'o');
    m.write(ino, 0, &vec![b'n'; 64 * SECTOR as usize]);
    let (mut mixed, mut dropped) = (0, 0);
    for seed in 0..16 {
        let r1 = m.s.clone().power_cut(seed);
        let mut cut = m.s.clone();
        assert_eq!(cut.power_cut(seed), r1, "same seed, same cut");
        let f = &r1.files[0];
        let bytes = cut.read_file("f").unwrap();
        let news = bytes
            .chunks(512)
            .filter(|c| c.iter().all(|b| *b == b'n'))
            .count() as u64;
        let olds = bytes
            .chunks(512)
            .filter(|c| c.iter().all(|b| *b == b'o'))
            .count() as u64;
        assert_eq!(news + olds, 64, "seed {seed}: every sector whole");
        assert_eq!((news, olds), (f.sectors_new, f.sectors_old), "seed {seed}");
        assert_eq!(f.bytes_lost, olds * 512, "seed {seed}");
        mixed += usize::from(f.torn && news > 0 && olds > 0);
        dropped += usize::from(!f.torn);
    }
    assert!(mixed > 0 && dropped > 0, "mixed {mixed}, dropped {dropped}");
}

#[test]
fn directory_entries_are_durable_only_after_fsyncdir() {
    // Each case: starting from durable files "a" and "b", apply a change without syncing the
    // root; the cut must bring back exactly the durable names.
    type Step = fn(&mut Model);
    let cases: &[(&str, Step)] = &[
        ("create", |m| {
            m.file(ROOT_INO, "c");
        }),
        ("unlink", |m| {
            m.s.remove(ROOT_INO, name("a"), false).unwrap()
        }),
        ("rename", |m| {
            m.s.rename(ROOT_INO, name("a"), ROOT_INO, name("c"), false)
                .unwrap()
        }),
        ("rename over", |m| {
            m.s.rename(ROOT_INO, name("a"), ROOT_INO, name("b"), false)
                .unwrap()
        }),
        ("mkdir", |m| {
            m.dir(ROOT_INO, "d");
        }),
    ];
    for (what, step) in cases {
        let mut m = Model::new();
        let a = m.durable_file("a", 1, b'a');
        let b = m.durable_file("b", 1, b'b');
        step(&mut m);
        let r = m.s.clone().power_cut(7);
        assert!(!r.is_lossless(), "{what}: {r}");
        let mut cut = m.s.clone();
        cut.power_cut(7);
        assert_eq!(
            cut.list_dir("").unwrap(),
            vec![name("a"), name("b")],
            "{what}"
        );
        assert_eq!(
            (cut.ino_of("a"), cut.ino_of("b")),
            (Some(a), Some(b)),
            "{what}"
        );
        assert_eq!(cut.read_file("a").unwrap(), vec![b'a'; 512], "{what}");
        // Synced, the change survives.
        m.s.fsyncdir(ROOT_INO).unwrap();
        let before = m.s.list_dir("").unwrap();
        assert!(m.s.power_cut(7).entries_lost.is_empty(), "{what}");
        assert_eq!(m.s.list_dir("").unwrap(), before, "{what}");
    }
}

#[test]
fn a_new_subtree_needs_every_directory_on_its_path_synced() {
    let mut m = Model::new();
    let d = m.dir(ROOT_INO, "d");
    let f = m.file(d, "f");
    m.write(f, 0, b"data");
    m.s.fsync(f).unwrap();
    m.s.fsyncdir(d).unwrap();
    let mut cut = m.s.clone();
    let r = cut.power_cut(1);
    assert_eq!(r.entries_lost, vec!["d".to_string()]);
    assert_eq!(r.inodes_freed, vec![d, f]);
    assert_eq!(cut.list_dir("").unwrap().len(), 0);
    m.s.fsyncdir(ROOT_INO).unwrap();
    assert!(m.s.power_cut(1).is_lossless());
    assert_eq!(m.cur("d/f").unwrap(), b"data");
    assert_eq!(m.s.ino_of("d/f"), Some(f));
}

#[test]
fn a_directory_moved_between_synced_parents_keeps_one_entry() {
    let mut m = Model::new();
    let x = m.dir(ROOT_INO, "x");
    let y = m.dir(ROOT_INO, "y");
    let d = m.dir(x, "d");
    m.s.sync_everything();
    m.s.rename(x, name("d"), y, name("d"), false).unwrap();
    m.s.fsyncdir(y).unwrap();
    let r = m.s.power_cut(3);
    assert_eq!(r.entries_lost, vec!["y/d".to_string()]);
    assert_eq!(m.s.ino_of("x/d"), Some(d));
    assert_eq!(m.s.list_dir("y").unwrap().len(), 0);
    assert!(m.s.clone().power_cut(4).is_lossless());
}

#[test]
fn space_is_charged_to_linked_or_open_files_only() {
    let mut m = Model::new();
    m.s.set_capacity(4096);
    let ino = m.file(ROOT_INO, "f");
    m.write(ino, 0, &[1; 3000]);
    assert_eq!(m.s.used_bytes(), 3000);
    assert_eq!(m.s.write(ino, 3000, &[1; 2000]), Err(libc::ENOSPC));
    assert_eq!(m.s.set_size(ino, 5000), Err(libc::ENOSPC));
    assert_eq!(m.s.fallocate(ino, 0, 5000, 0), Err(libc::ENOSPC));
    assert_eq!(
        m.cur("f").unwrap().len(),
        3000,
        "a failed write changes nothing"
    );
    m.s.open(ino).unwrap();
    m.s.remove(ROOT_INO, name("f"), false).unwrap();
    assert_eq!(m.s.used_bytes(), 3000, "unlinked but open");
    m.s.release(ino);
    assert_eq!(m.s.used_bytes(), 0);
    assert!(m.s.inode(ino).is_err(), "never durable, so freed");
}

#[test]
fn inodes_kept_only_by_durable_entries_are_freed_when_those_go() {
    let mut m = Model::new();
    let a = m.durable_file("a", 1, b'a');
    m.s.remove(ROOT_INO, name("a"), false).unwrap();
    assert!(m.s.inode(a).is_ok(), "a cut could still bring it back");
    m.s.fsyncdir(ROOT_INO).unwrap();
    assert!(m.s.inode(a).is_err());
}

#[test]
fn rename_and_remove_refuse_what_posix_refuses() {
    let mut m = Model::new();
    let d = m.dir(ROOT_INO, "d");
    m.file(d, "f");
    m.file(ROOT_INO, "g");
    let s = &mut m.s;
    assert_eq!(s.remove(ROOT_INO, name("d"), true), Err(libc::ENOTEMPTY));
    assert_eq!(s.remove(ROOT_INO, name("d"), false), Err(libc::EISDIR));
    assert_eq!(s.remove(ROOT_INO, name("g"), true), Err(libc::ENOTDIR));
    assert_eq!(
        s.rename(ROOT_INO, name("g"), ROOT_INO, name("d"), false),
        Err(libc::EISDIR)
    );
    assert_eq!(
        s.rename(ROOT_INO, name("d"), d, name("e"), false),
        Err(libc::EINVAL)
    );
    assert_eq!(
        s.rename(d, name("f"), ROOT_INO, name("g"), true),
        Err(libc::EEXIST)
    );
    assert_eq!(
        s.create(ROOT_INO, name("g"), false, 0o644, 0, 0),
        Err(libc::EEXIST)
    );
    assert_eq!(
        s.fallocate(s.ino_of("g").unwrap(), 0, 1, libc::FALLOC_FL_PUNCH_HOLE),
        Err(libc::EOPNOTSUPP)
    );
}

#[test]
fn sync_everything_makes_a_lossless_starting_point() {
    let mut m = Model::new();
    let d = m.dir(ROOT_INO, "d");
    let f = m.file(d, "f");
    m.write(f, 10, b"hello");
    m.s.sync_everything();
    let before = m.cur("d/f");
    assert!(m.s.power_cut(9).is_lossless());
    assert_eq!(m.cur("d/f"), before);
}
