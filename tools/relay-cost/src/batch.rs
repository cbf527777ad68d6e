//! Section 7 of the report: the ntor and ntor-v3 relays answering onion skins in batches
//! (`relay_respond_batch`), per handshake on one core, against answering them one at a time
//! and against the x25519-dalek yardstick, with the targets marked met or NOT MET.
//!
//! Every figure comes from the same interleaved rounds: each round times the yardstick, a
//! clock probe, the single-shot relays and every batch size once, so background load hits
//! them alike; the table shows medians over rounds.
//!
//! Cycles: µs times a clock measured in the same rounds by a chain of dependent 64-bit
//! multiplications (`imul r64, r64`: 3 cycles of latency on every Intel core since Sandy
//! Bridge and every AMD Zen), timed like everything else. That is the clock the core ran at,
//! turbo included, not the TSC's nominal rate.

// Indices are batch sizes and table columns, bounded by the fixed arrays they index.
#![allow(clippy::indexing_slicing)]

use crate::Error;
use crate::fixtures;
use core::fmt::Write as _;
use core::hint::black_box;
use onionskin::handshake::{ntor, ntor_v3};
use onionskin::x25519::Backend;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::time::Instant;

/// Batch sizes in the table.
pub(crate) const SIZES: [usize; 5] = [1, 2, 4, 8, 16];

/// lib25519's cycle counts on AMD Zen 4 (its AVX-512 IFMA code, as published in its
/// benchmarks): one Diffie-Hellman, one key generation, and per secret in batches of 16.
const LIB25519_ZEN4_DH: f64 = 53_600.0;
const LIB25519_ZEN4_KEYGEN: f64 = 22_700.0;
const LIB25519_ZEN4_BATCH16: f64 = 22_400.0;

/// Per-handshake medians of one handshake type.
pub(crate) struct Row {
    pub(crate) name: &'static str,
    /// Single-shot `relay_respond`, µs.
    pub(crate) single: f64,
    /// `relay_respond_batch` per handshake, µs, for each of [`SIZES`].
    pub(crate) batch: [f64; 5],
}

/// The section's figures.
pub(crate) struct Batches {
    pub(crate) rounds: usize,
    pub(crate) backend: Backend,
    /// One x25519-dalek variable-base multiplication, µs (median).
    pub(crate) yardstick: f64,
    /// Core clock, Hz (median).
    pub(crate) clock_hz: f64,
    pub(crate) rows: [Row; 2],
}

/// Times `f` (which handles `per_call` handshakes) in calls repeated to about a millisecond;
/// µs per handshake.
fn time_per(per_call: usize, reps: usize, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / (reps * per_call) as f64
}

/// Hz from a chain of `n` dependent multiplications (3 cycles each).
fn clock_probe(n: u64) -> f64 {
    let mut x = black_box(0x0123_4567_89ab_cdefu64);
    let k = 0x9e37_79b9_7f4a_7c15u64;
    let start = Instant::now();
    for _ in 0..n {
        // `black_box` on the multiplier each time: otherwise the compiler folds k * k * ...
        // into fewer multiplications. The load it costs is off the chain's critical path.
        x = x.wrapping_mul(black_box(k));
    }
    let s = start.elapsed().as_secs_f64();
    black_box(x);
    3.0 * n as f64 / s
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs the interleaved rounds.
pub(crate) fn measure(rounds: usize) -> Result<Batches, Error> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x6261_7463_6865_7321);
    let (ntor_pub, ntor_keys) = fixtures::ntor(&mut rng)?;
    let (v3_pub, v3_keys) = fixtures::ntor_v3(&mut rng)?;
    let max = SIZES[SIZES.len() - 1];
    let ntor_skins: Vec<[u8; ntor::ONION_SKIN_LEN]> = (0..max)
        .map(|_| ntor::ClientState::start(&mut rng, &ntor_pub).1)
        .collect();
    let ntor_refs: Vec<&[u8]> = ntor_skins.iter().map(|s| &s[..]).collect();
    let v3_skins = (0..max)
        .map(|_| {
            ntor_v3::ClientState::start(&mut rng, &v3_pub, fixtures::NTOR_V3_CLIENT_MESSAGE)
                .map(|(_, s)| s)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::from(format!("ntor-v3 client start: {e:?}")))?;
    let v3_refs: Vec<&[u8]> = v3_skins.iter().map(ntor_v3::OnionSkin::as_bytes).collect();
    let answer = |_: usize,
                  _: &onionskin::codec::extension::ExtensionList<'_>,
                  w: &mut onionskin::codec::extension::ExtensionWriter<'_>|
     -> Result<(), onionskin::HandshakeError> {
        for f in fixtures::NTOR_V3_RELAY_MESSAGE {
            w.push(f)?;
        }
        Ok(())
    };
    let x = onionskin::x25519::x25519_base(&[0x33; 32]);

    // About a millisecond per timed sample at this machine's speed: 16 handshakes of ~50 µs.
    let reps = |per_call: usize| (32 / per_call).max(1);
    let mut yard = Vec::new();
    let mut clock = Vec::new();
    let mut single = [Vec::new(), Vec::new()];
    let mut batch: [[Vec<f64>; 5]; 2] = Default::default();
    for _ in 0..rounds {
        yard.push(time_per(1, 32, || {
            black_box(x25519_dalek::x25519(black_box([0x11; 32]), black_box(x)));
        }));
        clock.push(clock_probe(1 << 20));
        single[0].push(time_per(1, 32, || {
            black_box(ntor::relay_respond(&mut rng, &ntor_keys, ntor_refs[0]).is_ok());
        }));
        single[1].push(time_per(1, 32, || {
            black_box(
                ntor_v3::relay_respond(&mut rng, &v3_keys, v3_refs[0], |l, w| answer(0, l, w))
                    .is_ok(),
            );
        }));
        for (k, &n) in SIZES.iter().enumerate() {
            batch[0][k].push(time_per(n, reps(n), || {
                ntor::relay_respond_batch(&mut rng, &ntor_keys, &ntor_refs[..n], |_, r| {
                    black_box(r.is_ok());
                });
            }));
            batch[1][k].push(time_per(n, reps(n), || {
                ntor_v3::relay_respond_batch(&mut rng, &v3_keys, &v3_refs[..n], answer, |_, r| {
                    black_box(r.is_ok());
                });
            }));
        }
    }
    let row = |name, single: &mut Vec<f64>, batch: &mut [Vec<f64>; 5]| Row {
        name,
        single: median(single),
        batch: core::array::from_fn(|k| median(&mut batch[k])),
    };
    let [s0, s1] = &mut single;
    let [b0, b1] = &mut batch;
    Ok(Batches {
        rounds,
        backend: Backend::detect(),
        yardstick: median(&mut yard),
        clock_hz: median(&mut clock),
        rows: [row("ntor", s0, b0), row("ntor-v3", s1, b1)],
    })
}

