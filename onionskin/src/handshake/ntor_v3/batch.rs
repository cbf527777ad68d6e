//! The relay side of ntor-v3 for several onion skins at once (a relay draining its onion
//! queue).
//!
//! Each skin gets exactly the answer [`relay_respond`] would give it, drawing `y` from the
//! RNG in the same order. What is shared is work, never secrets: the X25519 ladders of up to
//! eight handshakes run side by side in vector lanes, and so do the Keccak permutations of
//! all their hashes (three chains per skin, then the last blocks of each `AUTH`), lanes
//! filled across skins. A skin rejected early for a public reason (its length or NODEID)
//! takes no part in the batch; every other skin, whatever its KEYID, `X` or MAC, runs the
//! same instructions in its lanes up to its verdict, which is decided on its own. Which
//! skin's hash takes which lane depends only on lengths.

// Skin and slot indices are below `K`, the length of every array indexed.
#![allow(clippy::indexing_slicing)]

#[cfg(doc)]
use super::relay_respond;
use super::skin_keys;
use super::typed_callback;
use super::{Answer, HandshakeError, KeySeed, MAX_REPLY_LEN, RelayKeys, Reply, Responder};
use super::{auth_link, hazmat::Intermediates, mac_link, primitives::Secret32, select_onion_key};
use super::{primitives::relay_dh, respond_core};
use crate::codec::extension::{ExtensionList, ExtensionWriter};
use crate::ct::Wiped;
use crate::keccak::{Chain, run_chain_pool};
use crate::x25519::x25519_base_and_pair_batch;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

/// Skins whose X25519 work runs as one batch (three full eight-lane calls with AVX-512 IFMA),
/// and whose hashes share lanes (24 chains: three full eight-lane passes with AVX-512).
const CHUNK: usize = 8;

/// Answers every onion skin of `onion_skins` as [`relay_respond`] would, calling
/// `reply_extensions(i, client_extensions, writer)` for skin `i` once its message is
/// authenticated (as `relay_respond` calls its `reply_extensions`), and `each(i, result)` for
/// every skin, in order (within each group of eight skins, every `reply_extensions` call comes
/// before the first `each`). With the same RNG state, the results are bit-identical to
/// answering the skins one by one.
///
/// The X25519 work of up to eight skins runs together (on a CPU with AVX-512 IFMA, their
/// ladders side by side in vector lanes), and so do their Keccak permutations (eight lanes
/// with AVX-512, four with AVX2); a batch of one is [`relay_respond`].
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
    each: G,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, &ExtensionList<'_>, &mut ExtensionWriter<'_>) -> Result<(), HandshakeError>,
    G: FnMut(usize, Result<(KeySeed, Reply), HandshakeError>),
{
    respond_batch(
        |y| rng.fill_bytes(y),
        keys,
        onion_skins,
        |i, cm, sm| {
            typed_callback(|l: &ExtensionList<'_>, w: &mut ExtensionWriter<'_>| {
                reply_extensions(i, l, w)
            })(cm, sm)
        },
        each,
    );
}

/// [`relay_respond_batch`] with `draw_y` filling each `y` (in order, for the skins that pass
/// the public checks) and a callback on the bytes of the client's message.
pub(super) fn respond_batch<Y, F, G>(
    mut draw_y: Y,
    keys: &RelayKeys,
    onion_skins: &[&[u8]],
    mut reply_message: F,
    mut each: G,
) where
    Y: FnMut(&mut [u8; 32]),
    F: FnMut(usize, &[u8], &mut [u8]) -> Result<usize, HandshakeError>,
    G: FnMut(usize, Result<(KeySeed, Reply), HandshakeError>),
{
    for (c, chunk) in onion_skins.chunks(CHUNK).enumerate() {
        let base = c * CHUNK;
        let reply_message = |i, cm: &[u8], sm: &mut [u8]| reply_message(base + i, cm, sm);
        let each = |i, r| each(base + i, r);
        let draw_y = &mut draw_y;
        // Sized to the chunk: the hashes' jobs take about 6 KiB per skin, filled in place.
        match chunk {
            // One skin: nothing to share; the single path, with its paired X25519 call.
            [skin] => respond_one(draw_y, keys, skin, reply_message, each),
            [_, _] => respond_chunk::<2, _, _, _>(draw_y, keys, chunk, reply_message, each),
            [_, _, _] | [_, _, _, _] => {
                respond_chunk::<4, _, _, _>(draw_y, keys, chunk, reply_message, each);
            }
            _ => respond_chunk::<CHUNK, _, _, _>(draw_y, keys, chunk, reply_message, each),
        }
    }
}

/// One skin, as [`relay_respond`] answers it.
fn respond_one<Y, F, G>(
    draw_y: &mut Y,
    keys: &RelayKeys,
    skin: &[u8],
    mut reply_message: F,
    mut each: G,
) where
    Y: FnMut(&mut [u8; 32]),
    F: FnMut(usize, &[u8], &mut [u8]) -> Result<usize, HandshakeError>,
    G: FnMut(usize, Result<(KeySeed, Reply), HandshakeError>),
{
    let mut reply = Reply {
        bytes: [0; MAX_REPLY_LEN],
        len: 0,
    };
    let result = respond_core(
        |b, client_pk| {
            let mut y = Wiped::new([0u8; 32]);
            draw_y(&mut y);
            relay_dh(&y, b, client_pk)
        },
        keys,
        skin,
        |cm: &[u8], sm: &mut [u8]| reply_message(0, cm, sm),
        &mut reply.bytes,
        &mut Intermediates::default(),
    )
    .map(|(seed, len)| {
        reply.len = len;
        (seed, reply)
    });
    each(0, result);
}

