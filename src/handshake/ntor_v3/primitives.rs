//! Proposal 332 A.1's instantiation (SHA3-256, SHAKE-256, AES-256-CTR, X25519), and the
//! hashes that both sides of the handshake compute identically.
//!
//! Inputs are absorbed piece by piece, so no secret buffer (`secret_input`, `auth_input`)
//! is ever assembled.

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use sha3::Sha3_256;
use sha3::digest::{Digest, Update};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// A 32-byte secret that is wiped when dropped.
pub(super) type Secret32 = Zeroizing<[u8; 32]>;

/// `PROTOID` (proposal 332, "The handshake in detail").
pub(super) const PROTOID: &[u8] = b"ntor3-curve25519-sha3_256-1";
/// `t_msgkdf = PROTOID | ":kdf_phase1"`.
const T_MSGKDF: &[u8] = b"ntor3-curve25519-sha3_256-1:kdf_phase1";
/// `t_msgmac = PROTOID | ":msg_mac"`.
const T_MSGMAC: &[u8] = b"ntor3-curve25519-sha3_256-1:msg_mac";
/// `t_key_seed = PROTOID | ":key_seed"`.
const T_KEY_SEED: &[u8] = b"ntor3-curve25519-sha3_256-1:key_seed";
/// `t_verify = PROTOID | ":verify"`.
const T_VERIFY: &[u8] = b"ntor3-curve25519-sha3_256-1:verify";
/// `t_final = PROTOID | ":kdf_final"`.
const T_FINAL: &[u8] = b"ntor3-curve25519-sha3_256-1:kdf_final";
/// `t_auth = PROTOID | ":auth_final"`.
const T_AUTH: &[u8] = b"ntor3-curve25519-sha3_256-1:auth_final";

/// The length prefix of `ENCAP(s) = htonll(len(s)) | s`.
fn encap_len(s: &[u8]) -> [u8; 8] {
    // usize is at most 64 bits on every supported target.
    (s.len() as u64).to_be_bytes()
}

/// Absorbs `ENCAP(s)`.
fn absorb_encap(h: &mut impl Update, s: &[u8]) {
    h.update(&encap_len(s));
    h.update(s);
}

/// Absorbs each part in order, as if concatenated.
fn absorb(h: &mut impl Update, parts: &[&[u8]]) {
    for p in parts {
        h.update(p);
    }
}

/// SHA3-256 with `ENCAP(t)` absorbed: the start of `H(.., t)` and `MAC(.., .., t)`.
fn tweaked_sha3(t: &[u8]) -> Sha3_256 {
    let mut h = Sha3_256::new();
    absorb_encap(&mut h, t);
    h
}

fn finalize(h: Sha3_256) -> Secret32 {
    Zeroizing::new(h.finalize().into())
}

/// SHAKE-256's rate in bytes (FIPS 202: `(1600 - 2 * 256) / 8`).
const SHAKE256_RATE: usize = 136;

/// A SHAKE-256 sponge (FIPS 202) in its absorbing phase, over the `keccak` crate's
/// permutation. sha3 0.10's XOF reader permutes again right after handing out each output
/// block, so every KDF there pays one permutation whose output nobody reads; squeezing
/// lazily (see [`KdfStream`]) gives the same bytes for one permutation fewer per KDF.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Shake256 {
    state: [u64; 25],
    /// The part of the current block absorbed so far (`pos` bytes).
    block: [u8; SHAKE256_RATE],
    pos: usize,
}

impl Shake256 {
    fn new() -> Self {
        Self {
            state: [0; 25],
            block: [0; SHAKE256_RATE],
            pos: 0,
        }
    }

    /// XORs the (full, padded) block into the state and permutes.
    fn absorb_block(&mut self) {
        for (lane, bytes) in self.state.iter_mut().zip(self.block.chunks_exact(8)) {
            let mut le = [0u8; 8];
            le.copy_from_slice(bytes);
            *lane ^= u64::from_le_bytes(le);
        }
        keccak::f1600(&mut self.state);
        self.block.zeroize();
        self.pos = 0;
    }

    /// Pads (SHAKE's domain bits `1111`, then `pad10*1`) and switches to squeezing.
    fn finalize_xof(mut self) -> KdfStream {
        // `pos < SHAKE256_RATE` always: a full block is absorbed as soon as it fills.
        if let Some(b) = self.block.get_mut(self.pos) {
            *b ^= 0x1f;
        }
        if let Some(b) = self.block.last_mut() {
            *b ^= 0x80;
        }
        self.absorb_block();
        KdfStream {
            state: core::mem::take(&mut self.state),
            pos: 0,
        }
    }
}

