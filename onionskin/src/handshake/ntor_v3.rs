//! The ntor-v3 handshake (HTYPE 3), with encrypted extension messages:
//! [proposal 332](https://spec.torproject.org/proposals/332-ntor-v3-with-extra-data.html)
//! and [tor-spec "The ntor-v3 handshake"](https://spec.torproject.org/tor-spec/create-created-cells.html#ntor-v3).
//!
//! Like ntor, the client proves nothing and the relay proves it holds the onion key `b`
//! for `B` and the Ed25519 identity `ID` the client named. Unlike ntor, each side sends a
//! message inside the handshake: the client's message (CM) is encrypted to the relay's onion
//! key (no forward secrecy) and authenticated by `msg_mac`; the relay's message (SM) is
//! encrypted with the final key and covered by `AUTH`. In Tor both messages are extension
//! lists ([`codec::extension`](crate::codec::extension)), and this module speaks them typed:
//! the client asks with a slice of [`CircuitExtension`]s (congestion control, subprotocol
//! requests, unknown types carried through), the relay's callback gets the parsed
//! [`ExtensionList`] and answers through an [`ExtensionWriter`], and the client gets the
//! relay's list back in a [`ServerMessage`]. No extensions is the one byte `00`, which C tor
//! requires: a zero-length message gets the circuit destroyed (reason PROTOCOL). The raw
//! bytes stay available to research in `ntor_v3::hazmat` (feature `hazmat`).
//!
//! Both sides also bind a *verification string* `VER` chosen by the application; Tor uses
//! [`Verification::CIRCUIT_EXTEND`] (`"circuit extend"`) for circuits, and it is the default.
//!
//! | spec | here |
//! |---|---|
//! | `ID`, `B` | [`RelayPublicKey`] (`identity`, `onion_key`) |
//! | `b` (current and previous) | [`RelayKeys`], [`RelaySecretKey`] (the shared [`NtorOnionKey`]) |
//! | client handshake `ID \| B \| X \| MSG \| MAC` | [`OnionSkin`], written by [`ClientState::start`] |
//! | server handshake `Y \| AUTH \| MSG` | [`Reply`], written by [`relay_respond`] |
//! | `KEY_SEED`, `KDF(KEY_SEED, t_final)` after `ENC_KEY` | [`KeySeed`], [`KeyStream`] |
//!
//! # Order of checks on the relay
//! [`relay_respond`] authenticates the client's message *before anything acts on it*. A
//! NODEID that is not the relay's Ed25519 identity is refused at once with
//! [`HandshakeError::WrongRelay`] (NODEID is public, and C tor refuses it early too). Then it
//! computes `EXP(X,b)` with the key named by `KEYID` (an unknown `KEYID` runs with the
//! current key in its place), the phase-1 keys and the expected `msg_mac`, then folds the
//! KEYID match, the all-zero check on `EXP(X,b)` and the MAC comparison into one
//! [`subtle::Choice`] and decides once; an unknown KEYID is then reported as
//! [`HandshakeError::UnknownOnionKey`] (public, and after the same work), anything else as
//! [`HandshakeError::Failed`]. Only if all of them hold is the message decrypted, parsed and
//! handed to the caller's `reply_extensions` callback. (Arti decrypts the message and runs its
//! callback before it checks the MAC; C tor decrypts before deciding too.) A forged, altered
//! or misaddressed message is therefore never decrypted, and the callback never sees it.
//!
//! # Cost
//! The relay's SHA3-256 and SHAKE-256 work (fourteen Keccak permutations with Tor's `VER`)
//! runs as three chains side by side: the phase-1 KDF then `msg_mac`, `KEY_SEED` then the
//! final KDF, `verify` then the first block of `AUTH`. With AVX2 that is four four-lane
//! permutations, plus `AUTH`'s last two blocks once the relay's message exists; the X25519
//! work is the crate's paired relay path, as for ntor. `KEY_SEED` and `verify` are therefore
//! computed before the MAC decision, so the work does not depend on the verdict; they are
//! wiped either way.
//!
//! # Example
//! ```
//! use onionskin::codec::extension::{CircuitExtension, CongestionControlResponse};
//! use onionskin::handshake::ntor_v3::{self, ClientState, RelayKeys, RelaySecretKey};
//! use onionskin::KeyMaterial;
//!
//! let mut rng = rand_core::OsRng;
//! let relay = RelayKeys::new([7; 32], RelaySecretKey::generate(&mut rng));
//!
//! // Client: ask for congestion control (`&[]` would send the empty list `00`).
//! let (state, onion_skin) = ClientState::start(
//!     &mut rng,
//!     &relay.public_key(),
//!     &[CircuitExtension::CongestionControlRequest],
//! )?;
//!
//! // Relay: sees the client's extensions only once they are authenticated, answers them.
//! let (relay_keys, reply) = ntor_v3::relay_respond(&mut rng, &relay, onion_skin.as_ref(), |cm, sm| {
//!     if cm.congestion_control_request() {
//!         let accept = CongestionControlResponse { sendme_inc: 31 };
//!         sm.push(&CircuitExtension::CongestionControlResponse(accept))?;
//!     }
//!     Ok(())
//! })?;
//!
//! // Client: checks AUTH, reads the relay's extensions.
//! let (client_keys, server_message) = state.finish(reply.as_ref())?;
//! let accepted = server_message.extensions().congestion_control_response()?;
//! assert_eq!(accepted.map(|r| r.sendme_inc), Some(31));
//! assert_eq!(client_keys.circuit_keys(), relay_keys.circuit_keys());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use crate::ct::{Wiped, bytes_eq, conditional_copy, declassify, is_zero};
use crate::handshake::{CircuitHandshake, HandshakeType, KeyMaterial, NtorOnionKey};
use crate::keccak::{Chain, Domain, Job, run_chains};
use crate::keys::CIRCUIT_KEY_MATERIAL_LEN;
use crate::{CircuitKeys, HandshakeError};
use core::fmt;
use rand_core::{CryptoRng, RngCore};
use subtle::Choice;
use zeroize::{Zeroize, ZeroizeOnDrop};

mod batch;
mod primitives;
pub use batch::relay_respond_batch;

#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub mod hazmat;
#[cfg(not(feature = "hazmat"))]
mod hazmat;

use hazmat::Intermediates;
use primitives::Secret32;

