//! hs-ntor, the onion-service handshake: rend-spec-v3 3.3.2 [NTOR-WITH-EXTRA-DATA] (the
//! introduction), 4.2 `[JOIN_REND]` (the rendezvous) and 4.2.1 (key expansion).
//!
//! Unlike the circuit handshakes, hs-ntor runs across two circuits and four relay messages.
//! The client encrypts the second half of INTRODUCE1 to the service's introduction-point key
//! `B` (`KP_hss_ntor`), keyed also by the introduction point's auth key (`AUTH_KEY`,
//! `KP_hs_ipt_sid`) and the service's current subcredential; the introduction point passes it
//! on as INTRODUCE2. The service answers through the rendezvous point with RENDEZVOUS1's
//! `HANDSHAKE_INFO = Y | AUTH`, which reaches the client as RENDEZVOUS2. Both sides then hold
//! the same `NTOR_KEY_SEED`, expanded into the onion-service relay layer's keys
//! ([`HsCircuitKeys`]: SHA3-256 digest seeds and AES-256 keys).
//!
//! | spec | here |
//! |---|---|
//! | `B`, `AUTH_KEY`, `N_hs_subcred` (client) | [`ServicePublicKey`], [`Subcredential`] |
//! | `b`, `AUTH_KEY` (service) | [`ServiceKeys`], [`ServiceSecretKey`] |
//! | ENCRYPTED: `CLIENT_PK \| ENCRYPTED_DATA \| MAC` | [`Encrypted`], written by [`ClientState::start`] |
//! | HANDSHAKE_INFO: `SERVER_PK \| AUTH_INPUT_MAC` | [`HandshakeInfo`], written by [`service_respond`] |
//! | `NTOR_KEY_SEED`, `K = KDF(NTOR_KEY_SEED \| m_hsexpand)` | [`KeySeed`], [`HsCircuitKeys`] |
//!
//! The cells themselves are in [`codec::hs`](crate::codec::hs): the handshake takes the
//! INTRODUCE header (every byte before ENCRYPTED, which the MAC covers) and the ENCRYPTED
//! section as the codec splits them.
//!
//! # Order of checks on the service
//! A service holds one subcredential per time period it serves (usually two, more behind a
//! load balancer), and the cell does not say which one the client used. [`service_respond`]
//! tries **every** one: for each, it derives `ENC_KEY` and `MAC_KEY` and compares the MAC in
//! constant time, keeping the matching `ENC_KEY` by masks, so the work and the memory accesses
//! are the same whichever entry (if any) matched. The all-zero checks on `EXP(X,b)` and
//! `EXP(X,y)` join the MAC match in one [`subtle::Choice`], decided once. Only then is
//! ENCRYPTED_DATA decrypted into the caller's buffer: a forged or altered INTRODUCE2 is
//! never decrypted. The rendezvous hashes (`NTOR_KEY_SEED`, `verify`, `AUTH_INPUT_MAC`) run
//! before that decision, alongside the first subcredentials' hashes, so the time taken does
//! not depend on the verdict either.
//!
//! # Cost
//! The service runs the crate's paired X25519 path (`Y`, `EXP(X,y)` and `EXP(X,b)` with one
//! shared inversion) and, per subcredential, a three-block SHAKE-256 and a MAC over the cell
//! (up to four blocks); the rendezvous hashes take nine more permutations. With AVX2 they run
//! four at a time through the crate's four-lane Keccak.
//!
//! A service with several INTRODUCE2 cells waiting answers them with
//! [`service_respond_batch`]: the X25519 work of up to eight cells runs together (their
//! ladders side by side in vector lanes with AVX-512 IFMA), and each cell gets exactly what
//! [`service_respond`] would give it.
//!
//! # Example
//! ```
//! use onionskin::codec::hs::{Introduce1, Introduce2};
//! use onionskin::codec::extension::ExtensionList;
//! use onionskin::codec::RelayMsgBody;
//! use onionskin::handshake::hs_ntor::{self, ServiceKeys, ServiceSecretKey, Subcredential};
//!
//! let mut rng = rand_core::OsRng;
//! let subcredential = Subcredential::new([4; 32]);
//! let service = ServiceKeys::new([7; 32], ServiceSecretKey::generate(&mut rng));
//!
//! // Client: INTRODUCE1's header, then its encrypted part.
//! let mut cell = [0u8; 498];
//! let header_len = Introduce1::encode_header(&[7; 32], ExtensionList::EMPTY, &mut cell)?;
//! let (header, rest) = cell.split_at_mut(header_len);
//! let plaintext = [1u8; 200]; // an IntroducePlaintext, in practice
//! let (state, n) = hs_ntor::ClientState::start_into(
//!     &mut rng,
//!     &service.public_key(subcredential.clone()),
//!     header,
//!     &plaintext,
//!     rest,
//! )?;
//! let body = &cell[..header_len + n];
//!
//! // Service: tries its subcredentials, decrypts only an authentic cell.
//! let intro2 = Introduce2::decode(body)?;
//! let mut decrypted = [0u8; 498];
//! let accepted = hs_ntor::service_respond(
//!     &mut rng,
//!     &service,
//!     &[Subcredential::new([3; 32]), subcredential],
//!     intro2.header(),
//!     intro2.encrypted(),
//!     &mut decrypted,
//! )?;
//! assert_eq!(accepted.subcredential_index, 1);
//! assert_eq!(&decrypted[..accepted.plaintext_len], &plaintext[..]);
//!
//! // Client: RENDEZVOUS2 carries the service's HANDSHAKE_INFO.
//! let client_keys = state.finish(accepted.handshake_info.as_bytes())?;
//! assert_eq!(client_keys.relay_keys(), accepted.key_seed.relay_keys());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::HandshakeError;
use crate::ct::{Wiped, bytes_eq, conditional_copy, declassify, is_zero};
use crate::handshake::NtorOnionKey;
use crate::keccak::{Chain, Domain, Job, run_chains};
use crate::keys::{HS_CIRCUIT_KEY_MATERIAL_LEN, HsCircuitKeys};
use core::fmt;
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable};
use zeroize::{Zeroize, ZeroizeOnDrop};

