//! Turns samples into the report's figures: medians and spreads, floors and efficiencies,
//! yardstick ratios, targets, throughput and the capacity calculator.

use crate::args::Scenario;
use crate::calc::{Assumption, Costs, Model, Table};
use crate::cases::Run;
use crate::cells::{self, CellOp};
use crate::floor::{self, FloorKind, Primitive, YARD_MODEXP, YARD_X25519};
use crate::machine::Machine;
use crate::sampler::{Measurement, Plan, ratio, ratio_of};
use crate::stats::Summary;

/// The four handshakes the report is about, in table order.
pub(crate) const ALL: [&str; 4] = ["TAP", "ntor", "ntor-v3", "CREATE_FAST"];

/// Relay throughput of one handshake.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Throughput {
    /// Relay handshakes per second with one thread.
    pub(crate) one_thread: f64,
    /// Relay handshakes per second with `threads` threads.
    pub(crate) all_threads: f64,
    pub(crate) threads: usize,
    /// Relay handshakes per CPU-second the threads actually got, in the all-threads run
    /// (what a core does when nothing else competes for it); `None` without schedstat.
    pub(crate) per_cpu_s: Option<f64>,
    /// Share of the all-threads run's wall time its threads spent on a CPU.
    pub(crate) cpu_share: Option<f64>,
}

impl Throughput {
    /// From the summed runs with one thread and with `threads` threads.
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    pub(crate) fn new(one: Run, all: Run, threads: usize) -> Self {
        let rate = |r: Run, t: usize| {
            if r.wall_s > 0.0 {
                t as f64 * r.handshakes as f64 / r.wall_s
            } else {
                0.0
            }
        };
        Self {
            one_thread: rate(one, 1),
            all_threads: rate(all, threads),
            threads,
            per_cpu_s: (all.cpu_s > 0.0).then(|| all.handshakes as f64 / all.cpu_s),
            cpu_share: (all.cpu_s > 0.0 && all.wall_s > 0.0).then(|| all.cpu_s / all.wall_s),
        }
    }

    pub(crate) fn per_core(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let t = self.threads.max(1) as f64;
        self.all_threads / t
    }
    pub(crate) fn scaling(&self) -> f64 {
        self.all_threads / self.one_thread
    }
}

/// One term of a floor: `count` × a primitive.
#[derive(Clone, Debug)]
pub(crate) struct FloorTerm {
    pub(crate) primitive: Primitive,
    pub(crate) count: u32,
    pub(crate) median_us: f64,
}

/// Everything the report says about one handshake.
#[derive(Clone, Debug)]
pub(crate) struct HandshakeResult {
    pub(crate) name: &'static str,
    pub(crate) htype: u16,
    /// Microseconds per operation.
    pub(crate) create: Summary,
    pub(crate) respond: Summary,
    pub(crate) finish: Summary,
    /// Samples behind each figure and operations per sample.
    pub(crate) batches: [u64; 3],
    /// Relay cost divided by ntor's, round by round.
    pub(crate) vs_ntor: Option<Summary>,
    pub(crate) floor: Vec<FloorTerm>,
    pub(crate) floor_us: f64,
    /// Floor divided by relay respond, round by round.
    pub(crate) efficiency: Option<Summary>,
    /// Relay respond in units of the yardstick, round by round.
    pub(crate) yardstick: &'static str,
    pub(crate) in_yardsticks: Option<Summary>,
    /// Relay respond in relay cells passed on (`cell/relay_pass`), round by round.
    pub(crate) in_relayed_cells: Option<Summary>,
    /// Relay respond in relay cells originated or recognised (`cell/relay_originate`).
    pub(crate) in_originated_cells: Option<Summary>,
    pub(crate) throughput: Option<Throughput>,
}

impl HandshakeResult {
    /// Relay handshakes per second on one core, from the median relay respond.
    pub(crate) fn relay_per_s_per_core(&self) -> f64 {
        1e6 / self.respond.median
    }
}

/// One timed primitive.
#[derive(Clone, Debug)]
pub(crate) struct PrimitiveResult {
    pub(crate) primitive: Primitive,
    pub(crate) summary: Summary,
    pub(crate) batch: u64,
}

/// One timed relay-cell operation.
#[derive(Clone, Debug)]
pub(crate) struct CellResult {
    pub(crate) op: CellOp,
    /// Microseconds per cell.
    pub(crate) summary: Summary,
    pub(crate) batch: u64,
}

