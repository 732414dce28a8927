//! [`StoreOptions`]: how [`crate::Mpstore::open_with`] builds the default store.

use storage_crypto::CacheSizes;
use storage_sled::SledOptions;

/// Options of the default store ([`crate::Mpstore::open_with`],
/// [`crate::Mpstore::open_default_with`]): sled's, the read cache's and the encryption layer's
/// caches. Together they bound the store's memory (see `docs/performance.md`).
///
/// Any [`SledOptions`] converts into these, with the default read cache, so existing callers
/// that pass sled's options keep working.
///
/// Options may be added, so the struct is `#[non_exhaustive]`: build it from
/// [`StoreOptions::default`] with its chainable setters, one per field; the fields stay readable.
///
/// ```
/// use storage_api::StoreOptions;
/// use storage_crypto::CacheSizes;
/// use storage_sled::{Durability, SledOptions};
/// let buffered: StoreOptions = SledOptions::default().durability(Durability::Buffered).into();
/// assert_eq!(buffered.read_cache_bytes, StoreOptions::DEFAULT_READ_CACHE_BYTES);
/// let uncached = StoreOptions::default().read_cache_bytes(0);
/// let small = StoreOptions::default()
///     .sled(SledOptions::default().cache_capacity_bytes(4 << 20))
///     .crypto_caches(CacheSizes::default().namespaces(64));
/// assert_eq!(small.sled.cache_capacity_bytes, 4 << 20);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct StoreOptions {
    /// sled's options: durability mode, page cache budget, flush interval.
    pub sled: SledOptions,
    /// The most memory the read cache ([`storage_core::ReadCache`], above the encryption layer)
    /// may use, in bytes; [`StoreOptions::DEFAULT_READ_CACHE_BYTES`] by default; 0 disables it.
    ///
    /// A hot value is then read without touching sled or decrypting anything, which makes a
    /// repeated `getStorageSync` several times faster. The cache holds **plaintext** values and
    /// counts toward the process's memory together with sled's page cache
    /// ([`SledOptions::cache_capacity_bytes`]): by default at most 8 + 32 MiB in all. It is
    /// correct because the store is the only writer of its sled database (sled refuses a second
    /// process, and clones of one [`crate::Mpstore`] share one cache).
    pub read_cache_bytes: u64,
    /// How many namespaces' keys and sealed key names the encryption layer keeps in memory
    /// ([`storage_crypto::CacheSizes`]: by default 4,096 namespaces and 65,536 names, at most
    /// about 16 + 18 MiB). Smaller bounds trade memory for an unwrap of a namespace's keys, or a
    /// seal of a key name, when one is used again after being evicted.
    pub crypto_caches: CacheSizes,
}

impl StoreOptions {
    /// The default read cache budget: 8 MiB.
    pub const DEFAULT_READ_CACHE_BYTES: u64 = 8 * 1024 * 1024;

    /// Sets `sled`, sled's own options; [`SledOptions::default`] by default.
    #[must_use]
    pub fn sled(mut self, sled: SledOptions) -> Self {
        self.sled = sled;
        self
    }

    /// Sets `read_cache_bytes`, the read cache's budget (0 disables it); 8 MiB by default.
    #[must_use]
    pub fn read_cache_bytes(mut self, bytes: u64) -> Self {
        self.read_cache_bytes = bytes;
        self
    }

    /// Sets `crypto_caches`, the encryption layer's cache bounds; [`CacheSizes::default`] by
    /// default.
    #[must_use]
    pub fn crypto_caches(mut self, crypto_caches: CacheSizes) -> Self {
        self.crypto_caches = crypto_caches;
        self
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            sled: SledOptions::default(),
            read_cache_bytes: Self::DEFAULT_READ_CACHE_BYTES,
            crypto_caches: CacheSizes::default(),
        }
    }
}

impl From<SledOptions> for StoreOptions {
    fn from(sled: SledOptions) -> Self {
        StoreOptions::default().sled(sled)
    }
}

#[cfg(test)]
mod tests {
    use super::StoreOptions;
    use storage_crypto::CacheSizes;
    use storage_sled::{Durability, SledOptions};

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = StoreOptions::default();
        assert_eq!(d.sled, SledOptions::default());
        assert_eq!(d.read_cache_bytes, 8 << 20);
        assert_eq!(d.crypto_caches, CacheSizes::default());
        let sled = SledOptions::default().durability(Durability::Buffered);
        assert_eq!(StoreOptions::from(sled.clone()), StoreOptions { sled, ..d });
    }

    #[test]
    fn each_setter_sets_its_field_only() {
        let d = StoreOptions::default;
        let sled = SledOptions::default().cache_capacity_bytes(1 << 20);
        assert_eq!(d().sled(sled.clone()), StoreOptions { sled, ..d() });
        let read_cache_bytes = 0;
        assert_eq!(
            d().read_cache_bytes(read_cache_bytes),
            StoreOptions {
                read_cache_bytes,
                ..d()
            }
        );
        let crypto_caches = CacheSizes::default().namespaces(16).names(256);
        assert_eq!(
            d().crypto_caches(crypto_caches),
            StoreOptions {
                crypto_caches,
                ..d()
            }
        );
    }
}
