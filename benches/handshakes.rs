//! Criterion benchmarks of every handshake: client start, relay respond, client finish.
//!
//! `cargo bench --bench handshakes`. One module per handshake, in `benches/handshakes/`.

use criterion::{Criterion, criterion_group, criterion_main};

mod fast;
mod ntor;
mod ntor_v3;
mod tap;

fn all(c: &mut Criterion) {
    fast::bench(c);
    ntor::bench(c);
    ntor_v3::bench(c);
    tap::bench(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
