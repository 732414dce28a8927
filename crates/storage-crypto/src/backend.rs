//! [`EncryptedBackend`]: the decorator itself.

use crate::cache::Bounded;
use crate::keys::{DataKey, Head, Kek, RootKey, Tag, Tagger};
use crate::layout::{
    claim_ns, data_ns, is_claim, parse_data_ns, wrap_key, HEAD, HEAD_CLAIM, KEYRING, ROTATING,
};
use crate::provider::KeyProvider;
use crate::records::NamespaceKeys;
use async_lock::{Mutex, RwLock};
use async_trait::async_trait;
use std::sync::Arc;
use storage_core::{buffers, Backend, Error, Limits, Listing, Op, ReadPair, Result, Usage};

/// Whether `err` is [`EncryptedBackend::open`]'s report of a wrong master key (as opposed to a
/// damaged store or a failing backend).
pub fn is_wrong_master_key(err: &Error) -> bool {
    matches!(err, Error::WrongMasterKey(_))
}

/// Encryption at rest for any [`Backend`]: a backend that seals every key name and value before
/// handing it to `B`, and opens and authenticates everything it reads back.
///
/// - **Key names** are sealed with AES-SIV without a nonce (deterministic, so a lookup seals the
///   name and asks `B` for it), under the namespace's own data key, with the namespace bound in.
/// - **Values** are sealed with AES-PMAC-SIV (under a key of their own) and a fresh random
///   nonce, with the namespace and the key name as associated data: a record moved to another key
///   or namespace, altered or truncated, reads as [`Error::Corrupt`], never as data. Values
///   written before (AES-SIV, format 1) still read; an overwrite seals them anew.
/// - **Namespaces** are named in `B` by a keyed hash (HMAC-SHA256), so no user or app id reaches
///   it; their plaintext bytes are kept inside the wrapped data key, so
///   [`namespaces`](Backend::namespaces) still answers with them.
/// - **Memory**: each namespace's keys (with their ciphers expanded) and the sealed forms of
///   its key names are cached, within [`CacheSizes`]; a dropped namespace leaves nothing there.
/// - **Sizes** pass through: every [`Op::Put`] keeps its `charge`, so quotas count plaintext
///   sizes and usage is exactly what `B` reports.
/// - **Keys**: each namespace has a random data key, stored in `B` wrapped by a key derived from
///   the master key ([`KeyProvider`]); [`rotate`](Self::rotate) re-wraps them without touching a
///   value; [`drop_namespace`](Backend::drop_namespace) destroys the namespace's key
///   (crypto-shredding). See `docs/security.md` for the threat model.
///
/// The decorator owns `B`'s whole namespace space: `B` must hold nothing else. Several
/// processes may each open an `EncryptedBackend` over the same `B` (app servers over one Redis
/// Cluster): opening a fresh store and creating a namespace's key are claimed atomically in `B`,
/// so they all agree on every key. [`drop_namespace`](Backend::drop_namespace) and
/// [`rotate`](Self::rotate) change keys the others keep in memory: run them while no other
/// process uses `B` (and reopen the others after a rotation).
///
/// ```
/// use storage_core::{block_on, Backend, Limits, MemoryBackend, Op};
/// use storage_crypto::{EncryptedBackend, RawKeyProvider};
/// let key = RawKeyProvider::new([42; 32]);
/// block_on(async {
///     let store = EncryptedBackend::open(MemoryBackend::new(), &key).await.unwrap();
///     let put = Op::Put { key: b"city".to_vec(), value: b"Hangzhou".to_vec(), charge: 12 };
///     let usage = store.apply(b"ns", &[put], Limits::NONE).await.unwrap();
///     assert_eq!(usage.bytes, 12); // the plaintext charge, not the ciphertext's size
///     assert_eq!(store.get(b"ns", b"city").await.unwrap(), Some(b"Hangzhou".to_vec()));
///     // The inner backend sees neither the name nor the value.
///     let raw = store.inner().namespaces().await.unwrap();
///     assert!(raw.iter().all(|(ns, _)| ns != b"ns"));
/// });
/// ```
pub struct EncryptedBackend<B> {
    pub(crate) inner: B,
    pub(crate) root: RootKey,
    tagger: Tagger,
    /// The current generation's key. Every call reads it; only `drop_namespace` and `rotate`
    /// write it (the latter to replace it), which also keeps them exclusive of every other call.
    pub(crate) state: RwLock<Kek>,
    /// Unwrapped namespace keys (with their tag), by plaintext namespace: at most
    /// [`CacheSizes::namespaces`].
    spaces: Bounded<Vec<u8>, Arc<NamespaceKeys>>,
    /// Sealed key names, by tag ‖ plaintext name: at most [`CacheSizes::names`], of names at most
    /// [`MAX_CACHED_NAME`] bytes long. Sealing is deterministic, so a cached name is exactly
    /// what sealing it again would give, as long as the namespace keeps its key: every entry of
    /// a namespace goes when it is dropped.
    names: Bounded<Box<[u8]>, Arc<[u8]>>,
    /// Serializes the creation of namespace keys, so two first writes agree on one key.
    creating: Mutex<()>,
}

