//! [`SledBackend`]: the [`Backend`] contract on sled's entries tree.

use crate::catalog::Catalog;
use crate::disk::{Disk, Flusher};
use crate::layout::{
    after_prefix, entry_key_buf, ns_prefix, split_entry_key, EntryRecord, Stored, NAMESPACE_END,
};
use crate::ns_state::NsState;
use crate::open::{self, sled_error, Registration};
use crate::options::{Durability, SledOptions};
use crate::redo::Redo;
use crate::values::log::{AppendError, ValueLog, ValueLogStats};
use crate::values::{self};
use async_trait::async_trait;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use storage_core::{Backend, Error, Limits, Listing, Op, Result, Usage};

/// A durable [`Backend`] on sled 0.34; see the [crate docs](crate) for the durability modes,
/// the on-disk layout and the format version.
///
/// Open it once per path and share it (it is `Send + Sync`; wrap it in an `Arc`): a second open
/// of the same path in one process is refused, and another process is kept out by sled's file
/// lock.
pub struct SledBackend {
    // Field order matters: sled's handles drop first (the flusher thread, which holds the disk
    // too, is joined before any field drops), then the registration (so the path is reopenable
    // only once sled has let go of it), then the temporary directory.
    pub(crate) entries: sled::Tree,
    /// sled's handle, the value log, group commit and the store's health.
    pub(crate) disk: Arc<Disk>,
    pub(crate) flusher: Flusher,
    registration: Registration,
    _temporary: Option<tempfile::TempDir>,
    durability: Durability,
    /// What is known of namespaces and keys in memory, behind the stripe locks that serialize
    /// each namespace's writes, listings and clears (see `crate::catalog`). `get` needs none
    /// (one record is read atomically, and a value log's bytes never change).
    pub(crate) catalog: Catalog,
    /// Set by the one writer compacting the value log at a time (see `crate::values::compaction`).
    pub(crate) compacting: AtomicBool,
}

impl std::fmt::Debug for SledBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledBackend")
            .field("registration", &self.registration)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl Drop for SledBackend {
    fn drop(&mut self) {
        // Before any field drops: the thread holds the disk, and sled must let go of the files
        // before the registration does.
        self.flusher.close(&self.disk);
        // A store closed cleanly leaves nothing to replay (and opens at once). A stopped one is
        // left as it is: the next open replays what its redo log holds.
        if self.disk.redo.is_some() && self.disk.health.cause().is_none() {
            let _ = self.disk.checkpoint();
        }
    }
}

