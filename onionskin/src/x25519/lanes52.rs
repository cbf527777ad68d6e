//! `N` independent Montgomery ladders, one per 64-bit lane, on 52-bit multiply-accumulate
//! lanes: the shape of AVX-512 IFMA (`vpmadd52luq`/`vpmadd52huq`), where `N` is 8 for 512-bit
//! vectors and 4 for 256-bit ones.
//!
//! The code is generic over [`Lanes52`], the handful of lane operations it needs:
//! `crate::simd::ifma` implements each with one instruction, and [`Portable`] with plain
//! arrays (any CPU), so the very algorithm that runs on IFMA is tested everywhere and is what
//! valgrind's constant-time check executes (valgrind cannot execute AVX-512 instructions).
//!
//! Field representation: radix 2^52, five limbs in 64-bit lanes, value `sum l_i 2^(52 i)`
//! modulo p = 2^255 - 19. IFMA splits each 52 x 52-bit product in a low and a high half; in
//! radix 2^52 the high half of `a_i b_j` has exactly the weight of column `i + j + 1`, so
//! both halves accumulate straight into the product columns, and the columns above 2^260
//! fold back with one more multiply-accumulate each, by 2^260 = 32 * 19 = 608 (mod p).
//!
//! Limb bounds. IFMA reads only the low 52 bits of each multiplicand, and radix 2^52 leaves no
//! spare bit, so every multiplicand must be *reduced*: limbs 0 to 3 below 2^52 and limb 4
//! below 2^48. Every operation here returns a reduced element: its result ends in one
//! sequential carry chain (`carry`), which gives limbs 0 to 3 exactly 52 bits. The bound of
//! every intermediate column is stated where it is formed.

// Limb indices are compile-time constants into fixed-size arrays.
#![allow(clippy::indexing_slicing)]

use super::field51::Fe;

/// `[e(0), ..., e(4)]` written out: `core::array::{map, from_fn}` and closures are not always
/// inlined, and a call left around an intrinsic becomes a function call per instruction
/// (measured: IFMA ladders 15 times slower).
macro_rules! five {
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
        ]
    };
}

/// Operations on `N` 64-bit lanes. Implementations must compute exactly what [`Portable`]
/// computes; the value `self` is a capability (for IFMA: proof that the CPU has it).
pub(crate) trait Lanes52<const N: usize>: Copy {
    /// `N` 64-bit lanes.
    type V: Copy;
    fn load(self, x: [u64; N]) -> Self::V;
    fn store(self, v: Self::V) -> [u64; N];
    fn splat(self, x: u64) -> Self::V;
    /// Lane-wise wrapping sum.
    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise wrapping difference.
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn and(self, a: Self::V, b: Self::V) -> Self::V;
    /// Bitwise select: the bits of `b` where `mask` is one, those of `a` elsewhere.
    fn select(self, mask: Self::V, a: Self::V, b: Self::V) -> Self::V;
    /// Logical right shift by `K` (below 64).
    fn shr<const K: u32>(self, a: Self::V) -> Self::V;
    /// Left shift by `K` (below 64).
    fn shl<const K: u32>(self, a: Self::V) -> Self::V;
    /// `acc + lo52(lo52(a) * lo52(b))` per lane, where `lo52` keeps the low 52 bits.
    fn madd52lo(self, acc: Self::V, a: Self::V, b: Self::V) -> Self::V;
    /// `acc + (lo52(a) * lo52(b)) >> 52` per lane.
    fn madd52hi(self, acc: Self::V, a: Self::V, b: Self::V) -> Self::V;
}

/// The reference [`Lanes52`] on plain arrays (any CPU): for tests, for the constant-time check
/// under valgrind, and as the definition the IFMA lanes must match.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Portable;

/// 2^52 - 1.
const M52: u64 = (1 << 52) - 1;

/// 2^47 - 1: limb 4 holds bits 208 to 254 of a reduced element (2^255 = 19 mod p).
const M47: u64 = (1 << 47) - 1;

