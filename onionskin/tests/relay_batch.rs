//! The batch entry points of the ntor and ntor-v3 relays (`relay_respond_batch`) against
//! answering the same skins one by one: with the same RNG state, every skin's result is
//! bit-identical (reply bytes, key material, error), for every batch size up to two chunks
//! and one more, with bad skins of every kind mixed in (low-order `X`, unknown KEYID, wrong
//! NODEID, bad length, bad MAC); and good skins still complete with their clients.

// Test set-up unwraps results that are valid by construction, indexes skins at fixed
// offsets, and tags replies with skin indices below 256.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

use onionskin::HandshakeError;
use onionskin::codec::extension::{
    CircuitExtension, CongestionControlResponse, ExtensionList, ExtensionWriter,
};
use onionskin::handshake::{KeyMaterial, UnknownKeyPolicy};
use onionskin::handshake::{ntor, ntor_v3};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Key material long enough to tell any two seeds apart.
fn expand(seed: impl KeyMaterial) -> [u8; 72] {
    let mut out = [0u8; 72];
    seed.expand_into(&mut out).unwrap();
    out
}

/// Skin kinds, in a pattern over the batch: 0 good, 1 low-order X, 2 unknown KEYID, 3 wrong
/// NODEID (ntor: early error; ntor-v3: MAC failure), 4 bad length, 5 bad MAC / flipped X.
fn kind(i: usize) -> usize {
    [0, 1, 0, 2, 0, 0, 3, 4, 0, 5, 0][i % 11]
}

#[test]
fn ntor_batch_equals_one_by_one() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let onion = ntor::RelaySecretKey::generate(&mut rng);
    for policy in [UnknownKeyPolicy::Reject, UnknownKeyPolicy::ReplyWithJunk] {
        let keys = ntor::RelayKeys::new([9; 20], onion.clone()).with_unknown_key_policy(policy);
        let public = keys.public_key();
        for n in 0..=17 {
            let mut clients = Vec::new();
            let mut skins: Vec<Vec<u8>> = Vec::new();
            for i in 0..n {
                let (state, skin) = ntor::ClientState::start(&mut rng, &public);
                let mut skin = skin.to_vec();
                match kind(i) {
                    1 => skin[52..].copy_from_slice(&[0; 32]),
                    2 => skin[20] ^= 1,
                    3 => skin[0] ^= 1,
                    4 => skin.push(0),
                    5 => skin[60] ^= 0x40,
                    _ => {}
                }
                clients.push(state);
                skins.push(skin);
            }
            let refs: Vec<&[u8]> = skins.iter().map(Vec::as_slice).collect();
            let mut batch = Vec::new();
            let mut rng_b = ChaCha20Rng::seed_from_u64(100 + n as u64);
            ntor::relay_respond_batch(&mut rng_b, &keys, &refs, |i, r| {
                batch.push((i, r.map(|(seed, reply)| (expand(seed), reply))));
            });
            let mut rng_1 = ChaCha20Rng::seed_from_u64(100 + n as u64);
            let single: Vec<_> = skins
                .iter()
                .map(|skin| {
                    ntor::relay_respond(&mut rng_1, &keys, skin)
                        .map(|(seed, reply)| (expand(seed), reply))
                })
                .collect();
            assert_eq!(batch.len(), n);
            for (i, ((bi, b), s)) in batch.iter().zip(&single).enumerate() {
                assert_eq!(*bi, i);
                assert_eq!(b, s, "n={n} skin {i} kind {}", kind(i));
            }
            // Good skins complete with their clients; bad ones fail as they should.
            for (i, (client, (_, r))) in clients.into_iter().zip(batch).enumerate() {
                match (kind(i), r) {
                    (0, Ok((relay_keys, reply))) => {
                        assert_eq!(expand(client.finish(&reply).unwrap()), relay_keys);
                    }
                    (2, Ok(_)) => assert_eq!(policy, UnknownKeyPolicy::ReplyWithJunk),
                    (5, Ok((_, reply))) => {
                        // A flipped bit of X: the relay answers another X; the client rejects.
                        assert!(client.finish(&reply).is_err());
                    }
                    (0, Err(e)) => panic!("n={n} good skin {i} failed: {e:?}"),
                    (_, r) => assert!(r.is_err(), "n={n} skin {i} kind {}", kind(i)),
                }
            }
        }
    }
}

