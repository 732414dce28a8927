//! `cargo xtask <task>`: mpstore's developer tasks.
//!
//! - `test [--long]`: every check and every test of the workspace (what CI runs), installing
//!   Redis and Chromium when missing; `--long` raises the property-test cases and crash cycles;
//! - `crash [--cycles N]`: the kill -9 crash campaigns (the sled backend, the whole stack when
//!   `tests/tests/stack_crash.rs` exists, and a Node process on the addon), N cycles each
//!   (default 1000); `crash --power [--cycles N]`: the sled backend's power cut campaign on a
//!   FUSE file system that drops unsynced writes, N cycles (default 500);
//! - `bench [ARGS]`: the benchmarks of `crates/mpstore-bench`, in release mode (`--quick` / `--full`);
//!   `bench --only node [--quick]`: the Node package's (`js/bench/node.js`);
//! - `fuzz [--seconds N]`: every cargo-fuzz target under `fuzz/` for N seconds each (default 60),
//!   on the nightly toolchain, installing cargo-fuzz if it is missing;
//! - `node-package [--debug] [--out DIR]`: the npm packages `mpstore-node` and its platform package
//!   (default: a release build, into `target/npm`); `node-install-test` installs them into a fresh
//!   project with no Rust toolchain and runs the seeds' examples there (part of `test`).

