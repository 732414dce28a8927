//! Opening a store: the format record, the in-process open registry, sled's configuration, and
//! the translation of sled's errors into [`storage_core::Error`].
//!
//! Every check that can refuse a path runs before sled touches it, so a refused open changes
//! nothing on disk.
//!
//! A store records its format twice: in a file beside sled's (`MPSTORE_FORMAT`, readable without
//! opening sled) and inside sled. This build reads and writes version 4 only; a store of any
//! other version is refused, naming the version it found.

use crate::layout::{ENTRIES, FORMAT_KEY};
use crate::options::{Durability, SledOptions};
use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
#[cfg(unix)]
use std::time::{Duration, Instant};
use storage_core::{Error, Result};

/// The format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 4;

/// Name of the format record file in a store's directory.
pub const FORMAT_FILE: &str = "MPSTORE_FORMAT";

/// The format file while it is being written.
const TMP_FORMAT_FILE: &str = "MPSTORE_FORMAT.tmp";

/// The file a process holds locked while the store is open: before sled's own lock exists, it
/// keeps processes creating one store at once from racing over its format file.
pub(crate) const LOCK_FILE: &str = "MPSTORE_LOCK";

/// What the format record file says, followed by the version and a newline.
const FORMAT_MAGIC: &str = "mpstore-sled format ";

/// Canonical paths of the stores open in this process.
static OPEN: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// A store's place in the open registry; leaving it (on drop) lets the path be opened again.
#[derive(Debug)]
pub(crate) struct Registration {
    path: PathBuf,
    /// Set once sled has opened the store: only then is there a sled to wait for on drop.
    sled_opened: bool,
    /// The store's lock file, held locked while the store is open (see [`lock_store`]).
    lock: Option<fs::File>,
}

impl Registration {
    fn take(path: PathBuf) -> Result<Self> {
        let mut open = OPEN.lock().unwrap_or_else(|e| e.into_inner());
        if !open.insert(path.clone()) {
            return Err(Error::Backend(format!(
                "the store at {} is already open in this process; share the open SledBackend \
                 (e.g. in an Arc) instead of opening it twice",
                path.display()
            )));
        }
        Ok(Self {
            path,
            sled_opened: false,
            lock: None,
        })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if self.sled_opened {
            wait_for_sled_to_let_go(&self.path);
        }
        OPEN.lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.path);
    }
}

/// How long a closing store waits for sled's last I/O jobs before giving up.
#[cfg(unix)]
const RELEASE_WAIT: Duration = Duration::from_secs(10);

/// Elsewhere, closing does not wait.
#[cfg(not(unix))]
fn wait_for_sled_to_let_go(_store: &Path) {}