impl<B> std::fmt::Debug for EncryptedBackend<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptedBackend").finish_non_exhaustive()
    }
}

/// How many keyring records one atomic write of rotation or cleanup carries.
pub(crate) const BATCH: usize = 256;

/// The longest key name (in bytes) whose sealed form is cached; longer names are sealed on every
/// call.
pub const MAX_CACHED_NAME: usize = 64;

/// How much an [`EncryptedBackend`] keeps in memory so that a call on a warm namespace does no
/// key unwrapping, no HMAC and no sealing of the key name: bounds, in entries, of its two
/// caches. Each is split into shards with their own locks; a full shard evicts an entry not
/// used lately. Both are emptied of a namespace when it is dropped.
///
///
/// Bounds may be added, so the struct is `#[non_exhaustive]`: build it from
/// [`CacheSizes::default`] with its chainable setters, one per field; the fields stay readable.
///
/// ```
/// use storage_crypto::CacheSizes;
/// let sizes = CacheSizes::default();
/// assert_eq!((sizes.namespaces, sizes.names), (4096, 65_536));
/// let small = CacheSizes::default().namespaces(16).names(256);
/// assert_eq!((small.namespaces, small.names), (16, 256));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct CacheSizes {
    /// Namespaces whose unwrapped keys (with their expanded ciphers) stay in memory: about
    /// 2.9 KiB each (3.9 KiB once a value of the older format was read there) plus the
    /// namespace's bytes. Beyond it, a namespace's keys are unwrapped again (one read of the
    /// keyring) when it is next used. 0 keeps none.
    pub namespaces: usize,
    /// Sealed key names kept, by namespace and name, for names of at most
    /// [`MAX_CACHED_NAME`] bytes: at most about 280 bytes each (the namespace's tag, the name
    /// and its sealed form, and the map's own overhead). 0 keeps none.
    pub names: usize,
}

impl Default for CacheSizes {
    /// 4,096 namespaces and 65,536 names: at most about 12 MiB (16 MiB) + 18 MiB.
    fn default() -> Self {
        CacheSizes {
            namespaces: 4096,
            names: 65_536,
        }
    }
}

impl CacheSizes {
    /// Sets `namespaces`, how many namespaces' keys stay in memory; 4,096 by default.
    #[must_use]
    pub fn namespaces(mut self, namespaces: usize) -> Self {
        self.namespaces = namespaces;
        self
    }

    /// Sets `names`, how many sealed key names stay in memory; 65,536 by default.
    #[must_use]
    pub fn names(mut self, names: usize) -> Self {
        self.names = names;
        self
    }
}

impl<B: Backend> EncryptedBackend<B> {
    /// Opens the encrypted store kept in `inner` with the master key of `provider`, creating it
    /// if `inner` is empty.
    ///
    /// A wrong master key fails here, before anything is written, with an
    /// [`Error::WrongMasterKey`] (see [`is_wrong_master_key`]). A store whose key record
    /// is missing while `inner` holds data, or is damaged, fails with [`Error::Corrupt`].
    ///
    /// After the key check, if a [`rotate`](Self::rotate) was interrupted, the keyring records it
    /// left behind are removed.
    pub async fn open(inner: B, provider: &dyn KeyProvider) -> Result<Self> {
        Self::open_with(inner, provider, CacheSizes::default()).await
    }

