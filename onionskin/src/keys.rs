//! The 92 bytes of key material every Tor circuit handshake ends with, split into named keys.
//!
//! A relay circuit hop needs `Df | Db | Kf | Kb` (tor-spec 5.2: SHA-1 digest seeds and
//! AES-128 keys, 72 bytes) and a 20-byte `KH`. TAP and CREATE_FAST put `KH` *first* (it is the
//! value checked in the reply, tor-spec 5.2.1); ntor and ntor-v3 put it *last*, where it serves
//! as the onion-service rendezvous nonce (tor-spec 5.1.4, 5.2.2).

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of the key material a circuit hop consumes: `Df | Db | Kf | Kb` plus `KH`.
pub const CIRCUIT_KEY_MATERIAL_LEN: usize = 92;
/// Length of a digest seed (`Df`, `Db`) and of `KH`: SHA-1's output.
pub const DIGEST_SEED_LEN: usize = 20;
/// Length of an AES-128 relay-cell key (`Kf`, `Kb`).
pub const CIPHER_KEY_LEN: usize = 16;

/// A hop's circuit keys, zeroized on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct CircuitKeys {
    df: [u8; DIGEST_SEED_LEN],
    db: [u8; DIGEST_SEED_LEN],
    kf: [u8; CIPHER_KEY_LEN],
    kb: [u8; CIPHER_KEY_LEN],
    kh: [u8; DIGEST_SEED_LEN],
}

impl CircuitKeys {
    /// Splits key material laid out `KH | Df | Db | Kf | Kb` (TAP, CREATE_FAST; tor-spec 5.2.1).
    #[must_use]
    pub fn split_kh_first(material: &[u8; CIRCUIT_KEY_MATERIAL_LEN]) -> Self {
        let (kh, rest) = material.split_at(DIGEST_SEED_LEN);
        Self::from_parts(rest, kh)
    }

    /// Splits key material laid out `Df | Db | Kf | Kb | KH` (ntor, ntor-v3; tor-spec 5.2.2).
    #[must_use]
    pub fn split_kh_last(material: &[u8; CIRCUIT_KEY_MATERIAL_LEN]) -> Self {
        let (rest, kh) = material.split_at(CIRCUIT_KEY_MATERIAL_LEN - DIGEST_SEED_LEN);
        Self::from_parts(rest, kh)
    }

    fn from_parts(dfdbkfkb: &[u8], kh: &[u8]) -> Self {
        let mut k = Self {
            df: [0; DIGEST_SEED_LEN],
            db: [0; DIGEST_SEED_LEN],
            kf: [0; CIPHER_KEY_LEN],
            kb: [0; CIPHER_KEY_LEN],
            kh: [0; DIGEST_SEED_LEN],
        };
        let (df, r) = dfdbkfkb.split_at(DIGEST_SEED_LEN);
        let (db, r) = r.split_at(DIGEST_SEED_LEN);
        let (kf, kb) = r.split_at(CIPHER_KEY_LEN);
        k.df.copy_from_slice(df);
        k.db.copy_from_slice(db);
        k.kf.copy_from_slice(kf);
        k.kb.copy_from_slice(kb);
        k.kh.copy_from_slice(kh);
        k
    }

    /// Forward digest seed `Df` (client to relay).
    #[must_use]
    pub fn df(&self) -> &[u8; DIGEST_SEED_LEN] {
        &self.df
    }
    /// Backward digest seed `Db` (relay to client).
    #[must_use]
    pub fn db(&self) -> &[u8; DIGEST_SEED_LEN] {
        &self.db
    }
    /// Forward AES-128 key `Kf`.
    #[must_use]
    pub fn kf(&self) -> &[u8; CIPHER_KEY_LEN] {
        &self.kf
    }
    /// Backward AES-128 key `Kb`.
    #[must_use]
    pub fn kb(&self) -> &[u8; CIPHER_KEY_LEN] {
        &self.kb
    }
    /// `KH`: the handshake digest (TAP, CREATE_FAST) or the rendezvous nonce (ntor, ntor-v3).
    #[must_use]
    pub fn kh(&self) -> &[u8; DIGEST_SEED_LEN] {
        &self.kh
    }
}

impl fmt::Debug for CircuitKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitKeys").finish_non_exhaustive()
    }
}

