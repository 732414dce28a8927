//! Peak memory (RSS) while reading a whole store, for stores of several sizes: each
//! measurement runs in a child process of its own (this binary with `--memory-child`), so its
//! `VmHWM` is a clean peak.
//!
//! Whether memory is bounded by the configured caches shows only once a store outgrows them, so
//! the stores are read twice over: with the default caches (which the stores measured here never
//! fill), and with caches configured small ([`small_caches`]), which every store fills. glibc
//! raises its mmap threshold when a large mmapped block is freed (sled frees 8 MiB log buffers),
//! after which it keeps up to twice that of freed memory at the top of its heap: memory of the
//! allocator's, which varies from run to run with where small allocations land. The target rows
//! fix the threshold at glibc's starting value (`mallopt(M_MMAP_THRESHOLD)`, as a host can), so
//! they measure the store; the same reads with glibc's dynamic threshold are reported beside them.

use super::{Ctx, Mode};
use crate::harness::median;
use crate::machine::peak_rss_kib;
use crate::peers::{full_stack, key, key_provider, raw_sled, value, Filler, CACHE_BYTES};
use crate::report::{Report, Row, Section, Target, Value};
use std::path::Path;
use std::process::{Command, Stdio};
use storage_api::{KvItem, Mpstore, StoreOptions, Wx};
use storage_core::{JsValue, Scope};
use storage_crypto::CacheSizes;
use storage_sled::{Durability, SledOptions};

/// Each entry's value: 100 KiB.
const VALUE_LEN: usize = 100 * 1024;
/// Entries per namespace: 40 × 100 KiB, counted in UTF-16 units, stays under WeChat's 10 MB.
const PER_NAMESPACE: u64 = 40;

/// Store sizes (MiB of values) measured: the first is the baseline; the default caches are
/// measured on the first two.
fn sizes(mode: Mode) -> &'static [u64] {
    match mode {
        Mode::Quick => &[64, 256],
        Mode::Full => &[100, 1024, 3072],
    }
}

/// glibc's initial mmap threshold, fixed by the target rows' children (see the module's docs).
const GLIBC_MMAP_THRESHOLD: i32 = 128 * 1024;

/// Caches small enough that every store measured outgrows them: sled's page cache and the read
/// cache of 1 MiB each, the keys of 16 namespaces and 256 sealed key names.
fn small_caches() -> StoreOptions {
    StoreOptions::default()
        .sled(SledOptions::default().cache_capacity_bytes(1 << 20))
        .read_cache_bytes(1 << 20)
        .crypto_caches(CacheSizes::default().namespaces(16).names(256))
}

/// How a reading child opens the store: its caches, and glibc's mmap threshold.
#[derive(Clone, Copy, PartialEq)]
enum Setup {
    /// The default options, glibc as it comes.
    Default,
    /// [`small_caches`], glibc as it comes.
    Small,
    /// [`small_caches`], glibc's mmap threshold fixed at [`GLIBC_MMAP_THRESHOLD`].
    SmallFixed,
}

impl Setup {
    fn name(self) -> &'static str {
        match self {
            Setup::Default => "default",
            Setup::Small => "small",
            Setup::SmallFixed => "small-fixed",
        }
    }

    fn parse(name: &str) -> Result<Setup, String> {
        [Setup::Default, Setup::Small, Setup::SmallFixed]
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| format!("unknown memory setup {name:?}"))
    }

    /// Opens `dir` as this setup says.
    fn open(self, dir: &Path) -> Result<Mpstore, String> {
        let options = match self {
            Setup::Default => StoreOptions::default(),
            Setup::Small => small_caches(),
            Setup::SmallFixed => {
                fix_glibc_mmap_threshold()?;
                small_caches()
            }
        };
        Mpstore::open_with(dir, &key_provider(), options).map_err(|e| e.to_string())
    }
}

