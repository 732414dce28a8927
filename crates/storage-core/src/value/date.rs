//! [`JsDate`]: a JavaScript Date's time value, and its ISO text.

/// A JavaScript Date: milliseconds since the Unix epoch, after JavaScript's `TimeClip`.
///
/// Every `f64` makes a Date, as `new Date(n)` does: non-finite values and values beyond
/// ±8.64 × 10^15 ms give the invalid Date, fractions are truncated toward zero.
///
/// ```
/// use storage_core::JsDate;
/// let d = JsDate::from_millis(1_557_813_466_000.0);
/// assert_eq!(d.to_iso_string().as_deref(), Some("2019-05-14T05:57:46.000Z"));
/// assert!(!JsDate::from_millis(f64::NAN).is_valid());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct JsDate {
    time: f64,
}

/// The largest time value a Date can hold, in milliseconds either side of the epoch.
const MAX_TIME: f64 = 8.64e15;

impl JsDate {
    /// `new Date(millis)`.
    pub fn from_millis(millis: f64) -> JsDate {
        let time = if !millis.is_finite() || millis.abs() > MAX_TIME {
            f64::NAN
        } else {
            // `+ 0.0` turns -0 into +0, as ToIntegerOrInfinity does.
            millis.trunc() + 0.0
        };
        JsDate { time }
    }

    /// The invalid Date (`new Date(NaN)`).
    pub fn invalid() -> JsDate {
        JsDate { time: f64::NAN }
    }

    /// The time value (`date.getTime()`): integral milliseconds, or `NaN` for the invalid Date.
    pub fn time_value(&self) -> f64 {
        self.time
    }

    /// The milliseconds since the epoch, or `None` for the invalid Date.
    pub fn millis(&self) -> Option<i64> {
        self.is_valid().then_some(self.time as i64)
    }

    /// Whether this is a valid Date.
    pub fn is_valid(&self) -> bool {
        !self.time.is_nan()
    }

    /// `date.toISOString()`: `YYYY-MM-DDTHH:mm:ss.sssZ`, with a signed six-digit year outside
    /// 0000–9999; `None` for the invalid Date (where JavaScript throws).
    pub fn to_iso_string(&self) -> Option<String> {
        let ms = self.millis()?;
        let days = ms.div_euclid(86_400_000);
        let in_day = ms.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let (h, m, s, milli) = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        let year = if (0..=9999).contains(&year) {
            format!("{year:04}")
        } else if year < 0 {
            format!("-{:06}", -year)
        } else {
            format!("+{year:06}")
        };
        Some(format!(
            "{year}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z"
        ))
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month 1–12, day 1–31).
///
/// ```
/// use storage_core::{civil_from_days, days_from_civil};
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// assert_eq!(days_from_civil(2000, 2, 29), 11_016);
/// assert_eq!(civil_from_days(11_016), (2000, 2, 29));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // The well-known era-based conversion (eras of 400 years, March-based years).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A proleptic Gregorian (year, month 1–12, day 1–31) to days since 1970-01-01: the inverse of
/// [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(ms: f64) -> Option<String> {
        JsDate::from_millis(ms).to_iso_string()
    }

    #[test]
    fn iso_strings_match_javascript() {
        assert_eq!(iso(0.0).as_deref(), Some("1970-01-01T00:00:00.000Z"));
        assert_eq!(iso(-1.0).as_deref(), Some("1969-12-31T23:59:59.999Z"));
        assert_eq!(
            iso(951_782_400_000.0).as_deref(),
            Some("2000-02-29T00:00:00.000Z")
        );
        assert_eq!(
            iso(1_700_000_000_123.9).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(
            iso(253_402_300_800_000.0).as_deref(),
            Some("+010000-01-01T00:00:00.000Z")
        );
        assert_eq!(
            iso(-62_198_755_200_000.0).as_deref(),
            Some("-000001-01-01T00:00:00.000Z")
        );
        assert_eq!(iso(8.64e15).as_deref(), Some("+275760-09-13T00:00:00.000Z"));
        assert_eq!(
            iso(-8.64e15).as_deref(),
            Some("-271821-04-20T00:00:00.000Z")
        );
        assert_eq!(iso(8.64e15 + 1.0), None);
        assert_eq!(iso(f64::INFINITY), None);
    }

    #[test]
    fn time_clip_truncates_toward_zero() {
        assert_eq!(JsDate::from_millis(-1.5).time_value(), -1.0);
        assert_eq!(
            JsDate::from_millis(-0.5).time_value().to_bits(),
            0.0f64.to_bits()
        );
    }

    proptest::proptest! {
        #[test]
        fn days_and_civil_dates_convert_both_ways(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            proptest::prop_assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            proptest::prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