/// Length of the onion-service relay layer's key material (rend-spec-v3 4.2.1):
/// `Df | Db | Kf | Kb`, 32 bytes each.
pub const HS_CIRCUIT_KEY_MATERIAL_LEN: usize = 4 * HS_KEY_LEN;
/// Length of each onion-service relay key: a SHA3-256 digest seed (`Df`, `Db`) or an AES-256
/// key (`Kf`, `Kb`).
pub const HS_KEY_LEN: usize = 32;

/// The keys of the onion-service relay layer that hs-ntor ends with (rend-spec-v3 4.2.1):
/// SHA3-256 digest seeds and AES-256 keys, used like a hop's tor1 keys (tor-spec 5.2) with
/// those primitives. Zeroized on drop and never printed.
///
/// The client uses them as an ordinary last hop: it sends with `Kf` and `Df` and receives
/// with `Kb` and `Db`. The service uses them the other way round (C tor calls
/// `relay_crypto_init` with `reverse` set): it sends with `Kb` and `Db`.
///
/// ```
/// use onionskin::keys::HsCircuitKeys;
/// let material: [u8; 128] = core::array::from_fn(|i| i as u8);
/// let k = HsCircuitKeys::from_material(&material);
/// assert_eq!(k.db()[0], 32);
/// assert_eq!(k.kb()[31], 127);
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct HsCircuitKeys {
    df: [u8; HS_KEY_LEN],
    db: [u8; HS_KEY_LEN],
    kf: [u8; HS_KEY_LEN],
    kb: [u8; HS_KEY_LEN],
}

impl HsCircuitKeys {
    /// Splits key material laid out `Df | Db | Kf | Kb`.
    #[must_use]
    pub fn from_material(material: &[u8; HS_CIRCUIT_KEY_MATERIAL_LEN]) -> Self {
        let mut k = Self {
            df: [0; HS_KEY_LEN],
            db: [0; HS_KEY_LEN],
            kf: [0; HS_KEY_LEN],
            kb: [0; HS_KEY_LEN],
        };
        for (dst, src) in [&mut k.df, &mut k.db, &mut k.kf, &mut k.kb]
            .into_iter()
            .zip(material.chunks_exact(HS_KEY_LEN))
        {
            dst.copy_from_slice(src);
        }
        k
    }

    /// Forward digest seed `Df` (client to service), for SHA3-256.
    #[must_use]
    pub fn df(&self) -> &[u8; HS_KEY_LEN] {
        &self.df
    }
    /// Backward digest seed `Db` (service to client), for SHA3-256.
    #[must_use]
    pub fn db(&self) -> &[u8; HS_KEY_LEN] {
        &self.db
    }
    /// Forward AES-256 key `Kf`.
    #[must_use]
    pub fn kf(&self) -> &[u8; HS_KEY_LEN] {
        &self.kf
    }
    /// Backward AES-256 key `Kb`.
    #[must_use]
    pub fn kb(&self) -> &[u8; HS_KEY_LEN] {
        &self.kb
    }
}

impl fmt::Debug for HsCircuitKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HsCircuitKeys").finish_non_exhaustive()
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data built from small indices
mod tests {
    use super::*;

    fn material() -> [u8; 92] {
        core::array::from_fn(|i| i as u8)
    }

    #[test]
    fn kh_last_layout() {
        let k = CircuitKeys::split_kh_last(&material());
        assert_eq!(k.df()[0], 0);
        assert_eq!(k.db()[0], 20);
        assert_eq!(k.kf()[0], 40);
        assert_eq!(k.kb()[0], 56);
        assert_eq!(k.kh()[0], 72);
        assert_eq!(k.kh()[19], 91);
    }

    #[test]
    fn kh_first_layout() {
        let k = CircuitKeys::split_kh_first(&material());
        assert_eq!(k.kh()[0], 0);
        assert_eq!(k.df()[0], 20);
        assert_eq!(k.db()[0], 40);
        assert_eq!(k.kf()[0], 60);
        assert_eq!(k.kb()[0], 76);
        assert_eq!(k.kb()[15], 91);
    }

    #[test]
    fn debug_hides_secrets() {
        let k = CircuitKeys::split_kh_last(&[0xab; 92]);
        let s = std::format!("{k:?}");
        assert!(!s.contains("ab") && !s.contains("171"));
    }
}
