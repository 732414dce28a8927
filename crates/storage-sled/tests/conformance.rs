//! The whole conformance kit of storage-core, against a fresh temporary durable store per case.

use storage_sled::SledBackend;

#[test]
fn sled_backend_keeps_the_backend_contract() {
    storage_core::testkit::conformance(|| SledBackend::temporary().expect("temporary store"));
}
