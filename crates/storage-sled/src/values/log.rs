//! The value log (format 4): values above the inline threshold live in append-only segment files
//! beside sled's tree (`values/<id>.log` in the store's directory), read back with positioned
//! reads, so they never enter sled's page cache. sled holds a [`Pointer`] per value in its record,
//! and an index entry per value (see `crate::layout`, and `crate::values` for the order
//! they are written in).
//!
//! This module keeps the files and the accounting; the rules that make it safe live with the
//! callers (`crate::values`, `super::compaction`):
//!
//! - **Write order.** [`ValueLog::append`] writes the bytes (`pwrite`) before it returns, and
//!   only then is the pointer inserted: a kill -9 after the insert finds the bytes in the file.
//! - **Durable mode.** [`ValueLog::sync`] runs `fdatasync` on every segment written since the
//!   last call, at the start of every group-commit flush, before sled's: a flush covering a
//!   write therefore makes its bytes stable before its pointer, through the drive's cache.
//!   Segments are preallocated (`fallocate`) and synced with their directory when created, so
//!   a sync writes data, not a growing file size. Values of [`DIRECT_MIN`] bytes or more skip
//!   the page cache (`O_DIRECT`, at offsets aligned to [`DIRECT_ALIGN`]), so the kernel neither
//!   copies them into cached pages nor writes those back later, which is most of what a large
//!   durable write cost beyond the device's own time; they are synced like the others, since
//!   direct I/O does not empty the drive's cache. A filesystem that refuses direct I/O gets the
//!   buffered path.
//! - **Readers never see a wrong value.** Every read checks the value's CRC-32. A segment is
//!   deleted only once no durable pointer refers to it; a reader that still holds an old pointer
//!   either finds the file in [`ValueLog::file`] (an open handle keeps an unlinked file readable)
//!   or finds the segment gone and reads the record again (see `crate::backend`).
//! - **Live bytes** per segment are counted in memory: rebuilt from the index at open, then kept
//!   up to date by [`ValueLog::committed`] after each batch sled accepted. A sealed segment (one
//!   no longer appended to) whose live bytes fall under half its size is a compaction candidate,
//!   except the newest sealed one: it waits until the next is sealed, since its values are the
//!   most recent and the likeliest to be overwritten soon (an overwrite-heavy store then deletes
//!   segments instead of copying values that were about to die: measured, a durable 100 KiB
//!   set over 32 keys was 11% cheaper).

use super::file_io::{open_direct, preallocate, read_at, refused_direct, write_at, write_direct};
use crate::layout::Pointer;
use crate::space::free_space;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use storage_core::{Error, Result};

/// The directory of the value log, inside the store's directory.
pub(crate) const VALUES_DIR: &str = "values";

/// A sealed segment whose live bytes fall under `size / COMPACT_BELOW` is compacted.
const COMPACT_BELOW: u64 = 2;

/// In durable mode, values of at least this many bytes are written with direct I/O: large
/// enough that padding each to [`DIRECT_ALIGN`] wastes at most 6% of the log.
pub(crate) const DIRECT_MIN: u64 = 64 * 1024;

/// The alignment direct I/O asks of file offsets, lengths and memory: a page, a multiple of
/// every logical block size in use.
pub(crate) const DIRECT_ALIGN: u64 = 4096;

/// Why [`ValueLog::append`] failed.
#[derive(Debug)]
pub(crate) enum AppendError {
    /// No room on the disk for a new segment: nothing was written.
    NoRoom,
    /// Writing failed: the disk is failing.
    Failed(Error),
}

/// The open value log of one store.
#[derive(Debug)]
pub(crate) struct ValueLog {
    dir: PathBuf,
    /// The size new segments are created (and preallocated) with.
    segment_bytes: u64,
    state: Mutex<State>,
    /// Whether `State::candidates` is not empty, as of the last release of `state`: every write
    /// asks ([`ValueLog::candidate`]), and almost always the answer is no, without the lock.
    any_candidate: AtomicBool,
    /// Whether values of [`DIRECT_MIN`] bytes or more are written with direct I/O: set in durable
    /// mode, cleared for good once the filesystem refuses it.
    direct: AtomicBool,
}

/// The value log's state, locked; on release, it notes whether compaction has candidates.
struct Locked<'a> {
    state: MutexGuard<'a, State>,
    any_candidate: &'a AtomicBool,
}

