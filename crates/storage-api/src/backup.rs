//! [`Mpstore::backup`]: a copy of a store in use, as of one point in time, that opens as a store.

use crate::default_stack::{sync_dir, Rotation};
use crate::{Mpstore, DATA_DIR, KEY_FILE};
use std::io::Write;
use std::path::Path;
use storage_core::{Error, Result};

impl Mpstore {
    /// Copies the store into `dir` (which must not exist, or be empty) as of one point in time:
    /// every write acknowledged before the call is in the copy, and every write is in it whole
    /// or not at all. Writes of every handle wait while the records are copied (an async write
    /// without holding its thread); reads go on. The copy opens as the store does:
    /// [`open_default`](Self::open_default) on `dir` for a store opened that way (its
    /// `master.key` is copied, mode `0600`), or [`open`](Self::open) with the same key
    /// provider. An entry that cannot be read is copied as damaged, so `verify` of the copy
    /// names it too.
    ///
    /// A store without files of its own ([`in_memory`](Self::in_memory),
    /// [`with_backend`](Self::with_backend)) cannot be backed up: that is an error, as is a
    /// backup during a key rotation.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::{block_on, Scope};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Mpstore::open_default(dir.path().join("store")).unwrap();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// block_on(store.backup(dir.path().join("backup"))).unwrap();
    /// let copy = Mpstore::open_default(dir.path().join("backup")).unwrap();
    /// assert_eq!(copy.mini_program("u", "app", Scope::App).unwrap().wx().get_storage_sync("k").unwrap(), 1.into());
    /// assert!(block_on(store.backup(dir.path().join("backup"))).is_err(), "not empty");
    /// ```
    pub async fn backup(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref();
        let Some(keyed) = &self.keyed else {
            return Err(Error::Backend(
                "this store has no files to back up: it was not opened with Mpstore::open".into(),
            ));
        };
        check_empty(dir, "back up into")?;
        // The key files must not change under the copy: a rotation and a backup exclude each
        // other.
        let _rotation = KeyFilesHeld::take(self)?;
        let _still = self.backend.close_writes().await;
        if self.backend.is_closed() {
            return Err(Error::Closed);
        }
        crate::data_dir::prepare(dir)?;
        let copied = keyed.inner().copy_to(dir.join(DATA_DIR))?;
        if let Some(stopped) = copied.stopped {
            return Err(stopped);
        }
        if let Some(key_dir) = &self.key_dir {
            copy_key_file(&key_dir.join(KEY_FILE), &dir.join(KEY_FILE))?;
        }
        sync_dir(dir)
    }
}

/// Refuses `dir` unless it does not exist or is an empty directory.
pub(crate) fn check_empty(dir: &Path, doing: &str) -> Result<()> {
    match std::fs::read_dir(dir).map(|mut listing| listing.next().is_none()) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::InvalidParam(format!(
            "cannot {doing} {}: the directory is not empty",
            dir.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::InvalidParam(format!(
            "cannot {doing} {}: {e}",
            dir.display()
        ))),
    }
}

/// Copies a key file into a new file of mode `0600`, synced.
pub(crate) fn copy_key_file(from: &Path, to: &Path) -> Result<()> {
    let failed = |e: std::io::Error| {
        Error::Backend(format!(
            "cannot copy {} to {}: {e}",
            from.display(),
            to.display()
        ))
    };
    let key = std::fs::read(from).map_err(failed)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(to).map_err(failed)?;
    file.write_all(&key).map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// The store's key files held still: no rotation starts until this is dropped.
struct KeyFilesHeld<'a>(&'a Mpstore);

impl<'a> KeyFilesHeld<'a> {
    fn take(store: &'a Mpstore) -> Result<Self> {
        let mut state = store.rotation.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            Rotation::Idle => *state = Rotation::Running,
            Rotation::Running => {
                return Err(Error::Backend(
                    "a key rotation or another backup of this store is running".into(),
                ))
            }
            Rotation::Unsettled => {
                return Err(Error::Backend(
                    "an earlier rotation of this store's key file did not finish: reopen the \
                     store (Mpstore::open_default) before backing it up"
                        .into(),
                ))
            }
        }
        Ok(KeyFilesHeld(store))
    }
}

impl Drop for KeyFilesHeld<'_> {
    fn drop(&mut self) {
        *self.0.rotation.lock().unwrap_or_else(|e| e.into_inner()) = Rotation::Idle;
    }
}
