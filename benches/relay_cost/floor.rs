//! The floor: the primitives each relay handshake cannot avoid, timed in the same run as the
//! handshakes, plus the two yardsticks of issue 9.
//!
//! | handshake | floor (relay side) |
//! |---|---|
//! | ntor, ntor-v3 | `EXP(X,y)`, `EXP(X,b)` (two variable-base X25519) and `Y = EXP(G,y)` (fixed base) |
//! | TAP | the RSA-1024 private operation (OAEP decryption of the onion skin) and two DH-1024 exponentiations with 320-bit exponents (`g^y`, `(g^x)^y`) |
//! | CREATE_FAST | KDF-TOR over `X | Y` for `KH` and the 72 key bytes (92 bytes): five SHA-1 calls on 41-byte inputs, each one compression of one block |
//!
//! Everything else a handshake does (hashing, key lookup, encoding, the RNG) is overhead the
//! efficiency column (`floor / measured`) makes visible.
//!
//! The yardsticks do not change when the crate gets faster: one x25519-dalek variable-base
//! multiplication, and one crypto-bigint 0.5 1024-bit modular exponentiation with a 320-bit
//! exponent (DH-1024 as a straightforward constant-time Rust implementation does it).

use crate::Error;
use crate::sampler::{Measurement, Routine, Stopwatch};
use core::hint::black_box;
use crypto_bigint::modular::runtime_mod::{DynResidue, DynResidueParams};
use crypto_bigint::{U512, U1024};
use curve25519_dalek::montgomery::MontgomeryPoint;
use num_bigint::BigUint;
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
    #[allow(dead_code)] // until TAP lands on main
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
    /// `true` when this stands in for the crate's own code, which is not exposed yet.
    pub(crate) stand_in: bool,
    make: fn(&mut ChaCha20Rng) -> Result<Routine, Error>,
}

/// The x25519-dalek yardstick (issue 9).
pub(crate) const YARD_X25519: &str = "prim/x25519_dalek_varbase";
/// The crypto-bigint yardstick (issue 9).
pub(crate) const YARD_MODEXP: &str = "prim/crypto_bigint_modexp_1024_320";

const X25519_VARBASE: &str = YARD_X25519;
const X25519_BASE: &str = "prim/x25519_fixed_base";
const RSA_CRT: &str = "prim/rsa1024_crt_private";
const DH_MODEXP: &str = YARD_MODEXP;
const SHA1_BLOCK: &str = "prim/sha1_compress_block";

/// Every primitive the report times.
pub(crate) fn primitives() -> Vec<Primitive> {
    vec![
        Primitive {
            id: X25519_VARBASE,
            label: "X25519 variable-base scalar multiplication (yardstick)",
            backend: "x25519-dalek 2 x25519() = curve25519-dalek 4 MontgomeryPoint::mul_clamped, as the crate's ntor and ntor-v3",
            stand_in: false,
            make: x25519_dalek_varbase,
        },
        Primitive {
            id: X25519_BASE,
            label: "X25519 fixed-base scalar multiplication (key generation)",
            backend: "curve25519-dalek 4 MontgomeryPoint::mul_base_clamped, as the crate's ntor and ntor-v3",
            stand_in: false,
            make: x25519_fixed_base,
        },
        Primitive {
            id: DH_MODEXP,
            label: "1024-bit modexp, 320-bit exponent: one DH-1024 operation (yardstick)",
            backend: "crypto-bigint 0.5 DynResidue::pow_bounded_exp (stand-in for the crate's bignum)",
            stand_in: true,
            make: modexp_1024_320,
        },
        Primitive {
            id: RSA_CRT,
            label: "RSA-1024 private operation with CRT (two 512-bit modexps)",
            backend: "crypto-bigint 0.5 DynResidue (stand-in for the crate's bignum)",
            stand_in: true,
            make: rsa1024_crt,
        },
        Primitive {
            id: SHA1_BLOCK,
            label: "SHA-1 compression of one 64-byte block (one KDF-TOR output block of X|Y|i)",
            backend: "sha1 0.10 compress() (the crate's KDF-TOR; SHA-NI where the CPU has it)",
            stand_in: false,
            make: sha1_block,
        },
    ]
}

