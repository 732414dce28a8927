//! Helpers shared by every area: one dialect-generic way to call each API and see its outcome as
//! the JSON a mini-program would see.
//!
//! Async outcomes are `{"success": <res>}` or `{"fail": <err>}`; Sync outcomes are
//! `{"return": <value>}` or `{"throw": <err>}` (Alipay's Sync forms only ever return).

use serde::Serialize;
use serde_json::{json, Value};
use storage_api::{GetStorageOption, MiniProgram, Mpstore, MySync, SetStorageOption, StorageInfo};
use storage_core::{block_on, Dialect, JsValue, Scope};

pub use Dialect::{My, Tt, Wx};

/// The dialects with typed facades (`mp.wx()`, `mp.my()`, `mp.tt()`); the others are served from
/// their specification through `storage_api::dispatch` (see `dialects.rs`).
pub const TYPED: [Dialect; 3] = [Wx, My, Tt];

/// A fresh, empty mini-program on an in-memory store.
pub fn fresh() -> MiniProgram {
    fresh_store().1
}

/// A fresh in-memory store and a mini-program on it.
pub fn fresh_store() -> (Mpstore, MiniProgram) {
    let store = Mpstore::in_memory();
    let mp = store.mini_program("user", "app", Scope::App).unwrap();
    (store, mp)
}

/// Writes entries with `d`'s Sync API charged exactly `total` in all (keys `f0000`, `f0001`…,
/// each charged 5 + its value's length; ASCII, so every unit agrees).
pub fn fill(mp: &MiniProgram, d: Dialect, total: u64) {
    let mut remaining = total;
    let mut i = 0;
    while remaining > 0 {
        assert!(
            remaining >= 5,
            "fill: cannot make a remainder of {remaining}"
        );
        let len = (remaining - 5).min(200_000);
        let outcome = set_sync(mp, d, format!("f{i:04}"), "x".repeat(len as usize));
        let ok = [
            json!({"return": null}),
            json!({"return": {"success": true}}),
        ];
        assert!(ok.contains(&outcome), "fill: {outcome}");
        remaining -= 5 + len;
        i += 1;
    }
}

fn async_json<S: Serialize, F: Serialize>(outcome: Result<S, F>) -> Value {
    match outcome {
        Ok(res) => json!({ "success": res }),
        Err(err) => json!({ "fail": err }),
    }
}

fn sync_json<S: Serialize, F: Serialize>(outcome: Result<S, F>) -> Value {
    match outcome {
        Ok(res) => json!({ "return": res }),
        Err(err) => json!({ "throw": err }),
    }
}

fn my_sync_json<T: Serialize>(outcome: MySync<T>) -> Value {
    json!({ "return": outcome })
}

