//! Tor's circuit handshakes, a generic layer to drive any of them by type, and one-call
//! dispatch by cell type.
//!
//! | module | carried in | spec |
//! |---|---|---|
//! | [`tap`] (feature `tap`) | CREATE, CREATE2 HTYPE 0 | tor-spec 5.1.3 |
//! | [`fast`] | CREATE_FAST | tor-spec 5.1.5 |
//! | [`ntor`] | CREATE2 HTYPE 2 (and CREATE with the `ntorNTORntorNTOR` tag) | tor-spec 5.1.4 |
//! | [`ntor_v3`] | CREATE2 HTYPE 3 | proposal 332 |
//!
//! Relays from C tor 0.4.9 on refuse TAP (CREATE, and CREATE2 with HTYPE 0) but still answer
//! CREATE_FAST; 0.4.8 relays answer all four.
//!
//! # One shape for every handshake
//!
//! Every handshake module (and `hs_ntor`, which follows the same shape) has these items. Where
//! a handshake has nothing to put in a slot (CREATE_FAST has no relay keys; TAP's onion skin
//! names no relay), the slot is left out, never filled with a placeholder.
//!
//! **Keys.**
//! * `RelayPublicKey`: what a client must know about the relay, with public fields
//!   `identity` (ntor: the RSA identity digest, NODEID; ntor-v3: the Ed25519 identity) and
//!   `onion_key`, built by `RelayPublicKey::new(identity, onion_key)`. TAP's is the relay's
//!   RSA onion key itself.
//! * `RelaySecretKey`: the relay's onion key. ntor and ntor-v3 share one type, the ntor onion
//!   key [`NtorOnionKey`] (Tor uses one key, `secret_onion_key_ntor`, for both): `generate(rng)`,
//!   `from_bytes(&[u8; 32])`, `secret_bytes()`, `public_key()`, `Clone`, wiped on drop, `Debug`
//!   shows the public key only. C tor's key files and descriptor lines load through
//!   [`crate::key_formats`].
//! * `RelayKeys::new(identity, current).with_previous(previous)` (TAP: `RelayKeys::new(current)
//!   .with_previous(previous)`), with `current()`, `previous()`, `public_key()` and (ntor,
//!   ntor-v3) `identity()`. ntor's keys also take `.with_unknown_key_policy(`[`UnknownKeyPolicy`]`)`;
//!   ntor-v3 cannot answer an unknown key (its MAC check needs the key) and TAP cannot tell one
//!   (its skin does not name the key).
//!
//! **Client.**
//! * `ClientState::start(rng, &RelayPublicKey) -> (ClientState, onion skin)`; ntor-v3 takes the
//!   client's typed extension list too, `start(rng, &relay, &[CircuitExtension])`, and `&[]`
//!   encodes as the list `00` that C tor requires; CREATE_FAST takes no relay.
//! * `ClientState::finish(self, reply: &[u8]) -> Result<KeySeed, HandshakeError>`: the reply
//!   as the codec hands it out ([`Created2::hdata`](crate::codec::Created2::hdata), ...).
//!   ntor-v3 returns `(KeySeed, ServerMessage)`, the relay's parsed extension list beside the
//!   keys. A state is consumed by `finish`, has no `Clone`, and is wiped on drop.
//!
//! **Relay.**
//! * `relay_respond(rng, &RelayKeys, onion_skin: &[u8]) -> Result<(KeySeed, reply), HandshakeError>`
//!   (CREATE_FAST: `relay_respond(rng, onion_skin)`). ntor-v3 takes a callback that sees the
//!   client's extension list, parsed, after the MAC check, and writes the relay's typed reply
//!   extensions: `FnOnce(&ExtensionList, &mut ExtensionWriter) -> Result<(), HandshakeError>`.
//! * The reply is `[u8; REPLY_LEN]` for the fixed-length handshakes and an inline buffer
//!   (`AsRef<[u8]>`) for ntor-v3. Nothing allocates.
//!
//! **Keys out.** `KeySeed`: implements [`KeyMaterial`] (`circuit_keys()`, `expand_into(out)`),
//! consumed by use, wiped on drop, never printed.
//!
//! **Errors** ([`HandshakeError`]), the same meaning everywhere:
//! * `Malformed`: public framing is wrong (a length, an extension list that does not parse).
//! * `WrongRelay`: the onion skin names another relay's identity (public; reported early).
//! * `UnknownOnionKey`: the onion skin names an onion key the relay does not hold (public, it
//!   travels in the clear). Reported only after the same work a good skin costs, so its timing
//!   matches a cryptographic failure. TAP's skin does not name its key, so there it is `Failed`.
//! * `Failed`: any secret-dependent check (AUTH, MAC, KH, OAEP, an all-zero Diffie-Hellman
//!   result), folded into one `Choice` and decided once, in constant time; never says which.
//!
//! **Constants.** `ONION_SKIN_LEN` / `REPLY_LEN` (fixed-length handshakes), `MAX_ONION_SKIN_LEN`
//! / `MAX_REPLY_LEN` (ntor-v3).
//!
//! **Hazmat** (feature `hazmat`, not for production), one naming scheme:
//! `hazmat::client_start_with_x(x, ..the arguments of start without rng..)` and
//! `hazmat::relay_respond_with_y(y, ..the arguments of relay_respond without rng..)` in every
//! module (TAP's client also takes its `K` and OAEP seed); `hazmat::client_finish_with_intermediates`
//! where a handshake has named intermediates (ntor, ntor-v3). ntor-v3's hazmat functions take
//! the raw client and server messages (bytes), for research on malformed lists; the typed API
//! cannot produce those.
//!
//! # Generic code
//!
//! [`CircuitHandshake`] gives the same operations for any handshake type through zero-sized
//! markers ([`tap::Tap`], [`fast::Fast`], [`ntor::Ntor`], [`ntor_v3::NtorV3`]). An empty
//! extension list is "no message": for ntor-v3 it encodes as `00`; the other handshakes refuse
//! a non-empty one with `MessageNotSupported`.
//!
//! [`dispatch`] answers or finishes any handshake by the cell that carries it: a relay gives
//! the CREATE / CREATE2 / CREATE_FAST body and gets the reply body and a key seed; a client
//! gets the create body from [`dispatch::ClientHandshake::start`] and turns any reply body into
//! keys with [`dispatch::ClientHandshake::finish`]. No allocation, no panic.

