//! The whole conformance kit of storage-core, against a fresh temporary durable store per case.

use storage_sled::SledBackend;

#[test]
fn sled_backend_keeps_the_backend_contract() {
    storage_core::testkit::conformance(|| SledBackend::temporary().expect("temporary store"));
}

/// With value log segments of 8 KiB, every value above 4096 bytes fills a segment of its own or
/// most of one, so segments seal and get compacted all through the kit's cases.
#[test]
fn sled_backend_with_tiny_value_log_segments_keeps_the_backend_contract() {
    storage_core::testkit::conformance(|| {
        SledBackend::temporary_with(
            storage_sled::SledOptions::default().value_log_segment_bytes(8 << 10),
        )
        .expect("temporary store")
    });
}
