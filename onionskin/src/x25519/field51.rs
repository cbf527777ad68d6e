//! Portable arithmetic modulo p = 2^255 - 19 in radix 2^51 (five `u64` limbs, `u128` products).
//!
//! Every function is straight-line code: no branch and no memory index depends on a value.
//!
//! Limb bounds (the invariant every caller keeps): a *reduced* element (output of `mul`,
//! `square`, `mul_small`, `from_bytes`) has limbs below 2^51 + 2^15; `add` and `sub` of two
//! reduced elements give limbs below 2^53, and `mul`/`square` accept limbs below 2^54.

// Limb indices are compile-time constants into fixed-size arrays.
#![allow(clippy::indexing_slicing)]

/// 2^51 - 1.
const MASK: u64 = (1 << 51) - 1;

/// An element of GF(2^255 - 19), not necessarily in canonical form.
#[derive(Clone, Copy)]
pub(crate) struct Fe(pub(super) [u64; 5]);

/// 64x64 -> 128-bit product.
#[inline(always)]
#[allow(clippy::cast_lossless)] // `From` is not usable in `const fn`
const fn m(a: u64, b: u64) -> u128 {
    (a as u128) * (b as u128)
}

/// Carries five 128-bit column sums down to limbs below 2^51 + 2^15.
/// Needs every column below 2^115 so that the top carry fits in a `u64`.
#[inline(always)]
#[allow(clippy::cast_possible_truncation, clippy::cast_lossless)] // low 64 bits are meant
const fn carry_wide(c: [u128; 5]) -> Fe {
    let c1 = c[1] + (c[0] >> 51);
    let c2 = c[2] + (c1 >> 51);
    let c3 = c[3] + (c2 >> 51);
    let c4 = c[4] + (c3 >> 51);
    let top = (c4 >> 51) as u64;
    // 2^255 = 19 (mod p); `top` < 2^64, so `19 * top` needs the wide product.
    let c0 = (((c[0] as u64) & MASK) as u128) + m(top, 19);
    let r1 = ((c1 as u64) & MASK) + (c0 >> 51) as u64;
    Fe([
        (c0 as u64) & MASK,
        r1,
        (c2 as u64) & MASK,
        (c3 as u64) & MASK,
        (c4 as u64) & MASK,
    ])
}

impl Fe {
    pub(super) const ZERO: Fe = Fe([0; 5]);
    pub(super) const ONE: Fe = Fe([1, 0, 0, 0, 0]);

