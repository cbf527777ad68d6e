//! The hs-ntor service's batch entry point (`service_respond_batch`) against answering the
//! same INTRODUCE2 cells one by one with `service_respond`: with the same RNG state, every
//! cell's result is bit-identical (HANDSHAKE_INFO, key material, plaintext, subcredential
//! index, error) and the RNG ends in the same state, for every batch size up to two chunks and
//! one more, with bad cells of every kind mixed in, under zero, one and three
//! subcredentials; and the accepted cells complete the rendezvous with their clients.

// Test set-up unwraps results that are valid by construction and indexes cells at fixed
// offsets.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::HandshakeError;
use onionskin::codec::RelayMsgBody;
use onionskin::codec::extension::ExtensionList;
use onionskin::codec::hs::{Introduce1, Introduce2};
use onionskin::handshake::hs_ntor::{
    self, ClientState, Introduction, MAX_INTRODUCE_BODY_LEN, ServiceHandshake, ServiceKeys,
    ServiceSecretKey, Subcredential,
};
use onionskin::keys::HsCircuitKeys;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Cell kinds, in a pattern over the batch: 0 good, 1 low-order `X` (all zero), 2 a
/// subcredential the service does not hold, 3 a flipped MAC bit, 4 ENCRYPTED too short,
/// 5 the cell too long, 6 a flipped ciphertext bit, 7 good under the service's last
/// subcredential.
fn kind(i: usize) -> usize {
    [0, 1, 0, 2, 7, 0, 3, 4, 0, 5, 0, 6][i % 12]
}

/// What a service's answer to one cell is, comparably.
type Answer = Result<([u8; 64], HsCircuitKeys, usize, Vec<u8>), HandshakeError>;

fn answer(s: ServiceHandshake, plaintext: &[u8]) -> Answer {
    assert_eq!(plaintext.len(), s.plaintext_len);
    Ok((
        *s.handshake_info.as_bytes(),
        s.key_seed.relay_keys(),
        s.subcredential_index,
        plaintext.to_vec(),
    ))
}

/// Cell `i`'s plaintext: distinct per cell, of a length that varies too.
fn plaintext_of(i: usize) -> Vec<u8> {
    vec![u8::try_from(i).unwrap(); 40 + 7 * (i % 5)]
}

/// A client's INTRODUCE1 body (header and ENCRYPTED, split) of kind `k`, and its state.
fn cell(
    rng: &mut ChaCha20Rng,
    service: &ServiceKeys,
    held: &[Subcredential],
    i: usize,
) -> (ClientState, Vec<u8>, usize) {
    let subcredential = match kind(i) {
        2 => Subcredential::new([0xee; 32]),
        7 => held.last().cloned().unwrap_or(Subcredential::new([1; 32])),
        _ => held.first().cloned().unwrap_or(Subcredential::new([1; 32])),
    };
    let public = service.public_key(subcredential);
    let mut body = vec![0u8; MAX_INTRODUCE_BODY_LEN];
    let header_len = Introduce1::encode_header(&[7; 32], ExtensionList::EMPTY, &mut body).unwrap();
    let (header, rest) = body.split_at_mut(header_len);
    let plaintext = plaintext_of(i);
    let (state, n) = ClientState::start_into(rng, &public, header, &plaintext, rest).unwrap();
    body.truncate(header_len + n);
    match kind(i) {
        1 => body[header_len..header_len + 32].fill(0),
        3 => *body.last_mut().unwrap() ^= 0x10,
        4 => body.truncate(header_len + 63),
        5 => body.resize(MAX_INTRODUCE_BODY_LEN + 1, 0),
        6 => body[header_len + 32] ^= 1,
        _ => {}
    }
    (state, body, header_len)
}

