//! The conformance kit must fail backends that break the contract: each flaw below is caught.

use async_trait::async_trait;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Mutex;
use storage_core::testkit;
use storage_core::{
    Backend, Limits, Listing, MemoryBackend, Op, ReadPair, Result, StoredValue, Usage,
};

/// The ways a backend can be wrong.
#[derive(Clone, Copy, Debug)]
enum Flaw {
    IgnoresLimits,
    ReversesOrder,
    SharesNamespaces,
    AppliesPartially,
    ForgetsOldCharge,
    /// `get_shared` keeps answering what it first read (a cache that never invalidates).
    StaleSharedGet,
    /// `apply_blocking` does not do what `apply` does (here: it ignores the limits).
    BlockingIgnoresLimits,
    /// `get_many` answers in the reverse order of its pairs.
    ManyReversed,
    /// `get_many` keeps answering what it first read for each pair.
    ManyStale,
}

struct Broken {
    inner: MemoryBackend,
    flaw: Flaw,
    /// What `get_shared` (or `get_many`) first answered, for `StaleSharedGet` (`ManyStale`).
    first_reads: Mutex<HashMap<NsKey, Option<StoredValue>>>,
}

/// A namespace and a key.
type NsKey = (Vec<u8>, Vec<u8>);

impl Broken {
    fn ns<'a>(&self, ns: &'a [u8]) -> &'a [u8] {
        match self.flaw {
            Flaw::SharesNamespaces => b"shared",
            _ => ns,
        }
    }
}

#[async_trait]
impl Backend for Broken {
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.inner.get(self.ns(ns), key).await
    }
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        let fresh = self.inner.get_shared(self.ns(ns), key).await?;
        Ok(match self.flaw {
            Flaw::StaleSharedGet => self
                .first_reads
                .lock()
                .unwrap()
                .entry((ns.to_vec(), key.to_vec()))
                .or_insert(fresh)
                .clone(),
            _ => fresh,
        })
    }
    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        let mut answers = Vec::with_capacity(pairs.len());
        for &(ns, key) in pairs {
            let fresh = self.inner.get_shared(self.ns(ns), key).await?;
            answers.push(match self.flaw {
                Flaw::ManyStale => self
                    .first_reads
                    .lock()
                    .unwrap()
                    .entry((ns.to_vec(), key.to_vec()))
                    .or_insert(fresh)
                    .clone(),
                _ => fresh,
            });
        }
        if let Flaw::ManyReversed = self.flaw {
            answers.reverse();
        }
        Ok(answers)
    }
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        let ns = self.ns(ns);
        match self.flaw {
            Flaw::IgnoresLimits => self.inner.apply(ns, ops, Limits::NONE).await,
            Flaw::AppliesPartially => {
                let mut usage = self.inner.list(ns).await?.usage;
                for op in ops {
                    usage = self
                        .inner
                        .apply(ns, std::slice::from_ref(op), limits)
                        .await?;
                }
                Ok(usage)
            }
            Flaw::ForgetsOldCharge => {
                let fresh = ops.iter().map(|op| match op {
                    Op::Put { key, value, charge } => Op::Put {
                        key: key.clone(),
                        value: value.clone(),
                        charge: charge + 1,
                    },
                    other => other.clone(),
                });
                self.inner
                    .apply(ns, &fresh.collect::<Vec<_>>(), limits)
                    .await
            }
            _ => self.inner.apply(ns, ops, limits).await,
        }
    }
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        match self.flaw {
            Flaw::BlockingIgnoresLimits => self.inner.apply_blocking(ns, ops, Limits::NONE),
            _ => storage_core::block_on(self.apply(ns, ops, limits)),
        }
    }
    async fn list(&self, ns: &[u8]) -> Result<Listing> {
        let mut listing = self.inner.list(self.ns(ns)).await?;
        if let Flaw::ReversesOrder = self.flaw {
            listing.keys.reverse();
        }
        Ok(listing)
    }
    async fn clear(&self, ns: &[u8]) -> Result<()> {
        self.inner.clear(self.ns(ns)).await
    }
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()> {
        self.inner.drop_namespace(self.ns(ns)).await
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        self.inner.namespaces().await
    }
}

fn caught(flaw: Flaw, check: fn(&(dyn Fn() -> Broken + Sync))) {
    let factory = move || Broken {
        inner: MemoryBackend::new(),
        flaw,
        first_reads: Mutex::default(),
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| check(&factory)));
    assert!(outcome.is_err(), "the kit passed a backend that {flaw:?}");
}

#[test]
fn each_flaw_is_caught() {
    caught(Flaw::IgnoresLimits, |f| testkit::backend_matches_model(f));
    caught(Flaw::IgnoresLimits, |f| testkit::quota_boundaries(f));
    caught(Flaw::IgnoresLimits, |f| testkit::concurrent_writers(f));
    caught(Flaw::ReversesOrder, |f| testkit::backend_matches_model(f));
    caught(Flaw::ReversesOrder, |f| testkit::store_matches_model(f));
    caught(Flaw::SharesNamespaces, |f| {
        testkit::backend_matches_model(f)
    });
    caught(Flaw::SharesNamespaces, |f| testkit::store_matches_model(f));
    caught(Flaw::AppliesPartially, |f| {
        testkit::backend_matches_model(f)
    });
    caught(Flaw::ForgetsOldCharge, |f| {
        testkit::backend_matches_model(f)
    });
    caught(Flaw::ForgetsOldCharge, |f| testkit::store_matches_model(f));
    caught(Flaw::StaleSharedGet, |f| testkit::backend_matches_model(f));
    caught(Flaw::StaleSharedGet, |f| testkit::store_matches_model(f));
    caught(Flaw::BlockingIgnoresLimits, |f| {
        testkit::backend_matches_model(f)
    });
    caught(Flaw::BlockingIgnoresLimits, |f| {
        testkit::store_matches_model(f)
    });
    caught(Flaw::BlockingIgnoresLimits, |f| {
        testkit::quota_boundaries(f)
    });
    caught(Flaw::BlockingIgnoresLimits, |f| {
        testkit::concurrent_writers(f)
    });
    caught(Flaw::ManyReversed, |f| testkit::backend_matches_model(f));
    caught(Flaw::ManyReversed, |f| testkit::concurrent_batch_reads(f));
    caught(Flaw::ManyStale, |f| testkit::backend_matches_model(f));
    caught(Flaw::ManyStale, |f| testkit::concurrent_batch_reads(f));
}
