//! Hostile input through the command line, in real processes: arguments that are not UTF-8,
//! unknown dialects, values that are not JSON, nested far too deeply or beyond f64, empty keys
//! and ids, huge values on stdin, a hostile bridge stream on stdin, and the same store opened by
//! two processes at once. Each gets the documented exit code (`mpstore --help`, `mpstore::exit`)
//! and a clear message or platform-shaped result; nothing panics; the entries stored before are
//! all still there.
//!
//! How the command line runs: another package's binary cannot be named with
//! `CARGO_BIN_EXE_*`, and building it from inside a test would wait on the lock the running
//! `cargo test` holds. So the child process is this test binary, re-executed with an exact test
//! filter and [`ARGS_VAR`] set: it then runs exactly what `crates/mpstore/src/main.rs` runs
//! (`Cli::parse_from` the arguments, `mpstore::cli::run`, exit with its code) on the arguments
//! passed in `MPSTORE_HOSTILE_CLI_ARG_<i>` (so they can be any bytes), after printing
//! [`MARKER`] so the parent can tell the harness's own output from the command's.

use clap::Parser;
use mpstore::exit;
use mpstore_tests::bridge_lines::{kinds, responses};
use serde_json::{json, Value};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use storage_core::codes::{platform_error, ApiKind};
use storage_core::{Dialect, Error};

/// The number of arguments of the command line the child runs.
const ARGS_VAR: &str = "MPSTORE_HOSTILE_CLI_ARGC";
/// What the child prints before the command's own output.
const MARKER: &str = "<<mpstore-cli-output>>";
/// This file's one test, which is also the child's entry point.
const TEST: &str = "command_line_refuses_hostile_input_and_loses_nothing";

/// The child's side: be the `mpstore` binary.
fn run_as_cli() -> ! {
    let argc: usize = std::env::var(ARGS_VAR).unwrap().parse().unwrap();
    let args: Vec<OsString> = std::iter::once(OsString::from("mpstore"))
        .chain((0..argc).map(|i| std::env::var_os(format!("MPSTORE_HOSTILE_CLI_ARG_{i}")).unwrap()))
        .collect();
    println!("{MARKER}");
    // The two lines of crates/mpstore/src/main.rs.
    let cli = mpstore::cli::args::Cli::parse_from(args);
    std::process::exit(mpstore::cli::run(cli));
}

/// What a command did.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim()).unwrap_or_else(|e| panic!("{self:?}: {e}"))
    }
}

