//! Values: where each one lives (inline in its record, or in the value log, `log`), and the only
//! code that places, relocates (`compaction`) and retires one.
//!
//! **The write order**, kept by every single write that changes where a record points (a set,
//! and compaction moving a value), and coded once, in [`SledBackend::replace_record`]: the new
//! value's index entry, then the record (one insert or remove: the atomic step readers and
//! recovery see), then the removal of the old value's index entry. sled recovers a prefix of its
//! log, so after a crash every pointer still has its index entry, and at worst an index entry is
//! left that no record points to: counted live until the next open drops it ([`indexed`]), or
//! until compaction finds it stale. Single writes use plain sled operations rather than a batch
//! because sled 0.34's batches cost about twice as much under a flush (`docs/performance.md`).
//! Batches of several ops and clears are one atomic sled batch ([`Staged`]), where order does
//! not matter.

pub(crate) mod compaction;
mod file_io;
pub(crate) use file_io::{allocate_ahead, preallocate};
pub(crate) mod log;

use crate::backend::SledBackend;
use crate::layout::{
    decode_index, index_key, index_value, split_entry_key, EntryRecord, Header, Pointer, Stored,
    INDEX_SPACE, INLINE_MAX,
};
use crate::open::sled_error;
use crate::options::Durability;
use crate::redo::RedoOp;
use log::Indexed;
use std::collections::BTreeMap;
use storage_core::Result;

/// A value to store under a key, with the record fields it takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct New<'a> {
    /// The key's place in its namespace's insertion order.
    pub seq: u64,
    /// What it counts toward usage.
    pub charge: u64,
    /// The value's bytes.
    pub value: &'a [u8],
}

/// What a record is replaced by.
#[derive(Debug, Clone, Copy)]
enum Record<'a> {
    /// A record holding its value.
    Inline(New<'a>),
    /// A record pointing into the value log.
    Logged { seq: u64, charge: u64, at: Pointer },
    /// No record.
    Absent,
}

/// A batch being staged, with what it makes live and dead in the value log.
#[derive(Default)]
pub(crate) struct Staged {
    /// The batch's sled ops in order: an insert, or a removal (`None`).
    batch: Vec<(sled::IVec, Option<sled::IVec>)>,
    /// Values appended for this batch.
    added: Vec<Pointer>,
    /// Values the batch stops pointing to.
    removed: Vec<Pointer>,
}

impl Staged {
    /// The bytes appended to the value log for this batch.
    pub(crate) fn appended(&self) -> u64 {
        self.added.iter().map(|p| p.len).sum()
    }

    /// Removes the record `ekey` and, if it points into the value log at `p`, `p`'s index entry.
    pub(crate) fn remove(&mut self, ekey: sled::IVec, logged: Option<Pointer>) {
        if let Some(p) = logged {
            self.remove_key(&index_key(&p));
            self.removed.push(p);
        }
        self.batch.push((ekey, None));
    }

    fn insert(&mut self, key: &[u8], value: Vec<u8>) {
        self.batch.push((key.into(), Some(value.into())));
    }

    fn remove_key(&mut self, key: &[u8]) {
        self.batch.push((key.into(), None));
    }
}

impl SledBackend {
    /// Replaces the entry `ekey`, whose stored header is `old` (inline, absent or in the value
    /// log), by `new` (`None` removes it), with plain sled operations in the write order (see
    /// the module docs). Returns the new header and the bytes appended to the value log.
    pub(crate) fn place(
        &self,
        ekey: &[u8],
        old: Option<Header>,
        new: Option<New<'_>>,
    ) -> Result<(Option<Header>, u64)> {
        let (record, header) = match new {
            Some(n) if n.value.len() > INLINE_MAX => {
                let at = self
                    .disk
                    .log
                    .append(n.value)
                    .map_err(|e| self.log_failed(e))?;
                self.values_durable(&[at])?;
                let record = Record::Logged {
                    seq: n.seq,
                    charge: n.charge,
                    at,
                };
                (record, Some(header(n, Some(at))))
            }
            Some(n) => (Record::Inline(n), Some(header(n, None))),
            None => (Record::Absent, None),
        };
        self.replace_record(ekey, record, old.and_then(|h| h.logged))?;
        let appended = match record {
            Record::Logged { at, .. } => at.len,
            _ => 0,
        };
        Ok((header, appended))
    }

