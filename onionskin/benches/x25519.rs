//! X25519 for the relay side of ntor and ntor-v3: this crate's paired ladders and
//! fixed-base table against x25519-dalek, all in one run so that the ratios do not depend on
//! the machine. Run with `cargo bench --bench x25519`.
//!
//! The ratio that matters is "relay respond core" (one `x25519_pair` plus one `x25519_base`,
//! what an ntor relay computes) over "dalek varbase" (one `x25519_dalek::x25519`). The
//! `fixed-base options` group measures curve25519-dalek's run-time tables of other radixes,
//! which this crate does not use (a bigger table costs more in its constant-time scan than it
//! saves in additions). Before the criterion groups, a min-of-rounds "ratio report" prints each
//! relay-side cost in units of the dalek yardstick.

// criterion's macros generate undocumented items.
#![allow(missing_docs)]

use core::hint::black_box;
use core::time::Duration;

use criterion::{Criterion, criterion_group};
use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{
    EdwardsBasepointTableRadix32, EdwardsBasepointTableRadix64, EdwardsBasepointTableRadix128,
    EdwardsBasepointTableRadix256, EdwardsPoint,
};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::BasepointTable;
use onionskin::x25519;
use x25519_dalek::{PublicKey, StaticSecret};

const Y: [u8; 32] = [0x11; 32];
const B: [u8; 32] = [0x22; 32];

fn relay(c: &mut Criterion) {
    let x = x25519::x25519_base(&[0x33; 32]);
    let mut g = c.benchmark_group("x25519");
    g.bench_function("dalek varbase", |bn| {
        bn.iter(|| x25519_dalek::x25519(black_box(Y), black_box(x)));
    });
    g.bench_function("dalek fixed-base", |bn| {
        let s = StaticSecret::from(Y);
        bn.iter(|| PublicKey::from(black_box(&s)));
    });
    g.bench_function("pair", |bn| {
        bn.iter(|| x25519::x25519_pair(black_box(&Y), black_box(&B), black_box(&x)));
    });
    g.bench_function("base", |bn| {
        bn.iter(|| x25519::x25519_base(black_box(&Y)));
    });
    g.bench_function("relay respond core", |bn| {
        bn.iter(|| {
            (
                x25519::x25519_pair(black_box(&Y), black_box(&B), black_box(&x)),
                x25519::x25519_base(black_box(&Y)),
            )
        });
    });
    g.bench_function("base_and_pair", |bn| {
        bn.iter(|| x25519::x25519_base_and_pair(black_box(&Y), black_box(&B), black_box(&x)));
    });
    g.bench_function("dalek client finish (2 varbase)", |bn| {
        bn.iter(|| {
            (
                x25519_dalek::x25519(black_box(Y), black_box(x)),
                x25519_dalek::x25519(black_box(Y), black_box(B)),
            )
        });
    });
    g.bench_function("two_bases (client finish)", |bn| {
        bn.iter(|| x25519::x25519_two_bases(black_box(&Y), black_box(&x), black_box(&B)));
    });
    g.bench_function("single", |bn| {
        bn.iter(|| x25519::x25519(black_box(&Y), black_box(&x)));
    });
    g.bench_function("portable pair", |bn| {
        bn.iter(|| x25519::portable::x25519_pair(black_box(&Y), black_box(&B), black_box(&x)));
    });
    g.bench_function("portable base_and_pair", |bn| {
        bn.iter(|| {
            x25519::portable::x25519_base_and_pair(black_box(&Y), black_box(&B), black_box(&x))
        });
    });
    g.finish();
}

fn fixed_base_options(c: &mut Criterion) {
    let k = Scalar::from_bytes_mod_order(Y);
    let p = ED25519_BASEPOINT_POINT;
    let mut g = c.benchmark_group("fixed-base options");
    g.bench_function("dalek radix-16 static table", |bn| {
        bn.iter(|| EdwardsPoint::mul_base(black_box(&k)).to_montgomery());
    });
    let t32 = EdwardsBasepointTableRadix32::create(&p);
    g.bench_function("dalek radix-32", |bn| {
        bn.iter(|| (black_box(&t32) * black_box(&k)).to_montgomery());
    });
    let t64 = EdwardsBasepointTableRadix64::create(&p);
    g.bench_function("dalek radix-64", |bn| {
        bn.iter(|| (black_box(&t64) * black_box(&k)).to_montgomery());
    });
    let t128 = EdwardsBasepointTableRadix128::create(&p);
    g.bench_function("dalek radix-128", |bn| {
        bn.iter(|| (black_box(&t128) * black_box(&k)).to_montgomery());
    });
    let t256 = EdwardsBasepointTableRadix256::create(&p);
    g.bench_function("dalek radix-256", |bn| {
        bn.iter(|| (black_box(&t256) * black_box(&k)).to_montgomery());
    });
    g.bench_function("onionskin x25519_base", |bn| {
        bn.iter(|| x25519::x25519_base(black_box(&Y)));
    });
    g.finish();
}

