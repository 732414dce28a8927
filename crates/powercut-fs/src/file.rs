//! A regular file's bytes, current and durable, and the dirty sectors between them.

use std::collections::BTreeSet;

use crate::state::SECTOR;

/// A regular file's bytes: what reads see (`cur`) and what would survive a cut (`dur`).
///
/// Invariant: a sector not in `dirty` reads the same in `cur` and `dur`, each padded with zeros
/// past its end. That lets a sync or a cut touch only the dirty sectors.
#[derive(Debug, Default, Clone)]
pub(crate) struct FileData {
    pub(crate) cur: Vec<u8>,
    pub(crate) dur: Vec<u8>,
    pub(crate) dirty: BTreeSet<u64>,
}

impl FileData {
    /// Marks the sectors overlapping `[start, end)` dirty.
    pub(crate) fn mark(&mut self, start: u64, end: u64) {
        if start < end {
            self.dirty.extend(start / SECTOR..=(end - 1) / SECTOR);
        }
    }

    /// Sets the current size; growing adds zeros, which the zero-padded view already reads.
    pub(crate) fn resize(&mut self, size: u64) {
        let old = self.cur.len() as u64;
        if size < old {
            // Bytes past the new end now read as zeros: the sectors that still had old
            // durable bytes there differ from `dur`.
            self.mark(size, old.min(self.dur.len() as u64));
        }
        self.cur.resize(size as usize, 0);
        // Sectors wholly past both ends read as zeros on both sides: no longer dirty.
        let end = (self.cur.len().max(self.dur.len()) as u64).div_ceil(SECTOR);
        self.dirty.split_off(&end);
    }

    /// Copies what changed into the durable bytes (`fsync`/`fdatasync`).
    pub(crate) fn sync(&mut self) {
        self.dur.resize(self.cur.len(), 0);
        let len = self.cur.len() as u64;
        for s in std::mem::take(&mut self.dirty) {
            let start = s * SECTOR;
            if start >= len {
                break;
            }
            let end = (start + SECTOR).min(len) as usize;
            self.dur[start as usize..end].copy_from_slice(&self.cur[start as usize..end]);
        }
    }

    /// Whether anything here would be lost or torn at a cut.
    pub(crate) fn unsynced(&self) -> bool {
        !self.dirty.is_empty() || self.cur.len() != self.dur.len()
    }
}
