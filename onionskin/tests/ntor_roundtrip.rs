//! ntor round trips: random keys through the normal API, the generic trait, key agreement
//! as a property, key-material lengths, and what `Debug` prints.

// Test code: a panic is a failed test, and the helpers below sit outside `#[test]` fns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use onionskin::codec::extension::CircuitExtension;
use onionskin::handshake::ntor::{
    self, ClientState, Ntor, RelayKeys, RelayPublicKey, RelaySecretKey, hazmat,
};
use onionskin::handshake::{CircuitHandshake, HandshakeType};
use onionskin::{HandshakeError, KeyMaterial};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

fn relay(r: &mut ChaCha20Rng) -> RelayKeys {
    let mut id = [0u8; 20];
    r.fill_bytes(&mut id);
    RelayKeys::new(id, RelaySecretKey::generate(r))
}

#[test]
fn random_round_trips_agree() {
    let mut r = ChaCha20Rng::seed_from_u64(20);
    let mut seen = Vec::new();
    for _ in 0..16 {
        let keys = relay(&mut r);
        let (state, skin) = ClientState::start(&mut r, &keys.public_key());
        let (relay_seed, reply) = ntor::relay_respond(&mut r, &keys, &skin).unwrap();
        let client = state.finish(&reply).unwrap().circuit_keys();
        assert_eq!(client, relay_seed.circuit_keys());
        seen.push(client.kh().to_vec());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 16, "fresh ephemeral keys give fresh keys");
}

#[test]
fn generic_trait_round_trip() {
    fn run<H: CircuitHandshake>(
        r: &mut ChaCha20Rng,
        public: &H::RelayPublicKey,
        keys: &H::RelayKeys,
    ) -> (H::KeySeed, H::KeySeed) {
        let (state, skin) = H::client_start(r, public, &[]).unwrap();
        let (relay_seed, reply) = H::relay_respond(r, keys, skin.as_ref(), |_, _| {
            panic!("ntor has no messages")
        })
        .unwrap();
        let (client_seed, message) = H::client_finish(state, reply.as_ref()).unwrap();
        assert!(message.is_empty());
        (client_seed, relay_seed)
    }
    let mut r = ChaCha20Rng::seed_from_u64(21);
    let keys = relay(&mut r);
    assert_eq!(Ntor::HTYPE, HandshakeType::NTOR);
    let (client, relay_seed) = run::<Ntor>(&mut r, &keys.public_key(), &keys);
    assert_eq!(client.circuit_keys(), relay_seed.circuit_keys());

    assert_eq!(
        Ntor::client_start(
            &mut r,
            &keys.public_key(),
            &[CircuitExtension::CongestionControlRequest]
        )
        .map(|_| ()),
        Err(HandshakeError::MessageNotSupported)
    );
    let (state, skin) = ClientState::start(&mut r, &keys.public_key());
    for len in [0, 83, 85] {
        let mut long = skin.to_vec();
        long.resize(len, 0);
        assert_eq!(
            Ntor::relay_respond(&mut r, &keys, &long, |_, _| Ok(())).map(|_| ()),
            Err(HandshakeError::Malformed)
        );
    }
    let (_, reply) = ntor::relay_respond(&mut r, &keys, &skin).unwrap();
    assert_eq!(
        Ntor::client_finish(state, &reply[..63]).map(|_| ()),
        Err(HandshakeError::Malformed)
    );
}

#[test]
fn key_material_of_any_length_matches_kdf_rfc5869() {
    let mut r = ChaCha20Rng::seed_from_u64(22);
    let keys = relay(&mut r);
    let x = [0x5au8; 32];
    let y = [0xa5u8; 32];
    for len in [
        0,
        1,
        31,
        32,
        33,
        72,
        92,
        256,
        1000,
        ntor::MAX_KEY_MATERIAL_LEN,
    ] {
        let (state, skin) = hazmat::client_start_with_x(&x, &keys.public_key());
        let (relay_seed, reply, im) = hazmat::relay_respond_with_y(&y, &keys, &skin).unwrap();
        let (client_seed, _) = hazmat::client_finish_with_intermediates(state, &reply).unwrap();
        let mut a = vec![0u8; len];
        let mut b = vec![0u8; len];
        let mut c = vec![0u8; len];
        relay_seed.expand_into(&mut a).unwrap();
        client_seed.expand_into(&mut b).unwrap();
        ntor_kdf_rfc5869(&im.secret_input, &mut c).unwrap();
        assert_eq!(a, c, "len {len}");
        assert_eq!(b, c, "len {len}");
    }
    let (state, skin) = hazmat::client_start_with_x(&x, &keys.public_key());
    let (_, reply) = ntor::relay_respond(&mut r, &keys, &skin).unwrap();
    let mut too_long = vec![0u8; ntor::MAX_KEY_MATERIAL_LEN + 1];
    assert_eq!(
        state.finish(&reply).unwrap().expand_into(&mut too_long),
        Err(HandshakeError::KeyMaterialTooLong)
    );
}

