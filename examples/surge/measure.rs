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
        let reply = H::relay_respond(rng, keys, skin.as_ref(), |_, _| Some(0));
        samples.push(t.elapsed());
        black_box(reply).map(|_| ()).expect("relay_respond");
    }
    median(samples)
}

/// Times `f` (median of `iters` calls).
fn time<F: FnMut()>(iters: usize, mut f: F) -> Duration {
    let samples = (0..iters.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    median(samples)
}

/// TAP's relay work, estimated from crypto-bigint modular exponentiations (constant-time
/// Montgomery `pow_bounded_exp`): an RSA-1024 private-key operation with CRT (two 512-bit
/// exponentiations with 512-bit exponents) plus DH-1024 (two exponentiations with 320-bit
/// private exponents: g^y and X^y).
fn tap_estimate(iters: usize) -> Duration {
    use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
    use crypto_bigint::{U512, U1024};
    // Odd moduli of the right size; the value does not affect the time of a constant-time pow.
    let p = U512::MAX.wrapping_sub(&U512::from_u64(568));
    let n = U1024::MAX.wrapping_sub(&U1024::from_u64(1_092));
    let pp = DynResidueParams::new(&p);
    let np = DynResidueParams::new(&n);
    let base512 = DynResidue::new(&U512::from_u64(0x1234_5678_9abc_def1), pp);
    let base1024 = DynResidue::new(&U1024::from_u64(0x0fed_cba9_8765_4321), np);
    let e512 = U512::MAX.wrapping_sub(&U512::from_u64(12_345));
    let e320 = U1024::MAX.shr_vartime(1024 - 320);
    time(iters, || {
        let a = black_box(base512).pow_bounded_exp(&e512, 512);
        let b = black_box(base512).pow_bounded_exp(&e512, 512);
        let c = black_box(base1024).pow_bounded_exp(&e320, 320);
        let d = black_box(base1024).pow_bounded_exp(&e320, 320);
        black_box((a, b, c, d));
    })
}

/// Measures the handshake costs used by the simulation and says where each comes from.
pub(crate) fn measure(quick: bool) -> Costs {
    use onionskin::handshake::{fast::CreateFast, ntor, ntor_v3};
    let iters = if quick { 50 } else { 400 };
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed);
    let ntor_keys = ntor::RelayKeys::new([0x42; 20], ntor::RelaySecretKey::generate(&mut rng));
    let ntor_public = ntor_keys.public_key();
    let ntor = relay_cost::<ntor::Ntor, _>(&mut rng, &ntor_public, &ntor_keys, iters);
    let v3_keys = ntor_v3::RelayKeys::new([0x42; 32], ntor_v3::RelaySecretKey::generate(&mut rng));
    let v3_public = v3_keys.public_key();
    let ntor_v3 = relay_cost::<ntor_v3::NtorV3, _>(&mut rng, &v3_public, &v3_keys, iters);
    let fast = relay_cost::<CreateFast, _>(&mut rng, &(), &(), iters);
    // TODO(tap): once `handshake::tap::Tap` lands on main, measure it the same way:
    //     let tap = relay_cost::<tap::Tap, _>(&mut rng, &tap_public, &tap_keys, iters / 4);
    let tap = tap_estimate(iters / 4);
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
        "  TAP          {:>8.1} µs  ESTIMATE: 2 x 512-bit + 2 x 1024-bit (320-bit exponent) crypto-bigint modexps,",
        tap.as_secs_f64() * 1e6
    );
    println!(
        "                             standing in for RSA-1024 CRT decryption + DH-1024 (TAP not yet on main)"
    );
    println!(
        "  TAP / ntor   {:>8.1}x",
        tap.as_secs_f64() / ntor.as_secs_f64().max(1e-12)
    );
    Costs { ntor, tap }
}
