//! [`SledBackend`]: the [`Backend`] contract on sled's entries tree.

use crate::chunks;
use crate::group_commit::GroupCommit;
use crate::known_keys::{KnownKeys, Place};
use crate::layout::{
    after_prefix, chunk_range, chunk_size, entry_key, ns_prefix, split_entry_key, EntryRecord,
    Header, Stored, CHUNK_SPACE,
};
use crate::ns_state::{self, headers, NsState, NsStates};
use crate::open::{self, sled_error, Registration};
use crate::options::{Durability, SledOptions};
use async_trait::async_trait;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
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
    // Field order matters: sled's handles drop first, then the registration (so the path is
    // reopenable only once sled has let go of it), then the temporary directory.
    db: sled::Db,
    entries: sled::Tree,
    registration: Registration,
    _temporary: Option<tempfile::TempDir>,
    durability: Durability,
    commit: GroupCommit,
    /// Serialize each namespace's `apply`, `list`, `clear` and `drop_namespace`, so a listing is
    /// read at one instant, and guard the namespaces' in-memory states. `get` of an inline value
    /// needs none (one key is read atomically); `get` of a chunked value reads under it, so its
    /// record and chunks are of one write.
    stripes: Vec<Mutex<NsStates>>,
    /// How many namespace states one stripe keeps.
    states_per_stripe: usize,
    /// The headers of recently written keys, so a write need not read them (see
    /// `crate::known_keys`); only ever set under the key's namespace's stripe.
    known: KnownKeys,
    /// Values above this many bytes are written in chunks of this size (chosen from the store's
    /// log segment size; reads accept any).
    chunk: usize,
}

