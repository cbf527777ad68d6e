//! The relay cost report: what each Tor circuit handshake costs a relay, measured in one run.
//!
//! `cargo run --release -p relay-cost` (about a minute; `-- --quick` for a few seconds,
//! `-- --help` for the calculator's arguments). Prints a table on stdout, progress on stderr,
//! and writes `report.json` and `report.svg` to `<target dir>/relay_cost/`.
//!
//! For TAP, ntor, ntor-v3 and CREATE_FAST it times client create, relay respond and client
//! finish (for hs-ntor: INTRODUCE1, the service's INTRODUCE2 with 1 and 3 subcredentials, and
//! RENDEZVOUS2); the primitives each relay handshake cannot avoid (its floor) and the two
//! yardsticks, and one hop's relay-cell crypto (so a handshake reads in relay cells),
//! interleaved with the handshakes round by round; relay throughput on one thread
//! and on all cores; and turns the relay costs into the load of a client surge.
//!
//! A home-made sampler rather than criterion, so everything is one process and one run, and
//! ratios compare figures taken seconds apart rather than minutes (see `sampler.rs`).

use core::time::Duration;
use indicatif::{ProgressBar, ProgressStyle};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::process::ExitCode;

mod args;
mod batch;
mod calc;
mod cases;
mod cells;
mod criterion_check;
mod error;
mod fixtures;
mod floor;
mod hs;
mod json;
mod machine;
mod report;
mod sampler;
mod stats;
mod svg;
mod table;

use cases::{Case, Spec};
pub(crate) use error::Error;
use floor::FloorKind;
use onionskin::handshake::fast::Fast;
use onionskin::handshake::ntor::Ntor;
use onionskin::handshake::ntor_v3::NtorV3;
use onionskin::handshake::tap::Tap;

/// The version of the onionskin crate being measured (this program's own version is not it),
/// read from its manifest at compile time.
pub(crate) fn onionskin_version() -> &'static str {
    include_str!("../../../onionskin/Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or("unknown")
}

/// The handshakes in the report, one line each.
fn handshakes() -> Vec<Box<dyn Case>> {
    vec![
        Box::new(Spec::<Tap>::new("TAP", FloorKind::Tap, fixtures::tap)),
        Box::new(Spec::<Ntor>::new("ntor", FloorKind::X25519, fixtures::ntor)),
        Box::new(
            Spec::<NtorV3>::new("ntor-v3", FloorKind::X25519, fixtures::ntor_v3).with_messages(
                fixtures::NTOR_V3_CLIENT_MESSAGE,
                fixtures::NTOR_V3_RELAY_MESSAGE,
            ),
        ),
        Box::new(Spec::<Fast>::new(
            "CREATE_FAST",
            FloorKind::Fast,
            fixtures::create_fast,
        )),
        Box::new(hs::HsNtor::new(report::HS_NTOR_1, 1)),
        Box::new(hs::HsNtor::new(report::HS_NTOR_3, 3)),
    ]
}

/// Sampling and throughput settings for a full or a `--quick` run.
fn plans(quick: bool, rounds: Option<usize>) -> (sampler::Plan, usize, Duration) {
    let plan = if quick {
        sampler::Plan {
            warmup: Duration::from_millis(20),
            target_sample: Duration::from_millis(1),
            rounds: rounds.unwrap_or(4),
            samples_per_visit: 3,
        }
    } else {
        sampler::Plan {
            warmup: Duration::from_millis(150),
            // Short samples: the scheduler interrupts fewer of them on a shared machine.
            target_sample: Duration::from_millis(1),
            rounds: rounds.unwrap_or(30),
            samples_per_visit: 10,
        }
    };
    // Throughput: rounds × (one thread, all threads) per handshake.
    if quick {
        (plan, 1, Duration::from_millis(100))
    } else {
        (plan, 3, Duration::from_millis(750))
    }
}

fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} relay_cost [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

fn run(a: &args::Args) -> Result<(), Error> {
    // `--bench` is what `cargo bench` passes by habit; say so only for other arguments.
    for arg in a.ignored.iter().filter(|a| *a != "--bench") {
        eprintln!("relay_cost: ignoring argument {arg:?}");
    }
    // Section 7: the batched relays, after everything else (or alone with --batch-only).
    let batch_rounds = if a.quick { 3 } else { a.rounds.unwrap_or(30) };
    if a.batch_only {
        let b = batch::measure(batch_rounds)?;
        print!("{}", batch::render(&b)?);
        return Ok(());
    }
    let machine = machine::Machine::detect();
    let threads = a.threads.unwrap_or(machine.logical_cores);
    let (plan, t_rounds, t_each) = plans(a.quick, a.rounds);
    let cases = handshakes();
    let mut rng = ChaCha20Rng::seed_from_u64(0x6f6e_696f_6e73_6b69);

    let mut ms = floor::measurements(&mut rng)?;
    ms.extend(cells::measurements(&mut rng)?);
    for c in &cases {
        ms.extend(c.measurements(&mut rng)?);
    }
    let settings: u64 = if threads > 1 { 2 } else { 1 };
    let n = u64::try_from(ms.len())?;
    let throughput_steps = u64::try_from(t_rounds * cases.len())? * settings;
    let bar = progress(n + n * u64::try_from(plan.rounds)? + throughput_steps);
    sampler::warm_up(&mut ms, &plan, &bar)?;
    sampler::sample(&mut ms, &plan, &mut rng, &bar)?;

    // Throughput, interleaved over handshakes in rounds like the sampler.
    let mut runs = vec![[cases::Run::default(); 2]; cases.len()];
    for round in 0..t_rounds {
        for (c, acc) in cases.iter().zip(runs.iter_mut()) {
            for (slot, t) in acc
                .iter_mut()
                .zip([1, threads])
                .take(usize::try_from(settings)?)
            {
                bar.set_message(format!(
                    "throughput {}/{t_rounds} {} × {t}",
                    round + 1,
                    c.name()
                ));
                slot.add(&c.throughput(t, t_each)?);
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();

    let infos: Vec<report::CaseInfo> = cases
        .iter()
        .zip(&runs)
        .map(|(c, [one, all])| report::CaseInfo {
            name: c.name(),
            htype: c.htype(),
            floor: c.floor(),
            throughput: Some(report::Throughput::new(
                *one,
                if threads > 1 { *all } else { *one },
                threads,
            )),
        })
        .collect();
    let mut report = report::build(
        machine,
        plan,
        a.quick,
        t_each.as_secs_f64() * f64::from(u32::try_from(t_rounds)?),
        &ms,
        &infos,
        a.scenario,
    );

    if a.compare_criterion {
        report.criterion = Some(criterion_check::compare(
            &report,
            &machine::target_dir().join("criterion"),
        ));
    }
    print!("{}", table::render(&report));
    eprintln!("relay_cost: batched relays ({batch_rounds} rounds)");
    let b = batch::measure(batch_rounds)?;
    println!();
    print!("{}", batch::render(&b)?);
    let dir = machine::output_dir(a.out.as_deref());
    std::fs::create_dir_all(&dir)?;
    let json_path = dir.join("report.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&json::to_value(&report, Some(&b)))? + "\n",
    )?;
    let svg_path = dir.join("report.svg");
    std::fs::write(&svg_path, svg::render(&chart(&report)))?;
    println!();
    println!("wrote {}", json_path.display());
    println!("wrote {}", svg_path.display());
    Ok(())
}

/// The chart's data from the report.
fn chart(r: &report::Report) -> svg::Chart {
    let c = &r.capacity;
    let m = &c.model;
    // The binding relay (top 1 %) for every population, and the others for TAP-only.
    let mut lines = Vec::new();
    for (i, row) in c.table.rows.iter().enumerate().rev() {
        for cell in &row.cells {
            let first = i + 1 == c.table.rows.len();
            if !first && cell.population != calc::Population::TapOnly {
                continue;
            }
            if let Some(k) = cell.cores_per_client {
                lines.push(svg::Line {
                    label: format!(
                        "{}, {}",
                        cell.population.label(),
                        row.label.trim_end_matches(" relay")
                    ),
                    cores_per_client: k,
                });
            }
        }
    }
    svg::Chart {
        title: format!(
            "onionskin {}: what Tor circuit handshakes cost a relay",
            onionskin_version()
        ),
        subtitle: format!(
            "{}, {} logical cores, {}; capacity ({} scenario): {} relays, top 1 % carry {:.0} %, {} handshake cores",
            r.machine.cpu_model,
            r.machine.logical_cores,
            r.machine.timestamp,
            m.era.key(),
            m.relays,
            100.0 * m.top1_share,
            m.handshake_cores()
        ),
        bars: r
            .handshakes
            .iter()
            .map(|h| svg::Bar {
                label: h.name.to_owned(),
                median: h.respond.median,
                lo: h.respond.p10,
                hi: h.respond.p90,
                floor: (h.floor_us > 0.0).then_some(h.floor_us),
            })
            .collect(),
        lines,
        cores: m.handshake_cores(),
        clients: m.clients,
    }
}

fn main() -> ExitCode {
    let a = match args::Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("relay_cost: {e}");
            return ExitCode::from(2);
        }
    };
    if a.help {
        print!("{}", args::HELP);
        return ExitCode::SUCCESS;
    }
    match run(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay_cost: error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
