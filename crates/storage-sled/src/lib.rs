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
//! In both modes a crash of the process leaves a consistent store. A single write (one set or
//! remove) is one atomic sled insert or remove of the entry's record, which carries its place in
//! the insertion order, its charge and either the value (up to 4096 bytes) or a pointer into
//! the value log (see *Value log*), whose bytes were written to the log file before the record
//! was inserted; a batch, a clear or a drop is one atomic sled batch. Each is recovered whole or
//! not at all, so there is never a torn value or half a batch (a pointer whose bytes are not
//! there is not possible after a process crash, and after a power cut it reads as
//! [`storage_core::Error::Corrupt`], never as another value: every value in the log carries a
//! CRC-32 checked on every read); and usage is not stored but derived from the entries (see
//! *Cost* below), so it can never disagree with them. After a crash the store holds the effect
//! of a prefix of the writes in the order they were made: in durable mode every acknowledged
//! write, and possibly writes that were in flight (never acknowledged) when the process died.
//! The crash test (`tests/crash.rs`, with large values and value log segments of 64 KiB, so
//! kills land in the middle of compactions too) checks exactly this under SIGKILL, and that
//! the reopened value log counts as live exactly the large values the store holds.
//!
//! **Power cuts and OS crashes** are beyond what sled 0.34 promises, and so beyond this crate:
//! sled pushes its log to the device with `sync_file_range` (which flushes neither the drive's
//! cache nor the file's metadata), writes large pages (above about 128 KiB: leaves of keys of
//! several KiB, or large values of format 2 not yet written again) to separate blob files
//! without `fsync`, and calls a full `fsync` only at segment boundaries and from its
//! background flusher. The value log is made stable the same way, and no weaker: in durable
//! mode a value of 64 KiB or more is written with direct I/O (`O_DIRECT`, padded to 4 KiB
//! blocks), which returns once the bytes are on the device, before its pointer is inserted; every
//! group-commit flush first pushes every other range written to the value log since the last
//! flush with `sync_file_range` (waiting for it), and only then flushes sled, so a pointer is
//! never acknowledged before its bytes. (A filesystem that refuses direct I/O gets the
//! `sync_file_range` path for every value.) Segments are preallocated (`fallocate`) when created
//! and their name made durable (`fsync` of the directory), so the data synced lands in blocks
//! the file already has; but the unwritten-to-written conversion of those blocks is file
//! metadata, committed by the filesystem's journal a moment later. In durable mode sled's
//! background flusher is off (every acknowledged write is flushed anyway), so sled writes its
//! log out only when a flush asks, after the value log. Still, the operating system may write
//! sled's buffers back on its own, so a power cut can leave a pointer whose value did not reach
//! the disk: it reads as `Corrupt` (the checksum), and overwriting, removing or clearing it
//! works as for any entry. After a power cut, the last moments of acknowledged writes may
//! therefore be missing or unreadable even in durable mode.
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
//! That bound holds only because sled's tree holds small records: values above 4096 bytes live
//! in the value log (format 4) and are read with positioned reads into a buffer of their own
//! size, so they never enter sled's page cache. (sled 0.34 writes any page above a quarter of
//! its log segment to a blob file and then counts it in its cache as about 20 bytes, and a leaf
//! holds up to 17 entries whatever their size: with whole values of 100 KiB in the tree, as in
//! format 2, no leaf was ever evicted and reading a 1 GiB store peaked at about 1 GiB of RSS.
//! Format 3 cut values into 4096-byte chunks to keep leaves small, which bounded memory but made
//! a 100 KiB write 25 inserts in one batch; larger chunks were measured to unbound memory again,
//! because each of the cache's 256 shards never evicts its last page.) The value log needs no
//! memory per value: per segment, a file handle and two counters. A store migrated from format 2
//! keeps its large values whole in the tree until they are written again, and one migrated from
//! format 3 keeps its chunks until then.
//!
//! sled's cache is also sharded 256 ways with a batched LRU, so its floor is a few hundred pages
//! whatever `cache_capacity_bytes` says: with small values read at random that floor, not the
//! configured cache, sets the peak (about 130 MiB for a 1 GiB store of 1 KiB values). The
//! operating system's page cache holds recently read and buffered-written value log pages
//! (values written with direct I/O enter it only when read); that memory
//! belongs to the kernel, which reclaims it under pressure, and is not counted in the process's
//! RSS once written back.
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
//! ## On-disk layout, format version 4
//!
//! A store is a directory holding sled's files (`conf`, `db`, `blobs/`, `snap.*`), the value
//! log's segment files (`values/<16 hex digits>.log`), and the format record file
//! `MPSTORE_FORMAT`, whose whole content is `mpstore-sled format 4\n` (written atomically when
//! the store is created, and checked before sled is opened). sled's default tree repeats the
//! version under the key `mpstore/format` (4 bytes, big-endian).
//!
//! One sled tree holds the records:
//!
//! | tree                  | key                                   | value                                  |
//! |-----------------------|---------------------------------------|----------------------------------------|
//! | `mpstore/entries/v1`  | `len(ns) ‖ ns ‖ key`                  | `seq ‖ charge ‖ value bytes` (value ≤ 4096 bytes) |
//! | `mpstore/entries/v1`  | `len(ns) ‖ ns ‖ key` (value in the log) | `seq + 2⁶³ ‖ charge ‖ len ‖ 0u32 ‖ segment ‖ offset ‖ crc32` |
//! | `mpstore/entries/v1`  | `FF×8 ‖ segment ‖ offset`             | `len ‖ len(ns) ‖ ns ‖ key`: the value log's index |
//! | `mpstore/entries/v1`  | `len(ns) ‖ ns ‖ key` (format 3 chunks) | `seq + 2⁶³ ‖ charge ‖ len ‖ n` (`n ≥ 2`) |
//! | `mpstore/entries/v1`  | `FF FF FF FF ‖ len(ns) ‖ ns ‖ key ‖ i`| chunk `i` of a format 3 value (all of one size; the last one the rest) |
//!
//! `len(ns)`, `n`, `i` and `crc32` are big-endian `u32`s, and `seq`, `charge`, `len`, `segment`
//! and `offset` big-endian `u64`s. `seq` is the key's place in its namespace's insertion order:
//! a new key takes one more than the largest `seq` in its namespace; overwriting keeps it.
//! Prefixing with the namespace's length keeps every namespace's records a contiguous range of
//! its own, even when one namespace's bytes are a prefix of another's. Nothing else is stored
//! per namespace: a namespace with no entries leaves no trace. Keys starting with `FF FF FF FF`
//! belong to no namespace (a namespace name of `u32::MAX` bytes or more is refused with
//! [`storage_core::Error::InvalidParam`]); within them, a chunk key's next four bytes are a
//! namespace length, below `u32::MAX`, so no chunk key starts with `FF×8`. So rebuilding usage,
//! listing and walking namespaces read records only, never chunks or the index.
//!
//! ## Value log
//!
//! A value of more than 4096 bytes is appended to the value log: the current segment file, or a
//! new one when it is full ([`SledOptions::value_log_segment_bytes`], 32 MiB by default; a value
//! larger than that gets a segment of its own size). The bytes are written (`pwrite`; in durable
//! mode, from 64 KiB on, with direct I/O at a 4 KiB-aligned offset, see *Durability*) first;
//! then the index entry `segment ‖ offset → len ‖ entry key`, then the record with the pointer
//! (the one atomic step: readers and recovery see the old record or the new one), then the old
//! value's index entry is removed. These are plain sled operations, not one batch: sled 0.34's
//! `apply_batch` rolls its log buffer before and after the batch, which makes a batch followed
//! by a flush cost about twice a plain insert followed by a flush (100 KiB, measured with
//! `examples/large_write_cost.rs`: 677 µs against 362 µs for the value log's bytes, a small
//! batch or insert, and a flush). sled recovers a prefix of its log, so after a crash the index
//! still holds an entry for every pointer (this order relies on that property of sled 0.34:
//! were a record to survive without its index entry, compaction would not see its value and
//! could delete the segment holding it); it may hold an entry no record points to (a crash in
//! the middle of a write), which the next open drops: opening checks every index entry against
//! its record (one sled `get` per value in the log) and so knows each segment's live bytes
//! exactly. Bytes no index entry covers (a write that never committed) are dead; a segment with
//! no live value at all is deleted at open, and the newest segment with room left is appended to
//! again from the end of its last live value. Batches of several ops, clears and drops remain
//! one atomic sled batch, index entries included.
//!
//! A read finds the record, then reads the value with one positioned read (`read_exact_at`) of
//! exactly its length, and checks its CRC-32 ([`storage_core::Error::Corrupt`] if it fails, or
//! if the segment is shorter than the pointer says). It takes no lock: the bytes at a pointer
//! never change, and a segment is deleted only once no record points to it (see *Compaction*),
//! so a reader holding a stale pointer either still finds the file (an open handle keeps an
//! unlinked file readable) or finds the segment gone and reads the record again.
//!
//! A value that fails to go to the log (a full disk, a file size limit: the segment cannot be
//! created or the bytes cannot be written) fails its write with [`storage_core::Error::Backend`]
//! naming the cause, before any record changed; as with sled failing, the store then refuses
//! every call until it is reopened (`tests/faults.rs`).
//!
//! ## Compaction
//!
//! Overwritten, removed and cleared values leave dead bytes in their segment. Each segment's live
//! bytes are counted in memory (exact after open, see above, then updated by every write). A
//! segment no longer appended to whose live bytes fall under half its size is compacted (once
//! another segment has been sealed after it: the newest values are the likeliest to be
//! overwritten soon, so waiting turns copies into deletions): its
//! live values are moved, one at a time, under the owning namespace's stripe lock (which every
//! write of the namespace holds), each only if its record still points there, to the end of the
//! log (new index entry, record, old index entry removed, as a write); then, once the segment's
//! index range is empty and no append into it is in flight, every write so far is made durable
//! (value log synced, sled flushed) and only then is the file deleted. A crash at any point
//! leaves every value at its old or its new place, both intact.
//!
//! The work runs on the writers' threads, after their own write was acknowledged, one writer at
//! a time, in bounded steps: a write that appended `n` bytes then moves up to `2n + 1 MiB` of
//! live values. Since a segment is compacted only when under half live, that outruns any rate of
//! overwrites, so the directory stays bounded: about twice the live bytes plus a few segments
//! (`tests/value_log.rs` overwrites the same keys with 64 KiB segments and checks the bound
//! after every round). A segment holding a value too damaged to move is left as it is until the
//! store is reopened. A store that is only read never compacts; its dead bytes wait for the
//! next write. [`SledBackend::value_log_stats`] tells what the log holds.
//!
//! **Format version 3** stored values above 4096 bytes in chunks (its records and chunk keys are
//! in the table above; format 4 reads them, and a write over such a value or a clear removes its
//! chunks in the same batch as the record). Format 4 writes no chunks. [`SledBackend::open`]
//! migrates a version 3 store by recording version 4 inside sled (flushed), then in the format
//! file, as below; a version 3 build refuses the store from the first step on (it cannot read a
//! record pointing into the value log).
//!
//! **Format version 2** stored every value inline, with `seq` below 2⁶³: its records are version
//! 4's inline records. [`SledBackend::open`] migrates such a store by recording version 4 inside
//! sled (flushed), then in the format file; a crash between the two leaves a store that still
//! opens and finishes the migration. From the first step on, a version 2 build refuses the store
//! (it would read a record pointing into the value log as a value), since it reads only version 2
//! in both places.
//!
//! **Format version 1** kept two more trees, `mpstore/order/v1` (`len(ns) ‖ ns ‖ seq → key`) and
//! `mpstore/meta/v1` (`ns → usage ‖ next_seq`), and wrote all three in one sled transaction per
//! write. Its entries are version 2's, so [`SledBackend::open`] migrates such a store in place:
//! it records version 4 inside sled, then in the format file, then drops the two old trees. Each
//! step can be interrupted by a crash; the store still opens with all its data, and the next open
//! finishes the migration (`tests/migration.rs` opens every state a crash can leave, from
//! versions 1, 2 and 3, including migrations an older build began and this one finishes). A
//! version 1 build refuses a store once its migration has begun.
//!
//! ## Cost
//!
//! Each namespace's usage and next `seq` live in memory, rebuilt from its range of entries (their
//! headers) the first time the namespace is used after opening. A set or remove then needs the
//! old record's header (its `seq`, charge and where its value is) and writes one record (plus,
//! for a value above 4096 bytes, its bytes to the value log and an index entry): its cost grows with the logarithm of the store's size,
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
//! builds), went from 1.53× to 1.29× at 100 B and from 1.36× to 1.19× at 1 KiB.
//!
//! `list` reads the namespace's range and sorts it by `seq`; `clear` and `drop_namespace` read
//! the range's keys. [`Backend::namespaces`](storage_core::Backend::namespaces) walks the whole
//! store (one range per namespace holding data, every entry's header read unless the namespace's
//! state is in memory): a host or admin call whose cost grows with the store, not one for a hot
//! path. Each namespace's writes, listings and clears are serialized by its stripe's lock, so a
//! listing is read at one instant; sled orders the writes themselves.
//!
//! A value above 4096 bytes costs, to write, a CRC-32 of it, one `pwrite` to the value log and
//! three small sled operations (index entry, record, old index entry), plus in durable mode a
//! `sync_file_range` of the bytes before the flush (from 64 KiB on, the direct write instead: the
//! kernel then neither copies the value into its page cache nor converts it there, which made a
//! durable 100 KiB set 4% cheaper in paired runs); to read, one sled `get`, one positioned read
//! and the CRC-32, without any lock. Measured (`examples/large_write_cost.rs`, 100 KiB values,
//! 32 keys, 15 interleaved rounds, 2 shared cores, before direct I/O): a durable `SledBackend`
//! set 509–594 µs against 458–518 µs for a raw sled insert + flush of the whole value; the value
//! log's own steps by hand (pwrite + `sync_file_range` + a small insert + flush) 310–362 µs. The
//! benchmark figures are in `docs/performance.md`. Compaction adds, on average, copying up to
//! twice the bytes written when segments are under half live (a store overwriting a few keys
//! leaves segments wholly dead by the time they become candidates, so nothing is copied), and a
//! flush per segment deleted.
//!
//! **Known hang (sled 0.34, open).** sled can deadlock when it truncates the tail segment of its
//! log while every thread of its I/O pool waits for the segment lock the writer holds (the
//! writer waits in `SegmentAccountant::bump_tip` for the truncation job that no pool thread is
//! free to run; upstream spacejam/sled#1412). Format 3's chunks put large values' bytes in sled's
//! log, so sustained overwrites of large values churned log segments and hit it far more often
//! (a micro-benchmark of 2,100 buffered then 700 durable overwrites of 100 KiB values over 32
//! keys hung in 5 of 5 runs with 512 KiB segments, 0 of 5 with 8 MiB), so stores this build
//! creates use [`SEGMENT_SIZE_BYTES`] (8 MiB). With the value log, large values no longer pass
//! through sled's log at all, which removes that churn; the 8 MiB segments stay (sled refuses to
//! reopen a store with another segment size, so a store created by an earlier build keeps its
//! 512 KiB ones, read from sled's `conf` file).

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
