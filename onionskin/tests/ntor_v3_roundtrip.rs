//! ntor-v3 through the public API: random round trips with typed extensions, tampering on
//! both sides, the generic trait (whose "no message" is the extension list `00`), previous
//! onion keys, and congestion-control negotiation.

// Helper functions outside #[test] get the same leeway clippy.toml gives tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::codec::extension::{
    CircuitExtension, CongestionControlResponse, Extension, ExtensionList, ExtensionType,
    ExtensionWriter, ProtocolId, SubprotocolRequest,
};
use onionskin::handshake::CircuitHandshake;
use onionskin::handshake::ntor_v3::{
    self, ClientState, MAX_ONION_SKIN_LEN, MAX_REPLY_LEN, NtorV3, ONION_SKIN_OVERHEAD, RelayKeys,
    RelayPublicKey, RelaySecretKey, Verification, hazmat,
};
use onionskin::{HandshakeError, KeyMaterial};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// Sends every field of the client's list back, unchanged and in order.
fn echo(cm: &ExtensionList<'_>, sm: &mut ExtensionWriter<'_>) -> Result<(), HandshakeError> {
    for field in cm {
        sm.push_raw(&field)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn both_sides_agree(
        seed: u64,
        fields in proptest::collection::vec(
            (4u8..=255, proptest::collection::vec(any::<u8>(), 0..40)),
            0..8,
        ),
        ver in proptest::collection::vec(any::<u8>(), 0..=64),
        key_len in 0usize..600,
    ) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let ver = Verification::new(&ver).unwrap();
        let relay = RelayKeys::new([9; 32], RelaySecretKey::generate(&mut rng))
            .with_verification(ver);
        let sent: Vec<CircuitExtension<'_>> = fields
            .iter()
            .map(|(ty, body)| {
                CircuitExtension::Unknown(Extension::new(ExtensionType(*ty), body).unwrap())
            })
            .collect();
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), &sent).unwrap();
        let (rk, reply) = ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), echo).unwrap();
        let (ck, sm) = state.finish(reply.as_ref()).unwrap();
        let got: Vec<CircuitExtension<'_>> =
            sm.extensions().typed().map(Result::unwrap).collect();
        prop_assert_eq!(got, sent);
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
        let (state, _) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        prop_assert!(state.finish(&reply).is_err());
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
    let relay = RelayKeys::new([3; 32], RelaySecretKey::from_bytes(&[4; 32]));
    let pk = relay.public_key();
    let mut skin = [0u8; 200];
    let (_, skin_len, _) = hazmat::client_start_with_x(&x, &pk, &[0], &mut skin).unwrap();
    let mut reply = [0u8; MAX_REPLY_LEN];
    let sm_sent = [1, 2, 1, 31];
    let (_, reply_len, _) = hazmat::relay_respond_with_y(
        &y,
        &relay,
        &skin[..skin_len],
        |_, sm| {
            sm[..sm_sent.len()].copy_from_slice(&sm_sent);
            Some(sm_sent.len())
        },
        &mut reply,
    )
    .unwrap();
    let reply = &reply[..reply_len];
    let start = || {
        hazmat::client_start_with_x(&x, &pk, &[0], &mut [0u8; 200])
            .unwrap()
            .0
    };
    for i in 0..reply.len() {
        let mut bad = reply.to_vec();
        bad[i] ^= 0x04;
        assert_eq!(
            start().finish(&bad).err(),
            Some(HandshakeError::Failed),
            "byte {i}"
        );
    }
    // Truncating or extending the encrypted message breaks AUTH too (it is ENCAP'd).
    assert_eq!(
        start().finish(&reply[..reply.len() - 1]).err(),
        Some(HandshakeError::Failed)
    );
    let mut longer = reply.to_vec();
    longer.push(0);
    assert_eq!(start().finish(&longer).err(), Some(HandshakeError::Failed));
    // And the untouched reply is accepted, its list read back typed.
    let (_, sm) = start().finish(reply).unwrap();
    assert_eq!(sm.as_bytes(), &sm_sent);
    assert_eq!(
        sm.extensions().congestion_control_response(),
        Ok(Some(CongestionControlResponse { sendme_inc: 31 }))
    );
}

#[test]
fn every_skin_byte_is_checked() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    let field = Extension::new(ExtensionType(0x77), b"extension bytes").unwrap();
    let (_, skin) = ClientState::start(
        &mut rng,
        &relay.public_key(),
        &[CircuitExtension::Unknown(field)],
    )
    .unwrap();
    for i in 0..skin.len() {
        let mut bad = skin.as_ref().to_vec();
        bad[i] ^= 0x40;
        let r = ntor_v3::relay_respond(&mut rng, &relay, &bad, |_, _| Ok(()));
        let want = match i {
            // NODEID is public: another relay's skin, refused early.
            0..32 => HandshakeError::WrongRelay,
            // KEYID is public: a key this relay does not hold.
            32..64 => HandshakeError::UnknownOnionKey,
            // Everything else fails the MAC (or makes X low-order): the coarse failure.
            _ => HandshakeError::Failed,
        };
        assert_eq!(r.err(), Some(want), "byte {i}");
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
        let (state, _) = ClientState::start(&mut rng, &relay.public_key(), &[]).unwrap();
        let mut reply = [0u8; 65];
        reply[..32].copy_from_slice(&y);
        assert_eq!(state.finish(&reply).err(), Some(HandshakeError::Failed));
    }
}

