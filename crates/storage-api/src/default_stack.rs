//! The default stack (feature `sled`, on by default): [`Mpstore::open`] and its kin open an
//! encrypted, durable sled database ([`EncryptedBackend`] over [`SledBackend`]) with a read
//! cache, whose master key can be rotated, kept in a key file or given by the host.

use crate::store_options::StoreOptions;
use crate::Mpstore;
use std::path::Path;
use std::sync::{Arc, Mutex};
use storage_core::{block_on, Backend, Closable, Error, ReadCache, Result};
use storage_crypto::{
    is_wrong_master_key, CacheSizes, EncryptedBackend, KeyFileProvider, KeyProvider,
};
use storage_sled::SledBackend;

/// The file name of the master key [`Mpstore::open_default`] keeps in the store's directory.
///
/// ```
/// assert_eq!(storage_api::KEY_FILE, "master.key");
/// ```
pub const KEY_FILE: &str = "master.key";
/// The subdirectory of the store's directory that holds the sled database.
///
/// ```
/// # use storage_api::Mpstore;
/// let dir = tempfile::tempdir().unwrap();
/// Mpstore::open_default(dir.path()).unwrap();
/// assert!(dir.path().join(storage_api::DATA_DIR).is_dir());
/// ```
pub const DATA_DIR: &str = "data";
/// The file [`Mpstore::rotate_key_file`] writes the new master key to before it becomes
/// [`KEY_FILE`].
///
/// ```
/// assert_eq!(storage_api::NEW_KEY_FILE, "master.key.new");
/// ```
pub const NEW_KEY_FILE: &str = "master.key.new";

/// The encryption layer of a store opened with a master key, kept so its key can be rotated.
pub(crate) type Keyed = EncryptedBackend<SledBackend>;

/// Where a store's key-file rotation stands, so two rotations never interleave and a rotation
/// that stopped half-way is not mistaken for a leftover.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Rotation {
    #[default]
    Idle,
    Running,
    /// A rotation wrote `master.key.new` and stopped before renaming it (an error, or its future
    /// was dropped): the store may already use that key, so only a reopen may settle the files.
    Unsettled,
}

/// Marks a running rotation unsettled unless it reaches its end.
struct RotationGuard<'a> {
    state: &'a Mutex<Rotation>,
    done: bool,
}

impl Drop for RotationGuard<'_> {
    fn drop(&mut self) {
        let next = if self.done {
            Rotation::Idle
        } else {
            Rotation::Unsettled
        };
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = next;
    }
}

impl Mpstore {
    /// Opens (or creates) the default store in `dir`: an encrypted ([`EncryptedBackend`]),
    /// durable sled database ([`SledBackend`], in `dir/data`) whose master key comes from
    /// `provider`.
    ///
    /// Every write is durable when its call succeeds (see [`storage_sled::Durability`]); use
    /// [`open_with`](Self::open_with) for the faster buffered mode. Hot values are served from
    /// an 8 MiB read cache of plaintext above the encryption layer
    /// ([`StoreOptions::read_cache_bytes`]). A wrong master key fails here
    /// with a clear error ([`storage_crypto::is_wrong_master_key`]) and changes nothing. Blocks
    /// the calling thread while opening; needs no async runtime.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::Scope;
    /// use storage_crypto::RawKeyProvider;
    /// let dir = tempfile::tempdir().unwrap();
    /// let key = RawKeyProvider::new([7; 32]);
    /// let store = Mpstore::open(dir.path(), &key).unwrap();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// drop(store);
    /// let again = Mpstore::open(dir.path(), &key).unwrap();
    /// assert_eq!(again.mini_program("u", "app", Scope::App).unwrap().wx().get_storage_sync("k").unwrap(), 1.into());
    /// assert!(Mpstore::open(dir.path(), &RawKeyProvider::new([8; 32])).is_err());
    /// ```
    pub fn open(dir: impl AsRef<Path>, provider: &dyn KeyProvider) -> Result<Mpstore> {
        Mpstore::open_with(dir, provider, StoreOptions::default())
    }

