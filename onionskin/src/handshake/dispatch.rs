//! One call per side for any handshake, chosen by the cell that carries it.
//!
//! A relay hands [`relay_respond`] the command and body of any CREATE, CREATE2 or
//! CREATE_FAST cell, with [`RelayOnionKeys`] for every handshake it runs, and gets back the
//! body of the CREATED / CREATED2 / CREATED_FAST cell to send and a [`KeySeed`]. A client
//! makes the create body with [`ClientHandshake::start`] from a [`RelayTarget`] and turns
//! whatever reply body comes back into keys with [`ClientHandshake::finish`]. Nothing here
//! allocates, panics, or needs the caller to match on cell or handshake types.
//!
//! Which cell carries which handshake (tor-spec 5.1):
//!
//! | handshake | client sends | relay answers |
//! |---|---|---|
//! | TAP | CREATE | CREATED |
//! | TAP | CREATE2, HTYPE 0 (relay side only) | CREATED2 |
//! | ntor | CREATE2, HTYPE 2 | CREATED2 |
//! | ntor | CREATE with the `ntorNTORntorNTOR` tag (relay side only) | CREATED |
//! | ntor-v3 | CREATE2, HTYPE 3 | CREATED2 |
//! | CREATE_FAST | CREATE_FAST | CREATED_FAST |
//!
//! Relays from C tor 0.4.9 on refuse TAP (both cells) and still answer CREATE_FAST; a relay
//! built on this module refuses every handshake it has no keys for with
//! [`HandshakeError::UnsupportedHandshake`].
//!
//! ```
//! use onionskin::codec::PAYLOAD_LEN;
//! use onionskin::handshake::dispatch::{self, ClientHandshake, RelayOnionKeys, RelayTarget};
//! use onionskin::handshake::{NtorOnionKey, ntor, ntor_v3};
//! use onionskin::KeyMaterial;
//!
//! let mut rng = rand_core::OsRng;
//! let onion_key = NtorOnionKey::generate(&mut rng);
//! let ntor_keys = ntor::RelayKeys::new([1; 20], onion_key.clone());
//! let ntor_v3_keys = ntor_v3::RelayKeys::new([2; 32], onion_key);
//! let relay = RelayOnionKeys::new().with_ntor(&ntor_keys).with_ntor_v3(&ntor_v3_keys);
//!
//! for target in [
//!     RelayTarget::Fast,
//!     RelayTarget::Ntor(&ntor_keys.public_key()),
//!     RelayTarget::NtorV3(&ntor_v3_keys.public_key()),
//! ] {
//!     let mut create = [0u8; PAYLOAD_LEN];
//!     let (client, command) = ClientHandshake::start(&mut rng, &target, &[], &mut create)?;
//!
//!     let mut created = [0u8; PAYLOAD_LEN];
//!     let answer = dispatch::relay_respond(&mut rng, &relay, command, &create, |_, _| Ok(()), &mut created)?;
//!
//!     let (client_seed, _) = client.finish(answer.command, &created)?;
//!     assert_eq!(client_seed.circuit_keys(), answer.key_seed.circuit_keys());
//! }
//! # Ok::<(), onionskin::HandshakeError>(())
//! ```

#[cfg(feature = "tap")]
use super::tap;
use super::{HandshakeType, KeyMaterial, ServerMessage, fast, ntor, ntor_v3};
use crate::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use crate::codec::{
    CellBody, CellMsg, Command, Create2, CreateFast, Created, Created2, CreatedFast,
    LegacyOnionSkin, PAYLOAD_LEN,
};
use crate::{CircuitKeys, DecodeError, HandshakeError};
use rand_core::{CryptoRng, RngCore};

