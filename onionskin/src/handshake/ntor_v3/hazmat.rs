//! **Not for production.** Deterministic ntor-v3 entry points and intermediate values, for
//! known-answer tests and reproducible research (feature `hazmat`).
//!
//! These functions take the ephemeral secrets `x` and `y` from the caller. Using an
//! ephemeral secret twice, or one an attacker can guess, breaks the handshake completely;
//! production code must use [`ClientState::start`] and [`relay_respond`](super::relay_respond),
//! which draw them from the RNG. The [`Intermediates`] they return are secrets of the
//! handshake (phase-1 keys, `KEY_SEED`, `ENC_KEY`).
//!
//! Unlike the typed API, these take and give the client's and relay's messages as raw
//! bytes, so that research can send what the typed API cannot (a zero-length message, a
//! truncated list, bytes after the list). A relay's raw callback gets the decrypted client
//! message and writes the relay's message, returning its length, or `None` to refuse.
//!
//! ```
//! # #[cfg(feature = "hazmat")] {
//! use onionskin::handshake::ntor_v3::{hazmat, RelayKeys, RelaySecretKey};
//!
//! let relay = RelayKeys::new([3; 32], RelaySecretKey::from_bytes(&[5; 32]));
//! let mut skin = [0u8; 128];
//! let (state, len, trace) =
//!     hazmat::client_start_with_x(&[9; 32], &relay.public_key(), b"", &mut skin)?;
//! let mut reply = [0u8; 64];
//! let (_, reply_len, relay_trace) =
//!     hazmat::relay_respond_with_y(&[11; 32], &relay, &skin[..len], |_, _| Some(0), &mut reply)?;
//! assert_eq!(trace.msg_mac, relay_trace.msg_mac);
//! let (_, _, client_trace) =
//!     hazmat::client_finish_with_intermediates(state, &reply[..reply_len], &mut [])?;
//! assert_eq!(client_trace.auth, relay_trace.auth);
//! # }
//! # Ok::<(), onionskin::HandshakeError>(())
//! ```

// Without the feature this module is private and only lends `Intermediates` to the core.
#![cfg_attr(not(feature = "hazmat"), allow(unreachable_pub))]

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

#[cfg(feature = "hazmat")]
use super::{ClientState, KeySeed, RelayKeys, RelayPublicKey};
#[cfg(feature = "hazmat")]
use crate::HandshakeError;

/// The intermediate values of proposal 332, as one side computed them. Fields a step does
/// not compute stay zero: [`client_start_with_x`] fills `enc_k1`, `mac_k1` and
/// `msg_mac`; [`client_finish_with_intermediates`] fills `msg_mac`, `key_seed`, `verify`,
/// `enc_key` and `auth`; [`relay_respond_with_y`] fills all of them.
///
/// Secret; wiped on drop; `Debug` prints nothing.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
#[non_exhaustive]
pub struct Intermediates {
    /// `ENC_K1`: encrypts the client's message.
    pub enc_k1: [u8; 32],
    /// `MAC_K1`: authenticates the client's message.
    pub mac_k1: [u8; 32],
    /// `msg_mac` (sent in the onion skin).
    pub msg_mac: [u8; 32],
    /// `KEY_SEED = H(secret_input, t_key_seed)`.
    pub key_seed: [u8; 32],
    /// `verify = H(secret_input, t_verify)`.
    pub verify: [u8; 32],
    /// `ENC_KEY`: the first 32 bytes of `KDF(KEY_SEED, t_final)`; encrypts the relay's message.
    pub enc_key: [u8; 32],
    /// `AUTH` (sent in the reply).
    pub auth: [u8; 32],
}

impl fmt::Debug for Intermediates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intermediates").finish_non_exhaustive()
    }
}

/// [`ClientState::start_into`] with the ephemeral secret `x` given and the client message
/// `client_message` as raw bytes (not necessarily an extension list). **Not for production.**
///
/// # Errors
/// As [`ClientState::start_into`]; [`HandshakeError::Malformed`] for a message longer than
/// [`MAX_CLIENT_MESSAGE_LEN`](super::MAX_CLIENT_MESSAGE_LEN).
#[cfg(feature = "hazmat")]
pub fn client_start_with_x(
    x: &[u8; 32],
    relay: &RelayPublicKey,
    client_message: &[u8],
    onion_skin_out: &mut [u8],
) -> Result<(ClientState, usize, Intermediates), HandshakeError> {
    let mut trace = Intermediates::default();
    let (state, len) = super::start_core(x, relay, client_message, onion_skin_out, &mut trace)?;
    Ok((state, len, trace))
}