/// Length of the relay's Ed25519 identity (`ID`, `NODEID`): `ed25519_master_id_public_key`.
pub const ID_LEN: usize = 32;
/// Length of an X25519 public key (`B`, `KEYID`, `X`, `Y`).
pub const PUB_KEY_LEN: usize = 32;
/// Length of `msg_mac` and `AUTH` (SHA3-256).
pub const MAC_LEN: usize = 32;
/// Bytes of an onion skin besides the client's message: `ID | B | X | MAC`.
pub const ONION_SKIN_OVERHEAD: usize = ID_LEN + 2 * PUB_KEY_LEN + MAC_LEN;
/// Bytes of a reply besides the relay's message: `Y | AUTH`.
pub const REPLY_OVERHEAD: usize = PUB_KEY_LEN + MAC_LEN;
/// The longest onion skin: what fits a CREATE2 body's HDATA (509 − HTYPE − HLEN). Inside an
/// EXTEND2 the room is smaller and depends on the link specifiers (proposal 332 A.3).
pub const MAX_ONION_SKIN_LEN: usize = 505;
/// The longest client message an onion skin can carry.
pub const MAX_CLIENT_MESSAGE_LEN: usize = MAX_ONION_SKIN_LEN - ONION_SKIN_OVERHEAD;
/// The longest reply: C tor refuses a CREATED2 whose HLEN would not fit an EXTENDED2
/// (RELAY_PAYLOAD_SIZE − 2 = 496).
pub const MAX_REPLY_LEN: usize = 496;
/// The longest relay message a reply can carry.
pub const MAX_SERVER_MESSAGE_LEN: usize = MAX_REPLY_LEN - REPLY_OVERHEAD;
/// The longest verification string this crate stores inline (`VER` has no length limit in
/// the spec; Tor uses 14 bytes).
pub const MAX_VERIFICATION_LEN: usize = 255;

/// The verification string `VER` both sides bind into the handshake (proposal 332).
///
/// Stored inline (up to [`MAX_VERIFICATION_LEN`] bytes) so that keys and client states own it
/// and stay `'static`. Defaults to [`Verification::CIRCUIT_EXTEND`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Verification {
    len: u8,
    bytes: [u8; MAX_VERIFICATION_LEN],
}

impl Verification {
    /// `"circuit extend"`: what Tor uses when extending circuits (`NTOR3_CIRC_VERIFICATION`).
    pub const CIRCUIT_EXTEND: Self = Self::from_short(b"circuit extend");

    /// Builds a constant; `v` is a literal far shorter than the capacity.
    #[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)] // const loop over a short literal
    const fn from_short(v: &[u8]) -> Self {
        let mut bytes = [0u8; MAX_VERIFICATION_LEN];
        let mut i = 0;
        while i < v.len() {
            bytes[i] = v[i];
            i += 1;
        }
        Self {
            len: v.len() as u8,
            bytes,
        }
    }

    /// A verification string of the caller's choosing.
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] if `v` is longer than [`MAX_VERIFICATION_LEN`].
    pub fn new(v: &[u8]) -> Result<Self, HandshakeError> {
        let len = u8::try_from(v.len()).map_err(|_| HandshakeError::Malformed)?;
        let mut bytes = [0u8; MAX_VERIFICATION_LEN];
        bytes
            .get_mut(..v.len())
            .ok_or(HandshakeError::Malformed)?
            .copy_from_slice(v);
        Ok(Self { len, bytes })
    }

    /// The string's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl Default for Verification {
    fn default() -> Self {
        Self::CIRCUIT_EXTEND
    }
}

impl fmt::Debug for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verification(b\"{}\")", self.as_bytes().escape_ascii())
    }
}

/// What a client must know about the relay: its Ed25519 identity `ID`, its ntor onion key
/// `B`, and the verification string both sides use.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RelayPublicKey {
    /// The relay's Ed25519 identity key (`ID`; `NODEID` in the onion skin).
    pub identity: [u8; ID_LEN],
    /// The relay's X25519 ntor onion key (`B`; `KEYID` in the onion skin).
    pub onion_key: [u8; PUB_KEY_LEN],
    /// `VER`; Tor's circuits use [`Verification::CIRCUIT_EXTEND`].
    pub verification: Verification,
}

impl RelayPublicKey {
    /// The relay `identity` with onion key `onion_key`, for circuit extension
    /// (`VER = "circuit extend"`).
    #[must_use]
    pub fn new(identity: [u8; ID_LEN], onion_key: [u8; PUB_KEY_LEN]) -> Self {
        Self {
            identity,
            onion_key,
            verification: Verification::CIRCUIT_EXTEND,
        }
    }

    /// The same relay with another verification string.
    #[must_use]
    pub fn with_verification(mut self, verification: Verification) -> Self {
        self.verification = verification;
        self
    }
}

/// The relay's ntor onion key: the [`NtorOnionKey`] ntor uses too.
pub type RelaySecretKey = NtorOnionKey;

/// Everything the relay needs to answer: its identity, its current onion key, optionally
/// the previous one (still accepted after a rotation), and `VER`.
#[derive(Clone)]
pub struct RelayKeys {
    identity: [u8; ID_LEN],
    current: RelaySecretKey,
    previous: Option<RelaySecretKey>,
    verification: Verification,
}

impl RelayKeys {
    /// Keys for the relay with Ed25519 identity `identity`, for circuit extension.
    #[must_use]
    pub fn new(identity: [u8; ID_LEN], current: RelaySecretKey) -> Self {
        Self {
            identity,
            current,
            previous: None,
            verification: Verification::CIRCUIT_EXTEND,
        }
    }

    /// Also accept onion skins made for `previous`, the onion key before the last rotation.
    #[must_use]
    pub fn with_previous(mut self, previous: RelaySecretKey) -> Self {
        self.previous = Some(previous);
        self
    }

    /// Use another verification string.
    #[must_use]
    pub fn with_verification(mut self, verification: Verification) -> Self {
        self.verification = verification;
        self
    }

    /// The relay's Ed25519 identity.
    #[must_use]
    pub fn identity(&self) -> &[u8; ID_LEN] {
        &self.identity
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

    /// The verification string `VER`.
    #[must_use]
    pub fn verification(&self) -> &Verification {
        &self.verification
    }

    /// What clients need to reach this relay with its current onion key.
    #[must_use]
    pub fn public_key(&self) -> RelayPublicKey {
        RelayPublicKey {
            identity: self.identity,
            onion_key: *self.current.public_key(),
            verification: self.verification.clone(),
        }
    }

    fn onion_keys(&self) -> impl Iterator<Item = &RelaySecretKey> {
        core::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

impl fmt::Debug for RelayKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayKeys")
            .field("identity", &self.identity)
            .field("current", &self.current)
            .field("previous", &self.previous)
            .field("verification", &self.verification)
            .finish()
    }
}

/// Declares an inline, fixed-capacity byte buffer for a handshake message.
macro_rules! inline_message {
    ($(#[$doc:meta])* $name:ident, $cap:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name {
            bytes: [u8; $cap],
            len: usize,
        }

        impl $name {
            /// The message's bytes.
            #[must_use]
            pub fn as_bytes(&self) -> &[u8] {
                self.bytes.get(..self.len).unwrap_or_default()
            }

            /// Its length in bytes.
            #[must_use]
            pub fn len(&self) -> usize {
                self.len
            }

            /// Whether it is empty (never, for a well-formed message).
            #[must_use]
            pub fn is_empty(&self) -> bool {
                self.len == 0
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                self.as_bytes()
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.as_bytes() == other.as_bytes()
            }
        }

        impl Eq for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_bytes()).finish()
            }
        }
    };
}