    /// Decodes 32 little-endian bytes, ignoring bit 255 (RFC 7748 section 5). Values in
    /// [p, 2^255) are accepted and act as their residue, as RFC 7748 requires.
    #[inline]
    pub(super) fn from_bytes(b: &[u8; 32]) -> Fe {
        let w = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[8 * i..8 * i + 8]);
            u64::from_le_bytes(x)
        };
        let (w0, w1, w2, w3) = (w(0), w(1), w(2), w(3));
        Fe([
            w0 & MASK,
            ((w0 >> 51) | (w1 << 13)) & MASK,
            ((w1 >> 38) | (w2 << 26)) & MASK,
            ((w2 >> 25) | (w3 << 39)) & MASK,
            (w3 >> 12) & MASK,
        ])
    }

    /// Canonical little-endian encoding (the unique representative in [0, p)).
    #[inline]
    pub(super) fn to_bytes(self) -> [u8; 32] {
        // Bring limbs below 2^51 (with one wrap of 19), then subtract p once if needed.
        let l = self.reduce().0;
        // q = 1 iff l >= p, computed as the carry out of l + 19 past bit 255.
        let mut q = (l[0] + 19) >> 51;
        q = (l[1] + q) >> 51;
        q = (l[2] + q) >> 51;
        q = (l[3] + q) >> 51;
        q = (l[4] + q) >> 51;
        let mut r = l;
        r[0] += 19 * q;
        r[1] += r[0] >> 51;
        r[0] &= MASK;
        r[2] += r[1] >> 51;
        r[1] &= MASK;
        r[3] += r[2] >> 51;
        r[2] &= MASK;
        r[4] += r[3] >> 51;
        r[3] &= MASK;
        r[4] &= MASK;
        let words = [
            r[0] | (r[1] << 51),
            (r[1] >> 13) | (r[2] << 38),
            (r[2] >> 26) | (r[3] << 25),
            (r[3] >> 39) | (r[4] << 12),
        ];
        let mut out = [0u8; 32];
        for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// Sum without carrying.
    #[inline(always)]
    pub(super) const fn add(&self, o: &Fe) -> Fe {
        let (a, b) = (&self.0, &o.0);
        Fe([
            a[0] + b[0],
            a[1] + b[1],
            a[2] + b[2],
            a[3] + b[3],
            a[4] + b[4],
        ])
    }

    /// Difference, computed as `self + 4p - o` so no limb underflows (needs `o` limbs < 2^53).
    #[inline(always)]
    pub(super) const fn sub(&self, o: &Fe) -> Fe {
        const P4_0: u64 = 4 * ((1 << 51) - 19);
        const P4_I: u64 = 4 * MASK;
        let (a, b) = (&self.0, &o.0);
        Fe([
            (a[0] + P4_0) - b[0],
            (a[1] + P4_I) - b[1],
            (a[2] + P4_I) - b[2],
            (a[3] + P4_I) - b[3],
            (a[4] + P4_I) - b[4],
        ])
    }

    /// Product, reduced.
    #[inline(always)]
    pub(super) const fn mul(&self, o: &Fe) -> Fe {
        let [a0, a1, a2, a3, a4] = self.0;
        let [b0, b1, b2, b3, b4] = o.0;
        let (b1_19, b2_19, b3_19, b4_19) = (b1 * 19, b2 * 19, b3 * 19, b4 * 19);
        carry_wide([
            m(a0, b0) + m(a4, b1_19) + m(a3, b2_19) + m(a2, b3_19) + m(a1, b4_19),
            m(a1, b0) + m(a0, b1) + m(a4, b2_19) + m(a3, b3_19) + m(a2, b4_19),
            m(a2, b0) + m(a1, b1) + m(a0, b2) + m(a4, b3_19) + m(a3, b4_19),
            m(a3, b0) + m(a2, b1) + m(a1, b2) + m(a0, b3) + m(a4, b4_19),
            m(a4, b0) + m(a3, b1) + m(a2, b2) + m(a1, b3) + m(a0, b4),
        ])
    }

    /// Square, reduced.
    #[inline(always)]
    pub(super) const fn square(&self) -> Fe {
        let [a0, a1, a2, a3, a4] = self.0;
        let (d0, d1, d2) = (2 * a0, 2 * a1, 2 * a2);
        let (a3_19, a4_19) = (19 * a3, 19 * a4);
        carry_wide([
            m(a0, a0) + m(d1, a4_19) + m(d2, a3_19),
            m(d0, a1) + m(d2, a4_19) + m(a3, a3_19),
            m(d0, a2) + m(a1, a1) + m(2 * a3, a4_19),
            m(d0, a3) + m(d1, a2) + m(a4, a4_19),
            m(d0, a4) + m(d1, a3) + m(a2, a2),
        ])
    }

    /// `self^(2^k)`.
    #[inline]
    pub(super) const fn square_times(&self, k: u32) -> Fe {
        let mut r = *self;
        let mut i = 0;
        while i < k {
            r = r.square();
            i += 1;
        }
        r
    }

    /// Carries the limbs down to a reduced element (same value).
    #[inline]
    #[allow(clippy::cast_lossless)] // `From` is not usable in `const fn`
    pub(super) const fn reduce(&self) -> Fe {
        let l = &self.0;
        carry_wide([
            l[0] as u128,
            l[1] as u128,
            l[2] as u128,
            l[3] as u128,
            l[4] as u128,
        ])
    }

    /// Product with a small constant (`k` < 2^17), reduced.
    #[inline(always)]
    pub(super) fn mul_small(&self, k: u64) -> Fe {
        carry_wide(self.0.map(|a| m(a, k)))
    }

    /// All ones if `self` is zero modulo p, else zero; constant time.
    #[inline]
    pub(super) fn is_zero_mask(&self) -> u64 {
        let acc = self.to_bytes().iter().fold(0u8, |acc, b| acc | b);
        // acc == 0 -> (0 - 1) >> 8 has every bit set; acc in 1..=255 -> no bit survives the shift.
        let low = (u64::from(acc)).wrapping_sub(1) >> 8;
        // low is 2^56 - 1 or 0; spread it to a full mask.
        // The barrier hides that the mask comes from a comparison, so that the compiler cannot
        // turn its uses (selects in `batch_invert`) back into a branch on the secret; without
        // it, some inlining contexts compiled to `test; je` (found by the memcheck check).
        core::hint::black_box(0u64.wrapping_sub(low & 1))
    }

    /// Swaps `a` and `b` when `mask` is all ones, leaves them when it is zero.
    #[inline(always)]
    pub(super) fn cswap(a: &mut Fe, b: &mut Fe, mask: u64) {
        for (x, y) in a.0.iter_mut().zip(b.0.iter_mut()) {
            let t = (*x ^ *y) & mask;
            *x ^= t;
            *y ^= t;
        }
    }

    /// `self^(p-2)`, the inverse for nonzero `self` (zero maps to zero), by the usual
    /// addition chain for 2^255 - 21 = (2^250 - 1) * 2^5 + 11.
    pub(super) const fn invert(&self) -> Fe {
        let z = self;
        let z2 = z.square();
        let z9 = z2.square_times(2).mul(z);
        let z11 = z9.mul(&z2);
        let z_5_0 = z11.square().mul(&z9); // z^(2^5 - 1)
        let z_10_0 = z_5_0.square_times(5).mul(&z_5_0);
        let z_20_0 = z_10_0.square_times(10).mul(&z_10_0);
        let z_40_0 = z_20_0.square_times(20).mul(&z_20_0);
        let z_50_0 = z_40_0.square_times(10).mul(&z_10_0);
        let z_100_0 = z_50_0.square_times(50).mul(&z_50_0);
        let z_200_0 = z_100_0.square_times(100).mul(&z_100_0);
        let z_250_0 = z_200_0.square_times(50).mul(&z_50_0);
        z_250_0.square_times(5).mul(&z11)
    }
}

