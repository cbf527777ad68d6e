//! The floor: the primitives each relay handshake cannot avoid, timed in the same run as the
//! handshakes, plus the two yardsticks.
//!
//! | handshake | floor (relay side) |
//! |---|---|
//! | ntor, ntor-v3 | `EXP(X,y)`, `EXP(X,b)` (two variable-base X25519) and `Y = EXP(G,y)` (fixed base), with the X25519 the handshakes use |
//! | TAP | the RSA-1024 private operation (OAEP decryption of the onion skin) and two DH-1024 exponentiations with 320-bit exponents (`g^y`, `(g^x)^y`), on the crate's bignum |
//! | CREATE_FAST | KDF-TOR over `X | Y` for `KH` and the 72 key bytes (92 bytes): five SHA-1 calls on 41-byte inputs, each one compression of one block |
//!
//! Everything else a handshake does (hashing, key lookup, encoding, the RNG) is overhead the
//! efficiency column (`floor / measured`) makes visible.
//!
//! Each primitive is checked against an independent implementation (x25519-dalek, num-bigint)
//! before it is timed.
//!
//! The yardsticks do not change when the crate gets faster: one x25519-dalek variable-base
//! multiplication, and one crypto-bigint 0.5 1024-bit modular exponentiation with a 320-bit
//! exponent (DH-1024 as a straightforward constant-time Rust implementation does it).

use crate::Error;
use crate::sampler::{Measurement, Routine, Stopwatch};
use core::hint::black_box;
use crypto_bigint::U1024;
use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use num_bigint::BigUint;
use onionskin::bignum;
use onionskin::handshake::tap;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha1::digest::generic_array::GenericArray;
use sha1::digest::typenum::U64;

/// Which primitives bound a handshake from below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloorKind {
    /// ntor and ntor-v3: X25519.
    X25519,
    /// TAP: RSA-1024 and DH-1024.
    Tap,
    /// CREATE_FAST: SHA-1.
    Fast,
}

/// One timed primitive.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Primitive {
    /// Measurement id (`prim/...`) and JSON key.
    pub(crate) id: &'static str,
    /// What it computes.
    pub(crate) label: &'static str,
    /// Which implementation.
    pub(crate) backend: &'static str,
    /// `true` for the two yardsticks (implementations outside this crate).
    pub(crate) yardstick: bool,
    make: fn(&mut ChaCha20Rng) -> Result<Routine, Error>,
}

/// The x25519-dalek yardstick.
pub(crate) const YARD_X25519: &str = "prim/x25519_dalek_varbase";
/// The crypto-bigint yardstick.
pub(crate) const YARD_MODEXP: &str = "prim/crypto_bigint_modexp_1024_320";

const X25519_VARBASE: &str = YARD_X25519;
const X25519_BASE: &str = "prim/onionskin_x25519_base";
/// The crate's relay-side X25519 work in one call: ntor's and ntor-v3's floor.
pub(crate) const CRATE_X25519_RELAY: &str = "prim/onionskin_x25519_base_and_pair";
const CRATE_X25519_VARBASE: &str = "prim/onionskin_x25519_varbase";
const RSA_CRT: &str = "prim/tap_rsa1024_crt_private";
const DH_KEYGEN: &str = "prim/tap_dh1024_keygen";
const DH_SHARED: &str = "prim/tap_dh1024_shared";
const SHA1_BLOCK: &str = "prim/sha1_compress_block";

