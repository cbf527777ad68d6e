//! `report.json`: every figure of the table, with its unit in its key (`_us`, `_per_s`, ...),
//! plus the floors, efficiencies, yardstick ratios, machine and crate.

use crate::batch::{self, Batches};
use crate::report::{HandshakeResult, Report, Target};
use crate::stats::Summary;
use serde_json::{Value, json};

/// Identifies the layout of this file, for tools that read it (2: the calibrated capacity
/// model replaced the even-spread calculator under `capacity`; 3: section 7's figures under
/// `batched_relay_respond`).
pub(crate) const SCHEMA: &str = "onionskin-relay-cost/3";

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

/// One figure of section 7: µs, in yardstick units, and in cycles at the measured clock.
fn per_handshake(b: &Batches, us: f64) -> Value {
    json!({
        "us": num(us),
        "in_yardsticks": num(us / b.yardstick),
        "cycles": num(b.kilocycles(us) * 1e3),
    })
}

/// Section 7: the batched relays and onion service, with the targets judged.
pub(crate) fn batches(b: &Batches) -> Value {
    json!({
        "rounds": b.rounds,
        "x25519_backend": format!("{:?}", b.backend),
        "cpu_features_used": b.features_used.iter().map(|(what, f)| json!({
            "part": what,
            "features": f,
        })).collect::<Vec<_>>(),
        "yardstick": {
            "what": "one x25519-dalek variable-base multiplication",
            "us": num(b.yardstick),
            "cycles": num(b.kilocycles(b.yardstick) * 1e3),
        },
        "clock": {
            "hz": num(b.clock_hz),
            "method": "a chain of dependent 64-bit multiplications (imul r64, r64: 3 cycles each), timed in the same rounds",
        },
        "batch_sizes": batch::SIZES,
        "rows": b.rows.iter().map(|r| json!({
            "name": r.name,
            "what": r.what,
            "x25519_backend": format!("{:?}", r.backend),
            "single_shot": per_handshake(b, r.single),
            "batches": batch::SIZES.iter().zip(&r.batch).map(|(n, &us)| {
                let mut v = per_handshake(b, us);
                if let Some(o) = v.as_object_mut() {
                    o.insert("size".to_owned(), json!(n));
                }
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "lib25519_reference": {
            "cpu": "AMD Zen 4 (AVX-512 IFMA)",
            "dh_cycles": batch::LIB25519_ZEN4_DH,
            "keygen_cycles": batch::LIB25519_ZEN4_KEYGEN,
            "per_dh_in_batches_of_16_cycles": batch::LIB25519_ZEN4_BATCH16,
            "relay_handshake_x25519_single_cycles": batch::lib25519_single(),
            "relay_handshake_x25519_batched_cycles": batch::lib25519_batched(),
            "note": "cycles compare within one microarchitecture; µs do not",
        },
        "targets": batch::targets(b).iter().map(|t| json!({
            "id": t.id,
            "what": t.what,
            "value": t.value.map(num),
            "limit": t.limit,
            "unit": t.unit,
            "met": t.met,
            "verdict": batch::verdict(t.met),
        })).collect::<Vec<_>>(),
    })
}

/// The JSON document; `batches` is section 7, if it ran.
pub(crate) fn to_value(r: &Report, batches_run: Option<&Batches>) -> Value {
    let m = &r.machine;
    let c = &r.capacity;
    let t = &c.table;
    json!({
        "schema": SCHEMA,
        "crate": { "name": "onionskin", "version": crate::onionskin_version() },
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
        "batched_relay_respond": batches_run.map(batches),
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
            "onion_service_rendezvous_flood": c.onion_service.iter().map(|o| json!({
                "handshake": o.name,
                "service_introduce2_us": o.respond_us,
                "introduce2_per_s_per_core": num(o.per_core_per_s),
                "introduce2_per_s_all_cores": num(o.all_cores_per_s),
                "cores": o.cores,
            })).collect::<Vec<_>>(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use onionskin::x25519::Backend;

    #[test]
    fn section_7_in_json() {
        let b = batch::tests::sample(Backend::Ifma, true);
        let v = batches(&b);
        assert_eq!(v["x25519_backend"], "Ifma");
        assert_eq!(v["rows"].as_array().map(Vec::len), Some(4));
        let ntor = &v["rows"][0];
        assert_eq!(ntor["name"], "ntor");
        // 30 µs, 0.75 V, 90 000 cycles at 3 GHz.
        assert_eq!(ntor["single_shot"]["us"], 30.0);
        assert_eq!(ntor["single_shot"]["in_yardsticks"], 0.75);
        assert_eq!(ntor["single_shot"]["cycles"], 90_000.0);
        let batches = ntor["batches"].as_array().expect("an array");
        assert_eq!(batches.len(), batch::SIZES.len());
        assert_eq!(batches[3]["size"], 8);
        assert_eq!(batches[3]["us"], 15.0);
        assert_eq!(v["rows"][3]["name"], batch::NTOR_AVX2);
        assert_eq!(v["rows"][3]["x25519_backend"], "Avx2");
        assert_eq!(v["yardstick"]["us"], 40.0);
        assert_eq!(v["clock"]["hz"], 3e9);
        assert_eq!(
            v["lib25519_reference"]["per_dh_in_batches_of_16_cycles"],
            22_400.0
        );
        let targets = v["targets"].as_array().expect("an array");
        let find = |id: &str| targets.iter().find(|t| t["id"] == id).expect(id);
        assert_eq!(find("ifma_batch")["met"], true);
        assert_eq!(find("ifma_single")["met"], false);
        assert_eq!(find("ifma_single")["verdict"], "NOT MET");
        assert_eq!(find("avx2_batch")["met"], false);
        assert_eq!(find("avx2_single")["met"], Value::Null);
        assert_eq!(find("avx2_single")["verdict"], "not judged");
        assert_eq!(v["cpu_features_used"][0]["part"], "X25519 ladders");
    }

    #[test]
    fn unmeasured_figures_are_null() {
        let mut b = batch::tests::sample(Backend::Avx2, false);
        b.rows[0].single = f64::NAN;
        let v = batches(&b);
        assert_eq!(v["rows"][0]["single_shot"]["us"], Value::Null);
        assert_eq!(v["rows"][0]["single_shot"]["cycles"], Value::Null);
        assert!(serde_json::to_string(&v).is_ok());
    }
}
