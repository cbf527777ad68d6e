//! CREATE_FAST / CREATED_FAST, client and relay side.
//!
//! Specified in [tor-spec 5.1.5](https://spec.torproject.org/tor-spec/create-created-cells.html#create_fast),
//! with keys from KDF-TOR (tor-spec 5.2.1):
//!
//! * the client sends `X`, 20 random bytes (the whole CREATE_FAST body);
//! * the relay answers `Y | KH`: 20 random bytes, then `KH`, the first 20 bytes of
//!   `KDF-TOR(X | Y)`;
//! * both take the circuit keys from the rest of that stream: `KH | Df | Db | Kf | Kb`
//!   ([`CircuitKeys::split_kh_first`]).
//!
//! # Security
//! CREATE_FAST has no public-key cryptography: `X` and `Y` travel in the cell, so its keys
//! are only as secret as the TLS link that carries them. Use it only for the first hop, over
//! a link whose TLS you authenticated (tor-spec 5.1.5; C tor clients stopped using it by
//! default in 0.3.1.1-alpha). The client's check of `KH` is constant-time; `X` and the key
//! seed are wiped on drop.
//!
//! # Example
//! ```
//! use onionskin::handshake::fast::{self, ClientState};
//! use onionskin::KeyMaterial;
//! use rand_core::OsRng;
//!
//! let (state, x) = ClientState::start(&mut OsRng);
//! // ... x is the CREATE_FAST body; relays from C tor 0.4.9 on still answer it ...
//! let (relay_seed, reply) = fast::relay_respond(&mut OsRng, &x)?;
//! // ... reply is the CREATED_FAST body ...
//! let client_seed = state.finish(&reply)?;
//! assert_eq!(client_seed.circuit_keys(), relay_seed.circuit_keys());
//! # Ok::<(), onionskin::HandshakeError>(())
//! ```

use crate::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use crate::handshake::{CircuitHandshake, HandshakeType, KeyMaterial, ServerMessage};
use crate::kdf::{KDF_TOR_MAX_LEN, kdf_tor};
use crate::keys::{CIRCUIT_KEY_MATERIAL_LEN, CircuitKeys, DIGEST_SEED_LEN};
use crate::{HandshakeError, ct};
use core::fmt;
use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// `HASH_LEN`: the length of `X`, `Y` and `KH`.
pub const HASH_LEN: usize = 20;
/// The CREATE_FAST body: `X`.
pub const ONION_SKIN_LEN: usize = HASH_LEN;
/// The CREATED_FAST body: `Y | KH`.
pub const REPLY_LEN: usize = 2 * HASH_LEN;
/// The most key material a [`KeySeed`] can expand to: KDF-TOR's limit less `KH`.
pub const MAX_KEY_MATERIAL_LEN: usize = KDF_TOR_MAX_LEN - DIGEST_SEED_LEN;

/// The zero-sized marker that drives CREATE_FAST through the generic [`CircuitHandshake`]
/// trait. It needs no relay keys, so its key types are `()`. (The cell is
/// [`codec::CreateFast`](crate::codec::CreateFast).)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fast;

/// KDF-TOR for a length known at compile time to be within its limit, so it cannot fail.
fn kdf_tor_fixed<const N: usize>(k0: &[&[u8]]) -> Zeroizing<[u8; N]> {
    const { assert!(N <= KDF_TOR_MAX_LEN) };
    let mut out = Zeroizing::new([0u8; N]);
    // `kdf_tor` fails only above KDF_TOR_MAX_LEN, which the assertion above rules out.
    let _ = kdf_tor(k0, &mut *out);
    out
}

/// `Y | KH` where `KH` is the first block of `KDF-TOR(X | Y)`.
fn reply_for(x: &[u8; HASH_LEN], y: &[u8; HASH_LEN]) -> [u8; REPLY_LEN] {
    let kh = kdf_tor_fixed::<HASH_LEN>(&[x, y]);
    let mut reply = [0u8; REPLY_LEN];
    for (dst, src) in reply.iter_mut().zip(y.iter().chain(kh.iter())) {
        *dst = *src;
    }
    reply
}

