//! What the numbers were measured on, and where the report goes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// The machine and build a report was made on.
#[derive(Clone, Debug)]
pub(crate) struct Machine {
    pub(crate) cpu_model: String,
    pub(crate) logical_cores: usize,
    pub(crate) os: String,
    pub(crate) kernel: Option<String>,
    pub(crate) arch: &'static str,
    pub(crate) rustc: Option<String>,
    pub(crate) cpu_features: Vec<&'static str>,
    pub(crate) git_commit: Option<String>,
    pub(crate) unix_time: u64,
    pub(crate) timestamp: String,
    /// `/proc/loadavg`'s 1, 5 and 15-minute load averages when the run started.
    pub(crate) load_average: Option<String>,
}

impl Machine {
    pub(crate) fn detect() -> Self {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self {
            cpu_model: cpu_model().unwrap_or_else(|| "unknown".to_owned()),
            logical_cores: logical_cores(),
            os: os_name(),
            kernel: read_trimmed("/proc/sys/kernel/osrelease"),
            arch: std::env::consts::ARCH,
            rustc: command_line(
                &std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned()),
                &["--version"],
            ),
            cpu_features: cpu_features(),
            git_commit: command_line(
                "git",
                &[
                    "-C",
                    env!("CARGO_MANIFEST_DIR"),
                    "rev-parse",
                    "--short=12",
                    "HEAD",
                ],
            ),
            unix_time,
            timestamp: rfc3339_utc(unix_time),
            load_average: read_trimmed("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
        }
    }

    /// One line for the report's header.
    pub(crate) fn one_line(&self) -> String {
        format!(
            "{}, {} logical cores, {}{}, {}",
            self.cpu_model,
            self.logical_cores,
            self.os,
            self.kernel
                .as_deref()
                .map(|k| format!(" (kernel {k})"))
                .unwrap_or_default(),
            self.rustc.as_deref().unwrap_or("rustc version unknown"),
        )
    }
}

/// Logical cores available to this process.
pub(crate) fn logical_cores() -> usize {
    std::thread::available_parallelism().map_or(1, core::num::NonZeroUsize::get)
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == "model name")
        .map(|(_, v)| v.trim().to_owned())
}

fn os_name() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    match pretty {
        Some(p) => format!("{} {}", std::env::consts::OS, p),
        None => std::env::consts::OS.to_owned(),
    }
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// CPU features the crate's fast paths (and curve25519-dalek's) care about.
fn cpu_features() -> Vec<&'static str> {
    #[allow(unused_mut)]
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") {
            v.push("avx2");
        }
        if std::is_x86_feature_detected!("avx512ifma") {
            v.push("avx512ifma");
        }
        if std::is_x86_feature_detected!("bmi2") {
            v.push("bmi2");
        }
        if std::is_x86_feature_detected!("adx") {
            v.push("adx");
        }
        if std::is_x86_feature_detected!("sha") {
            v.push("sha");
        }
    }
    v
}

/// Formats seconds since the Unix epoch as RFC 3339 UTC (`2013-08-19T00:00:00Z`), using the
/// days-to-civil conversion from Howard Hinnant's date algorithms.
pub(crate) fn rfc3339_utc(unix: u64) -> String {
    let days = i64::try_from(unix / 86_400).unwrap_or(0);
    let secs = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Where report.json and report.svg go: `--out`, else `<target dir>/relay_cost`.
pub(crate) fn output_dir(out: Option<&Path>) -> PathBuf {
    out.map_or_else(|| target_dir().join("relay_cost"), Path::to_owned)
}

/// Cargo's target directory: `$CARGO_TARGET_DIR`, else the one this bench binary was built
/// into (found by its `CACHEDIR.TAG`, which covers target dirs set in `.cargo/config.toml`),
/// else `<manifest dir>/target`.
pub(crate) fn target_dir() -> PathBuf {
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR").filter(|t| !t.is_empty()) {
        return PathBuf::from(t);
    }
    if let Some(t) = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .find(|d| d.join("CACHEDIR.TAG").is_file())
            .map(Path::to_owned)
    }) {
        return t;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        // The day the 2013 botnet surge began to show in Tor's metrics.
        assert_eq!(rfc3339_utc(1_376_870_400), "2013-08-19T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400 + 3_661), "2000-02-29T01:01:01Z");
        assert_eq!(rfc3339_utc(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn explicit_out_wins() {
        assert_eq!(
            output_dir(Some(Path::new("/tmp/x"))),
            PathBuf::from("/tmp/x")
        );
    }

    #[test]
    fn detect_fills_something() {
        let m = Machine::detect();
        assert!(m.logical_cores >= 1);
        assert!(!m.os.is_empty());
        assert!(m.timestamp.ends_with('Z'));
    }
}
