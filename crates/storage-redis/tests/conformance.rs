//! The Redis backend passes the whole conformance kit, on a real cluster.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use storage_core::testkit;

#[test]
fn redis_backend_passes_the_conformance_kit() {
    let Some(base) = common::backend("conformance") else {
        return;
    };
    // Each case gets its own prefix: a fresh, empty store on the shared cluster.
    let cases = AtomicU64::new(0);
    let prefix = String::from_utf8_lossy(base.prefix()).into_owned();
    testkit::conformance(|| {
        base.with_prefix(format!(
            "{prefix}/{}",
            cases.fetch_add(1, Ordering::Relaxed)
        ))
    });
}
