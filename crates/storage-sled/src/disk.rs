//! [`Disk`]: what makes a write durable (sled's handle, the value log, group commit and the
//! store's health), and the flusher thread that does the waiting for futures.
//!
//! A `*Sync` call waits for the disk on its own thread ([`Disk::make_durable`]). An async call
//! must not hold an executor's thread for a flush, so it awaits [`Disk::durable`]: the future
//! registers its waker with group commit and asks the flusher thread, which leads the flush (or
//! waits for a running one) and whose end wakes the future. The thread starts on the first such
//! request, so a store used only through `*Sync` calls never has one.

use crate::group_commit::GroupCommit;
use crate::health::Health;
use crate::open;
use crate::redo::{Committed, Redo};
use crate::space::Space;
use crate::values::log::ValueLog;
use std::fs::File;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use storage_core::{Error, Result};

/// The durable half of a store, shared with its flusher thread.
pub(crate) struct Disk {
    pub(crate) db: sled::Db,
    /// The durable mode's redo log (see `crate::redo`); `None` in the buffered mode, or when it
    /// cannot be created: then every flush is a checkpoint.
    pub(crate) redo: Option<Redo>,
    /// sled's log file, synced after sled's flush: sled pushes its log with `sync_file_range`,
    /// which neither empties the drive's cache nor records the file's size.
    sled_log: File,
    /// The directories sled names files in, synced when they changed: sled renames its
    /// snapshots into place and creates blob files without syncing their directory.
    dirs: [Dir; 2],
    pub(crate) log: ValueLog,
    pub(crate) space: Space,
    pub(crate) commit: GroupCommit,
    pub(crate) health: Health,
    jobs: Mutex<Jobs>,
    /// Where the flusher thread waits for jobs.
    work: Condvar,
}

/// What the flusher thread is asked to do.
#[derive(Default)]
struct Jobs {
    /// The newest generation a future waits for.
    flush_to: u64,
    /// The store is closing: the thread ends.
    closing: bool,
}

impl Disk {
    /// The disk of the store in `dir`, whose sled log is `dir/db`, in segments of `segment`
    /// bytes.
    pub(crate) fn new(
        db: sled::Db,
        redo: Option<Redo>,
        log: ValueLog,
        dir: &Path,
        segment: usize,
    ) -> Result<Self> {
        let open = |path: PathBuf| {
            File::open(&path)
                .map_err(|e| open::io_error(&format!("cannot open {}", path.display()), &e))
        };
        Ok(Disk {
            db,
            redo,
            sled_log: open(dir.join("db"))?,
            dirs: [Dir::open(dir)?, Dir::open(&dir.join("blobs"))?],
            log,
            space: Space::new(dir, segment as u64),
            commit: GroupCommit::default(),
            health: Health::default(),
            jobs: Mutex::default(),
            work: Condvar::new(),
        })
    }

    fn jobs(&self) -> MutexGuard<'_, Jobs> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits on this thread until the write committed as `generation` is on disk, leading the
    /// flush if no one else is.
    pub(crate) fn make_durable(&self, generation: u64) -> Result<()> {
        self.commit
            .wait_durable(generation, &self.health, || self.flush())
            .map_err(flush_failed)
    }

    /// Resolves once the write committed as `generation` is on disk; the waiting happens on
    /// the flusher thread, never on the thread polling this.
    pub(crate) fn durable<'a>(
        self: &'a Arc<Self>,
        flusher: &'a Flusher,
        generation: u64,
    ) -> impl Future<Output = Result<()>> + 'a {
        let mut asked = false;
        std::future::poll_fn(move |cx| {
            let poll = self.commit.poll_durable(generation, &self.health, cx);
            if poll.is_pending() && !asked {
                asked = true;
                let mut jobs = self.jobs();
                jobs.flush_to = jobs.flush_to.max(generation);
                drop(jobs);
                flusher.start(self);
                self.work.notify_one();
            }
            poll.map(|r| r.map_err(flush_failed))
        })
    }

    /// Makes every write so far durable, then deletes segment `id`.
    pub(crate) fn retire_now(&self, id: u64) -> Result<()> {
        self.make_durable(self.commit.latest())?;
        self.log.retire(id)
    }

    /// The flush itself, through the drive's cache: the value log's bytes first, so a pointer
    /// made durable never refers to bytes that are not; then the redo log's new records, or, if
    /// they do not fit (or there is no redo log), a checkpoint.
    fn flush(&self) -> std::result::Result<(), String> {
        self.log
            .sync()
            .map_err(|e| format!("cannot sync the value log: {e}"))?;
        match &self.redo {
            Some(redo) if redo.commit() == Committed::Synced => self.sync_dirs(),
            _ => self.checkpoint(),
        }
    }

    /// Syncs the store's directories that changed: names given since (a new store's
    /// directories, sled's `conf` and snapshots) must survive a cut before a write that relies
    /// on them is acknowledged.
    fn sync_dirs(&self) -> std::result::Result<(), String> {
        self.dirs.iter().try_for_each(Dir::sync)
    }

    /// Makes sled's files durable: sled's flush, its log file, the directories it names files
    /// in; then the redo log starts over (its records are all in sled's files now).
    pub(crate) fn checkpoint(&self) -> std::result::Result<(), String> {
        if let Some(redo) = &self.redo {
            redo.take_pending();
        }
        self.db.flush().map_err(|e| open::describe(&e))?;
        self.sled_log
            .sync_data()
            .map_err(|e| format!("cannot sync sled's log: {e}"))?;
        self.sync_dirs()?;
        if let Some(redo) = &self.redo {
            // Failing, the log keeps its old epoch: its records are all in sled (their marks
            // too), so replaying them changes nothing; flushes just checkpoint until it works.
            let _ = redo.restart();
        }
        Ok(())
    }

    /// The flusher thread's loop, until the store closes or stops.
    fn serve(&self) {
        loop {
            let mut jobs = self.jobs();
            while !jobs.closing
                && self.commit.is_durable(jobs.flush_to)
                && self.health.cause().is_none()
            {
                jobs = self.work.wait(jobs).unwrap_or_else(|e| e.into_inner());
            }
            if jobs.closing {
                return;
            }
            let to = jobs.flush_to;
            drop(jobs);
            if self.make_durable(to).is_err() {
                // Stopped: every waiting future learns it when woken.
                self.commit.wake_all();
                return;
            }
        }
    }
}

