//! The reference backend passes the conformance kit.

use storage_core::{testkit, MemoryBackend};

#[test]
fn memory_backend_passes_the_conformance_kit() {
    testkit::conformance(MemoryBackend::new);
}
