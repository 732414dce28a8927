//! Crash test: a child process writes, the parent kills it with SIGKILL at random moments,
//! reopens the store and checks it against a model.
//!
//! The child (this binary, re-executed with [`CHILD_DIR`] set) runs [`THREADS`] writer threads,
//! each owning two namespaces whose bytes are prefixes of other threads' (isolation under
//! crashes). Each thread runs a deterministic sequence of steps generated from the cycle's seed
//! (single puts and deletes, batches of 2 to 6 ops, clears; values up to 120 KB, one in ten
//! between 4 KB and 40 KB and one in twenty between 60 KB and 120 KB, around and above the
//! 4096-byte threshold past which a value goes to the value log, whose bytes and pointer must
//! come back together or not at all) against small
//! quotas that refuse writes constantly, and prints `ACK <thread> <step> ok|refused` after each
//! call returns.
//!
//! The parent regenerates the same steps, so after a kill it knows, per thread, the acknowledged
//! steps `0..m` and the one step `m` that may have been in flight. The reopened store must hold,
//! for each thread's namespaces, exactly the model state after `m` steps or after `m + 1`
//! (durable mode: every acknowledged write present, the in-flight one all or nothing), with the
//! same keys in the same order, the same values byte for byte, usage equal to the model's sum of
//! charges, and the same outcome (stored or refused by the limits) for every acknowledged step.
//! Every fifth cycle runs the child in buffered mode, where any prefix `0..=m + 1` of a thread's
//! steps is allowed, but nothing torn or half-applied.
//!
//! The child's value log has tiny segments (64 KiB), so segments are sealed and compacted (values
//! moved, files deleted) all the time, and kills land in the middle of that too. After each
//! reopen the value log must count as live exactly the model's large values (orphan bytes and
//! segments of a crash are not live), and the directory must hold only segments that count.
//!
//! The store is kept across cycles, so each cycle also recovers the previous crash's store.
//! Cycles: 50, or `MPSTORE_CRASH_CYCLES` (the long mode, `cargo xtask crash`). Seed: random and
//! printed, or `MPSTORE_CRASH_SEED` to replay a run's step sequences.
//!
//! The same writers also run against power cuts (`crash/power_cut.rs`, test `power_cut_cycles`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use storage_core::testkit::model::BackendModel;
use storage_core::testkit::progress::{seed_from_env, Progress};
use storage_core::{block_on, Backend, Error, Limits, Op};
use storage_sled::{Durability, SledBackend, SledOptions};

mod common;
use common::selected;

const CHILD_DIR: &str = "MPSTORE_CRASH_CHILD_DIR";
const CHILD_SEED: &str = "MPSTORE_CRASH_CHILD_SEED";
const CHILD_BUFFERED: &str = "MPSTORE_CRASH_CHILD_BUFFERED";
const DEFAULT_CYCLES: u64 = 50;
const THREADS: usize = 3;
/// Each thread's namespaces; across threads some are byte prefixes of others.
const NAMESPACES: [[&[u8]; 2]; THREADS] = [[b"", b"a"], [b"ab", b"a\x00"], [b"abc", b"\xff"]];
const KEYS: u64 = 10;
/// The child's value log segment size: a few values each.
const SEGMENT: u64 = 64 << 10;
const LIMITS: Limits = Limits {
    max_bytes: 1500,
    max_entries: 7,
};

#[path = "crash/power_cut.rs"]
mod power_cut;

fn main() {
    match std::env::var_os(CHILD_DIR) {
        Some(dir) => child(dir.into()),
        None => {
            if selected("crash_cycles") {
                parent();
            }
            if selected("power_cut_cycles") {
                power_cut::campaign();
            }
        }
    }
}

