//! The ntor handshake (CREATE2 HTYPE 2), client and relay side.
//!
//! Specified in [tor-spec 5.1.4](https://spec.torproject.org/tor-spec/create-created-cells.html#ntor)
//! (proposal 216), with keys from KDF-RFC5869 (tor-spec 5.2.2). The spec's names map to
//! this module as follows:
//!
//! | spec | here |
//! |---|---|
//! | `ID` / `NODEID` | [`RelayPublicKey::identity`], the SHA-1 digest of the relay's RSA identity key |
//! | `B` / `KEYID(B)`, `b` | [`RelayPublicKey::onion_key`], [`RelaySecretKey`] (the shared [`NtorOnionKey`]) |
//! | `X`, `x` | the client's ephemeral key, inside [`ClientState`] |
//! | `Y`, `y` | the relay's ephemeral key, drawn inside [`relay_respond`] |
//! | `KEY_SEED` | [`KeySeed`], expanded with [`KeyMaterial::expand_into`] |
//!
//! The onion skin is `NODEID (20) | KEYID (32) | X (32)` ([`ONION_SKIN_LEN`] bytes) and the
//! reply `Y (32) | AUTH (32)` ([`REPLY_LEN`] bytes).
//!
//! # Example: a full round trip
//! ```
//! use onionskin::handshake::ntor::{self, ClientState, RelayKeys, RelaySecretKey};
//! use onionskin::KeyMaterial;
//! use rand_core::OsRng;
//!
//! // The relay: its RSA identity digest and its current ntor onion key.
//! let relay = RelayKeys::new([7; 20], RelaySecretKey::generate(&mut OsRng));
//! // The client learns both from the relay's descriptor.
//! let public = relay.public_key();
//!
//! let (state, onion_skin) = ClientState::start(&mut OsRng, &public);
//! // ... onion_skin travels in a CREATE2 cell ...
//! let (relay_seed, reply) = ntor::relay_respond(&mut OsRng, &relay, &onion_skin)?;
//! // ... the relay's reply travels back in a CREATED2 cell, whose hdata() is a slice ...
//! // ... reply travels back in a CREATED2 cell ...
//! let client_seed = state.finish(&reply)?;
//!
//! let (client_keys, relay_keys) = (client_seed.circuit_keys(), relay_seed.circuit_keys());
//! assert_eq!(client_keys, relay_keys);
//! # Ok::<(), onionskin::HandshakeError>(())
//! ```
//!
//! # Security
//!
//! * Every secret-dependent check (an all-zero `EXP(Y,x)`, `EXP(B,x)`, `EXP(X,y)` or
//!   `EXP(X,b)`, which a low-order point causes; the AUTH comparison; an unknown KEYID) is
//!   folded into one [`subtle::Choice`], and the outcome is decided once, after all the work.
//!   On both sides the full computation runs whatever the input.
//! * The relay picks the onion key by KEYID with a scan over every key and a constant-time
//!   conditional copy. An unknown KEYID runs the same handshake with a junk secret key drawn
//!   from the caller's RNG and is reported only at the end, as
//!   [`HandshakeError::UnknownOnionKey`] (KEYID is public; the work, and so the time, is that
//!   of a good skin). With [`UnknownKeyPolicy::ReplyWithJunk`] the relay answers instead, as
//!   C tor does.
//! * A NODEID that is not the relay's identity is rejected *early*, with
//!   [`HandshakeError::WrongRelay`]: NODEID is public (it travels in the clear in CREATE2 and
//!   names the relay the client wanted), so the early return reveals nothing secret. C tor
//!   returns early there too.
//! * Ephemeral secrets, onion secret keys, client states and key seeds are wiped on drop, have
//!   no `Clone` (except the relay's long-term key, which the caller may need to copy into a
//!   new [`RelayKeys`] or save) and print nothing secret with `Debug`.

use crate::codec::extension::{CircuitExtension, ExtensionList, ExtensionWriter};
use crate::ct;
use crate::handshake::{
    CircuitHandshake, HandshakeType, KeyMaterial, NtorOnionKey, ServerMessage, UnknownKeyPolicy,
};
use crate::keys::{CIRCUIT_KEY_MATERIAL_LEN, CircuitKeys};
use crate::{HandshakeError, kdf};
use core::fmt;
use hmac::digest::generic_array::GenericArray;
use hmac::{Hmac, Mac};
use rand_core::{CryptoRng, RngCore};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

