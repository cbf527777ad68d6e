//! Start-up measurement of what each handshake costs the relay on this machine.

#![allow(clippy::print_stdout)]

use core::hint::black_box;
use core::time::Duration;
use std::time::Instant;

use onionskin::handshake::CircuitHandshake;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{CryptoRng, RngCore, SeedableRng};

use crate::sim::Costs;

/// Median of `samples` (which must be non-empty).
fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// The median relay-side time of `H::relay_respond` over `iters` fresh onion skins made by
/// `H::client_start` (client work is not timed). Generic over every handshake of this crate.
///
/// # Panics
/// If the handshake itself fails, which would be a bug.
#[allow(clippy::expect_used)] // A failing handshake here is a bug in the crate: stop loudly.
pub(crate) fn relay_cost<H, R>(
    rng: &mut R,
    relay: &H::RelayPublicKey,
    keys: &H::RelayKeys,
    iters: usize,
) -> Duration
where
    H: CircuitHandshake,
    R: RngCore + CryptoRng,
{
    let mut samples = Vec::with_capacity(iters);
    for _ in 0..iters.max(1) {
        let (_state, skin) = H::client_start(rng, relay, &[]).expect("client_start");
        let t = Instant::now();
        let reply = H::relay_respond(rng, keys, skin.as_ref(), |_, _| Ok(()));
        samples.push(t.elapsed());
        black_box(reply).map(|_| ()).expect("relay_respond");
    }
    median(samples)
}

/// Measures the handshake costs used by the simulation and says where each comes from.
pub(crate) fn measure(quick: bool) -> Costs {
    use onionskin::handshake::{fast::Fast, ntor, ntor_v3, tap};
    let iters = if quick { 50 } else { 400 };
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let ntor_keys = ntor::RelayKeys::new([0x42; 20], ntor::RelaySecretKey::generate(&mut rng));
    let ntor_public = ntor_keys.public_key();
    let ntor = relay_cost::<ntor::Ntor, _>(&mut rng, &ntor_public, &ntor_keys, iters);
    let v3_keys = ntor_v3::RelayKeys::new([0x42; 32], ntor_v3::RelaySecretKey::generate(&mut rng));
    let v3_public = v3_keys.public_key();
    let ntor_v3 = relay_cost::<ntor_v3::NtorV3, _>(&mut rng, &v3_public, &v3_keys, iters);
    let fast = relay_cost::<Fast, _>(&mut rng, &(), &(), iters);
    // RSA key generation is out of scope for the crate: use the onion key of a TAP vector.
    let tap_keys = tap_vector_keys();
    let tap_public = tap_keys.current().public_key().clone();
    let tap = relay_cost::<tap::Tap, _>(&mut rng, &tap_public, &tap_keys, iters / 4);
    println!("Handshake costs (relay side, median, this machine):");
    println!(
        "  ntor         {:>8.1} µs  measured: this crate's ntor relay_respond",
        ntor.as_secs_f64() * 1e6
    );
    println!(
        "  ntor-v3      {:>8.1} µs  measured: this crate's ntor-v3 relay_respond (shares the ntor queue; not simulated)",
        ntor_v3.as_secs_f64() * 1e6
    );
    println!(
        "  CREATE_FAST  {:>8.1} µs  measured: this crate's CREATE_FAST relay_respond; answered inline, not queued",
        fast.as_secs_f64() * 1e6
    );
    println!(
        "  TAP          {:>8.1} µs  measured: this crate's TAP relay_respond (one onion key)",
        tap.as_secs_f64() * 1e6
    );
    println!(
        "  TAP / ntor   {:>8.1}x",
        tap.as_secs_f64() / ntor.as_secs_f64().max(1e-12)
    );
    Costs { ntor, tap }
}

/// The relay keys of the first TAP known-answer vector (shipped in `test-vectors/`).
#[allow(clippy::expect_used, clippy::indexing_slicing)] // The vector file is part of the repository.
fn tap_vector_keys() -> onionskin::handshake::tap::RelayKeys {
    use onionskin::handshake::tap;
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../../test-vectors/tap.json")).expect("tap.json");
    let der = doc["cases"][0]["onion_key"]["private_der_pkcs1"]
        .as_str()
        .and_then(|h| hex::decode(h).ok())
        .expect("private_der_pkcs1");
    let key = tap::RelaySecretKey::from_pkcs1_der(&der).expect("valid onion key");
    tap::RelayKeys::new(key)
}
