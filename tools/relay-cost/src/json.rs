//! `report.json`: every figure of the table, with its unit in its key (`_us`, `_per_s`, ...),
//! plus the floors, efficiencies, yardstick ratios, machine and crate.

use crate::report::{HandshakeResult, Report, Target};
use crate::stats::Summary;
use serde_json::{Value, json};

/// Identifies the layout of this file, for tools that read it.
pub(crate) const SCHEMA: &str = "onionskin-relay-cost/1";

fn summary(s: &Summary) -> Value {
    json!({
        "median": s.median,
        "q1": s.q1,
        "q3": s.q3,
        "p10": s.p10,
        "p90": s.p90,
        "min": s.min,
        "max": s.max,
        "mean": s.mean,
        "samples": s.n,
    })
}

fn opt_summary(s: Option<&Summary>) -> Value {
    s.map_or(Value::Null, summary)
}

/// A non-finite float is not JSON; it becomes `null`.
fn num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn handshake(h: &HandshakeResult) -> Value {
    json!({
        "name": h.name,
        "htype": h.htype,
        "client_create_us": summary(&h.create),
        "relay_respond_us": summary(&h.respond),
        "client_finish_us": summary(&h.finish),
        "operations_per_sample": {
            "client_create": h.batches[0],
            "relay_respond": h.batches[1],
            "client_finish": h.batches[2],
        },
        "relay_handshakes_per_s_per_core": num(h.relay_per_s_per_core()),
        "relay_cost_vs_ntor": opt_summary(h.vs_ntor.as_ref()),
        "floor": {
            "terms": h.floor.iter().map(|t| json!({
                "primitive": t.primitive.id.trim_start_matches("prim/"),
                "count": t.count,
                "median_us": t.median_us,
                "yardstick": t.primitive.yardstick,
            })).collect::<Vec<_>>(),
            "total_us": h.floor_us,
        },
        "efficiency": opt_summary(h.efficiency.as_ref()),
        "yardstick": {
            "unit": h.yardstick.trim_start_matches("prim/"),
            "relay_respond_in_units": opt_summary(h.in_yardsticks.as_ref()),
        },
        "throughput": h.throughput.map_or(Value::Null, |t| json!({
            "one_thread_per_s": num(t.one_thread),
            "all_threads_per_s": num(t.all_threads),
            "threads": t.threads,
            "per_core_per_s": num(t.per_core()),
            "scaling": num(t.scaling()),
            "per_cpu_second": t.per_cpu_s.map(num),
            "cpu_share_of_wall_time": t.cpu_share.map(num),
        })),
    })
}

fn target(t: &Target) -> Value {
    json!({
        "id": t.id,
        "what": t.what,
        "unit": t.unit,
        "limit": t.limit,
        "ratio": opt_summary(t.ratio.as_ref()),
        "met": t.met(),
    })
}

/// The JSON document.
pub(crate) fn to_value(r: &Report) -> Value {
    let m = &r.machine;
    let c = &r.capacity;
    let s = &c.scenario;
    json!({
        "schema": SCHEMA,
        "crate": { "name": env!("CARGO_PKG_NAME"), "version": env!("CARGO_PKG_VERSION") },
        "timestamp": m.timestamp,
        "unix_time": m.unix_time,
        "machine": {
            "cpu_model": m.cpu_model,
            "logical_cores": m.logical_cores,
            "os": m.os,
            "kernel": m.kernel,
            "arch": m.arch,
            "rustc": m.rustc,
            "cpu_features": m.cpu_features,
            "git_commit": m.git_commit,
            "load_average_at_start": m.load_average,
        },
        "units": {
            "_us": "microseconds per operation, single thread",
            "_per_s": "operations per second",
            "summaries": "median, quartiles q1/q3, percentiles p10/p90, min, max, mean over samples; \
                          ratios are taken within each sampling round, then summarised over rounds",
            "cpu_s_per_s": "CPU-seconds per second (number of cores kept busy)",
        },
        "sampling": {
            "quick": r.quick,
            "rounds": r.plan.rounds,
            "samples_per_visit": r.plan.samples_per_visit,
            "samples_per_figure": r.plan.samples(),
            "target_sample_us": u64::try_from(r.plan.target_sample.as_micros()).unwrap_or(u64::MAX),
            "warmup_ms": u64::try_from(r.plan.warmup.as_millis()).unwrap_or(u64::MAX),
            "throughput_seconds_per_setting": r.throughput_seconds,
            "scheduler_stats": r.sched_stats,
            "samples_total": r.samples_total,
            "samples_retaken_after_preemption": r.retaken,
            "samples_corrected_for_cpu_wait": r.corrected,
        },
        "handshakes": r.handshakes.iter().map(handshake).collect::<Vec<_>>(),
        "not_measured": r.missing,
        "primitives": r.primitives.iter().map(|p| json!({
            "id": p.primitive.id.trim_start_matches("prim/"),
            "what": p.primitive.label,
            "backend": p.primitive.backend,
            "yardstick": p.primitive.yardstick,
            "time_us": summary(&p.summary),
            "operations_per_sample": p.batch,
        })).collect::<Vec<_>>(),
        "yardsticks_us": {
            "x25519_dalek_varbase": r.primitives.iter()
                .find(|p| p.primitive.id == crate::floor::YARD_X25519)
                .map(|p| p.summary.median),
            "crypto_bigint_modexp_1024_320": r.primitives.iter()
                .find(|p| p.primitive.id == crate::floor::YARD_MODEXP)
                .map(|p| p.summary.median),
        },
        "targets": r.targets.iter().map(target).collect::<Vec<_>>(),
        "criterion_check": r.criterion.as_ref().map(|rows| rows.iter().map(|row| json!({
            "figure": row.figure,
            "criterion": row.criterion,
            "ours_median_us": row.ours_us,
            "criterion_median_us": row.criterion_us,
            "ratio": row.ratio(),
        })).collect::<Vec<_>>()),
        "ntor_floor_in_x25519_dalek_varbase_units": opt_summary(r.crate_x25519_in_yardsticks.as_ref()),
        "capacity": {
            "inputs": {
                "clients": s.clients,
                "circuits_per_client_hour": s.circuits_per_client_hour,
                "tap_share": s.tap_share,
                "relays": s.relays,
                "hops": s.hops,
                "fast_first_hop": s.fast_first_hop,
                "cores": c.cores,
            },
            "network_circuits_per_s": c.rates.network_circuits_per_s,
            "create_fast_per_relay_per_s": c.rates.fast_per_relay_s,
            "onion_skins_per_relay_per_s": c.rates.onion_skins_per_relay_s,
            "populations": c.loads.iter().map(|(p, l)| json!({
                "population": p.key(),
                "label": p.label(),
                "computed": l.is_some(),
                "cpu_s_per_s_per_relay": l.map(|l| l.cpu_s_per_s),
                "fraction_of_relay_cores": l.map(|l| l.fraction_of_relay),
                "mean_relay_handshake_us": l.map(|l| l.mean_handshake_s * 1e6),
                "relay_capacity_handshakes_per_s": l.map(|l| num(l.relay_capacity_hs_per_s)),
                "saturation_clients": l.map(|l| num(l.saturation_clients)),
            })).collect::<Vec<_>>(),
        },
    })
}
