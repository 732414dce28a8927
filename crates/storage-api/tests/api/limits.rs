//! The size rows of behaviour §4 at their exact limits: per-entry limits (UTF-16 for wx and my,
//! UTF-8 for tt, with multi-byte and astral characters straddling each boundary), the 10 MB total
//! reached and passed, and WeChat's `encrypt` (1.4× on both limits, and the mismatch rule).

use crate::common::*;
use serde_json::{json, Value};
use storage_api::{GetStorageOption, SetStorageOption};
use storage_core::{Dialect, JsObject, JsValue};

const QUOTA: u64 = 10_485_760;
const WX_ENTRY: usize = 1_048_576;
const MY_ENTRY: usize = 204_800;
const TT_ENTRY: usize = 1_048_576;

#[derive(Debug, Clone, Copy)]
enum Outcome {
    Ok,
    TooLarge,
    Full,
}
use Outcome::*;

/// Exactly what `setStorage` (or `setStorageSync`) of dialect `d` gives for `outcome`.
fn expected(d: Dialect, sync: bool, outcome: Outcome) -> Value {
    let api = if sync { "setStorageSync" } else { "setStorage" };
    let body = match (d, outcome) {
        (Wx | Tt, Ok) if sync => Value::Null,
        (Wx | Tt, Ok) => json!({"errMsg": format!("{api}:ok")}),
        (My, Ok) => json!({"success": true}),
        (Wx, TooLarge) => json!({"errMsg": format!("{api}:fail entry size limit reached")}),
        (Wx, Full) => json!({"errMsg": format!("{api}:fail quota reached")}),
        (My, TooLarge) => json!({"error": 14, "errorMessage": "data长度超限"}),
        (My, Full) => json!({"error": 12, "errorMessage": "存储总大小达到上限"}),
        (Tt, TooLarge) => {
            json!({"errMsg": format!("{api}:fail exceed storage item max length"), "errNo": 21101})
        }
        (Tt, Full) => {
            json!({"errMsg": format!("{api}:fail exceed storage max size 10Mb"), "errNo": 21102})
        }
        _ => unreachable!("the typed facades are wx, my and tt"),
    };
    match (d, sync, outcome) {
        (My, true, Ok) => json!({"return": body}),
        (My, true, _) => {
            let mut failure = json!({"success": false});
            failure
                .as_object_mut()
                .unwrap()
                .extend(body.as_object().unwrap().clone());
            json!({"return": failure})
        }
        (_, true, Ok) => json!({"return": body}),
        (_, true, _) => json!({"throw": body}),
        (_, false, Ok) => json!({"success": body}),
        (_, false, _) => json!({"fail": body}),
    }
}

/// With the namespace filled to `filled`, writing `key = data` (async, then Sync on a fresh
/// namespace) gives `outcome`; a refused write leaves the usage at `filled`.
fn write_at(d: Dialect, filled: u64, key: &str, data: impl Into<JsValue>, outcome: Outcome) {
    let data = data.into();
    for sync in [false, true] {
        let (store, mp) = fresh_store();
        fill(&mp, d, filled);
        let before = snapshot(&store, &mp);
        let got = if sync {
            set_sync(&mp, d, key, data.clone())
        } else {
            set(&mp, d, key, data.clone())
        };
        assert_eq!(
            got,
            expected(d, sync, outcome),
            "{d:?} sync={sync} filled={filled}"
        );
        if !matches!(outcome, Ok) {
            assert_eq!(
                snapshot(&store, &mp),
                before,
                "{d:?}: a refused write changed the store"
            );
        }
    }
}

/// On an empty namespace, `key = data` gives `outcome`.
fn entry(d: Dialect, key: &str, data: impl Into<JsValue>, outcome: Outcome) {
    write_at(d, 0, key, data, outcome);
}

#[rustfmt::skip]
#[test]
fn wx_entry_limit_counts_key_and_value_in_utf16_units() {
    entry(Wx, "k", rep("x", WX_ENTRY - 1), Ok);
    entry(Wx, "k", rep("x", WX_ENTRY), TooLarge);
    entry(Wx, "key😀", rep("x", WX_ENTRY - 5), Ok);
    entry(Wx, "key😀", rep("x", WX_ENTRY - 4), TooLarge);
    entry(Wx, "k", rep("杭", WX_ENTRY - 1), Ok);
    entry(Wx, "k", rep("杭", WX_ENTRY), TooLarge);
    entry(Wx, "k", xs_then(WX_ENTRY - 3, "😀"), Ok);
    entry(Wx, "k", xs_then(WX_ENTRY - 2, "😀"), TooLarge);
    // An object is measured as its JSON text: {"a":"xx…"} is 8 units more than its string.
    let obj = |n| JsValue::from([("a", rep("x", n))].into_iter().collect::<JsObject>());
    entry(Wx, "k", obj(WX_ENTRY - 9), Ok);
    entry(Wx, "k", obj(WX_ENTRY - 8), TooLarge);
}

