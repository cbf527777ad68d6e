//! The relay side of ntor-v3 for several onion skins at once (a relay draining its onion
//! queue).
//!
//! Each skin gets exactly the answer [`relay_respond`] would give it, drawing `y` from the
//! RNG in the same order: only the X25519 work is shared, the ladders of up to eight
//! handshakes running side by side in vector lanes. A skin rejected early for a public
//! reason (its length or NODEID) takes no part in the batch; every other skin, whatever its
//! KEYID, `X` or MAC, runs the same instructions in its lanes, and its verdict is decided on
//! its own.

// Skin and slot indices are below `CHUNK`, the length of every array indexed.
#![allow(clippy::indexing_slicing)]

#[cfg(doc)]
use super::relay_respond;
use super::typed_callback;
use super::{HandshakeError, KeySeed, MAX_REPLY_LEN, RelayKeys, Reply, respond_core};
use super::{hazmat::Intermediates, primitives::Secret32, select_onion_key, skin_keys};
use crate::codec::extension::{ExtensionList, ExtensionWriter};
use crate::ct::Wiped;
use crate::x25519::x25519_base_and_pair_batch;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

/// Skins whose X25519 work runs as one batch (three full eight-lane calls with AVX-512 IFMA).
const CHUNK: usize = 8;

/// Answers every onion skin of `onion_skins` as [`relay_respond`] would, calling
/// `reply_extensions(i, client_extensions, writer)` for skin `i` once its message is
/// authenticated (as `relay_respond` calls its `reply_extensions`), and `each(i, result)` for
/// every skin, in order. With the same RNG state, the results are bit-identical to answering the skins one
/// by one.
///
/// The X25519 work of up to eight skins runs together (on a CPU with AVX-512 IFMA, their
/// ladders side by side in vector lanes); a batch of one costs what [`relay_respond`] does.
///
/// ```
/// use onionskin::handshake::ntor_v3::{self, ClientState, RelayKeys, RelaySecretKey};
/// use rand_core::OsRng;
///
/// let keys = RelayKeys::new([7; 32], RelaySecretKey::generate(&mut OsRng));
/// let public = keys.public_key();
/// let mut clients = Vec::new();
/// let mut skins = Vec::new();
/// for _ in 0..3 {
///     let (state, skin) = ClientState::start(&mut OsRng, &public, &[])?;
///     clients.push(state);
///     skins.push(skin);
/// }
/// let skins: Vec<&[u8]> = skins.iter().map(|s| s.as_bytes()).collect();
/// let mut results = Vec::new();
/// ntor_v3::relay_respond_batch(&mut OsRng, &keys, &skins, |_, _, _| Ok(()), |_, r| {
///     results.push(r);
/// });
/// for (client, result) in clients.into_iter().zip(results) {
///     let (_relay_seed, reply) = result?;
///     client.finish(reply.as_bytes())?;
/// }
/// # Ok::<(), onionskin::HandshakeError>(())
/// ```
///
/// # Errors
/// Each skin's result carries the errors of [`relay_respond`].
pub fn relay_respond_batch<R, F, G>(
    rng: &mut R,
    keys: &RelayKeys,
    onion_skins: &[&[u8]],
    mut reply_extensions: F,
    mut each: G,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, &ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
    G: FnMut(usize, Result<(KeySeed, Reply), HandshakeError>),
{
    for (c, chunk) in onion_skins.chunks(CHUNK).enumerate() {
        let base = c * CHUNK;
        respond_chunk(
            rng,
            keys,
            chunk,
            |i, l, w| reply_extensions(base + i, l, w),
            |i, r| each(base + i, r),
        );
    }
}

/// Up to [`CHUNK`] skins.
fn respond_chunk<R, F, G>(
    rng: &mut R,
    keys: &RelayKeys,
    skins: &[&[u8]],
    mut reply_extensions: F,
    mut each: G,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, &ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
    G: FnMut(usize, Result<(KeySeed, Reply), HandshakeError>),
{
    let n = skins.len().min(CHUNK);
    // Public checks (length, NODEID), then (for skins that pass them, in order, as
    // `relay_respond` does) y from the RNG and the onion key for KEYID. Skin i's X25519 work is entry
    // `slot[i]` of the batch.
    let mut ys = Zeroizing::new([[0u8; 32]; CHUNK]);
    let mut bs = Zeroizing::new([[0u8; 32]; CHUNK]);
    let mut xs = [[0u8; 32]; CHUNK];
    let mut early: [Option<HandshakeError>; CHUNK] = [None; CHUNK];
    let mut slot = [0usize; CHUNK];
    let mut m = 0;
    for (i, skin) in skins.iter().take(n).enumerate() {
        match skin_keys(keys, skin) {
            Ok((key_id, client_pk)) => {
                rng.fill_bytes(&mut ys[m]);
                let (b, _, _) = select_onion_key(keys, key_id);
                bs[m] = *b;
                xs[m] = *client_pk;
                slot[i] = m;
                m += 1;
            }
            Err(e) => early[i] = Some(e),
        }
    }
    let mut inputs = [(&[0u8; 32], &[0u8; 32], &[0u8; 32]); CHUNK];
    for k in 0..m {
        inputs[k] = (&ys[k], &bs[k], &xs[k]);
    }
    let mut dh = [([0u8; 32], [0u8; 32], [0u8; 32]); CHUNK];
    let done = x25519_base_and_pair_batch(&inputs[..m], &mut dh);
    debug_assert_eq!(done, m);
    for (i, skin) in skins.iter().take(n).enumerate() {
        let result = match early[i] {
            Some(e) => Err(e),
            None => {
                let mut reply = Reply {
                    bytes: [0; MAX_REPLY_LEN],
                    len: 0,
                };
                let triple = &dh[slot[i]];
                respond_core(
                    // The batch computed exactly this skin's (y, b, X): `respond_core`
                    // selects the same b again.
                    |_, _| -> ([u8; 32], Secret32, Secret32) {
                        (triple.0, Wiped::new(triple.1), Wiped::new(triple.2))
                    },
                    keys,
                    skin,
                    typed_callback(|l: &ExtensionList<'_>, w: &mut ExtensionWriter<'_>| {
                        reply_extensions(i, l, w)
                    }),
                    &mut reply.bytes,
                    &mut Intermediates::default(),
                )
                .map(|(seed, len)| {
                    reply.len = len;
                    (seed, reply)
                })
            }
        };
        each(i, result);
    }
    for (y, xy, xb) in &mut dh {
        y.zeroize();
        xy.zeroize();
        xb.zeroize();
    }
}
