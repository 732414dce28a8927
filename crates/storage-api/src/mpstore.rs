//! [`Mpstore`]: the entry point: one store, shared by every mini-program of a host.

use crate::local::Local;
use crate::mini_program::MiniProgram;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use storage_core::{
    block_on, Backend, Error, MemoryBackend, Namespace, NamespaceUsage, Result, Scope, Store,
};
use storage_crypto::{EncryptedBackend, KeyFileProvider, KeyProvider};
use storage_sled::{SledBackend, SledOptions};

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

/// One store of mini-program data, shared by every user, app and scope of a host.
///
/// Cheap to clone (it holds an `Arc<dyn Backend>`); clones share the store. Open one per process
/// and hand out [`MiniProgram`] contexts from it.
///
/// ```
/// use storage_api::Mpstore;
/// use storage_core::Scope;
/// let store = Mpstore::in_memory();
/// let wx = store.mini_program("wx-user", "wx-app", Scope::App).unwrap().wx();
/// wx.set_storage_sync("key", "value").unwrap();
/// ```
#[derive(Clone)]
pub struct Mpstore {
    backend: Arc<dyn Backend>,
}

impl std::fmt::Debug for Mpstore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpstore").finish_non_exhaustive()
    }
}

impl Mpstore {
    /// Opens (or creates) the default store in `dir`: an encrypted ([`EncryptedBackend`]),
    /// durable sled database ([`SledBackend`], in `dir/data`) whose master key comes from
    /// `provider`.
    ///
    /// Every write is durable when its call succeeds (see [`storage_sled::Durability`]); use
    /// [`open_with`](Self::open_with) for the faster buffered mode. A wrong master key fails here
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
        Mpstore::open_with(dir, provider, SledOptions::default())
    }

    /// Like [`open`](Self::open), with sled's options (durability mode, cache budget).
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_crypto::RawKeyProvider;
    /// use storage_sled::{Durability, SledOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// // Faster, but a crash may lose the last moments of writes.
    /// let options = SledOptions { durability: Durability::Buffered, ..SledOptions::default() };
    /// let store = Mpstore::open_with(dir.path(), &RawKeyProvider::new([7; 32]), options).unwrap();
    /// ```
    pub fn open_with(
        dir: impl AsRef<Path>,
        provider: &dyn KeyProvider,
        options: SledOptions,
    ) -> Result<Mpstore> {
        let sled = SledBackend::open_with(dir.as_ref().join(DATA_DIR), options)?;
        let encrypted = block_on(EncryptedBackend::open(sled, provider))?;
        Ok(Mpstore::with_backend(encrypted))
    }

    /// Opens (or creates) the default store in `dir` in one line, its master key kept in
    /// `dir/master.key` ([`KeyFileProvider`]: created with a random key and mode `0600` on first
    /// use). Creates `dir` if it does not exist.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// let dir = tempfile::tempdir().unwrap();
    /// let store = Mpstore::open_default(dir.path().join("mpstore")).unwrap();
    /// assert!(dir.path().join("mpstore").join("master.key").exists());
    /// ```
    pub fn open_default(dir: impl AsRef<Path>) -> Result<Mpstore> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::Backend(format!(
                "cannot create the store directory {}: {e}",
                dir.display()
            ))
        })?;
        Mpstore::open(dir, &KeyFileProvider::new(key_file(dir)))
    }

    /// A store in memory, for tests and examples: nothing survives the process.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// let store = Mpstore::in_memory();
    /// ```
    pub fn in_memory() -> Mpstore {
        Mpstore::with_backend(MemoryBackend::new())
    }

    /// A store over any backend (a decorated one, a remote one, a fault-injecting one).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::MemoryBackend;
    /// let store = Mpstore::with_backend(MemoryBackend::new());
    /// ```
    pub fn with_backend(backend: impl Backend + 'static) -> Mpstore {
        Mpstore::from_arc(Arc::new(backend))
    }

    /// A store over a shared backend.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use storage_api::Mpstore;
    /// # use storage_core::{Backend, MemoryBackend};
    /// let backend: Arc<dyn Backend> = Arc::new(MemoryBackend::new());
    /// let store = Mpstore::from_arc(backend.clone());
    /// assert!(Arc::ptr_eq(store.backend(), &backend));
    /// ```
    pub fn from_arc(backend: Arc<dyn Backend>) -> Mpstore {
        Mpstore { backend }
    }

    /// The backend underneath, for other facades (game cloud data) that share this store.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// let store = Mpstore::in_memory();
    /// let backend = store.backend().clone();
    /// ```
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    fn store(&self) -> Store<Arc<dyn Backend>> {
        Store::new(self.backend.clone())
    }

    /// The local storage of `app` for `user` in `scope`: hands out `.wx()`, `.my()`, `.tt()`.
    ///
    /// Fails (never panics) when an id is empty or longer than
    /// [`storage_core::namespace::MAX_ID_BYTES`].
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let store = Mpstore::in_memory();
    /// let plugin = store.mini_program("u", "app", Scope::Plugin("plugin-id".into())).unwrap();
    /// assert!(store.mini_program("", "app", Scope::App).is_err());
    /// ```
    pub fn mini_program(
        &self,
        user: impl Into<String>,
        app: impl Into<String>,
        scope: Scope,
    ) -> Result<MiniProgram> {
        let ns = Namespace::local(user, app, scope)?;
        Ok(MiniProgram::new(Local {
            store: self.store(),
            ns: Arc::new(ns),
        }))
    }

    /// Host-level: removes one app's local data for one user, every scope of it (the user
    /// deleted the mini-program). Returns how many namespaces were removed.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let store = Mpstore::in_memory();
    /// let app = store.mini_program("u", "app", Scope::App).unwrap();
    /// app.wx().set_storage_sync("k", 1).unwrap();
    /// app.web_view().wx().set_storage_sync("k", 1).unwrap();
    /// assert_eq!(block_on(store.remove_app("u", "app")).unwrap(), 2);
    /// assert_eq!(app.wx().get_storage_sync("k").unwrap(), "".into());
    /// ```
    pub async fn remove_app(&self, user: &str, app: &str) -> Result<usize> {
        self.store().remove_app(user, app).await
    }

    /// Host-level: removes all local data of one user, every app and scope (logout or
    /// uninstall). Returns how many namespaces were removed.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let store = Mpstore::in_memory();
    /// store.mini_program("u", "a1", Scope::App).unwrap().tt().set_storage_sync("k", 1).unwrap();
    /// store.mini_program("u", "a2", Scope::App).unwrap().tt().set_storage_sync("k", 1).unwrap();
    /// assert_eq!(block_on(store.remove_user("u")).unwrap(), 2);
    /// ```
    pub async fn remove_user(&self, user: &str) -> Result<usize> {
        self.store().remove_user(user).await
    }

    /// Host-level: every namespace holding data, with its usage (bytes charged, entries), in no
    /// particular order.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{block_on, Scope};
    /// let store = Mpstore::in_memory();
    /// store.mini_program("u", "app", Scope::App).unwrap().my().set_storage_sync("k", "v");
    /// let listed = block_on(store.namespaces()).unwrap();
    /// assert_eq!((listed.len(), listed[0].usage.bytes, listed[0].usage.entries), (1, 2, 1));
    /// ```
    pub async fn namespaces(&self) -> Result<Vec<NamespaceUsage>> {
        self.store().namespaces().await
    }
}

fn key_file(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE)
}
