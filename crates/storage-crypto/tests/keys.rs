//! The master key: checked at open, supplied by each provider as documented.

mod support;

use std::sync::Arc;
use storage_core::{block_on, Backend, Error, Limits, MemoryBackend};
use storage_crypto::{
    is_wrong_master_key, EncryptedBackend, EnvKeyProvider, KeyFileProvider, KeyProvider, MasterKey,
    RawKeyProvider,
};
use support::{dump, key, open, put, Fixture};

#[test]
fn a_wrong_master_key_fails_at_open_changes_nothing_and_the_right_key_still_opens() {
    let fx = Fixture::new();
    let before = dump(&*fx.raw);
    for wrong in [key(2), key(0), RawKeyProvider::generate().unwrap()] {
        let err = open(Arc::clone(&fx.raw), &wrong).unwrap_err();
        assert!(is_wrong_master_key(&err), "{err}");
        assert!(err.to_string().contains("wrong master key"), "{err}");
        assert_eq!(dump(&*fx.raw), before);
    }
    let right = open(Arc::clone(&fx.raw), &key(1)).unwrap();
    assert_eq!(Fixture::read_all(&right), Fixture::expected());
    assert_eq!(dump(&*fx.raw), before);
}

#[test]
fn a_backend_holding_foreign_data_is_refused_unchanged() {
    let raw = Arc::new(MemoryBackend::new());
    block_on(raw.apply(b"plain", &[put(b"k", b"v")], Limits::NONE)).unwrap();
    let before = dump(&*raw);
    let err = open(Arc::clone(&raw), &key(1)).unwrap_err();
    assert!(matches!(err, Error::Corrupt(_)), "{err}");
    assert!(!is_wrong_master_key(&err));
    assert_eq!(dump(&*raw), before);
}

#[test]
fn a_damaged_key_check_record_is_refused_unchanged() {
    let fx = Fixture::new();
    let head = (b"k".to_vec(), b"h".to_vec());
    let record = fx.raw_get(&head);
    for bad in [&record[..record.len() - 1], &[][..], &[9; 121][..]] {
        fx.raw_put(&head, bad);
        let before = dump(&*fx.raw);
        let err = open(Arc::clone(&fx.raw), &key(1)).unwrap_err();
        assert!(
            matches!(err, Error::Corrupt(_) | Error::InvalidParam(_)),
            "{err}"
        );
        assert_eq!(dump(&*fx.raw), before);
    }
    fx.raw_put(&head, &record);
    assert!(open(Arc::clone(&fx.raw), &key(1)).is_ok());
}

#[test]
fn a_failing_provider_fails_open_and_rotation_cleanly() {
    let fx = Fixture::new();
    let missing = EnvKeyProvider::new("MPSTORE_TEST_KEY_NEVER_SET");
    let before = dump(&*fx.raw);
    assert!(matches!(
        block_on(EncryptedBackend::open(Arc::clone(&fx.raw), &missing)),
        Err(Error::InvalidParam(_))
    ));
    assert!(block_on(fx.enc.rotate(&missing)).is_err());
    assert_eq!(dump(&*fx.raw), before);
    assert_eq!(Fixture::read_all(&fx.enc), Fixture::expected());
}

#[test]
fn raw_keys_must_be_32_bytes() {
    for len in [0, 16, 31, 33, 64] {
        assert!(RawKeyProvider::from_slice(&vec![1; len]).is_err(), "{len}");
    }
    let p = RawKeyProvider::from_slice(&[5; 32]).unwrap();
    assert_eq!(p.master_key().unwrap().as_bytes(), &[5; 32]);
}

#[test]
fn keys_never_print() {
    let k = MasterKey::new([0xab; 32]);
    let p = RawKeyProvider::from(k.clone());
    for text in [format!("{k:?}"), format!("{p:?}")] {
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(!text.contains("171"), "{text}");
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_key_file_is_created_owner_only_on_first_use_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let provider = KeyFileProvider::new(&path);
    let first = provider.master_key().unwrap();
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format!("{}\n", first.to_hex().as_str()));
    assert_eq!(provider.master_key().unwrap().as_bytes(), first.as_bytes());
    assert_eq!(
        KeyFileProvider::new(&path).master_key().unwrap().as_bytes(),
        first.as_bytes()
    );
    // Nothing but the key file is left in the directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn racing_first_uses_agree_on_one_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| *KeyFileProvider::new(&path).master_key().unwrap().as_bytes()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(keys.iter().all(|k| k == &keys[0]));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[cfg(unix)]
#[test]
fn a_key_file_others_may_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    KeyFileProvider::new(&path).master_key().unwrap();
    for bad in [0o644, 0o640, 0o604, 0o660, 0o700 | 0o070] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(bad)).unwrap();
        let err = KeyFileProvider::new(&path)
            .master_key()
            .unwrap_err()
            .to_string();
        assert!(err.contains("chmod 600"), "{bad:o}: {err}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(KeyFileProvider::new(&path).master_key().is_ok());
}

#[test]
fn a_malformed_or_unreachable_key_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    KeyFileProvider::new(&path).master_key().unwrap();
    std::fs::write(&path, "not a key\n").unwrap();
    let err = KeyFileProvider::new(&path)
        .master_key()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("key file") && err.contains("hexadecimal"),
        "{err}"
    );
    let missing_dir = dir.path().join("no such dir").join("master.key");
    let err = KeyFileProvider::new(&missing_dir)
        .master_key()
        .unwrap_err()
        .to_string();
    assert!(err.contains("key file"), "{err}");
}

#[test]
fn a_store_opened_with_a_key_file_reopens_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let provider = KeyFileProvider::new(dir.path().join("master.key"));
    let raw = Arc::new(MemoryBackend::new());
    let store = block_on(EncryptedBackend::open(Arc::clone(&raw), &provider)).unwrap();
    block_on(store.apply(b"ns", &[put(b"k", b"v")], Limits::NONE)).unwrap();
    drop(store);
    let store = block_on(EncryptedBackend::open(Arc::clone(&raw), &provider)).unwrap();
    assert_eq!(
        block_on(store.get(b"ns", b"k")).unwrap(),
        Some(b"v".to_vec())
    );
    // A key file that does not exist is not created for an existing store: no new key can
    // open it.
    let other = KeyFileProvider::new(dir.path().join("other.key"));
    let err = block_on(EncryptedBackend::open(Arc::clone(&raw), &other)).unwrap_err();
    assert!(is_wrong_master_key(&err), "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!dir.path().join("other.key").exists());
    // Rotating to it creates it.
    block_on(store.rotate(&other)).unwrap();
    assert!(dir.path().join("other.key").exists());
    drop(store);
    let store = block_on(EncryptedBackend::open(Arc::clone(&raw), &other)).unwrap();
    assert_eq!(
        block_on(store.get(b"ns", b"k")).unwrap(),
        Some(b"v".to_vec())
    );
}
