//! What the integration tests share: keys, a raw view of the inner backend, a fixture store and
//! a fault-injecting backend.

#![allow(dead_code)] // each test file uses part of this

use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use storage_core::{block_on, Backend, Error, Limits, Listing, MemoryBackend, Op, Result, Usage};
use storage_crypto::{EncryptedBackend, RawKeyProvider};

pub type Raw = Arc<MemoryBackend>;

pub fn key(b: u8) -> RawKeyProvider {
    RawKeyProvider::new([b; 32])
}

pub fn open<B: Backend>(inner: B, provider: &RawKeyProvider) -> Result<EncryptedBackend<B>> {
    block_on(EncryptedBackend::open(inner, provider))
}

pub fn put(key: &[u8], value: &[u8]) -> Op {
    Op::Put {
        key: key.to_vec(),
        value: value.to_vec(),
        charge: (key.len() + value.len()) as u64,
    }
}

/// Every record of a backend: (namespace, key, value), namespaces and keys sorted.
pub fn dump<B: Backend>(b: &B) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    block_on(async {
        let mut namespaces: Vec<_> = b.namespaces().await.unwrap();
        namespaces.sort();
        let mut out = Vec::new();
        for (ns, _) in namespaces {
            for key in b.list(&ns).await.unwrap().keys {
                let value = b.get(&ns, &key).await.unwrap().unwrap();
                out.push((ns.clone(), key, value));
            }
        }
        out
    })
}

/// The inner data namespaces (neither the keyring nor a key claim), in no particular order.
pub fn raw_data_namespaces(raw: &MemoryBackend) -> Vec<Vec<u8>> {
    block_on(raw.namespaces())
        .unwrap()
        .into_iter()
        .map(|(ns, _)| ns)
        .filter(|ns| ns.len() == 33 && ns[0] == b'd')
        .collect()
}

/// A namespace and its entries (key, value).
pub type NamespaceEntries = (&'static [u8], &'static [(&'static [u8], &'static [u8])]);

/// The plaintext namespaces and entries every fixture holds.
pub const ENTRIES: &[NamespaceEntries] = &[
    (
        b"ns-a",
        &[(b"k1", b"value one"), (b"k2", b"value two"), (b"k3", b"")],
    ),
    (b"ns-b", &[(b"k1", b"b one"), (b"k2", b"b two")]),
    (b"ns-c", &[(b"only", b"c only")]),
];

/// An encrypted store over a shared memory backend holding [`ENTRIES`], and where each
/// namespace and key went in the inner backend.
pub struct Fixture {
    pub enc: EncryptedBackend<Raw>,
    pub raw: Raw,
    /// Per namespace of `ENTRIES`, in order: its inner namespace and its entries' inner keys
    /// (in the order written, which is the order of `ENTRIES`).
    pub inner: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
}

impl Fixture {
    pub fn new() -> Self {
        let raw: Raw = Arc::default();
        let enc = open(Arc::clone(&raw), &key(1)).unwrap();
        let mut inner = Vec::new();
        for (ns, entries) in ENTRIES {
            let before = raw_data_namespaces(&raw);
            for (k, v) in *entries {
                block_on(enc.apply(ns, &[put(k, v)], Limits::NONE)).unwrap();
            }
            let inner_ns = raw_data_namespaces(&raw)
                .into_iter()
                .find(|n| !before.contains(n))
                .unwrap();
            let keys = block_on(raw.list(&inner_ns)).unwrap().keys;
            assert_eq!(keys.len(), entries.len());
            inner.push((inner_ns, keys));
        }
        Fixture { enc, raw, inner }
    }

    /// The inner (namespace, key) of entry `e` of namespace `n` of `ENTRIES`.
    pub fn slot(&self, n: usize, e: usize) -> (Vec<u8>, Vec<u8>) {
        (self.inner[n].0.clone(), self.inner[n].1[e].clone())
    }

    pub fn raw_get(&self, (ns, key): &(Vec<u8>, Vec<u8>)) -> Vec<u8> {
        block_on(self.raw.get(ns, key)).unwrap().unwrap()
    }

    pub fn raw_put(&self, (ns, key): &(Vec<u8>, Vec<u8>), value: &[u8]) {
        block_on(self.raw.apply(ns, &[put(key, value)], Limits::NONE)).unwrap();
    }

    /// Reads every entry of `ENTRIES` through `enc`: `Ok(value)` or the error, per entry.
    pub fn read_all<B: Backend>(enc: &B) -> Vec<Result<Option<Vec<u8>>>> {
        ENTRIES
            .iter()
            .flat_map(|(ns, entries)| entries.iter().map(move |(k, _)| block_on(enc.get(ns, k))))
            .collect()
    }

    /// What [`read_all`](Self::read_all) gives when nothing was touched.
    pub fn expected() -> Vec<Result<Option<Vec<u8>>>> {
        ENTRIES
            .iter()
            .flat_map(|(_, entries)| entries.iter().map(|(_, v)| Ok(Some(v.to_vec()))))
            .collect()
    }

    /// The index in [`read_all`](Self::read_all) of entry `e` of namespace `n`.
    pub fn index(n: usize, e: usize) -> usize {
        ENTRIES[..n].iter().map(|(_, es)| es.len()).sum::<usize>() + e
    }
}

/// Whether `r` is [`Error::Corrupt`].
pub fn is_corrupt<T>(r: &Result<T>) -> bool {
    matches!(r, Err(Error::Corrupt(_)))
}

/// A backend that fails its `fail_at`-th call (counting from 0, every method counts) with
/// [`Error::Backend`]; when `dies` is set it also fails every call after that one, like a
/// process killed at that instant (the inner backend keeps exactly what was written before).
pub struct Faulty<B> {
    inner: B,
    calls: AtomicU64,
    fail_at: AtomicU64,
    dies: AtomicBool,
}

impl<B> Faulty<B> {
    /// A wrapper that never fails until [`arm`](Self::arm)ed.
    pub fn new(inner: B) -> Self {
        Faulty {
            inner,
            calls: AtomicU64::new(0),
            fail_at: AtomicU64::new(u64::MAX),
            dies: AtomicBool::new(false),
        }
    }

    /// Fails the `n`-th call from now (and every later one if `dies`).
    pub fn arm(&self, n: u64, dies: bool) {
        self.calls.store(0, Ordering::SeqCst);
        self.dies.store(dies, Ordering::SeqCst);
        self.fail_at.store(n, Ordering::SeqCst);
    }

    /// Calls made since [`arm`](Self::arm).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    fn check(&self) -> Result<()> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let fail_at = self.fail_at.load(Ordering::SeqCst);
        if call == fail_at || (call > fail_at && self.dies.load(Ordering::SeqCst)) {
            return Err(Error::Backend(format!("injected fault at call {call}")));
        }
        Ok(())
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for Faulty<B> {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.check()?;
        self.inner.get(ns, key).await
    }
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<storage_core::StoredValue>> {
        self.check()?;
        self.inner.get_shared(ns, key).await
    }
    async fn get_many(
        &self,
        pairs: &[storage_core::ReadPair<'_>],
    ) -> Result<Vec<Option<storage_core::StoredValue>>> {
        self.check()?;
        self.inner.get_many(pairs).await
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.check()?;
        self.inner.apply(ns, ops, limits).await
    }
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        self.check()?;
        self.inner.apply_blocking(ns, ops, limits)
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.check()?;
        self.inner.list(ns).await
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.check()?;
        self.inner.clear(ns).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.check()?;
        self.inner.drop_namespace(ns).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.check()?;
        self.inner.namespaces().await
    }
}
