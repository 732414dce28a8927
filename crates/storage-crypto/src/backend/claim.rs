//! The keys made on first use (a fresh store's head record, a namespace's data key), claimed
//! so that every process sharing the inner backend takes the same one (see `crate::layout`).

use crate::keys::{fill_random, Head, Kek, RootKey};
use crate::provider::KeyProvider;
use storage_core::{Backend, Error, Limits, Op, Result};

/// The key generation and root key of the head record `record`, opened with `provider`'s key.
pub(super) fn open_head(record: &[u8], provider: &dyn KeyProvider) -> Result<(Kek, RootKey)> {
    let master = provider.existing_master_key()?;
    let head = Head::parse(record)
        .ok_or_else(|| Error::Corrupt("the store's key check record is damaged".into()))?;
    head.open(&master).ok_or_else(|| {
        Error::WrongMasterKey(
            "this key does not open the store (its key check failed; nothing was changed)".into(),
        )
    })
}

/// Makes `candidate` the one entry of the claim namespace `claim`, unless a record is there
/// already: answers the record that holds the claim, ours or the one another process put first.
/// The entry limit of one, checked by `inner` atomically with the write, is what decides.
pub(super) async fn claim<B: Backend>(
    inner: &B,
    claim: &[u8],
    candidate: Vec<u8>,
) -> Result<Vec<u8>> {
    let mut id = [0u8; 16];
    fill_random(&mut id)?;
    let put = Op::Put {
        key: id.to_vec(),
        value: candidate.clone(),
        charge: 0,
    };
    let one = Limits {
        max_bytes: u64::MAX,
        max_entries: 1,
    };
    match inner.apply(claim, &[put], one).await {
        Ok(_) => Ok(candidate),
        Err(Error::LimitExceeded { .. }) => {
            let holder = inner.list(claim).await?.keys;
            let [holder] = &holder[..] else {
                return Err(Error::Corrupt(format!(
                    "a key claim holds {} records instead of one",
                    holder.len()
                )));
            };
            inner.get(claim, holder).await?.ok_or_else(|| {
                Error::Corrupt("a key claim lost its record while it was read".into())
            })
        }
        Err(e) => Err(e),
    }
}
