//! Every API's result shape per dialect, and the missing-key rows of behaviour §4.

use crate::common::*;
use serde_json::{json, Value};
use storage_api::MiniProgram;
use storage_core::Dialect;

/// On a namespace holding `k = "v"`, `call` gives exactly `expected`.
fn check(d: Dialect, call: impl Fn(&MiniProgram, Dialect) -> Value, expected: Value) {
    let mp = fresh();
    assert_eq!(set_sync(&mp, Wx, "k", "v"), json!({"return": null}));
    assert_eq!(call(&mp, d), expected, "{d:?}");
}

#[rustfmt::skip]
#[test]
fn async_successes() {
    check(Wx, |mp, d| set(mp, d, "k", "w"), json!({"success": {"errMsg": "setStorage:ok"}}));
    check(My, |mp, d| set(mp, d, "k", "w"), json!({"success": {"success": true}}));
    check(Tt, |mp, d| set(mp, d, "k", "w"), json!({"success": {"errMsg": "setStorage:ok"}}));
    check(Wx, |mp, d| get(mp, d, "k"), json!({"success": {"data": "v", "errMsg": "getStorage:ok"}}));
    check(My, |mp, d| get(mp, d, "k"), json!({"success": {"data": "v"}}));
    check(Tt, |mp, d| get(mp, d, "k"), json!({"success": {"data": "v", "errMsg": "getStorage:ok"}}));
    check(Wx, |mp, d| remove(mp, d, "k"), json!({"success": {"errMsg": "removeStorage:ok"}}));
    check(My, |mp, d| remove(mp, d, "k"), json!({"success": {"success": true}}));
    check(Tt, |mp, d| remove(mp, d, "k"), json!({"success": {"errMsg": "removeStorage:ok"}}));
    check(Wx, |mp, d| remove(mp, d, "nope"), json!({"success": {"errMsg": "removeStorage:ok"}}));
    check(My, |mp, d| remove(mp, d, "nope"), json!({"success": {"success": true}}));
    check(Tt, |mp, d| remove(mp, d, "nope"), json!({"success": {"errMsg": "removeStorage:ok"}}));
    check(Wx, clear, json!({"success": {"errMsg": "clearStorage:ok"}}));
    check(My, clear, json!({"success": {"success": true}}));
    check(Tt, clear, json!({"success": {"errMsg": "clearStorage:ok"}}));
    check(Wx, info, json!({"success": {"keys": ["k"], "currentSize": 1, "limitSize": 10240, "errMsg": "getStorageInfo:ok"}}));
    check(My, info, json!({"success": {"keys": ["k"], "currentSize": 1, "limitSize": 10240}}));
    check(Tt, info, json!({"success": {"keys": ["k"], "currentSize": 1, "limitSize": 10240, "errMsg": "getStorageInfo:ok"}}));
}

#[rustfmt::skip]
#[test]
fn sync_returns() {
    check(Wx, |mp, d| set_sync(mp, d, "k", "w"), json!({"return": null}));
    check(My, |mp, d| set_sync(mp, d, "k", "w"), json!({"return": {"success": true}}));
    check(Tt, |mp, d| set_sync(mp, d, "k", "w"), json!({"return": null}));
    check(Wx, |mp, d| get_sync(mp, d, "k"), json!({"return": "v"}));
    check(My, |mp, d| get_sync(mp, d, "k"), json!({"return": {"data": "v"}}));
    check(Tt, |mp, d| get_sync(mp, d, "k"), json!({"return": "v"}));
    check(Wx, |mp, d| remove_sync(mp, d, "k"), json!({"return": null}));
    check(My, |mp, d| remove_sync(mp, d, "k"), json!({"return": {"success": true}}));
    check(Tt, |mp, d| remove_sync(mp, d, "nope"), json!({"return": null}));
    check(Wx, clear_sync, json!({"return": null}));
    check(My, clear_sync, json!({"return": {"success": true}}));
    check(Tt, clear_sync, json!({"return": null}));
    check(Wx, info_sync, json!({"return": {"keys": ["k"], "currentSize": 1, "limitSize": 10240}}));
    check(My, info_sync, json!({"return": {"keys": ["k"], "currentSize": 1, "limitSize": 10240}}));
    check(Tt, info_sync, json!({"return": {"keys": ["k"], "currentSize": 1, "limitSize": 10240}}));
}

