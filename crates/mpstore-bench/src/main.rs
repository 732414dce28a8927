//! # mpstore-bench
//!
//! The benchmarks of mpstore, run by `cargo xtask bench [--quick|--full] [--only SUITES]
//! [--update-docs]`: the full stack (the `wx` dialect over encrypted sled) against raw sled, raw
//! sled with serde_json, SQLite at the same durability and the disk's fsync floor, plus
//! concurrency, cost growth with the store's size, game cloud reads and peak memory.
//!
//! Every comparison is measured in one run with its contenders interleaved (rotating rounds,
//! medians, ratios paired per round; see [`harness`]), because absolute figures on a shared
//! machine move from run to run while ratios measured side by side hold.
//!
//! Output: a markdown report printed and saved as `target/bench/report.md` (and
//! `report-quick.md` / `report-full.md`), the plot `target/bench/cost-vs-size.svg`, and with
//! `--update-docs` the generated part of `docs/performance.md` (and its plot, when the `growth`
//! suite ran).
//!
//! Options: `--quick` (the default: a few minutes on 2 cores, smaller memory stores), `--full`
//! (more rounds, longer slices, stores of 1 and 3 GiB for the memory measurement), `--only
//! ops,crypto,concurrency,growth,cloud,inspect,memory` (a subset, for working on one area), `--profile OP SIZE
//! SECONDS` (one operation alone in a loop, to run under `perf record`; see [`profile`]).

mod harness;
mod machine;
mod peers;
mod plot;
mod profile;
mod report;
mod suites;

use report::Report;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use suites::{Ctx, Mode};

