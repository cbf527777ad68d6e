//! Two Montgomery ladders in four 64-bit lanes, radix 2^25.5 (ten 26/25-bit limbs).
//!
//! Lanes hold `[P0, Q0, P1, Q1]`: two projective coordinates of a point of ladder 0, then of
//! ladder 1, so each 4-lane multiplication does two field multiplications for each ladder. One
//! ladder step is then two 4-lane squarings, two 4-lane multiplications and one 4-lane
//! multiplication by the base, where a plain ladder does nine field multiplications per ladder,
//! one after another.
//!
//! The code is generic over [`Lanes`], the handful of 4 x 64-bit operations it needs:
//! `crate::simd::avx2` implements them with AVX2 instructions (one instruction each), and
//! `Portable` (test builds) with plain arrays, so the lane algorithm is tested on every machine.
//!
//! Limb bounds. Limb i has weight 2^ceil(25.5 i). A *reduced* element (output of `mul`,
//! `square`, `mul_small`, or of the conversion from radix 2^51) has even limbs below 2^26 and
//! odd limbs below 2^25 + 2^18. `add` of two reduced elements and `sub` (which adds 2p first)
//! give limbs below 2^27.6; `mul`/`square` accept limbs below 2^27.75, so that 19 times a limb
//! still fits the 32-bit multiplier input, and each 64-bit column sum stays below 2^63.

// Limb indices are compile-time constants into fixed-size arrays.
#![allow(clippy::indexing_slicing)]
// Off x86-64 only the portable lanes run, and only `ladder4`: `ladder2` serves the AVX2 lanes.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

use super::field51::Fe;

/// `[e(0), e(1), ..., e(9)]` written out: `core::array::{map, from_fn}` are not always inlined,
/// and a non-inlined closure around an AVX2 intrinsic becomes a function call per instruction.
macro_rules! limbs {
    (|$i:ident| $e:expr) => {
        [
            {
                let $i = 0;
                $e
            },
            {
                let $i = 1;
                $e
            },
            {
                let $i = 2;
                $e
            },
            {
                let $i = 3;
                $e
            },
            {
                let $i = 4;
                $e
            },
            {
                let $i = 5;
                $e
            },
            {
                let $i = 6;
                $e
            },
            {
                let $i = 7;
                $e
            },
            {
                let $i = 8;
                $e
            },
            {
                let $i = 9;
                $e
            },
        ]
    };
}

/// Operations on four 64-bit lanes. Implementations must compute exactly what `Portable`
/// computes; the value `self` is a capability (for AVX2: proof that the CPU has it).
pub(crate) trait Lanes: Copy {
    /// Four 64-bit lanes.
    type V: Copy;
    fn load(self, x: [u64; 4]) -> Self::V;
    fn store(self, v: Self::V) -> [u64; 4];
    fn splat(self, x: u64) -> Self::V;
    /// Lane-wise wrapping sum.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise wrapping difference.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    /// Low 32 bits of `a` times low 32 bits of `b`, as a 64-bit product, per lane.
    fn mul32(self, a: Self::V, b: Self::V) -> Self::V;
    /// Logical right shift by 25 or 26.
    fn shr25(self, a: Self::V) -> Self::V;
    fn shr26(self, a: Self::V) -> Self::V;
    /// Left shift by 1 and by 4.
    fn shl1(self, a: Self::V) -> Self::V;
    fn shl4(self, a: Self::V) -> Self::V;
    fn and(self, a: Self::V, b: Self::V) -> Self::V;
    fn xor(self, a: Self::V, b: Self::V) -> Self::V;
    /// `[a1, a0, a3, a2]`: swaps the two coordinates within each ladder.
    fn swap_pairs(self, a: Self::V) -> Self::V;
    /// `[a0, b1, a2, b3]`.
    fn blend_odd(self, a: Self::V, b: Self::V) -> Self::V;
    /// `[a1, a1, a3, a3]`.
    fn dup_odd(self, a: Self::V) -> Self::V;
}