    /// [`open`](Self::open), keeping at most `sizes` in memory.
    pub async fn open_with(
        inner: B,
        provider: &dyn KeyProvider,
        sizes: CacheSizes,
    ) -> Result<Self> {
        let (kek, root) = match inner.get(KEYRING, HEAD).await? {
            Some(record) => open_head(&record, provider)?,
            None if inner
                .namespaces()
                .await?
                .iter()
                .any(|(ns, _)| !is_claim(ns)) =>
            {
                // Another process may have created the store, and written to it, since the
                // head was looked for.
                match inner.get(KEYRING, HEAD).await? {
                    Some(record) => open_head(&record, provider)?,
                    None => {
                        return Err(Error::Corrupt(
                            "the backend holds data but no key check record: it was not \
                             written by storage-crypto, or its keyring was lost"
                                .into(),
                        ))
                    }
                }
            }
            None => {
                // Another process may be creating the store at this moment: the first head
                // claimed is the store's, and every process opens that one.
                let master = provider.master_key()?;
                let (kek, root) = (Kek::new(&master, 0)?, RootKey::random()?);
                let head = claim(&inner, HEAD_CLAIM, kek.seal_head(&root)?).await?;
                let put = Op::Put {
                    key: HEAD.to_vec(),
                    value: head.clone(),
                    charge: 0,
                };
                inner.apply(KEYRING, &[put], Limits::NONE).await?;
                Head::parse(&head)
                    .and_then(|head| head.open(&master))
                    .ok_or_else(|| {
                        Error::WrongMasterKey(
                            "another process created this store with another master key at the \
                             same moment"
                                .into(),
                        )
                    })?
            }
        };
        let generation = kek.generation;
        let backend = EncryptedBackend {
            inner,
            tagger: root.tagger(),
            root,
            state: RwLock::new(kek),
            spaces: Bounded::with_bound(sizes.namespaces),
            names: Bounded::with_bound(sizes.names),
            creating: Mutex::new(()),
        };
        if backend.inner.get(KEYRING, ROTATING).await?.is_some() {
            backend.finish_rotation(generation).await?;
        }
        Ok(backend)
    }

    /// The backend underneath, which holds only sealed bytes.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// How many entries its caches hold now (never more than the [`CacheSizes`] it was opened
    /// with).
    pub fn cached(&self) -> CacheSizes {
        CacheSizes {
            namespaces: self.spaces.len(),
            names: self.names.len(),
        }
    }

    /// The data key and plaintext bytes of the namespace with `tag`, unwrapped from the keyring,
    /// or `None` if it has none (never written, or dropped).
    async fn unwrap(&self, kek: &Kek, tag: &Tag) -> Result<Option<(DataKey, Vec<u8>)>> {
        let Some(record) = self
            .inner
            .get(KEYRING, &wrap_key(kek.generation, tag))
            .await?
        else {
            return Ok(None);
        };
        self.open_wrap(kek, tag, &record).map(Some)
    }

    /// The data key and plaintext bytes of the namespace with `tag`, from its keyring `record`.
    fn open_wrap(&self, kek: &Kek, tag: &Tag, record: &[u8]) -> Result<(DataKey, Vec<u8>)> {
        let (data, ns) = kek.unwrap(tag, record)?;
        if self.tagger.tag(&ns) != *tag {
            return Err(Error::Corrupt(
                "a namespace key record belongs to another namespace".into(),
            ));
        }
        Ok((data, ns))
    }

    /// The keys of `ns` (whose tag is `tag`), from memory or from the keyring, or `None` if it
    /// has none.
    async fn keys(&self, kek: &Kek, ns: &[u8], tag: &Tag) -> Result<Option<Arc<NamespaceKeys>>> {
        if let Some(keys) = self.spaces.get(ns) {
            return Ok(Some(keys));
        }
        let Some((data, _)) = self.unwrap(kek, tag).await? else {
            return Ok(None);
        };
        Ok(Some(self.remember(ns, *tag, &data)))
    }