inline_message!(
    /// A client onion skin (`ID | B | X | encrypted CM | msg_mac`), held inline. Public data.
    OnionSkin,
    MAX_ONION_SKIN_LEN
);
inline_message!(
    /// A relay reply (`Y | AUTH | encrypted SM`), held inline. Public data.
    Reply,
    MAX_REPLY_LEN
);
inline_message!(
    /// The relay's message (SM), decrypted and authenticated: an extension list, held inline.
    /// What [`ClientState::finish`] (and the generic
    /// [`CircuitHandshake::client_finish`]) return beside the keys; empty for the handshakes
    /// that carry no messages.
    ///
    /// ```
    /// use onionskin::handshake::ServerMessage;
    ///
    /// // What ntor, TAP and CREATE_FAST return: no message, read as the empty list.
    /// let none = ServerMessage::empty();
    /// assert!(none.is_empty() && none.extensions().is_empty());
    /// ```
    ServerMessage,
    MAX_SERVER_MESSAGE_LEN
);

impl ServerMessage {
    /// No message: what handshakes other than ntor-v3 return.
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            bytes: [0; MAX_SERVER_MESSAGE_LEN],
            len: 0,
        }
    }

    /// The relay's extensions. C tor parses the message as a list and ignores bytes after
    /// it; so does this. An empty message (no message at all) is the empty list.
    #[must_use]
    pub fn extensions(&self) -> ExtensionList<'_> {
        ExtensionList::decode_prefix(self.as_bytes())
            .map(|(list, _)| list)
            .unwrap_or(ExtensionList::EMPTY)
    }
}

/// The client's handshake in flight. Not `Clone`, consumed by [`finish`](Self::finish),
/// wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ClientState {
    x: [u8; 32],
    client_pk: [u8; PUB_KEY_LEN],
    relay_id: [u8; ID_LEN],
    onion_key: [u8; PUB_KEY_LEN],
    bx: [u8; 32],
    msg_mac: [u8; MAC_LEN],
    #[zeroize(skip)]
    verification: Verification,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientState {
    /// Starts a handshake with `relay`, asking for `extensions` (the client message, CM, is
    /// their extension list; `&[]` is the empty list `00`), and returns the state and the
    /// onion skin for a CREATE2 (HTYPE 3) or EXTEND2.
    ///
    /// # Errors
    /// [`HandshakeError::BufferTooSmall`] if the extensions do not fit an onion skin
    /// ([`MAX_CLIENT_MESSAGE_LEN`]); [`HandshakeError::Malformed`] for a field body over 255
    /// bytes; [`HandshakeError::Failed`] if the relay's onion key is a low-order point
    /// (`EXP(B,x)` all zero, which C tor refuses too).
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayPublicKey,
        extensions: &[CircuitExtension<'_>],
    ) -> Result<(Self, OnionSkin), HandshakeError> {
        let mut skin = OnionSkin {
            bytes: [0; MAX_ONION_SKIN_LEN],
            len: 0,
        };
        let (state, len) = Self::start_into(rng, relay, extensions, &mut skin.bytes)?;
        skin.len = len;
        Ok((state, skin))
    }

    /// Like [`start`](Self::start), but writes the onion skin into `onion_skin_out` and
    /// returns its length.
    ///
    /// # Errors
    /// As [`start`](Self::start), and [`HandshakeError::BufferTooSmall`] if the skin does not
    /// fit `onion_skin_out`.
    pub fn start_into<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayPublicKey,
        extensions: &[CircuitExtension<'_>],
        onion_skin_out: &mut [u8],
    ) -> Result<(Self, usize), HandshakeError> {
        let mut cm = [0u8; MAX_CLIENT_MESSAGE_LEN];
        let cm_len = CircuitExtension::encode_list(extensions, &mut cm)?;
        let mut x = Wiped::new([0u8; 32]);
        rng.fill_bytes(&mut *x);
        start_core(
            &x,
            relay,
            cm.get(..cm_len).unwrap_or_default(),
            onion_skin_out,
            &mut Intermediates::default(),
        )
    }

    /// Checks the relay's `reply` (what the codec hands out,
    /// [`Created2::hdata`](crate::codec::Created2::hdata)) and returns the key seed and the
    /// relay's extension list.
    ///
    /// The message is decrypted only after `AUTH` has been verified.
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] for a reply shorter than [`REPLY_OVERHEAD`] or longer
    /// than [`MAX_REPLY_LEN`], or (after `AUTH` verified) a relay message that is not an
    /// extension list; [`HandshakeError::Failed`] if `AUTH` does not verify or `EXP(Y,x)` is
    /// all zero (not distinguished).
    pub fn finish(self, reply: &[u8]) -> Result<(KeySeed, ServerMessage), HandshakeError> {
        if reply.len() > MAX_REPLY_LEN {
            return Err(HandshakeError::Malformed);
        }
        let mut message = ServerMessage::empty();
        let (seed, len) = finish_core(
            &self,
            reply,
            &mut message.bytes,
            &mut Intermediates::default(),
        )?;
        message.len = len;
        // The relay's list is authentic now; an empty message counts as the empty list.
        if len > 0 {
            ExtensionList::decode_prefix(message.as_bytes())
                .map_err(|_| HandshakeError::Malformed)?;
        }
        Ok((seed, message))
    }
}

/// The deterministic client start: `x` is the ephemeral secret.
fn start_core(
    x: &[u8; 32],
    relay: &RelayPublicKey,
    client_message: &[u8],
    onion_skin_out: &mut [u8],
    trace: &mut Intermediates,
) -> Result<(ClientState, usize), HandshakeError> {
    if client_message.len() > MAX_CLIENT_MESSAGE_LEN {
        return Err(HandshakeError::Malformed);
    }
    let len = ONION_SKIN_OVERHEAD + client_message.len();
    let out = onion_skin_out
        .get_mut(..len)
        .ok_or(HandshakeError::BufferTooSmall)?;

    let client_pk = primitives::public_key(x);
    let bx = primitives::dh(x, &relay.onion_key);
    // B is public, so refusing a low-order onion key at once leaks nothing (C tor does too).
    if declassify(is_zero(&*bx)) {
        return Err(HandshakeError::Failed);
    }
    let ver = relay.verification.as_bytes();
    let mut job = Job::new(Domain::Shake);
    primitives::phase1(
        &mut job,
        &bx,
        &relay.identity,
        &client_pk,
        &relay.onion_key,
        ver,
    );
    let (enc_k1, mac_k1) = primitives::phase1_keys(job.run());

    let (id_out, rest) = out
        .split_first_chunk_mut::<ID_LEN>()
        .ok_or(HandshakeError::BufferTooSmall)?;
    let (b_out, rest) = rest
        .split_first_chunk_mut::<PUB_KEY_LEN>()
        .ok_or(HandshakeError::BufferTooSmall)?;
    let (x_out, rest) = rest
        .split_first_chunk_mut::<PUB_KEY_LEN>()
        .ok_or(HandshakeError::BufferTooSmall)?;
    let (msg_out, mac_out) = rest
        .split_last_chunk_mut::<MAC_LEN>()
        .ok_or(HandshakeError::BufferTooSmall)?;
    *id_out = relay.identity;
    *b_out = relay.onion_key;
    *x_out = client_pk;
    // `msg_out` is exactly `client_message.len()` long by the slicing above.
    msg_out.copy_from_slice(client_message);
    primitives::aes256_ctr(&enc_k1, msg_out);
    primitives::msg_mac(
        &mut job,
        &mac_k1,
        &relay.identity,
        &relay.onion_key,
        &client_pk,
        msg_out,
    );
    // The MAC is sent in the clear.
    let msg_mac = job.run().digest();
    *mac_out = msg_mac;

    trace.enc_k1 = *enc_k1;
    trace.mac_k1 = *mac_k1;
    trace.msg_mac = msg_mac;
    let state = ClientState {
        x: *x,
        client_pk,
        relay_id: relay.identity,
        onion_key: relay.onion_key,
        bx: *bx,
        msg_mac,
        verification: relay.verification.clone(),
    };
    Ok((state, len))
}