/// Waits until sled's exclusive lock on the store's `db` file is released.
///
/// When its handles are dropped, sled flushes, but I/O jobs already queued on its thread pool
/// keep the file (and so its lock) a moment longer, more so after a failed write. Waiting here
/// lets a closed store be reopened at once. The wait is bounded: if the lock is still held
/// after [`RELEASE_WAIT`] (another process took it), closing simply goes on.
#[cfg(unix)]
fn wait_for_sled_to_let_go(store: &Path) {
    let Ok(file) = fs::File::open(store.join("db")) else {
        return;
    };
    let deadline = Instant::now() + RELEASE_WAIT;
    loop {
        // SAFETY: `flock` on a descriptor this function owns for the whole call.
        let free = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if free {
            // SAFETY: as above; the lock was taken just now, on this descriptor.
            unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
            return;
        }
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// sled's handles on an open store.
pub(crate) struct Opened {
    pub db: sled::Db,
    pub entries: sled::Tree,
    /// The store's directory.
    pub path: PathBuf,
    /// The size of sled's log segments.
    pub segment_size: usize,
    /// Must be dropped after the handles above (it is, being the struct's field after them in
    /// `SledBackend`), so that the path is reopenable only once sled has let go of it.
    pub registration: Registration,
}

/// Opens (creating if absent or empty) the store at `path`.
pub(crate) fn open(path: &Path, options: &SledOptions) -> Result<Opened> {
    if options.cache_capacity_bytes == 0 {
        return Err(Error::InvalidParam(
            "SledOptions::cache_capacity_bytes must be at least 1".into(),
        ));
    }
    if options.value_log_segment_bytes == 0 {
        return Err(Error::InvalidParam(
            "SledOptions::value_log_segment_bytes must be at least 1".into(),
        ));
    }
    if options.flush_every_ms == 0 {
        return Err(Error::InvalidParam(
            "SledOptions::flush_every_ms must be at least 1".into(),
        ));
    }
    match fs::metadata(path) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(not_a_store(path, "it is not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => create_private_dir(path).map_err(|e| {
            io_error(
                &format!("cannot create the store directory {}", path.display()),
                &e,
            )
        })?,
        Err(e) => return Err(io_error(&format!("cannot open {}", path.display()), &e)),
    }
    let canonical = path
        .canonicalize()
        .map_err(|e| io_error(&format!("cannot resolve {}", path.display()), &e))?;
    let mut registration = Registration::take(canonical)?;
    // Checked before the lock, so a directory that is no store gets no lock file; and again
    // under it, since another process may have been creating the store meanwhile.
    let seen = check_format_file(path)?;
    registration.lock = Some(lock_store(path, seen)?);
    let found = check_format_file(path)?;
    if found == Found::Fresh {
        write_format_file(path)?;
    }
    let segment_size = segment_size(path, found)?;
    crate::space::Space::before_open(path);
    if fs::symlink_metadata(path.join("conf")).is_err() {
        write_sled_conf(path, segment_size)?;
    }
    let db = sled::Config::new()
        .path(path)
        .segment_size(segment_size)
        .cache_capacity(options.cache_capacity_bytes)
        // Durable mode flushes every write itself, value log first; a background flush could
        // make a pointer durable before the value log's bytes (see the crate docs, *Power cuts*).
        .flush_every_ms(match options.durability {
            Durability::Durable => None,
            Durability::Buffered => Some(options.flush_every_ms),
        })
        .mode(sled::Mode::LowSpace)
        .open()
        .map_err(|e| match e {
            // sled's exclusive file lock is held: by another process, since this one checked
            // its own registry above.
            sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
                Error::Backend(format!(
                    "the store at {} is open in another process",
                    path.display()
                ))
            }
            e => sled_error(&format!("cannot open the store at {}", path.display()), e),
        })?;
    registration.sled_opened = true;
    restrict_sled_files(path);
    check_format_record(&db, path)?;
    let entries = db
        .open_tree(ENTRIES)
        .map_err(|e| sled_error(&format!("cannot open tree {ENTRIES}"), e))?;
    Ok(Opened {
        entries,
        db,
        path: path.to_path_buf(),
        segment_size,
        registration,
    })
}

/// The size of sled's log segments in the stores this build creates on filesystems of 128 MiB
/// or more; a smaller filesystem gets smaller segments (a sixteenth of it, down to 256 KiB),
/// since sled fills out its last segment when it reopens a store (sled's own default is 512
/// KiB). A tool that opens a store with sled directly must pass the size recorded in its `conf`
/// file to `sled::Config::segment_size`: sled refuses to open a store with another size.
pub const SEGMENT_SIZE_BYTES: usize = 8 << 20;

/// The segment size to open the store at `path` with: sled refuses to open a store with another
/// size than the one it was created with (recorded in its `conf` file), so an existing store
/// keeps its own; a new one gets [`SEGMENT_SIZE_BYTES`], or less on a small filesystem.
fn segment_size(path: &Path, found: Found) -> Result<usize> {
    const SLED_DEFAULT: usize = 512 << 10;
    let conf = path.join("conf");
    // sled's `conf` is text lines followed by a checksum.
    let text = match fs::read(&conf) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            // No sled files yet: a new store, or a creation interrupted before sled wrote any.
            return Ok(match found {
                Found::Current if fs::metadata(path.join("db")).is_ok() => SLED_DEFAULT,
                Found::Fresh | Found::Current => crate::space::new_segment_size(path),
            });
        }
        Err(e) => return Err(io_error(&format!("cannot read {}", conf.display()), &e)),
    };
    let size = text
        .lines()
        .find_map(|line| line.strip_prefix("segment_size: "))
        .and_then(|n| {
            let digits: String = n.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        });
    // sled itself refuses a `conf` without a valid size; let it say so.
    Ok(size.unwrap_or(SLED_DEFAULT))
}

