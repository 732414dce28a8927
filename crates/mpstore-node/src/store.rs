//! [`Store`]: one open store, as JavaScript sees it: opened (or refused with a code), handing out
//! [`Caller`]s, answering host operations, flushed and closed.

use crate::caller::{render, Caller, Target};
use crate::convert::{json_to_js, pending, Reader, Unreadable};
use napi::bindgen_prelude::*;
use napi::{Env, JsUnknown};
use napi_derive::napi;
use std::path::Path;
use std::sync::{Arc, Mutex};
use storage_api::cloud::Cloud;
use storage_api::dispatch::{cloud, host, Args};
use storage_api::{LocalLimits, Mpstore, StoreOptions};
use storage_core::{Dialect, Error, Scope};
use storage_sled::{Durability, SledOptions};

/// What every handle of one store shares.
pub(crate) struct Shared {
    /// `None` once closed: dropping it lets the files and their lock go.
    store: Mutex<Option<Mpstore>>,
    cloud: Cloud,
    /// Flush after each acknowledged write.
    pub(crate) durable: bool,
    /// The storage inspector serving this store, while one runs (`host.inspect()`).
    inspector: Mutex<Option<storage_inspect::Inspector>>,
}

impl Shared {
    pub(crate) fn store(&self) -> std::result::Result<Mpstore, Error> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.clone().ok_or(Error::Closed)
    }

    pub(crate) fn flush(&self) -> std::result::Result<(), Error> {
        self.store()?.flush()
    }
}

/// An Error with a stable `code`, thrown now.
pub(crate) fn coded(env: &Env, code: &str, message: &str) -> napi::Error {
    let thrown = (|| {
        let mut err = env.create_error(napi::Error::from_reason(message))?;
        err.set_named_property("code", env.create_string(code)?)?;
        env.throw(err)
    })();
    match thrown {
        Ok(()) => pending(),
        Err(e) => e,
    }
}

/// The `code` of an error that stopped a store from opening.
fn open_code(err: &Error) -> &'static str {
    match err {
        Error::WrongMasterKey(_) => "MPSTORE_WRONG_KEY",
        Error::Corrupt(_) => "MPSTORE_CORRUPT",
        Error::Backend(m) if m.contains("open in another process") => "MPSTORE_LOCKED",
        Error::Backend(m) if m.contains("already open in this process") => "MPSTORE_LOCKED",
        _ => "MPSTORE_OPEN_FAILED",
    }
}

