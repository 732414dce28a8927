//! What survives a power cut, through the mount: each case makes a durable starting point,
//! changes it with or without syncing, cuts (dropping every unsynced change), remounts and
//! checks the tree a reader now sees.

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, MetadataExt};

use common::*;

/// One case: the files made durable first, a change, and what must be there after the cut
/// (`None`: absent). Names are in the mount's root.
struct Case {
    what: &'static str,
    before: &'static [(&'static str, &'static [u8])],
    change: fn(&Fixture),
    after: &'static [(&'static str, Option<&'static [u8]>)],
}

const CASES: &[Case] = &[
    Case {
        what: "an unsynced write is lost",
        before: &[("f", b"old old old")],
        change: |fx| {
            File::options()
                .write(true)
                .open(fx.path("f"))
                .unwrap()
                .write_all_at(b"new", 0)
                .unwrap()
        },
        after: &[("f", Some(b"old old old"))],
    },
    Case {
        what: "an fsynced file in an fsynced directory survives exactly",
        before: &[],
        change: |fx| {
            write_synced(&fx.path("f"), b"exact \x00\xff bytes");
            fsync_dir(fx.root());
        },
        after: &[("f", Some(b"exact \x00\xff bytes"))],
    },
    Case {
        what: "a created file without a directory fsync vanishes",
        before: &[],
        change: |fx| write_synced(&fx.path("f"), b"data"),
        after: &[("f", None)],
    },
    Case {
        what: "a rename without a directory fsync reverts",
        before: &[("a", b"A")],
        change: |fx| fs::rename(fx.path("a"), fx.path("b")).unwrap(),
        after: &[("a", Some(b"A")), ("b", None)],
    },
    Case {
        what: "a rename over an existing file without a directory fsync reverts",
        before: &[("a", b"A"), ("b", b"B")],
        change: |fx| fs::rename(fx.path("a"), fx.path("b")).unwrap(),
        after: &[("a", Some(b"A")), ("b", Some(b"B"))],
    },
    Case {
        what: "a rename over an existing file with a directory fsync sticks",
        before: &[("a", b"A"), ("b", b"B")],
        change: |fx| {
            fs::rename(fx.path("a"), fx.path("b")).unwrap();
            fsync_dir(fx.root());
        },
        after: &[("a", None), ("b", Some(b"A"))],
    },
    Case {
        what: "an unlink without a directory fsync comes back",
        before: &[("a", b"A")],
        change: |fx| fs::remove_file(fx.path("a")).unwrap(),
        after: &[("a", Some(b"A"))],
    },
    Case {
        what: "sync_file_range alone makes nothing durable",
        before: &[("f", b"old!")],
        change: |fx| {
            let f = File::options().write(true).open(fx.path("f")).unwrap();
            f.write_all_at(b"new!", 0).unwrap();
            sync_file_range(&f, 0, 0).unwrap();
        },
        after: &[("f", Some(b"old!"))],
    },
    Case {
        what: "an fsync through another handle makes the inode durable",
        before: &[("f", b"old!")],
        change: |fx| {
            let w = File::options().write(true).open(fx.path("f")).unwrap();
            w.write_all_at(b"new!", 0).unwrap();
            File::open(fx.path("f")).unwrap().sync_all().unwrap();
        },
        after: &[("f", Some(b"new!"))],
    },
    Case {
        what: "fdatasync makes an append's size durable",
        before: &[("log", b"one")],
        change: |fx| {
            let mut f = OpenOptions::new()
                .append(true)
                .open(fx.path("log"))
                .unwrap();
            f.write_all(b" two").unwrap();
            fdatasync(&f).unwrap();
            f.write_all(b" three").unwrap();
        },
        after: &[("log", Some(b"one two"))],
    },
    Case {
        what: "a truncation without an fsync is undone",
        before: &[("f", b"0123456789")],
        change: |fx| {
            File::options()
                .write(true)
                .open(fx.path("f"))
                .unwrap()
                .set_len(3)
                .unwrap()
        },
        after: &[("f", Some(b"0123456789"))],
    },
    Case {
        what: "a directory made without its parent's fsync vanishes with its files",
        before: &[],
        change: |fx| {
            fs::create_dir(fx.path("d")).unwrap();
            write_synced(&fx.path("d/f"), b"x");
            fsync_dir(&fx.path("d"));
        },
        after: &[("d", None)],
    },
];

/// Runs one case on a fresh mount and checks the tree after the cut, through FUSE.
fn check_case(case: &Case) {
    let mut fx = Fixture::new();
    for (name, data) in case.before {
        write_synced(&fx.path(name), data);
    }
    fsync_dir(fx.root());
    (case.change)(&fx);
    let report = fx.cut_dropping_all();
    let what = case.what;
    for (name, want) in case.after {
        let got = fs::read(fx.path(name)).ok();
        assert_eq!(
            got.as_deref(),
            *want,
            "{what}: {name} after the cut\n{report}"
        );
    }
    let mut want_names: Vec<&str> = case
        .after
        .iter()
        .filter(|(_, d)| d.is_some())
        .map(|(n, _)| *n)
        .collect();
    want_names.sort();
    assert_eq!(fx.names(""), want_names, "{what}: readdir\n{report}");
}

#[test]
fn each_change_survives_a_cut_exactly_when_it_was_synced() {
    for case in CASES {
        check_case(case);
    }
}

