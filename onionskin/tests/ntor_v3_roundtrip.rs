//! ntor-v3 through the public API: random round trips, tampering on both sides, the generic
//! trait, previous onion keys, and congestion-control negotiation.

// Helper functions outside #[test] get the same leeway clippy.toml gives tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::handshake::CircuitHandshake;
use onionskin::handshake::ntor_v3::{
    self, ClientState, MAX_CLIENT_MESSAGE_LEN, MAX_REPLY_LEN, MAX_SERVER_MESSAGE_LEN, NtorV3,
    RelayKeys, RelayPublicKey, RelaySecretKey, Verification, hazmat, messages,
};
use onionskin::{HandshakeError, KeyMaterial};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn echo_reversed(cm: &[u8], sm: &mut [u8]) -> Option<usize> {
    let out = sm.get_mut(..cm.len())?;
    for (o, i) in out.iter_mut().zip(cm.iter().rev()) {
        *o = *i;
    }
    Some(cm.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn both_sides_agree(
        seed: u64,
        cm in proptest::collection::vec(any::<u8>(), 0..=MAX_CLIENT_MESSAGE_LEN),
        ver in proptest::collection::vec(any::<u8>(), 0..=64),
        key_len in 0usize..600,
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let ver = Verification::new(&ver).unwrap();
        let relay = RelayKeys::new([9; 32], RelaySecretKey::generate(&mut rng))
            .with_verification(ver);
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), &cm).unwrap();
        let (rk, reply) = ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), echo_reversed).unwrap();
        let mut sm = [0u8; MAX_SERVER_MESSAGE_LEN];
        let (ck, n) = state.finish(reply.as_ref(), &mut sm).unwrap();
        let want: Vec<u8> = cm.iter().rev().copied().collect();
        prop_assert_eq!(&sm[..n], &want[..]);
        let mut a = vec![0u8; key_len];
        let mut b = vec![0u8; key_len];
        ck.expand_into(&mut a).unwrap();
        rk.expand_into(&mut b).unwrap();
        prop_assert_eq!(a, b);
    }

    #[test]
    fn arbitrary_replies_never_panic(reply in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let relay = RelayKeys::new([9; 32], RelaySecretKey::generate(&mut rng));
        let (state, _) = ClientState::start(&mut rng, &relay.public_key(), b"").unwrap();
        let mut sm = [0u8; 600];
        prop_assert!(state.finish(&reply, &mut sm).is_err());
    }

    #[test]
    fn arbitrary_skins_never_panic(skin in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let relay = RelayKeys::new([9; 32], RelaySecretKey::generate(&mut rng));
        let r = ntor_v3::relay_respond(&mut rng, &relay, &skin, |_, _| panic!("unauthenticated"));
        prop_assert!(r.is_err());
    }
}

#[test]
fn every_reply_byte_is_authenticated() {
    let x = [0x11; 32];
    let y = [0x22; 32];
    let relay = RelayKeys::new([3; 32], RelaySecretKey::from_bytes([4; 32]));
    let pk = relay.public_key();
    let mut skin = [0u8; 200];
    let (_, skin_len, _) = hazmat::client_start_with_secret(&x, &pk, b"cm", &mut skin).unwrap();
    let mut reply = [0u8; MAX_REPLY_LEN];
    let (_, reply_len, _) = hazmat::relay_respond_with_secret(
        &y,
        &relay,
        &skin[..skin_len],
        |_, sm| {
            sm[..5].copy_from_slice(b"hello");
            Some(5)
        },
        &mut reply,
    )
    .unwrap();
    let reply = &reply[..reply_len];
    let mut sm = [0u8; 16];
    for i in 0..reply.len() {
        let mut bad = reply.to_vec();
        bad[i] ^= 0x04;
        let (state, _, _) =
            hazmat::client_start_with_secret(&x, &pk, b"cm", &mut [0u8; 200]).unwrap();
        assert_eq!(
            state.finish(&bad, &mut sm).err(),
            Some(HandshakeError::Failed),
            "byte {i}"
        );
    }
    // Truncating or extending the encrypted message breaks AUTH too (it is ENCAP'd).
    let (state, _, _) = hazmat::client_start_with_secret(&x, &pk, b"cm", &mut [0u8; 200]).unwrap();
    assert_eq!(
        state.finish(&reply[..reply.len() - 1], &mut sm).err(),
        Some(HandshakeError::Failed)
    );
    let (state, _, _) = hazmat::client_start_with_secret(&x, &pk, b"cm", &mut [0u8; 200]).unwrap();
    let mut longer = reply.to_vec();
    longer.push(0);
    assert_eq!(
        state.finish(&longer, &mut sm).err(),
        Some(HandshakeError::Failed)
    );
    // And the untouched reply is accepted.
    let (state, _, _) = hazmat::client_start_with_secret(&x, &pk, b"cm", &mut [0u8; 200]).unwrap();
    let (_, n) = state.finish(reply, &mut sm).unwrap();
    assert_eq!(&sm[..n], b"hello");
}