/// Inverts every element of `zs` with one field inversion (Montgomery's trick). As with
/// `invert`, a zero element maps to zero, and it does not disturb the others: zeros are
/// replaced by one before the shared inversion and their results masked back to zero, all by
/// masks, never by branches.
pub(super) fn batch_invert<const N: usize>(zs: &[Fe; N]) -> [Fe; N] {
    let zero_masks = zs.map(|z| z.is_zero_mask());
    let mut safe = *zs;
    for (s, mask) in safe.iter_mut().zip(zero_masks) {
        // s = mask ? 1 : s
        for (i, limb) in s.0.iter_mut().enumerate() {
            *limb = (*limb & !mask) | (Fe::ONE.0[i] & mask);
        }
    }
    // prefix[i] = safe[0] * ... * safe[i-1]
    let mut prefix = [Fe::ONE; N];
    let mut acc = Fe::ONE;
    for (p, z) in prefix.iter_mut().zip(&safe) {
        *p = acc;
        acc = acc.mul(z);
    }
    let mut inv = acc.invert();
    let mut out = [Fe::ZERO; N];
    for i in (0..N).rev() {
        let r = inv.mul(&prefix[i]);
        out[i] = Fe(r.0.map(|l| l & !zero_masks[i]));
        inv = inv.mul(&safe[i]);
    }
    out
}
