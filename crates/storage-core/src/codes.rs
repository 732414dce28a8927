//! The one table of platform error codes and messages (contract §4 and §5).
//!
//! Every dialect facade turns an [`Error`] into what a mini-program sees by calling
//! [`platform_error`]; no code or message is written anywhere else. The facade only decides the
//! field names (`errMsg`/`errno`, `error`/`errorMessage`, `errMsg`/`errNo`, `errorCode`).

use crate::error::{CloudRule, Error};
use crate::policy::Dialect;
use crate::value::JsType;

/// Which family of API failed: the platforms word some failures differently for reads, writes
/// and game cloud calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiKind {
    /// A local-storage read (`getStorage`, `getStorageInfo`, `batchGetStorage`…).
    LocalRead,
    /// A local-storage write (`setStorage`, `removeStorage`, `clearStorage`, `batchSetStorage`…).
    LocalWrite,
    /// A game cloud-data call (`setUserCloudStorage` and its family).
    Cloud,
}

/// A failure as a dialect reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformError {
    /// The numeric code: WeChat's `errno` (where it has one), Alipay's `error`, Douyin's `errNo`
    /// (local storage) or `errorCode` (cloud data).
    pub code: Option<i64>,
    /// The text: the `<reason>` of `"<api>:fail <reason>"` for WeChat and Douyin, the
    /// `errorMessage` for Alipay.
    pub message: String,
}

/// Alipay's code for a storage failure that is not the caller's fault (backend failure, corrupt
/// record). The platform documents only 2, 12 and 14; this one is the project's choice.
pub const MY_STORAGE_FAILURE: i64 = 3;

/// How `dialect` reports `err` from an API of `kind`.
///
/// ```
/// use storage_core::codes::{platform_error, ApiKind};
/// use storage_core::{Dialect, Error};
/// let e = platform_error(Dialect::My, ApiKind::LocalWrite, &Error::EmptyKey);
/// assert_eq!((e.code, e.message.as_str()), (Some(2), "必填参数为空"));
/// let e = platform_error(Dialect::Tt, ApiKind::LocalRead, &Error::NotFound { key: "k".into() });
/// assert_eq!((e.code, e.message.as_str()), (Some(21101), "data not found, key == k"));
/// ```
pub fn platform_error(dialect: Dialect, kind: ApiKind, err: &Error) -> PlatformError {
    let (code, message): (Option<i64>, String) = match (dialect, err) {
        // Game cloud data (contract §5). Alipay has no such family; it reports like WeChat.
        (_, Error::Cloud(rule)) => (cloud_code(dialect, *rule), rule.to_string()),
        // A closed store: the code of a storage failure, and a text that says what happened
        // (the platforms have no such state; the project's choice).
        (Dialect::My, Error::Closed) => (Some(MY_STORAGE_FAILURE), "存储已关闭".into()),
        (_, Error::Closed) => (internal_code(dialect, kind), "store closed".into()),
        (Dialect::Tt, _) if kind == ApiKind::Cloud => (Some(999_993), "internal error".into()),
        (_, _) if kind == ApiKind::Cloud => (None, "internal error".into()),

        // WeChat local storage.
        (Dialect::Wx, Error::EmptyKey) => (Some(800_003), "invalid key".into()),
        (Dialect::Wx, Error::WrongType { .. }) => (None, err.to_string()),
        (Dialect::Wx, Error::InvalidParam(detail)) => (None, format!("parameter error: {detail}")),
        (Dialect::Wx, Error::EntryTooLarge { .. }) => (None, "entry size limit reached".into()),
        (Dialect::Wx, Error::QuotaExceeded { .. } | Error::LimitExceeded { .. }) => {
            (None, "exceed storage max size 10Mb".into())
        }
        (Dialect::Wx, Error::NotFound { .. }) => (None, "data not found".into()),
        (Dialect::Wx, Error::EncryptMismatch) => (None, "encrypt mismatch".into()),
        (Dialect::Wx, _) => (None, "internal error".into()),

        // Alipay: numbers are what programs test; the texts are the documented ones.
        (Dialect::My, Error::EmptyKey) => (Some(2), "必填参数为空".into()),
        (Dialect::My, Error::WrongType { actual, .. }) if *actual == JsType::Undefined => {
            (Some(2), "必填参数为空".into())
        }
        (Dialect::My, Error::WrongType { .. } | Error::InvalidParam(_)) => {
            (Some(2), "参数无效".into())
        }
        (Dialect::My, Error::EntryTooLarge { .. }) => (Some(14), "data长度超限".into()),
        (Dialect::My, Error::QuotaExceeded { .. } | Error::LimitExceeded { .. }) => {
            (Some(12), "存储总大小达到上限".into())
        }
        (Dialect::My, Error::NotFound { .. }) => (Some(11), "查无此key".into()),
        (Dialect::My, Error::EncryptMismatch) => (Some(2), "参数无效".into()),
        (Dialect::My, _) => (Some(MY_STORAGE_FAILURE), "存储读写失败".into()),

        // Douyin local storage (mini-game errNo table).
        (Dialect::Tt, Error::EmptyKey) => (Some(20_000), "key is illegal".into()),
        (
            Dialect::Tt,
            Error::WrongType { .. } | Error::InvalidParam(_) | Error::EncryptMismatch,
        ) => (Some(20_001), "invalid param".into()),
        (Dialect::Tt, Error::EntryTooLarge { .. }) => {
            (Some(21_101), "exceed storage item max length".into())
        }
        (Dialect::Tt, Error::QuotaExceeded { .. } | Error::LimitExceeded { .. }) => {
            (Some(21_102), "exceed storage max size 10Mb".into())
        }
        (Dialect::Tt, Error::NotFound { key }) => {
            (Some(21_101), format!("data not found, key == {key}"))
        }
        (Dialect::Tt, _) if kind == ApiKind::LocalWrite => {
            (Some(21_103), "set storage fail".into())
        }
        (Dialect::Tt, _) => (Some(20_000), "internal error".into()),
    };
    PlatformError { code, message }
}

/// The code a dialect gives a storage failure that is not the caller's fault.
fn internal_code(dialect: Dialect, kind: ApiKind) -> Option<i64> {
    match (dialect, kind) {
        (Dialect::Wx, _) => None,
        (Dialect::My, _) => Some(MY_STORAGE_FAILURE),
        (Dialect::Tt, ApiKind::Cloud) => Some(999_993),
        (Dialect::Tt, ApiKind::LocalWrite) => Some(21_103),
        (Dialect::Tt, ApiKind::LocalRead) => Some(20_000),
    }
}

fn cloud_code(dialect: Dialect, rule: CloudRule) -> Option<i64> {
    if dialect != Dialect::Tt {
        return None;
    }
    Some(match rule {
        CloudRule::NotLoggedIn => 999_998,
        CloudRule::NotAGame => 999_987,
        // Every invalid argument, including a read from the wrong context, is the seed's
        // developer-error code.
        _ => 999_999,
    })
}