    fn remember(&self, ns: &[u8], tag: Tag, data: &DataKey) -> Arc<NamespaceKeys> {
        let keys = Arc::new(NamespaceKeys::new(tag, data));
        self.spaces.insert(ns.to_vec(), Arc::clone(&keys));
        keys
    }

    /// The keys of `ns`, made and stored (wrapped) if it has none yet.
    async fn keys_or_create(&self, kek: &Kek, ns: &[u8]) -> Result<Arc<NamespaceKeys>> {
        if let Some(keys) = self.spaces.get(ns) {
            return Ok(keys);
        }
        let tag = self.tagger.tag(ns);
        if let Some(keys) = self.keys(kek, ns, &tag).await? {
            return Ok(keys);
        }
        let _one_at_a_time = self.creating.lock().await;
        if let Some(keys) = self.keys(kek, ns, &tag).await? {
            return Ok(keys);
        }
        // Other processes sharing the backend may be creating it too: the first candidate
        // claimed is the namespace's key, whoever made it.
        let candidate = kek.wrap(&tag, &DataKey::random()?, ns)?;
        let wrapped = claim(&self.inner, &claim_ns(kek.generation, &tag), candidate).await?;
        let (data, _) = kek.unwrap(&tag, &wrapped)?;
        let put = Op::Put {
            key: wrap_key(kek.generation, &tag),
            value: wrapped,
            charge: 0,
        };
        self.inner.apply(KEYRING, &[put], Limits::NONE).await?;
        Ok(self.remember(ns, tag, &data))
    }

    /// The tag of `ns` and its keys, for a call that does not create them: no keys when it has
    /// none and holds nothing.
    ///
    /// Records without a key could only be a dropped namespace's, restored: they read as corrupt
    /// rather than as absent. But a namespace's first write stores its key before its data, so
    /// records found after "no key" may be a first write that landed in between: look again.
    async fn keys_if_any(&self, kek: &Kek, ns: &[u8]) -> Result<(Tag, Option<Arc<NamespaceKeys>>)> {
        if let Some(keys) = self.spaces.get(ns) {
            return Ok((keys.tag, Some(keys)));
        }
        let tag = self.tagger.tag(ns);
        if let Some(keys) = self.keys(kek, ns, &tag).await? {
            return Ok((tag, Some(keys)));
        }
        Ok((tag, self.keys_after_none(kek, ns, &tag).await?))
    }

    /// [`keys_if_any`](Self::keys_if_any) once the keyring had no key for `ns`: none if it holds
    /// nothing, else its key written meanwhile, else corrupt.
    async fn keys_after_none(
        &self,
        kek: &Kek,
        ns: &[u8],
        tag: &Tag,
    ) -> Result<Option<Arc<NamespaceKeys>>> {
        if self.inner.list(&data_ns(tag)).await?.keys.is_empty() {
            return Ok(None);
        }
        match self.keys(kek, ns, tag).await? {
            Some(keys) => Ok(Some(keys)),
            None => Err(Error::Corrupt(
                "the namespace holds records but has no key (it was dropped, so they cannot be \
                 decrypted)"
                    .into(),
            )),
        }
    }

    /// The tag of `ns`: from memory when its keys are there.
    fn tag(&self, ns: &[u8]) -> Tag {
        match self.spaces.get(ns) {
            Some(keys) => keys.tag,
            None => self.tagger.tag(ns),
        }
    }

    /// `key` as the namespace of `keys` stores it, sealed, from memory when it was sealed before.
    fn sealed_name(&self, keys: &NamespaceKeys, key: &[u8]) -> Result<Arc<[u8]>> {
        self.sealed_name_as(keys, key, Arc::clone, |sealed| sealed.into())
    }