/// The reference [`Lanes`] on plain arrays (any CPU): for tests, for the constant-time check
/// under valgrind (`batch`'s `PortableAvx2Lanes` backend runs `ladder4` on it), and as the
/// definition the AVX2 lanes must match.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

impl Lanes for Portable {
    type V = [u64; 4];
    #[inline(always)]
    fn load(self, x: [u64; 4]) -> [u64; 4] {
        x
    }
    #[inline(always)]
    fn store(self, v: [u64; 4]) -> [u64; 4] {
        v
    }
    #[inline(always)]
    fn splat(self, x: u64) -> [u64; 4] {
        [x; 4]
    }
    #[inline(always)]
    fn add(self, a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
        core::array::from_fn(|l| a[l].wrapping_add(b[l]))
    }
    #[inline(always)]
    fn sub(self, a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
        core::array::from_fn(|l| a[l].wrapping_sub(b[l]))
    }
    #[inline(always)]
    #[allow(clippy::cast_possible_truncation)] // keeping the low 32 bits is the operation
    fn mul32(self, a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
        core::array::from_fn(|l| u64::from(a[l] as u32) * u64::from(b[l] as u32))
    }
    #[inline(always)]
    fn shr25(self, a: [u64; 4]) -> [u64; 4] {
        a.map(|x| x >> 25)
    }
    #[inline(always)]
    fn shr26(self, a: [u64; 4]) -> [u64; 4] {
        a.map(|x| x >> 26)
    }
    #[inline(always)]
    fn shl1(self, a: [u64; 4]) -> [u64; 4] {
        a.map(|x| x << 1)
    }
    #[inline(always)]
    fn shl4(self, a: [u64; 4]) -> [u64; 4] {
        a.map(|x| x << 4)
    }
    #[inline(always)]
    fn and(self, a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
        core::array::from_fn(|l| a[l] & b[l])
    }
    #[inline(always)]
    fn xor(self, a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
        core::array::from_fn(|l| a[l] ^ b[l])
    }
    #[inline(always)]
    fn swap_pairs(self, a: [u64; 4]) -> [u64; 4] {
        [a[1], a[0], a[3], a[2]]
    }
    #[inline(always)]
    fn blend_odd(self, a: [u64; 4], b: [u64; 4]) -> [u64; 4] {
        [a[0], b[1], a[2], b[3]]
    }
    #[inline(always)]
    fn dup_odd(self, a: [u64; 4]) -> [u64; 4] {
        [a[1], a[1], a[3], a[3]]
    }
}

/// 2p in radix 2^25.5, the bias `sub` adds so that no limb goes negative.
const TWO_P: [u64; 10] = [
    2 * ((1 << 26) - 19),
    2 * ((1 << 25) - 1),
    2 * ((1 << 26) - 1),
    2 * ((1 << 25) - 1),
    2 * ((1 << 26) - 1),
    2 * ((1 << 25) - 1),
    2 * ((1 << 26) - 1),
    2 * ((1 << 25) - 1),
    2 * ((1 << 26) - 1),
    2 * ((1 << 25) - 1),
];

/// (A + 2) / 4 + 1 for Curve25519; see `ladder::A24_PLUS_ONE`.
const A24_PLUS_ONE: u64 = 121_666;

/// Four field elements, one per lane.
#[derive(Clone, Copy)]
pub(super) struct Fe4<L: Lanes>([L::V; 10]);

/// A multiplier with its 19-fold limbs precomputed.
#[derive(Clone, Copy)]
pub(super) struct Fe4Mul<L: Lanes> {
    g: [L::V; 10],
    g19: [L::V; 10],
}

impl<L: Lanes> Fe4Mul<L> {
    #[inline(always)]
    pub(super) fn new(s: L, g: &Fe4<L>) -> Self {
        let nineteen = s.splat(19);
        Fe4Mul {
            g: g.0,
            g19: limbs!(|i| s.mul32(g.0[i], nineteen)),
        }
    }
}

