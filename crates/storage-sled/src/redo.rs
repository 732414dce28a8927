//! The redo log: what makes a durable write power-cut safe with one `write` and one
//! `fdatasync`, instead of sled's flush and a sync of its log.
//!
//! In the durable mode every change to sled's entries is also recorded here, as the write that
//! made it: its stripe, its number in the stripe's order, and its sled operations. Group
//! commit's leader writes the records gathered since the last flush as one frame and syncs the
//! file; that is the acknowledgement. sled's own files are made durable only at a *checkpoint*:
//! when the log is full (or a frame could not be written), sled is flushed and synced, and the
//! log starts over under a new epoch, overwriting the old frames in place (an overwrite syncs
//! faster than an append that grows the file).
//!
//! **Recovery.** sled writes its buffers out on its own, so after a cut it may hold writes the
//! log lost as well as miss writes the log kept. Each write also sets its stripe's *mark* in
//! sled (after its operations, in the same order sled logs them): sled recovers a prefix of its
//! log, so a mark of `n` says sled holds the stripe's writes up to `n` whole and none after
//! `n + 1`. Opening replays, in order, every logged write numbered above its stripe's mark,
//! which re-creates exactly the writes sled lost (a stripe's writes are serialized by its lock,
//! and every key belongs to one stripe); then it checkpoints.
//!
//! **Frames.** The file starts with a header (magic, epoch); each frame is its length, a CRC-32
//! chained from the header's (so a frame of an older epoch, or one torn by a cut, ends the log),
//! and the records.

use crate::open::{self, sled_error};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use storage_core::{Error, Result};

/// The redo log's file name, in the store's directory.
pub(crate) const REDO_FILE: &str = "redo";
const MAGIC: &[u8; 8] = b"mpredo01";
const HEADER_LEN: u64 = 16;
const FRAME_HEADER: u64 = 8;
/// The key of a stripe's mark, in sled's default tree: this prefix and the stripe's number.
const MARK_PREFIX: &[u8] = b"mpstore/redo/";
const PUT: u8 = 1;
const REMOVE: u8 = 0;

/// One sled operation of a logged write.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RedoOp<'a> {
    /// `insert(key, value)` on the entries tree.
    Put(&'a [u8], &'a [u8]),
    /// `remove(key)` on the entries tree.
    Remove(&'a [u8]),
}

/// The redo log of one durable store.
pub(crate) struct Redo {
    file: File,
    db: sled::Db,
    /// Records of writes made since the last frame was taken.
    pending: Mutex<Vec<u8>>,
    /// Each stripe's last write number.
    numbers: Vec<AtomicU64>,
    /// Where the next frame goes; used only by group commit's leader, one at a time.
    writer: Mutex<Writer>,
    /// The most bytes the file holds before a checkpoint starts it over.
    capacity: u64,
}

struct Writer {
    offset: u64,
    chain: u32,
    epoch: u64,
}

/// What [`Redo::commit`] did with the writes pending.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Committed {
    /// They are durable in the log.
    Synced,
    /// They are not: the log is full or could not be written. A checkpoint makes them durable.
    NeedsCheckpoint,
}

