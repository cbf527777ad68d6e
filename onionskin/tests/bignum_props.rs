//! Differential property tests: the constant-time Montgomery arithmetic (`onionskin::bignum`,
//! `hazmat`) against num-bigint, which serves only as an independent oracle here.

// Test helpers may panic on malformed fixtures; that is a test failure, as intended.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use num_bigint::BigUint;
use num_traits::{One, Zero};
use onionskin::bignum::{Modulus, RsaCrt, from_be_bytes, to_be_bytes};
use proptest::prelude::*;

const OAKLEY_P: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

fn big<const L: usize>(x: &[u64; L]) -> BigUint {
    let mut bytes = vec![0u8; 8 * L];
    to_be_bytes(x, &mut bytes);
    BigUint::from_bytes_be(&bytes)
}

fn limbs<const L: usize>(x: &BigUint) -> [u64; L] {
    from_be_bytes(&x.to_bytes_be()).expect("fits")
}

fn oakley() -> BigUint {
    BigUint::parse_bytes(OAKLEY_P.as_bytes(), 16).unwrap()
}

/// An odd modulus from random limbs; `full` sets the top bit (RSA primes, DH prime).
fn modulus<const L: usize>(mut n: [u64; L], full: bool) -> [u64; L] {
    n[0] |= 1;
    if full {
        n[L - 1] |= 1 << 63;
    } else if n.iter().skip(1).all(|&l| l == 0) {
        n[1] = 1;
    }
    n
}

fn r<const L: usize>() -> BigUint {
    BigUint::one() << (64 * L)
}

fn check_ops<const L: usize>(n: [u64; L], a: [u64; L], b: [u64; L]) {
    let nb = big(&n);
    let m = Modulus::new(&n).expect("odd modulus");
    let rr = r::<L>();
    assert_eq!(big(m.one()), &rr % &nb);
    assert_eq!(big(m.r2()), (&rr * &rr) % &nb);
    let ab = big(&a);
    let bb = big(&b) % &nb;
    let b_red: [u64; L] = limbs(&bb);
    // to_mont accepts unreduced input.
    let am = m.to_mont(&a);
    assert_eq!(big(&am), (&ab * &rr) % &nb);
    let a_red: [u64; L] = m.retrieve(&am);
    assert_eq!(big(&a_red), &ab % &nb);
    let bm = m.to_mont(&b_red);
    // mul with an unreduced first operand, and with reduced ones.
    let rinv = rr.modinv(&nb).unwrap();
    assert_eq!(big(&m.mul(&a, &b_red)), (&ab * &bb * &rinv) % &nb);
    let prod = m.retrieve(&m.mul(&am, &bm));
    assert_eq!(big(&prod), (&ab * &bb) % &nb);
    let sq = m.retrieve(&m.square(&am));
    assert_eq!(big(&sq), (&ab * &ab) % &nb);
    let ar = &ab % &nb;
    assert_eq!(big(&m.add(&a_red, &b_red)), (&ar + &bb) % &nb);
    assert_eq!(big(&m.sub(&a_red, &b_red)), (&ar + &nb - &bb) % &nb);
}