/// [`ClientState::finish`] with the relay's message written raw into `server_message_out`
/// (its length returned), also returning the intermediates. **Not for production.**
///
/// # Errors
/// As [`ClientState::finish`], except that the message is not parsed;
/// [`HandshakeError::BufferTooSmall`] if it does not fit `server_message_out` (checked
/// first: its length is public).
#[cfg(feature = "hazmat")]
pub fn client_finish_with_intermediates(
    state: ClientState,
    reply: &[u8],
    server_message_out: &mut [u8],
) -> Result<(KeySeed, usize, Intermediates), HandshakeError> {
    let mut trace = Intermediates::default();
    let (seed, len) = super::finish_core(&state, reply, server_message_out, &mut trace)?;
    Ok((seed, len, trace))
}

/// [`relay_respond_into`](super::relay_respond_into) with the ephemeral secret `y` given and
/// a raw callback: it gets the decrypted client message as bytes (parsed or not) and writes
/// the relay's message into the buffer it is given, returning its length, or `None` to
/// refuse. **Not for production.**
///
/// # Errors
/// As [`relay_respond_into`](super::relay_respond_into); [`HandshakeError::Failed`] if the
/// callback returns `None`, [`HandshakeError::BufferTooSmall`] if it returns a length past
/// its buffer.
#[cfg(feature = "hazmat")]
pub fn relay_respond_with_y<F>(
    y: &[u8; 32],
    keys: &RelayKeys,
    onion_skin: &[u8],
    reply_message: F,
    reply_out: &mut [u8],
) -> Result<(KeySeed, usize, Intermediates), HandshakeError>
where
    F: FnOnce(&[u8], &mut [u8]) -> Option<usize>,
{
    let mut trace = Intermediates::default();
    let (seed, len) = super::respond_core(
        |b, client_pk| super::primitives::relay_dh(y, b, client_pk),
        keys,
        onion_skin,
        |cm: &[u8], sm: &mut [u8]| reply_message(cm, sm).ok_or(HandshakeError::Failed),
        reply_out,
        &mut trace,
    )?;
    Ok((seed, len, trace))
}

/// [`relay_respond_batch`](super::relay_respond_batch) with the relay's ephemeral secrets
/// given: `ys[k]` is `y` for the `k`-th skin that passes the public checks (length, NODEID),
/// in order, as the RNG would have drawn them (the all-zero scalar for any beyond `ys`). The
/// raw callback `reply_message(i, cm, out)` gets skin `i`'s decrypted client message once it
/// is authenticated and writes the relay's message, returning its length, or `None` to
/// refuse. `each(i, result)` gets every skin's result, in order. **Not for production.**
///
/// ```
/// use onionskin::handshake::ntor_v3::{hazmat, RelayKeys, RelaySecretKey};
///
/// let relay = RelayKeys::new([3; 32], RelaySecretKey::from_bytes(&[5; 32]));
/// let mut skins = [[0u8; 128]; 2];
/// let mut lens = [0; 2];
/// for (skin, len) in skins.iter_mut().zip(&mut lens) {
///     (_, *len, _) = hazmat::client_start_with_x(&[9; 32], &relay.public_key(), b"", skin)?;
/// }
/// let skins = [&skins[0][..lens[0]], &skins[1][..lens[1]]];
/// let mut replies = Vec::new();
/// hazmat::relay_respond_batch_with_ys(&[[11; 32], [12; 32]], &relay, &skins, |_, _, _| Some(0), |_, r| {
///     replies.push(r.map(|(_, reply)| reply));
/// });
/// let mut one = [0u8; 64];
/// let (_, len, _) = hazmat::relay_respond_with_y(&[12; 32], &relay, skins[1], |_, _| Some(0), &mut one)?;
/// assert_eq!(replies[1].as_ref().map(|r| r.as_bytes()), Ok(&one[..len]));
/// # Ok::<(), onionskin::HandshakeError>(())
/// ```
///
/// # Errors
/// Each skin's result carries the errors of [`relay_respond_with_y`].
#[cfg(feature = "hazmat")]
pub fn relay_respond_batch_with_ys<F, G>(
    ys: &[[u8; 32]],
    keys: &RelayKeys,
    onion_skins: &[&[u8]],
    mut reply_message: F,
    each: G,
) where
    F: FnMut(usize, &[u8], &mut [u8]) -> Option<usize>,
    G: FnMut(usize, Result<(KeySeed, super::Reply), HandshakeError>),
{
    let mut next = ys.iter();
    super::batch::respond_batch(
        |y| *y = next.next().copied().unwrap_or([0; 32]),
        keys,
        onion_skins,
        |i, cm, sm| reply_message(i, cm, sm).ok_or(HandshakeError::Failed),
        each,
    );
}
