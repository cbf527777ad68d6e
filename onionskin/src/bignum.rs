//! Constant-time fixed-size Montgomery arithmetic for TAP's RSA-1024 and DH-1024.
//!
//! Numbers are arrays of 64-bit limbs, least significant first: `[u64; 8]` for 512-bit values
//! (the CRT halves of an RSA-1024 key) and `[u64; 16]` for 1024-bit values (the RSA modulus,
//! the Oakley group 2 prime). Products go through `u128`.
//!
//! # Constant time
//! Every function here that may see a secret (a secret operand, exponent or modulus) runs in
//! time that depends only on the limb count and on the *public* exponent bit length: there is
//! no branch and no memory index derived from a secret value. Conditional steps (the final
//! subtraction of a Montgomery product, window table lookups, modular additions) compute both
//! outcomes and select with [`subtle`] masks; table lookups read every entry.
//! Functions whose name ends in `_vartime` are for public data only (the RSA public exponent).
//!
//! This module is public only with the `hazmat` feature (for benchmarks and differential
//! tests); the handshakes use it internally.

// Limb indices in this module are loop counters bounded by the const limb count `L` (or 2L
// for double-width products), so indexing cannot go out of range; `get()` would only obscure
// the arithmetic and stop the compiler from unrolling.
#![allow(clippy::indexing_slicing)]
// `u128 -> u64` truncations below are the point: they split a double-width product.
#![allow(clippy::cast_possible_truncation)]

mod crt;
mod mont;

pub use crt::RsaCrt;
pub use mont::Modulus;

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// `a + b * c + carry`, as (low limb, high limb). Cannot overflow: the maximum is 2^128 - 1.
#[inline(always)]
const fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) * (c as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `a + b + carry`, as (sum, carry out).
#[inline(always)]
const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `a - b - borrow`, as (difference, borrow out in {0, 1}).
#[inline(always)]
const fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub((b as u128) + (borrow as u128));
    (t as u64, ((t >> 64) as u64) & 1)
}

/// Adds `b` into `a`, returning the carry out.
#[inline(always)]
fn add_assign<const L: usize>(a: &mut [u64; L], b: &[u64; L]) -> u64 {
    let mut c = 0;
    for i in 0..L {
        (a[i], c) = adc(a[i], b[i], c);
    }
    c
}

/// Subtracts `b` from `a`, returning the borrow out.
#[inline(always)]
fn sub_assign<const L: usize>(a: &mut [u64; L], b: &[u64; L]) -> u64 {
    let mut borrow = 0;
    for i in 0..L {
        (a[i], borrow) = sbb(a[i], b[i], borrow);
    }
    borrow
}

/// Replaces `a` by `b` where `choice` is set, limb by limb with masks.
#[inline(always)]
fn select_assign<const L: usize>(a: &mut [u64; L], b: &[u64; L], choice: Choice) {
    select_assign_mask(a, b, u64::conditional_select(&0, &u64::MAX, choice));
}

/// Replaces `a` by `b` where `mask` is all ones (it must be 0 or all ones).
#[inline(always)]
fn select_assign_mask<const L: usize>(a: &mut [u64; L], b: &[u64; L], mask: u64) {
    for i in 0..L {
        a[i] ^= (a[i] ^ b[i]) & mask;
    }
}

/// All ones if `bit` (0 or 1) is 1, else 0, hidden from the optimiser so that it cannot
/// turn the masked arithmetic that follows into a branch. `core::hint::black_box` is an
/// inline barrier, much cheaper than a `subtle::Choice` (a call and a volatile read), which
/// matters in the hot loops of exponentiation.
#[inline(always)]
pub(crate) fn mask_from_bit(bit: u64) -> u64 {
    core::hint::black_box(bit & 1).wrapping_neg()
}

/// All ones if `a == b`, else 0, without a branch (see [`mask_from_bit`]).
#[inline(always)]
pub(crate) fn eq_mask(a: u64, b: u64) -> u64 {
    let x = a ^ b;
    mask_from_bit(((x | x.wrapping_neg()) >> 63) ^ 1)
}

