//! The relay's key files in `DataDirectory/keys`, read with the crate's parsers
//! (`onionskin::key_formats`), as a relay operator's tool would.

use crate::error::{Error, Result, ensure};
use onionskin::handshake::{NtorOnionKey, ntor, ntor_v3, tap};
use onionskin::key_formats::{self, RsaIdentity};
use std::fs;
use std::path::Path;

/// What the check needs from a relay's key files.
#[derive(Debug)]
pub(crate) struct RelayKeyFiles {
    /// NODEID: SHA-1 of the DER-encoded RSA identity key (`secret_id_key`).
    pub(crate) node_id: [u8; 20],
    /// The Ed25519 master identity (`ed25519_master_id_public_key`), ntor-v3's ID.
    pub(crate) ed25519_id: [u8; 32],
    /// The ntor onion key (`secret_onion_key_ntor`), shared by ntor and ntor-v3.
    pub(crate) ntor_onion_key: NtorOnionKey,
    /// `secret_onion_key` (TAP), PEM text.
    pub(crate) tap_onion_pem: String,
}

/// Reads `dir/name`, naming the file in the error.
fn read(dir: &Path, name: &str) -> Result<Vec<u8>> {
    fs::read(dir.join(name)).map_err(|e| Error::from(e).context(name))
}

impl RelayKeyFiles {
    /// Reads `keys/` and the `fingerprint` file, and checks they agree with each other.
    ///
    /// # Errors
    /// A missing or malformed file, or a fingerprint that is not the SHA-1 of the identity
    /// key.
    pub(crate) fn read(keys: &Path, fingerprint_file: &Path) -> Result<Self> {
        let id_pem = String::from_utf8(read(keys, "secret_id_key")?)
            .map_err(|_| Error::new("secret_id_key is not text"))?;
        let identity = RsaIdentity::from_pkcs1_pem(&id_pem)
            .map_err(|e| Error::from(e).context("secret_id_key"))?;

        let fp_line = fs::read_to_string(fingerprint_file)?;
        let fp_hex = fp_line.split_whitespace().nth(1).unwrap_or_default();
        ensure!(
            fp_hex == identity.to_string(),
            "fingerprint file says {fp_hex}, SHA-1 of secret_id_key is {identity}"
        );

        let ntor_onion_key =
            key_formats::read_secret_onion_key_ntor(&read(keys, "secret_onion_key_ntor")?)
                .map_err(|e| Error::from(e).context("secret_onion_key_ntor"))?;
        let ed25519_id = key_formats::read_ed25519_master_id_public_key(&read(
            keys,
            "ed25519_master_id_public_key",
        )?)
        .map_err(|e| Error::from(e).context("ed25519_master_id_public_key"))?;
        let tap_onion_pem = String::from_utf8(read(keys, "secret_onion_key")?)
            .map_err(|_| Error::new("secret_onion_key is not text"))?;
        Ok(Self {
            node_id: *identity.as_bytes(),
            ed25519_id,
            ntor_onion_key,
            tap_onion_pem,
        })
    }

    /// The public ntor onion key.
    pub(crate) fn ntor_public_key(&self) -> [u8; 32] {
        *self.ntor_onion_key.public_key()
    }

    /// What a client needs for ntor.
    pub(crate) fn ntor_public(&self) -> ntor::RelayPublicKey {
        ntor::RelayPublicKey::new(self.node_id, self.ntor_public_key())
    }

    /// What a client needs for ntor-v3.
    pub(crate) fn ntor_v3_public(&self) -> ntor_v3::RelayPublicKey {
        ntor_v3::RelayPublicKey::new(self.ed25519_id, self.ntor_public_key())
    }

    /// The relay's ntor keys, loaded into the crate's relay side.
    pub(crate) fn ntor_relay_keys(&self) -> ntor::RelayKeys {
        ntor::RelayKeys::new(self.node_id, self.ntor_onion_key.clone())
    }

    /// The relay's ntor-v3 keys, loaded into the crate's relay side.
    pub(crate) fn ntor_v3_relay_keys(&self) -> ntor_v3::RelayKeys {
        ntor_v3::RelayKeys::new(self.ed25519_id, self.ntor_onion_key.clone())
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

    #[test]
    fn hex_is_upper_case() {
        assert_eq!(hex(&[0x0a, 0xbc]), "0ABC");
    }
}