/// What the format file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// No store yet: one is created.
    Fresh,
    /// A store of [`FORMAT_VERSION`].
    Current,
}

/// Whether `path` is a new store (no format file, nothing else there) or which version of store
/// it is; an error if it holds something that is not a store of the format this build opens.
fn check_format_file(path: &Path) -> Result<Found> {
    check_format_file_once(path, false)
}

/// [`check_format_file`]; `again` when it reads a second time, after a listing showed the file.
fn check_format_file_once(path: &Path, again: bool) -> Result<Found> {
    let file = path.join(FORMAT_FILE);
    match fs::read(&file) {
        Ok(bytes) => {
            let version = std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.strip_prefix(FORMAT_MAGIC))
                .and_then(|s| s.strip_suffix('\n'))
                .and_then(|s| s.parse::<u32>().ok());
            match version {
                Some(FORMAT_VERSION) => Ok(Found::Current),
                Some(v) => Err(Error::Backend(format!(
                    "the store at {} has format version {v}, which this build cannot read \
                     (it reads version {FORMAT_VERSION} only)",
                    path.display()
                ))),
                None => Err(not_a_store(
                    path,
                    &format!("{FORMAT_FILE} is not a format record"),
                )),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let listing = fs::read_dir(path)
                .map_err(|e| io_error(&format!("cannot list {}", path.display()), &e))?;
            // A creation killed before its format file was renamed into place leaves only the
            // temporary file: that directory is still a store to create (the file is replaced).
            let names: Vec<_> = listing
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<_>>()
                .map_err(|e| io_error(&format!("cannot list {}", path.display()), &e))?;
            // A process creating the store meanwhile renamed its format file into place after
            // the read above: read it now.
            if !again && names.iter().any(|n| n == FORMAT_FILE) {
                return check_format_file_once(path, true);
            }
            if names.iter().any(|n| n != TMP_FORMAT_FILE && n != LOCK_FILE) {
                return Err(not_a_store(
                    path,
                    &format!("the directory is not empty and has no {FORMAT_FILE}"),
                ));
            }
            Ok(Found::Fresh)
        }
        Err(e) => Err(io_error(&format!("cannot read {}", file.display()), &e)),
    }
}

/// Writes the format file atomically and durably, so a crash or a power cut leaves either no
/// record or a whole one in a directory that is still there.
fn write_format_file(path: &Path) -> Result<()> {
    let bytes = format!("{FORMAT_MAGIC}{FORMAT_VERSION}\n");
    replace_durably(path, FORMAT_FILE, TMP_FORMAT_FILE, bytes.as_bytes())
        .and_then(|()| {
            // The store's directory may be as new as the store: its name must survive too.
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            fs::File::open(parent.unwrap_or(Path::new(".")))?.sync_all()
        })
        .map_err(|e| io_error(&format!("cannot create a store in {}", path.display()), &e))
}

/// Writes sled's `conf` file for a new store, as sled 0.34 writes it (its parameters as text
/// lines, then their CRC-32), but atomically and durably: sled writes it only when it finds
/// none, without syncing it, so a power cut could otherwise leave a torn `conf` that sled
/// refuses to open.
fn write_sled_conf(path: &Path, segment_size: usize) -> Result<()> {
    let mut bytes =
        format!("segment_size: {segment_size}\nuse_compression: false\nversion: 0.34\n")
            .into_bytes();
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    replace_durably(path, "conf", "conf.tmp", &bytes)
        .map_err(|e| io_error(&format!("cannot create a store in {}", path.display()), &e))
}

/// Puts `bytes` in `dir/name` atomically and durably: written to `dir/tmp` and synced, renamed
/// into place, the directory synced. On failure the temporary file is removed.
fn replace_durably(dir: &Path, name: &str, tmp: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(tmp);
    let write = || -> io::Result<()> {
        let mut f = private_file()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, dir.join(name))?;
        fs::File::open(dir)?.sync_all()
    };
    write().inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Checks (or, in a new store, writes) the format record inside sled.