impl<L: Lanes> Fe4<L> {
    /// Lanes `[a, b, c, d]` from radix-2^51 elements (reduced in, reduced out).
    #[inline(always)]
    pub(super) fn from_fe(s: L, lanes: [&Fe; 4]) -> Self {
        let limb = |l: usize, i: usize| {
            let w = lanes[l].0[i / 2];
            if i.is_multiple_of(2) {
                w & ((1 << 26) - 1)
            } else {
                w >> 26
            }
        };
        Fe4(limbs!(|i| s.load([
            limb(0, i),
            limb(1, i),
            limb(2, i),
            limb(3, i)
        ])))
    }

    /// All four lanes as radix-2^51 elements (limbs below 2^51 + 2^44 for a reduced input).
    #[inline(always)]
    pub(super) fn to_fe(self, s: L) -> [Fe; 4] {
        let w: [[u64; 4]; 10] = limbs!(|i| s.store(self.0[i]));
        let lane = |l: usize| Fe([0, 1, 2, 3, 4].map(|i| w[2 * i][l] + (w[2 * i + 1][l] << 26)));
        [lane(0), lane(1), lane(2), lane(3)]
    }

    /// Swaps lanes of `a` and `b` where `mask` is all ones.
    #[inline(always)]
    pub(super) fn cswap(s: L, a: &mut Self, b: &mut Self, mask: L::V) {
        for (x, y) in a.0.iter_mut().zip(b.0.iter_mut()) {
            let t = s.and(s.xor(*x, *y), mask);
            *x = s.xor(*x, t);
            *y = s.xor(*y, t);
        }
    }

    /// Per ladder, `[p + q, q - p]` from `[p, q]` (the difference has the opposite sign of
    /// RFC 7748's `x - z`; `ladder2` shows why that never matters).
    #[inline(always)]
    fn hadamard(&self, s: L) -> Self {
        Fe4(limbs!(|i| {
            let p = self.0[i];
            let q = s.swap_pairs(p);
            s.blend_odd(s.add(p, q), s.sub(s.add(q, s.splat(TWO_P[i])), p))
        }))
    }

    /// Lane-wise sum.
    #[inline(always)]
    pub(super) fn add(&self, s: L, o: &Self) -> Self {
        Fe4(limbs!(|i| s.add(self.0[i], o.0[i])))
    }

    /// Lane-wise difference `self + 2p - o` (limbs of two reduced elements in, limbs below
    /// 2^27.6 out, never negative: 2p's limbs exceed every reduced limb).
    #[inline(always)]
    pub(super) fn sub(&self, s: L, o: &Self) -> Self {
        Fe4(limbs!(
            |i| s.sub(s.add(self.0[i], s.splat(TWO_P[i])), o.0[i])
        ))
    }

    /// Carries 64-bit column sums down to a reduced element (two interleaved carry chains).
    #[inline(always)]
    fn carry(s: L, h: [L::V; 10]) -> Self {
        let m26 = s.splat((1 << 26) - 1);
        let m25 = s.splat((1 << 25) - 1);
        let [
            mut h0,
            mut h1,
            mut h2,
            mut h3,
            mut h4,
            mut h5,
            mut h6,
            mut h7,
            mut h8,
            mut h9,
        ] = h;
        macro_rules! carry {
            ($from:ident, $to:ident, $shr:ident, $mask:ident) => {
                $to = s.add($to, s.$shr($from));
                $from = s.and($from, $mask);
            };
        }
        carry!(h0, h1, shr26, m26);
        carry!(h4, h5, shr26, m26);
        carry!(h1, h2, shr25, m25);
        carry!(h5, h6, shr25, m25);
        carry!(h2, h3, shr26, m26);
        carry!(h6, h7, shr26, m26);
        carry!(h3, h4, shr25, m25);
        carry!(h7, h8, shr25, m25);
        carry!(h4, h5, shr26, m26);
        carry!(h8, h9, shr26, m26);
        // Limb 10 has weight 2^255 = 19 (mod p). The carry is below 2^39, too wide for the
        // 32-bit multiplier, so 19 c = c + 2c + 16c.
        let c = s.shr25(h9);
        h9 = s.and(h9, m25);
        h0 = s.add(h0, s.add(s.add(c, s.shl1(c)), s.shl4(c)));
        carry!(h0, h1, shr26, m26);
        Fe4([h0, h1, h2, h3, h4, h5, h6, h7, h8, h9])
    }

