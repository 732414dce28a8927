//! What long campaigns share: [`Progress`], a line every ten seconds so a run is never silent,
//! and [`seed_from_env`], the seed a run prints and replays.

use std::time::{Duration, Instant};

/// Prints `<name>: <done>/<total> cycles, <acked> acknowledged calls, <rate> cycles/s, seed <seed>`
/// at most every ten seconds, and after the last cycle.
///
/// ```
/// use storage_core::testkit::progress::Progress;
/// let mut progress = Progress::new("crash test", 3, 42);
/// for cycle in 1..=3 {
///     progress.cycle(cycle, cycle * 10); // prints once, after cycle 3
/// }
/// ```
#[derive(Debug)]
pub struct Progress {
    name: &'static str,
    total: u64,
    seed: u64,
    start: Instant,
    shown: Instant,
}

impl Progress {
    /// A campaign named `name` of `total` cycles, replayed with `seed`.
    pub fn new(name: &'static str, total: u64, seed: u64) -> Self {
        let now = Instant::now();
        Progress {
            name,
            total,
            seed,
            start: now,
            shown: now,
        }
    }

    /// After cycle `done` (counted from 1), with `acked` acknowledged calls so far.
    pub fn cycle(&mut self, done: u64, acked: u64) {
        if self.shown.elapsed() < Duration::from_secs(10) && done < self.total {
            return;
        }
        self.shown = Instant::now();
        let rate = done as f64 / self.start.elapsed().as_secs_f64().max(1e-9);
        println!(
            "{}: {done}/{} cycles, {acked} acknowledged calls, {rate:.1} cycles/s, seed {}",
            self.name, self.total, self.seed
        );
    }
}

/// The seed in the environment variable `var`, or a fresh one (time and process id) when it is
/// unset or not a number: a campaign prints it, and setting `var` replays the run.
///
/// ```
/// use storage_core::testkit::progress::seed_from_env;
/// std::env::set_var("MY_CAMPAIGN_SEED", "42");
/// assert_eq!(seed_from_env("MY_CAMPAIGN_SEED"), 42);
/// ```
pub fn seed_from_env(var: &str) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            nanos ^ u64::from(std::process::id())
        })
}
