//! The one error type of the storage stack.
//!
//! Every failure a backend, the store engine or a rule can report is an [`Error`]. What each one
//! looks like to a mini-program, per dialect, is decided in one place: [`crate::codes`].

use crate::backend::{Limits, Usage};
use crate::value::JsType;

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in a storage call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key is the empty string.
    #[error("invalid key: the key is empty")]
    EmptyKey,
    /// A parameter has the wrong JavaScript type (a key that is not a String, missing data).
    #[error("parameter error: parameter.{param} should be {expected} instead of {actual}")]
    WrongType {
        /// The parameter's name as the platforms print it (`key`, `data`, `kvList`…).
        param: String,
        /// The type it should have.
        expected: JsType,
        /// The type it had.
        actual: JsType,
    },
    /// Any other invalid parameter (a lone surrogate, a value nested too deeply, an empty id…).
    #[error("invalid parameter: {0}")]
    InvalidParam(String),
    /// One entry is larger than the dialect's per-entry limit.
    #[error("entry size {size} exceeds the limit of {limit}")]
    EntryTooLarge {
        /// The entry's size, in the policy's unit, after any encrypt charge.
        size: u64,
        /// The per-entry limit.
        limit: u64,
    },
    /// The namespace's total quota would be reached or passed.
    #[error("namespace quota of {limit} would be exceeded (usage after the write: {after})")]
    QuotaExceeded {
        /// What the usage would have been.
        after: u64,
        /// The quota.
        limit: u64,
    },
    /// A backend refused a write against the [`Limits`] it was given (the engine turns this into
    /// [`Error::QuotaExceeded`] or a cloud rule).
    #[error("write refused by limits {limits:?}: usage would be {after:?}")]
    LimitExceeded {
        /// Usage before the write.
        before: Usage,
        /// Usage the write would have led to.
        after: Usage,
        /// The limits given.
        limits: Limits,
    },
    /// No entry under this key.
    #[error("data not found for key {key:?}")]
    NotFound {
        /// The key asked for.
        key: String,
    },
    /// A WeChat entry written with `encrypt: true` was read without it, or the reverse.
    #[error("encrypt mismatch: the entry must be read as it was written")]
    EncryptMismatch,
    /// A game cloud-data rule was broken (behaviour §5).
    #[error("{0}")]
    Cloud(CloudRule),
    /// A stored record failed to decode or authenticate: it is damaged or was moved.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The backend failed (I/O, a full disk, a closed store…); nothing was changed.
    #[error("backend failure: {0}")]
    Backend(String),
    /// A store was opened with a master key that is not its own; nothing was changed, and the
    /// right key still opens it.
    #[error("wrong master key: {0}")]
    WrongMasterKey(String),
    /// The backend is unreachable for now (a network partition, a failover); retrying later may
    /// succeed. Nothing was changed.
    #[error("backend unavailable, retry later: {0}")]
    Unavailable(String),
    /// The store was closed ([`crate::Closable::close`]); nothing was changed. Every later call
    /// of every handle of that store fails with this error.
    #[error("the store is closed")]
    Closed,
}