#[allow(clippy::cast_possible_truncation)] // the low 52 bits are the operation
impl<const N: usize> Lanes52<N> for Portable {
    type V = [u64; N];
    #[inline(always)]
    fn load(self, x: [u64; N]) -> [u64; N] {
        x
    }
    #[inline(always)]
    fn store(self, v: [u64; N]) -> [u64; N] {
        v
    }
    #[inline(always)]
    fn splat(self, x: u64) -> [u64; N] {
        [x; N]
    }
    #[inline(always)]
    fn add(self, a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| a[l].wrapping_add(b[l]))
    }
    #[inline(always)]
    fn sub(self, a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| a[l].wrapping_sub(b[l]))
    }
    #[inline(always)]
    fn and(self, a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| a[l] & b[l])
    }
    #[inline(always)]
    fn select(self, mask: [u64; N], a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| (a[l] & !mask[l]) | (b[l] & mask[l]))
    }
    #[inline(always)]
    fn shr<const K: u32>(self, a: [u64; N]) -> [u64; N] {
        a.map(|x| x >> K)
    }
    #[inline(always)]
    fn shl<const K: u32>(self, a: [u64; N]) -> [u64; N] {
        a.map(|x| x << K)
    }
    #[inline(always)]
    fn madd52lo(self, acc: [u64; N], a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| {
            let p = u128::from(a[l] & M52) * u128::from(b[l] & M52);
            acc[l].wrapping_add((p as u64) & M52)
        })
    }
    #[inline(always)]
    fn madd52hi(self, acc: [u64; N], a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| {
            let p = u128::from(a[l] & M52) * u128::from(b[l] & M52);
            acc[l].wrapping_add((p >> 52) as u64)
        })
    }
}

/// Re-splits `sum v_i 2^(from i)` (each `v_i` below 2^(from + 2)) into five limbs of `to`
/// bits (the last one takes every bit from `4 to` up): the radix conversions of the inputs,
/// outputs and table of this module, all of public values or done once per lane.
#[allow(clippy::cast_possible_truncation, clippy::cast_lossless)] // `From` is not const
const fn resplit(v: [u64; 5], from: u32, to: u32) -> [u64; 5] {
    let mut out = [0u64; 5];
    // `acc` holds the value from bit `taken` up; `fed` is the weight (relative to `taken`)
    // at which the next input limb enters. At most 2 `to` + 2 bits are held: below 2^128.
    let mut acc: u128 = 0;
    let mut fed: u32 = 0;
    let (mut i, mut k) = (0, 0);
    while k < 5 {
        while i < 5 && (fed < to || k == 4) {
            acc += (v[i] as u128) << fed;
            fed += from;
            i += 1;
        }
        if k == 4 {
            out[4] = acc as u64;
        } else {
            out[k] = (acc as u64) & ((1 << to) - 1);
            acc >>= to;
            fed -= to;
        }
        k += 1;
    }
    out
}

/// A radix-2^51 element (limbs below 2^62) as a reduced radix-2^52 one: first carried to
/// limbs of at most 2^51 with the top folded by 19, so the value is below 2^255 + 2^103 and
/// limb 4 below 2^48.
#[allow(clippy::cast_possible_truncation)]
const fn fe_to_radix52(f: &Fe) -> [u64; 5] {
    const M51: u64 = (1 << 51) - 1;
    let mut g = [0u64; 5];
    let mut c = 0u64;
    let mut i = 0;
    while i < 5 {
        let t = f.0[i] + c;
        g[i] = t & M51;
        c = t >> 51;
        i += 1;
    }
    // c < 2^12, so g[0] < 2^51 + 2^17 and one more carry leaves g[1] at most 2^51.
    g[0] += 19 * c;
    g[1] += g[0] >> 51;
    g[0] &= M51;
    resplit(g, 51, 52)
}

/// A reduced radix-2^52 element as a radix-2^51 one with limbs below 2^51 + 2^6: the value is
/// below 2^256, so bits 255 and up are at most 1, folded in as 19.
const fn radix52_to_fe(l: [u64; 5]) -> Fe {
    const M51: u64 = (1 << 51) - 1;
    let mut f = resplit(l, 52, 51);
    let top = f[4] >> 51;
    f[4] &= M51;
    f[0] += 19 * top;
    Fe(f)
}

/// 64p in radix 2^52 with every limb at least 2^52 (above any reduced limb), the bias `sub`
/// adds so that no limb goes negative: 64p = 2^261 - 1216, with 2^52 borrowed down from each
/// limb into the one below.
const SIXTY_FOUR_P: [u64; 5] = [
    (1 << 53) - 1216,
    (1 << 53) - 2,
    (1 << 53) - 2,
    (1 << 53) - 2,
    (1 << 53) - 2,
];

