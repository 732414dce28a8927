//! The decorator keeps the whole backend contract, checked by storage-core's conformance kit.

use storage_core::{block_on, MemoryBackend};
use storage_crypto::{EncryptedBackend, RawKeyProvider};

#[test]
fn encrypted_memory_backend_keeps_the_backend_contract() {
    let key = RawKeyProvider::new([7; 32]);
    storage_core::testkit::conformance(|| {
        block_on(EncryptedBackend::open(MemoryBackend::new(), &key)).expect("a fresh store opens")
    });
}
