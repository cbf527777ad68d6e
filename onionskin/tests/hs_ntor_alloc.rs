//! hs-ntor and its messages make no heap allocations: a whole introduction and rendezvous
//! (INTRODUCE1 built and read through the codec, the service's INTRODUCE2 with three
//! subcredentials, RENDEZVOUS1/2, both sides' keys), then the service's batch entry point on
//! nine cells, runs under a counting global allocator, and the count must not move.
//!
//! This file holds a single test so that no other test thread allocates while it measures.

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use core::hint::black_box;
use onionskin::codec::extension::ExtensionList;
use onionskin::codec::hs::{Introduce1, Introduce2, IntroducePlaintext, Rendezvous1, Rendezvous2};
use onionskin::codec::{LinkSpec, LinkSpecs, RelayMsgBody};
use onionskin::handshake::hs_ntor::{
    self, ClientState, MAX_INTRODUCE_BODY_LEN, ServiceKeys, ServiceSecretKey, Subcredential,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn introduction_and_rendezvous_allocate_nothing() {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    let service = ServiceKeys::new([4; 32], ServiceSecretKey::generate(&mut rng));
    let held = [
        Subcredential::new([1; 32]),
        Subcredential::new([2; 32]),
        Subcredential::new([3; 32]),
    ];
    let public = service.public_key(held[2].clone());
    let specs = [LinkSpec::LegacyId(&[9; 20])];
    let link_specs = LinkSpecs::from_slice(&specs).unwrap();

    let region = Region::new(GLOBAL);
    let mut body = [0u8; MAX_INTRODUCE_BODY_LEN];
    let header_len = Introduce1::encode_header(&[4; 32], ExtensionList::EMPTY, &mut body).unwrap();
    let mut pt = [0u8; MAX_INTRODUCE_BODY_LEN];
    let plaintext = IntroducePlaintext::new(&[7; 20], ExtensionList::EMPTY, &[8; 32], link_specs);
    let pt_len = plaintext.encode_padded(header_len, &mut pt).unwrap();
    let (header, rest) = body.split_at_mut(header_len);
    let (state, n) =
        ClientState::start_into(&mut rng, &public, header, &pt[..pt_len], rest).unwrap();
    let intro2 = Introduce2::decode(&body[..header_len + n]).unwrap();
    let mut decrypted = [0u8; MAX_INTRODUCE_BODY_LEN];
    let accepted = hs_ntor::service_respond(
        &mut rng,
        &service,
        &held,
        intro2.header(),
        intro2.encrypted(),
        &mut decrypted,
    )
    .unwrap();
    let got = IntroducePlaintext::decode(&decrypted[..accepted.plaintext_len]).unwrap();
    let mut rend1 = [0u8; 84];
    let m = Rendezvous1::new(got.rendezvous_cookie(), accepted.handshake_info.as_bytes());
    let len = m.encode_into(&mut rend1).unwrap();
    let rend2 =
        Rendezvous2::decode(Rendezvous1::decode(&rend1[..len]).unwrap().handshake_info()).unwrap();
    let client = state.finish(rend2.handshake_info()).unwrap();
    let same = client.relay_keys() == accepted.key_seed.relay_keys();
    // The same cell nine times through the service's batch entry point (a full chunk and one
    // more), its answers handed to a closure.
    let cells = [hs_ntor::Introduction::from(intro2); 9];
    let mut batch_ok = 0;
    hs_ntor::service_respond_batch(&mut rng, &service, &held, &cells, |_, r| {
        batch_ok +=
            usize::from(r.is_ok_and(|(s, p)| s.subcredential_index == 2 && p.len() == pt_len));
    });
    let stats = region.change();

    assert!(black_box(same), "keys differ");
    assert_eq!(accepted.subcredential_index, 2);
    assert_eq!(batch_ok, 9);
    assert_eq!(stats.allocations + stats.reallocations, 0, "{stats:?}");
}