    /// [`sealed_name`](Self::sealed_name) as a vector of its own (an [`Op`]'s key): copied from
    /// the cache under its lock, without taking a reference to the cached name.
    fn sealed_name_vec(&self, keys: &NamespaceKeys, key: &[u8]) -> Result<Vec<u8>> {
        let copy = |sealed: &Arc<[u8]>| {
            let mut buf = buffers::take(sealed.len());
            buf.extend_from_slice(sealed);
            buf
        };
        self.sealed_name_as(keys, key, copy, |sealed| sealed)
    }

    /// The sealed form of `key`, as `cached` makes it from a cached name or `fresh` from a name
    /// sealed now (which is cached, if short enough).
    fn sealed_name_as<R>(
        &self,
        keys: &NamespaceKeys,
        key: &[u8],
        cached: impl FnOnce(&Arc<[u8]>) -> R,
        fresh: impl FnOnce(Vec<u8>) -> R,
    ) -> Result<R> {
        if key.len() > MAX_CACHED_NAME {
            return keys.seal_name(key).map(fresh);
        }
        let mut buf = [0u8; 32 + MAX_CACHED_NAME];
        buf[..32].copy_from_slice(&keys.tag);
        buf[32..32 + key.len()].copy_from_slice(key);
        let id = &buf[..32 + key.len()];
        if let Some(sealed) = self.names.get(id) {
            return Ok(cached(&sealed));
        }
        let sealed = keys.seal_name(key)?;
        self.names.insert(id.into(), Arc::from(&sealed[..]));
        Ok(fresh(sealed))
    }

    /// `ops` as the inner backend stores them in the namespace of `keys`.
    fn seal_ops(&self, keys: &NamespaceKeys, ops: &[Op]) -> Result<Sealed> {
        Ok(match ops {
            [op] => Sealed::One([self.seal_op(keys, op)?]),
            _ => Sealed::Many(
                ops.iter()
                    .map(|op| self.seal_op(keys, op))
                    .collect::<Result<_>>()?,
            ),
        })
    }

    /// `op` as the inner backend stores it in the namespace of `keys`.
    fn seal_op(&self, keys: &NamespaceKeys, op: &Op) -> Result<Op> {
        Ok(match op {
            Op::Put { key, value, charge } => Op::Put {
                key: self.sealed_name_vec(keys, key)?,
                value: keys.seal_value(key, value)?,
                charge: *charge,
            },
            Op::Delete { key } => Op::Delete {
                key: self.sealed_name_vec(keys, key)?,
            },
        })
    }

    /// Forgets everything held in memory for the namespace `ns` with `tag`: its keys and its
    /// sealed names (dropped, so wiped).
    fn forget(&self, ns: &[u8], tag: &Tag) {
        self.spaces.remove(ns);
        self.names.retain(|id| !id.starts_with(tag));
    }
}

/// Ops sealed for the inner backend: one held inline (every set), or a batch.
enum Sealed {
    One([Op; 1]),
    Many(Vec<Op>),
}

impl Sealed {
    fn ops(&self) -> &[Op] {
        match self {
            Sealed::One(op) => op,
            Sealed::Many(ops) => ops,
        }
    }

