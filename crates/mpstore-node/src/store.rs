//! The classes JavaScript sees: [`Store`] (one open store) and [`Caller`] (one namespace of it,
//! local storage or a game's caller, in one dialect).

use crate::convert::{json_to_js, pending, set, to_js, Reader, Unreadable};
use napi::bindgen_prelude::*;
use napi::{Env, JsObject, JsUnknown, Task};
use napi_derive::napi;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use storage_api::cloud::{Cloud, MiniGame};
use storage_api::dispatch::{cloud, host, local, Api, Args, Ending, Family, Outcome, Payload};
use storage_api::{LocalLimits, MiniProgram, Mpstore, StoreOptions};
use storage_core::{Dialect, Error, Scope};
use storage_sled::{Durability, SledOptions};

/// What every handle of one store shares.
struct Shared {
    /// `None` once closed: dropping it lets the files and their lock go.
    store: Mutex<Option<Mpstore>>,
    cloud: Cloud,
    /// Flush after each acknowledged write.
    durable: bool,
}

impl Shared {
    fn store(&self) -> std::result::Result<Mpstore, Error> {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.clone().ok_or(Error::Closed)
    }

    fn flush(&self) -> std::result::Result<(), Error> {
        self.store()?.flush()
    }
}

/// An Error with a stable `code`, thrown now.
fn coded(env: &Env, code: &str, message: &str) -> napi::Error {
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
                let sled = SledOptions {
                    durability: Durability::Buffered,
                    ..SledOptions::default()
                };
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
            }),
        })
    }

    /// The local storage of (user, app, scope) in `dialect`: scope is `app`, `webview`, or a
    /// plugin id with `plugin` set; `entry_limit` and `total_limit`, when given, replace the
    /// dialect's limits (in its unit).
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
        let mp = store
            .mini_program(user, app, scope)
            .map_err(|e| coded(&env, "MPSTORE_BAD_ID", &e.to_string()))?
            .with_limits(limits);
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

/// The APIs of `dialect`, in the order [`Caller`] numbers them: `{name, family, sync, since?,
/// inPlugins}` each, `family` being `local` or `cloud`, `since` the oldest base library that
/// offers it.
#[napi]
pub fn apis(env: Env, dialect: String) -> Result<JsObject> {
    let dialect = parse_dialect(&env, &dialect)?;
    let mut list = env.create_array_with_length(0)?;
    for (i, a) in Api::all(dialect).enumerate() {
        let family = match a.family() {
            Family::Local => "local",
            Family::Cloud => "cloud",
        };
        let mut item = env.create_object()?;
        item.set_named_property("name", env.create_string(a.name())?)?;
        item.set_named_property("family", env.create_string(family)?)?;
        item.set_named_property("sync", env.get_boolean(a.is_sync())?)?;
        if let Some(since) = a.since() {
            item.set_named_property("since", env.create_string(since)?)?;
        }
        item.set_named_property("inPlugins", env.get_boolean(a.in_plugins())?)?;
        item.set_named_property("promise", env.get_boolean(a.has_promise())?)?;
        list.set_element(i as u32, item)?;
    }
    Ok(list)
}

fn parse_dialect(env: &Env, name: &str) -> Result<Dialect> {
    name.parse()
        .map_err(|e: Error| coded(env, "MPSTORE_BAD_PLATFORM", &e.to_string()))
}

enum Target {
    Local(MiniProgram),
    Game(MiniGame),
}

/// One namespace in one dialect: calls its APIs by number (the order of [`apis`]).
#[napi]
pub struct Caller {
    shared: Arc<Shared>,
    target: Target,
    apis: Vec<Api>,
    /// Set when the program this caller belongs to was closed (the store may live on for others).
    closed: AtomicBool,
}

impl Caller {
    fn new(shared: &Arc<Shared>, dialect: Dialect, target: Target) -> Self {
        Caller {
            shared: shared.clone(),
            target,
            apis: Api::all(dialect).collect(),
            closed: AtomicBool::new(false),
        }
    }