mod node_package;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(args[1..].iter().any(|a| a == "--long")),
        Some("crash") => crash(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("fuzz") => fuzz(seconds(&args[1..])),
        Some("node-package") => node_package::node_package(&args[1..]),
        Some("node-install-test") => node_package::install_test(),
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

const USAGE: &str =
    "usage: cargo xtask test [--long] | crash [--power] [--cycles N] | bench [--quick|--full] | fuzz [--seconds N] \
     | node-package [--debug] [--out DIR] | node-install-test";

/// The value of `--<name> N`, or `default` when absent.
fn count(args: &[String], name: &str, default: u32) -> Result<u32, String> {
    match args {
        [] => Ok(default),
        [flag, n] if *flag == format!("--{name}") => {
            n.parse().map_err(|_| format!("bad --{name} value {n:?}"))
        }
        _ => Err(USAGE.to_string()),
    }
}

fn seconds(args: &[String]) -> Result<u32, String> {
    count(args, "seconds", 60)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

/// Runs a command in the workspace root, failing on a non-zero exit.
fn run(program: &str, args: &[&str], envs: &[(&str, String)]) -> Result<(), String> {
    run_in(&root(), program, args, envs)
}

/// Runs a command in `dir`, failing on a non-zero exit.
fn run_in(dir: &Path, program: &str, args: &[&str], envs: &[(&str, String)]) -> Result<(), String> {
    eprintln!(
        "xtask: running {program} {} in {}",
        args.join(" "),
        dir.display()
    );
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(dir)
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
    let mut envs: Vec<(&str, String)> = if long {
        vec![
            ("MPSTORE_TESTKIT_CASES", "4096".into()),
            ("MPSTORE_CRASH_CYCLES", "500".into()),
            ("MPSTORE_POWER_CYCLES", "100".into()),
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
    // storage-api without its default stack (sled, encryption) compiles clean too.
    cargo(
        &[
            "clippy",
            "-p",
            "storage-api",
            "--no-default-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    if std::env::var("MPSTORE_SKIP_REDIS").is_ok_and(|v| v == "1") {
        // A skip must not pass unnoticed where the cluster can always be started.
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err("MPSTORE_SKIP_REDIS=1 is refused under CI=true".into());
        }
        cargo(&["test", "--workspace", "--all-features"], &envs)?;
    } else {
        with_redis_cluster(|cluster| {
            envs.push(("MPSTORE_REDIS_CLUSTER", cluster));
            cargo(&["test", "--workspace", "--all-features"], &envs)
        })?;
    }
    cargo(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings".into())],
    )?;
    js_tests(long)?;
    node_package::install_test()?;
    // Every crate packs for a registry: metadata, versions on path dependencies, its README.
    // (Building each tarball again would double the run; the README examples are doc tests.)
    cargo(
        &["package", "--workspace", "--no-verify", "--allow-dirty"],
        &[],
    )
}

/// Runs `f` with a local Redis Cluster (three masters on loopback, `scripts/redis-cluster/`)
/// for the `storage-redis` tests, handing it the node list; stops the cluster afterwards, also
/// when `f` fails. Installs Debian's `redis-server` first if the machine lacks it.
fn with_redis_cluster(f: impl FnOnce(String) -> Result<(), String>) -> Result<(), String> {
    let has_redis = Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok();
    if !has_redis {
        run("apt-get", &["update", "-qq"], &[])?;
        run("apt-get", &["install", "-y", "-qq", "redis-server"], &[])?;
    }
    let scripts = root().join("scripts/redis-cluster");
    let stop = || run(&scripts.join("stop").display().to_string(), &[], &[]);
    stop()?;
    let out = Command::new(scripts.join("start"))
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot start the Redis Cluster: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cluster = stdout
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("MPSTORE_REDIS_CLUSTER="))
        .filter(|_| out.status.success())
        .map(str::to_owned);
    let Some(cluster) = cluster else {
        stop()?;
        return Err(format!(
            "the Redis Cluster did not start:\n{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    };
    let result = f(cluster);
    stop()?;
    result
}

/// The Node package's tests (seed examples, contract edge cases, typings checks) on both of its
/// engines: the freshly built addon (in process) and the bridge of a freshly built `mpstore`,
/// with the package's dev-dependencies installed from the lock file.
fn js_tests(long: bool) -> Result<(), String> {
    cargo(&["build", "-p", "mpstore", "-p", "mpstore-node"], &[])?;
    let js = root().join("js");
    let target = root().join("target/debug");
    let bin = target.join("mpstore").display().to_string();
    let addon = target.join("libmpstore_node.so").display().to_string();
    // Node >= 20 and npm are required; the dev-dependencies come from the lock file.
    run_in(&js, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    let chromium = chromium()?;
    for engine in ["addon", "bridge"] {
        let mut envs = vec![
            ("MPSTORE_BIN", bin.clone()),
            ("MPSTORE_ADDON", addon.clone()),
            ("MPSTORE_ENGINE", engine.to_owned()),
            ("MPSTORE_CHROMIUM", chromium.clone()),
        ];
        if long {
            // The Node kill -9 campaign (js/test/crash.test.js): 10 cycles otherwise.
            envs.push(("MPSTORE_CRASH_CYCLES", "100".to_owned()));
        }
        run_in(&js, "node", &["--test", "test/"], &envs)?;
    }
    // Taro, uni-app and pinia-plugin-persistedstate, unmodified, on the addon's objects.
    let frameworks = js.join("frameworks");
    run_in(&frameworks, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    run_in(
        &frameworks,
        "node",
        &["--test"],
        &[("MPSTORE_ADDON", addon)],
    )
}

/// The browser the storage inspector's test drives headless (js/test/inspector.test.js):
/// Chromium on the PATH, else Debian's `chromium`, installed here.
fn chromium() -> Result<String, String> {
    let find = || {
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .find_map(|name| {
                let out = Command::new("sh")
                    .args(["-c", &format!("command -v {name}")])
                    .output()
                    .ok()?;
                let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                (out.status.success() && !path.is_empty()).then_some(path)
            })
    };
    if let Some(path) = find() {
        return Ok(path);
    }
    run("apt-get", &["update", "-qq"], &[])?;
    run("apt-get", &["install", "-y", "-qq", "chromium"], &[])?;
    find().ok_or_else(|| "Chromium is not on the PATH after installing it".to_owned())
}

fn crash(args: &[String]) -> Result<(), String> {
    let power = args.iter().any(|a| a == "--power");
    let rest: Vec<String> = args.iter().filter(|a| *a != "--power").cloned().collect();
    if power {
        let cycles = count(&rest, "cycles", 500)?;
        let test = ["test", "--release", "-p", "storage-sled", "--test", "crash"];
        let filter = ["--", "--nocapture", "power_cut_cycles"];
        let envs = [("MPSTORE_POWER_CYCLES", cycles.to_string())];
        return cargo(&[&test[..], &filter[..]].concat(), &envs);
    }
    let envs = [(
        "MPSTORE_CRASH_CYCLES",
        count(&rest, "cycles", 1000)?.to_string(),
    )];
    let campaigns = [
        (
            "storage-sled",
            root().join("crates/storage-sled/tests/crash.rs"),
            "crash",
        ),
        (
            "mpstore-tests",
            root().join("tests/tests/stack_crash.rs"),
            "stack_crash",
        ),
    ];
    let cycles = envs[0].1.clone();
    for (package, file, test) in campaigns {
        if file.exists() {
            let args = [
                "test",
                "--release",
                "-p",
                package,
                "--test",
                test,
                "--",
                "--nocapture",
            ];
            cargo(&args, &envs)?;
        }
    }
    node_crash(&cycles)
}

/// The Node campaign: a Node process writing durably through the release addon, killed with
/// SIGKILL (`js/crash/campaign.js`).
fn node_crash(cycles: &str) -> Result<(), String> {
    cargo(&["build", "--release", "-p", "mpstore-node"], &[])?;
    let addon = root().join("target/release/libmpstore_node.so");
    run_in(
        &root().join("js"),
        "node",
        &["crash/campaign.js", "--cycles", cycles],
        &[("MPSTORE_ADDON", addon.display().to_string())],
    )
}

fn bench(args: &[String]) -> Result<(), String> {
    if let [only, suite, rest @ ..] = args {
        if only == "--only" && suite == "node" {
            return node_bench(rest);
        }
    }
    let mut cargo_args = vec!["run", "--release", "-p", "mpstore-bench", "--"];
    cargo_args.extend(args.iter().map(String::as_str));
    cargo(&cargo_args, &[])
}

/// The Node benchmark (`js/bench/node.js`): the release addon and bridge against better-sqlite3
/// and a plain object, its dependencies installed from `js/bench`'s lock file.
fn node_bench(args: &[String]) -> Result<(), String> {
    cargo(
        &["build", "--release", "-p", "mpstore-node", "-p", "mpstore"],
        &[],
    )?;
    let bench = root().join("js/bench");
    let release = root().join("target/release");
    run_in(&bench, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    let mut node_args = vec!["node.js"];
    node_args.extend(args.iter().map(String::as_str));
    let envs = [
        (
            "MPSTORE_ADDON",
            release.join("libmpstore_node.so").display().to_string(),
        ),
        ("MPSTORE_BIN", release.join("mpstore").display().to_string()),
    ];
    run_in(&bench, "node", &node_args, &envs)?;
    // What the jest and vitest presets add per test, in the example projects.
    for example in ["examples/jest", "examples/vitest"] {
        let dir = root().join("js").join(example);
        run_in(&dir, "npm", &["ci", "--no-audit", "--no-fund"], &[])?;
    }
    let rounds = if args.iter().any(|a| a == "--quick") {
        "3"
    } else {
        "7"
    };
    run_in(&bench, "node", &["preset.js", "--rounds", rounds], &envs)
}

fn fuzz(seconds: Result<u32, String>) -> Result<(), String> {
    let seconds = seconds?;
    let dir = root().join("fuzz");
    let has_cargo_fuzz = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_cargo_fuzz {
        run(
            "cargo",
            &["+nightly", "install", "cargo-fuzz", "--locked"],
            &[],
        )?;
    }
    let list = Command::new("cargo")
        .args(["+nightly", "fuzz", "list"])
        .current_dir(&dir)
        .output()
        .map_err(|e| format!("cannot list fuzz targets: {e}"))?;
    let targets = String::from_utf8_lossy(&list.stdout).into_owned();
    if targets.trim().is_empty() {
        return Err(format!("no fuzz targets found under {}", dir.display()));
    }
    let budget = format!("-max_total_time={seconds}");
    let targets: Vec<&str> = targets
        .lines()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    for (i, target) in targets.iter().enumerate() {
        let mut child = Command::new("cargo")
            .args(["+nightly", "fuzz", "run", target, "--", &budget])
            .current_dir(&dir)
            .spawn()
            .map_err(|e| format!("cannot fuzz {target}: {e}"))?;
        // libFuzzer's own lines come ever more rarely as a run goes on.
        let (start, mut shown) = (std::time::Instant::now(), std::time::Instant::now());
        let status = loop {
            if let Some(status) = child
                .try_wait()
                .map_err(|e| format!("cannot fuzz {target}: {e}"))?
            {
                break status;
            }
            if shown.elapsed().as_secs() >= 10 {
                shown = std::time::Instant::now();
                let (done, of) = (i + 1, targets.len());
                let ran = start.elapsed().as_secs();
                eprintln!("xtask: fuzzing {target} ({done}/{of}): {ran} s of {seconds}");
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        if !status.success() {
            return Err(format!(
                "fuzz target {target} failed: see fuzz/artifacts/{target}"
            ));
        }
    }
    Ok(())
}
