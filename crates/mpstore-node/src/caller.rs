//! [`Caller`]: one namespace of a store in one dialect (local storage, or a game's caller), calling
//! APIs by their number in the engine's table, and shaping their answers as JavaScript values.

use crate::convert::{json_to_js, pending, set, to_js, Reader, Unreadable};
use crate::store::{coded, Shared};
use napi::bindgen_prelude::*;
use napi::{Env, JsObject, JsUnknown, Task};
use napi_derive::napi;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use storage_api::cloud::MiniGame;
use storage_api::dispatch::{cloud, local, Api, Args, Ending, Family, Outcome, Payload};
use storage_api::MiniProgram;
use storage_core::{Dialect, Error};

pub(crate) enum Target {
    Local(MiniProgram),
    Game(MiniGame),
}

/// One namespace in one dialect: calls its APIs by number (the order of the engine's table,
/// [`crate::dialects`]).
#[napi]
pub struct Caller {
    shared: Arc<Shared>,
    target: Target,
    apis: Vec<Api>,
    /// Set when the program this caller belongs to was closed (the store may live on for others).
    closed: AtomicBool,
}

impl Caller {
    pub(crate) fn new(shared: &Arc<Shared>, dialect: Dialect, target: Target) -> Self {
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
pub(crate) fn render(env: &Env, payload: &Payload) -> Result<JsUnknown> {
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
