//! The kill -9 crash campaign across the whole stack: storage-api's facades over the encryption
//! decorator over durable sled, with batch writes and master-key rotations in flight.
//!
//! A child process (this test binary re-executed with [`CHILD_DIR`] set and an exact filter for
//! this file's one test) opens the store as `Mpstore::open_with` composes it (sled in
//! `dir/data`, [`EncryptedBackend`] over it) and runs [`THREADS`] writer threads, one namespace
//! each: WeChat Sync (single writes, removes and `batchSetStorageSync`, on a namespace filled to
//! just under its 10 MB quota so writes are refused all the time, and a master-key rotation every
//! [`ROTATE_EVERY`] steps), Alipay Sync, Douyin Sync (with `clearStorageSync`) and WeChat async
//! (`batchSetStorage` and `encrypt: true` writes). Each step is generated from the cycle's seed,
//! and the child prints `ACK <thread> <step> ok|refused|rotated` after each call returns. The
//! parent kills it with SIGKILL after a random number of acknowledgements (one cycle in ten at
//! once, mid-open), then reopens the store and checks it against the model:
//!
//! - the master key: exactly the key of the last acknowledged rotation opens the store, or, when
//!   a rotation was in flight, exactly one of the old and the new key; the other is refused;
//! - per namespace, in the default durable mode: the state after every acknowledged step, plus
//!   possibly the one in flight, whole or not at all (a batch is never half there); in the
//!   buffered mode (every fifth cycle), the state after some prefix of the steps;
//! - the same keys in the same insertion order, the same values (and `encrypt` flags), usage
//!   (bytes and entries) equal to the model's sum of charges, every acknowledged outcome (stored
//!   or refused by the quota) the model's.
//!
//! The store is kept across cycles, so each cycle also recovers the previous crash. Cycles: 20,
//! or `MPSTORE_CRASH_CYCLES` (`cargo xtask crash --cycles N`); seed: random and printed, or
//! `MPSTORE_CRASH_SEED` to replay.

use mpstore_tests::rng::Rng;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use storage_api::{GetStorageOption, KvItem, MiniProgram, Mpstore, SetStorageOption, DATA_DIR};
use storage_core::codes::{platform_error, ApiKind};
use storage_core::policy::TEN_MB;
use storage_core::testkit::progress::{seed_from_env, Progress};
use storage_core::{block_on, Backend, Error, JsValue, Policy, Scope, Usage};
use storage_crypto::{is_wrong_master_key, EncryptedBackend, RawKeyProvider};
use storage_sled::{Durability, SledBackend, SledOptions};

const CHILD_DIR: &str = "MPSTORE_STACK_CRASH_CHILD_DIR";
const CHILD_SEED: &str = "MPSTORE_STACK_CRASH_CHILD_SEED";
const CHILD_GEN: &str = "MPSTORE_STACK_CRASH_CHILD_GEN";
const CHILD_BUFFERED: &str = "MPSTORE_STACK_CRASH_CHILD_BUFFERED";
const TEST: &str = "whole_stack_survives_kill_9_with_batches_and_key_rotation";
const DEFAULT_CYCLES: u64 = 20;
const THREADS: usize = 4;
const KEYS: u64 = 8;
/// Thread 0 rotates the master key at every step `i` with `i % ROTATE_EVERY == ROTATE_EVERY - 1`.
const ROTATE_EVERY: u64 = 15;
/// Room left under thread 0's quota by its ballast, in UTF-16 units.
const HEADROOM: u64 = 50_000;

/// The master key of generation `n`: every rotation moves to the next one.
fn key(n: u64) -> RawKeyProvider {
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&(n ^ 0x6d70_7374_6f72_6521).to_le_bytes());
    }
    RawKeyProvider::new(bytes)
}

/// Each thread's namespace and dialect policy.
fn namespace(store: &Mpstore, t: usize) -> MiniProgram {
    let app = store
        .mini_program("crash-user", "crash-app", Scope::App)
        .unwrap();
    match t {
        0 => app,
        1 => app.web_view(),
        2 => app.plugin("plugin").unwrap(),
        _ => store
            .mini_program("crash-user-2", "crash-app", Scope::App)
            .unwrap(),
    }
}

