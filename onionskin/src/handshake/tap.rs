//! TAP, the legacy circuit handshake (HTYPE 0; tor-spec 5.1.3 "The TAP handshake", with
//! 0.3 "Ciphers", 0.4 "A bad hybrid encryption algorithm" and 5.2.1 "KDF-TOR"):
//! <https://spec.torproject.org/tor-spec/create-created-cells.html>.
//!
//! ```text
//! client:  x (320 bits), K (16 bytes)
//!          onion skin = RSA-OAEP(onion key, K | g^x[0..70]) | AES-128-CTR(K, g^x[70..128])
//! relay:   decrypt with the current onion key, else the previous one; check 2 <= g^x <= p-2
//!          y (320 bits); K0 = g^xy (minimal big-endian); KDF-TOR(K0) = KH | Df | Db | Kf | Kb
//!          reply = g^y | KH
//! client:  check 2 <= g^y <= p-2 and KH
//! ```
//!
//! DH is over the Oakley group 2 prime with g = 2; RSA keys are 1024-bit with e = 65537;
//! OAEP uses SHA-1, MGF1-SHA-1 and an empty label.
//!
//! # Who still speaks TAP
//! Relays from C tor 0.4.9 on refuse TAP, in CREATE and in CREATE2 with HTYPE 0 (they still
//! answer CREATE_FAST, [`fast`](super::fast)); 0.4.8 relays answer it. This module is for
//! talking to older relays, for measurements, and for relays that want to compare.
//!
//! The onion skin does not name the onion key it was made for, so a relay cannot tell an
//! onion skin for an unknown key from a corrupted one: both are
//! [`HandshakeError::Failed`].
//!
//! # Constant time
//! The relay's RSA private operation (CRT), OAEP decoding, the choice between the current
//! and previous onion key, DH with either side's secret exponent, the range checks, the KH
//! comparison and KDF-TOR over the minimal-length `K0` all run without branches or memory
//! indices that depend on secrets. Every check is folded into one [`subtle::Choice`] and
//! decided once, at the end. With a previous onion key configured, the relay always
//! decrypts with *both* keys (C tor stops at the first that works), so the time taken does
//! not reveal which key the client used or whether decryption failed.
//!
//! `K0` is hashed in its minimal form, as C tor does: about one handshake in 256 has a
//! `g^xy` with a leading zero byte. Its length is secret, so KDF-TOR here pads and
//! compresses a fixed three SHA-1 blocks per output block and selects the right state.
//!
//! # Example
//! ```
//! use onionskin::handshake::tap::{self, ClientState, RelayKeys, RelaySecretKey};
//! # let der = hex::decode(include_str!("../../benches/handshakes/tap_key.hex").trim()).unwrap();
//! let relay_key = RelaySecretKey::from_pkcs1_der(&der)?;
//! let keys = RelayKeys::new(relay_key);
//! let mut rng = rand_core::OsRng;
//!
//! let (state, onion_skin) = ClientState::start(&mut rng, &keys.public_key());
//! let (relay_seed, reply) = tap::relay_respond(&mut rng, &keys, &onion_skin)?;
//! let client_seed = state.finish(&reply)?;
//!
//! use onionskin::KeyMaterial;
//! assert_eq!(client_seed.circuit_keys(), relay_seed.circuit_keys());
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

mod comb_table;
mod dh;
mod rsa;

pub use dh::{DH_LEN, DH_SEC_LEN};
pub use rsa::{MODULUS_LEN, PUBLIC_DER_LEN, PUBLIC_EXPONENT, RelayPublicKey, RelaySecretKey};

use crate::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use crate::handshake::{CircuitHandshake, HandshakeType, KeyMaterial, ServerMessage};
use crate::keys::{CIRCUIT_KEY_MATERIAL_LEN, DIGEST_SEED_LEN};
use crate::{CircuitKeys, HandshakeError, kdf};
use core::fmt;
use ctr::cipher::{KeyIvInit, StreamCipher};
use dh::{DhSecret, SharedSecret};
use rand_core::{CryptoRng, RngCore};
use rsa::{OAEP_MAX_MESSAGE, OAEP_SEED_LEN};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Length of a TAP onion skin (TAP_C_HANDSHAKE_LEN = DH_LEN + KEY_LEN + KP_PAD_LEN).
pub const ONION_SKIN_LEN: usize = 186;
/// Length of a TAP reply (TAP_S_HANDSHAKE_LEN = DH_LEN + HASH_LEN): `g^y | KH`.
pub const REPLY_LEN: usize = 148;
/// Length of the hybrid-encryption key K (KEY_LEN, tor-spec 0.2).
pub const KEY_LEN: usize = 16;

