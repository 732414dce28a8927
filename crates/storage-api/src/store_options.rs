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
/// ```
/// use storage_api::StoreOptions;
/// use storage_sled::{Durability, SledOptions};
/// let buffered: StoreOptions = SledOptions { durability: Durability::Buffered, ..SledOptions::default() }.into();
/// assert_eq!(buffered.read_cache_bytes, StoreOptions::DEFAULT_READ_CACHE_BYTES);
/// let uncached = StoreOptions { read_cache_bytes: 0, ..StoreOptions::default() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
        StoreOptions {
            sled,
            ..StoreOptions::default()
        }
    }
}