mod batch;
mod primitives;

pub use batch::{Introduction, service_respond_batch};

#[cfg(feature = "hazmat")]
#[cfg_attr(docsrs, doc(cfg(feature = "hazmat")))]
pub mod hazmat;
#[cfg(not(feature = "hazmat"))]
mod hazmat;

use hazmat::Intermediates;
use primitives::{IntroInputs, RendInputs, Secret32};

/// Length of an X25519 public key (`B`, `X`, `Y`) and of the Ed25519 `AUTH_KEY`.
pub const PUB_KEY_LEN: usize = 32;
/// Length of the INTRODUCE1 MAC and of `AUTH_INPUT_MAC` (SHA3-256).
pub const MAC_LEN: usize = 32;
/// Length of a subcredential `N_hs_subcred` (rend-spec-v3 2.1).
pub const SUBCREDENTIAL_LEN: usize = 32;
/// Bytes of ENCRYPTED besides the ciphertext: `CLIENT_PK` and `MAC`.
pub const ENCRYPTED_OVERHEAD: usize = PUB_KEY_LEN + MAC_LEN;
/// Length of HANDSHAKE_INFO in RENDEZVOUS1 and RENDEZVOUS2: `SERVER_PK | AUTH_INPUT_MAC`.
pub const HANDSHAKE_INFO_LEN: usize = PUB_KEY_LEN + MAC_LEN;
/// The longest INTRODUCE1/INTRODUCE2 body, header and ENCRYPTED together: a relay message
/// body (tor-spec 6.1, `RELAY_PAYLOAD_SIZE`).
pub const MAX_INTRODUCE_BODY_LEN: usize = crate::codec::RELAY_PAYLOAD_LEN;
/// The longest ENCRYPTED section, which an empty header would leave room for.
pub const MAX_ENCRYPTED_LEN: usize = MAX_INTRODUCE_BODY_LEN;

/// A subcredential `N_hs_subcred = H("subcredential" | N_hs_cred | blinded-public-key)`
/// (rend-spec-v3 2.1): ties the introduction to one time period of one onion service.
///
/// Anyone who knows the onion address can compute it, but it is never sent and C tor wipes it
/// after use; so does this type. Never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Subcredential([u8; SUBCREDENTIAL_LEN]);

impl Subcredential {
    /// A subcredential from its 32 bytes.
    #[must_use]
    pub const fn new(bytes: [u8; SUBCREDENTIAL_LEN]) -> Self {
        Self(bytes)
    }

    /// Its bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; SUBCREDENTIAL_LEN] {
        &self.0
    }
}

impl fmt::Debug for Subcredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subcredential").finish_non_exhaustive()
    }
}

/// What a client knows about one introduction point of a service, from the service's
/// descriptor (rend-spec-v3 2.5.2), and the subcredential of the time period.
#[derive(Clone)]
pub struct ServicePublicKey {
    /// `B` = `KP_hss_ntor`: the service's X25519 key for this introduction point (the
    /// descriptor's `enc-key ntor`).
    pub enc_key: [u8; PUB_KEY_LEN],
    /// `AUTH_KEY` = `KP_hs_ipt_sid`: the introduction point's Ed25519 auth key (the
    /// descriptor's `auth-key`), also sent in INTRODUCE1's header.
    pub auth_key: [u8; PUB_KEY_LEN],
    /// `N_hs_subcred` for the time period of the descriptor.
    pub subcredential: Subcredential,
}

impl fmt::Debug for ServicePublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServicePublicKey")
            .field("enc_key", &self.enc_key)
            .field("auth_key", &self.auth_key)
            .finish_non_exhaustive()
    }
}

