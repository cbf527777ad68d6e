//! Relay-side X25519 (RFC 7748) tuned for Tor's ntor and ntor-v3 handshakes.
//!
//! A relay answering ntor computes `Y = EXP(G, y)`, `EXP(X, y)` and `EXP(X, b)`: one fixed-base
//! and two variable-base multiplications, the latter two over the same base `X`
//! (tor-spec 5.1.4). A client finishing ntor computes `EXP(Y, x)` and `EXP(B, x)`: one scalar
//! over two bases. The functions here run such pairs of Montgomery ladders side by side and
//! share one field inversion between their results.
//!
//! All functions clamp their scalars as RFC 7748 section 5 does, ignore bit 255 of every
//! u-coordinate, and return exactly the bytes `x25519_dalek::x25519` returns, including the
//! all-zero output for low-order inputs: rejecting that output (the "contributory" check) is
//! the caller's job. They are constant time: no branch and no memory index depends on a
//! scalar or a point.

// Without `hazmat` this module is crate-private, and until the handshakes call into it some of
// its entry points have no user in such builds.
#![cfg_attr(
    not(feature = "hazmat"),
    allow(dead_code, unreachable_pub, unused_imports)
)]
// With `reference-backends` the entry points below come from x25519-dalek, and the ladders
// serve only `portable` and the tests.
#![cfg_attr(
    all(feature = "reference-backends", feature = "hazmat"),
    allow(dead_code)
)]

#[cfg(feature = "reference-backends")]
mod reference;
#[cfg(feature = "reference-backends")]
pub use reference::{x25519, x25519_base, x25519_base_and_pair, x25519_pair, x25519_two_bases};

mod base;
// `pub(crate)` for `crate::simd::avx2`, which implements `lanes::Lanes` with AVX2 instructions.
pub(crate) mod field51;
mod ladder;
// `pub(crate)` for `crate::simd::avx2`, which implements `lanes::Lanes` with AVX2 and runs
// `lanes::ladder2` and `ladder4`; the portable lanes run `ladder4` on every target.
pub(crate) mod ladder4;
pub(crate) mod lanes;
// `pub(crate)` for `crate::simd::ifma`, which implements `lanes52::Lanes52` with AVX-512 IFMA.
mod batch;
pub(crate) mod lanes52;

pub use batch::{
    Backend, RelayTriple, x25519_base_and_pair_batch, x25519_base_and_pair_batch_with,
};

use field51::{Fe, batch_invert};
use zeroize::Zeroizing;

/// Clamps a scalar as RFC 7748 section 5 ("decodeScalar25519"); the copy is wiped on drop.
#[inline]
fn clamp(k: [u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut k = Zeroizing::new(k);
    let bytes: &mut [u8; 32] = &mut k;
    bytes[0] &= 248;
    bytes[31] &= 127;
    bytes[31] |= 64;
    k
}

/// Encodes projective results X/Z as u-coordinates with one shared inversion.
fn to_affine<const N: usize>(points: [(Fe, Fe); N]) -> [[u8; 32]; N] {
    let inv = batch_invert(&points.map(|(_, z)| z));
    let mut out = [[0u8; 32]; N];
    for ((o, (x, _)), i) in out.iter_mut().zip(&points).zip(&inv) {
        *o = x.mul(i).to_bytes();
    }
    out
}

/// Two ladders side by side: AVX2 lanes where the CPU has them, else the portable code.
#[inline]
fn ladder2(scalars: [&[u8; 32]; 2], bases: [Fe; 2]) -> [(Fe, Fe); 2] {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx2) = crate::simd::avx2::Avx2::detect() {
        return avx2.ladder2(scalars, bases);
    }
    ladder::ladder_pair(scalars, bases)
}

#[cfg(not(feature = "reference-backends"))]
/// Two variable-base multiplications over one base: `(scalar_a * u, scalar_b * u)`.
///
/// This is the relay's `EXP(X, y)` and `EXP(X, b)` in ntor and ntor-v3.
#[must_use]
pub fn x25519_pair(scalar_a: &[u8; 32], scalar_b: &[u8; 32], u: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let (ka, kb) = (clamp(*scalar_a), clamp(*scalar_b));
    let x1 = Fe::from_bytes(u);
    let [ra, rb] = to_affine(ladder2([&*ka, &*kb], [x1, x1]));
    (ra, rb)
}