#[test]
fn torn_files_keep_a_mix_of_old_and_new_sectors() {
    const SECTORS: usize = 64;
    let mut fx = Fixture::new();
    write_synced(&fx.path("f"), &[b'o'; SECTORS * 512]);
    fsync_dir(fx.root());
    let f = File::options().write(true).open(fx.path("f")).unwrap();
    for s in 0..SECTORS {
        f.write_all_at(&[b'n'; 512], s as u64 * 512).unwrap();
    }
    drop(f);

    // Over several seeds, both outcomes and both kinds of sector appear.
    let state = fx.state.lock().unwrap().clone();
    let reports: Vec<_> = (0..16).map(|seed| state.clone().power_cut(seed)).collect();
    assert!(reports.iter().any(|r| !r.files[0].torn), "some seed drops");
    assert!(
        reports
            .iter()
            .any(|r| r.files[0].sectors_new > 0 && r.files[0].sectors_old > 0),
        "some seed tears"
    );

    let seed = fx.seed_where(|r| r.files[0].sectors_new > 0 && r.files[0].sectors_old > 0);
    let report = fx.cut(seed);
    let bytes = fs::read(fx.path("f")).unwrap();
    assert_eq!(bytes.len(), SECTORS * 512);
    let new = bytes.chunks(512).filter(|c| c == &[b'n'; 512]).count();
    let old = bytes.chunks(512).filter(|c| c == &[b'o'; 512]).count();
    assert_eq!(
        new + old,
        SECTORS,
        "every sector whole, old or new\n{report}"
    );
    assert_eq!(
        (new as u64, old as u64),
        (report.files[0].sectors_new, report.files[0].sectors_old)
    );
    assert_eq!(report.bytes_lost(), old as u64 * 512);
}

#[test]
fn o_direct_writes_with_fdatasync_survive() {
    let mut fx = Fixture::new();
    let f = open_direct(&fx.path("seg")).expect("O_DIRECT open");
    let mut a = Aligned::filled(8192, b'a');
    let mut b = Aligned::filled(4096, b'b');
    f.write_all_at(a.bytes(), 0).unwrap();
    f.write_all_at(b.bytes(), 8192).unwrap();
    fdatasync(&f).unwrap();
    fsync_dir(fx.root());
    // Reached the daemon at write time, not through a cache.
    let want: Vec<u8> = [vec![b'a'; 8192], vec![b'b'; 4096]].concat();
    assert_eq!(
        fx.state.lock().unwrap().read_durable_file("seg").unwrap(),
        want
    );
    let mut unsynced = Aligned::filled(4096, b'c');
    f.write_all_at(unsynced.bytes(), 0).unwrap();
    drop(f);
    let report = fx.cut_dropping_all();
    assert_eq!(fs::read(fx.path("seg")).unwrap(), want, "{report}");
    let f = open_direct(&fx.path("seg")).unwrap();
    let mut back = Aligned::filled(4096, 0);
    f.read_exact_at(back.bytes(), 8192).unwrap();
    assert_eq!(
        back.bytes(),
        &[b'b'; 4096][..],
        "an O_DIRECT read after the remount"
    );
}

#[test]
fn a_remount_after_a_cut_sees_the_survivors_with_their_inode_numbers() {
    let mut fx = Fixture::new();
    fs::create_dir(fx.path("db")).unwrap();
    write_synced(&fx.path("db/conf"), b"v1");
    write_synced(&fx.path("db/seg.1"), &[7; 10_000]);
    fsync_dir(&fx.path("db"));
    fsync_dir(fx.root());
    let ino = fs::metadata(fx.path("db/seg.1")).unwrap().ino();
    write_synced(&fx.path("db/seg.2"), b"not named durably");
    fs::write(fx.path("db/conf"), b"v2").unwrap();

    let report = fx.cut_dropping_all();
    assert_eq!(report.entries_lost, vec!["db/seg.2".to_string()]);
    assert_eq!(fx.names("db"), vec!["conf", "seg.1"]);
    assert_eq!(fs::read(fx.path("db/conf")).unwrap(), b"v1");
    assert_eq!(fs::metadata(fx.path("db/seg.1")).unwrap().ino(), ino);

    // The remounted tree is durable as it stands, and works as before.
    fs::write(fx.path("db/conf"), b"v3").unwrap();
    fs::File::open(fx.path("db/conf"))
        .unwrap()
        .sync_all()
        .unwrap();
    let report = fx.cut(1);
    assert!(report.is_lossless(), "{report}");
    assert_eq!(fs::read(fx.path("db/conf")).unwrap(), b"v3");
}

#[test]
fn a_killed_child_loses_what_it_did_not_sync() {
    let mut fx = Fixture::new();
    // The child syncs "durable" and its name, then appends to "volatile" until killed.
    let script = "printf synced > durable && sync durable && sync . && \
                  exec 3>volatile && while :; do printf x >&3; done";
    let mut child = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(fx.root())
        .spawn()
        .unwrap();
    while fs::metadata(fx.path("volatile"))
        .map(|m| m.len())
        .unwrap_or(0)
        < 100
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let report = fx.cut(0);
    assert_eq!(fs::read(fx.path("durable")).unwrap(), b"synced", "{report}");
    assert_eq!(fx.names(""), vec!["durable"], "{report}");
}
