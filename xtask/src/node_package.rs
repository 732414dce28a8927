//! `cargo xtask node-package [--debug] [--out DIR]`: the npm packages of `js/`, made the way
//! napi-rs projects publish, so that `npm install mpstore-node` needs no Rust toolchain:
//!
//! - `mpstore-node` (the JavaScript of `js/`), whose optional dependency is
//! - `mpstore-node-linux-x64-gnu`, the platform package: the addon built from
//!   `crates/mpstore-node`, as `mpstore.linux-x64-gnu.node`, with `os` / `cpu` / `libc` so that
//!   npm installs it only where it runs.
//!
//! `cargo xtask node-install-test` (also run by `cargo xtask test`) installs both tarballs into a
//! fresh project whose `PATH` has no cargo or rustc, checks that the engine is the platform
//! package's (`js/scripts/install-check.js`) and runs the seeds' examples there
//! (`js/test/seeds.test.js`, requiring `mpstore-node`).

use crate::{cargo, root};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The napi-rs triple of the one platform packaged so far.
const TRIPLE: &str = "linux-x64-gnu";

/// The two tarballs `npm pack` made.
pub struct Tarballs {
    /// `mpstore-node-<version>.tgz`, the main package.
    pub main: PathBuf,
    /// `mpstore-node-linux-x64-gnu-<version>.tgz`, the platform package.
    pub platform: PathBuf,
}

/// `node-package [--debug] [--out DIR]`: packs both packages, prints the tarballs' paths.
pub fn node_package(args: &[String]) -> Result<(), String> {
    let mut debug = false;
    let mut out = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--debug" => debug = true,
            "--out" => {
                let dir = rest.next().ok_or("--out needs a directory")?;
                out = Some(absolute(Path::new(dir))?);
            }
            other => return Err(format!("node-package: unknown argument {other:?}")),
        }
    }
    let out = out.unwrap_or_else(|| root().join("target/npm"));
    let tarballs = pack(debug, &out)?;
    println!("{}", tarballs.main.display());
    println!("{}", tarballs.platform.display());
    Ok(())
}

/// Builds the addon (release, or debug with `debug`), lays out the platform package under
/// `out/<triple>/`, and packs it and `js/` into `out`.
pub fn pack(debug: bool, out: &Path) -> Result<Tarballs, String> {
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64") && cfg!(target_env = "gnu")) {
        return Err(format!(
            "node-package makes the {TRIPLE} package only, and must run on {TRIPLE}"
        ));
    }
    let profile = if debug { "debug" } else { "release" };
    let mut build = vec!["build", "-p", "mpstore-node"];
    if !debug {
        build.push("--release");
    }
    cargo(&build, &[])?;
    let addon = target_dir().join(profile).join("libmpstore_node.so");
    if !addon.is_file() {
        return Err(format!("the build left no addon at {}", addon.display()));
    }

    let js = root().join("js");
    let main: Value = read_json(&js.join("package.json"))?;
    let version = main["version"]
        .as_str()
        .ok_or("js/package.json has no version")?;
    let name = format!("mpstore-node-{TRIPLE}");
    let binary = format!("mpstore.{TRIPLE}.node");

    let dir = out.join(TRIPLE);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let manifest = json!({
        "name": name,
        "version": version,
        "description": format!("The mpstore engine (the native addon of mpstore-node) for {TRIPLE}"),
        "license": main["license"],
        "repository": main["repository"],
        "engines": main["engines"],
        "os": ["linux"],
        "cpu": ["x64"],
        "libc": ["glibc"],
        "main": binary,
        "files": [binary],
    });
    let text = serde_json::to_string_pretty(&manifest).expect("a JSON value prints") + "\n";
    write(&dir.join("package.json"), &text)?;
    write(
        &dir.join("README.md"),
        &format!(
            "# {name}\n\nThe native addon of [`mpstore-node`](https://www.npmjs.com/package/mpstore-node) \
             for {TRIPLE}, built from `crates/mpstore-node` ({profile} profile). Install \
             `mpstore-node`, not this package: npm picks it as an optional dependency.\n"
        ),
    )?;
    std::fs::copy(&addon, dir.join(&binary))
        .map_err(|e| format!("cannot copy {}: {e}", addon.display()))?;

    Ok(Tarballs {
        platform: npm_pack(&dir, out)?,
        main: npm_pack(&js, out)?,
    })
}

