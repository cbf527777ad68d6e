//! RSA-1024 onion keys (tor-spec 0.3: e = 65537) and OAEP with SHA-1, MGF1-SHA-1 and an
//! empty label (RFC 8017 7.1), as TAP's hybrid encryption uses them (tor-spec 0.4).

use crate::DecodeError;
use crate::bignum::{self, Modulus, RsaCrt};
use crate::der::{Der, pem_decode};
use core::fmt;
use sha1::{Digest, Sha1};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Bytes in an RSA-1024 modulus and ciphertext (KP_ENC_LEN, tor-spec 0.2).
pub const MODULUS_LEN: usize = 128;
/// The public exponent Tor's onion keys use (tor-spec 0.3).
pub const PUBLIC_EXPONENT: u64 = 65537;
/// Length of the PKCS#1 DER `RSAPublicKey` of a 1024-bit key with e = 65537.
pub const PUBLIC_DER_LEN: usize = 140;
/// Bytes an OAEP block (k = 128, SHA-1) can carry: 128 - 2*20 - 2 (KP_PAD_LEN = 42).
pub(crate) const OAEP_MAX_MESSAGE: usize = MODULUS_LEN - 42;
/// Length of an OAEP seed: one SHA-1 output.
pub(crate) const OAEP_SEED_LEN: usize = 20;

/// Limbs of the modulus and of each CRT prime.
const FULL: usize = 16;
const HALF: usize = 8;
/// Space for a decoded RSA-1024 private key (611 bytes when written by OpenSSL).
const PRIVATE_DER_MAX: usize = 1024;
/// OAEP data block length: k - hLen - 1.
const DB_LEN: usize = MODULUS_LEN - 20 - 1;
/// SHA-1 of the empty label.
const LHASH: [u8; 20] = [
    0xda, 0x39, 0xa3, 0xee, 0x5e, 0x6b, 0x4b, 0x0d, 0x32, 0x55, 0xbf, 0xef, 0x95, 0x60, 0x18, 0x90,
    0xaf, 0xd8, 0x07, 0x09,
];

/// A relay's RSA-1024 onion key, public half: what a client needs to start TAP.
///
/// Parsed from PKCS#1 DER or PEM (`-----BEGIN RSA PUBLIC KEY-----`, the `onion-key` of a
/// server descriptor). Only 1024-bit moduli with e = 65537 are accepted, as tor-spec 0.3
/// prescribes.
#[derive(Clone)]
pub struct RelayPublicKey {
    n: Modulus<FULL>,
}

impl PartialEq for RelayPublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.n.modulus() == other.n.modulus()
    }
}
impl Eq for RelayPublicKey {}

impl fmt::Debug for RelayPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = [0u8; MODULUS_LEN];
        bignum::to_be_bytes(self.n.modulus(), &mut n);
        write!(f, "RelayPublicKey(n = ")?;
        for b in n.get(..8).unwrap_or_default() {
            write!(f, "{b:02x}")?;
        }
        write!(f, "…)")
    }
}

fn bad(field: &'static str) -> DecodeError {
    DecodeError::InvalidValue { field }
}

/// Parses the modulus (exactly 1024 bits) and checks e = 65537.
fn modulus_and_exponent(n: &[u8], e: &[u8]) -> Result<Modulus<FULL>, DecodeError> {
    if n.len() != MODULUS_LEN || n.first().is_none_or(|b| b & 0x80 == 0) {
        return Err(DecodeError::LengthOutOfRange {
            field: "RSA modulus bits",
            value: n.len() * 8,
            limit: MODULUS_LEN * 8,
        });
    }
    if e != [0x01, 0x00, 0x01] {
        return Err(bad("RSA public exponent (must be 65537)"));
    }
    let limbs = bignum::from_be_bytes::<FULL>(n).ok_or(bad("RSA modulus"))?;
    Modulus::new(&limbs).ok_or(bad("RSA modulus"))
}