impl std::ops::Deref for Locked<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.state
    }
}

impl std::ops::DerefMut for Locked<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let any = !self.state.candidates.is_empty();
        self.any_candidate.store(any, Ordering::Release);
    }
}

#[derive(Debug)]
struct Segment {
    file: Arc<File>,
    /// The same file opened for direct I/O, once a direct write needed it (reads and buffered
    /// writes use `file`).
    direct: Option<Arc<File>>,
    /// Its size on disk (preallocated).
    size: u64,
    /// The bytes of the values that records point to.
    live: u64,
    /// Appends reserved in it whose batch has not yet been committed or abandoned: a segment is
    /// deleted only when none is left (see `super::compaction`).
    inflight: u32,
}

/// The segment being appended to, and where its last value ends.
#[derive(Debug, Clone, Copy)]
struct Tail {
    segment: u64,
    end: u64,
}

#[derive(Debug, Default)]
struct State {
    segments: BTreeMap<u64, Segment>,
    /// The segment being appended to, and where the next value goes in it.
    active: Option<Tail>,
    /// Segments written since the last sync.
    dirty: HashMap<u64, Arc<File>>,
    /// Sealed segments under the compaction threshold.
    candidates: BTreeSet<u64>,
    /// The number the next segment takes.
    next_id: u64,
    /// Segments compaction could not empty (a value in them is damaged): left alone until the
    /// store is reopened.
    stuck: BTreeSet<u64>,
}

impl State {
    /// Segment `id`, no longer appended to, is the newest sealed one: the one sealed before it
    /// may now be a candidate.
    fn seal(&mut self, id: u64) {
        let before = self.segments.range(..id).next_back().map(|(&b, _)| b);
        self.reconsider(id);
        if let Some(before) = before {
            self.reconsider(before);
        }
    }

    /// The most recently sealed segment: the newest one not appended to.
    fn newest_sealed(&self) -> Option<u64> {
        let active = self.active.map(|t| t.segment);
        self.segments
            .keys()
            .rev()
            .copied()
            .find(|&id| Some(id) != active)
    }

    /// Re-evaluates whether segment `id` is a compaction candidate: sealed, under the threshold,
    /// and not the newest sealed segment, whose values are the most recently written and so the
    /// likeliest to be overwritten soon (moving them would mostly copy bytes about to die).
    fn reconsider(&mut self, id: u64) {
        let sealed = self.active.map(|t| t.segment) != Some(id) && self.newest_sealed() != Some(id);
        match self.segments.get(&id) {
            Some(s)
                if sealed
                    && !self.stuck.contains(&id)
                    && s.live.saturating_mul(COMPACT_BELOW) < s.size =>
            {
                self.candidates.insert(id);
            }
            _ => {
                self.candidates.remove(&id);
            }
        }
    }
}

/// What the value log holds, for tests, benchmarks and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ValueLogStats {
    /// Segment files.
    pub segments: u64,
    /// Their size on disk, in bytes (segments are preallocated).
    pub file_bytes: u64,
    /// The bytes of the values records point to.
    pub live_bytes: u64,
    /// Segments waiting to be compacted.
    pub candidates: u64,
}

/// What the index says of a segment at open: its live bytes and where its last value ends.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Indexed {
    pub live: u64,
    pub end: u64,
}

/// The size of a new segment for a value taking `footprint` bytes: the configured size (or the
/// value's, if larger), but no more than a quarter of the space left on the filesystem, so a
/// small filesystem holds large values too instead of failing on a segment it has no room for.
fn segment_size(configured: u64, footprint: u64, free: Option<u64>) -> u64 {
    let fitting = match free {
        Some(free) => configured.min((free / 4).next_multiple_of(DIRECT_ALIGN)),
        None => configured,
    };
    fitting.max(footprint)
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:016x}.log"))
}

fn io_error(doing: &str, e: &io::Error) -> Error {
    Error::Backend(format!("{doing}: {e}"))
}

