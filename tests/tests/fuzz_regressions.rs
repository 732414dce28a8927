//! Every committed fuzz input, run through the fuzz harnesses in the normal test run.
//!
//! The harnesses are the very functions the cargo-fuzz binaries call (`fuzz/src/lib.rs`, compiled
//! into this test too), so each seed of `fuzz/corpus/<target>/` and each crash or timeout the
//! fuzzer ever saved under `fuzz/artifacts/<target>/` (committed once fixed) is a regression test
//! that needs no nightly toolchain. A harness panics on a bug; this test names the file that
//! made it panic.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.is_file());
    out.sort();
    out
}

/// Runs every input of `target`: its corpus and its saved artifacts. Returns how many ran.
fn check(target: &str) -> usize {
    let (_, run) = harness::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no harness named {target}"));
    let corpus = files(&fuzz_dir().join("corpus").join(target));
    assert!(!corpus.is_empty(), "{target} has no committed seed corpus");
    let inputs: Vec<PathBuf> = corpus
        .into_iter()
        .chain(files(&fuzz_dir().join("artifacts").join(target)))
        .collect();
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| run(&data))).is_err()
        })
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        failed.is_empty(),
        "{target}: the harness fails on {failed:#?}"
    );
    inputs.len()
}

#[test]
fn every_target_has_a_harness_and_a_fuzz_binary() {
    for (name, _) in harness::TARGETS {
        let binary = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        assert!(binary.is_file(), "no fuzz binary {}", binary.display());
    }
    assert_eq!(
        files(&fuzz_dir().join("fuzz_targets")).len(),
        harness::TARGETS.len(),
        "a fuzz binary without a harness in TARGETS (so without regression runs)"
    );
}

#[test]
fn bridge_request_inputs() {
    check("bridge_request");
}

#[test]
fn value_decode_inputs() {
    check("value_decode");
}

#[test]
fn namespace_decode_inputs() {
    check("namespace_decode");
}

#[test]
fn crypto_records_inputs() {
    check("crypto_records");
}

#[test]
fn cloud_validation_inputs() {
    check("cloud_validation");
}
