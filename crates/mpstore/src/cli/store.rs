//! Opening the command line's store, and rotating its master key.
//!
//! The store is storage-api's default one ([`Mpstore::open_default_with`]): an encrypted,
//! durable sled database in `DIR/data` whose master key is the key file `DIR/master.key`
//! (created on first use, mode 0600). Rotation is storage-api's
//! ([`Mpstore::rotate_key_file`]): the new key is written to `DIR/master.key.new`, the store
//! switched to it, then the file renamed over `master.key`; opening finishes a rotation a crash
//! interrupted, by the rule documented on [`Mpstore::open_default_with`].

use std::path::{Path, PathBuf};
use storage_api::Mpstore;
use storage_core::{block_on, Error};
use storage_sled::{Durability, SledOptions};

/// The file a rotation writes the new master key to before it becomes `master.key`.
pub const NEW_KEY_FILE: &str = storage_api::NEW_KEY_FILE;

/// The default store directory: `mpstore` under the user's data directory.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("mpstore"))
}

/// Opens the store in `dir` (creating it on first use), finishing a rotation a crash
/// interrupted.
pub fn open(dir: &Path, buffered: bool) -> Result<Mpstore, Error> {
    let options = SledOptions::default().durability(if buffered {
        Durability::Buffered
    } else {
        Durability::Durable
    });
    Mpstore::open_default_with(dir, options)
}

/// Rotates the master key of the store in `dir` to a fresh random one.
pub fn rotate(dir: &Path) -> Result<(), Error> {
    block_on(open(dir, false)?.rotate_key_file())
}
