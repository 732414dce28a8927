//! I/O faults: a read-only directory and writes that start failing at chosen file offsets. Each
//! must give the caller a clear error and leave the stored data as it was (plus, at most, the
//! one write that was in flight, whole). A full disk is `full_disk.rs`'s.
//!
//! The faults are injected by the operating system in a child process (this binary,
//! re-executed with [`CHILD`] set), so that they never touch the test runner:
//! - **open in another process:** a child holds the store open; opening it here is refused;
//! - **read-only directory:** the store's files and directories are made read-only, and the
//!   child, if running as root, drops to an unprivileged user first (root ignores permissions);
//! - **failing writes:** the child lowers `RLIMIT_FSIZE` to the store's current size plus a
//!   chosen number of bytes and ignores `SIGXFSZ`, so sled's log write that crosses that offset
//!   fails with `EFBIG`, at a different point of sled's write path for each offset tried.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use storage_core::{block_on, Backend, Error, Limits, Op};
use storage_sled::{SledBackend, SledOptions};

mod common;
use common::selected;

const CHILD: &str = "MPSTORE_FAULT_CHILD";
const CHILD_DIR: &str = "MPSTORE_FAULT_DIR";
const CHILD_EXTRA_BYTES: &str = "MPSTORE_FAULT_EXTRA_BYTES";
/// If set, the value log segment size the `file-size` child opens its store with.
const CHILD_SEGMENT_BYTES: &str = "MPSTORE_FAULT_SEGMENT_BYTES";
const NS: &[u8] = b"faulty";
/// Writes a child tries before giving up waiting for a fault.
const MAX_WRITES: u32 = 20_000;

fn main() {
    match std::env::var(CHILD).ok().as_deref() {
        Some("read-only") => child_read_only(),
        Some("file-size") => child_file_size(),
        Some("holder") => child_holder(),
        Some(other) => panic!("unknown child case {other}"),
        None if selected("io_faults") => {
            open_in_another_process();
            read_only_directory();
            writes_failing_at_chosen_offsets();
            a_value_log_segment_that_cannot_be_created();
        }
        None => {}
    }
}

/// Write number `i`: a put of a new key with a value only it has; one in 8 is large enough to
/// go to sled's blob files.
fn write(i: u32) -> Op {
    let len = if i % 8 == 7 {
        5000
    } else {
        200 + (i % 50) as usize
    };
    Op::Put {
        key: format!("key{i:06}").into_bytes(),
        value: format!("<value {i}>").bytes().cycle().take(len).collect(),
        charge: u64::from(i % 13),
    }
}

/// The store must hold exactly writes `0..n` for some `n` in `acked..=acked + 1`: every
/// acknowledged write, plus at most the one in flight, whole; usage must agree.
fn check_holds_writes(dir: &Path, acked: u32, context: &str) -> u32 {
    let s = SledBackend::open(dir)
        .unwrap_or_else(|e| panic!("{context}: reopening after the fault failed: {e}"));
    let listing = block_on(s.list(NS)).unwrap();
    let n = listing.keys.len() as u32;
    assert!(
        n == acked || n == acked + 1,
        "{context}: {acked} writes acknowledged, {n} found"
    );
    let mut charges = 0;
    for (i, key) in (0..n).zip(&listing.keys) {
        let Op::Put {
            key: k,
            value,
            charge,
        } = write(i)
        else {
            unreachable!()
        };
        assert_eq!(key, &k, "{context}: order");
        let stored = block_on(s.get(NS, key)).unwrap();
        assert_eq!(
            stored.as_deref(),
            Some(&value[..]),
            "{context}: value of write {i}"
        );
        charges += charge;
    }
    assert_eq!(
        (listing.usage.bytes, listing.usage.entries),
        (charges, u64::from(n)),
        "{context}: usage"
    );
    n
}

/// Makes the store at `dir` hold writes `0..n`.
fn seed_store(dir: &Path, n: u32) {
    let s = SledBackend::open(dir).unwrap();
    for i in 0..n {
        block_on(s.apply(NS, &[write(i)], Limits::NONE)).unwrap();
    }
}

fn child_command(case: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD, case)
        .env(CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    cmd
}