/// The floor of a handshake: primitive ids with how often the relay needs each.
pub(crate) fn recipe(kind: FloorKind) -> Vec<(&'static str, u32)> {
    match kind {
        FloorKind::X25519 => vec![(X25519_VARBASE, 2), (X25519_BASE, 1)],
        FloorKind::Tap => vec![(RSA_CRT, 1), (DH_MODEXP, 2)],
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

fn x25519_fixed_base(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut rng = seeded(rng);
    let scalars: Vec<[u8; 32]> = (0..POOL)
        .map(|_| {
            let mut k = [0u8; 32];
            rng.fill_bytes(&mut k);
            k
        })
        .collect();
    for k in &scalars {
        let fixed = MontgomeryPoint::mul_base_clamped(*k).to_bytes();
        if fixed != x25519_dalek::x25519(*k, x25519_dalek::X25519_BASEPOINT_BYTES) {
            return Err(Error::from("fixed-base X25519 disagrees with the ladder"));
        }
    }
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for k in scalars.iter().cycle().take(usize::try_from(iters)?) {
            black_box(MontgomeryPoint::mul_base_clamped(black_box(*k)).to_bytes());
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

fn u512_from(x: &BigUint) -> Result<U512, Error> {
    Ok(U512::from_be_slice(&padded::<64>(x)?))
}

/// An RSA-1024 key prepared for CRT in crypto-bigint.
struct RsaCrt {
    p: DynResidueParams<8>,
    q: DynResidueParams<8>,
    q_int: U512,
    dp: U512,
    dq: U512,
    qinv: DynResidue<8>,
    /// 2^512 mod p and mod q, to reduce a 1024-bit input with two Montgomery products.
    r_p: DynResidue<8>,
    r_q: DynResidue<8>,
}

impl RsaCrt {
    /// `c^d mod n` by the Chinese remainder theorem; all steps constant-time.
    fn private_op(&self, c: &U1024) -> U1024 {
        let (hi, lo) = c.split();
        let cp = DynResidue::new(&hi, self.p) * self.r_p + DynResidue::new(&lo, self.p);
        let cq = DynResidue::new(&hi, self.q) * self.r_q + DynResidue::new(&lo, self.q);
        let m1 = cp.pow(&self.dp);
        let m2 = cq.pow(&self.dq).retrieve();
        let h = (m1 - DynResidue::new(&m2, self.p)) * self.qinv;
        let (lo, hi) = h.retrieve().mul_wide(&self.q_int);
        hi.concat(&lo).wrapping_add(&m2.resize::<16>())
    }
}

/// The first TAP vector's onion key (an RSA-1024 key made for the vectors).
fn tap_vector_key() -> Result<(BigUint, BigUint, BigUint, BigUint), Error> {
    let v: serde_json::Value = serde_json::from_str(include_str!("../../test-vectors/tap.json"))?;
    let key = v
        .pointer("/cases/0/onion_key")
        .ok_or("tap.json: no onion_key in the first case")?;
    let num = |name: &str| -> Result<BigUint, Error> {
        let h = key
            .get(name)
            .and_then(serde_json::Value::as_str)
            .ok_or("tap.json: key field")?;
        Ok(biguint_from(&hex::decode(h)?))
    };
    Ok((num("n")?, num("d")?, num("p")?, num("q")?))
}

fn rsa1024_crt(rng: &mut ChaCha20Rng) -> Result<Routine, Error> {
    let mut rng = seeded(rng);
    let (n, d, p, q) = tap_vector_key()?;
    let one = BigUint::from(1u8);
    let qinv = q.modinv(&p).ok_or("q has no inverse mod p")?;
    let two512 = BigUint::from(1u8) << 512u32;
    let pp = DynResidueParams::new(&u512_from(&p)?);
    let qp = DynResidueParams::new(&u512_from(&q)?);
    let key = RsaCrt {
        p: pp,
        q: qp,
        q_int: u512_from(&q)?,
        dp: u512_from(&(&d % (&p - &one)))?,
        dq: u512_from(&(&d % (&q - &one)))?,
        qinv: DynResidue::new(&u512_from(&qinv)?, pp),
        r_p: DynResidue::new(&u512_from(&(&two512 % &p))?, pp),
        r_q: DynResidue::new(&u512_from(&(&two512 % &q))?, qp),
    };
    let mut inputs = Vec::with_capacity(POOL);
    for _ in 0..POOL {
        let mut b = [0u8; 128];
        rng.fill_bytes(&mut b);
        let c_big = biguint_from(&b) % &n;
        let c = U1024::from_be_slice(&padded::<128>(&c_big)?);
        if padded_u1024(&key.private_op(&c)) != padded::<128>(&c_big.modpow(&d, &n))? {
            return Err(Error::from(
                "crypto-bigint RSA-CRT disagrees with num-bigint",
            ));
        }
        inputs.push(c);
    }
    Ok(Box::new(move |iters| {
        let sw = Stopwatch::start();
        for c in inputs.iter().cycle().take(usize::try_from(iters)?) {
            black_box(key.private_op(black_box(c)));
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
