//! The dialects: every platform whose storage APIs mpstore speaks, each specified as data
//! ([`Spec`]): its limits ([`Policy`]), how its results and failures are shaped, what its Sync
//! forms take and do on failure, what a missing key reads as, and the rows of the one error
//! table ([`crate::codes`]) it uses. Names are parsed here and nowhere else.
//!
//! Adding a dialect is a variant of [`Dialect`], a [`Policy`], and one [`Spec`] of rows; only a
//! shape nobody has yet is code.

use crate::codes::ApiKind;
use crate::error::{Error, Result};
use crate::policy::Policy;
use crate::value::Values;

/// A platform dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// WeChat, `wx.*`.
    Wx,
    /// Alipay, `my.*`.
    My,
    /// Douyin mini-games, `tt.*`.
    Tt,
    /// QQ mini-programs and games, `qq.*`.
    Qq,
    /// Kuaishou, `ks.*`.
    Ks,
    /// Baidu, `swan.*`.
    Swan,
    /// Douyin mini-apps (not games), `tt.*`: the mini-app error dialect.
    TtApp,
    /// Feishu / Lark, `tt.*` in another host.
    Lark,
    /// DingTalk, `dd.*`: Alipay's runtime family.
    Dd,
}

/// How a dialect's results and failures look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `{errMsg: "<api>:ok", …}` successes and `{errMsg: "<api>:fail <reason>", <code>}`
    /// failures; `code` names the code's field (`errno`, `errNo`, `errCode`, `errorCode`).
    ErrMsg {
        /// The field a failure's code goes in, unless its row names another.
        code: &'static str,
    },
    /// Alipay's: `{success: true}` / `{data}` successes, `{error, errorMessage}` failures.
    Alipay,
}

/// What a Sync form does when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncFailure {
    /// Throws an `Error` whose message is `errMsg`.
    Throw,
    /// Returns an `Error` (Baidu, from base library 3.140.1).
    ReturnError,
    /// Returns `{success: false, error, errorMessage}` (Alipay).
    ReturnObject,
}

/// What an async `getStorage` of a missing key does (a Sync read returns `""`, or Alipay's
/// `{data: null}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MissingKey {
    /// Fails with the dialect's not-found failure.
    Fail,
    /// Succeeds with `data: ""`.
    Empty,
    /// Succeeds with `data: null`.
    Null,
}

/// Which failures a row of the error table covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The key is empty.
    EmptyKey,
    /// A required parameter is missing (`undefined`).
    Missing,
    /// A parameter has the wrong type.
    WrongType,
    /// Any other invalid parameter.
    InvalidParam,
    /// An entry over the per-entry limit.
    EntryTooLarge,
    /// The namespace's quota.
    Quota,
    /// No entry under the key.
    NotFound,
    /// WeChat's `encrypt` read the other way.
    EncryptMismatch,
    /// The store was closed.
    Closed,
    /// Anything else: the backend failed, a record is damaged.
    Failure,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 10] = [
        Kind::EmptyKey,
        Kind::Missing,
        Kind::WrongType,
        Kind::InvalidParam,
        Kind::EntryTooLarge,
        Kind::Quota,
        Kind::NotFound,
        Kind::EncryptMismatch,
        Kind::Closed,
        Kind::Failure,
    ];

    /// The row kind of `err`.
    pub fn of(err: &Error) -> Kind {
        match err {
            Error::EmptyKey => Kind::EmptyKey,
            Error::WrongType { actual, .. } if *actual == crate::JsType::Undefined => Kind::Missing,
            Error::WrongType { .. } => Kind::WrongType,
            Error::InvalidParam(_) => Kind::InvalidParam,
            Error::EntryTooLarge { .. } => Kind::EntryTooLarge,
            Error::QuotaExceeded { .. } | Error::LimitExceeded { .. } => Kind::Quota,
            Error::NotFound { .. } => Kind::NotFound,
            Error::EncryptMismatch => Kind::EncryptMismatch,
            Error::Closed => Kind::Closed,
            _ => Kind::Failure,
        }
    }
}