#[rustfmt::skip]
#[test]
fn my_entry_limit_counts_the_value_alone_in_utf16_units() {
    entry(My, "k", rep("x", MY_ENTRY), Ok);
    entry(My, "k", rep("x", MY_ENTRY + 1), TooLarge);
    entry(My, &rep("k", 5000), rep("x", MY_ENTRY), Ok);
    entry(My, "k", rep("杭", MY_ENTRY), Ok);
    entry(My, "k", rep("杭", MY_ENTRY + 1), TooLarge);
    entry(My, "k", xs_then(MY_ENTRY - 2, "😀"), Ok);
    entry(My, "k", xs_then(MY_ENTRY - 1, "😀"), TooLarge);
    entry(My, "k", JsValue::from(vec![JsValue::from(rep("x", MY_ENTRY - 4))]), Ok);
    entry(My, "k", JsValue::from(vec![JsValue::from(rep("x", MY_ENTRY - 3))]), TooLarge);
}

#[rustfmt::skip]
#[test]
fn tt_entry_limit_counts_the_value_alone_in_utf8_bytes() {
    entry(Tt, "k", rep("x", TT_ENTRY), Ok);
    entry(Tt, "k", rep("x", TT_ENTRY + 1), TooLarge);
    entry(Tt, &rep("k", 5000), rep("x", TT_ENTRY), Ok);
    // 349,525 × 3 bytes = 1,048,575.
    entry(Tt, "k", rep("杭", 349_525), Ok);
    entry(Tt, "k", xs_then(1, &rep("杭", 349_525)), Ok);
    entry(Tt, "k", rep("杭", 349_526), TooLarge);
    entry(Tt, "k", rep("😀", 262_144), Ok);
    entry(Tt, "k", xs_then(1, &rep("😀", 262_144)), TooLarge);
    entry(Tt, "k", xs_then(TT_ENTRY - 4, "😀"), Ok);
    entry(Tt, "k", xs_then(TT_ENTRY - 3, "😀"), TooLarge);
}

#[rustfmt::skip]
#[test]
fn wx_refuses_a_write_that_reaches_the_quota() {
    write_at(Wx, QUOTA - 1000, "k", rep("x", 998), Ok);
    write_at(Wx, QUOTA - 1000, "k", rep("x", 999), Full);
    write_at(Wx, QUOTA - 1000, "k", rep("x", 1000), Full);
    write_at(Wx, QUOTA - 3, "k", "杭", Ok);
    write_at(Wx, QUOTA - 3, "k", "😀", Full);
}

#[test]
fn my_and_tt_refuse_a_write_that_passes_the_quota() {
    for d in [My, Tt] {
        write_at(d, QUOTA - 1000, "k", rep("x", 999), Ok);
        write_at(d, QUOTA - 1000, "k", rep("x", 1000), Full);
    }
    write_at(My, QUOTA - 3, "k", "😀", Ok);
    write_at(My, QUOTA - 3, "k", "😀x", Full);
    write_at(Tt, QUOTA - 4, "k", "杭", Ok);
    write_at(Tt, QUOTA - 4, "k", "😀", Full);
}

#[test]
fn at_the_quota_an_overwrite_may_shrink_but_not_grow() {
    for d in crate::common::TYPED {
        let (store, mp) = fresh_store();
        let full = if d == Wx { QUOTA - 1 } else { QUOTA };
        fill(&mp, d, full);
        assert_eq!(storage_info(&mp, d).current_size, 10_240, "{d:?}");
        assert_eq!(
            set(&mp, d, "f0000", "x".repeat(200_001)),
            expected(d, false, Full),
            "{d:?}"
        );
        assert_eq!(
            set(&mp, d, "f0000", "x".repeat(10)),
            expected(d, false, Ok),
            "{d:?}"
        );
        assert_eq!(snapshot(&store, &mp).usage_bytes, full - 199_990, "{d:?}");
    }
}

