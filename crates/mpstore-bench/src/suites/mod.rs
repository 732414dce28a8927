//! The measurements, one module per area; each adds its sections to the report.

pub mod cloud;
pub mod concurrency;
pub mod crypto;
pub mod growth;
pub mod inspect;
pub mod memory;
pub mod ops;
pub mod serve;

use crate::harness::Plan;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long to measure: `--quick` (the default, a few minutes on 2 cores) or `--full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A few minutes.
    Quick,
    /// Longer, more rounds, the 1 GB memory store.
    Full,
}

/// What every suite needs: the mode's plans and a scratch directory on the project's disk.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Quick or full.
    pub mode: Mode,
    /// For operations of microseconds.
    pub fast: Plan,
    /// For durable operations (an fsync each).
    pub durable: Plan,
    /// Rounds of whole-store measurements (open, throughput windows).
    pub rounds: usize,
    /// A throughput window of the concurrency suite.
    pub window: Duration,
    /// Scratch space, deleted at the end of the run.
    pub work: PathBuf,
}

impl Ctx {
    /// The plans of `mode`, scratch space in `work`.
    pub fn new(mode: Mode, work: &Path) -> Ctx {
        let (fast, durable, rounds, window) = match mode {
            Mode::Quick => (
                Plan {
                    rounds: 15,
                    slice: Duration::from_millis(20),
                },
                Plan {
                    rounds: 7,
                    slice: Duration::from_millis(150),
                },
                5,
                Duration::from_millis(600),
            ),
            Mode::Full => (
                Plan {
                    rounds: 31,
                    slice: Duration::from_millis(60),
                },
                Plan {
                    rounds: 11,
                    slice: Duration::from_millis(400),
                },
                7,
                Duration::from_secs(2),
            ),
        };
        Ctx {
            mode,
            fast,
            durable,
            rounds,
            window,
            work: work.to_path_buf(),
        }
    }

    /// A fresh directory under the scratch space.
    pub fn dir(&self, name: &str) -> PathBuf {
        let dir = self.work.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        dir
    }
}

/// Human sizes for labels: `100 B`, `1 KiB`, `100 KiB`.
pub fn size_label(bytes: usize) -> String {
    if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} B")
    }
}

/// Counts for labels: `10`, `1,000`, `100,000`.
pub fn count_label(n: u64) -> String {
    crate::report::grouped(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(size_label(100), "100 B");
        assert_eq!(size_label(1024), "1 KiB");
        assert_eq!(size_label(100 * 1024), "100 KiB");
        assert_eq!(count_label(10), "10");
        assert_eq!(count_label(100_000), "100,000");
    }
}