fn check_format_record(db: &sled::Db, path: &Path) -> Result<()> {
    let stored = db
        .get(FORMAT_KEY)
        .map_err(|e| sled_error("cannot read the format record", e))?;
    let stored = stored.as_ref().map(|v| v.as_ref());
    let version = stored
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .map(u32::from_be_bytes);
    match (stored, version) {
        (Some(_), Some(FORMAT_VERSION)) => Ok(()),
        // Not yet written (a creation interrupted before it).
        (None, _) => write_format_record(db),
        (Some(_), Some(v)) => Err(Error::Backend(format!(
            "the store at {} records format version {v} inside, which this build cannot read \
             (it reads version {FORMAT_VERSION} only)",
            path.display(),
        ))),
        (Some(v), None) => Err(Error::Backend(format!(
            "the store at {} records format {v:?} inside, which this build cannot read \
             (it reads version {FORMAT_VERSION} only)",
            path.display(),
        ))),
    }
}

fn write_format_record(db: &sled::Db) -> Result<()> {
    db.insert(FORMAT_KEY, &FORMAT_VERSION.to_be_bytes())
        .map_err(|e| sled_error("cannot write the format record", e))?;
    db.flush()
        .map_err(|e| sled_error("cannot write the format record", e))?;
    Ok(())
}

fn not_a_store(path: &Path, why: &str) -> Error {
    Error::Backend(format!(
        "{} is not an mpstore sled store: {why}",
        path.display()
    ))
}

/// Locks the store at `path` (`seen`: a new one, or one that exists) for this process, creating
/// its lock file; another process holding it means the store is open there.
fn lock_store(path: &Path, seen: Found) -> Result<fs::File> {
    let doing = match seen {
        Found::Fresh => format!("cannot create a store in {}", path.display()),
        Found::Current => format!(
            "cannot open the store at {}: cannot take its lock",
            path.display()
        ),
    };
    let file = private_file()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path.join(LOCK_FILE))
        .map_err(|e| io_error(&doing, &e))?;
    #[cfg(unix)]
    {
        // SAFETY: `flock` on a descriptor this function owns; the lock lives as long as it.
        let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !locked {
            return Err(Error::Backend(format!(
                "the store at {} is open in another process",
                path.display()
            )));
        }
    }
    Ok(file)
}

/// Creates `dir` and its missing parents, readable by the owner only (whatever the umask).
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Options that create a file readable by the owner only (whatever the umask).
pub(crate) fn private_file() -> fs::OpenOptions {
    let mut options = fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// sled creates its files with the process's umask: make the ones it made private too (best
/// effort; the store's directory, created `0700`, keeps others out anyway).
fn restrict_sled_files(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(listing) = fs::read_dir(path) else {
            return;
        };
        for entry in listing.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let ours =
                name == "db" || name == "conf" || name.starts_with("snap.") || name == "blobs";
            let Ok(meta) = entry.metadata() else { continue };
            if ours && meta.permissions().mode() & 0o077 != 0 {
                let mode = if meta.is_dir() { 0o700 } else { 0o600 };
                let _ = fs::set_permissions(entry.path(), fs::Permissions::from_mode(mode));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// An I/O error, with what was being done.
pub(crate) fn io_error(doing: &str, e: &io::Error) -> Error {
    Error::Backend(format!("{doing}: {e}"))
}

/// A sled error, with what was being done; damage sled detects is [`Error::Corrupt`].
pub(crate) fn sled_error(doing: &str, e: sled::Error) -> Error {
    match e {
        sled::Error::Corruption { at, .. } => {
            Error::Corrupt(format!("{doing}: sled found corrupted data at {at:?}"))
        }
        other => Error::Backend(format!("{doing}: {}", describe(&other))),
    }
}

/// What went wrong in sled, in words.
pub(crate) fn describe(e: &sled::Error) -> String {
    match e {
        sled::Error::Io(io) if io.raw_os_error().is_some() => io.to_string(),
        // sled hands out copies of a stored I/O error that keep only its kind and a debug
        // rendering of the original, so name the kind first.
        sled::Error::Io(io) => format!("{} ({io})", io.kind()),
        other => other.to_string(),
    }
}
