//! The report: sections of measured rows with their ratios and targets, as markdown.

use std::fmt::Write as _;

/// What a row measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// Seconds per operation (median over rounds).
    Time(f64),
    /// Operations per second (median over rounds).
    Rate(f64),
    /// A size in KiB (peak memory).
    KiB(u64),
}

/// A bound a ratio must respect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// The ratio must be at most this.
    AtMost(f64),
    /// The ratio must be at least this.
    AtLeast(f64),
}

impl Target {
    /// Whether `ratio` meets the target.
    pub fn met(self, ratio: f64) -> bool {
        match self {
            Target::AtMost(b) => ratio <= b,
            Target::AtLeast(b) => ratio >= b,
        }
    }

    fn describe(self) -> String {
        match self {
            Target::AtMost(b) => format!("≤ {}", ratio(b)),
            Target::AtLeast(b) => format!("≥ {}", ratio(b)),
        }
    }
}

/// One line of a section.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// What was measured.
    pub label: String,
    /// Its absolute figure.
    pub value: Value,
    /// Its ratio to the section's baseline (paired per round), if it has one.
    pub ratio: Option<f64>,
    /// The bound the ratio must respect, if any.
    pub target: Option<Target>,
}

impl Row {
    /// A row with no ratio (the baseline itself, or a figure given for information).
    pub fn plain(label: impl Into<String>, value: Value) -> Row {
        Row {
            label: label.into(),
            value,
            ratio: None,
            target: None,
        }
    }

    /// A row with a ratio to the baseline.
    pub fn ratio(label: impl Into<String>, value: Value, r: f64) -> Row {
        Row {
            ratio: Some(r),
            ..Row::plain(label, value)
        }
    }

    /// The same row with a target on its ratio.
    pub fn target(mut self, target: Target) -> Row {
        self.target = Some(target);
        self
    }

    /// `Some(met)` when the row has a target and a ratio.
    pub fn verdict(&self) -> Option<bool> {
        Some(self.target?.met(self.ratio?))
    }
}

/// One comparison: rows measured in the same rounds, ratios against `baseline`.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// What the ratios are relative to, and how it was measured.
    pub baseline: String,
    /// The rows.
    pub rows: Vec<Row>,
}

/// A whole run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Lines about the run (machine, mode, load), printed first.
    pub header: Vec<String>,
    /// The comparisons.
    pub sections: Vec<Section>,
}

impl Report {
    /// Every row with a target, with its section's title.
    pub fn targets(&self) -> impl Iterator<Item = (&Section, &Row)> {
        self.sections
            .iter()
            .flat_map(|s| s.rows.iter().map(move |r| (s, r)))
            .filter(|(_, r)| r.target.is_some())
    }

    /// The report as markdown: the header, a summary of the targets, then every section.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            let _ = writeln!(out, "- {line}");
        }
        out.push_str("\n#### Targets\n\n| comparison | measured | ratio | target | met |\n|---|---|---|---|---|\n");
        for (s, r) in self.targets() {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                s.title,
                r.label,
                r.ratio.map(ratio).unwrap_or_default(),
                r.target.map(Target::describe).unwrap_or_default(),
                match r.verdict() {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "",
                }
            );
        }
        for s in &self.sections {
            out.push_str(&section_markdown(s));
        }
        out
    }
}

/// One section as a markdown table.
pub fn section_markdown(s: &Section) -> String {
    let mut out = format!(
        "\n#### {}\n\n{}\n\n| measured | figure | ratio | target |\n|---|---|---|---|\n",
        s.title, s.baseline
    );
    for r in &s.rows {
        let target = match (r.target, r.verdict()) {
            (Some(t), Some(true)) => format!("{} (met)", t.describe()),
            (Some(t), _) => format!("{} (**not met**)", t.describe()),
            (None, _) => String::new(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            r.label,
            value(r.value),
            r.ratio.map(ratio).unwrap_or_else(|| "1×".into()),
            target
        );
    }
    out
}

/// An integer with thousands grouped: `100,000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// An absolute figure, with its unit.
pub fn value(v: Value) -> String {
    match v {
        Value::Time(s) => format!("{}/op", time(s)),
        Value::Rate(r) => format!("{} ops/s", significant(r)),
        Value::KiB(k) => format!("{} MiB", significant(k as f64 / 1024.0)),
    }
}

/// Seconds in the most readable unit, three significant digits: `850 ns`, `12.3 µs`, `4.56 ms`.
pub fn time(seconds: f64) -> String {
    let (v, unit) = if seconds < 1e-6 {
        (seconds * 1e9, "ns")
    } else if seconds < 1e-3 {
        (seconds * 1e6, "µs")
    } else if seconds < 1.0 {
        (seconds * 1e3, "ms")
    } else {
        (seconds, "s")
    };
    format!("{} {unit}", significant(v))
}

/// A ratio, two decimals: `1.23×`.
pub fn ratio(r: f64) -> String {
    format!("{r:.2}×")
}

/// Three significant digits, no exponent, thousands grouped: `1.23`, `12.3`, `123`, `12,345`.
pub fn significant(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.abs() >= 1000.0 {
        let grouped = grouped(v.abs().round() as u64);
        return if v < 0.0 {
            format!("-{grouped}")
        } else {
            grouped
        };
    }
    let decimals = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for (v, s) in [
            (1.234, "1.23"),
            (12.34, "12.3"),
            (123.4, "123"),
            (12345.6, "12,346"),
            (1234567.0, "1,234,567"),
            (f64::NAN, "n/a"),
        ] {
            assert_eq!(significant(v), s, "{v}");
        }
    }

    #[test]
    fn times() {
        for (v, s) in [
            (850e-9, "850 ns"),
            (12.34e-6, "12.3 µs"),
            (4.56e-3, "4.56 ms"),
            (2.0, "2.00 s"),
        ] {
            assert_eq!(time(v), s, "{v}");
        }
    }

    #[test]
    fn values_and_ratios() {
        assert_eq!(value(Value::Time(1e-6)), "1.00 µs/op");
        assert_eq!(value(Value::Rate(1500.0)), "1,500 ops/s");
        assert_eq!(value(Value::KiB(2048)), "2.00 MiB");
        assert_eq!(ratio(1.256), "1.26×");
    }

    #[test]
    fn targets() {
        assert!(Target::AtMost(2.0).met(2.0));
        assert!(!Target::AtMost(2.0).met(2.01));
        assert!(Target::AtLeast(3.0).met(3.5));
        let row = Row::ratio("x", Value::Time(1.0), 1.5).target(Target::AtMost(1.25));
        assert_eq!(row.verdict(), Some(false));
        assert_eq!(Row::plain("y", Value::Time(1.0)).verdict(), None);
    }

    #[test]
    fn markdown_lists_targets_and_sections() {
        let report = Report {
            header: vec!["machine: test".into()],
            sections: vec![Section {
                title: "get, 100 B".into(),
                baseline: "ratios to raw sled get".into(),
                rows: vec![
                    Row::plain("raw sled get", Value::Time(1e-6)),
                    Row::ratio("full stack get", Value::Time(1.5e-6), 1.5)
                        .target(Target::AtMost(2.0)),
                ],
            }],
        };
        let md = report.to_markdown();
        assert!(md.contains("- machine: test"));
        assert!(md.contains("| get, 100 B | full stack get | 1.50× | ≤ 2.00× | yes |"));
        assert!(md.contains("| raw sled get | 1.00 µs/op | 1× |  |"));
        assert!(md.contains("| full stack get | 1.50 µs/op | 1.50× | ≤ 2.00× (met) |"));
    }
}
