//! The three calling styles: callbacks (success XOR fail, then complete, each at most once),
//! Promise style, and Sync forms that need no runtime and do not panic inside one.

use crate::common::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use storage_api::{Call, Callbacks, MiniProgram};
use storage_core::block_on;

/// What the callbacks saw, in order: `(name, payload as JSON)`.
type Log = Arc<Mutex<Vec<(&'static str, Value)>>>;

/// Runs `call` with the callbacks named in `given` (of "success", "fail", "complete") and
/// returns what they saw.
fn run<S, F>(call: Call<S, F>, given: &[&str]) -> Vec<(&'static str, Value)>
where
    S: serde::Serialize + Clone + Send + 'static,
    F: serde::Serialize + Clone + Send + 'static,
{
    let log: Log = Log::default();
    let mut callbacks = Callbacks::<S, F>::default();
    if given.contains(&"success") {
        let log = log.clone();
        callbacks.success = Some(Box::new(move |s| {
            log.lock().unwrap().push(("success", json!(s)))
        }));
    }
    if given.contains(&"fail") {
        let log = log.clone();
        callbacks.fail = Some(Box::new(move |f| {
            log.lock().unwrap().push(("fail", json!(f)))
        }));
    }
    if given.contains(&"complete") {
        let log = log.clone();
        callbacks.complete = Some(Box::new(move |r: Result<S, F>| {
            let payload = match r {
                Ok(s) => json!(s),
                Err(f) => json!(f),
            };
            log.lock().unwrap().push(("complete", payload))
        }));
    }
    block_on(call.callbacks(callbacks));
    let seen = log.lock().unwrap().clone();
    seen
}

const ALL: &[&str] = &["success", "fail", "complete"];

fn seeded() -> MiniProgram {
    let mp = fresh();
    set_sync(&mp, Wx, "k", "v");
    mp
}

#[test]
fn success_then_complete_with_the_same_payload() {
    let ok = json!({"errMsg": "setStorage:ok"});
    assert_eq!(
        run(seeded().wx().set_storage("k", 1), ALL),
        [("success", ok.clone()), ("complete", ok)]
    );
    let got = json!({"data": "v"});
    assert_eq!(
        run(seeded().my().get_storage("k"), ALL),
        [("success", got.clone()), ("complete", got)]
    );
    let info =
        json!({"keys": ["k"], "currentSize": 1, "limitSize": 10240, "errMsg": "getStorageInfo:ok"});
    assert_eq!(
        run(seeded().tt().get_storage_info(), ALL),
        [("success", info.clone()), ("complete", info)]
    );
}

#[test]
fn fail_then_complete_with_the_same_payload() {
    let err = json!({"errMsg": "getStorage:fail data not found"});
    assert_eq!(
        run(seeded().wx().get_storage("nope"), ALL),
        [("fail", err.clone()), ("complete", err)]
    );
    let err = json!({"error": 2, "errorMessage": "必填参数为空"});
    assert_eq!(
        run(seeded().my().set_storage("", 1), ALL),
        [("fail", err.clone()), ("complete", err)]
    );
    let err = json!({"errMsg": "removeStorage:fail key is illegal", "errNo": 20000});
    assert_eq!(
        run(seeded().tt().remove_storage(""), ALL),
        [("fail", err.clone()), ("complete", err)]
    );
}

#[test]
fn every_callback_is_optional() {
    let ok = json!({"errMsg": "removeStorage:ok"});
    let fail = json!({"errMsg": "removeStorage:fail invalid key", "errno": 800003});
    let wx = seeded().wx();
    assert_eq!(
        run(wx.remove_storage("k"), &["complete"]),
        [("complete", ok.clone())]
    );
    assert_eq!(
        run(wx.remove_storage("k"), &["success"]),
        [("success", ok.clone())]
    );
    assert_eq!(run(wx.remove_storage("k"), &["fail"]), []);
    assert_eq!(
        run(wx.remove_storage("k"), &["fail", "complete"]),
        [("complete", ok)]
    );
    assert_eq!(run(wx.remove_storage(""), &["success"]), []);
    assert_eq!(
        run(wx.remove_storage(""), &["success", "complete"]),
        [("complete", fail.clone())]
    );
    assert_eq!(run(wx.remove_storage(""), &["fail"]), [("fail", fail)]);
    assert_eq!(run(wx.remove_storage(""), &[]), []);
}

#[test]
fn builder_callbacks_run_in_order_and_the_call_still_takes_effect() {
    let log: Log = Log::default();
    let (l1, l2, l3) = (log.clone(), log.clone(), log.clone());
    let mp = fresh();
    block_on(
        mp.my()
            .set_storage("k", "v")
            .complete(move |_| l3.lock().unwrap().push(("complete", Value::Null)))
            .fail(move |_| l2.lock().unwrap().push(("fail", Value::Null)))
            .success(move |_| l1.lock().unwrap().push(("success", Value::Null))),
    );
    assert_eq!(
        *log.lock().unwrap(),
        [("success", Value::Null), ("complete", Value::Null)]
    );
    assert_eq!(get_sync(&mp, My, "k"), json!({"return": {"data": "v"}}));
}

#[test]
fn a_call_without_callbacks_is_a_promise() {
    let mp = seeded();
    assert_eq!(block_on(mp.wx().get_storage("k")).unwrap().data, "v".into());
    assert_eq!(
        block_on(mp.tt().get_storage("nope")).unwrap_err().err_no,
        21101
    );
    assert_eq!(mp.my().get_storage("k").wait().unwrap().data, "v".into());
}

#[test]
fn nothing_happens_until_the_call_is_awaited() {
    let mp = fresh();
    let pending = mp.wx().set_storage("k", "v");
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"return": ""}));
    block_on(pending).unwrap();
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"return": "v"}));
    drop(mp.wx().set_storage("dropped", 1));
    assert_eq!(get_sync(&mp, Wx, "dropped"), json!({"return": ""}));
}

#[tokio::test(flavor = "current_thread")]
async fn sync_forms_work_inside_a_current_thread_runtime() {
    let mp = fresh();
    assert_eq!(set_sync(&mp, Wx, "k", "v"), json!({"return": null}));
    assert_eq!(get_sync(&mp, My, "k"), json!({"return": {"data": "v"}}));
    assert_eq!(info_sync(&mp, Tt)["return"]["keys"], json!(["k"]));
    assert_eq!(mp.wx().get_storage("k").await.unwrap().data, "v".into());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_can_be_spawned_and_sync_forms_work_inside_a_multi_thread_runtime() {
    let mp = fresh();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(mp.wx().set_storage("k", "v").success(move |res| {
        tx.send(res.err_msg).unwrap();
    }));
    task.await.unwrap();
    assert_eq!(rx.await.unwrap(), "setStorage:ok");
    let spawned = tokio::spawn(mp.tt().get_storage("k")).await.unwrap();
    assert_eq!(spawned.unwrap().data, "v".into());
    let mp2 = mp.clone();
    let from_blocking = tokio::task::spawn_blocking(move || get_sync(&mp2, Tt, "k"))
        .await
        .unwrap();
    assert_eq!(from_blocking, json!({"return": "v"}));
    assert_eq!(
        remove_sync(&mp, My, "k"),
        json!({"return": {"success": true}})
    );
}
