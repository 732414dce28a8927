//! The reference backend passes the conformance kit.

use storage_core::{testkit, MemoryBackend};

#[test]
fn memory_backend_passes_the_conformance_kit() {
    testkit::conformance(MemoryBackend::new);
}

#[test]
fn an_open_closable_passes_the_conformance_kit() {
    testkit::conformance(|| storage_core::Closable::new(std::sync::Arc::new(MemoryBackend::new())));
}
