//! Compaction of the value log: reclaiming the space of overwritten, removed and cleared values.
//!
//! A sealed segment whose live bytes fall under half its size is a *candidate* once another
//! segment has been sealed after it (see `super::log`). Compaction moves its live values,
//! one at a time, to the end of the log, then deletes the file:
//!
//! 1. **Move one value** (under the owning namespace's stripe lock, which every write of the
//!    namespace holds): read the record again; only if it still points to this place, copy the
//!    bytes to the log's end and write the new index entry, the record with the new pointer,
//!    then remove the old index entry (in that order, as a write does; see
//!    `crate::values`). A record that points elsewhere (or none) leaves a stale index
//!    entry, which is removed. The record's insert is the one atomic step, so a crash keeps
//!    every value at its old or its new place, both intact.
//! 2. **Retire the segment** once its index range is empty and no append into it is in flight:
//!    first make every write so far durable (the value log synced, then sled flushed, as for a
//!    durable write), so no pointer that could survive a crash refers to the segment; only then
//!    delete the file. Readers racing this keep reading correct bytes: an open handle keeps the
//!    unlinked file readable, and a reader that finds the segment gone reads the record again
//!    (see `SledBackend::get`).
//!
//! The work runs on writers' threads, after their write was acknowledged (so it never delays
//! what the write promises), by one writer at a time, in bounded steps: each write that appended
//! `n` bytes moves up to `2n` plus [`STEP_BYTES`] of live values. With candidates under half
//! live, moving `2n` frees more than `n`, so compaction outruns any rate of overwrites and the
//! directory stays bounded (`tests/value_log.rs` checks this with tiny segments). A crash in the
//! middle leaves the segment a candidate after reopening (its live bytes come from the index),
//! and a segment left with no live value at all (compaction done, file not yet deleted) is
//! deleted when the store opens.

use super::log::ValueLog;
use crate::backend::SledBackend;
use crate::layout::{decode_index, index_range, split_entry_key, EntryRecord, Pointer, Stored};
use crate::open::sled_error;
use std::sync::atomic::{AtomicBool, Ordering};
use storage_core::{Error, Result};

/// What every compaction step may move beyond twice what its write appended.
pub(crate) const STEP_BYTES: u64 = 1 << 20;

/// What moving (or dropping) one index entry counts against a step, besides the value's bytes.
const ENTRY_COST: u64 = 4096;

/// A compaction pass after a write: run by one writer at a time, bounded by its budget.
pub(crate) struct Pass<'a> {
    running: &'a AtomicBool,
    budget: u64,
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Release);
    }
}