/// The client's second half, recording intermediates into `trace` on success.
fn finish_core(
    state: &ClientState,
    reply: &[u8],
    server_message_out: &mut [u8],
    trace: &mut Intermediates,
) -> Result<(KeySeed, usize), HandshakeError> {
    let (relay_pk, rest) = reply
        .split_first_chunk::<PUB_KEY_LEN>()
        .ok_or(HandshakeError::Malformed)?;
    let (auth, encrypted_sm) = rest
        .split_first_chunk::<MAC_LEN>()
        .ok_or(HandshakeError::Malformed)?;
    let sm_out = server_message_out
        .get_mut(..encrypted_sm.len())
        .ok_or(HandshakeError::BufferTooSmall)?;

    let yx = primitives::dh(&state.x, relay_pk);
    let mut ok = !is_zero(&*yx);
    // Two chains of hashes, their permutations run side by side: KEY_SEED then the final
    // KDF, and verify then AUTH.
    let then_auth = |v: &Job, auth: &mut Job| {
        primitives::auth_prefix(
            auth,
            &primitives::digest(v),
            &state.relay_id,
            &state.onion_key,
            relay_pk,
            &state.client_pk,
            &state.msg_mac,
        );
        primitives::auth_suffix(auth, encrypted_sm);
    };
    let mut chains = [
        Chain::new(&primitives::final_kdf_after),
        Chain::new(&then_auth),
    ];
    let [seed_chain, verify_chain] = &mut chains;
    primitives::key_seed_and_verify(
        seed_chain.first_mut(),
        verify_chain.first_mut(),
        &yx,
        &state.bx,
        &state.relay_id,
        &state.onion_key,
        &state.client_pk,
        relay_pk,
        state.verification.as_bytes(),
    );
    run_chains(&mut chains);
    let [seed_chain, verify_chain] = &mut chains;
    // AUTH is public (it is in the reply); the expected value is compared, not branched on.
    let expected = verify_chain.second_mut().digest();
    ok &= bytes_eq(&expected, auth);
    // The one decision (proposal 332: the client MUST check AUTH before using SM or keys).
    if !declassify(ok) {
        return Err(HandshakeError::Failed);
    }
    let key_seed = primitives::digest(seed_chain.first());
    let verify = primitives::digest(verify_chain.first());

    let (enc_key, stream) = primitives::final_keys(seed_chain.second_mut());
    sm_out.copy_from_slice(encrypted_sm);
    primitives::aes256_ctr(&enc_key, sm_out);

    trace.msg_mac = state.msg_mac;
    trace.key_seed = *key_seed;
    trace.verify = *verify;
    trace.enc_key = *enc_key;
    trace.auth = expected;
    Ok((KeySeed { stream }, encrypted_sm.len()))
}

/// Relay side: answers `onion_skin` (what the codec hands out,
/// [`Create2::hdata`](crate::codec::Create2::hdata)) with a [`Reply`].
///
/// `reply_extensions` is called with the client's extension list only after it has been
/// authenticated and parsed (see the [module docs](self#order-of-checks-on-the-relay)). It
/// writes the relay's extensions into the [`ExtensionWriter`] (none: the empty list `00`),
/// or returns an error to refuse the handshake with that error.
///
/// # Errors
/// * [`HandshakeError::Malformed`] for a skin shorter than [`ONION_SKIN_OVERHEAD`] or longer
///   than [`MAX_ONION_SKIN_LEN`] (public, checked first), or, once authenticated, a client
///   message that is not an extension list (C tor refuses those too).
/// * [`HandshakeError::WrongRelay`], early, if NODEID is not the relay's identity.
/// * [`HandshakeError::UnknownOnionKey`], after the full computation, if KEYID is none of the
///   relay's onion keys.
/// * [`HandshakeError::Failed`] for a bad MAC or a low-order `X` (one combined constant-time
///   decision; which one is not revealed).
/// * Whatever `reply_extensions` returns.
pub fn relay_respond<R, F>(
    rng: &mut R,
    keys: &RelayKeys,
    onion_skin: &[u8],
    reply_extensions: F,
) -> Result<(KeySeed, Reply), HandshakeError>
where
    R: RngCore + CryptoRng,
    F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
{
    let mut reply = Reply {
        bytes: [0; MAX_REPLY_LEN],
        len: 0,
    };
    let (seed, len) =
        relay_respond_into(rng, keys, onion_skin, reply_extensions, &mut reply.bytes)?;
    reply.len = len;
    Ok((seed, reply))
}

/// Like [`relay_respond`], but writes the reply into `reply_out` and returns its length.
/// The relay's message may use `reply_out` up to [`MAX_REPLY_LEN`] bytes in all.
///
/// # Errors
/// As [`relay_respond`], and [`HandshakeError::BufferTooSmall`] if `reply_out` is shorter
/// than [`REPLY_OVERHEAD`] + 1 (the empty list).
pub fn relay_respond_into<R, F>(
    rng: &mut R,
    keys: &RelayKeys,
    onion_skin: &[u8],
    reply_extensions: F,
    reply_out: &mut [u8],
) -> Result<(KeySeed, usize), HandshakeError>
where
    R: RngCore + CryptoRng,
    F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
{
    respond_core(
        |b, client_pk| {
            let mut y = Wiped::new([0u8; 32]);
            rng.fill_bytes(&mut *y);
            primitives::relay_dh(&y, b, client_pk)
        },
        keys,
        onion_skin,
        typed_callback(reply_extensions),
        reply_out,
        &mut Intermediates::default(),
    )
}