fn check_pow<const L: usize>(n: [u64; L], a: [u64; L], e: &[u64], bits: usize) {
    let nb = big(&n);
    let m = Modulus::new(&n).expect("odd modulus");
    let mut eb = BigUint::zero();
    for (i, limb) in e.iter().enumerate() {
        eb |= BigUint::from(*limb) << (64 * i);
    }
    eb &= (BigUint::one() << bits) - BigUint::one();
    let ab = big(&a);
    let got = m.retrieve(&m.pow(&m.to_mont(&a), e, bits));
    assert_eq!(big(&got), ab.modpow(&eb, &nb));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn ops_512(n in prop::array::uniform8(any::<u64>()), a in prop::array::uniform8(any::<u64>()),
               b in prop::array::uniform8(any::<u64>()), full in any::<bool>()) {
        check_ops(modulus(n, full), a, b);
    }

    #[test]
    fn ops_1024(n in prop::array::uniform16(any::<u64>()), a in prop::array::uniform16(any::<u64>()),
                b in prop::array::uniform16(any::<u64>()), full in any::<bool>()) {
        check_ops(modulus(n, full), a, b);
    }

    #[test]
    fn ops_oakley(a in prop::array::uniform16(any::<u64>()), b in prop::array::uniform16(any::<u64>())) {
        check_ops(limbs::<16>(&oakley()), a, b);
    }

    #[test]
    fn pow_512(n in prop::array::uniform8(any::<u64>()), a in prop::array::uniform8(any::<u64>()),
               e in prop::array::uniform8(any::<u64>()), bits in 0usize..=512) {
        check_pow(modulus(n, true), a, &e, bits);
    }

    #[test]
    fn pow_1024_320bit_exponent(n in prop::array::uniform16(any::<u64>()),
                                a in prop::array::uniform16(any::<u64>()),
                                e in prop::array::uniform5(any::<u64>())) {
        check_pow(modulus(n, true), a, &e, 320);
    }

    #[test]
    fn pow_oakley(a in prop::array::uniform16(any::<u64>()), e in prop::array::uniform5(any::<u64>()),
                  bits in 1usize..=320) {
        check_pow(limbs::<16>(&oakley()), a, &e, bits);
    }

    #[test]
    fn pow_base2_oakley(e in prop::array::uniform5(any::<u64>()), bits in 0usize..=320) {
        let p = oakley();
        let m = Modulus::new(&limbs::<16>(&p)).unwrap();
        let mut eb = BigUint::zero();
        for (i, limb) in e.iter().enumerate() {
            eb |= BigUint::from(*limb) << (64 * i);
        }
        eb &= (BigUint::one() << bits) - BigUint::one();
        let got = m.retrieve(&m.pow_base2(&e, bits));
        prop_assert_eq!(big(&got), BigUint::from(2u8).modpow(&eb, &p));
    }

    #[test]
    fn pow_base2_generic_fallback(n in prop::array::uniform8(any::<u64>()),
                                  e in prop::array::uniform4(any::<u64>()), bits in 0usize..=256) {
        let n = modulus(n, false);
        let nb = big(&n);
        let m = Modulus::new(&n).unwrap();
        let mut eb = BigUint::zero();
        for (i, limb) in e.iter().enumerate() {
            eb |= BigUint::from(*limb) << (64 * i);
        }
        eb &= (BigUint::one() << bits) - BigUint::one();
        let got = m.retrieve(&m.pow_base2(&e, bits));
        prop_assert_eq!(big(&got), BigUint::from(2u8).modpow(&eb, &nb));
    }

    #[test]
    fn pow_comb_fixed_base(n in prop::array::uniform16(any::<u64>()), a in prop::array::uniform16(any::<u64>()),
                           e in prop::array::uniform5(any::<u64>()), bits in 1usize..=320) {
        let n = modulus(n, true);
        let nb = big(&n);
        let m = Modulus::new(&n).unwrap();
        let table: [[u64; 16]; 64] = m.comb_table(&m.to_mont(&a), 6, 54);
        let mut eb = BigUint::zero();
        for (i, limb) in e.iter().enumerate() {
            eb |= BigUint::from(*limb) << (64 * i);
        }
        eb &= (BigUint::one() << bits) - BigUint::one();
        let got = m.retrieve(&m.pow_comb(&table, 6, 54, &e, bits));
        prop_assert_eq!(big(&got), big(&a).modpow(&eb, &nb));
    }

    #[test]
    fn pow_vartime_public_exponent(n in prop::array::uniform16(any::<u64>()),
                                   a in prop::array::uniform16(any::<u64>()), e in any::<u64>()) {
        let n = modulus(n, true);
        let nb = big(&n);
        let m = Modulus::new(&n).unwrap();
        let got = m.retrieve(&m.pow_vartime(&m.to_mont(&a), e));
        prop_assert_eq!(big(&got), big(&a).modpow(&BigUint::from(e), &nb));
    }
}

/// The RSA keys of test-vectors/tap.json: (n, d, p, q).
fn vector_keys() -> Vec<[BigUint; 4]> {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../test-vectors/tap.json")).unwrap();
    doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let k = &c["onion_key"];
            let f = |name: &str| {
                BigUint::parse_bytes(k[name].as_str().unwrap().as_bytes(), 16).unwrap()
            };
            [f("n"), f("d"), f("p"), f("q")]
        })
        .collect()
}

fn crt_for(key: &[BigUint; 4]) -> RsaCrt {
    let [_, d, p, q] = key;
    let one = BigUint::one();
    let dp = d % (p - &one);
    let dq = d % (q - &one);
    let qinv = q.modinv(p).unwrap();
    RsaCrt::new(
        &limbs(p),
        &limbs(q),
        &limbs(&dp),
        &limbs(&dq),
        &limbs(&qinv),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn crt_private_op_matches_modpow(key_idx in 0usize..8, c in prop::array::uniform16(any::<u64>())) {
        let keys = vector_keys();
        let key = &keys[key_idx];
        let [n, d, ..] = key;
        let cb = big(&c) % n;
        let crt = crt_for(key);
        let got = crt.private_op(&limbs(&cb));
        prop_assert_eq!(big(&got), cb.modpow(d, n));
    }
}

#[test]
fn crt_edge_inputs() {
    for key in vector_keys() {
        let [n, d, p, q] = &key;
        let crt = crt_for(&key);
        for c in [
            BigUint::zero(),
            BigUint::one(),
            n - 1u8,
            p.clone(),
            q.clone(),
            p - 1u8,
            q + 1u8,
        ] {
            let got = crt.private_op(&limbs(&c));
            assert_eq!(big(&got), c.modpow(d, n), "c = {c:x}");
        }
    }
}