/// 2^260 mod p (= 32 * 19): the weight of the product columns above limb 4.
const TWO_260: u64 = 608;

/// (A + 2) / 4 + 1 for Curve25519; see `ladder::A24_PLUS_ONE`.
const A24_PLUS_ONE: u64 = 121_666;

/// `N` field elements, one per lane, reduced (see the module docs).
#[derive(Clone, Copy)]
struct FeN<const N: usize, L: Lanes52<N>>([L::V; 5]);

impl<const N: usize, L: Lanes52<N>> FeN<N, L> {
    /// Lanes from radix-2^51 elements (limbs below 2^62).
    #[inline(always)]
    fn from_fe(s: L, lanes: &[Fe; N]) -> Self {
        let mut w = [[0u64; N]; 5];
        for (l, fe) in lanes.iter().enumerate() {
            for (row, limb) in w.iter_mut().zip(fe_to_radix52(fe)) {
                row[l] = limb;
            }
        }
        FeN(five!(|i| s.load(w[i])))
    }

    /// Every lane as a radix-2^51 element (limbs below 2^51 + 2^6).
    #[inline(always)]
    fn to_fe(self, s: L) -> [Fe; N] {
        let w = five!(|i| s.store(self.0[i]));
        core::array::from_fn(|l| radix52_to_fe([w[0][l], w[1][l], w[2][l], w[3][l], w[4][l]]))
    }

    /// The same element in every lane.
    #[inline(always)]
    fn splat(s: L, fe: &Fe) -> Self {
        let l = fe_to_radix52(fe);
        FeN(five!(|i| s.splat(l[i])))
    }

    /// The carry chain that ends every operation: limbs below 2^62 in, a reduced element out.
    /// Bits 255 and up of limb 4 (`c` below 2^15) fold into limb 0 as `19 c` (below 2^20,
    /// so exact in the low half) with one multiply-accumulate; then each limb passes its bits
    /// from 52 up to the next (each carry below 2^11), in sequence, since radix 2^52 has no spare bit that a
    /// parallel pass could leave a carry in. Limb 4 ends below 2^47 + 2^11.
    #[inline(always)]
    fn carry(s: L, r: [L::V; 5]) -> Self {
        let m52 = s.splat(M52);
        let c = s.shr::<47>(r[4]);
        let r4 = s.and(r[4], s.splat(M47));
        let r0 = s.madd52lo(r[0], c, s.splat(19));
        let r1 = s.add(r[1], s.shr::<52>(r0));
        let r2 = s.add(r[2], s.shr::<52>(r1));
        let r3 = s.add(r[3], s.shr::<52>(r2));
        let r4 = s.add(r4, s.shr::<52>(r3));
        FeN([
            s.and(r0, m52),
            s.and(r1, m52),
            s.and(r2, m52),
            s.and(r3, m52),
            r4,
        ])
    }

    /// Sum, carried (limbs below 2^53 before the carry).
    #[inline(always)]
    fn add(&self, s: L, o: &Self) -> Self {
        let (a, b) = (&self.0, &o.0);
        Self::carry(s, five!(|i| s.add(a[i], b[i])))
    }

    /// Difference as `self + 64p - o`, carried (limbs below 2^54 before the carry).
    #[inline(always)]
    fn sub(&self, s: L, o: &Self) -> Self {
        let (a, b) = (&self.0, &o.0);
        Self::carry(
            s,
            five!(|i| s.sub(s.add(a[i], s.splat(SIXTY_FOUR_P[i])), b[i])),
        )
    }

