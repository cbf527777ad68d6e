//! The relay's X25519 work for several client keys at once: for each `(y, b, X)`, the triple
//! `(y * 9, y * X, b * X)` of an ntor or ntor-v3 reply (tor-spec 5.1.4, proposal 332).
//!
//! Each handshake needs two Montgomery ladders over its `X`; a batch lays the ladders of up to
//! four handshakes side by side in the lanes of one vector (AVX-512 IFMA: four ladders in
//! 256-bit or eight in 512-bit vectors, `lanes52`), and shares one field inversion among all
//! results of those handshakes (Montgomery's trick). Lanes and handshakes never interact: a
//! lane's swap masks come from its own scalar only, unused lanes run on a fixed dummy scalar,
//! and a zero denominator (a low-order `X`) is masked out of the shared inversion without
//! disturbing the others (`field51::batch_invert`'s rule). So one handshake's result never
//! depends on another's input, and the instruction stream depends only on the batch's length.

// Lane and limb indices are compile-time bounded (chunks of at most `CHUNK` handshakes).
#![allow(clippy::indexing_slicing)]

use super::field51::Fe;
use super::{base, clamp, ladder, lanes52};
use zeroize::Zeroizing;

/// Handshakes per vector call: two ladders each, eight ladders in one 512-bit IFMA vector.
const CHUNK: usize = 4;

/// One handshake's X25519 inputs for [`x25519_base_and_pair_batch`]: the relay's ephemeral
/// secret `y`, its onion key secret `b`, and the client's public key `X`.
pub type RelayTriple<'a> = (&'a [u8; 32], &'a [u8; 32], &'a [u8; 32]);

/// Which implementation of the ladders a batch runs on.
///
/// [`Backend::detect`] picks the fastest one the CPU has; the others exist so that tests,
/// fuzzing and the constant-time check can run every implementation the machine offers.
///
/// ```
/// use onionskin::x25519::Backend;
/// assert!(Backend::Portable.is_available());
/// assert!(Backend::detect().is_available());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The radix-2^51 scalar code, one handshake after another (any CPU).
    Portable,
    /// The lane algorithm that IFMA runs, on plain arrays standing in for vectors (any CPU;
    /// slow, for tests and for valgrind, which cannot execute AVX-512).
    PortableLanes,
    /// Two ladders side by side in AVX2 lanes, one handshake after another.
    Avx2,
    /// Up to eight ladders side by side in AVX-512 IFMA lanes, four handshakes per call.
    Ifma,
}

impl Backend {
    /// Every backend, fastest last.
    pub const ALL: [Backend; 4] = [
        Backend::PortableLanes,
        Backend::Portable,
        Backend::Avx2,
        Backend::Ifma,
    ];

    /// The fastest backend this CPU runs: IFMA, else AVX2, else portable.
    #[must_use]
    pub fn detect() -> Backend {
        #[cfg(target_arch = "x86_64")]
        {
            if crate::simd::ifma::Ifma::detect().is_some() {
                return Backend::Ifma;
            }
            if crate::simd::avx2::Avx2::detect().is_some() {
                return Backend::Avx2;
            }
        }
        Backend::Portable
    }

    /// Whether this CPU runs `self`.
    #[must_use]
    pub fn is_available(self) -> bool {
        match self {
            Backend::Portable | Backend::PortableLanes => true,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => crate::simd::avx2::Avx2::detect().is_some(),
            #[cfg(target_arch = "x86_64")]
            Backend::Ifma => crate::simd::ifma::Ifma::detect().is_some(),
            #[cfg(not(target_arch = "x86_64"))]
            Backend::Avx2 | Backend::Ifma => false,
        }
    }
}

