//! [`open_copy`]: a possibly damaged store, copied and opened, by what sled needs to open it.
//!
//! sled refuses to open a store whose `conf` or snapshot (`snap.*`) fails its checksum, and
//! often one whose log (`db`) holds a damaged message the snapshot points into; mpstore refuses
//! one whose format file is damaged. Each of these has a repair that loses nothing sled could
//! still read, tried in order on the copy (never on the original) until the copy opens: the
//! format file written again (sled's own format record must still say this version), the
//! snapshots removed (sled rebuilds its page table from the log, up to the first damaged
//! message), `conf` written again with the segment size it names or this build's.

use crate::backend::SledBackend;
use crate::open::{io_error, FORMAT_FILE, FORMAT_VERSION, SEGMENT_SIZE_BYTES};
use crate::options::{Durability, SledOptions};
use std::fs;
use std::path::Path;
use storage_core::{Error, Result};

/// A copy of a store, opened by [`open_copy`]; its files are deleted when it is dropped.
#[derive(Debug)]
#[non_exhaustive]
pub struct Recovered {
    /// The opened copy.
    pub store: SledBackend,
    /// What had to be repaired in the copy before it opened, in words; empty if nothing.
    pub repairs: Vec<String>,
    // Dropped after the store, which must let go of the files first.
    _scratch: tempfile::TempDir,
}

/// Copies the store at `original` into a new directory under `scratch_in` and opens the copy,
/// repairing what keeps it from opening (see the [module docs](self)). The original is only
/// read. Fails with the last refusal if no repair opens it.
pub fn open_copy(original: &Path, scratch_in: &Path) -> Result<Recovered> {
    if !original.join(FORMAT_FILE).exists() && !original.join("db").exists() {
        return Err(Error::InvalidParam(format!(
            "{} holds no mpstore sled store",
            original.display()
        )));
    }
    let scratch = tempfile::Builder::new()
        .prefix(".mpstore-salvage-")
        .tempdir_in(scratch_in)
        .map_err(|e| {
            io_error(
                &format!("cannot create a directory in {}", scratch_in.display()),
                &e,
            )
        })?;
    let copy = scratch.path().join("store");
    copy_dir(original, &copy)
        .map_err(|e| io_error(&format!("cannot copy {}", original.display()), &e))?;
    let mut repairs = Vec::new();
    let repairs_in_order: [Repair; 3] = [repair_format_file, remove_snapshots, repair_conf];
    let mut next = repairs_in_order.iter();
    loop {
        let options = SledOptions::default().durability(Durability::Buffered);
        let refused = match SledBackend::open_with(&copy, options) {
            Ok(store) => {
                return Ok(Recovered {
                    store,
                    repairs,
                    _scratch: scratch,
                })
            }
            Err(e) => e,
        };
        // The next repair that finds something to do.
        let done = loop {
            let Some(repair) = next.next() else {
                return Err(refused);
            };
            let done = repair(&copy).map_err(|e| {
                io_error(
                    &format!("cannot repair the copy of {}", original.display()),
                    &e,
                )
            })?;
            if let Some(done) = done {
                break done;
            }
        };
        repairs.push(format!("{done} (sled or mpstore refused it: {refused})"));
    }
}

/// A repair of a copy: what it did, or `None` if it found nothing to do.
type Repair = fn(&Path) -> std::io::Result<Option<&'static str>>;

/// Copies a store's directory, leaving out its lock file and its free space reserve.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    crate::open::create_private_dir(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let (path, name) = (entry.path(), entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &to.join(&name))?;
        } else if name != crate::open::LOCK_FILE && name != crate::space::RESERVE_FILE {
            fs::copy(&path, to.join(&name))?;
        }
    }
    Ok(())
}

fn repair_format_file(store: &Path) -> std::io::Result<Option<&'static str>> {
    let expected = format!("mpstore-sled format {FORMAT_VERSION}\n");
    if fs::read(store.join(FORMAT_FILE)).ok().as_deref() == Some(expected.as_bytes()) {
        return Ok(None);
    }
    fs::write(store.join(FORMAT_FILE), expected)?;
    Ok(Some("the format file was written again"))
}

fn remove_snapshots(store: &Path) -> std::io::Result<Option<&'static str>> {
    let mut removed = false;
    for entry in fs::read_dir(store)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with("snap.") {
            fs::remove_file(entry.path())?;
            removed = true;
        }
    }
    Ok(removed.then_some("sled's snapshots were removed, so sled rebuilt its state from its log"))
}

fn repair_conf(store: &Path) -> std::io::Result<Option<&'static str>> {
    let path = store.join("conf");
    let bytes = fs::read(&path).unwrap_or_default();
    if let Some((body, crc)) = bytes.split_last_chunk::<4>() {
        if crc32fast::hash(body).to_le_bytes() == *crc {
            return Ok(None);
        }
    }
    // sled's `conf`: these lines, then their CRC-32, little-endian.
    let text = String::from_utf8_lossy(&bytes);
    let named = text
        .lines()
        .find_map(|line| line.strip_prefix("segment_size: "))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| n.is_power_of_two() && *n >= 256);
    let size = named.unwrap_or(SEGMENT_SIZE_BYTES);
    let mut conf =
        format!("segment_size: {size}\nuse_compression: false\nversion: 0.34\n").into_bytes();
    let crc = crc32fast::hash(&conf).to_le_bytes();
    conf.extend_from_slice(&crc);
    fs::write(&path, conf)?;
    Ok(Some("sled's conf was written again"))
}