/// splitmix64: a tiny, good-enough deterministic generator.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One call a writer thread makes.
#[derive(Debug, Clone)]
enum Step {
    Apply { ns: &'static [u8], ops: Vec<Op> },
    Clear { ns: &'static [u8] },
}

/// Step `i` of thread `t` in the cycle seeded `seed`: the same in child and parent.
fn step(seed: u64, t: usize, i: u64) -> Step {
    let mut r = Rng::new(seed, ((t as u64) << 40) | i);
    let ns = NAMESPACES[t][r.below(2) as usize];
    let n_ops = match r.below(100) {
        0..=4 => return Step::Clear { ns },
        5..=54 => 1,
        _ => 2 + r.below(5),
    };
    let ops = (0..n_ops)
        .map(|j| {
            let key = format!("k{}", r.below(KEYS)).into_bytes();
            if r.below(5) == 0 {
                return Op::Delete { key };
            }
            let len = match r.below(20) {
                0 | 1 => 4_000 + r.below(36_000),
                2 => 60_000 + r.below(60_000),
                _ => r.below(600),
            } as usize;
            // A value no other write produces, so a torn or misplaced one cannot pass.
            let stamp = format!("<{seed:x}/{t}/{i}/{j}>");
            let value = stamp.bytes().cycle().take(len.max(stamp.len())).collect();
            Op::Put {
                key,
                value,
                charge: 1 + r.below(400),
            }
        })
        .collect();
    Step::Apply { ns, ops }
}

/// Runs `step` against `backend`: `Ok(true)` if it was stored, `Ok(false)` if refused.
fn run(backend: &SledBackend, step: &Step) -> Result<bool, Error> {
    match step {
        Step::Apply { ns, ops } => match block_on(backend.apply(ns, ops, LIMITS)) {
            Ok(_) => Ok(true),
            Err(Error::LimitExceeded { .. }) => Ok(false),
            Err(e) => Err(e),
        },
        Step::Clear { ns } => block_on(backend.clear(ns)).map(|()| true),
    }
}

/// The same step on the model.
fn run_model(model: &mut BackendModel, step: &Step) -> bool {
    match step {
        Step::Apply { ns, ops } => model.apply(ns, ops, LIMITS).is_ok(),
        Step::Clear { ns } => {
            model.clear(ns);
            true
        }
    }
}

fn child(dir: std::path::PathBuf) {
    let seed: u64 = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
    let durability = match std::env::var_os(CHILD_BUFFERED) {
        Some(_) => Durability::Buffered,
        None => Durability::Durable,
    };
    let options = SledOptions::default()
        .durability(durability)
        // Short, so buffered cycles crash with part of their writes on disk.
        .flush_every_ms(5)
        .value_log_segment_bytes(SEGMENT);
    let backend = match SledBackend::open_with(&dir, options) {
        Ok(b) => b,
        Err(e) => {
            println!("ERR open {e}");
            std::process::exit(2);
        }
    };
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let backend = &backend;
            s.spawn(move || {
                for i in 0.. {
                    match run(backend, &step(seed, t, i)) {
                        Ok(stored) => {
                            println!("ACK {t} {i} {}", if stored { "ok" } else { "refused" })
                        }
                        Err(e) => {
                            println!("ERR {t} {i} {e}");
                            std::process::exit(2);
                        }
                    }
                }
            });
        }
    });
}

/// What a thread's namespaces hold, as seen through the backend or the model.
type Seen = Vec<(Vec<Vec<u8>>, Vec<Option<Vec<u8>>>, storage_core::Usage)>;

/// What thread `t`'s namespaces hold in the reopened store, or why they cannot be read.
fn seen_in_store(backend: &SledBackend, t: usize) -> Result<Seen, String> {
    NAMESPACES[t]
        .iter()
        .map(|ns| {
            let listing = block_on(backend.list(ns)).map_err(|e| format!("list: {e}"))?;
            let values = (listing.keys.iter())
                .map(|k| block_on(backend.get(ns, k)).map_err(|e| format!("get {k:?}: {e}")))
                .collect::<Result<_, _>>()?;
            Ok((listing.keys, values, listing.usage))
        })
        .collect()
}

fn seen_in_model(model: &BackendModel, t: usize) -> Seen {
    NAMESPACES[t]
        .iter()
        .map(|ns| {
            let keys = model.keys(ns);
            let values = keys.iter().map(|k| model.get(ns, k)).collect();
            (keys, values, model.usage(ns))
        })
        .collect()
}