/// The secret both sides of CREATE_FAST end with: `K0 = X | Y`, from which KDF-TOR derives
/// `KH` and the keys. Zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeySeed {
    k0: [u8; REPLY_LEN],
}

impl KeySeed {
    fn new(x: &[u8; HASH_LEN], y: &[u8; HASH_LEN]) -> Self {
        let mut k0 = [0u8; REPLY_LEN];
        for (dst, src) in k0.iter_mut().zip(x.iter().chain(y)) {
            *dst = *src;
        }
        Self { k0 }
    }
}

impl KeyMaterial for KeySeed {
    /// Fills `out` with `KDF-TOR(X | Y)` after its first 20 bytes (`KH`): Tor takes 72 bytes,
    /// `Df | Db | Kf | Kb`.
    ///
    /// # Errors
    /// [`HandshakeError::KeyMaterialTooLong`] above [`MAX_KEY_MATERIAL_LEN`] bytes.
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError> {
        if out.len() > MAX_KEY_MATERIAL_LEN {
            return Err(HandshakeError::KeyMaterialTooLong);
        }
        // KDF-TOR's blocks are independent (`SHA1(K0 | [i])`) and KH is exactly block 0, so
        // the stream after KH is blocks 1, 2, ...; made one at a time, with no buffer sized
        // by the caller's length. The check above keeps the counter within one byte.
        let mut block = Zeroizing::new([0u8; HASH_LEN]);
        for (i, chunk) in out.chunks_mut(HASH_LEN).enumerate() {
            let Ok(counter) = u8::try_from(i + 1) else {
                break;
            };
            kdf_tor_block(&self.k0, counter, &mut block);
            for (dst, src) in chunk.iter_mut().zip(block.iter()) {
                *dst = *src;
            }
        }
        Ok(())
    }

    fn circuit_keys(self) -> CircuitKeys {
        CircuitKeys::split_kh_first(&kdf_tor_fixed::<CIRCUIT_KEY_MATERIAL_LEN>(&[&self.k0]))
    }
}

/// Block `i` of KDF-TOR(K0): `SHA1(K0 | [i])` (tor-spec 5.2.1).
fn kdf_tor_block(k0: &[u8], counter: u8, out: &mut [u8; HASH_LEN]) {
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(k0);
    h.update([counter]);
    let mut digest = h.finalize();
    for (dst, src) in out.iter_mut().zip(digest.iter()) {
        *dst = *src;
    }
    digest.as_mut_slice().zeroize();
}

impl fmt::Debug for KeySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySeed").finish_non_exhaustive()
    }
}

/// The client's CREATE_FAST in flight: its `X`. Consumed by [`finish`](Self::finish); no
/// `Clone`; zeroized on drop.
///
/// A state cannot be copied, so it cannot be finished twice:
/// ```compile_fail
/// fn needs_clone<T: Clone>() {}
/// needs_clone::<onionskin::handshake::fast::ClientState>();
/// ```
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ClientState {
    x: [u8; HASH_LEN],
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientState {
    /// Starts a CREATE_FAST handshake: draws `X` from `rng` and returns the state and the
    /// CREATE_FAST body.
    #[must_use]
    pub fn start<R: RngCore + CryptoRng>(rng: &mut R) -> (Self, [u8; ONION_SKIN_LEN]) {
        let mut x = Zeroizing::new([0u8; HASH_LEN]);
        rng.fill_bytes(&mut *x);
        Self::start_with_x(&x)
    }

    fn start_with_x(x: &[u8; HASH_LEN]) -> (Self, [u8; ONION_SKIN_LEN]) {
        (Self { x: *x }, *x)
    }

    /// Checks the CREATED_FAST body `Y | KH` and returns the shared [`KeySeed`]. Consumes
    /// the state on success and on failure.
    ///
    /// `reply` is what the codec hands out ([`CreatedFast::reply`](crate::codec::CreatedFast::reply)).
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] if `reply` is not [`REPLY_LEN`] bytes;
    /// [`HandshakeError::Failed`] if `KH` is not the first 20 bytes of `KDF-TOR(X | Y)`
    /// (compared in constant time).
    pub fn finish(self, reply: &[u8]) -> Result<KeySeed, HandshakeError> {
        let (y, kh) = reply
            .split_first_chunk::<HASH_LEN>()
            .ok_or(HandshakeError::Malformed)?;
        let kh: &[u8; HASH_LEN] = kh.try_into().map_err(|_| HandshakeError::Malformed)?;
        let expected = kdf_tor_fixed::<HASH_LEN>(&[&self.x, y]);
        if ct::declassify(expected.ct_eq(kh)) {
            Ok(KeySeed::new(&self.x, y))
        } else {
            Err(HandshakeError::Failed)
        }
    }
}

