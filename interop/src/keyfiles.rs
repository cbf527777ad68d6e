//! The relay's key files in `DataDirectory/keys`, read as a relay operator's tool would.

use crate::error::{Error, Result, ensure};
use onionskin::handshake::{NtorOnionKey, ntor, ntor_v3, tap};
use sha1::{Digest, Sha1};
use std::fs;
use std::path::Path;

/// Header of `secret_onion_key_ntor` (C tor `curve25519_keypair_write_to_file`), NUL-padded to 32.
const NTOR_KEY_HEADER: &str = "== c25519v1: onion ==";
/// Header of `ed25519_master_id_public_key` (C tor `ed25519_pubkey_write_to_file`).
const ED25519_PUBLIC_HEADER: &str = "== ed25519v1-public: type0 ==";

/// What the check needs from a relay's key files.
#[derive(Debug, Default)]
pub(crate) struct RelayKeyFiles {
    /// NODEID: SHA-1 of the DER-encoded RSA identity key (`secret_id_key`).
    pub(crate) node_id: [u8; 20],
    /// The Ed25519 master identity (`ed25519_master_id_public_key`), ntor-v3's ID.
    pub(crate) ed25519_id: [u8; 32],
    /// The ntor onion key pair from `secret_onion_key_ntor`: secret, public.
    pub(crate) ntor_secret: [u8; 32],
    /// The ntor onion public key as written in the file (checked against the secret).
    pub(crate) ntor_public: [u8; 32],
    /// `secret_onion_key` (TAP), PEM text.
    pub(crate) tap_onion_pem: String,
}

/// A 32-byte header followed by `N` bytes, as C tor writes its binary key files.
fn tagged_file<const N: usize>(path: &Path, header: &str) -> Result<[u8; N]> {
    let bytes = fs::read(path).map_err(|e| Error::from(e).context(&path.display().to_string()))?;
    ensure!(
        bytes.len() == 32 + N,
        "{}: {} bytes, expected {}",
        path.display(),
        bytes.len(),
        32 + N
    );
    let (head, body) = bytes.split_at(32);
    let mut expected = [0u8; 32];
    expected
        .iter_mut()
        .zip(header.as_bytes())
        .for_each(|(d, s)| *d = *s);
    ensure!(head == expected, "{}: wrong header", path.display());
    let mut out = [0u8; N];
    out.copy_from_slice(body);
    Ok(out)
}

impl RelayKeyFiles {
    /// Reads `keys/` and the `fingerprint` file, and checks they agree with each other.
    ///
    /// # Errors
    /// A missing or malformed file, a fingerprint that is not the SHA-1 of the identity key,
    /// or an ntor public key that is not the secret key's.
    pub(crate) fn read(keys: &Path, fingerprint_file: &Path) -> Result<Self> {
        let id_pem = fs::read_to_string(keys.join("secret_id_key"))?;
        let id = tap::RelaySecretKey::from_pkcs1_pem(&id_pem)
            .map_err(|e| Error::from(e).context("secret_id_key"))?;
        let node_id: [u8; 20] = Sha1::digest(id.public_key().to_pkcs1_der()).into();

        let fp_line = fs::read_to_string(fingerprint_file)?;
        let fp_hex = fp_line.split_whitespace().nth(1).unwrap_or_default();
        ensure!(
            fp_hex.eq_ignore_ascii_case(&hex(&node_id)),
            "fingerprint file says {fp_hex}, SHA-1 of secret_id_key is {}",
            hex(&node_id)
        );

        let ntor: [u8; 64] = tagged_file(&keys.join("secret_onion_key_ntor"), NTOR_KEY_HEADER)?;
        let (secret, public) = ntor.split_at(32);
        let mut ntor_secret = [0u8; 32];
        let mut ntor_public = [0u8; 32];
        ntor_secret.copy_from_slice(secret);
        ntor_public.copy_from_slice(public);
        ensure!(
            NtorOnionKey::from_bytes(&ntor_secret).public_key() == &ntor_public,
            "secret_onion_key_ntor: the public half is not the secret's"
        );

        let ed25519_id = tagged_file(
            &keys.join("ed25519_master_id_public_key"),
            ED25519_PUBLIC_HEADER,
        )?;
        let tap_onion_pem = fs::read_to_string(keys.join("secret_onion_key"))?;
        Ok(Self {
            node_id,
            ed25519_id,
            ntor_secret,
            ntor_public,
            tap_onion_pem,
        })
    }

    /// What a client needs for ntor.
    pub(crate) fn ntor_public(&self) -> ntor::RelayPublicKey {
        ntor::RelayPublicKey::new(self.node_id, self.ntor_public)
    }

    /// What a client needs for ntor-v3.
    pub(crate) fn ntor_v3_public(&self) -> ntor_v3::RelayPublicKey {
        ntor_v3::RelayPublicKey::new(self.ed25519_id, self.ntor_public)
    }

    /// The relay's ntor keys, loaded into the crate's relay side.
    pub(crate) fn ntor_relay_keys(&self) -> ntor::RelayKeys {
        ntor::RelayKeys::new(self.node_id, NtorOnionKey::from_bytes(&self.ntor_secret))
    }

    /// The relay's ntor-v3 keys, loaded into the crate's relay side.
    pub(crate) fn ntor_v3_relay_keys(&self) -> ntor_v3::RelayKeys {
        ntor_v3::RelayKeys::new(self.ed25519_id, NtorOnionKey::from_bytes(&self.ntor_secret))
    }

    /// The relay's TAP onion key, loaded into the crate's relay side.
    ///
    /// # Errors
    /// If `secret_onion_key` is not an RSA-1024 PKCS#1 PEM key.
    pub(crate) fn tap_relay_keys(&self) -> Result<tap::RelayKeys> {
        let key = tap::RelaySecretKey::from_pkcs1_pem(&self.tap_onion_pem)
            .map_err(|e| Error::from(e).context("secret_onion_key"))?;
        Ok(tap::RelayKeys::new(key))
    }
}

/// Upper-case hex, as C tor prints fingerprints.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "onionskin-interop-test-{}-{name}",
            std::process::id()
        ));
        fs::write(&path, bytes).expect("write");
        path
    }

    fn tagged(header: &str, body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0u8; 32];
        bytes[..header.len()].copy_from_slice(header.as_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn tagged_key_file_reads_its_body() {
        let path = write("good", &tagged(ED25519_PUBLIC_HEADER, &[7; 32]));
        let key: [u8; 32] = tagged_file(&path, ED25519_PUBLIC_HEADER).expect("reads");
        assert_eq!(key, [7; 32]);
        let _ = fs::remove_file(path);
    }

    #[test]
    fn tagged_key_file_refuses_wrong_header_or_length() {
        let wrong = write("header", &tagged(NTOR_KEY_HEADER, &[7; 32]));
        assert!(tagged_file::<32>(&wrong, ED25519_PUBLIC_HEADER).is_err());
        let short = write("short", &tagged(ED25519_PUBLIC_HEADER, &[7; 31]));
        assert!(tagged_file::<32>(&short, ED25519_PUBLIC_HEADER).is_err());
        let _ = fs::remove_file(wrong);
        let _ = fs::remove_file(short);
    }

    #[test]
    fn hex_is_upper_case() {
        assert_eq!(hex(&[0x0a, 0xbc]), "0ABC");
    }
}
