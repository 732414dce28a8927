//! [`Space`]: what keeps a full disk from stopping the store.
//!
//! sled treats a failed write of its log as fatal to the handle (every later call fails until
//! the store is reopened), so the disk must not fill up under it. The store keeps the room it
//! needs itself:
//!
//! - **sled's segment, allocated.** When sled reopens a store it fills out the rest of its last
//!   log segment, so a store could not open on a full disk; the store keeps the blocks of sled's
//!   current and next segment allocated ahead (`fallocate`, keeping the file's size), and a new
//!   store on a small filesystem gets segments that fit it ([`new_segment_size`]).
//! - **A reserve file** (`reserve` in the store's directory), preallocated, taken when the store
//!   opens on a filesystem with room. When the free space falls under a low-water mark the
//!   reserve is given up, so removals, clears, sled's own bookkeeping and the compaction that
//!   deletes dead segments always have room; it is taken back once space returns.
//! - **Admission.** Every write is charged an estimate of what it adds to the files; once the
//!   estimates since the last look use up a budget, the store looks at the filesystem's free
//!   space again (`statvfs`). While the free space is under the mark the disk counts as full:
//!   a write that adds an entry is refused before anything is changed, and removals and clears
//!   go on. The budget shrinks as the mark nears, so the store looks more often there.
//!
//! Both sizes scale with the filesystem, so a small one stays usable. Space used by another
//! process between two looks can still fill the disk under sled; the store then stops as for
//! any failed write (`crate::health`).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Mutex;
use storage_core::{Error, Op, Result};

/// The reserve file's name, in the store's directory.
pub(crate) const RESERVE_FILE: &str = "reserve";

/// Per-op overhead in the write estimate: sled's record header, index entries, log framing.
const OP_OVERHEAD: i64 = 128;

/// The room a store keeps on a filesystem of `total` bytes: `(reserve, low-water mark)`.
fn sizes(total: u64) -> (u64, u64) {
    let reserve = (total / 64).clamp(64 << 10, 4 << 20);
    (reserve, 2 * reserve)
}

/// The size of sled's log segments for a new store in `dir`: [`crate::SEGMENT_SIZE_BYTES`], or
/// a sixteenth of a smaller filesystem, down to 256 KiB (sled wants a power of two).
pub(crate) fn new_segment_size(dir: &Path) -> usize {
    // The directory may not exist yet: its parent says which filesystem it will be on.
    let total = dir.ancestors().find_map(filesystem).map(|(_, total)| total);
    segment_for(total.unwrap_or(u64::MAX))
}

/// The size of the redo log of a store in `dir`, written in full when it is created: 1 MiB, or
/// a 512th of a smaller filesystem, down to 4 KiB. A small filesystem checkpoints more often:
/// sled reuses its log's space only once flushed, and there the space matters more than the
/// time.
pub(crate) fn redo_capacity(dir: &Path) -> u64 {
    let total = filesystem(dir).map_or(u64::MAX, |(_, total)| total);
    (total / 512).clamp(4 << 10, 1 << 20)
}

/// sled's segment size on a filesystem of `total` bytes.
fn segment_for(total: u64) -> usize {
    let largest = crate::SEGMENT_SIZE_BYTES as u64;
    let fitting = (total / 16).clamp(256 << 10, largest);
    // The largest power of two not above it.
    usize::try_from(1u64 << (63 - fitting.leading_zeros())).unwrap_or(crate::SEGMENT_SIZE_BYTES)
}

/// The free space guard of one store.
#[derive(Debug)]
pub(crate) struct Space {
    dir: PathBuf,
    /// sled's log file, kept allocated to the end of the segment after its current one.
    db: Option<File>,
    /// sled's segment size.
    segment: u64,
    /// The disk counts as full: writes that add entries are refused.
    full: AtomicBool,
    /// Estimated bytes writes may add before the next look at the filesystem.
    budget: AtomicI64,
    /// One look at a time; holds whether the reserve file is held.
    look: Mutex<bool>,
}

impl Space {
    /// Before sled opens the store in `dir`: gives up the reserve if the disk is nearly full, so
    /// sled finds the room it writes to while opening.
    pub(crate) fn before_open(dir: &Path) {
        if let Some((free, total)) = filesystem(dir) {
            if free < sizes(total).1 {
                let _ = fs::remove_file(dir.join(RESERVE_FILE));
            }
        }
    }

    /// The guard of the store in `dir` (sled's segments of `segment` bytes), which takes its
    /// reserve if there is room.
    pub(crate) fn new(dir: &Path, segment: u64) -> Self {
        let space = Space {
            dir: dir.to_path_buf(),
            db: File::options().write(true).open(dir.join("db")).ok(),
            segment: segment.max(1),
            full: AtomicBool::new(false),
            budget: AtomicI64::new(0),
            look: Mutex::new(fs::metadata(dir.join(RESERVE_FILE)).is_ok()),
        };
        space.look();
        space
    }

    /// Lets a write of `ops` go ahead, or refuses it (changing nothing) because the disk is full
    /// and it would add to it. Removals and clears always go ahead.
    pub(crate) fn admit(&self, ops: &[Op]) -> Result<()> {
        let cost = ops.iter().map(estimate).sum::<i64>();
        let left = self.budget.fetch_sub(cost, Ordering::Relaxed) - cost;
        if left <= 0 || self.full.load(Ordering::Relaxed) {
            self.look();
            let adds = ops.iter().any(|op| matches!(op, Op::Put { .. }));
            if adds && self.full.load(Ordering::Relaxed) {
                return Err(self.full_error());
            }
        }
        Ok(())
    }

