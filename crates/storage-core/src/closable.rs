//! [`Closable`]: a decorator that lets a host close a store that many handles share.

use crate::backend::{Backend, Limits, Listing, Op, ReadPair, StoredValue, Usage};
use crate::error::{Error, Result};
use crate::write_gate::{Closed, WriteGate};
use async_trait::async_trait;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// A backend that can be closed while handles to it (every [`crate::Store`] made over it) are
/// still alive: after [`close`](Closable::close), each call of each handle fails with
/// [`Error::Closed`] and changes nothing, and the inner backend is released once the calls
/// running at that moment have finished (a durable backend then gives up its files and lock).
///
/// ```
/// use std::sync::Arc;
/// use storage_core::{block_on, Backend, Closable, Error, MemoryBackend};
/// let store = Closable::new(Arc::new(MemoryBackend::new()));
/// assert!(block_on(store.get(b"ns", b"k")).unwrap().is_none());
/// assert!(store.close().is_some());
/// assert_eq!(block_on(store.get(b"ns", b"k")), Err(Error::Closed));
/// assert!(store.close().is_none(), "closing twice is harmless");
/// ```
///
/// Every write also passes a [`WriteGate`], which [`close_writes`](Closable::close_writes)
/// closes while a host operation (a backup) needs the store still, and counts the writes that
/// succeeded ([`changes`](Closable::changes)), which a host watching the store polls.
pub struct Closable {
    inner: RwLock<Option<Arc<dyn Backend>>>,
    gate: WriteGate,
    changes: AtomicU64,
}

impl std::fmt::Debug for Closable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Closable")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Closable {
    /// `inner`, open until [`close`](Closable::close).
    pub fn new(inner: Arc<dyn Backend>) -> Self {
        Closable {
            inner: RwLock::new(Some(inner)),
            gate: WriteGate::default(),
            changes: AtomicU64::new(0),
        }
    }

    /// Resolves once no write is in flight, and keeps every write (of every handle) waiting
    /// until the returned value is dropped: the store below holds one point in time meanwhile.
    /// Reads go on. An async write waits without holding its thread.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use storage_core::{block_on, Closable, MemoryBackend};
    /// let store = Closable::new(Arc::new(MemoryBackend::new()));
    /// let still = block_on(store.close_writes());
    /// assert!(store.write_gate().is_closed());
    /// drop(still);
    /// assert!(!store.write_gate().is_closed());
    /// ```
    pub async fn close_writes(&self) -> Closed<'_> {
        self.gate.close().await
    }

    /// The gate every write passes, for a write made beside the stack (a key rotation) that
    /// must not overlap [`close_writes`](Closable::close_writes).
    pub fn write_gate(&self) -> &WriteGate {
        &self.gate
    }

    /// The inner backend, or [`Error::Closed`]. A call holds its own reference while it runs,
    /// so closing never pulls a backend out from under a call in flight.
    pub fn open_backend(&self) -> Result<Arc<dyn Backend>> {
        // Nothing panics while holding the lock, so a poisoned one still holds a valid state.
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.clone().ok_or(Error::Closed)
    }

    /// Closes the store: later calls fail with [`Error::Closed`]. Returns the inner backend the
    /// first time (the caller may flush it, or simply drop it), `None` after that.
    pub fn close(&self) -> Option<Arc<dyn Backend>> {
        self.inner.write().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// How many writes (`apply`, `clear`, `drop_namespace`) have succeeded through this store so
    /// far: a cheap version a watcher (the storage inspector) compares with the one it last saw,
    /// instead of being called back from inside every write. Counted once the write returned.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use storage_core::{block_on, Backend, Closable, Limits, MemoryBackend, Op};
    /// let store = Closable::new(Arc::new(MemoryBackend::new()));
    /// let put = Op::Put { key: b"k".to_vec(), value: b"v".to_vec(), charge: 2 };
    /// block_on(store.apply(b"ns", &[put.clone()], Limits::NONE)).unwrap();
    /// assert_eq!(store.changes(), 1);
    /// let tight = Limits { max_bytes: 1, max_entries: 1 };
    /// assert!(block_on(store.apply(b"other", &[put], tight)).is_err());
    /// assert_eq!(store.changes(), 1, "a refused write changed nothing");
    /// ```
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Counts `result` as a change if it succeeded.
    fn counted<T>(&self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.changes.fetch_add(1, Ordering::Release);
        }
        result
    }

    /// Whether [`close`](Closable::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_none()
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl Backend for Closable {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.open_backend()?.get(ns, key).await
    }

    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        self.open_backend()?.get_shared(ns, key).await
    }

    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        self.open_backend()?.get_many(pairs).await
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let _inside = self.gate.enter().await;
        self.counted(self.open_backend()?.apply(ns, ops, limits).await)
    }

    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let _inside = self.gate.enter_blocking();
        self.counted(self.open_backend()?.apply_blocking(ns, ops, limits))
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.open_backend()?.list(ns).await
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        let _inside = self.gate.enter().await;
        self.counted(self.open_backend()?.clear(ns).await)
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        let _inside = self.gate.enter().await;
        self.counted(self.open_backend()?.drop_namespace(ns).await)
    }

    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.open_backend()?.namespaces().await
    }
}
