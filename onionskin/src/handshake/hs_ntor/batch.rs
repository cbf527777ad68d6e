//! The service side of hs-ntor for several INTRODUCE2 cells at once (a service draining the
//! introductions its introduction points pass on, for instance under a rendezvous flood).
//!
//! The service's X25519 work is the relay's in ntor and ntor-v3: from its ephemeral `y`, its
//! introduction-point key `b` and the client's `X`, it computes `Y = EXP(g,y)`, `EXP(X,y)` and
//! `EXP(X,b)` (rend-spec-v3 3.3.2, "SERVICE HANDSHAKE"; the service's `EXP(X,b)` is the
//! client's `EXP(B,x)` of the introduction half, `EXP(X,y)` its `EXP(Y,x)` of the rendezvous
//! half). So the same batched ladders serve ([`x25519_base_and_pair_batch`]): the work of up to
//! eight cells runs side by side in vector lanes, and everything else (the subcredential loop,
//! the MAC, the rendezvous hashes, the decryption) is [`service_respond`]'s, cell by cell.
//!
//! Each cell gets exactly the answer [`service_respond`] would give it, drawing `y` from the
//! RNG in the same order. A cell rejected early for a public reason (its lengths) takes no
//! part in the batch; every other cell, whatever its `X` or MAC, runs the same instructions
//! in its lanes, and its verdict is decided on its own.

// Cell and slot indices are below `CHUNK`, the length of every array indexed.
#![allow(clippy::indexing_slicing)]

#[cfg(doc)]
use super::service_respond;
use super::{
    HandshakeError, Intermediates, MAX_INTRODUCE_BODY_LEN, PUB_KEY_LEN, ServiceHandshake,
    ServiceKeys, Subcredential, respond_core, split_encrypted,
};
use crate::codec::hs::Introduce2;
use crate::ct::Wiped;
use crate::x25519::x25519_base_and_pair_batch;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

/// Cells whose X25519 work runs as one batch (three full eight-lane calls with AVX-512 IFMA).
const CHUNK: usize = 8;

/// One INTRODUCE2 for [`service_respond_batch`]: its header (every byte before ENCRYPTED,
/// which the MAC covers) and its ENCRYPTED section, as
/// [`Introduce2::header`] and [`Introduce2::encrypted`] give them. Public data.
///
/// ```
/// use onionskin::codec::RelayMsgBody;
/// use onionskin::codec::hs::Introduce2;
/// use onionskin::handshake::hs_ntor::Introduction;
///
/// let mut body = [0u8; 20 + 1 + 2 + 32 + 1 + 64];
/// body[20] = 2; // AUTH_KEY_TYPE: Ed25519
/// body[22] = 32; // AUTH_KEY_LEN
/// let intro = Introduction::from(Introduce2::decode(&body)?);
/// assert_eq!((intro.header.len(), intro.encrypted.len()), (56, 64));
/// # Ok::<(), onionskin::DecodeError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Introduction<'a> {
    /// Every byte of the INTRODUCE2 body before ENCRYPTED.
    pub header: &'a [u8],
    /// ENCRYPTED: `CLIENT_PK | ENCRYPTED_DATA | MAC`.
    pub encrypted: &'a [u8],
}

impl<'a> From<Introduce2<'a>> for Introduction<'a> {
    fn from(m: Introduce2<'a>) -> Self {
        Self {
            header: m.header(),
            encrypted: m.encrypted(),
        }
    }
}

