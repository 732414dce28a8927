//! A mounted powercut-fs in a temporary directory of its own, and the system calls the tests
//! make on it.

#![allow(dead_code)] // each test binary uses its own part of this

use std::alloc::{self, Layout};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use powercut_fs::{CutReport, Mount, SharedState, State, DEFAULT_CAPACITY};

/// A state mounted in its own temporary directory. Fields drop in order: the mount first
/// (detached lazily if a test failed while mounted), then the directory.
pub struct Fixture {
    mount: Option<Mount>,
    pub state: SharedState,
    dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_capacity(DEFAULT_CAPACITY)
    }

    pub fn with_capacity(capacity: u64) -> Fixture {
        let mut state = State::new();
        state.set_capacity(capacity);
        let state = state.shared();
        let dir = tempfile::tempdir().expect("temporary directory");
        let mount = Mount::new(state.clone(), dir.path()).expect("mount powercut-fs");
        Fixture {
            mount: Some(mount),
            state,
            dir,
        }
    }

    /// A path inside the mount.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn unmount(&mut self) {
        self.mount
            .take()
            .expect("mounted")
            .unmount()
            .expect("unmount");
    }

    pub fn unmount_within(&mut self, wait: std::time::Duration) -> io::Result<()> {
        self.mount.take().expect("mounted").unmount_within(wait)
    }

    pub fn mount(&mut self) {
        assert!(self.mount.is_none(), "already mounted");
        self.mount = Some(Mount::new(self.state.clone(), self.dir.path()).expect("remount"));
    }

    /// Unmounts, cuts the power with `seed`, and mounts what survived.
    pub fn cut(&mut self, seed: u64) -> CutReport {
        self.unmount();
        let report = self.state.lock().unwrap().power_cut(seed);
        self.mount();
        report
    }

    /// The first seed (from 0) whose cut, previewed on a copy of the state, fits `pred`.
    pub fn seed_where(&self, pred: impl Fn(&CutReport) -> bool) -> u64 {
        let state = self.state.lock().unwrap().clone();
        (0..10_000)
            .find(|&seed| pred(&state.clone().power_cut(seed)))
            .expect("a seed that fits")
    }

    /// Cuts with the first seed that drops every unsynced change (no file torn).
    pub fn cut_dropping_all(&mut self) -> CutReport {
        let seed = self.seed_where(|r| r.files.iter().all(|f| !f.torn));
        self.cut(seed)
    }

    /// The names in a directory of the mount, sorted, through `readdir`.
    pub fn names(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.path(rel))
            .expect("read_dir")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Creates (or replaces) a file with `data` and fsyncs it; its name is not made durable.
pub fn write_synced(path: &Path, data: &[u8]) {
    fs::write(path, data).unwrap();
    File::open(path).unwrap().sync_all().unwrap();
}

/// `fsync` of a directory: its entries become durable.
pub fn fsync_dir(path: &Path) {
    File::open(path).unwrap().sync_all().unwrap();
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn sync_file_range(f: &File, offset: i64, len: i64) -> io::Result<()> {
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: a plain system call on an open descriptor.
    check(unsafe { libc::sync_file_range(f.as_raw_fd(), offset, len, flags) })
}

pub fn fdatasync(f: &File) -> io::Result<()> {
    f.sync_data()
}

pub fn flock(f: &File, op: libc::c_int) -> io::Result<()> {
    // SAFETY: a plain system call on an open descriptor.
    check(unsafe { libc::flock(f.as_raw_fd(), op) })
}

pub fn fallocate(f: &File, mode: libc::c_int, offset: i64, len: i64) -> io::Result<()> {
    // SAFETY: a plain system call on an open descriptor.
    check(unsafe { libc::fallocate(f.as_raw_fd(), mode, offset, len) })
}

pub fn statvfs(path: &Path) -> libc::statvfs {
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `st` is written by the call before it is read.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    check(unsafe { libc::statvfs(c.as_ptr(), &mut st) }).expect("statvfs");
    st
}

pub fn open_direct(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

/// A 4096-aligned buffer, as `O_DIRECT` wants.
pub struct Aligned {
    ptr: *mut u8,
    len: usize,
}

impl Aligned {
    pub fn filled(len: usize, byte: u8) -> Aligned {
        let layout = Layout::from_size_align(len, 4096).unwrap();
        // SAFETY: a non-zero size; the memory is initialised right away.
        let ptr = unsafe { alloc::alloc(layout) };
        assert!(!ptr.is_null());
        unsafe { ptr.write_bytes(byte, len) };
        Aligned { ptr, len }
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` owns `len` initialised bytes.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Aligned {
    fn drop(&mut self) {
        // SAFETY: allocated with this layout in `filled`.
        unsafe { alloc::dealloc(self.ptr, Layout::from_size_align(self.len, 4096).unwrap()) }
    }
}