    /// Lane-wise product.
    #[inline(always)]
    pub(super) fn mul(&self, s: L, g: &Self) -> Self {
        Self::mul_pre(s, self, &Fe4Mul::new(s, g))
    }

    /// Lane-wise product with a multiplier whose multiples are precomputed. Schoolbook,
    /// written out so that the 100 limb products are independent instructions; column k sums
    /// f_i g_j over i + j = k, and over i + j = k + 10 times 19 (2^255 = 19 mod p), doubled
    /// when i and j are both odd (their weights then add up to one bit more than k's).
    #[inline(always)]
    #[rustfmt::skip]
    pub(super) fn mul_pre(s: L, f: &Self, g: &Fe4Mul<L>) -> Self {
        let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = f.0;
        let [g0, g1, g2, g3, g4, g5, g6, g7, g8, g9] = g.g;
        let [_, h1, h2, h3, h4, h5, h6, h7, h8, h9] = g.g19;
        let (d1, d3, d5, d7, d9) = (s.add(f1, f1), s.add(f3, f3), s.add(f5, f5), s.add(f7, f7), s.add(f9, f9));
        Fe4::carry(s, [
            s.add(s.add(s.add(s.mul32(f0, g0), s.mul32(d1, h9)), s.add(s.mul32(f2, h8), s.add(s.mul32(d3, h7), s.mul32(f4, h6)))), s.add(s.add(s.mul32(d5, h5), s.mul32(f6, h4)), s.add(s.mul32(d7, h3), s.add(s.mul32(f8, h2), s.mul32(d9, h1))))),
            s.add(s.add(s.add(s.mul32(f0, g1), s.mul32(f1, g0)), s.add(s.mul32(f2, h9), s.add(s.mul32(f3, h8), s.mul32(f4, h7)))), s.add(s.add(s.mul32(f5, h6), s.mul32(f6, h5)), s.add(s.mul32(f7, h4), s.add(s.mul32(f8, h3), s.mul32(f9, h2))))),
            s.add(s.add(s.add(s.mul32(f0, g2), s.mul32(d1, g1)), s.add(s.mul32(f2, g0), s.add(s.mul32(d3, h9), s.mul32(f4, h8)))), s.add(s.add(s.mul32(d5, h7), s.mul32(f6, h6)), s.add(s.mul32(d7, h5), s.add(s.mul32(f8, h4), s.mul32(d9, h3))))),
            s.add(s.add(s.add(s.mul32(f0, g3), s.mul32(f1, g2)), s.add(s.mul32(f2, g1), s.add(s.mul32(f3, g0), s.mul32(f4, h9)))), s.add(s.add(s.mul32(f5, h8), s.mul32(f6, h7)), s.add(s.mul32(f7, h6), s.add(s.mul32(f8, h5), s.mul32(f9, h4))))),
            s.add(s.add(s.add(s.mul32(f0, g4), s.mul32(d1, g3)), s.add(s.mul32(f2, g2), s.add(s.mul32(d3, g1), s.mul32(f4, g0)))), s.add(s.add(s.mul32(d5, h9), s.mul32(f6, h8)), s.add(s.mul32(d7, h7), s.add(s.mul32(f8, h6), s.mul32(d9, h5))))),
            s.add(s.add(s.add(s.mul32(f0, g5), s.mul32(f1, g4)), s.add(s.mul32(f2, g3), s.add(s.mul32(f3, g2), s.mul32(f4, g1)))), s.add(s.add(s.mul32(f5, g0), s.mul32(f6, h9)), s.add(s.mul32(f7, h8), s.add(s.mul32(f8, h7), s.mul32(f9, h6))))),
            s.add(s.add(s.add(s.mul32(f0, g6), s.mul32(d1, g5)), s.add(s.mul32(f2, g4), s.add(s.mul32(d3, g3), s.mul32(f4, g2)))), s.add(s.add(s.mul32(d5, g1), s.mul32(f6, g0)), s.add(s.mul32(d7, h9), s.add(s.mul32(f8, h8), s.mul32(d9, h7))))),
            s.add(s.add(s.add(s.mul32(f0, g7), s.mul32(f1, g6)), s.add(s.mul32(f2, g5), s.add(s.mul32(f3, g4), s.mul32(f4, g3)))), s.add(s.add(s.mul32(f5, g2), s.mul32(f6, g1)), s.add(s.mul32(f7, g0), s.add(s.mul32(f8, h9), s.mul32(f9, h8))))),
            s.add(s.add(s.add(s.mul32(f0, g8), s.mul32(d1, g7)), s.add(s.mul32(f2, g6), s.add(s.mul32(d3, g5), s.mul32(f4, g4)))), s.add(s.add(s.mul32(d5, g3), s.mul32(f6, g2)), s.add(s.mul32(d7, g1), s.add(s.mul32(f8, g0), s.mul32(d9, h9))))),
            s.add(s.add(s.add(s.mul32(f0, g9), s.mul32(f1, g8)), s.add(s.mul32(f2, g7), s.add(s.mul32(f3, g6), s.mul32(f4, g5)))), s.add(s.add(s.mul32(f5, g4), s.mul32(f6, g3)), s.add(s.mul32(f7, g2), s.add(s.mul32(f8, g1), s.mul32(f9, g0))))),
        ])    }