/// The rules of game cloud data (behaviour §5), each with the reason the platforms print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CloudRule {
    /// `KVDataList` (or `keyList`) is not an array.
    #[error("KVDataList must be an Array")]
    ListNotArray,
    /// `KVDataList` is empty.
    #[error("KVDataList.length must greater than 0")]
    ListEmpty,
    /// An item is not `{key: String, value: String}` with a non-empty key.
    #[error("invalid KVData item")]
    InvalidItem,
    /// A key is longer than 128 UTF-8 bytes.
    #[error("some keys in list meet length exceed")]
    KeyTooLong,
    /// A key and its value together are longer than 1024 UTF-8 bytes.
    #[error("some key-value in list meet length exceed")]
    KeyValueTooLong,
    /// The user would hold more than 128 pairs in this game.
    #[error("user has stored too much keys. delete some keys and try again")]
    TooManyPairs,
    /// A leaderboard key's value is not the `ttgame` / `wxgame` JSON.
    #[error("invalid leaderboard value")]
    InvalidLeaderboardValue,
    /// `keyList` is not an array of strings.
    #[error("invalid keyList")]
    InvalidKeyList,
    /// A relation read's `type` is not `friend`, `group` or `recommend`.
    #[error("invalid relation type")]
    InvalidRelationType,
    /// `type: "group"` without both `extra.sortKey` and `extra.groupId`.
    #[error("extra.sortKey and extra.groupId are required when type is group")]
    GroupNeedsSortKeyAndGroupId,
    /// WeChat's `getGroupCloudStorage` without a `shareTicket` (or `groupid`).
    #[error("shareTicket or groupid is required")]
    GroupNeedsShareTicket,
    /// A read called from the main context rather than the open data context.
    #[error("can only be called in open data context")]
    NotOpenDataContext,
    /// The player is not logged in.
    #[error("get session id failed")]
    NotLoggedIn,
    /// Called from a mini-app rather than a mini-game.
    #[error("feature is not supported in app")]
    NotAGame,
    // Douyin's user groups and ImRank leaderboards (behaviour §5.1).
    /// A main-context API (`setImRankData`, `getImRankList`) called from the open data context.
    #[error("can only be called in main context")]
    NotMainContext,
    /// `setUserGroup`'s `groupId` is not a non-empty String.
    #[error("invalid groupId")]
    InvalidGroupId,
    /// An ImRank option that is not what it must be, with no finer rule (a text option that is
    /// not a String, or a String JavaScript cannot encode).
    #[error("invalid params")]
    ImRankParams,
    /// ImRank `dataType` is not 0 or 1.
    #[error("invalid params: dataType must be 0 or 1")]
    ImRankDataType,
    /// ImRank `value`: for dataType 0 not digits below 2147483647, for 1 not 1 to 128 bytes.
    #[error("invalid params: value must be an integer string in [0, 2147483647) for dataType 0, a string of 1 to 128 bytes for dataType 1")]
    ImRankValue,
    /// ImRank `priority` (dataType 1) is not an integer in [0, 2147483647].
    #[error("invalid params: priority must be an integer in [0, 2147483647]")]
    ImRankPriority,
    /// ImRank `extra` is not a String of at most 128 bytes.
    #[error("invalid params: extra must be a string of at most 128 bytes")]
    ImRankExtra,
    /// ImRank `zoneId` is not a String of 1 to 64 bytes.
    #[error("invalid params: zoneId must be a string of 1 to 64 bytes")]
    ImRankZone,
    /// An 11th zone besides `default` and `test`.
    #[error("invalid params: at most 10 zones besides default and test")]
    ImRankTooManyZones,
    /// ImRank `relationType` is not `friend` or `all`.
    #[error("invalid params: relationType must be friend or all")]
    ImRankRelationType,
    /// ImRank `rankType` is not `day`, `week`, `month` or `all`.
    #[error("invalid params: rankType must be day, week, month or all")]
    ImRankRankType,
    /// `getImRankData`'s `pageNum` is not an integer from 1, or `pageSize` not one of 1 to 39.
    #[error("invalid params: pageNum must be an integer from 1 and pageSize one from 1 to 39")]
    ImRankPage,
    /// WeChat interactive storage: a key that is not `'1'`–`'50'` (or, for
    /// `modifyFriendInteractiveStorage`, one the host has not configured for the game).
    #[error("invalid key")]
    InvalidInteractiveKey,
    /// `modifyFriendInteractiveStorage`: `opNum` is not a whole number from 1 to the key's
    /// configured maximum.
    #[error("invalid opNum")]
    InvalidOpNum,
    /// `modifyFriendInteractiveStorage`: `operation` is not `'add'`.
    #[error("invalid operation")]
    InvalidOperation,
    /// `modifyFriendInteractiveStorage`: `toUser` names no friend of the caller; the server's
    /// `setUserInteractiveData`: an empty or over-long openid.
    #[error("invalid openid")]
    InvalidOpenid,
    /// `modifyFriendInteractiveStorage`: the caller has used the key's daily allowance.
    #[error("exceed daily limit of the key")]
    InteractiveDailyLimit,
    /// `getUserInteractiveStorage`: the player has no session key (base64 of 16 bytes) to seal
    /// the result with.
    #[error("no session key, login first")]
    NoSessionKey,
}

impl From<CloudRule> for Error {
    fn from(rule: CloudRule) -> Self {
        Error::Cloud(rule)
    }
}

impl Error {
    /// Whether retrying the same call later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable(_))
    }
}
