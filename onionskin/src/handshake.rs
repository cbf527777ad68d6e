//! Tor's circuit handshakes, and a generic layer to drive any of them by type.
//!
//! Each handshake has its own module with the primary, inherent API:
//!
//! | module | HTYPE | spec |
//! |---|---|---|
//! | [`tap`] (feature `tap`) | 0 | tor-spec 5.1.3 |
//! | [`fast`] | — (CREATE_FAST) | tor-spec 5.1.5 |
//! | [`ntor`] | 2 | tor-spec 5.1.4 |
//! | [`ntor_v3`] | 3 | proposal 332 |
//! | [`hs_ntor`] | — (INTRODUCE1, RENDEZVOUS1) | rend-spec-v3 3.3.2, 4.2 |
//!
//! Every module follows one shape: a client state made by `start` and consumed by
//! `finish(self, reply)` (so it cannot be reused), and a stateless relay function that takes
//! the relay's keys and an onion skin and makes the reply. The [`CircuitHandshake`] trait
//! exposes the same operations generically, so an embedder can write one code path for all
//! handshakes and pick one by [`HandshakeType`].
//!
//! [`hs_ntor`] has the same shape in an onion service's roles: `ClientState::start` makes
//! INTRODUCE1's encrypted part, the stateless [`hs_ntor::service_respond`] answers an
//! INTRODUCE2, and `finish(self, handshake_info)` checks RENDEZVOUS2. It travels in relay
//! messages rather than CREATE2, has no HTYPE, and so is not a [`CircuitHandshake`].

use crate::{CircuitKeys, HandshakeError};
use core::fmt;
use rand_core::{CryptoRng, RngCore};

pub mod fast;
pub mod hs_ntor;
pub mod ntor;
pub mod ntor_v3;
#[cfg(feature = "tap")]
#[cfg_attr(docsrs, doc(cfg(feature = "tap")))]
pub mod tap;

/// A CREATE2 handshake type (HTYPE, tor-spec 5.1). An open newtype: unknown values decode and
/// re-encode unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandshakeType(pub u16);

impl HandshakeType {
    /// The legacy TAP handshake (HTYPE 0).
    pub const TAP: Self = Self(0);
    /// Reserved on the wire; C tor uses 1 internally for CREATE_FAST, and this crate's
    /// [`fast::CreateFast`] reports it. A CREATE2 carrying it is rejected.
    pub const FAST: Self = Self(1);
    /// ntor (HTYPE 2).
    pub const NTOR: Self = Self(2);
    /// ntor-v3 (HTYPE 3, proposal 332).
    pub const NTOR_V3: Self = Self(3);

    /// The spec's name for a known type, or `None`.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            0 => Some("TAP"),
            1 => Some("CREATE_FAST"),
            2 => Some("ntor"),
            3 => Some("ntor-v3"),
            _ => None,
        }
    }
}

impl fmt::Debug for HandshakeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "HandshakeType::{n}"),
            None => write!(f, "HandshakeType({})", self.0),
        }
    }
}

impl fmt::Display for HandshakeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown handshake type {}", self.0),
        }
    }
}

/// The secret a finished handshake leaves behind, from which circuit keys are expanded.
///
/// Consumed by use, zeroized on drop, never printed.
pub trait KeyMaterial: Sized {
    /// Fills `out` with the start of this handshake's key stream: the bytes a circuit hop
    /// consumes, in the handshake's own order (KDF-TOR output *after* KH for TAP and
    /// CREATE_FAST; the HKDF or SHAKE stream for ntor and ntor-v3).
    ///
    /// # Errors
    /// [`HandshakeError::KeyMaterialTooLong`] if the KDF cannot produce that many bytes.
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError>;

    /// The 92 bytes Tor uses for one hop, split into named keys with `KH` where this
    /// handshake puts it.
    #[must_use]
    fn circuit_keys(self) -> CircuitKeys;
}

/// A circuit handshake driven generically. Implemented by zero-sized markers:
/// [`ntor::Ntor`], [`ntor_v3::NtorV3`], [`fast::CreateFast`] and (feature `tap`) [`tap::Tap`].
///
/// Handshakes other than ntor-v3 carry no messages: `client_start` rejects a non-empty
/// message with [`HandshakeError::MessageNotSupported`], `relay_respond` never calls its
/// `reply_message` callback, and `client_finish` writes no message.
pub trait CircuitHandshake {
    /// The HTYPE that carries this handshake in CREATE2 ([`HandshakeType::FAST`] for CREATE_FAST).
    const HTYPE: HandshakeType;
    /// What the client must know about the relay (identity and onion key; `()` for CREATE_FAST).
    type RelayPublicKey;
    /// What the relay holds: its identity and current (and previous) onion secret keys.
    type RelayKeys;
    /// The client's handshake in flight. Not `Clone`; consumed by `client_finish`.
    type ClientState;
    /// The client's onion skin, ready to go into a CREATE/CREATE2/CREATE_FAST body.
    type OnionSkin: AsRef<[u8]>;
    /// The relay's reply, ready to go into a CREATED/CREATED2/CREATED_FAST body.
    type Reply: AsRef<[u8]>;
    /// The shared secret both sides end with.
    type KeySeed: KeyMaterial;

    /// Starts a handshake with `relay`, sending `message` if the handshake can carry one.
    ///
    /// # Errors
    /// [`HandshakeError::MessageNotSupported`] for a non-empty message on a handshake without
    /// messages; [`HandshakeError::BadLength`] if the message is too long for the handshake.
    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &Self::RelayPublicKey,
        message: &[u8],
    ) -> Result<(Self::ClientState, Self::OnionSkin), HandshakeError>;

    /// Relay side: answers `onion_skin`. For ntor-v3, `reply_message` sees the client's
    /// message only after it has been authenticated, writes the relay's message into the
    /// buffer it is given and returns its length, or `None` to refuse the handshake.
    ///
    /// # Errors
    /// [`HandshakeError::Failed`] for any cryptographic failure, [`HandshakeError::BadLength`]
    /// for a skin of the wrong length, and [`HandshakeError::WrongRelay`] where the skin names
    /// another relay's (public) identity.
    fn relay_respond<R, F>(
        rng: &mut R,
        keys: &Self::RelayKeys,
        onion_skin: &[u8],
        reply_message: F,
    ) -> Result<(Self::KeySeed, Self::Reply), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&[u8], &mut [u8]) -> Option<usize>;

    /// Client side: checks `reply`, writes the relay's message (ntor-v3 only) into
    /// `message_out` and returns the key seed and the message length.
    ///
    /// # Errors
    /// [`HandshakeError::Failed`] if the reply does not authenticate, [`HandshakeError::BadLength`]
    /// for a reply of the wrong length, [`HandshakeError::BufferTooSmall`] if the relay's
    /// message does not fit `message_out`.
    fn client_finish(
        state: Self::ClientState,
        reply: &[u8],
        message_out: &mut [u8],
    ) -> Result<(Self::KeySeed, usize), HandshakeError>;
}

/// For the handshakes that carry no message (TAP, ntor, CREATE_FAST) in the generic
/// [`CircuitHandshake::client_start`]: anything but an empty message is refused.
pub(crate) fn no_message(message: &[u8]) -> Result<(), HandshakeError> {
    if message.is_empty() {
        Ok(())
    } else {
        Err(HandshakeError::MessageNotSupported)
    }
}
