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

/// Quotas count what the layer above charges (plaintext sizes), never the ciphertext: usage and
/// limit checks see exactly the charges given, through puts, overwrites and deletes.
#[test]
fn charges_pass_through_unchanged() {
    use storage_core::{Backend, Error, Limits, Op, Usage};
    let store = block_on(EncryptedBackend::open(
        MemoryBackend::new(),
        &RawKeyProvider::new([7; 32]),
    ))
    .unwrap();
    let put = |k: &[u8], size: usize, charge| Op::Put {
        key: k.to_vec(),
        value: vec![b'x'; size],
        charge,
    };
    let exact = |bytes, entries| Limits {
        max_bytes: bytes,
        max_entries: entries,
    };
    let usage = |bytes, entries| Usage { bytes, entries };
    // (ops, limits, expected usage or refusal)
    let steps: Vec<(Vec<Op>, Limits, Result<Usage, ()>)> = vec![
        (vec![put(b"a", 1000, 10)], exact(10, 1), Ok(usage(10, 1))),
        (vec![put(b"b", 0, 5)], exact(14, 2), Err(())),
        (vec![put(b"b", 0, 5)], exact(15, 2), Ok(usage(15, 2))),
        (vec![put(b"a", 1, 1)], exact(6, 2), Ok(usage(6, 2))),
        (
            vec![Op::Delete { key: b"b".to_vec() }],
            exact(0, 0),
            Ok(usage(1, 1)),
        ),
    ];
    for (i, (ops, limits, expected)) in steps.into_iter().enumerate() {
        let got = block_on(store.apply(b"ns", &ops, limits));
        match expected {
            Ok(u) => assert_eq!(got, Ok(u), "step {i}"),
            Err(()) => assert!(
                matches!(got, Err(Error::LimitExceeded { .. })),
                "step {i}: {got:?}"
            ),
        }
        let listing = block_on(store.list(b"ns")).unwrap();
        let raw = block_on(store.inner().namespaces()).unwrap();
        let inner_usage = raw
            .iter()
            .find(|(ns, _)| ns.len() == 33 && ns[0] == b'd')
            .map(|(_, u)| *u)
            .unwrap();
        assert_eq!(listing.usage, inner_usage, "step {i}");
    }
}
