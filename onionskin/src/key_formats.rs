//! Tor's own key formats: C tor's key files, the descriptor's `ntor-onion-key`, and the
//! relay identity digest (NODEID) from an RSA identity key.
//!
//! | what | where C tor keeps it | here |
//! |---|---|---|
//! | ntor onion key (ntor and ntor-v3) | `keys/secret_onion_key_ntor`: 32-byte header `== c25519v1: onion ==` (NUL-padded), secret (32), public (32) | [`read_secret_onion_key_ntor`], [`write_secret_onion_key_ntor`] |
//! | Ed25519 identity (ntor-v3's `ID`) | `keys/ed25519_master_id_public_key`: 32-byte header `== ed25519v1-public: type0 ==`, key (32) | [`read_ed25519_master_id_public_key`], [`write_ed25519_master_id_public_key`] |
//! | ntor onion key, public | descriptor and microdescriptor line `ntor-onion-key`: base64, padded or not | [`parse_ntor_onion_key`] |
//! | RSA identity digest (ntor's NODEID, the fingerprint) | `keys/secret_id_key` (PEM, private) or the descriptor's `signing-key` (PEM, public) | [`RsaIdentity`] |
//!
//! Every parser takes untrusted bytes and answers with a [`KeyFormatError`], never a panic,
//! and allocates nothing.
//!
//! ```
//! use onionskin::handshake::{NtorOnionKey, ntor, ntor_v3};
//! use onionskin::key_formats;
//!
//! // A relay loads its onion key once and runs ntor and ntor-v3 with it.
//! let file = key_formats::write_secret_onion_key_ntor(&NtorOnionKey::generate(&mut rand_core::OsRng));
//! let onion_key = key_formats::read_secret_onion_key_ntor(&*file)?;
//! let ntor_keys = ntor::RelayKeys::new([1; 20], onion_key.clone());
//! let ntor_v3_keys = ntor_v3::RelayKeys::new([2; 32], onion_key);
//!
//! // A client reads the same key from the relay's descriptor.
//! let b64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
//! let public = key_formats::parse_ntor_onion_key(b64)?;
//! assert_eq!(public[31], 31);
//! # let _ = (ntor_keys, ntor_v3_keys);
//! # Ok::<(), onionskin::KeyFormatError>(())
//! ```

use crate::der::{Der, base64_decode, pem_decode};
use crate::handshake::{NTOR_ONION_KEY_LEN, NtorOnionKey};
use crate::{DecodeError, KeyFormatError};
use core::fmt;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// Length of a key file's header (C tor's `crypto_write_tagged_contents_to_file`).
pub const KEY_FILE_HEADER_LEN: usize = 32;
/// Length of `secret_onion_key_ntor`: header, secret key, public key.
pub const SECRET_ONION_KEY_NTOR_LEN: usize = KEY_FILE_HEADER_LEN + 2 * NTOR_ONION_KEY_LEN;
/// Length of an Ed25519 public key.
pub const ED25519_ID_LEN: usize = 32;
/// Length of `ed25519_master_id_public_key`: header and key.
pub const ED25519_MASTER_ID_PUBLIC_KEY_LEN: usize = KEY_FILE_HEADER_LEN + ED25519_ID_LEN;
/// Length of an RSA identity digest (NODEID, SHA-1).
pub const RSA_ID_LEN: usize = 20;

/// The text of `secret_onion_key_ntor`'s header; NUL-padded to 32 bytes in the file.
const ONION_KEY_TAG: &[u8] = b"== c25519v1: onion ==";
/// The text of `ed25519_master_id_public_key`'s header; NUL-padded to 32 bytes.
const ED25519_PUBLIC_TAG: &[u8] = b"== ed25519v1-public: type0 ==";

/// The 32-byte NUL-padded header for `tag`.
fn header(tag: &[u8]) -> [u8; KEY_FILE_HEADER_LEN] {
    let mut h = [0u8; KEY_FILE_HEADER_LEN];
    for (dst, src) in h.iter_mut().zip(tag) {
        *dst = *src;
    }
    h
}

