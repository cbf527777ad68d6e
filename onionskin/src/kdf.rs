//! The key-derivation functions of Tor's circuit handshakes, as public primitives.
//!
//! | KDF | used by | spec |
//! |---|---|---|
//! | [`kdf_tor`] | TAP (`K0 = g^xy`), CREATE_FAST (`K0 = X \| Y`) | tor-spec 5.2.1 |
//! | [`hkdf_sha256`] | ntor (`IKM = secret_input`, `salt = t_key`, `info = m_expand`) | tor-spec 5.2.2, RFC 5869 |
//!
//! ntor-v3's SHAKE-256 stream lives with the handshake in
//! [`handshake::ntor_v3`](crate::handshake::ntor_v3).

use crate::HandshakeError;
use hkdf::Hkdf;
use sha1::{Digest, Sha1};
use sha2::Sha256;

/// The most output KDF-TOR can give: the counter is one byte, so 256 SHA-1 blocks.
pub const KDF_TOR_MAX_LEN: usize = 256 * 20;
/// The most output HKDF-SHA256 can give (RFC 5869: 255 hash lengths).
pub const HKDF_SHA256_MAX_LEN: usize = 255 * 32;

/// KDF-TOR (tor-spec 5.2.1): `SHA1(K0 | [00]) | SHA1(K0 | [01]) | ...`, truncated to `out.len()`.
///
/// `k0` may be given in several pieces (CREATE_FAST hashes `X | Y`); they are hashed as if
/// concatenated, so no secret buffer is assembled.
///
/// # Errors
/// [`HandshakeError::KeyMaterialTooLong`] if `out` is longer than [`KDF_TOR_MAX_LEN`].
///
/// # Example
/// ```
/// let mut out = [0u8; 92];
/// onionskin::kdf::kdf_tor(&[b"tor"], &mut out).unwrap();
/// ```
pub fn kdf_tor(k0: &[&[u8]], out: &mut [u8]) -> Result<(), HandshakeError> {
    if out.len() > KDF_TOR_MAX_LEN {
        return Err(HandshakeError::KeyMaterialTooLong);
    }
    let mut prefix = Sha1::new();
    for part in k0 {
        prefix.update(part);
    }
    for (i, chunk) in out.chunks_mut(20).enumerate() {
        let mut h = prefix.clone();
        // i < 256 by the length check above.
        #[allow(clippy::cast_possible_truncation)]
        h.update([i as u8]);
        let block = h.finalize();
        chunk.copy_from_slice(block.get(..chunk.len()).unwrap_or_default());
    }
    Ok(())
}

/// HKDF-SHA256 (RFC 5869, tor-spec 5.2.2): extract with `salt` over the concatenation of the
/// `ikm` pieces, then expand with `info` into `out`.
///
/// # Errors
/// [`HandshakeError::KeyMaterialTooLong`] if `out` is longer than [`HKDF_SHA256_MAX_LEN`].
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[&[u8]],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), HandshakeError> {
    let mut extract = hkdf::HkdfExtract::<Sha256>::new(Some(salt));
    for part in ikm {
        extract.input_ikm(part);
    }
    let (_, hk): (_, Hkdf<Sha256>) = extract.finalize();
    hk.expand(info, out)
        .map_err(|_| HandshakeError::KeyMaterialTooLong)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data built from small indices
mod tests {
    use super::*;

    #[test]
    fn kdf_tor_parts_equal_whole() {
        let mut a = [0u8; 100];
        let mut b = [0u8; 100];
        kdf_tor(&[b"abcdef"], &mut a).unwrap();
        kdf_tor(&[b"abc", b"def"], &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn kdf_tor_first_block_is_sha1_of_k0_and_zero() {
        let mut out = [0u8; 20];
        kdf_tor(&[b"x"], &mut out).unwrap();
        let want = Sha1::digest(b"x\x00");
        assert_eq!(&out[..], &want[..]);
    }

    #[test]
    fn kdf_tor_length_limit() {
        let mut big = [0u8; KDF_TOR_MAX_LEN + 1];
        assert_eq!(
            kdf_tor(&[b""], &mut big),
            Err(HandshakeError::KeyMaterialTooLong)
        );
        let mut max = [0u8; KDF_TOR_MAX_LEN];
        assert!(kdf_tor(&[b""], &mut max).is_ok());
    }

    #[test]
    fn hkdf_rfc5869_case_1() {
        // RFC 5869 appendix A.1.
        let ikm = [0x0bu8; 22];
        let salt: [u8; 13] = core::array::from_fn(|i| i as u8);
        let info: [u8; 10] = core::array::from_fn(|i| 0xf0 + i as u8);
        let mut okm = [0u8; 42];
        hkdf_sha256(&salt, &[&ikm[..11], &ikm[11..]], &info, &mut okm).unwrap();
        assert_eq!(
            hex::encode(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        );
    }
}