/// Every key a relay answers handshakes with, borrowed. A handshake without keys here is
/// refused with [`HandshakeError::UnsupportedHandshake`]; CREATE_FAST needs no keys and is
/// answered unless turned off (C tor answers it).
///
/// The unknown-onion-key policy is the one set in each handshake's keys
/// (`RelayKeys::with_unknown_key_policy`).
#[derive(Clone, Copy, Debug)]
pub struct RelayOnionKeys<'a> {
    #[cfg(feature = "tap")]
    tap: Option<&'a tap::RelayKeys>,
    ntor: Option<&'a ntor::RelayKeys>,
    ntor_v3: Option<&'a ntor_v3::RelayKeys>,
    create_fast: bool,
}

impl Default for RelayOnionKeys<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> RelayOnionKeys<'a> {
    /// A relay that answers only CREATE_FAST.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            #[cfg(feature = "tap")]
            tap: None,
            ntor: None,
            ntor_v3: None,
            create_fast: true,
        }
    }

    /// Also answers TAP (CREATE, and CREATE2 with HTYPE 0) with `keys`.
    #[cfg(feature = "tap")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tap")))]
    #[must_use]
    pub const fn with_tap(mut self, keys: &'a tap::RelayKeys) -> Self {
        self.tap = Some(keys);
        self
    }

    /// Also answers ntor (CREATE2 with HTYPE 2, and tagged CREATE) with `keys`.
    #[must_use]
    pub const fn with_ntor(mut self, keys: &'a ntor::RelayKeys) -> Self {
        self.ntor = Some(keys);
        self
    }

    /// Also answers ntor-v3 (CREATE2 with HTYPE 3) with `keys`.
    #[must_use]
    pub const fn with_ntor_v3(mut self, keys: &'a ntor_v3::RelayKeys) -> Self {
        self.ntor_v3 = Some(keys);
        self
    }

    /// Refuses CREATE_FAST.
    #[must_use]
    pub const fn without_create_fast(mut self) -> Self {
        self.create_fast = false;
        self
    }
}

/// The key seed of whichever handshake ran. Wiped on drop (each variant is), never printed.
#[derive(Debug)]
#[non_exhaustive]
pub enum KeySeed {
    /// From TAP.
    #[cfg(feature = "tap")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tap")))]
    Tap(tap::KeySeed),
    /// From CREATE_FAST.
    Fast(fast::KeySeed),
    /// From ntor.
    Ntor(ntor::KeySeed),
    /// From ntor-v3.
    NtorV3(ntor_v3::KeySeed),
}

impl KeySeed {
    /// The handshake it came from ([`HandshakeType::FAST`] for CREATE_FAST).
    #[must_use]
    pub const fn handshake_type(&self) -> HandshakeType {
        match self {
            #[cfg(feature = "tap")]
            Self::Tap(_) => HandshakeType::TAP,
            Self::Fast(_) => HandshakeType::FAST,
            Self::Ntor(_) => HandshakeType::NTOR,
            Self::NtorV3(_) => HandshakeType::NTOR_V3,
        }
    }
}

impl KeyMaterial for KeySeed {
    /// As the handshake's own `expand_into`.
    ///
    /// # Errors
    /// [`HandshakeError::KeyMaterialTooLong`] past the handshake's KDF limit.
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError> {
        match self {
            #[cfg(feature = "tap")]
            Self::Tap(k) => k.expand_into(out),
            Self::Fast(k) => k.expand_into(out),
            Self::Ntor(k) => k.expand_into(out),
            Self::NtorV3(k) => k.expand_into(out),
        }
    }

    fn circuit_keys(self) -> CircuitKeys {
        match self {
            #[cfg(feature = "tap")]
            Self::Tap(k) => k.circuit_keys(),
            Self::Fast(k) => k.circuit_keys(),
            Self::Ntor(k) => k.circuit_keys(),
            Self::NtorV3(k) => k.circuit_keys(),
        }
    }
}

/// What [`relay_respond`] made: the reply cell's command (its body is in the caller's
/// buffer) and the key seed.
#[derive(Debug)]
#[non_exhaustive]
pub struct RelayAnswer {
    /// CREATED, CREATED2 or CREATED_FAST.
    pub command: Command,
    /// Bytes of the reply body before its NUL padding.
    pub len: usize,
    /// The circuit's key seed.
    pub key_seed: KeySeed,
}

