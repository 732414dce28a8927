//! [`ReadCache`]: a decorator that serves recently read values from memory, as sled serves hot
//! pages from its page cache, so a hot read skips everything beneath it (decryption included).

use crate::backend::{Backend, Limits, Listing, Op, ReadPair, StoredValue, Usage};
use crate::error::Result;
use async_trait::async_trait;
use lru::LruCache;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

mod batch;

/// A [`Backend`] decorator that keeps recently read values, and recent misses, in memory.
///
/// Every method forwards to the backend underneath; [`get`](Backend::get),
/// [`get_shared`](Backend::get_shared) and [`get_many`](Backend::get_many) answer from memory
/// when they can (a batch asks the backend once, for all its misses). `get_shared` hands out
/// the cached [`StoredValue`] itself, so a hit costs the same whatever the value's size: the
/// bytes are not copied, and a String (or scalar) that a [`Store`](crate::Store) decoded once is
/// remembered in the handle and not decoded again (a String as a view of the cached bytes
/// themselves, see [`JsString`](crate::JsString)).
///
/// The cache is bounded by a byte capacity: each cached entry counts its namespace, key and value
/// bytes plus [`ReadCache::ENTRY_OVERHEAD`], which includes the handle and its decoded memo
/// (the memo holds nothing else: a scalar, or a String sharing the cached bytes; see
/// [`StoredValue`]), so filling the memo never takes the cache past its bound. A handle, or a
/// String, a caller still holds after its entry was evicted is the caller's memory, not the
/// cache's. The cache is split into up to 8 shards of at least 1 MiB of capacity each, each with
/// its own lock, so readers of different keys rarely wait for each other; the capacity is one
/// budget for all of them, not a fixed part per shard, so a hot set smaller than the cache stays
/// cached however its keys fall on the shards. When the budget is spent, the least recently used
/// entry of the whole cache is evicted (each entry notes when it was last used; a shard that is
/// busy at that moment is passed over).
/// An entry larger than the capacity divided by the number of shards is never cached, so one
/// value cannot flush the whole cache. A capacity of 0 disables the cache: every call goes
/// straight through.
///
/// ```
/// use storage_core::{block_on, Backend, Limits, MemoryBackend, Op, ReadCache};
/// let cache = ReadCache::new(MemoryBackend::new(), 1 << 20);
/// let put = Op::Put { key: b"k".to_vec(), value: b"v".to_vec(), charge: 2 };
/// block_on(cache.apply(b"ns", &[put], Limits::NONE)).unwrap();
/// assert_eq!(block_on(cache.get(b"ns", b"k")).unwrap(), Some(b"v".to_vec())); // read through
/// assert_eq!(block_on(cache.get(b"ns", b"k")).unwrap(), Some(b"v".to_vec())); // from memory
/// assert!(cache.cached_bytes() > 0 && cache.cached_bytes() <= cache.capacity_bytes());
/// ```
///
/// # Contract
///
/// - **It must be the only writer of the backend underneath.** A value written to that backend
///   by anything else (another process, another handle on the same storage) is not seen while an
///   older one is cached. This holds for a store on an embedded backend opened by one process
///   (sled refuses a second opener) and shared within it through one `ReadCache`; it does not hold
///   for a remote backend several processes write (Redis): never put a `ReadCache` over one.
/// - **Writes invalidate.** [`apply`](Backend::apply) forgets the cached entries of the keys it
///   touches, [`clear`](Backend::clear) and [`drop_namespace`](Backend::drop_namespace) every
///   cached entry of the namespace, whether the call succeeds or fails.
/// - **Never stale.** A read racing a write never leaves an old value cached. Each shard keeps an
///   epoch and a count of writes in flight: a write bumps the epoch and forgets its keys before it
///   reaches the backend, and bumps it again when it is done (also when its future is dropped
///   half-way); a read that misses notes the epoch before it reads the backend and caches what it
///   read only if the epoch is unchanged and no write to that shard is in flight. So once a
///   write has returned, every later read sees it or something newer, and a read never sees a
///   value older than one an earlier read returned: the decorated backend stays serializable.
/// - **Memory.** The cache holds plaintext (values as the layers above wrote them, before any
///   encryption beneath) for as long as they stay hot; its bytes count toward the process's
///   memory together with the backend's own caches (see `docs/security.md`).
/// - **Cost of a namespace-wide invalidation.** `clear` and `drop_namespace` scan the cached
///   entries (time proportional to the number of entries cached, not to the store).
pub struct ReadCache<B> {
    inner: B,
    /// Empty when the cache is disabled.
    shards: Box<[Mutex<Shard>]>,
    /// Seeds the shard choice, so which keys share a shard differs from process to process.
    seed: u64,
    capacity: u64,
    /// The largest entry cached: the capacity divided by the number of shards.
    max_entry: u64,
    /// What all shards' entries count together, reserved before an entry is added: never above
    /// `capacity`.
    used: AtomicU64,
    /// Advances with every entry cached; an entry notes its value when it is cached or hit, so
    /// the shards' least recently used entries can be compared.
    clock: AtomicU64,
}