    /// Ten product columns `c[k]` of weight 2^(52 k), each below 2^57, with `c[9]` below
    /// 2^45, folded to five by 2^260 = 608 (mod p) and carried. Columns 5 to 8 first pass
    /// their bits from 52 up to the next column, in sequence (so each is below 2^52, as IFMA
    /// needs, and `c[9]` stays below 2^46); then column `5 + k` adds `608 c[5 + k]` to
    /// columns `k` (low half) and `k + 1` (high half), and the high half of `608 c[9]`
    /// (below 2^4) lands on 2^260 and folds once more by 608 into column 0. Every column ends
    /// below 2^57 + 2^53.
    ///
    /// Measured against adding `608 c = (c << 9) + (c << 6) + (c << 5)` with shifts instead
    /// (fewer IFMA instructions): slower in 256-bit vectors, as LLVM turns the shifts back
    /// into a multiplication (`vpmuludq` pairs).
    #[inline(always)]
    fn reduce_columns(s: L, c: [L::V; 10]) -> Self {
        let m52 = s.splat(M52);
        let k = s.splat(TWO_260);
        let c6 = s.add(c[6], s.shr::<52>(c[5]));
        let c7 = s.add(c[7], s.shr::<52>(c6));
        let c8 = s.add(c[8], s.shr::<52>(c7));
        let c9 = s.add(c[9], s.shr::<52>(c8));
        let up = [
            s.and(c[5], m52),
            s.and(c6, m52),
            s.and(c7, m52),
            s.and(c8, m52),
            c9,
        ];
        let r0 = s.madd52lo(c[0], up[0], k);
        let r1 = s.madd52hi(s.madd52lo(c[1], up[1], k), up[0], k);
        let r2 = s.madd52hi(s.madd52lo(c[2], up[2], k), up[1], k);
        let r3 = s.madd52hi(s.madd52lo(c[3], up[3], k), up[2], k);
        let r4 = s.madd52hi(s.madd52lo(c[4], up[4], k), up[3], k);
        let r5 = s.madd52hi(s.splat(0), up[4], k);
        let r0 = s.madd52lo(r0, r5, k);
        Self::carry(s, [r0, r1, r2, r3, r4])
    }

    /// Product, reduced. Column `k` sums the low halves of `a_i b_j` with `i + j = k` and the
    /// high halves with `i + j = k - 1`: at most nine values below 2^52, so below 2^56;
    /// `c[9]`, the high half of `a_4 b_4` (both below 2^48), is below 2^44.
    #[inline(always)]
    fn mul(&self, s: L, o: &Self) -> Self {
        let (a, b) = (&self.0, &o.0);
        let mut c = [s.splat(0); 10];
        if N <= 4 {
            // Few lanes: dependency chains, not instruction count, bound a ladder step. The
            // low and high halves accumulate in separate chains (at most five deep, not
            // nine), added at the end.
            let mut h = [s.splat(0); 10];
            for i in 0..5 {
                for j in 0..5 {
                    c[i + j] = s.madd52lo(c[i + j], a[i], b[j]);
                    h[i + j + 1] = s.madd52hi(h[i + j + 1], a[i], b[j]);
                }
            }
            for k in 1..9 {
                c[k] = s.add(c[k], h[k]);
            }
            c[9] = h[9];
        } else {
            for i in 0..5 {
                for j in 0..5 {
                    c[i + j] = s.madd52lo(c[i + j], a[i], b[j]);
                    c[i + j + 1] = s.madd52hi(c[i + j + 1], a[i], b[j]);
                }
            }
        }
        Self::reduce_columns(s, c)
    }

    /// Square, reduced: the ten products `a_i a_j` with `i < j` once, the columns doubled
    /// (at most four halves each, so below 2^55), then the five squares (column bound as in
    /// `mul`: below 2^56; `c[9]` below 2^44).
    #[inline(always)]
    fn square(&self, s: L) -> Self {
        let a = &self.0;
        let mut c = [s.splat(0); 10];
        if N <= 4 {
            // As in `mul`: separate chains for the low and high halves with few lanes.
            let mut h = [s.splat(0); 10];
            for i in 0..5 {
                for j in i + 1..5 {
                    c[i + j] = s.madd52lo(c[i + j], a[i], a[j]);
                    h[i + j + 1] = s.madd52hi(h[i + j + 1], a[i], a[j]);
                }
            }
            c[1] = s.shl::<1>(c[1]);
            for k in 2..8 {
                c[k] = s.shl::<1>(s.add(c[k], h[k]));
            }
            c[8] = s.shl::<1>(h[8]);
        } else {
            for i in 0..5 {
                for j in i + 1..5 {
                    c[i + j] = s.madd52lo(c[i + j], a[i], a[j]);
                    c[i + j + 1] = s.madd52hi(c[i + j + 1], a[i], a[j]);
                }
            }
            for col in &mut c[1..9] {
                *col = s.shl::<1>(*col);
            }
        }
        for i in 0..5 {
            c[2 * i] = s.madd52lo(c[2 * i], a[i], a[i]);
            c[2 * i + 1] = s.madd52hi(c[2 * i + 1], a[i], a[i]);
        }
        Self::reduce_columns(s, c)
    }

