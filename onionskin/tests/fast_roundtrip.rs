//! CREATE_FAST round trips, flipped reply bytes, the generic trait and key lengths.

// Test code: a panic is a failed test, and the helpers below sit outside `#[test]` fns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use onionskin::codec::extension::CircuitExtension;
use onionskin::handshake::fast::{self, ClientState, Fast, hazmat};
use onionskin::handshake::{CircuitHandshake, HandshakeType};
use onionskin::{HandshakeError, KeyMaterial, kdf};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn random_round_trips_agree() {
    let mut r = ChaCha20Rng::seed_from_u64(30);
    for _ in 0..32 {
        let (state, x) = ClientState::start(&mut r);
        let (relay_seed, reply) = fast::relay_respond(&mut r, &x).unwrap();
        assert_ne!(reply[..20], x, "Y is fresh");
        assert_eq!(
            state.finish(&reply).unwrap().circuit_keys(),
            relay_seed.circuit_keys()
        );
    }
}

#[test]
fn every_flipped_reply_byte_is_rejected() {
    let mut r = ChaCha20Rng::seed_from_u64(31);
    let (state, x) = ClientState::start(&mut r);
    let (_, reply) = fast::relay_respond(&mut r, &x).unwrap();
    let x: [u8; 20] = x;
    assert!(state.finish(&reply).is_ok());
    for i in 0..40 {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut bad = reply;
            bad[i] ^= mask;
            let (state, _) = hazmat::client_start_with_x(&x);
            assert_eq!(
                state.finish(&bad).map(|_| ()),
                Err(HandshakeError::Failed),
                "byte {i} ^ {mask:#x}"
            );
        }
    }
}

#[test]
fn key_material_is_kdf_tor_after_kh() {
    let x = [7u8; 20];
    let y = [8u8; 20];
    for len in [0, 1, 19, 20, 21, 72, 92, 500, fast::MAX_KEY_MATERIAL_LEN] {
        let (seed, _) = hazmat::relay_respond_with_y(&y, &x).unwrap();
        let mut got = vec![0u8; len];
        seed.expand_into(&mut got).unwrap();
        let mut full = vec![0u8; len + 20];
        kdf::kdf_tor(&[&x, &y], &mut full).unwrap();
        assert_eq!(got, full[20..], "len {len}");
    }
    let (seed, _) = hazmat::relay_respond_with_y(&y, &x).unwrap();
    let mut too_long = vec![0u8; fast::MAX_KEY_MATERIAL_LEN + 1];
    assert_eq!(
        seed.expand_into(&mut too_long),
        Err(HandshakeError::KeyMaterialTooLong)
    );
}

#[test]
fn generic_trait_round_trip() {
    let mut r = ChaCha20Rng::seed_from_u64(32);
    assert_eq!(Fast::HTYPE, HandshakeType::FAST);
    let (state, skin) = Fast::client_start(&mut r, &(), &[]).unwrap();
    let (relay_seed, reply) =
        Fast::relay_respond(&mut r, &(), &skin, |_, _| panic!("no messages")).unwrap();
    let (client_seed, message) = Fast::client_finish(state, &reply).unwrap();
    assert!(message.is_empty());
    assert_eq!(client_seed.circuit_keys(), relay_seed.circuit_keys());

    assert_eq!(
        Fast::client_start(&mut r, &(), &[CircuitExtension::CongestionControlRequest]).map(|_| ()),
        Err(HandshakeError::MessageNotSupported)
    );
    assert_eq!(
        Fast::relay_respond(&mut r, &(), &[0; 19], |_, _| Ok(())).map(|_| ()),
        Err(HandshakeError::Malformed)
    );
    let (state, _) = ClientState::start(&mut r);
    assert_eq!(
        Fast::client_finish(state, &[0; 41]).map(|_| ()),
        Err(HandshakeError::Malformed)
    );
}

#[test]
fn debug_output_shows_no_secrets() {
    let (state, _) = hazmat::client_start_with_x(&[0xab; 20]);
    let (seed, _) = hazmat::relay_respond_with_y(&[0xab; 20], &[0xab; 20]).unwrap();
    for t in [format!("{state:?}"), format!("{seed:?}")] {
        assert!(!t.contains("171"), "{t}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn client_and_relay_agree(x in any::<[u8; 20]>(), y in any::<[u8; 20]>(), len in 0usize..200) {
        let (state, skin) = hazmat::client_start_with_x(&x);
        let (relay_seed, reply) = hazmat::relay_respond_with_y(&y, &skin).unwrap();
        let client_seed = state.finish(&reply).unwrap();
        let mut a = vec![0u8; len];
        let mut b = vec![0u8; len];
        relay_seed.expand_into(&mut a).unwrap();
        client_seed.expand_into(&mut b).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn client_rejects_any_other_reply(x in any::<[u8; 20]>(), y in any::<[u8; 20]>(), noise in any::<[u8; 40]>()) {
        let (state, skin) = hazmat::client_start_with_x(&x);
        let (_, reply) = hazmat::relay_respond_with_y(&y, &skin).unwrap();
        prop_assume!(noise != reply);
        prop_assert_eq!(state.finish(&noise).map(|_| ()), Err(HandshakeError::Failed));
    }
}