impl Update for Shake256 {
    fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let free = self.block.get_mut(self.pos..).unwrap_or_default();
            let n = free.len().min(data.len());
            let (now, later) = data.split_at(n);
            if let Some(dst) = free.get_mut(..n) {
                dst.copy_from_slice(now);
            }
            self.pos += n;
            data = later;
            if self.pos == SHAKE256_RATE {
                self.absorb_block();
            }
        }
    }
}

/// SHAKE-256 output, read in order; the next block is computed only when asked for.
#[derive(Default, Zeroize, ZeroizeOnDrop)]
pub(super) struct KdfStream {
    state: [u64; 25],
    /// Bytes of the current output block already read (positions are public).
    pos: usize,
}

impl KdfStream {
    /// Fills `out` with the next bytes of the stream.
    pub(super) fn read(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.pos == SHAKE256_RATE {
                keccak::f1600(&mut self.state);
                self.pos = 0;
            }
            let lane = self.state.get(self.pos / 8).copied().unwrap_or(0);
            *byte = lane.to_le_bytes().get(self.pos % 8).copied().unwrap_or(0);
            self.pos += 1;
        }
    }
}

/// SHAKE-256 with `ENCAP(t)` absorbed: the start of `KDF(.., t)`.
fn tweaked_shake(t: &[u8]) -> Shake256 {
    let mut h = Shake256::new();
    absorb_encap(&mut h, t);
    h
}

/// `ENC(k, m)`: AES-256-CTR with an all-zero IV, in place (and its own inverse).
pub(super) fn aes256_ctr(key: &[u8; 32], buf: &mut [u8]) {
    let mut c = Ctr128BE::<Aes256>::new(key.into(), &[0u8; 16].into());
    c.apply_keystream(buf);
}

/// `EXP(P, k)`: X25519 of our (unclamped or clamped) secret with their public key.
pub(super) fn dh(secret: &[u8; 32], public: &[u8; 32]) -> Secret32 {
    Zeroizing::new(crate::x25519::x25519(secret, public))
}

/// The relay's three X25519 operations at once: `(Y, EXP(X,y), EXP(X,b))`, with the two
/// ladders over `X` run side by side and one shared inversion (the crate's fast relay path).
pub(super) fn relay_dh(
    y: &[u8; 32],
    b: &[u8; 32],
    client_pk: &[u8; 32],
) -> ([u8; 32], Secret32, Secret32) {
    let (relay_pk, xy, xb) = crate::x25519::x25519_base_and_pair(y, b, client_pk);
    (relay_pk, Zeroizing::new(xy), Zeroizing::new(xb))
}

/// `KEYGEN`'s public half: the X25519 public key of `secret`.
pub(super) fn public_key(secret: &[u8; 32]) -> [u8; 32] {
    crate::x25519::x25519_base(secret)
}

/// Phase 1: `(ENC_K1, MAC_K1)` = the first 64 bytes of
/// `KDF(EXP(B,x) | ID | X | B | PROTOID | ENCAP(VER), t_msgkdf)`.
pub(super) fn phase1_keys(
    bx: &[u8; 32],
    id: &[u8; 32],
    client_pk: &[u8; 32],
    onion_key: &[u8; 32],
    verification: &[u8],
) -> (Secret32, Secret32) {
    let mut kdf = tweaked_shake(T_MSGKDF);
    absorb(&mut kdf, &[bx, id, client_pk, onion_key, PROTOID]);
    absorb_encap(&mut kdf, verification);
    let mut stream = kdf.finalize_xof();
    let mut enc_k1 = Zeroizing::new([0u8; 32]);
    let mut mac_k1 = Zeroizing::new([0u8; 32]);
    stream.read(&mut *enc_k1);
    stream.read(&mut *mac_k1);
    (enc_k1, mac_k1)
}

/// `msg_mac = MAC(MAC_K1, ID | B | X | encrypted_msg, t_msgmac)`, where
/// `MAC(k, msg, t) = H(ENCAP(t) | ENCAP(k) | msg)` (C tor; the proposal's text has a typo).
pub(super) fn msg_mac(
    mac_k1: &[u8; 32],
    id: &[u8; 32],
    onion_key: &[u8; 32],
    client_pk: &[u8; 32],
    encrypted_msg: &[u8],
) -> [u8; 32] {
    let mut h = tweaked_sha3(T_MSGMAC);
    absorb_encap(&mut h, mac_k1);
    absorb(&mut h, &[id, onion_key, client_pk, encrypted_msg]);
    // The MAC is sent in the clear: no need to keep it in a wiped buffer.
    *finalize(h)
}