/// A cell that cannot be read is malformed; a CREATE2 with a handshake type the codec does
/// not accept there (HTYPE 1, or unknown) is one this relay does not run.
fn decode_error(e: DecodeError) -> HandshakeError {
    match e {
        DecodeError::BadHandshakeType { htype } => {
            HandshakeError::UnsupportedHandshake(HandshakeType(htype))
        }
        _ => HandshakeError::Malformed,
    }
}

/// Relay side: answers the CREATE, CREATE2 or CREATE_FAST cell with command `command` and
/// body `body`, writes the reply cell's body (NUL-padded) into `reply_body`, and returns
/// its command and the key seed.
///
/// `reply_extensions` is ntor-v3's callback (see [`ntor_v3::relay_respond`]); the other
/// handshakes never call it.
///
/// # Errors
/// * [`HandshakeError::Malformed`] for a command that creates no circuit or a body that
///   does not decode;
/// * [`HandshakeError::UnsupportedHandshake`] for a handshake without keys in `keys`
///   (TAP at a relay without TAP keys, as C tor 0.4.9 refuses it) or an unknown HTYPE;
/// * whatever the handshake's own `relay_respond` reports.
pub fn relay_respond<R, F>(
    rng: &mut R,
    keys: &RelayOnionKeys<'_>,
    command: Command,
    body: &[u8; PAYLOAD_LEN],
    reply_extensions: F,
    reply_body: &mut [u8; PAYLOAD_LEN],
) -> Result<RelayAnswer, HandshakeError>
where
    R: RngCore + CryptoRng,
    F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
{
    let msg = CellMsg::decode(command, body).map_err(decode_error)?;
    let unsupported = HandshakeError::UnsupportedHandshake;
    match msg {
        CellMsg::CreateFast(c) => {
            if !keys.create_fast {
                return Err(unsupported(HandshakeType::FAST));
            }
            let (seed, reply) = fast::relay_respond(rng, c.x())?;
            let len = CreatedFast::new(&reply).encode_into(reply_body)?;
            Ok(RelayAnswer {
                command: Command::CREATED_FAST,
                len,
                key_seed: KeySeed::Fast(seed),
            })
        }
        CellMsg::Create(c) => match c.onion_skin() {
            LegacyOnionSkin::Ntor(skin) => {
                let ntor_keys = keys.ntor.ok_or(unsupported(HandshakeType::NTOR))?;
                let (seed, reply) = ntor::relay_respond(rng, ntor_keys, skin)?;
                // C tor answers a tagged ntor CREATE with CREATED holding the 64-byte reply.
                let mut created = [0u8; crate::codec::TAP_REPLY_LEN];
                for (dst, src) in created.iter_mut().zip(reply) {
                    *dst = src;
                }
                Created::new(&created).encode_into(reply_body)?;
                Ok(RelayAnswer {
                    command: Command::CREATED,
                    len: ntor::REPLY_LEN,
                    key_seed: KeySeed::Ntor(seed),
                })
            }
            LegacyOnionSkin::Tap(skin) => tap_over_create(rng, keys, skin, reply_body),
        },
        CellMsg::Create2(c) => {
            let (key_seed, reply_len) = respond_create2(
                rng,
                keys,
                c.htype(),
                c.hdata(),
                reply_extensions,
                reply_body,
            )?;
            Ok(RelayAnswer {
                command: Command::CREATED2,
                len: reply_len,
                key_seed,
            })
        }
        _ => Err(HandshakeError::Malformed),
    }
}

