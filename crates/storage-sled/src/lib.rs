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
//! // Returns once sled has flushed the write: it survives a kill -9 from here on.
//! let usage = block_on(store.apply(b"ns", &[put], Limits::NONE)).unwrap();
//! assert_eq!((usage.bytes, usage.entries), (12, 1));
//! assert_eq!(block_on(store.get(b"ns", b"city")).unwrap(), Some(b"Hangzhou".to_vec()));
//! ```
//!
//! ## Durability modes
//!
//! Chosen with [`SledOptions::durability`]:
//!
//! - [`Durability::Durable`] (the default): **durable on acknowledgement.** When a call that
//!   writes (`apply`, `clear`, `drop_namespace`) returns `Ok`, sled has flushed its effect to the
//!   store's files: it survives the death of the process (kill -9, a panic, an abort), which is
//!   what contract §6 promises. sled alone does not (it writes its log out in the background,
//!   and a kill right after a write loses it), so the backend flushes before acknowledging.
//!   Concurrent writers share one flush (*group commit*, see [`SledBackend::flushes`]): writers
//!   that commit while another's flush is running are all covered by the next flush, which one
//!   of them runs for the others.
//! - [`Durability::Buffered`] (opt-in): **may lose the last moments of writes.** A call returns
//!   once its effect is in memory; sled writes it out in the background, at the latest every
//!   [`SledOptions::flush_every_ms`] (500 ms by default). A crash loses what was acknowledged
//!   but not yet written out. [`SledBackend::flush`] makes everything written so far durable, and
//!   closing the store (dropping the backend) writes everything out too, though an error there
//!   cannot be reported: call `flush` first where that matters.
//!
//! In both modes a crash of the process leaves a consistent store: a single write (one set or
//! remove) of a value of at most the store's chunk size (4096 bytes, see *On-disk layout*) is
//! one atomic sled insert or remove of one record, which carries the entry's place in the
//! insertion order and its charge; a write of a larger value (its record and all its chunks), a
//! batch, a clear or a drop is one atomic sled batch on that one tree. Each is recovered whole
//! or not at all, so there is never a torn value or half a batch; and usage is not stored but derived from the entries (see *Cost* below), so it can
//! never disagree with them. After a crash the store holds the effect of a prefix of the writes
//! in the order they were made: in durable mode every acknowledged write, and possibly writes
//! that were in flight (never acknowledged) when the process died. The crash test
//! (`tests/crash.rs`) checks exactly this under SIGKILL.
//!
//! **Power cuts and OS crashes** are beyond what sled 0.34 promises, and so beyond this crate:
//! sled pushes its log to the device with `sync_file_range` (which flushes neither the drive's
//! cache nor the file's size), writes large pages (above about 128 KiB: with format 3's chunks,
//! only leaves of keys of several KiB, or format 2's large values not yet written again) to
//! separate blob files without `fsync`, and
//! calls a full `fsync` only from its background flusher (every
//! [`SledOptions::flush_every_ms`]) and at segment boundaries. After a power cut, the last
//! moments of acknowledged writes may therefore be missing even in durable mode.
//!
//! A write becomes visible to readers when it is committed, just before its flush: a reader may
//! see a write whose writer has not yet been told it is durable; if the process dies in that
//! instant, that write may be gone after reopening (its writer never got `Ok`).
//!
//! **When the disk fails.** A failed read (`get`, `list`, `namespaces`) returns
//! [`storage_core::Error::Backend`] and changes nothing. If sled fails while committing a write or
//! while flushing it (a full disk, a failing device, a file grown past a limit), the call returns
//! [`storage_core::Error::Backend`] naming the cause, and from then on the store refuses every
//! call until it is reopened: the write may or may not have reached the disk, and a store that
//! went on serving it from memory could show data that a restart then loses. Reopening shows
//! exactly what is on disk: every acknowledged write, and the failed one whole or not at all
//! (`tests/faults.rs` checks this for a read-only directory, writes failing at chosen offsets,
//! and a full filesystem).
//!
//! **Damaged files.** sled treats damage in its log (a truncated file, overwritten bytes) as the
//! end of the log: such a store opens without an error and holds the writes made before the
//! damage, still consistent (`tests/damaged_files.rs`). A record that decodes badly in this
//! crate's own layout is reported as [`storage_core::Error::Corrupt`], never a panic; clearing
//! the namespace removes it.
//!
//! ## Memory
//!
//! sled's page cache is bounded by [`SledOptions::cache_capacity_bytes`], 32 MiB by default
//! ([`SledOptions::DEFAULT_CACHE_CAPACITY_BYTES`]) rather than sled's own 1 GiB.
//!
//! That bound holds only because values above 4096 bytes are stored in chunks of 4096 bytes
//! (format 3; *Chunk size* below says why not larger). sled 0.34 writes any page above about
//! 128 KiB (a quarter of its 512 KiB segment) to a blob file and then counts it in its cache as
//! about 20 bytes, and a leaf holds up to 17 entries whatever their size: with whole values of
//! 100 KiB every leaf is such a page, none is ever evicted, and reading a 1 GiB store peaked at about 1 GiB of RSS. With chunks every leaf
//! stays under the threshold (for keys up to about 3 KiB), and reading every value of a store
//! peaks at about the cache plus 45 MiB whatever the store's size. Measured with the benchmark's
//! memory suite (100 KiB values, the default 32 MiB cache, the whole stack): reading every value
//! of a 1 GiB store peaks at 82 MiB (72 MiB for a 100 MiB store), against 940 MiB with format 2
//! and 1,032 MiB for raw sled storing whole values; filling the 1 GiB store peaks at 63 MiB
//! (398 MiB with format 2). A store migrated from format 2 keeps its large values whole until
//! they are written again.
//!
//! sled's cache is also sharded 256 ways with a batched LRU, so its floor is a few hundred pages
//! whatever `cache_capacity_bytes` says: with small values read at random that floor, not the
//! configured cache, sets the peak (about 130 MiB for a 1 GiB store of 1 KiB values).
//!
//! **Chunk size.** Stores this build creates have 8 MiB log segments (see *Known hang*), whose
//! blob threshold (2 MiB) would let a leaf of 17 chunks of up to about 116 KiB stay a cached
//! page, enough to store a 100 KiB value inline in one insert. It does not keep memory bounded:
//! sled's cache gives each of its 256 shards `cache_capacity_bytes / 256` (128 KiB by default)
//! and never evicts a shard's last page, and it evicts only after 64 accesses to a shard, so a
//! store of leaves much larger than that stays in memory. Measured with the benchmark's memory
//! suite (quick mode: stores of 64 and 256 MiB of 100 KiB values, the default caches, the whole
//! stack), the peak reading every value of the 64 and 256 MiB stores: 4 KiB chunks 76 and 92 MiB
//! (1.20×), 6 KiB 89 and 102 MiB (and 94 MiB filling, against 68; no measurable gain in write
//! speed), 8 KiB 88 and 114 MiB (1.28×, growing), 16 KiB 92 and 164 MiB, 32 KiB 92 and 232 MiB,
//! 116 KiB (100 KiB values inline) 90 and 288 MiB (3.2×; raw sled storing whole values: 83 and
//! 275 MiB); filling the 256 MiB store peaked at 68 MiB with 4 KiB chunks, 293 MiB with 116 KiB.
//! What inline values would have bought, from the ops suite in the 116 KiB run: a buffered set of
//! 100 KiB through `SledBackend` alone at 1.33× a raw insert, the full stack at 1.60× (with
//! 4 KiB chunks: about 1.7–2.0× and 1.7–3.2× in runs the same hour on a loaded machine). So the
//! chunk size stays 4096 bytes whatever the segment size (a store with segments under
//! 512 KiB would get smaller chunks, down to 512 bytes, to stay under its blob threshold; this
//! crate creates none). Readers do not assume it: each chunked value's first chunk gives the
//! size its writer used, so a store written with another chunk size reads back whole, and an
//! overwrite removes exactly the old value's chunks. With this build (`--full`, 1 GiB): reading
//! every value of the 1 GiB store peaks at 94.7 MiB, of the 100 MiB store at 83.4 MiB (1.14×),
//! as before it (95.6 and 83.1 MiB).
//!
//! ## Opening
//!
//! [`SledBackend::open`] creates the store if the path does not exist or is an empty directory.
//! It fails with a clear [`storage_core::Error::Backend`], without changing anything on disk,
//! when the path is a file or a directory holding something other than a store, when the store
//! records a format version this build cannot read, when the store is already open in this
//! process (share the open backend instead), or when another process has it open (sled's file
//! lock).
//!
//! Dropping the backend closes the store: sled writes out what is buffered, and the drop waits
//! (at most 10 s) until sled's last background I/O has let go of the files, so the same path can
//! be reopened at once.
//!
//! ## On-disk layout, format version 3
//!
//! A store is a directory holding sled's files (`conf`, `db`, `blobs/`, `snap.*`) and the
//! format record file `MPSTORE_FORMAT`, whose whole content is `mpstore-sled format 3\n`
//! (written atomically when the store is created, and checked before sled is opened). sled's
//! default tree repeats the version under the key `mpstore/format` (4 bytes, big-endian).
//!
//! One sled tree holds the data:
//!
//! | tree                  | key                                   | value                                  |
//! |-----------------------|---------------------------------------|----------------------------------------|
//! | `mpstore/entries/v1`  | `len(ns) ‖ ns ‖ key`                  | `seq ‖ charge ‖ value bytes`           |
//! | `mpstore/entries/v1`  | `len(ns) ‖ ns ‖ key` (value > chunk)  | `seq + 2⁶³ ‖ charge ‖ len ‖ n`         |
//! | `mpstore/entries/v1`  | `FF FF FF FF ‖ len(ns) ‖ ns ‖ key ‖ i`| chunk `i` of the value (all of one size, 4096 bytes here; the last one the rest) |
//!
//! `len(ns)`, `n` and `i` are big-endian `u32`s, and `seq`, `charge` and `len` big-endian
//! `u64`s. `seq` is the key's place in its namespace's insertion order: a new key takes one more
//! than the largest `seq` in its namespace; overwriting keeps it. Prefixing with the namespace's
//! length keeps every namespace's records a contiguous range of its own, even when one
//! namespace's bytes are a prefix of another's. Nothing else is stored per namespace: a
//! namespace with no entries leaves no trace.
//!
//! A value longer than the chunk size (4096 bytes in every store this build writes; see *Memory*,
//! *Chunk size*) is stored in `n ≥ 2` chunks: its record's
//! `seq` has the top bit set and holds the value's length and chunk count instead of the value,
//! and the chunks live under keys starting with `FF FF FF FF`, which no namespace's range can
//! reach (a namespace name of `u32::MAX` bytes or more is refused with
//! [`storage_core::Error::InvalidParam`]). So rebuilding usage, listing and walking namespaces
//! read records only, never chunk data. A write puts the record and all its chunks, and removes
//! the old value's chunks beyond the new count, in one atomic sled batch; clearing a namespace
//! removes its range of chunks (`FF FF FF FF ‖ len(ns) ‖ ns`) in the same batch as its records.
//! Reading a chunked value takes one sled `get` per chunk, under the namespace's lock stripe,
//! which every write to the namespace holds while it writes (never while it waits for its
//! flush), so a read never mixes two writes' chunks. A reader takes the chunk size from chunk 0:
//! every chunk but the last must have its length, the last must hold the rest (1 byte to a whole
//! chunk), so `n` must be exactly the count the record's `len` takes at that size. A missing
//! chunk, a length breaking these rules, or a record whose `n` and `len` no size reconciles
//! (`n < 2`, or fewer bytes than chunks) is [`storage_core::Error::Corrupt`]. The meaning of the
//! records is unchanged from the first format 3 builds (which always wrote 4096-byte chunks), so
//! the format stays 3.
//!
//! **Format version 2** stored every value inline, with `seq` below 2⁶³: its records are version
//! 3's inline records. [`SledBackend::open`] migrates such a store by recording version 3 inside
//! sled (flushed), then in the format file; a crash between the two leaves a store that still
//! opens and finishes the migration. From the first step on, a version 2 build refuses the store
//! (it would read a chunked record as a value), since it reads only version 2 in both places.
//!
//! **Format version 1** kept two more trees, `mpstore/order/v1` (`len(ns) ‖ ns ‖ seq → key`) and
//! `mpstore/meta/v1` (`ns → usage ‖ next_seq`), and wrote all three in one sled transaction per
//! write. Its entries are version 2's, so [`SledBackend::open`] migrates such a store in place:
//! it records version 3 inside sled, then in the format file, then drops the two old trees. Each
//! step can be interrupted by a crash; the store still opens with all its data, and the next open
//! finishes the migration (`tests/migration.rs` opens every state a crash can leave, from version
//! 1 and from version 2, including a version 2 build's interrupted migration from 1). A version 1
//! build refuses a store once its migration has begun.
//!
//! ## Cost
//!
//! Each namespace's usage and next `seq` live in memory, rebuilt from its range of entries (their
//! headers) the first time the namespace is used after opening. A set or remove then needs the
//! old record's header (its `seq`, charge and chunk count) and writes one record (plus, for a
//! value above 4096 bytes, its chunks): its cost grows with the logarithm of the store's size,
//! not with the number of keys or namespaces, and it scans nothing. The first use of a
//! namespace reads its range once. At most 16,384 namespaces' states are kept (256 in each of 64
//! lock stripes, the least recently used evicted first), so that memory is bounded whatever the
//! store holds; an evicted state is rebuilt on next use.
//!
//! The old header comes from memory when the key was written (or its header read by a write)
//! recently: the store keeps the headers of up to 32,768 keys (and 4 MiB of key bytes; about
//! 6.5 MiB in all with the full stack's 70-byte keys), evicting by CLOCK, and reads the record
//! only for other keys. Every write of a namespace holds its stripe and updates the headers it
//! changed; a clear or drop forgets the namespace's keys; a reopen starts with none, so nothing
//! known survives a change made while the store was closed. Measured: in a profile of the full
//! stack's buffered set of 100 B (`--profile set-buffered 100`) the read was 8.2% of the call,
//! the lookup and update in memory that replace it 2.3%; `SledBackend` alone, paired per round
//! in one process against a raw sled insert (30 rounds over 1,000 keys, a machine shared with
//! builds), went from 1.53× to 1.29× at 100 B and from 1.36× to 1.19× at 1 KiB (at 100 KiB the
//! saving, one small `get`, is lost in the chunks' cost).
//!
//! `list` reads the namespace's range and sorts it by `seq`; `clear` and `drop_namespace` read
//! the range's keys. [`Backend::namespaces`](storage_core::Backend::namespaces) walks the whole
//! store (one range per namespace holding data, every entry's header read unless the namespace's
//! state is in memory): a host or admin call whose cost grows with the store, not one for a hot
//! path. Each namespace's writes, listings and clears are serialized by its stripe's lock, so a
//! listing is read at one instant; sled orders the writes themselves.
//!
//! A value above 4096 bytes costs a sled insert per 4096-byte chunk to write, in a sled batch
//! (which sled runs under a process-wide lock, exclusive of every other sled call), and a sled
//! `get` per chunk plus one copy to read; it also takes more disk (chunk keys, and sled's
//! per-entry overhead). Reads of chunked values in one lock stripe are serialized with each
//! other and with that stripe's writes (not with their flushes). Measured on `SledBackend` alone,
//! distinct 100 KiB values (like ciphertext), 32 keys, paired with format 2 in the same process
//! (2 shared cores): a buffered set 1.6–2.0× (about 180–280 µs against 95–140 µs), a durable
//! set 1.4–1.6× (about 390–500 µs against 280–310 µs), a get about 4.5× (about 10 µs against
//! 2 µs, still far below the decryption above it), and two threads reading one namespace gain
//! nothing over one. Values up to 4096 bytes cost what they did. (Larger chunks would cut this
//! cost, but they unbound memory: see *Chunk size*.)
//!
//! **Known hang (sled 0.34, open).** sled can deadlock when it truncates the tail segment of its
//! log while every thread of its I/O pool waits for the segment lock the writer holds (the
//! writer waits in `SegmentAccountant::bump_tip` for the truncation job that no pool thread is
//! free to run; upstream spacejam/sled#1412). Chunked values put their bytes in sled's log instead
//! of blob files, so sustained overwrites of large values churn log segments and hit it far more
//! often: a micro-benchmark of `SledBackend` alone (2,100 buffered then 700 durable overwrites of
//! distinct 100 KiB values over 32 keys) hung in 5 of 5 runs with format 3 and 0 of 5 with
//! format 2. With sled's log segments at 8 MiB instead of 512 KiB the same benchmark finished 5
//! of 5 (and 3 of 3 again after the change), so stores this build creates use
//! [`SEGMENT_SIZE_BYTES`] (8 MiB). sled refuses to reopen a store with another segment size, so a
//! store created by an earlier build (512 KiB segments, read from sled's `conf` file) keeps its
//! own and keeps the risk; moving its data into a new store removes it. Larger chunks would put
//! fewer, larger entries in the log; they were not kept (see *Chunk size*), but the benchmark's
//! ops suite (sustained 100 KiB overwrites through `SledBackend` alone, buffered then durable)
//! finished every run made while choosing: three with 4 KiB chunks, one with 6 KiB, one with
//! 116 KiB (100 KiB values inline), all with 8 MiB segments.

#![warn(missing_docs)]

mod backend;
mod chunks;
mod compaction;
mod group_commit;
mod known_keys;
mod layout;
mod ns_state;
mod open;
mod options;
mod value_log;

pub use backend::SledBackend;
pub use open::{FORMAT_FILE, FORMAT_VERSION, SEGMENT_SIZE_BYTES};
pub use options::{Durability, SledOptions};
pub use value_log::ValueLogStats;