impl RelayPublicKey {
    /// Parses a PKCS#1 `RSAPublicKey` in DER.
    ///
    /// # Errors
    /// A [`DecodeError`] if the encoding is not strict DER, has trailing bytes, or the key
    /// is not a 1024-bit modulus with e = 65537.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, DecodeError> {
        let mut outer = Der::new(der);
        let mut seq = outer.sequence("RSAPublicKey")?;
        if !outer.is_empty() {
            return Err(DecodeError::TrailingBytes {
                extra: der.len() - PUBLIC_DER_LEN.min(der.len()),
            });
        }
        let n = seq.uint("RSA modulus")?;
        let e = seq.uint("RSA public exponent")?;
        if !seq.is_empty() {
            return Err(bad("RSAPublicKey"));
        }
        Ok(Self {
            n: modulus_and_exponent(n, e)?,
        })
    }

    /// Parses a PEM `-----BEGIN RSA PUBLIC KEY-----` block (PKCS#1 inside).
    ///
    /// # Errors
    /// As [`RelayPublicKey::from_pkcs1_der`], plus PEM framing and base64 errors.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, DecodeError> {
        let mut buf = [0u8; 2 * PUBLIC_DER_LEN];
        let len = pem_decode(pem, "RSA PUBLIC KEY", &mut buf)?;
        Self::from_pkcs1_der(buf.get(..len).unwrap_or_default())
    }

    /// The PKCS#1 DER encoding (140 bytes), as a descriptor's `onion-key` holds it.
    #[must_use]
    pub fn to_pkcs1_der(&self) -> [u8; PUBLIC_DER_LEN] {
        let mut out = [0u8; PUBLIC_DER_LEN];
        let head = [0x30, 0x81, 0x89, 0x02, 0x81, 0x81, 0x00];
        let tail = [0x02, 0x03, 0x01, 0x00, 0x01];
        let (h, rest) = out.split_at_mut(head.len());
        h.copy_from_slice(&head);
        let (n, t) = rest.split_at_mut(MODULUS_LEN);
        bignum::to_be_bytes(self.n.modulus(), n);
        t.copy_from_slice(&tail);
        out
    }

    /// The modulus `n`, big-endian.
    #[must_use]
    pub fn modulus_be(&self) -> [u8; MODULUS_LEN] {
        let mut out = [0u8; MODULUS_LEN];
        bignum::to_be_bytes(self.n.modulus(), &mut out);
        out
    }

    /// Raw RSA: `m^e mod n` for a 128-byte big-endian `m < n`. Public data, variable time.
    pub(super) fn raw_encrypt(&self, m: &[u8; MODULUS_LEN]) -> [u8; MODULUS_LEN] {
        let limbs = bignum::from_be_bytes::<FULL>(m).unwrap_or([0; FULL]);
        let c = self
            .n
            .retrieve(&self.n.pow_vartime(&self.n.to_mont(&limbs), PUBLIC_EXPONENT));
        let mut out = [0u8; MODULUS_LEN];
        bignum::to_be_bytes(&c, &mut out);
        out
    }

    /// RSAES-OAEP-ENCRYPT (RFC 8017 7.1.1) of an 86-byte message with a given seed.
    pub(super) fn oaep_encrypt(
        &self,
        message: &[u8; OAEP_MAX_MESSAGE],
        seed: &[u8; OAEP_SEED_LEN],
    ) -> [u8; MODULUS_LEN] {
        let mut em = oaep_encode(message, seed);
        let c = self.raw_encrypt(&em);
        em.zeroize();
        c
    }
}

/// A relay's RSA-1024 onion key, private half (CRT form), with its public key.
///
/// Parsed from PKCS#1 DER or PEM (`-----BEGIN RSA PRIVATE KEY-----`, Tor's
/// `secret_onion_key` file). Loading checks that the CRT parameters agree with the public
/// key by decrypting a known ciphertext. Zeroized on drop; `Debug` prints nothing secret.
#[derive(Clone)]
pub struct RelaySecretKey {
    public: RelayPublicKey,
    crt: RsaCrt,
}

impl fmt::Debug for RelaySecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelaySecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl ZeroizeOnDrop for RelaySecretKey {}

/// A secret INTEGER of at most `HALF` limbs.
fn half(bytes: &[u8], field: &'static str) -> Result<[u64; HALF], DecodeError> {
    bignum::from_be_bytes::<HALF>(bytes).ok_or(DecodeError::LengthOutOfRange {
        field,
        value: bytes.len(),
        limit: 8 * HALF,
    })
}

