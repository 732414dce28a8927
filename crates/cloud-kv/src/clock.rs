//! The time game data runs on: the system's, or one the host sets, so that a test can move past
//! a day, week or month boundary (ImRank periods, interactive storage's daily limits).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use storage_core::{civil_from_days, days_from_civil};

/// The platforms' days, weeks and months are China Standard Time's (UTC+8), whose midnight is
/// when their daily limits and leaderboards turn over.
const CST_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;
/// Marks a clock that follows the system's.
const SYSTEM: i64 = i64::MIN;

/// A clock shared by every caller of one engine: it follows the system's time until the host
/// [`set`](Self::set)s it, then stays where the host put it (moved only by [`set`](Self::set)
/// and [`advance`](Self::advance)) until [`follow_system`](Self::follow_system). Cheap to clone;
/// clones share the time.
///
/// ```
/// use cloud_kv::{Clock, Period};
/// let clock = Clock::system();
/// clock.set(1_700_000_000_000);
/// clock.advance(1_000);
/// assert_eq!(clock.now_ms(), 1_700_000_001_000);
/// // 2023-11-14 22:13:21 UTC is 2023-11-15 06:13:21 in Beijing: the day began 8 hours before
/// // midnight UTC.
/// assert_eq!(Period::Day.start(clock.now_ms()), 1_699_977_600_000);
/// ```
#[derive(Debug, Clone)]
pub struct Clock {
    fixed: Arc<AtomicI64>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// A clock that follows the system's.
    pub fn system() -> Self {
        Clock {
            fixed: Arc::new(AtomicI64::new(SYSTEM)),
        }
    }

    /// A clock stopped at `ms` (milliseconds since the Unix epoch).
    pub fn fixed(ms: i64) -> Self {
        let clock = Clock::system();
        clock.set(ms);
        clock
    }

    /// Now, in milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        match self.fixed.load(Ordering::Acquire) {
            SYSTEM => system_ms(),
            ms => ms,
        }
    }

    /// Stops the clock at `ms` (milliseconds since the Unix epoch; `i64::MIN` is taken as the
    /// next millisecond, so that it cannot mean "follow the system").
    pub fn set(&self, ms: i64) {
        self.fixed.store(ms.max(SYSTEM + 1), Ordering::Release);
    }

    /// Moves the clock `ms` forward (or back, when negative) from now, and stops it there.
    pub fn advance(&self, ms: i64) {
        self.set(self.now_ms().saturating_add(ms));
    }

    /// Lets the clock follow the system's time again.
    pub fn follow_system(&self) {
        self.fixed.store(SYSTEM, Ordering::Release);
    }

    /// Whether the host has stopped the clock.
    pub fn is_fixed(&self) -> bool {
        self.fixed.load(Ordering::Acquire) != SYSTEM
    }
}

fn system_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A span of time a limit or a leaderboard covers, in China Standard Time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// From midnight to midnight.
    Day,
    /// From Monday's midnight to the next Monday's.
    Week,
    /// From the first of the month's midnight to the next month's.
    Month,
    /// All time: one period that never ends.
    All,
}

impl Period {
    /// When the period holding `ms` began (milliseconds since the Unix epoch); `i64::MIN` for
    /// [`Period::All`].
    ///
    /// ```
    /// use cloud_kv::Period;
    /// // Sunday 2026-12-06 23:59:59.999 and Monday 2026-12-07 00:00 in Beijing.
    /// let sunday = 1_765_036_799_999 + 365 * 86_400_000;
    /// let monday = sunday + 1;
    /// assert_ne!(Period::Week.start(sunday), Period::Week.start(monday));
    /// assert_eq!(Period::Week.start(monday), monday);
    /// assert_eq!(Period::Month.start(monday), Period::Month.start(sunday));
    /// ```
    pub fn start(self, ms: i64) -> i64 {
        let local = ms.saturating_add(CST_OFFSET_MS);
        let day = local.div_euclid(DAY_MS);
        let start_day = match self {
            Period::All => return i64::MIN,
            Period::Day => day,
            // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
            Period::Week => day - (day + 3).rem_euclid(7),
            Period::Month => {
                let (y, m, _) = civil_from_days(day);
                days_from_civil(y, m, 1)
            }
        };
        start_day * DAY_MS - CST_OFFSET_MS
    }

    /// When the period after the one holding `ms` begins; `i64::MAX` for [`Period::All`].
    pub fn end(self, ms: i64) -> i64 {
        let start = self.start(ms);
        match self {
            Period::All => i64::MAX,
            Period::Day => start + DAY_MS,
            Period::Week => start + 7 * DAY_MS,
            Period::Month => {
                let (y, m, _) = civil_from_days((start + CST_OFFSET_MS).div_euclid(DAY_MS));
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1) * DAY_MS - CST_OFFSET_MS
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Milliseconds of a Beijing wall-clock time.
    fn cst(y: i64, m: u32, d: u32, h: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + h * 3_600_000 - CST_OFFSET_MS
    }

    #[test]
    fn periods_begin_at_beijing_midnights() {
        let cases = [
            // (period, a time, when its period began, when the next begins)
            (
                Period::Day,
                cst(2026, 12, 7, 7),
                cst(2026, 12, 7, 0),
                cst(2026, 12, 8, 0),
            ),
            (
                Period::Day,
                cst(2026, 12, 7, 0),
                cst(2026, 12, 7, 0),
                cst(2026, 12, 8, 0),
            ),
            (
                Period::Week,
                cst(2026, 12, 6, 23),
                cst(2026, 11, 30, 0),
                cst(2026, 12, 7, 0),
            ),
            (
                Period::Week,
                cst(2026, 12, 7, 0),
                cst(2026, 12, 7, 0),
                cst(2026, 12, 14, 0),
            ),
            (
                Period::Month,
                cst(2026, 12, 31, 23),
                cst(2026, 12, 1, 0),
                cst(2027, 1, 1, 0),
            ),
            (
                Period::Month,
                cst(2028, 2, 29, 5),
                cst(2028, 2, 1, 0),
                cst(2028, 3, 1, 0),
            ),
            (
                Period::Month,
                cst(1969, 12, 15, 1),
                cst(1969, 12, 1, 0),
                cst(1970, 1, 1, 0),
            ),
        ];
        for (period, at, start, end) in cases {
            assert_eq!(
                (period.start(at), period.end(at)),
                (start, end),
                "{period:?} at {at}"
            );
        }
        assert_eq!(
            (Period::All.start(0), Period::All.end(0)),
            (i64::MIN, i64::MAX)
        );
    }

    #[test]
    fn a_set_clock_stays_until_it_follows_the_system_again() {
        let clock = Clock::system();
        let other = clock.clone();
        assert!(!clock.is_fixed());
        clock.set(5);
        other.advance(10);
        assert_eq!((clock.now_ms(), clock.is_fixed()), (15, true));
        clock.set(i64::MIN);
        assert_eq!(clock.now_ms(), i64::MIN + 1);
        clock.follow_system();
        assert!(other.now_ms() > 1_700_000_000_000);
    }

    proptest! {
        #[test]
        fn every_time_lies_in_its_period(ms in -4_000_000_000_000i64..8_000_000_000_000) {
            for period in [Period::Day, Period::Week, Period::Month] {
                let (start, end) = (period.start(ms), period.end(ms));
                prop_assert!(start <= ms && ms < end);
                prop_assert_eq!(period.start(end), end);
                prop_assert_eq!(period.start(end - 1), start);
            }
        }
    }
}