/// Wraps a typed relay callback for the core, which deals in bytes: the client's message
/// must parse as an extension list (C tor ignores bytes after it), and the relay's is
/// written as one.
fn typed_callback<F>(f: F) -> impl FnOnce(&[u8], &mut [u8]) -> Result<usize, HandshakeError>
where
    F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
{
    move |cm, sm| {
        let (list, _) = ExtensionList::decode_prefix(cm).map_err(|_| HandshakeError::Malformed)?;
        let mut writer = ExtensionWriter::new(sm)?;
        f(&list, &mut writer)?;
        Ok(writer.len())
    }
}

/// The public checks that come first in [`respond_core`], in its order and with its errors
/// (no RNG use before them): lengths, then NODEID. Returns the skin's KEYID and `X`.
fn skin_keys<'s>(
    keys: &RelayKeys,
    onion_skin: &'s [u8],
) -> Result<(&'s [u8; PUB_KEY_LEN], &'s [u8; PUB_KEY_LEN]), HandshakeError> {
    let skin = SkinParts::split(onion_skin)?;
    if !declassify(bytes_eq(skin.node_id, &keys.identity)) {
        return Err(HandshakeError::WrongRelay);
    }
    Ok((skin.key_id, skin.client_pk))
}

/// The fields of a client's onion skin (proposal 332): `NODEID | KEYID | X | MSG | MAC`.
struct SkinParts<'s> {
    node_id: &'s [u8; ID_LEN],
    key_id: &'s [u8; PUB_KEY_LEN],
    client_pk: &'s [u8; PUB_KEY_LEN],
    encrypted_cm: &'s [u8],
    msg_mac: &'s [u8; MAC_LEN],
}

impl<'s> SkinParts<'s> {
    /// Splits `onion_skin`; its length is public, so a wrong one fails at once (`Malformed`).
    fn split(onion_skin: &'s [u8]) -> Result<Self, HandshakeError> {
        if onion_skin.len() > MAX_ONION_SKIN_LEN {
            return Err(HandshakeError::Malformed);
        }
        let (node_id, rest) = onion_skin
            .split_first_chunk::<ID_LEN>()
            .ok_or(HandshakeError::Malformed)?;
        let (key_id, rest) = rest
            .split_first_chunk::<PUB_KEY_LEN>()
            .ok_or(HandshakeError::Malformed)?;
        let (client_pk, rest) = rest
            .split_first_chunk::<PUB_KEY_LEN>()
            .ok_or(HandshakeError::Malformed)?;
        let (encrypted_cm, msg_mac) = rest
            .split_last_chunk::<MAC_LEN>()
            .ok_or(HandshakeError::Malformed)?;
        Ok(SkinParts {
            node_id,
            key_id,
            client_pk,
            encrypted_cm,
            msg_mac,
        })
    }
}

/// The onion key for KEYID by a scan over every key, selecting by masks: `(b, B, found)`.
/// For an unknown KEYID the current key stands in (C tor uses a junk key), so the work is the
/// same and the MAC check fails.
fn select_onion_key(keys: &RelayKeys, key_id: &[u8; PUB_KEY_LEN]) -> (Secret32, [u8; 32], Choice) {
    let mut b = Wiped::new(*keys.current.secret_bytes());
    let mut onion_key = *keys.current.public_key();
    let mut found = Choice::from(0);
    for k in keys.onion_keys() {
        let hit = bytes_eq(k.public_key(), key_id);
        conditional_copy(&mut *b, k.secret_bytes(), hit);
        conditional_copy(&mut onion_key, k.public_key(), hit);
        found |= hit;
    }
    (b, onion_key, found)
}

/// The relay's handshake. `relay_dh` computes `(Y, EXP(X,y), EXP(X,b))` from `b` and `X`
/// (drawing `y`, or handing out the results of a batch); it is called for every skin that
/// passes the public checks, so that failures cost what successes do. The three parts
/// ([`Responder::new`], the hashes, [`Responder::answer`] and [`Responder::finish`]) are
/// what `batch::respond_chunk` runs for several skins, their hashes in shared lanes.
fn respond_core<F>(
    relay_dh: impl FnOnce(&[u8; 32], &[u8; 32]) -> ([u8; 32], Secret32, Secret32),
    keys: &RelayKeys,
    onion_skin: &[u8],
    reply_message: F,
    reply_out: &mut [u8],
    trace: &mut Intermediates,
) -> Result<(KeySeed, usize), HandshakeError>
where
    F: FnOnce(&[u8], &mut [u8]) -> Result<usize, HandshakeError>,
{
    let r = Responder::new(relay_dh, keys, onion_skin, reply_out.len())?;
    let (then_mac, then_auth) = (mac_link(Some(&r)), auth_link(Some(&r)));
    let mut chains = [Chain::UNLINKED; 3];
    r.fill(&mut chains, &then_mac, &then_auth);
    run_chains(&mut chains);
    let answer = r.answer(&mut chains, reply_message, reply_out, trace)?;
    // The rest of AUTH, now that the relay's message is known.
    let [_, _, verify_chain] = &mut chains;
    verify_chain.second_mut().run();
    r.finish(&chains, answer, reply_out, trace)
}

/// One skin on the relay, past the public checks and its X25519 work: what its hashes are
/// filled from and its verdict decided on.
pub(super) struct Responder<'s> {
    keys: &'s RelayKeys,
    node_id: &'s [u8; ID_LEN],
    client_pk: &'s [u8; PUB_KEY_LEN],
    encrypted_cm: &'s [u8],
    msg_mac: &'s [u8; MAC_LEN],
    /// `B`, the onion key KEYID names (or the current one, if none).
    onion_key: [u8; PUB_KEY_LEN],
    /// Whether KEYID named one of the relay's keys (secret until the decision).
    found: Choice,
    /// Every check so far (secret until the decision).
    ok: Choice,
    /// `Y`.
    relay_pk: [u8; PUB_KEY_LEN],
    xy: Secret32,
    xb: Secret32,
}

/// What [`Responder::answer`] leaves for [`Responder::finish`] once the relay's message is
/// encrypted in the reply and `AUTH`'s input is complete.
pub(super) struct Answer {
    sm_len: usize,
    stream: primitives::KdfStream,
    /// `EXP(X,y)` is not all zeros (secret until [`Responder::finish`] decides on it).
    xy_ok: Choice,
}

