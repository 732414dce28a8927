//! [`SledBackend`]: the [`Backend`] contract on sled's entries tree.

use crate::disk::{Disk, Flusher};
use crate::known_keys::{KnownKeys, Place};
use crate::layout::{
    after_prefix, decode_index, entry_key, entry_key_buf, index_key, index_value, ns_prefix,
    split_entry_key, EntryRecord, Header, Pointer, Stored, INDEX_SPACE, INLINE_MAX, NAMESPACE_END,
};
use crate::ns_state::{self, headers, NsState, NsStates};
use crate::open::{self, sled_error, Registration};
use crate::options::{Durability, SledOptions};
use crate::value_log::{Indexed, ValueLog, ValueLogStats};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};
use storage_core::{Backend, Error, Limits, Listing, Op, Result, Usage};

/// Locks striping the namespaces: enough that unrelated namespaces rarely share one.
const STRIPES: usize = 64;

/// How many namespace states one stripe keeps in memory by default (so at most
/// `STRIPES * STATES_PER_STRIPE` = 16,384 namespaces' states, a few MiB at most).
const STATES_PER_STRIPE: usize = 256;

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
    /// Serialize each namespace's `apply`, `list`, `clear` and `drop_namespace`, so a listing is
    /// read at one instant, and guard the namespaces' in-memory states. `get` needs none (one
    /// record is read atomically, and a value log's bytes never change).
    stripes: Vec<Mutex<NsStates>>,
    /// How many namespace states one stripe keeps.
    states_per_stripe: usize,
    /// The headers of recently written keys, so a write need not read them (see
    /// `crate::known_keys`); only ever set under the key's namespace's stripe.
    pub(crate) known: KnownKeys,
    /// Set by the one writer compacting the value log at a time (see `crate::compaction`).
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

/// A batch being staged, with what it makes live and dead in the value log.
#[derive(Default)]
struct Staged {
    batch: sled::Batch,
    /// Values appended for this batch.
    added: Vec<Pointer>,
    /// Values the batch stops pointing to.
    removed: Vec<Pointer>,
}

impl Staged {
    fn appended(&self) -> u64 {
        self.added.iter().map(|p| p.len).sum()
    }
}

impl Drop for SledBackend {
    fn drop(&mut self) {
        // Before any field drops: the thread holds the disk, and sled must let go of the files
        // before the registration does.
        self.flusher.close(&self.disk);
    }
}

/// What a write did.
enum Wrote {
    /// Nothing changed (no ops, or deletes of absent keys): nothing to make durable.
    Nothing(Usage),
    /// sled accepted the write.
    Changed(Usage),
}