/// Splits a tagged key file into its body after checking length and header.
fn tagged_body<'a, const N: usize>(
    file: &'a [u8],
    tag: &[u8],
) -> Result<&'a [u8; N], KeyFormatError> {
    let expected = KEY_FILE_HEADER_LEN + N;
    if file.len() != expected {
        return Err(KeyFormatError::WrongLength {
            expected,
            found: file.len(),
        });
    }
    let (head, body) = file
        .split_first_chunk::<KEY_FILE_HEADER_LEN>()
        .ok_or(KeyFormatError::WrongHeader)?;
    if head != &header(tag) {
        return Err(KeyFormatError::WrongHeader);
    }
    body.try_into().map_err(|_| KeyFormatError::WrongLength {
        expected,
        found: file.len(),
    })
}

/// Reads C tor's `secret_onion_key_ntor` (96 bytes) into the ntor onion key that ntor and
/// ntor-v3 share.
///
/// # Errors
/// [`KeyFormatError::WrongLength`] unless the file is 96 bytes,
/// [`KeyFormatError::WrongHeader`] without the `== c25519v1: onion ==` header,
/// [`KeyFormatError::KeyMismatch`] if the stored public key is not the secret key's.
pub fn read_secret_onion_key_ntor(file: &[u8]) -> Result<NtorOnionKey, KeyFormatError> {
    let body = tagged_body::<{ 2 * NTOR_ONION_KEY_LEN }>(file, ONION_KEY_TAG)?;
    let (secret, public) = body
        .split_first_chunk::<NTOR_ONION_KEY_LEN>()
        .ok_or(KeyFormatError::WrongHeader)?;
    let key = NtorOnionKey::from_bytes(secret);
    // Public data by now, but compared without a branch on its bytes all the same.
    if bool::from(key.public_key().as_slice().ct_eq(public)) {
        Ok(key)
    } else {
        Err(KeyFormatError::KeyMismatch)
    }
}

/// Writes `key` as C tor's `secret_onion_key_ntor` (96 bytes), which C tor and
/// [`read_secret_onion_key_ntor`] load. The result holds the secret key and is wiped on drop.
#[must_use]
pub fn write_secret_onion_key_ntor(
    key: &NtorOnionKey,
) -> Zeroizing<[u8; SECRET_ONION_KEY_NTOR_LEN]> {
    let mut file = Zeroizing::new([0u8; SECRET_ONION_KEY_NTOR_LEN]);
    let h = header(ONION_KEY_TAG);
    let parts: [&[u8]; 3] = [&h, key.secret_bytes(), key.public_key()];
    for (dst, src) in file.iter_mut().zip(parts.into_iter().flatten()) {
        *dst = *src;
    }
    file
}

/// Reads C tor's `ed25519_master_id_public_key` (64 bytes): the relay's Ed25519 identity,
/// ntor-v3's `ID`.
///
/// # Errors
/// [`KeyFormatError::WrongLength`] unless the file is 64 bytes,
/// [`KeyFormatError::WrongHeader`] without the `== ed25519v1-public: type0 ==` header.
pub fn read_ed25519_master_id_public_key(
    file: &[u8],
) -> Result<[u8; ED25519_ID_LEN], KeyFormatError> {
    tagged_body::<ED25519_ID_LEN>(file, ED25519_PUBLIC_TAG).copied()
}

/// Writes an Ed25519 identity as C tor's `ed25519_master_id_public_key` (64 bytes).
#[must_use]
pub fn write_ed25519_master_id_public_key(
    identity: &[u8; ED25519_ID_LEN],
) -> [u8; ED25519_MASTER_ID_PUBLIC_KEY_LEN] {
    let mut file = [0u8; ED25519_MASTER_ID_PUBLIC_KEY_LEN];
    let h = header(ED25519_PUBLIC_TAG);
    for (dst, src) in file.iter_mut().zip(h.iter().chain(identity)) {
        *dst = *src;
    }
    file
}

