//! What the command-line tests share.
#![allow(dead_code)] // each test binary uses its own part of this

use std::path::Path;
use std::process::Command;

/// Runs the real `mpstore --data-dir DIR ARGS`; returns (exit code, stdout, trimmed).
pub fn mpstore(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, stdout, _) = mpstore_with_stderr(dir, args);
    (code, stdout)
}

/// [`mpstore`], with what the command said on stderr.
pub fn mpstore_with_stderr(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    (out.status.code().unwrap(), stdout.trim().to_owned(), stderr)
}