/// One row of the error table: the failures of `kinds` (in APIs of `api`, or all) are reported
/// with `code` (in the field `field`, or the shape's) and `message`. In a message, `{error}`
/// stands for the error's own text, `{detail}` for an invalid parameter's detail, `{key}` for
/// the key not found, and `{parameter}`, `{expected}`, `{actual}` for a wrongly typed
/// parameter (see [`crate::codes::platform_error_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The failures this row covers.
    pub kinds: &'static [Kind],
    /// Only in APIs of this family (`None`: every local-storage API).
    pub api: Option<ApiKind>,
    /// The code, if the dialect gives one.
    pub code: Option<i64>,
    /// The code's field when it is not the shape's (a Douyin mini-app's `errNo` beside its
    /// `errorCode`).
    pub field: Option<&'static str>,
    /// Douyin mini-apps' `errorType` (`D`: the developer's mistake).
    pub error_type: Option<&'static str>,
    /// The reason (`errMsg` after `<api>:fail `, or Alipay's `errorMessage`).
    pub message: &'static str,
}

/// A row in few words: `row(kinds, code, message)`.
const fn row(kinds: &'static [Kind], code: Option<i64>, message: &'static str) -> Row {
    Row {
        kinds,
        api: None,
        code,
        field: None,
        error_type: None,
        message,
    }
}

/// A row for one family of APIs only.
const fn row_in(
    api: ApiKind,
    kinds: &'static [Kind],
    code: Option<i64>,
    message: &'static str,
) -> Row {
    Row {
        api: Some(api),
        ..row(kinds, code, message)
    }
}

/// One dialect, as data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The dialect.
    pub dialect: Dialect,
    /// Its name, as hosts name it (`wx`, `tt-app`, `lark`…).
    pub name: &'static str,
    /// The API object a mini-program calls (`wx`, `tt`…).
    pub object: &'static str,
    /// Limits and units.
    pub policy: Policy,
    /// How results and failures look.
    pub shape: Shape,
    /// Whether the Sync forms take one options object (Alipay) rather than positional arguments.
    pub sync_object: bool,
    /// What a Sync form does when it fails.
    pub sync_failure: SyncFailure,
    /// What an async read of a missing key does.
    pub missing_key: MissingKey,
    /// Whether `setStorage` may omit `data` (it then stores `undefined`).
    pub data_optional: bool,
    /// Whether it has WeChat's batch APIs.
    pub batch: bool,
    /// What storing does to a value (the platform's `JSON.stringify` round trip, or none).
    pub values: Values,
    /// The rows of the error table it uses, first match wins.
    pub errors: &'static [Row],
}

use Kind::*;

const PARAMS: &[Kind] = &[Missing, WrongType];

/// WeChat's parameter error, as its base library words it (the `;` included).
const WX_PARAMS: &str = "parameter error: {parameter} should be {expected} instead of {actual};";

/// The rows of WeChat's runtime, whose texts QQ's and Kuaishou's share where their own are not
/// known: only the empty-key row differs between them.
macro_rules! wx_family_rows {
    ($empty_key:expr) => {
        &[
            $empty_key,
            row(PARAMS, None, WX_PARAMS),
            row(&[InvalidParam], None, "parameter error: {detail}"),
            row(&[EntryTooLarge], None, "entry size limit reached"),
            row(&[Quota], None, "quota reached"),
            row(&[NotFound], None, "data not found"),
            row(&[EncryptMismatch], None, "encrypt mismatch"),
            row(&[Closed], None, "store closed"),
            row(&[Failure], None, "internal error"),
        ]
    };
}

const WX_ROWS: &[Row] = wx_family_rows!(row(&[EmptyKey], Some(800_003), "invalid key"));

const MY_ROWS: &[Row] = &[
    row(&[EmptyKey, Missing], Some(2), "必填参数为空"),
    row(
        &[WrongType, InvalidParam, EncryptMismatch],
        Some(2),
        "参数无效",
    ),
    row(&[EntryTooLarge], Some(14), "data长度超限"),
    row(&[Quota], Some(12), "存储总大小达到上限"),
    row(&[NotFound], Some(11), "查无此key"),
    // The platform documents only 2, 12 and 14; 3 for a storage failure is the project's choice.
    row(
        &[Closed],
        Some(crate::codes::MY_STORAGE_FAILURE),
        "存储已关闭",
    ),
    row(
        &[Failure],
        Some(crate::codes::MY_STORAGE_FAILURE),
        "存储读写失败",
    ),
];

const TT_ROWS: &[Row] = &[
    row(&[EmptyKey], Some(20_000), "key is illegal"),
    row(
        &[Missing, WrongType, InvalidParam, EncryptMismatch],
        Some(20_001),
        "invalid param",
    ),
    row(
        &[EntryTooLarge],
        Some(21_101),
        "exceed storage item max length",
    ),
    row(&[Quota], Some(21_102), "exceed storage max size 10Mb"),
    row(&[NotFound], Some(21_101), "data not found, key == {key}"),
    row_in(ApiKind::LocalWrite, &[Closed], Some(21_103), "store closed"),
    row(&[Closed], Some(20_000), "store closed"),
    row_in(
        ApiKind::LocalWrite,
        &[Failure],
        Some(21_103),
        "set storage fail",
    ),
    row(&[Failure], Some(20_000), "internal error"),
];