    /// `self + k o` for a small constant `k` (below 2^17), reduced: the low halves of
    /// `k o_i` accumulate on `self_i`, the high halves (below 2^17) on `self_(i+1)`, and the
    /// one above limb 4 (below 2^13, as `o_4` is below 2^48) folds into limb 0 by 608.
    /// Limbs stay below 2^54 before the carry.
    #[inline(always)]
    fn add_mul_small(&self, s: L, o: &Self, k: u64) -> Self {
        let (a, b) = (&self.0, &o.0);
        let k = s.splat(k);
        let r0 = s.madd52lo(a[0], b[0], k);
        let r1 = s.madd52hi(s.madd52lo(a[1], b[1], k), b[0], k);
        let r2 = s.madd52hi(s.madd52lo(a[2], b[2], k), b[1], k);
        let r3 = s.madd52hi(s.madd52lo(a[3], b[3], k), b[2], k);
        let r4 = s.madd52hi(s.madd52lo(a[4], b[4], k), b[3], k);
        let r5 = s.madd52hi(s.splat(0), b[4], k);
        let r0 = s.madd52lo(r0, r5, s.splat(TWO_260));
        Self::carry(s, [r0, r1, r2, r3, r4])
    }

    /// Swaps lanes of `a` and `b` where `mask` is all ones.
    #[inline(always)]
    fn cswap(s: L, a: &mut Self, b: &mut Self, mask: L::V) {
        for (x, y) in a.0.iter_mut().zip(b.0.iter_mut()) {
            let (x0, y0) = (*x, *y);
            *x = s.select(mask, x0, y0);
            *y = s.select(mask, y0, x0);
        }
    }

    /// The constant `limbs` (radix 2^52) in the lanes where `mask` is all ones, `a` elsewhere.
    #[inline(always)]
    fn select_limbs(s: L, mask: L::V, a: &Self, limbs: &[u64; 5]) -> Self {
        FeN(five!(|i| s.select(mask, a.0[i], s.splat(limbs[i]))))
    }

    /// `b` in the lanes where `mask` is all ones, `a` elsewhere.
    #[inline(always)]
    fn select(s: L, mask: L::V, a: &Self, b: &Self) -> Self {
        FeN(five!(|i| s.select(mask, a.0[i], b.0[i])))
    }
}

/// Runs `N` ladders side by side, lane `j` computing `scalars[j] * u(bases[j])`, and returns
/// each result as a projective pair (X, Z). Scalars must already be clamped (bit 254 set,
/// bits 0..3 clear), which the last three doublings rely on.
///
/// Every lane runs the same instructions whatever its scalar: the per-lane swap decision is
/// a mask, built from the scalar bits without a branch and applied with `select`.
#[inline(always)]
pub(crate) fn ladder_lanes<const N: usize, L: Lanes52<N>>(
    s: L,
    scalars: [&[u8; 32]; N],
    bases: &[Fe; N],
) -> [(Fe, Fe); N] {
    let x1 = FeN::from_fe(s, bases);
    let mut x2 = FeN::splat(s, &Fe::ONE);
    let mut z2 = FeN::splat(s, &Fe::ZERO);
    let mut x3 = x1;
    let mut z3 = FeN::splat(s, &Fe::ONE);
    let mut swap = [0u64; N];
    for t in (3..=254).rev() {
        let mut b = [0u64; N];
        let mut m = [0u64; N];
        for j in 0..N {
            b[j] = super::ladder::bit(scalars[j], t);
            m[j] = 0u64.wrapping_sub(swap[j] ^ b[j]);
        }
        let mask = s.load(m);
        FeN::cswap(s, &mut x2, &mut x3, mask);
        FeN::cswap(s, &mut z2, &mut z3, mask);
        swap = b;
        // RFC 7748 section 5, one step.
        let a = x2.add(s, &z2);
        let bb_in = x2.sub(s, &z2);
        let c = x3.add(s, &z3);
        let d = x3.sub(s, &z3);
        let aa = a.square(s);
        let bb = bb_in.square(s);
        let da = d.mul(s, &a);
        let cb = c.mul(s, &bb_in);
        let e = aa.sub(s, &bb);
        x3 = da.add(s, &cb).square(s);
        z3 = x1.mul(s, &da.sub(s, &cb).square(s));
        x2 = aa.mul(s, &bb);
        z2 = e.mul(s, &bb.add_mul_small(s, &e, A24_PLUS_ONE));
    }
    let mut m = [0u64; N];
    for (m, w) in m.iter_mut().zip(swap) {
        *m = 0u64.wrapping_sub(w);
    }
    let mask = s.load(m);
    FeN::cswap(s, &mut x2, &mut x3, mask);
    FeN::cswap(s, &mut z2, &mut z3, mask);
    // Bits 2, 1, 0 of a clamped scalar are zero: three plain doublings.
    for _ in 0..3 {
        let aa = x2.add(s, &z2).square(s);
        let bb = x2.sub(s, &z2).square(s);
        let e = aa.sub(s, &bb);
        x2 = aa.mul(s, &bb);
        z2 = e.mul(s, &bb.add_mul_small(s, &e, A24_PLUS_ONE));
    }
    let xs = x2.to_fe(s);
    let zs = z2.to_fe(s);
    core::array::from_fn(|j| (xs[j], zs[j]))
}

