//! The RSA-1024 private operation by the Chinese remainder theorem, in constant time.

use super::{Modulus, add_assign, mul_wide};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Limbs of a CRT half (a 512-bit prime and its exponents).
const HALF: usize = 8;
/// Limbs of the RSA modulus.
const FULL: usize = 16;
/// Exponent length used for `dp` and `dq`: their full width, so the running time does not
/// depend on their actual lengths.
const HALF_BITS: usize = 64 * HALF;

/// An RSA-1024 private key in CRT form: primes `p`, `q` (at most 512 bits each), exponents
/// `dp = d mod (p-1)`, `dq = d mod (q-1)` and `qinv = q^-1 mod p`.
///
/// [`RsaCrt::private_op`] computes `c^d mod pq` as
/// `m1 = c^dp mod p`, `m2 = c^dq mod q`, `h = qinv (m1 - m2) mod p`, `m = m2 + h q` (Garner),
/// with no branch or memory index that depends on the key or on `c`.
/// Zeroized on drop.
///
/// There is no message or exponent blinding: every step already runs in time independent
/// of the secrets, and blinding would guard only against power, electromagnetic and fault
/// attacks on the hardware, which are out of scope here, at the price of a modular inverse
/// (or an extra exponentiation) per decryption. A fault check (re-encrypting the result)
/// is likewise left out: TAP never sends the decrypted block back, which is what a
/// Bellcore-style fault attack needs.
#[derive(Clone)]
pub struct RsaCrt {
    p: Modulus<HALF>,
    q: Modulus<HALF>,
    dp: [u64; HALF],
    dq: [u64; HALF],
    /// `qinv R mod p`: Montgomery form of `qinv`.
    qinv_mont: [u64; HALF],
    /// `R^3 mod p` and `R^3 mod q`, to bring a 1024-bit input into Montgomery form.
    p_r3: [u64; HALF],
    q_r3: [u64; HALF],
}

impl Zeroize for RsaCrt {
    fn zeroize(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv_mont.zeroize();
        self.p_r3.zeroize();
        self.q_r3.zeroize();
    }
}

impl Drop for RsaCrt {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for RsaCrt {}

impl core::fmt::Debug for RsaCrt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaCrt").finish_non_exhaustive()
    }
}

impl RsaCrt {
    /// Prepares the CRT parameters (little-endian limbs). Returns `None` if `p` or `q` is not
    /// an odd number above 1. Whether they fit the rest of the key is the caller's check
    /// (decrypting a known ciphertext does it).
    #[must_use]
    pub fn new(
        p: &[u64; HALF],
        q: &[u64; HALF],
        dp: &[u64; HALF],
        dq: &[u64; HALF],
        qinv: &[u64; HALF],
    ) -> Option<Self> {
        let pm = Modulus::new(p)?;
        let qm = Modulus::new(q)?;
        let p_r3 = pm.mul(pm.r2(), pm.r2());
        let q_r3 = qm.mul(qm.r2(), qm.r2());
        let qinv_mont = pm.to_mont(qinv);
        Some(Self {
            p: pm,
            q: qm,
            dp: *dp,
            dq: *dq,
            qinv_mont,
            p_r3,
            q_r3,
        })
    }

    /// The prime `p` (secret; crate-internal, for key validation).
    pub(crate) fn p_modulus(&self) -> &[u64; HALF] {
        self.p.modulus()
    }

    /// The prime `q` (secret; crate-internal, for key validation).
    pub(crate) fn q_modulus(&self) -> &[u64; HALF] {
        self.q.modulus()
    }

    /// `c^d mod n` for a 1024-bit `c` (little-endian limbs), in constant time.
    ///
    /// The result is correct for every `c < n = pq`; callers check that bound on the public
    /// ciphertext first.
    #[must_use]
    pub fn private_op(&self, c: &[u64; FULL]) -> [u64; FULL] {
        let cp = reduce_wide(&self.p, &self.p_r3, c);
        let cq = reduce_wide(&self.q, &self.q_r3, c);
        let m1 = self.p.pow(&cp, &self.dp, HALF_BITS);
        let m2 = self.q.retrieve(&self.q.pow(&cq, &self.dq, HALF_BITS));
        // Garner: h = qinv (m1 - m2) mod p. m2 < q < R, so to_mont reduces it mod p.
        let m2_p = self.p.to_mont(&m2);
        let diff = self.p.sub(&m1, &m2_p);
        let h = self.p.retrieve(&self.p.mul(&diff, &self.qinv_mont));
        // m = m2 + h q < q + (p - 1) q = n: no reduction needed.
        let (lo, hi) = mul_wide(&h, self.q.modulus());
        let mut m = [0u64; FULL];
        let (m_lo, m_hi) = m.split_at_mut(HALF);
        m_lo.copy_from_slice(&lo);
        m_hi.copy_from_slice(&hi);
        let mut m2_wide = [0u64; FULL];
        m2_wide[..HALF].copy_from_slice(&m2);
        add_assign(&mut m, &m2_wide);
        m
    }
}

/// Montgomery form modulo `m` (a `HALF`-limb modulus) of a `FULL`-limb `c`:
/// `c R mod m = c_hi R^2 + c_lo R mod m`, from `mul(c_hi, R^3)` and `mul(c_lo, R^2)`.
/// Both products accept unreduced first operands, so `c` may exceed `m` by any amount.
fn reduce_wide(m: &Modulus<HALF>, r3: &[u64; HALF], c: &[u64; FULL]) -> [u64; HALF] {
    let mut lo = [0u64; HALF];
    let mut hi = [0u64; HALF];
    lo.copy_from_slice(&c[..HALF]);
    hi.copy_from_slice(&c[HALF..]);
    let a = m.mul(&hi, r3);
    let b = m.mul(&lo, m.r2());
    m.add(&a, &b)
}