/// WeChat, `setStorage({key, data, encrypt})` on a namespace filled to `filled`.
fn encrypted_at(filled: u64, key: &str, data: impl Into<JsValue>, outcome: Outcome) {
    let (store, mp) = fresh_store();
    fill(&mp, Wx, filled);
    let before = snapshot(&store, &mp);
    let got = set_with(&mp, Wx, SetStorageOption::new(key, data).encrypt(true));
    assert_eq!(got, expected(Wx, false, outcome), "filled={filled}");
    if !matches!(outcome, Ok) {
        assert_eq!(snapshot(&store, &mp), before);
    }
}

#[rustfmt::skip]
#[test]
fn encrypt_charges_one_point_four_times_against_both_limits() {
    // Entry: ceil(748,982 × 1.4) = 1,048,575 fits; ceil(748,983 × 1.4) = 1,048,577 does not.
    encrypted_at(0, "k", rep("x", 748_981), Ok);
    encrypted_at(0, "k", rep("x", 748_982), TooLarge);
    encrypted_at(0, "k", xs_then(748_979, "😀"), Ok);
    encrypted_at(0, "k", xs_then(748_980, "😀"), TooLarge);
    // Total: 748,576 left; ceil(534,697 × 1.4) = 748,576 reaches the quota, 534,696 → 748,575
    // does not, and the same entry without encrypt fits easily.
    let left = 748_576;
    encrypted_at(QUOTA - left, "k", rep("x", 534_695), Ok);
    encrypted_at(QUOTA - left, "k", rep("x", 534_696), Full);
    write_at(Wx, QUOTA - left, "k", rep("x", 534_696), Ok);
}

#[test]
fn encrypt_is_counted_in_usage() {
    let (store, mp) = fresh_store();
    set_with(
        &mp,
        Wx,
        SetStorageOption::new("k", rep("x", 1023)).encrypt(true),
    );
    // 1,024 × 1.4 = 1,433.6 → 1,434 bytes: 2 KB where the plain entry is 1 KB.
    assert_eq!(snapshot(&store, &mp).usage_bytes, 1434);
    assert_eq!(storage_info(&mp, Wx).current_size, 2);
}

#[rustfmt::skip]
#[test]
fn an_encrypted_entry_must_be_read_with_encrypt() {
    let mp = fresh();
    let enc = |k: &str| GetStorageOption::new(k).encrypt(true);
    set_with(&mp, Wx, SetStorageOption::new("secret", "s3cret").encrypt(true));
    set(&mp, Wx, "plain", "p");
    let wx = mp.wx();
    assert_eq!(get_with(&mp, Wx, enc("secret")), json!({"success": {"data": "s3cret", "errMsg": "getStorage:ok"}}));
    assert_eq!(get(&mp, Wx, "secret"), json!({"fail": {"errMsg": "getStorage:fail encrypt mismatch"}}));
    assert_eq!(get_sync(&mp, Wx, "secret"), json!({"throw": {"errMsg": "getStorageSync:fail encrypt mismatch"}}));
    assert_eq!(json!(storage_core::block_on(wx.batch_get_storage(["plain", "secret"])).unwrap_err()), json!({"errMsg": "batchGetStorage:fail encrypt mismatch"}));
    assert_eq!(json!(wx.batch_get_storage_sync(["secret"]).unwrap_err()), json!({"errMsg": "batchGetStorageSync:fail encrypt mismatch"}));
    assert_eq!(get_with(&mp, Wx, enc("plain")), json!({"fail": {"errMsg": "getStorage:fail encrypt mismatch"}}));
    assert_eq!(get_with(&mp, Wx, enc("missing")), json!({"fail": {"errMsg": "getStorage:fail data not found"}}));
    // Overwriting without encrypt makes it a plain entry again.
    set(&mp, Wx, "secret", "now plain");
    assert_eq!(get_sync(&mp, Wx, "secret"), json!({"return": "now plain"}));
}

#[test]
fn encrypt_is_an_async_wechat_option_only() {
    // Sync forms and the other dialects have no such option: it is ignored, the entry is plain.
    for d in crate::common::TYPED {
        let (store, mp) = fresh_store();
        set_sync_with(&mp, d, SetStorageOption::new("a", "x").encrypt(true));
        if d != Wx {
            set_with(&mp, d, SetStorageOption::new("b", "x").encrypt(true));
        }
        assert_eq!(get_sync(&mp, Wx, "a"), json!({"return": "x"}), "{d:?}");
        let plain_usage = if d == Wx { 2 } else { 4 };
        assert_eq!(snapshot(&store, &mp).usage_bytes, plain_usage, "{d:?}");
    }
}