    /// Gives the sealed buffers back, once the inner backend is done with them.
    fn give_back(self) {
        match self {
            Sealed::One(op) => buffers::give_ops(op),
            Sealed::Many(ops) => buffers::give_ops(ops),
        }
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for EncryptedBackend<B> {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        let kek = self.state.read().await;
        let Some(keys) = self.keys_if_any(&kek, ns).await?.1 else {
            return Ok(None);
        };
        let name = self.sealed_name(&keys, key)?;
        match self.inner.get(&keys.data_ns, &name).await? {
            None => Ok(None),
            Some(sealed) => keys.open_value(key, &sealed).map(Some),
        }
    }

    /// Through [`get`](Backend::get): the bytes underneath are sealed, so the inner handle is of
    /// no use; the plaintext is wrapped in a fresh one (the trait's default).
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<storage_core::StoredValue>> {
        Ok(self
            .get(ns, key)
            .await?
            .map(storage_core::StoredValue::from))
    }

    /// The namespaces' keys it lacks in one batch of the keyring, then every pair in one batch
    /// of the backend beneath (see `backend/many.rs`).
    async fn get_many(
        &self,
        pairs: &[ReadPair<'_>],
    ) -> Result<Vec<Option<storage_core::StoredValue>>> {
        self.read_many(pairs).await
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let kek = self.state.read().await;
        let (tag, keys) = if ops.iter().any(|op| matches!(op, Op::Put { .. })) {
            let keys = self.keys_or_create(&kek, ns).await?;
            (keys.tag, Some(keys))
        } else {
            self.keys_if_any(&kek, ns).await?
        };
        let Some(keys) = keys else {
            // Only deletes, in a namespace that holds nothing: they change nothing.
            return self.inner.apply(&data_ns(&tag), &[], limits).await;
        };
        let sealed = self.seal_ops(&keys, ops)?;
        let result = self.inner.apply(&keys.data_ns, sealed.ops(), limits).await;
        sealed.give_back();
        result
    }

    /// On this thread when the namespace's keys are in memory (any namespace written or read
    /// lately); otherwise they may have to be read or made through the inner backend, and the
    /// whole write goes through [`apply`](Backend::apply).
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let kek = self.state.read_blocking();
        let Some(keys) = self.spaces.get(ns) else {
            drop(kek);
            return storage_core::block_on(self.apply(ns, ops, limits));
        };
        // What `apply` does with keys from memory.
        let sealed = self.seal_ops(&keys, ops)?;
        let result = (self.inner).apply_blocking(&keys.data_ns, sealed.ops(), limits);
        sealed.give_back();
        result
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        let kek = self.state.read().await;
        let Some(keys) = self.keys_if_any(&kek, ns).await?.1 else {
            return Ok(Listing::default());
        };
        let listing = self.inner.list(&keys.data_ns).await?;
        Ok(Listing {
            keys: listing
                .keys
                .iter()
                .map(|sealed| keys.open_name(sealed))
                .collect::<Result<_>>()?,
            usage: listing.usage,
        })
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        let _kek = self.state.read().await;
        // The namespace keeps its key: it may be written again at once.
        self.inner.clear(&data_ns(&self.tag(ns))).await
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        // Exclusive: no write may land under a key while it is being destroyed.
        let kek = self.state.write().await;
        let tag = self.tag(ns);
        // Data first: if destroying the key then fails, the namespace is empty, not unreadable.
        self.inner.drop_namespace(&data_ns(&tag)).await?;
        // Crypto-shredding: every wrap of the key, including one an interrupted rotation may
        // have left in a neighbouring generation.
        let g = kek.generation;
        let shred: Vec<Op> = [g.checked_sub(1), Some(g), g.checked_add(1)]
            .into_iter()
            .flatten()
            .map(|g| Op::Delete {
                key: wrap_key(g, &tag),
            })
            .collect();
        self.inner.apply(KEYRING, &shred, Limits::NONE).await?;
        // And its claims, so a namespace created again gets a fresh key, not the claimed one.
        for g in [g.checked_sub(1), Some(g), g.checked_add(1)]
            .into_iter()
            .flatten()
        {
            self.inner.drop_namespace(&claim_ns(g, &tag)).await?;
        }
        self.forget(ns, &tag);
        Ok(())
    }

    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        let kek = self.state.read().await;
        let mut out = Vec::new();
        for (inner_ns, usage) in self.inner.namespaces().await? {
            if inner_ns == KEYRING || is_claim(&inner_ns) {
                continue;
            }
            let tag = parse_data_ns(&inner_ns).ok_or_else(|| {
                Error::Corrupt("the backend holds a namespace storage-crypto did not write".into())
            })?;
            // A data namespace without a key holds a dropped namespace's restored records: they
            // cannot be decrypted or even named, so they are not listed.
            if let Some((_, ns)) = self.unwrap(&kek, &tag).await? {
                out.push((ns, usage));
            }
        }
        Ok(out)
    }
}

mod claim;
mod many;

use claim::{claim, open_head};

#[cfg(test)]
mod mixed_formats;
