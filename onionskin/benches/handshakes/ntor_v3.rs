//! ntor-v3 (proposal 332): client start, relay respond and client finish, with Tor's
//! congestion-control messages; plus a relay respond with empty messages, the like-for-like
//! comparison with ntor's relay respond.

// Benchmark setup with fixed, valid inputs: a panic there is a bug in the benchmark.
#![allow(clippy::unwrap_used)]

use core::hint::black_box;
use criterion::{BatchSize, Criterion};
use onionskin::HandshakeError;
use onionskin::codec::extension::{
    CircuitExtension, CongestionControlResponse, ExtensionList, ExtensionWriter,
};
use onionskin::handshake::ntor_v3::{self, ClientState, RelayKeys, RelaySecretKey};

/// What a Tor client asks for: congestion control.
const CC_REQUEST: &[CircuitExtension<'static>] = &[CircuitExtension::CongestionControlRequest];
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The relay's answer to a congestion-control request, as a relay with CC on sends it.
fn answer_cc(cm: &ExtensionList<'_>, sm: &mut ExtensionWriter<'_>) -> Result<(), HandshakeError> {
    if !cm.congestion_control_request() {
        return Err(HandshakeError::Failed);
    }
    sm.push(&CircuitExtension::CongestionControlResponse(
        CongestionControlResponse { sendme_inc: 31 },
    ))?;
    Ok(())
}

pub(crate) fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(332);
    let relay = RelayKeys::new([7; 32], RelaySecretKey::generate(&mut rng));
    let pk = relay.public_key();
    let mut g = c.benchmark_group("ntor_v3");

    g.bench_function("client_start", |b| {
        b.iter(|| ClientState::start(&mut rng, black_box(&pk), CC_REQUEST));
    });

    let (_, skin) = ClientState::start(&mut rng, &pk, CC_REQUEST).unwrap();
    g.bench_function("relay_respond", |b| {
        b.iter(|| ntor_v3::relay_respond(&mut rng, black_box(&relay), skin.as_ref(), answer_cc));
    });

    let (_, empty_skin) = ClientState::start(&mut rng, &pk, &[]).unwrap();
    g.bench_function("relay_respond_empty_messages", |b| {
        b.iter(|| {
            ntor_v3::relay_respond(&mut rng, black_box(&relay), empty_skin.as_ref(), |_, _| {
                Ok(())
            })
        });
    });

    let mut setup_rng = ChaCha20Rng::seed_from_u64(333);
    g.bench_function("client_finish", |b| {
        b.iter_batched(
            || {
                let (state, skin) = ClientState::start(&mut setup_rng, &pk, CC_REQUEST).unwrap();
                let (_, reply) =
                    ntor_v3::relay_respond(&mut setup_rng, &relay, skin.as_ref(), answer_cc)
                        .unwrap();
                (state, reply)
            },
            |(state, reply)| state.finish(black_box(reply.as_ref())).map(|(k, _)| k),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}