impl Redo {
    /// Opens (or creates) the redo log of the store in `dir`, of `stripes` stripes, and replays
    /// into `entries` every write sled lost. Returns the log and whether anything was replayed
    /// (then the caller checkpoints before serving). `None`: the log cannot be created (a full
    /// disk); the store then makes writes durable by checkpoints alone, and the file, if any, is
    /// left for the next open to replay.
    pub(crate) fn open(
        dir: &Path,
        db: &sled::Db,
        entries: &sled::Tree,
        stripes: usize,
        capacity: u64,
    ) -> Result<(Option<Redo>, bool)> {
        let path = dir.join(REDO_FILE);
        let mut marks = Vec::with_capacity(stripes);
        for stripe in 0..stripes {
            marks.push(read_mark(db, stripe)?);
        }
        let existing = match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(open::io_error("cannot read the redo log", &e)),
        };
        let mut replayed = false;
        let mut epoch = 0;
        if let Some(bytes) = &existing {
            if let Some((found, frames)) = frames(bytes) {
                epoch = found;
                for frame in frames {
                    replayed |= replay(frame, db, entries, &mut marks)?;
                }
            }
        }
        let file = open::private_file()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path);
        let Ok(file) = file else {
            return Ok((None, replayed));
        };
        let short = existing
            .as_ref()
            .is_none_or(|b| (b.len() as u64) < capacity);
        if short && prepare(&file, epoch, capacity, existing.is_none(), dir).is_err() {
            return Ok((None, replayed));
        }
        let redo = Redo {
            file,
            db: db.clone(),
            pending: Mutex::default(),
            numbers: marks.into_iter().map(AtomicU64::new).collect(),
            writer: Mutex::new(Writer {
                offset: HEADER_LEN,
                chain: header_crc(epoch),
                epoch,
            }),
            capacity,
        };
        Ok((Some(redo), replayed))
    }

    /// Records a write of `stripe` made of `ops`, just applied to sled under the stripe's lock:
    /// sets the stripe's mark in sled, then queues the record for the next frame. A failed mark
    /// is sled's failure (the caller stops the store).
    pub(crate) fn record(&self, stripe: usize, ops: &[RedoOp<'_>]) -> Result<()> {
        let number = self.numbers[stripe].fetch_add(1, Ordering::Relaxed) + 1;
        self.db
            .insert(mark_key(stripe), &number.to_be_bytes())
            .map_err(|e| sled_error("cannot record the write", e))?;
        let mut pending = lock(&self.pending);
        pending.push(stripe as u8);
        pending.extend_from_slice(&number.to_le_bytes());
        pending.extend_from_slice(&(ops.len() as u32).to_le_bytes());
        for op in ops {
            match op {
                RedoOp::Put(key, value) => {
                    pending.push(PUT);
                    put_bytes(&mut pending, key);
                    put_bytes(&mut pending, value);
                }
                RedoOp::Remove(key) => {
                    pending.push(REMOVE);
                    put_bytes(&mut pending, key);
                }
            }
        }
        Ok(())
    }

    /// Makes every write recorded so far durable: writes them as one frame and syncs the file.
    /// Runs on group commit's leader only.
    pub(crate) fn commit(&self) -> Committed {
        let records = std::mem::take(&mut *lock(&self.pending));
        if records.is_empty() {
            return Committed::Synced;
        }
        let mut w = lock(&self.writer);
        let len = records.len() as u64;
        if w.offset + FRAME_HEADER + len > self.capacity || len > u64::from(u32::MAX) {
            return Committed::NeedsCheckpoint;
        }
        let mut frame = Vec::with_capacity(records.len() + FRAME_HEADER as usize);
        frame.extend_from_slice(&(len as u32).to_le_bytes());
        let mut crc = crc32fast::Hasher::new_with_initial(w.chain);
        crc.update(&frame[..4]);
        crc.update(&records);
        let crc = crc.finalize();
        frame.extend_from_slice(&crc.to_le_bytes());
        frame.extend_from_slice(&records);
        let written = self
            .file
            .write_all_at(&frame, w.offset)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                w.offset += frame.len() as u64;
                w.chain = crc;
                Committed::Synced
            }
            // The frame may be torn on disk: a checkpoint makes its writes durable instead, and
            // starts a new epoch that ends the log before it.
            Err(_) => Committed::NeedsCheckpoint,
        }
    }

    /// Takes the writes pending, before sled's flush of a checkpoint: the flush covers them (each
    /// was applied to sled before it was recorded).
    pub(crate) fn take_pending(&self) {
        lock(&self.pending).clear();
    }

    /// Starts the log over under a new epoch, once a checkpoint made sled's files durable.
    pub(crate) fn restart(&self) -> io::Result<()> {
        let mut w = lock(&self.writer);
        let epoch = w.epoch + 1;
        write_header(&self.file, epoch)?;
        *w = Writer {
            offset: HEADER_LEN,
            chain: header_crc(epoch),
            epoch,
        };
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while holding these locks.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn mark_key(stripe: usize) -> Vec<u8> {
    let mut key = MARK_PREFIX.to_vec();
    key.extend_from_slice(&(stripe as u32).to_be_bytes());
    key
}

fn read_mark(db: &sled::Db, stripe: usize) -> Result<u64> {
    let found = db
        .get(mark_key(stripe))
        .map_err(|e| sled_error("cannot read the redo marks", e))?;
    Ok(match found {
        Some(bytes) => u64::from_be_bytes(
            bytes[..]
                .try_into()
                .map_err(|_| Error::Corrupt("a redo mark is damaged".into()))?,
        ),
        None => 0,
    })
}

fn header_crc(epoch: u64) -> u32 {
    let mut crc = crc32fast::Hasher::new();
    crc.update(MAGIC);
    crc.update(&epoch.to_le_bytes());
    crc.finalize()
}

fn write_header(file: &File, epoch: u64) -> io::Result<()> {
    let mut header = MAGIC.to_vec();
    header.extend_from_slice(&epoch.to_le_bytes());
    file.write_all_at(&header, 0)?;
    file.sync_data()
}

/// Makes the file `capacity` bytes long, zeros written past what it holds (so that every frame
/// overwrites written blocks: an `fdatasync` that need not record a new size or allocate is the
/// cheapest there is), a new file with its header; then makes its size and name durable.
fn prepare(file: &File, epoch: u64, capacity: u64, new: bool, dir: &Path) -> io::Result<()> {
    let from = if new {
        write_header(file, epoch)?;
        HEADER_LEN
    } else {
        file.metadata()?.len()
    };
    let zeros = vec![0u8; 64 << 10];
    let mut at = from;
    while at < capacity {
        let n = (capacity - at).min(zeros.len() as u64) as usize;
        file.write_all_at(&zeros[..n], at)?;
        at += n as u64;
    }
    file.sync_all()?;
    // The new file's name must survive a cut before any frame in it counts.
    File::open(dir)?.sync_all()
}

/// The epoch and the frames (their records) of a redo log's bytes, up to the first frame that
/// is torn or of an older epoch; `None` if the header is not one (a file cut before its first
/// sync).
fn frames(bytes: &[u8]) -> Option<(u64, Vec<&[u8]>)> {
    if bytes.len() < HEADER_LEN as usize || &bytes[..8] != MAGIC {
        return None;
    }
    let epoch = u64::from_le_bytes(bytes[8..16].try_into().ok()?);
    let mut chain = header_crc(epoch);
    let mut at = HEADER_LEN as usize;
    let mut found = Vec::new();
    while let Some(header) = bytes.get(at..at + FRAME_HEADER as usize) {
        let len = u32::from_le_bytes(header[..4].try_into().ok()?) as usize;
        let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
        let start = at + FRAME_HEADER as usize;
        let Some(records) = bytes.get(start..start.saturating_add(len)) else {
            break;
        };
        let mut check = crc32fast::Hasher::new_with_initial(chain);
        check.update(&header[..4]);
        check.update(records);
        if len == 0 || check.finalize() != crc {
            break;
        }
        found.push(records);
        chain = crc;
        at = start + len;
    }
    Some((epoch, found))
}

/// Applies the writes of one frame that sled lacks (numbered above their stripe's mark), each
/// as one batch followed by its mark. Returns whether it applied any.
fn replay(frame: &[u8], db: &sled::Db, entries: &sled::Tree, marks: &mut [u64]) -> Result<bool> {
    let damaged = || Error::Corrupt("the redo log holds a damaged record".into());
    let mut r = Reader(frame);
    let mut applied = false;
    while !r.0.is_empty() {
        let stripe = r.take(1).ok_or_else(damaged)?[0] as usize;
        let number = r.u64().ok_or_else(damaged)?;
        let count = r.u32().ok_or_else(damaged)?;
        let mut batch = sled::Batch::default();
        for _ in 0..count {
            let kind = r.take(1).ok_or_else(damaged)?[0];
            let key = r.bytes().ok_or_else(damaged)?;
            match kind {
                PUT => batch.insert(key, r.bytes().ok_or_else(damaged)?),
                REMOVE => batch.remove(key),
                _ => return Err(damaged()),
            }
        }
        let mark = marks.get_mut(stripe).ok_or_else(damaged)?;
        if number > *mark {
            entries
                .apply_batch(batch)
                .and_then(|()| {
                    db.insert(mark_key(stripe), &number.to_be_bytes())
                        .map(|_| ())
                })
                .map_err(|e| sled_error("cannot replay the redo log", e))?;
            *mark = number;
            applied = true;
        }
    }
    Ok(applied)
}

/// Reads a record's fields in order.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sled database and its entries tree in `dir`.
    fn sled_in(dir: &Path) -> (sled::Db, sled::Tree) {
        let db = sled::Config::new().path(dir.join("db")).open().unwrap();
        let entries = db.open_tree("entries").unwrap();
        (db, entries)
    }

    fn open(dir: &Path, db: &sled::Db, entries: &sled::Tree) -> (Redo, bool) {
        let (redo, replayed) = Redo::open(dir, db, entries, 4, 4096).unwrap();
        (redo.expect("a redo log"), replayed)
    }

    fn get(entries: &sled::Tree, key: &str) -> Option<String> {
        let value = entries.get(key).unwrap()?;
        Some(String::from_utf8(value.to_vec()).unwrap())
    }

    /// A replay case: the marks sled holds, then what `a` and `b` read after opening.
    type Case<'a> = (&'a [(usize, u64)], Option<&'a str>, Option<&'a str>);

    /// The redo log of `from`, copied beside a fresh sled in `to` whose stripe marks are `marks`.
    fn replayed_into(from: &Path, to: &Path, marks: &[(usize, u64)]) -> (sled::Tree, bool) {
        std::fs::copy(from.join(REDO_FILE), to.join(REDO_FILE)).unwrap();
        let (db, entries) = sled_in(to);
        for (stripe, mark) in marks {
            db.insert(mark_key(*stripe), &mark.to_be_bytes()).unwrap();
        }
        entries.insert("a", "sled's own").unwrap();
        let (_, replayed) = open(to, &db, &entries);
        (entries, replayed)
    }

    #[test]
    fn opening_replays_only_the_writes_above_their_stripes_mark() {
        let (written, fresh) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (db, entries) = sled_in(written.path());
        let (redo, _) = open(written.path(), &db, &entries);
        redo.record(0, &[RedoOp::Put(b"a", b"1")]).unwrap();
        redo.record(0, &[RedoOp::Put(b"a", b"2"), RedoOp::Remove(b"c")])
            .unwrap();
        redo.record(1, &[RedoOp::Put(b"b", b"1")]).unwrap();
        assert_eq!(redo.commit(), Committed::Synced);
        let cases: [Case<'_>; 4] = [
            (&[], Some("2"), Some("1")),
            (&[(0, 1)], Some("2"), Some("1")),
            // sled holds stripe 0's writes up to a later one the log lost: nothing of it replays.
            (&[(0, 3)], Some("sled's own"), Some("1")),
            (&[(0, 2), (1, 1)], Some("sled's own"), None),
        ];
        for (i, (marks, a, b)) in cases.into_iter().enumerate() {
            let to = fresh.path().join(i.to_string());
            std::fs::create_dir(&to).unwrap();
            let (entries, replayed) = replayed_into(written.path(), &to, marks);
            let got = (get(&entries, "a"), get(&entries, "b"), replayed);
            let want = (
                a.map(str::to_owned),
                b.map(str::to_owned),
                b.is_some() || a == Some("2"),
            );
            assert_eq!(got, want, "marks {marks:?}");
        }
    }

    #[test]
    fn a_torn_frame_ends_the_log_and_a_restart_forgets_every_frame() {
        let dir = tempfile::tempdir().unwrap();
        let (db, entries) = sled_in(dir.path());
        let (redo, _) = open(dir.path(), &db, &entries);
        let frames_now = || {
            let bytes = std::fs::read(dir.path().join(REDO_FILE)).unwrap();
            frames(&bytes).unwrap().1.len()
        };
        for value in [b"1", b"2"] {
            redo.record(0, &[RedoOp::Put(b"a", value)]).unwrap();
            assert_eq!(redo.commit(), Committed::Synced);
        }
        assert_eq!(frames_now(), 2);
        // One byte of the second frame changed, as a cut tearing it would.
        let offset = lock(&redo.writer).offset - 1;
        redo.file.write_all_at(&[0xAA], offset).unwrap();
        assert_eq!(frames_now(), 1);
        redo.restart().unwrap();
        assert_eq!(frames_now(), 0);
        redo.record(0, &[RedoOp::Put(b"a", b"3")]).unwrap();
        assert_eq!(redo.commit(), Committed::Synced);
        assert_eq!(frames_now(), 1);
    }

    #[test]
    fn records_the_log_has_no_room_for_ask_for_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let (db, entries) = sled_in(dir.path());
        let (redo, _) = open(dir.path(), &db, &entries);
        assert_eq!(redo.commit(), Committed::Synced, "nothing to write");
        redo.record(0, &[RedoOp::Put(b"big", &[7; 5000])]).unwrap();
        assert_eq!(redo.commit(), Committed::NeedsCheckpoint);
        // The records were taken: the checkpoint's flush of sled covers them.
        assert_eq!(redo.commit(), Committed::Synced);
        assert_eq!(
            std::fs::metadata(dir.path().join(REDO_FILE)).unwrap().len(),
            4096
        );
    }

    #[test]
    fn a_write_is_acknowledged_by_a_frame_and_a_clean_close_leaves_none() {
        use storage_core::{block_on, Backend, Limits, Op};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store");
        let frames_in = || {
            frames(&std::fs::read(path.join(REDO_FILE)).unwrap())
                .unwrap()
                .1
                .len()
        };
        let store = crate::SledBackend::open(&path).unwrap();
        let put = Op::Put {
            key: b"k".to_vec(),
            value: b"v".to_vec(),
            charge: 2,
        };
        block_on(store.apply(b"ns", &[put], Limits::NONE)).unwrap();
        assert_eq!(frames_in(), 1);
        drop(store);
        assert_eq!(frames_in(), 0);
        let store = crate::SledBackend::open(&path).unwrap();
        assert_eq!(
            block_on(store.get(b"ns", b"k")).unwrap(),
            Some(b"v".to_vec())
        );
    }
}
