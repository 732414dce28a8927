//! Every platform error keeps the storage error it reports (`cause()`), so a host can tell
//! failures apart that the platforms word alike (a corrupt record and a backend failure).

use crate::common::*;
use storage_api::{Mpstore, MySync};
use storage_core::{block_on, Backend, Error, Limits, Op, Scope};

/// The cause each form of `getStorage` reports for key `key` of `mp`, WeChat, Alipay, Douyin;
/// async then Sync.
fn get_causes(mp: &storage_api::MiniProgram, key: &str) -> [Error; 6] {
    let my_sync = match mp.my().get_storage_sync(key) {
        MySync::Fail(f) => f.cause().clone(),
        MySync::Ok(v) => panic!("{key}: read {v:?}"),
    };
    [
        block_on(mp.wx().get_storage(key))
            .unwrap_err()
            .cause()
            .clone(),
        mp.wx().get_storage_sync(key).unwrap_err().cause().clone(),
        block_on(mp.my().get_storage(key))
            .unwrap_err()
            .cause()
            .clone(),
        my_sync,
        block_on(mp.tt().get_storage(key))
            .unwrap_err()
            .cause()
            .clone(),
        mp.tt().get_storage_sync(key).unwrap_err().cause().clone(),
    ]
}

#[test]
fn a_corrupt_record_is_reported_as_corrupt_in_every_form() {
    let (store, mp) = fresh_store();
    let junk = Op::Put {
        key: b"k".to_vec(),
        value: b"\xffjunk".to_vec(),
        charge: 2,
    };
    block_on(
        store
            .backend()
            .apply(&mp.namespace().encode(), &[junk], Limits::NONE),
    )
    .unwrap();
    for cause in get_causes(&mp, "k") {
        assert!(matches!(cause, Error::Corrupt(_)), "{cause:?}");
    }
}

#[test]
fn each_failure_keeps_its_own_cause() {
    let mp = fresh();
    let not_found = Error::NotFound { key: "k".into() };
    let wx = mp.wx();
    assert_eq!(
        block_on(wx.get_storage("k")).unwrap_err().cause(),
        &not_found
    );
    assert_eq!(
        block_on(mp.tt().get_storage("k")).unwrap_err().cause(),
        &not_found
    );
    assert_eq!(
        wx.set_storage_sync("", 1).unwrap_err().cause(),
        &Error::EmptyKey
    );
    assert_eq!(
        mp.tt().remove_storage_sync("").unwrap_err().cause(),
        &Error::EmptyKey
    );
    assert_eq!(
        block_on(mp.my().set_storage("", 1)).unwrap_err().cause(),
        &Error::EmptyKey
    );
    let big = "x".repeat(1_048_577);
    assert!(matches!(
        wx.set_storage_sync("k", big.as_str()).unwrap_err().cause(),
        Error::EntryTooLarge { .. }
    ));
    let my_fail = mp
        .my()
        .set_storage_sync("k", big.as_str())
        .into_result()
        .unwrap_err();
    assert!(
        matches!(my_fail.cause(), Error::EntryTooLarge { .. }),
        "{my_fail:?}"
    );
}

#[test]
fn the_cause_is_not_serialized_nor_compared() {
    let mp = Mpstore::in_memory()
        .mini_program("u", "app", Scope::App)
        .unwrap();
    let a = mp.wx().get_storage_sync(1).unwrap_err();
    let b = mp.wx().get_storage_sync(2).unwrap_err();
    // Same object for the mini-program, so equal, though each keeps what it was made from.
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_value(&a).unwrap(),
        serde_json::to_value(&b).unwrap()
    );
    assert!(serde_json::to_value(&a).unwrap().get("cause").is_none());
}
