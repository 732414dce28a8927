//! The system calls a storage engine makes, through the mount: what each returns and leaves.

mod common;

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::time::Duration;

use common::*;
use powercut_fs::{Mount, State};

/// One file operation on a fresh mount, checked by what it leaves in the state.
struct Op {
    what: &'static str,
    run: fn(&Fixture),
    path: &'static str,
    want: Option<&'static [u8]>,
}

const OPS: &[Op] = &[
    Op {
        what: "pwrite past the end leaves a hole that reads as zeros",
        run: |fx| {
            let f = File::create(fx.path("f")).unwrap();
            f.write_all_at(b"ab", 0).unwrap();
            f.write_all_at(b"cd", 6).unwrap();
            let mut buf = [9u8; 8];
            File::open(fx.path("f"))
                .unwrap()
                .read_exact_at(&mut buf, 0)
                .unwrap();
            assert_eq!(&buf, b"ab\0\0\0\0cd");
        },
        path: "f",
        want: Some(b"ab\0\0\0\0cd"),
    },
    Op {
        what: "O_TRUNC empties, O_APPEND appends",
        run: |fx| {
            fs::write(fx.path("f"), b"long old contents").unwrap();
            File::create(fx.path("f"))
                .unwrap()
                .write_all(b"new")
                .unwrap();
            let mut f = OpenOptions::new().append(true).open(fx.path("f")).unwrap();
            f.write_all(b"+tail").unwrap();
        },
        path: "f",
        want: Some(b"new+tail"),
    },
    Op {
        what: "O_EXCL refuses an existing file",
        run: |fx| {
            fs::write(fx.path("f"), b"x").unwrap();
            let e = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(fx.path("f"));
            assert_eq!(e.unwrap_err().kind(), ErrorKind::AlreadyExists);
        },
        path: "f",
        want: Some(b"x"),
    },
    Op {
        what: "set_len truncates and extends; chmod sticks",
        run: |fx| {
            let f = OpenOptions::new()
                .create(true)
                .truncate(true)
                .write(true)
                .open(fx.path("f"))
                .unwrap();
            f.write_all_at(b"abcdef", 0).unwrap();
            f.set_len(2).unwrap();
            f.set_len(4).unwrap();
            fs::set_permissions(fx.path("f"), fs::Permissions::from_mode(0o600)).unwrap();
            let m = fs::metadata(fx.path("f")).unwrap();
            assert_eq!((m.len(), m.permissions().mode() & 0o777), (4, 0o600));
        },
        path: "f",
        want: Some(b"ab\0\0"),
    },
    Op {
        what: "rename replaces, unlink removes, rmdir wants an empty directory",
        run: |fx| {
            fs::create_dir(fx.path("d")).unwrap();
            fs::write(fx.path("d/a"), b"A").unwrap();
            fs::write(fx.path("b"), b"B").unwrap();
            fs::rename(fx.path("d/a"), fx.path("b")).unwrap();
            assert_eq!(fx.names(""), vec!["b", "d"]);
            fs::write(fx.path("d/c"), b"C").unwrap();
            assert!(fs::remove_dir(fx.path("d")).is_err());
            fs::remove_file(fx.path("d/c")).unwrap();
            fs::remove_dir(fx.path("d")).unwrap();
            assert_eq!(fx.names(""), vec!["b"]);
        },
        path: "b",
        want: Some(b"A"),
    },
    Op {
        what: "fallocate: mode 0 extends, KEEP_SIZE does not, hole punching is refused",
        run: |fx| {
            let f = File::create(fx.path("f")).unwrap();
            fallocate(&f, 0, 0, 8192).unwrap();
            fallocate(&f, libc::FALLOC_FL_KEEP_SIZE, 0, 1 << 20).unwrap();
            assert_eq!(f.metadata().unwrap().len(), 8192);
            let punch = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
            let e = fallocate(&f, punch, 0, 4096).unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::EOPNOTSUPP));
        },
        path: "f",
        want: Some(&[0; 8192]),
    },
    Op {
        what: "access and a read through a seek",
        run: |fx| {
            fs::write(fx.path("f"), b"0123456789").unwrap();
            let c =
                std::ffi::CString::new(fx.path("f").into_os_string().into_encoded_bytes()).unwrap();
            assert_eq!(
                unsafe { libc::access(c.as_ptr(), libc::R_OK | libc::W_OK) },
                0
            );
            let mut f = File::open(fx.path("f")).unwrap();
            f.seek(SeekFrom::Start(7)).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            assert_eq!(s, "789");
        },
        path: "f",
        want: Some(b"0123456789"),
    },
];

