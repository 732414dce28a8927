//! # storage-api
//!
//! The storage APIs of the Alipay (`my.*`), WeChat (`wx.*`) and Douyin (`tt.*`) mini-program
//! platforms, for a host that runs mini-programs: the same limits, error codes, result shapes and
//! callback rules as the platforms (behaviour §4), over an encrypted, durable store.
//!
//! ```
//! use storage_api::Mpstore;
//! use storage_core::Scope;
//! # let dir = tempfile::tempdir().unwrap();
//! # let dir = dir.path();
//! let store = Mpstore::open_default(dir).unwrap(); // encrypted sled, key file in `dir`
//! let app = store.mini_program("alipay-user", "2021000000000000", Scope::App).unwrap();
//! let my = app.my();
//! assert!(my.set_storage_sync("currentCity", "杭州").is_success());
//! ```
//!
//! - [`Mpstore`] is the one entry point: [`Mpstore::open`] / [`Mpstore::open_default`] (encrypted
//!   sled in a directory: the database in `dir/data`, the default key file `dir/master.key`),
//!   [`Mpstore::in_memory`] for tests, [`Mpstore::with_backend`] for anything else. It also holds
//!   the host-level operations: [`remove_app`](Mpstore::remove_app),
//!   [`remove_user`](Mpstore::remove_user), [`namespaces`](Mpstore::namespaces),
//!   [`verify`](Mpstore::verify), [`backup`](Mpstore::backup), [`salvage`](Mpstore::salvage), and master-key
//!   rotation: [`rotate_key`](Mpstore::rotate_key), or
//!   [`rotate_key_file`](Mpstore::rotate_key_file) for the key file of `open_default`.
//! - **Feature `sled`** (on by default): the default stack, `Mpstore::open*`, backup and salvage
//!   over encrypted durable sled. With `default-features = false` the crate builds neither sled
//!   nor the AES crates and serves any backend through [`Mpstore::with_backend`].
//! - [`MiniProgram`] is one (user, app, scope) namespace, scope being the app itself, its
//!   [web-view](MiniProgram::web_view) or a [plugin](MiniProgram::plugin); each is isolated and
//!   has its own quota. It hands out [`Wx`], [`My`] and [`Tt`].
//! - The facades are thin: the limits, quota, insertion order and `encrypt` charge are enforced
//!   by [`storage_core::Store`] with the dialect's [`storage_core::Policy`], and every error code
//!   and message comes from the one table, [`storage_core::codes::platform_error`].
//!
//! ## Three calling styles
//!
//! Every asynchronous API (`set_storage`, `get_storage`, `remove_storage`, `clear_storage`,
//! `get_storage_info`, WeChat's `batch_*`) returns a [`Call`], which does nothing until awaited:
//!
//! - **Promise style**: await the `Call` (or [`Call::wait`] without a runtime). It resolves to
//!   `Ok(success result)` or `Err(failure)`, exactly what the platform's Promise resolves or
//!   rejects with.
//! - **Callbacks**: add [`success`](Call::success), [`fail`](Call::fail) and
//!   [`complete`](Call::complete) (each optional), or a whole [`Callbacks`] struct of
//!   `Option<Box<dyn FnOnce>>` as a bridge would build from a JS options object, then await or
//!   spawn the resulting [`WithCallbacks`] (it is `Send + 'static`). Exactly one of `success`
//!   and `fail` runs, then `complete`, each at most once, in every outcome; `complete` gets the
//!   same payload as a `Result`. A call dropped before it completes runs no callback.
//! - **Sync**: the `*_sync` methods. They run on the calling thread with
//!   [`storage_core::block_on`]: no async runtime needed, and safe to call from inside a tokio
//!   runtime (they block that thread for the call, as a JS Sync API blocks its thread). WeChat
//!   and Douyin return `Result<_, WxError>` / `Result<_, TtError>`, the `Err` being what the JS
//!   API throws; Alipay's never fail and return a [`MySync`]: the result, or
//!   `{success: false, error, errorMessage}`.
//!
//! ```
//! use storage_api::Mpstore;
//! use storage_core::{block_on, Scope};
//! let wx = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().wx();
//! // Promise
//! let ok = block_on(wx.set_storage("key", "value")).unwrap();
//! assert_eq!(ok.err_msg, "setStorage:ok");
//! // Callbacks
//! block_on(
//!     wx.get_storage("missing")
//!         .success(|res| unreachable!("{res:?}"))
//!         .fail(|err| assert_eq!(err.err_msg, "getStorage:fail data not found"))
//!         .complete(|res| assert!(res.is_err())),
//! );
//! // Sync
//! assert_eq!(wx.get_storage_sync("key").unwrap(), "value".into());
//! ```
//!
//! ## Results are what a mini-program sees
//!
//! Every result and error is `serde::Serialize` with the platform's field names, so
//! `serde_json::to_value(result)` is the exact object the platform hands to JavaScript:
//!
//! | | success | failure |
//! |---|---|---|
//! | `wx` | `{errMsg: "setStorage:ok"}`, `{data, errMsg}`, `{keys, currentSize, limitSize, errMsg}`, `{dataList, errMsg}` | [`WxError`] `{errMsg: "<api>:fail <reason>", errno?}` |
//! | `my` | `{success: true}`, `{data}`, `{keys, currentSize, limitSize}` | [`MyError`] `{error, errorMessage}`; Sync: [`MySyncFailure`] `{success: false, error, errorMessage}` |
//! | `tt` | as `wx` | [`TtError`] `{errMsg: "<api>:fail <reason>", errNo}` |
//!
//! Each failure also keeps the [`storage_core::Error`] it reports (`cause()`, e.g.
//! [`WxError::cause`]), never serialized and not compared by `==`: the platforms word a corrupt
//! record and a backend failure alike, a host need not.
//!
//! Rust fields are snake_case (`err_msg`, `err_no`, `error_message`, `current_size`); values
//! keep their exact JavaScript type in Rust ([`storage_core::JsValue`]) and serialize as
//! `JSON.stringify` shows them.
//!
//! ## Arguments as JavaScript passes them
//!
//! A mini-program passes arbitrary JavaScript. Every method taking a key accepts any
//! `impl Into<JsValue>` (so `&str` works, and a bridge can pass a Number key and get the
//! platform's `parameter error: parameter.key should be String instead of Number;`); the `*_with`
//! methods take the whole option object ([`SetStorageOption`], [`GetStorageOption`]), where an
//! absent `data` is `None`. Text with a lone UTF-16 surrogate cannot become a
//! [`JsValue`](storage_core::JsValue) ([`JsValue::from_utf16`](storage_core::JsValue::from_utf16)
//! refuses it); a bridge reports it as the dialect's parameter error:
//!
//! ```
//! use storage_api::WxError;
//! use storage_core::{codes::ApiKind, Error, JsValue};
//! let lone = JsValue::from_utf16(&[0x61, 0xd800]).unwrap_err();
//! let err = WxError::new("setStorage", ApiKind::LocalWrite, &Error::InvalidParam(lone.to_string()));
//! assert!(err.err_msg.starts_with("setStorage:fail parameter error: "));
//! ```
//!
//! ## Decided behaviours
//!
//! Where the platforms are silent or disagree, these are the project's choices (behaviour §4
//! marks its own; the rest are this crate's):
//!
//! - **Missing key.** `wx.getStorage` fails `getStorage:fail data not found`; `my.getStorage`
//!   succeeds with `{data: null}`; `tt.getStorage` fails `getStorage:fail data not found, key ==
//!   <key>` with errNo 21101 (behaviour §4, decided). Sync reads return `""` (wx, tt) or
//!   `{data: null}` (my). A stored `""` (wx/tt Sync) or `null` (my) reads the same as a missing
//!   key, as on the platforms; the async `wx`/`tt` forms tell them apart.
//! - **Sync error messages** name the Sync API (`setStorageSync:fail …`), without the
//!   `APP-SERVICE-SDK:` prefix some WeChat builds add. WeChat's parameter errors say
//!   `parameter.key` in the async forms and `parameter` (the first argument) in the positional
//!   Sync forms, with the base library's trailing `;`.
//! - **Nesting**: a value nested deeper than [`storage_core::value::MAX_DEPTH`] (100) levels of
//!   arrays and objects is a parameter error (wx `parameter error: data nests deeper than 100
//!   levels`, my error 2, tt errNo 20001), never a crash.
//! - **Absent `data`** is a parameter error: wx `parameter error: parameter.data is required`,
//!   my error 2, tt errNo 20001. `data: undefined` given explicitly is stored as `undefined`.
//! - **Values** are stored as the platform stores them (each dialect's
//!   [`Values`](storage_core::Values)): wx puts an Array or Object through `JSON.stringify` (a
//!   Date inside reads back as its ISO string) and keeps a top-level value; my puts every value
//!   through it; tt keeps every value. [`MiniProgram::with_exact_values`] keeps them all exactly.
//! - **Alipay key errors**: a missing (`undefined`) or empty key is error 2 `必填参数为空`; a key
//!   of another type is error 2 `参数无效`. A backend failure or corrupt record is error 3
//!   `存储读写失败` (the project's code: the platform documents only 2, 12 and 14).
//! - **Alipay Sync failures** of every API, reads included, return
//!   `{success: false, error, errorMessage}`; successes return the async success shape.
//! - **WeChat `encrypt`** exists only on async `setStorage` / `getStorage`
//!   ([`SetStorageOption::encrypt`], [`GetStorageOption::encrypt`]); the Sync and batch forms and
//!   the `my` / `tt` facades ignore the field, as the platforms ignore options they do not know.
//!   An entry written with it is charged 1.4× (rounded up) against the entry limit and the quota;
//!   reading it any other way fails `<api>:fail encrypt mismatch`, `<api>` being the API used
//!   (`getStorage`, `getStorageSync`, `batchGetStorage`…), and so does reading a plain entry
//!   with `encrypt: true`. Overwriting without `encrypt` makes the entry plain again.
//! - **Batches** (WeChat): `batchSetStorage` is all-or-nothing (every item is validated and the
//!   whole batch is quota-checked in one atomic write); a later item of the same key wins.
//!   `batchGetStorage` succeeds with `{dataList, errMsg}` (the platform does not document the
//!   field's name), `""` for a missing key. A key of the wrong type is named by its place:
//!   `parameter.kvList[1].key`, `parameter.keyList[0]`.
//! - **Sizes**: `currentSize` is usage in KB rounded up, counted in the dialect's unit (UTF-16
//!   units for wx and my, UTF-8 bytes for tt), key + value of every entry; `limitSize` is 10240.
//! - **One namespace, three facades**: the `wx`, `my` and `tt` facades of one [`MiniProgram`]
//!   share its namespace; each applies its own dialect's rules to its own calls.
//! - **Ids**: [`Mpstore::mini_program`] refuses an empty user, app or plugin id with an error
//!   (never a panic).
//! - **Host-level removals** remove local storage only (every scope of the app, or every app of
//!   the user); game cloud data is keyed by (game, openid) and is removed through its own facade.

