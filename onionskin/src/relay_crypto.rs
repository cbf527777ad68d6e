//! Relay-cell cryptography: the tor1 layers a circuit's handshakes key (tor-spec 6.1, "Relay
//! cells" and "Routing relay cells"; C tor `relay_crypto.c`), and the same layer with
//! SHA3-256 and AES-256 that an onion-service circuit adds on top (rend-spec-v3 5.2).
//!
//! Every hop of a circuit shares four keys with the client (`Df`, `Db`, `Kf`, `Kb`: the
//! [`CircuitKeys`] its handshake made) and keeps, for each direction, one AES-CTR stream (IV
//! 0) and one running digest seeded with `Df` or `Db`:
//!
//! * **Forward** (client to hop *n*): the client sets the 4-byte `Digest` field of the relay
//!   header from hop *n*'s forward running digest, which absorbs the whole 509-byte payload
//!   with that field zeroed; then it encrypts with the AES streams of hops *n*, *n*−1, …, 1.
//!   Each hop removes one layer; hop *n* finds `Recognized` = 0 and a matching digest.
//! * **Backward** (hop *n* to client): hop *n* sets the digest from its backward running
//!   digest and encrypts; every hop on the way adds its layer; the client removes layers 1, 2,
//!   … and recognises the cell at layer *n*.
//!
//! The AES streams advance with every cell that passes a hop (each cell takes the next 509
//! bytes of keystream, so cells start mid-block); the running digests advance only with the
//! cells a hop originates or recognises, and a cell whose digest does not match leaves the
//! digest as it was (C tor `relay_digest_matches`). The comparison is constant-time; so is
//! AES (the `aes` crate: AES-NI or a bitsliced fallback).
//!
//! Everything happens in place on the 509-byte payload: no allocation, and every key and
//! running state is zeroized on drop and never printed.
//!
//! # A one-hop circuit
//!
//! ```
//! use onionskin::CircuitKeys;
//! use onionskin::codec::{PAYLOAD_LEN, RelayCell, RelayCommand};
//! use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};
//!
//! # let keys = CircuitKeys::split_kh_last(&[7u8; 92]);
//! // `keys` is what the handshake with the relay gave both sides.
//! let mut client: ClientCircuit = ClientCircuit::new();
//! client.push(ClientHop::tor1(&keys))?;
//! let mut relay = RelayHop::tor1(&keys);
//!
//! let mut payload = [0u8; PAYLOAD_LEN];
//! RelayCell::new(RelayCommand::BEGIN_DIR, 1, &[])?.encode_zero_padded(&mut payload);
//! client.encrypt_forward(0, &mut payload)?;
//! assert!(relay.decrypt_forward(&mut payload).is_some(), "recognised at the relay");
//! assert_eq!(RelayCell::decode(&payload)?.command(), RelayCommand::BEGIN_DIR);
//!
//! let mut reply = [0u8; PAYLOAD_LEN];
//! RelayCell::new(RelayCommand::CONNECTED, 1, &[])?.encode_zero_padded(&mut reply);
//! relay.originate_backward(&mut reply);
//! let (hop, _sendme_tag) = client.decrypt_backward(&mut reply).expect("recognised");
//! assert_eq!(hop, 0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod digest;

use crate::codec::PAYLOAD_LEN;
use crate::ct;
use crate::keys::{CIPHER_KEY_LEN, CircuitKeys, DIGEST_SEED_LEN};
use aes::cipher::{KeyIvInit, StreamCipher};
use aes::{Aes128, Aes256};
use core::fmt;
use ctr::Ctr128BE;
use digest::{RunningSha1, RunningSha3};