    /// Like [`open`](Self::open), with options: sled's (durability mode, page cache budget), or
    /// [`StoreOptions`] (those and the read cache's budget).
    ///
    /// The stack: a [`ReadCache`] (unless `read_cache_bytes` is 0) over an [`EncryptedBackend`]
    /// over a [`SledBackend`]. The cache is sound because this store is the only writer of its
    /// sled database; it is never put over a backend others write too (pass such a backend,
    /// e.g. Redis, to [`with_backend`](Self::with_backend), which adds no cache).
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_crypto::RawKeyProvider;
    /// use storage_sled::{Durability, SledOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// // Faster, but a crash may lose the last moments of writes.
    /// let options = SledOptions::default().durability(Durability::Buffered);
    /// let store = Mpstore::open_with(dir.path(), &RawKeyProvider::new([7; 32]), options).unwrap();
    /// // No read cache (every read decrypts):
    /// # drop(store);
    /// let options = storage_api::StoreOptions::default().read_cache_bytes(0);
    /// let store = Mpstore::open_with(dir.path(), &RawKeyProvider::new([7; 32]), options).unwrap();
    /// ```
    pub fn open_with(
        dir: impl AsRef<Path>,
        provider: &dyn KeyProvider,
        options: impl Into<StoreOptions>,
    ) -> Result<Mpstore> {
        let options = options.into();
        let sled = SledBackend::open_with(dir.as_ref().join(DATA_DIR), options.sled)?;
        let encrypted = Arc::new(block_on(EncryptedBackend::open_with(
            sled,
            provider,
            options.crypto_caches,
        ))?);
        let backend: Arc<dyn Backend> = match options.read_cache_bytes {
            0 => encrypted.clone(),
            bytes => Arc::new(ReadCache::new(encrypted.clone(), bytes)),
        };
        Ok(Mpstore {
            backend: Arc::new(Closable::new(backend)),
            keyed: Some(encrypted),
            key_dir: None,
            rotation: Arc::default(),
            clock: cloud_kv::Clock::system(),
            listeners: Arc::default(),
        })
    }

    /// Opens (or creates) the default store in `dir` in one line, its master key kept in
    /// `dir/master.key` ([`KeyFileProvider`]: created with a random key and mode `0600` on first
    /// use). Creates `dir` if it does not exist. Finishes a key rotation a crash interrupted
    /// (see [`rotate_key_file`](Self::rotate_key_file)).
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Mpstore::open_default(dir.path().join("mpstore")).unwrap();
    /// assert!(dir.path().join("mpstore").join("master.key").exists());
    /// ```
    pub fn open_default(dir: impl AsRef<Path>) -> Result<Mpstore> {
        Mpstore::open_default_with(dir, StoreOptions::default())
    }

    /// Like [`open_default`](Self::open_default), with options: sled's (durability mode, page
    /// cache budget), or [`StoreOptions`] (those and the read cache's budget).
    ///
    /// An interrupted rotation is finished here, by one rule: if `master.key` opens the store,
    /// the rotation never switched, and a leftover `master.key.new` is not the store's key (it
    /// is deleted); if `master.key` is refused as the wrong key and `master.key.new` opens the
    /// store, the rotation switched, and `master.key.new` is renamed over `master.key`. If
    /// neither opens it, the error is `master.key`'s.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_sled::{Durability, SledOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let options = SledOptions::default().durability(Durability::Buffered);
    /// let store = Mpstore::open_default_with(dir.path(), options).unwrap();
    /// ```
    pub fn open_default_with(
        dir: impl AsRef<Path>,
        options: impl Into<StoreOptions>,
    ) -> Result<Mpstore> {
        let (dir, options) = (dir.as_ref(), options.into());
        crate::data_dir::prepare(dir)?;
        let key = KeyFileProvider::new(dir.join(KEY_FILE));
        let new_key = dir.join(NEW_KEY_FILE);
        let store = match Mpstore::open_with(dir, &key, options.clone()) {
            Ok(store) => {
                // The store opened with `master.key`: a rotation, if any, never switched.
                remove_if_present(&new_key)?;
                store
            }
            Err(e) if is_wrong_master_key(&e) && new_key.exists() => {
                let new = KeyFileProvider::new(&new_key);
                let store = Mpstore::open_with(dir, &new, options).map_err(|_| e)?;
                install_new_key(dir)?;
                store
            }
            Err(e) => return Err(e),
        };
        Ok(Mpstore {
            key_dir: Some(dir.to_path_buf()),
            ..store
        })
    }

    /// Rotates the master key of a store opened with [`open`](Self::open) /
    /// [`open_with`](Self::open_with) to `new`'s ([`EncryptedBackend::rotate`]): afterwards only
    /// `new` opens it. No value is re-encrypted; the store stays usable (other calls wait while
    /// the rotation runs). Crash-safe: at every moment the store opens with exactly one of the
    /// two keys. Keeping `new` where the next open finds it is the caller's part; for the key
    /// file of [`open_default`](Self::open_default) use [`rotate_key_file`](Self::rotate_key_file).
    ///
    /// A store made any other way ([`in_memory`](Self::in_memory),
    /// [`with_backend`](Self::with_backend)) has no master key of its own to rotate: that is an
    /// error, and changes nothing.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::{block_on, Scope};
    /// use storage_crypto::RawKeyProvider;
    /// let dir = tempfile::tempdir().unwrap();
    /// let (old, new) = (RawKeyProvider::new([1; 32]), RawKeyProvider::new([2; 32]));
    /// let store = Mpstore::open(dir.path(), &old).unwrap();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// block_on(store.rotate_key(&new)).unwrap();
    /// drop(store);
    /// assert!(Mpstore::open(dir.path(), &old).is_err());
    /// let again = Mpstore::open(dir.path(), &new).unwrap();
    /// assert_eq!(again.mini_program("u", "app", Scope::App).unwrap().wx().get_storage_sync("k").unwrap(), 1.into());
    /// assert!(block_on(Mpstore::in_memory().rotate_key(&new)).is_err());
    /// ```
    pub async fn rotate_key(&self, new: &dyn KeyProvider) -> Result<()> {
        match &self.keyed {
            Some(keyed) => {
                // A rotation writes beside the stack: a backup must not see half of it.
                let _inside = self.backend.write_gate().enter().await;
                keyed.rotate(new).await
            }
            None => Err(Error::Backend(
                "this store has no master key to rotate: it was not opened with Mpstore::open"
                    .into(),
            )),
        }
    }

