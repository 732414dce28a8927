//! The layering of the workspace: which crate sits on which layer, and the rule that checks it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Each workspace crate and its layer. A crate may depend only on workspace crates of a lower
/// layer; tooling (tests across crates, benchmarks, test file systems, xtask) sits above every
/// layer, and any crate may use it in its own tests (a dev-dependency).
pub const LAYERS: &[(&str, u32)] = &[
    ("storage-core", 0),
    ("storage-crypto", 1),
    ("storage-sled", 1),
    ("storage-redis", 1),
    ("cloud-kv", 2),
    ("storage-api", 3),
    ("storage-serve", 3),
    ("storage-inspect", 4),
    ("mpstore", 5),
    ("mpstore-node", 5),
    ("mpstore-tests", TOOLING),
    ("mpstore-bench", TOOLING),
    ("mpstore-fuzz", TOOLING),
    ("powercut-fs", TOOLING),
    ("xtask", TOOLING),
];

/// The layer of tooling crates: above everything, depended on by nothing but tests.
pub const TOOLING: u32 = u32::MAX;

/// A dependency edge between workspace crates: (from, to, kind).
pub type Edge = (String, String, String);

/// Every edge between workspace crates, read from `cargo metadata`.
pub fn workspace_edges(root: &Path) -> Result<(Vec<String>, Vec<Edge>), String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let meta: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let packages = meta["packages"].as_array().ok_or("no packages")?;
    let names: Vec<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut edges = Vec::new();
    for p in packages {
        let from = p["name"].as_str().unwrap_or_default();
        for d in p["dependencies"].as_array().into_iter().flatten() {
            let to = d["name"].as_str().unwrap_or_default();
            if names.iter().any(|n| n == to) && to != from {
                let kind = d["kind"].as_str().unwrap_or("normal").to_owned();
                edges.push((from.to_owned(), to.to_owned(), kind));
            }
        }
    }
    Ok((names, edges))
}

/// The rule: every crate has a layer, and every edge goes strictly down, except that a
/// dev-dependency may reach a tooling crate (e.g. a crash test mounting `powercut-fs`).
pub fn violations(names: &[String], edges: &[Edge]) -> Vec<String> {
    let layers: BTreeMap<&str, u32> = LAYERS.iter().copied().collect();
    let mut problems: Vec<String> = names
        .iter()
        .filter(|n| !layers.contains_key(n.as_str()))
        .map(|n| format!("crate `{n}` has no layer: add it to xtask/src/layers.rs"))
        .collect();
    for (from, to, kind) in edges {
        let (Some(&lf), Some(&lt)) = (layers.get(from.as_str()), layers.get(to.as_str())) else {
            continue;
        };
        let test_tooling = kind == "dev" && lt == TOOLING;
        if lt >= lf && !test_tooling {
            problems.push(format!(
                "`{from}` (layer {}) has a {kind} dependency on `{to}` (layer {}): a crate may depend only on lower layers",
                show(lf),
                show(lt)
            ));
        }
    }
    problems
}

fn show(layer: u32) -> String {
    if layer == TOOLING {
        "tooling".into()
    } else {
        layer.to_string()
    }
}