/// Every primitive the report times.
pub(crate) fn primitives() -> Vec<Primitive> {
    vec![
        Primitive {
            id: X25519_VARBASE,
            label: "X25519 variable-base scalar multiplication",
            backend: "x25519-dalek 2 x25519() = curve25519-dalek 4 MontgomeryPoint::mul_clamped",
            yardstick: true,
            make: x25519_dalek_varbase,
        },
        Primitive {
            id: X25519_BASE,
            label: "X25519 fixed-base scalar multiplication (key generation)",
            backend: "onionskin::x25519::x25519_base, as the crate's ntor and ntor-v3",
            yardstick: false,
            make: crate_x25519_base,
        },
        Primitive {
            id: CRATE_X25519_RELAY,
            label: "a relay's X25519 work: y*G, y*X and b*X with one shared inversion",
            backend: "onionskin::x25519::x25519_base_and_pair (paired ladders, AVX2 where present), as the crate's ntor and ntor-v3 relay",
            yardstick: false,
            make: crate_x25519_relay,
        },
        Primitive {
            id: CRATE_X25519_VARBASE,
            label: "X25519 variable-base scalar multiplication",
            backend: "onionskin::x25519::x25519",
            yardstick: false,
            make: crate_x25519_varbase,
        },
        Primitive {
            id: YARD_MODEXP,
            label: "1024-bit modexp with a 320-bit exponent (one DH-1024 operation)",
            backend: "crypto-bigint 0.5 DynResidue::pow",
            yardstick: true,
            make: modexp_1024_320,
        },
        Primitive {
            id: RSA_CRT,
            label: "RSA-1024 private operation (CRT), the relay's OAEP decryption",
            backend: "onionskin::bignum RsaCrt::private_op, as the crate's TAP",
            yardstick: false,
            make: tap_rsa_crt,
        },
        Primitive {
            id: DH_KEYGEN,
            label: "DH-1024 key generation g^y, 320-bit y",
            backend: "onionskin TAP: fixed-base comb table",
            yardstick: false,
            make: tap_dh_keygen,
        },
        Primitive {
            id: DH_SHARED,
            label: "DH-1024 shared secret X^y, 320-bit y",
            backend: "onionskin TAP: fixed-window Montgomery exponentiation",
            yardstick: false,
            make: tap_dh_shared,
        },
        Primitive {
            id: SHA1_BLOCK,
            label: "SHA-1 compression of one 64-byte block (one KDF-TOR output block of X|Y|i)",
            backend: "sha1 0.10 compress(), as the crate's KDF-TOR (SHA-NI where present)",
            yardstick: false,
            make: sha1_block,
        },
    ]
}

/// The floor of a handshake: primitive ids with how often the relay needs each.
pub(crate) fn recipe(kind: FloorKind) -> Vec<(&'static str, u32)> {
    match kind {
        // Two variable-base and one fixed-base multiplication, the way the crate's ntor and
        // ntor-v3 relay computes them: in one call, sharing a field inversion.
        FloorKind::X25519 => vec![(CRATE_X25519_RELAY, 1)],
        FloorKind::Tap => vec![(RSA_CRT, 1), (DH_KEYGEN, 1), (DH_SHARED, 1)],
        FloorKind::Fast => vec![(SHA1_BLOCK, 5)],
    }
}

/// The yardstick a handshake's relay cost is expressed in.
pub(crate) fn yardstick(kind: FloorKind) -> &'static str {
    match kind {
        FloorKind::Tap => YARD_MODEXP,
        FloorKind::X25519 | FloorKind::Fast => YARD_X25519,
    }
}

/// Builds the measurement of each primitive (checking each against an independent
/// computation first).
///
/// # Errors
/// If a primitive gives a wrong answer.
pub(crate) fn measurements(rng: &mut ChaCha20Rng) -> Result<Vec<Measurement>, Error> {
    primitives()
        .into_iter()
        .map(|p| Ok(Measurement::new(p.id, (p.make)(rng)?)))
        .collect()
}

/// A pool of inputs cycled through, so no measurement times one input only.
const POOL: usize = 16;

fn seeded(rng: &mut ChaCha20Rng) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(rng.next_u64())
}

fn x25519_dalek_varbase(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut rng = seeded(rng);
    let inputs: Vec<([u8; 32], [u8; 32])> = (0..POOL)
        .map(|_| {
            let mut k = [0u8; 32];
            let mut x = [0u8; 32];
            rng.fill_bytes(&mut k);
            rng.fill_bytes(&mut x);
            (
                k,
                x25519_dalek::x25519(x, x25519_dalek::X25519_BASEPOINT_BYTES),
            )
        })
        .collect();
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for (k, u) in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(x25519_dalek::x25519(black_box(*k), black_box(*u)));
        }
        Ok(sw.stop())
    }))
}

fn crate_x25519_base(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut rng = seeded(rng);
    let scalars: Vec<[u8; 32]> = (0..POOL)
        .map(|_| {
            let mut k = [0u8; 32];
            rng.fill_bytes(&mut k);
            k
        })
        .collect();
    for k in &scalars {
        let fixed = onionskin::x25519::x25519_base(k);
        if fixed != x25519_dalek::x25519(*k, x25519_dalek::X25519_BASEPOINT_BYTES) {
            return Err(Error::from(
                "onionskin::x25519 fixed-base disagrees with x25519-dalek",
            ));
        }
    }
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for k in scalars.iter().cycle().take(usize::try_from(iters)?) {
            black_box(onionskin::x25519::x25519_base(black_box(k)));
        }
        Ok(sw.stop())
    }))
}