/// A cached answer and when it was last used (see `ReadCache::clock`).
struct Cached {
    value: Option<StoredValue>,
    used_at: u64,
}

/// One part of the cache, with its own lock.
struct Shard {
    /// Composite key (see [`composite`]) → the value, or `None` for a key known to be missing.
    map: LruCache<Box<[u8]>, Cached>,
    /// What this shard's entries count (see [`ReadCache::ENTRY_OVERHEAD`]).
    bytes: u64,
    /// Bumped by every write touching this shard, when it starts and when it ends.
    epoch: u64,
    /// Writes touching this shard that have started and not ended: no read may cache meanwhile.
    writing: u64,
    /// Reused to build composite keys for lookups, so a hit allocates nothing here.
    scratch: Vec<u8>,
}

/// The most shards a cache is split into.
const MAX_SHARDS: usize = 8;
/// The capacity per shard below which there are fewer shards: an entry as large as any platform
/// allows under one key (1 MB) stays cacheable.
const MIN_SHARD_BYTES: u64 = 1024 * 1024;

/// See [`ReadCache::ENTRY_OVERHEAD`].
const ENTRY_OVERHEAD: u64 = 136 + StoredValue::HANDLE_BYTES + 48;

impl<B> ReadCache<B> {
    /// What each cached entry counts on top of its namespace, key and value bytes: the list node
    /// (the key's box, the handle, when it was last used and two links, in an allocation of its
    /// own: about 72 bytes),
    /// the map's slot (16 bytes, at most 8/7 of them in use), the allocator's headers and
    /// rounding of the key's box and the value's bytes (about 24 bytes each), and the shared
    /// handle with its memo ([`StoredValue::HANDLE_BYTES`]) and the allocator's headers and
    /// rounding of its two allocations (about 24 bytes each).
    pub const ENTRY_OVERHEAD: u64 = ENTRY_OVERHEAD;

    /// A cache of at most `capacity_bytes` over `inner`; 0 disables it.
    pub fn new(inner: B, capacity_bytes: u64) -> Self {
        let shards = if capacity_bytes == 0 {
            0
        } else {
            let wanted = (capacity_bytes / MIN_SHARD_BYTES).clamp(1, MAX_SHARDS as u64) as usize;
            // A power of two, so a shard is picked with a mask.
            1usize << wanted.ilog2()
        };
        ReadCache {
            inner,
            shards: (0..shards)
                .map(|_| {
                    Mutex::new(Shard {
                        map: LruCache::unbounded(),
                        bytes: 0,
                        epoch: 0,
                        writing: 0,
                        scratch: Vec::new(),
                    })
                })
                .collect(),
            seed: RandomState::new().hash_one(0x5eed_u64),
            capacity: capacity_bytes,
            max_entry: capacity_bytes.checked_div(shards as u64).unwrap_or(0),
            used: AtomicU64::new(0),
            clock: AtomicU64::new(0),
        }
    }