    /// Moves the value of `ekey` (with `seq` and `charge`) from `from` to a copy of `bytes` at
    /// the end of the value log, in the write order; `bytes` keep `from`'s checksum, so a value
    /// damaged on disk keeps failing it. Returns the bytes moved.
    pub(crate) fn relocate_value(
        &self,
        ekey: &[u8],
        seq: u64,
        charge: u64,
        from: Pointer,
        bytes: &[u8],
    ) -> Result<u64> {
        let mut at = self
            .disk
            .log
            .append(bytes)
            .map_err(|e| self.log_failed(e))?;
        at.crc = from.crc;
        self.values_durable(&[at])?;
        self.replace_record(ekey, Record::Logged { seq, charge, at }, Some(from))?;
        Ok(from.len)
    }

    /// The write order, once: `record`'s index entry (if it points into the value log), the
    /// record, then the removal of `old`'s index entry; then the redo log's record of them and
    /// the value log's accounting. On failure the store stops, and a value appended for
    /// `record` is dead.
    fn replace_record(&self, ekey: &[u8], record: Record<'_>, old: Option<Pointer>) -> Result<()> {
        let fail = |e| self.stop_writing(&[ekey], e);
        let added = match record {
            Record::Logged { at, .. } => Some(at),
            _ => None,
        };
        let (index, logged) = match record {
            Record::Logged { seq, charge, at } => (
                Some((index_key(&at), index_value(at.len, ekey))),
                EntryRecord::encode_logged(seq, charge, &at),
            ),
            _ => (None, Vec::new()),
        };
        let old_index = old.map(|p| index_key(&p));
        let apply = |bytes: Option<&[u8]>| -> std::result::Result<(), sled::Error> {
            if let Some((key, value)) = &index {
                self.entries.insert(&key[..], &value[..])?;
            }
            match bytes {
                Some(bytes) => self.entries.insert(ekey, bytes)?,
                None => self.entries.remove(ekey)?,
            };
            if let Some(key) = &old_index {
                self.entries.remove(&key[..])?;
            }
            Ok(())
        };
        let written = match record {
            Record::Logged { .. } => apply(Some(&logged)).map(|()| None),
            Record::Inline(n) => EntryRecord::with_encoded(n.seq, n.charge, n.value, |bytes| {
                apply(Some(bytes))?;
                // Recorded while the thread's buffer holds the record.
                Ok(Some(self.redo_record(
                    ekey,
                    &index,
                    Some(bytes),
                    &old_index,
                )))
            }),
            Record::Absent => apply(None).map(|()| None),
        };
        let recorded = match written {
            Ok(Some(recorded)) => recorded,
            Ok(None) => {
                let bytes = matches!(record, Record::Logged { .. }).then_some(&logged[..]);
                self.redo_record(ekey, &index, bytes, &old_index)
            }
            Err(e) => {
                self.disk.log.abandon(added.as_slice());
                return Err(fail(e));
            }
        };
        // The ops are in sled: the value log counts them whether or not the redo log could.
        self.disk.log.committed(added.as_slice(), old.as_slice());
        recorded.map_err(|e| self.disk.health.stop(e.to_string()))
    }

    /// Records in the redo log the ops of one write of the entry `ekey` (see
    /// [`replace_record`](Self::replace_record)).
    fn redo_record(
        &self,
        ekey: &[u8],
        index: &Option<([u8; 24], Vec<u8>)>,
        record: Option<&[u8]>,
        old_index: &Option<[u8; 24]>,
    ) -> Result<()> {
        let Some(redo) = &self.disk.redo else {
            return Ok(());
        };
        let mut ops = Vec::with_capacity(3);
        if let Some((key, value)) = index {
            ops.push(RedoOp::Put(key, value));
        }
        ops.push(match record {
            Some(bytes) => RedoOp::Put(ekey, bytes),
            None => RedoOp::Remove(ekey),
        });
        if let Some(key) = old_index {
            ops.push(RedoOp::Remove(key));
        }
        let (ns, _) = split_entry_key(ekey)?;
        redo.record(self.catalog.stripe(ns), &ops)
    }

    /// In the durable mode, makes the value log's new bytes (`appended` among them) durable
    /// before any record points to them: sled may write that record into its file during a
    /// flush already under way for other writers, and a power cut must never leave a record
    /// pointing at bytes that were not synced. If the sync fails, `appended` is dead and the
    /// store stops.
    fn values_durable(&self, appended: &[Pointer]) -> Result<()> {
        if appended.is_empty() || self.durability() != Durability::Durable {
            return Ok(());
        }
        self.disk.log.sync().map_err(|e| {
            self.disk.log.abandon(appended);
            self.disk
                .health
                .stop(format!("cannot sync the value log: {e}"))
        })
    }

