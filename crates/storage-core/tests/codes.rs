//! Every row of behaviour §4 and §5's error table, per dialect.

use storage_core::codes::{platform_error, ApiKind, MY_STORAGE_FAILURE};
use storage_core::{CloudRule, Dialect, Error, JsType};

fn check(dialect: Dialect, kind: ApiKind, err: Error, code: Option<i64>, message: &str) {
    let got = platform_error(dialect, kind, &err);
    assert_eq!(
        (got.code, got.message.as_str()),
        (code, message),
        "{dialect:?} {kind:?} {err:?}"
    );
}

use ApiKind::{Cloud, LocalRead as Read, LocalWrite as Write};
use Dialect::{My, Tt, Wx};

fn wrong_key_type() -> Error {
    Error::WrongType {
        param: "key".into(),
        expected: JsType::String,
        actual: JsType::Number,
    }
}
fn missing_data() -> Error {
    Error::WrongType {
        param: "data".into(),
        expected: JsType::String,
        actual: JsType::Undefined,
    }
}
fn too_large() -> Error {
    Error::EntryTooLarge { size: 2, limit: 1 }
}
fn over_quota() -> Error {
    Error::QuotaExceeded { after: 2, limit: 1 }
}
fn not_found() -> Error {
    Error::NotFound { key: "city".into() }
}
fn io() -> Error {
    Error::Backend("disk full".into())
}
fn corrupt() -> Error {
    Error::Corrupt("bad tag".into())
}

#[test]
fn wechat_local_storage() {
    check(Wx, Write, Error::EmptyKey, Some(800_003), "invalid key");
    check(
        Wx,
        Write,
        wrong_key_type(),
        None,
        "parameter error: parameter.key should be String instead of Number;",
    );
    check(Wx, Write, too_large(), None, "entry size limit reached");
    check(Wx, Write, over_quota(), None, "quota reached");
    check(Wx, Read, not_found(), None, "data not found");
    check(Wx, Read, Error::EncryptMismatch, None, "encrypt mismatch");
    check(Wx, Write, io(), None, "internal error");
    check(Wx, Read, corrupt(), None, "internal error");
}

#[test]
fn alipay_local_storage() {
    check(My, Write, Error::EmptyKey, Some(2), "必填参数为空");
    check(My, Write, missing_data(), Some(2), "必填参数为空");
    check(My, Write, wrong_key_type(), Some(2), "参数无效");
    check(My, Write, too_large(), Some(14), "data长度超限");
    check(My, Write, over_quota(), Some(12), "存储总大小达到上限");
    check(My, Write, io(), Some(MY_STORAGE_FAILURE), "存储读写失败");
    check(
        My,
        Read,
        corrupt(),
        Some(MY_STORAGE_FAILURE),
        "存储读写失败",
    );
    assert!(![2, 12, 14].contains(&MY_STORAGE_FAILURE));
}

#[test]
fn douyin_local_storage() {
    check(Tt, Write, Error::EmptyKey, Some(20_000), "key is illegal");
    check(Tt, Write, wrong_key_type(), Some(20_001), "invalid param");
    check(Tt, Write, missing_data(), Some(20_001), "invalid param");
    check(
        Tt,
        Write,
        too_large(),
        Some(21_101),
        "exceed storage item max length",
    );
    check(
        Tt,
        Write,
        over_quota(),
        Some(21_102),
        "exceed storage max size 10Mb",
    );
    check(
        Tt,
        Read,
        not_found(),
        Some(21_101),
        "data not found, key == city",
    );
    check(Tt, Write, io(), Some(21_103), "set storage fail");
    check(Tt, Read, corrupt(), Some(20_000), "internal error");
}

#[test]
fn game_cloud_data() {
    check(
        Tt,
        Cloud,
        CloudRule::NotLoggedIn.into(),
        Some(999_998),
        "get session id failed",
    );
    check(
        Tt,
        Cloud,
        CloudRule::NotAGame.into(),
        Some(999_987),
        "feature is not supported in app",
    );
    check(
        Tt,
        Cloud,
        CloudRule::KeyTooLong.into(),
        Some(999_999),
        "some keys in list meet length exceed",
    );
    check(
        Tt,
        Cloud,
        CloudRule::KeyValueTooLong.into(),
        Some(999_999),
        "some key-value in list meet length exceed",
    );
    check(
        Tt,
        Cloud,
        CloudRule::InvalidItem.into(),
        Some(999_999),
        "invalid KVData item",
    );
    check(Tt, Cloud, io(), Some(999_993), "internal error");
    check(
        Wx,
        Cloud,
        CloudRule::KeyValueTooLong.into(),
        None,
        "some key-value in list meet length exceed",
    );
    check(
        Wx,
        Cloud,
        CloudRule::InvalidItem.into(),
        None,
        "invalid KVData item",
    );
    check(Wx, Cloud, io(), None, "internal error");
    check(
        Wx,
        Cloud,
        CloudRule::NotLoggedIn.into(),
        None,
        "must login before calling",
    );
}

#[test]
fn a_closed_store() {
    check(Wx, Read, Error::Closed, None, "store closed");
    check(Wx, Write, Error::Closed, None, "store closed");
    check(Wx, Cloud, Error::Closed, None, "store closed");
    check(
        My,
        Read,
        Error::Closed,
        Some(MY_STORAGE_FAILURE),
        "存储已关闭",
    );
    check(
        My,
        Write,
        Error::Closed,
        Some(MY_STORAGE_FAILURE),
        "存储已关闭",
    );
    check(Tt, Read, Error::Closed, Some(20_000), "store closed");
    check(Tt, Write, Error::Closed, Some(21_103), "store closed");
    check(Tt, Cloud, Error::Closed, Some(999_993), "store closed");
}
