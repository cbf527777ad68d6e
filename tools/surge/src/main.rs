//! The 2013 create-cell surge, simulated: one relay, a growing botnet of TAP-only clients, and
//! C tor's defences switched on one by one.
//!
//! ```text
//! cargo run --release -p surge [-- --relay median|top10|top1] [--cores N] [--seed S] [--quick]
//! ```
//!
//! Measures the handshake costs on this machine, then runs the deterministic simulation of
//! `surge/sim.rs` (model and assumptions documented there) for each scenario as the bot
//! population grows from 0 to 8 bots per human user (2013: about 0.5 M users, then 4–5.5 M
//! clients within weeks). Prints a table and writes `target/surge/surge.svg`.
//!
//! The simulated relay is the one the relay cost report's calibrated capacity model
//! (`tools/relay-cost/src/calc.rs`, 2013 scenario, shared source) puts at the chosen rank
//! (`--relay median|top10|top1`, default the top 1 %): its share of the network's
//! handshakes, the circuits a user and a bot build per hour, the 2013 hardware (TAP at 1 ms,
//! the other handshakes at the ratios measured here) and the share of its cores left for
//! handshakes all come from the model, so the two tools tell one story. The simulated
//! clients stand for the real ones at a fixed ratio (10,000 users = the 0.5 million users
//! before the surge).
//!
//! Scenarios, each adding one step to the previous:
//! 1. `TAP-only`: every client speaks TAP (0.2.3 world).
//! 2. `mix, oldest first`: users speak ntor (0.2.4), bots TAP; the relay serves oldest first.
//! 3. `mix, ntor first`: the relay serves up to 10 ntor per TAP (0.2.4.17-rc).
//! 4. `+ rate limit`: C tor's per-address create rate limiting on client channels, with the
//!    live consensus values of today (rate 2/s, burst 60, at least 2 connections).
//! 5. `+ fewer exploratory`: clients launch a quarter as many exploratory circuits.
//!
//! and one variant: `rate limit, 32/addr` is step 4 with bots packed 32 to an address instead
//! of 8, to show when C tor's per-address limiter engages.

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../../relay-cost/src/calc.rs"]
#[allow(dead_code)] // the report uses more of the model than the simulation
mod calc;
mod measure;
mod sim;
mod svg;

use core::time::Duration;
use std::process::ExitCode;

use onionskin::HandshakeType;
use onionskin::relay::Scheduling;
use sim::{Config, Report, Scenario};

/// The scenarios, cumulative.
fn scenarios() -> [Scenario; 6] {
    let tap_only = Scenario {
        name: "TAP-only",
        user_handshake: HandshakeType::TAP,
        scheduling: Scheduling::NtorPriority,
        rate_limit: false,
        exploratory_factor: 1.0,
        bots_per_address: 8,
    };
    let fifo = Scenario {
        name: "mix, oldest first",
        user_handshake: HandshakeType::NTOR,
        scheduling: Scheduling::Fifo,
        ..tap_only
    };
    let prio = Scenario {
        name: "mix, ntor first",
        scheduling: Scheduling::NtorPriority,
        ..fifo
    };
    let limited = Scenario {
        name: "+ rate limit",
        rate_limit: true,
        ..prio
    };
    let fewer = Scenario {
        name: "+ fewer exploratory",
        exploratory_factor: 0.25,
        ..limited
    };
    let concentrated = Scenario {
        name: "rate limit, 32/addr",
        bots_per_address: 32,
        ..limited
    };
    [tap_only, fifo, prio, limited, fewer, concentrated]
}

