//! Command-line arguments: everything after `--` in `cargo run --release -p relay-cost -- ...`.
//!
//! Habit may add `cargo bench`'s `--bench` or libtest-style flags, so unknown
//! flags are ignored with a note on stderr instead of aborting a minute-long run.

use std::path::PathBuf;

use crate::calc::{Era, Model};

/// The usage text printed by `--help`.
pub(crate) const HELP: &str = "\
relay_cost: what each Tor circuit handshake costs a relay, measured in one run.

USAGE:
    cargo run --release -p relay-cost [-- OPTIONS]

MEASUREMENT:
    --quick                         CI-speed run (a few seconds; figures are rough)
    --rounds N                      interleaved sampling rounds [default: 25, quick: 4]
    --threads N                     threads for the all-cores throughput run
                                    [default: this machine's logical cores]
    --out DIR                       where report.json and report.svg go
                                    [default: <target dir>/relay_cost]
    --batch-only                    only section 7, the batched ntor, ntor-v3 and hs-ntor service
    --compare-criterion             also show the criterion benches' medians for the same
                                    figures (run `cargo bench --bench handshakes` and
                                    `--bench x25519` first)

CAPACITY MODEL (calibrated; every input is printed with its source):
    --scenario 2013|today           2013: the botnet surge on 0.2.4 relays, 2013 hardware
                                    (TAP at 1 ms, other handshakes at this run's ratios);
                                    today: 0.4.9 relays, this run's costs [default: 2013]
    --clients N                     clients at which loads are shown
    --circuits-per-client-hour X    ordinary circuits each client builds per hour
    --exploratory-factor X          × ordinary circuits for preemptive/timeout circuits
    --rendezvous-per-client-hour X  onion-service rendezvous per client-hour
    --retry-factor X                rendezvous attempts per rendezvous wanted
    --top1-share F                  share of all handshakes the top 1 % of relays carry
    --tap-share F                   TAP share of onion skins in the mixed population, 0..1
    --relays N                      relays in the consensus
    --hops N                        hops of an ordinary circuit
    --fast-first-hop yes|no         first hop uses CREATE_FAST, as 2013 clients did
    --cores N                       cores of the modelled relay
                                    [2013: 2; today: this machine's logical cores]
    --handshake-cpu-share F         share of the relay's CPU left for handshakes, 0..1

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

/// The capacity model's inputs: a scenario and the values the command line overrides.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Scenario {
    pub(crate) era: Option<Era>,
    pub(crate) clients: Option<f64>,
    pub(crate) circuits_per_client_hour: Option<f64>,
    pub(crate) exploratory_factor: Option<f64>,
    pub(crate) rendezvous_per_client_hour: Option<f64>,
    pub(crate) retry_factor: Option<f64>,
    pub(crate) top1_share: Option<f64>,
    pub(crate) tap_share: Option<f64>,
    pub(crate) relays: Option<f64>,
    pub(crate) hops: Option<u32>,
    pub(crate) fast_first_hop: Option<bool>,
    pub(crate) cores: Option<u32>,
    pub(crate) handshake_cpu_share: Option<f64>,
}

impl Scenario {
    /// The model: the scenario's defaults with the overrides applied. `machine_cores` are
    /// today's relay cores unless `--cores` says otherwise.
    pub(crate) fn model(&self, machine_cores: u32) -> Model {
        let mut m = match self.era.unwrap_or(Era::Y2013) {
            Era::Y2013 => Model::y2013(),
            Era::Today => Model::today(machine_cores),
        };
        let set = |dst: &mut f64, v: Option<f64>| {
            if let Some(v) = v {
                *dst = v;
            }
        };
        set(&mut m.clients, self.clients);
        set(
            &mut m.circuits_per_client_hour,
            self.circuits_per_client_hour,
        );
        set(&mut m.exploratory_factor, self.exploratory_factor);
        set(
            &mut m.rendezvous_per_client_hour,
            self.rendezvous_per_client_hour,
        );
        set(&mut m.retry_factor, self.retry_factor);
        set(&mut m.top1_share, self.top1_share);
        set(&mut m.tap_share, self.tap_share);
        set(&mut m.relays, self.relays);
        set(&mut m.handshake_cpu_share, self.handshake_cpu_share);
        if let Some(h) = self.hops {
            m.hops = h;
        }
        if let Some(f) = self.fast_first_hop {
            m.fast_first_hop = f;
        }
        if let Some(c) = self.cores {
            m.cores = c;
        }
        m
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
                "--scenario" => {
                    s.era = Some(match value(&name)?.as_str() {
                        "2013" => Era::Y2013,
                        "today" => Era::Today,
                        other => return Err(format!("{name} takes 2013 or today, got {other:?}")),
                    });
                }
                "--clients" => s.clients = Some(non_negative(&name, &value(&name)?)?),
                "--circuits-per-client-hour" => {
                    s.circuits_per_client_hour = Some(non_negative(&name, &value(&name)?)?);
                }
                "--exploratory-factor" => {
                    s.exploratory_factor = Some(non_negative(&name, &value(&name)?)?);
                }
                "--rendezvous-per-client-hour" => {
                    s.rendezvous_per_client_hour = Some(non_negative(&name, &value(&name)?)?);
                }
                "--retry-factor" => s.retry_factor = Some(non_negative(&name, &value(&name)?)?),
                "--top1-share" => s.top1_share = Some(fraction(&name, &value(&name)?)?),
                "--tap-share" => s.tap_share = Some(fraction(&name, &value(&name)?)?),
                "--handshake-cpu-share" => {
                    s.handshake_cpu_share = Some(fraction(&name, &value(&name)?)?);
                }
                "--relays" => {
                    let r = non_negative(&name, &value(&name)?)?;
                    if r < 1.0 {
                        return Err(format!("{name} must be at least 1"));
                    }
                    s.relays = Some(r);
                }
                "--hops" => {
                    s.hops = Some(
                        u32::try_from(positive(&name, &value(&name)?)?)
                            .map_err(|_| format!("{name}: too large"))?,
                    );
                }
                "--fast-first-hop" => {
                    s.fast_first_hop = Some(match value(&name)?.as_str() {
                        "yes" | "true" | "1" => true,
                        "no" | "false" | "0" => false,
                        other => return Err(format!("{name} takes yes or no, got {other:?}")),
                    });
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

fn fraction(name: &str, v: &str) -> Result<f64, String> {
    let f = non_negative(name, v)?;
    if f > 1.0 {
        return Err(format!("{name} must be between 0 and 1, got {f}"));
    }
    Ok(f)
}

fn non_negative(name: &str, v: &str) -> Result<f64, String> {
    match v.replace('_', "").parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("{name} takes a non-negative number, got {v:?}")),
    }
}

#[cfg(test)]
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
        let m = a.scenario.model(8);
        assert_eq!(m.clients, 5e6);
        assert_eq!(m.circuits_per_client_hour, 6.0);
        assert_eq!(m.tap_share, 0.9);
        assert_eq!(m.relays, 4000.0);
        assert_eq!(m.cores, 2);
        assert!(!m.fast_first_hop);
        assert_eq!(m.era, Era::Y2013);
    }

    #[test]
    fn scenarios() {
        assert_eq!(parse(&[]).unwrap().scenario.model(8), Model::y2013());
        let a = parse(&[
            "--scenario",
            "today",
            "--retry-factor=2",
            "--top1-share",
            "0.1",
        ])
        .unwrap();
        let m = a.scenario.model(8);
        assert_eq!(
            m,
            Model {
                retry_factor: 2.0,
                top1_share: 0.1,
                ..Model::today(8)
            }
        );
        assert!(parse(&["--scenario", "1999"]).is_err());
        assert!(parse(&["--top1-share", "2"]).is_err());
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