fn policy(t: usize) -> &'static Policy {
    match t {
        1 => &Policy::MY,
        2 => &Policy::TT,
        _ => &Policy::WX,
    }
}

/// One call a writer thread makes.
#[derive(Debug, Clone)]
enum Step {
    Set {
        key: String,
        value: JsValue,
        encrypt: bool,
    },
    Remove {
        key: String,
    },
    Batch {
        items: Vec<(String, JsValue)>,
    },
    Clear,
    Rotate,
}

/// Step `i` of thread `t` in the cycle seeded `seed`: the same in child and parent.
fn step(seed: u64, t: usize, i: u64) -> Step {
    if t == 0 && i % ROTATE_EVERY == ROTATE_EVERY - 1 {
        return Step::Rotate;
    }
    let mut r = Rng::new(seed, ((t as u64) << 40) | i);
    let key = |r: &mut Rng| format!("k{}", r.below(KEYS));
    // A value no other step writes, so a torn or misplaced one cannot pass.
    let value = |r: &mut Rng, j: u64| {
        let len = match r.below(20) {
            0 => 20_000 + r.below(80_000),
            1..=4 => r.below(8_000),
            _ => r.below(300),
        } as usize;
        let stamp = format!("<{seed:x}/{t}/{i}/{j}>");
        JsValue::from(
            stamp
                .chars()
                .cycle()
                .take(len.max(stamp.len()))
                .collect::<String>(),
        )
    };
    let roll = r.below(100);
    match (t, roll) {
        (0 | 3, 0..=24) => {
            let n = 2 + r.below(4);
            let items = (0..n).map(|j| (key(&mut r), value(&mut r, j))).collect();
            Step::Batch { items }
        }
        (2, 0..=3) => Step::Clear,
        (_, 25..=39) => Step::Remove { key: key(&mut r) },
        _ => Step::Set {
            key: key(&mut r),
            value: value(&mut r, 0),
            encrypt: t == 3 && r.below(3) == 0,
        },
    }
}

// ---- the model ----

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: String,
    value: JsValue,
    encrypt: bool,
    charge: u64,
}

/// One namespace: its entries in insertion order (the ballast included).
#[derive(Debug, Clone, Default, PartialEq)]
struct Model {
    entries: Vec<Entry>,
}

impl Model {
    fn usage(&self) -> Usage {
        Usage {
            bytes: self.entries.iter().map(|e| e.charge).sum(),
            entries: self.entries.len() as u64,
        }
    }

    /// Applies puts as one all-or-nothing write; whether it was stored.
    fn put(&mut self, policy: &Policy, items: &[(String, JsValue, bool)]) -> bool {
        let mut next = self.clone();
        for (key, value, encrypt) in items {
            let charge = policy
                .check_entry(key, value, *encrypt)
                .expect("steps are within limits");
            let entry = Entry {
                key: key.clone(),
                value: value.clone(),
                encrypt: *encrypt,
                charge,
            };
            match next.entries.iter_mut().find(|e| e.key == *key) {
                Some(e) => *e = entry,
                None => next.entries.push(entry),
            }
        }
        if policy.limits().refuses(self.usage(), next.usage()) {
            return false;
        }
        *self = next;
        true
    }

    /// The step's effect; whether it was stored (rotations and removals always are).
    fn apply(&mut self, t: usize, step: &Step) -> bool {
        match step {
            Step::Set {
                key,
                value,
                encrypt,
            } => self.put(policy(t), &[(key.clone(), value.clone(), *encrypt)]),
            Step::Batch { items } => {
                let items: Vec<_> = items
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone(), false))
                    .collect();
                self.put(policy(t), &items)
            }
            Step::Remove { key } => {
                self.entries.retain(|e| e.key != *key);
                true
            }
            Step::Clear => {
                self.entries.clear();
                true
            }
            Step::Rotate => true,
        }
    }
}

/// Thread 0's ballast: big entries filling its namespace to [`HEADROOM`] under the quota.
fn ballast() -> Vec<(String, JsValue)> {
    let mut left = TEN_MB - HEADROOM;
    let mut out = Vec::new();
    while left > 0 {
        let key = format!("ballast-{}", out.len());
        let len = left.min(1_000_000) - key.len() as u64;
        left -= key.len() as u64 + len;
        out.push((key, JsValue::from("b".repeat(len as usize))));
    }
    out
}