/// Bytes of `g^x` that travel inside the RSA block (the rest is under AES-128-CTR).
const GX_IN_RSA: usize = OAEP_MAX_MESSAGE - KEY_LEN;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// AES-128-CTR with a zero IV (tor-spec 0.3), applied in place.
fn aes_ctr(key: &[u8; KEY_LEN], data: &mut [u8]) {
    let mut cipher = Aes128Ctr::new(key.into(), &[0u8; 16].into());
    cipher.apply_keystream(data);
}

/// The relay's onion keys: the current one and, for a while after rotation, the previous
/// one (C tor keeps both, `onion_key` and `last_onion_key`).
#[derive(Clone, Debug)]
pub struct RelayKeys {
    current: RelaySecretKey,
    previous: Option<RelaySecretKey>,
}

impl RelayKeys {
    /// The relay's current TAP onion key. (TAP's onion skin names no relay, so unlike the
    /// other handshakes' keys these hold no identity.)
    #[must_use]
    pub fn new(current: RelaySecretKey) -> Self {
        Self {
            current,
            previous: None,
        }
    }

    /// Also accepts onion skins made for `previous`, the onion key before the last rotation.
    #[must_use]
    pub fn with_previous(mut self, previous: RelaySecretKey) -> Self {
        self.previous = Some(previous);
        self
    }

    /// What clients need to reach this relay with its current onion key.
    #[must_use]
    pub fn public_key(&self) -> RelayPublicKey {
        self.current.public_key().clone()
    }

    /// The current onion key.
    #[must_use]
    pub fn current(&self) -> &RelaySecretKey {
        &self.current
    }

    /// The previous onion key, if any.
    #[must_use]
    pub fn previous(&self) -> Option<&RelaySecretKey> {
        self.previous.as_ref()
    }
}

/// A client's TAP handshake in flight: the DH secret `x`. Consumed by
/// [`ClientState::finish`]; not `Clone`; zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ClientState {
    x: DhSecret,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tap::ClientState").finish_non_exhaustive()
    }
}

impl ClientState {
    /// Starts a TAP handshake with the relay whose onion key is `relay`: draws `x`, `K` and
    /// the OAEP seed from `rng` and returns the state and the 186-byte onion skin.
    #[must_use]
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayPublicKey,
    ) -> (Self, [u8; ONION_SKIN_LEN]) {
        let mut x = [0u8; DH_SEC_LEN];
        let mut k = [0u8; KEY_LEN];
        let mut seed = [0u8; OAEP_SEED_LEN];
        rng.fill_bytes(&mut x);
        rng.fill_bytes(&mut k);
        rng.fill_bytes(&mut seed);
        let r = client_start_with(relay, &x, &k, &seed);
        x.zeroize();
        k.zeroize();
        seed.zeroize();
        r
    }

    /// Checks the relay's reply `g^y | KH` and returns the key seed.
    ///
    /// `reply` is what the codec hands out ([`Created::reply`](crate::codec::Created::reply)).
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] if `reply` is not [`REPLY_LEN`] bytes;
    /// [`HandshakeError::Failed`] if `g^y` is outside [2, p - 2] or KH does not match; which
    /// one is not revealed, and both are checked in constant time.
    pub fn finish(self, reply: &[u8]) -> Result<KeySeed, HandshakeError> {
        let reply: &[u8; REPLY_LEN] = reply.try_into().map_err(|_| HandshakeError::Malformed)?;
        let (gy, kh) = reply.split_at(DH_LEN);
        let mut gy_arr = [0u8; DH_LEN];
        gy_arr.copy_from_slice(gy);
        let (shared, gy_ok) = self.x.shared(&gy_arr);
        let mut my_kh = [0u8; DIGEST_SEED_LEN];
        shared.kdf_into(0, &mut my_kh);
        let ok = gy_ok & my_kh.ct_eq(kh);
        my_kh.zeroize();
        if crate::ct::declassify(ok) {
            Ok(KeySeed { shared })
        } else {
            Err(HandshakeError::Failed)
        }
    }
}