    /// Adds to `staged` the writes that replace the entry `ekey`, whose stored header is `old`
    /// (`None`: absent), by `new` (`None` removes it): a value above [`INLINE_MAX`] bytes is
    /// appended to the value log first. Returns the new header.
    pub(crate) fn stage(
        &self,
        staged: &mut Staged,
        ekey: &[u8],
        old: Option<Header>,
        new: Option<New<'_>>,
    ) -> Result<Option<Header>> {
        if let Some(p) = old.and_then(|h| h.logged) {
            staged.remove_key(&index_key(&p));
            staged.removed.push(p);
        }
        let Some(n) = new else {
            staged.remove_key(ekey);
            return Ok(None);
        };
        let at = if n.value.len() > INLINE_MAX {
            let p = self
                .disk
                .log
                .append(n.value)
                .map_err(|e| self.log_failed(e))?;
            staged.added.push(p);
            staged.insert(ekey, EntryRecord::encode_logged(n.seq, n.charge, &p));
            staged.insert(&index_key(&p), index_value(p.len, ekey));
            Some(p)
        } else {
            staged.insert(ekey, EntryRecord::encode(n.seq, n.charge, n.value));
            None
        };
        Ok(Some(header(n, at)))
    }

    /// Applies a staged batch of the namespace `ns`'s entries `ekeys` in one atomic sled batch,
    /// records it in the redo log, then records in the value log what became live and dead; if
    /// sled fails, what was appended is dead and the store stops.
    pub(crate) fn apply_staged(&self, ns: &[u8], staged: Staged, ekeys: &[&[u8]]) -> Result<()> {
        let Staged {
            batch: ops,
            added,
            removed,
        } = staged;
        self.values_durable(&added)?;
        let mut batch = sled::Batch::default();
        for (key, value) in &ops {
            match value {
                Some(value) => batch.insert(key.clone(), value.clone()),
                None => batch.remove(key.clone()),
            }
        }
        if let Err(e) = self.entries.apply_batch(batch) {
            self.disk.log.abandon(&added);
            return Err(self.stop_writing(ekeys, e));
        }
        self.disk.log.committed(&added, &removed);
        if let Some(redo) = &self.disk.redo {
            let ops: Vec<RedoOp<'_>> = ops
                .iter()
                .map(|(key, value)| match value {
                    Some(value) => RedoOp::Put(key, value),
                    None => RedoOp::Remove(key),
                })
                .collect();
            if let Err(e) = redo.record(self.catalog.stripe(ns), &ops) {
                return Err(self.disk.health.stop(e.to_string()));
            }
        }
        Ok(())
    }

    /// Gives up a staged batch: what it appended is dead.
    pub(crate) fn abandon_staged(&self, staged: Staged) {
        self.disk.log.abandon(&staged.added);
    }
}

/// The header of a record holding `n`, its value at `at` in the value log if there.
fn header(n: New<'_>, at: Option<Pointer>) -> Header {
    Header {
        seq: n.seq,
        charge: n.charge,
        logged: at,
    }
}

/// What the value log's index says of each segment: its live bytes and where its last value
/// ends. Each index entry is checked against its record: an entry no record points to (left by
/// a crash in the middle of a write, or damaged) is removed, so live bytes are exact after every
/// open. Costs one sled `get` per value in the log.
pub(crate) fn indexed(entries: &sled::Tree) -> Result<BTreeMap<u64, Indexed>> {
    let read = |e| sled_error("cannot read the value log index", e);
    let mut out: BTreeMap<u64, Indexed> = BTreeMap::new();
    let mut stale = Vec::new();
    for item in entries.scan_prefix(INDEX_SPACE) {
        let (key, value) = item.map_err(read)?;
        let live = match decode_index(&key, &value) {
            Ok(entry) => match entries.get(entry.ekey).map_err(read)? {
                Some(record) => match EntryRecord::decode(&record) {
                    Ok((_, _, Stored::Logged(p)))
                        if p.segment == entry.segment
                            && p.offset == entry.offset
                            && p.len == entry.len =>
                    {
                        Some(p)
                    }
                    _ => None,
                },
                None => None,
            },
            Err(_) => None,
        };
        match live {
            Some(p) => {
                let seg = out.entry(p.segment).or_default();
                seg.live = seg.live.saturating_add(p.len);
                seg.end = seg.end.max(p.end());
            }
            None => stale.push(key),
        }
    }
    for key in stale {
        entries
            .remove(key)
            .map_err(|e| sled_error("cannot repair the value log index", e))?;
    }
    Ok(out)
}

/// A stored record's value log pointer, if it decodes and has one (clearing removes records
/// without needing them to decode).
pub(crate) fn logged(record: &[u8]) -> Option<Pointer> {
    match EntryRecord::decode(record) {
        Ok((_, _, Stored::Logged(p))) => Some(p),
        _ => None,
    }
}