/// `cargo xtask node-install-test`: installs the packed packages into a fresh project, with no
/// Rust toolchain on the PATH and no MPSTORE_* variables, and runs the seeds' examples there.
pub fn install_test() -> Result<(), String> {
    let temp = TempDir::new("mpstore-node-install")?;
    // A debug build: the test checks the packaging, not the speed, and reuses the build of the
    // JS tests, which keeps CI time down.
    let tarballs = pack(true, &temp.0.join("npm"))?;
    let project = temp.0.join("project");
    std::fs::create_dir(&project)
        .map_err(|e| format!("cannot create {}: {e}", project.display()))?;
    let path = path_without_rust()?;
    let user = |program: &str, args: &[&str]| -> Result<(), String> {
        eprintln!(
            "xtask: running {program} {} in {} (no cargo on the PATH)",
            args.join(" "),
            project.display()
        );
        let status = Command::new(program)
            .args(args)
            .current_dir(&project)
            .env("PATH", &path)
            .env_remove("MPSTORE_ADDON")
            .env_remove("MPSTORE_BIN")
            .env_remove("MPSTORE_ENGINE")
            .status()
            .map_err(|e| format!("cannot start {program}: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{program} {} failed ({status})", args.join(" ")))
        }
    };
    user("npm", &["init", "-y"])?;
    let main = tarballs.main.display().to_string();
    let platform = tarballs.platform.display().to_string();
    user(
        "npm",
        &["install", &main, &platform, "--no-audit", "--no-fund"],
    )?;
    let check = root().join("js/scripts/install-check.js");
    std::fs::copy(&check, project.join("install-check.js"))
        .map_err(|e| format!("cannot copy {}: {e}", check.display()))?;
    user("node", &["install-check.js"])?;
    // The seeds' examples, as the package's own tests run them, on the installed package.
    let seeds = root().join("js/test/seeds.test.js");
    let text = std::fs::read_to_string(&seeds)
        .map_err(|e| format!("cannot read {}: {e}", seeds.display()))?;
    let installed = text.replace("require('..')", "require('mpstore-node')");
    if installed == text {
        return Err(format!("{} no longer requires '..'", seeds.display()));
    }
    std::fs::write(project.join("seeds.test.js"), installed)
        .map_err(|e| format!("cannot write the seeds' test: {e}"))?;
    user("node", &["--test", "seeds.test.js"])
}

/// The PATH of this process without the directories holding a `cargo` or `rustc` executable.
fn path_without_rust() -> Result<OsString, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| !dir.join("cargo").is_file() && !dir.join("rustc").is_file())
        .collect();
    std::env::join_paths(kept).map_err(|e| format!("cannot build a PATH: {e}"))
}

/// `npm pack` of the package in `dir` into `out`: the tarball's path (from npm's JSON report).
fn npm_pack(dir: &Path, out: &Path) -> Result<PathBuf, String> {
    let out_arg = out.display().to_string();
    eprintln!(
        "xtask: running npm pack --pack-destination {out_arg} --json in {}",
        dir.display()
    );
    let output = Command::new("npm")
        .args(["pack", "--pack-destination", &out_arg, "--json"])
        .current_dir(dir)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start npm: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "npm pack of {} failed ({})",
            dir.display(),
            output.status
        ));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("npm pack of {}: unreadable report: {e}", dir.display()))?;
    let file = report[0]["filename"]
        .as_str()
        .map(|name| out.join(name))
        .ok_or_else(|| format!("npm pack of {} named no tarball", dir.display()))?;
    if file.is_file() {
        Ok(file)
    } else {
        Err(format!("npm pack left no {}", file.display()))
    }
}

/// The cargo target directory: $CARGO_TARGET_DIR, else the workspace's `target`.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

fn absolute(path: &Path) -> Result<PathBuf, String> {
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .map_err(|e| format!("no current directory: {e}"))
}

fn read_json(file: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))
}

fn write(file: &Path, text: &str) -> Result<(), String> {
    std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

/// A fresh directory under the system's temporary directory, removed when dropped (also when
/// the test fails).
struct TempDir(PathBuf);

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.0) {
            eprintln!("xtask: cannot remove {}: {e}", self.0.display());
        }
    }
}
