//! Differential: the Montgomery arithmetic behind TAP (`onionskin::bignum::Modulus`, 1024-bit)
//! and the RSA-CRT private operation (`onionskin::bignum::RsaCrt`) against `num-bigint`, on
//! arbitrary moduli (any odd value above 1, with leading zero limbs), operands and exponents.
//!
//! Input: a mode byte, then the mode's data (big-endian numbers, zero-padded when short).
//! * 0: modulus length byte, modulus (128), `a` (128), `b` (128), exponent length (2),
//!   exponent (128): mul, square, add, sub, to/from Montgomery form, pow, pow_base2, pow_comb.
//! * 1: RSA-CRT: `p`, `q`, `dp`, `dq`, `qinv` (64 each), ciphertext `c` (128).
#![no_main]

use libfuzzer_sys::fuzz_target;
use num_bigint::BigUint;
use onionskin::bignum::{Modulus, RsaCrt, from_be_bytes, to_be_bytes};

const L: usize = 16;

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
}

fn limbs<const M: usize>(be: &[u8]) -> [u64; M] {
    from_be_bytes::<M>(be).expect("fits")
}

fn big<const M: usize>(a: &[u64; M]) -> BigUint {
    let mut be = vec![0u8; 8 * M];
    to_be_bytes(a, &mut be);
    BigUint::from_bytes_be(&be)
}

fn to_limbs<const M: usize>(x: &BigUint) -> [u64; M] {
    let be = x.to_bytes_be();
    let mut padded = vec![0u8; 8 * M - be.len()];
    padded.extend_from_slice(&be);
    limbs(&padded)
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader(data);
    let [mode] = r.bytes::<1>();
    if mode % 2 == 0 {
        montgomery(&mut r);
    } else {
        rsa_crt(&mut r);
    }
});

fn montgomery(r: &mut Reader<'_>) {
    let [keep] = r.bytes::<1>();
    let mut n_be = r.bytes::<128>();
    // Keep the low `keep % 128 + 1` bytes: small moduli too, with leading zero limbs.
    let cut = 128 - (usize::from(keep) % 128 + 1);
    n_be[..cut].fill(0);
    let (a_be, b_be) = (r.bytes::<128>(), r.bytes::<128>());
    let bits = usize::from(u16::from_be_bytes(r.bytes::<2>())) % 1025;
    let e_be = r.bytes::<128>();

    let n: [u64; L] = limbs(&n_be);
    let nb = big(&n);
    let Some(m) = Modulus::new(&n) else {
        assert!(nb.bit(0) == false || nb <= BigUint::from(1u8), "Modulus::new refused {nb}");
        return;
    };
    assert!(nb.bit(0) && nb > BigUint::from(1u8));
    let a: [u64; L] = limbs(&a_be);
    let (ab, bb) = (big(&a), big::<L>(&limbs(&b_be)) % &nb);
    let b: [u64; L] = to_limbs(&bb);
    let ar: [u64; L] = to_limbs(&(&ab % &nb));

    let (am, bm) = (m.to_mont(&a), m.to_mont(&b));
    assert_eq!(big(&m.retrieve(&am)), &ab % &nb, "to_mont then retrieve");
    assert_eq!(big(&m.retrieve(&m.mul(&am, &bm))), (&ab * &bb) % &nb, "mul");
    assert_eq!(big(&m.retrieve(&m.square(&am))), (&ab * &ab) % &nb, "square");
    assert_eq!(big(&m.add(&ar, &b)), (&ab + &bb) % &nb, "add");
    assert_eq!(big(&m.sub(&ar, &b)), (&ab % &nb + &nb - &bb) % &nb, "sub");

    // Exponent: its first `bits` bits (little-endian limbs, as the crate reads them).
    let e_limbs: [u64; L] = limbs(&e_be);
    let eb = big(&e_limbs) & ((BigUint::from(1u8) << bits) - 1u8);
    assert_eq!(
        big(&m.retrieve(&m.pow(&m.to_mont(&ar), &e_limbs, bits))),
        ab.modpow(&eb, &nb),
        "pow"
    );
    assert_eq!(
        big(&m.retrieve(&m.pow_base2(&e_limbs, bits))),
        BigUint::from(2u8).modpow(&eb, &nb),
        "pow_base2"
    );
    const TEETH: usize = 4;
    let spacing = bits.div_ceil(TEETH).max(1);
    let table = m.comb_table::<{ 1 << TEETH }>(&m.to_mont(&ar), TEETH, spacing);
    assert_eq!(
        big(&m.retrieve(&m.pow_comb(&table, TEETH, spacing, &e_limbs, bits))),
        ab.modpow(&eb, &nb),
        "pow_comb"
    );
}

fn rsa_crt(r: &mut Reader<'_>) {
    let (p_be, q_be) = (r.bytes::<64>(), r.bytes::<64>());
    let (dp_be, dq_be, qinv_be) = (r.bytes::<64>(), r.bytes::<64>(), r.bytes::<64>());
    let c_be = r.bytes::<128>();
    let (p, q): ([u64; 8], [u64; 8]) = (limbs(&p_be), limbs(&q_be));
    let (dp, dq, qinv): ([u64; 8], [u64; 8], [u64; 8]) =
        (limbs(&dp_be), limbs(&dq_be), limbs(&qinv_be));
    let (pb, qb) = (big(&p), big(&q));
    let one = BigUint::from(1u8);
    let Some(key) = RsaCrt::new(&p, &q, &dp, &dq, &qinv) else {
        assert!(!(pb.bit(0) && pb > one && qb.bit(0) && qb > one), "RsaCrt::new refused");
        return;
    };
    let c: [u64; 16] = limbs(&c_be);
    let cb = big(&c);
    // Garner's recombination, whether or not p and q are primes of one key:
    // m2 + q * (qinv (m1 - m2) mod p).
    let m1 = cb.modpow(&big(&dp), &pb);
    let m2 = cb.modpow(&big(&dq), &qb);
    let diff = (&m1 + &pb - (&m2 % &pb)) % &pb;
    let h = (big(&qinv) * diff) % &pb;
    let expected = &m2 + &qb * h;
    assert_eq!(big(&key.private_op(&c)), expected, "RSA-CRT private operation");
}
