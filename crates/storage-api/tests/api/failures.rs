//! Failures: a failing backend and a corrupt record (the "backend failure" row of behaviour §4),
//! and the rule that a failed write changes nothing.

use crate::common::*;
use async_trait::async_trait;
use serde_json::json;
use storage_api::{KvItem, Mpstore, SetStorageOption};
use storage_core::{
    block_on, Backend, Dialect, Error, Limits, Listing, Op, ReadPair, Result, Scope, StoredValue,
    Usage,
};

/// A backend whose every call fails, as a full disk or a closed store would.
struct Broken;

#[async_trait]
#[deny(clippy::missing_trait_methods)]
impl Backend for Broken {
    async fn get(&self, _: &[u8], _: &[u8]) -> Result<Option<Vec<u8>>> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn get_shared(&self, _: &[u8], _: &[u8]) -> Result<Option<StoredValue>> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn get_many(&self, _: &[ReadPair<'_>]) -> Result<Vec<Option<StoredValue>>> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn apply(&self, _: &[u8], _: &[Op], _: Limits) -> Result<Usage> {
        Err(Error::Backend("disk on fire".into()))
    }
    fn apply_blocking(&self, _: &[u8], _: &[Op], _: Limits) -> Result<Usage> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn list(&self, _: &[u8]) -> Result<Listing> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn clear(&self, _: &[u8]) -> Result<()> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn drop_namespace(&self, _: &[u8]) -> Result<()> {
        Err(Error::Backend("disk on fire".into()))
    }
    async fn namespaces(&self) -> Result<Vec<(Vec<u8>, Usage)>> {
        Err(Error::Backend("disk on fire".into()))
    }
}

fn broken() -> storage_api::MiniProgram {
    Mpstore::with_backend(Broken)
        .mini_program("u", "app", Scope::App)
        .unwrap()
}

#[rustfmt::skip]
#[test]
fn backend_failure() {
    let mp = broken();
    let wx = |api: &str| json!({"errMsg": format!("{api}:fail internal error")});
    let my = json!({"error": 3, "errorMessage": "存储读写失败"});
    let my_sync = json!({"success": false, "error": 3, "errorMessage": "存储读写失败"});
    let tt_write = |api: &str| json!({"errMsg": format!("{api}:fail set storage fail"), "errNo": 21103}); let tt_read = |api: &str| json!({"errMsg": format!("{api}:fail internal error"), "errNo": 20000});  assert_eq!(set(&mp, Wx, "k", "v"), json!({"fail": wx("setStorage")}));
    assert_eq!(set_sync(&mp, Wx, "k", "v"), json!({"throw": wx("setStorageSync")}));
    assert_eq!(get(&mp, Wx, "k"), json!({"fail": wx("getStorage")}));
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"throw": wx("getStorageSync")}));
    assert_eq!(remove(&mp, Wx, "k"), json!({"fail": wx("removeStorage")}));
    assert_eq!(clear_sync(&mp, Wx), json!({"throw": wx("clearStorageSync")}));
    assert_eq!(info(&mp, Wx), json!({"fail": wx("getStorageInfo")}));
    assert_eq!(info_sync(&mp, Wx), json!({"throw": wx("getStorageInfoSync")}));

    assert_eq!(set(&mp, My, "k", "v"), json!({"fail": my}));
    assert_eq!(set_sync(&mp, My, "k", "v"), json!({"return": my_sync}));
    assert_eq!(get(&mp, My, "k"), json!({"fail": my}));
    assert_eq!(get_sync(&mp, My, "k"), json!({"return": my_sync}));
    assert_eq!(remove_sync(&mp, My, "k"), json!({"return": my_sync}));
    assert_eq!(clear(&mp, My), json!({"fail": my}));
    assert_eq!(info(&mp, My), json!({"fail": my}));
    assert_eq!(info_sync(&mp, My), json!({"return": my_sync}));

    assert_eq!(set(&mp, Tt, "k", "v"), json!({"fail": tt_write("setStorage")}));
    assert_eq!(set_sync(&mp, Tt, "k", "v"), json!({"throw": tt_write("setStorageSync")}));
    assert_eq!(remove(&mp, Tt, "k"), json!({"fail": tt_write("removeStorage")}));
    assert_eq!(clear_sync(&mp, Tt), json!({"throw": tt_write("clearStorageSync")}));
    assert_eq!(get(&mp, Tt, "k"), json!({"fail": tt_read("getStorage")}));
    assert_eq!(get_sync(&mp, Tt, "k"), json!({"throw": tt_read("getStorageSync")}));
    assert_eq!(info(&mp, Tt), json!({"fail": tt_read("getStorageInfo")}));

    let wx_api = mp.wx();
    assert_eq!(json!(block_on(wx_api.batch_set_storage([KvItem::new("k", 1)])).unwrap_err()), wx("batchSetStorage"));
    assert_eq!(json!(wx_api.batch_get_storage_sync(["k"]).unwrap_err()), wx("batchGetStorageSync"));
    let host = Mpstore::with_backend(Broken);
    assert!(matches!(block_on(host.remove_user("u")), Err(Error::Backend(_))));
}