impl<'s> Responder<'s> {
    /// The public checks (lengths, then NODEID, as C tor), then KEYID and the X25519 work.
    /// `reply_cap` is the length of the caller's reply buffer.
    pub(super) fn new(
        relay_dh: impl FnOnce(&[u8; 32], &[u8; 32]) -> ([u8; 32], Secret32, Secret32),
        keys: &'s RelayKeys,
        onion_skin: &'s [u8],
        reply_cap: usize,
    ) -> Result<Self, HandshakeError> {
        // Lengths are public: failing early on them reveals nothing.
        let SkinParts {
            node_id,
            key_id,
            client_pk,
            encrypted_cm,
            msg_mac,
        } = SkinParts::split(onion_skin)?;
        if reply_cap < REPLY_OVERHEAD {
            return Err(HandshakeError::BufferTooSmall);
        }

        // NODEID is public (it names the relay the client meant): refusing it early leaks
        // nothing, and C tor refuses it before any private-key work too.
        if !declassify(bytes_eq(node_id, &keys.identity)) {
            return Err(HandshakeError::WrongRelay);
        }
        let mut ok = Choice::from(1);

        // KEYID: scan every onion key, selecting the secret by masks.
        let (b, onion_key, found) = select_onion_key(keys, key_id);
        ok &= found;

        // All three X25519 operations up front, on the fast paired path: y is drawn whether or
        // not the handshake will succeed, so failures cost the same as successes until the
        // decision.
        let (relay_pk, xy, xb) = relay_dh(&b, client_pk);
        ok &= !is_zero(&*xb);
        Ok(Self {
            keys,
            node_id,
            client_pk,
            encrypted_cm,
            msg_mac,
            onion_key,
            found,
            ok,
            relay_pk,
            xy,
            xb,
        })
    }

    /// Links the skin's three chains of hashes (their second jobs filled by `then_mac` and
    /// `then_auth`, [`mac_link`] and [`auth_link`] of this responder) and fills their first
    /// jobs: fourteen Keccak permutations in three chains, run
    /// side by side: the phase-1 KDF then msg_mac; KEY_SEED then the final KDF; verify then
    /// the first block of AUTH (all of it that does not depend on the relay's message).
    /// KEY_SEED and verify are computed before the MAC is known good: they are secret and
    /// wiped either way, and the work does not depend on the verdict.
    pub(super) fn fill<'a>(
        &self,
        chains: &mut [Chain<'a>; 3],
        then_mac: &'a dyn Fn(&Job, &mut Job),
        then_auth: &'a dyn Fn(&Job, &mut Job),
    ) {
        let ver = self.keys.verification.as_bytes();
        let [mac_chain, seed_chain, verify_chain] = chains;
        mac_chain.link(then_mac);
        seed_chain.link(&primitives::final_kdf_after);
        verify_chain.link(then_auth);
        primitives::phase1(
            mac_chain.first_mut(),
            &self.xb,
            self.node_id,
            self.client_pk,
            &self.onion_key,
            ver,
        );
        primitives::key_seed_and_verify(
            seed_chain.first_mut(),
            verify_chain.first_mut(),
            &self.xy,
            &self.xb,
            &self.keys.identity,
            &self.onion_key,
            self.client_pk,
            &self.relay_pk,
            ver,
        );
    }

    /// Once the chains have run: the one decision on the MAC, KEYID and `X`; then the client's
    /// message decrypted and answered by `reply_message` into `reply_out` (after
    /// [`REPLY_OVERHEAD`] bytes), encrypted, and appended to `AUTH`'s input, whose remaining
    /// blocks the caller runs before [`Responder::finish`].
    pub(super) fn answer<F>(
        &self,
        chains: &mut [Chain<'_>; 3],
        reply_message: F,
        reply_out: &mut [u8],
        trace: &mut Intermediates,
    ) -> Result<Answer, HandshakeError>
    where
        F: FnOnce(&[u8], &mut [u8]) -> Result<usize, HandshakeError>,
    {
        let [mac_chain, seed_chain, verify_chain] = chains;
        let (enc_k1, mac_k1) = primitives::phase1_keys(mac_chain.first());
        // The expected MAC is compared in constant time; it is public once the check passes.
        let expected_mac = mac_chain.second_mut().digest();
        let ok = self.ok & bytes_eq(&expected_mac, self.msg_mac);

        // The one decision. Nothing has looked at the plaintext yet: it has not even been
        // decrypted. Which of the two errors is public: KEYID and the relay's keys are.
        if !declassify(ok) {
            return Err(if declassify(!self.found) {
                HandshakeError::UnknownOnionKey
            } else {
                HandshakeError::Failed
            });
        }

        let (_, sm_space) = reply_out
            .split_first_chunk_mut::<REPLY_OVERHEAD>()
            .ok_or(HandshakeError::BufferTooSmall)?;
        let sm_cap = sm_space.len().min(MAX_SERVER_MESSAGE_LEN);
        let (sm_space, _) = sm_space.split_at_mut(sm_cap);

        // The client's message is authentic: decrypt it and let the caller answer it.
        let mut cm_buf = Wiped::new([0u8; MAX_CLIENT_MESSAGE_LEN]);
        let cm = cm_buf
            .get_mut(..self.encrypted_cm.len())
            .ok_or(HandshakeError::Malformed)?;
        cm.copy_from_slice(self.encrypted_cm);
        primitives::aes256_ctr(&enc_k1, cm);
        let sm_len = match reply_message(cm, sm_space) {
            Ok(n) if n <= sm_space.len() => n,
            refused => {
                sm_space.zeroize();
                return Err(match refused {
                    Ok(_) => HandshakeError::BufferTooSmall,
                    Err(e) => e,
                });
            }
        };
        drop(cm_buf);
        let (sm, _) = sm_space.split_at_mut(sm_len);

        // Cannot fire once EXP(X,b) passed (clamped scalars kill the same torsion), but C tor
        // checks it and so do we, before anything is released.
        let xy_ok = !is_zero(&*self.xy);
        let key_seed = primitives::digest(seed_chain.first());
        let verify = primitives::digest(verify_chain.first());
        let (enc_key, stream) = primitives::final_keys(seed_chain.second_mut());
        primitives::aes256_ctr(&enc_key, sm);
        primitives::auth_suffix(verify_chain.second_mut(), sm);

        trace.enc_k1 = *enc_k1;
        trace.mac_k1 = *mac_k1;
        trace.msg_mac = expected_mac;
        trace.key_seed = *key_seed;
        trace.verify = *verify;
        trace.enc_key = *enc_key;
        Ok(Answer {
            sm_len,
            stream,
            xy_ok,
        })
    }

    /// Once `AUTH` has run: the check on `EXP(X,y)`, then `Y` and `AUTH` into the reply.
    pub(super) fn finish(
        &self,
        chains: &[Chain<'_>; 3],
        answer: Answer,
        reply_out: &mut [u8],
        trace: &mut Intermediates,
    ) -> Result<(KeySeed, usize), HandshakeError> {
        let [_, _, verify_chain] = chains;
        // AUTH is sent in the clear.
        let auth = verify_chain.second().digest();
        let (reply_head, sm_space) = reply_out
            .split_first_chunk_mut::<REPLY_OVERHEAD>()
            .ok_or(HandshakeError::BufferTooSmall)?;
        if !declassify(answer.xy_ok) {
            if let Some(sm) = sm_space.get_mut(..answer.sm_len) {
                sm.zeroize();
            }
            return Err(HandshakeError::Failed);
        }
        let (y_out, auth_out) = reply_head.split_at_mut(PUB_KEY_LEN);
        y_out.copy_from_slice(&self.relay_pk);
        auth_out.copy_from_slice(&auth);
        trace.auth = auth;
        Ok((
            KeySeed {
                stream: answer.stream,
            },
            REPLY_OVERHEAD + answer.sm_len,
        ))
    }
}

/// The link from the phase-1 KDF to `msg_mac` (keyed by `MAC_K1`) for `r`'s skin; does
/// nothing without one (an unused chain of a batch).
pub(super) fn mac_link<'r>(r: Option<&'r Responder<'_>>) -> impl Fn(&Job, &mut Job) + 'r {
    move |phase1: &Job, mac: &mut Job| {
        if let Some(r) = r {
            let (_, mac_k1) = primitives::phase1_keys(phase1);
            primitives::msg_mac(
                mac,
                &mac_k1,
                r.node_id,
                &r.onion_key,
                r.client_pk,
                r.encrypted_cm,
            );
        }
    }
}

/// The link from `verify` to the start of `AUTH` for `r`'s skin; does nothing without one.
pub(super) fn auth_link<'r>(r: Option<&'r Responder<'_>>) -> impl Fn(&Job, &mut Job) + 'r {
    move |v: &Job, auth: &mut Job| {
        if let Some(r) = r {
            primitives::auth_prefix(
                auth,
                &primitives::digest(v),
                &r.keys.identity,
                &r.onion_key,
                &r.relay_pk,
                r.client_pk,
                r.msg_mac,
            );
        }
    }
}

/// The shared secret an ntor-v3 handshake ends with (`KEY_SEED`). Expands into the key
/// stream `KDF(KEY_SEED, t_final)` after its first 32 bytes (`ENC_KEY`, which encrypted SM).
///
/// Consumed by use, wiped on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeySeed {
    /// `KDF(KEY_SEED, t_final)` already past `ENC_KEY`: the handshake computed it for
    /// `ENC_KEY`, and its first output block also holds the circuit keys.
    stream: primitives::KdfStream,
}

impl KeySeed {
    /// The key stream, positioned after `ENC_KEY`: read as much as needed.
    #[must_use]
    pub fn into_keystream(mut self) -> KeyStream {
        // `self` is wiped on drop, so the stream is taken out, leaving an empty one behind.
        KeyStream {
            stream: core::mem::take(&mut self.stream),
        }
    }
}

impl fmt::Debug for KeySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySeed").finish_non_exhaustive()
    }
}

