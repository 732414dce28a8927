//! Every API by its JavaScript name, with arguments as JavaScript passed them: what a host that
//! runs real mini-program code (the `mpstore bridge`, the Node addon) calls.
//!
//! A host turns `wx.setStorage({key, data})` into [`local::call`] with the method's [`Api`] and
//! the arguments as [`JsValue`](storage_core::JsValue)s, and gets an [`Outcome`]: which callback
//! fires (or whether a Sync form returns or throws) and the payload exactly as the facade shapes
//! it, with the stored values kept as `JsValue`s so that each host renders them in its own way
//! (tagged JSON on the bridge, JavaScript values in the addon).
//!
//! This module decides nothing about limits, keys or messages: it only reads arguments as a JS
//! runtime would (a missing argument is `undefined`, an options argument that is not an object
//! has no properties) and hands them to the facades.
//!
//! ```
//! use storage_api::dispatch::{local, Api, Args, Ending};
//! use storage_api::Mpstore;
//! use storage_core::{Dialect, JsValue, Scope};
//! let mp = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap();
//! let set = Api::find(Dialect::Wx, "setStorageSync").unwrap();
//! let outcome = local::call(&mp, set, Ok(Args(vec!["k".into(), 1.into()]))).unwrap();
//! assert_eq!(outcome.ending(), Ending::Return);
//! let get = Api::find(Dialect::Wx, "getStorageSync").unwrap();
//! let outcome = local::call(&mp, get, Ok(Args(vec!["k".into()]))).unwrap();
//! assert_eq!(outcome.value(), Some(&JsValue::from(1)));
//! ```

mod apis;
mod args;
pub mod cloud;
mod generic;
pub mod host;
pub mod local;
pub mod namespaces;
mod outcome;

pub use apis::{Api, Family};
pub use args::{flag, prop, Args, LoneSurrogate};
pub use outcome::{Ending, Failure, Outcome, Payload};

/// Why a call never reached a facade: a host reports it as its own error, not in a platform's
/// shape (the `"outcome": "error"` of the bridge, a thrown `Error` with a `code` in Node).
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// A stable, machine-readable kind: `bad_request`, `unknown_api`, `bad_context`,
    /// `host_error` (and the bridge's own: `line_too_long`, `bad_json`, `bad_value`, `internal`).
    pub kind: &'static str,
    /// What was wrong, for a person.
    pub message: String,
    /// The storage error behind a `host_error`, for a host that classifies it (an exit code).
    pub cause: Option<storage_core::Error>,
}

impl Refusal {
    /// A refusal of `kind`.
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            kind,
            message: message.into(),
            cause: None,
        }
    }

    /// The refusal of a host operation that failed with `err`.
    pub fn host_error(err: storage_core::Error) -> Self {
        Refusal {
            kind: "host_error",
            message: err.to_string(),
            cause: Some(err),
        }
    }

    /// The refusal of an API name nobody serves.
    pub fn unknown_api(api: &str) -> Self {
        // Never echo an unbounded name back.
        let shown: String = api.chars().take(80).collect();
        Refusal::new("unknown_api", format!("unknown API {shown:?}"))
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Refusal {}