#[test]
fn every_skin_byte_is_checked() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    let (_, skin) = ClientState::start(&mut rng, &relay.public_key(), b"extension bytes").unwrap();
    for i in 0..skin.len() {
        let mut bad = skin.as_ref().to_vec();
        bad[i] ^= 0x40;
        let r = ntor_v3::relay_respond(&mut rng, &relay, &bad, |_, _| Some(0));
        assert_eq!(r.err(), Some(HandshakeError::Failed), "byte {i}");
    }
}

#[test]
fn low_order_relay_key_rejected_by_client() {
    // Y = 0 and Y = 1: EXP(Y,x) is all zero; the client must refuse whatever AUTH says.
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    for y in [[0u8; 32], {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    }] {
        let (state, _) = ClientState::start(&mut rng, &relay.public_key(), b"").unwrap();
        let mut reply = [0u8; 64];
        reply[..32].copy_from_slice(&y);
        assert_eq!(
            state.finish(&reply, &mut []).err(),
            Some(HandshakeError::Failed)
        );
    }
}

#[test]
fn previous_onion_key_and_verification_mismatch() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let old = RelaySecretKey::generate(&mut rng);
    let old_pk = RelayPublicKey::new([3; 32], *old.public_key());
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng)).with_previous(old);
    let (state, skin) = ClientState::start(&mut rng, &old_pk, b"").unwrap();
    let (rk, reply) =
        ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |_, _| Some(0)).unwrap();
    let (ck, _) = state.finish(reply.as_ref(), &mut []).unwrap();
    assert_eq!(ck.circuit_keys(), rk.circuit_keys());

    // A client that binds another VER than the relay fails (at the relay's MAC check).
    let other = relay
        .public_key()
        .with_verification(Verification::new(b"other").unwrap());
    let (_, skin) = ClientState::start(&mut rng, &other, b"").unwrap();
    assert!(ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |_, _| Some(0)).is_err());
}

/// One code path for any handshake: what an embedder writes.
fn generic_roundtrip<H: CircuitHandshake>(
    relay_pk: &H::RelayPublicKey,
    relay: &H::RelayKeys,
    message: &[u8],
) -> (H::KeySeed, H::KeySeed, Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let (state, skin) = H::client_start(&mut rng, relay_pk, message).unwrap();
    let (rk, reply) = H::relay_respond(&mut rng, relay, skin.as_ref(), |cm, sm| {
        sm.get_mut(..cm.len())?.copy_from_slice(cm);
        Some(cm.len())
    })
    .unwrap();
    let mut out = [0u8; MAX_REPLY_LEN];
    let (ck, n) = H::client_finish(state, reply.as_ref(), &mut out).unwrap();
    (ck, rk, out[..n].to_vec())
}

#[test]
fn generic_layer() {
    assert_eq!(NtorV3::HTYPE, onionskin::HandshakeType::NTOR_V3);
    assert_eq!(NtorV3::HTYPE.0, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    let (ck, rk, echoed) = generic_roundtrip::<NtorV3>(&relay.public_key(), &relay, b"ping");
    assert_eq!(echoed, b"ping");
    assert_eq!(ck.circuit_keys(), rk.circuit_keys());
    // The trait's relay key defaults VER to Tor's "circuit extend".
    assert_eq!(
        relay.public_key().verification.as_bytes(),
        b"circuit extend"
    );
    let too_long = [0u8; MAX_CLIENT_MESSAGE_LEN + 1];
    assert_eq!(
        NtorV3::client_start(&mut rng, &relay.public_key(), &too_long).err(),
        Some(HandshakeError::Malformed)
    );
}

#[test]
fn congestion_control_negotiation() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    for (client_wants, want) in [(true, Some(31)), (false, None)] {
        let cm: &[u8] = if client_wants {
            &messages::CC_REQUEST
        } else {
            &[0]
        };
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), cm).unwrap();
        let (_, reply) = ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |cm, sm| {
            let answer: &[u8] = if messages::requests_congestion_control(cm).ok()? {
                &messages::cc_response(31)
            } else {
                &[0]
            };
            sm.get_mut(..answer.len())?.copy_from_slice(answer);
            Some(answer.len())
        })
        .unwrap();
        let mut sm = [0u8; MAX_SERVER_MESSAGE_LEN];
        let (_, n) = state.finish(reply.as_ref(), &mut sm).unwrap();
        assert_eq!(messages::sendme_inc(&sm[..n]), Ok(want));
    }
    // A relay that cannot parse the client's message refuses the circuit, as C tor does.
    let (_, skin) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
    let r = ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |cm, _| {
        messages::requests_congestion_control(cm).ok().map(|_| 0)
    });
    assert_eq!(r.err(), Some(HandshakeError::Failed));
}