#[cfg(feature = "tap")]
fn tap_over_create<R: RngCore + CryptoRng>(
    rng: &mut R,
    keys: &RelayOnionKeys<'_>,
    skin: &[u8],
    reply_body: &mut [u8; PAYLOAD_LEN],
) -> Result<RelayAnswer, HandshakeError> {
    let tap_keys = keys
        .tap
        .ok_or(HandshakeError::UnsupportedHandshake(HandshakeType::TAP))?;
    let (seed, reply) = tap::relay_respond(rng, tap_keys, skin)?;
    let len = Created::new(&reply).encode_into(reply_body)?;
    Ok(RelayAnswer {
        command: Command::CREATED,
        len,
        key_seed: KeySeed::Tap(seed),
    })
}

#[cfg(not(feature = "tap"))]
fn tap_over_create<R: RngCore + CryptoRng>(
    _rng: &mut R,
    _keys: &RelayOnionKeys<'_>,
    _skin: &[u8],
    _reply_body: &mut [u8; PAYLOAD_LEN],
) -> Result<RelayAnswer, HandshakeError> {
    Err(HandshakeError::UnsupportedHandshake(HandshakeType::TAP))
}

/// The CREATE2 handshakes; writes CREATED2 and returns the key seed and body length.
fn respond_create2<R, F>(
    rng: &mut R,
    keys: &RelayOnionKeys<'_>,
    htype: HandshakeType,
    hdata: &[u8],
    reply_extensions: F,
    reply_body: &mut [u8; PAYLOAD_LEN],
) -> Result<(KeySeed, usize), HandshakeError>
where
    R: RngCore + CryptoRng,
    F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
{
    let unsupported = HandshakeError::UnsupportedHandshake(htype);
    let mut reply = [0u8; ntor_v3::MAX_REPLY_LEN];
    let (seed, reply_len) = match htype {
        HandshakeType::NTOR => {
            let (seed, r) = ntor::relay_respond(rng, keys.ntor.ok_or(unsupported)?, hdata)?;
            copy_prefix(&mut reply, &r);
            (KeySeed::Ntor(seed), r.len())
        }
        HandshakeType::NTOR_V3 => {
            let v3 = keys.ntor_v3.ok_or(unsupported)?;
            let (seed, len) =
                ntor_v3::relay_respond_into(rng, v3, hdata, reply_extensions, &mut reply)?;
            (KeySeed::NtorV3(seed), len)
        }
        #[cfg(feature = "tap")]
        HandshakeType::TAP => {
            let (seed, r) = tap::relay_respond(rng, keys.tap.ok_or(unsupported)?, hdata)?;
            copy_prefix(&mut reply, &r);
            (KeySeed::Tap(seed), r.len())
        }
        _ => return Err(unsupported),
    };
    let hdata = reply.get(..reply_len).ok_or(HandshakeError::Malformed)?;
    let len = Created2::new(hdata)?.encode_into(reply_body)?;
    Ok((seed, len))
}