/// `KEY_SEED = H(secret_input, t_key_seed)` and `verify = H(secret_input, t_verify)`, with
/// `secret_input = EXP(X,y) | EXP(X,b) | ID | B | X | Y | PROTOID | ENCAP(VER)`.
pub(super) fn key_seed_and_verify(
    xy: &[u8; 32],
    xb: &[u8; 32],
    id: &[u8; 32],
    onion_key: &[u8; 32],
    client_pk: &[u8; 32],
    relay_pk: &[u8; 32],
    verification: &[u8],
) -> (Secret32, Secret32) {
    let mut ks = tweaked_sha3(T_KEY_SEED);
    let mut v = tweaked_sha3(T_VERIFY);
    for h in [&mut ks, &mut v] {
        absorb(h, &[xy, xb, id, onion_key, client_pk, relay_pk, PROTOID]);
        absorb_encap(h, verification);
    }
    (finalize(ks), finalize(v))
}

/// `ENC_KEY` (the first 32 bytes of `KDF(KEY_SEED, t_final)`), and that stream positioned
/// after it, where the circuit keys start. Computed once: one permutation covers `ENC_KEY`
/// and the 92 bytes of circuit keys.
pub(super) fn final_kdf(key_seed: &[u8; 32]) -> (Secret32, KdfStream) {
    let mut kdf = tweaked_shake(T_FINAL);
    kdf.update(key_seed);
    let mut stream = kdf.finalize_xof();
    let mut enc_key = Zeroizing::new([0u8; 32]);
    stream.read(&mut *enc_key);
    (enc_key, stream)
}

/// `AUTH = H(verify | ID | B | Y | X | msg_mac | ENCAP(encrypted_sm) | PROTOID | "Server", t_auth)`.
#[allow(clippy::too_many_arguments)] // the spec's inputs, named as in proposal 332
pub(super) fn auth(
    verify: &[u8; 32],
    id: &[u8; 32],
    onion_key: &[u8; 32],
    relay_pk: &[u8; 32],
    client_pk: &[u8; 32],
    msg_mac: &[u8; 32],
    encrypted_sm: &[u8],
) -> [u8; 32] {
    let mut h = tweaked_sha3(T_AUTH);
    absorb(
        &mut h,
        &[verify, id, onion_key, relay_pk, client_pk, msg_mac],
    );
    absorb_encap(&mut h, encrypted_sm);
    absorb(&mut h, &[PROTOID, b"Server"]);
    // AUTH is sent in the clear.
    *finalize(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tweaks_spell_protoid() {
        for (t, suffix) in [
            (T_MSGKDF, ":kdf_phase1"),
            (T_MSGMAC, ":msg_mac"),
            (T_KEY_SEED, ":key_seed"),
            (T_VERIFY, ":verify"),
            (T_FINAL, ":kdf_final"),
            (T_AUTH, ":auth_final"),
        ] {
            assert_eq!(&t[..PROTOID.len()], PROTOID);
            assert_eq!(&t[PROTOID.len()..], suffix.as_bytes());
        }
    }

    #[test]
    fn encap_is_u64_be_length() {
        assert_eq!(encap_len(&[0u8; 258]), [0, 0, 0, 0, 0, 0, 1, 2]);
    }

    /// The hand-rolled sponge against sha3's SHAKE-256, across block boundaries on both
    /// the absorbing and the squeezing side, fed in uneven pieces.
    #[test]
    fn sponge_matches_sha3_shake256() {
        use sha3::digest::{ExtendableOutput, XofReader};
        let input: [u8; 420] = core::array::from_fn(|i| u8::try_from(i % 251).unwrap_or(0) ^ 0x5a);
        for len in [0, 1, 78, 135, 136, 137, 271, 272, 273, 420] {
            let data = &input[..len];
            let mut ours = Shake256::new();
            for piece in data.chunks(57) {
                ours.update(piece);
            }
            let mut stream = ours.finalize_xof();
            let mut got = [0u8; 300];
            let (a, b) = got.split_at_mut(32);
            stream.read(a);
            stream.read(b);

            let mut theirs = sha3::Shake256::default();
            theirs.update(data);
            let mut want = [0u8; 300];
            theirs.finalize_xof().read(&mut want);
            assert_eq!(got, want, "input length {len}");
        }
    }

    #[test]
    fn ctr_is_its_own_inverse_and_counts_big_endian() {
        let key = [7u8; 32];
        let mut buf = [0u8; 40];
        aes256_ctr(&key, &mut buf);
        assert_ne!(buf, [0u8; 40]);
        aes256_ctr(&key, &mut buf);
        assert_eq!(buf, [0u8; 40]);
    }
}