impl SledBackend {
    /// Opens the store at `path` in the default, durable mode, creating it if the path does not
    /// exist or is an empty directory.
    ///
    /// Fails, changing nothing, if `path` is not a store (a file, or a directory holding other
    /// things), records another format version than [`crate::FORMAT_VERSION`], is already open
    /// in this process, or is locked by another process.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SledOptions::default())
    }

    /// Opens the store at `path` with `options`; see [`SledBackend::open`].
    ///
    /// ```
    /// use storage_sled::{Durability, SledBackend, SledOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let options = SledOptions::default().cache_capacity_bytes(8 << 20);
    /// let store = SledBackend::open_with(dir.path().join("store"), options).unwrap();
    /// assert_eq!(store.durability(), Durability::Durable);
    /// ```
    pub fn open_with(path: impl AsRef<Path>, options: SledOptions) -> Result<Self> {
        Self::build(open::open(path.as_ref(), &options)?, options, None)
    }

    /// A durable store in a new temporary directory, deleted when the backend is dropped: for
    /// tests and examples.
    pub fn temporary() -> Result<Self> {
        Self::temporary_with(SledOptions::default())
    }

    /// A store like [`SledBackend::temporary`], opened with `options`.
    pub fn temporary_with(options: SledOptions) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("mpstore-sled-")
            .tempdir()
            .map_err(|e| open::io_error("cannot create a temporary directory", &e))?;
        let opened = open::open(dir.path(), &options)?;
        Self::build(opened, options, Some(dir))
    }

    fn build(
        opened: open::Opened,
        options: SledOptions,
        temporary: Option<tempfile::TempDir>,
    ) -> Result<Self> {
        // Before anything reads the entries: they must hold every write the redo log kept.
        let (redo, replayed) = Redo::open(
            &opened.path,
            &opened.db,
            &opened.entries,
            crate::catalog::STRIPES,
            crate::space::redo_capacity(&opened.path),
        )?;
        let redo = redo.filter(|_| options.durability == Durability::Durable);
        let log = ValueLog::open(
            &opened.path,
            options.value_log_segment_bytes,
            &values::indexed(&opened.entries)?,
            options.durability == Durability::Durable,
        )?;
        let disk = Disk::new(opened.db, redo, log, &opened.path, opened.segment_size)?;
        if replayed {
            disk.checkpoint().map_err(|cause| {
                Error::Backend(format!(
                    "cannot store the writes the redo log replayed: {cause}"
                ))
            })?;
        }
        Ok(Self {
            compacting: AtomicBool::new(false),
            disk: Arc::new(disk),
            flusher: Flusher::default(),
            entries: opened.entries,
            registration: opened.registration,
            _temporary: temporary,
            durability: options.durability,
            catalog: Catalog::new(),
        })
    }

    /// Keeps at most `n` namespace states per stripe (tests use a tiny bound to exercise
    /// eviction).
    #[cfg(test)]
    pub(crate) fn with_states_per_stripe(mut self, n: usize) -> Self {
        self.catalog =
            std::mem::replace(&mut self.catalog, Catalog::new()).with_states_per_stripe(n);
        self
    }

    /// Keeps the headers of at most `n` keys in memory (tests use a tiny bound to exercise
    /// eviction).
    #[cfg(test)]
    pub(crate) fn with_known_keys(mut self, n: usize) -> Self {
        self.catalog = std::mem::replace(&mut self.catalog, Catalog::new()).with_known_keys(n);
        self
    }

    /// sled's entries tree itself (for tests that check what is stored).
    #[cfg(test)]
    pub(crate) fn raw_entries(&self) -> &sled::Tree {
        &self.entries
    }

    /// The mode this store was opened in.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Makes every write acknowledged so far durable (in [`Durability::Buffered`] mode; in the
    /// durable mode they already are). Shares the flush with concurrent writers.
    pub fn flush(&self) -> Result<()> {
        self.check_healthy()?;
        self.disk.make_durable(self.disk.commit.latest())
    }

    /// What the value log holds now: segment files, their size on disk, the bytes of the values
    /// records point to, and segments waiting to be compacted.
    pub fn value_log_stats(&self) -> ValueLogStats {
        self.disk.log.stats()
    }

    /// How many flushes group commit has run since the store was opened: with many concurrent
    /// writers, fewer than the writes they acknowledged.
    pub fn flushes(&self) -> u64 {
        self.disk.commit.flushes()
    }

    /// Every call starts here: a stopped store refuses it (see `crate::health`).
    pub(crate) fn check_healthy(&self) -> Result<()> {
        self.disk.health.check()
    }

    /// sled failed inside a write: its memory may now hold part of the write, so the store stops
    /// and the caller learns why.
    pub(crate) fn stop(&self, doing: &str, e: sled::Error) -> Error {
        self.disk
            .health
            .stop(format!("{doing}: {}", open::describe(&e)))
    }

    /// After the write committed as `generation`, on the blocking door: in durable mode, wait
    /// on this thread for it to reach the disk.
    fn acknowledge(&self, generation: u64) -> Result<()> {
        match self.durability {
            Durability::Durable => self.disk.make_durable(generation),
            Durability::Buffered => Ok(()),
        }
    }

    /// [`acknowledge`](Self::acknowledge) for the async door: the waiting happens on the
    /// flusher thread, never on the thread polling this.
    async fn acknowledged(&self, generation: u64) -> Result<()> {
        match self.durability {
            Durability::Durable => self.disk.durable(&self.flusher, generation).await,
            Durability::Buffered => Ok(()),
        }
    }

    /// The value log failed to take a value. With no room for a new segment nothing was
    /// written: the disk counts as full and the write is refused. Otherwise, as with sled
    /// failing, the store stops (the disk is failing; nothing of the write is readable, its
    /// appended bytes are dead).
    pub(crate) fn log_failed(&self, e: AppendError) -> Error {
        match e {
            AppendError::NoRoom => self.disk.space.ran_out(),
            AppendError::Failed(Error::Backend(cause)) => self.disk.health.stop(cause),
            AppendError::Failed(other) => self.disk.health.stop(other.to_string()),
        }
    }

    /// sled failed writing the entries `ekeys`: forget what was known of them (sled's memory
    /// may hold part of the write) and stop the store.
    pub(crate) fn stop_writing(&self, ekeys: &[&[u8]], e: sled::Error) -> Error {
        self.catalog.forget_keys(ekeys.iter().copied());
        self.stop("cannot write", e)
    }
}