#[test]
fn debug_output_shows_no_secrets() {
    let secret = RelaySecretKey::from_bytes(&[0xab; 32]);
    let public = *secret.public_key();
    let keys = RelayKeys::new([0xcd; 20], secret.clone());
    let (state, skin) = hazmat::client_start_with_x(&[0xef; 32], &keys.public_key());
    let (seed, reply, im) = hazmat::relay_respond_with_y(&[0x12; 32], &keys, &skin).unwrap();
    let texts = [
        format!("{secret:?}"),
        format!("{keys:?}"),
        format!("{state:?}"),
        format!("{seed:?}"),
        format!("{im:?}"),
    ];
    for t in &texts {
        // 0xab = 171, 0xef = 239, 0x12 = 18: none of the secret bytes appear.
        assert!(
            !t.contains("171") && !t.contains("239") && !t.contains("18,"),
            "{t}"
        );
    }
    // The public onion key is fine to show.
    assert!(texts[0].contains(&public[0].to_string()));
    assert!(state.finish(&reply).is_ok());
}

#[test]
fn relay_public_key_and_stored_secret_round_trip() {
    let mut r = ChaCha20Rng::seed_from_u64(23);
    let key = RelaySecretKey::generate(&mut r);
    let reloaded = RelaySecretKey::from_bytes(key.secret_bytes());
    assert_eq!(reloaded.public_key(), key.public_key());
    let id = [1u8; 20];
    let keys = RelayKeys::new(id, key);
    assert_eq!(
        keys.public_key(),
        RelayPublicKey::new(id, *reloaded.public_key())
    );
    assert_eq!(keys.current().public_key(), reloaded.public_key());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Client and relay derive the same keys for any relay key, identity and ephemerals.
    #[test]
    fn client_and_relay_agree(
        b in any::<[u8; 32]>(),
        x in any::<[u8; 32]>(),
        y in any::<[u8; 32]>(),
        id in any::<[u8; 20]>(),
        len in 0usize..300,
    ) {
        let keys = RelayKeys::new(id, RelaySecretKey::from_bytes(&b));
        let (state, skin) = hazmat::client_start_with_x(&x, &keys.public_key());
        let (relay_seed, reply, relay_im) =
            hazmat::relay_respond_with_y(&y, &keys, &skin).unwrap();
        let (client_seed, client_im) =
            hazmat::client_finish_with_intermediates(state, &reply).unwrap();
        prop_assert_eq!(relay_im.secret_input, client_im.secret_input);
        prop_assert_eq!(relay_im.auth, client_im.auth);
        let mut a = vec![0u8; len];
        let mut c = vec![0u8; len];
        relay_seed.expand_into(&mut a).unwrap();
        client_seed.expand_into(&mut c).unwrap();
        prop_assert_eq!(a, c);
    }

    /// A client never accepts a reply that is not the relay's, byte for byte.
    #[test]
    fn client_rejects_any_other_reply(seed in any::<u64>(), noise in any::<[u8; 64]>()) {
        let mut r = ChaCha20Rng::seed_from_u64(seed);
        let keys = relay(&mut r);
        let (state, skin) = ClientState::start(&mut r, &keys.public_key());
        let (_, reply) = ntor::relay_respond(&mut r, &keys, &skin).unwrap();
        prop_assume!(noise != reply);
        prop_assert_eq!(state.finish(&noise).map(|_| ()), Err(HandshakeError::Failed));
    }
}

/// KDF-RFC5869 (tor-spec 5.2.2) over `secret_input`: HKDF-SHA256 with `salt = t_key`,
/// `info = m_expand`, through the crate's one HKDF entry point.
fn ntor_kdf_rfc5869(secret_input: &[u8], out: &mut [u8]) -> Result<(), HandshakeError> {
    onionskin::kdf::hkdf_sha256(ntor::T_KEY, &[secret_input], ntor::M_EXPAND, out)
}
