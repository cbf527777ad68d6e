//! The relay side of ntor for several onion skins at once (a relay draining its onion queue).
//!
//! Each skin gets exactly the answer [`relay_respond`] would give it, drawing `y`
//! and the junk key from the RNG in the same order: only the X25519 work is shared, the
//! ladders of up to eight handshakes running side by side in vector lanes
//! ([`x25519_base_and_pair_batch`]). A skin rejected early for a public reason (length,
//! NODEID) takes no part in the batch; every other skin, whatever its `X` or KEYID, runs the
//! same instructions in its lanes, and its verdict is decided on its own.

// Skin, slot and lane indices are below `CHUNK`, the length of every array indexed.
#![allow(clippy::indexing_slicing)]

#[cfg(doc)]
use super::relay_respond;
use super::{HandshakeError, KEY_LEN, KeySeed, REPLY_LEN, RelayKeys, relay_dh_inputs, relay_inner};
use crate::x25519::{RelayTriple, x25519_base_and_pair_batch};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

/// One skin's `(Y, EXP(X,y), EXP(X,b))`.
type DhOut = ([u8; KEY_LEN], [u8; KEY_LEN], [u8; KEY_LEN]);

/// Skins whose X25519 work runs as one batch (three full eight-lane calls with AVX-512 IFMA).
const CHUNK: usize = 8;

/// Answers every onion skin of `onion_skins` as [`relay_respond`] would, calling
/// `each(i, result)` for skin `i`, in order. With the same RNG state, the results are
/// bit-identical to answering the skins one by one.
///
/// The X25519 work of up to eight skins runs together (on a CPU with AVX-512 IFMA, their
/// ladders side by side in vector lanes); a batch of one costs what [`relay_respond`] does.
///
/// ```
/// use onionskin::handshake::ntor::{self, ClientState, RelayKeys, RelaySecretKey};
/// use rand_core::OsRng;
///
/// let keys = RelayKeys::new([7; 20], RelaySecretKey::generate(&mut OsRng));
/// let public = keys.public_key();
/// let (clients, skins): (Vec<ClientState>, Vec<[u8; ntor::ONION_SKIN_LEN]>) =
///     (0..3).map(|_| ClientState::start(&mut OsRng, &public)).unzip();
/// let skins: Vec<&[u8]> = skins.iter().map(|s| &s[..]).collect();
/// let mut replies = Vec::new();
/// ntor::relay_respond_batch(&mut OsRng, &keys, &skins, |i, r| {
///     replies.push((i, r));
/// });
/// for (client, (_, result)) in clients.into_iter().zip(replies) {
///     let (relay_seed, reply) = result?;
///     let client_seed = client.finish(&reply)?;
///     # let _ = (relay_seed, client_seed);
/// }
/// # Ok::<(), onionskin::HandshakeError>(())
/// ```
///
/// # Errors
/// Each skin's result carries the errors of [`relay_respond`].
///
/// [`relay_respond`]: super::relay_respond
pub fn relay_respond_batch<R, F>(rng: &mut R, keys: &RelayKeys, onion_skins: &[&[u8]], each: F)
where
    R: RngCore + CryptoRng,
    F: FnMut(usize, Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError>),
{
    respond_batch_on(x25519_base_and_pair_batch, rng, keys, onion_skins, each);
}

/// [`relay_respond_batch`] with its X25519 work done by `dh_batch`, which must compute what
/// [`x25519_base_and_pair_batch`] does (on a chosen backend, for the hazmat entry point).
pub(super) fn respond_batch_on<R, F>(
    dh_batch: impl Fn(&[RelayTriple<'_>], &mut [DhOut]) -> usize,
    rng: &mut R,
    keys: &RelayKeys,
    onion_skins: &[&[u8]],
    mut each: F,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError>),
{
    for (c, chunk) in onion_skins.chunks(CHUNK).enumerate() {
        respond_chunk(&dh_batch, rng, keys, chunk, |i, r| each(c * CHUNK + i, r));
    }
}

/// Up to [`CHUNK`] skins.
fn respond_chunk<R, F>(
    dh_batch: &impl Fn(&[RelayTriple<'_>], &mut [DhOut]) -> usize,
    rng: &mut R,
    keys: &RelayKeys,
    skins: &[&[u8]],
    mut each: F,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, Result<(KeySeed, [u8; REPLY_LEN]), HandshakeError>),
{
    let n = skins.len().min(CHUNK);
    // Per skin, y then the junk key: the order `relay_respond` draws them in.
    let mut ys = Zeroizing::new([[0u8; KEY_LEN]; CHUNK]);
    let mut junks = Zeroizing::new([[0u8; KEY_LEN]; CHUNK]);
    for (y, junk) in ys.iter_mut().zip(junks.iter_mut()).take(n) {
        rng.fill_bytes(y);
        rng.fill_bytes(junk);
    }
    // Public checks and key selection; skin i's X25519 work is entry `slot[i]` of the batch.
    let mut bs = Zeroizing::new([[0u8; KEY_LEN]; CHUNK]);
    let mut xs = [[0u8; KEY_LEN]; CHUNK];
    let mut early: [Option<HandshakeError>; CHUNK] = [None; CHUNK];
    let mut slot = [0usize; CHUNK];
    let mut m = 0;
    for (i, skin) in skins.iter().take(n).enumerate() {
        match relay_dh_inputs(&junks[i], keys, skin) {
            Ok((client_pk, b, _)) => {
                bs[m] = *b;
                xs[m] = *client_pk;
                slot[i] = m;
                m += 1;
            }
            Err(e) => early[i] = Some(e),
        }
    }
    let mut inputs = [(&[0u8; KEY_LEN], &[0u8; KEY_LEN], &[0u8; KEY_LEN]); CHUNK];
    for i in (0..n).filter(|&i| early[i].is_none()) {
        inputs[slot[i]] = (&ys[i], &bs[slot[i]], &xs[slot[i]]);
    }
    let mut dh = [([0u8; KEY_LEN], [0u8; KEY_LEN], [0u8; KEY_LEN]); CHUNK];
    let done = dh_batch(&inputs[..m], &mut dh);
    debug_assert_eq!(done, m);
    for (i, skin) in skins.iter().take(n).enumerate() {
        let result = match early[i] {
            Some(e) => Err(e),
            None => relay_inner(
                &junks[i],
                keys,
                skin,
                // The batch computed exactly this skin's (y, b, X): `relay_dh_inputs` picks
                // the same b again.
                |_, _| dh[slot[i]],
                |_, _| (),
            )
            .and_then(|(outcome, reply)| outcome.decide().map(|seed| (seed, reply))),
        };
        each(i, result);
    }
    for (y, xy, xb) in &mut dh {
        y.zeroize();
        xy.zeroize();
        xb.zeroize();
    }
}