/// `setStorage({key, data, encrypt})`, async.
pub fn set_with(mp: &MiniProgram, d: Dialect, opt: SetStorageOption) -> Value {
    match d {
        Wx => async_json(block_on(mp.wx().set_storage_with(opt))),
        My => async_json(block_on(mp.my().set_storage_with(opt))),
        Tt => async_json(block_on(mp.tt().set_storage_with(opt))),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `setStorageSync(...)` with arguments as a bridge received them.
pub fn set_sync_with(mp: &MiniProgram, d: Dialect, opt: SetStorageOption) -> Value {
    match d {
        Wx => sync_json(mp.wx().set_storage_sync_with(opt)),
        My => my_sync_json(mp.my().set_storage_sync_with(opt)),
        Tt => sync_json(mp.tt().set_storage_sync_with(opt)),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `setStorage({key, data})`, async.
pub fn set(
    mp: &MiniProgram,
    d: Dialect,
    key: impl Into<JsValue>,
    data: impl Into<JsValue>,
) -> Value {
    set_with(mp, d, SetStorageOption::new(key, data))
}

/// `setStorageSync(key, data)` (Alipay: `setStorageSync({key, data})`).
pub fn set_sync(
    mp: &MiniProgram,
    d: Dialect,
    key: impl Into<JsValue>,
    data: impl Into<JsValue>,
) -> Value {
    set_sync_with(mp, d, SetStorageOption::new(key, data))
}

/// `getStorage({key, encrypt})`, async.
pub fn get_with(mp: &MiniProgram, d: Dialect, opt: GetStorageOption) -> Value {
    match d {
        Wx => async_json(block_on(mp.wx().get_storage_with(opt))),
        My => async_json(block_on(mp.my().get_storage_with(opt))),
        Tt => async_json(block_on(mp.tt().get_storage_with(opt))),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `getStorage({key})`, async.
pub fn get(mp: &MiniProgram, d: Dialect, key: impl Into<JsValue>) -> Value {
    get_with(mp, d, GetStorageOption::new(key))
}

/// `getStorageSync(key)` (Alipay: `getStorageSync({key})`).
pub fn get_sync(mp: &MiniProgram, d: Dialect, key: impl Into<JsValue>) -> Value {
    match d {
        Wx => sync_json(mp.wx().get_storage_sync(key)),
        My => my_sync_json(mp.my().get_storage_sync(key)),
        Tt => sync_json(mp.tt().get_storage_sync(key)),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// The exact value the async read hands `success` (Alipay: `null` for a missing key).
pub fn value(mp: &MiniProgram, d: Dialect, key: &str) -> JsValue {
    match d {
        Wx => block_on(mp.wx().get_storage(key)).unwrap().data,
        My => block_on(mp.my().get_storage(key)).unwrap().data,
        Tt => block_on(mp.tt().get_storage(key)).unwrap().data,
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// The exact value a Sync read returns.
pub fn value_sync(mp: &MiniProgram, d: Dialect, key: &str) -> JsValue {
    match d {
        Wx => mp.wx().get_storage_sync(key).unwrap(),
        My => mp.my().get_storage_sync(key).into_result().unwrap().data,
        Tt => mp.tt().get_storage_sync(key).unwrap(),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `removeStorage({key})`, async.
pub fn remove(mp: &MiniProgram, d: Dialect, key: impl Into<JsValue>) -> Value {
    match d {
        Wx => async_json(block_on(mp.wx().remove_storage(key))),
        My => async_json(block_on(mp.my().remove_storage(key))),
        Tt => async_json(block_on(mp.tt().remove_storage(key))),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `removeStorageSync(key)`.
pub fn remove_sync(mp: &MiniProgram, d: Dialect, key: impl Into<JsValue>) -> Value {
    match d {
        Wx => sync_json(mp.wx().remove_storage_sync(key)),
        My => my_sync_json(mp.my().remove_storage_sync(key)),
        Tt => sync_json(mp.tt().remove_storage_sync(key)),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `clearStorage()`, async.
pub fn clear(mp: &MiniProgram, d: Dialect) -> Value {
    match d {
        Wx => async_json(block_on(mp.wx().clear_storage())),
        My => async_json(block_on(mp.my().clear_storage())),
        Tt => async_json(block_on(mp.tt().clear_storage())),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `clearStorageSync()`.
pub fn clear_sync(mp: &MiniProgram, d: Dialect) -> Value {
    match d {
        Wx => sync_json(mp.wx().clear_storage_sync()),
        My => my_sync_json(mp.my().clear_storage_sync()),
        Tt => sync_json(mp.tt().clear_storage_sync()),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `getStorageInfo()`, async.
pub fn info(mp: &MiniProgram, d: Dialect) -> Value {
    match d {
        Wx => async_json(block_on(mp.wx().get_storage_info())),
        My => async_json(block_on(mp.my().get_storage_info())),
        Tt => async_json(block_on(mp.tt().get_storage_info())),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `getStorageInfoSync()`.
pub fn info_sync(mp: &MiniProgram, d: Dialect) -> Value {
    match d {
        Wx => sync_json(mp.wx().get_storage_info_sync()),
        My => my_sync_json(mp.my().get_storage_info_sync()),
        Tt => sync_json(mp.tt().get_storage_info_sync()),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// `getStorageInfoSync()` as a struct.
pub fn storage_info(mp: &MiniProgram, d: Dialect) -> StorageInfo {
    match d {
        Wx => mp.wx().get_storage_info_sync().unwrap(),
        My => mp.my().get_storage_info_sync().into_result().unwrap(),
        Tt => mp.tt().get_storage_info_sync().unwrap(),
        _ => unreachable!("the typed facades are wx, my and tt"),
    }
}

/// What a namespace holds, as exactly as the store can say: keys in order, the exact usage, and
/// every value.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub keys: Vec<String>,
    pub usage_bytes: u64,
    pub values: Vec<JsValue>,
}

/// The state of `mp`'s namespace in `store`.
pub fn snapshot(store: &Mpstore, mp: &MiniProgram) -> Snapshot {
    let keys = storage_info(mp, Wx).keys;
    let usage_bytes = block_on(store.namespaces())
        .unwrap()
        .into_iter()
        .find(|n| &n.namespace == mp.namespace())
        .map_or(0, |n| n.usage.bytes);
    let values = keys
        .iter()
        .map(|k| {
            // An entry written with WeChat's `encrypt` reads only with it.
            let plain = block_on(mp.wx().get_storage(k.as_str()));
            plain
                .or_else(|_| {
                    block_on(
                        mp.wx()
                            .get_storage_with(GetStorageOption::new(k.as_str()).encrypt(true)),
                    )
                })
                .unwrap()
                .data
        })
        .collect();
    Snapshot {
        keys,
        usage_bytes,
        values,
    }
}

/// `n` copies of `unit`.
pub fn rep(unit: &str, n: usize) -> String {
    unit.repeat(n)
}

/// `"x"` × `n`, then `tail`.
pub fn xs_then(n: usize, tail: &str) -> String {
    let mut s = "x".repeat(n);
    s.push_str(tail);
    s
}