    /// A write found no room on the disk (the value log could not make a segment): the disk
    /// counts as full from now on, and the write is refused.
    pub(crate) fn ran_out(&self) -> Error {
        self.budget.store(0, Ordering::Relaxed);
        self.look();
        self.full.store(true, Ordering::Relaxed);
        self.full_error()
    }

    fn full_error(&self) -> Error {
        let free = filesystem(&self.dir).map_or(0, |(free, _)| free);
        Error::Backend(format!(
            "the disk holding the store at {} is full ({free} bytes free); nothing was written. \
             Removals and clears still work, and writes resume once space is freed",
            self.dir.display()
        ))
    }

    /// Looks at the filesystem: gives up the reserve and counts the disk full under the mark;
    /// takes the reserve back and counts it usable once there is room for both again.
    fn look(&self) {
        let mut held = self.look.lock().unwrap_or_else(|e| e.into_inner());
        let Some((free, total)) = filesystem(&self.dir) else {
            // A filesystem that does not say: nothing to guard with.
            self.budget.store(i64::MAX, Ordering::Relaxed);
            return;
        };
        let (reserve, low) = sizes(total);
        let path = self.dir.join(RESERVE_FILE);
        let mut allocated = self.allocate_segments();
        let mut free = free;
        if free < low || allocated.is_err() {
            if *held && fs::remove_file(&path).is_ok() {
                *held = false;
                free += reserve;
                allocated = self.allocate_segments();
            }
        } else if !*held && free >= low + reserve && take(&path, reserve).is_ok() {
            *held = true;
            free -= reserve;
        }
        let full = free < low || allocated.is_err();
        self.full.store(full, Ordering::Relaxed);
        // Half the room left above the mark, so the estimate may be off by two.
        let room = free.saturating_sub(low) / 2;
        let budget = if full { 0 } else { room.min(low) };
        self.budget
            .store(i64::try_from(budget).unwrap_or(i64::MAX), Ordering::Relaxed);
    }
}

impl Space {
    /// Allocates sled's log file to the end of the segment after the one it writes now.
    fn allocate_segments(&self) -> io::Result<()> {
        let Some(db) = &self.db else {
            return Ok(());
        };
        let size = db.metadata()?.len();
        let end = (size / self.segment + 2) * self.segment;
        crate::values::allocate_ahead(db, end)
    }
}

/// What `op` may add to the store's files.
fn estimate(op: &Op) -> i64 {
    let bytes = match op {
        Op::Put { key, value, .. } => key.len() + value.len(),
        Op::Delete { key } => key.len(),
    };
    i64::try_from(bytes).unwrap_or(i64::MAX / 2) + OP_OVERHEAD
}

/// Preallocates the reserve file at `path` with `size` bytes, durably.
fn take(path: &Path, size: u64) -> io::Result<()> {
    let file = crate::open::private_file()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    let made = crate::values::preallocate(&file, size).and_then(|()| file.sync_all());
    if made.is_err() {
        drop(file);
        let _ = fs::remove_file(path);
    }
    made
}

/// The bytes free for an unprivileged writer, and the size, of the filesystem holding `dir`.
#[cfg(unix)]
fn filesystem(dir: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: `statvfs` fills the zeroed struct from a NUL-terminated path it only reads.
    let stats = unsafe {
        let mut stats: libc::statvfs = std::mem::zeroed();
        (libc::statvfs(path.as_ptr(), &mut stats) == 0).then_some(stats)
    }?;
    // Both are `u64` on 64-bit Linux; `as` keeps this compiling where they are narrower.
    #[allow(clippy::unnecessary_cast)]
    let (frsize, avail, blocks) = (
        stats.f_frsize as u64,
        stats.f_bavail as u64,
        stats.f_blocks as u64,
    );
    Some((avail.checked_mul(frsize)?, blocks.checked_mul(frsize)?))
}

#[cfg(not(unix))]
fn filesystem(_dir: &Path) -> Option<(u64, u64)> {
    None
}

/// The free space of the filesystem holding `dir` (for the value log's segment sizes).
pub(crate) fn free_space(dir: &Path) -> Option<u64> {
    filesystem(dir).map(|(free, _)| free)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_room_kept_scales_with_the_filesystem() {
        const MIB: u64 = 1 << 20;
        // (filesystem size, reserve, low-water mark)
        for (total, reserve, low) in [
            (2 * MIB, 64 << 10, 128 << 10),
            (64 * MIB, MIB, 2 * MIB),
            (1 << 40, 4 * MIB, 8 * MIB),
        ] {
            assert_eq!(sizes(total), (reserve, low), "{total}");
        }
    }

    #[test]
    fn sled_segments_fit_small_filesystems() {
        const MIB: u64 = 1 << 20;
        // (filesystem size, segment size)
        for (total, segment) in [
            (2 * MIB, 256 << 10),
            (8 * MIB, 512 << 10),
            (20 * MIB, MIB),
            (64 * MIB, 4 * MIB),
            (128 * MIB, 8 * MIB),
            (u64::MAX, 8 * MIB),
        ] {
            assert_eq!(segment_for(total) as u64, segment, "{total}");
        }
    }

    #[test]
    fn a_store_on_a_roomy_disk_holds_its_reserve_and_admits_writes() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::new(dir.path(), 1 << 20);
        let reserve = fs::metadata(dir.path().join(RESERVE_FILE)).unwrap();
        let total = filesystem(dir.path()).unwrap().1;
        assert_eq!(reserve.len(), sizes(total).0);
        let put = Op::Put {
            key: b"k".to_vec(),
            value: vec![0; 10_000],
            charge: 1,
        };
        for _ in 0..1000 {
            space.admit(std::slice::from_ref(&put)).unwrap();
        }
    }
}
