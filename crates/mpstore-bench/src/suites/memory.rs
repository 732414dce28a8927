//! Peak memory (RSS) while reading a whole store, for a small and a large store: each
//! measurement runs in a child process of its own (this binary with `--memory-child`), so its
//! `VmHWM` is a clean peak.

use super::{Ctx, Mode};
use crate::harness::median;
use crate::machine::peak_rss_kib;
use crate::peers::{full_stack, key, key_provider, raw_sled, value, Filler, CACHE_BYTES};
use crate::report::{Report, Row, Section, Target, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use storage_api::{KvItem, Mpstore, StoreOptions, Wx};
use storage_core::{JsValue, Scope};
use storage_sled::Durability;

/// Each entry's value: 100 KiB.
const VALUE_LEN: usize = 100 * 1024;
/// Entries per namespace: 40 × 100 KiB, counted in UTF-16 units, stays under WeChat's 10 MB.
const PER_NAMESPACE: u64 = 40;

/// Store sizes (MiB of values) measured: the first is the baseline.
fn sizes(mode: Mode) -> [u64; 2] {
    match mode {
        Mode::Quick => [64, 256],
        Mode::Full => [100, 1024],
    }
}

fn entries(mib: u64) -> u64 {
    mib * 1024 * 1024 / VALUE_LEN as u64
}

fn wx(store: &Mpstore, j: u64) -> Wx {
    store
        .mini_program(format!("user-{j}"), "bench-app", Scope::App)
        .expect("namespace")
        .wx()
}

/// The child's work: `fill DIR MIB`, `read DIR MIB`, `raw-fill DIR MIB`, `raw-read DIR MIB` (the
/// same values in raw sled with the same cache) or `empty DIR`; prints `peak_kib=N`.
pub fn child(args: &[String]) -> Result<(), String> {
    let (what, dir, mib) = match args {
        [what, dir] => (what.as_str(), Path::new(dir), 0),
        [what, dir, mib] => (
            what.as_str(),
            Path::new(dir),
            mib.parse().map_err(|_| format!("bad size {mib:?}"))?,
        ),
        _ => {
            return Err("usage: --memory-child fill|read|raw-fill|raw-read|empty DIR [MIB]".into())
        }
    };
    let n = entries(mib);
    match what {
        "fill" => {
            let filler = Filler::open(dir);
            let v = value(VALUE_LEN);
            for j in 0..n.div_ceil(PER_NAMESPACE) {
                let wx = wx(&filler.store, j);
                let keys =
                    (j * PER_NAMESPACE..((j + 1) * PER_NAMESPACE).min(n)).collect::<Vec<_>>();
                for chunk in keys.chunks(8) {
                    wx.batch_set_storage_sync(
                        chunk.iter().map(|&i| KvItem::new(key(i), v.as_str())),
                    )
                    .map_err(|e| format!("fill: {e:?}"))?;
                    crate::harness::progress();
                }
            }
            filler.close();
        }
        "read" => {
            let store = Mpstore::open(dir, &key_provider()).map_err(|e| e.to_string())?;
            let mut found = 0;
            for i in 0..n {
                let got = wx(&store, i / PER_NAMESPACE)
                    .get_storage_sync(key(i))
                    .map_err(|e| format!("read: {e:?}"))?;
                found += u64::from(matches!(&got, JsValue::String(s) if s.len() == VALUE_LEN));
                crate::harness::progress();
            }
            if found != n {
                return Err(format!("read {found} of {n} values"));
            }
        }
        "raw-fill" => {
            let db = raw_sled(dir);
            let v = value(VALUE_LEN);
            for i in 0..n {
                db.insert(key(i), v.as_bytes()).map_err(|e| e.to_string())?;
                crate::harness::progress();
            }
            db.flush().map_err(|e| e.to_string())?;
        }
        "raw-read" => {
            let db = raw_sled(dir);
            let mut found = 0;
            for i in 0..n {
                let got = db.get(key(i)).map_err(|e| e.to_string())?;
                found += u64::from(got.is_some_and(|v| v.len() == VALUE_LEN));
                crate::harness::progress();
            }
            if found != n {
                return Err(format!("read {found} of {n} raw values"));
            }
        }
        "empty" => {
            let store = full_stack(dir, Durability::Durable);
            let wx = wx(&store, 0);
            wx.set_storage_sync("k", value(VALUE_LEN).as_str())
                .map_err(|e| format!("{e:?}"))?;
            wx.get_storage_sync("k").map_err(|e| format!("{e:?}"))?;
        }
        other => return Err(format!("unknown memory child {other:?}")),
    }
    println!("peak_kib={}", peak_rss_kib());
    Ok(())
}

/// Runs one child and returns its peak RSS in KiB.
fn run_child(args: &[&str]) -> u64 {
    let exe = std::env::current_exe().expect("this binary");
    let mut child = Command::new(exe)
        .arg("--memory-child")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the memory child");
    // The child has a watchdog of its own; while it runs, the parent is making progress.
    while child
        .try_wait()
        .expect("wait for the memory child")
        .is_none()
    {
        crate::harness::progress();
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let out = child.wait_with_output().expect("the memory child's output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "memory child {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib="))
        .and_then(|v| v.trim().parse().ok())
        .expect("peak_kib in the child's output")
}

/// Adds the memory section.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let sizes = sizes(ctx.mode);
    let dirs: Vec<_> = sizes
        .iter()
        .map(|mib| ctx.dir(&format!("memory-{mib}")))
        .collect();
    let fills: Vec<u64> = sizes
        .iter()
        .zip(&dirs)
        .map(|(mib, d)| run_child(&["fill", &d.to_string_lossy(), &mib.to_string()]))
        .collect();
    let empty_dir = ctx.dir("memory-empty");
    let empty = run_child(&["empty", &empty_dir.to_string_lossy()]);
    let reads = crate::harness::rotate(2, &[0, 1], |&i| {
        run_child(&["read", &dirs[i].to_string_lossy(), &sizes[i].to_string()]) as f64
    });
    let peaks: Vec<u64> = reads.iter().map(|r| median(r) as u64).collect();
    // The same values in raw sled with the same cache: whether the growth is sled's own.
    let raw: Vec<u64> = sizes
        .iter()
        .map(|mib| {
            let d = ctx.dir(&format!("memory-raw-{mib}"));
            let (d, mib) = (d.to_string_lossy(), mib.to_string());
            run_child(&["raw-fill", &d, &mib]);
            run_child(&["raw-read", &d, &mib])
        })
        .collect();
    // The caches a host configures: sled's page cache and the read cache above the encryption.
    let cache_kib = (CACHE_BYTES + StoreOptions::DEFAULT_READ_CACHE_BYTES) / 1024;
    let over = |peak: u64| peak.saturating_sub(empty) as f64 / cache_kib as f64;
    let mut rows = vec![Row::plain(
        "empty store: open, write and read one 100 KiB value".to_string(),
        Value::KiB(empty),
    )];
    for (i, mib) in sizes.iter().enumerate() {
        rows.push(Row::plain(
            format!("filling a store of {mib} MiB (buffered, 100 KiB values)"),
            Value::KiB(fills[i]),
        ));
    }
    rows.push(Row::plain(
        format!("reading every value of the {} MiB store", sizes[0]),
        Value::KiB(peaks[0]),
    ));
    rows.push(
        Row::ratio(
            format!(
                "reading every value of the {} MiB store (ratio to the {} MiB store)",
                sizes[1], sizes[0]
            ),
            Value::KiB(peaks[1]),
            peaks[1] as f64 / peaks[0] as f64,
        )
        .target(Target::AtMost(1.3)),
    );
    rows.push(Row::ratio(
        format!(
            "reading the {} MiB store: peak above the empty store, in units of the {} MiB of caches",
            sizes[1],
            cache_kib / 1024
        ),
        Value::KiB(peaks[1].saturating_sub(empty)),
        over(peaks[1]),
    ));
    rows.push(Row::plain(
        format!(
            "raw sled, same cache: reading every value of {} MiB",
            sizes[0]
        ),
        Value::KiB(raw[0]),
    ));
    rows.push(Row::ratio(
        format!(
            "raw sled, same cache: reading every value of {} MiB (ratio to {} MiB)",
            sizes[1], sizes[0]
        ),
        Value::KiB(raw[1]),
        raw[1] as f64 / raw[0] as f64,
    ));
    report.sections.push(Section {
        title: "peak memory (RSS)".into(),
        baseline: format!(
            "Peak RSS (`VmHWM`) of a child process per measurement; sled's cache ({} MiB) and \
             the read cache ({} MiB) at their defaults; stores of {} and {} MiB of 100 KiB \
             values{}, read back with the default `Mpstore::open`.",
            CACHE_BYTES >> 20,
            StoreOptions::DEFAULT_READ_CACHE_BYTES >> 20,
            sizes[0],
            sizes[1],
            match ctx.mode {
                Mode::Quick => " (--quick uses smaller stores than --full's 1 GiB)",
                Mode::Full => "",
            }
        ),
        rows,
    });
}
