//! `report.json`: every figure of the table, with its unit in its key (`_us`, `_per_s`, ...),
//! plus the floors, efficiencies, yardstick ratios, machine and crate.

use crate::report::{HandshakeResult, Report, Target};
use crate::stats::Summary;
use serde_json::{Value, json};

/// Identifies the layout of this file, for tools that read it (2: the calibrated capacity
/// model replaced the even-spread calculator under `capacity`).
pub(crate) const SCHEMA: &str = "onionskin-relay-cost/2";

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
        "relay_respond_in_relay_cells": {
            "relayed": opt_summary(h.in_relayed_cells.as_ref()),
            "originated": opt_summary(h.in_originated_cells.as_ref()),
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
    let t = &c.table;
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
        "relay_cells": r.cells.iter().map(|c| json!({
            "id": c.op.id.trim_start_matches("cell/"),
            "what": c.op.label,
            "time_us": summary(&c.summary),
            "operations_per_sample": c.batch,
            "cells_per_s": num(c.cells_per_s()),
            "payload_gb_per_s": num(c.gb_per_s()),
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
            "model": "calibrated: Zipf-weighted relays, positions, rendezvous, retries, hardware profile (tools/relay-cost/src/calc.rs)",
            "scenario": c.model.era.key(),
            "assumptions": c.assumptions.iter().map(|a| json!({
                "key": a.key,
                "value": num(a.value),
                "unit": a.unit,
                "source": a.source,
            })).collect::<Vec<_>>(),
            "handshakes_per_client_hour": {
                "guard": t.hops.guard,
                "middle": t.hops.middle,
                "exit": t.hops.exit,
                "ordinary_circuits": t.hops.ordinary_circuits,
                "rendezvous_attempts": t.hops.rendezvous_attempts,
            },
            "handshake_cost_us": t.costs.map(|k| json!({
                "TAP": k.tap.map(|x| x * 1e6),
                "ntor": k.ntor.map(|x| x * 1e6),
                "ntor-v3": k.ntor_v3.map(|x| x * 1e6),
                "CREATE_FAST": k.fast.map(|x| x * 1e6),
            })),
            "handshake_cores": c.model.handshake_cores(),
            "relays": t.rows.iter().map(|row| json!({
                "relay": row.key,
                "label": row.label,
                "rank": row.rank,
                "share_of_handshakes": row.share,
                "handshakes_per_s_at_clients": row.handshakes_per_s,
                "guard_connections_at_clients": row.guard_connections,
                "populations": row.cells.iter().map(|cell| json!({
                    "population": cell.population.key(),
                    "label": cell.population.label(),
                    "computed": cell.saturation_clients.is_some(),
                    "handshake_cores_per_client": cell.cores_per_client,
                    "saturation_clients": cell.saturation_clients.map(num),
                    "load_at_clients": cell.load_at_clients,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        },
    })
}
