//! Fixed-base multiplication `k * B` on the birationally equivalent Edwards curve, with a
//! precomputed table, returning the Montgomery u-coordinate as a fraction so that callers can
//! share its inversion with other results.
//!
//! Method (the one curve25519-dalek's radix-16 table uses, written afresh): write the clamped
//! scalar in signed radix 16, k = sum e_i 16^i with e_i in [-8, 8]; the table holds
//! `c * 256^j * B` for c = 1..=8 and j = 0..32. Then
//! `k B = 16 * (sum_{i odd} e_i 256^((i-1)/2) B) + sum_{i even} e_i 256^(i/2) B`:
//! 64 table additions and 4 doublings. Each table entry is chosen by scanning all eight
//! candidates with masks, and negated by mask, so nothing depends on the scalar's value.
//!
//! The table is computed by the compiler (`const`), from the base point's coordinates, so it
//! carries no unexplained constants; a test checks the base point against curve25519-dalek.

// Table and digit indices are compile-time bounded.
#![allow(clippy::indexing_slicing)]

use super::field51::Fe;
use zeroize::Zeroize;

/// Little-endian bytes of the Edwards base point's coordinates (RFC 7748 section 4.1:
/// y = 4/5, x the even square root). Checked against curve25519-dalek in the tests.
const BASE_X: [u8; 32] = [
    0x1a, 0xd5, 0x25, 0x8f, 0x60, 0x2d, 0x56, 0xc9, 0xb2, 0xa7, 0x25, 0x95, 0x60, 0xc7, 0x2c, 0x69,
    0x5c, 0xdc, 0xd6, 0xfd, 0x31, 0xe2, 0xa4, 0xc0, 0xfe, 0x53, 0x6e, 0xcd, 0xd3, 0x36, 0x69, 0x21,
];
const BASE_Y: [u8; 32] = [
    0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
    0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
];

/// `Fe::from_bytes` for `const` use (top bit ignored).
const fn fe_const(b: &[u8; 32]) -> Fe {
    let mut w = [0u64; 4];
    let mut i = 0;
    while i < 32 {
        w[i / 8] |= (b[i] as u64) << (8 * (i % 8));
        i += 1;
    }
    const MASK: u64 = (1 << 51) - 1;
    Fe([
        w[0] & MASK,
        ((w[0] >> 51) | (w[1] << 13)) & MASK,
        ((w[1] >> 38) | (w[2] << 26)) & MASK,
        ((w[2] >> 25) | (w[3] << 39)) & MASK,
        (w[3] >> 12) & MASK,
    ])
}

/// Small field constant.
const fn small(x: u64) -> Fe {
    Fe([x, 0, 0, 0, 0])
}

/// 2d, with d = -121665 / 121666 the Edwards curve constant.
const D2: Fe = {
    let d = Fe::ZERO.sub(&small(121_665)).mul(&small(121_666).invert());
    d.add(&d).reduce()
};

/// A point in extended twisted Edwards coordinates: x = X/Z, y = Y/Z, XY = ZT.
#[derive(Clone, Copy)]
pub(super) struct Ext {
    x: Fe,
    y: Fe,
    z: Fe,
    t: Fe,
}

/// An affine point as (y + x, y - x, 2d x y), ready for mixed addition.
#[derive(Clone, Copy)]
pub(super) struct Niels {
    pub(super) ypx: Fe,
    pub(super) ymx: Fe,
    pub(super) xy2d: Fe,
}

impl Niels {
    /// The neutral element (x, y) = (0, 1).
    const IDENTITY: Niels = Niels {
        ypx: Fe::ONE,
        ymx: Fe::ONE,
        xy2d: Fe::ZERO,
    };
}

impl Ext {
    const IDENTITY: Ext = Ext {
        x: Fe::ZERO,
        y: Fe::ONE,
        z: Fe::ONE,
        t: Fe::ZERO,
    };

    /// Doubling (a = -1). With A = X^2, B = Y^2, C = 2 Z^2 and the signs arranged so that every
    /// product is positive: E = A + B - (X + Y)^2, G = A - B, F = G + C, H = A + B;
    /// result (E F, G H, F G, E H).
    #[inline(always)]
    const fn double(&self) -> Ext {
        let a = self.x.square();
        let b = self.y.square();
        let zz = self.z.square();
        let c = zz.add(&zz);
        let h = a.add(&b);
        let e = h.sub(&self.x.add(&self.y).square());
        let g = a.sub(&b);
        let f = g.add(&c);
        Ext {
            x: e.mul(&f),
            y: g.mul(&h),
            z: f.mul(&g),
            t: e.mul(&h),
        }
    }

