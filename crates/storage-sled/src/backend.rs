//! [`SledBackend`]: the [`Backend`] contract on sled's trees.

use crate::group_commit::GroupCommit;
use crate::layout::{entry_key, ns_prefix, order_key, seq_of_order_key, EntryRecord, MetaRecord};
use crate::open::{self, sled_error, Registration};
use crate::options::{Durability, SledOptions};
use async_trait::async_trait;
use sled::transaction::{abort, ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use storage_core::{Backend, Error, Limits, Listing, Op, Result, Usage};

/// Locks striping the namespaces: enough that unrelated namespaces rarely share one.
const STRIPES: usize = 64;

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
    order: sled::Tree,
    meta: sled::Tree,
    registration: Registration,
    _temporary: Option<tempfile::TempDir>,
    durability: Durability,
    commit: GroupCommit,
    /// Serialize each namespace's `apply`, `list`, `clear` and `drop_namespace`, so a listing is
    /// read at one instant; `get` needs none (one key is read atomically).
    stripes: Vec<Mutex<()>>,
}

impl std::fmt::Debug for SledBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SledBackend")
            .field("registration", &self.registration)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

/// Why a write transaction stopped.
enum Stop {
    Refused { before: Usage, after: Usage },
    Failed(Error),
}

impl SledBackend {
    /// Opens the store at `path` in the default, durable mode, creating it if the path does not
    /// exist or is an empty directory.
    ///
    /// Fails, changing nothing, if `path` is not a store (a file, or a directory holding other
    /// things), records a format version this build cannot read, is already open in this
    /// process, or is locked by another process.
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
            order: opened.order,
            meta: opened.meta,
            registration: opened.registration,
            _temporary: temporary,
            durability: options.durability,
            commit: GroupCommit::default(),
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        })
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

    fn stripe(&self, ns: &[u8]) -> MutexGuard<'_, ()> {
        let mut h = DefaultHasher::new();
        ns.hash(&mut h);
        let i = (h.finish() % STRIPES as u64) as usize;
        // Nothing panics while holding a stripe: the guarded data lives in sled.
        self.stripes[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_meta(&self, ns: &[u8]) -> Result<MetaRecord> {
        match self
            .meta
            .get(ns)
            .map_err(|e| sled_error("cannot read usage", e))?
        {
            Some(bytes) => MetaRecord::decode(&bytes),
            None => Ok(MetaRecord::default()),
        }
    }

    /// The `(seq, key)` pairs of `ns` in insertion order. Reads only that namespace's range.
    fn ordered_keys(&self, prefix: &[u8]) -> Result<Vec<(u64, Vec<u8>)>> {
        self.order
            .scan_prefix(prefix)
            .map(|item| {
                let (k, v) = item.map_err(|e| sled_error("cannot list keys", e))?;
                Ok((seq_of_order_key(prefix, &k)?, v.to_vec()))
            })
            .collect()
    }

    /// The raw sled keys of `tree` in the range of `prefix`.
    fn raw_keys(tree: &sled::Tree, prefix: &[u8]) -> Result<Vec<sled::IVec>> {
        tree.scan_prefix(prefix)
            .keys()
            .map(|k| k.map_err(|e| sled_error("cannot list keys", e)))
            .collect()
    }

    /// Removes every entry of `ns` and its usage record, in one transaction.
    ///
    /// Every record in the namespace's ranges goes, without being decoded, so clearing also
    /// gets rid of records damaged on disk.
    fn remove_all(&self, ns: &[u8]) -> Result<()> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let (wrote, generation) = self.commit.commit(|| -> Result<bool> {
            let _guard = self.stripe(ns);
            let entry_keys = Self::raw_keys(&self.entries, &prefix)?;
            let order_keys = Self::raw_keys(&self.order, &prefix)?;
            let had_meta = self
                .meta
                .contains_key(ns)
                .map_err(|e| sled_error("cannot read usage", e))?;
            if entry_keys.is_empty() && order_keys.is_empty() && !had_meta {
                return Ok(false);
            }
            (&self.entries, &self.order, &self.meta)
                .transaction(|(entries, order, meta)| {
                    for key in &entry_keys {
                        entries.remove(key)?;
                    }
                    for key in &order_keys {
                        order.remove(key)?;
                    }
                    meta.remove(ns)?;
                    Ok::<_, ConflictableTransactionError<Error>>(())
                })
                .map_err(|e| match e {
                    TransactionError::Abort(e) => e,
                    TransactionError::Storage(e) => self.stop("cannot clear the namespace", e),
                })?;
            Ok(true)
        });
        if wrote? {
            self.acknowledge(generation)?;
        }
        Ok(())
    }
}