/// The service's X25519 key pair for one introduction point (`KS_hss_ntor`, `KP_hss_ntor`;
/// the descriptor's `enc-key ntor`): a Curve25519 key like a relay's ntor onion key, so the
/// same type, [`NtorOnionKey`] (`Clone`, wiped on drop, `Debug` shows the public key only).
pub type ServiceSecretKey = NtorOnionKey;

/// What the service holds for one introduction point: that point's `AUTH_KEY` and the
/// service's encryption key `b` for it. The subcredentials are per time period and passed to
/// [`service_respond`] separately.
#[derive(Debug)]
pub struct ServiceKeys {
    auth_key: [u8; PUB_KEY_LEN],
    enc_key: ServiceSecretKey,
}

impl ServiceKeys {
    /// Keys for the introduction point whose auth key is `auth_key`.
    #[must_use]
    pub fn new(auth_key: [u8; PUB_KEY_LEN], enc_key: ServiceSecretKey) -> Self {
        Self { auth_key, enc_key }
    }

    /// `AUTH_KEY`.
    #[must_use]
    pub fn auth_key(&self) -> &[u8; PUB_KEY_LEN] {
        &self.auth_key
    }

    /// What a client needs to introduce itself through this point during the time period
    /// of `subcredential`.
    #[must_use]
    pub fn public_key(&self, subcredential: Subcredential) -> ServicePublicKey {
        ServicePublicKey {
            enc_key: *self.enc_key.public_key(),
            auth_key: self.auth_key,
            subcredential,
        }
    }
}

/// The ENCRYPTED section of INTRODUCE1 (`CLIENT_PK | ENCRYPTED_DATA | MAC`), held inline.
/// Public data.
#[derive(Clone, PartialEq, Eq)]
pub struct Encrypted {
    bytes: [u8; MAX_ENCRYPTED_LEN],
    len: usize,
}

impl Encrypted {
    /// The section's bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// Its length: [`ENCRYPTED_OVERHEAD`] plus the plaintext's.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty (never, once written).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl AsRef<[u8]> for Encrypted {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Encrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Encrypted").field(&self.as_bytes()).finish()
    }
}

/// RENDEZVOUS1's and RENDEZVOUS2's HANDSHAKE_INFO: `SERVER_PK (Y) | AUTH_INPUT_MAC`.
/// Public data.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HandshakeInfo([u8; HANDSHAKE_INFO_LEN]);

impl HandshakeInfo {
    /// Its 64 bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; HANDSHAKE_INFO_LEN] {
        &self.0
    }
}

impl AsRef<[u8]> for HandshakeInfo {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for HandshakeInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HandshakeInfo").field(&self.0).finish()
    }
}

/// The client's handshake in flight, between INTRODUCE1 and RENDEZVOUS2. Not `Clone`,
/// consumed by [`finish`](Self::finish), wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ClientState {
    x: [u8; 32],
    client_pk: [u8; PUB_KEY_LEN],
    bx: [u8; 32],
    auth_key: [u8; PUB_KEY_LEN],
    enc_key: [u8; PUB_KEY_LEN],
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState").finish_non_exhaustive()
    }
}

impl ClientState {
    /// Starts an introduction to `service`: encrypts `plaintext` (the INTRODUCE1 plaintext of
    /// rend-spec-v3 3.3, PAD included; see [`IntroducePlaintext`](crate::codec::hs::IntroducePlaintext))
    /// and MACs it together with `header`, the exact bytes of INTRODUCE1 before ENCRYPTED.
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] if `header`, [`ENCRYPTED_OVERHEAD`] and `plaintext` do
    /// not fit [`MAX_INTRODUCE_BODY_LEN`]; [`HandshakeError::Failed`] if `B` is a low-order
    /// point (`EXP(B,x)` all zero).
    pub fn start<R: RngCore + CryptoRng>(
        rng: &mut R,
        service: &ServicePublicKey,
        header: &[u8],
        plaintext: &[u8],
    ) -> Result<(Self, Encrypted), HandshakeError> {
        let mut enc = Encrypted {
            bytes: [0; MAX_ENCRYPTED_LEN],
            len: 0,
        };
        let (state, len) = Self::start_into(rng, service, header, plaintext, &mut enc.bytes)?;
        enc.len = len;
        Ok((state, enc))
    }

    /// Like [`start`](Self::start), but writes ENCRYPTED into `encrypted_out` (typically the
    /// rest of the INTRODUCE1 body after the header) and returns its length.
    ///
    /// # Errors
    /// As [`start`](Self::start), and [`HandshakeError::BufferTooSmall`] if ENCRYPTED does not
    /// fit `encrypted_out`.
    pub fn start_into<R: RngCore + CryptoRng>(
        rng: &mut R,
        service: &ServicePublicKey,
        header: &[u8],
        plaintext: &[u8],
        encrypted_out: &mut [u8],
    ) -> Result<(Self, usize), HandshakeError> {
        let mut x = Wiped::new([0u8; 32]);
        rng.fill_bytes(&mut *x);
        start_core(
            &x,
            service,
            header,
            plaintext,
            encrypted_out,
            &mut Intermediates::default(),
        )
    }

    /// Checks the service's `handshake_info` (from RENDEZVOUS2) and returns the key seed.
    ///
    /// # Errors
    /// [`HandshakeError::Malformed`] unless `handshake_info` is [`HANDSHAKE_INFO_LEN`] bytes;
    /// [`HandshakeError::Failed`] if `AUTH_INPUT_MAC` does not verify or `EXP(Y,x)` is all
    /// zero (not distinguished).
    pub fn finish(self, handshake_info: &[u8]) -> Result<KeySeed, HandshakeError> {
        finish_core(&self, handshake_info, &mut Intermediates::default())
    }
}

