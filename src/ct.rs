//! Crate-private constant-time helpers built on `subtle`.

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

/// `Choice(1)` iff every byte of `bytes` is zero, in time independent of the contents.
#[must_use]
pub(crate) fn is_zero(bytes: &[u8]) -> Choice {
    let mut acc = 0u8;
    for b in bytes {
        acc |= *b;
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
        let hit = id_of(k).ct_eq(wanted);
        index.conditional_assign(&(i as u64), hit);
        found |= hit;
    }
    // `index` < keys.len() always, so the cast cannot truncate on any platform.
    #[allow(clippy::cast_possible_truncation)]
    (index as usize, found)
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
    fn copy_is_conditional() {
        let mut d = [0u8; 3];
        conditional_copy(&mut d, &[1, 2, 3], Choice::from(0));
        assert_eq!(d, [0; 3]);
        conditional_copy(&mut d, &[1, 2, 3], Choice::from(1));
        assert_eq!(d, [1, 2, 3]);
    }
}