#[cfg(not(feature = "reference-backends"))]
/// One scalar over two bases: `(scalar * u1, scalar * u2)`.
///
/// This is the ntor client's `EXP(Y, x)` and `EXP(B, x)`.
#[must_use]
pub fn x25519_two_bases(scalar: &[u8; 32], u1: &[u8; 32], u2: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let k = clamp(*scalar);
    let [r1, r2] = to_affine(ladder2(
        [&*k, &*k],
        [Fe::from_bytes(u1), Fe::from_bytes(u2)],
    ));
    (r1, r2)
}

#[cfg(not(feature = "reference-backends"))]
/// One variable-base multiplication `scalar * u`, the plain RFC 7748 `X25519` function.
#[must_use]
pub fn x25519(scalar: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
    portable::x25519(scalar, u)
}

#[cfg(not(feature = "reference-backends"))]
/// Fixed-base multiplication `scalar * 9`: the public key of `scalar`, identical to
/// `x25519_dalek::x25519(scalar, X25519_BASEPOINT_BYTES)`.
#[must_use]
pub fn x25519_base(scalar: &[u8; 32]) -> [u8; 32] {
    let [r] = to_affine([base::mul_base(&clamp(*scalar))]);
    r
}

#[cfg(not(feature = "reference-backends"))]
/// Everything an ntor or ntor-v3 relay computes with its ephemeral key `y` and onion key `b`
/// for a client's `X`: `(Y, EXP(X, y), EXP(X, b))` = `(y * 9, y * X, b * X)`, with one field
/// inversion shared by the three results. Identical to [`x25519_base`] and [`x25519_pair`].
#[must_use]
pub fn x25519_base_and_pair(
    y: &[u8; 32],
    b: &[u8; 32],
    x: &[u8; 32],
) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let mut out = [([0u8; 32], [0u8; 32], [0u8; 32])];
    batch::base_and_pair_chunk(Backend::detect(), &[(y, b, x)], &mut out);
    let [r] = out;
    r
}

/// The same functions on the portable radix-2^51 code path, whatever the CPU offers; for tests
/// and for measuring the path that CPUs without AVX2 take.
pub mod portable {
    use super::{
        Fe, clamp,
        ladder::{ladder, ladder_pair},
        to_affine,
    };

    /// Portable [`x25519_pair`](super::x25519_pair).
    #[must_use]
    pub fn x25519_pair(
        scalar_a: &[u8; 32],
        scalar_b: &[u8; 32],
        u: &[u8; 32],
    ) -> ([u8; 32], [u8; 32]) {
        let (ka, kb) = (clamp(*scalar_a), clamp(*scalar_b));
        let x1 = Fe::from_bytes(u);
        let [ra, rb] = to_affine(ladder_pair([&*ka, &*kb], [x1, x1]));
        (ra, rb)
    }

    /// Portable [`x25519_two_bases`](super::x25519_two_bases).
    #[must_use]
    pub fn x25519_two_bases(
        scalar: &[u8; 32],
        u1: &[u8; 32],
        u2: &[u8; 32],
    ) -> ([u8; 32], [u8; 32]) {
        let k = clamp(*scalar);
        let [r1, r2] = to_affine(ladder_pair(
            [&*k, &*k],
            [Fe::from_bytes(u1), Fe::from_bytes(u2)],
        ));
        (r1, r2)
    }

    /// Portable [`x25519_base_and_pair`](super::x25519_base_and_pair).
    #[must_use]
    pub fn x25519_base_and_pair(
        y: &[u8; 32],
        b: &[u8; 32],
        x: &[u8; 32],
    ) -> ([u8; 32], [u8; 32], [u8; 32]) {
        let (ky, kb) = (clamp(*y), clamp(*b));
        let x1 = Fe::from_bytes(x);
        let [xy, xb] = ladder_pair([&*ky, &*kb], [x1, x1]);
        let [ry, rxy, rxb] = to_affine([super::base::mul_base(&ky), xy, xb]);
        (ry, rxy, rxb)
    }

    /// Portable [`x25519`](super::x25519).
    #[must_use]
    pub fn x25519(scalar: &[u8; 32], u: &[u8; 32]) -> [u8; 32] {
        let k = clamp(*scalar);
        let [r] = to_affine(ladder([&*k], [Fe::from_bytes(u)]));
        r
    }
}