/// The deterministic client start: `x` is the ephemeral secret.
fn start_core(
    x: &[u8; 32],
    service: &ServicePublicKey,
    header: &[u8],
    plaintext: &[u8],
    encrypted_out: &mut [u8],
    trace: &mut Intermediates,
) -> Result<(ClientState, usize), HandshakeError> {
    let len = ENCRYPTED_OVERHEAD + plaintext.len();
    if header.len().saturating_add(len) > MAX_INTRODUCE_BODY_LEN {
        return Err(HandshakeError::Malformed);
    }
    let out = encrypted_out
        .get_mut(..len)
        .ok_or(HandshakeError::BufferTooSmall)?;
    let (x_out, rest) = out
        .split_first_chunk_mut::<PUB_KEY_LEN>()
        .ok_or(HandshakeError::BufferTooSmall)?;
    let (ct_out, mac_out) = rest
        .split_last_chunk_mut::<MAC_LEN>()
        .ok_or(HandshakeError::BufferTooSmall)?;

    let client_pk = primitives::public_key(x);
    let bx = primitives::dh(x, &service.enc_key);
    // B is public (it is in the descriptor): refusing a low-order key at once leaks nothing.
    if declassify(is_zero(&*bx)) {
        return Err(HandshakeError::Failed);
    }
    let intro = IntroInputs {
        auth_key: &service.auth_key,
        client_pk: &client_pk,
        service_pk: &service.enc_key,
    };
    let mut job = Job::new(Domain::Shake);
    primitives::intro_kdf(&mut job, &bx, &intro, service.subcredential.as_bytes());
    let (enc_key, mac_key) = primitives::intro_keys(job.run());

    *x_out = client_pk;
    // `ct_out` is exactly `plaintext.len()` long by the slicing above.
    ct_out.copy_from_slice(plaintext);
    primitives::aes256_ctr(&enc_key, ct_out);
    primitives::intro_mac(&mut job, &mac_key, header, &client_pk, ct_out);
    // The MAC is sent in the clear.
    let mac = job.run().digest();
    *mac_out = mac;

    trace.enc_key = *enc_key;
    trace.mac_key = *mac_key;
    trace.mac = mac;
    let state = ClientState {
        x: *x,
        client_pk,
        bx: *bx,
        auth_key: service.auth_key,
        enc_key: service.enc_key,
    };
    Ok((state, len))
}

/// The rendezvous hashes, shared by both sides: `NTOR_KEY_SEED` then the key expansion, and
/// `verify` then `AUTH_INPUT_MAC`, as two [`Chain`]s.
fn then_expand(seed: &Job, kdf: &mut Job) {
    primitives::expand(kdf, &primitives::digest(seed));
}

/// What the two rendezvous chains leave: the key stream, and (for the trace) their digests.
struct RendOut {
    stream: primitives::KdfStream,
    key_seed: Secret32,
    verify: Secret32,
    auth: [u8; MAC_LEN],
}

fn rend_out(seed_chain: &mut Chain<'_>, verify_chain: &mut Chain<'_>) -> RendOut {
    RendOut {
        stream: seed_chain.second_mut().output(),
        key_seed: primitives::digest(seed_chain.first()),
        verify: primitives::digest(verify_chain.first()),
        auth: verify_chain.second_mut().digest(),
    }
}

