//! Four independent Montgomery ladders, one per 64-bit lane of a 256-bit vector, on the
//! radix-2^25.5 arithmetic of `lanes` (ten limbs alternating 26 and 25 bits; each limb vector
//! holds the same limb of four field elements; products by `vpmuludq`, 32 x 32 -> 64 bits of
//! the low halves, summed in 64-bit lanes, reduced by 19 and carried).
//!
//! Where `lanes::ladder2` packs the two coordinates of two ladders into one vector (and so
//! needs lane shuffles and spends one of its four lanes on a multiplication by one), here
//! every lane is its own ladder and every field operation of RFC 7748 section 5 is one
//! vector operation on four elements: per step and per ladder 1.25 multiplications,
//! 1 squaring and 0.25 small multiplications, against 1.5, 1 and 0.5 in `ladder2`, and no
//! shuffle. That pays only when four ladders are pending, which a relay answering a batch
//! of handshakes has (`batch`, two ladders per handshake).
//!
//! The code is generic over [`Lanes`] (it uses only `load`, `store`, `splat`, `add`, `sub`,
//! `mul32`, the shifts, `and` and `xor`, each one instruction): `crate::simd::avx2` runs it
//! with AVX2 instructions, and [`Portable`](super::lanes::Portable) with plain arrays (any
//! CPU; tests, and the constant-time check under valgrind).
//!
//! Limb bounds (weights and the "reduced" bound as in `lanes`: even limbs below 2^26, odd
//! limbs below 2^25 + 2^18). Every value the step multiplies is one of:
//! * a reduced element (output of `mul`, `square`, `mul_small`, or of the conversion from
//!   radix 2^51, including the ladder's starting values and the swapped ones: the swap moves
//!   whole limbs);
//! * the sum of two reduced elements: even limbs below 2^27, odd below 2^26 + 2^19;
//! * the difference `a + 2p - b` of two reduced elements: even limbs below 2^26 + 2^27 <
//!   2^27.59, odd below 2^25 + 2^18 + 2^26 < 2^26.59, never negative since 2p's limbs exceed
//!   every reduced limb.
//!
//! All of these are below 2^27.75, the bound `lanes::Fe4::mul` and `square` accept (19 times
//! such a limb still fits the 32-bit multiplier input, and each of the ten terms of a 64-bit
//! column is below 2 * 2^26.59 * 19 * 2^27.59 < 2^59.5, so a column stays below 2^63). The
//! small multiplication takes a difference (below 2^27.59) times 121666 < 2^17: products
//! below 2^44.6, carried to a reduced element. These are the operands `ladder2` already
//! multiplies (its hadamard outputs are such sums and differences), so the carry analysis in
//! `lanes` covers every product here.
//!
//! Constant time: every lane runs the same instructions whatever its scalar; the conditional
//! swap is an `and`/`xor` with a per-lane mask built from the scalar bits without a branch,
//! and no memory index depends on a scalar or a point.

// Lane indices are compile-time bounded (0..4) into fixed-size arrays.
#![allow(clippy::indexing_slicing)]

use super::field51::Fe;
use super::lanes::{Fe4, Fe4Mul, Lanes, square};

/// (A + 2) / 4 + 1 for Curve25519; see `ladder::A24_PLUS_ONE`.
const A24_PLUS_ONE: u64 = 121_666;

