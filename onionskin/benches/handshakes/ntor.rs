//! ntor (tor-spec 5.1.4): client start, relay respond, client finish, plus one bare X25519
//! variable-base and one fixed-base multiplication as yardsticks from the same run.
//!
//! The relay also answers a low-order `X` and an unknown KEYID: both take the same path as
//! a good onion skin (and fail only at the end), so their medians should match
//! `relay_respond`.

use criterion::{BatchSize, Criterion, black_box};
use onionskin::handshake::ntor::{
    self, ClientState, RelayKeys, RelayPublicKey, RelaySecretKey, hazmat,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use x25519_dalek::{PublicKey, StaticSecret, x25519};

#[allow(clippy::expect_used)] // setup only: a failure here is a broken benchmark
pub(crate) fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(0x6e74_6f72);
    let keys = RelayKeys::new([0x42; 20], RelaySecretKey::generate(&mut rng))
        .with_previous(RelaySecretKey::generate(&mut rng));
    let public = keys.public_key();
    let x = [0x17; 32];
    let (_, skin) = hazmat::client_start_with_x(&x, &public);
    let (_, reply) = ntor::relay_respond(&mut rng, &keys, &skin).expect("good skin");

    let mut low_order_skin = skin;
    low_order_skin[52..].fill(0);
    let stranger = RelaySecretKey::generate(&mut rng);
    let (_, unknown_key_skin) = hazmat::client_start_with_x(
        &x,
        &RelayPublicKey::new(*keys.identity(), *stranger.public_key()),
    );

    let mut g = c.benchmark_group("ntor");
    g.bench_function("client_start", |b| {
        b.iter(|| ClientState::start(&mut rng, black_box(&public)));
    });
    g.bench_function("relay_respond", |b| {
        b.iter(|| ntor::relay_respond(&mut rng, &keys, black_box(&skin)));
    });
    g.bench_function("relay_respond_low_order_x", |b| {
        b.iter(|| ntor::relay_respond(&mut rng, &keys, black_box(&low_order_skin)));
    });
    g.bench_function("relay_respond_unknown_keyid", |b| {
        b.iter(|| ntor::relay_respond(&mut rng, &keys, black_box(&unknown_key_skin)));
    });
    g.bench_function("client_finish", |b| {
        b.iter_batched(
            || hazmat::client_start_with_x(&x, &public).0,
            |state| state.finish(black_box(&reply)),
            BatchSize::SmallInput,
        );
    });

    // Yardsticks: what the relay's two variable-base and one fixed-base X25519 cost alone.
    let scalar = [0x3c; 32];
    let point = public.onion_key;
    g.bench_function("x25519_varbase", |b| {
        b.iter(|| x25519(black_box(scalar), black_box(point)));
    });
    let secret = StaticSecret::from(scalar);
    g.bench_function("x25519_fixedbase", |b| {
        b.iter(|| PublicKey::from(black_box(&secret)));
    });
    g.finish();
}