#[test]
fn service_batch_equals_one_by_one() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let service = ServiceKeys::new([7; 32], ServiceSecretKey::generate(&mut rng));
    let sets = [
        Vec::new(),
        vec![Subcredential::new([1; 32])],
        vec![
            Subcredential::new([1; 32]),
            Subcredential::new([2; 32]),
            Subcredential::new([3; 32]),
        ],
    ];
    for held in &sets {
        for n in 1..=17 {
            let mut clients = Vec::new();
            let mut bodies = Vec::new();
            for i in 0..n {
                let (state, body, header_len) = cell(&mut rng, &service, held, i);
                clients.push(state);
                bodies.push((body, header_len));
            }
            let intros: Vec<Introduction<'_>> = bodies
                .iter()
                .map(|(b, h)| Introduction {
                    header: &b[..*h],
                    encrypted: &b[*h..],
                })
                .collect();

            let seed = 300 + n as u64 + 100 * held.len() as u64;
            let mut rng_b = ChaCha20Rng::seed_from_u64(seed);
            let mut batch = Vec::new();
            hs_ntor::service_respond_batch(&mut rng_b, &service, held, &intros, |i, r| {
                batch.push((i, r.and_then(|(s, p)| answer(s, p))));
            });
            let mut rng_1 = ChaCha20Rng::seed_from_u64(seed);
            let single: Vec<Answer> = intros
                .iter()
                .map(|c| {
                    let mut out = [0u8; MAX_INTRODUCE_BODY_LEN];
                    hs_ntor::service_respond(
                        &mut rng_1,
                        &service,
                        held,
                        c.header,
                        c.encrypted,
                        &mut out,
                    )
                    .and_then(|s| {
                        let len = s.plaintext_len;
                        answer(s, &out[..len])
                    })
                })
                .collect();
            assert_eq!(rng_b.next_u64(), rng_1.next_u64(), "RNG drawn alike, n={n}");
            assert_eq!(batch.len(), n);
            for (i, ((bi, b), s)) in batch.iter().zip(&single).enumerate() {
                assert_eq!(*bi, i);
                assert_eq!(b, s, "n={n} cell {i} kind {}", kind(i));
            }

            // Good cells complete the rendezvous; bad ones fail as they should.
            for (i, (client, (_, r))) in clients.into_iter().zip(batch).enumerate() {
                match (kind(i), r) {
                    (0 | 7, Ok((info, keys, index, plaintext))) => {
                        let want = if kind(i) == 7 { held.len() - 1 } else { 0 };
                        assert_eq!(index, want, "n={n} cell {i}");
                        assert_eq!(plaintext, plaintext_of(i));
                        assert_eq!(client.finish(&info).unwrap().relay_keys(), keys);
                    }
                    (0 | 7, Err(e)) => {
                        assert!(held.is_empty(), "n={n} good cell {i} failed: {e:?}");
                        assert_eq!(e, HandshakeError::Failed);
                    }
                    (4 | 5, r) => assert_eq!(r.err(), Some(HandshakeError::Malformed)),
                    (k, r) => assert_eq!(r.err(), Some(HandshakeError::Failed), "kind {k}"),
                }
            }
        }
    }
}

/// Cells decoded by the codec go straight in; an empty batch calls nothing and draws
/// nothing.
#[test]
fn codec_cells_and_empty_batch() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let service = ServiceKeys::new([7; 32], ServiceSecretKey::generate(&mut rng));
    let held = [Subcredential::new([1; 32])];
    let (_, body, _) = cell(&mut rng, &service, &held, 0);
    let m = Introduce2::decode(&body).unwrap();
    let mut seen = 0;
    hs_ntor::service_respond_batch(&mut rng, &service, &held, &[m.into()], |i, r| {
        assert_eq!(i, 0);
        assert_eq!(r.unwrap().1, &[0u8; 40][..]);
        seen += 1;
    });
    assert_eq!(seen, 1);

    let mut a = ChaCha20Rng::seed_from_u64(5);
    let b = a.clone();
    hs_ntor::service_respond_batch(&mut a, &service, &held, &[], |_, _| panic!("called"));
    assert_eq!(a, b);
}