    /// The backend underneath.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    /// The configured capacity in bytes (0: disabled).
    pub fn capacity_bytes(&self) -> u64 {
        self.capacity
    }

    /// What the cached entries count now; never more than [`capacity_bytes`](Self::capacity_bytes).
    pub fn cached_bytes(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// How many entries (values and known misses) are cached now.
    pub fn cached_entries(&self) -> usize {
        self.shards.iter().map(|s| lock(s).map.len()).sum()
    }

    fn shard_index(&self, ns: &[u8], key: &[u8]) -> usize {
        let hash = spread(self.seed, ns, key);
        (hash >> 32) as usize & (self.shards.len() - 1)
    }
}

/// A quick seeded hash of a namespace and key, to pick a shard: eight bytes at a time, each
/// mixed in with a multiply (the shard's map hashes the key again, properly, on its own). The
/// key's length goes in too, so moving bytes between namespace and key moves the hash.
fn spread(seed: u64, ns: &[u8], key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(K);
    for part in [ns, key] {
        let mut words = part.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes(word.try_into().expect("8 bytes"));
            h = (h ^ word).wrapping_mul(K).rotate_left(31);
        }
        let mut tail = [0u8; 8];
        tail[..words.remainder().len()].copy_from_slice(words.remainder());
        h = (h ^ u64::from_le_bytes(tail))
            .wrapping_mul(K)
            .rotate_left(31);
    }
    h ^ (h >> 29)
}

/// Gives `freed` bytes back to the budget (a write that forgets nothing touches no shared line).
fn release(used: &AtomicU64, freed: u64) {
    if freed > 0 {
        used.fetch_sub(freed, Ordering::Relaxed);
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // No code panics while holding a shard's lock, so a poisoned shard is still consistent.
    shard.lock().unwrap_or_else(|e| e.into_inner())
}

/// The cache's key: the namespace's length, the namespace, the key (injective).
fn composite(out: &mut Vec<u8>, ns: &[u8], key: &[u8]) {
    out.clear();
    out.extend_from_slice(&(ns.len() as u64).to_le_bytes());
    out.extend_from_slice(ns);
    out.extend_from_slice(key);
}

/// What an entry counts: its composite key, its value's bytes, and the overhead (which includes
/// the handle and its memo, filled or not).
fn entry_bytes(key: &[u8], value: Option<&StoredValue>) -> u64 {
    key.len() as u64 + value.map_or(0, |v| v.len() as u64) + ENTRY_OVERHEAD
}

impl Shard {
    /// The cached answer for `(ns, key)`, or `None` when nothing is cached (`Some(None)`: known
    /// missing). Marks the entry recently used.
    fn lookup(&mut self, ns: &[u8], key: &[u8], now: u64) -> Option<Option<StoredValue>> {
        let Shard { map, scratch, .. } = self;
        composite(scratch, ns, key);
        let hit = map.get_mut(&scratch[..])?;
        hit.used_at = now;
        Some(hit.value.clone())
    }

    /// Removes the entry of `scratch`'s composite key, if cached; returns what it counted.
    fn remove_scratch(&mut self) -> u64 {
        let Shard {
            map,
            scratch,
            bytes,
            ..
        } = self;
        let freed = map
            .pop_entry(&scratch[..])
            .map_or(0, |(k, v)| entry_bytes(&k, v.value.as_ref()));
        *bytes -= freed;
        freed
    }

    /// When the least recently used entry was last used (`None`: the shard is empty).
    fn oldest(&self) -> Option<u64> {
        self.map.peek_lru().map(|(_, v)| v.used_at)
    }

    /// Evicts the least recently used entry; returns what it counted (0: the shard is empty).
    fn evict_one(&mut self) -> u64 {
        let freed = self
            .map
            .pop_lru()
            .map_or(0, |(k, v)| entry_bytes(&k, v.value.as_ref()));
        self.bytes -= freed;
        freed
    }

    fn forget(&mut self, used: &AtomicU64, ns: &[u8], key: &[u8]) {
        if self.map.is_empty() {
            return;
        }
        composite(&mut self.scratch, ns, key);
        release(used, self.remove_scratch());
    }

    fn forget_namespace(&mut self, used: &AtomicU64, ns: &[u8]) {
        composite(&mut self.scratch, ns, b"");
        let prefix = &self.scratch[..];
        let doomed: Vec<Box<[u8]>> = self
            .map
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            if let Some((k, v)) = self.map.pop_entry(&k) {
                let freed = entry_bytes(&k, v.value.as_ref());
                self.bytes -= freed;
                release(used, freed);
            }
        }
    }

    /// A write touching this shard starts.
    fn begin_write(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.writing += 1;
    }

    /// A write touching this shard ends.
    fn end_write(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.writing -= 1;
    }
}

