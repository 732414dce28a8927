//! What the APIs hand back, shaped and named as each platform hands it to a mini-program.
//!
//! `serde_json::to_value(result)` gives exactly the JSON the platform gives (`errMsg`, `errno`,
//! `errNo`, `error`, `errorMessage`, `data`, `keys`, `currentSize`, `limitSize`, `success`,
//! `dataList`). Values serialize as `JSON.stringify` shows them (see [`JsValue`]'s serde); the
//! Rust fields keep the exact value.

use serde::Serialize;
use std::fmt;
use storage_core::codes::{platform_error, platform_error_in, ApiKind};
use storage_core::{Dialect, Error, JsValue};

/// `{errMsg: "<api>:ok"}`: the success of a WeChat or Douyin call that returns nothing else.
///
/// ```
/// # use storage_api::GeneralResult;
/// let ok = GeneralResult::ok("setStorage");
/// assert_eq!(serde_json::to_value(ok).unwrap(), serde_json::json!({"errMsg": "setStorage:ok"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GeneralResult {
    /// `"<api>:ok"`.
    pub err_msg: String,
}

impl GeneralResult {
    /// `{errMsg: "<api>:ok"}`.
    pub fn ok(api: &str) -> Self {
        GeneralResult {
            err_msg: ok_msg(api),
        }
    }
}

/// `{data, errMsg: "getStorage:ok"}`: the success of WeChat's and Douyin's `getStorage`.
///
/// ```
/// # use storage_api::GetStorageResult;
/// let res = GetStorageResult { data: "v".into(), err_msg: "getStorage:ok".into() };
/// assert_eq!(serde_json::to_value(res).unwrap(), serde_json::json!({"data": "v", "errMsg": "getStorage:ok"}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetStorageResult {
    /// The stored value.
    pub data: JsValue,
    /// `"getStorage:ok"`.
    pub err_msg: String,
}

/// `{dataList, errMsg: "batchGetStorage:ok"}`: the success of WeChat's `batchGetStorage`, one
/// value per key asked for, `""` for a missing key.
///
/// The platform does not document this payload; `dataList` is the project's choice (decided).
///
/// ```
/// # use storage_api::BatchGetStorageResult;
/// let res = BatchGetStorageResult { data_list: vec!["v".into(), "".into()], err_msg: "batchGetStorage:ok".into() };
/// assert_eq!(serde_json::to_value(res).unwrap(), serde_json::json!({"dataList": ["v", ""], "errMsg": "batchGetStorage:ok"}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchGetStorageResult {
    /// One value per key, in the order asked.
    pub data_list: Vec<JsValue>,
    /// `"batchGetStorage:ok"`.
    pub err_msg: String,
}

/// `{keys, currentSize, limitSize}`: what `getStorageInfoSync` returns (every dialect) and what
/// Alipay's `getStorageInfo` hands `success`.
///
/// ```
/// # use storage_api::StorageInfo;
/// let info = StorageInfo { keys: vec!["k".into()], current_size: 1, limit_size: 10240 };
/// assert_eq!(serde_json::to_value(info).unwrap(), serde_json::json!({"keys": ["k"], "currentSize": 1, "limitSize": 10240}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageInfo {
    /// Keys in insertion order.
    pub keys: Vec<String>,
    /// Usage in KB, rounded up.
    pub current_size: u64,
    /// The quota in KB (10240).
    pub limit_size: u64,
}

impl From<storage_core::StorageInfo> for StorageInfo {
    fn from(info: storage_core::StorageInfo) -> Self {
        StorageInfo {
            keys: info.keys,
            current_size: info.current_size,
            limit_size: info.limit_size,
        }
    }
}

/// `{keys, currentSize, limitSize, errMsg: "getStorageInfo:ok"}`: the success of WeChat's and
/// Douyin's `getStorageInfo`.
///
/// ```
/// # use storage_api::GetStorageInfoResult;
/// let res = GetStorageInfoResult { keys: vec![], current_size: 0, limit_size: 10240, err_msg: "getStorageInfo:ok".into() };
/// assert_eq!(serde_json::to_value(res).unwrap()["errMsg"], "getStorageInfo:ok");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GetStorageInfoResult {
    /// Keys in insertion order.
    pub keys: Vec<String>,
    /// Usage in KB, rounded up.
    pub current_size: u64,
    /// The quota in KB (10240).
    pub limit_size: u64,
    /// `"getStorageInfo:ok"`.
    pub err_msg: String,
}

