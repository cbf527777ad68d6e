//! `ntor::hazmat::relay_respond_batch_with`: on every X25519 backend this CPU runs, the
//! batch gives bit-identical results to `relay_respond_batch` (and so to answering one by
//! one) with the same RNG state, for every batch size up to two chunks and one more, with
//! bad skins mixed in; on a backend the CPU cannot run it answers nothing, draws nothing and
//! says so.

// Test set-up unwraps results that are valid by construction and indexes skins at fixed
// offsets.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::HandshakeError;
use onionskin::handshake::KeyMaterial;
use onionskin::handshake::ntor::{self, hazmat};
use onionskin::x25519::Backend;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

type Answer = Result<([u8; 72], [u8; ntor::REPLY_LEN]), HandshakeError>;

fn expand(seed: impl KeyMaterial) -> [u8; 72] {
    let mut out = [0u8; 72];
    seed.expand_into(&mut out).unwrap();
    out
}

#[test]
fn every_available_backend_answers_alike() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let keys = ntor::RelayKeys::new([9; 20], ntor::RelaySecretKey::generate(&mut rng));
    let public = keys.public_key();
    let mut skins: Vec<Vec<u8>> = Vec::new();
    for i in 0..17 {
        let mut skin = ntor::ClientState::start(&mut rng, &public).1.to_vec();
        match i % 5 {
            1 => skin[52..].fill(0), // low-order X
            3 => skin[20] ^= 1,      // unknown KEYID
            4 => {
                skin.pop(); // bad length
            }
            _ => {}
        }
        skins.push(skin);
    }
    let refs: Vec<&[u8]> = skins.iter().map(Vec::as_slice).collect();
    let mut ran = 0;
    for n in 1..=17 {
        let mut want: Vec<(usize, Answer)> = Vec::new();
        let mut rng_d = ChaCha20Rng::seed_from_u64(n as u64);
        ntor::relay_respond_batch(&mut rng_d, &keys, &refs[..n], |i, r| {
            want.push((i, r.map(|(s, reply)| (expand(s), reply))));
        });
        for backend in Backend::ALL {
            let mut got: Vec<(usize, Answer)> = Vec::new();
            let mut rng_b = ChaCha20Rng::seed_from_u64(n as u64);
            let answered =
                hazmat::relay_respond_batch_with(backend, &mut rng_b, &keys, &refs[..n], |i, r| {
                    got.push((i, r.map(|(s, reply)| (expand(s), reply))));
                });
            if backend.is_available() {
                ran += 1;
                assert_eq!(answered, Some(n));
                assert_eq!(got, want, "{backend:?} n={n}");
                assert_eq!(rng_b.next_u64(), rng_d.clone().next_u64());
            } else {
                assert_eq!(answered, None);
                assert!(got.is_empty());
                assert_eq!(rng_b, ChaCha20Rng::seed_from_u64(n as u64), "nothing drawn");
            }
        }
        // From two skins on, good and bad ones are mixed.
        if n >= 2 {
            assert!(want.iter().any(|(_, r)| r.is_ok()));
            assert!(want.iter().any(|(_, r)| r.is_err()));
        }
    }
    // Portable and PortableLanes run everywhere.
    assert!(ran >= 2 * 17);
}