    fn api(&self, env: &Env, n: u32) -> Result<Api> {
        match self.apis.get(n as usize) {
            Some(api) => Ok(*api),
            None => Err(coded(
                env,
                "MPSTORE_UNKNOWN_API",
                &format!("no API number {n}"),
            )),
        }
    }

    /// Runs `api` with the first `argc` of `given`; `Err` only for a pending JS exception.
    fn run(&self, env: &Env, api: Api, argc: u32, given: [JsUnknown; 2]) -> Result<Outcome> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(failure(api, &Error::Closed));
        }
        let mut reader = Reader::new(env);
        let mut args = Vec::with_capacity(argc as usize);
        let mut surrogate = false;
        for value in given.into_iter().take(argc.min(2) as usize) {
            match reader.read(value) {
                Ok(v) => args.push(v),
                Err(Unreadable::LoneSurrogate) => surrogate = true,
                Err(Unreadable::Thrown(e)) => return Err(e),
            }
        }
        let args = if surrogate {
            Err(storage_api::dispatch::LoneSurrogate)
        } else {
            Ok(Args(args))
        };
        let done = match &self.target {
            Target::Local(mp) => local::call(mp, api, args),
            Target::Game(game) => cloud::call(game, api, args),
        };
        match done {
            Ok(outcome) => Ok(outcome),
            Err(refusal) => Err(coded(
                env,
                &format!("MPSTORE_{}", refusal.kind.to_uppercase()),
                &refusal.message,
            )),
        }
    }

    /// Whether `outcome` of `api` must reach the disk before it is reported.
    fn needs_flush(&self, api: Api, outcome: &Outcome) -> bool {
        self.shared.durable && api.writes() && !outcome.is_failure()
    }
}

/// How `api` reports `err` (a flush that failed after its write).
fn failure(api: Api, err: &Error) -> Outcome {
    match api.family() {
        Family::Local => local::failure(api, err),
        Family::Cloud => cloud::failure(api, err),
    }
}

#[napi]
impl Caller {
    /// Closes this caller: every later call fails with the dialect's "store closed" failure.
    #[napi]
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
    }

    /// A Sync form: returns its value, or throws the platform's error (an `Error` whose message
    /// is `errMsg`, carrying the payload's fields).
    #[napi]
    pub fn call(
        &self,
        env: Env,
        api: u32,
        argc: u32,
        a: JsUnknown,
        b: JsUnknown,
    ) -> Result<JsUnknown> {
        let api = self.api(&env, api)?;
        let mut outcome = self.run(&env, api, argc, [a, b])?;
        if self.needs_flush(api, &outcome) {
            if let Err(e) = self.shared.flush() {
                outcome = failure(api, &e);
            }
        }
        sync_answer(&env, &outcome)
    }

    /// What API `api` answers when it fails with `error` (a fault a test injects): for a Sync
    /// form, thrown or returned as [`call`](Self::call) does; for an async one, `{ok, res}` as
    /// [`call_async`](Self::call_async) answers. `error` names a failure: `quota`, `entry`,
    /// `internal`, `closed`, or a cloud rule (`tooManyPairs`, `notLoggedIn`, `keyTooLong`,
    /// `keyValueTooLong`, `invalidItem`, `notAGame`, `notOpenDataContext`) or its Douyin
    /// `errorCode`.
    #[napi]
    pub fn fault(&self, env: Env, api: u32, error: String) -> Result<JsUnknown> {
        let api = self.api(&env, api)?;
        let Some(err) = injected(&error) else {
            return Err(coded(
                &env,
                "MPSTORE_BAD_FAULT",
                &format!("unknown failure {error:?}"),
            ));
        };
        let outcome = failure(api, &err);
        if api.is_sync() {
            sync_answer(&env, &outcome)
        } else {
            Ok(async_answer(&env, &outcome)?.into_unknown())
        }
    }

    /// An async form: `{ok, res}` now, plus `wait`, a Promise of `undefined` (or of the failure
    /// payload, if the flush failed) when a durable write must reach the disk first.
    #[napi]
    pub fn call_async(&self, env: Env, api: u32, argc: u32, a: JsUnknown) -> Result<JsObject> {
        let api = self.api(&env, api)?;
        let b = env.get_undefined()?.into_unknown();
        let outcome = self.run(&env, api, argc, [a, b])?;
        let mut answer = async_answer(&env, &outcome)?;
        if self.needs_flush(api, &outcome) {
            let wait = env.spawn(Flush {
                shared: self.shared.clone(),
                api,
            })?;
            answer.set_named_property("wait", wait.promise_object())?;
        }
        Ok(answer)
    }
}