mod batch;
pub use batch::relay_respond_batch;

/// `PROTOID` (tor-spec 5.1.4).
pub const PROTOID: &[u8] = b"ntor-curve25519-sha256-1";
/// `t_mac`: the HMAC key of AUTH.
pub const T_MAC: &[u8] = b"ntor-curve25519-sha256-1:mac";
/// `t_key`: the HMAC key of `KEY_SEED`, and the HKDF salt.
pub const T_KEY: &[u8] = b"ntor-curve25519-sha256-1:key_extract";
/// `t_verify`: the HMAC key of `verify`.
pub const T_VERIFY: &[u8] = b"ntor-curve25519-sha256-1:verify";
/// `m_expand`: the HKDF info string.
pub const M_EXPAND: &[u8] = b"ntor-curve25519-sha256-1:key_expand";
/// The literal that ends `auth_input`.
const SERVER: &[u8] = b"Server";

/// `ID_LENGTH`: the relay identity (NODEID) is a SHA-1 digest.
pub const NODE_ID_LEN: usize = 20;
/// `G_LENGTH`: a Curve25519 public or secret key.
pub const KEY_LEN: usize = 32;
/// `H_LENGTH`: HMAC-SHA256 output (`KEY_SEED`, `verify`, AUTH).
pub const DIGEST_LEN: usize = 32;
/// The client's onion skin: `NODEID | KEYID | X` (`NTOR_ONIONSKIN_LEN` in C tor).
pub const ONION_SKIN_LEN: usize = NODE_ID_LEN + 2 * KEY_LEN;
/// The relay's reply: `Y | AUTH` (`NTOR_REPLY_LEN` in C tor).
pub const REPLY_LEN: usize = KEY_LEN + DIGEST_LEN;
/// `secret_input = EXP | EXP | ID | B | X | Y | PROTOID`.
pub const SECRET_INPUT_LEN: usize = 2 * KEY_LEN + NODE_ID_LEN + 3 * KEY_LEN + PROTOID.len();
/// The most key material a [`KeySeed`] can expand to (RFC 5869: 255 hash lengths).
pub const MAX_KEY_MATERIAL_LEN: usize = kdf::HKDF_SHA256_MAX_LEN;

/// The zero-sized marker that drives ntor through the generic [`CircuitHandshake`] trait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ntor;

/// What a client must know about a relay to start ntor: its identity digest and its current
/// ntor onion key, both from the relay's descriptor or consensus entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RelayPublicKey {
    /// `ID`: the SHA-1 digest of the relay's RSA identity key (sent as NODEID).
    pub identity: [u8; NODE_ID_LEN],
    /// `B`: the relay's ntor onion key (sent as KEYID).
    pub onion_key: [u8; KEY_LEN],
}

impl RelayPublicKey {
    /// Bundles a relay's identity digest and ntor onion key.
    #[must_use]
    pub const fn new(identity: [u8; NODE_ID_LEN], onion_key: [u8; KEY_LEN]) -> Self {
        Self {
            identity,
            onion_key,
        }
    }
}

/// The relay's ntor onion key: the [`NtorOnionKey`] ntor-v3 uses too.
pub type RelaySecretKey = NtorOnionKey;

/// Everything the relay side of ntor needs: the relay's identity digest, its current ntor
/// onion key and, during a key rotation, the previous one (C tor keeps both for a while so
/// that clients with an older descriptor still succeed).
#[derive(Clone, Debug)]
pub struct RelayKeys {
    identity: [u8; NODE_ID_LEN],
    /// Current, then previous. Without a previous key the current one fills both slots, so
    /// the constant-time scan always covers two keys.
    onion_keys: [RelaySecretKey; 2],
    has_previous: bool,
    policy: UnknownKeyPolicy,
}

impl RelayKeys {
    /// A relay with identity digest `identity` and one onion key.
    #[must_use]
    pub fn new(identity: [u8; NODE_ID_LEN], current: RelaySecretKey) -> Self {
        Self {
            identity,
            onion_keys: [current.clone(), current],
            has_previous: false,
            policy: UnknownKeyPolicy::Reject,
        }
    }

