//! # storage-sled
//!
//! A durable [`storage_core::Backend`] on [sled](https://docs.rs/sled/0.34) 0.34: [`SledBackend`].
//!
//! ```
//! use storage_core::{block_on, Backend, Limits, Op};
//! use storage_sled::SledBackend;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = SledBackend::open(dir.path().join("store")).unwrap();
//! let put = Op::Put { key: b"city".to_vec(), value: b"Hangzhou".to_vec(), charge: 12 };
//! // Returns once the write is on disk: it survives a kill -9 from here on.
//! let usage = block_on(store.apply(b"ns", &[put], Limits::NONE)).unwrap();
//! assert_eq!((usage.bytes, usage.entries), (12, 1));
//! assert_eq!(block_on(store.get(b"ns", b"city")).unwrap(), Some(b"Hangzhou".to_vec()));
//! ```
//!
//! ## What it promises
//!
//! - **Durable on acknowledgement** ([`Durability::Durable`], the default): a write that returned
//!   `Ok` survives the death of the process. Concurrent writers share one flush (group commit,
//!   [`SledBackend::flushes`]). A `*Sync` call waits for it on its own thread; an async call
//!   never holds its executor's thread: a flusher thread of the store waits for it. [`Durability::Buffered`] acknowledges from memory and writes out
//!   in the background, at the latest every [`SledOptions::flush_every_ms`];
//!   [`SledBackend::flush`] makes everything so far durable.
//! - **Consistent after a crash**, in both modes: a store reopened after kill -9 holds a prefix
//!   of the writes in the order they were made, each write (one entry, a batch, a clear) whole or
//!   not at all; usage is derived from the entries, so it never disagrees with them.
//! - **No wrong value, ever**: every value in the value log carries a CRC-32 checked on read; a
//!   record that decodes badly is [`storage_core::Error::Corrupt`], never a panic, and clearing
//!   its namespace removes it.
//! - **A full disk refuses writes, not the store**: while the filesystem is nearly full a
//!   write that adds an entry fails with [`storage_core::Error::Backend`] saying so, changing
//!   nothing; reads, removals and clears go on (a reserve file is given up to make room for
//!   them), writes resume once space returns, and a store on a full disk opens.
//! - **A failing disk stops the store**: a write that fails in sled or the value log (a failing
//!   device, or a disk another process filled between two looks) returns
//!   [`storage_core::Error::Backend`], and every later call is refused until the store is
//!   reopened, which shows exactly what is on disk.
//! - **Bounded memory**: sled's page cache is bounded by [`SledOptions::cache_capacity_bytes`]
//!   (32 MiB by default), which holds because values above 4096 bytes live in the value log and
//!   never enter it.
//! - **Opening** creates a store at a missing path or empty directory, and refuses, changing
//!   nothing, a file, a directory holding something else, a store of another format version than
//!   [`FORMAT_VERSION`], a store already open in this process, or one another process holds.
//!   Dropping the backend closes the store and lets the path be reopened at once.
//!
//! **Power cuts.** In the durable mode a value bound for the value log is synced before any
//! record points to it, and an acknowledgement comes after `fdatasync` of the value log's
//! segments written to and of the store's redo log, which holds every write since sled's files
//! were last made durable, and `fsync` of the store's directories when a file was named in them
//! (a new store's directory, the redo log, sled's `conf` and snapshots), so the write survives a
//! power cut or an OS crash as well. Concurrent writers share one `fdatasync` (group commit).
//! sled's own files are flushed and synced at checkpoints (when the redo log is full, and when
//! the store closes); opening replays the writes a cut took from sled. The crash test's power
//! cut campaign (`tests/crash/power_cut.rs`) checks it on a file system that drops every unsynced
//! write at each cut.
//! [`Durability::Buffered`] is not power-cut safe: a cut may lose its last writes, and a value
//! whose pointer sled's background flush made durable before the value's bytes reads as
//! `Corrupt` (never as other bytes).

//! ## What it costs
//!
//! A set or remove reads nothing but the old record's header (from memory for recently written
//! keys) and writes one record: its cost grows with the logarithm of the store's size, not with
//! its keys or namespaces. A value above 4096 bytes adds one `pwrite` to the value log and two
//! small index operations; a read of it is one positioned read without a lock. Each namespace's
//! usage is rebuilt from its range on first use, then kept in memory (bounded). `list` reads the
//! namespace's range; [`Backend::namespaces`](storage_core::Backend::namespaces) walks the
//! store, a host call for no hot path. Overwritten values are reclaimed by compaction on the
//! writers' threads, in steps bounded by what they wrote. Figures and history:
//! `docs/performance.md`.
//!
//! ## Map
//!
//! - `backend`: [`SledBackend`], composing the parts below; `write`: a namespace's writes.
//! - `catalog`: namespaces' usage (`ns_state`) and recent keys' headers (`known_keys`) in
//!   memory, behind the stripe locks.
//! - `values`: where values live (inline or in the value log), the write order coded once, and
//!   compaction.
//! - `disk`: sled's handle, the redo log (`redo`), the value log, group commit
//!   (`group_commit`), the store's health (`health`) and its free space guard (`space`), shared
//!   with the flusher thread that async calls wait on.
//! - `layout`: the on-disk format (format version 4); `open`: the format record and sled's
//!   setup.
//! - `backup`: every record copied into a new store ([`SledBackend::copy_to`]); `salvage`: a
//!   copy of a damaged store opened, by what sled needs to open it.

#![warn(missing_docs)]

mod backend;
mod backup;
mod catalog;
mod disk;
mod group_commit;
mod health;
mod known_keys;
mod layout;
mod ns_state;
mod open;
mod options;
mod redo;
pub mod salvage;
mod space;
mod values;
mod write;

pub use backend::SledBackend;
pub use backup::{Copied, Unreadable};
pub use open::{FORMAT_FILE, FORMAT_VERSION, SEGMENT_SIZE_BYTES};
pub use options::{Durability, SledOptions};
pub use values::log::ValueLogStats;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
