//! Master-key rotation: `rotate_key` for a store opened with a key, `rotate_key_file` for the
//! default store's key file, and how `open_default` finishes a rotation a crash interrupted.

use crate::common::*;
use serde_json::json;
use std::path::Path;
use storage_api::{Mpstore, KEY_FILE, NEW_KEY_FILE};
use storage_core::{block_on, Scope};
use storage_crypto::{is_wrong_master_key, KeyFileProvider, KeyProvider, RawKeyProvider};

/// A default store in `dir` holding `k = "v"` in every dialect's namespace.
fn filled(dir: &Path) -> Mpstore {
    let store = Mpstore::open_default(dir).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    assert_eq!(set_sync(&mp, Wx, "k", "v"), json!({"return": null}));
    store
}

/// The store in `dir` opens by default and still holds `k = "v"`.
fn intact(dir: &Path) -> Mpstore {
    let store = Mpstore::open_default(dir).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"return": "v"}));
    store
}

fn key_bytes(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

#[test]
fn rotating_the_key_file_keeps_the_data_and_refuses_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.key");
    let store = filled(dir.path());
    std::fs::copy(dir.path().join(KEY_FILE), &old).unwrap();
    block_on(store.rotate_key_file()).unwrap();
    // The rotated store keeps working without a reopen.
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    assert_eq!(get_sync(&mp, Tt, "k"), json!({"return": "v"}));
    drop((mp, store));
    assert_ne!(key_bytes(&dir.path().join(KEY_FILE)), key_bytes(&old));
    assert!(!dir.path().join(NEW_KEY_FILE).exists());
    drop(intact(dir.path()));
    let refused = Mpstore::open(dir.path(), &KeyFileProvider::new(&old)).unwrap_err();
    assert!(is_wrong_master_key(&refused), "{refused}");
    // And again: a second rotation works from the first one's key.
    block_on(intact(dir.path()).rotate_key_file()).unwrap();
    drop(intact(dir.path()));
}

#[test]
fn rotate_key_switches_a_store_opened_with_a_provider() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (RawKeyProvider::new([3; 32]), RawKeyProvider::new([4; 32]));
    let store = Mpstore::open(dir.path(), &old).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    set_sync(&mp, My, "k", "v");
    block_on(store.rotate_key(&new)).unwrap();
    drop((mp, store));
    assert!(is_wrong_master_key(
        &Mpstore::open(dir.path(), &old).unwrap_err()
    ));
    let store = Mpstore::open(dir.path(), &new).unwrap();
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    assert_eq!(get_sync(&mp, My, "k"), json!({"return": {"data": "v"}}));
}

#[test]
fn a_store_without_a_key_or_key_file_refuses_to_rotate() {
    let key = RawKeyProvider::new([5; 32]);
    assert!(block_on(Mpstore::in_memory().rotate_key(&key)).is_err());
    assert!(block_on(Mpstore::in_memory().rotate_key_file()).is_err());
    let dir = tempfile::tempdir().unwrap();
    let keyed = Mpstore::open(dir.path(), &key).unwrap();
    assert!(block_on(keyed.rotate_key_file()).is_err());
    drop(keyed);
    // The refusal changed nothing: the same key still opens the store.
    Mpstore::open(dir.path(), &key).unwrap();
}

#[test]
fn a_rotation_interrupted_before_the_switch_opens_with_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled(dir.path()));
    let before = key_bytes(&dir.path().join(KEY_FILE));
    // The new key file was written; the process died before the store switched to it.
    KeyFileProvider::new(dir.path().join(NEW_KEY_FILE))
        .master_key()
        .unwrap();
    drop(intact(dir.path()));
    assert_eq!(key_bytes(&dir.path().join(KEY_FILE)), before);
    assert!(
        !dir.path().join(NEW_KEY_FILE).exists(),
        "the stale new key is discarded"
    );
}

#[test]
fn a_rotation_interrupted_after_the_switch_is_finished_at_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled(dir.path()));
    let (key, new_key) = (dir.path().join(KEY_FILE), dir.path().join(NEW_KEY_FILE));
    // The store switched to the new key file; the process died before the rename.
    let store = Mpstore::open(dir.path(), &KeyFileProvider::new(&key)).unwrap();
    block_on(store.rotate_key(&KeyFileProvider::new(&new_key))).unwrap();
    drop(store);
    let new = key_bytes(&new_key);
    drop(intact(dir.path()));
    assert_eq!(key_bytes(&key), new, "the new key is installed");
    assert!(!new_key.exists());
    drop(intact(dir.path()));
}

#[test]
fn a_store_neither_key_opens_reports_the_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    drop(filled(dir.path()));
    let (key, new_key) = (dir.path().join(KEY_FILE), dir.path().join(NEW_KEY_FILE));
    std::fs::remove_file(&key).unwrap();
    KeyFileProvider::new(&key).master_key().unwrap();
    KeyFileProvider::new(&new_key).master_key().unwrap();
    let err = Mpstore::open_default(dir.path()).unwrap_err();
    assert!(is_wrong_master_key(&err), "{err}");
    assert!(new_key.exists(), "nothing is renamed or removed");
}

#[test]
fn a_rotation_that_fails_before_its_rename_is_settled_by_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = filled(dir.path());
    let (key, new_key) = (dir.path().join(KEY_FILE), dir.path().join(NEW_KEY_FILE));
    // `master.key` becomes a non-empty directory, so the final rename fails after the switch.
    std::fs::remove_file(&key).unwrap();
    std::fs::create_dir(&key).unwrap();
    std::fs::write(key.join("blocker"), "").unwrap();
    assert!(block_on(store.rotate_key_file()).is_err());
    // The store switched to the new key and keeps working, but will not rotate again: the
    // leftover file is its key now, not a leftover.
    let mp = store.mini_program("u", "app", Scope::App).unwrap();
    assert_eq!(get_sync(&mp, Wx, "k"), json!({"return": "v"}));
    let live = key_bytes(&new_key);
    assert!(block_on(store.clone().rotate_key_file()).is_err());
    assert_eq!(key_bytes(&new_key), live, "the live key is left alone");
    drop((mp, store));
    std::fs::remove_dir_all(&key).unwrap();
    // The next open finds no usable `master.key` (a fresh one is refused), opens with the new
    // key and installs it.
    let store = intact(dir.path());
    assert!(!new_key.exists());
    block_on(store.rotate_key_file()).unwrap();
    drop(store);
    drop(intact(dir.path()));
}