    /// What to do with an onion skin whose KEYID is none of this relay's onion keys
    /// (default [`UnknownKeyPolicy::Reject`]).
    #[must_use]
    pub fn with_unknown_key_policy(mut self, policy: UnknownKeyPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The policy for unknown onion keys.
    #[must_use]
    pub fn unknown_key_policy(&self) -> UnknownKeyPolicy {
        self.policy
    }

    /// Also accepts onion skins made for `previous`, the onion key before the last rotation.
    #[must_use]
    pub fn with_previous(mut self, previous: RelaySecretKey) -> Self {
        let [_, slot] = &mut self.onion_keys;
        *slot = previous;
        self.has_previous = true;
        self
    }

    /// The relay's identity digest (`ID`).
    #[must_use]
    pub fn identity(&self) -> &[u8; NODE_ID_LEN] {
        &self.identity
    }

    /// The current onion key.
    #[must_use]
    pub fn current(&self) -> &RelaySecretKey {
        let [current, _] = &self.onion_keys;
        current
    }

    /// The previous onion key, if any.
    #[must_use]
    pub fn previous(&self) -> Option<&RelaySecretKey> {
        let [_, previous] = &self.onion_keys;
        self.has_previous.then_some(previous)
    }

    /// What clients need to reach this relay with its current onion key.
    #[must_use]
    pub fn public_key(&self) -> RelayPublicKey {
        RelayPublicKey::new(self.identity, *self.current().public_key())
    }
}

/// The secret both sides of ntor end with: `KEY_SEED = H(secret_input, t_key)`, which is
/// also the pseudorandom key of HKDF-SHA256 (tor-spec 5.2.2). Zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeySeed {
    key_seed: [u8; DIGEST_LEN],
}

impl KeyMaterial for KeySeed {
    /// Fills `out` with `HKDF-SHA256(IKM = secret_input, salt = t_key, info = m_expand)`.
    /// Tor takes 92 bytes: `Df | Db | Kf | Kb | KH` (see [`CircuitKeys::split_kh_last`]).
    ///
    /// # Errors
    /// [`HandshakeError::KeyMaterialTooLong`] above [`MAX_KEY_MATERIAL_LEN`] bytes.
    fn expand_into(self, out: &mut [u8]) -> Result<(), HandshakeError> {
        if out.len() > MAX_KEY_MATERIAL_LEN {
            return Err(HandshakeError::KeyMaterialTooLong);
        }
        hkdf_expand(&self.key_seed, out);
        Ok(())
    }

    fn circuit_keys(self) -> CircuitKeys {
        let mut material = Zeroizing::new([0u8; CIRCUIT_KEY_MATERIAL_LEN]);
        hkdf_expand(&self.key_seed, &mut *material);
        CircuitKeys::split_kh_last(&material)
    }
}

impl fmt::Debug for KeySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySeed").finish_non_exhaustive()
    }
}