use crate::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use crate::{CircuitKeys, HandshakeError};
use core::fmt;
use rand_core::{CryptoRng, RngCore};

pub mod dispatch;
pub mod fast;
pub mod ntor;
pub mod ntor_v3;
mod onion_key;
#[cfg(feature = "tap")]
#[cfg_attr(docsrs, doc(cfg(feature = "tap")))]
pub mod tap;

pub use ntor_v3::ServerMessage;
pub use onion_key::{NTOR_ONION_KEY_LEN, NtorOnionKey, UnknownKeyPolicy};

/// A CREATE2 handshake type (HTYPE, tor-spec 5.1). An open newtype: unknown values decode and
/// re-encode unchanged.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandshakeType(pub u16);

impl HandshakeType {
    /// The legacy TAP handshake (HTYPE 0).
    pub const TAP: Self = Self(0);
    /// Reserved on the wire; C tor uses 1 internally for CREATE_FAST, and this crate's
    /// [`fast::Fast`] reports it. A CREATE2 carrying it is rejected.
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
/// [`ntor::Ntor`], [`ntor_v3::NtorV3`], [`fast::Fast`] and (feature `tap`) [`tap::Tap`].
///
/// Extensions are typed ([`CircuitExtension`]). An empty list means "no message": ntor-v3
/// encodes it as the one byte `00`, the empty extension list C tor requires (a zero-length
/// message gets the circuit destroyed). Handshakes other than ntor-v3 carry no messages:
/// `client_start` refuses a non-empty list with [`HandshakeError::MessageNotSupported`],
/// `relay_respond` never calls its callback, and `client_finish` returns an empty
/// [`ServerMessage`].
///
/// The relay's policy for unknown onion keys travels in its keys
/// (`RelayKeys::with_unknown_key_policy`, see [`UnknownKeyPolicy`]).
///
/// ```
/// use onionskin::handshake::{CircuitHandshake, NtorOnionKey, ntor_v3::{NtorV3, RelayKeys}};
/// use onionskin::KeyMaterial;
///
/// fn round_trip<H: CircuitHandshake>(relay: &H::RelayKeys, public: &H::RelayPublicKey)
///     -> Result<bool, onionskin::HandshakeError>
/// {
///     let mut rng = rand_core::OsRng;
///     let (state, skin) = H::client_start(&mut rng, public, &[])?;
///     let (relay_seed, reply) = H::relay_respond(&mut rng, relay, skin.as_ref(), |_, _| Ok(()))?;
///     let (client_seed, _) = H::client_finish(state, reply.as_ref())?;
///     Ok(client_seed.circuit_keys() == relay_seed.circuit_keys())
/// }
///
/// let relay = RelayKeys::new([7; 32], NtorOnionKey::generate(&mut rand_core::OsRng));
/// assert!(round_trip::<NtorV3>(&relay, &relay.public_key())?);
/// # Ok::<(), onionskin::HandshakeError>(())
/// ```
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

