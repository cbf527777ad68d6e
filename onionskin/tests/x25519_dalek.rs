//! Property tests: every entry point of `onionskin::x25519` returns exactly the bytes
//! `x25519_dalek::x25519` returns, on the dispatched path and on the forced portable path.

use onionskin::x25519;
use proptest::prelude::*;
use x25519_dalek::X25519_BASEPOINT_BYTES;

fn dalek(k: [u8; 32], u: [u8; 32]) -> [u8; 32] {
    x25519_dalek::x25519(k, u)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn pair_matches_dalek(a in any::<[u8; 32]>(), b in any::<[u8; 32]>(), u in any::<[u8; 32]>()) {
        let want = (dalek(a, u), dalek(b, u));
        prop_assert_eq!(x25519::x25519_pair(&a, &b, &u), want);
        prop_assert_eq!(x25519::portable::x25519_pair(&a, &b, &u), want);
    }

    #[test]
    fn two_bases_matches_dalek(k in any::<[u8; 32]>(), u1 in any::<[u8; 32]>(), u2 in any::<[u8; 32]>()) {
        let want = (dalek(k, u1), dalek(k, u2));
        prop_assert_eq!(x25519::x25519_two_bases(&k, &u1, &u2), want);
        prop_assert_eq!(x25519::portable::x25519_two_bases(&k, &u1, &u2), want);
    }

    #[test]
    fn single_matches_dalek(k in any::<[u8; 32]>(), u in any::<[u8; 32]>()) {
        prop_assert_eq!(x25519::x25519(&k, &u), dalek(k, u));
        prop_assert_eq!(x25519::portable::x25519(&k, &u), dalek(k, u));
    }

    #[test]
    fn base_matches_dalek(k in any::<[u8; 32]>()) {
        prop_assert_eq!(x25519::x25519_base(&k), dalek(k, X25519_BASEPOINT_BYTES));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn base_and_pair_matches_dalek(y in any::<[u8; 32]>(), b in any::<[u8; 32]>(), x in any::<[u8; 32]>()) {
        let want = (dalek(y, X25519_BASEPOINT_BYTES), dalek(y, x), dalek(b, x));
        prop_assert_eq!(x25519::x25519_base_and_pair(&y, &b, &x), want);
        prop_assert_eq!(x25519::portable::x25519_base_and_pair(&y, &b, &x), want);
    }
}
