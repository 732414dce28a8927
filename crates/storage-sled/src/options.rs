//! How a store is opened: durability mode and memory budget.

/// What an acknowledged write promises if the process or machine crashes right after it.
///
/// In every mode a crash leaves the store consistent: no torn value, no half-applied batch, usage
/// that agrees with the entries, and the state of some prefix of the acknowledged writes (plus
/// possibly writes that were in flight). The modes differ only in how long that prefix is.
///
/// More modes may come, so the enum is `#[non_exhaustive]`: a `match` on it outside this crate
/// needs a wildcard arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// **Durable on acknowledgement** (the default). A call returns `Ok` only after sled has
    /// flushed its effect to the file (the value log's new bytes pushed to the device, then
    /// sled's `flush`: written and pushed to the device), so it survives the death of the
    /// process (kill -9, a panic, an abort), and a power cut or an OS crash as well, as
    /// behaviour §6 promises (what is synced: the [crate docs](crate#what-it-promises)).
    /// Concurrent writers share one flush (group commit), so the cost is one flush per group of
    /// writers rather than one per write.
    #[default]
    Durable,
    /// **Buffered.** A call returns `Ok` once its effect is in memory; sled writes it out in the
    /// background, at the latest every [`SledOptions::flush_every_ms`] milliseconds. A crash may
    /// lose the writes of those last moments (what was acknowledged but not yet written out),
    /// but never tears a value or a batch. Call [`crate::SledBackend::flush`] to make everything
    /// written so far durable. Opt in only where losing the last moments of writes is acceptable.
    Buffered,
}

/// Options for [`crate::SledBackend::open_with`].
///
/// Options may be added, so the struct is `#[non_exhaustive]`: build it from
/// [`SledOptions::default`] with its chainable setters, one per field; the fields stay readable.
///
/// ```
/// use storage_sled::{Durability, SledOptions};
/// let fast = SledOptions::default().durability(Durability::Buffered).cache_capacity_bytes(8 << 20);
/// assert_eq!(fast.durability, Durability::Buffered);
/// assert_eq!(fast.cache_capacity_bytes, 8 << 20);
/// assert_eq!(fast.flush_every_ms, SledOptions::DEFAULT_FLUSH_EVERY_MS);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SledOptions {
    /// What an acknowledged write promises; [`Durability::Durable`] by default.
    pub durability: Durability,
    /// The budget of sled's page cache, in bytes;
    /// [`SledOptions::DEFAULT_CACHE_CAPACITY_BYTES`] by default (sled's own default is 1 GiB,
    /// far too much for a store embedded in a host app). sled counts a page by its size on
    /// disk; in memory, a page of small entries (such as the records of values kept in the value
    /// log) takes about three times that, so this bounds sled's memory at about three times the
    /// budget (measured in `docs/performance.md`).
    pub cache_capacity_bytes: u64,
    /// In [`Durability::Buffered`] mode, how often sled writes buffered writes out, in
    /// milliseconds (durable mode flushes every write itself and runs no background flush). At
    /// least 1.
    pub flush_every_ms: u64,
    /// The size of the value log's segment files (values above 4096 bytes live in the value
    /// log), in bytes; [`SledOptions::DEFAULT_VALUE_LOG_SEGMENT_BYTES`] by default. A value
    /// larger than this gets a segment of its own size; where the filesystem has less than four
    /// times this left, a new segment takes a quarter of what is left. Smaller segments are
    /// compacted sooner and in smaller steps (tests use tiny ones); larger ones mean fewer
    /// files. At least 1.
    pub value_log_segment_bytes: u64,
}

impl SledOptions {
    /// The default page cache budget: 32 MiB.
    pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = 32 * 1024 * 1024;
    /// The default background flush interval: 500 ms (sled's own default).
    pub const DEFAULT_FLUSH_EVERY_MS: u64 = 500;
    /// The default value log segment size: 32 MiB.
    pub const DEFAULT_VALUE_LOG_SEGMENT_BYTES: u64 = 32 << 20;

    /// Sets `durability`, what an acknowledged write promises; [`Durability::Durable`] by default.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// Sets `cache_capacity_bytes`, sled's page cache budget; 32 MiB by default.
    #[must_use]
    pub fn cache_capacity_bytes(mut self, bytes: u64) -> Self {
        self.cache_capacity_bytes = bytes;
        self
    }

    /// Sets `flush_every_ms`, the buffered mode's flush interval; 500 ms by default.
    #[must_use]
    pub fn flush_every_ms(mut self, ms: u64) -> Self {
        self.flush_every_ms = ms;
        self
    }

    /// Sets `value_log_segment_bytes`, the value log's segment size; 32 MiB by default.
    #[must_use]
    pub fn value_log_segment_bytes(mut self, bytes: u64) -> Self {
        self.value_log_segment_bytes = bytes;
        self
    }
}

impl Default for SledOptions {
    fn default() -> Self {
        Self {
            durability: Durability::Durable,
            cache_capacity_bytes: Self::DEFAULT_CACHE_CAPACITY_BYTES,
            flush_every_ms: Self::DEFAULT_FLUSH_EVERY_MS,
            value_log_segment_bytes: Self::DEFAULT_VALUE_LOG_SEGMENT_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Durability, SledOptions};

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = SledOptions::default();
        assert_eq!(d.durability, Durability::Durable);
        assert_eq!(Durability::default(), Durability::Durable);
        assert_eq!(d.cache_capacity_bytes, 32 << 20);
        assert_eq!(d.flush_every_ms, 500);
        assert_eq!(d.value_log_segment_bytes, 32 << 20);
    }

    #[test]
    fn each_setter_sets_its_field_only() {
        let d = SledOptions::default;
        let durability = Durability::Buffered;
        assert_eq!(
            d().durability(durability),
            SledOptions { durability, ..d() }
        );
        let cache_capacity_bytes = 8 << 20;
        assert_eq!(
            d().cache_capacity_bytes(cache_capacity_bytes),
            SledOptions {
                cache_capacity_bytes,
                ..d()
            }
        );
        let flush_every_ms = 5;
        assert_eq!(
            d().flush_every_ms(flush_every_ms),
            SledOptions {
                flush_every_ms,
                ..d()
            }
        );
        let value_log_segment_bytes = 16 << 10;
        assert_eq!(
            d().value_log_segment_bytes(value_log_segment_bytes),
            SledOptions {
                value_log_segment_bytes,
                ..d()
            }
        );
    }
}
