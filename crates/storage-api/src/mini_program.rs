//! [`MiniProgram`]: one (user, app, scope) namespace, handing out the `wx`, `my` and `tt` facades.

use crate::local::Local;
use crate::my::My;
use crate::tt::Tt;
use crate::wx::Wx;
use std::sync::Arc;
use storage_core::{EncodedNamespace, Namespace, Result, Scope};

/// A mini-program's local storage for one user, in one scope: the app itself, a web-view inside
/// it, or a plugin inside it (behaviour §2).
///
/// Each scope is a namespace of its own: nothing written in one is visible, countable or
/// removable from another, and each has its own 10 MB quota. The three facades of one
/// `MiniProgram` share its namespace (a host normally uses the one of its platform); each applies
/// its own dialect's limits and result shapes.
///
/// ```
/// use storage_api::Mpstore;
/// use storage_core::Scope;
/// let store = Mpstore::in_memory();
/// let app = store.mini_program("user", "app", Scope::App).unwrap();
/// let plugin = app.plugin("wx-plugin-id").unwrap();
/// app.wx().set_storage_sync("k", "host").unwrap();
/// assert_eq!(plugin.wx().get_storage_sync("k").unwrap(), "".into());
/// assert_eq!(app.web_view().wx().get_storage_sync("k").unwrap(), "".into());
/// ```
#[derive(Clone)]
pub struct MiniProgram {
    local: Local,
}

impl std::fmt::Debug for MiniProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MiniProgram")
            .field("namespace", &*self.local.ns)
            .finish()
    }
}

impl MiniProgram {
    pub(crate) fn new(local: Local) -> Self {
        MiniProgram { local }
    }

    /// The engine under the facades, for the dialects served from their specification.
    pub(crate) fn local(&self) -> &Local {
        &self.local
    }

    /// This namespace with `limits` in place of each dialect's own (a host testing how a
    /// mini-program handles its quota); see [`LocalLimits`](crate::LocalLimits).
    pub fn with_limits(mut self, limits: crate::LocalLimits) -> MiniProgram {
        self.local.limits = limits;
        self
    }

    /// This namespace keeping every value exactly as given, in place of each platform's own
    /// rule ([`Values`](storage_core::Values): most put values through `JSON.stringify`, so a
    /// nested Date reads back as its ISO string).
    ///
    /// ```
    /// use storage_api::Mpstore;
    /// use storage_core::{JsDate, JsValue, Scope};
    /// let app = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap();
    /// let dated = JsValue::Array(vec![JsValue::Date(JsDate::from_millis(0.0))]);
    /// app.wx().set_storage_sync("k", dated.clone()).unwrap();
    /// assert_eq!(app.wx().get_storage_sync("k").unwrap().to_json_string().unwrap(), r#"["1970-01-01T00:00:00.000Z"]"#);
    /// let exact = app.with_exact_values();
    /// exact.wx().set_storage_sync("k", dated.clone()).unwrap();
    /// assert_eq!(exact.wx().get_storage_sync("k").unwrap(), dated);
    /// ```
    pub fn with_exact_values(mut self) -> MiniProgram {
        self.local.exact_values = true;
        self
    }

    /// The namespace this context reads and writes.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::{Namespace, Scope};
    /// let mp = Mpstore::in_memory().mini_program("u", "app", Scope::WebView).unwrap();
    /// assert_eq!(mp.namespace(), &Namespace::local("u", "app", Scope::WebView).unwrap());
    /// ```
    pub fn namespace(&self) -> &Namespace {
        &self.local.ns
    }

    /// The WeChat facade, `wx.*`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
    /// wx.set_storage_sync("k", "v").unwrap();
    /// ```
    pub fn wx(&self) -> Wx {
        Wx::new(self.local.clone())
    }

    /// The Alipay facade, `my.*`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(my.set_storage_sync("k", "v").is_success());
    /// ```
    pub fn my(&self) -> My {
        My::new(self.local.clone())
    }

    /// The Douyin facade, `tt.*`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let tt = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().tt();
    /// tt.set_storage_sync("k", "v").unwrap();
    /// ```
    pub fn tt(&self) -> Tt {
        Tt::new(self.local.clone())
    }

    /// The same user and app in another scope.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let app = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap();
    /// assert!(app.scope(Scope::Plugin(String::new())).is_err());
    /// ```
    pub fn scope(&self, scope: Scope) -> Result<MiniProgram> {
        let ns = Namespace::local(self.local.ns.user(), self.local.ns.app(), scope)?;
        Ok(MiniProgram::new(Local {
            ns: Arc::new(ns.into()),
            ..self.local.clone()
        }))
    }

    /// A plugin (by plugin id) inside this mini-program: isolated from its host and from other
    /// plugins. Fails on an empty plugin id.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let app = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap();
    /// app.plugin("a").unwrap().tt().set_storage_sync("k", 1).unwrap();
    /// assert_eq!(app.plugin("b").unwrap().tt().get_storage_sync("k").unwrap(), "".into());
    /// ```
    pub fn plugin(&self, plugin_id: impl Into<String>) -> Result<MiniProgram> {
        self.scope(Scope::Plugin(plugin_id.into()))
    }

    /// The web-view inside this mini-program: isolated from its host (clearing one does not
    /// clear the other).
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let app = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap();
    /// app.my().set_storage_sync("k", 1);
    /// assert!(app.web_view().my().clear_storage_sync().is_success());
    /// assert_eq!(app.my().get_storage_sync("k").into_result().unwrap().data, 1.into());
    /// ```
    pub fn web_view(&self) -> MiniProgram {
        MiniProgram::new(Local {
            ns: Arc::new(EncodedNamespace::from(Namespace::Local {
                user: self.local.ns.user().to_owned(),
                app: self.local.ns.app().to_owned(),
                scope: Scope::WebView,
            })),
            ..self.local.clone()
        })
    }
}
