//! The default store: encrypted sled on disk, surviving a reopen, refusing a wrong key.

use crate::common::*;
use serde_json::json;
use storage_api::Mpstore;
use storage_core::{block_on, Scope};
use storage_crypto::{is_wrong_master_key, RawKeyProvider};

#[test]
fn data_survives_a_reopen_and_a_wrong_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = RawKeyProvider::new([1; 32]);
    {
        let store = Mpstore::open(dir.path(), &key).unwrap();
        for d in crate::common::TYPED {
            let mp = store.mini_program("u", d.name(), Scope::App).unwrap();
            set_sync(&mp, d, "b", "杭州");
            set_sync(&mp, d, "a", 1100.8989);
        }
    }
    let wrong = Mpstore::open(dir.path(), &RawKeyProvider::new([2; 32])).unwrap_err();
    assert!(is_wrong_master_key(&wrong), "{wrong}");
    let store = Mpstore::open(dir.path(), &key).unwrap();
    for d in crate::common::TYPED {
        let mp = store.mini_program("u", d.name(), Scope::App).unwrap();
        assert_eq!(storage_info(&mp, d).keys, ["b", "a"], "{d:?}");
        assert_eq!(value_sync(&mp, d, "a"), 1100.8989.into(), "{d:?}");
    }
    assert_eq!(block_on(store.remove_user("u")).unwrap(), 3);
    assert!(block_on(store.namespaces()).unwrap().is_empty());
}

#[test]
fn open_default_keeps_its_key_in_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested").join("store");
    {
        let store = Mpstore::open_default(&path).unwrap();
        let mp = store.mini_program("u", "app", Scope::App).unwrap();
        assert_eq!(set_sync(&mp, Wx, "k", "v"), json!({"return": null}));
    }
    assert!(path.join(storage_api::KEY_FILE).is_file());
    let store = Mpstore::open_default(&path).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"return": "v"}));
}
