//! [`Bounded`]: the small concurrent cache behind the decorator's in-memory state (namespace
//! keys by namespace, sealed key names by namespace and name), so that a call on a warm
//! namespace does no key derivation, no HMAC and no name sealing.
//!
//! It holds at most its bound, split over shards that each have their own lock (a lookup takes
//! one shard's read lock, never a lock shared by every namespace). When a shard is full, an
//! insert evicts an entry not read since the last eviction passed it (second chance, or CLOCK
//! without a persistent hand): hot entries stay, and eviction stays O(1) on average.
//!
//! Whatever a value holds is dropped on eviction, removal or [`clear`](Bounded::clear), so
//! values that wipe themselves on drop (key material) are wiped then.

use foldhash::quality::RandomState;
use hashbrown::HashTable;
use std::borrow::Borrow;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A concurrent map of at most [`bound`](Bounded::bound) entries.
pub(crate) struct Bounded<K, V> {
    shards: Box<[RwLock<Shard<K, V>>]>,
    per_shard: usize,
    /// foldhash with a random seed per cache: key names and namespaces come from callers, so
    /// the hash must not be predictable (a caller who could make names collide would slow the
    /// shard they land in); foldhash costs a fraction of SipHash on short keys. One hash per
    /// call picks the shard and finds the entry in it.
    hasher: RandomState,
}

type Shard<K, V> = HashTable<Slot<K, V>>;

struct Slot<K, V> {
    hash: u64,
    key: K,
    value: V,
    /// Set by every read, cleared when an eviction passes over the entry.
    used: AtomicBool,
}

impl<K: Hash + Eq, V: Clone> Bounded<K, V> {
    /// A cache of at most `shards * per_shard` entries (`shards` rounded up to one); with
    /// `per_shard` 0 it holds nothing.
    pub(crate) fn new(shards: usize, per_shard: usize) -> Self {
        Bounded {
            shards: (0..shards.max(1))
                .map(|_| RwLock::new(HashTable::new()))
                .collect(),
            per_shard,
            hasher: RandomState::default(),
        }
    }

    /// A cache of at most `bound` entries, over at most `max_shards` shards.
    pub(crate) fn with_bound(bound: usize, max_shards: usize) -> Self {
        let shards = max_shards.min(bound).max(1);
        Self::new(shards, bound / shards)
    }

    /// The most entries it ever holds.
    #[cfg(test)]
    pub(crate) fn bound(&self) -> usize {
        self.shards.len() * self.per_shard
    }

    /// How many entries it holds now.
    pub(crate) fn len(&self) -> usize {
        (0..self.shards.len()).map(|i| self.read(i).len()).sum()
    }

    fn hash<Q: Hash + ?Sized>(&self, key: &Q) -> u64 {
        self.hasher.hash_one(key)
    }

    fn shard_of(&self, hash: u64) -> usize {
        // The high bits: the table buckets by the low ones.
        (hash >> 32) as usize % self.shards.len()
    }