/// Parses the value of a descriptor's or microdescriptor's `ntor-onion-key` line: the
/// 32-byte key in base64, without padding (43 characters, as C tor writes it) or with it
/// (44). Surrounding ASCII whitespace is ignored.
///
/// # Errors
/// [`KeyFormatError::WrongLength`] (in characters) for any other length,
/// [`KeyFormatError::BadBase64`] for characters outside the alphabet or misplaced padding.
pub fn parse_ntor_onion_key(value: &str) -> Result<[u8; NTOR_ONION_KEY_LEN], KeyFormatError> {
    const UNPADDED: usize = 43;
    let value = value.trim_ascii();
    let mut out = [0u8; NTOR_ONION_KEY_LEN];
    let decoded = match value.len() {
        UNPADDED => {
            let mut padded = [b'='; UNPADDED + 1];
            for (dst, src) in padded.iter_mut().zip(value.as_bytes()) {
                *dst = *src;
            }
            let text = core::str::from_utf8(&padded).map_err(|_| KeyFormatError::BadBase64)?;
            base64_decode(text, &mut out)
        }
        44 => base64_decode(value, &mut out),
        found => {
            return Err(KeyFormatError::WrongLength {
                expected: UNPADDED,
                found,
            });
        }
    };
    match decoded {
        Ok(NTOR_ONION_KEY_LEN) => Ok(out),
        _ => Err(KeyFormatError::BadBase64),
    }
}

/// A relay's RSA identity digest: SHA-1 of its RSA identity key's PKCS#1 `RSAPublicKey` DER
/// (tor-spec 0.3). This is ntor's `ID` / NODEID, the relay's fingerprint and the EXTEND2
/// legacy identity link specifier.
///
/// Made from the identity key itself (public or private, DER or PEM), never from the TAP
/// onion key type: the identity key is a different key with a different job. `Display`
/// prints the fingerprint (40 upper-case hex digits).
///
/// ```
/// use onionskin::key_formats::RsaIdentity;
/// # let der = hex::decode(include_str!("../benches/handshakes/tap_key.hex").trim()).unwrap();
/// // `der` is an RSA private key in PKCS#1 DER, like C tor's `secret_id_key` (which is PEM).
/// let id = RsaIdentity::from_pkcs1_der(&der)?;
/// let relay = onionskin::handshake::ntor::RelayPublicKey::new(*id.as_bytes(), [9; 32]);
/// assert_eq!(id.to_string().len(), 40);
/// # let _ = relay;
/// # Ok::<(), onionskin::KeyFormatError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RsaIdentity([u8; RSA_ID_LEN]);

/// The largest PKCS#1 key the PEM readers here take (a 4096-bit private key is about 2.35 kB).
const MAX_RSA_DER_LEN: usize = 2400;

impl RsaIdentity {
    /// The digest itself, as relays publish it.
    #[must_use]
    pub const fn from_bytes(digest: [u8; RSA_ID_LEN]) -> Self {
        Self(digest)
    }

    /// The 20-byte digest (NODEID).
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; RSA_ID_LEN] {
        &self.0
    }

    /// The digest of the RSA key in `der`: a PKCS#1 `RSAPublicKey` or `RSAPrivateKey`
    /// (two-prime, version 0), strict DER. Only the modulus and public exponent are used;
    /// nothing secret is copied.
    ///
    /// # Errors
    /// [`KeyFormatError::BadEncoding`] if `der` is neither.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyFormatError> {
        let (n, e) = modulus_and_exponent(der).map_err(KeyFormatError::BadEncoding)?;
        Ok(Self(public_key_digest(n, e)))
    }

    /// The digest of the RSA key in a PEM block labelled `RSA PUBLIC KEY` (a descriptor's
    /// `signing-key`) or `RSA PRIVATE KEY` (C tor's `secret_id_key`).
    ///
    /// # Errors
    /// [`KeyFormatError::BadEncoding`] without either block, for bad base64 inside it, or if
    /// the DER inside is not a key.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, KeyFormatError> {
        let mut buf = Zeroizing::new([0u8; MAX_RSA_DER_LEN]);
        let len = match pem_decode(pem, "RSA PUBLIC KEY", &mut *buf) {
            Err(DecodeError::Missing { .. }) => pem_decode(pem, "RSA PRIVATE KEY", &mut *buf),
            other => other,
        }
        .map_err(KeyFormatError::BadEncoding)?;
        let r = Self::from_pkcs1_der(buf.get(..len).unwrap_or_default());
        buf.zeroize();
        r
    }
}

impl fmt::Display for RsaIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for RsaIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaIdentity({self})")
    }
}