/// A Sync form's answer: its value, or the platform's error thrown.
fn sync_answer(env: &Env, outcome: &Outcome) -> Result<JsUnknown> {
    match outcome.ending() {
        Ending::Throw => {
            let payload = render(env, outcome.payload())?;
            let err = error_of(env, payload)?;
            env.throw(err)?;
            Err(pending())
        }
        Ending::ReturnError => {
            let payload = render(env, outcome.payload())?;
            Ok(error_of(env, payload)?.into_unknown())
        }
        _ => render(env, outcome.payload()),
    }
}

/// An async form's answer: `{ok, res}`.
fn async_answer(env: &Env, outcome: &Outcome) -> Result<JsObject> {
    let mut answer = env.create_object()?;
    answer.set_named_property("ok", env.get_boolean(outcome.ending() == Ending::Success)?)?;
    answer.set_named_property("res", render(env, outcome.payload())?)?;
    Ok(answer)
}

/// The failure a fault names (see [`Caller::fault`]).
fn injected(name: &str) -> Option<Error> {
    use storage_core::CloudRule::*;
    Some(match name {
        "quota" => Error::QuotaExceeded { after: 0, limit: 0 },
        "entry" => Error::EntryTooLarge { size: 0, limit: 0 },
        "internal" => Error::Backend("a failure injected by the test".into()),
        "closed" => Error::Closed,
        "tooManyPairs" => TooManyPairs.into(),
        "notLoggedIn" | "999998" => NotLoggedIn.into(),
        "keyTooLong" => KeyTooLong.into(),
        "keyValueTooLong" => KeyValueTooLong.into(),
        "invalidItem" | "999999" => InvalidItem.into(),
        "notAGame" | "999987" => NotAGame.into(),
        "notOpenDataContext" => NotOpenDataContext.into(),
        "999993" => Error::Backend("a failure injected by the test".into()),
        _ => return None,
    })
}

/// A payload as JavaScript.
fn render(env: &Env, payload: &Payload) -> Result<JsUnknown> {
    match payload {
        Payload::Value(v) => to_js(env, v),
        Payload::Shaped { json, values } => {
            let rendered = json_to_js(env, json)?;
            if values.is_empty() {
                return Ok(rendered);
            }
            let mut obj: JsObject = rendered.try_into()?;
            for (name, v) in values {
                set(env, &mut obj, name, to_js(env, v)?)?;
            }
            Ok(obj.into_unknown())
        }
    }
}

/// An Error whose message is the payload's `errMsg`, with the payload's fields on it: what a
/// Sync form throws (or, in Baidu's dialect, returns).
fn error_of(env: &Env, payload: JsUnknown) -> Result<JsObject> {
    let fields: JsObject = payload.try_into()?;
    let message: JsUnknown = fields.get_named_property("errMsg")?;
    let message = message.coerce_to_string()?.into_utf8()?.into_owned()?;
    let mut err = env.create_error(napi::Error::from_reason(message))?;
    let keys = fields.get_property_names()?;
    for i in 0..keys.get_array_length()? {
        let key: JsUnknown = keys.get_element(i)?;
        let value: JsUnknown = fields.get_property(&key)?;
        err.set_property(key, value)?;
    }
    Ok(err)
}

/// A durable write's wait for the disk, on a worker thread of libuv.
struct Flush {
    shared: Arc<Shared>,
    api: Api,
}

impl Task for Flush {
    type Output = Option<Error>;
    type JsValue = JsUnknown;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.shared.flush().err())
    }

    fn resolve(&mut self, env: Env, failed: Self::Output) -> Result<JsUnknown> {
        match failed {
            None => Ok(env.get_undefined()?.into_unknown()),
            Some(e) => render(&env, failure(self.api, &e).payload()),
        }
    }
}