    /// Starts a handshake with `relay`, asking for `extensions` if the handshake can carry
    /// them (`&[]`: none).
    ///
    /// # Errors
    /// [`HandshakeError::MessageNotSupported`] for extensions on a handshake without
    /// messages; [`HandshakeError::Malformed`] or [`HandshakeError::BufferTooSmall`] if they do
    /// not fit the onion skin; [`HandshakeError::Failed`] for an unusable relay onion key.
    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &Self::RelayPublicKey,
        extensions: &[CircuitExtension<'_>],
    ) -> Result<(Self::ClientState, Self::OnionSkin), HandshakeError>;

    /// Relay side: answers `onion_skin`. For ntor-v3, `reply_extensions` sees the client's
    /// extension list only after it has been authenticated and writes the relay's reply
    /// extensions (none: the empty list `00`); returning an error refuses the handshake with
    /// that error.
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`], [`HandshakeError::WrongRelay`],
    /// [`HandshakeError::UnknownOnionKey`] and [`HandshakeError::Failed`], with the meanings
    /// of [`HandshakeError`]; whatever `reply_extensions` returns.
    fn relay_respond<R, F>(
        rng: &mut R,
        keys: &Self::RelayKeys,
        onion_skin: &[u8],
        reply_extensions: F,
    ) -> Result<(Self::KeySeed, Self::Reply), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>;

    /// Client side: checks `reply` and returns the key seed and the relay's message (an
    /// empty one for handshakes without messages).
    ///
    /// # Errors
    /// [`HandshakeError::Failed`] if the reply does not authenticate,
    /// [`HandshakeError::Malformed`] for a reply of the wrong length.
    fn client_finish(
        state: Self::ClientState,
        reply: &[u8],
    ) -> Result<(Self::KeySeed, ServerMessage), HandshakeError>;
}

/// For the handshakes that carry no message (TAP, ntor, CREATE_FAST) in the generic
/// [`CircuitHandshake::client_start`]: anything but an empty extension list is refused.
pub(crate) fn no_message(extensions: &[CircuitExtension<'_>]) -> Result<(), HandshakeError> {
    if extensions.is_empty() {
        Ok(())
    } else {
        Err(HandshakeError::MessageNotSupported)
    }
}