impl ValueLog {
    /// Opens the value log in `store/values` (creating the directory), given what the index
    /// says of each segment. A segment file no index entry refers to holds nothing live (bytes
    /// written by a write that never committed, or a segment whose compaction finished before a
    /// crash): it is deleted. The newest segment with live values and room left is appended to
    /// again, from the end of its last indexed value (anything past it is an orphan). `direct`:
    /// write large values with direct I/O (durable mode; see the module docs).
    pub(crate) fn open(
        store: &Path,
        segment_bytes: u64,
        indexed: &BTreeMap<u64, Indexed>,
        direct: bool,
    ) -> Result<Self> {
        let dir = store.join(VALUES_DIR);
        crate::open::create_private_dir(&dir)
            .map_err(|e| io_error(&format!("cannot create {}", dir.display()), &e))?;
        let listing = fs::read_dir(&dir)
            .map_err(|e| io_error(&format!("cannot list {}", dir.display()), &e))?;
        let mut state = State::default();
        let mut max_id = indexed.keys().next_back().copied();
        for entry in listing {
            let entry =
                entry.map_err(|e| io_error(&format!("cannot list {}", dir.display()), &e))?;
            let name = entry.file_name();
            let Some(id) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".log"))
                .filter(|n| n.len() == 16)
                .and_then(|n| u64::from_str_radix(n, 16).ok())
            else {
                continue;
            };
            max_id = max_id.max(Some(id));
            let path = entry.path();
            let Some(ix) = indexed.get(&id) else {
                fs::remove_file(&path)
                    .map_err(|e| io_error(&format!("cannot remove {}", path.display()), &e))?;
                continue;
            };
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| io_error(&format!("cannot open {}", path.display()), &e))?;
            let size = file
                .metadata()
                .map_err(|e| io_error(&format!("cannot read {}", path.display()), &e))?
                .len();
            state.segments.insert(
                id,
                Segment {
                    file: Arc::new(file),
                    direct: None,
                    size,
                    live: ix.live,
                    inflight: 0,
                },
            );
        }
        state.next_id = max_id.map_or(0, |id| id.saturating_add(1));
        if let Some((&id, s)) = state.segments.iter().next_back() {
            let end = indexed.get(&id).map_or(s.size, |ix| ix.end);
            if end < s.size {
                state.active = Some(Tail { segment: id, end });
            }
        }
        let ids: Vec<u64> = state.segments.keys().copied().collect();
        for id in ids {
            state.reconsider(id);
        }
        Ok(Self {
            dir,
            segment_bytes,
            any_candidate: AtomicBool::new(!state.candidates.is_empty()),
            direct: AtomicBool::new(direct && cfg!(target_os = "linux")),
            state: Mutex::new(state),
        })
    }

    fn lock(&self) -> Locked<'_> {
        // Nothing panics while holding the lock.
        Locked {
            state: self.state.lock().unwrap_or_else(|e| e.into_inner()),
            any_candidate: &self.any_candidate,
        }
    }

    /// Creates segment `id` of `size` bytes, preallocated, and makes its size and name durable.
    fn create(&self, id: u64, size: u64) -> io::Result<File> {
        let path = segment_path(&self.dir, id);
        let file = crate::open::private_file()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        let made = preallocate(&file, size)
            .and_then(|()| file.sync_all())
            .and_then(|()| File::open(&self.dir)?.sync_all());
        if let Err(e) = made {
            drop(file);
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        Ok(file)
    }

    /// Appends `value` and returns where it is: the bytes are written (to the OS) when this
    /// returns, not yet synced (see [`ValueLog::sync`]), unless they went with direct I/O (then
    /// they are on the device already). A failure leaves nothing any record points to (at most
    /// unreferenced bytes, reclaimed by compaction).
    pub(crate) fn append(&self, value: &[u8]) -> std::result::Result<Pointer, AppendError> {
        let fail =
            |e: &io::Error| AppendError::Failed(io_error("cannot write to the value log", e));
        let len = value.len() as u64;
        let direct = len >= DIRECT_MIN && self.direct.load(Ordering::Relaxed);
        // A direct write starts on an aligned offset and covers whole blocks; the padding is
        // dead bytes, as an overwritten value's are.
        let (align, footprint) = if direct {
            (DIRECT_ALIGN, len.div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN)
        } else {
            (1, len)
        };
        let (id, offset, file, direct_file) = {
            let mut s = self.lock();
            let fits = s.active.and_then(|tail| {
                let size = s.segments.get(&tail.segment)?.size;
                let start = tail.end.checked_next_multiple_of(align)?;
                (start.checked_add(footprint)? <= size).then_some((tail.segment, start))
            });
            let (id, offset) = match fits {
                Some(place) => place,
                None => {
                    // Seal the active segment and start a new one (of the value's size if the
                    // value is larger than a segment).
                    if let Some(old) = s.active.take() {
                        s.seal(old.segment);
                    }
                    let id = s.next_id;
                    let size = segment_size(self.segment_bytes, footprint, free_space(&self.dir));
                    let file = self.create(id, size).map_err(|e| match e.raw_os_error() {
                        Some(libc::ENOSPC | libc::EDQUOT) => AppendError::NoRoom,
                        _ => fail(&e),
                    })?;
                    s.next_id += 1;
                    s.segments.insert(
                        id,
                        Segment {
                            file: Arc::new(file),
                            direct: None,
                            size,
                            live: 0,
                            inflight: 0,
                        },
                    );
                    (id, 0)
                }
            };
            s.active = Some(Tail {
                segment: id,
                end: offset + footprint,
            });
            let segment = s.segments.get_mut(&id).expect("the active segment is open");
            segment.inflight += 1;
            let direct_file = if direct {
                self.direct_handle(segment, &segment_path(&self.dir, id))
            } else {
                None
            };
            (id, offset, Arc::clone(&segment.file), direct_file)
        };
        let written = match direct_file {
            Some(f) => match write_direct(&f, value, offset, footprint) {
                Err(e) if refused_direct(&e) => {
                    self.direct.store(false, Ordering::Relaxed);
                    write_at(&file, value, offset)
                }
                done => done,
            },
            None => write_at(&file, value, offset),
        };
        let mut s = self.lock();
        if let Err(e) = written {
            if let Some(segment) = s.segments.get_mut(&id) {
                segment.inflight -= 1;
            }
            return Err(fail(&e));
        }
        s.dirty.entry(id).or_insert(file);
        if s.active
            .is_some_and(|t| t.segment == id && t.end >= s.segments[&id].size)
        {
            s.active = None;
            s.seal(id);
        }
        Ok(Pointer {
            segment: id,
            offset,
            len,
            crc: crc32fast::hash(value),
        })
    }

    /// `segment`'s handle for direct I/O, opened on first use; `None` (and direct I/O off for
    /// good) if it cannot be opened so (a filesystem without direct I/O): buffered writes are
    /// always correct, only slower.
    fn direct_handle(&self, segment: &mut Segment, path: &Path) -> Option<Arc<File>> {
        if segment.direct.is_none() {
            match open_direct(path) {
                Ok(f) => segment.direct = Some(Arc::new(f)),
                Err(_) => {
                    self.direct.store(false, Ordering::Relaxed);
                    return None;
                }
            }
        }
        segment.direct.clone()
    }

    /// Makes every value appended so far survive a power cut (`fdatasync` of each segment
    /// written since the last call), before sled's flush.
    pub(crate) fn sync(&self) -> io::Result<()> {
        let dirty = std::mem::take(&mut self.lock().dirty);
        for file in dirty.into_values() {
            file.sync_data()?;
        }
        Ok(())
    }

    /// Whether bytes were appended since the last sync (for tests).
    #[cfg(test)]
    pub(crate) fn unsynced(&self) -> bool {
        !self.lock().dirty.is_empty()
    }

    /// Whether segment `id` was written with direct I/O and the filesystem took it (for tests).
    #[cfg(test)]
    fn wrote_direct(&self, id: u64) -> bool {
        let opened = self
            .lock()
            .segments
            .get(&id)
            .is_some_and(|s| s.direct.is_some());
        opened && self.direct.load(Ordering::Relaxed)
    }

    /// The open file of segment `id`, if it still exists.
    pub(crate) fn file(&self, id: u64) -> Option<Arc<File>> {
        self.lock().segments.get(&id).map(|s| Arc::clone(&s.file))
    }

    /// Reads the value at `p` from `file`, checking its checksum when `check` is set; a short
    /// file or a mismatch is [`Error::Corrupt`].
    pub(crate) fn read(file: &File, p: &Pointer, check: bool) -> Result<Vec<u8>> {
        let damaged = |why: &str| {
            Error::Corrupt(format!(
                "the value of {} bytes at {} of value log segment {:016x} {why}",
                p.len, p.offset, p.segment
            ))
        };
        let len = usize::try_from(p.len).map_err(|_| damaged("is too long"))?;
        let size = file
            .metadata()
            .map_err(|e| io_error("cannot read the value log", &e))?
            .len();
        if p.end() > size {
            return Err(damaged("lies past the end of the file"));
        }
        let mut out = vec![0u8; len];
        read_at(file, &mut out, p.offset).map_err(|e| io_error("cannot read the value log", &e))?;
        if check && crc32fast::hash(&out) != p.crc {
            return Err(damaged("fails its checksum"));
        }
        Ok(out)
    }

    /// After sled accepted a batch: the values at `added` are live, those at `removed` are not.
    pub(crate) fn committed(&self, added: &[Pointer], removed: &[Pointer]) {
        if added.is_empty() && removed.is_empty() {
            return;
        }
        let mut s = self.lock();
        for p in added {
            if let Some(seg) = s.segments.get_mut(&p.segment) {
                seg.live = seg.live.saturating_add(p.len);
                seg.inflight = seg.inflight.saturating_sub(1);
            }
        }
        for p in removed {
            if let Some(seg) = s.segments.get_mut(&p.segment) {
                seg.live = seg.live.saturating_sub(p.len);
            }
            s.reconsider(p.segment);
        }
    }

    /// The values at `appended` will never be pointed to (their batch failed): they are dead
    /// bytes.
    pub(crate) fn abandon(&self, appended: &[Pointer]) {
        let mut s = self.lock();
        for p in appended {
            if let Some(seg) = s.segments.get_mut(&p.segment) {
                seg.inflight = seg.inflight.saturating_sub(1);
            }
        }
    }

    /// Whether segment `id` is sealed with no append in flight: no new pointer to it can appear.
    pub(crate) fn idle(&self, id: u64) -> bool {
        let s = self.lock();
        s.active.map(|t| t.segment) != Some(id)
            && s.segments.get(&id).is_some_and(|s| s.inflight == 0)
    }

    /// Compaction cannot empty segment `id`: leave it until the store is reopened.
    pub(crate) fn give_up(&self, id: u64) {
        let mut s = self.lock();
        s.stuck.insert(id);
        s.reconsider(id);
    }

    /// A segment to compact, if any.
    pub(crate) fn candidate(&self) -> Option<u64> {
        if !self.any_candidate.load(Ordering::Acquire) {
            return None;
        }
        self.lock().candidates.first().copied()
    }

    /// Deletes segment `id`, which no durable record points to any more: readers holding its file
    /// read on; later ones find it gone and read the record again.
    pub(crate) fn retire(&self, id: u64) -> Result<()> {
        {
            let mut s = self.lock();
            s.segments.remove(&id);
            s.candidates.remove(&id);
            s.dirty.remove(&id);
            if s.active.is_some_and(|t| t.segment == id) {
                s.active = None;
            }
        }
        let path = segment_path(&self.dir, id);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&format!("cannot remove {}", path.display()), &e)),
        }
    }

    /// What the log holds now.
    pub(crate) fn stats(&self) -> ValueLogStats {
        let s = self.lock();
        ValueLogStats {
            segments: s.segments.len() as u64,
            file_bytes: s.segments.values().map(|s| s.size).sum(),
            live_bytes: s.segments.values().map(|s| s.live).sum(),
            candidates: s.candidates.len() as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::values::file_io::REFUSE_DIRECT;

    const MIN: usize = DIRECT_MIN as usize;

    /// Whether the filesystem under `dir` takes an aligned direct write (where tests' temporary
    /// directories live on one that does not, every value goes the buffered way).
    fn direct_io_works(dir: &Path) -> bool {
        let path = dir.join("probe");
        File::create(&path).unwrap();
        open_direct(&path).is_ok_and(|f| write_direct(&f, &[1; 10], 0, DIRECT_ALIGN).is_ok())
    }

    /// Appends a small value, then one of `len` bytes, then a small one again, to a log opened
    /// with `direct`, and checks where each went (a value meant for direct I/O is aligned, even
    /// if the filesystem then refuses it) and that each reads back; returns whether the large
    /// one went with direct I/O (it needs a sync all the same).
    fn large_append(direct: bool, len: usize) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let log = ValueLog::open(dir.path(), 1 << 20, &BTreeMap::new(), direct).unwrap();
        let small = log.append(&[1; 5000]).unwrap();
        log.sync().unwrap();
        let value: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let large = log.append(&value).unwrap();
        assert!(log.unsynced(), "{len}");
        let on_device = log.wrote_direct(large.segment);
        let footprint = if direct && len >= MIN {
            assert_eq!(large.offset % DIRECT_ALIGN, 0, "{len}");
            assert!(large.offset >= small.end(), "{len}");
            (len as u64).div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN
        } else {
            assert_eq!(large.offset, small.end(), "{len}");
            len as u64
        };
        let next = log.append(&[2; 5000]).unwrap();
        assert_eq!(next.offset, large.offset + footprint, "{len}");
        for (p, bytes) in [
            (small, vec![1; 5000]),
            (large, value),
            (next, vec![2; 5000]),
        ] {
            let file = log.file(p.segment).unwrap();
            assert_eq!(ValueLog::read(&file, &p, true).unwrap(), bytes, "{len}");
        }
        on_device
    }

    #[test]
    fn large_values_skip_the_page_cache_in_durable_mode() {
        let works = direct_io_works(tempfile::tempdir().unwrap().path());
        // (direct I/O on, value length, written with direct I/O)
        for (direct, len, on_device) in [
            (true, MIN, true),
            (true, MIN + 1, true),
            (true, 3 * MIN + 4095, true),
            (true, MIN - 1, false),
            (true, 5000, false),
            (false, MIN, false),
            (false, 3 * MIN, false),
        ] {
            assert_eq!(
                large_append(direct, len),
                on_device && works,
                "{direct} {len}"
            );
        }
    }

    #[test]
    fn a_value_larger_than_a_segment_gets_a_padded_segment_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let log = ValueLog::open(dir.path(), 1 << 20, &BTreeMap::new(), true).unwrap();
        let value = vec![3; (1 << 20) + 1];
        let p = log.append(&value).unwrap();
        assert!(log.unsynced());
        assert_eq!(log.wrote_direct(p.segment), direct_io_works(dir.path()));
        assert_eq!((p.segment, p.offset), (0, 0));
        assert_eq!(log.stats().file_bytes, (1 << 20) + DIRECT_ALIGN);
        let file = log.file(p.segment).unwrap();
        assert_eq!(ValueLog::read(&file, &p, true).unwrap(), value);
    }

    #[test]
    fn the_newest_sealed_segment_waits_for_the_next_to_be_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let log = ValueLog::open(dir.path(), 8192, &BTreeMap::new(), false).unwrap();
        // (appends so far, candidates after them): every value is dead (none committed), and a
        // value of 5000 bytes fills a segment of 8192.
        for (appends, candidates) in [(1, None), (2, None), (3, Some(0)), (4, Some(0))] {
            log.append(&[7; 5000]).unwrap();
            assert_eq!(log.candidate(), candidates, "after {appends}");
        }
        assert_eq!(log.stats().candidates, 2);
    }

    #[test]
    fn a_new_segment_fits_the_space_left() {
        const MIB: u64 = 1 << 20;
        // (configured, value's footprint, free space, segment made)
        let cases = [
            (32 * MIB, 4096, None, 32 * MIB),
            (32 * MIB, 4096, Some(1 << 40), 32 * MIB),
            (32 * MIB, 4096, Some(2 * MIB), MIB / 2),
            (32 * MIB, 4096, Some(10_000), 4096),
            (32 * MIB, 100 * 1024, Some(2 * MIB), MIB / 2),
            (32 * MIB, MIB, Some(2 * MIB), MIB),
            (64 * 1024, 4096, Some(2 * MIB), 64 * 1024),
            (32 * MIB, 40 * MIB, Some(MIB), 40 * MIB),
        ];
        for (configured, footprint, free, made) in cases {
            assert_eq!(
                segment_size(configured, footprint, free),
                made,
                "{configured} {footprint} {free:?}"
            );
        }
    }

    #[test]
    fn a_filesystem_refusing_direct_io_gets_buffered_writes() {
        REFUSE_DIRECT.set(true);
        let on_device = large_append(true, 2 * MIN);
        REFUSE_DIRECT.set(false);
        assert!(!on_device);
    }
}
