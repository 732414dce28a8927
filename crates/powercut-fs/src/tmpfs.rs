//! [`Tmpfs`]: a small kernel tmpfs mounted for a full-disk test, unmounted when dropped.

use std::ffi::CString;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A tmpfs of a chosen size (needs root or `CAP_SYS_ADMIN`), detached when dropped.
#[derive(Debug)]
pub struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts a tmpfs of `size` (as `mount -o size=` takes it: `2m`, `64m`) at `at`, an
    /// existing directory.
    pub fn mount(at: impl AsRef<Path>, size: &str) -> io::Result<Tmpfs> {
        let at = at.as_ref();
        mount_tmpfs(at, size, 0)?;
        Ok(Tmpfs(at.to_path_buf()))
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Changes its size, keeping its files (space returning to a full disk).
    pub fn resize(&self, size: &str) -> io::Result<()> {
        mount_tmpfs(&self.0, size, libc::MS_REMOUNT)
    }

    /// The bytes free on it.
    pub fn free(&self) -> io::Result<u64> {
        let path = c_path(&self.0)?;
        // SAFETY: statvfs fills the zeroed struct from a NUL-terminated path it only reads.
        let stats = unsafe {
            let mut stats: libc::statvfs = std::mem::zeroed();
            if libc::statvfs(path.as_ptr(), &mut stats) != 0 {
                return Err(io::Error::last_os_error());
            }
            stats
        };
        Ok(stats.f_bavail * stats.f_frsize)
    }

    /// Fills what is left with a file named `filler`, until a write fails; returns its path.
    pub fn fill(&self) -> io::Result<PathBuf> {
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path)?;
        let block = [0xAB; 4096];
        while f.write_all(&block).is_ok() {}
        let _ = f.write_all(&[0xAB]);
        Ok(path)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if let Ok(target) = c_path(&self.0) {
            // SAFETY: umount2 with a NUL-terminated path.
            unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
        }
    }
}

fn c_path(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path with a NUL byte"))
}

fn mount_tmpfs(at: &Path, size: &str, flags: libc::c_ulong) -> io::Result<()> {
    let target = c_path(at)?;
    let data = CString::new(format!("size={size}"))
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a size with a NUL byte"))?;
    // SAFETY: mount(2) with NUL-terminated strings that outlive the call.
    let r = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            target.as_ptr(),
            c"tmpfs".as_ptr(),
            flags,
            data.as_ptr().cast(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