/// Min-of-rounds timing of each relay-side operation, interleaved round by round so that
/// background load hits them alike, printed as multiples of one x25519-dalek variable-base
/// multiplication. On a shared machine the minimum is far steadier than criterion's medians.
fn ratio_report() {
    use std::time::Instant;
    let x = x25519::x25519_base(&[0x33; 32]);
    let ops: [(&str, &dyn Fn()); 7] = [
        ("dalek varbase (V)", &|| {
            black_box(x25519_dalek::x25519(black_box(Y), black_box(x)));
        }),
        ("pair", &|| {
            black_box(x25519::x25519_pair(&Y, &B, black_box(&x)));
        }),
        ("base", &|| {
            black_box(x25519::x25519_base(black_box(&Y)));
        }),
        ("relay respond core = pair + base", &|| {
            black_box(x25519::x25519_pair(&Y, &B, black_box(&x)));
            black_box(x25519::x25519_base(black_box(&Y)));
        }),
        ("base_and_pair (one shared inversion)", &|| {
            black_box(x25519::x25519_base_and_pair(&Y, &B, black_box(&x)));
        }),
        ("dalek client finish (2 varbase)", &|| {
            black_box(x25519_dalek::x25519(black_box(Y), black_box(x)));
            black_box(x25519_dalek::x25519(black_box(Y), black_box(B)));
        }),
        ("two_bases (client finish)", &|| {
            black_box(x25519::x25519_two_bases(&Y, black_box(&x), &B));
        }),
    ];
    let mut best = [f64::MAX; 7];
    for _ in 0..150 {
        for (b, (_, op)) in best.iter_mut().zip(&ops) {
            let start = Instant::now();
            for _ in 0..8 {
                op();
            }
            *b = b.min(start.elapsed().as_secs_f64() * 1e6 / 8.0);
        }
    }
    println!("\nx25519 ratio report (min of 150 rounds of 8 calls; V = one dalek varbase):");
    for ((name, _), t) in ops.iter().zip(best) {
        println!("  {name:38} {t:8.2} us  {:5.3} V", t / best[0]);
    }
    println!();
}

/// Per-handshake cost of the batched relay triple `(Y, EXP(X,y), EXP(X,b))` on every backend
/// this CPU runs, for batch sizes 1 to 16, in the units of `ratio_report` (min of rounds,
/// interleaved with the yardstick).
fn batch_report() {
    use onionskin::x25519::{Backend, x25519_base_and_pair_batch_with};
    use std::time::Instant;
    let xs: Vec<[u8; 32]> = (0..16u8)
        .map(|i| x25519::x25519_base(&[i + 1; 32]))
        .collect();
    let ys: Vec<[u8; 32]> = (0..16u8).map(|i| [i + 0x40; 32]).collect();
    let backends: Vec<Backend> = Backend::ALL
        .into_iter()
        .filter(|b| {
            b.is_available() && !matches!(b, Backend::PortableLanes | Backend::PortableAvx2Lanes)
        })
        .collect();
    let sizes = [1usize, 2, 3, 4, 8, 16];
    let x = x25519::x25519_base(&[0x33; 32]);
    let mut best_v = f64::MAX;
    let mut best = vec![[f64::MAX; 6]; backends.len()];
    let mut out = vec![([0u8; 32], [0u8; 32], [0u8; 32]); 16];
    for _ in 0..40 {
        let start = Instant::now();
        for _ in 0..8 {
            black_box(x25519_dalek::x25519(black_box(Y), black_box(x)));
        }
        best_v = best_v.min(start.elapsed().as_secs_f64() * 1e6 / 8.0);
        for (bk, row) in backends.iter().zip(best.iter_mut()) {
            for (cell, &n) in row.iter_mut().zip(&sizes) {
                let inputs: Vec<_> = ys
                    .iter()
                    .zip(&xs)
                    .take(n)
                    .map(|(y, x)| (y, &B, x))
                    .collect();
                let start = Instant::now();
                for _ in 0..2 {
                    let _ = black_box(x25519_base_and_pair_batch_with(
                        *bk,
                        black_box(&inputs),
                        &mut out,
                    ));
                }
                *cell = cell.min(start.elapsed().as_secs_f64() * 1e6 / (2 * n) as f64);
            }
        }
    }
    println!(
        "batched relay triple, per handshake (min of 40 rounds; V = one dalek varbase = {best_v:.2} us):"
    );
    println!(
        "  {:8} {}",
        "backend",
        sizes.map(|n| format!("{:>16}", format!("n={n}"))).join("")
    );
    for (bk, row) in backends.iter().zip(&best) {
        let cells: String = row
            .iter()
            .map(|t| format!("{:>16}", format!("{t:.2} us {:.3} V", t / best_v)))
            .collect();
        println!("  {:8} {cells}", format!("{bk:?}"));
    }
    println!();
}

criterion_group! {
    name = benches;
    // Short runs: the machine is shared; the ratios, not the digits, are the result.
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = relay, fixed_base_options
}

fn main() {
    ratio_report();
    batch_report();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
