//! The conformance kit: proof, in one line, that a backend keeps the [`Backend`] contract.
//!
//! ```
//! # use storage_core::MemoryBackend;
//! // in a backend's own tests:
//! # std::env::set_var("MPSTORE_TESTKIT_CASES", "4");
//! storage_core::testkit::conformance(MemoryBackend::new);
//! ```
//!
//! `factory` makes a fresh, empty backend; it is called once per generated case, so it should be
//! cheap (a temporary store). Every check is also a public function of its own, so a failing one
//! can be run alone, and the [`strategies`] serve property tests of any crate.
//!
//! The checks compare the backend with the simple models of [`model`]:
//! - [`backend_matches_model`]: random sequences of raw [`Backend`] calls over namespaces whose
//!   bytes are empty, hostile or prefixes of each other, with limits set at, just below and just
//!   above each write's exact usage: isolation, atomic batches, exact usage, insertion order,
//!   overwrite / delete / clear / drop semantics, and failed writes that change nothing; every
//!   read is made through both [`Backend::get`] and [`Backend::get_shared`], which must agree,
//!   and every stored key is also read in batches ([`Backend::get_many`], repeats included);
//! - [`store_matches_model`]: random sequences of [`Store`] calls under small policies of each
//!   dialect (so quotas are hit constantly), hostile ids and keys, values of every type;
//! - [`quota_boundaries`]: the real policies of behaviour §4 at their exact limits, with
//!   multi-byte and astral characters straddling each boundary;
//! - [`concurrent_writers`]: threads racing to fill one namespace never take it past its quota,
//!   and end in a state some serial order of the successful writes would produce;
//! - [`concurrent_batch_reads`]: batched reads ([`Backend::get_many`]) racing writers answer,
//!   pair by pair, a state each key held during the call;
//! - everything runs under [`crate::block_on`], with no async runtime.
//!
//! Cases per property: 256, or `MPSTORE_TESTKIT_CASES` when set (the long mode).

mod backend_suite;
mod batch_reads;
mod concurrency;
pub mod model;
pub mod progress;
mod store_suite;
pub mod strategies;

pub use backend_suite::backend_matches_model;
pub use batch_reads::concurrent_batch_reads;
pub use concurrency::concurrent_writers;
pub use store_suite::{quota_boundaries, store_matches_model};

use crate::backend::Backend;
#[cfg(doc)]
use crate::store::Store;
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Cases per property when `MPSTORE_TESTKIT_CASES` is not set.
pub const DEFAULT_CASES: u32 = 256;

/// How many cases each property runs: `MPSTORE_TESTKIT_CASES`, or [`DEFAULT_CASES`].
pub fn cases() -> u32 {
    std::env::var("MPSTORE_TESTKIT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_CASES)
}

/// Runs every check of the kit against backends made by `factory`; panics with the failing case
/// (shrunk to a minimal one) if the backend breaks the contract.
pub fn conformance<B, F>(factory: F)
where
    B: Backend,
    F: Fn() -> B + Sync,
{
    backend_matches_model(&factory);
    store_matches_model(&factory);
    quota_boundaries(&factory);
    concurrent_writers(&factory);
    concurrent_batch_reads(&factory);
}

/// Runs one property over `cases()` generated inputs, panicking with the minimal failing input.
fn check<S: Strategy>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("conformance check `{name}` failed: {e}");
    }
}

/// Turns a backend error where none was expected into a test failure.
fn ok<T>(r: crate::Result<T>, what: &str) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("{what} failed unexpectedly: {e}")))
}
