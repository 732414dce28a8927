//! storage-crypto over durable storage-sled, as the crypto-over-sled tests open it.

use std::path::Path;
use std::sync::Arc;
use storage_core::{block_on, Op};
use storage_crypto::{EncryptedBackend, RawKeyProvider};
use storage_sled::SledBackend;

/// The master key made of 32 bytes `b`.
pub fn key(b: u8) -> RawKeyProvider {
    RawKeyProvider::new([b; 32])
}

/// The sled store at `path`, encrypted under [`key`]`(k)`.
pub fn open_encrypted(
    path: &Path,
    k: u8,
) -> storage_core::Result<EncryptedBackend<Arc<SledBackend>>> {
    let sled = Arc::new(SledBackend::open(path)?);
    block_on(EncryptedBackend::open(sled, &key(k)))
}

/// A put of `k` = `v`, charged the bytes of both.
pub fn put(k: &[u8], v: &[u8]) -> Op {
    Op::Put {
        key: k.to_vec(),
        value: v.to_vec(),
        charge: (k.len() + v.len()) as u64,
    }
}