/// The effect of one op inside the write transaction.
fn apply_op(
    entries: &TransactionalTree,
    order: &TransactionalTree,
    prefix: &[u8],
    meta: &mut MetaRecord,
    op: &Op,
) -> std::result::Result<(), ConflictableTransactionError<Stop>> {
    let ekey = entry_key(prefix, op.key());
    let old = match entries.get(&ekey)? {
        Some(bytes) => Some(EntryRecord::decode_header(&bytes).map_err(fail)?),
        None => None,
    };
    if let Some((_, charge)) = old {
        meta.usage.bytes = meta.usage.bytes.saturating_sub(charge);
        meta.usage.entries = meta.usage.entries.saturating_sub(1);
    }
    match op {
        Op::Put { key, value, charge } => {
            let seq = match old {
                Some((seq, _)) => seq,
                None => {
                    let seq = meta.next_seq;
                    meta.next_seq = seq.checked_add(1).ok_or_else(|| {
                        fail(Error::Backend("insertion sequence exhausted".into()))
                    })?;
                    order.insert(order_key(prefix, seq), key.as_slice())?;
                    seq
                }
            };
            entries.insert(ekey, EntryRecord::encode(seq, *charge, value))?;
            meta.usage.bytes = meta.usage.bytes.saturating_add(*charge);
            meta.usage.entries = meta.usage.entries.saturating_add(1);
        }
        Op::Delete { .. } => {
            if let Some((seq, _)) = old {
                entries.remove(ekey)?;
                order.remove(order_key(prefix, seq))?;
            }
        }
    }
    Ok(())
}

fn fail(e: Error) -> ConflictableTransactionError<Stop> {
    ConflictableTransactionError::Abort(Stop::Failed(e))
}

#[async_trait]
impl Backend for SledBackend {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check_healthy()?;
        let ekey = entry_key(&ns_prefix(ns)?, key);
        match self
            .entries
            .get(ekey)
            .map_err(|e| sled_error("cannot read the entry", e))?
        {
            Some(bytes) => Ok(Some(EntryRecord::decode_value(&bytes)?.to_vec())),
            None => Ok(None),
        }
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        if ops.is_empty() {
            return Ok(self.read_meta(ns)?.usage);
        }
        let (outcome, generation) = self.commit.commit(|| {
            let _guard = self.stripe(ns);
            (&self.entries, &self.order, &self.meta).transaction(|(entries, order, meta_tree)| {
                let mut meta = match meta_tree.get(ns)? {
                    Some(bytes) => MetaRecord::decode(&bytes).map_err(fail)?,
                    None => MetaRecord::default(),
                };
                let before = meta.usage;
                for op in ops {
                    apply_op(entries, order, &prefix, &mut meta, op)?;
                }
                if limits.refuses(before, meta.usage) {
                    return abort(Stop::Refused {
                        before,
                        after: meta.usage,
                    });
                }
                if meta.usage.entries == 0 {
                    // An empty namespace keeps nothing, not even its sequence counter (it has
                    // no places to keep), so `namespaces` lists only those holding data.
                    meta_tree.remove(ns)?;
                } else {
                    meta_tree.insert(ns, &meta.encode())?;
                }
                Ok(meta.usage)
            })
        });
        match outcome {
            Ok(usage) => {
                self.acknowledge(generation)?;
                Ok(usage)
            }
            Err(TransactionError::Abort(Stop::Refused { before, after })) => {
                Err(Error::LimitExceeded {
                    before,
                    after,
                    limits,
                })
            }
            Err(TransactionError::Abort(Stop::Failed(e))) => Err(e),
            Err(TransactionError::Storage(e)) => Err(self.stop("cannot write", e)),
        }
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.check_healthy()?;
        let prefix = ns_prefix(ns)?;
        let _guard = self.stripe(ns);
        let keys = self.ordered_keys(&prefix)?;
        let usage = self.read_meta(ns)?.usage;
        Ok(Listing {
            keys: keys.into_iter().map(|(_, k)| k).collect(),
            usage,
        })
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.remove_all(ns)
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        // Nothing of a namespace outlives its entries (see `apply`), so dropping is clearing.
        self.remove_all(ns)
    }

    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.check_healthy()?;
        self.meta
            .iter()
            .map(|item| {
                let (ns, v) = item.map_err(|e| sled_error("cannot list namespaces", e))?;
                Ok((ns.to_vec(), MetaRecord::decode(&v)?.usage))
            })
            .collect()
    }
}