impl From<RsaIdentity> for [u8; RSA_ID_LEN] {
    fn from(id: RsaIdentity) -> Self {
        id.0
    }
}

/// `n` and `e` of a PKCS#1 public or private key.
fn modulus_and_exponent(der: &[u8]) -> Result<(&[u8], &[u8]), DecodeError> {
    let bad = |field| DecodeError::InvalidValue { field };
    let mut outer = Der::new(der);
    let mut seq = outer.sequence("RSA key")?;
    if !outer.is_empty() {
        return Err(bad("RSA key trailing bytes"));
    }
    let first = seq.uint("RSA key")?;
    let (n, e) = if first.is_empty() {
        // RSAPrivateKey: version 0, n, e, d, p, q, dp, dq, qinv.
        let n = seq.uint("RSA modulus")?;
        let e = seq.uint("RSA public exponent")?;
        for field in [
            "RSA private exponent",
            "RSA prime1",
            "RSA prime2",
            "RSA exponent1",
            "RSA exponent2",
            "RSA coefficient",
        ] {
            seq.uint(field)?;
        }
        (n, e)
    } else {
        // RSAPublicKey: n, e.
        (first, seq.uint("RSA public exponent")?)
    };
    if !seq.is_empty() {
        return Err(bad("RSA key"));
    }
    if n.is_empty() || e.is_empty() {
        return Err(bad("RSA modulus"));
    }
    Ok((n, e))
}

/// A DER tag and definite length (up to two length bytes, which every key here needs).
fn der_header(tag: u8, len: usize) -> ([u8; 4], usize) {
    let [hi, lo] = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    match len {
        0..=0x7f => ([tag, lo, 0, 0], 2),
        0x80..=0xff => ([tag, 0x81, lo, 0], 3),
        _ => ([tag, 0x82, hi, lo], 4),
    }
}

