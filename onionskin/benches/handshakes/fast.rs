//! CREATE_FAST (tor-spec 5.1.5): client start, relay respond, client finish. No public-key
//! operations; the cost is KDF-TOR's SHA-1 blocks.

// Benchmark setup with fixed, valid inputs: a panic there is a bug in the benchmark.
#![allow(clippy::expect_used)]

use criterion::{BatchSize, Criterion, black_box};
use onionskin::KeyMaterial;
use onionskin::handshake::fast::{self, ClientState, hazmat};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

pub(crate) fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(0x6661_7374);
    let x = [0x17; 20];
    let (_, reply) = fast::relay_respond(&mut rng, &x).expect("20 bytes");

    let mut g = c.benchmark_group("create_fast");
    g.bench_function("client_start", |b| {
        b.iter(|| ClientState::start(&mut rng));
    });
    g.bench_function("relay_respond", |b| {
        b.iter(|| fast::relay_respond(&mut rng, black_box(&x)));
    });
    g.bench_function("client_finish", |b| {
        b.iter_batched(
            || hazmat::client_start_with_x(&x).0,
            |state| state.finish(black_box(&reply)),
            BatchSize::SmallInput,
        );
    });
    g.bench_function("circuit_keys", |b| {
        b.iter_batched(
            || fast::relay_respond(&mut rng, &x).expect("20 bytes").0,
            KeyMaterial::circuit_keys,
            BatchSize::SmallInput,
        );
    });
    g.finish();
}
