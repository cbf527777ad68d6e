//! The relay's X25519 work for several client keys at once: for each `(y, b, X)`, the triple
//! `(y * 9, y * X, b * X)` of an ntor or ntor-v3 reply (tor-spec 5.1.4, proposal 332).
//!
//! Each handshake needs two Montgomery ladders over its `X`; a batch lays the ladders of
//! several handshakes side by side in the lanes of one vector (AVX-512 IFMA: four ladders in
//! 256-bit or eight in 512-bit vectors, `lanes52`; AVX2: four ladders in 256-bit vectors,
//! `ladder4`), and shares one field inversion among all results of those handshakes
//! (Montgomery's trick). Lanes and handshakes never interact: a lane's swap masks come from
//! its own scalar only, unused lanes run on a fixed dummy scalar, and a zero denominator (a
//! low-order `X`) is masked out of the shared inversion without disturbing the others
//! (`field51::batch_invert`'s rule). So one handshake's result never depends on another's
//! input, and the instruction stream depends only on the batch's length.

// Lane and limb indices are compile-time bounded (chunks of at most `CHUNK` handshakes).
#![allow(clippy::indexing_slicing)]

use super::field51::Fe;
use super::{base, clamp, ladder, ladder4, lanes, lanes52};
use zeroize::Zeroizing;

/// Handshakes per chunk: on the lane backends, sixteen ladders (two 512-bit IFMA calls) and
/// eight fixed-base multiplications (one call); one field inversion per chunk.
const CHUNK: usize = 8;

/// One handshake's X25519 inputs for [`x25519_base_and_pair_batch`]: the relay's ephemeral
/// secret `y`, its onion key secret `b`, and the client's public key `X`.
pub type RelayTriple<'a> = (&'a [u8; 32], &'a [u8; 32], &'a [u8; 32]);

/// Which implementation of the ladders a batch runs on.
///
/// [`Backend::detect`] picks the fastest one the CPU has; the others exist so that tests,
/// fuzzing and the constant-time check can run every implementation the machine offers.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// use onionskin::x25519::Backend;
/// assert!(Backend::Portable.is_available());
/// assert!(Backend::detect().is_available());
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The radix-2^51 scalar code, one handshake after another (any CPU).
    Portable,
    /// The lane algorithm that IFMA runs, on plain arrays standing in for vectors (any CPU;
    /// slow, for tests and for valgrind, which cannot execute AVX-512).
    PortableLanes,
    /// AVX2: the ladders of two handshakes side by side in four lanes (one ladder per lane,
    /// `vpmuludq` products in radix 2^25.5), the fixed-base `y * 9` in scalar code; a batch
    /// of one runs its two ladders side by side in one vector instead.
    Avx2,
    /// The lane algorithm that AVX2 runs, on plain arrays standing in for vectors (any CPU;
    /// slow, for tests and for the constant-time check, call for call what `Avx2` runs).
    PortableAvx2Lanes,
    /// Up to eight ladders side by side in AVX-512 IFMA lanes, four handshakes per call.
    Ifma,
}

