//! The default store's caches: the read cache ([`storage_api::StoreOptions::read_cache_bytes`]):
//! whatever writes, through any facade or host call, the next read sees it, cached or not; the
//! encryption layer's caches ([`storage_api::StoreOptions::crypto_caches`]) stay within the
//! bounds given.

use storage_api::{KvItem, MiniProgram, Mpstore, StoreOptions};
use storage_core::{block_on, Scope};
use storage_crypto::{CacheSizes, RawKeyProvider};

/// Something that writes, one way or another.
type Write = fn(&Mpstore, &MiniProgram);

/// What writes, and what `wx.getStorageSync("k")` answers afterwards (`k` held "old").
#[rustfmt::skip]
const WRITES: &[(&str, Write, &str)] = &[
    ("wx set",         |_, mp| mp.wx().set_storage_sync("k", "new").unwrap(), "new"),
    ("my set",         |_, mp| assert!(mp.my().set_storage_sync("k", "new").is_success()), "new"),
    ("tt set",         |_, mp| mp.tt().set_storage_sync("k", "new").unwrap(), "new"),
    ("wx batch set",   |_, mp| mp.wx().batch_set_storage_sync(batch()).unwrap(), "new"),
    ("wx remove",      |_, mp| mp.wx().remove_storage_sync("k").unwrap(), ""),
    ("my clear",       |_, mp| assert!(mp.my().clear_storage_sync().is_success()), ""),
    ("remove_app",     |s, _| assert_eq!(block_on(s.remove_app("u", "app")).unwrap(), 1), ""),
    ("remove_user",    |s, _| assert_eq!(block_on(s.remove_user("u")).unwrap(), 1), ""),
    ("key rotation",   |s, _| block_on(s.rotate_key(&RawKeyProvider::new([6; 32]))).unwrap(), "old"),
    ("web-view clear", |_, mp| mp.web_view().wx().clear_storage_sync().unwrap(), "old"),
    ("plugin set",     |_, mp| mp.plugin("p").unwrap().wx().set_storage_sync("k", "x").unwrap(), "old"),
];

fn batch() -> Vec<KvItem> {
    vec![KvItem::new("a", 1), KvItem::new("k", "new")]
}

/// Opens the default store with `cache` bytes of read cache, stores `k` = "old" and reads it
/// (twice, so it is cached), runs `write`, then checks what `wx.getStorageSync("k")` answers.
fn after(cache: u64, name: &str, write: Write, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions::default().read_cache_bytes(cache);
    let store = Mpstore::open_with(dir.path(), &RawKeyProvider::new([5; 32]), options).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    mp.wx().set_storage_sync("k", "old").unwrap();
    for _ in 0..2 {
        assert_eq!(
            mp.wx().get_storage_sync("k").unwrap(),
            "old".into(),
            "{name}"
        );
    }
    write(&store, &mp);
    let got = mp.wx().get_storage_sync("k").unwrap();
    assert_eq!(got, expected.into(), "{name}, read cache of {cache} bytes");
}

#[test]
fn every_write_is_seen_by_the_next_read() {
    for cache in [StoreOptions::DEFAULT_READ_CACHE_BYTES, 0] {
        for (name, write, expected) in WRITES {
            after(cache, name, *write, expected);
        }
    }
}

#[test]
fn a_missing_key_read_before_is_found_once_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = Mpstore::open(dir.path(), &RawKeyProvider::new([5; 32])).unwrap();
    let wx = store.mini_program("u", "app", Scope::App).unwrap().wx();
    assert_eq!(wx.get_storage_sync("k").unwrap(), "".into());
    assert_eq!(wx.get_storage_sync("k").unwrap(), "".into());
    wx.set_storage_sync("k", 1).unwrap();
    assert_eq!(wx.get_storage_sync("k").unwrap(), 1.into());
}

#[test]
fn the_encryption_layers_caches_stay_within_the_bounds_given() {
    for (namespaces, names) in [(0, 0), (2, 3), (4096, 65_536)] {
        let dir = tempfile::tempdir().unwrap();
        let bounds = CacheSizes::default().namespaces(namespaces).names(names);
        let options = StoreOptions::default().crypto_caches(bounds);
        let store = Mpstore::open_with(dir.path(), &RawKeyProvider::new([5; 32]), options).unwrap();
        for u in 0..6 {
            let wx = store
                .mini_program(format!("u{u}"), "app", Scope::App)
                .unwrap()
                .wx();
            for k in 0..6 {
                wx.set_storage_sync(format!("k{k}"), k).unwrap();
                assert_eq!(wx.get_storage_sync(format!("k{k}")).unwrap(), k.into());
            }
        }
        let held = store.crypto_cache_entries().expect("an encrypted store");
        let expected = CacheSizes::default()
            .namespaces(namespaces.min(6))
            .names(names.min(36));
        assert_eq!(held, expected, "bounds {bounds:?}");
    }
}