/// The client's second half, recording intermediates into `trace` on success.
fn finish_core(
    state: &ClientState,
    handshake_info: &[u8],
    trace: &mut Intermediates,
) -> Result<KeySeed, HandshakeError> {
    let handshake_info: &[u8; HANDSHAKE_INFO_LEN] = handshake_info
        .try_into()
        .map_err(|_| HandshakeError::Malformed)?;
    let (service_eph, auth) = handshake_info.split_at(PUB_KEY_LEN);
    let service_eph: &[u8; PUB_KEY_LEN] = service_eph
        .try_into()
        .map_err(|_| HandshakeError::Malformed)?;

    let yx = primitives::dh(&state.x, service_eph);
    let mut ok = !is_zero(&*yx);
    let r = RendInputs {
        xy: &yx,
        xb: &state.bx,
        auth_key: &state.auth_key,
        service_pk: &state.enc_key,
        client_pk: &state.client_pk,
        ephemeral_pk: service_eph,
    };
    let then_auth =
        |v: &Job, a: &mut Job| primitives::auth_input_mac(a, &primitives::digest(v), &r);
    let mut chains = [Chain::new(&then_expand), Chain::new(&then_auth)];
    let [seed_chain, verify_chain] = &mut chains;
    primitives::key_seed_and_verify(seed_chain.first_mut(), verify_chain.first_mut(), &r);
    run_chains(&mut chains);
    let [seed_chain, verify_chain] = &mut chains;
    let out = rend_out(seed_chain, verify_chain);
    // AUTH_INPUT_MAC is public (it is in the cell); compared, not branched on.
    ok &= bytes_eq(&out.auth, auth);
    // The one decision (rend-spec-v3 4.2: the client checks AUTH before using the keys).
    if !declassify(ok) {
        return Err(HandshakeError::Failed);
    }
    trace.ntor_key_seed = *out.key_seed;
    trace.verify = *out.verify;
    trace.auth_input_mac = out.auth;
    Ok(KeySeed { stream: out.stream })
}

/// What [`service_respond`] returns for an authentic INTRODUCE2.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServiceHandshake {
    /// The key seed for the onion-service relay layer on the rendezvous circuit.
    pub key_seed: KeySeed,
    /// RENDEZVOUS1's HANDSHAKE_INFO, to send with the plaintext's rendezvous cookie.
    pub handshake_info: HandshakeInfo,
    /// How many bytes of the caller's buffer hold the decrypted plaintext.
    pub plaintext_len: usize,
    /// Which of the subcredentials the client used (known only once the cell is accepted).
    pub subcredential_index: usize,
}

/// Service side: checks and decrypts an INTRODUCE2 and makes RENDEZVOUS1's HANDSHAKE_INFO.
///
/// `header` is every byte of INTRODUCE2 before ENCRYPTED, and `encrypted` the ENCRYPTED
/// section (see [`Introduce2`](crate::codec::hs::Introduce2)). Every entry of
/// `subcredentials` is tried, in constant time (see the
/// [module docs](self#order-of-checks-on-the-service)); the plaintext is written to
/// `plaintext_out` only once the MAC has verified.
///
/// # Errors
/// [`HandshakeError::Malformed`] if `encrypted` is shorter than [`ENCRYPTED_OVERHEAD`] or the
/// cell is longer than [`MAX_INTRODUCE_BODY_LEN`] (public, checked first);
/// [`HandshakeError::BufferTooSmall`] if the plaintext would not fit `plaintext_out` (also
/// public); [`HandshakeError::Failed`] if the MAC matches under no subcredential (or
/// `subcredentials` is empty), or `X` is a low-order point (one combined decision).
pub fn service_respond<R: RngCore + CryptoRng>(
    rng: &mut R,
    keys: &ServiceKeys,
    subcredentials: &[Subcredential],
    header: &[u8],
    encrypted: &[u8],
    plaintext_out: &mut [u8],
) -> Result<ServiceHandshake, HandshakeError> {
    respond_core(
        |b, client_pk| {
            let mut y = Wiped::new([0u8; 32]);
            rng.fill_bytes(&mut *y);
            primitives::service_dh(&y, b, client_pk)
        },
        keys,
        subcredentials,
        header,
        encrypted,
        plaintext_out,
        &mut Intermediates::default(),
    )
}

/// The running result of the subcredential loop: the `ENC_KEY` of the entry that matched,
/// its index and whether any did, all updated by masks.
struct IntroMatch {
    enc_key: Secret32,
    mac: [u8; MAC_LEN],
    index: u64,
    found: Choice,
}

impl IntroMatch {
    /// Folds in the finished chain of subcredential `index` (KDF, then MAC).
    fn check(&mut self, chain: &mut Chain<'_>, index: usize, mac: &[u8; MAC_LEN]) {
        let (enc_key, _) = primitives::intro_keys(chain.first());
        let expected = chain.second_mut().digest();
        let hit = bytes_eq(&expected, mac);
        conditional_copy(&mut *self.enc_key, &*enc_key, hit);
        conditional_copy(&mut self.mac, &expected, hit);
        // usize is at most 64 bits on every supported target.
        self.index.conditional_assign(&(index as u64), hit);
        self.found |= hit;
    }
}