/// Every suite, in running order.
const SUITES: [&str; 8] = [
    "ops",
    "crypto",
    "concurrency",
    "growth",
    "cloud",
    "serve",
    "inspect",
    "memory",
];
/// The markers around the generated part of `docs/performance.md`.
const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Args {
    mode: Mode,
    only: Vec<String>,
    update_docs: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        mode: Mode::Quick,
        only: SUITES.iter().map(|s| s.to_string()).collect(),
        update_docs: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => parsed.mode = Mode::Quick,
            "--full" => parsed.mode = Mode::Full,
            "--update-docs" => parsed.update_docs = true,
            "--only" => {
                let list = it.next().ok_or("--only needs a list of suites")?;
                parsed.only = list.split(',').map(str::to_string).collect();
                if let Some(bad) = parsed.only.iter().find(|s| !SUITES.contains(&s.as_str())) {
                    return Err(format!(
                        "unknown suite {bad:?}; the suites: {}",
                        SUITES.join(",")
                    ));
                }
            }
            other => {
                return Err(format!(
                "unknown argument {other:?}; usage: [--quick|--full] [--only {}] [--update-docs]",
                SUITES.join(",")
            ))
            }
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    harness::watchdog(std::time::Duration::from_secs(300));
    let result = match args.first().map(String::as_str) {
        Some("--memory-child") => suites::memory::child(&args[1..]),
        Some("--profile") => profile::run(&args[1..]),
        _ => parse_args(&args).and_then(|a| run(&a)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mpstore-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace's root directory.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `target/bench` of the workspace (or of `CARGO_TARGET_DIR`).
fn out_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
        .join("bench")
}

fn run(args: &Args) -> Result<(), String> {
    let out = out_dir();
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // Scratch stores live on the project's disk (not a tmpfs), so fsync means what it says.
    let work = tempfile::Builder::new()
        .prefix("work-")
        .tempdir_in(&out)
        .map_err(|e| format!("cannot create a scratch directory: {e}"))?;
    let ctx = Ctx::new(args.mode, work.path());
    let machine = machine::Machine::detect();
    let started = Instant::now();
    let load_before = machine::load_average();
    let mut report = Report::default();
    let mut series = Vec::new();
    for suite in SUITES.iter().filter(|s| args.only.iter().any(|o| o == *s)) {
        eprintln!("mpstore-bench: {suite}…");
        let t = Instant::now();
        match *suite {
            "ops" => suites::ops::run(&ctx, &mut report),
            "crypto" => suites::crypto::run(&ctx, &mut report),
            "concurrency" => suites::concurrency::run(&ctx, &mut report),
            "growth" => series.extend(suites::growth::run(&ctx, &mut report)),
            "cloud" => suites::cloud::run(&ctx, &mut report),
            "serve" => suites::serve::run(&ctx, &mut report),
            "inspect" => suites::inspect::run(&ctx, &mut report),
            "memory" => suites::memory::run(&ctx, &mut report),
            _ => unreachable!("suites are checked when parsing"),
        }
        eprintln!(
            "mpstore-bench: {suite} took {:.0} s",
            t.elapsed().as_secs_f64()
        );
    }
    report.header = vec![
        format!("machine: {}", machine.describe()),
        format!(
            "mode: {}; suites: {}; took {:.0} s",
            match args.mode {
                Mode::Quick => "--quick",
                Mode::Full => "--full",
            },
            args.only.join(", "),
            started.elapsed().as_secs_f64()
        ),
        format!(
            "1-minute load average: {load_before} before, {} after (2 cores shared with other \
             builds raise absolute figures; ratios are paired per round)",
            machine::load_average()
        ),
        format!("run finished: {}", utc(unix_now())),
    ];
    let markdown = report.to_markdown();
    println!("{markdown}");
    let suffix = match args.mode {
        Mode::Quick => "quick",
        Mode::Full => "full",
    };
    for name in ["report.md".to_string(), format!("report-{suffix}.md")] {
        write(&out.join(name), &markdown)?;
    }
    if !series.is_empty() {
        let svg = out.join("cost-vs-size.svg");
        plot::draw(&svg, "mpstore: cost per call vs store size", &series)?;
        eprintln!("mpstore-bench: wrote {}", svg.display());
    }
    eprintln!("mpstore-bench: wrote {}", out.join("report.md").display());
    if args.update_docs {
        let docs = root().join("docs/performance.md");
        let text = std::fs::read_to_string(&docs)
            .map_err(|e| format!("cannot read {}: {e}", docs.display()))?;
        write(&docs, &splice(&text, &markdown)?)?;
        eprintln!("mpstore-bench: updated {}", docs.display());
        if !series.is_empty() {
            let plot = root().join("docs/performance-cost-vs-size.svg");
            std::fs::copy(out.join("cost-vs-size.svg"), &plot)
                .map_err(|e| format!("cannot copy the plot to {}: {e}", plot.display()))?;
            eprintln!("mpstore-bench: updated {}", plot.display());
        }
    }
    Ok(())
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `seconds` since the Unix epoch as `YYYY-MM-DD HH:MM UTC`.
fn utc(seconds: u64) -> String {
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    let (year, month, day) = storage_core::civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `doc` with the text between its bench markers replaced by `generated`.
fn splice(doc: &str, generated: &str) -> Result<String, String> {
    let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
        return Err(format!(
            "docs/performance.md lacks the markers {BEGIN} … {END}"
        ));
    };
    if e < b {
        return Err("docs/performance.md has its bench markers out of order".into());
    }
    Ok(format!(
        "{}{BEGIN}\n{}\n{}",
        &doc[..b],
        generated.trim(),
        &doc[e..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn command_line() {
        assert_eq!(args(&[]).unwrap().mode, Mode::Quick);
        assert_eq!(args(&["--full"]).unwrap().mode, Mode::Full);
        assert!(args(&["--update-docs"]).unwrap().update_docs);
        assert_eq!(
            args(&["--only", "ops,cloud"]).unwrap().only,
            ["ops", "cloud"]
        );
        assert!(args(&["--only", "nope"])
            .unwrap_err()
            .contains("unknown suite"));
        assert!(args(&["--only"]).is_err());
        assert!(args(&["--fast"]).unwrap_err().contains("unknown argument"));
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_795_239_183), "2026-11-21 05:33 UTC");
    }

    #[test]
    fn splicing_the_docs() {
        let doc = format!("intro\n{BEGIN}\nold\n{END}\noutro\n");
        assert_eq!(
            splice(&doc, "new table\n").unwrap(),
            format!("intro\n{BEGIN}\nnew table\n{END}\noutro\n")
        );
        assert!(splice("no markers", "x").is_err());
    }
}