/// The child's output lines; panics if it did not exit cleanly.
fn run_child(mut cmd: Command) -> Vec<String> {
    let mut child = cmd.spawn().unwrap();
    let lines: Vec<String> = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .collect();
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed ({status}): {lines:?}");
    lines
}

fn child_dir() -> PathBuf {
    std::env::var_os(CHILD_DIR).unwrap().into()
}

/// What an open gave, as one line for the parent.
fn outcome<T>(r: Result<T, Error>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => format!("error {e}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Open in another process

/// Holds the store open until its standard input closes.
fn child_holder() {
    let store = SledBackend::open(child_dir()).unwrap();
    // Whatever opening left to write is written now, so the parent sees still files.
    store.flush().unwrap();
    println!("OPEN");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut rest);
}

fn open_in_another_process() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    seed_store(&dir, 5);
    let mut cmd = child_command("holder", &dir);
    cmd.stdin(Stdio::piped());
    let mut holder = cmd.spawn().unwrap();
    let mut out = BufReader::new(holder.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "OPEN\n", "the holder failed to open the store");
    let before = snapshot(tmp.path());
    match SledBackend::open(&dir) {
        Err(Error::Backend(msg)) => assert!(msg.contains("open in another process"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(snapshot(tmp.path()), before, "a refused open changed files");
    drop(holder.stdin.take()); // the holder exits
    assert!(holder.wait().unwrap().success());
    check_holds_writes(&dir, 5, "after the other process closed it");
    println!("faults: a store open in another process refused clearly, nothing changed");
}

// ---------------------------------------------------------------------------------------------
// Read-only directory

fn child_read_only() {
    if unsafe { libc::geteuid() } == 0 {
        // Root ignores permissions: become `nobody` so the read-only bits bite.
        let ok = unsafe { libc::setgid(65534) == 0 && libc::setuid(65534) == 0 };
        assert!(ok, "cannot drop privileges");
    }
    let dir = child_dir();
    println!("existing {}", outcome(SledBackend::open(dir.join("store"))));
    println!("new-inside {}", outcome(SledBackend::open(dir.join("new"))));
    println!(
        "empty-dir {}",
        outcome(SledBackend::open(dir.join("empty")))
    );
}

fn set_mode_recursively(path: &Path, dir_mode: u32, file_mode: u32) {
    let mode = if path.is_dir() { dir_mode } else { file_mode };
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            set_mode_recursively(&e.unwrap().path(), dir_mode, file_mode);
        }
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.insert(p.clone(), Vec::new());
            out.extend(snapshot(&p));
        } else {
            out.insert(p.clone(), std::fs::read(&p).unwrap());
        }
    }
    out
}

fn read_only_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    seed_store(&root.join("store"), 20);
    std::fs::create_dir(root.join("empty")).unwrap();
    // Readable and traversable by everyone (the child may be `nobody`), writable by no one.
    set_mode_recursively(root, 0o555, 0o444);
    let before = snapshot(root);
    let lines = run_child(child_command("read-only", root));
    let expect = [
        ("existing ", "cannot open the store"),
        ("new-inside ", "cannot create the store directory"),
        ("empty-dir ", "cannot create a store"),
    ];
    assert_eq!(lines.len(), expect.len(), "{lines:?}");
    for (line, (case, message)) in lines.iter().zip(expect) {
        let rest = line.strip_prefix(case).unwrap_or_else(|| panic!("{line}"));
        assert!(
            rest.starts_with("error ") && rest.contains(message) && rest.contains("ermission"),
            "read-only {case}: want a clear permission error about {message:?}, got {rest:?}"
        );
    }
    assert_eq!(snapshot(root), before, "a refused open changed files");
    set_mode_recursively(root, 0o755, 0o644);
    check_holds_writes(&root.join("store"), 20, "after the read-only open");
    println!("faults: read-only directory refused clearly, nothing changed");
}

// ---------------------------------------------------------------------------------------------
// Writes failing at chosen offsets (RLIMIT_FSIZE)