/// The client's handshake in flight: the relay's public keys and the ephemeral `x`, `X`.
/// Consumed by [`finish`](Self::finish); no `Clone`; zeroized on drop.
///
/// A state cannot be copied, so it cannot be finished twice:
/// ```compile_fail
/// fn needs_clone<T: Clone>() {}
/// needs_clone::<onionskin::handshake::ntor::ClientState>();
/// ```
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ClientState {
    #[zeroize(skip)]
    relay: RelayPublicKey,
    x: [u8; KEY_LEN],
    client_pk: [u8; KEY_LEN],
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientState {
    /// Starts a handshake with `relay`: draws the ephemeral `x` from `rng` and returns the
    /// state and the 84-byte onion skin for a CREATE2 (or EXTEND2) cell with HTYPE 2.
    #[must_use]
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        relay: &RelayPublicKey,
    ) -> (Self, [u8; ONION_SKIN_LEN]) {
        let mut x = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(&mut *x);
        Self::start_with_secret(&x, relay)
    }

    fn start_with_secret(
        x: &[u8; KEY_LEN],
        relay: &RelayPublicKey,
    ) -> (Self, [u8; ONION_SKIN_LEN]) {
        let client_pk = crate::x25519::x25519_base(x);
        let mut skin = [0u8; ONION_SKIN_LEN];
        let pieces: [&[u8]; 3] = [&relay.identity, &relay.onion_key, &client_pk];
        for (dst, src) in skin.iter_mut().zip(pieces.into_iter().flatten()) {
            *dst = *src;
        }
        let state = Self {
            relay: *relay,
            x: *x,
            client_pk,
        };
        (state, skin)
    }

    /// Checks the relay's reply and returns the shared [`KeySeed`]. Consumes the state on
    /// success and on failure, so a state can never be tried against a second reply.
    ///
    /// `reply` is what the codec hands out ([`Created2::hdata`](crate::codec::Created2::hdata)).
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] if `reply` is not [`REPLY_LEN`] bytes;
    /// [`HandshakeError::Failed`] if AUTH does not match or either Diffie-Hellman result is
    /// all-zero (a low-order `Y`, or a low-order onion key `B`). One error for all of these,
    /// decided once after the full computation.
    pub fn finish(self, reply: &[u8]) -> Result<KeySeed, HandshakeError> {
        self.finish_inner(reply, |_, _| ())?.decide()
    }

    /// The whole client computation; `observe` sees the intermediates (hazmat only).
    fn finish_inner(
        &self,
        reply: &[u8],
        observe: impl FnOnce(&SecretInput<'_>, &Derived),
    ) -> Result<Outcome, HandshakeError> {
        let (server_pk, auth) = split_reply(reply).ok_or(HandshakeError::Malformed)?;
        // EXP(Y,x) and EXP(B,x): constant-time Montgomery ladders, whatever Y is.
        // Both ladders share the scalar x; the crate runs them side by side.
        let (yx, bx) = crate::x25519::x25519_two_bases(&self.x, server_pk, &self.relay.onion_key);
        let (yx, bx) = (Zeroizing::new(yx), Zeroizing::new(bx));
        let input = SecretInput {
            dh_ephemeral: &yx,
            dh_onion: &bx,
            id: &self.relay.identity,
            onion_key: &self.relay.onion_key,
            client_pk: &self.client_pk,
            server_pk,
        };
        let derived = input.derive();
        observe(&input, &derived);
        // tor-spec 5.1.4: reject an all-zero EXP output; C tor folds these with the AUTH check.
        let bad = ct::is_zero(&*yx) | ct::is_zero(&*bx) | !ct::bytes_eq(&derived.auth, auth);
        Ok(Outcome {
            bad,
            unknown_key: Choice::from(0),
            derived,
        })
    }
}

/// Relay side of ntor: answers the client's onion skin with the 64-byte reply for a CREATED2
/// cell and returns the shared [`KeySeed`]. Stateless; `y` (and a junk key, see
/// [`UnknownKeyPolicy`]) come from `rng`. What happens to an unknown KEYID is the policy in
/// `keys` ([`RelayKeys::with_unknown_key_policy`]).
///
/// `onion_skin` is what the codec hands out ([`Create2::hdata`](crate::codec::Create2::hdata)).
///
/// # Errors
/// * [`HandshakeError::Malformed`] if `onion_skin` is not [`ONION_SKIN_LEN`] bytes.
/// * [`HandshakeError::WrongRelay`], early, if NODEID is not `keys.identity()` (public).
/// * [`HandshakeError::UnknownOnionKey`], after the full computation, if KEYID is none of the
///   relay's onion keys and the policy is [`UnknownKeyPolicy::Reject`].
/// * [`HandshakeError::Failed`], after the full computation, if `X` is a low-order point
///   (an all-zero `EXP(X,y)` or `EXP(X,b)`).
pub fn relay_respond<R: RngCore + CryptoRng>(
    rng: &mut R,
    keys: &RelayKeys,
    onion_skin: &[u8],
) -> Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError> {
    let mut y = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(&mut *y);
    // A fresh junk key per call, so that with `ReplyWithJunk` nobody can predict the reply.
    let mut junk = Zeroizing::new([0u8; KEY_LEN]);
    rng.fill_bytes(&mut *junk);
    let (outcome, reply) = relay_inner(
        &junk,
        keys,
        onion_skin,
        |b, client_pk| crate::x25519::x25519_base_and_pair(&y, b, client_pk),
        |_, _| (),
    )?;
    outcome.decide().map(|seed| (seed, reply))
}