impl Backend {
    /// Every backend, fastest last.
    pub const ALL: [Backend; 5] = [
        Backend::PortableLanes,
        Backend::PortableAvx2Lanes,
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
            Backend::Portable | Backend::PortableLanes | Backend::PortableAvx2Lanes => true,
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
/// # #[cfg(feature = "hazmat")] {
/// use onionskin::x25519::{x25519_base, x25519_base_and_pair, x25519_base_and_pair_batch};
/// let (y, b) = ([1u8; 32], [2u8; 32]);
/// let clients = [x25519_base(&[3u8; 32]), x25519_base(&[4u8; 32])];
/// let inputs = [(&y, &b, &clients[0]), (&y, &b, &clients[1])];
/// let mut out = [([0u8; 32], [0u8; 32], [0u8; 32]); 2];
/// assert_eq!(x25519_base_and_pair_batch(&inputs, &mut out), 2);
/// assert_eq!(out[1], x25519_base_and_pair(&y, &b, &clients[1]));
/// # }
/// ```
pub fn x25519_base_and_pair_batch(
    inputs: &[RelayTriple<'_>],
    out: &mut [([u8; 32], [u8; 32], [u8; 32])],
) -> usize {
    // With `reference-backends` every X25519 comes from x25519-dalek, one handshake at a time.
    #[cfg(feature = "reference-backends")]
    {
        let n = inputs.len().min(out.len());
        for (&(y, b, x), o) in inputs.iter().zip(out.iter_mut()) {
            *o = super::x25519_base_and_pair(y, b, x);
        }
        n
    }
    #[cfg(not(feature = "reference-backends"))]
    run_batch(Backend::detect(), inputs, out)
}

/// [`x25519_base_and_pair_batch`] on a chosen backend; `None` if this CPU cannot run it.
///
/// ```
/// # #[cfg(feature = "hazmat")] {
/// use onionskin::x25519::{Backend, x25519_base_and_pair, x25519_base_and_pair_batch_with};
/// let (y, b, x) = ([1u8; 32], [2u8; 32], [9u8; 32]);
/// let mut out = [([0u8; 32], [0u8; 32], [0u8; 32])];
/// for backend in Backend::ALL.into_iter().filter(|b| b.is_available()) {
///     assert_eq!(x25519_base_and_pair_batch_with(backend, &[(&y, &b, &x)], &mut out), Some(1));
///     assert_eq!(out[0], x25519_base_and_pair(&y, &b, &x));
/// }
/// # }
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
    // Entry 3i is y_i over 9, 3i + 1 is y_i over X_i, 3i + 2 is b_i over X_i. The IFMA lane
    // backends run the fixed-base table in lanes too (`lanes52::mul_base_lanes`, one lane per
    // handshake), and the ladders eight to a call (measured on IFMA with radix-2^51 lanes,
    // per handshake in batches of eight: 14.3 µs, against 17.0 µs with `y * 9` as a third
    // ladder); the other backends run the table in scalar code. Unused lanes run on a dummy
    // (clamped all-zero) scalar and u = 0.
    let lanes = matches!(backend, Backend::Ifma | Backend::PortableLanes);
    // AVX2: the ladders of pairs of handshakes four to a call (`ladder4`); an odd handshake
    // out runs its two ladders side by side (`lanes::ladder2`), which costs less than a
    // four-lane call with two idle lanes (measured on an Intel Xeon with AVX2 and AVX-512,
    // per call: ladder2 about 40 us, ladder4 about 75 us).
    let quad = n > 1 && matches!(backend, Backend::Avx2 | Backend::PortableAvx2Lanes);
    let even = n - n % 2;
    let mut scalars = Zeroizing::new([*clamp([0; 32]); 3 * CHUNK]);
    let mut bases = [Fe::ZERO; 3 * CHUNK];
    let mut nine = [0u8; 32];
    nine[0] = 9;
    for (i, (y, b, x)) in inputs.iter().take(n).enumerate() {
        scalars[3 * i] = *clamp(**y);
        scalars[3 * i + 1] = scalars[3 * i];
        scalars[3 * i + 2] = *clamp(**b);
        bases[3 * i] = Fe::from_bytes(&nine);
        bases[3 * i + 1] = Fe::from_bytes(x);
        bases[3 * i + 2] = bases[3 * i + 1];
    }
    let mut fracs = [(Fe::ZERO, Fe::ONE); 3 * CHUNK];
    if lanes && n == 1 {
        // One handshake: its three ladders in one four-lane call (y * 9 by the ladder) cost
        // less than two calls (measured on IFMA with radix-2^51 lanes: 36 against 52 µs per
        // handshake).
        run_lane_ladders(backend, 3, &scalars, &bases, &mut fracs);
    } else if lanes {
        let mut ks = Zeroizing::new([DUMMY; 3 * CHUNK]);
        let mut us = [Fe::ZERO; 3 * CHUNK];
        for i in 0..n {
            ks[2 * i] = scalars[3 * i + 1];
            ks[2 * i + 1] = scalars[3 * i + 2];
            us[2 * i] = bases[3 * i + 1];
            us[2 * i + 1] = bases[3 * i + 2];
        }
        let mut lad = [(Fe::ZERO, Fe::ONE); 3 * CHUNK];
        run_lane_ladders(backend, 2 * n, &ks, &us, &mut lad);
        let ys = run_lane_base(backend, n, &scalars);
        for i in 0..n {
            fracs[3 * i] = ys[i];
            fracs[3 * i + 1] = lad[2 * i];
            fracs[3 * i + 2] = lad[2 * i + 1];
        }
    } else if quad {
        let mut ks = Zeroizing::new([DUMMY; 2 * CHUNK]);
        let mut us = [Fe::ZERO; 2 * CHUNK];
        for i in 0..even {
            ks[2 * i] = scalars[3 * i + 1];
            ks[2 * i + 1] = scalars[3 * i + 2];
            us[2 * i] = bases[3 * i + 1];
            us[2 * i + 1] = bases[3 * i + 2];
        }
        let mut lad = [(Fe::ZERO, Fe::ONE); 2 * CHUNK];
        run_quad_ladders(backend, 2 * even, &ks, &us, &mut lad);
        for i in 0..even {
            fracs[3 * i + 1] = lad[2 * i];
            fracs[3 * i + 2] = lad[2 * i + 1];
        }
        run_pair_ladders(backend, even..n, &scalars, &bases, &mut fracs);
        for i in 0..n {
            fracs[3 * i] = base::mul_base(&scalars[3 * i]);
        }
    } else {
        run_pair_ladders(backend, 0..n, &scalars, &bases, &mut fracs);
        for i in 0..n {
            fracs[3 * i] = base::mul_base(&scalars[3 * i]);
        }
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

/// The first `count` ladders of `scalars`/`bases` (clamped scalars), eight at a time in the
/// lanes of one vector call, with a four-lane call for a remainder of four or fewer; results
/// in `r`. `backend` is `Ifma` (available) or `PortableLanes`, which mirrors it call for call.
fn run_lane_ladders(
    backend: Backend,
    count: usize,
    scalars: &[[u8; 32]; 3 * CHUNK],
    bases: &[Fe; 3 * CHUNK],
    r: &mut [(Fe, Fe); 3 * CHUNK],
) {
    let mut start = 0;
    while start < count {
        let left = count - start;
        // Lanes past `count` run the dummy scalar over u = 0 (`count` is public).
        let pick = |l: usize| match (scalars.get(start + l), bases.get(start + l)) {
            (Some(k), Some(u)) if start + l < count => (k, *u),
            _ => (&DUMMY, Fe::ZERO),
        };
        let width = if left <= 4 { 4 } else { 8 };
        let mut got = [(Fe::ZERO, Fe::ONE); 8];
        if width == 4 {
            let (ks, us) = (
                [pick(0).0, pick(1).0, pick(2).0, pick(3).0],
                [pick(0).1, pick(1).1, pick(2).1, pick(3).1],
            );
            let four = match backend {
                #[cfg(target_arch = "x86_64")]
                Backend::Ifma => match crate::simd::ifma::Ifma::detect() {
                    Some(ifma) => ifma.ladder4(ks, &us),
                    None => lanes52::ladder_lanes::<4, _>(lanes52::Portable, ks, &us),
                },
                _ => lanes52::ladder_lanes::<4, _>(lanes52::Portable, ks, &us),
            };
            got[..4].copy_from_slice(&four);
        } else {
            let ks = [
                pick(0).0,
                pick(1).0,
                pick(2).0,
                pick(3).0,
                pick(4).0,
                pick(5).0,
                pick(6).0,
                pick(7).0,
            ];
            let us = [
                pick(0).1,
                pick(1).1,
                pick(2).1,
                pick(3).1,
                pick(4).1,
                pick(5).1,
                pick(6).1,
                pick(7).1,
            ];
            got = match backend {
                #[cfg(target_arch = "x86_64")]
                Backend::Ifma => match crate::simd::ifma::Ifma::detect() {
                    Some(ifma) => ifma.ladder8(ks, &us),
                    None => lanes52::ladder_lanes::<8, _>(lanes52::Portable, ks, &us),
                },
                _ => lanes52::ladder_lanes::<8, _>(lanes52::Portable, ks, &us),
            };
        }
        for (dst, src) in r.iter_mut().skip(start).zip(&got[..width.min(left)]) {
            *dst = *src;
        }
        start += width;
    }
}

/// `y_i * 9` for the scalars at `3i` (clamped), `i < n`, in one call of four or eight lanes;
/// `backend` is `Ifma` (available) or `PortableLanes`, which mirrors it call for call.
fn run_lane_base(backend: Backend, n: usize, scalars: &[[u8; 32]; 3 * CHUNK]) -> [(Fe, Fe); CHUNK] {
    let k = |i: usize| if i < n { &scalars[3 * i] } else { &DUMMY };
    let mut r = [(Fe::ZERO, Fe::ONE); CHUNK];
    if n <= 4 {
        let ks = [k(0), k(1), k(2), k(3)];
        let four = match backend {
            #[cfg(target_arch = "x86_64")]
            Backend::Ifma => match crate::simd::ifma::Ifma::detect() {
                Some(ifma) => ifma.mul_base4(ks),
                None => lanes52::mul_base_lanes::<4, _>(lanes52::Portable, ks),
            },
            _ => lanes52::mul_base_lanes::<4, _>(lanes52::Portable, ks),
        };
        r[..4].copy_from_slice(&four);
    } else {
        let ks = [k(0), k(1), k(2), k(3), k(4), k(5), k(6), k(7)];
        r = match backend {
            #[cfg(target_arch = "x86_64")]
            Backend::Ifma => match crate::simd::ifma::Ifma::detect() {
                Some(ifma) => ifma.mul_base8(ks),
                None => lanes52::mul_base_lanes::<8, _>(lanes52::Portable, ks),
            },
            _ => lanes52::mul_base_lanes::<8, _>(lanes52::Portable, ks),
        };
    }
    r
}

/// The first `count` ladders of `scalars`/`bases` (clamped scalars), four at a time in the
/// lanes of one 256-bit vector (`ladder4`); results in `r`. `backend` is `Avx2` (available)
/// or `PortableAvx2Lanes`, which mirrors it call for call.
fn run_quad_ladders(
    backend: Backend,
    count: usize,
    scalars: &[[u8; 32]; 2 * CHUNK],
    bases: &[Fe; 2 * CHUNK],
    r: &mut [(Fe, Fe); 2 * CHUNK],
) {
    #[cfg(target_arch = "x86_64")]
    let avx2 = match backend {
        Backend::Avx2 => crate::simd::avx2::Avx2::detect(),
        _ => None,
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = backend;
    for start in (0..count.min(2 * CHUNK)).step_by(4) {
        // Lanes past `count` run the dummy scalar over u = 0 (`count` is public).
        let pick = |l: usize| {
            if start + l < count {
                (&scalars[start + l], bases[start + l])
            } else {
                (&DUMMY, Fe::ZERO)
            }
        };
        let (p0, p1, p2, p3) = (pick(0), pick(1), pick(2), pick(3));
        let (ks, us) = ([p0.0, p1.0, p2.0, p3.0], [p0.1, p1.1, p2.1, p3.1]);
        #[cfg(target_arch = "x86_64")]
        let four = match avx2 {
            Some(avx2) => avx2.ladder4(ks, &us),
            None => ladder4::ladder4(lanes::Portable, ks, &us),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let four = ladder4::ladder4(lanes::Portable, ks, &us);
        for (dst, src) in r
            .iter_mut()
            .skip(start)
            .zip(&four[..(count - start).min(4)])
        {
            *dst = *src;
        }
    }
}

/// The clamped all-zero scalar that unused lanes run.
const DUMMY: [u8; 32] = {
    let mut k = [0u8; 32];
    k[31] = 64;
    k
};

/// Ladders `3i + 1` and `3i + 2` for each handshake `i` of `hs`, two side by side per call (AVX2,
/// or its portable lanes) or one after another (portable); results in `r`.
fn run_pair_ladders(
    backend: Backend,
    hs: core::ops::Range<usize>,
    scalars: &[[u8; 32]; 3 * CHUNK],
    bases: &[Fe; 3 * CHUNK],
    r: &mut [(Fe, Fe); 3 * CHUNK],
) {
    #[cfg(target_arch = "x86_64")]
    let avx2 = match backend {
        Backend::Avx2 => crate::simd::avx2::Avx2::detect(),
        _ => None,
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = backend;
    for i in hs.start..hs.end.min(CHUNK) {
        let (a, b) = (3 * i + 1, 3 * i + 2);
        let ks = [&scalars[a], &scalars[b]];
        let us = [bases[a], bases[b]];
        #[cfg(target_arch = "x86_64")]
        let pair = match (avx2, backend) {
            (Some(avx2), _) => avx2.ladder2(ks, us),
            (None, Backend::PortableAvx2Lanes) => lanes::ladder2(lanes::Portable, ks, us),
            (None, _) => ladder::ladder_pair(ks, us),
        };
        #[cfg(not(target_arch = "x86_64"))]
        let pair = match backend {
            Backend::PortableAvx2Lanes => lanes::ladder2(lanes::Portable, ks, us),
            _ => ladder::ladder_pair(ks, us),
        };
        r[a] = pair[0];
        r[b] = pair[1];
    }
}

/// Inverts the first `count` elements of `zs` in place with one field inversion
/// (Montgomery's trick), zeros mapping to zero without disturbing the others, by masks
/// (the rule of `field51::batch_invert`, for a length known only at run time).
fn batch_invert_prefix<const M: usize>(zs: &mut [Fe; M], count: usize) {
    let count = count.min(M);
    let mut zero_masks = [0u64; M];
    for (mask, z) in zero_masks.iter_mut().zip(zs.iter_mut()).take(count) {
        // Through `black_box`: LLVM knows the mask is 0 or all ones and otherwise compiles
        // the selects below into a branch on it (found by `examples/ct_check.rs`).
        *mask = core::hint::black_box(z.is_zero_mask());
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
