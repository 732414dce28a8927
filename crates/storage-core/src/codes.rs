//! The one table of platform error codes and messages (behaviour §4 and §5).
//!
//! Every dialect facade turns an [`Error`] into what a mini-program sees by calling
//! [`platform_error`]; no code or message is written anywhere else. The facade only decides the
//! field names (`errMsg`/`errno`, `error`/`errorMessage`, `errMsg`/`errNo`, `errorCode`).

use crate::dialect::{Dialect, Kind};
use crate::error::{CloudRule, Error};

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
    /// (local storage) or `errorCode` (cloud data), the others' as their [`crate::dialect::Spec`]
    /// says.
    pub code: Option<i64>,
    /// The text: the `<reason>` of `"<api>:fail <reason>"` for the `errMsg` dialects, the
    /// `errorMessage` for Alipay.
    pub message: String,
    /// The code's field when it is not the dialect's usual one.
    pub field: Option<&'static str>,
    /// Douyin mini-apps' `errorType`.
    pub error_type: Option<&'static str>,
}

/// Alipay's code for a storage failure that is not the caller's fault (backend failure, corrupt
/// record). The platform documents only 2, 12 and 14; this one is the project's choice.
pub const MY_STORAGE_FAILURE: i64 = 3;

/// How `dialect` reports `err` from an API of `kind`: the first row of the dialect's error
/// table ([`crate::dialect::Spec::errors`]) that covers it; game cloud data by its own rules.
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
    platform_error_in(dialect, kind, "", err)
}

/// [`platform_error`] in the API named `api` (`setStorage`, `getStorageSync`…), for the texts
/// that name a parameter as the API's form takes it: WeChat's positional Sync forms say
/// `parameter should be …`, the others `parameter.key should be …`.
///
/// ```
/// use storage_core::codes::{platform_error_in, ApiKind};
/// use storage_core::{Dialect, Error, JsType};
/// let err = Error::WrongType { param: "key".into(), expected: JsType::String, actual: JsType::Object };
/// let e = platform_error_in(Dialect::Wx, ApiKind::LocalRead, "getStorageSync", &err);
/// assert_eq!(e.message, "parameter error: parameter should be String instead of Object;");
/// let e = platform_error_in(Dialect::Wx, ApiKind::LocalRead, "getStorage", &err);
/// assert_eq!(e.message, "parameter error: parameter.key should be String instead of Object;");
/// ```
pub fn platform_error_in(dialect: Dialect, kind: ApiKind, api: &str, err: &Error) -> PlatformError {
    let plain = |code, message| PlatformError {
        code,
        message,
        field: None,
        error_type: None,
    };
    if kind == ApiKind::Cloud {
        // Game cloud data (behaviour §5). Alipay has no such family; it reports like WeChat.
        let internal = || (dialect == Dialect::Tt).then_some(999_993);
        return match err {
            // WeChat gives no text for it; Douyin's `get session id failed` is Douyin's.
            Error::Cloud(CloudRule::NotLoggedIn) if dialect == Dialect::Wx => {
                plain(None, "must login before calling".into())
            }
            Error::Cloud(rule) => match wx_interactive_code(dialect, api, *rule) {
                // Interactive storage names its code `errCode`.
                Some(code) => PlatformError {
                    field: Some("errCode"),
                    ..plain(code, rule.to_string())
                },
                None => plain(cloud_code(dialect, *rule), rule.to_string()),
            },
            Error::Closed => plain(internal(), "store closed".into()),
            _ => plain(internal(), "internal error".into()),
        };
    }
    let looked = Kind::of(err);
    let found = dialect
        .spec()
        .errors
        .iter()
        .find(|r| r.kinds.contains(&looked) && r.api.is_none_or(|a| a == kind));
    let Some(row) = found else {
        // Every dialect has a row for every kind (a test checks); say so rather than panic.
        return plain(None, format!("internal error: {err}"));
    };
    let positional = api.ends_with("Sync") && !dialect.spec().sync_object;
    PlatformError {
        code: row.code,
        message: fill(row.message, err, positional),
        field: row.field,
        error_type: row.error_type,
    }
}

/// A row's message with its placeholders filled from `err`; `{parameter}` names a wrongly
/// typed parameter as a positional Sync form (`parameter`, the first argument) or an options
/// object (`parameter.key`) takes it.
fn fill(message: &str, err: &Error, positional: bool) -> String {
    if !message.contains('{') {
        return message.to_owned();
    }
    let (parameter, expected, actual) = match err {
        Error::WrongType {
            param,
            expected,
            actual,
        } => {
            let parameter = if positional {
                // The first argument: `kvList[1].key` is `parameter[1].key`.
                let rest = param.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
                format!("parameter{rest}")
            } else {
                format!("parameter.{param}")
            };
            (parameter, expected.name(), actual.name())
        }
        _ => (String::new(), "", ""),
    };
    let detail = match err {
        Error::InvalidParam(detail) => detail.clone(),
        other => other.to_string(),
    };
    let key = match err {
        Error::NotFound { key } => key.as_str(),
        _ => "",
    };
    message
        .replace("{parameter}", &parameter)
        .replace("{expected}", expected)
        .replace("{actual}", actual)
        .replace("{error}", &err.to_string())
        .replace("{detail}", &detail)
        .replace("{key}", key)
}

fn cloud_code(dialect: Dialect, rule: CloudRule) -> Option<i64> {
    if dialect != Dialect::Tt {
        return None;
    }
    Some(match rule {
        CloudRule::NotLoggedIn => 999_998,
        CloudRule::NotAGame => 999_987,
        // ImRank's parameter errors carry the code Douyin's runtime reports for them.
        CloudRule::ImRankParams
        | CloudRule::ImRankDataType
        | CloudRule::ImRankValue
        | CloudRule::ImRankPriority
        | CloudRule::ImRankExtra
        | CloudRule::ImRankZone
        | CloudRule::ImRankTooManyZones
        | CloudRule::ImRankRelationType
        | CloudRule::ImRankRankType
        | CloudRule::ImRankPage => 21_102,
        // Every invalid argument, including a read from the wrong context, is the seed's
        // developer-error code.
        _ => 999_999,
    })
}

/// WeChat's interactive storage APIs: the `errCode` of a failure, `Some(None)` where WeChat has
/// no known code (the failure still reports in that family's shape); `None` for every other API.
/// Codes: `-17008` is documented for `getUserInteractiveStorage`; `-17012` (a key) and `-17007`
/// (an openid) are `modifyFriendInteractiveStorage`'s as developers report them.
fn wx_interactive_code(dialect: Dialect, api: &str, rule: CloudRule) -> Option<Option<i64>> {
    let interactive = matches!(
        api,
        "getUserInteractiveStorage" | "modifyFriendInteractiveStorage"
    );
    if dialect != Dialect::Wx || !interactive {
        return None;
    }
    Some(match (api, rule) {
        ("getUserInteractiveStorage", CloudRule::InvalidInteractiveKey) => Some(-17_008),
        (_, CloudRule::InvalidInteractiveKey) => Some(-17_012),
        ("modifyFriendInteractiveStorage", CloudRule::InvalidOpenid) => Some(-17_007),
        _ => None,
    })
}