/// What [`relay_dh_inputs`] finds: the client's `X`, the onion secret `b` for KEYID (the junk
/// key if none matched), and whether one matched.
type DhInputs<'s> = (&'s [u8; KEY_LEN], Zeroizing<[u8; KEY_LEN]>, Choice);

/// The public checks and the onion key selection that start [`relay_inner`], or the early,
/// public error.
fn relay_dh_inputs<'s>(
    junk: &[u8; KEY_LEN],
    keys: &RelayKeys,
    onion_skin: &'s [u8],
) -> Result<DhInputs<'s>, HandshakeError> {
    let (node_id, key_id, client_pk) = split_skin(onion_skin).ok_or(HandshakeError::Malformed)?;
    // NODEID is public (it names the relay the client meant), so an early exit leaks nothing.
    if !bool::from(node_id.ct_eq(&keys.identity)) {
        return Err(HandshakeError::WrongRelay);
    }
    // Select b by KEYID without branching: `ct_lookup` scans every key, then a second full
    // scan copies the chosen secret in constant time; the junk key stays if none matched.
    let (index, found) = ct::ct_lookup(&keys.onion_keys, key_id, NtorOnionKey::public_key);
    let mut b = Zeroizing::new(*junk);
    for (i, key) in keys.onion_keys.iter().enumerate() {
        ct::conditional_copy(&mut *b, key.secret_bytes(), i.ct_eq(&index) & found);
    }
    Ok((client_pk, b, found))
}

/// The whole relay computation. Its only early return is on public data (length, NODEID);
/// from there on the same operations run for a good skin, a low-order `X` and an unknown
/// KEYID, and the result is one `Choice` in the [`Outcome`]. `dh` computes
/// `(Y, EXP(X,y), EXP(X,b))` from `b` and `X` (`x25519_base_and_pair` with the relay's `y`,
/// or the results of a batch); `observe` sees the intermediates (hazmat only).
fn relay_inner(
    junk: &[u8; KEY_LEN],
    keys: &RelayKeys,
    onion_skin: &[u8],
    dh: impl FnOnce(&[u8; KEY_LEN], &[u8; KEY_LEN]) -> ([u8; KEY_LEN], [u8; KEY_LEN], [u8; KEY_LEN]),
    observe: impl FnOnce(&SecretInput<'_>, &Derived),
) -> Result<(Outcome, [u8; REPLY_LEN]), HandshakeError> {
    let (client_pk, b, found) = relay_dh_inputs(junk, keys, onion_skin)?;
    let (node_id, key_id, _) = split_skin(onion_skin).ok_or(HandshakeError::Malformed)?;
    // Y, EXP(X,y) and EXP(X,b) together: two ladders over X side by side, one inversion.
    let (server_pk, xy, xb) = dh(&b, client_pk);
    let (xy, xb) = (Zeroizing::new(xy), Zeroizing::new(xb));
    // secret_input uses KEYID as received: it equals B whenever the handshake can succeed.
    let input = SecretInput {
        dh_ephemeral: &xy,
        dh_onion: &xb,
        id: node_id,
        onion_key: key_id,
        client_pk,
        server_pk: &server_pk,
    };
    let derived = input.derive();
    observe(&input, &derived);
    let reject_unknown = Choice::from(u8::from(keys.policy.rejects()));
    let bad = ct::is_zero(&*xy) | ct::is_zero(&*xb);
    let mut reply = [0u8; REPLY_LEN];
    for (dst, src) in reply.iter_mut().zip(server_pk.iter().chain(&derived.auth)) {
        *dst = *src;
    }
    Ok((
        Outcome {
            bad,
            unknown_key: !found & reject_unknown,
            derived,
        },
        reply,
    ))
}

/// `NODEID | KEYID | X`, or `None` if `skin` is not exactly [`ONION_SKIN_LEN`] bytes.
fn split_skin(skin: &[u8]) -> Option<(&[u8; NODE_ID_LEN], &[u8; KEY_LEN], &[u8; KEY_LEN])> {
    let (node_id, rest) = skin.split_first_chunk()?;
    let (key_id, rest) = rest.split_first_chunk()?;
    let (client_pk, rest) = rest.split_first_chunk()?;
    rest.is_empty().then_some((node_id, key_id, client_pk))
}

/// `Y | AUTH`, or `None` if `reply` is not exactly [`REPLY_LEN`] bytes.
fn split_reply(reply: &[u8]) -> Option<(&[u8; KEY_LEN], &[u8; DIGEST_LEN])> {
    let (server_pk, rest) = reply.split_first_chunk()?;
    let (auth, rest) = rest.split_first_chunk()?;
    rest.is_empty().then_some((server_pk, auth))
}

/// The pieces of `secret_input` (tor-spec 5.1.4), hashed in place so that no 204-byte secret
/// buffer is assembled. The relay's `EXP(X,y) | EXP(X,b)` and the client's
/// `EXP(Y,x) | EXP(B,x)` take the same two positions.
struct SecretInput<'a> {
    dh_ephemeral: &'a [u8; KEY_LEN],
    dh_onion: &'a [u8; KEY_LEN],
    id: &'a [u8; NODE_ID_LEN],
    onion_key: &'a [u8; KEY_LEN],
    client_pk: &'a [u8; KEY_LEN],
    server_pk: &'a [u8; KEY_LEN],
}

