//! Rotation of the master key: every data key re-wrapped, no value touched, crash-safe.

use crate::backend::{EncryptedBackend, BATCH};
use crate::keys::Kek;
use crate::layout::{claim_generation, parse_wrap_key, wrap_key, HEAD, KEYRING, ROTATING};
use crate::provider::KeyProvider;
use storage_core::{Backend, Error, Limits, Op, Result};

impl<B: Backend> EncryptedBackend<B> {
    /// Rotates the store to the master key of `new`: afterwards only that key opens it.
    ///
    /// Values and key names are not re-encrypted; only the head record and one small record per
    /// namespace are rewritten. The steps, each an atomic write of the inner backend:
    ///
    /// 1. put the rotation marker (so an open after a crash knows to clean up), and remove any
    ///    wraps an earlier, interrupted rotation left;
    /// 2. write a second wrap of every data key, under the new generation's key (in batches);
    /// 3. **the switch**: replace the head record (the key check and the root key) with the new
    ///    generation's, in one write;
    /// 4. remove the old generation's wraps (in batches), then the marker.
    ///
    /// A crash (or a failure) before step 3 leaves a store that opens with the old key and
    /// nothing else; from step 3 on, with the new key and nothing else. Either way every data
    /// key is there under the key that opens the store, and the next open or rotation removes
    /// the leftovers. An error after the switch means the rotation happened and only its
    /// cleanup failed (this instance already uses the new key).
    ///
    /// Every other call on this store waits while a rotation runs.
    pub async fn rotate(&self, new: &dyn KeyProvider) -> Result<()> {
        let mut kek = self.state.write().await;
        let next_generation = kek
            .generation
            .checked_add(1)
            .ok_or_else(|| Error::Backend("no key generation is left to rotate to".into()))?;
        let next = Kek::new(&new.master_key()?, next_generation)?;

        let marker = Op::Put {
            key: ROTATING.to_vec(),
            value: Vec::new(),
            charge: 0,
        };
        self.inner.apply(KEYRING, &[marker], Limits::NONE).await?;
        self.remove_stale_wraps(kek.generation).await?;

        let tags: Vec<_> = self
            .inner
            .list(KEYRING)
            .await?
            .keys
            .iter()
            .filter_map(|k| parse_wrap_key(k))
            .filter(|(g, _)| *g == kek.generation)
            .map(|(_, tag)| tag)
            .collect();
        for batch in tags.chunks(BATCH) {
            let mut ops = Vec::with_capacity(batch.len());
            for tag in batch {
                let Some(record) = self
                    .inner
                    .get(KEYRING, &wrap_key(kek.generation, tag))
                    .await?
                else {
                    continue; // dropped meanwhile: impossible under the lock, harmless anyway
                };
                let (data, ns) = kek.unwrap(tag, &record)?;
                ops.push(Op::Put {
                    key: wrap_key(next.generation, tag),
                    value: next.wrap(tag, &data, &ns)?,
                    charge: 0,
                });
            }
            self.inner.apply(KEYRING, &ops, Limits::NONE).await?;
        }

        let head = Op::Put {
            key: HEAD.to_vec(),
            value: next.seal_head(&self.root)?,
            charge: 0,
        };
        self.inner.apply(KEYRING, &[head], Limits::NONE).await?;
        *kek = next;

        self.finish_rotation(kek.generation).await
    }

    /// Deletes every wrap and claim of a generation other than `current`, then the rotation
    /// marker.
    pub(crate) async fn finish_rotation(&self, current: u64) -> Result<()> {
        self.remove_stale_wraps(current).await?;
        for (ns, _) in self.inner.namespaces().await? {
            if claim_generation(&ns).is_some_and(|g| g != current) {
                self.inner.drop_namespace(&ns).await?;
            }
        }
        let marker = Op::Delete {
            key: ROTATING.to_vec(),
        };
        self.inner.apply(KEYRING, &[marker], Limits::NONE).await?;
        Ok(())
    }

    /// Deletes every wrap of a generation other than `current`.
    pub(crate) async fn remove_stale_wraps(&self, current: u64) -> Result<()> {
        let stale: Vec<Op> = self
            .inner
            .list(KEYRING)
            .await?
            .keys
            .into_iter()
            .filter(|k| matches!(parse_wrap_key(k), Some((g, _)) if g != current))
            .map(|key| Op::Delete { key })
            .collect();
        for batch in stale.chunks(BATCH) {
            self.inner.apply(KEYRING, batch, Limits::NONE).await?;
        }
        Ok(())
    }
}
