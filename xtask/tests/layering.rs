//! Each crate depends only on layers beneath it (see `xtask/src/layers.rs`).

use std::path::Path;
use xtask::layers::{violations, workspace_edges};

fn edge(from: &str, to: &str) -> (String, String, String) {
    (from.into(), to.into(), "normal".into())
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_workspace_respects_its_layers() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let (names, edges) = workspace_edges(root).expect("cargo metadata");
    assert!(
        names.iter().any(|n| n == "storage-core"),
        "read the workspace: {names:?}"
    );
    let problems = violations(&names, &edges);
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_rule_refuses_upward_sideways_and_unknown_edges() {
    let all = names(&[
        "storage-core",
        "storage-sled",
        "storage-crypto",
        "cloud-kv",
        "storage-api",
    ]);
    let check = |edges: &[(String, String, String)]| violations(&all, edges).len();
    assert_eq!(check(&[edge("storage-sled", "storage-core")]), 0);
    assert_eq!(check(&[edge("storage-api", "storage-sled")]), 0);
    assert_eq!(check(&[edge("storage-core", "storage-sled")]), 1, "upward");
    assert_eq!(
        check(&[edge("storage-crypto", "storage-sled")]),
        1,
        "sideways"
    );
    assert_eq!(
        check(&[edge("cloud-kv", "storage-api")]),
        1,
        "upward by two"
    );
    assert_eq!(check(&[edge("storage-core", "xtask")]), 1, "onto tooling");
    let dev = |from: &str, to: &str| (from.to_string(), to.to_string(), "dev".to_string());
    assert_eq!(
        check(&[dev("storage-sled", "powercut-fs")]),
        0,
        "tests may use tooling"
    );
    assert_eq!(
        check(&[dev("storage-core", "storage-sled")]),
        1,
        "tests still go down"
    );
    assert_eq!(
        violations(&names(&["mystery"]), &[]).len(),
        1,
        "a crate with no layer"
    );
}