/// RFC 2409 section 6.2 "Oakley group 2", the DH-1024 prime of tor-spec 0.3.
const OAKLEY_PRIME_2: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

fn biguint_from(u: &[u8]) -> BigUint {
    BigUint::from_bytes_be(u)
}

/// Big-endian bytes of `x`, left-padded to `N` bytes.
fn padded<const N: usize>(x: &BigUint) -> Result<[u8; N], Error> {
    let b = x.to_bytes_be();
    let mut out = [0u8; N];
    let start = N.checked_sub(b.len()).ok_or("number too long")?;
    out.get_mut(start..)
        .ok_or("number too long")?
        .copy_from_slice(&b);
    Ok(out)
}

fn modexp_1024_320(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut rng = seeded(rng);
    let p = U1024::from_be_hex(OAKLEY_PRIME_2);
    let params = DynResidueParams::new(&p);
    let p_big = biguint_from(&padded_u1024(&p));
    let mut inputs = Vec::with_capacity(POOL);
    for _ in 0..POOL {
        let mut b = [0u8; 128];
        rng.fill_bytes(&mut b);
        let base_big = biguint_from(&b) % &p_big;
        // tor-spec 0.3: DH private keys are 320 bits (DH_SEC_LEN = 40 bytes).
        let mut e = [0u8; 40];
        rng.fill_bytes(&mut e);
        let base = U1024::from_be_slice(&padded::<128>(&base_big)?);
        let exp = crypto_bigint::U320::from_be_slice(&e);
        let got = DynResidue::new(&base, params).pow(&exp).retrieve();
        let want = base_big.modpow(&biguint_from(&e), &p_big);
        if padded_u1024(&got) != padded::<128>(&want)? {
            return Err(Error::from(
                "crypto-bigint modexp disagrees with num-bigint",
            ));
        }
        inputs.push((DynResidue::new(&base, params), exp));
    }
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for (base, exp) in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(black_box(base).pow(black_box(exp)).retrieve());
        }
        Ok(sw.stop())
    }))
}

fn padded_u1024(x: &U1024) -> [u8; 128] {
    let mut out = [0u8; 128];
    for (chunk, limb) in out.chunks_exact_mut(8).rev().zip(x.as_words()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// The first TAP vector's onion key (an RSA-1024 key made for the vectors), as the crate's
/// TAP key and as numbers for the num-bigint cross-check.
fn tap_vector_key() -> Result<(tap::RelaySecretKey, BigUint, BigUint), Error> {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../../test-vectors/tap.json"))?;
    let key = v
        .pointer("/cases/0/onion_key")
        .ok_or("tap.json: no onion_key in the first case")?;
    let field = |name: &str| -> Result<Vec<u8>, Error> {
        let h = key
            .get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or("tap.json: key field")?;
        Ok(hex::decode(h)?)
    };
    let sk = tap::RelaySecretKey::from_pkcs1_der(&field("private_der_pkcs1")?)?;
    Ok((sk, biguint_from(&field("n")?), biguint_from(&field("d")?)))
}

/// The TAP relay keys the report uses (also the handshake's fixture).
pub(crate) fn tap_relay_key() -> Result<tap::RelaySecretKey, Error> {
    Ok(tap_vector_key()?.0)
}

fn tap_rsa_crt(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut rng = seeded(rng);
    let (key, n, d) = tap_vector_key()?;
    let mut inputs = Vec::with_capacity(POOL);
    for _ in 0..POOL {
        let mut b = [0u8; 128];
        rng.fill_bytes(&mut b);
        let c_big = biguint_from(&b) % &n;
        let c_bytes = padded::<128>(&c_big)?;
        let c: [u64; 16] = bignum::from_be_bytes(&c_bytes).ok_or("ciphertext too long")?;
        let mut got = [0u8; 128];
        bignum::to_be_bytes(&tap::hazmat::rsa_crt(&key).private_op(&c), &mut got);
        if got != padded::<128>(&c_big.modpow(&d, &n))? {
            return Err(Error::from("the crate's RSA-CRT disagrees with num-bigint"));
        }
        inputs.push(c);
    }
    Ok(Box::new(move |iters| {
        let crt = tap::hazmat::rsa_crt(&key);
        let sw = Stopwatch::start();
        for c in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(crt.private_op(black_box(c)));
        }
        Ok(sw.stop())
    }))
}

/// Random 320-bit DH secrets and peer values (`2^x` for random `x`), checked against
/// num-bigint through the crate's DH.
/// A DH-1024 secret exponent `y` (320 bits) and a peer's public value `g^x`.
type DhInput = ([u8; 40], [u8; 128]);

fn dh_inputs(rng: &mut ChaCha20Rng) -> Result<Vec<DhInput>, Error> {
    let p = biguint_from(&hex::decode(OAKLEY_PRIME_2)?);
    let two = BigUint::from(2u8);
    let mut out = Vec::with_capacity(POOL);
    for _ in 0..POOL {
        let mut y = [0u8; 40];
        let mut x = [0u8; 40];
        rng.fill_bytes(&mut y);
        rng.fill_bytes(&mut x);
        let gx = padded::<128>(&two.modpow(&biguint_from(&x), &p))?;
        if tap::hazmat::dh_public(&x) != gx {
            return Err(Error::from(
                "the crate's DH key generation disagrees with num-bigint",
            ));
        }
        let want = padded::<128>(&biguint_from(&gx).modpow(&biguint_from(&y), &p))?;
        if tap::hazmat::dh_shared(&y, &gx) != want {
            return Err(Error::from(
                "the crate's DH shared secret disagrees with num-bigint",
            ));
        }
        out.push((y, gx));
    }
    Ok(out)
}

fn tap_dh_keygen(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let inputs = dh_inputs(&mut seeded(rng))?;
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for (y, _) in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(tap::hazmat::dh_public(black_box(y)));
        }
        Ok(sw.stop())
    }))
}

