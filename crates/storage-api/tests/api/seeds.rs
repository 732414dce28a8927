//! The seed documents' examples, as a mini-program would run them.

use crate::common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use storage_core::{block_on, JsObject, JsValue};

type Log = Arc<Mutex<Vec<(&'static str, Value)>>>;

#[test]
fn alipay_set_storage_current_city() {
    // my.setStorage({key: 'currentCity', data: {cityName: '杭州', adCode: '330100', spell: 'hangzhou'},
    //   success, fail, complete})
    let my = fresh().my();
    let city: JsObject = [
        ("cityName", "杭州"),
        ("adCode", "330100"),
        ("spell", "hangzhou"),
    ]
    .into_iter()
    .collect();
    let log: Log = Log::default();
    let (s, f, c) = (log.clone(), log.clone(), log.clone());
    block_on(
        my.set_storage("currentCity", city.clone())
            .success(move |res| s.lock().unwrap().push(("success", json!(res))))
            .fail(move |err| f.lock().unwrap().push(("fail", json!(err))))
            .complete(move |res| c.lock().unwrap().push(("complete", json!(res.unwrap())))),
    );
    let ok = json!({"success": true});
    assert_eq!(
        *log.lock().unwrap(),
        [("success", ok.clone()), ("complete", ok)]
    );
    // Read back: the same object, its keys in the order written.
    let res = block_on(my.get_storage("currentCity")).unwrap();
    assert_eq!(res.data, JsValue::from(city));
    assert_eq!(
        serde_json::to_string(&res).unwrap(),
        r#"{"data":{"cityName":"杭州","adCode":"330100","spell":"hangzhou"}}"#
    );
    assert_eq!(
        serde_json::to_string(&my.get_storage_sync("currentCity")).unwrap(),
        r#"{"data":{"cityName":"杭州","adCode":"330100","spell":"hangzhou"}}"#
    );
}

#[test]
fn wechat_storage_examples() {
    let wx = fresh().wx();
    // wx.setStorage({key: "key", data: "value"})
    assert_eq!(
        json!(block_on(wx.set_storage("key", "value")).unwrap()),
        json!({"errMsg": "setStorage:ok"})
    );
    // try { wx.setStorageSync("key", "value") } catch (e) {}
    assert!(wx.set_storage_sync("key", "value").is_ok());
    // wx.getStorage({key: 'key', success (res) { console.log(res.data) }})
    let seen = Arc::new(Mutex::new(None));
    let sink = seen.clone();
    block_on(
        wx.get_storage("key")
            .success(move |res| *sink.lock().unwrap() = Some(res.data)),
    );
    assert_eq!(*seen.lock().unwrap(), Some(JsValue::from("value")));
    // var value = wx.getStorageSync('key'); if (value) { ... }
    assert_eq!(wx.get_storage_sync("key").unwrap(), JsValue::from("value"));
    // wx.getStorageInfo({success (res) { res.keys, res.currentSize, res.limitSize }})
    let info = block_on(wx.get_storage_info()).unwrap();
    assert_eq!(
        json!(info),
        json!({"keys": ["key"], "currentSize": 1, "limitSize": 10240, "errMsg": "getStorageInfo:ok"})
    );
    // var res = wx.getStorageInfoSync()
    assert_eq!(
        json!(wx.get_storage_info_sync().unwrap()),
        json!({"keys": ["key"], "currentSize": 1, "limitSize": 10240})
    );
    // wx.removeStorage({key: 'key', success (res) { console.log(res.data) }}): res has no data.
    let removed = Arc::new(Mutex::new(None));
    let sink = removed.clone();
    block_on(
        wx.remove_storage("key")
            .success(move |res| *sink.lock().unwrap() = Some(json!(res))),
    );
    assert_eq!(
        *removed.lock().unwrap(),
        Some(json!({"errMsg": "removeStorage:ok"}))
    );
    assert_eq!(wx.get_storage_sync("key").unwrap(), JsValue::from(""));
    // try { wx.removeStorageSync('key') } catch (e) {}
    wx.set_storage_sync("key", "value").unwrap();
    assert!(wx.remove_storage_sync("key").is_ok());
    assert!(wx.get_storage_info_sync().unwrap().keys.is_empty());
    // wx.clearStorage(); try { wx.clearStorageSync() } catch (e) {}
    wx.set_storage_sync("a", 1).unwrap();
    assert_eq!(
        json!(block_on(wx.clear_storage()).unwrap()),
        json!({"errMsg": "clearStorage:ok"})
    );
    assert!(wx.get_storage_info_sync().unwrap().keys.is_empty());
    wx.set_storage_sync("b", 2).unwrap();
    assert!(wx.clear_storage_sync().is_ok());
    assert_eq!(
        json!(wx.get_storage_info_sync().unwrap()),
        json!({"keys": [], "currentSize": 0, "limitSize": 10240})
    );
}

#[test]
fn overwriting_a_key_replaces_its_value() {
    // Alipay FAQ: setStorage with the same key overwrites.
    for d in crate::common::TYPED {
        let mp = fresh();
        set(&mp, d, "k", "old");
        set(&mp, d, "k", "new");
        assert_eq!(value_sync(&mp, d, "k"), JsValue::from("new"), "{d:?}");
        assert_eq!(storage_info(&mp, d).keys, ["k"], "{d:?}");
    }
}