#[test]
fn ntor_v3_batch_equals_one_by_one() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let onion = ntor_v3::RelaySecretKey::generate(&mut rng);
    let keys = ntor_v3::RelayKeys::new([9; 32], onion);
    let public = keys.public_key();
    // The relay answers with a congestion-control response whose SENDME increment is the
    // skin index, so each reply is distinct.
    let answer = |i: usize, _: &ExtensionList<'_>, w: &mut ExtensionWriter<'_>| {
        w.push(&CircuitExtension::CongestionControlResponse(
            CongestionControlResponse {
                sendme_inc: i as u8,
            },
        ))
        .map_err(HandshakeError::from)
    };
    for n in 0..=17 {
        let mut clients = Vec::new();
        let mut skins: Vec<Vec<u8>> = Vec::new();
        for i in 0..n {
            let (state, skin) = ntor_v3::ClientState::start(&mut rng, &public, &[]).unwrap();
            let mut skin = skin.as_bytes().to_vec();
            match kind(i) {
                1 => skin[64..96].copy_from_slice(&[0; 32]),
                2 => skin[32] ^= 1,
                3 => skin[0] ^= 1,
                4 => skin.truncate(100),
                5 => *skin.last_mut().unwrap() ^= 1,
                _ => {}
            }
            clients.push(state);
            skins.push(skin);
        }
        let refs: Vec<&[u8]> = skins.iter().map(Vec::as_slice).collect();
        let mut batch = Vec::new();
        let mut rng_b = ChaCha20Rng::seed_from_u64(200 + n as u64);
        ntor_v3::relay_respond_batch(&mut rng_b, &keys, &refs, answer, |i, r| {
            batch.push((i, r.map(|(seed, reply)| (expand(seed), reply))));
        });
        let mut rng_1 = ChaCha20Rng::seed_from_u64(200 + n as u64);
        let single: Vec<_> = skins
            .iter()
            .enumerate()
            .map(|(i, skin)| {
                ntor_v3::relay_respond(&mut rng_1, &keys, skin, |l, w| answer(i, l, w))
                    .map(|(seed, reply)| (expand(seed), reply))
            })
            .collect();
        assert_eq!(batch.len(), n);
        for (i, ((bi, b), s)) in batch.iter().zip(&single).enumerate() {
            assert_eq!(*bi, i);
            assert_eq!(b, s, "n={n} skin {i} kind {}", kind(i));
        }
        for (i, (client, (_, r))) in clients.into_iter().zip(batch).enumerate() {
            match (kind(i), r) {
                (0, Ok((relay_keys, reply))) => {
                    let (seed, message) = client.finish(reply.as_bytes()).unwrap();
                    assert_eq!(expand(seed), relay_keys);
                    assert!(message.extensions().iter().next().is_some(), "skin {i}");
                }
                (0, Err(e)) => panic!("n={n} good skin {i} failed: {e:?}"),
                (_, r) => assert!(r.is_err(), "n={n} skin {i} kind {}", kind(i)),
            }
        }
    }
}

/// The deterministic batch (`hazmat::relay_respond_batch_with_ys`) against
/// `hazmat::relay_respond_with_y` skin by skin, with client messages and relay messages of
/// lengths that give the skins' hashes different numbers of blocks (so hashes finish at
/// different steps and lanes change hands), bad skins of every kind mixed in, and a relay
/// callback that refuses some skins.
#[cfg(feature = "hazmat")]
#[test]
fn ntor_v3_batch_with_ys_equals_one_by_one() {
    use ntor_v3::hazmat;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let onion = ntor_v3::RelaySecretKey::generate(&mut rng);
    let keys = ntor_v3::RelayKeys::new([4; 32], onion);
    let public = keys.public_key();
    let cm_len = |i: usize| [0, 1, 60, 93, 94, 200, 300, 377][i % 8];
    let sm_len = |i: usize| [0, 5, 104, 105, 240, 432][i % 6];
    let answer = |i: usize, cm: &[u8], out: &mut [u8]| {
        // Refuse every seventh skin; otherwise answer with a message that names the skin.
        if i % 7 == 6 || cm.len() != cm_len(i) {
            return None;
        }
        let n = sm_len(i);
        out.get_mut(..n)?.fill(i as u8);
        Some(n)
    };
    for n in [1, 2, 3, 5, 8, 12, 16, 19] {
        let mut skins = Vec::new();
        for i in 0..n {
            let cm: Vec<u8> = (0..cm_len(i)).map(|b| (b + i) as u8).collect();
            let mut skin = vec![0u8; ntor_v3::MAX_ONION_SKIN_LEN];
            let x: [u8; 32] = core::array::from_fn(|b| (b * 3 + i) as u8);
            let (_, len, _) = hazmat::client_start_with_x(&x, &public, &cm, &mut skin).unwrap();
            skin.truncate(len);
            match kind(i) {
                1 => skin[64..96].copy_from_slice(&[0; 32]),
                2 => skin[32] ^= 1,
                3 => skin[0] ^= 1,
                4 => skin.truncate(100),
                5 => *skin.last_mut().unwrap() ^= 1,
                _ => {}
            }
            skins.push(skin);
        }
        let refs: Vec<&[u8]> = skins.iter().map(Vec::as_slice).collect();
        let ys: Vec<[u8; 32]> = (0..n).map(|k| [k as u8 + 1; 32]).collect();
        let mut batch = Vec::new();
        hazmat::relay_respond_batch_with_ys(&ys, &keys, &refs, answer, |i, r| {
            batch.push((
                i,
                r.map(|(seed, reply)| (expand(seed), reply.as_bytes().to_vec())),
            ));
        });
        assert_eq!(batch.len(), n);
        let mut next_y = ys.iter();
        for (i, skin) in refs.iter().enumerate() {
            // Skins refused for their length or NODEID draw no y.
            let public_reject = skin.len() < ntor_v3::ONION_SKIN_OVERHEAD || kind(i) == 3;
            let y = if public_reject {
                [0; 32]
            } else {
                *next_y.next().unwrap()
            };
            let mut out = [0u8; ntor_v3::MAX_REPLY_LEN];
            let single =
                hazmat::relay_respond_with_y(&y, &keys, skin, |cm, o| answer(i, cm, o), &mut out)
                    .map(|(seed, len, _)| (expand(seed), out[..len].to_vec()));
            assert_eq!(batch[i].0, i);
            assert_eq!(batch[i].1, single, "n={n} skin {i} kind {}", kind(i));
            assert_eq!(
                single.is_ok(),
                kind(i) == 0 && i % 7 != 6,
                "n={n} skin {i} kind {}",
                kind(i)
            );
        }
    }
}