impl KeyMaterial for KeySeed {
    /// Fills `out` with the key stream (any length: SHAKE-256 is an XOF). Never fails.
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError> {
        self.into_keystream().fill(out);
        Ok(())
    }

    /// The first 92 bytes of the key stream as `Df | Db | Kf | Kb | KH` (proposal 332 A.2:
    /// relay crypto is still tor-spec 5.2's).
    fn circuit_keys(self) -> CircuitKeys {
        let mut material = Wiped::new([0u8; CIRCUIT_KEY_MATERIAL_LEN]);
        self.into_keystream().fill(&mut *material);
        CircuitKeys::split_kh_last(&material)
    }
}

/// The ntor-v3 key stream (SHAKE-256 output after `ENC_KEY`), read in order.
///
/// The Keccak state is wiped on drop.
pub struct KeyStream {
    stream: primitives::KdfStream,
}

impl KeyStream {
    /// Fills `out` with the next bytes of the stream.
    pub fn fill(&mut self, out: &mut [u8]) {
        self.stream.read(out);
    }
}

impl fmt::Debug for KeyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyStream").finish_non_exhaustive()
    }
}

/// Marker for the generic [`CircuitHandshake`] layer: ntor-v3, HTYPE 3.
///
/// `VER` travels in [`RelayPublicKey`] and [`RelayKeys`] (default `"circuit extend"`), so the
/// trait needs no extra parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NtorV3;

impl CircuitHandshake for NtorV3 {
    const HTYPE: HandshakeType = HandshakeType::NTOR_V3;
    type RelayPublicKey = RelayPublicKey;
    type RelayKeys = RelayKeys;
    type ClientState = ClientState;
    type OnionSkin = OnionSkin;
    type Reply = Reply;
    type KeySeed = KeySeed;

    fn client_start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayPublicKey,
        extensions: &[CircuitExtension<'_>],
    ) -> Result<(ClientState, OnionSkin), HandshakeError> {
        ClientState::start(rng, relay, extensions)
    }