// ---- the child ----

type Stack = Arc<EncryptedBackend<SledBackend>>;

fn open(
    dir: &Path,
    generation: u64,
    durability: Durability,
) -> storage_core::Result<(Stack, Mpstore)> {
    let options = SledOptions::default()
        .durability(durability)
        .flush_every_ms(5);
    let sled = SledBackend::open_with(dir.join(DATA_DIR), options)?;
    let encrypted = Arc::new(block_on(EncryptedBackend::open(sled, &key(generation)))?);
    let store = Mpstore::from_arc(encrypted.clone());
    Ok((encrypted, store))
}

/// Runs `step` through the facades: `Ok(stored)`, or the failure shown.
fn run(
    stack: &Stack,
    mp: &MiniProgram,
    t: usize,
    generation: &mut u64,
    step: &Step,
) -> Result<bool, String> {
    // The dialect's quota failure, from the one error table.
    let refusal = Error::QuotaExceeded { after: 0, limit: 0 };
    let reason = platform_error(policy(t).dialect, ApiKind::LocalWrite, &refusal).message;
    let quota = |msg: &str| msg.ends_with(&reason);
    let shown = |e: &dyn std::fmt::Debug| format!("{e:?}");
    match step {
        Step::Set {
            key,
            value,
            encrypt,
        } => {
            let result = match t {
                1 => mp
                    .my()
                    .set_storage_sync(key.as_str(), value.clone())
                    .into_result()
                    .map(drop)
                    .map_err(|e| e.error_message),
                2 => mp
                    .tt()
                    .set_storage_sync(key.as_str(), value.clone())
                    .map_err(|e| e.err_msg),
                3 => block_on(mp.wx().set_storage_with(
                    SetStorageOption::new(key.as_str(), value.clone()).encrypt(*encrypt),
                ))
                .map(drop)
                .map_err(|e| e.err_msg),
                _ => mp
                    .wx()
                    .set_storage_sync(key.as_str(), value.clone())
                    .map_err(|e| e.err_msg),
            };
            match result {
                Ok(()) => Ok(true),
                Err(e) if quota(e.as_str()) => Ok(false),
                Err(e) => Err(e),
            }
        }
        Step::Batch { items } => {
            let kv = items
                .iter()
                .map(|(k, v)| KvItem::new(k.as_str(), v.clone()));
            let result = match t {
                3 => block_on(mp.wx().batch_set_storage(kv)).map(drop),
                _ => mp.wx().batch_set_storage_sync(kv),
            };
            match result {
                Ok(()) => Ok(true),
                Err(e) if quota(&e.err_msg) => Ok(false),
                Err(e) => Err(e.err_msg),
            }
        }
        Step::Remove { key } => match t {
            1 => mp
                .my()
                .remove_storage_sync(key.as_str())
                .into_result()
                .map(|_| true)
                .map_err(|e| shown(&e)),
            2 => mp
                .tt()
                .remove_storage_sync(key.as_str())
                .map(|()| true)
                .map_err(|e| shown(&e)),
            _ => mp
                .wx()
                .remove_storage_sync(key.as_str())
                .map(|()| true)
                .map_err(|e| shown(&e)),
        },
        Step::Clear => mp
            .tt()
            .clear_storage_sync()
            .map(|()| true)
            .map_err(|e| shown(&e)),
        Step::Rotate => {
            block_on(stack.rotate(&key(*generation + 1))).map_err(|e| e.to_string())?;
            *generation += 1;
            Ok(true)
        }
    }
}

