//! The machine a run measured: CPU model and core count (from `/proc/cpuinfo`), load, kernel.

use std::fs;

/// What the report says about the machine, so figures from different runs are not compared
/// blindly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// `model name` of the first processor in `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Logical processors listed in `/proc/cpuinfo`.
    pub cores: usize,
    /// Total memory, from `/proc/meminfo`, in MiB.
    pub memory_mib: u64,
    /// The kernel release, from `/proc/sys/kernel/osrelease`.
    pub kernel: String,
}

impl Machine {
    /// Reads the running machine; unknown fields say `unknown` rather than failing the run.
    pub fn detect() -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let (cpu_model, cores) = parse_cpuinfo(&cpuinfo);
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpu_model,
            cores,
            memory_mib: status_kib(&meminfo, "MemTotal").unwrap_or(0) / 1024,
            kernel: fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "unknown".into()),
        }
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} logical cores), {} MiB RAM, Linux {}",
            self.cpu_model, self.cores, self.memory_mib, self.kernel
        )
    }
}

/// `(model name, processor count)` of a `/proc/cpuinfo` text.
pub fn parse_cpuinfo(text: &str) -> (String, usize) {
    let field = |line: &str, name: &str| -> Option<String> {
        let (k, v) = line.split_once(':')?;
        (k.trim() == name).then(|| v.trim().to_string())
    };
    let model = text
        .lines()
        .find_map(|l| field(l, "model name"))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = text
        .lines()
        .filter(|l| field(l, "processor").is_some())
        .count();
    (model, cores.max(1))
}

/// A `Name:   1234 kB` field of `/proc/self/status` or `/proc/meminfo`, in KiB.
pub fn status_kib(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if k.trim() != name {
            return None;
        }
        v.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// The 1-minute load average, to say how busy the machine was while measuring.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

/// This process's peak resident set size (`VmHWM`), in KiB.
pub fn peak_rss_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status_kib(&status, "VmHWM").unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_model_and_count() {
        let text = "processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: fpu\n\n\
                    processor\t: 1\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(parse_cpuinfo(text), ("AMD EPYC 7B13".to_string(), 2));
        assert_eq!(parse_cpuinfo(""), ("unknown CPU".to_string(), 1));
    }

    #[test]
    fn status_fields() {
        let text = "VmPeak:\t  20000 kB\nVmHWM:\t    1234 kB\n";
        assert_eq!(status_kib(text, "VmHWM"), Some(1234));
        assert_eq!(status_kib(text, "VmRSS"), None);
    }
}