/// Length of an authenticated SENDME's tag (tor-spec 7.3.1, proposal 289): the first 20 bytes
/// of the running digest after the cell it acknowledges.
pub const SENDME_TAG_LEN: usize = 20;
/// The first 20 bytes of a running digest after a cell, which an authenticated SENDME
/// carries (tor-spec 7.3.1).
pub type SendmeTag = [u8; SENDME_TAG_LEN];
/// Length of each onion-service layer key (`Df`, `Db`, `Kf`, `Kb`: SHA3-256 seeds and AES-256
/// keys, rend-spec-v3 5.2).
pub const HS_KEY_LEN: usize = 32;
/// How many hops a [`ClientCircuit`] holds unless told otherwise (C tor builds at most 8).
pub const DEFAULT_MAX_HOPS: usize = 8;

/// Offset of the relay header's `Recognized` field (tor-spec 6.1).
const RECOGNIZED_AT: usize = 1;
/// Offset and length of the relay header's `Digest` field (tor-spec 6.1).
const DIGEST_AT: usize = 5;
const DIGEST_FIELD_LEN: usize = 4;

/// Why a relay-crypto operation could not run. Both are about the circuit's shape, which is
/// public.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RelayCryptoError {
    /// The circuit has no hop with this index.
    NoSuchHop {
        /// The index asked for (0 is the first hop).
        hop: usize,
        /// How many hops the circuit has.
        len: usize,
    },
    /// The circuit already holds its maximum number of hops.
    CircuitFull {
        /// That maximum.
        max: usize,
    },
}

impl fmt::Display for RelayCryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSuchHop { hop, len } => {
                write!(f, "no hop {hop} on a circuit of {len} hops")
            }
            Self::CircuitFull { max } => write!(f, "circuit already has {max} hops"),
        }
    }
}

impl core::error::Error for RelayCryptoError {}

/// One direction's stream cipher (both zeroize their keys and counters on drop).
// Boxing the larger key schedule would allocate; a hop is built once per circuit.
#[allow(clippy::large_enum_variant)]
enum Cipher {
    /// tor1: AES-128-CTR.
    Aes128(Ctr128BE<Aes128>),
    /// Onion-service layer: AES-256-CTR.
    Aes256(Ctr128BE<Aes256>),
}

/// One direction's running digest.
// As for `Cipher`: no allocation, and a hop is built once per circuit.
#[allow(clippy::large_enum_variant)]
enum Digest {
    /// tor1: SHA-1.
    Sha1(RunningSha1),
    /// Onion-service layer: SHA3-256.
    Sha3(RunningSha3),
}

impl Digest {
    /// Absorbs a whole payload with its `Digest` field taken as zero.
    fn absorb(&mut self, payload: &[u8; PAYLOAD_LEN]) {
        let (head, rest) = payload.split_at(DIGEST_AT);
        let tail = rest.get(DIGEST_FIELD_LEN..).unwrap_or_default();
        let zero = [0u8; DIGEST_FIELD_LEN];
        match self {
            Self::Sha1(h) => {
                h.update(head);
                h.update(&zero);
                h.update(tail);
            }
            Self::Sha3(h) => {
                h.update(head);
                h.update(&zero);
                h.update(tail);
            }
        }
    }

    /// The first 20 bytes of the running digest.
    fn tag(&self) -> SendmeTag {
        let mut tag = [0u8; SENDME_TAG_LEN];
        match self {
            Self::Sha1(h) => tag.copy_from_slice(&h.digest()),
            Self::Sha3(h) => {
                let mut d = h.digest();
                tag.copy_from_slice(d.get(..SENDME_TAG_LEN).unwrap_or_default());
                zeroize::Zeroize::zeroize(&mut d);
            }
        }
        tag
    }

    fn duplicate(&self) -> Self {
        match self {
            Self::Sha1(h) => Self::Sha1(h.clone()),
            Self::Sha3(h) => Self::Sha3(h.clone()),
        }
    }
}

/// One direction of one hop: a stream cipher and a running digest (C tor `relay_crypto_t`'s
/// `f_crypto`/`f_digest` or `b_crypto`/`b_digest`).
struct OneWay {
    cipher: Cipher,
    digest: Digest,
}

