//! The ntor onion key, shared by ntor and ntor-v3, and what a relay does with an onion skin
//! that names another key.

use core::fmt;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Length of an X25519 key, secret or public.
pub const NTOR_ONION_KEY_LEN: usize = 32;

/// A relay's ntor onion key pair `b`, `B` (Curve25519): the key of C tor's
/// `secret_onion_key_ntor` file and of the descriptor's `ntor-onion-key` line. Tor uses the
/// same key for ntor (tor-spec 5.1.4) and ntor-v3 (proposal 332), so both modules use this
/// type as their `RelaySecretKey`.
///
/// `Clone`, so that it can be put into the keys of both handshakes and saved; wiped on drop;
/// `Debug` shows only the public key.
///
/// ```
/// use onionskin::handshake::NtorOnionKey;
///
/// let key = NtorOnionKey::generate(&mut rand_core::OsRng);
/// let saved = *key.secret_bytes();
/// assert_eq!(NtorOnionKey::from_bytes(&saved).public_key(), key.public_key());
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct NtorOnionKey {
    secret: [u8; NTOR_ONION_KEY_LEN],
    public: [u8; NTOR_ONION_KEY_LEN],
}

impl NtorOnionKey {
    /// Generates a fresh onion key pair.
    #[must_use]
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut secret = Zeroizing::new([0u8; NTOR_ONION_KEY_LEN]);
        rng.fill_bytes(&mut *secret);
        Self::from_bytes(&secret)
    }

    /// Loads a stored secret key `b` (clamped or not: X25519 clamps it on use, and C tor
    /// stores it clamped) and derives `B` from it.
    #[must_use]
    pub fn from_bytes(secret: &[u8; NTOR_ONION_KEY_LEN]) -> Self {
        Self {
            secret: *secret,
            public: crate::x25519::x25519_base(secret),
        }
    }

    /// The public onion key `B`, which is also the KEYID clients send.
    #[must_use]
    pub fn public_key(&self) -> &[u8; NTOR_ONION_KEY_LEN] {
        &self.public
    }

    /// The secret key `b`, for storing it. Handle with care.
    #[must_use]
    pub fn secret_bytes(&self) -> &[u8; NTOR_ONION_KEY_LEN] {
        &self.secret
    }
}

impl fmt::Debug for NtorOnionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NtorOnionKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// What a relay does with an onion skin whose KEYID is none of its onion keys.
///
/// Either way the relay does the same work as for a good onion skin (with a junk secret key
/// in place of `b`), so timing does not tell the client whether its KEYID was recognised.
/// Set it with `RelayKeys::with_unknown_key_policy` (ntor and ntor-v3), so that generic code
/// and [`dispatch`](crate::handshake::dispatch) follow it too.
///
/// ```
/// use onionskin::handshake::{NtorOnionKey, UnknownKeyPolicy, ntor};
/// use onionskin::HandshakeError;
///
/// let mut rng = rand_core::OsRng;
/// let relay = ntor::RelayKeys::new([1; 20], NtorOnionKey::generate(&mut rng));
/// // A client with a stale descriptor: the right relay, an onion key it no longer has.
/// let stale = ntor::RelayPublicKey::new([1; 20], *NtorOnionKey::generate(&mut rng).public_key());
/// let (state, skin) = ntor::ClientState::start(&mut rng, &stale);
///
/// // This crate's default: say so (after the same work as a good skin).
/// let r = ntor::relay_respond(&mut rng, &relay, &skin);
/// assert_eq!(r.err(), Some(HandshakeError::UnknownOnionKey));
///
/// // C tor's: answer with junk, which the client rejects.
/// let c_tor = relay.with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk);
/// let (_, reply) = ntor::relay_respond(&mut rng, &c_tor, &skin)?;
/// assert_eq!(state.finish(&reply).err(), Some(HandshakeError::Failed));
/// # Ok::<(), HandshakeError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UnknownKeyPolicy {
    /// Report [`HandshakeError::UnknownOnionKey`](crate::HandshakeError::UnknownOnionKey) after the full computation. This crate's
    /// default: a relay can count clients with stale descriptors.
    #[default]
    Reject,
    /// C tor's behaviour for ntor (`onion_skin_ntor_server_handshake` with its junk keys):
    /// succeed with a reply and keys computed from the junk key. The client then rejects
    /// the AUTH and the circuit dies; a relay that answers every skin it can parse looks
    /// the same from outside whether or not it knew the KEYID. The keys returned are
    /// useless. ntor-v3 cannot follow it: the client's `msg_mac` cannot verify under a junk
    /// key (C tor's ntor-v3 fails there too), so ntor-v3 reports
    /// [`HandshakeError::UnknownOnionKey`](crate::HandshakeError::UnknownOnionKey) under either policy.
    ReplyWithJunk,
}

impl UnknownKeyPolicy {
    /// Whether an unknown KEYID is reported as an error under this policy.
    pub(crate) fn rejects(self) -> bool {
        self == Self::Reject
    }
}