fn copy_prefix(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// The relay a client starts a handshake with, and so the handshake it runs.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum RelayTarget<'a> {
    /// TAP with this onion key, in a CREATE cell (relays from C tor 0.4.9 on refuse it).
    #[cfg(feature = "tap")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tap")))]
    Tap(&'a tap::RelayPublicKey),
    /// CREATE_FAST (first hop only, over an authenticated link; tor-spec 5.1.5).
    Fast,
    /// ntor with this relay, in CREATE2.
    Ntor(&'a ntor::RelayPublicKey),
    /// ntor-v3 with this relay, in CREATE2.
    NtorV3(&'a ntor_v3::RelayPublicKey),
}

/// A client's handshake in flight, of whichever type. Consumed by [`finish`](Self::finish);
/// no `Clone`; each variant is wiped on drop.
///
/// Held inline (the crate does not allocate): its size is that of the largest state,
/// ntor-v3's, which carries its verification string.
#[derive(Debug)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // no allocation: boxing is the caller's choice
pub enum ClientHandshake {
    /// TAP, sent in CREATE.
    #[cfg(feature = "tap")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tap")))]
    Tap(tap::ClientState),
    /// CREATE_FAST.
    Fast(fast::ClientState),
    /// ntor, sent in CREATE2.
    Ntor(ntor::ClientState),
    /// ntor-v3, sent in CREATE2.
    NtorV3(ntor_v3::ClientState),
}

impl ClientHandshake {
    /// Starts the handshake `relay` calls for, writes the create cell's body (NUL-padded)
    /// into `body_out`, and returns the state and the cell's command. `extensions` are sent
    /// with ntor-v3 (`&[]`: the empty list `00`) and must be empty for the others.
    ///
    /// # Errors
    /// [`HandshakeError::MessageNotSupported`] for extensions on a handshake without
    /// messages; whatever the handshake's own `start` reports.
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayTarget<'_>,
        extensions: &[CircuitExtension<'_>],
        body_out: &mut [u8; PAYLOAD_LEN],
    ) -> Result<(Self, Command), HandshakeError> {
        if !extensions.is_empty() && !matches!(relay, RelayTarget::NtorV3(_)) {
            return Err(HandshakeError::MessageNotSupported);
        }
        match relay {
            #[cfg(feature = "tap")]
            RelayTarget::Tap(public) => {
                let (state, skin) = tap::ClientState::start(rng, public);
                crate::codec::Create::tap(&skin).encode_into(body_out)?;
                Ok((Self::Tap(state), Command::CREATE))
            }
            RelayTarget::Fast => {
                let (state, x) = fast::ClientState::start(rng);
                CreateFast::new(&x).encode_into(body_out)?;
                Ok((Self::Fast(state), Command::CREATE_FAST))
            }
            RelayTarget::Ntor(public) => {
                let (state, skin) = ntor::ClientState::start(rng, public);
                Create2::new(HandshakeType::NTOR, &skin)?.encode_into(body_out)?;
                Ok((Self::Ntor(state), Command::CREATE2))
            }
            RelayTarget::NtorV3(public) => {
                let (state, skin) = ntor_v3::ClientState::start(rng, public, extensions)?;
                Create2::new(HandshakeType::NTOR_V3, skin.as_bytes())?.encode_into(body_out)?;
                Ok((Self::NtorV3(state), Command::CREATE2))
            }
        }
    }

    /// The handshake this state runs.
    #[must_use]
    pub const fn handshake_type(&self) -> HandshakeType {
        match self {
            #[cfg(feature = "tap")]
            Self::Tap(_) => HandshakeType::TAP,
            Self::Fast(_) => HandshakeType::FAST,
            Self::Ntor(_) => HandshakeType::NTOR,
            Self::NtorV3(_) => HandshakeType::NTOR_V3,
        }
    }

    /// Finishes from the reply cell with command `command` and body `body`, returning the
    /// key seed and the relay's message (empty except for ntor-v3).
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] if the cell is not the reply this handshake expects
    /// (a DESTROY included: check for it first) or does not decode; whatever the
    /// handshake's own `finish` reports.
    pub fn finish(
        self,
        command: Command,
        body: &[u8; PAYLOAD_LEN],
    ) -> Result<(KeySeed, ServerMessage), HandshakeError> {
        let msg = CellMsg::decode(command, body).map_err(|_| HandshakeError::Malformed)?;
        match (self, msg) {
            #[cfg(feature = "tap")]
            (Self::Tap(state), CellMsg::Created(c)) => Ok((
                KeySeed::Tap(state.finish(c.reply())?),
                ServerMessage::empty(),
            )),
            (Self::Fast(state), CellMsg::CreatedFast(c)) => Ok((
                KeySeed::Fast(state.finish(c.reply())?),
                ServerMessage::empty(),
            )),
            (Self::Ntor(state), CellMsg::Created2(c)) => Ok((
                KeySeed::Ntor(state.finish(c.hdata())?),
                ServerMessage::empty(),
            )),
            (Self::NtorV3(state), CellMsg::Created2(c)) => {
                let (seed, message) = state.finish(c.hdata())?;
                Ok((KeySeed::NtorV3(seed), message))
            }
            _ => Err(HandshakeError::Malformed),
        }
    }
}