fn child(dir: PathBuf) -> ! {
    let seed: u64 = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
    let start_gen: u64 = std::env::var(CHILD_GEN).unwrap().parse().unwrap();
    let durability = match std::env::var_os(CHILD_BUFFERED) {
        Some(_) => Durability::Buffered,
        None => Durability::Durable,
    };
    // The test harness has printed `test <name> ... ` without a newline: end that line first.
    println!();
    let (stack, store) = match open(&dir, start_gen, durability) {
        Ok(s) => s,
        Err(e) => {
            println!("ERR open {e}");
            std::process::exit(2);
        }
    };
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (stack, store) = (&stack, &store);
            s.spawn(move || {
                let mp = namespace(store, t);
                let mut generation = start_gen;
                for i in 0.. {
                    let step = step(seed, t, i);
                    match run(stack, &mp, t, &mut generation, &step) {
                        Ok(stored) => {
                            let outcome = match (&step, stored) {
                                (Step::Rotate, _) => "rotated",
                                (_, true) => "ok",
                                (_, false) => "refused",
                            };
                            println!("ACK {t} {i} {outcome}");
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
    unreachable!("the writers run until killed")
}

// ---- the parent ----

/// What a namespace shows through the facades: (key, value, encrypt) in order, and usage.
type Seen = (Vec<(String, JsValue, bool)>, Usage);

fn seen_in_store(stack: &Stack, store: &Mpstore, t: usize) -> Seen {
    let mp = namespace(store, t);
    let wx = mp.wx();
    let keys = wx.get_storage_info_sync().expect("info after reopen").keys;
    let entries = keys
        .into_iter()
        .map(|k| match wx.get_storage_sync(k.as_str()) {
            Ok(v) => (k, v, false),
            Err(_) => {
                let read =
                    block_on(wx.get_storage_with(GetStorageOption::new(k.as_str()).encrypt(true)));
                let v = read
                    .unwrap_or_else(|e| panic!("{k:?} unreadable after reopen: {e:?}"))
                    .data;
                (k, v, true)
            }
        })
        .collect();
    let usage = block_on(stack.list(&mp.namespace().encode()))
        .unwrap()
        .usage;
    (entries, usage)
}

fn seen_in_model(model: &Model) -> Seen {
    let entries = model
        .entries
        .iter()
        .map(|e| (e.key.clone(), e.value.clone(), e.encrypt))
        .collect();
    (entries, model.usage())
}

#[test]
fn whole_stack_survives_kill_9_with_batches_and_key_rotation() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        child(dir.into());
    }
    let cycles = std::env::var("MPSTORE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let base_seed = seed_from_env("MPSTORE_CRASH_SEED");
    println!("stack crash: {cycles} kill cycles, MPSTORE_CRASH_SEED={base_seed}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("store");

    // Generation 0, and thread 0's namespace filled to just under its quota.
    let mut models = vec![Model::default(); THREADS];
    {
        let (_, store) = open(&dir, 0, Durability::Durable).unwrap();
        let wx = namespace(&store, 0).wx();
        for (k, v) in ballast() {
            wx.set_storage_sync(k.as_str(), v.clone()).unwrap();
            assert!(models[0].put(&Policy::WX, &[(k, v, false)]));
        }
    }
    let mut generation = 0;
    let mut plan = Rng::new(base_seed, u64::MAX);
    let (mut acks, mut refused, mut rotations, mut in_flight_kept) = (0u64, 0u64, 0u64, 0u64);
    let mut progress = Progress::new("stack crash", cycles, base_seed);
    for cycle in 0..cycles {
        let seed = Rng::new(base_seed, cycle).next_u64();
        let buffered = cycle % 5 == 4;
        let kill_after = match plan.below(10) {
            0 => 0,
            _ => 1 + plan.below(150),
        };
        let context =
            format!("cycle {cycle} (seed {seed}, generation {generation}, buffered {buffered})");
        let acked = crash_child(&dir, seed, generation, buffered, kill_after, &context);
        acks += acked.iter().map(|a| a.len() as u64).sum::<u64>();
        refused += acked
            .iter()
            .flatten()
            .filter(|o| o.as_str() == "refused")
            .count() as u64;

        // The key: the last acknowledged rotation's, or, with one in flight, exactly one of two.
        let rotated = acked[0].iter().filter(|o| o.as_str() == "rotated").count() as u64;
        rotations += rotated;
        let confirmed = generation + rotated;
        let in_flight = matches!(step(seed, 0, acked[0].len() as u64), Step::Rotate);
        // A buffered cycle may lose acknowledged rotations too (any prefix of thread 0's steps).
        let candidates: Vec<u64> = if buffered {
            (generation..=confirmed + u64::from(in_flight)).collect()
        } else {
            (confirmed..=confirmed + u64::from(in_flight)).collect()
        };
        // Each candidate key is tried alone (sled allows one open at a time).
        let opening: Vec<u64> = candidates
            .iter()
            .copied()
            .filter(|&g| match open(&dir, g, Durability::Durable) {
                Ok(_) => true,
                Err(e) if is_wrong_master_key(&e) => false,
                Err(e) => panic!("{context}: opening with generation {g}: {e}"),
            })
            .collect();
        let [g] = opening[..] else {
            panic!("{context}: of generations {candidates:?}, {opening:?} open the store, not exactly one");
        };
        let (stack, store) = open(&dir, g, Durability::Durable).unwrap();
        generation = g;

        for (t, outcomes) in acked.iter().enumerate() {
            let kept = verify_thread(
                &stack,
                &store,
                &mut models[t],
                seed,
                t,
                outcomes,
                buffered,
                g,
                &context,
            );
            in_flight_kept += u64::from(kept);
        }
        progress.cycle(cycle + 1, acks);
    }
    println!(
        "stack crash: {cycles} cycles passed; {acks} acknowledged calls checked ({refused} refused by \
         the quota), {rotations} key rotations acknowledged, final key generation {generation}, \
         {in_flight_kept} unacknowledged in-flight calls found whole"
    );
}

/// Runs one child until it has printed `kill_after` acknowledgements, kills it with SIGKILL,
/// and returns each thread's acknowledged outcomes.
fn crash_child(
    dir: &Path,
    seed: u64,
    generation: u64,
    buffered: bool,
    kill_after: u64,
    context: &str,
) -> Vec<Vec<String>> {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_SEED, seed.to_string())
        .env(CHILD_GEN, generation.to_string())
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
                acked[t].push(outcome.to_owned());
                count += 1;
                if count == kill_after {
                    child.kill().unwrap();
                }
            }
            ["ERR", ..] => panic!("{context}: the writer failed: {line}"),
            // The test harness's own lines.
            _ => {}
        }
    }
    let status = child.wait().unwrap();
    assert!(
        status.code().is_none(),
        "{context}: the writer exited by itself ({status}) after {count} acknowledgements"
    );
    acked
}

/// Checks thread `t`'s namespace in the reopened store against its model advanced by the
/// cycle's steps, and advances the model to the state found. Returns whether the in-flight step
/// was found applied.
#[allow(clippy::too_many_arguments)]
fn verify_thread(
    stack: &Stack,
    store: &Mpstore,
    model: &mut Model,
    seed: u64,
    t: usize,
    outcomes: &[String],
    buffered: bool,
    generation: u64,
    context: &str,
) -> bool {
    let found = seen_in_store(stack, store, t);
    // candidates[k]: the model after the thread's first k steps.
    let mut candidates = vec![model.clone()];
    for (i, outcome) in outcomes.iter().enumerate() {
        let mut next = candidates.last().unwrap().clone();
        let stored = next.apply(t, &step(seed, t, i as u64));
        let expected = if stored { "ok" } else { "refused" };
        if outcome != "rotated" {
            assert_eq!(outcome, expected, "{context}: thread {t} step {i}");
        }
        candidates.push(next);
    }
    let m = outcomes.len();
    let mut in_flight = candidates.last().unwrap().clone();
    in_flight.apply(t, &step(seed, t, m as u64));
    candidates.push(in_flight);
    let allowed = if buffered {
        0..candidates.len()
    } else {
        m..candidates.len()
    };
    let matched = allowed
        .clone()
        .rev()
        .find(|&k| seen_in_model(&candidates[k]) == found);
    let Some(k) = matched else {
        let summary = |s: &Seen| {
            let keys: Vec<String> =
                s.0.iter()
                    .map(|(k, v, e)| {
                        format!(
                            "{k}={}{}",
                            v.serialized_size().utf16,
                            if *e { "E" } else { "" }
                        )
                    })
                    .collect();
            format!("{keys:?} {:?}", s.1)
        };
        panic!(
            "{context}: thread {t} ({m} steps acknowledged, key generation {generation}): the store matches \
             no allowed state (steps {allowed:?})\nfound:    {}\nexpected: {}",
            summary(&found),
            summary(&seen_in_model(&candidates[m]))
        );
    };
    *model = candidates.swap_remove(k);
    k == m + 1
}
