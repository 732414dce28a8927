//! An mpstore [`Backend`](storage_core::Backend) on Redis Cluster, for platforms whose game cloud
//! data outgrows one machine.
//!
//! ```no_run
//! # storage_core::block_on(async {
//! use storage_redis::{RedisBackend, RedisOptions};
//! let backend = RedisBackend::connect(
//!     &["10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"],
//!     RedisOptions::default().replica_acks(1),
//! )
//! .await?;
//! # Ok::<(), storage_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! # Data layout
//!
//! Every key of a namespace carries one hash tag built from the hex of the backend's prefix and
//! of the namespace bytes, so the whole namespace lives in **one hash slot** on one master:
//! a hash of values, a hash of charges, a sorted set of keys scored by insertion sequence, and a
//! meta hash (usage bytes and entries, next sequence, registration, fence). A separate registry
//! hash, in a slot of its own, lists the namespaces (see *Listing namespaces*).
//!
//! # What is atomic
//!
//! Each call that changes a namespace is **one Lua script** on the master of its slot, and Redis
//! runs a script alone: [`apply`](storage_core::Backend::apply) computes the usage its ops lead
//! to, checks it exactly as [`Limits::refuses`](storage_core::Limits::refuses) does, and then
//! applies every op in order or none. Two writers can never together pass a limit, and usage
//! always equals the sum of the stored charges. [`list`](storage_core::Backend::list) reads keys
//! and usage in one script, so at one instant. Calls are therefore serializable per namespace;
//! calls on different namespaces touch disjoint keys.
//!
//! [`get_many`](storage_core::Backend::get_many) reads each namespace's keys with one `HMGET`
//! (so at one instant per namespace, which the trait does not promise), the `HMGET`s of one
//! master in one pipeline, all masters at once: about one round trip per master asked. Nothing
//! reads several namespaces at one instant.
//!
//! Usage and charges are counted exactly up to [`MAX_EXACT_USAGE`] (2^53 - 1, the largest
//! integer a Lua number holds exactly); a write that would pass it fails and changes nothing.
//!
//! # Listing namespaces
//!
//! No slot can hold every namespace, so [`namespaces`](storage_core::Backend::namespaces) reads a
//! registry kept beside them: a namespace is registered before its first entry is written, and
//! empty ones are pruned while listing, behind a per-namespace fence so that pruning can never
//! lose a namespace that holds entries. The protocol and why it is safe are in `registry.rs`.
//! A dropped namespace leaves only its fence epoch (one small hash field) behind.
//!
//! # Durability
//!
//! What an `Ok` promises depends on the cluster's configuration and on
//! [`RedisOptions::replica_acks`]:
//!
//! - with every node on `appendonly yes` and `appendfsync always`, an acknowledged write is on
//!   its master's disk and survives a crash and restart of that master;
//! - with `replica_acks: 1` (and one or more replicas per master), a write returns `Ok` only
//!   once a replica has it too (Redis `WAIT`), so it survives the loss of its master when that
//!   replica takes over. The `WAIT` rides in one pipeline with the write's script, so it is
//!   answered by the node that ran the write; a retry after a failover sends both again.
//!   Redis replication is otherwise asynchronous: without it, a failover may lose the last
//!   acknowledged writes.
//!
//! `docs/scaling.md` gives the whole deployment.
//!
//! # Errors
//!
//! - [`Error::Unavailable`](storage_core::Error::Unavailable) (retryable): no node answers, a
//!   connection dropped or timed out, or the slot is failing over (`CLUSTERDOWN`, `TRYAGAIN`,
//!   `MASTERDOWN`, `LOADING`…), after the client's own retries; also a write whose replica
//!   confirmation did not come in time.
//! - [`Error::Backend`](storage_core::Error::Backend): anything else (a reply of the wrong shape,
//!   a script error, refused credentials).
//!
//! Cluster redirects (`MOVED`, `ASK`) are followed by the client. While a slot migrates, a
//! request redirected more often than [`RedisOptions::retries`] allows (the client counts
//! redirects among its retries) fails with `Unavailable` like any other retryable failure; the
//! resharding test sees a few such calls, single writes and batched reads alike.
//!
//! A network backend cannot always know whether a request that timed out ran: when a call fails
//! with `Unavailable` after its request was sent (a timeout, a dropped connection, a missing
//! replica confirmation), the write may have been applied. Every write here is a whole-batch
//! script, so it was applied entirely or not at all, never in part; and retrying the same
//! `apply` gives the same values and usage.
//!
//! # No runtime required
//!
//! The backend owns a small tokio runtime for its network I/O and hands each call's result back
//! over a channel any executor can await, so its futures complete under
//! [`storage_core::block_on`] on a plain thread as well as inside any async runtime.

mod backend;
mod batch;
mod connection;
mod errors;
mod keys;
mod options;
mod registry;
mod scripts;
mod slots;

pub use backend::{RedisBackend, MAX_EXACT_USAGE};
pub use options::RedisOptions;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