fn spawn(dir: &Path, args: &[&OsStr]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(ARGS_VAR, (args.len() + 2).to_string())
        .env("MPSTORE_HOSTILE_CLI_ARG_0", "--data-dir")
        .env("MPSTORE_HOSTILE_CLI_ARG_1", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (i, a) in args.iter().enumerate() {
        cmd.env(format!("MPSTORE_HOSTILE_CLI_ARG_{}", i + 2), a);
    }
    cmd.spawn().expect("start the command line")
}

fn finish(mut child: Child, stdin: &[u8]) -> Ran {
    let mut input = child.stdin.take().unwrap();
    // A child that exits early (a refused open) closes its stdin: that is not our failure.
    let _ = input.write_all(stdin);
    drop(input);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let Some((_, after)) = stdout.split_once(MARKER) else {
        panic!("the child never ran the command line: {stdout}");
    };
    Ran {
        code: out
            .status
            .code()
            .expect("exited, not killed by a signal (a crash)"),
        stdout: after.trim_start_matches('\n').to_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn mpstore(dir: &Path, args: &[&str]) -> Ran {
    mpstore_os(dir, &args.iter().map(OsStr::new).collect::<Vec<_>>(), b"")
}

fn mpstore_os(dir: &Path, args: &[&OsStr], stdin: &[u8]) -> Ran {
    finish(spawn(dir, args), stdin)
}

/// The fixture's entries are intact.
fn intact(dir: &Path, context: &str) {
    let one = mpstore(dir, &["get", "keep-1"]);
    assert_eq!(one.code, exit::OK, "{context}: {one:?}");
    assert_eq!(one.json()["data"], json!({"a": [1, "two"]}), "{context}");
    let info = mpstore(dir, &["--platform", "tt", "info"]);
    assert_eq!(
        info.json()["keys"],
        json!(["keep-1", "keep-2"]),
        "{context}"
    );
}

/// `args` exits with `code`, prints something to explain it, and loses nothing.
fn refused(dir: &Path, args: &[&OsStr], stdin: &[u8], code: i32) -> Ran {
    let ran = mpstore_os(dir, args, stdin);
    assert_eq!(ran.code, code, "{args:?}: {ran:?}");
    assert!(
        !(ran.stdout.trim().is_empty() && ran.stderr.trim().is_empty()),
        "{args:?}: no explanation"
    );
    assert!(!ran.stderr.contains("panicked"), "{args:?}: {}", ran.stderr);
    intact(dir, &format!("{args:?}"));
    ran
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn refs(args: &[OsString]) -> Vec<&OsStr> {
    args.iter().map(OsString::as_os_str).collect()
}

/// The platform's message for `err` from a local write, from the one table.
fn message(dialect: Dialect, err: &Error) -> String {
    platform_error(dialect, ApiKind::LocalWrite, err).message
}

#[test]
fn command_line_refuses_hostile_input_and_loses_nothing() {
    if std::env::var_os(ARGS_VAR).is_some() {
        run_as_cli();
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = &tmp.path().join("store");
    assert_eq!(
        mpstore(dir, &["set", "keep-1", r#"{"a":[1,"two"]}"#]).code,
        exit::OK
    );
    assert_eq!(
        mpstore(
            dir,
            &["--platform", "my", "set", "keep-2", "杭州", "--string"]
        )
        .code,
        exit::OK
    );
    intact(dir, "fixture");

    // The command line itself is wrong: clap's usage error, code 2.
    let not_utf8 = OsStr::from_bytes(b"k\xff\xfe");
    refused(
        dir,
        &[OsStr::new("set"), not_utf8, OsStr::new("1")],
        b"",
        exit::USAGE,
    );
    refused(dir, &[OsStr::new("get"), not_utf8], b"", exit::USAGE);
    refused(
        dir,
        &refs(&os(&["--platform", "xx", "get", "keep-1"])),
        b"",
        exit::USAGE,
    );
    refused(dir, &refs(&os(&["frobnicate"])), b"", exit::USAGE);
    refused(dir, &refs(&os(&["set", "k"])), b"", exit::USAGE);

    // Invalid input: code 5, with the platform's own message where the call reached it.
    for platform in ["wx", "my", "tt"] {
        let ran = refused(
            dir,
            &refs(&os(&["--platform", platform, "set", "", "1"])),
            b"",
            exit::INVALID,
        );
        let dialect = match platform {
            "wx" => Dialect::Wx,
            "my" => Dialect::My,
            _ => Dialect::Tt,
        };
        assert!(
            ran.stdout.contains(&message(dialect, &Error::EmptyKey)),
            "{platform}: {ran:?}"
        );
    }
    refused(
        dir,
        &refs(&os(&["set", "k", "not json"])),
        b"",
        exit::INVALID,
    );
    refused(dir, &refs(&os(&["set", "k", "1e400"])), b"", exit::INVALID);
    refused(
        dir,
        &refs(&os(&["set", "k", r#"{"$js":"number","value":"1e999"}"#])),
        b"",
        exit::INVALID,
    );
    refused(
        dir,
        &refs(&os(&["set", "k", r#"{"$js":"string","utf16":[55296]}"#])),
        b"",
        exit::INVALID,
    );
    let too_deep_for_json = format!("{}1{}", "[".repeat(50_000), "]".repeat(50_000));
    refused(
        dir,
        &refs(&os(&["set", "k", &too_deep_for_json])),
        b"",
        exit::INVALID,
    );
    let too_deep_to_store = format!("{}1{}", "[".repeat(110), "]".repeat(110));
    refused(
        dir,
        &refs(&os(&["set", "k", &too_deep_to_store])),
        b"",
        exit::INVALID,
    );
    refused(
        dir,
        &refs(&os(&["--user", "", "get", "keep-1"])),
        b"",
        exit::INVALID,
    );
    refused(
        dir,
        &refs(&os(&["--plugin", "", "get", "keep-1"])),
        b"",
        exit::INVALID,
    );

    // Limits: code 4. A value too large for one argument comes on stdin.
    let huge = json!([{"key": "k", "value": "x".repeat(1_048_576)}]).to_string();
    let ran = refused(
        dir,
        &refs(&os(&["batch", "set", "-"])),
        huge.as_bytes(),
        exit::LIMIT,
    );
    let too_large = Error::EntryTooLarge { size: 0, limit: 0 };
    assert!(
        ran.stdout.contains(&message(Dialect::Wx, &too_large)),
        "{ran:?}"
    );
    refused(
        dir,
        &refs(&os(&["batch", "set", "-"])),
        b"[{\"key\": 1",
        exit::INVALID,
    );

    // Not found: code 3, for every dialect.
    for platform in ["wx", "tt"] {
        refused(
            dir,
            &refs(&os(&["--platform", platform, "get", "missing"])),
            b"",
            exit::NOT_FOUND,
        );
    }

    // A hostile stream through the bridge: one response per line, code 0, nothing lost.
    let stream = [
        &b"not json\n"[..],
        b"\xff\xff\n",
        &[b'['; 10_000],
        b"\n",
        &[b'y'; 5_000],
        b"\n",
        br#"{"id":1,"api":"xx.getStorage","ctx":{"user":"user","app":"app"}}"#,
        b"\n",
        br#"{"id":2,"api":"wx.removeStorageSync","ctx":{"user":"user","app":"app"},"args":[""]}"#,
        b"\n",
        br#"{"id":3,"api":"wx.getStorageSync","ctx":{"user":"user","app":"app"},"args":["keep-1"]}"#,
    ]
    .concat();
    let ran = mpstore_os(
        dir,
        &refs(&os(&["bridge", "--max-line-bytes", "4096"])),
        &stream,
    );
    assert_eq!(ran.code, exit::OK, "{ran:?}");
    let lines = responses(&ran.stdout);
    assert_eq!(
        kinds(&lines),
        [
            "bad_json",
            "bad_json",
            "line_too_long",
            "line_too_long",
            "unknown_api",
            "throw",
            "return"
        ]
    );
    assert_eq!(lines[6]["result"], json!({"a": [1, "two"]}));
    intact(dir, "bridge stream");

    // The same store opened twice: the second process is refused (code 7) with a clear message
    // while the first keeps serving; once the first is gone, the store opens again.
    let first = spawn(dir, &refs(&os(&["bridge"])));
    // The first bridge has opened the store when it answers a request.
    let mut first = first;
    let mut stdin = first.stdin.take().unwrap();
    let mut stdout = std::io::BufReader::new(first.stdout.take().unwrap());
    let request =
        r#"{"id":1,"api":"wx.getStorageSync","ctx":{"user":"user","app":"app"},"args":["keep-2"]}"#;
    writeln!(stdin, "{request}").unwrap();
    let mut line = String::new();
    while !line.starts_with('{') {
        line.clear();
        assert_ne!(
            std::io::BufRead::read_line(&mut stdout, &mut line).unwrap(),
            0,
            "the first bridge ended"
        );
    }
    assert_eq!(
        serde_json::from_str::<Value>(&line).unwrap()["result"],
        "杭州"
    );
    for args in [
        &["get", "keep-1"][..],
        &["bridge"],
        &["set", "k", "1"],
        &["rotate-key"],
    ] {
        let second = mpstore(dir, args);
        assert_eq!(second.code, exit::CANNOT_OPEN, "{args:?}: {second:?}");
        assert!(second.stderr.contains("cannot"), "{args:?}: {second:?}");
    }
    drop(stdin);
    assert!(first.wait().unwrap().success());
    intact(dir, "after the second open");

    // A damaged key file: refused (code 7), and the store opens again with the real key.
    let key_file = dir.join("master.key");
    let key = std::fs::read(&key_file).unwrap();
    std::fs::write(&key_file, b"not a key").unwrap();
    let ran = mpstore(dir, &["get", "keep-1"]);
    assert_eq!(ran.code, exit::CANNOT_OPEN, "{ran:?}");
    std::fs::write(&key_file, &key).unwrap();
    intact(dir, "after a damaged key file");
}
