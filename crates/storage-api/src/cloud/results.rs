//! What the cloud APIs hand back, shaped and named as the platforms hand it to a mini-game.
//!
//! `serde_json::to_value(result)` gives exactly the JSON a mini-game sees. Set and remove
//! succeed with [`crate::GeneralResult`] (`{errMsg: "<api>:ok"}`); WeChat fails with
//! [`crate::WxError`] (`{errMsg}`: WeChat documents no codes for these APIs), Douyin with
//! [`TtCloudError`] (`{errMsg, errorCode}`).

use cloud_kv::{KvData, UserGameData};
use serde::Serialize;
use std::fmt;
use storage_core::codes::{platform_error, ApiKind};
use storage_core::{Dialect, Error};

pub(crate) fn ok_msg(api: &str) -> String {
    format!("{api}:ok")
}

/// `{KVDataList, errMsg: "getUserCloudStorage:ok"}`: the caller's pairs among the keys asked for,
/// in the order asked.
///
/// Douyin's older documentation and community typings read the list from `data`; the `tt`
/// facade fills `data` with the same list so both kinds of game code work (**decided**).
///
/// ```
/// use storage_api::cloud::{GetUserCloudStorageResult, KvData};
/// let res = GetUserCloudStorageResult {
///     kv_data_list: vec![KvData::new("k", "v")],
///     data: None,
///     err_msg: "getUserCloudStorage:ok".into(),
/// };
/// assert_eq!(
///     serde_json::to_value(res).unwrap(),
///     serde_json::json!({"KVDataList": [{"key": "k", "value": "v"}], "errMsg": "getUserCloudStorage:ok"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetUserCloudStorageResult {
    /// The pairs.
    #[serde(rename = "KVDataList")]
    pub kv_data_list: Vec<KvData>,
    /// Douyin only: the same pairs under the older field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<KvData>>,
    /// `"getUserCloudStorage:ok"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

/// `{keys, errMsg: "getUserCloudStorageKeys:ok"}`: every key the player holds, in insertion
/// order (WeChat).
///
/// ```
/// use storage_api::cloud::GetUserCloudStorageKeysResult;
/// let res = GetUserCloudStorageKeysResult { keys: vec!["k".into()], err_msg: "getUserCloudStorageKeys:ok".into() };
/// assert_eq!(serde_json::to_value(res).unwrap(), serde_json::json!({"keys": ["k"], "errMsg": "getUserCloudStorageKeys:ok"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetUserCloudStorageKeysResult {
    /// The keys.
    pub keys: Vec<String>,
    /// `"getUserCloudStorageKeys:ok"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

/// `{data: UserGameData[], errMsg}`: the success of a relation read (`getCloudStorageByRelation`,
/// `getFriendCloudStorage`, `getGroupCloudStorage`).
///
/// ```
/// use storage_api::cloud::{KvData, RelationDataResult, UserGameData};
/// let res = RelationDataResult {
///     data: vec![UserGameData {
///         avatar_url: "".into(),
///         nickname: "Ann".into(),
///         openid: "o1".into(),
///         kv_data_list: vec![KvData::new("k", "v")],
///     }],
///     err_msg: "getFriendCloudStorage:ok".into(),
/// };
/// assert_eq!(
///     serde_json::to_value(res).unwrap(),
///     serde_json::json!({"data": [{"avatarUrl": "", "nickname": "Ann", "openid": "o1",
///         "KVDataList": [{"key": "k", "value": "v"}]}], "errMsg": "getFriendCloudStorage:ok"})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationDataResult {
    /// The players, at most 100.
    pub data: Vec<UserGameData>,
    /// `"<api>:ok"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
}

/// A Douyin cloud failure, `{errMsg: "<api>:fail <reason>", errorCode}`: what `fail` gets and
/// what a Promise rejects with.
///
/// ```
/// use storage_api::cloud::TtCloudError;
/// use storage_core::{CloudRule, Error};
/// let err = TtCloudError::new("setUserCloudStorage", &Error::Cloud(CloudRule::NotLoggedIn));
/// assert_eq!(
///     serde_json::to_value(&err).unwrap(),
///     serde_json::json!({"errMsg": "setUserCloudStorage:fail get session id failed", "errorCode": 999998})
/// );
/// assert_eq!(err.cause(), &Error::Cloud(CloudRule::NotLoggedIn));
/// ```
///
/// Equality compares what a mini-game sees, not the [`cause`](Self::cause).
#[derive(Debug, Clone, Serialize)]
pub struct TtCloudError {
    /// `"<api>:fail <reason>"`.
    #[serde(rename = "errMsg")]
    pub err_msg: String,
    /// The seed's code: 999998, 999999, 999987 or 999993.
    #[serde(rename = "errorCode")]
    pub error_code: i64,
    #[serde(skip)]
    cause: Error,
}

impl TtCloudError {
    /// How Douyin's cloud `api` reports `err`, from the one table [`platform_error`].
    pub fn new(api: &str, err: &Error) -> Self {
        let e = platform_error(Dialect::Tt, ApiKind::Cloud, err);
        TtCloudError {
            err_msg: format!("{api}:fail {}", e.message),
            // The table gives every Douyin cloud row a code.
            error_code: e.code.unwrap_or_default(),
            cause: err.clone(),
        }
    }
}

crate::results::keeps_cause!(TtCloudError => err_msg, error_code);

impl fmt::Display for TtCloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.err_msg)
    }
}

impl std::error::Error for TtCloudError {}
