//! The backend contract: what every storage backend must do, and what callers may rely on.

use crate::error::Result;
use async_trait::async_trait;

pub use crate::stored_value::StoredValue;

/// What a namespace holds: the sum of its entries' charges and the number of its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Usage {
    /// The sum of the `charge` of every entry (see [`Op::Put`]).
    pub bytes: u64,
    /// The number of entries.
    pub entries: u64,
}

/// Ceilings a write must respect, checked by the backend atomically with the write.
///
/// A write is refused when, after it, a dimension of the namespace's [`Usage`] would be above its
/// ceiling **and** higher than before the write; a write that shrinks usage is always allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// The largest `Usage::bytes` a write may lead to.
    pub max_bytes: u64,
    /// The largest `Usage::entries` a write may lead to.
    pub max_entries: u64,
}

impl Limits {
    /// No ceiling at all.
    pub const NONE: Limits = Limits {
        max_bytes: u64::MAX,
        max_entries: u64::MAX,
    };

    /// Whether going from `before` to `after` is refused.
    pub fn refuses(&self, before: Usage, after: Usage) -> bool {
        (after.bytes > self.max_bytes && after.bytes > before.bytes)
            || (after.entries > self.max_entries && after.entries > before.entries)
    }
}

/// One change inside an atomic [`Backend::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Store `value` under `key`, charging `charge` to the namespace's `Usage::bytes`.
    ///
    /// The charge is decided by the layer above (plaintext sizes, per the dialect's rule), so a
    /// wrapper that changes `value` (encryption) never changes what is counted.
    Put {
        /// The entry's key.
        key: Vec<u8>,
        /// The entry's bytes.
        value: Vec<u8>,
        /// What the entry counts toward the namespace's usage.
        charge: u64,
    },
    /// Remove `key` if present; removing a missing key is not an error.
    Delete {
        /// The entry's key.
        key: Vec<u8>,
    },
}

impl Op {
    /// The key this op touches.
    pub fn key(&self) -> &[u8] {
        match self {
            Op::Put { key, .. } | Op::Delete { key } => key,
        }
    }
}

/// A namespace's keys and usage, read at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    /// Keys in insertion order (see [`Backend`], *Order*).
    pub keys: Vec<Vec<u8>>,
    /// The namespace's usage at the same instant.
    pub usage: Usage,
}

/// One pair of a batched read ([`Backend::get_many`]): a namespace and a key in it.
pub type ReadPair<'a> = (&'a [u8], &'a [u8]);