struct Args {
    cores: Option<u32>,
    seed: u64,
    quick: bool,
    /// Index into [`calc::PERCENTILES`].
    relay: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        cores: None,
        seed: 1,
        quick: false,
        relay: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cores" => {
                args.cores = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|&n| n >= 1)
                        .ok_or("--cores needs a number >= 1")?,
                );
            }
            "--seed" => {
                args.seed = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seed needs a number")?;
            }
            "--quick" => args.quick = true,
            "--relay" => {
                args.relay = match it.next().as_deref() {
                    Some("median") => 0,
                    Some("top10") => 1,
                    Some("top1") => 2,
                    _ => return Err("--relay takes median, top10 or top1".to_owned()),
                };
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Users per simulation, standing for the users of 2013 before the surge.
const USERS: u32 = 10_000;
/// Direct users before the 2013 surge (Tor Metrics, August 2013: about half a million).
const USERS_BEFORE_SURGE: f64 = 500_000.0;
const BOTS_PER_USER: [u32; 6] = [0, 2, 4, 5, 6, 8];

/// What the capacity model says about the simulated relay.
struct FromModel {
    label: &'static str,
    share: f64,
    /// Launch interval of one simulated user.
    interval_s: f64,
    bot_launch_factor: f64,
    exploratory_share: f64,
    cores: u32,
    cost_scale: f64,
}

/// The simulated relay from the 2013 model: a simulated circuit is 3 handshakes at this
/// relay, so a simulated user launches as many per hour as `USERS_BEFORE_SURGE / USERS` real
/// users send handshakes to it, divided by 3.
fn from_model(m: &calc::Model, relay: usize, measured_tap: Duration) -> FromModel {
    let (label, _, q) = calc::PERCENTILES
        .get(relay)
        .copied()
        .unwrap_or(calc::PERCENTILES[2]);
    let share = m.rank_shares().at((q * m.relays).round().max(1.0));
    let user = calc::Model {
        rendezvous_per_client_hour: 0.0,
        ..*m
    }
    .hops_per_client_hour();
    let bot = m.hops_per_client_hour();
    let total = |h: calc::Hops| h.guard + h.middle + h.exit;
    let per_user_hs_hour = USERS_BEFORE_SURGE / f64::from(USERS) * share * total(user);
    let cost_scale = match m.cost_basis {
        calc::CostBasis::TapAt(t) => t / measured_tap.as_secs_f64(),
        calc::CostBasis::Measured => 1.0,
    };
    FromModel {
        label,
        share,
        interval_s: 3.0 * 3600.0 / per_user_hs_hour,
        bot_launch_factor: total(bot) / total(user),
        exploratory_share: 1.0 - 1.0 / m.exploratory_factor.max(1.0),
        // The cores the model leaves for handshakes (at least one); a small, non-negative
        // float rounded to a whole core count.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        cores: (m.handshake_cores().round() as u32).max(1),
        cost_scale,
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "{e}\nusage: surge [--relay median|top10|top1] [--cores N] [--seed S] [--quick]"
            );
            return ExitCode::from(2);
        }
    };
    let measured = measure::measure(args.quick);
    let model = calc::Model::y2013();
    let fm = from_model(&model, args.relay, measured.tap);
    let costs = sim::Costs {
        ntor: measured.ntor.mul_f64(fm.cost_scale),
        tap: measured.tap.mul_f64(fm.cost_scale),
    };
    let cores = args.cores.unwrap_or(fm.cores);
    let interval_s = fm.interval_s;
    println!();
    println!(
        "Relay: the {} of the 2013 capacity model ({:.3} % of the network's handshakes), {} core(s) for handshakes;",
        fm.label,
        100.0 * fm.share,
        cores
    );
    println!(
        "2013 hardware: TAP {:.0} µs, ntor {:.0} µs (measured here × {:.2}). {} users stand for {:.0} thousand;",
        costs.tap.as_secs_f64() * 1e6,
        costs.ntor.as_secs_f64() * 1e6,
        fm.cost_scale,
        USERS,
        USERS_BEFORE_SURGE / 1e3
    );
    println!(
        "each launches a 3-hop circuit every {:.0} s on average ({:.0} % exploratory); bots launch {:.1} × as often",
        interval_s,
        100.0 * fm.exploratory_share,
        fm.bot_launch_factor
    );
    println!(
        "(onion-service rendezvous with the model's retry factor) and speak only TAP, 8 per address."
    );
    println!("Failed wanted circuits are retried after 1 s for up to 30 s.");
    println!();

    let mut results: Vec<(Scenario, Vec<(u32, Report)>)> = Vec::new();
    println!(
        "{:<20} {:>8} {:>9} {:>6} {:>6} {:>7} {:>7} {:>7} {:>8} {:>15} {:>15} {:>6}",
        "scenario",
        "bots/usr",
        "creates/s",
        "drop%",
        "RL%",
        "circ%",
        "user%",
        "bot%",
        "usr-got%",
        "ntor q ms",
        "TAP q ms",
        "CPU%"
    );
    println!(
        "{:<20} {:>8} {:>9} {:>6} {:>6} {:>7} {:>7} {:>7} {:>8} {:>15} {:>15} {:>6}",
        "", "", "", "", "", "", "", "", "", "mean/p95", "mean/p95", ""
    );
    let started = std::time::Instant::now();
    for sc in scenarios() {
        let mut rows = Vec::new();
        for &k in &BOTS_PER_USER {
            let mut cfg = Config::new(sc, costs, USERS, USERS * k);
            cfg.cores = cores;
            cfg.bot_launch_factor = fm.bot_launch_factor;
            cfg.exploratory_share = fm.exploratory_share;
            cfg.seed = args.seed;
            cfg.launch_interval = Duration::from_secs_f64(interval_s);
            if args.quick {
                cfg.measure = Duration::from_secs(15);
            }
            let r = sim::run(&cfg);
            println!(
                "{:<20} {:>8} {:>9.0} {:>6} {:>6} {:>7} {:>7} {:>7} {:>8} {:>7.0}/{:<7.0} {:>7.0}/{:<7.0} {:>6}",
                sc.name,
                k,
                r.creates_per_sec,
                pct(r.dropped_share),
                pct(r.rate_limited as f64
                    / (r.creates_per_sec * cfg.measure.as_secs_f64()).max(1.0)),
                pct(r.circuit_success()),
                pct(r.users.success()),
                if k == 0 {
                    "-".to_owned()
                } else {
                    pct(r.bots.success())
                },
                pct(r.user_built_share),
                r.ntor_delay.mean_ms(),
                r.ntor_delay.quantile_ms(0.95),
                r.tap_delay.mean_ms(),
                r.tap_delay.quantile_ms(0.95),
                pct(r.cpu_utilisation),
            );
            rows.push((k, r));
        }
        results.push((sc, rows));
    }
    println!();
    println!(
        "circ% = share of circuit attempts built (all clients); user%/bot% = the same per class;"
    );
    println!(
        "usr-got% = users' wanted circuits built within 30 s, retries included; q ms = time from"
    );
    println!(
        "arrival at the relay to start of processing, for served requests; drop% = creates answered"
    );
    println!("with DESTROY (queue full, culled after 5 s, or rate-limited).");
    if let Some((_, rows)) = results.get(2)
        && let Some((k, r)) = rows.last()
    {
        println!();
        println!(
            "Relay heartbeat at {k} bots/user, mix with ntor first (relay channels only, as C tor counts):"
        );
        println!("  {}", r.heartbeat);
    }
    println!(
        "(simulated {} runs in {:.1} s)",
        results.len() * BOTS_PER_USER.len(),
        started.elapsed().as_secs_f64()
    );

    let ticks: Vec<f64> = BOTS_PER_USER.iter().map(|&k| f64::from(k)).collect();
    let series = |f: &dyn Fn(&Scenario, &Report) -> f64| -> Vec<svg::Series<'_>> {
        results
            .iter()
            .map(|(sc, rows)| svg::Series {
                label: sc.name,
                points: rows
                    .iter()
                    .map(|(k, r)| (f64::from(*k), f(sc, r)))
                    .collect(),
            })
            .collect()
    };
    // Users' requests are ntor or TAP depending on the scenario.
    let user_delay = |sc: &Scenario, r: &Report| {
        if sc.user_handshake == HandshakeType::TAP {
            r.tap_delay.mean_ms()
        } else {
            r.ntor_delay.mean_ms()
        }
    };
    let max_delay = results
        .iter()
        .flat_map(|(_, rows)| {
            rows.iter()
                .map(|(_, r)| r.ntor_delay.mean_ms().max(r.tap_delay.mean_ms()))
        })
        .fold(100.0, f64::max);
    let panels = [
        svg::Panel {
            title: "Users' circuit attempts built (%)",
            y_label: "%",
            y_max: 100.0,
            series: series(&|_, r| 100.0 * r.users.success()),
        },
        svg::Panel {
            title: "All circuit attempts built (%)",
            y_label: "%",
            y_max: 100.0,
            series: series(&|_, r| 100.0 * r.circuit_success()),
        },
        svg::Panel {
            title: "Users' mean queue delay (ms)",
            y_label: "ms",
            y_max: (max_delay / 250.0).ceil() * 250.0,
            series: series(&user_delay),
        },
        svg::Panel {
            title: "Relay CPU utilisation (%)",
            y_label: "%",
            y_max: 100.0,
            series: series(&|_, r| 100.0 * r.cpu_utilisation),
        },
    ];
    let doc = svg::render(
        &format!(
            "Create-cell surge: the {} of 2013, {} core(s) for handshakes, as the botnet grows",
            fm.label, cores
        ),
        "bots per human user",
        &ticks,
        &panels,
    );
    let dir = std::path::Path::new("target").join("surge");
    let path = dir.join("surge.svg");
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, doc)) {
        eprintln!("cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", path.display());
    ExitCode::SUCCESS
}
