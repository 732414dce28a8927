//! Encryption at rest over any backend, here the in-memory one: what the layer stores holds no
//! key name or value in plaintext, the same master key opens it again, a wrong one is refused,
//! and a rotation changes the key without re-encrypting data.
//!
//! `cargo run -p storage-crypto --example encrypt_any_backend`

use std::sync::Arc;
use storage_core::{block_on, Backend, Limits, MemoryBackend, Op};
use storage_crypto::{EncryptedBackend, RawKeyProvider};

fn main() {
    block_on(async {
        let inner = Arc::new(MemoryBackend::new());
        let key = RawKeyProvider::new([7; 32]);
        let sealed = EncryptedBackend::open(inner.clone(), &key).await.unwrap();
        let put = Op::Put {
            key: b"address".to_vec(),
            value: b"1 West Lake Road".to_vec(),
            charge: 23,
        };
        sealed
            .apply(b"user/app", &[put], Limits::NONE)
            .await
            .unwrap();

        // Underneath: opaque namespaces and records only.
        for (ns, usage) in inner.namespaces().await.unwrap() {
            for key in inner.list(&ns).await.unwrap().keys {
                let value = inner.get(&ns, &key).await.unwrap().unwrap_or_default();
                for bytes in [&ns, &key, &value] {
                    let plain = bytes.windows(7).any(|w| w == b"address" || w == b"1 West ");
                    assert!(!plain, "plaintext reached the inner backend");
                }
            }
            println!("inner namespace of {} bytes, usage {usage:?}", ns.len());
        }

        // A wrong key is refused at open; the right one reads the value back.
        assert!(
            EncryptedBackend::open(inner.clone(), &RawKeyProvider::new([8; 32]))
                .await
                .is_err()
        );
        let again = EncryptedBackend::open(inner.clone(), &key).await.unwrap();
        let read = again.get(b"user/app", b"address").await.unwrap();
        assert_eq!(read.as_deref(), Some(&b"1 West Lake Road"[..]));

        // Rotation: afterwards only the new key opens the store.
        let new = RawKeyProvider::new([9; 32]);
        again.rotate(&new).await.unwrap();
        assert!(EncryptedBackend::open(inner.clone(), &key).await.is_err());
        assert!(EncryptedBackend::open(inner, &new).await.is_ok());
        println!("sealed, reopened, refused a wrong key, rotated");
    });
}
