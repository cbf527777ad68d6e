//! `N` independent Montgomery ladders, one per 64-bit lane, on 52-bit multiply-accumulate
//! lanes: the shape of AVX-512 IFMA (`vpmadd52luq`/`vpmadd52huq`), where `N` is 8 for 512-bit
//! vectors and 4 for 256-bit ones.
//!
//! The code is generic over [`Lanes52`], the handful of lane operations it needs:
//! `crate::simd::ifma` implements each with one instruction, and [`Portable`] with plain
//! arrays (any CPU), so the very algorithm that runs on IFMA is tested everywhere and is what
//! valgrind's constant-time check executes (valgrind cannot execute AVX-512 instructions).
//!
//! Field representation: radix 2^51, five limbs in 64-bit lanes, as in `field51`, but
//! multiplied with 52 x 52-bit products split in a low and a high half, exactly what IFMA
//! computes. The high half of `a_i * b_j` has weight 2^(51 (i + j) + 52), twice the weight of
//! column `i + j + 1`, so high halves are summed apart and doubled.
//!
//! Limb bounds. IFMA reads only the low 52 bits of each multiplicand, so every input of `mul`,
//! `square` and `mul_small` must have limbs below 2^52. A *reduced* element has limbs below
//! 2^51 + 2^16; every operation here returns a reduced element (`add` and `sub` carry their
//! result once, which one parallel pass does because a radix-2^51 limb has a spare bit below
//! 2^52), so every multiplicand is in range by construction.

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
    fn xor(self, a: Self::V, b: Self::V) -> Self::V;
    /// Logical right shift by 51.
    fn shr51(self, a: Self::V) -> Self::V;
    /// Left shift by 1 and by 4.
    fn shl1(self, a: Self::V) -> Self::V;
    fn shl4(self, a: Self::V) -> Self::V;
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
    fn xor(self, a: [u64; N], b: [u64; N]) -> [u64; N] {
        core::array::from_fn(|l| a[l] ^ b[l])
    }
    #[inline(always)]
    fn shr51(self, a: [u64; N]) -> [u64; N] {
        a.map(|x| x >> 51)
    }
    #[inline(always)]
    fn shl1(self, a: [u64; N]) -> [u64; N] {
        a.map(|x| x << 1)
    }
    #[inline(always)]
    fn shl4(self, a: [u64; N]) -> [u64; N] {
        a.map(|x| x << 4)
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

/// 4p in radix 2^51, the bias `sub` adds so that no limb goes negative.
const FOUR_P: [u64; 5] = [
    4 * ((1 << 51) - 19),
    4 * ((1 << 51) - 1),
    4 * ((1 << 51) - 1),
    4 * ((1 << 51) - 1),
    4 * ((1 << 51) - 1),
];

/// (A + 2) / 4 + 1 for Curve25519; see `ladder::A24_PLUS_ONE`.
const A24_PLUS_ONE: u64 = 121_666;

/// `N` field elements, one per lane.
#[derive(Clone, Copy)]
struct FeN<const N: usize, L: Lanes52<N>>([L::V; 5]);

impl<const N: usize, L: Lanes52<N>> FeN<N, L> {
    /// Lanes from radix-2^51 elements (limbs below 2^51 + 2^16 in, reduced out).
    #[inline(always)]
    fn from_fe(s: L, lanes: &[Fe; N]) -> Self {
        let mut w = [[0u64; N]; 5];
        for (l, fe) in lanes.iter().enumerate() {
            for (row, limb) in w.iter_mut().zip(fe.0) {
                row[l] = limb;
            }
        }
        FeN(five!(|i| s.load(w[i])))
    }

    /// Every lane as a radix-2^51 element (limbs below 2^51 + 2^16).
    #[inline(always)]
    fn to_fe(self, s: L) -> [Fe; N] {
        let w = five!(|i| s.store(self.0[i]));
        core::array::from_fn(|l| Fe([w[0][l], w[1][l], w[2][l], w[3][l], w[4][l]]))
    }

    /// The same element in every lane.
    #[inline(always)]
    fn splat(s: L, fe: &Fe) -> Self {
        FeN(five!(|i| s.splat(fe.0[i])))
    }

    /// `19 x`, as `16 x + 2 x + x`.
    #[inline(always)]
    fn times19(s: L, x: L::V) -> L::V {
        s.add(s.add(s.shl4(x), s.shl1(x)), x)
    }

    /// One parallel carry pass: limbs below 2^62 in, a reduced element out (each carry is
    /// below 2^11, so `19` times the top one stays below 2^16).
    #[inline(always)]
    fn carry(s: L, r: [L::V; 5]) -> Self {
        let m = s.splat((1 << 51) - 1);
        let t = five!(|i| s.shr51(r[i]));
        let l = five!(|i| s.and(r[i], m));
        FeN([
            s.add(l[0], Self::times19(s, t[4])),
            s.add(l[1], t[0]),
            s.add(l[2], t[1]),
            s.add(l[3], t[2]),
            s.add(l[4], t[3]),
        ])
    }

    /// Sum, carried (limbs below 2^53 before the carry).
    #[inline(always)]
    fn add(&self, s: L, o: &Self) -> Self {
        let (a, b) = (&self.0, &o.0);
        Self::carry(s, five!(|i| s.add(a[i], b[i])))
    }

    /// Difference as `self + 4p - o`, carried (limbs below 2^54 before the carry).
    #[inline(always)]
    fn sub(&self, s: L, o: &Self) -> Self {
        let (a, b) = (&self.0, &o.0);
        Self::carry(s, five!(|i| s.sub(s.add(a[i], s.splat(FOUR_P[i])), b[i])))
    }

    /// Ten product columns (low halves `lo[k]`, high halves `hi[k]` of the products of weight
    /// 2^(51 k)) folded to five and carried. Each `lo[k]`, `hi[k]` is a sum of at most five
    /// 52-bit values (below 2^55).
    #[inline(always)]
    fn reduce_columns(s: L, lo: [L::V; 9], hi: [L::V; 9]) -> Self {
        // z[k] = lo[k] + 2 hi[k - 1], below 2^57.
        let mut z = [lo[0]; 10];
        for k in 1..9 {
            z[k] = s.add(lo[k], s.shl1(hi[k - 1]));
        }
        z[9] = s.shl1(hi[8]);
        // 2^255 = 19 (mod p): column k + 5 folds into column k times 19 (below 2^62 in all).
        Self::carry(s, five!(|k| s.add(z[k], Self::times19(s, z[k + 5]))))
    }

    /// Product, reduced.
    #[inline(always)]
    fn mul(&self, s: L, o: &Self) -> Self {
        let (a, b) = (&self.0, &o.0);
        let zero = s.splat(0);
        let mut lo = [zero; 9];
        let mut hi = [zero; 9];
        for i in 0..5 {
            for j in 0..5 {
                lo[i + j] = s.madd52lo(lo[i + j], a[i], b[j]);
                hi[i + j] = s.madd52hi(hi[i + j], a[i], b[j]);
            }
        }
        Self::reduce_columns(s, lo, hi)
    }

    /// Square, reduced: the ten products `a_i a_j` with `i < j` once, doubled.
    #[inline(always)]
    fn square(&self, s: L) -> Self {
        let a = &self.0;
        let zero = s.splat(0);
        let mut lo = [zero; 9];
        let mut hi = [zero; 9];
        for i in 0..5 {
            for j in i + 1..5 {
                lo[i + j] = s.madd52lo(lo[i + j], a[i], a[j]);
                hi[i + j] = s.madd52hi(hi[i + j], a[i], a[j]);
            }
        }
        // Double the cross terms (at most two per column: below 2^54), add the squares.
        for k in 0..9 {
            lo[k] = s.shl1(lo[k]);
            hi[k] = s.shl1(hi[k]);
        }
        for i in 0..5 {
            lo[2 * i] = s.madd52lo(lo[2 * i], a[i], a[i]);
            hi[2 * i] = s.madd52hi(hi[2 * i], a[i], a[i]);
        }
        Self::reduce_columns(s, lo, hi)
    }

    /// `self + k o` for a small constant `k` (below 2^17), reduced.
    #[inline(always)]
    fn add_mul_small(&self, s: L, o: &Self, k: u64) -> Self {
        let (a, b) = (&self.0, &o.0);
        let k = s.splat(k);
        let zero = s.splat(0);
        let lo = five!(|i| s.madd52lo(zero, b[i], k));
        // High halves (below 2^17) have twice the weight of the next limb.
        let hi = five!(|i| s.shl1(s.madd52hi(zero, b[i], k)));
        Self::carry(
            s,
            [
                s.add(s.add(a[0], lo[0]), Self::times19(s, hi[4])),
                s.add(s.add(a[1], lo[1]), hi[0]),
                s.add(s.add(a[2], lo[2]), hi[1]),
                s.add(s.add(a[3], lo[3]), hi[2]),
                s.add(s.add(a[4], lo[4]), hi[3]),
            ],
        )
    }

    /// Swaps lanes of `a` and `b` where `mask` is all ones.
    #[inline(always)]
    fn cswap(s: L, a: &mut Self, b: &mut Self, mask: L::V) {
        for (x, y) in a.0.iter_mut().zip(b.0.iter_mut()) {
            let t = s.and(s.xor(*x, *y), mask);
            *x = s.xor(*x, t);
            *y = s.xor(*y, t);
        }
    }
}

/// Runs `N` ladders side by side, lane `j` computing `scalars[j] * u(bases[j])`, and returns
/// each result as a projective pair (X, Z). Scalars must already be clamped (bit 254 set,
/// bits 0..3 clear), which the last three doublings rely on.
///
/// Every lane runs the same instructions whatever its scalar: the per-lane swap decision is
/// a mask, built from the scalar bits without a branch and applied with `and`/`xor`.
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

/// `base::mul_base` for `N` clamped scalars side by side: the same signed radix-16 method and
/// table, each lane choosing its table entry by masks (every entry of a row is read for every
/// lane; a lane's mask selects one) and negating it by mask. Returns each `k * B` as the
/// Montgomery fraction `(Z + Y, Z - Y)`, like `base::mul_base`.
#[inline(always)]
pub(crate) fn mul_base_lanes<const N: usize, L: Lanes52<N>>(
    s: L,
    scalars: [&[u8; 32]; N],
) -> [(Fe, Fe); N] {
    use super::base::{TABLE, digits};
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
        for (j, row) in TABLE.iter().enumerate() {
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
                for i in 0..5 {
                    ypx.0[i] = s.xor(ypx.0[i], s.and(s.xor(ypx.0[i], s.splat(entry.ypx.0[i])), m));
                    ymx.0[i] = s.xor(ymx.0[i], s.and(s.xor(ymx.0[i], s.splat(entry.ymx.0[i])), m));
                    xy2d.0[i] = s.xor(
                        xy2d.0[i],
                        s.and(s.xor(xy2d.0[i], s.splat(entry.xy2d.0[i])), m),
                    );
                }
            }
            // -P: swap y + x and y - x, negate 2dxy.
            FeN::cswap(s, &mut ypx, &mut ymx, neg);
            let mut minus = zero.sub(s, &xy2d);
            FeN::cswap(s, &mut xy2d, &mut minus, neg);
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
