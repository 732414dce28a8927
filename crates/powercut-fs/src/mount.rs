//! Mounting and unmounting, by `mount(2)`/`umount2(2)` directly.
//!
//! The daemon mounts the file system itself (as root) and hands the `/dev/fuse` descriptor to
//! fuser, so neither libfuse nor `fusermount3` is needed, and fuser never unmounts a path on
//! its own (which could hit a later mount at the same place).

use std::ffi::CString;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;
use std::thread;
use std::time::{Duration, Instant};

use fuser::{BackgroundSession, Config, Session, SessionACL};

use crate::fs::PowercutFs;
use crate::state::SharedState;

/// How long [`Mount::unmount`] waits for a busy mount to be let go.
const UNMOUNT_WAIT: Duration = Duration::from_secs(10);

/// A mounted [`State`](crate::State). Dropping it detaches the mount lazily; call
/// [`unmount`](Mount::unmount) to unmount and know it worked.
#[derive(Debug)]
pub struct Mount {
    path: PathBuf,
    session: Option<BackgroundSession>,
}

fn error(kind: io::ErrorKind, msg: String) -> io::Error {
    io::Error::new(kind, msg)
}

impl Mount {
    /// Mounts `state` at `mountpoint` (an existing directory) and serves it on a background
    /// thread. Fails with a clear error if `/dev/fuse` cannot be opened, mounting is not
    /// permitted (it needs root, `CAP_SYS_ADMIN`), or the state is already mounted.
    pub fn new(state: SharedState, mountpoint: impl AsRef<Path>) -> io::Result<Mount> {
        let path = mountpoint.as_ref().canonicalize().map_err(|e| {
            error(
                e.kind(),
                format!(
                    "powercut-fs: mount point {}: {e}",
                    mountpoint.as_ref().display()
                ),
            )
        })?;
        {
            let mut s = state.lock().unwrap_or_else(PoisonError::into_inner);
            if s.mounted {
                return Err(error(
                    io::ErrorKind::AlreadyExists,
                    "powercut-fs: this state is already mounted; unmount it first".into(),
                ));
            }
            s.mounted = true;
        }
        // From here on, dropping the file system (on any error too) marks the state unmounted.
        let fs = PowercutFs::new(state);
        let dev: OwnedFd = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .map_err(|e| {
                error(
                    e.kind(),
                    format!("powercut-fs: cannot open /dev/fuse: {e} (no FUSE on this machine?)"),
                )
            })?
            .into();
        mount_fuse(&path, &dev)?;
        let mut config = Config::default();
        config.acl = SessionACL::All;
        let session = Session::from_fd(fs, dev, SessionACL::All, config)
            .and_then(Session::spawn)
            .map_err(|e| {
                let _ = detach(&path);
                error(
                    e.kind(),
                    format!("powercut-fs: FUSE session at {}: {e}", path.display()),
                )
            })?;
        Ok(Mount {
            path,
            session: Some(session),
        })
    }

    /// Where the file system is mounted.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Unmounts and waits until the daemon has stopped serving, so the state can be cut.
    /// Same as [`unmount_within`](Mount::unmount_within) ten seconds.
    pub fn unmount(self) -> io::Result<()> {
        self.unmount_within(UNMOUNT_WAIT)
    }

    /// Unmounts, waiting at most about `wait` for a busy mount (open files, a working
    /// directory inside; a killed child's files close asynchronously).
    ///
    /// A busy mount is retried for a fifth of `wait`, then detached lazily; if it is still in
    /// use when `wait` is up this returns a `ResourceBusy` error, and the state stays mounted
    /// ([`State::is_mounted`](crate::State::is_mounted)) until the last user lets go.
    pub fn unmount_within(mut self, wait: Duration) -> io::Result<()> {
        let c = cpath(&self.path)?;
        let start = Instant::now();
        loop {
            // SAFETY: `c` is a valid NUL-terminated path.
            if unsafe { libc::umount2(c.as_ptr(), 0) } == 0 {
                break;
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EBUSY) if start.elapsed() < wait / 5 => {
                    thread::sleep(Duration::from_millis(20))
                }
                Some(libc::EBUSY) => {
                    detach(&self.path)?;
                    break;
                }
                // Already gone (someone ran umount): the session ends all the same.
                Some(libc::EINVAL) => break,
                _ => {
                    return Err(error(
                        e.kind(),
                        format!("powercut-fs: cannot unmount {}: {e}", self.path.display()),
                    ))
                }
            }
        }
        let left = wait.saturating_sub(start.elapsed());
        if self.wait_for_daemon(left.max(Duration::from_secs(1))) {
            Ok(())
        } else {
            Err(error(
                io::ErrorKind::ResourceBusy,
                format!(
                    "powercut-fs: {} is busy (open files or a working directory inside): it \
                     was detached lazily and is still in use after {:.1}s; the state stays \
                     mounted until those close",
                    self.path.display(),
                    wait.as_secs_f64()
                ),
            ))
        }
    }

    /// Waits for the daemon thread to end; if it does not, leaks the handle so nothing ever
    /// unmounts this path again behind the caller's back.
    fn wait_for_daemon(&mut self, limit: Duration) -> bool {
        let Some(session) = self.session.take() else {
            return true;
        };
        let start = Instant::now();
        while !session.guard.is_finished() {
            if start.elapsed() > limit {
                std::mem::forget(session);
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        // The thread's own result (an I/O error reading /dev/fuse) changes nothing now.
        let _ = session.join();
        true
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.session.is_some() {
            let _ = detach(&self.path);
            self.wait_for_daemon(Duration::from_secs(2));
        }
    }
}

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| error(io::ErrorKind::InvalidInput, "path has a NUL byte".into()))
}

fn detach(path: &Path) -> io::Result<()> {
    let c = cpath(path)?;
    // SAFETY: `c` is a valid NUL-terminated path.
    if unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    Err(error(
        e.kind(),
        format!("powercut-fs: cannot detach {}: {e}", path.display()),
    ))
}

/// `mount -t fuse.powercut`: the kernel talks to whoever reads `dev`.
fn mount_fuse(path: &Path, dev: &OwnedFd) -> io::Result<()> {
    let target = cpath(path)?;
    // allow_other: a campaign's child may run under another uid.
    let data = format!(
        "fd={},rootmode=40000,user_id={},group_id={},allow_other",
        dev.as_raw_fd(),
        // SAFETY: getuid/getgid cannot fail.
        unsafe { libc::getuid() },
        unsafe { libc::getgid() }
    );
    let data = CString::new(data).expect("no NUL");
    // SAFETY: all pointers are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::mount(
            c"powercut".as_ptr(),
            target.as_ptr(),
            c"fuse.powercut".as_ptr(),
            libc::MS_NODEV | libc::MS_NOSUID,
            data.as_ptr().cast(),
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    let hint = match e.raw_os_error() {
        Some(libc::EPERM) => " (mounting FUSE directly needs root / CAP_SYS_ADMIN)",
        Some(libc::ENODEV) => " (the kernel has no FUSE file system type)",
        _ => "",
    };
    Err(error(
        e.kind(),
        format!("powercut-fs: cannot mount at {}: {e}{hint}", path.display()),
    ))
}