#[test]
fn previous_onion_key_and_verification_mismatch() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let old = RelaySecretKey::generate(&mut rng);
    let old_pk = RelayPublicKey::new([3; 32], *old.public_key());
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng)).with_previous(old);
    let (state, skin) = ClientState::start(&mut rng, &old_pk, &[]).unwrap();
    let (rk, reply) =
        ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |_, _| Ok(())).unwrap();
    let (ck, _) = state.finish(reply.as_ref()).unwrap();
    assert_eq!(ck.circuit_keys(), rk.circuit_keys());

    // A client that binds another VER than the relay fails (at the relay's MAC check).
    let other = relay
        .public_key()
        .with_verification(Verification::new(b"other").unwrap());
    let (_, skin) = ClientState::start(&mut rng, &other, &[]).unwrap();
    assert_eq!(
        ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |_, _| Ok(())).err(),
        Some(HandshakeError::Failed)
    );
}

/// One code path for any handshake: what an embedder writes.
fn generic_roundtrip<H: CircuitHandshake>(
    relay_pk: &H::RelayPublicKey,
    relay: &H::RelayKeys,
    extensions: &[CircuitExtension<'_>],
) -> (H::KeySeed, H::KeySeed, Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let (state, skin) = H::client_start(&mut rng, relay_pk, extensions).unwrap();
    let (rk, reply) = H::relay_respond(&mut rng, relay, skin.as_ref(), echo).unwrap();
    let (ck, sm) = H::client_finish(state, reply.as_ref()).unwrap();
    (ck, rk, sm.as_bytes().to_vec())
}

#[test]
fn generic_layer() {
    assert_eq!(NtorV3::HTYPE, onionskin::HandshakeType::NTOR_V3);
    assert_eq!(NtorV3::HTYPE.0, 3);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    let ping = Extension::new(ExtensionType(0x50), b"ping").unwrap();
    let (ck, rk, echoed) = generic_roundtrip::<NtorV3>(
        &relay.public_key(),
        &relay,
        &[CircuitExtension::Unknown(ping)],
    );
    assert_eq!(echoed, b"\x01\x50\x04ping");
    assert_eq!(ck.circuit_keys(), rk.circuit_keys());
    // The trait's relay key defaults VER to Tor's "circuit extend".
    assert_eq!(
        relay.public_key().verification.as_bytes(),
        b"circuit extend"
    );
    let big = [0u8; 255];
    let field = CircuitExtension::Unknown(Extension::new(ExtensionType(9), &big).unwrap());
    assert_eq!(
        NtorV3::client_start(&mut rng, &relay.public_key(), &[field, field]).err(),
        Some(HandshakeError::BufferTooSmall)
    );
}

#[test]
fn generic_no_message_is_the_extension_list_byte_00() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    // What the generic trait sends for "no message"...
    let mut replay = rng.clone();
    let (_, skin) = NtorV3::client_start(&mut rng, &relay.public_key(), &[]).unwrap();
    assert_eq!(skin.as_ref().len(), ONION_SKIN_OVERHEAD + 1);
    // ...is, byte for byte, the onion skin that carries the one-byte message `00` under the
    // same ephemeral key (the trait draws `x` first).
    let mut x = [0u8; 32];
    replay.fill_bytes(&mut x);
    let mut expected = [0u8; MAX_ONION_SKIN_LEN];
    let (_, len, _) =
        hazmat::client_start_with_x(&x, &relay.public_key(), &[0x00], &mut expected).unwrap();
    assert_eq!(skin.as_ref(), &expected[..len]);
    // And the relay, after the MAC check, sees exactly that list.
    let mut seen = Vec::new();
    NtorV3::relay_respond(&mut rng, &relay, skin.as_ref(), |cm, _| {
        seen = cm.as_bytes().to_vec();
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, [0x00]);
}

#[test]
fn zero_length_client_message_is_refused_like_c_tor() {
    // The trap the typed API closes: a zero-length message is not an extension list, and C
    // tor destroys the circuit. The raw form can still send it, and the relay refuses it.
    let mut rng = ChaCha20Rng::seed_from_u64(10);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    let mut skin = [0u8; MAX_ONION_SKIN_LEN];
    let (_, len, _) =
        hazmat::client_start_with_x(&[5; 32], &relay.public_key(), &[], &mut skin).unwrap();
    let called = core::cell::Cell::new(false);
    let r = ntor_v3::relay_respond(&mut rng, &relay, &skin[..len], |_, _| {
        called.set(true);
        Ok(())
    });
    assert_eq!(r.err(), Some(HandshakeError::Malformed));
    assert!(!called.get());
}

#[test]
fn congestion_control_and_subprotocol_negotiation() {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let relay = RelayKeys::new([3; 32], RelaySecretKey::generate(&mut rng));
    let relay5 = SubprotocolRequest::new(&[[ProtocolId::RELAY.0, 5]]);
    for (client_wants, want) in [(true, Some(31)), (false, None)] {
        let asked: &[CircuitExtension<'_>] = if client_wants {
            &[
                CircuitExtension::CongestionControlRequest,
                CircuitExtension::SubprotocolRequest(relay5),
            ]
        } else {
            &[]
        };
        let (state, skin) = ClientState::start(&mut rng, &relay.public_key(), asked).unwrap();
        let mut saw_relay5 = false;
        let (_, reply) = ntor_v3::relay_respond(&mut rng, &relay, skin.as_ref(), |cm, sm| {
            saw_relay5 = cm
                .subprotocol_request()
                .map_err(|_| HandshakeError::Malformed)?
                .is_some_and(|r| r.contains(ProtocolId::RELAY, 5));
            if cm.congestion_control_request() {
                sm.push(&CircuitExtension::CongestionControlResponse(
                    CongestionControlResponse { sendme_inc: 31 },
                ))?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(saw_relay5, client_wants);
        let (_, sm) = state.finish(reply.as_ref()).unwrap();
        assert_eq!(
            sm.extensions()
                .congestion_control_response()
                .unwrap()
                .map(|r| r.sendme_inc),
            want
        );
    }
}