/// `Choice(1)` iff `a < b`, in constant time.
#[must_use]
pub fn ct_lt<const L: usize>(a: &[u64; L], b: &[u64; L]) -> Choice {
    let mut t = *a;
    let borrow = sub_assign(&mut t, b);
    Choice::from(borrow as u8)
}

/// `Choice(1)` iff `a == b`, in constant time.
#[must_use]
pub fn ct_eq<const L: usize>(a: &[u64; L], b: &[u64; L]) -> Choice {
    a[..].ct_eq(&b[..])
}

/// Reads a big-endian byte string into `L` limbs, left-padding with zeros.
///
/// Returns `None` if `bytes` is longer than `8 * L` (its length is public; its value may be
/// secret and is handled in constant time).
#[must_use]
pub fn from_be_bytes<const L: usize>(bytes: &[u8]) -> Option<[u64; L]> {
    if bytes.len() > 8 * L {
        return None;
    }
    let mut out = [0u64; L];
    for (i, b) in bytes.iter().rev().enumerate() {
        out[i / 8] |= u64::from(*b) << (8 * (i % 8));
    }
    Some(out)
}

/// Writes `a` big-endian into `out`, which must be exactly `8 * L` bytes long.
///
/// # Panics
/// If `out.len() != 8 * L` (a programming error; lengths are public).
pub fn to_be_bytes<const L: usize>(a: &[u64; L], out: &mut [u8]) {
    assert_eq!(out.len(), 8 * L, "output must hold exactly L limbs");
    for (chunk, limb) in out.chunks_exact_mut(8).zip(a.iter().rev()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
}

/// The full `2L`-limb product `a * b`, returned as (low half, high half).
#[must_use]
pub fn mul_wide<const L: usize>(a: &[u64; L], b: &[u64; L]) -> ([u64; L], [u64; L]) {
    let mut w = [[0u64; L]; 2];
    let flat = w.as_flattened_mut();
    for i in 0..L {
        let mut c = 0;
        for j in 0..L {
            (flat[i + j], c) = mac(flat[i + j], a[i], b[j], c);
        }
        flat[i + L] = c;
    }
    let [lo, hi] = w;
    (lo, hi)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip() {
        let bytes: [u8; 64] = core::array::from_fn(|i| i as u8 + 1);
        let limbs: [u64; 8] = from_be_bytes(&bytes).unwrap();
        assert_eq!(limbs[0], 0x393a_3b3c_3d3e_3f40);
        assert_eq!(limbs[7], 0x0102_0304_0506_0708);
        let mut out = [0u8; 64];
        to_be_bytes(&limbs, &mut out);
        assert_eq!(out, bytes);
        // Short input is left-padded; long input is refused.
        assert_eq!(from_be_bytes::<2>(&[1, 2]), Some([0x0102, 0]));
        assert_eq!(from_be_bytes::<1>(&[0; 9]), None);
    }

    #[test]
    fn compare() {
        let a = [1u64, 2, 3];
        let mut b = a;
        assert!(bool::from(ct_eq(&a, &b)));
        assert!(!bool::from(ct_lt(&a, &b)));
        b[0] = 2;
        assert!(bool::from(ct_lt(&a, &b)));
        assert!(!bool::from(ct_lt(&b, &a)));
        b = [0, 0, 4];
        assert!(bool::from(ct_lt(&a, &b)));
        assert!(!bool::from(ct_eq(&a, &b)));
    }

    #[test]
    fn wide_product() {
        let a = [u64::MAX; 2];
        let (lo, hi) = mul_wide(&a, &a);
        // (2^128 - 1)^2 = 2^256 - 2^129 + 1
        assert_eq!(lo, [1, 0]);
        assert_eq!(hi, [u64::MAX - 1, u64::MAX]);
    }
}