fn child_file_size() {
    let dir = child_dir();
    let extra: u64 = std::env::var(CHILD_EXTRA_BYTES).unwrap().parse().unwrap();
    let mut options = SledOptions::default();
    if let Ok(bytes) = std::env::var(CHILD_SEGMENT_BYTES) {
        options.value_log_segment_bytes = bytes.parse().unwrap();
    }
    let s = SledBackend::open_with(&dir, options).unwrap();
    let start = block_on(s.list(NS)).unwrap().keys.len() as u32;
    let size = std::fs::metadata(dir.join("db")).unwrap().len();
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let limit = libc::rlimit {
            rlim_cur: size + extra,
            rlim_max: libc::RLIM_INFINITY,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    for i in start..start + MAX_WRITES {
        match block_on(s.apply(NS, &[write(i)], Limits::NONE)) {
            Ok(_) => println!("ACK {i}"),
            Err(e) => {
                println!("FAIL {e}");
                // Once a write has failed, every call is refused until the store is reopened.
                println!(
                    "THEN-APPLY {}",
                    outcome(block_on(s.apply(NS, &[write(i + 1)], Limits::NONE)))
                );
                println!("THEN-GET {}", outcome(block_on(s.get(NS, b"key000000"))));
                return;
            }
        }
    }
    println!("NO-FAULT");
}

fn writes_failing_at_chosen_offsets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    seed_store(&dir, 10);
    let mut held = 10;
    // Offsets past the current end of the log: 0 fails the very next write; the others land
    // inside, at the end of, and past one write's log record, and across sled's buffers.
    for extra in [0, 1, 100, 333, 1000, 4096, 5000, 20_000, 70_000, 300_000] {
        let context = format!("writes failing {extra} bytes past the end");
        let mut cmd = child_command("file-size", &dir);
        cmd.env(CHILD_EXTRA_BYTES, extra.to_string());
        let lines = run_child(cmd);
        let acks = lines.iter().filter(|l| l.starts_with("ACK ")).count() as u32;
        let tail: Vec<&String> = lines.iter().filter(|l| !l.starts_with("ACK ")).collect();
        assert_eq!(tail.len(), 3, "{context}: {tail:?}");
        assert!(
            tail[0].starts_with("FAIL backend failure:") && tail[0].contains("File too large"),
            "{context}: want a clear error naming the cause, got {:?}",
            tail[0]
        );
        for later in &tail[1..] {
            assert!(later.contains("reopen it"), "{context}: {later}");
        }
        held = check_holds_writes(&dir, held + acks, &context);
    }
    println!("faults: failing writes at 10 offsets reported clearly; acknowledged data intact");
}

/// The value log's first segment cannot be created (its preallocation crosses the file size
/// limit): the large write fails clearly, the store stops, and reopening finds every
/// acknowledged write, nothing of the failed one, and no segment file left behind.
fn a_value_log_segment_that_cannot_be_created() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let context = "a value log segment past the file size limit";
    let mut cmd = child_command("file-size", &dir);
    // Segments of 64 MiB, far past sled's files plus 1 MiB.
    cmd.env(CHILD_EXTRA_BYTES, (1 << 20).to_string())
        .env(CHILD_SEGMENT_BYTES, (64 << 20).to_string());
    let lines = run_child(cmd);
    let acks = lines.iter().filter(|l| l.starts_with("ACK ")).count() as u32;
    // Writes 0 to 6 are small; write 7 is the first large one.
    assert_eq!(acks, 7, "{context}: {lines:?}");
    let tail: Vec<&String> = lines.iter().filter(|l| !l.starts_with("ACK ")).collect();
    assert_eq!(tail.len(), 3, "{context}: {tail:?}");
    assert!(
        tail[0].starts_with("FAIL backend failure:")
            && tail[0].contains("value log")
            && tail[0].contains("File too large"),
        "{context}: want a clear error naming the cause, got {:?}",
        tail[0]
    );
    for later in &tail[1..] {
        assert!(later.contains("reopen it"), "{context}: {later}");
    }
    assert_eq!(check_holds_writes(&dir, acks, context), acks, "{context}");
    let segments = std::fs::read_dir(dir.join("values")).unwrap().count();
    assert_eq!(segments, 0, "{context}: a segment file was left behind");
    println!("faults: a value log segment that cannot be created reported clearly; data intact");
}
