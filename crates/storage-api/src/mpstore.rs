//! [`Mpstore`]: the entry point: one store, shared by every mini-program of a host.

use crate::local::Local;
use crate::mini_program::MiniProgram;
use std::sync::Arc;
use storage_core::{
    Backend, Closable, Error, MemoryBackend, Namespace, NamespaceUsage, Result, Scope, Store,
};

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
    /// The stack, behind the switch [`Mpstore::close`] turns off for every handle.
    pub(crate) backend: Arc<Closable>,
    /// The encryption layer, for stores opened with [`Mpstore::open`] / [`Mpstore::open_with`].
    #[cfg(feature = "sled")]
    pub(crate) keyed: Option<Arc<crate::default_stack::Keyed>>,
    /// The directory holding the key files, for stores opened with [`Mpstore::open_default`].
    #[cfg(feature = "sled")]
    pub(crate) key_dir: Option<std::path::PathBuf>,
    /// Where this store's key-file rotation stands (shared by clones).
    #[cfg(feature = "sled")]
    pub(crate) rotation: Arc<std::sync::Mutex<crate::default_stack::Rotation>>,
    /// The time game data runs on, shared by every [`Cloud`](crate::cloud::Cloud) of this store.
    pub(crate) clock: cloud_kv::Clock,
    /// The players' `wx.onInteractiveStorageModified` listeners, shared like the clock.
    pub(crate) listeners: Arc<crate::cloud::InteractiveListeners>,
}

impl std::fmt::Debug for Mpstore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mpstore").finish_non_exhaustive()
    }
}

impl Mpstore {
    /// A store in memory, for tests and examples: nothing survives the process.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// let store = Mpstore::in_memory();
    /// ```
    pub fn in_memory() -> Mpstore {
        Mpstore::with_backend(MemoryBackend::new())
    }

    /// A store over any backend (a decorated one, a remote one, a fault-injecting one), used as
    /// it is: no read cache is added (a remote backend other processes write must not have one;
    /// wrap a backend this store alone writes in [`storage_core::ReadCache`] yourself if you want
    /// one).
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
    /// ```
    pub fn from_arc(backend: Arc<dyn Backend>) -> Mpstore {
        Mpstore {
            backend: Arc::new(Closable::new(backend)),
            #[cfg(feature = "sled")]
            keyed: None,
            #[cfg(feature = "sled")]
            key_dir: None,
            #[cfg(feature = "sled")]
            rotation: Arc::default(),
            clock: cloud_kv::Clock::system(),
            listeners: Arc::default(),
        }
    }

    /// The clock game data runs on (ImRank periods, daily limits): the system's until the host
    /// sets it; shared by clones and by every [`Cloud`](crate::cloud::Cloud) of this store.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// let store = Mpstore::in_memory();
    /// store.clock().set(1_700_000_000_000);
    /// assert_eq!(store.clone().clock().now_ms(), 1_700_000_000_000);
    /// ```
    pub fn clock(&self) -> &cloud_kv::Clock {
        &self.clock
    }

    /// The backend underneath, for other facades (game cloud data) that share this store.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// let store = Mpstore::in_memory();
    /// let backend = store.backend().clone();
    /// ```
    ///
    /// It is the store's own handle on its stack, so [`close`](Self::close) closes it too.
    pub fn backend(&self) -> Arc<dyn Backend> {
        self.backend.clone()
    }

    /// How many writes have succeeded through this store (every handle and clone, any facade,
    /// host operations): a version that changes when the data may have, which a host watching
    /// the store (the storage inspector) polls. See [`storage_core::Closable::changes`].
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::Scope;
    /// let store = Mpstore::in_memory();
    /// let before = store.changes();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// assert!(store.changes() > before);
    /// ```
    pub fn changes(&self) -> u64 {
        self.backend.changes()
    }

    /// Makes every write acknowledged so far durable, for a store opened in the buffered mode
    /// ([`storage_sled::Durability::Buffered`]); in the durable mode they already are, and a store
    /// without a durable layer ([`in_memory`](Self::in_memory), [`with_backend`](Self::with_backend))
    /// has nothing to do. Shares its flush with concurrent writers. Blocks the calling thread
    /// until the bytes are on disk: call it from synchronous code, or from a blocking task.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::Scope;
    /// use storage_sled::{Durability, SledOptions};
    /// let dir = tempfile::tempdir().unwrap();
    /// let options = SledOptions::default().durability(Durability::Buffered);
    /// let store = Mpstore::open_default_with(dir.path(), options).unwrap();
    /// store.mini_program("u", "app", Scope::App).unwrap().wx().set_storage_sync("k", 1).unwrap();
    /// store.flush().unwrap(); // now on disk
    /// ```
    pub fn flush(&self) -> Result<()> {
        if self.backend.is_closed() {
            return Err(Error::Closed);
        }
        self.flush_files()
    }

    /// Closes the store for every handle made from it: writes acknowledged so far are made
    /// durable, and every later call of any [`MiniProgram`], facade or clone fails with
    /// [`Error::Closed`] (in each dialect's shape) and changes nothing. The files and their lock
    /// are released once this value and its clones are dropped and calls in flight have
    /// finished. Closing again does nothing.
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::{Error, Scope};
    /// let store = Mpstore::in_memory();
    /// let wx = store.mini_program("u", "app", Scope::App).unwrap().wx();
    /// store.close().unwrap();
    /// let err = wx.get_storage_sync("k").unwrap_err();
    /// assert_eq!((err.err_msg.as_str(), err.cause()), ("getStorageSync:fail store closed", &Error::Closed));
    /// ```
    pub fn close(&self) -> Result<()> {
        if self.backend.close().is_none() {
            return Ok(());
        }
        self.flush_files()
    }

    /// Without the default stack there are no files of this crate's to flush.
    #[cfg(not(feature = "sled"))]
    fn flush_files(&self) -> Result<()> {
        Ok(())
    }

    fn store(&self) -> Store<Arc<dyn Backend>> {
        Store::new(self.backend())
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
            ns: Arc::new(ns.into()),
            limits: Default::default(),
            exact_values: false,
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