/// The client's core, with its secrets given.
fn client_start_with(
    relay: &RelayPublicKey,
    x: &[u8; DH_SEC_LEN],
    k: &[u8; KEY_LEN],
    seed: &[u8; OAEP_SEED_LEN],
) -> (ClientState, [u8; ONION_SKIN_LEN]) {
    let x = DhSecret::from_bytes(x);
    let (mut gx, _) = x.public();
    let mut skin = [0u8; ONION_SKIN_LEN];
    let (rsa_part, aes_part) = skin.split_at_mut(MODULUS_LEN);
    let (gx1, gx2) = gx.split_at(GX_IN_RSA);
    // OAEP plaintext: K | g^x[0..70].
    let mut m = [0u8; OAEP_MAX_MESSAGE];
    let (mk, mgx) = m.split_at_mut(KEY_LEN);
    mk.copy_from_slice(k);
    mgx.copy_from_slice(gx1);
    rsa_part.copy_from_slice(&relay.oaep_encrypt(&m, seed));
    aes_part.copy_from_slice(gx2);
    aes_ctr(k, aes_part);
    m.zeroize();
    gx.zeroize();
    (ClientState { x }, skin)
}

/// The relay's side of TAP: decrypts `onion_skin` with the current onion key and (if
/// configured) the previous one, checks `g^x`, draws `y` from `rng`, and returns the key
/// seed and the 148-byte reply `g^y | KH`.
///
/// `onion_skin` is what the codec hands out ([`LegacyOnionSkin::handshake_data`](crate::codec::LegacyOnionSkin::handshake_data),
/// [`Create2::hdata`](crate::codec::Create2::hdata)).
///
/// # Errors
/// [`HandshakeError::Malformed`] if `onion_skin` is not [`ONION_SKIN_LEN`] bytes;
/// [`HandshakeError::Failed`] if neither onion key decrypts the skin to a valid OAEP block
/// (which includes a skin made for a key the relay does not hold), or `g^x` is outside
/// [2, p - 2]. All of the work is done in every case, and the reason is not revealed.
pub fn relay_respond<R: RngCore + CryptoRng>(
    rng: &mut R,
    keys: &RelayKeys,
    onion_skin: &[u8],
) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError> {
    let onion_skin: &[u8; ONION_SKIN_LEN] = onion_skin
        .try_into()
        .map_err(|_| HandshakeError::Malformed)?;
    let mut y = [0u8; DH_SEC_LEN];
    rng.fill_bytes(&mut y);
    let r = server_respond_with(keys, onion_skin, &y);
    y.zeroize();
    r
}

/// The relay's core, with `y` given.
fn server_respond_with(
    keys: &RelayKeys,
    onion_skin: &[u8; ONION_SKIN_LEN],
    y: &[u8; DH_SEC_LEN],
) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError> {
    let (rsa_part, aes_part) = onion_skin.split_at(MODULUS_LEN);
    let mut c = [0u8; MODULUS_LEN];
    c.copy_from_slice(rsa_part);
    // Current key first; the previous key's result replaces it only where the current one
    // failed and the previous one worked (C tor's order), chosen under masks.
    let (mut m, mut ok) = keys.current.oaep_decrypt(&c);
    if let Some(prev) = &keys.previous {
        let (mut m_prev, ok_prev) = prev.oaep_decrypt(&c);
        crate::ct::conditional_copy(&mut m, &m_prev, !ok & ok_prev);
        ok |= ok_prev;
        m_prev.zeroize();
    }
    // g^x = m[16..86] | AES-128-CTR(K, skin[128..186]).
    let mut gx = [0u8; DH_LEN];
    let (gx1, gx2) = gx.split_at_mut(GX_IN_RSA);
    let (k, m_gx) = m.split_at(KEY_LEN);
    gx1.copy_from_slice(m_gx);
    gx2.copy_from_slice(aes_part);
    let mut key = [0u8; KEY_LEN];
    key.copy_from_slice(k);
    aes_ctr(&key, gx2);
    key.zeroize();
    m.zeroize();

    let y = DhSecret::from_bytes(y);
    let (gy, gy_ok) = y.public();
    let (shared, gx_ok) = y.shared(&gx);
    gx.zeroize();
    let mut reply = [0u8; REPLY_LEN];
    let (r_gy, r_kh) = reply.split_at_mut(DH_LEN);
    r_gy.copy_from_slice(&gy);
    shared.kdf_into(0, r_kh);
    let success: Choice = ok & gx_ok & gy_ok;
    if crate::ct::declassify(success) {
        Ok((KeySeed { shared }, reply))
    } else {
        reply.zeroize();
        Err(HandshakeError::Failed)
    }
}