/// Runs the subcredentials of `group` (at most four) side by side.
fn try_group<const N: usize>(
    group: &[Subcredential],
    first_index: usize,
    bx: &[u8; 32],
    intro: &IntroInputs<'_>,
    then_mac: &dyn Fn(&Job, &mut Job),
    mac: &[u8; MAC_LEN],
    m: &mut IntroMatch,
) {
    let mut chains: [Chain<'_>; N] = core::array::from_fn(|_| Chain::new(then_mac));
    for (chain, s) in chains.iter_mut().zip(group) {
        primitives::intro_kdf(chain.first_mut(), bx, intro, s.as_bytes());
    }
    run_chains(&mut chains);
    for (i, chain) in chains.iter_mut().enumerate() {
        m.check(chain, first_index + i, mac);
    }
}

/// ENCRYPTED split: `CLIENT_PK`, `ENCRYPTED_DATA`, `MAC`.
type EncryptedParts<'e> = (&'e [u8; PUB_KEY_LEN], &'e [u8], &'e [u8; MAC_LEN]);

/// `CLIENT_PK | ENCRYPTED_DATA | MAC` of an INTRODUCE2 whose lengths are acceptable, or the
/// early, public error ([`HandshakeError::Malformed`]).
fn split_encrypted<'e>(
    header: &[u8],
    encrypted: &'e [u8],
) -> Result<EncryptedParts<'e>, HandshakeError> {
    // Lengths are public: failing early on them reveals nothing.
    if header.len().saturating_add(encrypted.len()) > MAX_INTRODUCE_BODY_LEN {
        return Err(HandshakeError::Malformed);
    }
    let (client_pk, rest) = encrypted
        .split_first_chunk::<PUB_KEY_LEN>()
        .ok_or(HandshakeError::Malformed)?;
    let (ciphertext, mac) = rest
        .split_last_chunk::<MAC_LEN>()
        .ok_or(HandshakeError::Malformed)?;
    Ok((client_pk, ciphertext, mac))
}

