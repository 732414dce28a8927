//! storage-api without its default stack builds neither sled nor the encryption layer: a host
//! with its own backend pays for neither.

use std::path::Path;
use std::process::Command;

/// The packages `cargo tree` lists for `package` built with `args`, normal dependencies only.
fn tree(package: &str, args: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new(env!("CARGO"))
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .args(args)
        .current_dir(root)
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(' ').next().map(str::to_owned))
        .collect()
}

#[test]
fn storage_api_without_default_features_builds_no_sled_and_no_aes() {
    let lean = tree("storage-api", &["--no-default-features"]);
    assert!(lean.iter().any(|p| p == "storage-core"), "{lean:?}");
    for heavy in [
        "sled",
        "storage-sled",
        "storage-crypto",
        "aes",
        "aes-siv",
        "pmac",
    ] {
        assert!(!lean.iter().any(|p| p == heavy), "{heavy} in {lean:?}");
    }
    // The check would pass vacuously if the default build lacked them too.
    let full = tree("storage-api", &[]);
    for heavy in ["sled", "storage-sled", "storage-crypto", "aes-siv"] {
        assert!(full.iter().any(|p| p == heavy), "{heavy} not in {full:?}");
    }
}