/// `MPSTORE_CRASH_SEED`, or a random seed.
fn base_seed() -> u64 {
    seed_from_env("MPSTORE_CRASH_SEED")
}

fn parent() {
    let cycles = std::env::var("MPSTORE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let base_seed = base_seed();
    println!("crash test: {cycles} kill cycles, MPSTORE_CRASH_SEED={base_seed}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");
    let mut model = BackendModel::default();
    let mut plan = Rng::new(base_seed, u64::MAX);
    let (mut total_acks, mut refused, mut in_flight_kept) = (0u64, 0u64, 0u64);
    let mut progress = Progress::new("crash test", cycles, base_seed);
    for cycle in 0..cycles {
        let seed = Rng::new(base_seed, cycle).next();
        let buffered = cycle % 5 == 4;
        // One cycle in ten kills the child as soon as it starts (mid-open, mid-recovery).
        let kill_after = match plan.below(10) {
            0 => 0,
            _ => 1 + plan.below(120),
        };
        let context = format!("cycle {cycle} (seed {seed}, buffered {buffered})");
        let acked = crash_child(&dir, seed, buffered, kill_after, &context);
        total_acks += acked.iter().map(|a| a.len() as u64).sum::<u64>();
        refused += acked.iter().flatten().filter(|stored| !**stored).count() as u64;
        let backend = SledBackend::open(&dir)
            .unwrap_or_else(|e| panic!("{context}: reopening after the kill failed: {e}"));
        for (t, acks) in acked.iter().enumerate() {
            match verify_thread(&backend, &mut model, seed, t, acks, buffered, &context) {
                Outcome::Allowed { in_flight } => in_flight_kept += u64::from(in_flight),
                Outcome::Lost { kept, acked } => {
                    panic!("{context}: thread {t}: {kept} of {acked} acknowledged steps found")
                }
                Outcome::Unmatched(why) => panic!("{why}"),
            }
        }
        let mut listed = block_on(backend.namespaces()).unwrap();
        listed.sort();
        assert_eq!(listed, model.namespaces(), "{context}: namespaces()");
        check_value_log(&backend, &dir, &model, &context);
        progress.cycle(cycle + 1, total_acks);
    }
    println!(
        "crash test: {cycles} cycles passed; {total_acks} acknowledged calls checked \
         ({refused} of them refused by the quotas), {in_flight_kept} unacknowledged in-flight \
         calls found whole on disk"
    );
}

/// Runs one child until it has printed `kill_after` acknowledgements, kills it with SIGKILL,
/// and returns each thread's outcomes (stored or refused) for its acknowledged steps.
fn crash_child(
    dir: &std::path::Path,
    seed: u64,
    buffered: bool,
    kill_after: u64,
    context: &str,
) -> Vec<Vec<bool>> {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.env(CHILD_DIR, dir)
        .env(CHILD_SEED, seed.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if buffered {
        cmd.env(CHILD_BUFFERED, "1");
    }
    let mut child = cmd.spawn().expect("spawn the writer");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut acked = vec![Vec::new(); THREADS];
    let mut count = 0;
    if kill_after == 0 {
        child.kill().unwrap();
    }
    for line in stdout.lines() {
        let line = line.expect("read the writer's output");
        let fields: Vec<&str> = line.split(' ').collect();
        match fields[..] {
            ["ACK", t, i, outcome] => {
                let (t, i): (usize, usize) = (t.parse().unwrap(), i.parse().unwrap());
                assert_eq!(
                    i,
                    acked[t].len(),
                    "{context}: thread {t} acknowledged out of order"
                );
                acked[t].push(outcome == "ok");
                count += 1;
                if count == kill_after {
                    child.kill().unwrap();
                }
            }
            _ => panic!("{context}: the writer failed: {line}"),
        }
    }
    let status = child.wait().unwrap();
    assert!(
        status.code().is_none(),
        "{context}: the writer exited by itself ({status}) after {count} acknowledgements"
    );
    acked
}

/// What a reopened store held for one thread, against the states allowed.
enum Outcome {
    /// An allowed state; `in_flight` whether the unacknowledged step was found applied.
    Allowed { in_flight: bool },
    /// The state after only `kept` of `acked` acknowledged steps: acknowledged writes lost.
    Lost { kept: usize, acked: usize },
    /// No state the thread's steps lead to: the message says what was found.
    Unmatched(String),
}

/// Checks thread `t`'s namespaces in the reopened store against the model advanced by its
/// steps, and advances `model` to the state found, if any.
fn verify_thread(
    backend: &SledBackend,
    model: &mut BackendModel,
    seed: u64,
    t: usize,
    acks: &[bool],
    buffered: bool,
    context: &str,
) -> Outcome {
    let found = match seen_in_store(backend, t) {
        Ok(found) => found,
        Err(e) => {
            return Outcome::Unmatched(format!(
                "{context}: thread {t}: the reopened store cannot be read: {e}"
            ))
        }
    };
    // candidates[k]: the model after the thread's first k steps, for k in 0..=acks.len() + 1.
    let mut candidates = vec![model.clone()];
    for (i, &stored) in acks.iter().enumerate() {
        let mut next = candidates.last().unwrap().clone();
        let expected = run_model(&mut next, &step(seed, t, i as u64));
        assert_eq!(
            stored, expected,
            "{context}: thread {t} step {i}: the store said stored={stored}, the model {expected}"
        );
        candidates.push(next);
    }
    let mut in_flight = candidates.last().unwrap().clone();
    run_model(&mut in_flight, &step(seed, t, acks.len() as u64));
    candidates.push(in_flight);
    // Durable: every acknowledged step is there; only the in-flight one may be missing.
    let m = acks.len();
    let first_allowed = if buffered { 0 } else { m };
    let matched = (0..candidates.len())
        .rev()
        .find(|&k| seen_in_model(&candidates[k], t) == found);
    let Some(k) = matched else {
        return Outcome::Unmatched(format!(
            "{context}: thread {t} ({m} steps acknowledged): the reopened store matches no \
             state its steps lead to\nfound: {:?}\nexpected after {m}: {:?}",
            summarize(&found),
            summarize(&seen_in_model(&candidates[m], t)),
        ));
    };
    *model = candidates.swap_remove(k);
    if k < first_allowed {
        Outcome::Lost { kept: k, acked: m }
    } else {
        Outcome::Allowed {
            in_flight: k == m + 1,
        }
    }
}

/// The value log of the reopened store counts exactly the model's large values as live, and
/// its directory holds exactly the segments it knows (the open deleted every orphan segment).
fn check_value_log(
    backend: &SledBackend,
    dir: &std::path::Path,
    model: &BackendModel,
    context: &str,
) {
    let mut large = 0u64;
    for (ns, _) in model.namespaces() {
        for key in model.keys(&ns) {
            let len = model.get(&ns, &key).map_or(0, |v| v.len());
            if len > 4096 {
                large += len as u64;
            }
        }
    }
    let stats = backend.value_log_stats();
    assert_eq!(
        stats.live_bytes, large,
        "{context}: live bytes of the value log"
    );
    let files: Vec<_> = std::fs::read_dir(dir.join("values"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert_eq!(
        files.len() as u64,
        stats.segments,
        "{context}: segment files"
    );
    assert_eq!(
        files.iter().sum::<u64>(),
        stats.file_bytes,
        "{context}: segment bytes"
    );
}

/// Keys, value lengths and usage: enough to read a failure.
fn summarize(seen: &Seen) -> Vec<String> {
    seen.iter()
        .map(|(keys, values, usage)| {
            let parts: Vec<String> = keys
                .iter()
                .zip(values)
                .map(|(k, v)| {
                    let v = v.as_ref().map(|v| v.len());
                    format!("{}={v:?}", String::from_utf8_lossy(k))
                })
                .collect();
            format!("[{}] {usage:?}", parts.join(", "))
        })
        .collect()
}
