//! [`ReadCache`]'s batched read: hits answered from memory, every miss in one batch beneath.

use super::{lock, ReadCache};
use crate::backend::{Backend, ReadPair, StoredValue};
use crate::error::{Error, Result};
use std::sync::atomic::Ordering;

/// A pair the cache did not hold: where its answer goes, its shard, and the shard's epoch
/// before the read beneath started.
struct Miss {
    at: usize,
    shard: usize,
    epoch: u64,
}

impl<B: Backend> ReadCache<B> {
    /// [`Backend::get_many`] through the cache: each hit is the cached handle itself (no copy),
    /// the misses are read in one `get_many` of the backend beneath and cached as a single read's
    /// miss is (only when no write touched their shard meanwhile: the contract's *Never stale*).
    pub(super) async fn cached_many(
        &self,
        pairs: &[ReadPair<'_>],
    ) -> Result<Vec<Option<StoredValue>>> {
        let now = self.clock.load(Ordering::Relaxed);
        let mut answers = Vec::with_capacity(pairs.len());
        let mut misses = Vec::new();
        for (at, &(ns, key)) in pairs.iter().enumerate() {
            let index = self.shard_index(ns, key);
            let mut shard = lock(&self.shards[index]);
            match shard.lookup(ns, key, now) {
                Some(hit) => answers.push(hit),
                None => {
                    misses.push(Miss {
                        at,
                        shard: index,
                        epoch: shard.epoch,
                    });
                    answers.push(None);
                }
            }
        }
        if misses.is_empty() {
            return Ok(answers);
        }
        let asked: Vec<ReadPair<'_>> = misses.iter().map(|m| pairs[m.at]).collect();
        let read = self.inner.get_many(&asked).await?;
        if read.len() != asked.len() {
            return Err(Error::Backend(format!(
                "a batched read of {} pairs answered {}",
                asked.len(),
                read.len()
            )));
        }
        for (miss, value) in misses.into_iter().zip(read) {
            let (ns, key) = pairs[miss.at];
            let mut shard = lock(&self.shards[miss.shard]);
            if shard.epoch == miss.epoch && shard.writing == 0 {
                self.insert(miss.shard, &mut shard, ns, key, value.as_ref());
            }
            answers[miss.at] = value;
        }
        Ok(answers)
    }
}