impl SledBackend {
    /// A pass after a write that appended `appended` bytes, if a segment waits and no other
    /// writer is compacting. Errors in it stop the store (as a failed write does) and are
    /// reported by the next call; the write that runs it was already acknowledged.
    fn compaction(&self, appended: u64) -> Option<Pass<'_>> {
        if self.disk.log.candidate().is_none() || self.compacting.swap(true, Ordering::Acquire) {
            return None;
        }
        Some(Pass {
            running: &self.compacting,
            budget: STEP_BYTES.saturating_add(appended.saturating_mul(2)),
        })
    }

    /// Moves live values out of the next candidate segment within what is left of the pass's
    /// budget; returns the segment if that emptied it, for the caller to retire, `None` when the
    /// pass is over.
    fn next_emptied(&self, pass: &mut Pass<'_>) -> Option<u64> {
        if pass.budget == 0 {
            return None;
        }
        let id = self.disk.log.candidate()?;
        match self.compact_segment(id, pass.budget) {
            Ok(Some(spent)) => {
                pass.budget = pass.budget.saturating_sub(spent);
                Some(id)
            }
            Ok(None) | Err(_) => None,
        }
    }

    /// A pass on the blocking door: each emptied segment is retired on this thread.
    pub(crate) fn compact_some(&self, appended: u64) {
        let Some(mut pass) = self.compaction(appended) else {
            return;
        };
        while let Some(id) = self.next_emptied(&mut pass) {
            if self.disk.retire_now(id).is_err() {
                return;
            }
        }
    }

    /// A pass on the async door: the flush that must come before deleting a segment is awaited
    /// on the flusher thread.
    pub(crate) async fn compact_some_async(&self, appended: u64) {
        let Some(mut pass) = self.compaction(appended) else {
            return;
        };
        while let Some(id) = self.next_emptied(&mut pass) {
            let latest = self.disk.commit.latest();
            let durable = self.disk.durable(&self.flusher, latest).await;
            if durable.is_err() || self.disk.log.retire(id).is_err() {
                return;
            }
        }
    }

    /// Moves up to `budget` bytes of segment `id`'s live values. Returns what it spent if that
    /// emptied the segment, `None` if the segment is not done yet.
    fn compact_segment(&self, id: u64, budget: u64) -> Result<Option<u64>> {
        let range = index_range(id);
        let mut spent = 0u64;
        let mut failed_reads = false;
        let mut iter = self.entries.scan_prefix(range);
        loop {
            if spent >= budget {
                return Ok(None);
            }
            let Some(item) = iter.next() else { break };
            let (key, value) =
                item.map_err(|e| sled_error("cannot read the value log index", e))?;
            spent = spent.saturating_add(ENTRY_COST);
            match self.relocate(id, &key, &value) {
                Ok(moved) => spent = spent.saturating_add(moved),
                // A damaged value cannot be moved: it stays (reads of it report the damage), and
                // so does its segment.
                Err(Error::Corrupt(_)) => failed_reads = true,
                Err(e) => return Err(e),
            }
        }
        if failed_reads {
            self.disk.log.give_up(id);
            return Ok(None);
        }
        // Nothing can add a pointer to a sealed segment with no append in flight; an index
        // range empty after that holds for good.
        if !self.disk.log.idle(id) || self.entries.scan_prefix(range).next().is_some() {
            return Ok(None);
        }
        Ok(Some(spent))
    }

    /// Moves the value of the index entry `key → value` out of segment `id` if its record still
    /// points there (else drops the stale entry). Returns the bytes moved.
    fn relocate(&self, id: u64, key: &[u8], value: &[u8]) -> Result<u64> {
        // An index entry no record points to: remove it, and count its bytes dead unless a write
        // or clear removed it (and counted them) since the scan read it.
        let stale = |len: u64, offset: u64| -> Result<u64> {
            let existed = self
                .entries
                .remove(key)
                .map_err(|e| self.stop("cannot compact the value log", e))?;
            if existed.is_some() {
                let p = Pointer {
                    segment: id,
                    offset,
                    len,
                    crc: 0,
                };
                self.disk.log.committed(&[], &[p]);
            }
            Ok(0)
        };
        let Ok(entry) = decode_index(key, value) else {
            return stale(0, 0);
        };
        let (ekey, offset, len) = (entry.ekey, entry.offset, entry.len);
        let Ok((ns, _)) = split_entry_key(ekey) else {
            return stale(len, offset);
        };
        debug_assert_eq!(entry.segment, id);
        let (moved, _) = self.disk.commit.commit(|| -> Result<u64> {
            let _namespace = self.catalog.lock(ns);
            let record = self
                .entries
                .get(ekey)
                .map_err(|e| self.stop("cannot read the entry", e))?;
            let current = record.as_deref().map(EntryRecord::decode);
            let (seq, charge, p) = match current {
                Some(Ok((seq, charge, Stored::Logged(p))))
                    if p.segment == id && p.offset == offset =>
                {
                    (seq, charge, p)
                }
                _ => return stale(len, offset),
            };
            let file =
                self.disk.log.file(id).ok_or_else(|| {
                    Error::Corrupt(format!("value log segment {id:016x} is missing"))
                })?;
            // Moved as they are: a value damaged on disk keeps failing its checksum.
            let bytes = ValueLog::read(&file, &p, false)?;
            // Forgotten first: the header known in memory holds the old pointer.
            self.catalog.forget_keys([ekey]);
            self.relocate_value(ekey, seq, charge, p, &bytes)
        });
        moved
    }
}