    /// Rotates the master key file of a store opened with [`open_default`](Self::open_default)
    /// to a fresh random key.
    ///
    /// The new key is written to `dir/master.key.new` (a new file with mode `0600`, synced, then
    /// linked into place: [`KeyFileProvider`]); the store is switched to it
    /// ([`rotate_key`](Self::rotate_key)); then the file is renamed over `dir/master.key` and
    /// the directory synced. A crash at any step leaves files that
    /// [`open_default`](Self::open_default) finishes by its rule: before the switch `master.key`
    /// still opens the store; after it `master.key.new` does and is renamed into place. If the
    /// rotation fails (or its future is dropped) once it has begun writing the new file, the
    /// files are left for that rule too, and this store refuses further key-file rotations until it is
    /// reopened. One rotation runs at a time: a second, concurrent one is refused.
    ///
    /// ```
    /// use storage_api::{Mpstore, KEY_FILE};
    /// use storage_core::{block_on, Scope};
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Mpstore::open_default(dir.path()).unwrap();
    /// store.mini_program("u", "app", Scope::App).unwrap().tt().set_storage_sync("k", 1).unwrap();
    /// let before = std::fs::read(dir.path().join(KEY_FILE)).unwrap();
    /// block_on(store.rotate_key_file()).unwrap();
    /// assert_ne!(std::fs::read(dir.path().join(KEY_FILE)).unwrap(), before);
    /// drop(store);
    /// let again = Mpstore::open_default(dir.path()).unwrap();
    /// assert_eq!(again.mini_program("u", "app", Scope::App).unwrap().tt().get_storage_sync("k").unwrap(), 1.into());
    /// ```
    pub async fn rotate_key_file(&self) -> Result<()> {
        let Some(dir) = &self.key_dir else {
            return Err(Error::Backend(
                "this store has no key file to rotate: it was not opened with Mpstore::open_default"
                    .into(),
            ));
        };
        {
            let mut state = self.rotation.lock().unwrap_or_else(|e| e.into_inner());
            match *state {
                Rotation::Idle => *state = Rotation::Running,
                Rotation::Running => {
                    return Err(Error::Backend(
                        "a rotation of this store's key file is already running".into(),
                    ))
                }
                Rotation::Unsettled => {
                    return Err(Error::Backend(
                        "an earlier rotation of this store's key file did not finish: \
                         reopen the store (Mpstore::open_default) to settle it"
                            .into(),
                    ))
                }
            }
        }
        let mut guard = RotationGuard {
            state: &self.rotation,
            done: false,
        };
        let new_key = dir.join(NEW_KEY_FILE);
        // The store opened with `master.key` and no rotation of it stopped half-way, so any
        // `master.key.new` is a leftover that never became the store's key.
        if let Err(e) = remove_if_present(&new_key) {
            // Nothing was written: the store's key files are as they were.
            guard.done = true;
            return Err(e);
        }
        // The provider creates the file on first use: random key, mode 0600, synced, linked.
        let new = KeyFileProvider::new(&new_key);
        new.master_key()?;
        self.rotate_key(&new).await?;
        install_new_key(dir)?;
        guard.done = true;
        Ok(())
    }

    /// How many entries the encryption layer's caches hold now (never more than
    /// [`StoreOptions::crypto_caches`]); `None` for a store without that layer
    /// ([`with_backend`](Self::with_backend)). For hosts that watch their memory.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_crypto::RawKeyProvider;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Mpstore::open(dir.path(), &RawKeyProvider::new([7; 32])).unwrap();
    /// assert!(store.crypto_cache_entries().is_some());
    /// ```
    pub fn crypto_cache_entries(&self) -> Option<CacheSizes> {
        self.keyed.as_ref().map(|keyed| keyed.cached())
    }

    /// Makes what this store's sled layer acknowledged durable.
    pub(crate) fn flush_files(&self) -> Result<()> {
        match &self.keyed {
            Some(keyed) => keyed.inner().flush(),
            None => Ok(()),
        }
    }
}

/// The last step of a rotation: `master.key.new` becomes `master.key`, durably.
fn install_new_key(dir: &Path) -> Result<()> {
    std::fs::rename(dir.join(NEW_KEY_FILE), dir.join(KEY_FILE))
        .map_err(|e| Error::Backend(format!("cannot install the new master key: {e}")))?;
    sync_dir(dir)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Backend(format!(
            "cannot remove {}: {e}",
            path.display()
        ))),
    }
}

/// A rename is durable only once its directory is.
#[cfg(unix)]
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::Backend(format!("cannot sync {}: {e}", dir.display())))
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}