impl SecretInput<'_> {
    fn parts(&self) -> [&[u8]; 7] {
        [
            self.dh_ephemeral,
            self.dh_onion,
            self.id,
            self.onion_key,
            self.client_pk,
            self.server_pk,
            PROTOID,
        ]
    }

    /// `KEY_SEED`, `verify` and `AUTH = H(verify | ID | B | Y | X | PROTOID | "Server", t_mac)`.
    fn derive(&self) -> Derived {
        let parts = self.parts();
        let verify = tweaked_hash(T_VERIFY, &parts);
        Derived {
            key_seed: tweaked_hash(T_KEY, &parts),
            auth: *tweaked_hash(
                T_MAC,
                &[
                    &*verify,
                    self.id,
                    self.onion_key,
                    self.server_pk,
                    self.client_pk,
                    PROTOID,
                    SERVER,
                ],
            ),
            verify,
        }
    }
}

struct Derived {
    key_seed: Zeroizing<[u8; DIGEST_LEN]>,
    #[cfg_attr(not(feature = "hazmat"), allow(dead_code))] // read only by hazmat::Intermediates
    verify: Zeroizing<[u8; DIGEST_LEN]>,
    auth: [u8; DIGEST_LEN],
}

/// What one side computed, with its verdict not yet acted on.
struct Outcome {
    /// A secret-dependent check failed.
    bad: Choice,
    /// KEYID named none of the relay's keys and the policy rejects that. Public (KEYID and
    /// the relay's public keys are), but decided only here, after all the work.
    unknown_key: Choice,
    derived: Derived,
}

impl Outcome {
    /// The one branch on the combined verdict.
    fn decide(self) -> Result<KeySeed, HandshakeError> {
        if ct::declassify(self.unknown_key) {
            return Err(HandshakeError::UnknownOnionKey);
        }
        if ct::declassify(self.bad) {
            return Err(HandshakeError::Failed);
        }
        Ok(KeySeed {
            key_seed: *self.derived.key_seed,
        })
    }
}

/// An HMAC-SHA256 instance keyed with `key` (at most one 64-byte block).
///
/// RFC 2104 zero-pads a key shorter than the block, so keying with the padded block is the
/// same HMAC; unlike `new_from_slice` it cannot fail. Every key here (the tweaks, `KEY_SEED`)
/// is shorter than a block.
fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    debug_assert!(key.len() <= 64);
    let mut block = Zeroizing::new([0u8; 64]);
    for (dst, src) in block.iter_mut().zip(key) {
        *dst = *src;
    }
    <Hmac<Sha256> as Mac>::new(GenericArray::from_slice(&*block))
}

/// `H(x, t) = HMAC-SHA256(key = t, msg = x)` (tor-spec 5.1.4), over `x` given in pieces.
fn tweaked_hash(tweak: &[u8], msg: &[&[u8]]) -> Zeroizing<[u8; DIGEST_LEN]> {
    let mut mac = hmac_sha256(tweak);
    for part in msg {
        mac.update(part);
    }
    let mut digest = mac.finalize().into_bytes();
    let out = Zeroizing::new(digest.into());
    digest.as_mut_slice().zeroize();
    out
}