/// A directory sled names files in, synced only when it changed since the last sync: a sync
/// costs as much as the write's own, and almost every flush finds nothing new.
struct Dir {
    path: PathBuf,
    file: File,
    /// The directory's change time when it was last synced, once that time lies far enough in
    /// the past that no later change can share it (file times tick coarsely).
    synced: Mutex<Option<(i64, i64)>>,
}

impl Dir {
    fn open(path: &Path) -> Result<Dir> {
        let file = File::open(path)
            .map_err(|e| open::io_error(&format!("cannot open {}", path.display()), &e))?;
        Ok(Dir {
            path: path.to_path_buf(),
            file,
            synced: Mutex::new(None),
        })
    }

    fn sync(&self) -> std::result::Result<(), String> {
        let failed = |e: std::io::Error| format!("cannot sync {}: {e}", self.path.display());
        let changed = changed_at(&self.file.metadata().map_err(failed)?);
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        if *synced == Some(changed) {
            return Ok(());
        }
        self.file.sync_all().map_err(failed)?;
        // File times tick with the kernel's coarse clock (a few milliseconds): a change made
        // within a tick of this one could carry the same time, so a recent time is not kept.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let at = i128::from(changed.0) * 1_000_000_000 + i128::from(changed.1);
        *synced = (now - at > SETTLED_NANOS).then_some(changed);
        Ok(())
    }
}

/// How long after a directory changed its change time is kept as synced: many ticks of the
/// kernel's coarse clock.
const SETTLED_NANOS: i128 = 50_000_000;

/// When a directory's entries last changed: its change time, in seconds and nanoseconds.
#[cfg(unix)]
fn changed_at(meta: &std::fs::Metadata) -> (i64, i64) {
    use std::os::unix::fs::MetadataExt;
    (meta.ctime(), meta.ctime_nsec())
}

#[cfg(not(unix))]
fn changed_at(meta: &std::fs::Metadata) -> (i64, i64) {
    let since = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    (since.as_secs() as i64, i64::from(since.subsec_nanos()))
}

/// The error of a failed flush, for the write that waited for it.
fn flush_failed(cause: String) -> Error {
    Error::Backend(format!(
        "writing to disk failed ({cause}); the write may or may not have been stored, and the \
         store refuses further calls until it is reopened"
    ))
}

/// The flusher thread of one store, started on first use and joined when the store closes.
#[derive(Default)]
pub(crate) struct Flusher {
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Flusher {
    fn start(&self, disk: &Arc<Disk>) {
        let mut thread = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        if thread.is_none() {
            let serving = Arc::clone(disk);
            let spawned = std::thread::Builder::new()
                .name("mpstore-flusher".into())
                .spawn(move || serving.serve());
            match spawned {
                Ok(handle) => *thread = Some(handle),
                // No thread, no flush: stop the store rather than leave futures waiting.
                Err(e) => {
                    disk.health
                        .stop(format!("cannot start the flusher thread: {e}"));
                    disk.commit.wake_all();
                }
            }
        }
    }

    /// Ends the thread, if it runs, once its current job is done.
    pub(crate) fn close(&self, disk: &Disk) {
        disk.jobs().closing = true;
        disk.work.notify_all();
        let handle = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}