const QQ_ROWS: &[Row] = wx_family_rows!(row(&[EmptyKey], None, "key is empty"));

const KS_ROWS: &[Row] = wx_family_rows!(row(&[EmptyKey], None, "invalid key"));

const SWAN_ROWS: &[Row] = &[
    row(
        &[EmptyKey, Missing, WrongType, InvalidParam, EncryptMismatch],
        Some(202),
        "解析失败，请检查参数是否正确",
    ),
    row(&[EntryTooLarge, Quota], Some(1003), "超过最大存储文件大小"),
    row(&[Closed], Some(1001), "store closed"),
    row(&[NotFound, Failure], Some(1001), "执行失败"),
];

/// A Douyin mini-app's parameter failure: its `errorCode` and `errorType` "D".
const fn tt_app_param(api: ApiKind, kinds: &'static [Kind], message: &'static str) -> Row {
    let code = match api {
        ApiKind::LocalRead => 100_599,
        _ => 117_799,
    };
    Row {
        error_type: Some("D"),
        ..row_in(api, kinds, Some(code), message)
    }
}

/// A Douyin mini-app failure that keeps the mini-game's `errNo`.
const fn tt_app_errno(
    api: Option<ApiKind>,
    kinds: &'static [Kind],
    code: i64,
    message: &'static str,
) -> Row {
    Row {
        api,
        field: Some("errNo"),
        ..row(kinds, Some(code), message)
    }
}

const TT_APP_ROWS: &[Row] = &[
    tt_app_param(
        ApiKind::LocalWrite,
        &[EmptyKey],
        "the length of params.key should be greater than or equal to 1",
    ),
    tt_app_param(
        ApiKind::LocalRead,
        &[EmptyKey],
        "the length of inputs[0] should be greater than or equal to 1",
    ),
    tt_app_param(ApiKind::LocalWrite, PARAMS, "params.key should be string"),
    tt_app_param(ApiKind::LocalRead, PARAMS, "inputs[0] should be string"),
    tt_app_param(
        ApiKind::LocalWrite,
        &[InvalidParam, EncryptMismatch, NotFound],
        "{detail}",
    ),
    tt_app_param(
        ApiKind::LocalRead,
        &[InvalidParam, EncryptMismatch, NotFound],
        "{detail}",
    ),
    tt_app_errno(
        None,
        &[EntryTooLarge],
        21_101,
        "exceed storage item max length",
    ),
    tt_app_errno(None, &[Quota], 21_102, "exceed storage max size 10Mb"),
    tt_app_errno(Some(ApiKind::LocalWrite), &[Closed], 21_103, "store closed"),
    tt_app_errno(None, &[Closed], 20_000, "store closed"),
    tt_app_errno(
        Some(ApiKind::LocalWrite),
        &[Failure],
        21_103,
        "set storage fail",
    ),
    tt_app_errno(None, &[Failure], 20_000, "internal error"),
];

const LARK_ROWS: &[Row] = &[
    row(
        &[EmptyKey],
        None,
        "the length of params.key should be greater than or equal to 1",
    ),
    row(PARAMS, None, "params.key should be string"),
    row(&[InvalidParam, EncryptMismatch, NotFound], None, "{detail}"),
    row(&[EntryTooLarge], None, "exceed storage item max length"),
    row(&[Quota], None, "exceed storage max size 10Mb"),
    row(&[Closed], None, "store closed"),
    row(&[Failure], None, "internal error"),
];

/// DingTalk: Alipay's texts and codes, and a missing key that fails with 11 (reported).
const DD_ROWS: &[Row] = MY_ROWS;

/// WeChat's shape and forms, which most dialects share.
const WX_LIKE: Spec = Spec {
    dialect: Dialect::Wx,
    name: "wx",
    object: "wx",
    policy: Policy::WX,
    shape: Shape::ErrMsg { code: "errno" },
    sync_object: false,
    sync_failure: SyncFailure::Throw,
    missing_key: MissingKey::Fail,
    data_optional: false,
    batch: true,
    values: Values::JsonInside,
    errors: WX_ROWS,
};