/// HKDF-Expand from `KEY_SEED`, written as tor-spec 5.2.2 does:
/// `K_1 = H(m_expand | INT8(1), KEY_SEED)`, `K_(i+1) = H(K_i | m_expand | INT8(i+1), KEY_SEED)`.
/// `KEY_SEED = H(secret_input, t_key)` is exactly HKDF-Extract with salt `t_key`, so this is
/// [`kdf::hkdf_sha256`] with `salt = t_key`, `info = m_expand`, without keeping `secret_input`. The caller bounds `out` by
/// [`MAX_KEY_MATERIAL_LEN`]; blocks past 255 are never written.
fn hkdf_expand(key_seed: &[u8; DIGEST_LEN], out: &mut [u8]) {
    let keyed = hmac_sha256(key_seed);
    let mut block = Zeroizing::new([0u8; DIGEST_LEN]);
    for (i, chunk) in out.chunks_mut(DIGEST_LEN).enumerate() {
        let Ok(counter) = u8::try_from(i + 1) else {
            break;
        };
        let mut mac = keyed.clone();
        if i > 0 {
            mac.update(&*block);
        }
        mac.update(M_EXPAND);
        mac.update(&[counter]);
        let mut digest = mac.finalize().into_bytes();
        block.copy_from_slice(&digest);
        digest.as_mut_slice().zeroize();
        for (dst, src) in chunk.iter_mut().zip(block.iter()) {
            *dst = *src;
        }
    }
}

impl CircuitHandshake for Ntor {
    const HTYPE: HandshakeType = HandshakeType::NTOR;
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

/// Deterministic ntor entry points and the handshake's intermediate values, for known-answer
/// tests and reproducible research.
///
/// # Not for production
/// These functions take the ephemeral secrets `x` and `y` from the caller. Reusing an
/// ephemeral key, or choosing it predictably, breaks the handshake's forward secrecy and
/// more. They exist only with the `hazmat` feature; use [`ClientState::start`] and
/// [`relay_respond`] in real code.
#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub mod hazmat {
    use super::{
        ClientState, DIGEST_LEN, KEY_LEN, KeySeed, ONION_SKIN_LEN, REPLY_LEN, RelayKeys,
        RelayPublicKey, SECRET_INPUT_LEN,
    };
    use crate::HandshakeError;
    use crate::x25519::{Backend, x25519_base_and_pair_batch_with};
    use core::fmt;
    use rand_core::{CryptoRng, RngCore};
    use zeroize::{Zeroize, ZeroizeOnDrop};

    /// The junk secret key used for an unknown KEYID in [`relay_respond_with_y`]. The normal
    /// API draws a fresh one from the RNG instead.
    pub const JUNK_KEY: [u8; KEY_LEN] = [0x4a; KEY_LEN];

    /// The values tor-spec 5.1.4 names on the way to the keys. All secret; zeroized on drop.
    #[derive(Zeroize, ZeroizeOnDrop)]
    #[non_exhaustive]
    pub struct Intermediates {
        /// `secret_input` ([`SECRET_INPUT_LEN`] bytes).
        pub secret_input: [u8; SECRET_INPUT_LEN],
        /// `KEY_SEED = H(secret_input, t_key)`.
        pub key_seed: [u8; DIGEST_LEN],
        /// `verify = H(secret_input, t_verify)`.
        pub verify: [u8; DIGEST_LEN],
        /// `AUTH = H(auth_input, t_mac)` as this side computed it.
        pub auth: [u8; DIGEST_LEN],
    }

    impl Intermediates {
        pub(super) fn new(input: &super::SecretInput<'_>, derived: &super::Derived) -> Self {
            let mut secret_input = [0u8; SECRET_INPUT_LEN];
            for (dst, src) in secret_input
                .iter_mut()
                .zip(input.parts().into_iter().flatten())
            {
                *dst = *src;
            }
            Self {
                secret_input,
                key_seed: *derived.key_seed,
                verify: *derived.verify,
                auth: derived.auth,
            }
        }
    }