#[test]
fn file_operations_leave_what_posix_says() {
    for op in OPS {
        let fx = Fixture::new();
        (op.run)(&fx);
        let got = fx.state.lock().unwrap().read_file(op.path);
        assert_eq!(got.as_deref(), op.want, "{}", op.what);
    }
}

#[test]
fn o_direct_opens_take_aligned_writes_straight_to_the_daemon() {
    let fx = Fixture::new();
    let f = open_direct(&fx.path("seg")).expect("O_DIRECT open");
    let mut buf = Aligned::filled(4096, b'd');
    f.write_all_at(buf.bytes(), 4096).unwrap();
    let cur = fx.state.lock().unwrap().read_file("seg").unwrap();
    assert_eq!(cur.len(), 8192);
    assert_eq!(&cur[4096..], &[b'd'; 4096][..]);
}

#[test]
fn flock_conflicts_between_descriptors() {
    let fx = Fixture::new();
    fs::write(fx.path("LOCK"), b"").unwrap();
    let a = File::open(fx.path("LOCK")).unwrap();
    let b = File::open(fx.path("LOCK")).unwrap();
    flock(&a, libc::LOCK_EX | libc::LOCK_NB).unwrap();
    let e = flock(&b, libc::LOCK_EX | libc::LOCK_NB).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EWOULDBLOCK));
    drop(a);
    flock(&b, libc::LOCK_EX | libc::LOCK_NB).expect("free once the holder closed");
}

#[test]
fn statfs_reports_usage_and_writes_past_capacity_fail_with_enospc() {
    const CAPACITY: u64 = 1 << 20;
    let fx = Fixture::with_capacity(CAPACITY);
    let st = statvfs(fx.root());
    assert_eq!(st.f_blocks * st.f_frsize, CAPACITY);
    assert_eq!(st.f_bfree, st.f_blocks);
    let f = File::create(fx.path("f")).unwrap();
    f.write_all_at(&[1; 256 << 10], 0).unwrap();
    let st = statvfs(fx.root());
    assert_eq!((st.f_blocks - st.f_bavail) * st.f_frsize, 256 << 10);

    // Whole pages, so the kernel sends one request (it splits a write at a page it only
    // partly fills), which would end a page past the capacity.
    let e = f.write_all_at(&[1; 8192], CAPACITY - 4096).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    let e = fallocate(&f, 0, 0, 2 << 20).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
    assert_eq!(
        f.metadata().unwrap().len(),
        256 << 10,
        "failed writes change nothing"
    );
    f.write_all_at(&[2; 512 << 10], 256 << 10)
        .expect("what fits still fits");

    // Unlinking frees the space.
    drop(f);
    fs::remove_file(fx.path("f")).unwrap();
    assert_eq!(statvfs(fx.root()).f_bfree, st.f_blocks);
}

#[test]
fn mounting_fails_clearly_and_unmounting_a_busy_mount_says_why() {
    let missing = Mount::new(State::new().shared(), "/nonexistent/powercut").unwrap_err();
    assert!(missing.to_string().contains("mount point"), "{missing}");

    let mut fx = Fixture::new();
    let twice = Mount::new(fx.state.clone(), fx.root()).unwrap_err();
    assert_eq!(twice.kind(), ErrorKind::AlreadyExists, "{twice}");

    fs::write(fx.path("f"), b"held").unwrap();
    let held = File::open(fx.path("f")).unwrap();
    let e = fx
        .unmount_within(Duration::from_millis(500))
        .expect_err("a busy mount unmounted");
    assert_eq!(e.kind(), ErrorKind::ResourceBusy, "{e}");
    assert!(
        fx.state.lock().unwrap().is_mounted(),
        "still served while held"
    );
    let mut s = String::new();
    (&held).read_to_string(&mut s).unwrap();
    assert_eq!(s, "held", "the detached mount still serves its open files");
    drop(held);
    for _ in 0..200 {
        if !fx.state.lock().unwrap().is_mounted() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("the daemon did not stop once the last file closed");
}
