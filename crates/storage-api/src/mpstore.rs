//! [`Mpstore`]: the entry point: one store, shared by every mini-program of a host.

use crate::local::Local;
use crate::mini_program::MiniProgram;
use std::sync::Arc;
use storage_core::{Backend, MemoryBackend, Namespace, NamespaceUsage, Result, Scope, Store};

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
