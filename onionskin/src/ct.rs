//! Crate-private constant-time helpers built on `subtle`.

use core::ops::{Deref, DerefMut};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// A secret byte array wiped on drop with one bulk write and a compiler barrier (zeroize's
/// slice path). `Zeroizing<[u8; N]>` wipes arrays one volatile byte at a time, which added
/// up to a measurable share of an ntor-v3 relay handshake.
pub(crate) struct Wiped<const N: usize>(pub(crate) [u8; N]);

impl<const N: usize> Wiped<N> {
    pub(crate) const fn new(bytes: [u8; N]) -> Self {
        Self(bytes)
    }
}

impl<const N: usize> Deref for Wiped<N> {
    type Target = [u8; N];
    fn deref(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> DerefMut for Wiped<N> {
    fn deref_mut(&mut self) -> &mut [u8; N] {
        &mut self.0
    }
}

impl<const N: usize> Drop for Wiped<N> {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

/// `Choice(1)` iff every byte of `bytes` is zero, in time independent of the contents.
#[must_use]
pub(crate) fn is_zero(bytes: &[u8]) -> Choice {
    let mut acc = 0u8;
    for b in bytes {
        acc |= *b;
    }
    acc.ct_eq(&0)
}

/// `Choice(1)` iff `a == b`, in time independent of the contents (lengths are public).
/// Like `subtle`'s slice `ct_eq`, but with one accumulator and one optimisation barrier at
/// the end instead of one per byte, which showed up in the relays' profiles.
#[must_use]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> Choice {
    if a.len() != b.len() {
        return Choice::from(0);
    }
    let mut acc = 0u8;
    for (x, y) in a.iter().zip(b) {
        acc |= x ^ y;
    }
    acc.ct_eq(&0)
}

/// Scans *every* entry of `keys` and returns the index of the last one whose public id equals
/// `wanted`, plus whether any matched. The scan never stops early, so the time taken does not
/// depend on which entry (if any) matched.
#[must_use]
pub(crate) fn ct_lookup<K, const N: usize>(
    keys: &[K],
    wanted: &[u8; N],
    id_of: impl Fn(&K) -> &[u8; N],
) -> (usize, Choice) {
    let mut found = Choice::from(0);
    let mut index = 0u64;
    for (i, k) in keys.iter().enumerate() {
        let hit = bytes_eq(id_of(k), wanted);
        index.conditional_assign(&(i as u64), hit);
        found |= hit;
    }
    // `index` < keys.len() always, so the cast cannot truncate on any platform.
    #[allow(clippy::cast_possible_truncation)]
    (index as usize, found)
}

/// Turns a handshake's combined verdict into a `bool` to branch on: the one place where a
/// value computed from secrets becomes public, by design (a relay answers or refuses, a
/// client accepts or rejects). Every handshake decides through here, once, at the end.
///
/// Out of line and tiny so that the constant-time check (`tools/ct-check`, which runs
/// the handshakes under valgrind memcheck with their secrets marked undefined) can
/// declassify exactly this function by name and nothing else; see the README (section "Constant-time check").
#[inline(never)]
#[must_use]
pub(crate) fn declassify(verdict: Choice) -> bool {
    // A read from a two-entry table, not a comparison: under memcheck the address depends on
    // the verdict, which is reported inside this function (and suppressed by name), and the
    // value read is defined, so the caller's branch on it is not reported again. The table
    // sits in one cache line, so the read costs the same whatever the verdict.
    const TABLE: [bool; 2] = [false, true];
    let table = core::hint::black_box(&TABLE);
    table
        .get(usize::from(verdict.unwrap_u8() & 1))
        .copied()
        .unwrap_or(false)
}

/// Copies `src` into `dst` where `choice` is set, in constant time.
pub(crate) fn conditional_copy(dst: &mut [u8], src: &[u8], choice: Choice) {
    for (d, s) in dst.iter_mut().zip(src) {
        d.conditional_assign(s, choice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_eq_compares_every_byte_and_the_length() {
        let a = [7u8; 32];
        assert!(bool::from(bytes_eq(&a, &a)));
        for i in 0..32 {
            for bit in 0..8 {
                let mut b = a;
                b[i] ^= 1 << bit;
                assert!(!bool::from(bytes_eq(&a, &b)), "byte {i} bit {bit}");
            }
        }
        assert!(!bool::from(bytes_eq(&a, &a[..31])));
        assert!(bool::from(bytes_eq(&[], &[])));
    }

    fn ids() -> [[u8; 4]; 3] {
        [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]
    }

    #[test]
    fn lookup_none_first_last() {
        let keys = ids();
        let (_, f) = ct_lookup(&keys, &[9; 4], |k| k);
        assert!(!bool::from(f));
        let (i, f) = ct_lookup(&keys, &[1; 4], |k| k);
        assert!(bool::from(f));
        assert_eq!(i, 0);
        let (i, f) = ct_lookup(&keys, &[3; 4], |k| k);
        assert!(bool::from(f));
        assert_eq!(i, 2);
    }

    #[test]
    fn lookup_all_match_picks_last() {
        let keys = [[5u8; 4]; 3];
        let (i, f) = ct_lookup(&keys, &[5; 4], |k| k);
        assert!(bool::from(f));
        assert_eq!(i, 2);
    }

    #[test]
    fn lookup_empty() {
        let keys: [[u8; 4]; 0] = [];
        let (_, f) = ct_lookup(&keys, &[5; 4], |k| k);
        assert!(!bool::from(f));
    }

    #[test]
    fn zero_check() {
        assert!(bool::from(is_zero(&[0; 32])));
        let mut b = [0u8; 32];
        b[31] = 1;
        assert!(!bool::from(is_zero(&b)));
        assert!(bool::from(is_zero(&[])));
    }

    #[test]
    fn declassify_is_the_choice() {
        assert!(declassify(Choice::from(1)));
        assert!(!declassify(Choice::from(0)));
    }

    #[test]
    fn copy_is_conditional() {
        let mut d = [0u8; 3];
        conditional_copy(&mut d, &[1, 2, 3], Choice::from(0));
        assert_eq!(d, [0; 3]);
        conditional_copy(&mut d, &[1, 2, 3], Choice::from(1));
        assert_eq!(d, [1, 2, 3]);
    }
}
