//! Power cuts: the crash test's writers, on a file system that loses what was not synced.
//!
//! The store lives on a `powercut-fs` mount served by this process. Each cycle a durable writer
//! child is killed with SIGKILL after a random number of acknowledgements; then the mount is
//! taken down and the power cut: every write not synced since (file bytes with `fsync` or
//! `fdatasync`, names with an `fsync` of their directory) is dropped, whole or torn at 512-byte
//! sectors. The store is reopened on what remains and must hold, per thread, every acknowledged
//! step (the in-flight one whole or not at all), with usage equal to the entries and a value
//! log that counts exactly the live values.
//!
//! Losses are counted rather than stopping the campaign, so a run reports them all: a thread
//! found at an earlier state (acknowledged steps lost), a store that does not open, or one that
//! matches no state its steps lead to (a torn or wrong value); after each of the last two the
//! store starts over. The test fails at the end if there was any.
//!
//! Cycles: 30, or `MPSTORE_POWER_CYCLES` (`cargo xtask crash --power` runs 500). Mounting needs
//! `/dev/fuse` and root; where it fails the test says so, and fails under `CI=true`.

use crate::{base_seed, check_value_log, crash_child, verify_thread, Outcome, Rng};
use powercut_fs::{Mount, SharedState, State};
use std::path::Path;
use storage_core::block_on;
use storage_core::testkit::model::BackendModel;
use storage_core::testkit::progress::Progress;
use storage_sled::SledBackend;

const DEFAULT_CYCLES: u64 = 30;

/// What the campaign found, over all cycles.
#[derive(Default)]
struct Tally {
    acknowledged: u64,
    lost_steps: u64,
    cycles_with_loss: u64,
    did_not_open: u64,
    unmatched: u64,
    sectors_dropped: u64,
    sectors_kept: u64,
    /// The first few failures, in full.
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, why: String) {
        if self.failures.len() < 5 {
            self.failures.push(why);
        }
    }

    fn clean(&self) -> bool {
        self.lost_steps + self.did_not_open + self.unmatched == 0
    }
}

pub fn campaign() {
    let cycles = std::env::var("MPSTORE_POWER_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CYCLES);
    let base_seed = base_seed();
    println!("power cut test: {cycles} cycles, MPSTORE_CRASH_SEED={base_seed}");
    let tmp = tempfile::tempdir().unwrap();
    let mountpoint = tmp.path().join("mnt");
    std::fs::create_dir(&mountpoint).unwrap();
    let state = State::new().shared();
    let Some(mut mount) = mount_or_say(&state, &mountpoint) else {
        return;
    };
    let dir = mountpoint.join("store");
    let mut model = BackendModel::default();
    let mut plan = Rng::new(base_seed, u64::MAX - 1);
    let mut tally = Tally::default();
    let mut progress = Progress::new("power cut test", cycles, base_seed);
    for cycle in 0..cycles {
        let seed = Rng::new(base_seed, cycle).next();
        let kill_after = match plan.below(10) {
            0 => 0,
            _ => 1 + plan.below(150),
        };
        let context = format!("power cut cycle {cycle} (seed {seed})");
        let acked = crash_child(&dir, seed, false, kill_after, &context);
        tally.acknowledged += acked.iter().map(|a| a.len() as u64).sum::<u64>();
        mount.unmount().expect("unmount after the kill");
        let cut = state.lock().unwrap().power_cut(seed);
        tally.sectors_dropped += cut.sectors_dropped();
        tally.sectors_kept += cut.sectors_kept();
        mount = Mount::new(state.clone(), &mountpoint).expect("mount after the cut");
        let start_over = match SledBackend::open(&dir) {
            Err(e) => {
                tally.did_not_open += 1;
                tally.fail(format!("{context}: the store did not open: {e}\n{cut}"));
                true
            }
            Ok(backend) => {
                // A failure report says what the cut dropped.
                let context = format!("{context}\n{cut}");
                check_cycle(
                    &backend, &dir, &mut model, seed, &acked, &context, &mut tally,
                )
            }
        };
        if start_over {
            std::fs::remove_dir_all(&dir).unwrap();
            model = BackendModel::default();
        }
        progress.cycle(cycle + 1, tally.acknowledged);
    }
    mount.unmount().expect("unmount at the end");
    println!(
        "power cut test: {cycles} cycles; {} acknowledged calls; lost: {} acknowledged calls in {} \
         cycles, {} stores that did not open, {} that matched no state; the cuts dropped {} \
         unsynced sectors and tore in {}",
        tally.acknowledged,
        tally.lost_steps,
        tally.cycles_with_loss,
        tally.did_not_open,
        tally.unmatched,
        tally.sectors_dropped,
        tally.sectors_kept,
    );
    assert!(
        tally.clean(),
        "power cuts lost data:\n{}",
        tally.failures.join("\n\n")
    );
}

/// Checks the reopened store after one cycle; returns whether it must start over (it matched
/// no state its writers lead to).
fn check_cycle(
    backend: &SledBackend,
    dir: &Path,
    model: &mut BackendModel,
    seed: u64,
    acked: &[Vec<bool>],
    context: &str,
    tally: &mut Tally,
) -> bool {
    let mut lost_here = 0;
    for (t, acks) in acked.iter().enumerate() {
        match verify_thread(backend, model, seed, t, acks, false, context) {
            Outcome::Allowed { .. } => {}
            Outcome::Lost { kept, acked } => {
                lost_here += (acked - kept) as u64;
                tally.fail(format!(
                    "{context}: thread {t}: {kept} of {acked} acknowledged steps found"
                ));
            }
            Outcome::Unmatched(why) => {
                tally.unmatched += 1;
                tally.fail(why);
                return true;
            }
        }
    }
    tally.lost_steps += lost_here;
    tally.cycles_with_loss += u64::from(lost_here > 0);
    let mut listed = block_on(storage_core::Backend::namespaces(backend)).unwrap();
    listed.sort();
    assert_eq!(listed, model.namespaces(), "{context}: namespaces()");
    check_value_log(backend, dir, model, context);
    false
}

/// Mounts `powercut-fs` at `at`; where the machine cannot, says so (and fails under `CI=true`).
fn mount_or_say(state: &SharedState, at: &Path) -> Option<Mount> {
    match Mount::new(state.clone(), at) {
        Ok(m) => Some(m),
        Err(e) => {
            let why = format!(
                "power cut test NOT run here: mounting powercut-fs failed ({e}); it needs \
                 /dev/fuse and root"
            );
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            println!("{why}");
            None
        }
    }
}
