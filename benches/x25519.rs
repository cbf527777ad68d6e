//! X25519 for the relay side of ntor (issue 9): this crate's paired ladders against
//! x25519-dalek, all measured in one run so the ratios do not depend on the machine.
//!
//! Run: `cargo bench --bench x25519`. The ratio that matters is
//! "relay respond core" (pair + base) over "dalek varbase".

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use onionskin::x25519;
use x25519_dalek::{PublicKey, StaticSecret};

fn bench(c: &mut Criterion) {
    let y = [0x11u8; 32];
    let b = [0x22u8; 32];
    let x = x25519::x25519_base(&[0x33u8; 32]);
    let mut g = c.benchmark_group("x25519");
    g.bench_function("dalek varbase", |bn| {
        bn.iter(|| x25519_dalek::x25519(black_box(y), black_box(x)));
    });
    g.bench_function("dalek fixed-base", |bn| {
        let s = StaticSecret::from(y);
        bn.iter(|| PublicKey::from(black_box(&s)));
    });
    g.bench_function("pair", |bn| {
        bn.iter(|| x25519::x25519_pair(black_box(&y), black_box(&b), black_box(&x)));
    });
    g.bench_function("pair portable", |bn| {
        bn.iter(|| x25519::portable::x25519_pair(black_box(&y), black_box(&b), black_box(&x)));
    });
    g.bench_function("single", |bn| {
        bn.iter(|| x25519::x25519(black_box(&y), black_box(&x)));
    });
    g.bench_function("two bases", |bn| {
        bn.iter(|| x25519::x25519_two_bases(black_box(&y), black_box(&x), black_box(&x)));
    });
    g.bench_function("base", |bn| {
        bn.iter(|| x25519::x25519_base(black_box(&y)));
    });
    g.bench_function("relay respond core", |bn| {
        bn.iter(|| {
            (
                x25519::x25519_pair(black_box(&y), black_box(&b), black_box(&x)),
                x25519::x25519_base(black_box(&y)),
            )
        });
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(core::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