/// Why `dir` cannot hold a store, before sled is asked: a path that is not a directory, a
/// parent that does not exist, a directory this process may not read.
fn check_dir(dir: &Path) -> std::result::Result<(), (&'static str, String)> {
    let shown = dir.display();
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err((
            "MPSTORE_NOT_A_DIRECTORY",
            format!("the data directory {shown} is not a directory"),
        )),
        Ok(_) => std::fs::read_dir(dir).map(drop).map_err(|e| {
            (
                "MPSTORE_UNREADABLE",
                format!("the data directory {shown} cannot be read: {e}"),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match dir.parent() {
            Some(p) if p.as_os_str().is_empty() || p.is_dir() => Ok(()),
            _ => Err((
                "MPSTORE_NO_DIRECTORY",
                format!("the parent of the data directory {shown} does not exist"),
            )),
        },
        Err(e) => Err((
            "MPSTORE_UNREADABLE",
            format!("the data directory {shown} cannot be read: {e}"),
        )),
    }
}

/// One open store.
#[napi]
pub struct Store {
    shared: Arc<Shared>,
}

#[napi]
impl Store {
    /// Opens the store in `data_dir` (created if missing, its parent must exist), or a store in
    /// memory when `data_dir` is null. Throws an Error with a `code` when it cannot.
    #[napi(factory)]
    pub fn open(env: Env, data_dir: Option<String>, durable: bool) -> Result<Store> {
        let opened = match &data_dir {
            None => Ok(Mpstore::in_memory()),
            Some(dir) => {
                let dir = Path::new(dir);
                if let Err((code, message)) = check_dir(dir) {
                    return Err(coded(&env, code, &message));
                }
                // Buffered underneath: a durable store flushes after each acknowledged write,
                // off the event loop for the async forms.
                let sled = SledOptions::default().durability(Durability::Buffered);
                Mpstore::open_default_with(dir, StoreOptions::from(sled))
            }
        };
        let store = opened.map_err(|e| {
            let shown = data_dir.as_deref().unwrap_or(":memory:");
            coded(
                &env,
                open_code(&e),
                &format!("cannot open the store {shown}: {e}"),
            )
        })?;
        Ok(Store {
            shared: Arc::new(Shared {
                cloud: store.cloud(),
                store: Mutex::new(Some(store)),
                durable: durable && data_dir.is_some(),
                inspector: Mutex::new(None),
            }),
        })
    }

    /// The local storage of (user, app, scope) in `dialect`: scope is `app`, `webview`, or a
    /// plugin id with `plugin` set; `entry_limit` and `total_limit`, when given, replace the
    /// dialect's limits (in its unit); `exact_values` keeps values exactly, in place of the
    /// platform's JSON round trip.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn local(
        &self,
        env: Env,
        dialect: String,
        user: String,
        app: String,
        scope: String,
        plugin: Option<String>,
        entry_limit: Option<f64>,
        total_limit: Option<f64>,
        exact_values: bool,
    ) -> Result<Caller> {
        let dialect = parse_dialect(&env, &dialect)?;
        let scope = match (scope.as_str(), plugin) {
            ("app", None) => Scope::App,
            ("webview", None) => Scope::WebView,
            ("plugin", Some(id)) => Scope::Plugin(id),
            _ => {
                return Err(coded(
                    &env,
                    "MPSTORE_BAD_SCOPE",
                    "scope must be 'app', 'webview' or {plugin: '<id>'}",
                ))
            }
        };
        let store = self
            .shared
            .store()
            .map_err(|e| coded(&env, "MPSTORE_CLOSED", &e.to_string()))?;
        let mut limits = LocalLimits::new();
        for (given, set) in [
            (
                entry_limit,
                LocalLimits::entry as fn(LocalLimits, u64) -> LocalLimits,
            ),
            (total_limit, LocalLimits::total),
        ] {
            match given {
                None => {}
                Some(n) if n.is_finite() && n >= 0.0 && n.fract() == 0.0 => {
                    limits = set(limits, n as u64)
                }
                Some(n) => {
                    return Err(coded(
                        &env,
                        "MPSTORE_BAD_LIMIT",
                        &format!("a limit must be a whole number of units, not {n}"),
                    ))
                }
            }
        }
        let mut mp = store
            .mini_program(user, app, scope)
            .map_err(|e| coded(&env, "MPSTORE_BAD_ID", &e.to_string()))?
            .with_limits(limits);
        if exact_values {
            mp = mp.with_exact_values();
        }
        Ok(Caller::new(&self.shared, dialect, Target::Local(mp)))
    }

    /// A game's caller in `dialect`: `openid` null when nobody is logged in.
    #[napi]
    pub fn game(
        &self,
        env: Env,
        dialect: String,
        game: String,
        openid: Option<String>,
        open_data: bool,
        is_game: bool,
    ) -> Result<Caller> {
        let dialect = parse_dialect(&env, &dialect)?;
        storage_core::Namespace::game_host(game.as_str(), "node")
            .map_err(|e| coded(&env, "MPSTORE_BAD_ID", &e.to_string()))?;
        let ctx = cloud::game_context(game, openid, open_data, is_game);
        Ok(Caller::new(
            &self.shared,
            dialect,
            Target::Game(self.shared.cloud.mini_game(ctx)),
        ))
    }

    /// A host operation (`namespaces`, `removeApp`, …; `docs/bridge.md`), answered synchronously.
    #[napi]
    pub fn host(&self, env: Env, method: String, args: Vec<JsUnknown>) -> Result<JsUnknown> {
        let mut reader = Reader::new(&env);
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            match reader.read(a) {
                Ok(v) => values.push(v),
                Err(Unreadable::Thrown(e)) => return Err(e),
                Err(Unreadable::LoneSurrogate) => {
                    return Err(coded(
                        &env,
                        "MPSTORE_BAD_REQUEST",
                        "an argument holds a lone surrogate",
                    ))
                }
            }
        }
        let store = self
            .shared
            .store()
            .map_err(|e| coded(&env, "MPSTORE_CLOSED", &e.to_string()))?;
        let outcome =
            host::call(&store, &self.shared.cloud, &method, Args(values)).map_err(|r| {
                coded(
                    &env,
                    &format!("MPSTORE_{}", r.kind.to_uppercase()),
                    &r.message,
                )
            })?;
        if self.shared.durable && !matches!(method.as_str(), "namespaces" | "dump") {
            self.shared
                .flush()
                .map_err(|e| coded(&env, "MPSTORE_HOST_ERROR", &e.to_string()))?;
        }
        render(&env, outcome.payload())
    }

    /// Serves the storage inspector for this store on 127.0.0.1:`port` (0: any free port), on a
    /// thread of its own, sizes and edits in `dialect`; answers `{url, token, port}`. While one
    /// runs, calling again answers the running one.
    #[napi]
    pub fn inspect(&self, env: Env, port: u32, dialect: String) -> Result<JsUnknown> {
        let dialect = parse_dialect(&env, &dialect)?;
        let port = u16::try_from(port).map_err(|_| {
            coded(
                &env,
                "MPSTORE_BAD_PORT",
                &format!("a port is 0 to 65535, not {port}"),
            )
        })?;
        let store = self
            .shared
            .store()
            .map_err(|e| coded(&env, "MPSTORE_CLOSED", &e.to_string()))?;
        let mut running = self
            .shared
            .inspector
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if running.is_none() {
            let options = storage_inspect::Options { port, dialect };
            let started = storage_inspect::Inspector::start(store, options).map_err(|e| {
                coded(
                    &env,
                    "MPSTORE_INSPECT_FAILED",
                    &format!("cannot serve the inspector on 127.0.0.1:{port}: {e}"),
                )
            })?;
            *running = Some(started);
        }
        let Some(inspector) = running.as_ref() else {
            return Err(coded(&env, "MPSTORE_INSPECT_FAILED", "no inspector"));
        };
        json_to_js(
            &env,
            &serde_json::json!({
                "url": inspector.url(),
                "token": inspector.token(),
                "port": inspector.port(),
            }),
        )
    }

    /// Stops the inspector if one runs (waiting for its thread); `true` if one did.
    #[napi]
    pub fn stop_inspect(&self) -> bool {
        let running = self
            .shared
            .inspector
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        running.map(storage_inspect::Inspector::stop).is_some()
    }

    /// Makes every acknowledged write durable (blocks the calling thread).
    #[napi]
    pub fn flush(&self, env: Env) -> Result<()> {
        match self.shared.flush() {
            Ok(()) | Err(Error::Closed) => Ok(()),
            Err(e) => Err(coded(&env, "MPSTORE_FLUSH_FAILED", &e.to_string())),
        }
    }

    /// Flushes and closes the store: every later call of every handle fails with the dialect's
    /// "store closed" failure. Closing again does nothing.
    #[napi]
    pub fn close(&self, env: Env) -> Result<()> {
        // First, so that the inspector's clone of the store goes too.
        self.stop_inspect();
        let store = self
            .shared
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match store.map(|s| s.close()) {
            None | Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(coded(&env, "MPSTORE_FLUSH_FAILED", &e.to_string())),
        }
    }
}

/// Every dialect: `{name, object, apis}` (as the host operation `dialects` answers).
#[napi]
pub fn dialects(env: Env) -> Result<JsUnknown> {
    json_to_js(&env, &storage_api::dispatch::host::dialects())
}

fn parse_dialect(env: &Env, name: &str) -> Result<Dialect> {
    name.parse()
        .map_err(|e: Error| coded(env, "MPSTORE_BAD_PLATFORM", &e.to_string()))
}
