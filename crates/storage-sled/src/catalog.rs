//! The catalog: what the store knows in memory of its namespaces (each one's usage and next
//! `seq`, `crate::ns_state`) and of recently written keys (their headers, `crate::known_keys`),
//! and the lock stripes that keep both equal to what sled holds.
//!
//! A namespace's writes, listings and clears run under its stripe, held as an [`NsGuard`]: the
//! only way to change what is known of the namespace or to record a key's header. Forgetting a
//! key needs no guard (a key not known is read from sled).

use crate::known_keys::{Known, KnownKeys};
use crate::ns_state::{self, NsState, NsStates};
use std::sync::{Mutex, MutexGuard};
use storage_core::Result;

/// Locks striping the namespaces: enough that unrelated namespaces rarely share one.
pub(crate) const STRIPES: usize = 64;

/// How many namespace states one stripe keeps in memory by default (so at most
/// `STRIPES * STATES_PER_STRIPE` = 16,384 namespaces' states, a few MiB at most).
const STATES_PER_STRIPE: usize = 256;

/// Namespaces' states and keys' headers, behind the stripe locks.
pub(crate) struct Catalog {
    stripes: Vec<Mutex<NsStates>>,
    /// How many namespace states one stripe keeps.
    states_per_stripe: usize,
    known: KnownKeys,
}

/// One namespace's stripe, held.
pub(crate) struct NsGuard<'a> {
    states: MutexGuard<'a, NsStates>,
    catalog: &'a Catalog,
    ns: &'a [u8],
    /// `ns_state::ns_hash(ns)`, computed once.
    hash: u64,
}

impl Catalog {
    pub(crate) fn new() -> Self {
        Catalog {
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            states_per_stripe: STATES_PER_STRIPE,
            known: KnownKeys::new(KnownKeys::DEFAULT_MAX_BYTES),
        }
    }

    /// Keeps at most `n` namespace states per stripe (tests use a tiny bound to exercise
    /// eviction).
    #[cfg(test)]
    pub(crate) fn with_states_per_stripe(mut self, n: usize) -> Self {
        self.states_per_stripe = n;
        self
    }

    /// Keeps the headers of about `n` short keys (tests use a tiny bound to exercise eviction).
    #[cfg(test)]
    pub(crate) fn with_known_keys(mut self, n: usize) -> Self {
        self.known = KnownKeys::new(KnownKeys::room_for(n, 16));
        self
    }

    /// The headers known in memory (for tests).
    #[cfg(test)]
    pub(crate) fn known_keys(&self) -> &KnownKeys {
        &self.known
    }

    /// How many namespace states are in memory (for tests).
    #[cfg(test)]
    pub(crate) fn states_held(&self) -> usize {
        self.stripes
            .iter()
            .map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len())
            .sum()
    }

    /// Locks the stripe of `ns`.
    pub(crate) fn lock<'a>(&'a self, ns: &'a [u8]) -> NsGuard<'a> {
        let hash = ns_state::ns_hash(ns);
        let i = ns_state::stripe_of(hash, STRIPES);
        // Nothing panics while holding a stripe, and states change only after sled accepted a
        // write, so a poisoned stripe still holds true states.
        let states = self.stripes[i].lock().unwrap_or_else(|e| e.into_inner());
        NsGuard {
            states,
            catalog: self,
            ns,
            hash,
        }
    }

    /// The number of `ns`'s stripe (the redo log numbers each stripe's writes).
    pub(crate) fn stripe(&self, ns: &[u8]) -> usize {
        ns_state::stripe_of(ns_state::ns_hash(ns), STRIPES)
    }

    /// Forgets what is known of each of `ekeys`.
    pub(crate) fn forget_keys<'a>(&self, ekeys: impl IntoIterator<Item = &'a [u8]>) {
        self.known.forget(ekeys);
    }
}

impl NsGuard<'_> {
    /// The namespace's state, from memory or, if absent, from `load` (evicting the least
    /// recently used state of the stripe when it is full). A failed `load` keeps nothing.
    pub(crate) fn state(&mut self, load: impl FnOnce() -> Result<NsState>) -> Result<NsState> {
        let bound = self.catalog.states_per_stripe;
        (self.states)
            .get_or_load(self.ns, self.hash, bound, load)
            .copied()
    }

    /// Records the namespace's state after a write sled accepted (or a listing read).
    pub(crate) fn set_state(&mut self, state: NsState) -> Result<()> {
        let bound = self.catalog.states_per_stripe;
        *(self.states).get_or_load(self.ns, self.hash, bound, || Ok(state))? = state;
        Ok(())
    }

    /// The namespace's state if it is in memory (without counting a use).
    pub(crate) fn cached_state(&self) -> Option<NsState> {
        self.states.cached(self.ns)
    }

    /// Forgets the namespace's state (it is rebuilt on next use).
    pub(crate) fn forget_state(&mut self) {
        self.states.forget(self.ns);
    }

    /// What is known of the entry key `ekey` (one of this namespace's).
    pub(crate) fn known(&self, ekey: &[u8]) -> Option<Known> {
        self.catalog.known.get(ekey)
    }

    /// Records that `ekey` now holds `known`, just written to sled or read there.
    pub(crate) fn remember(&self, ekey: &[u8], known: Known) {
        self.catalog.known.set(ekey, known);
    }

    /// [`remember`](Self::remember) for several keys at once (a batch).
    pub(crate) fn remember_all<'k>(&self, keys: impl IntoIterator<Item = (&'k [u8], Known)>) {
        self.catalog.known.set_all(keys);
    }
}