impl GetStorageInfoResult {
    pub(crate) fn ok(info: StorageInfo, api: &str) -> Self {
        GetStorageInfoResult {
            keys: info.keys,
            current_size: info.current_size,
            limit_size: info.limit_size,
            err_msg: ok_msg(api),
        }
    }
}

/// A WeChat failure, `{errMsg: "<api>:fail <reason>", errno?}`: what `fail` gets, what a Promise
/// rejects with, and what a `*Sync` call returns as `Err` (a JS shim throws it).
///
/// ```
/// # use storage_api::WxError;
/// # use storage_core::{codes::ApiKind, Error};
/// let err = WxError::new("setStorage", ApiKind::LocalWrite, &Error::EmptyKey);
/// assert_eq!(serde_json::to_value(&err).unwrap(), serde_json::json!({"errMsg": "setStorage:fail invalid key", "errno": 800003}));
/// assert_eq!(err.to_string(), "setStorage:fail invalid key");
/// assert_eq!(err.cause(), &Error::EmptyKey);
/// ```
///
/// Two errors are equal when a mini-program would see the same object: the
/// [`cause`](Self::cause) is not compared.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxError {
    /// `"<api>:fail <reason>"`.
    pub err_msg: String,
    /// The numeric code, where WeChat has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errno: Option<i64>,
    #[serde(skip)]
    cause: Error,
}

impl WxError {
    /// How WeChat's `api` (of `kind`) reports `err`, from the one table [`platform_error`].
    pub fn new(api: &str, kind: ApiKind, err: &Error) -> Self {
        let e = platform_error_in(Dialect::Wx, kind, api, err);
        WxError {
            err_msg: fail_msg(api, &e.message),
            errno: e.code,
            cause: err.clone(),
        }
    }
}

/// A Douyin failure, `{errMsg: "<api>:fail <reason>", errNo}`: what `fail` gets, what a Promise
/// rejects with, and what a `*Sync` call returns as `Err`.
///
/// ```
/// # use storage_api::TtError;
/// # use storage_core::{codes::ApiKind, Error};
/// let err = TtError::new("getStorage", ApiKind::LocalRead, &Error::NotFound { key: "k".into() });
/// assert_eq!(serde_json::to_value(&err).unwrap(), serde_json::json!({"errMsg": "getStorage:fail data not found, key == k", "errNo": 21101}));
/// assert_eq!(err.cause(), &Error::NotFound { key: "k".into() });
/// ```
///
/// Equality compares what a mini-program sees, not the [`cause`](Self::cause).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TtError {
    /// `"<api>:fail <reason>"`.
    pub err_msg: String,
    /// The numeric code.
    pub err_no: i64,
    #[serde(skip)]
    cause: Error,
}

impl TtError {
    /// How Douyin's `api` (of `kind`) reports `err`, from the one table [`platform_error`].
    pub fn new(api: &str, kind: ApiKind, err: &Error) -> Self {
        let e = platform_error(Dialect::Tt, kind, err);
        TtError {
            err_msg: fail_msg(api, &e.message),
            // The table gives every Douyin row a code.
            err_no: e.code.unwrap_or_default(),
            cause: err.clone(),
        }
    }
}

/// An Alipay failure, `{error, errorMessage}`: what `fail` gets and what a Promise rejects with.
///
/// ```
/// # use storage_api::MyError;
/// # use storage_core::{codes::ApiKind, Error};
/// let err = MyError::new(ApiKind::LocalWrite, &Error::EntryTooLarge { size: 204_801, limit: 204_800 });
/// assert_eq!(serde_json::to_value(&err).unwrap(), serde_json::json!({"error": 14, "errorMessage": "data长度超限"}));
/// assert!(matches!(err.cause(), Error::EntryTooLarge { .. }));
/// ```
///
/// Equality compares what a mini-program sees, not the [`cause`](Self::cause).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MyError {
    /// The numeric code (2, 12, 14, or the project's storage-failure code).
    pub error: i64,
    /// The text.
    pub error_message: String,
    #[serde(skip)]
    cause: Error,
}

impl MyError {
    /// How Alipay reports `err` from an API of `kind`, from the one table [`platform_error`].
    pub fn new(kind: ApiKind, err: &Error) -> Self {
        let e = platform_error(Dialect::My, kind, err);
        MyError {
            // The table gives every Alipay row a code.
            error: e.code.unwrap_or_default(),
            error_message: e.message,
            cause: err.clone(),
        }
    }
}

/// `{success: true}`: the success of Alipay's set / remove / clear, async and Sync.
///
/// ```
/// # use storage_api::MySuccess;
/// assert_eq!(serde_json::to_value(MySuccess::default()).unwrap(), serde_json::json!({"success": true}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MySuccess {
    /// Always `true`.
    pub success: bool,
}