/// `met` / `NOT MET`.
fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT MET" }
}

/// The section as text.
pub(crate) fn render(b: &Batches) -> Result<String, core::fmt::Error> {
    let mut o = String::new();
    let v = b.yardstick;
    let kc = |us: f64| us * b.clock_hz / 1e9; // thousands of cycles
    writeln!(
        o,
        "7. Batched relay respond: one core, per handshake, median of {} interleaved rounds",
        b.rounds
    )?;
    writeln!(
        o,
        "   X25519 backend: {:?}; yardstick V = one x25519-dalek varbase = {v:.2} µs = {:.0}k cycles",
        b.backend,
        kc(v)
    )?;
    writeln!(
        o,
        "   clock {:.2} GHz, measured in the same rounds (dependent imul chain, 3 cycles each)",
        b.clock_hz / 1e9
    )?;
    write!(o, "   {:8} {:>22}", "", "single-shot")?;
    for n in SIZES {
        write!(o, " {:>22}", format!("batch of {n}"))?;
    }
    writeln!(o)?;
    for r in &b.rows {
        write!(
            o,
            "   {:8} {:>22}",
            r.name,
            format!(
                "{:.1} µs {:.3} V {:.0}kc",
                r.single,
                r.single / v,
                kc(r.single)
            )
        )?;
        for t in r.batch {
            write!(
                o,
                " {:>22}",
                format!("{t:.1} µs {:.3} V {:.0}kc", t / v, kc(t))
            )?;
        }
        writeln!(o)?;
    }
    let [ntor, v3] = &b.rows;
    write!(
        o,
        "   {:8} {:>22}",
        "v3/ntor",
        format!("{:.3}", v3.single / ntor.single)
    )?;
    for (a, c) in v3.batch.iter().zip(&ntor.batch) {
        write!(o, " {:>22}", format!("{:.3}", a / c))?;
    }
    writeln!(o)?;
    writeln!(
        o,
        "   reference, lib25519 on AMD Zen 4 (AVX-512 IFMA): {:.1}k cycles per DH, {:.1}k per key generation, \
         {:.1}k per DH in batches of 16;",
        LIB25519_ZEN4_DH / 1e3,
        LIB25519_ZEN4_KEYGEN / 1e3,
        LIB25519_ZEN4_BATCH16 / 1e3
    )?;
    writeln!(
        o,
        "   so a relay handshake's X25519 (one key generation, two DH) takes at least {:.0}k cycles \
         one at a time, {:.0}k in batches (cycles compare within one microarchitecture)",
        (LIB25519_ZEN4_KEYGEN + 2.0 * LIB25519_ZEN4_DH) / 1e3,
        3.0 * LIB25519_ZEN4_BATCH16 / 1e3
    )?;
    // The best batch of 4 or more (a relay under load has that many skins queued).
    let best = |r: &Row| {
        r.batch
            .iter()
            .skip(2)
            .copied()
            .fold(f64::INFINITY, f64::min)
    };
    let within = ntor
        .batch
        .iter()
        .zip(&v3.batch)
        .chain([(&ntor.single, &v3.single)])
        .all(|(a, c)| c / a <= 1.05);
    writeln!(o, "   targets:")?;
    match b.backend {
        Backend::Ifma => {
            let (bt, st) = (best(ntor) / v, ntor.single / v);
            writeln!(
                o,
                "     ntor in batches ≤ 0.40 V (AVX-512 IFMA; best of 4, 8, 16): {bt:.3} V  {}",
                verdict(bt <= 0.40)
            )?;
            writeln!(
                o,
                "     ntor single-shot ≤ 0.70 V (AVX-512 IFMA): {st:.3} V  {}",
                verdict(st <= 0.70)
            )?;
        }
        Backend::Avx2 => {
            let bt = best(ntor) / v;
            writeln!(
                o,
                "     ntor in batches ≤ 0.65 V (AVX2, no IFMA; best of 4, 8, 16): {bt:.3} V  {}",
                verdict(bt <= 0.65)
            )?;
            writeln!(
                o,
                "     ntor single-shot no worse than before (AVX2): the same code path (two ladders in AVX2 lanes)"
            )?;
        }
        _ => writeln!(
            o,
            "     (no vector backend on this CPU: no batch target applies)"
        )?,
    }
    writeln!(
        o,
        "     ntor-v3 within 5 % of ntor at every batch size: {}",
        verdict(within)
    )?;
    Ok(o)
}