fn tap_dh_shared(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let inputs = dh_inputs(&mut seeded(rng))?;
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for (y, gx) in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(tap::hazmat::dh_shared(black_box(y), black_box(gx)));
        }
        Ok(sw.stop())
    }))
}

/// Scalars and client points `X` for the X25519 measurements.
fn x25519_inputs(rng: &mut ChaCha20Rng) -> Vec<([u8; 32], [u8; 32], [u8; 32])> {
    (0..POOL)
        .map(|_| {
            let (mut y, mut b, mut x) = ([0u8; 32], [0u8; 32], [0u8; 32]);
            rng.fill_bytes(&mut y);
            rng.fill_bytes(&mut b);
            rng.fill_bytes(&mut x);
            (
                y,
                b,
                x25519_dalek::x25519(x, x25519_dalek::X25519_BASEPOINT_BYTES),
            )
        })
        .collect()
}

fn crate_x25519_relay(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let inputs = x25519_inputs(&mut seeded(rng));
    for (y, b, x) in &inputs {
        let want = (
            x25519_dalek::x25519(*y, x25519_dalek::X25519_BASEPOINT_BYTES),
            x25519_dalek::x25519(*y, *x),
            x25519_dalek::x25519(*b, *x),
        );
        if onionskin::x25519::x25519_base_and_pair(y, b, x) != want {
            return Err(Error::from("onionskin::x25519 disagrees with x25519-dalek"));
        }
    }
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for (y, b, x) in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(onionskin::x25519::x25519_base_and_pair(
                black_box(y),
                black_box(b),
                black_box(x),
            ));
        }
        Ok(sw.stop())
    }))
}

fn crate_x25519_varbase(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let inputs = x25519_inputs(&mut seeded(rng));
    for (y, _, x) in &inputs {
        if onionskin::x25519::x25519(y, x) != x25519_dalek::x25519(*y, *x) {
            return Err(Error::from("onionskin::x25519 disagrees with x25519-dalek"));
        }
    }
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for (y, _, x) in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(onionskin::x25519::x25519(black_box(y), black_box(x)));
        }
        Ok(sw.stop())
    }))
}

fn sha1_block(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut bytes = [0u8; 64];
    rng.fill_bytes(&mut bytes);
    let block = GenericArray::<u8, U64>::clone_from_slice(&bytes);
    // SHA-1's initial state (FIPS 180-4 5.3.1).
    let init: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for _ in 0..iters {
            let mut state = init;
            sha1::compress(&mut state, core::slice::from_ref(black_box(&block)));
            black_box(state);
        }
        Ok(sw.stop())
    }))
}
