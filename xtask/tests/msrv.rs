//! The declared minimum Rust version is the one the lock file's dependencies need (see
//! `xtask/src/msrv.rs`), and the README says it.

use std::path::Path;
use xtask::msrv::{declared, parse};

#[test]
fn the_declared_rust_version_is_the_highest_a_dependency_needs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let (ours, needed, by) = declared(root).expect("cargo metadata");
    assert_eq!(
        ours, needed,
        "the workspace's rust-version must be {needed:?}, which {by:?} declare"
    );
    let shown = needed
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("Rust {shown}")),
        "the README must name the minimum version: Rust {shown}"
    );
}

#[test]
fn versions_compare_as_numbers() {
    // (lower, higher)
    for (a, b) in [("1.85", "1.88"), ("1.9", "1.10"), ("1.85", "1.85.1")] {
        assert!(parse(a).unwrap() < parse(b).unwrap(), "{a} < {b}");
    }
    assert_eq!(parse("1.x"), None);
}