impl OneWay {
    fn tor1(key: &[u8; CIPHER_KEY_LEN], seed: &[u8; DIGEST_SEED_LEN]) -> Self {
        Self {
            cipher: Cipher::Aes128(Ctr128BE::new(key.into(), &[0u8; 16].into())),
            digest: Digest::Sha1(RunningSha1::new(seed)),
        }
    }

    fn hs(key: &[u8; HS_KEY_LEN], seed: &[u8; HS_KEY_LEN]) -> Self {
        Self {
            cipher: Cipher::Aes256(Ctr128BE::new(key.into(), &[0u8; 16].into())),
            digest: Digest::Sha3(RunningSha3::new(seed)),
        }
    }

    /// Adds or removes this layer of AES-CTR (the two are the same), advancing the stream by
    /// 509 bytes.
    fn crypt(&mut self, payload: &mut [u8; PAYLOAD_LEN]) {
        match &mut self.cipher {
            Cipher::Aes128(c) => c.apply_keystream(payload),
            Cipher::Aes256(c) => c.apply_keystream(payload),
        }
    }

    /// Sets the `Digest` field of a cell this side originates and advances the running
    /// digest (C tor `relay_set_digest`).
    fn set_digest(&mut self, payload: &mut [u8; PAYLOAD_LEN]) -> SendmeTag {
        self.digest.absorb(payload);
        let tag = self.digest.tag();
        if let (Some(field), Some(value)) = (
            payload.get_mut(DIGEST_AT..DIGEST_AT + DIGEST_FIELD_LEN),
            tag.get(..DIGEST_FIELD_LEN),
        ) {
            field.copy_from_slice(value);
        }
        tag
    }

    /// Whether a decrypted payload is meant for this side: `Recognized` is zero and the
    /// `Digest` field matches the running digest with this payload absorbed. Only then does
    /// the running digest advance (C tor `relay_digest_matches` restores it otherwise).
    fn recognize(&mut self, payload: &[u8; PAYLOAD_LEN]) -> Option<SendmeTag> {
        let recognized = payload
            .get(RECOGNIZED_AT..RECOGNIZED_AT + 2)
            .unwrap_or_default();
        // A non-zero `Recognized` field means the cell goes on to the next hop, which anyone
        // watching the hop sees; deciding it early saves a hash per relayed cell, as C tor does.
        if !ct::declassify(ct::is_zero(recognized)) {
            return None;
        }
        let mut candidate = self.digest.duplicate();
        candidate.absorb(payload);
        let tag = candidate.tag();
        let received = payload
            .get(DIGEST_AT..DIGEST_AT + DIGEST_FIELD_LEN)
            .unwrap_or_default();
        let matches = ct::bytes_eq(tag.get(..DIGEST_FIELD_LEN).unwrap_or_default(), received);
        // Whether the cell is for this hop is public from here on: the hop acts on it or not.
        if ct::declassify(matches) {
            self.digest = candidate;
            Some(tag)
        } else {
            None
        }
    }
}

/// A hop's two directions, as its relay or its client holds them.
struct Layers {
    forward: OneWay,
    backward: OneWay,
}

impl Layers {
    fn tor1(keys: &CircuitKeys) -> Self {
        Self {
            forward: OneWay::tor1(keys.kf(), keys.df()),
            backward: OneWay::tor1(keys.kb(), keys.db()),
        }
    }
}

/// The client's view of one hop of a circuit: what it needs to encrypt cells for that hop
/// and to remove that hop's layer from cells coming back. Push it onto a [`ClientCircuit`].
pub struct ClientHop {
    layers: Layers,
}

impl ClientHop {
    /// A tor1 hop (SHA-1, AES-128-CTR) from the keys of its handshake.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::ClientHop;
    /// let hop = ClientHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92]));
    /// # drop(hop);
    /// ```
    #[must_use]
    pub fn tor1(keys: &CircuitKeys) -> Self {
        Self {
            layers: Layers::tor1(keys),
        }
    }

