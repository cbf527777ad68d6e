//! Command-line arguments: everything after `--` in `cargo bench --bench relay_cost -- ...`.
//!
//! `cargo bench` itself passes `--bench` (and libtest-style flags may follow habit), so unknown
//! flags are ignored with a note on stderr instead of aborting a minute-long run.

use std::path::PathBuf;

/// The usage text printed by `--help`.
pub(crate) const HELP: &str = "\
relay_cost: what each Tor circuit handshake costs a relay, measured in one run.

USAGE:
    cargo bench --bench relay_cost [-- OPTIONS]

MEASUREMENT:
    --quick                         CI-speed run (a few seconds; figures are rough)
    --rounds N                      interleaved sampling rounds [default: 25, quick: 4]
    --threads N                     threads for the all-cores throughput run
                                    [default: this machine's logical cores]
    --out DIR                       where report.json and report.svg go
                                    [default: <target dir>/relay_cost]
    --batch-only                    only section 7, the batched ntor and ntor-v3 relays
    --compare-criterion             also show the criterion benches' medians for the same
                                    figures (run `cargo bench --bench handshakes` and
                                    `--bench x25519` first)

CAPACITY CALCULATOR (the 2013 botnet surge):
    --clients N                     Tor clients building circuits [default: 5000000]
    --circuits-per-client-hour X    new circuits each client builds per hour [default: 6]
    --tap-share F                   share of onion skins that are TAP in the mixed
                                    population, 0..1 [default: 0.9]
    --relays N                      relays sharing the handshakes evenly [default: 4000];
                                    a relay carrying 1 % of the load: --relays 100
    --hops N                        handshakes per circuit [default: 3]
    --fast-first-hop yes|no         first hop uses CREATE_FAST, as 2013 clients did
                                    [default: yes]
    --cores N                       cores of the relay being sized [default: this machine's]

    -h, --help                      this text

OUTPUT: the table on stdout, progress on stderr, report.json and report.svg in --out.
";

/// Parsed arguments.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Args {
    pub(crate) help: bool,
    pub(crate) quick: bool,
    pub(crate) rounds: Option<usize>,
    pub(crate) threads: Option<usize>,
    pub(crate) out: Option<PathBuf>,
    pub(crate) compare_criterion: bool,
    /// Only the batch section.
    pub(crate) batch_only: bool,
    pub(crate) scenario: Scenario,
    /// Arguments that were not understood (reported, then ignored).
    pub(crate) ignored: Vec<String>,
}

/// The capacity calculator's inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scenario {
    pub(crate) clients: f64,
    pub(crate) circuits_per_client_hour: f64,
    pub(crate) tap_share: f64,
    pub(crate) relays: f64,
    pub(crate) hops: u32,
    pub(crate) fast_first_hop: bool,
    /// `None`: this machine's logical cores.
    pub(crate) cores: Option<u32>,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            clients: 5_000_000.0,
            circuits_per_client_hour: 6.0,
            tap_share: 0.9,
            relays: 4000.0,
            hops: 3,
            fast_first_hop: true,
            cores: None,
        }
    }
}