/// Up to `K` skins (at most [`CHUNK`]).
fn respond_chunk<const K: usize, Y, F, G>(
    draw_y: &mut Y,
    keys: &RelayKeys,
    skins: &[&[u8]],
    mut reply_message: F,
    mut each: G,
) where
    Y: FnMut(&mut [u8; 32]),
    F: FnMut(usize, &[u8], &mut [u8]) -> Result<usize, HandshakeError>,
    G: FnMut(usize, Result<(KeySeed, Reply), HandshakeError>),
{
    let n = skins.len().min(K);
    // Public checks (length, NODEID), then (for skins that pass them, in order, as
    // `relay_respond` does) y from the RNG and the onion key for KEYID. Skin i's X25519 work is
    // entry `slot[i]` of the batch, and so are its hashes.
    let mut ys = Zeroizing::new([[0u8; 32]; K]);
    let mut bs = Zeroizing::new([[0u8; 32]; K]);
    let mut xs = [[0u8; 32]; K];
    let mut early: [Option<HandshakeError>; K] = [None; K];
    let mut slot = [0usize; K];
    let mut m = 0;
    for (i, skin) in skins.iter().take(n).enumerate() {
        match skin_keys(keys, skin) {
            Ok((key_id, client_pk)) => {
                draw_y(&mut ys[m]);
                let (b, _, _) = select_onion_key(keys, key_id);
                bs[m] = *b;
                xs[m] = *client_pk;
                slot[i] = m;
                m += 1;
            }
            Err(e) => early[i] = Some(e),
        }
    }
    let mut inputs = [(&[0u8; 32], &[0u8; 32], &[0u8; 32]); K];
    for k in 0..m {
        inputs[k] = (&ys[k], &bs[k], &xs[k]);
    }
    let mut dh = [([0u8; 32], [0u8; 32], [0u8; 32]); K];
    let done = x25519_base_and_pair_batch(&inputs[..m], &mut dh);
    debug_assert_eq!(done, m);

    // The skins past the public checks, by slot. `Responder::new` repeats those checks (they
    // pass again) and selects the same b again; the batch computed exactly this skin's
    // (y, b, X).
    let mut responders: [Option<Responder<'_>>; K] = core::array::from_fn(|_| None);
    for (i, skin) in skins.iter().take(n).enumerate() {
        if early[i].is_none() {
            let triple = &dh[slot[i]];
            match Responder::new(
                |_, _| -> ([u8; 32], Secret32, Secret32) {
                    (triple.0, Wiped::new(triple.1), Wiped::new(triple.2))
                },
                keys,
                skin,
                MAX_REPLY_LEN,
            ) {
                Ok(r) => responders[slot[i]] = Some(r),
                Err(e) => early[i] = Some(e),
            }
        }
    }
    for (y, xy, xb) in &mut dh {
        y.zeroize();
        xy.zeroize();
        xb.zeroize();
    }

    // Every skin's three chains, in the lanes together.
    let links: [_; K] = core::array::from_fn(|k| {
        (
            mac_link(responders[k].as_ref()),
            auth_link(responders[k].as_ref()),
        )
    });
    let mut chains: [[Chain<'_>; 3]; K] = [const { [Chain::UNLINKED; 3] }; K];
    for ((r, c), (then_mac, then_auth)) in responders.iter().zip(&mut chains).zip(&links) {
        if let Some(r) = r {
            r.fill(c, then_mac, then_auth);
        }
    }
    let used = chains.get_mut(..m).unwrap_or_default();
    run_chain_pool(used.as_flattened_mut());

    // Each skin's decision, and for those accepted, its message answered and AUTH's input
    // completed; then the rest of every AUTH in the lanes together (the other chains are
    // done and take no lane); then the replies, in order.
    let mut replies: [Reply; K] = [const {
        Reply {
            bytes: [0; MAX_REPLY_LEN],
            len: 0,
        }
    }; K];
    let mut answers: [Option<Result<Answer, HandshakeError>>; K] = core::array::from_fn(|_| None);
    let mut trace = Intermediates::default();
    for i in 0..n {
        if early[i].is_none() {
            let k = slot[i];
            if let Some(r) = &responders[k] {
                answers[k] = Some(r.answer(
                    &mut chains[k],
                    |cm: &[u8], sm: &mut [u8]| reply_message(i, cm, sm),
                    &mut replies[k].bytes,
                    &mut trace,
                ));
            }
        }
    }
    let used = chains.get_mut(..m).unwrap_or_default();
    run_chain_pool(used.as_flattened_mut());
    for i in 0..n {
        let k = slot[i];
        let result = match (early[i], answers[k].take(), &responders[k]) {
            (Some(e), _, _) => Err(e),
            (None, Some(Ok(answer)), Some(r)) => {
                let reply = &mut replies[k];
                r.finish(&chains[k], answer, &mut reply.bytes, &mut trace)
                    .map(|(seed, len)| {
                        reply.len = len;
                        (
                            seed,
                            core::mem::replace(
                                reply,
                                Reply {
                                    bytes: [0; MAX_REPLY_LEN],
                                    len: 0,
                                },
                            ),
                        )
                    })
            }
            (None, Some(Err(e)), _) => Err(e),
            // Every skin without an early error has a responder and an answer.
            (None, _, _) => Err(HandshakeError::Failed),
        };
        each(i, result);
    }
    trace.zeroize();
}
