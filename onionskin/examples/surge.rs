//! The 2013 create-cell surge, simulated: one relay, a growing botnet of TAP-only clients, and
//! C tor's defences switched on one by one.
//!
//! ```text
//! cargo run --release --example surge [-- --cores N] [--seed S] [--quick]
//! ```
//!
//! Measures the handshake costs on this machine, then runs the deterministic simulation of
//! `surge/sim.rs` (model and assumptions documented there) for each scenario as the bot
//! population grows from 0 to 8 bots per human user (2013: about 0.6 M users, then 4–5 M
//! clients within weeks). Prints a table and writes `target/surge/surge.svg`.
//!
//! Scenarios, each adding one step to the previous:
//! 1. `TAP-only`: every client speaks TAP (0.2.3 world).
//! 2. `mix, oldest first`: users speak ntor (0.2.4), bots TAP; the relay serves oldest first.
//! 3. `mix, ntor first`: the relay serves up to 10 ntor per TAP (0.2.4.17-rc).
//! 4. `+ rate limit`: C tor's per-address create rate limiting on client channels.
//! 5. `+ fewer exploratory`: clients launch a quarter as many exploratory circuits.
//!
//! and one variant: `rate limit, 32/addr` is step 4 with bots packed 32 to an address instead
//! of 8, to show when C tor's per-address limiter engages.

// A command-line tool: printing is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "surge/measure.rs"]
mod measure;
#[path = "surge/sim.rs"]
mod sim;
#[path = "surge/svg.rs"]
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
    cores: u32,
    seed: u64,
    quick: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        cores: 2,
        seed: 1,
        quick: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--cores" => {
                args.cores = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n >= 1)
                    .ok_or("--cores needs a number >= 1")?;
            }
            "--seed" => {
                args.seed = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--seed needs a number")?;
            }
            "--quick" => args.quick = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// Users per simulation, and the share of the relay's CPU their circuits use in the TAP-only
/// world before any bot arrives.
const USERS: u32 = 10_000;
const BASE_LOAD: f64 = 0.3;
const BOTS_PER_USER: [u32; 6] = [0, 1, 2, 3, 4, 8];

fn pct(x: f64) -> String {
    format!("{:.1}", 100.0 * x)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: surge [--cores N] [--seed S] [--quick]");
            return ExitCode::from(2);
        }
    };
    let costs = measure::measure(args.quick);
    // Launch interval so that users' TAP circuits (3 hops) use BASE_LOAD of the CPU.
    let interval_s =
        f64::from(USERS) * 3.0 * costs.tap.as_secs_f64() / (BASE_LOAD * f64::from(args.cores));
    println!();
    println!(
        "Relay: {} cores; {} users, each launching a circuit every {:.1} s on average (half of them exploratory);",
        args.cores, USERS, interval_s
    );
    println!(
        "bots behave alike but speak only TAP, 8 per address. Failed wanted circuits are retried after 1 s for up to 30 s."
    );
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
            cfg.cores = args.cores;
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
            "Create-cell surge: one relay, {} cores, as the botnet grows",
            args.cores
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