/// The service's handshake. `dh` does the X25519 work, `(Y, EXP(X,y), EXP(X,b))` from `b`
/// and the client's `X` (drawing `y`, or handing out the results of a batch); it is called
/// for every cell of an acceptable length, so that failures cost what successes do.
#[allow(clippy::too_many_lines)] // one straight line of the spec's steps
fn respond_core(
    dh: impl FnOnce(&[u8; 32], &[u8; PUB_KEY_LEN]) -> ([u8; 32], Secret32, Secret32),
    keys: &ServiceKeys,
    subcredentials: &[Subcredential],
    header: &[u8],
    encrypted: &[u8],
    plaintext_out: &mut [u8],
    trace: &mut Intermediates,
) -> Result<ServiceHandshake, HandshakeError> {
    let (client_pk, ciphertext, mac) = split_encrypted(header, encrypted)?;
    let plaintext_out = plaintext_out
        .get_mut(..ciphertext.len())
        .ok_or(HandshakeError::BufferTooSmall)?;

    // Y, EXP(X,y) and EXP(X,b) together: two ladders over X side by side, one inversion.
    let (service_eph, xy, xb) = dh(keys.enc_key.secret_bytes(), client_pk);
    let mut ok = !is_zero(&*xb) & !is_zero(&*xy);

    let intro = IntroInputs {
        auth_key: &keys.auth_key,
        client_pk,
        service_pk: keys.enc_key.public_key(),
    };
    let r = RendInputs {
        xy: &xy,
        xb: &xb,
        auth_key: &keys.auth_key,
        service_pk: keys.enc_key.public_key(),
        client_pk,
        ephemeral_pk: &service_eph,
    };
    let then_mac = |kdf: &Job, mac_job: &mut Job| {
        let (_, mac_key) = primitives::intro_keys(kdf);
        primitives::intro_mac(mac_job, &mac_key, header, client_pk, ciphertext);
    };
    let then_auth =
        |v: &Job, a: &mut Job| primitives::auth_input_mac(a, &primitives::digest(v), &r);
    let mut m = IntroMatch {
        enc_key: Wiped::new([0; 32]),
        mac: [0; MAC_LEN],
        index: 0,
        found: Choice::from(0),
    };

    // Keccak lanes, four hashes' permutations at a time: a subcredential is a six-permutation
    // chain (KDF, then MAC), `NTOR_KEY_SEED` then the expansion four, `verify` then
    // `AUTH_INPUT_MAC` five. Full groups of four subcredentials go first; the rest share a run
    // with the rendezvous chains (three left over: `verify` joins them and `NTOR_KEY_SEED` runs
    // after). Which runs with which depends only on how many subcredentials there are.
    if subcredentials.is_empty() {
        // Nothing can match. Public (the caller's own configuration).
        return Err(HandshakeError::Failed);
    }
    let (full, rest) = subcredentials.split_at(subcredentials.len() - subcredentials.len() % 4);
    for (g, group) in full.chunks_exact(4).enumerate() {
        try_group::<4>(group, 4 * g, &xb, &intro, &then_mac, mac, &mut m);
    }
    let at = full.len();
    // Chains are filled and read where they stand: each holds two kilobyte jobs of secrets,
    // which a move would copy and leave behind unwiped.
    let fill = |c: &mut Chain<'_>, s: &Subcredential| {
        primitives::intro_kdf(c.first_mut(), &xb, &intro, s.as_bytes());
    };
    let rend_chains = |seed: &mut Chain<'_>, verify: &mut Chain<'_>| {
        primitives::key_seed_and_verify(seed.first_mut(), verify.first_mut(), &r);
    };
    let rend = match rest {
        [] => {
            let mut chains = [Chain::new(&then_expand), Chain::new(&then_auth)];
            let [seed, verify] = &mut chains;
            rend_chains(seed, verify);
            run_chains(&mut chains);
            let [seed, verify] = &mut chains;
            rend_out(seed, verify)
        }
        [s0] => {
            let mut chains = [
                Chain::new(&then_mac),
                Chain::new(&then_expand),
                Chain::new(&then_auth),
            ];
            let [c0, seed, verify] = &mut chains;
            fill(c0, s0);
            rend_chains(seed, verify);
            run_chains(&mut chains);
            let [c0, seed, verify] = &mut chains;
            m.check(c0, at, mac);
            rend_out(seed, verify)
        }
        [s0, s1] => {
            let mut chains = [
                Chain::new(&then_mac),
                Chain::new(&then_mac),
                Chain::new(&then_expand),
                Chain::new(&then_auth),
            ];
            let [c0, c1, seed, verify] = &mut chains;
            fill(c0, s0);
            fill(c1, s1);
            rend_chains(seed, verify);
            run_chains(&mut chains);
            let [c0, c1, seed, verify] = &mut chains;
            m.check(c0, at, mac);
            m.check(c1, at + 1, mac);
            rend_out(seed, verify)
        }
        [s0, s1, s2] => {
            let mut chains = [
                Chain::new(&then_mac),
                Chain::new(&then_mac),
                Chain::new(&then_mac),
                Chain::new(&then_auth),
            ];
            let mut last = [Chain::new(&then_expand)];
            let [c0, c1, c2, verify] = &mut chains;
            let [seed] = &mut last;
            fill(c0, s0);
            fill(c1, s1);
            fill(c2, s2);
            rend_chains(seed, verify);
            run_chains(&mut chains);
            run_chains(&mut last);
            let [c0, c1, c2, verify] = &mut chains;
            let [seed] = &mut last;
            m.check(c0, at, mac);
            m.check(c1, at + 1, mac);
            m.check(c2, at + 2, mac);
            rend_out(seed, verify)
        }
        // `rest` has fewer than four entries.
        _ => return Err(HandshakeError::Failed),
    };
    ok &= m.found;

    // The one decision. Nothing has been decrypted yet.
    if !declassify(ok) {
        return Err(HandshakeError::Failed);
    }
    plaintext_out.copy_from_slice(ciphertext);
    primitives::aes256_ctr(&m.enc_key, plaintext_out);
    let mut handshake_info = [0u8; HANDSHAKE_INFO_LEN];
    let (y_out, auth_out) = handshake_info.split_at_mut(PUB_KEY_LEN);
    y_out.copy_from_slice(&service_eph);
    auth_out.copy_from_slice(&rend.auth);

    trace.enc_key = *m.enc_key;
    trace.mac = m.mac;
    trace.ntor_key_seed = *rend.key_seed;
    trace.verify = *rend.verify;
    trace.auth_input_mac = rend.auth;
    // The index is below `subcredentials.len()`, so it fits a usize.
    #[allow(clippy::cast_possible_truncation)]
    let subcredential_index = m.index as usize;
    Ok(ServiceHandshake {
        key_seed: KeySeed {
            stream: rend.stream,
        },
        handshake_info: HandshakeInfo(handshake_info),
        plaintext_len: ciphertext.len(),
        subcredential_index,
    })
}

/// The shared secret hs-ntor ends with (`NTOR_KEY_SEED`), holding its expansion
/// `K = KDF(NTOR_KEY_SEED | m_hsexpand)` (rend-spec-v3 4.2.1).
///
/// Consumed by use, wiped on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct KeySeed {
    stream: primitives::KdfStream,
}

impl KeySeed {
    /// Fills `out` with the start of `K` (any length: SHAKE-256 is an XOF).
    pub fn expand_into(mut self, out: &mut [u8]) {
        self.stream.read(out);
    }

    /// The first 128 bytes of `K` as the onion-service relay layer's keys
    /// `Df | Db | Kf | Kb` (32 bytes each; rend-spec-v3 4.2.1). The client uses them as an
    /// ordinary last hop; the service the other way round (see [`HsCircuitKeys`]).
    #[must_use]
    pub fn relay_keys(mut self) -> HsCircuitKeys {
        let mut material = Wiped::new([0u8; HS_CIRCUIT_KEY_MATERIAL_LEN]);
        self.stream.read(&mut *material);
        HsCircuitKeys::from_material(&material)
    }
}