impl RelaySecretKey {
    /// Parses a PKCS#1 `RSAPrivateKey` (two-prime, version 0) in DER.
    ///
    /// # Errors
    /// A [`DecodeError`] if the encoding is not strict DER, the key is not RSA-1024 with
    /// e = 65537, a CRT value does not fit 512 bits, or the CRT parameters do not decrypt
    /// correctly under the public key.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, DecodeError> {
        let mut outer = Der::new(der);
        let mut seq = outer.sequence("RSAPrivateKey")?;
        if !outer.is_empty() {
            return Err(bad("RSAPrivateKey trailing bytes"));
        }
        if seq.uint("RSAPrivateKey version")? != [] as [u8; 0] {
            return Err(bad("RSAPrivateKey version (two-prime keys only)"));
        }
        let n = seq.uint("RSA modulus")?;
        let e = seq.uint("RSA public exponent")?;
        let d_bytes = seq.uint("RSA private exponent")?;
        let mut d =
            bignum::from_be_bytes::<FULL>(d_bytes).ok_or(DecodeError::LengthOutOfRange {
                field: "RSA private exponent",
                value: d_bytes.len(),
                limit: MODULUS_LEN,
            })?;
        let p = half(seq.uint("RSA prime1")?, "RSA prime1")?;
        let q = half(seq.uint("RSA prime2")?, "RSA prime2")?;
        let dp = half(seq.uint("RSA exponent1")?, "RSA exponent1")?;
        let dq = half(seq.uint("RSA exponent2")?, "RSA exponent2")?;
        let qinv = half(seq.uint("RSA coefficient")?, "RSA coefficient")?;
        if !seq.is_empty() {
            return Err(bad("RSAPrivateKey"));
        }
        let public = RelayPublicKey {
            n: modulus_and_exponent(n, e)?,
        };
        let crt = RsaCrt::new(&p, &q, &dp, &dq, &qinv).ok_or(bad("RSA primes"));
        let mut secrets = [p, q, dp, dq, qinv];
        secrets.zeroize();
        let key = Self { public, crt: crt? };
        // p q must be n, and d and the CRT exponents must invert e: decrypt two known
        // ciphertexts with the CRT and one with d itself (constant time, 1024-bit exponent).
        let (lo, hi) = bignum::mul_wide(&p_of(&key), &q_of(&key));
        let mut pq = [0u64; FULL];
        pq.get_mut(..HALF).unwrap_or_default().copy_from_slice(&lo);
        pq.get_mut(HALF..).unwrap_or_default().copy_from_slice(&hi);
        let mut ok = bignum::ct_eq(&pq, key.public.n.modulus());
        for probe in [2u8, 0xa5] {
            let mut m = [probe; MODULUS_LEN];
            if let Some(top) = m.first_mut() {
                *top = 0;
            }
            let c = key.public.raw_encrypt(&m);
            let (back, valid) = key.raw_decrypt(&c);
            ok &= valid & back.ct_eq(&m);
            let n = &key.public.n;
            let c_limbs = bignum::from_be_bytes::<FULL>(&c).unwrap_or([0; FULL]);
            let mut plain = n.retrieve(&n.pow(&n.to_mont(&c_limbs), &d, 64 * FULL));
            let mut back_d = [0u8; MODULUS_LEN];
            bignum::to_be_bytes(&plain, &mut back_d);
            ok &= back_d.ct_eq(&m);
            plain.zeroize();
            back_d.zeroize();
        }
        d.zeroize();
        if bool::from(ok) {
            Ok(key)
        } else {
            Err(bad("RSA private key does not match its public key"))
        }
    }

    /// Parses a PEM `-----BEGIN RSA PRIVATE KEY-----` block (unencrypted PKCS#1 inside).
    ///
    /// # Errors
    /// As [`RelaySecretKey::from_pkcs1_der`], plus PEM framing and base64 errors.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, DecodeError> {
        let mut buf = [0u8; PRIVATE_DER_MAX];
        let r = pem_decode(pem, "RSA PRIVATE KEY", &mut buf)
            .and_then(|len| Self::from_pkcs1_der(buf.get(..len).unwrap_or_default()));
        buf.zeroize();
        r
    }

    /// The public half.
    #[must_use]
    pub fn public_key(&self) -> &RelayPublicKey {
        &self.public
    }

    /// The CRT private operation (for benchmarks and tests).
    #[cfg(feature = "hazmat")]
    pub(super) fn crt(&self) -> &RsaCrt {
        &self.crt
    }

    /// Raw RSA decryption in constant time: `c^d mod n`, and whether `c < n` (the
    /// ciphertext is public; the answer is folded, not branched on).
    pub(super) fn raw_decrypt(&self, c: &[u8; MODULUS_LEN]) -> ([u8; MODULUS_LEN], Choice) {
        let limbs = bignum::from_be_bytes::<FULL>(c).unwrap_or([0; FULL]);
        let in_range = bignum::ct_lt(&limbs, self.public.n.modulus());
        let mut m = self.crt.private_op(&limbs);
        let mut out = [0u8; MODULUS_LEN];
        bignum::to_be_bytes(&m, &mut out);
        m.zeroize();
        (out, in_range)
    }

    /// RSAES-OAEP-DECRYPT (RFC 8017 7.1.2) of a block that must carry exactly
    /// [`OAEP_MAX_MESSAGE`] bytes, as TAP's always does. Constant time: every check is
    /// folded into the returned `Choice` (one error, one timing), and because the message
    /// length is fixed, the `0x01` separator sits at a fixed offset, so no secret index is
    /// ever computed.
    pub(super) fn oaep_decrypt(&self, c: &[u8; MODULUS_LEN]) -> ([u8; OAEP_MAX_MESSAGE], Choice) {
        let (mut em, in_range) = self.raw_decrypt(c);
        let (message, ok) = oaep_decode(&em);
        em.zeroize();
        (message, ok & in_range)
    }
}

