//! The text report printed on stdout.

use crate::report::{HandshakeResult, Report};
use crate::stats::Summary;
use core::fmt::Write;

/// Microseconds with precision that suits the size.
pub(crate) fn us(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

/// A count with thousands separators (`5,000,000`).
pub(crate) fn grouped(x: f64) -> String {
    if !x.is_finite() {
        return "∞".to_owned();
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    // rounded, non-negative, finite
    let n = x.max(0.0).round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A large count in words (`47.3 million`).
pub(crate) fn words(x: f64) -> String {
    if !x.is_finite() {
        return "never".to_owned();
    }
    let (v, unit) = if x >= 1e12 {
        (x / 1e12, " trillion")
    } else if x >= 1e9 {
        (x / 1e9, " billion")
    } else if x >= 1e6 {
        (x / 1e6, " million")
    } else if x >= 1e3 {
        (x / 1e3, " thousand")
    } else {
        (x, "")
    };
    if unit.is_empty() {
        format!("{v:.0}")
    } else if v >= 100.0 {
        format!("{v:.0}{unit}")
    } else {
        format!("{v:.1}{unit}")
    }
}

/// Three significant figures for ratios and rates.
pub(crate) fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "∞".to_owned();
    }
    let a = x.abs();
    if a >= 1000.0 {
        grouped(x)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.01 {
        format!("{x:.3}")
    } else {
        format!("{x:.2e}")
    }
}

/// `median [q1–q3]` in microseconds.
fn med_iqr(s: &Summary) -> String {
    format!("{} [{}–{}]", us(s.median), us(s.q1), us(s.q3))
}

fn ratio_cell(s: Option<&Summary>) -> String {
    s.map_or_else(
        || "—".to_owned(),
        |r| format!("{} [{}–{}]", sig3(r.median), sig3(r.p10), sig3(r.p90)),
    )
}

fn name_cell(h: &HandshakeResult) -> String {
    h.name.to_owned()
}

/// Renders the report as text.
pub(crate) fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = write_report(&mut o, r);
    o
}

#[allow(clippy::too_many_lines)] // one straight-line layout, easier to read as one piece
fn write_report(o: &mut String, r: &Report) -> core::fmt::Result {
    let m = &r.machine;
    writeln!(o)?;
    writeln!(
        o,
        "onionskin {} relay cost report, {}{}",
        crate::onionskin_version(),
        m.timestamp,
        if r.quick {
            " (--quick: rough figures)"
        } else {
            ""
        }
    )?;
    writeln!(o, "machine: {}", m.one_line())?;
    if let Some(load) = &m.load_average {
        writeln!(o, "load average at start: {load}")?;
    }
    writeln!(
        o,
        "sampling: {} samples per figure ({} interleaved rounds of {}), ~{} µs per sample; \
         µs are per operation, single thread",
        r.plan.samples(),
        r.plan.rounds,
        r.plan.samples_per_visit,
        r.plan.target_sample.as_micros()
    )?;
    if r.sched_stats {
        writeln!(
            o,
            "scheduler: {} of {} samples were interrupted and retaken, {} kept with the CPU wait subtracted",
            r.retaken, r.samples_total, r.corrected
        )?;
    }

    writeln!(o)?;
    writeln!(
        o,
        "1. Handshakes: median [interquartile range], µs per operation"
    )?;
    writeln!(
        o,
        "{:<13} {:>24} {:>24} {:>24} {:>12} {:>22}",
        "handshake",
        "client create",
        "relay respond",
        "client finish",
        "relay hs/s",
        "relay cost vs ntor"
    )?;
    writeln!(
        o,
        "{:<13} {:>24} {:>24} {:>24} {:>12} {:>22}",
        "", "", "", "", "per core", "median [p10–p90]"
    )?;
    for h in &r.handshakes {
        writeln!(
            o,
            "{:<13} {:>24} {:>24} {:>24} {:>12} {:>22}",
            name_cell(h),
            med_iqr(&h.create),
            med_iqr(&h.respond),
            med_iqr(&h.finish),
            grouped(h.relay_per_s_per_core()),
            ratio_cell(h.vs_ntor.as_ref()),
        )?;
    }
    for name in &r.missing {
        writeln!(
            o,
            "{name:<13} not measured: not in this build of the crate yet"
        )?;
    }
    if r.handshakes.iter().any(|h| h.name.starts_with("hs-ntor")) {
        writeln!(
            o,
            "hs-ntor ×N: an onion service holding N subcredentials. client create = INTRODUCE1's \
             encrypted part, relay respond = the service answering one INTRODUCE2 (RENDEZVOUS1 \
             and keys), client finish = RENDEZVOUS2"
        )?;
    }

    writeln!(o)?;
    writeln!(
        o,
        "2. Floor: the primitives the relay side cannot avoid, timed in the same rounds"
    )?;
    writeln!(
        o,
        "{:<13} {:<52} {:>10} {:>10} {:>22}",
        "handshake", "floor", "floor µs", "relay µs", "efficiency [p10–p90]"
    )?;
    for h in &r.handshakes {
        let recipe = h
            .floor
            .iter()
            .map(|t| format!("{} × {}", t.count, short(t.primitive.id)))
            .collect::<Vec<_>>()
            .join(" + ");
        writeln!(
            o,
            "{:<13} {:<52} {:>10} {:>10} {:>22}",
            name_cell(h),
            recipe,
            us(h.floor_us),
            us(h.respond.median),
            ratio_cell(h.efficiency.as_ref()),
        )?;
    }
    writeln!(
        o,
        "efficiency = floor / relay respond (1.0 = nothing but the unavoidable primitives)"
    )?;
    writeln!(o)?;
    writeln!(
        o,
        "{:<34} {:>24}  implementation",
        "primitive", "µs median [IQR]"
    )?;
    for p in &r.primitives {
        writeln!(
            o,
            "{:<34} {:>24}  {}{}",
            short(p.primitive.id),
            med_iqr(&p.summary),
            p.primitive.backend,
            if p.primitive.yardstick {
                " [yardstick]"
            } else {
                ""
            },
        )?;
    }

    writeln!(o)?;
    writeln!(
        o,
        "3. Yardsticks: relay respond in units measured in the same run"
    )?;
    for h in &r.handshakes {
        writeln!(
            o,
            "{:<13} relay respond = {:>20} × {}",
            name_cell(h),
            ratio_cell(h.in_yardsticks.as_ref()),
            short(h.yardstick)
        )?;
    }
    if !r.cells.is_empty() {
        writeln!(
            o,
            "relay cells, one hop's layer on a 509-byte payload (same rounds; single thread):"
        )?;
        for c in &r.cells {
            writeln!(
                o,
                "  {:<60} {:>24} µs {:>12} cells/s {:>6} GB/s",
                c.op.label,
                med_iqr(&c.summary),
                grouped(c.cells_per_s()),
                sig3(c.gb_per_s()),
            )?;
        }
        for h in &r.handshakes {
            writeln!(
                o,
                "{:<13} relay respond = {:>20} cells relayed = {:>20} cells originated",
                name_cell(h),
                ratio_cell(h.in_relayed_cells.as_ref()),
                ratio_cell(h.in_originated_cells.as_ref()),
            )?;
        }
    }
    writeln!(o, "targets:")?;
    for t in &r.targets {
        let mark = match t.met() {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "not measured",
        };
        writeln!(
            o,
            "  {:<22} ≤ {:>4} × {:<22} measured {:>20}   {}",
            t.what,
            t.limit,
            t.unit,
            ratio_cell(t.ratio.as_ref()),
            mark
        )?;
    }

    if let Some(x) = &r.crate_x25519_in_yardsticks {
        writeln!(
            o,
            "ntor's floor, the relay's X25519 work (y*G, y*X, b*X) with onionskin::x25519 = {} × x25519-dalek varbase",
            ratio_cell(Some(x)),
        )?;
    }
    writeln!(o)?;
    let threads = r
        .handshakes
        .iter()
        .find_map(|h| h.throughput.map(|t| t.threads));
    writeln!(
        o,
        "4. Relay throughput, handshakes per second ({} s per setting, std::thread)",
        sig3(r.throughput_seconds)
    )?;
    match threads {
        None => writeln!(o, "not measured")?,
        Some(n) => {
            writeln!(
                o,
                "{:<13} {:>12} {:>12} {:>12} {:>9} {:>14}",
                "handshake",
                "1 thread",
                format!("{n} threads"),
                "per core",
                "scaling",
                "per CPU-second"
            )?;
            for h in &r.handshakes {
                if let Some(t) = h.throughput {
                    writeln!(
                        o,
                        "{:<13} {:>12} {:>12} {:>12} {:>8}× {:>14}",
                        name_cell(h),
                        grouped(t.one_thread),
                        grouped(t.all_threads),
                        grouped(t.per_core()),
                        sig3(t.scaling()),
                        t.per_cpu_s.map_or_else(|| "—".to_owned(), grouped),
                    )?;
                }
            }
            let shares: Vec<f64> = r
                .handshakes
                .iter()
                .filter_map(|h| h.throughput?.cpu_share)
                .collect();
            if let (Some(lo), Some(hi)) = (
                shares.iter().copied().reduce(f64::min),
                shares.iter().copied().reduce(f64::max),
            ) {
                writeln!(
                    o,
                    "the {n}-thread runs got {:.0}–{:.0} % of their wall time on a CPU; per CPU-second = \
                     handshakes / CPU time the threads got",
                    100.0 * lo,
                    100.0 * hi
                )?;
            }
        }
    }

    writeln!(o)?;
    capacity(o, &r.capacity)?;
    if let Some(rows) = &r.criterion {
        writeln!(o)?;
        writeln!(
            o,
            "6. Criterion cross-check: this run's medians against target/criterion (µs)"
        )?;
        if rows.is_empty() {
            writeln!(
                o,
                "no criterion results found: run `cargo bench --bench handshakes` first"
            )?;
        } else {
            writeln!(
                o,
                "{:<36} {:>10} {:>10} {:>7}  criterion benchmark",
                "figure", "this run", "criterion", "ratio"
            )?;
        }
        for row in rows {
            writeln!(
                o,
                "{:<36} {:>10} {:>10} {:>7}  {}",
                row.figure,
                us(row.ours_us),
                us(row.criterion_us),
                format!("{:.3}", row.ratio()),
                row.criterion
            )?;
        }
    }
    Ok(())
}

/// Short names for primitives in the table.
pub(crate) fn short(id: &str) -> &str {
    match id {
        "prim/x25519_dalek_varbase" => "x25519-dalek varbase",
        "prim/onionskin_x25519_base" => "onionskin X25519 base",
        "prim/crypto_bigint_modexp_1024_320" => "crypto-bigint modexp",
        "prim/onionskin_x25519_base_and_pair" => "onionskin X25519 relay",
        "prim/onionskin_x25519_varbase" => "onionskin X25519 varbase",
        "prim/tap_rsa1024_crt_private" => "RSA-1024 CRT",
        "prim/tap_dh1024_keygen" => "DH-1024 g^y",
        "prim/tap_dh1024_shared" => "DH-1024 X^y",
        "prim/sha1_compress_block" => "SHA-1 block",
        other => other.strip_prefix("prim/").unwrap_or(other),
    }
}

/// Section 5: the calibrated capacity table and every assumption behind it.
fn capacity(o: &mut String, c: &crate::report::Capacity) -> core::fmt::Result {
    let m = &c.model;
    let t = &c.table;
    writeln!(
        o,
        "5. Capacity ({} scenario): when is a relay full? {} relays, the top 1 % carrying {:.0} % of all handshakes",
        m.era.key(),
        grouped(m.relays),
        100.0 * m.top1_share
    )?;
    let h = &t.hops;
    writeln!(
        o,
        "   per client-hour: {} ordinary circuits + {} rendezvous attempts = {} handshakes ({} guard, {} middle, {} exit)",
        sig3(h.ordinary_circuits),
        sig3(h.rendezvous_attempts),
        sig3(h.guard + h.middle + h.exit),
        sig3(h.guard),
        sig3(h.middle),
        sig3(h.exit)
    )?;
    match t.costs {
        Some(k) => {
            let us = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |v| sig3(v * 1e6));
            writeln!(
                o,
                "   relay: {} cores, {} % of them for handshakes; costs µs: TAP {}, ntor {}, ntor-v3 {}, CREATE_FAST {}{}",
                m.cores,
                sig3(100.0 * m.handshake_cpu_share),
                us(k.tap),
                us(k.ntor),
                us(k.ntor_v3),
                us(k.fast),
                if m.fast_first_hop {
                    " (first hop CREATE_FAST)"
                } else {
                    ""
                }
            )?;
        }
        None => writeln!(o, "   costs unavailable: TAP was not measured")?,
    }
    write!(
        o,
        "{:<16} {:>6} {:>9} {:>12} {:>12}",
        "relay", "rank", "share", "hs/s", "guard conns"
    )?;
    for p in m.populations() {
        write!(o, " {:>18}", p.label())?;
    }
    writeln!(o)?;
    write!(
        o,
        "{:<16} {:>6} {:>9} {:>12} {:>12}",
        "",
        "",
        "",
        format!("@{}", words(m.clients)),
        format!("@{}", words(m.clients))
    )?;
    for p in m.populations() {
        let what = match p {
            crate::calc::Population::MixedNtorFirst(_) => "ntor users hit at",
            _ => "full at (clients)",
        };
        write!(o, " {what:>18}")?;
    }
    writeln!(o)?;
    for row in &t.rows {
        write!(
            o,
            "{:<16} {:>6} {:>8}% {:>12} {:>12}",
            row.label,
            grouped(row.rank),
            sig3(100.0 * row.share),
            grouped(row.handshakes_per_s),
            grouped(row.guard_connections)
        )?;
        for cell in &row.cells {
            let v = cell
                .saturation_clients
                .map_or_else(|| "not measured".to_owned(), words);
            write!(o, " {v:>18}")?;
        }
        writeln!(o)?;
    }
    writeln!(
        o,
        "(\"mixed, ntor first\": the mix at a relay serving {} ntor per TAP; the client count at which its ntor users start losing requests)",
        crate::calc::NTORS_PER_TAP
    )?;
    writeln!(o, "assumptions (value, unit: source):")?;
    for a in &c.assumptions {
        writeln!(
            o,
            "  {:<27} {:>10}  {}: {}",
            a.key,
            sig3(a.value),
            a.unit,
            a.source
        )?;
    }
    writeln!(
        o,
        "(model: tools/relay-cost/src/calc.rs; --scenario 2013|today and the options in --help change it)"
    )?;
    onion_service(o, &c.onion_service)
}