/// A backend: namespaced, ordered key-value storage with atomic, limit-checked writes.
///
/// Namespaces and keys are opaque byte strings here. The layers above encode them (see
/// [`crate::Namespace::encode`]) and may transform them further (encryption); a backend must never
/// interpret them, and must treat any byte string, including the empty one, as valid.
///
/// # Contract
///
/// Every implementation must keep all of these; the conformance kit (`storage_core::testkit`,
/// feature `testkit`) checks them.
///
/// - **Isolation.** Each namespace is a separate keyspace. No operation on one namespace reads,
///   changes, counts or lists anything of another, whatever bytes either name holds (one may be a
///   prefix of the other).
/// - **Atomic, limit-checked writes.** [`apply`](Backend::apply) applies its ops in order, as if
///   one after another, and either all of them take effect together with the namespace's new
///   [`Usage`], or none does. The [`Limits`] are checked against the usage the whole batch leads
///   to, in the same atomic step: two concurrent writers can never together pass a limit, and no
///   update of usage is ever lost.
/// - **Serializable.** Concurrent calls behave as if they ran one at a time in some order that
///   respects each caller's own order.
/// - **Usage is exact.** A namespace's `Usage::bytes` is always the sum of the charges of its
///   current entries (an overwrite replaces the old charge), and `Usage::entries` their number.
/// - **Order.** [`list`](Backend::list) returns keys in insertion order: a key takes its place
///   when first written; overwriting keeps its place; after a delete, writing it again puts it at
///   the end. [`clear`](Backend::clear) forgets every place.
/// - **Durability.** When a call returns `Ok`, its effect is as durable as the backend's
///   documented mode promises, and a crash never leaves a torn value, half a batch, or usage that
///   disagrees with the entries.
/// - **Failure changes nothing.** When a call returns `Err`, no stored entry, order or usage has
///   changed.
/// - **No runtime required.** Returned futures must complete when polled by any executor,
///   including a plain `block_on` on a thread with no tokio runtime (see [`crate::block_on`]). A
///   backend that needs a reactor runs its I/O on a runtime it owns and awaits the result through
///   a runtime-independent channel.
/// - **No panics.** Any input, including hostile bytes read back from storage, yields `Ok` or a
///   clear [`crate::Error`].
///
/// Conveniences built on these methods live in [`crate::Store`], not here, so a wrapper that
/// forwards this trait forwards everything. The three provided methods are faster doors a
/// backend may open, whose defaults are right for every backend that does not:
/// [`get_shared`](Backend::get_shared) to [`get`](Backend::get), for a backend holding values in
/// memory; [`get_many`](Backend::get_many) to many reads at once, for a backend whose reads are
/// round trips (a network); and [`apply_blocking`](Backend::apply_blocking) to
/// [`apply`](Backend::apply), for an embedded backend that can write on the calling thread, its
/// waits for the disk included.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The value stored under `key` in `ns`, or `None`.
    async fn get(&self, ns: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// The value stored under `key` in `ns` as a shared handle, or `None`: what
    /// [`get`](Backend::get) answers, without a copy where the backend already holds the value in
    /// memory. [`crate::Store::get`] reads through this.
    ///
    /// # Contract
    ///
    /// - **It must answer exactly as `get` would** at the same instant: the same bytes, or
    ///   `None`, or an error (the conformance kit checks it). It is not a second source of truth.
    /// - **The default wraps [`get`](Backend::get)** in a fresh handle; that is right for any
    ///   backend that does not keep values in memory, and for any decorator that changes what
    ///   `get` answers (encryption, fault injection): such a decorator may leave the default,
    ///   which goes through its own `get`. A decorator that changes nothing about values may
    ///   forward it; one that keeps values ([`crate::ReadCache`]) answers with the handle it keeps,
    ///   so repeated reads share the bytes and their decoded memo (see [`StoredValue`]).
    async fn get_shared(&self, ns: &[u8], key: &[u8]) -> Result<Option<StoredValue>> {
        Ok(self.get(ns, key).await?.map(StoredValue::from))
    }

    /// The values stored under many `(namespace, key)` pairs, read in one call: answer `i` is
    /// what [`get_shared`](Backend::get_shared) of `pairs[i]` answers. A backend whose reads are
    /// round trips answers a batch in a few of them rather than one per pair.
    ///
    /// # Contract
    ///
    /// - **One answer per pair, in the order of `pairs`.** Pairs may repeat, and may name any
    ///   namespaces, in any order; an empty `pairs` answers an empty vector.
    /// - **Each answer is what `get` of its pair would have answered at some instant between the
    ///   call's start and its return**: the same bytes, or `None` (the conformance kit checks it
    ///   against the model, and against writers racing the batch). So a write that returned
    ///   before the call started is seen, and a value never written is never answered.
    /// - **No snapshot across pairs.** Different pairs, even two of one namespace or two copies
    ///   of one pair, may be read at different instants: a write racing the batch may be seen by
    ///   some of its answers and not by others. A caller that needs one instant of one namespace
    ///   uses [`list`](Backend::list) (keys and usage) or reads again; nothing reads several
    ///   namespaces at one instant.
    /// - **All or nothing.** When reading any pair fails, the whole call returns that error (the
    ///   first met, not necessarily the first pair's): what a caller does with a batch (a
    ///   relation read, a leaderboard) fails as a whole when a part of it cannot be read, and a
    ///   remote backend's failures (a node unreachable, a slot moving) are retried whole. Reads
    ///   change nothing, so a failed batch leaves nothing behind.
    /// - **The default asks [`get_shared`](Backend::get_shared) for each pair in turn**; that is
    ///   right for an embedded backend, whose reads are function calls, and for any decorator
    ///   that changes what `get` answers without overriding this (it goes through its own
    ///   reads). A remote backend answers in as few round trips as it can; a decorator that
    ///   overrides it does its own part for the whole batch and calls its inner backend's
    ///   `get_many` once.
    /// - **Callers** may pass any number of pairs; a backend splits a batch it cannot send in
    ///   one piece.
    async fn get_many(&self, pairs: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        let mut answers = Vec::with_capacity(pairs.len());
        for &(ns, key) in pairs {
            answers.push(self.get_shared(ns, key).await?);
        }
        Ok(answers)
    }

    /// Applies `ops` to `ns` atomically, as described in the contract above, and returns the
    /// namespace's usage after them.
    ///
    /// When `limits` refuse the result (see [`Limits::refuses`]), returns
    /// [`crate::Error::LimitExceeded`] with the usage before and after, and changes nothing. An
    /// empty `ops` changes nothing and returns the current usage.
    ///
    /// # What it may block
    ///
    /// - **An implementation must not hold the polling thread while it waits** for a device or
    ///   a peer (an `fsync`, a flush, a network reply): it returns `Pending` and is woken by
    ///   whoever finishes the wait (a thread or runtime of its own). It may do short work on the
    ///   polling thread: encoding, in-memory bookkeeping, a write into the operating system's
    ///   page cache.
    /// - **Callers** may poll it on an executor's worker thread, many at once: waiting writers
    ///   cost that executor nothing.
    async fn apply(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage>;

    /// [`apply`](Backend::apply), run to completion on the calling thread: what the `*Sync` APIs
    /// write through ([`crate::Store::set_blocking`] and its siblings).
    ///
    /// # Contract
    ///
    /// - **It must do and answer exactly what `apply` would**: the same effect, usage and
    ///   errors, with every guarantee of the contract above (the conformance kit runs its
    ///   writes through both doors).
    /// - **The default is `block_on(self.apply(..))`** ([`crate::block_on`]); that is right for
    ///   every backend, and the only right answer for one whose writes wait on something else
    ///   (a network reply, a runtime), and for a decorator that changes what `apply` does
    ///   without overriding this.
    /// - **An embedded backend** may run the write here directly, waiting for its disk on this
    ///   thread, sparing the boxed future and its polling (as storage-sled does): a small write
    ///   is a few microseconds, and that box a few percent of it. A
    ///   decorator that overrides it does its own part and calls its inner backend's
    ///   `apply_blocking`.
    /// - **It may block the calling thread** for the whole write, its waits for the disk
    ///   included.
    /// - **Callers** are synchronous code only: never call it from inside a future that an
    ///   executor polls, which it would block.
    fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
        crate::block_on(self.apply(ns, ops, limits))
    }

    /// The keys of `ns` in insertion order, and its usage, read at one instant. A namespace that
    /// holds nothing lists no keys and zero usage.
    async fn list(&self, ns: &[u8]) -> Result<Listing>;

    /// Removes every entry of `ns`; its usage becomes zero. Clearing an empty namespace succeeds.
    async fn clear(&self, ns: &[u8]) -> Result<()>;

    /// Removes `ns` entirely: its entries and any state the backend keeps for it (order counters,
    /// metadata). Afterwards the namespace is as if it had never been written.
    async fn drop_namespace(&self, ns: &[u8]) -> Result<()>;

    /// Every namespace that holds at least one entry, with its usage, in no particular order.
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>>;
}