    /// Lane-wise product with small per-lane constants (each below 2^17).
    #[inline(always)]
    pub(super) fn mul_small(&self, s: L, k: L::V) -> Self {
        Fe4::carry(s, limbs!(|i| s.mul32(self.0[i], k)))
    }

    /// Per ladder, `[AA, BB] -> [AA BB, E (BB + 121666 E)]` with E = AA - BB: the doubling half
    /// of a ladder step, given the squares of x + z and x - z.
    #[inline(always)]
    fn finish_double(&self, s: L) -> Self {
        // u = [AA, E], v = [BB, BB + 121666 E]
        let u = Fe4(limbs!(|i| {
            let m = self.0[i];
            s.blend_odd(m, s.sub(s.add(s.swap_pairs(m), s.splat(TWO_P[i])), m))
        }));
        let k = s.load([0, A24_PLUS_ONE, 0, A24_PLUS_ONE]);
        let bb = Fe4(limbs!(|i| s.dup_odd(self.0[i])));
        u.mul(s, &bb.add(s, &u.mul_small(s, k)))
    }
}

/// Lane-wise square (a separate function only for the macro-free layout of `mul_pre`).
#[inline(always)]
#[rustfmt::skip]
pub(super) fn square<L: Lanes>(s: L, x: &Fe4<L>) -> Fe4<L> {
        let [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9] = x.0;
        let d = limbs!(|i| s.add(x.0[i], x.0[i]));
        let [d0, d1, d2, d3, d4, d5, d6, d7, d8, d9] = d;
        let (q1, q3, q5, q7) = (s.add(d1, d1), s.add(d3, d3), s.add(d5, d5), s.add(d7, d7));
        let nineteen = s.splat(19);
        let (n5, n6, n7, n8, n9) = (s.mul32(f5, nineteen), s.mul32(f6, nineteen), s.mul32(f7, nineteen), s.mul32(f8, nineteen), s.mul32(f9, nineteen));
        Fe4::carry(s, [
            s.add(s.add(s.mul32(f0, f0), s.add(s.mul32(q1, n9), s.mul32(d2, n8))), s.add(s.mul32(q3, n7), s.add(s.mul32(d4, n6), s.mul32(d5, n5)))),
            s.add(s.add(s.mul32(d0, f1), s.mul32(d2, n9)), s.add(s.mul32(d3, n8), s.add(s.mul32(d4, n7), s.mul32(d5, n6)))),
            s.add(s.add(s.mul32(d0, f2), s.add(s.mul32(d1, f1), s.mul32(q3, n9))), s.add(s.mul32(d4, n8), s.add(s.mul32(q5, n7), s.mul32(f6, n6)))),
            s.add(s.add(s.mul32(d0, f3), s.mul32(d1, f2)), s.add(s.mul32(d4, n9), s.add(s.mul32(d5, n8), s.mul32(d6, n7)))),
            s.add(s.add(s.mul32(d0, f4), s.add(s.mul32(q1, f3), s.mul32(f2, f2))), s.add(s.mul32(q5, n9), s.add(s.mul32(d6, n8), s.mul32(d7, n7)))),
            s.add(s.add(s.mul32(d0, f5), s.mul32(d1, f4)), s.add(s.mul32(d2, f3), s.add(s.mul32(d6, n9), s.mul32(d7, n8)))),
            s.add(s.add(s.mul32(d0, f6), s.add(s.mul32(q1, f5), s.mul32(d2, f4))), s.add(s.mul32(d3, f3), s.add(s.mul32(q7, n9), s.mul32(f8, n8)))),
            s.add(s.add(s.mul32(d0, f7), s.mul32(d1, f6)), s.add(s.mul32(d2, f5), s.add(s.mul32(d3, f4), s.mul32(d8, n9)))),
            s.add(s.add(s.mul32(d0, f8), s.add(s.mul32(q1, f7), s.mul32(d2, f6))), s.add(s.mul32(q3, f5), s.add(s.mul32(f4, f4), s.mul32(d9, n9)))),
            s.add(s.add(s.mul32(d0, f9), s.mul32(d1, f8)), s.add(s.mul32(d2, f7), s.add(s.mul32(d3, f6), s.mul32(d4, f5)))),
        ])}

