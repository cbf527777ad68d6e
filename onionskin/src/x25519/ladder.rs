//! Portable Montgomery ladders (RFC 7748 section 5), run in lockstep for `N` independent
//! scalar multiplications so that the out-of-order core always has independent work.

// Limb and lane indices are compile-time bounded (`j < N`, `i < 32`).
#![allow(clippy::indexing_slicing)]

use super::field51::Fe;

/// (A + 2) / 4 for Curve25519, written so that `z2 = E * (BB + A24P1 * E)` (RFC 7748 uses
/// `AA + 121665 * E`; AA = BB + E, so the two agree).
const A24_PLUS_ONE: u64 = 121_666;

/// Bit `i` of a clamped scalar as 0 or 1 (public index, secret value).
#[inline(always)]
pub(super) fn bit(k: &[u8; 32], i: usize) -> u64 {
    u64::from((k[i >> 3] >> (i & 7)) & 1)
}

/// x-only doubling, in place on (x, z).
#[inline(always)]
fn double(x: &mut Fe, z: &mut Fe) {
    let a = x.add(z);
    let b = x.sub(z);
    let aa = a.square();
    let bb = b.square();
    let e = aa.sub(&bb);
    *x = aa.mul(&bb);
    *z = e.mul(&bb.add(&e.mul_small(A24_PLUS_ONE)));
}

/// Runs `N` ladders, ladder `j` computing `scalars[j] * u(bases[j])`, and returns each result
/// as a projective pair (X, Z). Scalars must already be clamped (bit 254 set, bits 0..3
/// clear), which the last three doublings rely on.
#[inline(always)]
pub(super) fn ladder<const N: usize>(scalars: [&[u8; 32]; N], bases: [Fe; N]) -> [(Fe, Fe); N] {
    let mut x2 = [Fe::ONE; N];
    let mut z2 = [Fe::ZERO; N];
    let mut x3 = bases;
    let mut z3 = [Fe::ONE; N];
    let mut swap = [0u64; N];
    for t in (3..=254).rev() {
        for j in 0..N {
            let b = bit(scalars[j], t);
            let mask = 0u64.wrapping_sub(swap[j] ^ b);
            Fe::cswap(&mut x2[j], &mut x3[j], mask);
            Fe::cswap(&mut z2[j], &mut z3[j], mask);
            swap[j] = b;
        }
        // One ladder step per lane; each line below is written once for all lanes so that
        // the N independent dependency chains sit next to each other in the instruction stream.
        let a: [Fe; N] = core::array::from_fn(|j| x2[j].add(&z2[j]));
        let b: [Fe; N] = core::array::from_fn(|j| x2[j].sub(&z2[j]));
        let c: [Fe; N] = core::array::from_fn(|j| x3[j].add(&z3[j]));
        let d: [Fe; N] = core::array::from_fn(|j| x3[j].sub(&z3[j]));
        let aa: [Fe; N] = core::array::from_fn(|j| a[j].square());
        let bb: [Fe; N] = core::array::from_fn(|j| b[j].square());
        let da: [Fe; N] = core::array::from_fn(|j| d[j].mul(&a[j]));
        let cb: [Fe; N] = core::array::from_fn(|j| c[j].mul(&b[j]));
        let e: [Fe; N] = core::array::from_fn(|j| aa[j].sub(&bb[j]));
        for j in 0..N {
            x3[j] = da[j].add(&cb[j]).square();
            z3[j] = bases[j].mul(&da[j].sub(&cb[j]).square());
            x2[j] = aa[j].mul(&bb[j]);
            z2[j] = e[j].mul(&bb[j].add(&e[j].mul_small(A24_PLUS_ONE)));
        }
    }
    for j in 0..N {
        let mask = 0u64.wrapping_sub(swap[j]);
        Fe::cswap(&mut x2[j], &mut x3[j], mask);
        Fe::cswap(&mut z2[j], &mut z3[j], mask);
    }
    // Bits 2, 1, 0 of a clamped scalar are zero: three plain doublings.
    for _ in 0..3 {
        for j in 0..N {
            double(&mut x2[j], &mut z2[j]);
        }
    }
    core::array::from_fn(|j| (x2[j], z2[j]))
}

/// Two ladders, one after the other. Interleaving them (`ladder::<2>`) was measured slower
/// (about 10 %) than this: the two chains' temporaries no longer fit the 16 registers.
pub(super) fn ladder_pair(scalars: [&[u8; 32]; 2], bases: [Fe; 2]) -> [(Fe, Fe); 2] {
    let [a] = ladder([scalars[0]], [bases[0]]);
    let [b] = ladder([scalars[1]], [bases[1]]);
    [a, b]
}