/// The capacity section's last part: an onion service under a rendezvous flood.
fn onion_service(o: &mut String, loads: &[crate::report::OnionServiceLoad]) -> core::fmt::Result {
    let Some(cores) = loads.first().map(|l| l.cores) else {
        return Ok(());
    };
    writeln!(
        o,
        "   an onion service under a rendezvous flood: INTRODUCE2 handshakes it can answer"
    )?;
    writeln!(
        o,
        "{:<20} {:>18} {:>18} {:>22}",
        "service",
        "µs per INTRODUCE2",
        "per s, one core",
        format!("per s, {cores} cores")
    )?;
    for l in loads {
        writeln!(
            o,
            "{:<20} {:>18} {:>18} {:>22}",
            l.name,
            us(l.respond_us),
            grouped(l.per_core_per_s),
            grouped(l.all_cores_per_s)
        )?;
    }
    writeln!(
        o,
        "   (hs-ntor alone: each rendezvous also costs the service a circuit to the rendezvous \
         point, three ntor-v3 client handshakes; C tor's service handles INTRODUCE2 on one thread)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(grouped(5_000_000.0), "5,000,000");
        assert_eq!(grouped(999.4), "999");
        assert_eq!(grouped(1000.0), "1,000");
        assert_eq!(words(47_300_000.0), "47.3 million");
        assert_eq!(words(2.5e9), "2.5 billion");
        assert_eq!(words(f64::INFINITY), "never");
        assert_eq!(us(212.34), "212");
        assert_eq!(us(31.26), "31.3");
        assert_eq!(us(1.234), "1.23");
        assert_eq!(sig3(0.0123), "0.012");
        assert_eq!(sig3(2.346), "2.35");
    }
}
