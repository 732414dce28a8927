//! [`Bounded`]: the small concurrent cache behind the decorator's in-memory state (namespace
//! keys by namespace, sealed key names by namespace and name), so that a call on a warm
//! namespace does no key derivation, no HMAC and no name sealing.
//!
//! It is `quick_cache`'s sharded cache (a lookup takes one shard's read lock, never a lock
//! shared by every namespace; eviction keeps entries read again over those read once), counted
//! in entries and hashed with foldhash under a random seed per cache: key names and namespaces
//! come from callers, so the hash must not be predictable (a caller who could make names collide
//! would slow the shard they land in).
//!
//! Whatever a value holds is dropped on eviction, removal or [`retain`](Bounded::retain), so
//! values that wipe themselves on drop (key material) are wiped then.

use foldhash::quality::RandomState;
use quick_cache::sync::Cache;
use quick_cache::{Equivalent, UnitWeighter};
use std::hash::Hash;

/// A concurrent map of at most a bound of entries.
pub(crate) struct Bounded<K, V> {
    /// `None` for a bound of 0: it holds nothing.
    cache: Option<Cache<K, V, UnitWeighter, RandomState>>,
}

impl<K: Hash + Eq, V: Clone> Bounded<K, V> {
    /// A cache of at most `bound` entries.
    pub(crate) fn with_bound(bound: usize) -> Self {
        let cache = (bound > 0).then(|| {
            Cache::with(
                bound,
                bound as u64,
                UnitWeighter,
                RandomState::default(),
                Default::default(),
            )
        });
        Bounded { cache }
    }

    /// How many entries it holds now.
    pub(crate) fn len(&self) -> usize {
        self.cache.as_ref().map_or(0, Cache::len)
    }

    /// The value under `key`, if cached.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        self.cache.as_ref()?.get(key)
    }

    /// Caches `value` under `key` (replacing any value there), evicting another entry if it is
    /// full.
    pub(crate) fn insert(&self, key: K, value: V) {
        if let Some(cache) = &self.cache {
            cache.insert(key, value);
        }
    }

    /// Removes the entry under `key`, if any.
    pub(crate) fn remove<Q>(&self, key: &Q)
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        if let Some(cache) = &self.cache {
            cache.remove(key);
        }
    }

    /// Removes every entry whose key fails `keep`.
    pub(crate) fn retain(&self, keep: impl Fn(&K) -> bool) {
        if let Some(cache) = &self.cache {
            cache.retain(|k, _| keep(k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled(bound: usize, n: u32) -> Bounded<u32, u32> {
        let cache = Bounded::with_bound(bound);
        for i in 0..n {
            cache.insert(i, i * 10);
        }
        cache
    }

    #[test]
    fn never_holds_more_than_its_bound() {
        for (bound, n) in [(0, 10), (1, 10), (3, 100), (64, 1000), (4096, 20_000)] {
            let cache = filled(bound, n);
            assert!(cache.len() <= bound, "{bound}: {}", cache.len());
            // Whatever it kept maps to what was put there.
            for i in 0..n {
                assert!(cache.get(&i).is_none_or(|v| v == i * 10));
            }
        }
    }

    #[test]
    fn keeps_everything_up_to_a_small_bound() {
        // Larger bounds are split over shards filled by hash, so they keep most, not all.
        let cache = filled(16, 16);
        assert!((0..16).all(|i| cache.get(&i) == Some(i * 10)));
        assert_eq!(cache.get(&16), None);
    }

    #[test]
    fn an_entry_read_again_outlives_entries_read_once() {
        let cache = filled(64, 64);
        for round in 0..1000 {
            assert_eq!(cache.get(&0), Some(0), "round {round}");
            cache.insert(100 + round, 0);
        }
    }

    #[test]
    fn replacing_a_key_evicts_nothing() {
        let cache = filled(3, 3);
        cache.insert(1, 7);
        assert_eq!(
            (cache.get(&0), cache.get(&1), cache.get(&2)),
            (Some(0), Some(7), Some(20))
        );
    }

    #[test]
    fn remove_and_retain_forget_entries() {
        let cache = filled(64, 32);
        cache.remove(&3);
        assert_eq!(cache.get(&3), None);
        cache.retain(|k| k % 2 == 0);
        assert!((0..32).all(|i| (cache.get(&i).is_some()) == (i % 2 == 0 && i != 3)));
    }

    #[test]
    fn values_are_dropped_when_evicted_removed_or_retained_out() {
        use std::sync::Arc;
        let held = Arc::new(());
        let cache = Bounded::with_bound(4);
        for i in 0..100u32 {
            cache.insert(i, held.clone());
        }
        assert_eq!(Arc::strong_count(&held), 1 + cache.len());
        cache.retain(|_| false);
        assert_eq!(Arc::strong_count(&held), 1);
    }
}