/// Every dialect, in the order of [`Dialect`]'s variants.
pub const SPECS: [Spec; 9] = [
    WX_LIKE,
    Spec {
        dialect: Dialect::My,
        name: "my",
        object: "my",
        policy: Policy::MY,
        shape: Shape::Alipay,
        sync_object: true,
        sync_failure: SyncFailure::ReturnObject,
        missing_key: MissingKey::Null,
        batch: false,
        values: Values::Json,
        errors: MY_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::Tt,
        name: "tt",
        object: "tt",
        policy: Policy::TT,
        shape: Shape::ErrMsg { code: "errNo" },
        batch: false,
        values: Values::Exact,
        errors: TT_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::Qq,
        name: "qq",
        object: "qq",
        policy: Policy::QQ,
        shape: Shape::ErrMsg { code: "errCode" },
        batch: false,
        errors: QQ_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::Ks,
        name: "ks",
        object: "ks",
        policy: Policy::KS,
        shape: Shape::ErrMsg { code: "errCode" },
        batch: false,
        errors: KS_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::Swan,
        name: "swan",
        object: "swan",
        policy: Policy::SWAN,
        shape: Shape::ErrMsg { code: "errCode" },
        sync_failure: SyncFailure::ReturnError,
        missing_key: MissingKey::Empty,
        batch: false,
        values: Values::Json,
        errors: SWAN_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::TtApp,
        name: "tt-app",
        object: "tt",
        policy: Policy::TT_APP,
        shape: Shape::ErrMsg { code: "errorCode" },
        missing_key: MissingKey::Empty,
        data_optional: true,
        batch: false,
        values: Values::Exact,
        errors: TT_APP_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::Lark,
        name: "lark",
        object: "tt",
        policy: Policy::LARK,
        shape: Shape::ErrMsg { code: "errorCode" },
        missing_key: MissingKey::Empty,
        data_optional: true,
        batch: false,
        values: Values::Exact,
        errors: LARK_ROWS,
        ..WX_LIKE
    },
    Spec {
        dialect: Dialect::Dd,
        name: "dd",
        object: "dd",
        policy: Policy::DD,
        shape: Shape::Alipay,
        sync_object: true,
        sync_failure: SyncFailure::ReturnObject,
        missing_key: MissingKey::Fail,
        batch: false,
        values: Values::Json,
        errors: DD_ROWS,
        ..WX_LIKE
    },
];

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 9] = [
        Dialect::Wx,
        Dialect::My,
        Dialect::Tt,
        Dialect::Qq,
        Dialect::Ks,
        Dialect::Swan,
        Dialect::TtApp,
        Dialect::Lark,
        Dialect::Dd,
    ];

    /// This dialect's specification.
    pub fn spec(self) -> &'static Spec {
        &SPECS[self as usize]
    }

    /// The dialect's name: `wx`, `my`, `tt`, `qq`, `ks`, `swan`, `tt-app`, `lark`.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The local-storage policy of this dialect.
    pub fn policy(self) -> &'static Policy {
        &self.spec().policy
    }
}

impl std::str::FromStr for Dialect {
    type Err = Error;
    /// The one place dialect names are parsed.
    ///
    /// ```
    /// use storage_core::Dialect;
    /// assert_eq!("tt-app".parse::<Dialect>().unwrap(), Dialect::TtApp);
    /// assert!("xx".parse::<Dialect>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self> {
        SPECS
            .iter()
            .find(|spec| spec.name == s)
            .map(|spec| spec.dialect)
            .ok_or_else(|| {
                let names: Vec<_> = SPECS.iter().map(|s| s.name).collect();
                Error::InvalidParam(format!(
                    "unknown dialect {s:?}: expected one of {}",
                    names.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_are_in_the_order_of_the_variants() {
        for d in Dialect::ALL {
            assert_eq!(d.spec().dialect, d);
            assert_eq!(d.policy().dialect, d);
            assert_eq!(d.name().parse::<Dialect>().unwrap(), d);
        }
    }

    #[test]
    fn every_dialect_has_a_row_for_every_kind_in_every_family() {
        for d in Dialect::ALL {
            for kind in Kind::ALL {
                for api in [ApiKind::LocalRead, ApiKind::LocalWrite] {
                    assert!(
                        d.spec()
                            .errors
                            .iter()
                            .any(|r| r.kinds.contains(&kind) && r.api.is_none_or(|a| a == api)),
                        "{d:?} has no row for {kind:?} in {api:?}"
                    );
                }
            }
        }
    }
}