impl CellResult {
    /// Cells per second on one core, from the median.
    pub(crate) fn cells_per_s(&self) -> f64 {
        1e6 / self.summary.median
    }
    /// Gigabytes (10^9 bytes) of relay-cell payload per second on one core.
    pub(crate) fn gb_per_s(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // 509
        let payload = onionskin::codec::PAYLOAD_LEN as f64;
        self.cells_per_s() * payload / 1e9
    }
}

/// One target the report checks a figure against.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) id: &'static str,
    pub(crate) what: &'static str,
    pub(crate) unit: &'static str,
    pub(crate) limit: f64,
    pub(crate) ratio: Option<Summary>,
}

impl Target {
    /// `Some(true)` if the median ratio is within the limit; `None` if not measured.
    pub(crate) fn met(&self) -> Option<bool> {
        self.ratio.map(|r| r.median <= self.limit)
    }
}

/// The capacity model's answer.
#[derive(Clone, Debug)]
pub(crate) struct Capacity {
    pub(crate) model: Model,
    pub(crate) assumptions: Vec<Assumption>,
    pub(crate) table: Table,
}

/// The whole report.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) plan: Plan,
    pub(crate) quick: bool,
    pub(crate) throughput_seconds: f64,
    pub(crate) handshakes: Vec<HandshakeResult>,
    /// Handshakes of [`ALL`] this build could not measure.
    pub(crate) missing: Vec<&'static str>,
    pub(crate) primitives: Vec<PrimitiveResult>,
    /// Relay-cell crypto, one hop's layer.
    pub(crate) cells: Vec<CellResult>,
    pub(crate) targets: Vec<Target>,
    pub(crate) capacity: Capacity,
    /// The crate's relay-side X25519 work (`y*G`, `y*X`, `b*X`) in x25519-dalek varbase
    /// units, round by round: what ntor's floor becomes once the handshakes use it.
    pub(crate) crate_x25519_in_yardsticks: Option<Summary>,
    /// This run's medians next to criterion's (`--compare-criterion`).
    pub(crate) criterion: Option<Vec<crate::criterion_check::Row>>,
    /// Whether the scheduler statistics were available (Linux), and what they caught.
    pub(crate) sched_stats: bool,
    pub(crate) samples_total: u64,
    pub(crate) retaken: u64,
    pub(crate) corrected: u64,
}

/// What the report needs to know about a measured handshake besides its samples.
pub(crate) struct CaseInfo {
    pub(crate) name: &'static str,
    pub(crate) htype: u16,
    pub(crate) floor: FloorKind,
    pub(crate) throughput: Option<Throughput>,
}

fn find<'a>(ms: &'a [Measurement], id: &str) -> Option<&'a Measurement> {
    ms.iter().find(|m| m.id == id)
}

/// Floor per round, in nanoseconds: `Σ count × round median` of its primitives.
fn floor_rounds(ms: &[Measurement], kind: FloorKind) -> Option<Vec<f64>> {
    let mut total: Option<Vec<f64>> = None;
    for (id, count) in floor::recipe(kind) {
        let r = find(ms, id)?.round_medians();
        let k = f64::from(count);
        total = Some(match total {
            None => r.iter().map(|x| k * x).collect(),
            Some(t) => t.iter().zip(&r).map(|(a, b)| a + k * b).collect(),
        });
    }
    total
}