impl SledBackend {
    /// Opens the store at `path` in the default, durable mode, creating it if the path does not
    /// exist or is an empty directory.
    ///
    /// Fails, changing nothing, if `path` is not a store (a file, or a directory holding other
    /// things), records a format version this build cannot read, is already open in this
    /// process, or is locked by another process. A store of format version 1, 2 or 3 is
    /// migrated (see the [crate docs](crate#on-disk-layout-format-version-4)).
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, SledOptions::default())
    }

    /// Opens the store at `path` with `options`; see [`SledBackend::open`].
    ///
    /// ```
    /// use storage_sled::{Durability, SledBackend, SledOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let options = SledOptions { cache_capacity_bytes: 8 << 20, ..SledOptions::default() };
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
        let log = ValueLog::open(
            &opened.path,
            options.value_log_segment_bytes,
            &indexed(&opened.entries)?,
            options.durability == Durability::Durable,
        )?;
        Ok(Self {
            compacting: AtomicBool::new(false),
            disk: Arc::new(Disk::new(opened.db, log)),
            flusher: Flusher::default(),
            entries: opened.entries,
            registration: opened.registration,
            _temporary: temporary,
            durability: options.durability,
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            states_per_stripe: STATES_PER_STRIPE,
            known: KnownKeys::new(
                KnownKeys::DEFAULT_MAX_KEYS,
                KnownKeys::DEFAULT_MAX_KEY_BYTES,
            ),
        })
    }

    /// Keeps at most `n` namespace states per stripe (tests use a tiny bound to exercise
    /// eviction).
    #[cfg(test)]
    pub(crate) fn with_states_per_stripe(mut self, n: usize) -> Self {
        self.states_per_stripe = n;
        self
    }

    /// Keeps the headers of at most `n` keys in memory (tests use a tiny bound to exercise
    /// eviction).
    #[cfg(test)]
    pub(crate) fn with_known_keys(mut self, n: usize) -> Self {
        self.known = KnownKeys::new(n, KnownKeys::DEFAULT_MAX_KEY_BYTES);
        self
    }

    /// The headers known in memory (for tests).
    #[cfg(test)]
    pub(crate) fn known_keys(&self) -> &KnownKeys {
        &self.known
    }

    /// sled's entries tree itself (for tests that check what is stored).
    #[cfg(test)]
    pub(crate) fn raw_entries(&self) -> &sled::Tree {
        &self.entries
    }

    /// How many namespace states are in memory (for tests).
    #[cfg(test)]
    pub(crate) fn states_held(&self) -> usize {
        self.stripes
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
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
    fn check_healthy(&self) -> Result<()> {
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

    /// The first half of `apply` and `apply_blocking`: the write, committed. Returns the usage
    /// after it, the generation to wait for (`None`: nothing changed) and the bytes it appended
    /// to the value log.
    fn committed_write(
        &self,
        ns: &[u8],
        ops: &[Op],
        limits: Limits,
    ) -> Result<(Usage, Option<u64>, u64)> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (outcome, generation) = self
            .disk
            .commit
            .commit(|| self.write(ns, &prefix, ops, limits));
        Ok(match outcome? {
            (Wrote::Nothing(usage), _) => (usage, None, 0),
            (Wrote::Changed(usage), appended) => (usage, Some(generation), appended),
        })
    }

    pub(crate) fn stripe(&self, ns: &[u8]) -> MutexGuard<'_, NsStates> {
        self.stripe_hashed(ns).0
    }

    /// [`stripe`](Self::stripe), with the namespace's hash, for finding its state in it without
    /// hashing the namespace again.
    fn stripe_hashed(&self, ns: &[u8]) -> (MutexGuard<'_, NsStates>, u64) {
        let hash = ns_state::ns_hash(ns);
        let i = ns_state::stripe_of(hash, STRIPES);
        // Nothing panics while holding a stripe, and states change only after sled accepted a
        // write, so a poisoned stripe still holds true states.
        let stripe = self.stripes[i].lock().unwrap_or_else(|e| e.into_inner());
        (stripe, hash)
    }

    /// The state of the namespace whose range starts with `prefix`, read from its entries.
    fn scan_state(
        &self,
        prefix: &[u8],
        sled_error: impl Fn(sled::Error) -> Error,
    ) -> Result<NsState> {
        NsState::of(headers(self.entries.scan_prefix(prefix), sled_error))
    }

    /// The header of the entry stored under `ekey`, if any: from memory when it is known there
    /// (with where, see `crate::known_keys`), else read from sled (the write that asks then
    /// records what it leaves). Only writes call it, under the namespace's stripe; sled failing
    /// here stops the store like a failed write: sled reports a failed write of its own buffers
    /// (say, a full disk) to every later call, reads included.
    fn header(&self, ekey: &[u8]) -> Result<(Option<Header>, Option<Place>)> {
        if let Some((known, place)) = self.known.get(ekey) {
            return Ok((known, Some(place)));
        }
        match self
            .entries
            .get(ekey)
            .map_err(|e| self.stop("cannot read the entry", e))?
        {
            Some(bytes) => Ok((Some(EntryRecord::decode_header(&bytes)?), None)),
            None => Ok((None, None)),
        }
    }

    /// Applies `ops` to `ns` under its stripe: checks the limits against the in-memory usage,
    /// writes (plain sled operations for a single op, one atomic batch for several), and only then
    /// updates the state, the known headers and the value log's accounting. Returns what it did
    /// and how many bytes it appended to the value log.
    fn write(&self, ns: &[u8], prefix: &[u8], ops: &[Op], limits: Limits) -> Result<(Wrote, u64)> {
        let (mut stripe, hash) = self.stripe_hashed(ns);
        let state = stripe.get_or_load(ns, hash, self.states_per_stripe, || {
            self.scan_state(prefix, |e| self.stop("cannot read the namespace", e))
        })?;
        let before = *state;
        let refused = |after: NsState| Error::LimitExceeded {
            before: before.usage,
            after: after.usage,
            limits,
        };
        if let [op] = ops {
            let ekey = entry_key_buf(prefix, op.key());
            let (old, place) = self.header(&ekey)?;
            let (after, seq) = before.after(old.map(|h| (h.seq, h.charge)), op)?;
            if limits.refuses(before.usage, after.usage) {
                return Err(refused(after));
            }
            let new = replacement(op, seq);
            if new.is_none() && old.is_none() {
                self.known.set(&ekey, None, place);
                return Ok((Wrote::Nothing(after.usage), 0));
            }
            let (header, appended) = self.write_one(&ekey, old, new)?;
            // Found in memory and unchanged (an overwrite by a value of the same charge, inline
            // both times): memory already says so, and nothing else writes this key while the
            // stripe is held (evicted meanwhile, it is read from sled next time).
            if place.is_none() || header != old {
                self.known.set(&ekey, header, place);
            }
            *state = after;
            return Ok((Wrote::Changed(after.usage), appended));
        }
        // Several ops: first what each leaves (absent: as stored), so nothing is appended to the
        // value log for a batch the limits refuse.
        let mut pending: HashMap<Vec<u8>, Option<Header>> = HashMap::new();
        let mut stored: HashMap<Vec<u8>, Option<Header>> = HashMap::new();
        let mut planned = Vec::with_capacity(ops.len());
        let mut after = before;
        for op in ops {
            let ekey = entry_key(prefix, op.key());
            let old = match pending.get(&ekey) {
                Some(header) => *header,
                None => {
                    let header = self.header(&ekey)?.0;
                    stored.insert(ekey.clone(), header);
                    header
                }
            };
            let (next, seq) = after.after(old.map(|h| (h.seq, h.charge)), op)?;
            after = next;
            let new = replacement(op, seq);
            // What the key holds after this op, as far as the next op on it needs to know (the
            // value log pointer is filled in when staging).
            let placeholder = new.map(|(seq, charge, _)| Header {
                seq,
                charge,
                logged: None,
            });
            pending.insert(ekey.clone(), placeholder);
            planned.push((ekey, new));
        }
        if limits.refuses(before.usage, after.usage) {
            return Err(refused(after));
        }
        // Then stage them in order: each op removes what the version before it (on disk or
        // earlier in the batch) left, so the batch leaves exactly the last version's.
        pending.clear();
        let mut staged = Staged::default();
        let mut changed = false;
        let mut result: Result<()> = Ok(());
        for (ekey, new) in &planned {
            let old = match pending.get(ekey) {
                Some(header) => *header,
                None => stored.get(ekey).copied().flatten(),
            };
            if new.is_none() && old.is_none() {
                pending.insert(ekey.clone(), None);
                continue;
            }
            match self.stage(&mut staged, ekey, old, *new) {
                Ok(header) => {
                    pending.insert(ekey.clone(), header);
                    changed = true;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        if let Err(e) = result {
            self.disk.log.abandon(&staged.added);
            return Err(e);
        }
        if !changed {
            // Only deletes of absent keys: that they hold nothing is worth keeping.
            self.known
                .set_all(pending.iter().map(|(ekey, h)| (ekey.as_slice(), *h)));
            return Ok((Wrote::Nothing(after.usage), 0));
        }
        let appended = staged.appended();
        let ekeys: Vec<&[u8]> = pending.keys().map(Vec::as_slice).collect();
        self.apply_staged(staged, Ok(None), &ekeys)?;
        self.known
            .set_all(pending.iter().map(|(ekey, h)| (ekey.as_slice(), *h)));
        *state = after;
        Ok((Wrote::Changed(after.usage), appended))
    }

    /// Replaces the entry `ekey`, whose stored header is `old` (inline, absent or in the value
    /// log), by `new`, with plain sled operations rather than a batch, in this order: the new
    /// value's index entry, then the record (one insert or remove: the atomic step that readers
    /// and recovery see), then the removal of the old value's index entry. sled recovers a
    /// prefix of its log, so after a crash every pointer still has its index entry, and at worst
    /// an index entry is left that no record points to: counted live until the next open drops
    /// it (see `indexed`), or until compaction finds it stale. Why not one batch: sled 0.34's
    /// `apply_batch` rolls its log buffer before and after the batch, so a batch followed by a
    /// flush costs about twice a plain insert followed by a flush (measured: `examples/
    /// large_write_cost.rs`, 100 KiB: 677 µs against 362 µs for the value log's bytes plus a
    /// small batch or insert and a flush). Returns the new header and the bytes appended.
    fn write_one(
        &self,
        ekey: &[u8],
        old: Option<Header>,
        new: Option<(u64, u64, &[u8])>,
    ) -> Result<(Option<Header>, u64)> {
        let fail = |e| self.stop_writing(&[ekey], e);
        let (header, added) = match new {
            Some((seq, charge, value)) if value.len() > INLINE_MAX => {
                let p = self.disk.log.append(value).map_err(|e| self.stop_log(e))?;
                if let Err(e) = self.insert_logged(ekey, seq, charge, &p) {
                    self.disk.log.abandon(&[p]);
                    return Err(fail(e));
                }
                let header = Header {
                    seq,
                    charge,
                    logged: Some(p),
                };
                (Some(header), Some(p))
            }
            Some((seq, charge, value)) => {
                EntryRecord::with_encoded(seq, charge, value, |record| {
                    self.entries.insert(ekey, record)
                })
                .map_err(fail)?;
                let header = Header {
                    seq,
                    charge,
                    logged: None,
                };
                (Some(header), None)
            }
            None => {
                self.entries.remove(ekey).map_err(fail)?;
                (None, None)
            }
        };
        let gone = old.and_then(|h| h.logged);
        if let Some(p) = gone {
            if let Err(e) = self.entries.remove(&index_key(&p)[..]) {
                self.disk.log.committed(added.as_slice(), &[]);
                return Err(fail(e));
            }
        }
        self.disk.log.committed(added.as_slice(), gone.as_slice());
        Ok((header, added.map_or(0, |p| p.len)))
    }

    /// Inserts the index entry of `p`, then the record of `ekey` pointing to it: the order every
    /// single write into the value log keeps (a write, and compaction moving a value), so the
    /// index always covers every pointer; the caller removes the old index entry after.
    pub(crate) fn insert_logged(
        &self,
        ekey: &[u8],
        seq: u64,
        charge: u64,
        p: &Pointer,
    ) -> sled::Result<()> {
        self.entries
            .insert(&index_key(p)[..], index_value(p.len, ekey))?;
        self.entries
            .insert(ekey, EntryRecord::encode_logged(seq, charge, p))?;
        Ok(())
    }

    /// Adds to `staged` the writes that replace the entry `ekey`, whose stored header is `old`
    /// (`None`: absent), by `new` (`(seq, charge, value)`; `None` removes it): a value above
    /// [`INLINE_MAX`] bytes is appended to the value log first. Returns the new header.
    fn stage(
        &self,
        staged: &mut Staged,
        ekey: &[u8],
        old: Option<Header>,
        new: Option<(u64, u64, &[u8])>,
    ) -> Result<Option<Header>> {
        if let Some(p) = old.and_then(|h| h.logged) {
            staged.batch.remove(&index_key(&p)[..]);
            staged.removed.push(p);
        }
        let Some((seq, charge, value)) = new else {
            staged.batch.remove(ekey);
            return Ok(None);
        };
        let logged = if value.len() > INLINE_MAX {
            let p = self.disk.log.append(value).map_err(|e| self.stop_log(e))?;
            staged.added.push(p);
            staged
                .batch
                .insert(ekey, EntryRecord::encode_logged(seq, charge, &p));
            staged
                .batch
                .insert(&index_key(&p)[..], index_value(p.len, ekey));
            Some(p)
        } else {
            staged
                .batch
                .insert(ekey, EntryRecord::encode(seq, charge, value));
            None
        };
        Ok(Some(Header {
            seq,
            charge,
            logged,
        }))
    }

    /// Applies a staged batch (`header`: what staging returned, passed through), then records
    /// in the value log what became live and dead. If staging or sled failed, what was appended
    /// is abandoned (dead bytes) and the error returned.
    fn apply_staged(
        &self,
        staged: Staged,
        header: Result<Option<Header>>,
        ekeys: &[&[u8]],
    ) -> Result<Option<Header>> {
        let Staged {
            batch,
            added,
            removed,
        } = staged;
        let header = match header {
            Ok(header) => header,
            Err(e) => {
                self.disk.log.abandon(&added);
                return Err(e);
            }
        };
        if let Err(e) = self.entries.apply_batch(batch) {
            self.disk.log.abandon(&added);
            return Err(self.stop_writing(ekeys, e));
        }
        self.disk.log.committed(&added, &removed);
        Ok(header)
    }

    /// The value log failed to take a value: as with sled failing, the store stops (the disk is
    /// failing; nothing of the write is readable, its appended bytes are dead).
    pub(crate) fn stop_log(&self, e: Error) -> Error {
        let cause = match e {
            Error::Backend(cause) => cause,
            other => other.to_string(),
        };
        self.disk.health.stop(cause)
    }

    /// sled failed writing the entries `ekeys`: forget what was known of them (sled's memory
    /// may hold part of the write) and stop the store.
    pub(crate) fn stop_writing(&self, ekeys: &[&[u8]], e: sled::Error) -> Error {
        self.known.forget(ekeys.iter().copied());
        self.stop("cannot write", e)
    }

    /// Removes every entry of `ns` in one atomic batch, and forgets its state and its keys'
    /// headers.
    ///
    /// Every record in the namespace's range goes, without being decoded, so clearing also gets
    /// rid of records damaged on disk. Every key
    /// known in memory holds a record on disk (or is known to hold none, which stays true), so
    /// forgetting the keys of the range's records forgets every header of the namespace.
    ///
    /// Returns the generation to wait for, if anything was removed.
    fn remove_all(&self, ns: &[u8]) -> Result<Option<u64>> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (wrote, generation) = self.disk.commit.commit(|| -> Result<bool> {
            let mut stripe = self.stripe(ns);
            let mut batch = sled::Batch::default();
            let mut records = Vec::new();
            let mut removed = Vec::new();
            for item in self.entries.scan_prefix(&prefix) {
                let (key, record) = item.map_err(|e| sled_error("cannot list keys", e))?;
                // A value in the value log takes its index entry with it (a damaged record has
                // none this can find; its segment's bytes then stay until compaction).
                if let Ok((_, _, Stored::Logged(p))) = EntryRecord::decode(&record) {
                    batch.remove(&index_key(&p)[..]);
                    removed.push(p);
                }
                batch.remove(key.clone());
                records.push(key);
            }
            let any = !records.is_empty();
            // Forgotten first: if sled fails below, nothing stale is left either.
            self.known.forget(records.iter().map(|k| k.as_ref()));
            if any {
                self.entries
                    .apply_batch(batch)
                    .map_err(|e| self.stop("cannot clear the namespace", e))?;
                self.disk.log.committed(&[], &removed);
            }
            // An empty namespace needs no state: it is rebuilt (empty) on next use.
            stripe.forget(ns);
            Ok(any)
        });
        Ok(wrote?.then_some(generation))
    }
}

/// What the value log's index says of each segment: its live bytes and where its last value
/// ends. Each index entry is checked against its record: an entry no record points to (left by
/// a crash in the middle of a write, see `SledBackend::write_one`, or damaged) is removed, so
/// live bytes are exact after every open. Costs one sled `get` per value in the log.
fn indexed(entries: &sled::Tree) -> Result<BTreeMap<u64, Indexed>> {
    let read = |e| sled_error("cannot read the value log index", e);
    let mut out: BTreeMap<u64, Indexed> = BTreeMap::new();
    let mut stale = Vec::new();
    for item in entries.scan_prefix(INDEX_SPACE) {
        let (key, value) = item.map_err(read)?;
        let live = match decode_index(&key, &value) {
            Ok((segment, offset, len, ekey)) => match entries.get(ekey).map_err(read)? {
                Some(record) => match EntryRecord::decode(&record) {
                    Ok((_, _, Stored::Logged(p)))
                        if p.segment == segment && p.offset == offset && p.len == len =>
                    {
                        Some((segment, p))
                    }
                    _ => None,
                },
                None => None,
            },
            Err(_) => None,
        };
        match live {
            Some((segment, p)) => {
                let seg = out.entry(segment).or_default();
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

/// What `op` stores, given the `seq` its state change placed it at: `(seq, charge, value)` for
/// a put, `None` for a delete.
fn replacement(op: &Op, seq: Option<u64>) -> Option<(u64, u64, &[u8])> {
    match (op, seq) {
        (Op::Put { value, charge, .. }, Some(seq)) => Some((seq, *charge, value.as_slice())),
        _ => None,
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
        let (usage, generation, appended) = self.committed_write(ns, ops, limits)?;
        if let Some(generation) = generation {
            self.acknowledged(generation).await?;
            // Reclaim at least twice what this write appended, so compaction keeps up with any
            // rate of overwrites (see `crate::compaction`).
            self.compact_some_async(appended).await;
        }
        Ok(usage)
    }

    /// The same write, waiting for the disk on this thread.
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let (usage, generation, appended) = self.committed_write(ns, ops, limits)?;
        if let Some(generation) = generation {
            self.acknowledge(generation)?;
            self.compact_some(appended);
        }
        Ok(usage)
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (mut stripe, hash) = self.stripe_hashed(ns);
        let mut entries = Vec::new();
        for item in self.entries.scan_prefix(&prefix) {
            let (k, v) = item.map_err(|e| sled_error("cannot list keys", e))?;
            let (seq, charge) = EntryRecord::decode_seq_charge(&v)?;
            entries.push((seq, charge, k));
        }
        let state = NsState::of(entries.iter().map(|&(seq, charge, _)| Ok((seq, charge))))?;
        // The listing read the whole range: keep what it learned (it equals any state held).
        *stripe.get_or_load(ns, hash, self.states_per_stripe, || Ok(state))? = state;
        drop(stripe);
        entries.sort_unstable_by_key(|&(seq, _, _)| seq);
        Ok(Listing {
            keys: entries
                .into_iter()
                .map(|(_, _, k)| k[prefix.len()..].to_vec())
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
                let stripe = self.stripe(ns);
                match stripe.cached(ns) {
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
            SledBackend::temporary_with(SledOptions {
                durability: Durability::Buffered,
                ..SledOptions::default()
            })
            .expect("temporary store")
            .with_states_per_stripe(1)
        });
    }

    #[test]
    fn a_durable_write_syncs_the_value_log_before_it_is_acknowledged() {
        // (mode, whether appended bytes are still unsynced when the write returns)
        for (durability, unsynced) in [(Durability::Durable, false), (Durability::Buffered, true)] {
            let s = SledBackend::temporary_with(SledOptions {
                durability,
                ..SledOptions::default()
            })
            .unwrap();
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
        let buffered = || SledOptions {
            durability: Durability::Buffered,
            ..SledOptions::default()
        };
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
            s.states_held() <= STRIPES,
            "{} states held",
            s.states_held()
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
        assert!(s.states_held() <= STRIPES);
        let spaces = block_on(s.namespaces()).unwrap();
        assert_eq!(spaces.len(), names.len());
    }
}