/// What a finished TAP handshake leaves: `K0 = g^xy` for KDF-TOR. Zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeySeed {
    shared: SharedSecret,
}

impl fmt::Debug for KeySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("tap::KeySeed").finish_non_exhaustive()
    }
}

impl KeyMaterial for KeySeed {
    /// The KDF-TOR stream after KH (tor-spec 5.2.1): `Df | Db | Kf | Kb | ...`.
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError> {
        if out.len() > kdf::KDF_TOR_MAX_LEN - DIGEST_SEED_LEN {
            return Err(HandshakeError::KeyMaterialTooLong);
        }
        self.shared.kdf_into(DIGEST_SEED_LEN, out);
        Ok(())
    }

    /// `KH | Df | Db | Kf | Kb`: the first 92 bytes of KDF-TOR(K0), KH first.
    fn circuit_keys(self) -> CircuitKeys {
        let mut material = [0u8; CIRCUIT_KEY_MATERIAL_LEN];
        self.shared.kdf_into(0, &mut material);
        let keys = CircuitKeys::split_kh_first(&material);
        material.zeroize();
        keys
    }
}

/// TAP as a [`CircuitHandshake`] (HTYPE 0; also what a CREATE cell carries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tap;

impl CircuitHandshake for Tap {
    const HTYPE: HandshakeType = HandshakeType::TAP;
    type RelayPublicKey = RelayPublicKey;
    type RelayKeys = RelayKeys;
    type ClientState = ClientState;
    type OnionSkin = [u8; ONION_SKIN_LEN];
    type Reply = [u8; REPLY_LEN];
    type KeySeed = KeySeed;

    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayPublicKey,
        extensions: &[CircuitExtension<'_>],
    ) -> Result<(ClientState, [u8; ONION_SKIN_LEN]), HandshakeError> {
        super::no_message(extensions)?;
        Ok(ClientState::start(rng, relay))
    }

    fn relay_respond<R, F>(
        rng: &mut R,
        keys: &RelayKeys,
        onion_skin: &[u8],
        _reply_extensions: F,
    ) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
    {
        relay_respond(rng, keys, onion_skin)
    }

    fn client_finish(
        state: ClientState,
        reply: &[u8],
    ) -> Result<(KeySeed, ServerMessage), HandshakeError> {
        Ok((state.finish(reply)?, ServerMessage::empty()))
    }
}