impl Default for MySuccess {
    fn default() -> Self {
        MySuccess { success: true }
    }
}

/// `{data}`: the success of Alipay's `getStorage` and `getStorageSync` (`data: null` for a
/// missing key).
///
/// ```
/// # use storage_api::MyData;
/// # use storage_core::JsValue;
/// let missing = MyData { data: JsValue::Null };
/// assert_eq!(serde_json::to_value(missing).unwrap(), serde_json::json!({"data": null}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MyData {
    /// The stored value, or `null`.
    pub data: JsValue,
}

/// `{success: false, error, errorMessage}`: what an Alipay `*Sync` call returns when it fails
/// (Alipay's Sync forms never throw).
///
/// ```
/// # use storage_api::MySyncFailure;
/// # use storage_core::{codes::ApiKind, Error};
/// let f = MySyncFailure::new(ApiKind::LocalWrite, &Error::EmptyKey);
/// assert_eq!(f.cause(), &Error::EmptyKey);
/// assert_eq!(serde_json::to_value(f).unwrap(), serde_json::json!({"success": false, "error": 2, "errorMessage": "必填参数为空"}));
/// ```
///
/// Equality compares what a mini-program sees, not the [`cause`](Self::cause).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MySyncFailure {
    /// Always `false`.
    pub success: bool,
    /// The numeric code, as [`MyError::error`].
    pub error: i64,
    /// The text, as [`MyError::error_message`].
    pub error_message: String,
    #[serde(skip)]
    cause: Error,
}

impl MySyncFailure {
    /// How an Alipay `*Sync` call of `kind` reports `err`.
    pub fn new(kind: ApiKind, err: &Error) -> Self {
        let MyError {
            error,
            error_message,
            cause,
        } = MyError::new(kind, err);
        MySyncFailure {
            success: false,
            error,
            error_message,
            cause,
        }
    }
}

/// What an Alipay `*Sync` call returns: its result, or `{success: false, error, errorMessage}`.
/// Serializes as the bare object either way.
///
/// ```
/// # use storage_api::{MySync, MySuccess};
/// let ok: MySync<MySuccess> = MySync::Ok(MySuccess::default());
/// assert!(ok.is_success());
/// assert_eq!(serde_json::to_value(ok).unwrap(), serde_json::json!({"success": true}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MySync<T> {
    /// The call succeeded.
    Ok(T),
    /// The call failed.
    Fail(MySyncFailure),
}

impl<T> MySync<T> {
    /// Whether the call succeeded.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert!(!my.set_storage_sync("", 1).is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        matches!(self, MySync::Ok(_))
    }

    /// The result as a Rust `Result`.
    ///
    /// ```
    /// # use storage_api::Mpstore;
    /// # use storage_core::Scope;
    /// let my = Mpstore::in_memory().mini_program("u", "app", Scope::App).unwrap().my();
    /// assert_eq!(my.get_storage_sync("").into_result().unwrap_err().error, 2);
    /// ```
    pub fn into_result(self) -> Result<T, MySyncFailure> {
        match self {
            MySync::Ok(v) => Ok(v),
            MySync::Fail(f) => Err(f),
        }
    }
}

macro_rules! display_error {
    ($($ty:ty => $field:ident),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.$field)
            }
        }
        impl std::error::Error for $ty {}
    )*};
}

display_error!(WxError => err_msg, TtError => err_msg, MyError => error_message, MySyncFailure => error_message);

/// Each platform error keeps the [`Error`] it was made from ([`cause`](WxError::cause)), so a
/// host can tell a corrupt record from a backend failure where the platforms word them alike.
/// Equality is the platform's view: the shown fields only.
macro_rules! keeps_cause {
    ($($ty:ty => $($field:ident),+);* $(;)?) => {$(
        impl $ty {
            /// The storage error this failure reports (never serialized: the JSON is the
            /// platform's).
            pub fn cause(&self) -> &Error {
                &self.cause
            }
        }
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                $(self.$field == other.$field)&&+
            }
        }
        impl Eq for $ty {}
    )*};
}
pub(crate) use keeps_cause;

keeps_cause!(
    WxError => err_msg, errno;
    TtError => err_msg, err_no;
    MyError => error, error_message;
    MySyncFailure => success, error, error_message;
);

fn ok_msg(api: &str) -> String {
    format!("{api}:ok")
}

fn fail_msg(api: &str, reason: &str) -> String {
    format!("{api}:fail {reason}")
}