#[rustfmt::skip]
#[test]
fn corrupt_record_reads_as_a_failure_never_as_data() {
    let (store, mp) = fresh_store();
    // Bytes that no engine wrote, planted under key "k" of this namespace.
    let junk = Op::Put {
        key: b"k".to_vec(),
        value: b"\xffjunk".to_vec(),
        charge: 2,
    };
    block_on(store.backend().apply(&mp.namespace().encode(), &[junk], Limits::NONE)).unwrap();
    assert_eq!(get(&mp, Wx, "k"), json!({"fail": {"errMsg": "getStorage:fail internal error"}}));
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"throw": {"errMsg": "getStorageSync:fail internal error"}}));
    assert_eq!(get(&mp, My, "k"), json!({"fail": {"error": 3, "errorMessage": "存储读写失败"}}));
    assert_eq!(get_sync(&mp, My, "k"), json!({"return": {"success": false, "error": 3, "errorMessage": "存储读写失败"}}));
    assert_eq!(get(&mp, Tt, "k"), json!({"fail": {"errMsg": "getStorage:fail internal error", "errNo": 20000}}));
    assert_eq!(get_sync(&mp, Tt, "k"), json!({"throw": {"errMsg": "getStorageSync:fail internal error", "errNo": 20000}}));
    // The slot can still be overwritten or removed.
    assert_eq!(set_sync(&mp, Tt, "k", "fresh"), json!({"return": null}));
    assert_eq!(get_sync(&mp, Tt, "k"), json!({"return": "fresh"}));
}

/// A namespace holding `a`, `b`, `c` (in that order), then `write` fails: value, key order and
/// usage are exactly as before.
fn unchanged_after(
    d: Dialect,
    prefill: u64,
    write: impl Fn(&storage_api::MiniProgram) -> serde_json::Value,
) {
    let (store, mp) = fresh_store();
    for (k, v) in [("a", "1"), ("b", "2"), ("c", "3")] {
        set_sync(&mp, d, k, v);
    }
    fill(&mp, d, prefill);
    let before = snapshot(&store, &mp);
    let outcome = write(&mp);
    let failed = outcome.get("fail").is_some()
        || outcome.get("throw").is_some()
        || outcome["return"]["success"] == json!(false);
    assert!(failed, "{d:?}: expected a failure, got {outcome}");
    assert_eq!(snapshot(&store, &mp), before, "{d:?}: {outcome}");
}

#[test]
fn a_failed_write_changes_nothing() {
    let big = |d: Dialect| "x".repeat(if d == My { 204_801 } else { 1_048_577 });
    // The namespace then holds 6 bytes, and the fill brings it 10 short of the quota.
    let nearly_full = 10_485_760 - 6 - 10;
    for d in crate::common::TYPED {
        unchanged_after(d, 0, |mp| set(mp, d, "b", big(d)));
        unchanged_after(d, 0, |mp| set_sync(mp, d, "b", big(d)));
        unchanged_after(d, 0, |mp| set(mp, d, "new", big(d)));
        unchanged_after(d, nearly_full, |mp| set(mp, d, "b", "x".repeat(20)));
        unchanged_after(d, nearly_full, |mp| set_sync(mp, d, "new", "x".repeat(20)));
        unchanged_after(d, 0, |mp| set(mp, d, "", "v"));
        unchanged_after(d, 0, |mp| set_sync(mp, d, 1, "v"));
        unchanged_after(d, 0, |mp| {
            set_with(
                mp,
                d,
                SetStorageOption {
                    key: "b".into(),
                    data: None,
                    encrypt: false,
                },
            )
        });
        unchanged_after(d, 0, |mp| remove(mp, d, ""));
    }
    // WeChat: an oversized encrypted write, and batches with one bad item.
    unchanged_after(Wx, 0, |mp| {
        set_with(
            mp,
            Wx,
            SetStorageOption::new("b", "x".repeat(748_982)).encrypt(true),
        )
    });
    unchanged_after(
        Wx,
        0,
        |mp| json!({"fail": block_on(mp.wx().batch_set_storage([KvItem::new("b", "new"), KvItem::new("", 1)])).unwrap_err()}),
    );
    unchanged_after(
        Wx,
        0,
        |mp| json!({"fail": block_on(mp.wx().batch_set_storage([KvItem::new("d", "new"), KvItem::new(7, 1)])).unwrap_err()}),
    );
    unchanged_after(
        Wx,
        0,
        |mp| json!({"throw": mp.wx().batch_set_storage_sync([KvItem::new("d", "new"), KvItem::new("e", "x".repeat(1_048_576))]).unwrap_err()}),
    );
    unchanged_after(
        Wx,
        nearly_full,
        |mp| json!({"throw": mp.wx().batch_set_storage_sync([KvItem::new("d", "x".repeat(5)), KvItem::new("e", "x".repeat(5))]).unwrap_err()}),
    );
}
