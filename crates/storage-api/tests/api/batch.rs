//! WeChat's batch APIs: `batchSetStorage(Sync)` with `kvList: [{key, value}]`, all or nothing;
//! `batchGetStorage(Sync)` with `keyList`, `""` for a missing key.

use crate::common::*;
use serde_json::{json, Value};
use storage_api::{KvItem, MiniProgram};
use storage_core::{block_on, JsValue};

fn seeded() -> MiniProgram {
    let mp = fresh();
    set_sync(&mp, Wx, "a", "old");
    mp
}

fn batch_set(items: Vec<KvItem>) -> (Value, Value, Vec<String>) {
    let mp = seeded();
    let async_outcome = match block_on(mp.wx().batch_set_storage(items.clone())) {
        Ok(r) => json!({"success": r}),
        Err(e) => json!({"fail": e}),
    };
    let keys_after = storage_info(&mp, Wx).keys;
    let mp = seeded();
    let sync_outcome = match mp.wx().batch_set_storage_sync(items) {
        Ok(()) => json!({"return": null}),
        Err(e) => json!({"throw": e}),
    };
    assert_eq!(storage_info(&mp, Wx).keys, keys_after);
    (async_outcome, sync_outcome, keys_after)
}

#[rustfmt::skip]
#[test]
fn batch_set_is_all_or_nothing() {
    fn item(k: impl Into<JsValue>, v: impl Into<JsValue>) -> KvItem {
        KvItem::new(k, v)
    }
    assert_eq!(batch_set(vec![item("b", 1), item("a", 2)]), (json!({"success": {"errMsg": "batchSetStorage:ok"}}), json!({"return": null}), vec!["a".into(), "b".into()]));
    assert_eq!(batch_set(vec![]), (json!({"success": {"errMsg": "batchSetStorage:ok"}}), json!({"return": null}), vec!["a".into()]));
    assert_eq!(batch_set(vec![item("b", 1), item("", 2)]), (json!({"fail": {"errMsg": "batchSetStorage:fail invalid key", "errno": 800003}}), json!({"throw": {"errMsg": "batchSetStorageSync:fail invalid key", "errno": 800003}}), vec!["a".into()]));
    assert_eq!(batch_set(vec![item("b", 1), item(2, 2)]), (json!({"fail": {"errMsg": "batchSetStorage:fail parameter error: parameter.kvList[1].key should be String instead of Number;"}}), json!({"throw": {"errMsg": "batchSetStorageSync:fail parameter error: parameter[1].key should be String instead of Number;"}}), vec!["a".into()]));
    assert_eq!(batch_set(vec![item("b", 1), item("c", "x".repeat(1_048_576))]), (json!({"fail": {"errMsg": "batchSetStorage:fail entry size limit reached"}}), json!({"throw": {"errMsg": "batchSetStorageSync:fail entry size limit reached"}}), vec!["a".into()]));
    // Ten entries of 1 MB - 1 each would pass the quota together, though each fits alone.
    let ten = (0..10).map(|i| item(format!("{i}"), "x".repeat(1_048_575))).collect();
    assert_eq!(batch_set(ten), (json!({"fail": {"errMsg": "batchSetStorage:fail quota reached"}}), json!({"throw": {"errMsg": "batchSetStorageSync:fail quota reached"}}), vec!["a".into()]));
}

#[test]
fn batch_set_later_items_overwrite_earlier_ones() {
    let mp = seeded();
    mp.wx()
        .batch_set_storage_sync([KvItem::new("b", 1), KvItem::new("b", 2)])
        .unwrap();
    assert_eq!(mp.wx().get_storage_sync("b").unwrap(), JsValue::from(2));
    assert_eq!(storage_info(&mp, Wx).keys, ["a", "b"]);
}

#[rustfmt::skip]
#[test]
fn batch_get_answers_one_value_per_key() {
    let mp = seeded();
    set_sync(&mp, Wx, "n", 0);
    let wx = mp.wx();
    assert_eq!(json!(block_on(wx.batch_get_storage(["a", "missing", "n", "a"])).unwrap()), json!({"dataList": ["old", "", 0, "old"], "errMsg": "batchGetStorage:ok"}));
    assert_eq!(wx.batch_get_storage_sync(["n", "missing"]).unwrap(), [JsValue::from(0), JsValue::from("")]);
    assert_eq!(wx.batch_get_storage_sync(Vec::<&str>::new()).unwrap(), []);
    assert_eq!(json!(wx.batch_get_storage_sync([""]).unwrap_err()), json!({"errMsg": "batchGetStorageSync:fail invalid key", "errno": 800003}));
    assert_eq!(json!(block_on(wx.batch_get_storage([JsValue::from("a"), JsValue::Null])).unwrap_err()), json!({"errMsg": "batchGetStorage:fail parameter error: parameter.keyList[1] should be String instead of Null;"}));
}
