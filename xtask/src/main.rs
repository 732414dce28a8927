//! `cargo xtask <task>`: mpstore's developer tasks.
//!
//! - `test [--long]`: every check and every test of the workspace (what CI runs); `--long`
//!   raises the property-test cases and crash cycles;
//! - `crash [--cycles N]`: the kill -9 crash campaign of the sled backend, N cycles (default 1000).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(args[1..].iter().any(|a| a == "--long")),
        Some("crash") => crash(cycles(&args[1..])),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask test [--long] | crash [--cycles N]";

fn cycles(args: &[String]) -> Result<u32, String> {
    match args {
        [] => Ok(1000),
        [flag, n] if flag == "--cycles" => n.parse().map_err(|_| format!("bad cycle count {n:?}")),
        _ => Err(USAGE.to_string()),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace root, failing on a non-zero exit.
fn run(program: &str, args: &[&str], envs: &[(&str, String)]) -> Result<(), String> {
    eprintln!("xtask: running {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{program} {} failed ({status})", args.join(" ")))
    }
}

fn cargo(args: &[&str], envs: &[(&str, String)]) -> Result<(), String> {
    run(env!("CARGO"), args, envs)
}

fn test(long: bool) -> Result<(), String> {
    let envs: Vec<(&str, String)> = if long {
        vec![
            ("MPSTORE_TESTKIT_CASES", "4096".into()),
            ("MPSTORE_CRASH_CYCLES", "500".into()),
        ]
    } else {
        Vec::new()
    };
    cargo(&["fmt", "--all", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(&["test", "--workspace", "--all-features"], &envs)?;
    cargo(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings".into())],
    )?;
    Ok(())
}

fn crash(cycles: Result<u32, String>) -> Result<(), String> {
    let cycles = cycles?;
    cargo(
        &[
            "test",
            "--release",
            "-p",
            "storage-sled",
            "--test",
            "crash",
            "--",
            "--nocapture",
        ],
        &[("MPSTORE_CRASH_CYCLES", cycles.to_string())],
    )
}