/// Builds the report from the sampled measurements.
pub(crate) fn build(
    machine: Machine,
    plan: Plan,
    quick: bool,
    throughput_seconds: f64,
    ms: &[Measurement],
    cases: &[CaseInfo],
    scenario: Scenario,
) -> Report {
    let primitives: Vec<PrimitiveResult> = floor::primitives()
        .into_iter()
        .filter_map(|p| {
            let m = find(ms, p.id)?;
            Some(PrimitiveResult {
                primitive: p,
                summary: m.summary_us()?,
                batch: m.batch,
            })
        })
        .collect();
    let prim_median = |id: &str| {
        primitives
            .iter()
            .find(|p| p.primitive.id == id)
            .map(|p| p.summary.median)
    };
    let ntor_respond = find(ms, "ntor/relay_respond");

    let mut handshakes = Vec::new();
    for c in cases {
        let get = |op: &str| find(ms, &format!("{}/{op}", c.name));
        let (Some(create), Some(respond), Some(finish)) = (
            get("client_create"),
            get("relay_respond"),
            get("client_finish"),
        ) else {
            continue;
        };
        let (Some(cs), Some(rs), Some(fs)) = (
            create.summary_us(),
            respond.summary_us(),
            finish.summary_us(),
        ) else {
            continue;
        };
        let floor: Vec<FloorTerm> = floor::recipe(c.floor)
            .into_iter()
            .filter_map(|(id, count)| {
                Some(FloorTerm {
                    primitive: floor::primitives().into_iter().find(|p| p.id == id)?,
                    count,
                    median_us: prim_median(id)?,
                })
            })
            .collect();
        let floor_us = floor.iter().map(|t| f64::from(t.count) * t.median_us).sum();
        let efficiency =
            floor_rounds(ms, c.floor).and_then(|f| ratio_of(&f, &respond.round_medians(), 1.0));
        let yardstick = floor::yardstick(c.floor);
        let in_yardsticks = find(ms, yardstick).and_then(|y| ratio(respond, y));
        let in_cells = |id: &str| find(ms, id).and_then(|c| ratio(respond, c));
        handshakes.push(HandshakeResult {
            name: c.name,
            htype: c.htype,
            create: cs,
            respond: rs,
            finish: fs,
            batches: [create.batch, respond.batch, finish.batch],
            vs_ntor: ntor_respond.and_then(|n| ratio(respond, n)),
            floor,
            floor_us,
            efficiency,
            yardstick,
            in_yardsticks,
            in_relayed_cells: in_cells(cells::RELAY_PASS),
            in_originated_cells: in_cells(cells::RELAY_ORIGINATE),
            throughput: c.throughput,
        });
    }
    // Table order: TAP, ntor, ntor-v3, CREATE_FAST.
    handshakes.sort_by_key(|h| ALL.iter().position(|n| *n == h.name).unwrap_or(ALL.len()));
    let missing = ALL
        .iter()
        .copied()
        .filter(|n| !handshakes.iter().any(|h| h.name == *n))
        .collect();

    let respond_of = |name: &str| find(ms, &format!("{name}/relay_respond"));
    let targets = vec![
        Target {
            id: "ntor_relay_vs_x25519_dalek_varbase",
            what: "ntor relay respond",
            unit: "x25519-dalek varbase",
            limit: 1.5,
            ratio: respond_of("ntor")
                .zip(find(ms, YARD_X25519))
                .and_then(|(a, b)| ratio(a, b)),
        },
        Target {
            id: "ntor_v3_relay_vs_ntor_relay",
            what: "ntor-v3 relay respond",
            unit: "ntor relay respond",
            limit: 1.05,
            ratio: respond_of("ntor-v3")
                .zip(respond_of("ntor"))
                .and_then(|(a, b)| ratio(a, b)),
        },
        Target {
            id: "tap_relay_vs_crypto_bigint_modexp",
            what: "TAP relay respond",
            unit: "crypto-bigint modexp",
            limit: 2.0,
            ratio: respond_of("TAP")
                .zip(find(ms, YARD_MODEXP))
                .and_then(|(a, b)| ratio(a, b)),
        },
    ];

    let model = scenario.model(u32::try_from(machine.logical_cores).unwrap_or(1));
    let cost = |name: &str| {
        handshakes
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.respond.median * 1e-6)
    };
    let costs = Costs {
        tap: cost("TAP"),
        ntor: cost("ntor"),
        ntor_v3: cost("ntor-v3"),
        fast: cost("CREATE_FAST"),
    };
    let cells = cells::OPS
        .iter()
        .filter_map(|op| {
            let m = find(ms, op.id)?;
            Some(CellResult {
                op: *op,
                summary: m.summary_us()?,
                batch: m.batch,
            })
        })
        .collect();
    let samples_total = ms.iter().map(|m| m.samples().len()).sum::<usize>();
    Report {
        criterion: None,
        crate_x25519_in_yardsticks: find(ms, floor::CRATE_X25519_RELAY)
            .zip(find(ms, YARD_X25519))
            .and_then(|(a, b)| ratio(a, b)),
        sched_stats: crate::sampler::SchedStat::now().is_some(),
        samples_total: u64::try_from(samples_total).unwrap_or(u64::MAX),
        retaken: ms.iter().map(|m| m.retaken).sum(),
        corrected: ms.iter().map(|m| m.corrected).sum(),
        machine,
        plan,
        quick,
        throughput_seconds,
        handshakes,
        missing,
        primitives,
        cells,
        targets,
        capacity: Capacity {
            model,
            assumptions: model.assumptions(),
            table: model.table(&costs),
        },
    }
}
