//! What the command-line tests share.

use std::path::Path;
use std::process::Command;

/// Runs the real `mpstore --data-dir DIR ARGS`; returns (exit code, stdout, trimmed).
pub fn mpstore(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mpstore"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    (out.status.code().unwrap(), stdout.trim().to_owned())
}