fn p_of(key: &RelaySecretKey) -> [u64; HALF] {
    *key.crt.p_modulus()
}
fn q_of(key: &RelaySecretKey) -> [u64; HALF] {
    *key.crt.q_modulus()
}

/// MGF1 with SHA-1 (RFC 8017 B.2.1): XORs `MGF1(seed, out.len())` into `out`.
fn mgf1_xor(seed: &[u8], out: &mut [u8]) {
    for (counter, chunk) in (0u32..).zip(out.chunks_mut(20)) {
        let mut h = Sha1::new();
        h.update(seed);
        h.update(counter.to_be_bytes());
        let mask = h.finalize();
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
    }
}

/// EME-OAEP encoding (RFC 8017 7.1.1 step 2) of an 86-byte message: with no room left for
/// padding zeros, `DB = lHash | 0x01 | M`.
pub(super) fn oaep_encode(
    message: &[u8; OAEP_MAX_MESSAGE],
    seed: &[u8; OAEP_SEED_LEN],
) -> [u8; MODULUS_LEN] {
    let mut em = [0u8; MODULUS_LEN];
    let (_, rest) = em.split_at_mut(1);
    let (masked_seed, db) = rest.split_at_mut(OAEP_SEED_LEN);
    let (lhash, rest) = db.split_at_mut(LHASH.len());
    lhash.copy_from_slice(&LHASH);
    let (sep, m) = rest.split_at_mut(1);
    sep.fill(1);
    m.copy_from_slice(message);
    mgf1_xor(seed, db);
    masked_seed.copy_from_slice(seed);
    mgf1_xor(db, masked_seed);
    em
}

/// EME-OAEP decoding (RFC 8017 7.1.2 step 3) for an 86-byte message, in constant time:
/// `Y = 0`, `lHash' = lHash` and the separator `0x01` right after it, all folded.
pub(super) fn oaep_decode(em: &[u8; MODULUS_LEN]) -> ([u8; OAEP_MAX_MESSAGE], Choice) {
    let mut buf = *em;
    let (y, rest) = buf.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(OAEP_SEED_LEN);
    mgf1_xor(db, seed);
    mgf1_xor(seed, db);
    let (lhash, rest) = db.split_at_mut(LHASH.len());
    let (sep, m) = rest.split_at_mut(1);
    let ok = y.ct_eq(&[0u8][..]) & lhash.ct_eq(&LHASH[..]) & sep.ct_eq(&[1u8][..]);
    let mut message = [0u8; OAEP_MAX_MESSAGE];
    message.copy_from_slice(m);
    buf.zeroize();
    debug_assert_eq!(DB_LEN, LHASH.len() + 1 + OAEP_MAX_MESSAGE);
    (message, ok)
}