    /// The onion-service layer (SHA3-256, AES-256-CTR; rend-spec-v3 5.2) as the *client*
    /// holds it: the last hop of its rendezvous circuit, sending with `Kf`/`Df` and receiving
    /// with `Kb`/`Db`. The keys are the four 32-byte parts of the hs-ntor key material
    /// (rend-spec-v3 4.2.1), in that order.
    ///
    /// ```
    /// use onionskin::relay_crypto::ClientHop;
    /// let hop = ClientHop::hs_client(&[1; 32], &[2; 32], &[3; 32], &[4; 32]);
    /// # drop(hop);
    /// ```
    #[must_use]
    pub fn hs_client(
        df: &[u8; HS_KEY_LEN],
        db: &[u8; HS_KEY_LEN],
        kf: &[u8; HS_KEY_LEN],
        kb: &[u8; HS_KEY_LEN],
    ) -> Self {
        Self {
            layers: Layers {
                forward: OneWay::hs(kf, df),
                backward: OneWay::hs(kb, db),
            },
        }
    }

    /// The onion-service layer as the *service* holds it: also the last hop of its own
    /// circuit to the rendezvous point, with the directions swapped, so it sends with
    /// `Kb`/`Db` and receives with `Kf`/`Df` (C tor `relay_crypto_init` with `reverse` set,
    /// from `hs_circuit.c`).
    ///
    /// ```
    /// use onionskin::relay_crypto::ClientHop;
    /// let hop = ClientHop::hs_service(&[1; 32], &[2; 32], &[3; 32], &[4; 32]);
    /// # drop(hop);
    /// ```
    #[must_use]
    pub fn hs_service(
        df: &[u8; HS_KEY_LEN],
        db: &[u8; HS_KEY_LEN],
        kf: &[u8; HS_KEY_LEN],
        kb: &[u8; HS_KEY_LEN],
    ) -> Self {
        Self {
            layers: Layers {
                forward: OneWay::hs(kb, db),
                backward: OneWay::hs(kf, df),
            },
        }
    }
}

impl fmt::Debug for ClientHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHop").finish_non_exhaustive()
    }
}

/// A relay's crypto state for one circuit (C tor `or_circuit_t`'s `crypto`): removes its
/// layer from forward cells and recognises those meant for it, and adds its layer to backward
/// cells.
pub struct RelayHop {
    layers: Layers,
}

impl RelayHop {
    /// A tor1 hop (SHA-1, AES-128-CTR) from the keys of the handshake the relay answered.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::RelayHop;
    /// let hop = RelayHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92]));
    /// # drop(hop);
    /// ```
    #[must_use]
    pub fn tor1(keys: &CircuitKeys) -> Self {
        Self {
            layers: Layers::tor1(keys),
        }
    }

    /// Removes this hop's layer from a forward cell, in place, and says whether the cell is
    /// for this hop: `Some` with the cell's SENDME tag if `Recognized` is zero and the digest
    /// matches (the running digest then advances), `None` if the cell goes on to the next hop
    /// as it now is (C tor `relay_decrypt_cell`).
    ///
    /// Any payload is accepted: a corrupted or forged cell is simply not recognised.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::RelayHop;
    /// let mut hop = RelayHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92]));
    /// let mut junk = [0x55u8; 509];
    /// assert!(hop.decrypt_forward(&mut junk).is_none());
    /// ```
    pub fn decrypt_forward(&mut self, payload: &mut [u8; PAYLOAD_LEN]) -> Option<SendmeTag> {
        self.layers.forward.crypt(payload);
        self.layers.forward.recognize(payload)
    }