/// The future an object-safe [`Backend`] method returns (what `#[async_trait]` makes of it).
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Shared and boxed backends are backends too.
///
/// Written out rather than with `#[async_trait]`, so a call through an `Arc<dyn Backend>` hands
/// back the inner backend's future as it is instead of boxing it a second time.
macro_rules! forward_backend {
    ($($ptr:ty),*) => {$(
        #[deny(clippy::missing_trait_methods)]
        impl<B: Backend + ?Sized> Backend for $ptr {
            fn get<'s, 'n, 'k, 'f>(&'s self, ns: &'n [u8], key: &'k [u8])
                -> BoxFuture<'f, Result<Option<Vec<u8>>>>
            where 's: 'f, 'n: 'f, 'k: 'f, Self: 'f
            {
                (**self).get(ns, key)
            }
            fn get_shared<'s, 'n, 'k, 'f>(&'s self, ns: &'n [u8], key: &'k [u8])
                -> BoxFuture<'f, Result<Option<StoredValue>>>
            where 's: 'f, 'n: 'f, 'k: 'f, Self: 'f
            {
                (**self).get_shared(ns, key)
            }
            fn get_many<'s, 'p, 'a, 'f>(&'s self, pairs: &'p [ReadPair<'a>])
                -> BoxFuture<'f, Result<Vec<Option<StoredValue>>>>
            where 's: 'f, 'p: 'f, 'a: 'f, Self: 'f
            {
                (**self).get_many(pairs)
            }
            fn apply<'s, 'n, 'o, 'f>(&'s self, ns: &'n [u8], ops: &'o [Op], limits: Limits)
                -> BoxFuture<'f, Result<Usage>>
            where 's: 'f, 'n: 'f, 'o: 'f, Self: 'f
            {
                (**self).apply(ns, ops, limits)
            }
            fn apply_blocking(&self, ns: &[u8], ops: &[Op], limits: Limits) -> Result<Usage> {
                (**self).apply_blocking(ns, ops, limits)
            }
            fn list<'s, 'n, 'f>(&'s self, ns: &'n [u8]) -> BoxFuture<'f, Result<Listing>>
            where 's: 'f, 'n: 'f, Self: 'f
            {
                (**self).list(ns)
            }
            fn clear<'s, 'n, 'f>(&'s self, ns: &'n [u8]) -> BoxFuture<'f, Result<()>>
            where 's: 'f, 'n: 'f, Self: 'f
            {
                (**self).clear(ns)
            }
            fn drop_namespace<'s, 'n, 'f>(&'s self, ns: &'n [u8]) -> BoxFuture<'f, Result<()>>
            where 's: 'f, 'n: 'f, Self: 'f
            {
                (**self).drop_namespace(ns)
            }
            fn namespaces<'s, 'f>(&'s self) -> BoxFuture<'f, Result<Vec<(Vec<u8>, Usage)>>>
            where 's: 'f, Self: 'f
            {
                (**self).namespaces()
            }
        }
    )*};
}

forward_backend!(std::sync::Arc<B>, Box<B>, &B);