impl std::fmt::Debug for SledBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledBackend")
            .field("registration", &self.registration)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
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
    /// process, or is locked by another process. A store of format version 1 or 2 is migrated (see
    /// the [crate docs](crate#on-disk-layout-format-version-3)).
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
        Ok(Self {
            db: opened.db,
            entries: opened.entries,
            registration: opened.registration,
            _temporary: temporary,
            durability: options.durability,
            commit: GroupCommit::default(),
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            states_per_stripe: STATES_PER_STRIPE,
            chunk: chunk_size(opened.segment_size),
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

    /// Writes chunks of `n` bytes from now on (tests use it to write as a build with another
    /// chunk size did).
    #[cfg(test)]
    pub(crate) fn with_chunk_size(mut self, n: usize) -> Self {
        self.chunk = n;
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

    /// The size of the chunks this store writes.
    #[cfg(test)]
    pub(crate) fn chunk_size(&self) -> usize {
        self.chunk
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
        self.make_durable(self.commit.latest())
    }

    /// How many flushes group commit has run since the store was opened: with many concurrent
    /// writers, fewer than the writes they acknowledged.
    pub fn flushes(&self) -> u64 {
        self.commit.flushes()
    }

    /// Every call starts here: once a flush has failed, nothing in memory can be promised to be
    /// on disk, so the store refuses all calls until it is reopened.
    fn check_healthy(&self) -> Result<()> {
        match self.commit.failure() {
            None => Ok(()),
            Some(e) => Err(Error::Backend(format!(
                "the store stopped after a failed write to disk ({e}); reopen it to continue \
                 from what is on disk"
            ))),
        }
    }

    /// sled failed inside a write: its memory may now hold part of the write, so the store stops
    /// (see [`SledBackend::check_healthy`]) and the caller learns why.
    fn stop(&self, doing: &str, e: sled::Error) -> Error {
        let cause = format!("{doing}: {}", open::describe(&e));
        self.commit.fail(cause.clone());
        Error::Backend(format!(
            "{cause}; the store refuses further calls until it is reopened"
        ))
    }

    fn make_durable(&self, generation: u64) -> Result<()> {
        self.commit
            .wait_durable(generation, || {
                self.db.flush().map(drop).map_err(|e| open::describe(&e))
            })
            .map_err(|e| {
                Error::Backend(format!(
                    "writing to disk failed ({e}); the write may or may not have been stored, \
                     and the store refuses further calls until it is reopened"
                ))
            })
    }

    /// After the write committed as `generation`: in durable mode, wait for it to reach the disk.
    fn acknowledge(&self, generation: u64) -> Result<()> {
        match self.durability {
            Durability::Durable => self.make_durable(generation),
            Durability::Buffered => Ok(()),
        }
    }

    fn stripe(&self, ns: &[u8]) -> MutexGuard<'_, NsStates> {
        let i = ns_state::stripe_of(ns, STRIPES);
        // Nothing panics while holding a stripe, and states change only after sled accepted a
        // write, so a poisoned stripe still holds true states.
        self.stripes[i].lock().unwrap_or_else(|e| e.into_inner())
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
    /// writes (one plain insert or remove for a single op on inline values, one atomic batch for
    /// several ops or when chunks are written or removed), and only then updates the state and
    /// the known headers.
    fn write(&self, ns: &[u8], prefix: &[u8], ops: &[Op], limits: Limits) -> Result<Wrote> {
        let mut stripe = self.stripe(ns);
        let state = stripe.get_or_load(ns, self.states_per_stripe, || {
            self.scan_state(prefix, |e| self.stop("cannot read the namespace", e))
        })?;
        let before = *state;
        let refused = |after: NsState| Error::LimitExceeded {
            before: before.usage,
            after: after.usage,
            limits,
        };
        if let [op] = ops {
            let ekey = entry_key(prefix, op.key());
            let (old, place) = self.header(&ekey)?;
            let (after, seq) = before.after(old.map(|h| (h.seq, h.charge)), op)?;
            if limits.refuses(before.usage, after.usage) {
                return Err(refused(after));
            }
            let new = replacement(op, seq);
            let old_chunks = old.map_or(0, |h| h.chunks);
            let header = match new {
                None if old.is_none() => {
                    self.known.set(&ekey, None, place);
                    return Ok(Wrote::Nothing(after.usage));
                }
                // Inline values, old and new: one plain insert or remove.
                Some((seq, charge, value)) if old_chunks == 0 && value.len() <= self.chunk => {
                    let record = EntryRecord::encode(seq, charge, value);
                    self.entries
                        .insert(&ekey, record)
                        .map_err(|e| self.stop_writing(&[&ekey], e))?;
                    Some(Header {
                        seq,
                        charge,
                        chunks: 0,
                    })
                }
                None if old_chunks == 0 => {
                    self.entries
                        .remove(&ekey)
                        .map_err(|e| self.stop_writing(&[&ekey], e))?;
                    None
                }
                // Chunks written or removed: the record and its chunks in one atomic batch.
                _ => {
                    let mut batch = sled::Batch::default();
                    let header = chunks::stage(&mut batch, &ekey, old_chunks, new, self.chunk)?;
                    self.entries
                        .apply_batch(batch)
                        .map_err(|e| self.stop_writing(&[&ekey], e))?;
                    header
                }
            };
            self.known.set(&ekey, header, place);
            *state = after;
            return Ok(Wrote::Changed(after.usage));
        }
        // Several ops: what each key holds as the batch goes (absent: as stored).
        let mut pending: HashMap<Vec<u8>, Option<Header>> = HashMap::new();
        let mut batch = sled::Batch::default();
        let mut changed = false;
        let mut after = before;
        for op in ops {
            let ekey = entry_key(prefix, op.key());
            let old = match pending.get(&ekey) {
                Some(header) => *header,
                None => self.header(&ekey)?.0,
            };
            let (next, seq) = after.after(old.map(|h| (h.seq, h.charge)), op)?;
            after = next;
            let new = replacement(op, seq);
            if new.is_none() && old.is_none() {
                pending.insert(ekey, None);
                continue;
            }
            // Each op removes the chunks of the version before it (on disk or earlier in the
            // batch) beyond its own, so the batch leaves exactly the last version's chunks.
            let old_chunks = old.map_or(0, |h| h.chunks);
            let header = chunks::stage(&mut batch, &ekey, old_chunks, new, self.chunk)?;
            pending.insert(ekey, header);
            changed = true;
        }
        if limits.refuses(before.usage, after.usage) {
            return Err(refused(after));
        }
        if !changed {
            // Only deletes of absent keys: that they hold nothing is worth keeping.
            self.known
                .set_all(pending.iter().map(|(ekey, h)| (ekey.as_slice(), *h)));
            return Ok(Wrote::Nothing(after.usage));
        }
        if let Err(e) = self.entries.apply_batch(batch) {
            let ekeys: Vec<&[u8]> = pending.keys().map(Vec::as_slice).collect();
            return Err(self.stop_writing(&ekeys, e));
        }
        self.known
            .set_all(pending.iter().map(|(ekey, h)| (ekey.as_slice(), *h)));
        *state = after;
        Ok(Wrote::Changed(after.usage))
    }

    /// sled failed writing the entries `ekeys`: forget what was known of them (sled's memory
    /// may hold part of the write) and stop the store.
    fn stop_writing(&self, ekeys: &[&[u8]], e: sled::Error) -> Error {
        self.known.forget(ekeys.iter().copied());
        self.stop("cannot write", e)
    }

    /// Removes every entry of `ns` in one atomic batch, and forgets its state and its keys'
    /// headers.
    ///
    /// Every record in the namespace's range goes, without being decoded, and every chunk in its
    /// chunk range, so clearing also gets rid of records and chunks damaged on disk. Every key
    /// known in memory holds a record on disk (or is known to hold none, which stays true), so
    /// forgetting the keys of the range's records forgets every header of the namespace.
    fn remove_all(&self, ns: &[u8]) -> Result<()> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (wrote, generation) = self.commit.commit(|| -> Result<bool> {
            let mut stripe = self.stripe(ns);
            let mut batch = sled::Batch::default();
            let mut records = Vec::new();
            let mut any = false;
            let chunks = chunk_range(&prefix);
            for key in self.entries.scan_prefix(&prefix).keys() {
                let key = key.map_err(|e| sled_error("cannot list keys", e))?;
                batch.remove(key.clone());
                records.push(key);
            }
            for key in self.entries.scan_prefix(&chunks).keys() {
                batch.remove(key.map_err(|e| sled_error("cannot list keys", e))?);
                any = true;
            }
            any |= !records.is_empty();
            // Forgotten first: if sled fails below, nothing stale is left either.
            self.known.forget(records.iter().map(|k| k.as_ref()));
            if any {
                self.entries
                    .apply_batch(batch)
                    .map_err(|e| self.stop("cannot clear the namespace", e))?;
            }
            // An empty namespace needs no state: it is rebuilt (empty) on next use.
            stripe.forget(ns);
            Ok(any)
        });
        if wrote? {
            self.acknowledge(generation)?;
        }
        Ok(())
    }
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
        let ekey = entry_key(&ns_prefix(ns)?, key);
        let read = |e| sled_error("cannot read the entry", e);
        let Some(record) = self.entries.get(&ekey).map_err(read)? else {
            return Ok(None);
        };
        if let (_, _, Stored::Inline(value)) = EntryRecord::decode(&record)? {
            return Ok(Some(value.to_vec()));
        }
        // A chunked value: read its record again and its chunks under the namespace's stripe,
        // which every write of the namespace holds, so they are all of one write.
        let _stripe = self.stripe(ns);
        match self.entries.get(&ekey).map_err(read)? {
            Some(record) => chunks::read_value(&self.entries, &ekey, &record, read).map(Some),
            None => Ok(None),
        }
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (outcome, generation) = self.commit.commit(|| self.write(ns, &prefix, ops, limits));
        match outcome? {
            Wrote::Nothing(usage) => Ok(usage),
            Wrote::Changed(usage) => {
                self.acknowledge(generation)?;
                Ok(usage)
            }
        }
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let mut stripe = self.stripe(ns);
        let mut entries = Vec::new();
        for item in self.entries.scan_prefix(&prefix) {
            let (k, v) = item.map_err(|e| sled_error("cannot list keys", e))?;
            let (seq, charge) = EntryRecord::decode_seq_charge(&v)?;
            entries.push((seq, charge, k));
        }
        let state = NsState::of(entries.iter().map(|&(seq, charge, _)| Ok((seq, charge))))?;
        // The listing read the whole range: keep what it learned (it equals any state held).
        *stripe.get_or_load(ns, self.states_per_stripe, || Ok(state))? = state;
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
        self.remove_all(ns)
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        // Nothing of a namespace is stored outside its entries, so dropping is clearing.
        self.remove_all(ns)
    }

    /// Walks the whole entries tree: its cost grows with the store (every entry's header is
    /// read, except in namespaces whose state is in memory, which are skipped). A host or admin
    /// call, not one for the hot path.
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.check_healthy()?;
        let mut out = Vec::new();
        let mut from: Vec<u8> = Vec::new();
        // Namespace ranges end where the chunk space begins.
        while from.as_slice() < &CHUNK_SPACE[..] {
            let first = self
                .entries
                .range(from.clone()..CHUNK_SPACE.to_vec())
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
