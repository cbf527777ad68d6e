//! Criterion benchmarks of every handshake: client start, relay respond, client finish.
//!
//! `cargo bench --bench handshakes`. One module per handshake, in `benches/handshakes/`.

// criterion's macros generate undocumented public items.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "handshakes/fast.rs"]
mod fast;
#[path = "handshakes/ntor.rs"]
mod ntor;
#[path = "handshakes/ntor_v3.rs"]
mod ntor_v3;
#[path = "handshakes/tap.rs"]
mod tap;

fn all(c: &mut Criterion) {
    fast::bench(c);
    ntor::bench(c);
    ntor_v3::bench(c);
    tap::bench(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