#[rustfmt::skip]
#[test]
fn missing_key() {
    check(Wx, |mp, d| get(mp, d, "nope"), json!({"fail": {"errMsg": "getStorage:fail data not found"}}));
    check(My, |mp, d| get(mp, d, "nope"), json!({"success": {"data": null}}));
    check(Tt, |mp, d| get(mp, d, "nope"), json!({"fail": {"errMsg": "getStorage:fail data not found, key == nope", "errNo": 21101}}));
    check(Wx, |mp, d| get_sync(mp, d, "nope"), json!({"return": ""}));
    check(My, |mp, d| get_sync(mp, d, "nope"), json!({"return": {"data": null}}));
    check(Tt, |mp, d| get_sync(mp, d, "nope"), json!({"return": ""}));
    // A removed key is missing too.
    check(Wx, |mp, d| {remove(mp, d, "k"); get(mp, d, "k")}, json!({"fail": {"errMsg": "getStorage:fail data not found"}}));
    check(Tt, |mp, d| {clear(mp, d); get_sync(mp, d, "k")}, json!({"return": ""}));
    check(My, |mp, d| {clear_sync(mp, d); get(mp, d, "k")}, json!({"success": {"data": null}}));
}

#[test]
fn info_lists_keys_in_insertion_order_with_sizes_rounded_up() {
    for d in crate::common::TYPED {
        let mp = fresh();
        for k in ["b", "a", "c"] {
            set_sync(&mp, d, k, "x");
        }
        set_sync(&mp, d, "b", "overwrite keeps the place");
        remove_sync(&mp, d, "a");
        set_sync(&mp, d, "a", "back at the end");
        let info = storage_info(&mp, d);
        assert_eq!(info.keys, ["b", "c", "a"], "{d:?}");
        // b: 1 + 25, c: 1 + 1, a: 1 + 15 = 44 bytes, rounded up to 1 KB.
        assert_eq!((info.current_size, info.limit_size), (1, 10240), "{d:?}");
        set_sync(&mp, d, "d", "x".repeat(1024 - 44 - 1));
        assert_eq!(
            storage_info(&mp, d).current_size,
            1,
            "{d:?}: exactly 1024 bytes"
        );
        set_sync(&mp, d, "e", "");
        assert_eq!(storage_info(&mp, d).current_size, 2, "{d:?}: 1025 bytes");
    }
}

/// After writing `k = value`, `currentSize` is `kb` (usage in the dialect's unit, rounded up).
fn size_after(d: Dialect, value: &str, kb: u64) {
    let mp = fresh();
    set_sync(&mp, d, "k", value);
    assert_eq!(
        storage_info(&mp, d).current_size,
        kb,
        "{d:?} {} chars",
        value.chars().count()
    );
}

#[rustfmt::skip]
#[test]
fn sizes_are_counted_in_the_dialects_unit() {
    size_after(Wx, &"杭".repeat(1023), 1);  // 1 + 1023 UTF-16 units
    size_after(Wx, &"杭".repeat(1024), 2);
    size_after(My, &"😀".repeat(511), 1);   // 1 + 1022 units
    size_after(My, &"😀".repeat(512), 2);
    size_after(Tt, &"杭".repeat(341), 1);   // 1 + 1023 UTF-8 bytes
    size_after(Tt, &"杭".repeat(342), 2);
    size_after(Tt, &"😀".repeat(256), 2);   // 1 + 1024 bytes
}