#![warn(missing_docs)]

#[cfg(feature = "sled")]
mod backup;
mod call;
pub mod cloud;
#[cfg(feature = "sled")]
mod data_dir;
#[cfg(feature = "sled")]
mod default_stack;
pub mod dispatch;
pub mod dump;
mod local;
mod mini_program;
mod mpstore;
mod my;
mod options;
mod results;
#[cfg(feature = "sled")]
mod salvage;
#[cfg(feature = "sled")]
mod store_options;
mod tt;
mod verify;
mod wx;
mod wx_tt;

pub use call::{Call, Callbacks, CompleteFn, FailFn, SuccessFn, WithCallbacks};
#[cfg(feature = "sled")]
pub use default_stack::{DATA_DIR, KEY_FILE, NEW_KEY_FILE};
pub use local::LocalLimits;
pub use mini_program::MiniProgram;
pub use mpstore::Mpstore;
pub use my::My;
pub use options::{GetStorageOption, KvItem, SetStorageOption};
pub use results::{
    BatchGetStorageResult, GeneralResult, GetStorageInfoResult, GetStorageResult, MyData, MyError,
    MySuccess, MySync, MySyncFailure, StorageInfo, TtError, WxError,
};
#[cfg(feature = "sled")]
pub use salvage::Salvage;
#[cfg(feature = "sled")]
pub use store_options::StoreOptions;
pub use tt::Tt;
pub use verify::{Damage, Verification};
pub use wx::Wx;

/// The README's examples, compiled and run as doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