    fn relay_respond<R, F>(
        rng: &mut R,
        keys: &RelayKeys,
        onion_skin: &[u8],
        reply_extensions: F,
    ) -> Result<(KeySeed, Reply), HandshakeError>
    where
        R: RngCore + CryptoRng,
        F: FnOnce(&ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
    {
        relay_respond(rng, keys, onion_skin, reply_extensions)
    }

    fn client_finish(
        state: ClientState,
        reply: &[u8],
    ) -> Result<(KeySeed, ServerMessage), HandshakeError> {
        state.finish(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::extension::{CongestionControlResponse, Extension, ExtensionType};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(332)
    }

    /// Answers a congestion-control request and sends every unknown field back.
    fn echo(cm: &ExtensionList<'_>, sm: &mut ExtensionWriter<'_>) -> Result<(), HandshakeError> {
        for field in cm.typed() {
            match field.map_err(|_| HandshakeError::Malformed)? {
                CircuitExtension::CongestionControlRequest => {
                    sm.push(&CircuitExtension::CongestionControlResponse(
                        CongestionControlResponse { sendme_inc: 31 },
                    ))?;
                }
                other @ CircuitExtension::Unknown(_) => sm.push(&other)?,
                _ => {}
            }
        }
        Ok(())
    }

    #[test]
    fn roundtrip_with_typed_extensions() {
        let mut rng = rng();
        let relay = RelayKeys::new([1; 32], RelaySecretKey::generate(&mut rng));
        let unknown = Extension::new(ExtensionType(0x42), b"hello").unwrap();
        let asked = [
            CircuitExtension::CongestionControlRequest,
            CircuitExtension::Unknown(unknown),
        ];
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), &asked).unwrap();
        // Count byte, CC request (2), unknown field (2 + 5).
        assert_eq!(skin.len(), ONION_SKIN_OVERHEAD + 1 + 2 + 7);
        let (rk, reply) = relay_respond(&mut rng, &relay, skin.as_ref(), echo).unwrap();
        assert_eq!(reply.len(), REPLY_OVERHEAD + 1 + 3 + 7);
        let (ck, sm) = state.finish(reply.as_ref()).unwrap();
        let got: std::vec::Vec<_> = sm.extensions().typed().map(Result::unwrap).collect();
        assert_eq!(
            got,
            [
                CircuitExtension::CongestionControlResponse(CongestionControlResponse {
                    sendme_inc: 31
                }),
                CircuitExtension::Unknown(unknown),
            ]
        );
        let mut a = [0u8; 300];
        let mut b = [0u8; 300];
        ck.expand_into(&mut a).unwrap();
        rk.expand_into(&mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn no_extensions_is_the_byte_00_both_ways() {
        let mut rng = rng();
        let relay = RelayKeys::new([1; 32], RelaySecretKey::generate(&mut rng));
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        assert_eq!(skin.len(), ONION_SKIN_OVERHEAD + 1);
        let mut seen = None;
        let (_, reply) = relay_respond(&mut rng, &relay, skin.as_ref(), |cm, _| {
            seen = Some(cm.as_bytes().to_vec());
            Ok(())
        })
        .unwrap();
        assert_eq!(seen.as_deref(), Some(&[0u8][..]));
        assert_eq!(reply.len(), REPLY_OVERHEAD + 1);
        let (_, sm) = state.finish(reply.as_ref()).unwrap();
        assert_eq!(sm.as_bytes(), &[0]);
        assert!(sm.extensions().is_empty());
    }

    #[test]
    fn previous_key_accepted() {
        let mut rng = rng();
        let old = RelaySecretKey::generate(&mut rng);
        let old_pub = *old.public_key();
        let relay = RelayKeys::new([1; 32], RelaySecretKey::generate(&mut rng)).with_previous(old);
        let pk = RelayPublicKey::new([1; 32], old_pub);
        let (state, skin) = ClientState::start(&mut rng, &pk, &[]).unwrap();
        let (rk, reply) = relay_respond(&mut rng, &relay, skin.as_ref(), |_, _| Ok(())).unwrap();
        let (ck, _) = state.finish(reply.as_ref()).unwrap();
        assert_eq!(ck.circuit_keys(), rk.circuit_keys());
    }

    #[test]
    fn public_errors_are_distinct() {
        let mut rng = rng();
        let relay = RelayKeys::new([1; 32], RelaySecretKey::generate(&mut rng));
        let accept = |_: &ExtensionList<'_>, _: &mut ExtensionWriter<'_>| Ok(());
        // Another relay's identity: refused early.
        let other = RelayPublicKey::new([2; 32], *relay.current().public_key());
        let (_, skin) = ClientState::start(&mut rng, &other, &[]).unwrap();
        assert_eq!(
            relay_respond(&mut rng, &relay, skin.as_ref(), accept).err(),
            Some(HandshakeError::WrongRelay)
        );
        // An onion key the relay does not hold.
        let stale = RelayPublicKey::new([1; 32], *RelaySecretKey::generate(&mut rng).public_key());
        let (_, skin) = ClientState::start(&mut rng, &stale, &[]).unwrap();
        assert_eq!(
            relay_respond(&mut rng, &relay, skin.as_ref(), accept).err(),
            Some(HandshakeError::UnknownOnionKey)
        );
        // A bad MAC: the coarse failure.
        let (_, skin) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        let mut bad = skin.as_bytes().to_vec();
        if let Some(last) = bad.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            relay_respond(&mut rng, &relay, &bad, accept).err(),
            Some(HandshakeError::Failed)
        );
        // The callback's error is the handshake's.
        let (_, skin) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        assert_eq!(
            relay_respond(&mut rng, &relay, skin.as_ref(), |_, _| {
                Err(HandshakeError::MessageNotSupported)
            })
            .err(),
            Some(HandshakeError::MessageNotSupported)
        );
    }

    #[test]
    fn lengths_are_public_errors() {
        let mut rng = rng();
        let relay = RelayKeys::new([1; 32], RelaySecretKey::generate(&mut rng));
        let big = [0u8; 255];
        let field = CircuitExtension::Unknown(Extension::new(ExtensionType(9), &big).unwrap());
        // 1 + 2 * 257 bytes do not fit MAX_CLIENT_MESSAGE_LEN.
        assert_eq!(
            ClientState::start(&mut rng, &relay.public_key(), &[field, field]).err(),
            Some(HandshakeError::BufferTooSmall)
        );
        let mut small = [0u8; ONION_SKIN_OVERHEAD];
        assert_eq!(
            ClientState::start_into(&mut rng, &relay.public_key(), &[], &mut small).err(),
            Some(HandshakeError::BufferTooSmall)
        );
        for len in [0, 127, MAX_ONION_SKIN_LEN + 1] {
            let skin = [0u8; MAX_ONION_SKIN_LEN + 1];
            assert_eq!(
                relay_respond(&mut rng, &relay, &skin[..len], echo).err(),
                Some(HandshakeError::Malformed)
            );
        }
        let (state, _) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        assert_eq!(
            state.finish(&[0u8; 63]).err(),
            Some(HandshakeError::Malformed)
        );
    }

    #[test]
    fn server_message_room() {
        let mut rng = rng();
        let relay = RelayKeys::new([1; 32], RelaySecretKey::generate(&mut rng));
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        let body = [7u8; 200];
        let field = CircuitExtension::Unknown(Extension::new(ExtensionType(9), &body).unwrap());
        // Two 202-byte fields fit the 432 bytes a reply has room for; a third does not.
        let (_, reply) = relay_respond(&mut rng, &relay, skin.as_ref(), |_, sm| {
            sm.push(&field)?;
            sm.push(&field)?;
            assert_eq!(
                sm.push(&field),
                Err(crate::EncodeError::BufferTooSmall {
                    needed: 1 + 3 * 202
                })
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(reply.len(), REPLY_OVERHEAD + 1 + 2 * 202);
        let (_, sm) = state.finish(reply.as_ref()).unwrap();
        assert_eq!(sm.extensions().len(), 2);
    }

    #[test]
    fn low_order_onion_key_refused_by_client() {
        let mut rng = rng();
        let pk = RelayPublicKey::new([1; 32], [0; 32]);
        assert_eq!(
            ClientState::start(&mut rng, &pk, &[]).err(),
            Some(HandshakeError::Failed)
        );
    }

    #[test]
    fn verification_strings() {
        assert_eq!(Verification::default().as_bytes(), b"circuit extend");
        assert_eq!(Verification::new(b"xyzzy").unwrap().as_bytes(), b"xyzzy");
        assert!(Verification::new(&[0; MAX_VERIFICATION_LEN]).is_ok());
        assert_eq!(
            Verification::new(&[0; MAX_VERIFICATION_LEN + 1]),
            Err(HandshakeError::Malformed)
        );
        assert_eq!(
            std::format!("{:?}", Verification::CIRCUIT_EXTEND),
            "Verification(b\"circuit extend\")"
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let mut rng = rng();
        let key = RelaySecretKey::from_bytes(&[0xab; 32]);
        let s = std::format!("{key:?}");
        assert!(!s.contains("171, 171, 171"), "{s}");
        let relay = RelayKeys::new([1; 32], key);
        let (state, _) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        assert_eq!(std::format!("{state:?}"), "ClientState { .. }");
    }
}