/// Runs two ladders in lockstep: ladder `j` computes `scalars[j] * bases[j]` and its result is
/// returned as projective `(X, Z)`. Scalars must be clamped (bit 254 set, bits 0..3 clear).
#[inline(always)]
pub(crate) fn ladder2<L: Lanes>(s: L, scalars: [&[u8; 32]; 2], bases: [Fe; 2]) -> [(Fe, Fe); 2] {
    let (one, zero) = (Fe::ONE, Fe::ZERO);
    // P = [x2, z2] = [1, 0] and Q = [x3, z3] = [u, 1], for each ladder.
    let mut p = Fe4::from_fe(s, [&one, &zero, &one, &zero]);
    let mut q = Fe4::from_fe(s, [&bases[0], &one, &bases[1], &one]);
    // x3 = 1 * (DA + CB)^2 and z3 = u * (DA - CB)^2 become one 4-lane product.
    let x1 = Fe4Mul::new(s, &Fe4::from_fe(s, [&one, &bases[0], &one, &bases[1]]));
    let mut swap = [0u64; 2];
    for t in (3..=254).rev() {
        let b = [
            super::ladder::bit(scalars[0], t),
            super::ladder::bit(scalars[1], t),
        ];
        let m = [
            0u64.wrapping_sub(swap[0] ^ b[0]),
            0u64.wrapping_sub(swap[1] ^ b[1]),
        ];
        Fe4::cswap(s, &mut p, &mut q, s.load([m[0], m[0], m[1], m[1]]));
        swap = b;

        // RFC 7748's step with B' = -B and D' = -D: the hadamards give z - x rather than
        // x - z. Then C B' = -CB and D' A = -DA, so the second hadamard gives -(DA + CB) and
        // CB - DA, and both are squared: the signs never reach a result.
        let ab = p.hadamard(s); // [A, B']
        let cd = q.hadamard(s); // [C, D']
        let m1 = square(s, &ab); // [AA, BB]
        let m2 = cd.mul(s, &Fe4(limbs!(|i| s.swap_pairs(ab.0[i])))); // [C B', D' A]
        let t2 = square(s, &m2.hadamard(s)); // [(DA + CB)^2, (DA - CB)^2]
        p = m1.finish_double(s); // [AA BB, E (BB + 121666 E)]
        q = Fe4::mul_pre(s, &t2, &x1); // [(DA + CB)^2, u (DA - CB)^2]
    }
    let m = [0u64.wrapping_sub(swap[0]), 0u64.wrapping_sub(swap[1])];
    Fe4::cswap(s, &mut p, &mut q, s.load([m[0], m[0], m[1], m[1]]));
    // Bits 2, 1, 0 of a clamped scalar are zero: three plain doublings.
    for _ in 0..3 {
        p = square(s, &p.hadamard(s)).finish_double(s);
    }
    let [x0, z0, x1, z1] = p.to_fe(s);
    [(x0, z0), (x1, z1)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(b: u8) -> Fe {
        Fe::from_bytes(&[b; 32])
    }

    #[test]
    fn portable_lanes_match_radix51_ladder() {
        let ka = super::super::clamp([7; 32]);
        let kb = super::super::clamp([200; 32]);
        let cases = [[fe(3), fe(3)], [fe(9), fe(0xff)], [Fe::ZERO, fe(1)]];
        // Under Miri one case: each ladder takes minutes there.
        let cases = if cfg!(miri) { &cases[1..2] } else { &cases[..] };
        for &bases in cases {
            let want = super::super::ladder::ladder([&*ka, &*kb], bases);
            let got = ladder2(Portable, [&*ka, &*kb], bases);
            for (w, g) in want.iter().zip(&got) {
                // Same projective point up to scaling: X_w Z_g == X_g Z_w.
                assert_eq!(w.0.mul(&g.1).to_bytes(), g.0.mul(&w.1).to_bytes());
            }
        }
    }

    /// One ladder step's operations on AVX2 lanes give the same limbs as on the portable
    /// lanes: every intrinsic the ladder uses, in a test short enough for Miri (built with
    /// `-C target-feature=+avx2`) to finish in seconds.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_field_ops_match_portable_lanes() {
        fn step<L: Lanes>(s: L, x: [&Fe; 4], y: [&Fe; 4]) -> std::vec::Vec<[u64; 5]> {
            let (f, g) = (Fe4::from_fe(s, x), Fe4::from_fe(s, y));
            let (mut p, mut q) = (f.hadamard(s), g);
            Fe4::cswap(s, &mut p, &mut q, s.load([0, u64::MAX, 0, u64::MAX]));
            let results = [
                f.mul(s, &g),
                square(s, &p),
                square(s, &f.hadamard(s)).finish_double(s),
                f.mul_small(s, s.splat(A24_PLUS_ONE)),
                q,
            ];
            results
                .into_iter()
                .flat_map(|r| r.to_fe(s))
                .map(|e| e.0)
                .collect()
        }
        let Some(avx2) = crate::simd::avx2::Avx2::detect() else {
            std::eprintln!("no AVX2 on this CPU: only the portable lanes are tested");
            return;
        };
        let (a, b, c, d) = (fe(3), fe(0xff), fe(9), Fe::ZERO);
        for (x, y) in [
            ([&a, &b, &c, &d], [&d, &c, &b, &a]),
            ([&b, &b, &a, &c], [&c, &a, &d, &b]),
        ] {
            assert_eq!(step(avx2, x, y), step(Portable, x, y));
        }
    }

    /// The AVX2 lanes compute the same points as the portable lanes, where the CPU has AVX2
    /// (and under Miri built with `-C target-feature=+avx2`, which is how Miri checks the
    /// AVX2 code: one case there, each ladder step being thousands of interpreted intrinsics).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_lanes_match_portable_lanes() {
        let Some(avx2) = crate::simd::avx2::Avx2::detect() else {
            std::eprintln!("no AVX2 on this CPU: only the portable lanes are tested");
            return;
        };
        let ka = super::super::clamp([7; 32]);
        let kb = super::super::clamp([200; 32]);
        let cases = [[fe(9), fe(9)], [fe(9), fe(0xff)], [Fe::ZERO, fe(1)]];
        let cases = if cfg!(miri) { &cases[1..2] } else { &cases[..] };
        for &bases in cases {
            let want = ladder2(Portable, [&*ka, &*kb], bases);
            let got = avx2.ladder2([&*ka, &*kb], bases);
            for (w, g) in want.iter().zip(&got) {
                assert_eq!(w.0.mul(&g.1).to_bytes(), g.0.mul(&w.1).to_bytes());
            }
        }
    }
}
