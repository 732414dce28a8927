//! A FUSE test file system that simulates a power cut (and [`Tmpfs`], a small tmpfs for full-disk
//! tests).
//!
//! It keeps every write that has not been synced in a volatile layer and, at a simulated power
//! cut, drops it (whole, or torn at 512-byte sectors), so a storage engine can be reopened on
//! what a real disk would have kept and checked. A crash campaign mounts it, runs the engine in
//! a child on the mount, kills the child, unmounts, calls [`State::power_cut`], mounts again and
//! checks:
//!
//! ```no_run
//! use powercut_fs::{Mount, State};
//! let state = State::new().shared();
//! let m = Mount::new(state.clone(), "/tmp/mnt")?;
//! // ... run and SIGKILL a child working in /tmp/mnt ...
//! m.unmount()?;
//! let report = state.lock().unwrap().power_cut(42);
//! println!("{report}");
//! let m = Mount::new(state.clone(), "/tmp/mnt")?; // on what survived
//! # m.unmount()?; Ok::<(), std::io::Error>(())
//! ```
//!
//! # The contract
//! State lives in memory in the mounting process and survives unmount and remount.
//! - **Files** have current bytes (what reads see) and durable bytes (as of the last
//!   `fsync`/`fdatasync` of the inode, through any handle). Writes, truncation, and
//!   `fallocate` (mode 0 extends with zeros; `FALLOC_FL_KEEP_SIZE` changes nothing; other
//!   modes fail with `EOPNOTSUPP`) change only the current bytes; both kinds of sync make
//!   data and size durable, copying only the dirty 512-byte sectors. `close` syncs nothing, nor
//!   does `sync_file_range` (it never reaches a FUSE file system).
//! - **Directories** have current and durable entries; `fsync` of a directory makes its current
//!   entries durable. Create, unlink, rename, mkdir and rmdir become durable only then
//!   (POSIX-strict: syncing a file does not sync its name; a rename across directories needs
//!   both synced, and with only one synced the file may survive under both names).
//! - **A power cut** ([`State::power_cut`], deterministic for a seed) keeps the tree the
//!   durable entries reach from the root. Each surviving file with unsynced changes, at random,
//!   either loses them all or is torn: each dirty sector keeps its new or its old contents and
//!   the size is the durable or the current one. Unreachable inodes are freed; afterwards
//!   everything is durable. Inode numbers never change or get reused. Permissions, owners and
//!   times are not simulated: they apply at once and survive. Only regular files and
//!   directories exist (no symlinks, hard links or device nodes).
//! - **Space**: `statfs` reports a capacity ([`DEFAULT_CAPACITY`], see
//!   [`State::set_capacity`]) minus the current sizes of the linked or open files; a write,
//!   extension or `fallocate` past it fails with `ENOSPC`. Holes take memory like data.
//!
//! # What the kernel does in front of it
//! Writes go through to the daemon at once (no writeback cache), so a cut loses exactly what
//! was not synced. `O_SYNC` writes and `msync(MS_SYNC)` end in an `fsync`, so they are durable;
//! `sync_file_range`, `syncfs` and `sync` never reach a FUSE file system, so they are not.
//! `O_DIRECT` opens work and their writes arrive as made, but unaligned ones are accepted too
//! (no `EINVAL` as on ext4). `flock`, `fcntl` and OFD locks are kept by the kernel, per mount.
//! A write that ends inside a page it only partly fills is split into separate requests, so
//! one that runs out of space may be partly applied. The mount is plain `mount(2)` as root
//! (see [`Mount`]); if the mounting process dies, the mount is left dead until unmounted.

mod cut;
mod file;
mod fs;
mod mount;
mod state;
mod tmpfs;

#[cfg(test)]
mod model_tests;

pub use cut::{CutReport, FileCut};
pub use mount::Mount;
pub use state::{Ino, SharedState, State, DEFAULT_CAPACITY, ROOT_INO, SECTOR};
pub use tmpfs::Tmpfs;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