    // Nothing panics while holding these locks, so a poisoned shard is still consistent.
    fn read(&self, shard: usize) -> RwLockReadGuard<'_, Shard<K, V>> {
        self.shards[shard].read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self, shard: usize) -> RwLockWriteGuard<'_, Shard<K, V>> {
        self.shards[shard]
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// The value under `key`, if cached.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get_with(key, V::clone)
    }

    /// `read` of the value under `key`, if cached, called under the shard's read lock: for a
    /// caller that wants something made from the value (a copy of its bytes) rather than the
    /// value itself.
    pub(crate) fn get_with<Q, R>(&self, key: &Q, read: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let shard = self.read(self.shard_of(hash));
        let slot = shard.find(hash, |s| s.key.borrow() == key)?;
        if !slot.used.load(Ordering::Relaxed) {
            slot.used.store(true, Ordering::Relaxed);
        }
        Some(read(&slot.value))
    }

    /// Caches `value` under `key` (replacing any value there), evicting another entry of the
    /// same shard if it is full.
    pub(crate) fn insert(&self, key: K, value: V) {
        if self.per_shard == 0 {
            return;
        }
        let hash = self.hash(&key);
        let mut shard = self.write(self.shard_of(hash));
        if let Some(slot) = shard.find_mut(hash, |s| s.key == key) {
            slot.value = value;
            return;
        }
        if shard.len() >= self.per_shard {
            // Second chance: the first entry not read since an eviction last passed it, clearing
            // the marks of those passed; if every one was read, the first.
            let evicted = shard
                .extract_if(|s| !s.used.swap(false, Ordering::Relaxed))
                .next();
            if evicted.is_none() {
                shard.extract_if(|_| true).next();
            }
        }
        let slot = Slot {
            hash,
            key,
            value,
            used: AtomicBool::new(false),
        };
        shard.insert_unique(hash, slot, |s| s.hash);
    }

    /// Removes the entry under `key`, if any.
    pub(crate) fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let hash = self.hash(key);
        let mut shard = self.write(self.shard_of(hash));
        if let Ok(entry) = shard.find_entry(hash, |s| s.key.borrow() == key) {
            entry.remove();
        }
    }

    /// Removes every entry whose key fails `keep`.
    pub(crate) fn retain(&self, mut keep: impl FnMut(&K) -> bool) {
        for shard in 0..self.shards.len() {
            self.write(shard).retain(|s| keep(&s.key));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(shards: usize, per_shard: usize, n: u32) -> Bounded<u32, u32> {
        let cache = Bounded::new(shards, per_shard);
        for i in 0..n {
            cache.insert(i, i * 10);
        }
        cache
    }

    #[test]
    fn never_holds_more_than_its_bound() {
        for (shards, per_shard, n) in [(1, 1, 10), (1, 8, 100), (4, 8, 1000), (16, 3, 50)] {
            let cache = filled(shards, per_shard, n);
            assert_eq!(cache.bound(), shards * per_shard);
            assert!(cache.len() <= cache.bound(), "{shards}x{per_shard}");
            // Whatever it kept maps to what was put there.
            for i in 0..n {
                assert!(cache.get(&i).is_none_or(|v| v == i * 10));
            }
        }
    }

    #[test]
    fn with_bound_never_exceeds_the_bound_asked_for() {
        for (bound, max_shards) in [(0, 4), (1, 4), (3, 4), (10, 4), (4096, 16), (65_536, 64)] {
            let cache = Bounded::<u32, u32>::with_bound(bound, max_shards);
            assert!(cache.bound() <= bound && cache.bound() + max_shards > bound);
            for i in 0..(2 * bound as u32 + 10) {
                cache.insert(i, i);
            }
            assert!(cache.len() <= bound, "{bound}");
        }
    }

    #[test]
    fn keeps_everything_below_its_bound() {
        let cache = filled(1, 64, 64);
        assert!((0..64).all(|i| cache.get(&i) == Some(i * 10)));
        assert!((0..64).all(|i| cache.get_with(&i, |v| v + 1) == Some(i * 10 + 1)));
        assert_eq!(cache.get_with(&64, |v| v + 1), None);
    }

    #[test]
    fn an_entry_read_since_the_last_eviction_survives_the_next() {
        let cache = filled(1, 4, 4);
        for round in 0..20 {
            assert_eq!(cache.get(&0), Some(0), "round {round}");
            cache.insert(100 + round, 0);
        }
    }

    #[test]
    fn replacing_a_key_evicts_nothing() {
        let cache = filled(1, 3, 3);
        cache.insert(1, 7);
        assert_eq!(
            (cache.get(&0), cache.get(&1), cache.get(&2)),
            (Some(0), Some(7), Some(20))
        );
    }

    #[test]
    fn remove_and_retain_forget_entries() {
        let cache = filled(4, 16, 32);
        cache.remove(&3);
        assert_eq!(cache.get(&3), None);
        cache.retain(|k| k % 2 == 0);
        assert!((0..32).all(|i| (cache.get(&i).is_some()) == (i % 2 == 0 && i != 3)));
    }
}
