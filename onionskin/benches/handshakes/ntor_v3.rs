//! ntor-v3 (proposal 332): client start, relay respond and client finish, with Tor's
//! congestion-control messages; plus a relay respond with empty messages, the like-for-like
//! comparison with ntor's relay respond.

// Benchmark setup with fixed, valid inputs: a panic there is a bug in the benchmark.
#![allow(clippy::unwrap_used)]

use core::hint::black_box;
use criterion::{BatchSize, Criterion};
use onionskin::handshake::ntor_v3::{
    self, ClientState, MAX_SERVER_MESSAGE_LEN, RelayKeys, RelaySecretKey, messages,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The relay's answer to a congestion-control request, as a relay with CC on sends it.
fn answer_cc(cm: &[u8], sm: &mut [u8]) -> Option<usize> {
    let answer = if messages::requests_congestion_control(cm).ok()? {
        messages::cc_response(31)
    } else {
        return None;
    };
    sm.get_mut(..answer.len())?.copy_from_slice(&answer);
    Some(answer.len())
}

pub(crate) fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(332);
    let relay = RelayKeys::new([7; 32], RelaySecretKey::generate(&mut rng));
    let pk = relay.public_key();
    let mut g = c.benchmark_group("ntor_v3");

    g.bench_function("client_start", |b| {
        b.iter(|| ClientState::start(&mut rng, black_box(&pk), &messages::CC_REQUEST));
    });

    let (_, skin) = ClientState::start(&mut rng, &pk, &messages::CC_REQUEST).unwrap();
    g.bench_function("relay_respond", |b| {
        b.iter(|| ntor_v3::relay_respond(&mut rng, black_box(&relay), skin.as_ref(), answer_cc));
    });

    let (_, empty_skin) = ClientState::start(&mut rng, &pk, &[]).unwrap();
    g.bench_function("relay_respond_empty_messages", |b| {
        b.iter(|| {
            ntor_v3::relay_respond(&mut rng, black_box(&relay), empty_skin.as_ref(), |_, _| {
                Some(0)
            })
        });
    });

    let mut setup_rng = ChaCha20Rng::seed_from_u64(333);
    g.bench_function("client_finish", |b| {
        b.iter_batched(
            || {
                let (state, skin) =
                    ClientState::start(&mut setup_rng, &pk, &messages::CC_REQUEST).unwrap();
                let (_, reply) =
                    ntor_v3::relay_respond(&mut setup_rng, &relay, skin.as_ref(), answer_cc)
                        .unwrap();
                (state, reply)
            },
            |(state, reply)| {
                let mut sm = [0u8; MAX_SERVER_MESSAGE_LEN];
                state
                    .finish(black_box(reply.as_ref()), &mut sm)
                    .map(|(k, _)| k)
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}