/// Fixes glibc's mmap threshold, which also stops glibc from raising it (and its trim threshold)
/// as large blocks are freed.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_glibc_mmap_threshold() -> Result<(), String> {
    // SAFETY: mallopt only changes the allocator's parameters; called before the store opens.
    match unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, GLIBC_MMAP_THRESHOLD) } {
        1 => Ok(()),
        _ => Err("mallopt(M_MMAP_THRESHOLD) failed".into()),
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_glibc_mmap_threshold() -> Result<(), String> {
    Ok(())
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

/// The child's work: `fill DIR MIB`, `read DIR MIB default|small|small-fixed` (see [`Setup`]),
/// `raw-fill DIR MIB`, `raw-read DIR MIB` (the same values in raw sled with the same cache) or
/// `empty DIR`; prints `peak_kib=N`.
pub fn child(args: &[String]) -> Result<(), String> {
    let usage = "usage: --memory-child fill|read|raw-fill|raw-read|empty DIR [MIB [SETUP]]";
    let (what, dir, mib, setup) = match args {
        [what, dir] => (what.as_str(), Path::new(dir), "0", "default"),
        [what, dir, mib] => (what.as_str(), Path::new(dir), mib.as_str(), "default"),
        [what, dir, mib, setup] => (what.as_str(), Path::new(dir), mib.as_str(), setup.as_str()),
        _ => return Err(usage.into()),
    };
    let mib: u64 = mib.parse().map_err(|_| format!("bad size {mib:?}"))?;
    let setup = Setup::parse(setup)?;
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
            let store = setup.open(dir)?;
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
    let dirs: Vec<String> = sizes
        .iter()
        .map(|mib| {
            let dir = ctx.dir(&format!("memory-{mib}"));
            dir.to_string_lossy().into_owned()
        })
        .collect();
    let fills: Vec<u64> = sizes
        .iter()
        .zip(&dirs)
        .map(|(mib, d)| run_child(&["fill", d, &mib.to_string()]))
        .collect();
    let empty_dir = ctx.dir("memory-empty");
    let empty = run_child(&["empty", &empty_dir.to_string_lossy()]);
    // The median peak of reading each of the first `n` stores under `setup`, in rotation.
    let read = |setup: Setup, n: usize| -> Vec<u64> {
        let stores: Vec<usize> = (0..n).collect();
        crate::harness::rotate(2, &stores, |&i| {
            run_child(&["read", &dirs[i], &sizes[i].to_string(), setup.name()]) as f64
        })
        .iter()
        .map(|r| median(r) as u64)
        .collect()
    };
    let default = read(Setup::Default, 2);
    let small_fixed = read(Setup::SmallFixed, sizes.len());
    let small = read(Setup::Small, sizes.len());
    // The same values in raw sled with the same cache: whether the growth is sled's own.
    let raw: Vec<u64> = sizes[..2]
        .iter()
        .map(|mib| {
            let d = ctx.dir(&format!("memory-raw-{mib}"));
            let (d, mib) = (d.to_string_lossy(), mib.to_string());
            run_child(&["raw-fill", &d, &mib]);
            run_child(&["raw-read", &d, &mib])
        })
        .collect();
    // The caches a host configures by default: sled's page cache and the read cache.
    let cache_kib = (CACHE_BYTES + StoreOptions::DEFAULT_READ_CACHE_BYTES) / 1024;
    let mut rows = vec![Row::plain(
        "empty store: open, write and read one 100 KiB value".to_string(),
        Value::KiB(empty),
    )];
    for (mib, fill) in sizes.iter().zip(&fills) {
        rows.push(Row::plain(
            format!("filling a store of {mib} MiB (buffered, 100 KiB values)"),
            Value::KiB(*fill),
        ));
    }
    // One row per store read under a setup: the first plain, the others as ratios to it.
    let mut reads = |what: &str, peaks: &[u64], target: Option<Target>| {
        for (i, (mib, peak)) in sizes.iter().zip(peaks).enumerate() {
            let label = format!("{what}: reading every value of the {mib} MiB store");
            rows.push(if i == 0 {
                Row::plain(label, Value::KiB(*peak))
            } else {
                let row = Row::ratio(
                    format!("{label} (ratio to the {} MiB store)", sizes[0]),
                    Value::KiB(*peak),
                    *peak as f64 / peaks[0] as f64,
                );
                match target {
                    Some(t) => row.target(t),
                    None => row,
                }
            });
        }
    };
    reads("default caches", &default, None);
    reads(
        "small caches, glibc's mmap threshold fixed",
        &small_fixed,
        Some(Target::AtMost(1.3)),
    );
    reads("small caches, glibc's dynamic mmap threshold", &small, None);
    rows.push(Row::ratio(
        format!(
            "default caches, reading the {} MiB store: peak above the empty store, in units of the {} MiB of caches",
            sizes[1],
            cache_kib / 1024
        ),
        Value::KiB(default[1].saturating_sub(empty)),
        default[1].saturating_sub(empty) as f64 / cache_kib as f64,
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
    let list = |mibs: &[u64]| {
        mibs.iter()
            .map(|m| format!("{m} MiB"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    report.sections.push(Section {
        title: "peak memory (RSS)".into(),
        baseline: format!(
            "Peak RSS (`VmHWM`) of a child process per measurement (the median of two); stores of \
             {} of 100 KiB values{}, read back with `Mpstore::open_with`. Default caches: sled's \
             ({} MiB) and the read cache ({} MiB), which the stores of {} do not fill. Small \
             caches: sled's and the read cache of 1 MiB each, the keys of 16 namespaces and 256 \
             key names, which every store outgrows, so growth beyond them would show. glibc \
             raises its mmap threshold, and with it how much freed memory it keeps, when a \
             large block is freed (sled frees 8 MiB log buffers); the target rows fix the \
             threshold at glibc's initial 128 KiB, as a host can, and the same reads with the \
             dynamic threshold follow them.",
            list(sizes),
            match ctx.mode {
                Mode::Quick => " (--quick uses smaller stores than --full)",
                Mode::Full => "",
            },
            CACHE_BYTES >> 20,
            StoreOptions::DEFAULT_READ_CACHE_BYTES >> 20,
            list(&sizes[..2]),
        ),
        rows,
    });
}