    /// Sets the digest of a backward cell this hop originates and encrypts it, in place
    /// (C tor `relay_encrypt_cell_inbound`). Returns the cell's SENDME tag.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::RelayHop;
    /// let mut hop = RelayHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92]));
    /// let mut payload = [0u8; 509];
    /// let _tag = hop.originate_backward(&mut payload);
    /// assert_ne!(payload, [0u8; 509]);
    /// ```
    pub fn originate_backward(&mut self, payload: &mut [u8; PAYLOAD_LEN]) -> SendmeTag {
        let tag = self.layers.backward.set_digest(payload);
        self.layers.backward.crypt(payload);
        tag
    }

    /// Adds this hop's layer to a backward cell that came from the next hop, in place.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::RelayHop;
    /// let mut hop = RelayHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92]));
    /// let mut payload = [0u8; 509];
    /// hop.relay_backward(&mut payload);
    /// assert_ne!(payload, [0u8; 509]);
    /// ```
    pub fn relay_backward(&mut self, payload: &mut [u8; PAYLOAD_LEN]) {
        self.layers.backward.crypt(payload);
    }
}

impl fmt::Debug for RelayHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayHop").finish_non_exhaustive()
    }
}

/// A client's circuit: a stack of at most `MAX_HOPS` hop layers, the first hop first
/// (C tor's `cpath`). Hops are numbered from 0.
pub struct ClientCircuit<const MAX_HOPS: usize = DEFAULT_MAX_HOPS> {
    hops: [Option<ClientHop>; MAX_HOPS],
    len: usize,
}