/// What a write touches.
#[derive(Clone, Copy)]
enum Touched<'a> {
    Keys(&'a [Op]),
    Namespace,
}

/// A write in flight: invalidates when it starts, and again when it ends or its future is
/// dropped (so a cancelled write never leaves its shards refusing to cache).
struct Writing<'a, B> {
    cache: &'a ReadCache<B>,
    ns: &'a [u8],
    touched: Touched<'a>,
    /// The shard of the first key written (most writes are of one key: hashed once, not twice).
    first: usize,
}

impl<'a, B> Writing<'a, B> {
    fn begin(cache: &'a ReadCache<B>, ns: &'a [u8], touched: Touched<'a>) -> Self {
        let first = match touched {
            Touched::Keys([op, ..]) => cache.shard_index(ns, op.key()),
            _ => 0,
        };
        let writing = Writing {
            cache,
            ns,
            touched,
            first,
        };
        let used = &cache.used;
        writing.each_shard(|shard, key| {
            shard.begin_write();
            match key {
                Some(key) => shard.forget(used, ns, key),
                None => shard.forget_namespace(used, ns),
            }
        });
        writing
    }

    /// Runs `f` on every shard the write touches, once per key (`None`: the whole namespace).
    fn each_shard(&self, mut f: impl FnMut(&mut Shard, Option<&[u8]>)) {
        match self.touched {
            Touched::Keys(ops) => {
                for (i, op) in ops.iter().enumerate() {
                    let index = match i {
                        0 => self.first,
                        _ => self.cache.shard_index(self.ns, op.key()),
                    };
                    f(&mut lock(&self.cache.shards[index]), Some(op.key()));
                }
            }
            Touched::Namespace => {
                for shard in self.cache.shards.iter() {
                    f(&mut lock(shard), None);
                }
            }
        }
    }
}

impl<B> Drop for Writing<'_, B> {
    fn drop(&mut self) {
        // Nothing to forget again: no read caches into a shard while `writing` is above zero.
        self.each_shard(|shard, _| shard.end_write());
    }
}

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl<B: Backend> Backend for ReadCache<B> {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        if self.shards.is_empty() {
            return self.inner.get(ns, key).await;
        }
        // A copy of what is cached; the only copy on a miss, as the cache keeps the handle.
        Ok(self.cached(ns, key).await?.map(StoredValue::into_vec))
    }

    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        if self.shards.is_empty() {
            return self.inner.get_shared(ns, key).await;
        }
        self.cached(ns, key).await
    }

    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        if self.shards.is_empty() {
            return self.inner.get_many(pairs).await;
        }
        self.cached_many(pairs).await
    }

    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        if self.shards.is_empty() {
            return self.inner.apply(ns, ops, limits).await;
        }
        let _writing = Writing::begin(self, ns, Touched::Keys(ops));
        self.inner.apply(ns, ops, limits).await
    }

    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        if self.shards.is_empty() {
            return self.inner.apply_blocking(ns, ops, limits);
        }
        let _writing = Writing::begin(self, ns, Touched::Keys(ops));
        self.inner.apply_blocking(ns, ops, limits)
    }

    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        self.inner.list(ns).await
    }

    async fn clear(&self, ns: &[u8]) -> Result<()> {
        if self.shards.is_empty() {
            return self.inner.clear(ns).await;
        }
        let _writing = Writing::begin(self, ns, Touched::Namespace);
        self.inner.clear(ns).await
    }

    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        if self.shards.is_empty() {
            return self.inner.drop_namespace(ns).await;
        }
        let _writing = Writing::begin(self, ns, Touched::Namespace);
        self.inner.drop_namespace(ns).await
    }

    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.inner.namespaces().await
    }
}