impl fmt::Debug for KeySeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySeed").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(0x45)
    }

    fn subs(n: u8) -> std::vec::Vec<Subcredential> {
        (0..n).map(|i| Subcredential::new([i; 32])).collect()
    }

    /// Every position of the client's subcredential among 1 to 9 held by the service (both
    /// arms of the first group and every size of the later ones) is found.
    #[test]
    fn every_position_of_the_subcredential_is_found() {
        let mut rng = rng();
        let keys = ServiceKeys::new([9; 32], ServiceSecretKey::generate(&mut rng));
        let header = [0u8; 20];
        for n in 1..=9u8 {
            let held = subs(n);
            for want in 0..n {
                let pk = keys.public_key(Subcredential::new([want; 32]));
                let (state, enc) = ClientState::start(&mut rng, &pk, &header, b"hello").unwrap();
                let mut pt = [0u8; 16];
                let s = service_respond(&mut rng, &keys, &held, &header, enc.as_bytes(), &mut pt)
                    .unwrap();
                assert_eq!(s.subcredential_index, usize::from(want), "n {n}");
                assert_eq!(&pt[..s.plaintext_len], b"hello");
                let ck = state.finish(s.handshake_info.as_bytes()).unwrap();
                assert_eq!(ck.relay_keys(), s.key_seed.relay_keys());
            }
            // A subcredential the service does not hold.
            let pk = keys.public_key(Subcredential::new([200; 32]));
            let (_, enc) = ClientState::start(&mut rng, &pk, &header, b"x").unwrap();
            let mut pt = [0xeeu8; 16];
            assert_eq!(
                service_respond(&mut rng, &keys, &held, &header, enc.as_bytes(), &mut pt).err(),
                Some(HandshakeError::Failed)
            );
            assert_eq!(pt, [0xee; 16], "nothing written on failure");
        }
    }

    #[test]
    fn lengths_are_public_errors() {
        let mut rng = rng();
        let keys = ServiceKeys::new([9; 32], ServiceSecretKey::generate(&mut rng));
        let pk = keys.public_key(Subcredential::new([1; 32]));
        let header = [0u8; 100];
        let room = MAX_INTRODUCE_BODY_LEN - 100 - ENCRYPTED_OVERHEAD;
        let big = [0u8; MAX_INTRODUCE_BODY_LEN];
        assert!(ClientState::start(&mut rng, &pk, &header, &big[..room]).is_ok());
        assert_eq!(
            ClientState::start(&mut rng, &pk, &header, &big[..=room]).err(),
            Some(HandshakeError::Malformed)
        );
        let mut small = [0u8; 70];
        assert_eq!(
            ClientState::start_into(&mut rng, &pk, &header, b"1234567", &mut small).err(),
            Some(HandshakeError::BufferTooSmall)
        );
        let held = subs(1);
        let mut pt = [0u8; MAX_INTRODUCE_BODY_LEN];
        for len in [0, 63] {
            assert_eq!(
                service_respond(&mut rng, &keys, &held, &header, &big[..len], &mut pt).err(),
                Some(HandshakeError::Malformed)
            );
        }
        assert_eq!(
            service_respond(&mut rng, &keys, &held, &header, &big[..=398], &mut pt).err(),
            Some(HandshakeError::Malformed)
        );
        assert_eq!(
            service_respond(&mut rng, &keys, &held, &header, &big[..80], &mut pt[..15]).err(),
            Some(HandshakeError::BufferTooSmall)
        );
        assert_eq!(
            service_respond(&mut rng, &keys, &[], &header, &big[..80], &mut pt).err(),
            Some(HandshakeError::Failed)
        );
        let (state, _) = ClientState::start(&mut rng, &pk, &header, b"").unwrap();
        assert_eq!(
            state.finish(&[0u8; 63]).err(),
            Some(HandshakeError::Malformed)
        );
    }

    #[test]
    fn low_order_enc_key_refused_by_client() {
        let mut rng = rng();
        let pk = ServicePublicKey {
            enc_key: [0; 32],
            auth_key: [1; 32],
            subcredential: Subcredential::new([2; 32]),
        };
        assert_eq!(
            ClientState::start(&mut rng, &pk, &[], b"").err(),
            Some(HandshakeError::Failed)
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let mut rng = rng();
        let key = ServiceSecretKey::from_bytes(&[0xab; 32]);
        assert!(!std::format!("{key:?}").contains("171, 171"));
        let s = Subcredential::new([0xab; 32]);
        assert_eq!(std::format!("{s:?}"), "Subcredential { .. }");
        let keys = ServiceKeys::new([1; 32], key);
        let (state, _) = ClientState::start(&mut rng, &keys.public_key(s), &[], b"").unwrap();
        assert_eq!(std::format!("{state:?}"), "ClientState { .. }");
    }
}