/// SHA-1 of `RSAPublicKey ::= SEQUENCE { n INTEGER, e INTEGER }` in DER, hashed as it is
/// encoded (no buffer). `n` and `e` are minimal magnitudes, as the strict reader returns them.
fn public_key_digest(n: &[u8], e: &[u8]) -> [u8; RSA_ID_LEN] {
    let sign_byte = |m: &[u8]| usize::from(m.first().is_some_and(|b| b & 0x80 != 0));
    let int_len = |m: &[u8]| sign_byte(m) + m.len();
    let (n_head, n_head_len) = der_header(0x02, int_len(n));
    let (e_head, e_head_len) = der_header(0x02, int_len(e));
    let body_len = n_head_len + int_len(n) + e_head_len + int_len(e);
    let (seq_head, seq_head_len) = der_header(0x30, body_len);
    let mut h = Sha1::new();
    h.update(seq_head.get(..seq_head_len).unwrap_or_default());
    for (head, head_len, m) in [(n_head, n_head_len, n), (e_head, e_head_len, e)] {
        h.update(head.get(..head_len).unwrap_or_default());
        if sign_byte(m) == 1 {
            h.update([0]);
        }
        h.update(m);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tap_key_der() -> std::vec::Vec<u8> {
        hex::decode(include_str!("../benches/handshakes/tap_key.hex").trim()).unwrap()
    }

    #[test]
    fn onion_key_file_round_trip_and_errors() {
        let key = NtorOnionKey::from_bytes(&[0x40; 32]);
        let file = write_secret_onion_key_ntor(&key);
        assert_eq!(&file[..21], b"== c25519v1: onion ==");
        assert!(file[21..32].iter().all(|&b| b == 0));
        let back = read_secret_onion_key_ntor(&*file).unwrap();
        assert_eq!(back.secret_bytes(), key.secret_bytes());
        assert_eq!(
            read_secret_onion_key_ntor(&file[..95]).err(),
            Some(KeyFormatError::WrongLength {
                expected: 96,
                found: 95
            })
        );
        let mut bad = *file;
        bad[3] ^= 1;
        assert_eq!(
            read_secret_onion_key_ntor(&bad).err(),
            Some(KeyFormatError::WrongHeader)
        );
        let mut bad = *file;
        bad[95] ^= 1;
        assert_eq!(
            read_secret_onion_key_ntor(&bad).err(),
            Some(KeyFormatError::KeyMismatch)
        );
    }

    #[test]
    fn ed25519_file_round_trip_and_errors() {
        let file = write_ed25519_master_id_public_key(&[7; 32]);
        assert_eq!(&file[..29], b"== ed25519v1-public: type0 ==");
        assert_eq!(read_ed25519_master_id_public_key(&file), Ok([7; 32]));
        assert_eq!(
            read_ed25519_master_id_public_key(&file[1..]),
            Err(KeyFormatError::WrongLength {
                expected: 64,
                found: 63
            })
        );
        let onion = write_secret_onion_key_ntor(&NtorOnionKey::from_bytes(&[1; 32]));
        assert_eq!(
            read_ed25519_master_id_public_key(&onion[..64]),
            Err(KeyFormatError::WrongHeader)
        );
    }

    #[test]
    fn ntor_onion_key_base64() {
        let key: [u8; 32] = core::array::from_fn(|i| u8::try_from(i * 7).unwrap());
        let unpadded = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk";
        let padded = "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk=";
        assert_eq!(parse_ntor_onion_key(unpadded), Ok(key));
        assert_eq!(parse_ntor_onion_key(padded), Ok(key));
        assert_eq!(parse_ntor_onion_key(&std::format!(" {padded}\n")), Ok(key));
        assert_eq!(
            parse_ntor_onion_key(&unpadded[1..]),
            Err(KeyFormatError::WrongLength {
                expected: 43,
                found: 42
            })
        );
        assert_eq!(
            parse_ntor_onion_key("AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0t!"),
            Err(KeyFormatError::BadBase64)
        );
        assert_eq!(
            parse_ntor_onion_key("AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0=="),
            Err(KeyFormatError::BadBase64)
        );
        // Non-ASCII inside a value of the right byte length.
        assert_eq!(
            parse_ntor_onion_key("AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0é"),
            Err(KeyFormatError::BadBase64)
        );
        assert_eq!(
            parse_ntor_onion_key("AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tkéé"),
            Err(KeyFormatError::WrongLength {
                expected: 43,
                found: 47
            })
        );
    }

    #[cfg(feature = "tap")]
    #[test]
    fn rsa_identity_public_and_private_agree() {
        let der = tap_key_der();
        let private = RsaIdentity::from_pkcs1_der(&der).unwrap();
        // The public key's DER, as the TAP key type (a different key's job, but the same
        // encoding) writes it: SHA-1 of it is the identity digest.
        let tap = crate::handshake::tap::RelaySecretKey::from_pkcs1_der(&der).unwrap();
        let public_der = tap.public_key().to_pkcs1_der();
        let want: [u8; 20] = Sha1::digest(public_der).into();
        assert_eq!(private.as_bytes(), &want);
        assert_eq!(RsaIdentity::from_pkcs1_der(&public_der).unwrap(), private);
        assert_eq!(std::format!("{private}").len(), 40);
        assert!(matches!(
            RsaIdentity::from_pkcs1_der(&public_der[..100]),
            Err(KeyFormatError::BadEncoding(_))
        ));
        assert!(matches!(
            RsaIdentity::from_pkcs1_der(&[0x30, 0]),
            Err(KeyFormatError::BadEncoding(_))
        ));
    }

    #[test]
    fn rsa_identity_from_pem() {
        let der = tap_key_der();
        let id = RsaIdentity::from_pkcs1_der(&der).unwrap();
        let b64 = base64_encode(&der);
        let mut pem = std::string::String::from("-----BEGIN RSA PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(core::str::from_utf8(line).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END RSA PRIVATE KEY-----\n");
        assert_eq!(RsaIdentity::from_pkcs1_pem(&pem), Ok(id));
        assert!(matches!(
            RsaIdentity::from_pkcs1_pem("no key here"),
            Err(KeyFormatError::BadEncoding(DecodeError::Missing { .. }))
        ));
    }

    fn base64_encode(data: &[u8]) -> std::string::String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = std::string::String::new();
        for c in data.chunks(3) {
            let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= c.len() {
                    s.push(char::from(A[((v >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    s.push('=');
                }
            }
        }
        s
    }
}