impl<B: Backend> ReadCache<B> {
    /// The cached handle of `(ns, key)`, or what the backend underneath answers (cached when no
    /// write raced the read: see the contract's *Never stale*).
    async fn cached(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        let index = self.shard_index(ns, key);
        let shard = &self.shards[index];
        let epoch = {
            let mut shard = lock(shard);
            if let Some(hit) = shard.lookup(ns, key, self.clock.load(Ordering::Relaxed)) {
                return Ok(hit);
            }
            shard.epoch
        };
        let value = self.inner.get_shared(ns, key).await?;
        let mut shard = lock(shard);
        if shard.epoch == epoch && shard.writing == 0 {
            self.insert(index, &mut shard, ns, key, value.as_ref());
        }
        Ok(value)
    }
}

impl<B> ReadCache<B> {
    /// Caches `value` in shard `index` (locked: `shard`), within the budget: reserves its bytes,
    /// evicting the least recently used entries of the whole cache while it is full; if nothing
    /// can be evicted (the other shards are busy), the value is not cached this time.
    fn insert(
        &self,
        index: usize,
        shard: &mut Shard,
        ns: &[u8],
        key: &[u8],
        value: Option<&StoredValue>,
    ) {
        composite(&mut shard.scratch, ns, key);
        let size = entry_bytes(&shard.scratch, value);
        if size > self.max_entry {
            return;
        }
        // The same key cached again (a racing read cached it first): its bytes go back first.
        release(&self.used, shard.remove_scratch());
        while self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                (used + size <= self.capacity).then_some(used + size)
            })
            .is_err()
        {
            let freed = self.evict_oldest(index, shard);
            if freed == 0 {
                return;
            }
            release(&self.used, freed);
        }
        let cached = Cached {
            value: value.cloned(),
            // After every hit noted so far (a hit notes the clock without advancing it).
            used_at: self.clock.fetch_add(1, Ordering::Relaxed) + 1,
        };
        shard.map.push(shard.scratch.as_slice().into(), cached);
        shard.bytes += size;
    }

    /// Evicts the entry used longest ago among `own` (shard `index`, whose lock the caller holds)
    /// and the other shards that are not locked right now (never waiting for one, so two
    /// inserting readers cannot deadlock); returns what it counted (0: nothing to evict).
    fn evict_oldest(&self, index: usize, own: &mut Shard) -> u64 {
        let mut oldest: Option<(u64, MutexGuard<'_, Shard>)> = None;
        for (i, other) in self.shards.iter().enumerate() {
            if i == index {
                continue;
            }
            let guard = match other.try_lock() {
                Ok(guard) => guard,
                Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => continue,
            };
            if let Some(at) = guard.oldest() {
                if oldest.as_ref().is_none_or(|(o, _)| at < *o) {
                    oldest = Some((at, guard));
                }
            }
        }
        match (oldest, own.oldest()) {
            (Some((at, mut other)), own_at) if own_at.is_none_or(|own_at| at < own_at) => {
                other.evict_one()
            }
            _ => own.evict_one(),
        }
    }
}

impl<B> std::fmt::Debug for ReadCache<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("capacity_bytes", &self.capacity)
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}