impl<const MAX_HOPS: usize> ClientCircuit<MAX_HOPS> {
    /// A circuit with no hops yet.
    ///
    /// ```
    /// use onionskin::relay_crypto::ClientCircuit;
    /// let circuit: ClientCircuit = ClientCircuit::new();
    /// assert!(circuit.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            hops: core::array::from_fn(|_| None),
            len: 0,
        }
    }

    /// How many hops the circuit has.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the circuit has no hops.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a hop at the end, after its handshake (CREATED2 or EXTENDED2) succeeded.
    ///
    /// # Errors
    /// [`RelayCryptoError::CircuitFull`] if the circuit has `MAX_HOPS` hops already.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayCryptoError};
    /// let keys = CircuitKeys::split_kh_last(&[1u8; 92]);
    /// let mut circuit: ClientCircuit<1> = ClientCircuit::new();
    /// circuit.push(ClientHop::tor1(&keys))?;
    /// assert_eq!(
    ///     circuit.push(ClientHop::tor1(&keys)),
    ///     Err(RelayCryptoError::CircuitFull { max: 1 })
    /// );
    /// # Ok::<(), RelayCryptoError>(())
    /// ```
    pub fn push(&mut self, hop: ClientHop) -> Result<(), RelayCryptoError> {
        let slot = self
            .hops
            .get_mut(self.len)
            .ok_or(RelayCryptoError::CircuitFull { max: MAX_HOPS })?;
        *slot = Some(hop);
        self.len += 1;
        Ok(())
    }

    /// Drops every hop after the first `len` (after a TRUNCATED), zeroizing their keys.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::{ClientCircuit, ClientHop};
    /// let keys = CircuitKeys::split_kh_last(&[1u8; 92]);
    /// let mut circuit: ClientCircuit = ClientCircuit::new();
    /// circuit.push(ClientHop::tor1(&keys))?;
    /// circuit.push(ClientHop::tor1(&keys))?;
    /// circuit.truncate(1);
    /// assert_eq!(circuit.len(), 1);
    /// # Ok::<(), onionskin::relay_crypto::RelayCryptoError>(())
    /// ```
    pub fn truncate(&mut self, len: usize) {
        for slot in self.hops.iter_mut().skip(len) {
            *slot = None;
        }
        self.len = self.len.min(len);
    }

    /// Sets the digest of a cell for hop `hop` from that hop's forward running digest, then
    /// encrypts it with the layers of hops `hop`, …, 0, in place (C tor
    /// `relay_encrypt_cell_outbound`). Returns the cell's SENDME tag.
    ///
    /// # Errors
    /// [`RelayCryptoError::NoSuchHop`] if the circuit has no hop `hop`; the payload is left
    /// alone then.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayCryptoError};
    /// let mut circuit: ClientCircuit = ClientCircuit::new();
    /// circuit.push(ClientHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92])))?;
    /// let mut payload = [0u8; 509];
    /// circuit.encrypt_forward(0, &mut payload)?;
    /// assert!(matches!(
    ///     circuit.encrypt_forward(1, &mut payload),
    ///     Err(RelayCryptoError::NoSuchHop { hop: 1, len: 1 })
    /// ));
    /// # Ok::<(), RelayCryptoError>(())
    /// ```
    pub fn encrypt_forward(
        &mut self,
        hop: usize,
        payload: &mut [u8; PAYLOAD_LEN],
    ) -> Result<SendmeTag, RelayCryptoError> {
        let len = self.len;
        let layers = self
            .hops
            .get_mut(..len)
            .filter(|_| hop < len)
            .ok_or(RelayCryptoError::NoSuchHop { hop, len })?;
        let mut tag = [0u8; SENDME_TAG_LEN];
        for (i, slot) in layers.iter_mut().enumerate().take(hop + 1).rev() {
            if let Some(h) = slot {
                if i == hop {
                    tag = h.layers.forward.set_digest(payload);
                }
                h.layers.forward.crypt(payload);
            }
        }
        Ok(tag)
    }

    /// Removes the layers of hops 0, 1, … from a backward cell, in place, until one hop
    /// recognises it (C tor `relay_decrypt_cell` at the client). Returns that hop and the cell's
    /// SENDME tag, or `None` if no hop did: the cell is then corrupt or forged and C tor closes
    /// the circuit.
    ///
    /// Any payload is accepted; nothing panics.
    ///
    /// ```
    /// use onionskin::CircuitKeys;
    /// use onionskin::relay_crypto::{ClientCircuit, ClientHop};
    /// let mut circuit: ClientCircuit = ClientCircuit::new();
    /// circuit.push(ClientHop::tor1(&CircuitKeys::split_kh_last(&[1u8; 92])))?;
    /// assert!(circuit.decrypt_backward(&mut [0x55u8; 509]).is_none());
    /// # Ok::<(), onionskin::relay_crypto::RelayCryptoError>(())
    /// ```
    pub fn decrypt_backward(
        &mut self,
        payload: &mut [u8; PAYLOAD_LEN],
    ) -> Option<(usize, SendmeTag)> {
        let len = self.len;
        for (i, slot) in self.hops.iter_mut().enumerate().take(len) {
            if let Some(h) = slot {
                h.layers.backward.crypt(payload);
                if let Some(tag) = h.layers.backward.recognize(payload) {
                    return Some((i, tag));
                }
            }
        }
        None
    }
}

impl<const MAX_HOPS: usize> Default for ClientCircuit<MAX_HOPS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const MAX_HOPS: usize> fmt::Debug for ClientCircuit<MAX_HOPS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCircuit")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::ZeroizeOnDrop;

    fn zeroized_on_drop<T: ZeroizeOnDrop>() {}

    #[test]
    fn ciphers_and_digests_wipe_themselves() {
        zeroized_on_drop::<Ctr128BE<Aes128>>();
        zeroized_on_drop::<Ctr128BE<Aes256>>();
        zeroized_on_drop::<RunningSha1>();
        zeroized_on_drop::<RunningSha3>();
    }

    #[test]
    fn debug_prints_no_state() {
        let keys = CircuitKeys::split_kh_last(&[0xab; 92]);
        let s = std::format!("{:?} {:?}", ClientHop::tor1(&keys), RelayHop::tor1(&keys));
        assert_eq!(s, "ClientHop { .. } RelayHop { .. }");
    }
}
