//! Opening the command line's store, and rotating its master key.
//!
//! The store is storage-api's default one: an encrypted, durable sled database in `DIR/data`
//! whose master key is the key file `DIR/master.key` (created on first use, mode 0600).
//!
//! Rotation writes the new key to `DIR/master.key.new` first, re-wraps the store's data keys
//! under it ([`EncryptedBackend::rotate`], crash-safe: the store opens with exactly one of the
//! two keys at every moment), then renames the new file over `master.key`. If the process dies
//! between the switch and the rename, the next open finds `master.key` refused and
//! `master.key.new` accepted, and completes the rename; until the switch, `master.key` opens the
//! store and the leftover `master.key.new` is discarded by the next rotation.

use std::path::{Path, PathBuf};
use storage_api::{Mpstore, DATA_DIR, KEY_FILE};
use storage_core::{block_on, Error};
use storage_crypto::{is_wrong_master_key, EncryptedBackend, KeyFileProvider};
use storage_sled::{Durability, SledBackend, SledOptions};

/// The file a rotation writes the new master key to before it becomes `master.key`.
pub const NEW_KEY_FILE: &str = "master.key.new";

/// The default store directory: `mpstore` under the user's data directory.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("mpstore"))
}

/// Opens the store in `dir` (creating it on first use), finishing a rotation a crash
/// interrupted.
pub fn open(dir: &Path, buffered: bool) -> Result<Mpstore, Error> {
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::Backend(format!(
            "cannot create the store directory {}: {e}",
            dir.display()
        ))
    })?;
    let options = SledOptions {
        durability: if buffered {
            Durability::Buffered
        } else {
            Durability::Durable
        },
        ..SledOptions::default()
    };
    let key = KeyFileProvider::new(dir.join(KEY_FILE));
    match Mpstore::open_with(dir, &key, options.clone()) {
        Err(e) if is_wrong_master_key(&e) && dir.join(NEW_KEY_FILE).exists() => {
            let new = KeyFileProvider::new(dir.join(NEW_KEY_FILE));
            let store = Mpstore::open_with(dir, &new, options).map_err(|_| e)?;
            finish_rotation(dir)?;
            Ok(store)
        }
        other => other,
    }
}

/// Rotates the master key of the store in `dir` to a fresh random one.
pub fn rotate(dir: &Path) -> Result<(), Error> {
    // Any leftover of an interrupted rotation that never switched is not the store's key.
    let new_path = dir.join(NEW_KEY_FILE);
    match std::fs::remove_file(&new_path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(Error::Backend(format!(
                "cannot remove {}: {e}",
                new_path.display()
            )))
        }
    }
    // Open (and so also complete any interrupted rename) through the one opening path first.
    drop(open(dir, false)?);
    let sled = SledBackend::open(dir.join(DATA_DIR))?;
    let old = KeyFileProvider::new(dir.join(KEY_FILE));
    let encrypted = block_on(EncryptedBackend::open(sled, &old))?;
    // The provider creates the new key file (random key, mode 0600) on first use.
    let new = KeyFileProvider::new(&new_path);
    block_on(encrypted.rotate(&new))?;
    drop(encrypted);
    finish_rotation(dir)
}

fn finish_rotation(dir: &Path) -> Result<(), Error> {
    std::fs::rename(dir.join(NEW_KEY_FILE), dir.join(KEY_FILE))
        .map_err(|e| Error::Backend(format!("cannot install the new master key: {e}")))
}