/// Answers every INTRODUCE2 of `introductions` as [`service_respond`] would, calling
/// `each(i, result)` for cell `i`, in order. An accepted cell's result holds the
/// [`ServiceHandshake`] and its decrypted plaintext (`plaintext_len` bytes), which lives only
/// during the call: the buffer is wiped after each. With the same RNG state, the results are
/// bit-identical to answering the cells one by one with [`service_respond`].
///
/// The X25519 work of up to eight cells runs together (on a CPU with AVX-512 IFMA, their
/// ladders side by side in vector lanes); a batch of one does what [`service_respond`] does.
///
/// ```
/// use onionskin::codec::extension::ExtensionList;
/// use onionskin::codec::hs::{Introduce1, Introduce2};
/// use onionskin::codec::RelayMsgBody;
/// use onionskin::handshake::hs_ntor::{self, Introduction, ServiceKeys, ServiceSecretKey, Subcredential};
///
/// let mut rng = rand_core::OsRng;
/// let subcredential = Subcredential::new([4; 32]);
/// let service = ServiceKeys::new([7; 32], ServiceSecretKey::generate(&mut rng));
/// let public = service.public_key(subcredential.clone());
///
/// // Three clients introduce themselves.
/// let mut clients = Vec::new();
/// let mut bodies = Vec::new();
/// for i in 0..3u8 {
///     let mut cell = [0u8; 498];
///     let header_len = Introduce1::encode_header(&[7; 32], ExtensionList::EMPTY, &mut cell)?;
///     let (header, rest) = cell.split_at_mut(header_len);
///     let (state, n) = hs_ntor::ClientState::start_into(&mut rng, &public, header, &[i; 100], rest)?;
///     clients.push(state);
///     bodies.push(cell[..header_len + n].to_vec());
/// }
/// let intros = bodies
///     .iter()
///     .map(|b| Introduce2::decode(b).map(Introduction::from))
///     .collect::<Result<Vec<_>, _>>()?;
///
/// let mut accepted = Vec::new();
/// hs_ntor::service_respond_batch(&mut rng, &service, &[subcredential], &intros, |i, r| {
///     let (handshake, plaintext) = r.expect("authentic");
///     assert_eq!(plaintext, &[i as u8; 100][..]);
///     accepted.push(handshake);
/// });
/// for (client, s) in clients.into_iter().zip(accepted) {
///     let keys = client.finish(s.handshake_info.as_bytes())?;
///     assert_eq!(keys.relay_keys(), s.key_seed.relay_keys());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// Each cell's result carries the errors of [`service_respond`] but
/// [`HandshakeError::BufferTooSmall`] (the plaintext buffer here always has room).
pub fn service_respond_batch<R, F>(
    rng: &mut R,
    keys: &ServiceKeys,
    subcredentials: &[Subcredential],
    introductions: &[Introduction<'_>],
    mut each: F,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, Result<(ServiceHandshake, &[u8]), HandshakeError>),
{
    for (c, chunk) in introductions.chunks(CHUNK).enumerate() {
        respond_chunk(rng, keys, subcredentials, chunk, |i, r| {
            each(c * CHUNK + i, r);
        });
    }
}

/// Up to [`CHUNK`] cells.
fn respond_chunk<R, F>(
    rng: &mut R,
    keys: &ServiceKeys,
    subcredentials: &[Subcredential],
    cells: &[Introduction<'_>],
    mut each: F,
) where
    R: RngCore + CryptoRng,
    F: FnMut(usize, Result<(ServiceHandshake, &[u8]), HandshakeError>),
{
    let n = cells.len().min(CHUNK);
    // Public checks (lengths), then, for the cells that pass them, in order (as
    // `service_respond` draws it once they have passed), y from the RNG. Cell i's X25519
    // work is entry `slot[i]` of the batch; every entry uses the one key b.
    let mut ys = Zeroizing::new([[0u8; 32]; CHUNK]);
    let mut xs = [[0u8; PUB_KEY_LEN]; CHUNK];
    let mut early: [Option<HandshakeError>; CHUNK] = [None; CHUNK];
    let mut slot = [0usize; CHUNK];
    let mut m = 0;
    for (i, cell) in cells.iter().take(n).enumerate() {
        match split_encrypted(cell.header, cell.encrypted) {
            Ok((client_pk, _, _)) => {
                rng.fill_bytes(&mut ys[m]);
                xs[m] = *client_pk;
                slot[i] = m;
                m += 1;
            }
            Err(e) => early[i] = Some(e),
        }
    }
    let b = keys.enc_key.secret_bytes();
    let mut inputs = [(&[0u8; 32], &[0u8; 32], &[0u8; 32]); CHUNK];
    for k in 0..m {
        inputs[k] = (&ys[k], b, &xs[k]);
    }
    let mut dh = [([0u8; 32], [0u8; 32], [0u8; 32]); CHUNK];
    let done = x25519_base_and_pair_batch(&inputs[..m], &mut dh);
    debug_assert_eq!(done, m);
    // Room for any acceptable cell's plaintext; it holds the client's secrets (the
    // rendezvous cookie, the onion key), so it is wiped after each cell.
    let mut plaintext = Wiped::new([0u8; MAX_INTRODUCE_BODY_LEN]);
    for (i, cell) in cells.iter().take(n).enumerate() {
        let result = match early[i] {
            Some(e) => Err(e),
            None => {
                let triple = &dh[slot[i]];
                respond_core(
                    // The batch computed exactly this cell's (y, b, X).
                    |_, _| (triple.0, Wiped::new(triple.1), Wiped::new(triple.2)),
                    keys,
                    subcredentials,
                    cell.header,
                    cell.encrypted,
                    &mut *plaintext,
                    &mut Intermediates::default(),
                )
            }
        };
        match result {
            Ok(s) => {
                let len = s.plaintext_len;
                each(i, Ok((s, plaintext.get(..len).unwrap_or_default())));
                plaintext.zeroize();
            }
            Err(e) => each(i, Err(e)),
        }
    }
    for (y, xy, xb) in &mut dh {
        y.zeroize();
        xy.zeroize();
        xb.zeroize();
    }
}
