//! The value log's file primitives: positioned reads and writes, direct I/O and preallocation,
//! each with its fallback where the platform lacks it.

use super::log::DIRECT_ALIGN;
use std::fs::{File, OpenOptions};
use std::io;
#[cfg(unix)]
use std::os::unix::fs::FileExt;
use std::path::Path;

#[cfg(unix)]
pub(super) fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(bytes, offset)
}

#[cfg(unix)]
pub(super) fn read_at(file: &File, out: &mut [u8], offset: u64) -> io::Result<()> {
    file.read_exact_at(out, offset)
}

#[cfg(not(unix))]
pub(super) fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < bytes.len() {
        match file.seek_write(&bytes[done..], offset + done as u64)? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => done += n,
        }
    }
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn read_at(file: &File, out: &mut [u8], offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    let mut done = 0;
    while done < out.len() {
        match file.seek_read(&mut out[done..], offset + done as u64)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => done += n,
        }
    }
    Ok(())
}

/// Opens `path` for writing with direct I/O.
#[cfg(target_os = "linux")]
pub(super) fn open_direct(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT)
        .open(path)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn open_direct(_path: &Path) -> io::Result<File> {
    Err(io::ErrorKind::Unsupported.into())
}

/// Whether a direct write failed because the filesystem does not do direct I/O (or not with
/// this alignment), rather than because the device failed.
pub(super) fn refused_direct(e: &io::Error) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::EINVAL) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

#[cfg(test)]
thread_local! {
    /// Makes this thread's direct writes fail as on a filesystem without direct I/O.
    pub(super) static REFUSE_DIRECT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

thread_local! {
    /// Each writer thread's buffer for direct writes, which must start at an aligned address.
    static ALIGNED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The most a writer thread keeps of its direct-write buffer between writes.
pub(super) const ALIGNED_KEPT: usize = 1 << 20;

/// Writes `bytes` at `offset` (aligned) of `file` (opened for direct I/O), zero-padded to
/// `footprint` bytes (aligned), from an aligned copy.
pub(super) fn write_direct(
    file: &File,
    bytes: &[u8],
    offset: u64,
    footprint: u64,
) -> io::Result<()> {
    #[cfg(test)]
    if REFUSE_DIRECT.get() {
        return Err(io::ErrorKind::Unsupported.into());
    }
    let footprint =
        usize::try_from(footprint).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let align = DIRECT_ALIGN as usize;
    ALIGNED.with(|cell| {
        let mut buf = cell.take();
        if buf.len() < footprint + align {
            buf.resize(footprint + align, 0);
        }
        let start = buf.as_ptr().align_offset(align);
        let block = &mut buf[start..start + footprint];
        let (head, padding) = block.split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        padding.fill(0);
        let written = write_at(file, block, offset);
        if buf.capacity() <= ALIGNED_KEPT + align {
            cell.replace(buf);
        }
        written
    })
}

/// Allocates `size` bytes for a new segment, so writes into it never grow the file.
#[cfg(target_os = "linux")]
pub(crate) fn preallocate(file: &File, size: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let len =
        libc::off_t::try_from(size).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fallocate` on a descriptor `file` owns, for the duration of the call.
    match unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len) } {
        0 => Ok(()),
        _ => {
            let e = io::Error::last_os_error();
            // A filesystem without fallocate: a sparse file of the size still holds the values.
            if e.raw_os_error() == Some(libc::EOPNOTSUPP) {
                file.set_len(size)
            } else {
                Err(e)
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn preallocate(file: &File, size: u64) -> io::Result<()> {
    file.set_len(size)
}

/// Allocates the blocks of `file` up to `end` without changing its size, so writes there find
/// them; a filesystem that cannot is left as it is.
#[cfg(target_os = "linux")]
pub(crate) fn allocate_ahead(file: &File, end: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let len =
        libc::off_t::try_from(end).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fallocate` on a descriptor `file` owns, for the duration of the call.
    match unsafe { libc::fallocate(file.as_raw_fd(), libc::FALLOC_FL_KEEP_SIZE, 0, len) } {
        0 => Ok(()),
        _ => match io::Error::last_os_error() {
            e if e.raw_os_error() == Some(libc::EOPNOTSUPP) => Ok(()),
            e => Err(e),
        },
    }
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn allocate_ahead(_file: &File, _end: u64) -> io::Result<()> {
    Ok(())
}