/// Relay side of CREATE_FAST: draws `Y` from `rng` and returns the shared [`KeySeed`] and
/// the CREATED_FAST body `Y | KH`. Any 20 bytes are a valid `X`.
///
/// # Errors
/// [`HandshakeError::Malformed`] if `onion_skin` is not [`ONION_SKIN_LEN`] bytes.
pub fn relay_respond<R: RngCore + CryptoRng>(
    rng: &mut R,
    onion_skin: &[u8],
) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError> {
    let x: &[u8; ONION_SKIN_LEN] = onion_skin
        .try_into()
        .map_err(|_| HandshakeError::Malformed)?;
    let mut y = Zeroizing::new([0u8; HASH_LEN]);
    rng.fill_bytes(&mut *y);
    Ok(respond_with_y(&y, x))
}

fn respond_with_y(y: &[u8; HASH_LEN], x: &[u8; HASH_LEN]) -> (KeySeed, [u8; REPLY_LEN]) {
    (KeySeed::new(x, y), reply_for(x, y))
}

impl CircuitHandshake for Fast {
    const HTYPE: HandshakeType = HandshakeType::FAST;
    type RelayPublicKey = ();
    type RelayKeys = ();
    type ClientState = ClientState;
    type OnionSkin = [u8; ONION_SKIN_LEN];
    type Reply = [u8; REPLY_LEN];
    type KeySeed = KeySeed;

    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        _relay: &(),
        extensions: &[CircuitExtension<'_>],
    ) -> Result<(ClientState, [u8; ONION_SKIN_LEN]), HandshakeError> {
        super::no_message(extensions)?;
        Ok(ClientState::start(rng))
    }

    fn relay_respond<R, F>(
        rng: &mut R,
        _keys: &(),
        onion_skin: &[u8],
        _reply_extensions: F,
    ) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
    {
        relay_respond(rng, onion_skin)
    }

    fn client_finish(
        state: ClientState,
        reply: &[u8],
    ) -> Result<(KeySeed, ServerMessage), HandshakeError> {
        Ok((state.finish(reply)?, ServerMessage::empty()))
    }
}

/// Deterministic CREATE_FAST entry points for known-answer tests and reproducible research.
///
/// # Not for production
/// These take `X` and `Y` from the caller instead of the RNG. A predictable `X` or `Y`
/// gives predictable circuit keys. They exist only with the `hazmat` feature; use
/// [`ClientState::start`] and [`relay_respond`] in real code.
#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub mod hazmat {
    use super::{ClientState, HASH_LEN, HandshakeError, KeySeed, ONION_SKIN_LEN, REPLY_LEN};

    /// [`ClientState::start`] with `X` given.
    #[must_use]
    pub fn client_start_with_x(x: &[u8; HASH_LEN]) -> (ClientState, [u8; ONION_SKIN_LEN]) {
        ClientState::start_with_x(x)
    }

    /// [`relay_respond`](super::relay_respond) with `Y` given.
    ///
    /// # Errors
    /// As [`relay_respond`](super::relay_respond).
    pub fn relay_respond_with_y(
        y: &[u8; HASH_LEN],
        onion_skin: &[u8],
    ) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError> {
        let x: &[u8; ONION_SKIN_LEN] = onion_skin
            .try_into()
            .map_err(|_| HandshakeError::Malformed)?;
        Ok(super::respond_with_y(y, x))
    }
}