/// A point of the Edwards curve in extended coordinates, one per lane (see `base::Ext`).
#[derive(Clone, Copy)]
struct ExtN<const N: usize, L: Lanes52<N>> {
    x: FeN<N, L>,
    y: FeN<N, L>,
    z: FeN<N, L>,
    t: FeN<N, L>,
}

impl<const N: usize, L: Lanes52<N>> ExtN<N, L> {
    /// `base::Ext::finish_add`, lane-wise.
    #[inline(always)]
    fn finish_add(s: L, a: &FeN<N, L>, b: &FeN<N, L>, c: &FeN<N, L>, d: &FeN<N, L>) -> Self {
        let e = b.sub(s, a);
        let f = d.sub(s, c);
        let g = d.add(s, c);
        let h = b.add(s, a);
        ExtN {
            x: e.mul(s, &f),
            y: g.mul(s, &h),
            z: f.mul(s, &g),
            t: e.mul(s, &h),
        }
    }

    /// Mixed addition with one table point per lane, `(y + x, y - x, 2d x y)`.
    #[inline(always)]
    fn add_niels(&self, s: L, ypx: &FeN<N, L>, ymx: &FeN<N, L>, xy2d: &FeN<N, L>) -> Self {
        let a = self.y.sub(s, &self.x).mul(s, ymx);
        let b = self.y.add(s, &self.x).mul(s, ypx);
        let c = self.t.mul(s, xy2d);
        let d = self.z.add(s, &self.z);
        Self::finish_add(s, &a, &b, &c, &d)
    }

    /// `base::Ext::double`, lane-wise.
    #[inline(always)]
    fn double(&self, s: L) -> Self {
        let a = self.x.square(s);
        let b = self.y.square(s);
        let zz = self.z.square(s);
        let c = zz.add(s, &zz);
        let h = a.add(s, &b);
        let e = h.sub(s, &self.x.add(s, &self.y).square(s));
        let g = a.sub(s, &b);
        let f = g.add(s, &c);
        ExtN {
            x: e.mul(s, &f),
            y: g.mul(s, &h),
            z: f.mul(s, &g),
            t: e.mul(s, &h),
        }
    }
}

/// `base::TABLE` in radix 2^52: `TABLE52[j][c]` is `[y + x, y - x, 2d x y]` of entry `c` of
/// row `j`, converted once at compile time.
static TABLE52: [[[[u64; 5]; 3]; 8]; 32] = table52(&super::base::TABLE);

/// See [`TABLE52`].
const fn table52(t: &[[super::base::Niels; 8]; 32]) -> [[[[u64; 5]; 3]; 8]; 32] {
    let mut out = [[[[0u64; 5]; 3]; 8]; 32];
    let mut j = 0;
    while j < 32 {
        let mut c = 0;
        while c < 8 {
            let e = &t[j][c];
            out[j][c] = [
                fe_to_radix52(&e.ypx),
                fe_to_radix52(&e.ymx),
                fe_to_radix52(&e.xy2d),
            ];
            c += 1;
        }
        j += 1;
    }
    out
}