impl Args {
    /// Parses `args` (without the program name).
    ///
    /// # Errors
    /// A message naming the option whose value is missing or malformed.
    pub(crate) fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Self, String> {
        let mut a = Self {
            help: false,
            quick: false,
            rounds: None,
            threads: None,
            out: None,
            compare_criterion: false,
            batch_only: false,
            scenario: Scenario::default(),
            ignored: Vec::new(),
        };
        let mut it = args.into_iter();
        while let Some(arg) = it.next() {
            // Accept both `--name value` and `--name=value`.
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
                _ => (arg.clone(), None),
            };
            let mut value = |what: &str| -> Result<String, String> {
                inline
                    .clone()
                    .or_else(|| it.next())
                    .ok_or_else(|| format!("{what} needs a value (see --help)"))
            };
            let s = &mut a.scenario;
            match name.as_str() {
                "-h" | "--help" => a.help = true,
                "--quick" => a.quick = true,
                "--compare-criterion" => a.compare_criterion = true,
                "--batch-only" => a.batch_only = true,
                "--rounds" => a.rounds = Some(positive(&name, &value(&name)?)?),
                "--threads" => a.threads = Some(positive(&name, &value(&name)?)?),
                "--out" => a.out = Some(PathBuf::from(value(&name)?)),
                "--clients" => s.clients = non_negative(&name, &value(&name)?)?,
                "--circuits-per-client-hour" => {
                    s.circuits_per_client_hour = non_negative(&name, &value(&name)?)?;
                }
                "--tap-share" => {
                    let f = non_negative(&name, &value(&name)?)?;
                    if f > 1.0 {
                        return Err(format!("{name} must be between 0 and 1, got {f}"));
                    }
                    s.tap_share = f;
                }
                "--relays" => {
                    s.relays = non_negative(&name, &value(&name)?)?;
                    if s.relays < 1.0 {
                        return Err(format!("{name} must be at least 1"));
                    }
                }
                "--hops" => {
                    s.hops = u32::try_from(positive(&name, &value(&name)?)?)
                        .map_err(|_| format!("{name}: too large"))?;
                }
                "--fast-first-hop" => {
                    s.fast_first_hop = match value(&name)?.as_str() {
                        "yes" | "true" | "1" => true,
                        "no" | "false" | "0" => false,
                        other => return Err(format!("{name} takes yes or no, got {other:?}")),
                    };
                }
                "--cores" => {
                    s.cores = Some(
                        u32::try_from(positive(&name, &value(&name)?)?)
                            .map_err(|_| format!("{name}: too large"))?,
                    );
                }
                _ => a.ignored.push(arg),
            }
        }
        Ok(a)
    }
}

fn positive(name: &str, v: &str) -> Result<usize, String> {
    match v.replace('_', "").parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{name} takes a positive integer, got {v:?}")),
    }
}

fn non_negative(name: &str, v: &str) -> Result<f64, String> {
    match v.replace('_', "").parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("{name} takes a non-negative number, got {v:?}")),
    }
}

// Benches are built with `--cfg test` but no test harness, so this module is dead there;
// tests/relay_cost.rs runs it.
#[cfg(test)]
#[allow(unused)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Args, String> {
        Args::parse(v.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn defaults_and_cargo_bench_flag() {
        let a = parse(&["--bench"]).unwrap();
        assert!(!a.quick && !a.help);
        assert_eq!(a.scenario, Scenario::default());
        assert_eq!(a.ignored, vec!["--bench".to_owned()]);
    }

    #[test]
    fn the_documented_example() {
        let a = parse(&[
            "--bench",
            "--clients",
            "5000000",
            "--circuits-per-client-hour",
            "6",
            "--tap-share=0.9",
            "--relays",
            "4_000",
            "--cores",
            "2",
            "--fast-first-hop",
            "no",
            "--quick",
        ])
        .unwrap();
        assert!(a.quick);
        let s = a.scenario;
        assert_eq!(s.clients, 5e6);
        assert_eq!(s.circuits_per_client_hour, 6.0);
        assert_eq!(s.tap_share, 0.9);
        assert_eq!(s.relays, 4000.0);
        assert_eq!(s.cores, Some(2));
        assert!(!s.fast_first_hop);
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(parse(&["--tap-share", "1.5"]).is_err());
        assert!(parse(&["--clients", "-3"]).is_err());
        assert!(parse(&["--relays", "0"]).is_err());
        assert!(parse(&["--cores"]).is_err());
        assert!(parse(&["--rounds", "0"]).is_err());
        assert!(parse(&["--fast-first-hop", "maybe"]).is_err());
    }

    #[test]
    fn help() {
        assert!(parse(&["-h"]).unwrap().help);
        assert!(HELP.contains("--circuits-per-client-hour"));
    }
}