    /// The unified addition's second half: from A, B, C, D as in RFC 8032's point addition.
    #[inline(always)]
    const fn finish_add(a: Fe, b: Fe, c: Fe, d: Fe) -> Ext {
        let e = b.sub(&a);
        let f = d.sub(&c);
        let g = d.add(&c);
        let h = b.add(&a);
        Ext {
            x: e.mul(&f),
            y: g.mul(&h),
            z: f.mul(&g),
            t: e.mul(&h),
        }
    }

    /// Full addition (RFC 8032 section 5.1.4), only used to build the table.
    const fn add(&self, o: &Ext) -> Ext {
        let a = self.y.sub(&self.x).mul(&o.y.sub(&o.x));
        let b = self.y.add(&self.x).mul(&o.y.add(&o.x));
        let c = self.t.mul(&D2).mul(&o.t);
        let zz = self.z.mul(&o.z);
        Ext::finish_add(a, b, c, zz.add(&zz))
    }

    /// Mixed addition with an affine table point.
    #[inline(always)]
    fn add_niels(&self, n: &Niels) -> Ext {
        let a = self.y.sub(&self.x).mul(&n.ymx);
        let b = self.y.add(&self.x).mul(&n.ypx);
        let c = self.t.mul(&n.xy2d);
        Ext::finish_add(a, b, c, self.z.add(&self.z))
    }
}

/// `TABLE[j][c - 1] = c * 256^j * B` for c in 1..=8, j in 0..32.
pub(super) static TABLE: [[Niels; 8]; 32] = build_table();

#[allow(long_running_const_eval)] // a few thousand field operations, once per compilation
const fn build_table() -> [[Niels; 8]; 32] {
    let x = fe_const(&BASE_X);
    let y = fe_const(&BASE_Y);
    let mut bj = Ext {
        x,
        y,
        z: Fe::ONE,
        t: x.mul(&y),
    };
    let mut pts = [[Ext::IDENTITY; 8]; 32];
    let mut j = 0;
    while j < 32 {
        let mut acc = bj;
        pts[j][0] = bj;
        let mut c = 1;
        while c < 8 {
            acc = acc.add(&bj);
            pts[j][c] = acc;
            c += 1;
        }
        let mut d = 0;
        while d < 8 {
            bj = bj.double();
            d += 1;
        }
        j += 1;
    }
    // To affine with one inversion (Montgomery's trick; no Z is zero: B has prime order).
    let mut prefix = [[Fe::ONE; 8]; 32];
    let mut acc = Fe::ONE;
    let mut i = 0;
    while i < 256 {
        prefix[i / 8][i % 8] = acc;
        acc = acc.mul(&pts[i / 8][i % 8].z);
        i += 1;
    }
    let mut inv = acc.invert();
    let mut table = [[Niels::IDENTITY; 8]; 32];
    while i > 0 {
        i -= 1;
        let p = &pts[i / 8][i % 8];
        let zinv = inv.mul(&prefix[i / 8][i % 8]);
        inv = inv.mul(&p.z);
        let (ax, ay) = (p.x.mul(&zinv), p.y.mul(&zinv));
        table[i / 8][i % 8] = Niels {
            ypx: ay.add(&ax).reduce(),
            ymx: ay.sub(&ax).reduce(),
            xy2d: ax.mul(&ay).mul(&D2),
        };
    }
    table
}

