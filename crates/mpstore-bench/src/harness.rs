//! Interleaved measurement: every contender of a comparison runs in every round, in a rotating
//! order, so a burst of load from elsewhere on the machine hits all of them alike; a ratio is
//! the median of the per-round ratios, which cancels most of that noise.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bumped whenever a measurement step completes; the [`watchdog`] watches it.
static PROGRESS: AtomicU64 = AtomicU64::new(0);

/// Records that the run is making progress.
pub fn progress() {
    PROGRESS.fetch_add(1, Ordering::Relaxed);
}

/// Prints a line every ten seconds (measurement steps done, their rate), and ends the process
/// with an error if no measurement step completes for `limit`: sled 0.34 can deadlock under
/// sustained writes (spacejam/sled#1412; seen here with 100 KiB values), and a benchmark that
/// hangs forever reports nothing.
pub fn watchdog(limit: Duration) {
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut seen = PROGRESS.load(Ordering::Relaxed);
        let mut since = Instant::now();
        loop {
            std::thread::sleep(Duration::from_secs(10));
            let now = PROGRESS.load(Ordering::Relaxed);
            let elapsed = start.elapsed().as_secs_f64();
            eprintln!(
                "mpstore-bench: {now} measurement steps in {elapsed:.0} s ({:.1}/s)",
                now as f64 / elapsed
            );
            if now != seen {
                (seen, since) = (now, Instant::now());
            } else if since.elapsed() > limit {
                eprintln!(
                    "mpstore-bench: no progress for {} s: a store is stuck (sled 0.34 can \
                     deadlock under sustained writes, spacejam/sled#1412); giving up",
                    limit.as_secs()
                );
                std::process::exit(3);
            }
        }
    });
}

/// One thing measured: a name and an operation, called with a counter that grows by one per
/// call (for choosing keys).
pub struct Contender<'a> {
    /// Shown in the report.
    pub name: String,
    op: Box<dyn FnMut(u64) + 'a>,
    calls: u64,
}

impl<'a> Contender<'a> {
    /// A contender running `op`.
    pub fn new(name: impl Into<String>, op: impl FnMut(u64) + 'a) -> Self {
        Contender {
            name: name.into(),
            op: Box::new(op),
            calls: 0,
        }
    }

    fn run(&mut self, n: u64) -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            (self.op)(self.calls);
            self.calls += 1;
        }
        start.elapsed()
    }

    /// How many calls take about `slice` (at least one).
    fn calibrate(&mut self, slice: Duration) -> u64 {
        let mut n = 1;
        loop {
            let took = self.run(n);
            if took >= slice / 4 || n >= 1 << 24 {
                let per = took.as_secs_f64() / n as f64;
                return ((slice.as_secs_f64() / per.max(1e-9)) as u64).max(1);
            }
            n *= 4;
        }
    }
}

/// How long and how often to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Rounds; each runs every contender once.
    pub rounds: usize,
    /// About how long each contender runs in one round.
    pub slice: Duration,
}

/// Seconds per call of each contender in each round: `seconds[contender][round]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    /// Contender names, in the order given.
    pub names: Vec<String>,
    /// `seconds[c][r]`: seconds per call of contender `c` in round `r`.
    pub seconds: Vec<Vec<f64>>,
}

impl Samples {
    /// The median seconds per call of contender `c`.
    pub fn median(&self, c: usize) -> f64 {
        median(&self.seconds[c])
    }

    /// The median over rounds of `c`'s time divided by `base`'s time in the same round.
    pub fn ratio(&self, c: usize, base: usize) -> f64 {
        let ratios: Vec<f64> = self.seconds[c]
            .iter()
            .zip(&self.seconds[base])
            .map(|(a, b)| a / b)
            .collect();
        median(&ratios)
    }
}

/// Runs `contenders` interleaved: after one calibration call each, `plan.rounds` rounds in
/// which every contender runs for about `plan.slice`, starting with a different one each round.
pub fn interleave(plan: Plan, contenders: &mut [Contender<'_>]) -> Samples {
    let counts: Vec<u64> = contenders
        .iter_mut()
        .map(|c| {
            let n = c.calibrate(plan.slice);
            progress();
            n
        })
        .collect();
    let mut seconds = vec![Vec::with_capacity(plan.rounds); contenders.len()];
    for round in 0..plan.rounds {
        for k in 0..contenders.len() {
            let c = (round + k) % contenders.len();
            let took = contenders[c].run(counts[c]);
            seconds[c].push(took.as_secs_f64() / counts[c] as f64);
            progress();
        }
    }
    Samples {
        names: contenders.iter().map(|c| c.name.clone()).collect(),
        seconds,
    }
}

/// The median of `values` (the mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Runs `measure` for every item, `rounds` times, rotating the starting item each round;
/// returns `values[item][round]`. For measurements that are not a loop of calls (opening a
/// store, a throughput window).
pub fn rotate<T>(rounds: usize, items: &[T], mut measure: impl FnMut(&T) -> f64) -> Vec<Vec<f64>> {
    let mut values = vec![Vec::with_capacity(rounds); items.len()];
    for round in 0..rounds {
        for k in 0..items.len() {
            let i = (round + k) % items.len();
            values[i].push(measure(&items[i]));
            progress();
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn ratio_is_the_median_of_paired_ratios() {
        let s = Samples {
            names: vec!["a".into(), "b".into()],
            // Round 2 is disturbed for both; the paired ratio is 2 in every round.
            seconds: vec![vec![2.0, 4.0, 20.0], vec![1.0, 2.0, 10.0]],
        };
        assert_eq!(s.ratio(0, 1), 2.0);
        assert_eq!(s.median(0), 4.0);
    }

    #[test]
    fn rotate_measures_every_item_every_round() {
        let mut order = Vec::new();
        let values = rotate(2, &[10, 20], |&x| {
            order.push(x);
            x as f64
        });
        assert_eq!(values, vec![vec![10.0, 10.0], vec![20.0, 20.0]]);
        assert_eq!(order, vec![10, 20, 20, 10]);
    }
}