    impl fmt::Debug for Intermediates {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Intermediates").finish_non_exhaustive()
        }
    }

    /// [`ClientState::start`] with the ephemeral secret `x` given (clamped or not).
    #[must_use]
    pub fn client_start_with_x(
        x: &[u8; KEY_LEN],
        relay: &RelayPublicKey,
    ) -> (ClientState, [u8; ONION_SKIN_LEN]) {
        ClientState::start_with_secret(x, relay)
    }

    /// [`ClientState::finish`], also returning the intermediates.
    ///
    /// # Errors
    /// As [`ClientState::finish`].
    pub fn client_finish_with_intermediates(
        state: ClientState,
        reply: &[u8],
    ) -> Result<(KeySeed, Intermediates), HandshakeError> {
        let mut seen = None;
        let outcome = state.finish_inner(reply, |i, d| seen = Some(Intermediates::new(i, d)))?;
        let seed = outcome.decide()?;
        seen.map(|i| (seed, i)).ok_or(HandshakeError::Failed)
    }

    /// [`relay_respond`](super::relay_respond) with the ephemeral secret `y` given, and
    /// [`JUNK_KEY`] for an unknown KEYID; also returns the intermediates.
    ///
    /// # Errors
    /// As [`relay_respond`](super::relay_respond).
    pub fn relay_respond_with_y(
        y: &[u8; KEY_LEN],
        keys: &RelayKeys,
        onion_skin: &[u8],
    ) -> Result<(KeySeed, [u8; REPLY_LEN], Intermediates), HandshakeError> {
        let mut seen = None;
        let (outcome, reply) = super::relay_inner(
            &JUNK_KEY,
            keys,
            onion_skin,
            |b, client_pk| crate::x25519::x25519_base_and_pair(y, b, client_pk),
            |i, d| {
                seen = Some(Intermediates::new(i, d));
            },
        )?;
        let seed = outcome.decide()?;
        seen.map(|i| (seed, reply, i)).ok_or(HandshakeError::Failed)
    }

    /// [`relay_respond_batch`](super::relay_respond_batch) with its X25519 work on `backend`
    /// rather than the fastest one the CPU has: for measuring and testing one implementation
    /// of the ladders (say the AVX2 one on a CPU that also has AVX-512 IFMA). The results are
    /// the same on every backend.
    ///
    /// Returns the number of skins answered, or `None` if this CPU cannot run `backend`; then
    /// nothing is drawn from `rng` and `each` is never called.
    ///
    /// ```
    /// use onionskin::handshake::ntor::{self, hazmat, ClientState, RelayKeys, RelaySecretKey};
    /// use onionskin::x25519::Backend;
    /// use rand_core::OsRng;
    ///
    /// let keys = RelayKeys::new([7; 20], RelaySecretKey::generate(&mut OsRng));
    /// let (client, skin) = ClientState::start(&mut OsRng, &keys.public_key());
    /// let mut reply = None;
    /// let answered =
    ///     hazmat::relay_respond_batch_with(Backend::Portable, &mut OsRng, &keys, &[&skin], |_, r| {
    ///         reply = Some(r);
    ///     });
    /// assert_eq!(answered, Some(1));
    /// let (_, reply) = reply.expect("called")?;
    /// client.finish(&reply)?;
    /// # Ok::<(), onionskin::HandshakeError>(())
    /// ```
    ///
    /// # Errors
    /// Each skin's result carries the errors of [`relay_respond`](super::relay_respond).
    #[must_use = "None means the backend is unavailable and nothing was answered"]
    pub fn relay_respond_batch_with<R, F>(
        backend: Backend,
        rng: &mut R,
        keys: &RelayKeys,
        onion_skins: &[&[u8]],
        each: F,
    ) -> Option<usize>
    where
        R: RngCore + CryptoRng,
        F: FnMut(usize, Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError>),
    {
        if !backend.is_available() {
            return None;
        }
        super::batch::respond_batch_on(
            |inputs, out| x25519_base_and_pair_batch_with(backend, inputs, out).unwrap_or(0),
            rng,
            keys,
            onion_skins,
            each,
        );
        Some(onion_skins.len())
    }
}