#[async_trait]
impl Backend for SledBackend {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_healthy()?;
        let ekey = entry_key_buf(&ns_prefix(ns)?, key);
        let read = |e| sled_error("cannot read the entry", e);
        let Some(mut record) = self.entries.get(&ekey).map_err(read)? else {
            return Ok(None);
        };
        // A value in the value log is read without any lock: its bytes never change, and a
        // segment is deleted only after compaction moved every value out of it, so a pointer
        // into a deleted segment means the record now points elsewhere: read it again.
        let mut gone = None;
        loop {
            match EntryRecord::decode(&record)? {
                (_, _, Stored::Inline(value)) => return Ok(Some(value.to_vec())),
                (_, _, Stored::Logged(p)) => match self.disk.log.file(p.segment) {
                    Some(file) => return ValueLog::read(&file, &p, true).map(Some),
                    None if gone == Some(p) => {
                        return Err(Error::Corrupt(format!(
                            "value log segment {:016x} is missing",
                            p.segment
                        )))
                    }
                    None => gone = Some(p),
                },
            }
            match self.entries.get(&ekey).map_err(read)? {
                Some(again) => record = again,
                None => return Ok(None),
            }
        }
    }

    /// Commits the write, then awaits its flush without blocking the polling thread (see
    /// `crate::disk`); then runs a bounded step of compaction, whose flushes are awaited too.
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let write = self.committed_write(ns, ops, limits)?;
        if let Some(generation) = write.generation {
            self.acknowledged(generation).await?;
            // Reclaim at least twice what this write appended, so compaction keeps up with any
            // rate of overwrites (see `crate::values::compaction`).
            self.compact_some_async(write.appended).await;
        }
        Ok(write.usage)
    }

    /// The same write, waiting for the disk on this thread.
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let write = self.committed_write(ns, ops, limits)?;
        if let Some(generation) = write.generation {
            self.acknowledge(generation)?;
            self.compact_some(write.appended);
        }
        Ok(write.usage)
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let mut guard = self.catalog.lock(ns);
        let mut entries = Vec::new();
        for item in self.entries.scan_prefix(&prefix) {
            let (k, v) = item.map_err(|e| sled_error("cannot list keys", e))?;
            entries.push((EntryRecord::decode_standing(&v)?, k));
        }
        let state = NsState::of(entries.iter().map(|&(standing, _)| Ok(standing)))?;
        // The listing read the whole range: keep what it learned (it equals any state held).
        guard.set_state(state)?;
        drop(guard);
        entries.sort_unstable_by_key(|(standing, _)| standing.seq);
        Ok(Listing {
            keys: entries
                .into_iter()
                .map(|(_, k)| k[prefix.len()..].to_vec())
                .collect(),
            usage: state.usage,
        })
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        if let Some(generation) = self.remove_all(ns)? {
            self.acknowledged(generation).await?;
            self.compact_some_async(0).await;
        }
        Ok(())
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        // Nothing of a namespace is stored outside its entries, so dropping is clearing.
        self.clear(ns).await
    }

    /// Walks the whole entries tree: its cost grows with the store (every entry's header is
    /// read, except in namespaces whose state is in memory, which are skipped). A host or admin
    /// call, not one for the hot path.
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.check_healthy()?;
        let mut out = Vec::new();
        let mut from: Vec<u8> = Vec::new();
        while from.as_slice() < &NAMESPACE_END[..] {
            let first = self
                .entries
                .range(from.clone()..NAMESPACE_END.to_vec())
                .keys()
                .next()
                .transpose()
                .map_err(|e| sled_error("cannot list namespaces", e))?;
            let Some(first) = first else { break };
            let (ns, prefix) = split_entry_key(&first)?;
            let usage = {
                // Read the namespace at one instant, under its stripe.
                let guard = self.catalog.lock(ns);
                match guard.cached_state() {
                    Some(state) => state.usage,
                    None => {
                        self.scan_state(prefix, |e| sled_error("cannot list namespaces", e))?
                            .usage
                    }
                }
            };
            if usage.entries > 0 {
                out.push((ns.to_vec(), usage));
            }
            match after_prefix(prefix) {
                Some(next) => from = next,
                None => break,
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{entry_key, index_key, index_value, Pointer, INDEX_SPACE};
    use storage_core::block_on;

    fn put(key: &str, charge: u64) -> Op {
        Op::Put {
            key: key.into(),
            value: key.into(),
            charge,
        }
    }

    /// The contract holds when a store keeps only one namespace state per stripe: every state
    /// is evicted and rebuilt from the entries again and again.
    #[test]
    fn conformance_with_one_state_per_stripe() {
        storage_core::testkit::conformance(|| {
            SledBackend::temporary_with(SledOptions::default().durability(Durability::Buffered))
                .expect("temporary store")
                .with_states_per_stripe(1)
        });
    }

    #[test]
    fn a_durable_write_syncs_the_value_log_before_it_is_acknowledged() {
        // (mode, whether appended bytes are still unsynced when the write returns)
        for (durability, unsynced) in [(Durability::Durable, false), (Durability::Buffered, true)] {
            let s =
                SledBackend::temporary_with(SledOptions::default().durability(durability)).unwrap();
            let large = Op::Put {
                key: b"k".to_vec(),
                value: vec![1; 10_000],
                charge: 1,
            };
            block_on(s.apply(b"ns", &[large], Limits::NONE)).unwrap();
            assert_eq!(s.disk.log.unsynced(), unsynced, "{durability:?}");
            // `flush` (group commit's flush) syncs the value log too.
            s.flush().unwrap();
            assert!(!s.disk.log.unsynced(), "{durability:?}");
        }
    }

    #[test]
    fn index_entries_no_record_points_to_are_dropped_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let buffered = || SledOptions::default().durability(Durability::Buffered);
        let prefix = ns_prefix(b"ns").unwrap();
        {
            let s = SledBackend::open_with(&path, buffered()).unwrap();
            let large = Op::Put {
                key: b"k".to_vec(),
                value: vec![1; 10_000],
                charge: 1,
            };
            block_on(s.apply(b"ns", &[large], Limits::NONE)).unwrap();
            // What a crash between a write's index entry and its record leaves: an entry for
            // bytes the record does not point to, and one for a key with no record.
            for (offset, len, key) in [(20_000, 5000, &b"k"[..]), (30_000, 7000, b"gone")] {
                let p = Pointer {
                    segment: 0,
                    offset,
                    len,
                    crc: 0,
                };
                let ekey = entry_key(&prefix, key);
                s.raw_entries()
                    .insert(&index_key(&p)[..], index_value(len, &ekey))
                    .unwrap();
            }
            s.flush().unwrap();
        }
        let s = SledBackend::open_with(&path, buffered()).unwrap();
        assert_eq!(s.value_log_stats().live_bytes, 10_000);
        assert_eq!(s.raw_entries().scan_prefix(INDEX_SPACE).count(), 1);
        assert_eq!(block_on(s.get(b"ns", b"k")).unwrap(), Some(vec![1; 10_000]));
    }

    #[test]
    fn evicted_states_are_rebuilt_from_the_entries() {
        let s = SledBackend::temporary().unwrap().with_states_per_stripe(1);
        let names: Vec<Vec<u8>> = (0..500u32).map(|i| i.to_be_bytes().to_vec()).collect();
        for (i, ns) in names.iter().enumerate() {
            let ops = [put("a", i as u64), put("b", 1)];
            block_on(s.apply(ns, &ops, Limits::NONE)).unwrap();
        }
        assert!(
            s.catalog.states_held() <= crate::catalog::STRIPES,
            "{} states held",
            s.catalog.states_held()
        );
        for (i, ns) in names.iter().enumerate() {
            // Limits see the rebuilt usage: one more entry than the two held is refused.
            let limits = Limits {
                max_bytes: u64::MAX,
                max_entries: 2,
            };
            let refused = block_on(s.apply(ns, &[put("c", 0)], limits)).unwrap_err();
            let expected = Usage {
                bytes: i as u64 + 1,
                entries: 2,
            };
            assert!(
                matches!(refused, Error::LimitExceeded { before, .. } if before == expected),
                "{refused:?}"
            );
            block_on(s.apply(ns, &[Op::Delete { key: "a".into() }], Limits::NONE)).unwrap();
            block_on(s.apply(ns, &[put("a", 3)], Limits::NONE)).unwrap();
            let listing = block_on(s.list(ns)).unwrap();
            assert_eq!(listing.keys, [b"b".to_vec(), b"a".to_vec()], "{i}");
            assert_eq!(
                listing.usage,
                Usage {
                    bytes: 4,
                    entries: 2
                }
            );
        }
        assert!(s.catalog.states_held() <= crate::catalog::STRIPES);
        let spaces = block_on(s.namespaces()).unwrap();
        assert_eq!(spaces.len(), names.len());
    }
}