/// Deterministic entry points and internals, for known-answer tests, benchmarks and
/// research. **Not for production**: reusing `x`, `y`, `K` or an OAEP seed breaks TAP.
#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub mod hazmat {
    use super::{
        ClientState, DH_LEN, DH_SEC_LEN, DhSecret, HandshakeError, KEY_LEN, KeySeed, MODULUS_LEN,
        OAEP_MAX_MESSAGE, OAEP_SEED_LEN, ONION_SKIN_LEN, REPLY_LEN, RelayKeys, RelayPublicKey,
        RelaySecretKey,
    };
    use crate::bignum::RsaCrt;

    /// Length of the OAEP plaintext TAP sends: `K | g^x[0..70]` (86 bytes).
    pub const OAEP_MESSAGE_LEN: usize = OAEP_MAX_MESSAGE;
    /// Length of an OAEP seed (20 bytes).
    pub const SEED_LEN: usize = OAEP_SEED_LEN;

    /// [`ClientState::start`] with the DH secret `x`, the hybrid key `K` and the OAEP seed
    /// given.
    #[must_use]
    pub fn client_start_with_x(
        x: &[u8; DH_SEC_LEN],
        relay: &RelayPublicKey,
        k: &[u8; KEY_LEN],
        oaep_seed: &[u8; OAEP_SEED_LEN],
    ) -> (ClientState, [u8; ONION_SKIN_LEN]) {
        super::client_start_with(relay, x, k, oaep_seed)
    }

    /// A client state holding the DH secret `x`, as if it had sent an onion skin (to replay
    /// recorded replies against it).
    #[must_use]
    pub fn client_state_from_secret(x: &[u8; DH_SEC_LEN]) -> ClientState {
        ClientState {
            x: DhSecret::from_bytes(x),
        }
    }

    /// [`super::relay_respond`] with the DH secret `y` given.
    ///
    /// # Errors
    /// As [`super::relay_respond`].
    pub fn relay_respond_with_y(
        y: &[u8; DH_SEC_LEN],
        keys: &RelayKeys,
        onion_skin: &[u8],
    ) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError> {
        let onion_skin: &[u8; ONION_SKIN_LEN] = onion_skin
            .try_into()
            .map_err(|_| HandshakeError::Malformed)?;
        super::server_respond_with(keys, onion_skin, y)
    }

    /// The EME-OAEP block (RFC 8017 7.1.1) of an 86-byte message with the given seed,
    /// before the RSA operation.
    #[must_use]
    pub fn oaep_encode(
        message: &[u8; OAEP_MAX_MESSAGE],
        seed: &[u8; OAEP_SEED_LEN],
    ) -> [u8; MODULUS_LEN] {
        super::rsa::oaep_encode(message, seed)
    }

    /// Raw RSA decryption `c^d mod n` (constant time), and whether `c < n`.
    #[must_use]
    pub fn rsa_decrypt_raw(
        key: &RelaySecretKey,
        c: &[u8; MODULUS_LEN],
    ) -> ([u8; MODULUS_LEN], bool) {
        let (m, ok) = key.raw_decrypt(c);
        (m, ok.into())
    }

    /// The key's CRT private operation, for benchmarks.
    #[must_use]
    pub fn rsa_crt(key: &RelaySecretKey) -> &RsaCrt {
        key.crt()
    }

    /// `g^x mod p` for a 40-byte secret, 128 bytes big-endian.
    #[must_use]
    pub fn dh_public(x: &[u8; DH_SEC_LEN]) -> [u8; DH_LEN] {
        DhSecret::from_bytes(x).public().0
    }

    /// `peer^x mod p`, 128 bytes big-endian (left-padded), without the range check.
    #[must_use]
    pub fn dh_shared(x: &[u8; DH_SEC_LEN], peer: &[u8; DH_LEN]) -> [u8; DH_LEN] {
        let (shared, _) = DhSecret::from_bytes(x).shared(peer);
        let mut out = [0u8; DH_LEN];
        let len = usize::try_from(shared.len_hazmat()).unwrap_or(DH_LEN);
        let start = DH_LEN - len;
        if let (Some(dst), Some(src)) = (out.get_mut(start..), shared.bytes_hazmat().get(..len)) {
            dst.copy_from_slice(src);
        }
        out
    }

    /// KDF-TOR over this seed's `K0`, from byte 0 (so KH first), into `out`.
    ///
    /// # Errors
    /// [`HandshakeError::KeyMaterialTooLong`] past KDF-TOR's 5120 bytes.
    pub fn kdf_tor_from_start(seed: &KeySeed, out: &mut [u8]) -> Result<(), HandshakeError> {
        if out.len() > crate::kdf::KDF_TOR_MAX_LEN {
            return Err(HandshakeError::KeyMaterialTooLong);
        }
        seed.shared.kdf_into(0, out);
        Ok(())
    }
}