/// `base::mul_base` for `N` clamped scalars side by side: the same signed radix-16 method and
/// table, each lane choosing its table entry by masks (every entry of a row is read for every
/// lane; a lane's mask selects one) and negating it by mask. Returns each `k * B` as the
/// Montgomery fraction `(Z + Y, Z - Y)`, like `base::mul_base`.
#[inline(always)]
pub(crate) fn mul_base_lanes<const N: usize, L: Lanes52<N>>(
    s: L,
    scalars: [&[u8; 32]; N],
) -> [(Fe, Fe); N] {
    use super::base::digits;
    let mut e = [[0i8; 64]; N];
    for (d, k) in e.iter_mut().zip(scalars) {
        *d = digits(k);
    }
    let one = FeN::splat(s, &Fe::ONE);
    let zero = FeN::splat(s, &Fe::ZERO);
    let mut p = ExtN {
        x: zero,
        y: one,
        z: one,
        t: zero,
    };
    // Pass 0 adds the odd digits (then four doublings multiply them by 16), pass 1 the even.
    for pass in 0..2 {
        if pass == 1 {
            for _ in 0..4 {
                p = p.double(s);
            }
        }
        for (j, row) in TABLE52.iter().enumerate() {
            let idx = 2 * j + 1 - pass;
            // Per lane: the sign mask and, per entry c, all ones iff |e| == c + 1 (the
            // arithmetic of `base::select`, through `black_box` for the same reason).
            let mut neg = [0u64; N];
            let mut hit = [[0u64; N]; 8];
            for l in 0..N {
                let d = e[l][idx];
                #[allow(clippy::cast_sign_loss)] // bit patterns of the digit's sign and size
                let (sign, abs) = {
                    let sign = (d >> 7) as u8;
                    (sign, u64::from(((d as u8) ^ sign).wrapping_sub(sign)))
                };
                neg[l] = 0u64.wrapping_sub(u64::from(sign & 1));
                for (c, h) in hit.iter_mut().enumerate() {
                    h[l] = 0u64.wrapping_sub(((abs ^ (c as u64 + 1)).wrapping_sub(1)) >> 63);
                }
            }
            let neg = s.load(core::hint::black_box(neg));
            let hit = core::hint::black_box(hit);
            let mut ypx = one;
            let mut ymx = one;
            let mut xy2d = zero;
            for (entry, h) in row.iter().zip(&hit) {
                let m = s.load(*h);
                ypx = FeN::select_limbs(s, m, &ypx, &entry[0]);
                ymx = FeN::select_limbs(s, m, &ymx, &entry[1]);
                xy2d = FeN::select_limbs(s, m, &xy2d, &entry[2]);
            }
            // -P: swap y + x and y - x, negate 2dxy.
            FeN::cswap(s, &mut ypx, &mut ymx, neg);
            let xy2d = FeN::select(s, neg, &xy2d, &zero.sub(s, &xy2d));
            p = p.add_niels(s, &ypx, &ymx, &xy2d);
        }
    }
    for d in &mut e {
        d.fill(0);
    }
    core::hint::black_box(&mut e);
    let u = p.z.add(s, &p.y).to_fe(s);
    let w = p.z.sub(s, &p.y).to_fe(s);
    core::array::from_fn(|l| (u[l], w[l]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(b: u8) -> Fe {
        Fe::from_bytes(&[b; 32])
    }

    /// Largest reduced limbs, to exercise the bounds.
    fn big() -> Fe {
        Fe([(1 << 51) + (1 << 16) - 1; 5])
    }

    #[test]
    fn field_ops_match_radix51() {
        let s = Portable;
        let xs = [
            fe(3),
            fe(0xff),
            big(),
            Fe::ZERO,
            fe(0x80),
            fe(9),
            big(),
            fe(1),
        ];
        let ys = [
            big(),
            fe(7),
            big(),
            fe(1),
            fe(0xfe),
            Fe::ONE,
            fe(0x55),
            Fe::ZERO,
        ];
        let (a, b) = (FeN::<8, Portable>::from_fe(s, &xs), FeN::from_fe(s, &ys));
        let check = |got: FeN<8, Portable>, want: &dyn Fn(&Fe, &Fe) -> Fe| {
            for (l, g) in got.to_fe(s).iter().enumerate() {
                assert!(g.0.iter().all(|&x| x < (1 << 51) + (1 << 16)));
                assert_eq!(g.to_bytes(), want(&xs[l], &ys[l]).to_bytes(), "lane {l}");
            }
        };
        check(a.mul(s, &b), &|x, y| x.mul(y));
        check(a.square(s), &|x, _| x.square());
        check(a.add(s, &b), &|x, y| x.add(y));
        check(a.sub(s, &b), &|x, y| x.sub(y));
        check(a.add_mul_small(s, &b, A24_PLUS_ONE), &|x, y| {
            x.add(&y.mul_small(A24_PLUS_ONE))
        });
    }

    #[test]
    fn bias_is_a_multiple_of_p() {
        assert_eq!(radix52_to_fe(SIXTY_FOUR_P).to_bytes(), [0u8; 32]);
    }

    #[test]
    fn radix_conversions_round_trip() {
        for f in [fe(3), fe(0xff), big(), Fe::ZERO, Fe([(1 << 53) - 1; 5])] {
            let l = fe_to_radix52(&f);
            assert!(l[..4].iter().all(|&x| x <= M52) && l[4] < 1 << 48);
            assert_eq!(radix52_to_fe(l).to_bytes(), f.to_bytes());
        }
    }

    /// Reduced elements at the limits of the bounds (limbs 0..3 up to 2^52 - 1, limb 4 up to
    /// 2^48 - 1), straight into the lanes: every operation stays exact and reduced.
    fn limb_bounds<const N: usize>() {
        let s = Portable;
        let top = (1u64 << 48) - 1;
        let limbs: [[u64; 5]; 4] = [
            [M52, M52, M52, M52, top],
            [M52, 0, M52, 0, top],
            [0, M52, 0, M52, 0],
            [1, 0, 0, 0, top],
        ];
        let lanes = |pick: &dyn Fn(usize) -> [u64; 5]| {
            FeN::<N, Portable>(five!(|i| core::array::from_fn(|l| pick(l % 4)[i])))
        };
        let a = lanes(&|l| limbs[l % 4]);
        let b = lanes(&|l| limbs[3 - l % 4]);
        let reduced = |x: &FeN<N, Portable>| {
            (0..N).all(|l| x.0[..4].iter().all(|v| v[l] <= M52) && x.0[4][l] < 1 << 48)
        };
        let check = |got: FeN<N, Portable>, want: &dyn Fn(&Fe, &Fe) -> Fe| {
            assert!(reduced(&got));
            for (l, g) in got.to_fe(s).iter().enumerate() {
                let (x, y) = (radix52_to_fe(limbs[l % 4]), radix52_to_fe(limbs[3 - l % 4]));
                assert_eq!(g.to_bytes(), want(&x, &y).to_bytes(), "lane {l}");
            }
        };
        check(a.mul(s, &b), &|x, y| x.mul(y));
        check(a.square(s), &|x, _| x.square());
        check(a.add(s, &b), &|x, y| x.add(y));
        check(a.sub(s, &b), &|x, y| x.sub(y));
        check(a.add_mul_small(s, &b, A24_PLUS_ONE), &|x, y| {
            x.add(&y.mul_small(A24_PLUS_ONE))
        });
    }

    #[test]
    fn field_ops_exact_at_the_limb_bounds() {
        limb_bounds::<4>();
        limb_bounds::<8>();
    }

    #[test]
    fn portable_lanes_fixed_base_matches_table() {
        let ks = [1u8, 9, 0x80, 0xff].map(|b| super::super::clamp([b; 32]));
        let got = mul_base_lanes(Portable, [&*ks[0], &*ks[1], &*ks[2], &*ks[3]]);
        for (k, g) in ks.iter().zip(&got) {
            let want = super::super::base::mul_base(k);
            assert_eq!(want.0.mul(&g.1).to_bytes(), g.0.mul(&want.1).to_bytes());
        }
    }

    #[test]
    fn portable_lanes_match_radix51_ladder() {
        let ks = [7u8, 57, 107, 157].map(|b| super::super::clamp([b; 32]));
        let bases = [fe(3), fe(9), Fe::ZERO, fe(0xff)];
        let got = ladder_lanes(Portable, [&*ks[0], &*ks[1], &*ks[2], &*ks[3]], &bases);
        for j in 0..4 {
            let [want] = super::super::ladder::ladder([&*ks[j]], [bases[j]]);
            // Same projective point up to scaling: X_w Z_g == X_g Z_w.
            assert_eq!(
                want.0.mul(&got[j].1).to_bytes(),
                got[j].0.mul(&want.1).to_bytes()
            );
        }
    }
}
