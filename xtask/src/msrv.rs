//! The workspace's minimum supported Rust version: it must be the highest `rust-version` any
//! package in the lock file declares, since the workspace cannot build with less.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// A version as `rust-version` writes it (`1.88`, `1.85.1`), comparable.
pub type Version = Vec<u64>;

/// Parses `1.88` or `1.85.1`; `None` for anything else.
pub fn parse(text: &str) -> Option<Version> {
    text.split('.').map(|n| n.parse().ok()).collect()
}

/// The workspace's own `rust-version`, and the highest one a dependency declares with the
/// packages that declare it, read from `cargo metadata` over the lock file.
pub fn declared(root: &Path) -> Result<(Version, Version, Vec<String>), String> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let meta: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .ok_or("no workspace members")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let (mut ours, mut highest, mut by) = (None, Vec::new(), Vec::new());
    for p in meta["packages"].as_array().ok_or("no packages")? {
        let Some(version) = p["rust_version"].as_str().and_then(parse) else {
            continue;
        };
        let name = format!("{} {}", p["name"].as_str().unwrap_or("?"), p["version"]);
        if members.contains(&p["id"].as_str().unwrap_or_default()) {
            ours = Some(version);
        } else if version > highest {
            (highest, by) = (version, vec![name]);
        } else if version == highest {
            by.push(name);
        }
    }
    Ok((
        ours.ok_or("the workspace declares no rust-version")?,
        highest,
        by,
    ))
}