/// For each `(y, b, X)` of `inputs`, writes `(y * 9, y * X, b * X)` to the same position of
/// `out`, exactly the bytes [`x25519_base_and_pair`](super::x25519_base_and_pair) returns for
/// it; on the fastest backend the CPU has. Handles `min(inputs.len(), out.len())` entries and
/// returns that number.
///
/// As with the single function, a low-order `X` gives all-zero results (for that entry only);
/// rejecting them is the caller's job.
///
/// ```
/// use onionskin::x25519::{x25519_base, x25519_base_and_pair, x25519_base_and_pair_batch};
/// let (y, b) = ([1u8; 32], [2u8; 32]);
/// let clients = [x25519_base(&[3u8; 32]), x25519_base(&[4u8; 32])];
/// let inputs = [(&y, &b, &clients[0]), (&y, &b, &clients[1])];
/// let mut out = [([0u8; 32], [0u8; 32], [0u8; 32]); 2];
/// assert_eq!(x25519_base_and_pair_batch(&inputs, &mut out), 2);
/// assert_eq!(out[1], x25519_base_and_pair(&y, &b, &clients[1]));
/// ```
pub fn x25519_base_and_pair_batch(
    inputs: &[RelayTriple<'_>],
    out: &mut [([u8; 32], [u8; 32], [u8; 32])],
) -> usize {
    run_batch(Backend::detect(), inputs, out)
}

/// [`x25519_base_and_pair_batch`] on a chosen backend; `None` if this CPU cannot run it.
///
/// ```
/// use onionskin::x25519::{Backend, x25519_base_and_pair, x25519_base_and_pair_batch_with};
/// let (y, b, x) = ([1u8; 32], [2u8; 32], [9u8; 32]);
/// let mut out = [([0u8; 32], [0u8; 32], [0u8; 32])];
/// for backend in Backend::ALL.into_iter().filter(|b| b.is_available()) {
///     assert_eq!(x25519_base_and_pair_batch_with(backend, &[(&y, &b, &x)], &mut out), Some(1));
///     assert_eq!(out[0], x25519_base_and_pair(&y, &b, &x));
/// }
/// ```
#[must_use = "None means nothing was computed"]
pub fn x25519_base_and_pair_batch_with(
    backend: Backend,
    inputs: &[RelayTriple<'_>],
    out: &mut [([u8; 32], [u8; 32], [u8; 32])],
) -> Option<usize> {
    backend
        .is_available()
        .then(|| run_batch(backend, inputs, out))
}

/// Runs `inputs` in chunks of [`CHUNK`]; `backend` must be available.
fn run_batch(
    backend: Backend,
    inputs: &[RelayTriple<'_>],
    out: &mut [([u8; 32], [u8; 32], [u8; 32])],
) -> usize {
    let n = inputs.len().min(out.len());
    for (inp, o) in inputs[..n].chunks(CHUNK).zip(out.chunks_mut(CHUNK)) {
        base_and_pair_chunk(backend, inp, o);
    }
    n
}

/// Up to [`CHUNK`] handshakes (`inputs.len()`, with `out` at least as long); `backend` must
/// be available.
pub(super) fn base_and_pair_chunk(
    backend: Backend,
    inputs: &[RelayTriple<'_>],
    out: &mut [([u8; 32], [u8; 32], [u8; 32])],
) {
    let n = inputs.len().min(CHUNK);
    // Ladder 2i is y_i * X_i, ladder 2i + 1 is b_i * X_i; unused ladders run on a dummy
    // (clamped all-zero) scalar and u = 0.
    let mut scalars = Zeroizing::new([*clamp([0; 32]); 2 * CHUNK]);
    let mut bases = [Fe::ZERO; 2 * CHUNK];
    for (i, (y, b, x)) in inputs.iter().take(n).enumerate() {
        scalars[2 * i] = *clamp(**y);
        scalars[2 * i + 1] = *clamp(**b);
        bases[2 * i] = Fe::from_bytes(x);
        bases[2 * i + 1] = bases[2 * i];
    }
    let ladders = run_ladders(backend, 2 * n, &scalars, &bases);
    // Fractions: [Y_0, XY_0, XB_0, Y_1, ...]
    let mut fracs = [(Fe::ZERO, Fe::ONE); 3 * CHUNK];
    for i in 0..n {
        fracs[3 * i] = base::mul_base(&scalars[2 * i]);
        fracs[3 * i + 1] = ladders[2 * i];
        fracs[3 * i + 2] = ladders[2 * i + 1];
    }
    let fracs = &fracs[..3 * n];
    let mut zs = [Fe::ZERO; 3 * CHUNK];
    for (z, (_, fz)) in zs.iter_mut().zip(fracs) {
        *z = *fz;
    }
    batch_invert_prefix(&mut zs, 3 * n);
    let mut bytes = [[0u8; 32]; 3 * CHUNK];
    for ((b, (x, _)), zinv) in bytes.iter_mut().zip(fracs).zip(&zs) {
        *b = x.mul(zinv).to_bytes();
    }
    for (i, o) in out.iter_mut().take(n).enumerate() {
        *o = (bytes[3 * i], bytes[3 * i + 1], bytes[3 * i + 2]);
    }
}

/// The first `count` ladders of `scalars`/`bases` (clamped scalars), on `backend`.
fn run_ladders(
    backend: Backend,
    count: usize,
    scalars: &[[u8; 32]; 2 * CHUNK],
    bases: &[Fe; 2 * CHUNK],
) -> [(Fe, Fe); 2 * CHUNK] {
    let k: [&[u8; 32]; 2 * CHUNK] = core::array::from_fn(|i| &scalars[i]);
    let mut r = [(Fe::ZERO, Fe::ONE); 2 * CHUNK];
    match backend {
        #[cfg(target_arch = "x86_64")]
        Backend::Ifma => {
            if let Some(ifma) = crate::simd::ifma::Ifma::detect() {
                if count <= 4 {
                    let four = ifma.ladder4(
                        [k[0], k[1], k[2], k[3]],
                        &[bases[0], bases[1], bases[2], bases[3]],
                    );
                    r[..4].copy_from_slice(&four);
                } else {
                    r = ifma.ladder8(k, bases);
                }
                return r;
            }
        }
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => {
            if let Some(avx2) = crate::simd::avx2::Avx2::detect() {
                for p in 0..count.div_ceil(2) {
                    let [a, b] =
                        avx2.ladder2([k[2 * p], k[2 * p + 1]], [bases[2 * p], bases[2 * p + 1]]);
                    r[2 * p] = a;
                    r[2 * p + 1] = b;
                }
                return r;
            }
        }
        Backend::PortableLanes => {
            if count <= 4 {
                let four = lanes52::ladder_lanes::<4, _>(
                    lanes52::Portable,
                    [k[0], k[1], k[2], k[3]],
                    &[bases[0], bases[1], bases[2], bases[3]],
                );
                r[..4].copy_from_slice(&four);
            } else {
                r = lanes52::ladder_lanes::<8, _>(lanes52::Portable, k, bases);
            }
            return r;
        }
        _ => {}
    }
    // Portable (and the fallback should a vector backend be asked for on a CPU without it,
    // which the public entry points rule out).
    for p in 0..count.div_ceil(2) {
        let [a, b] =
            ladder::ladder_pair([k[2 * p], k[2 * p + 1]], [bases[2 * p], bases[2 * p + 1]]);
        r[2 * p] = a;
        r[2 * p + 1] = b;
    }
    r
}

/// Inverts the first `count` elements of `zs` in place with one field inversion
/// (Montgomery's trick), zeros mapping to zero without disturbing the others, by masks
/// (the rule of `field51::batch_invert`, for a length known only at run time).
fn batch_invert_prefix<const M: usize>(zs: &mut [Fe; M], count: usize) {
    let count = count.min(M);
    let mut zero_masks = [0u64; M];
    for (mask, z) in zero_masks.iter_mut().zip(zs.iter_mut()).take(count) {
        *mask = z.is_zero_mask();
        // z = mask ? 1 : z
        for (i, limb) in z.0.iter_mut().enumerate() {
            *limb = (*limb & !*mask) | (Fe::ONE.0[i] & *mask);
        }
    }
    // prefix[i] = zs[0] * ... * zs[i-1]
    let mut prefix = [Fe::ONE; M];
    let mut acc = Fe::ONE;
    for (p, z) in prefix.iter_mut().zip(zs.iter()).take(count) {
        *p = acc;
        acc = acc.mul(z);
    }
    let mut inv = acc.invert();
    for i in (0..count).rev() {
        let r = inv.mul(&prefix[i]);
        inv = inv.mul(&zs[i]);
        zs[i] = Fe(r.0.map(|l| l & !zero_masks[i]));
    }
}