/// `c * 256^j * B` for the signed digit `e` (in -8..=8), chosen without secret-dependent
/// branches or indices.
#[inline(always)]
#[allow(clippy::cast_sign_loss)] // bit patterns: masks from the digit's sign and magnitude
fn select(row: &[Niels; 8], e: i8) -> Niels {
    let sign = (e >> 7) as u8; // 0xff iff e < 0 (arithmetic shift)
    // The masks pass through `black_box`: without it LLVM sees through them, compiles the
    // scan below into a jump table on |e| and the negation into a branch on the sign (found
    // by `tools/ct-check` under valgrind memcheck).
    let neg = core::hint::black_box(0u64.wrapping_sub(u64::from(sign & 1)));
    let abs = u64::from(((e as u8) ^ sign).wrapping_sub(sign)); // |e| by masks, no branch
    // all ones iff abs == c: (abs ^ c) - 1 borrows into bit 63 exactly when abs == c.
    let hits: [u64; 8] = core::hint::black_box(core::array::from_fn(|i| {
        let c = i as u64 + 1;
        0u64.wrapping_sub(((abs ^ c).wrapping_sub(1)) >> 63)
    }));
    let mut r = Niels::IDENTITY;
    for (&hit, entry) in hits.iter().zip(row) {
        for (dst, src) in [
            (&mut r.ypx, &entry.ypx),
            (&mut r.ymx, &entry.ymx),
            (&mut r.xy2d, &entry.xy2d),
        ] {
            for (d, s) in dst.0.iter_mut().zip(src.0) {
                *d = (*d & !hit) | (s & hit);
            }
        }
    }
    // -P: swap y + x and y - x, negate 2dxy.
    Fe::cswap(&mut r.ypx, &mut r.ymx, neg);
    let minus = Fe::ZERO.sub(&r.xy2d);
    for (d, s) in r.xy2d.0.iter_mut().zip(minus.0) {
        *d = (*d & !neg) | (s & neg);
    }
    r
}

/// Signed radix-16 digits of a clamped scalar (below 2^255), each in -8..=8.
#[allow(clippy::cast_possible_wrap)] // nibbles (< 16) and the recentred digits fit in i8
pub(super) fn digits(k: &[u8; 32]) -> [i8; 64] {
    let mut e = [0i8; 64];
    for (i, b) in k.iter().enumerate() {
        e[2 * i] = (b & 15) as i8;
        e[2 * i + 1] = (b >> 4) as i8;
    }
    // Recentre: each digit from [0, 16] (after the incoming carry) to [-8, 8).
    for i in 0..63 {
        let carry = (e[i] + 8) >> 4;
        e[i] -= carry << 4;
        e[i + 1] += carry;
    }
    e
}

/// `k * B` for a clamped scalar, as Montgomery (U : W) = (Z + Y : Z - Y), that is u = (1 + y) /
/// (1 - y), the map RFC 7748 section 4.1 gives.
pub(super) fn mul_base(k: &[u8; 32]) -> (Fe, Fe) {
    let mut e = digits(k);
    let mut p = Ext::IDENTITY;
    for j in 0..32 {
        p = p.add_niels(&select(&TABLE[j], e[2 * j + 1]));
    }
    for _ in 0..4 {
        p = p.double();
    }
    for j in 0..32 {
        p = p.add_niels(&select(&TABLE[j], e[2 * j]));
    }
    e.zeroize();
    (p.z.add(&p.y), p.z.sub(&p.y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_point_matches_dalek() {
        let b = curve25519_dalek::constants::ED25519_BASEPOINT_POINT.compress();
        let mut y = BASE_Y;
        // Compressed form: y with the sign of x (x even here) in bit 255.
        y[31] |= (BASE_X[0] & 1) << 7;
        assert_eq!(b.to_bytes(), y);
        // On the curve: -x^2 + y^2 = 1 + d x^2 y^2, with 2d = D2.
        let (x, y) = (Fe::from_bytes(&BASE_X), Fe::from_bytes(&BASE_Y));
        let (xx, yy) = (x.square(), y.square());
        let d = D2.mul(&small(2).invert());
        assert_eq!(
            yy.sub(&xx).to_bytes(),
            Fe::ONE.add(&d.mul(&xx).mul(&yy)).to_bytes()
        );
    }

    #[test]
    fn digits_recombine() {
        let k = super::super::clamp([0xa7; 32]);
        let e = digits(&k);
        assert!(e.iter().all(|d| (-8..=8).contains(d)));
        // sum e_i 16^i == k, checked limb by limb with a signed carry.
        let mut carry = 0i32;
        for (i, b) in k.iter().enumerate() {
            let v = i32::from(e[2 * i]) + 16 * i32::from(e[2 * i + 1]) + carry;
            assert_eq!(v.rem_euclid(256), i32::from(*b));
            carry = v.div_euclid(256);
        }
        assert_eq!(carry, 0);
    }
}