/// Runs four ladders side by side, lane `j` computing `scalars[j] * u(bases[j])`, and returns
/// each result as a projective pair (X, Z) in radix 2^51 (limbs below 2^51 + 2^44, as
/// `lanes::Fe4::to_fe` gives). Scalars must be clamped (bit 254 set, bits 0..3 clear), which
/// the last three doublings rely on; `bases` must be reduced (limbs below 2^51, as
/// `Fe::from_bytes` gives).
#[inline(always)]
pub(crate) fn ladder4<L: Lanes>(s: L, scalars: [&[u8; 32]; 4], bases: &[Fe; 4]) -> [(Fe, Fe); 4] {
    let (one, zero) = (Fe::ONE, Fe::ZERO);
    let x1 = Fe4::from_fe(s, [&bases[0], &bases[1], &bases[2], &bases[3]]);
    // u is a multiplier once per step (z3 = u (DA - CB)^2): its 19-fold limbs once for all.
    let x1 = Fe4Mul::new(s, &x1);
    let mut x2 = Fe4::from_fe(s, [&one, &one, &one, &one]);
    let mut z2 = Fe4::from_fe(s, [&zero, &zero, &zero, &zero]);
    let mut x3 = Fe4::from_fe(s, [&bases[0], &bases[1], &bases[2], &bases[3]]);
    let mut z3 = x2;
    let a24 = s.splat(A24_PLUS_ONE);
    let mut swap = [0u64; 4];
    for t in (3..=254).rev() {
        let mut b = [0u64; 4];
        let mut m = [0u64; 4];
        for j in 0..4 {
            b[j] = super::ladder::bit(scalars[j], t);
            m[j] = 0u64.wrapping_sub(swap[j] ^ b[j]);
        }
        let mask = s.load(m);
        Fe4::cswap(s, &mut x2, &mut x3, mask);
        Fe4::cswap(s, &mut z2, &mut z3, mask);
        swap = b;
        // RFC 7748 section 5, one step; operand bounds as in the module docs.
        let a = x2.add(s, &z2);
        let bb_in = x2.sub(s, &z2);
        let c = x3.add(s, &z3);
        let d = x3.sub(s, &z3);
        let aa = square(s, &a);
        let bb = square(s, &bb_in);
        let da = d.mul(s, &a);
        let cb = c.mul(s, &bb_in);
        let e = aa.sub(s, &bb);
        x3 = square(s, &da.add(s, &cb));
        z3 = Fe4::mul_pre(s, &square(s, &da.sub(s, &cb)), &x1);
        x2 = aa.mul(s, &bb);
        // AA + a24 E = BB + (a24 + 1) E.
        z2 = e.mul(s, &bb.add(s, &e.mul_small(s, a24)));
    }
    let m = swap.map(|w| 0u64.wrapping_sub(w));
    let mask = s.load(m);
    Fe4::cswap(s, &mut x2, &mut x3, mask);
    Fe4::cswap(s, &mut z2, &mut z3, mask);
    // Bits 2, 1, 0 of a clamped scalar are zero: three plain doublings.
    for _ in 0..3 {
        let aa = square(s, &x2.add(s, &z2));
        let bb = square(s, &x2.sub(s, &z2));
        let e = aa.sub(s, &bb);
        x2 = aa.mul(s, &bb);
        z2 = e.mul(s, &bb.add(s, &e.mul_small(s, a24)));
    }
    let [p0, p1, p2, p3] = x2.to_fe(s);
    let [q0, q1, q2, q3] = z2.to_fe(s);
    [(p0, q0), (p1, q1), (p2, q2), (p3, q3)]
}

#[cfg(test)]
mod tests {
    use super::super::lanes::Portable;
    use super::*;

    fn fe(b: u8) -> Fe {
        Fe::from_bytes(&[b; 32])
    }

    /// Same projective point up to scaling: X_w Z_g == X_g Z_w.
    fn same(w: &(Fe, Fe), g: &(Fe, Fe)) -> bool {
        w.0.mul(&g.1).to_bytes() == g.0.mul(&w.1).to_bytes()
    }

    #[test]
    fn portable_lanes_match_radix51_ladder() {
        let ks = [7u8, 57, 107, 200].map(|b| super::super::clamp([b; 32]));
        let bases = [fe(3), fe(9), Fe::ZERO, fe(0xff)];
        let got = ladder4(Portable, [&*ks[0], &*ks[1], &*ks[2], &*ks[3]], &bases);
        for j in 0..4 {
            let [want] = super::super::ladder::ladder([&*ks[j]], [bases[j]]);
            assert!(same(&want, &got[j]), "lane {j}");
        }
    }

    /// The AVX2 lanes compute exactly the limbs of the portable lanes, where the CPU has AVX2.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_lanes_match_portable_lanes() {
        let Some(avx2) = crate::simd::avx2::Avx2::detect() else {
            std::eprintln!("no AVX2 on this CPU: only the portable lanes are tested");
            return;
        };
        let ks = [1u8, 9, 0x80, 0xff].map(|b| super::super::clamp([b; 32]));
        let ks = [&*ks[0], &*ks[1], &*ks[2], &*ks[3]];
        for bases in [
            [fe(9), fe(9), fe(9), fe(9)],
            [fe(0xff), Fe::ZERO, fe(1), fe(0x80)],
        ] {
            let want = ladder4(Portable, ks, &bases);
            let got = avx2.ladder4(ks, &bases);
            for (w, g) in want.iter().zip(&got) {
                assert_eq!((w.0.0, w.1.0), (g.0.0, g.1.0));
            }
        }
    }
}
