//! ntor rejections: every byte of the reply flipped, every low-order `X` (and `Y`),
//! unknown and previous KEYIDs, NODEID mismatches and tampered onion skins.

// Test code: a panic is a failed test, and the helpers below sit outside `#[test]` fns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use hmac::{Hmac, Mac};
use onionskin::HandshakeError;
use onionskin::handshake::UnknownKeyPolicy;
use onionskin::handshake::ntor::{
    self, ClientState, RelayKeys, RelayPublicKey, RelaySecretKey, hazmat,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use sha2::Sha256;
use x25519_dalek::x25519;

/// The 8 small-order or non-canonical u-coordinates of `ntor_reject.json`: each makes any
/// clamped X25519 product all-zero (0, 1, the two points of order 8, p-1, p, p+1, and 0
/// with the ignored top bit set).
const LOW_ORDER: [&str; 8] = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
];

fn low_order() -> Vec<[u8; 32]> {
    LOW_ORDER
        .iter()
        .map(|h| hex::decode(h).unwrap().try_into().unwrap())
        .collect()
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn relay(seed: u64) -> RelayKeys {
    let mut r = rng(seed);
    let mut id = [0u8; 20];
    r.fill_bytes(&mut id);
    RelayKeys::new(id, RelaySecretKey::generate(&mut r))
}

/// An independent, buffer-building ntor (tor-spec 5.1.4) used to forge replies.
fn reference_auth(
    yx: &[u8; 32],
    bx: &[u8; 32],
    public: &RelayPublicKey,
    client_pk: &[u8],
    server_pk: &[u8; 32],
) -> [u8; 32] {
    fn h(t: &[u8], msg: &[u8]) -> [u8; 32] {
        let mut m = Hmac::<Sha256>::new_from_slice(t).unwrap();
        m.update(msg);
        m.finalize().into_bytes().into()
    }
    let secret_input = [
        &yx[..],
        bx,
        &public.identity,
        &public.onion_key,
        client_pk,
        server_pk,
        ntor::PROTOID,
    ]
    .concat();
    let verify = h(ntor::T_VERIFY, &secret_input);
    let auth_input = [
        &verify[..],
        &public.identity,
        &public.onion_key,
        server_pk,
        client_pk,
        ntor::PROTOID,
        b"Server",
    ]
    .concat();
    h(ntor::T_MAC, &auth_input)
}

#[test]
fn low_order_list_matches_the_vector_file() {
    let path = format!(
        "{}/../test-vectors/ntor_reject.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut from_file: Vec<[u8; 32]> = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"].as_str().unwrap().contains("low_order"))
        .map(|c| {
            hex::decode(c["onionskin"].as_str().unwrap()).unwrap()[52..]
                .try_into()
                .unwrap()
        })
        .collect();
    let mut ours = low_order();
    from_file.sort_unstable();
    ours.sort_unstable();
    assert_eq!(from_file, ours);
    for u in &ours {
        assert_eq!(x25519([0x55; 32], *u), [0; 32], "{}", hex::encode(u));
    }
}

#[test]
fn relay_rejects_every_low_order_x() {
    let keys = relay(1);
    let public = keys.public_key();
    let mut r = rng(2);
    for u in low_order() {
        let mut skin = [0u8; 84];
        skin[..20].copy_from_slice(&public.identity);
        skin[20..52].copy_from_slice(&public.onion_key);
        skin[52..].copy_from_slice(&u);
        for policy in [UnknownKeyPolicy::Reject, UnknownKeyPolicy::ReplyWithJunk] {
            let keys = keys.clone().with_unknown_key_policy(policy);
            let result = ntor::relay_respond(&mut r, &keys, &skin);
            assert_eq!(
                result.map(|_| ()),
                Err(HandshakeError::Failed),
                "{}",
                hex::encode(u)
            );
        }
    }
}

#[test]
fn client_rejects_every_low_order_y_even_with_a_consistent_auth() {
    let keys = relay(3);
    let public = keys.public_key();
    let x = [0x21u8; 32];
    for u in low_order() {
        let (state, skin) = hazmat::client_start_with_x(&x, &public);
        // The AUTH a relay would compute if it also took EXP(Y,x) = 0 at face value, so
        // only the all-zero check can catch it.
        let bx = x25519(x, public.onion_key);
        let auth = reference_auth(&[0; 32], &bx, &public, &skin[52..], &u);
        let mut reply = [0u8; 64];
        reply[..32].copy_from_slice(&u);
        reply[32..].copy_from_slice(&auth);
        assert_eq!(
            state.finish(&reply).map(|_| ()),
            Err(HandshakeError::Failed),
            "{}",
            hex::encode(u)
        );
    }
}

#[test]
fn reference_auth_matches_a_real_reply() {
    // Guards the forgery above: with honest values it reproduces the relay's AUTH.
    let keys = relay(4);
    let public = keys.public_key();
    let x = [0x42u8; 32];
    let (state, skin) = hazmat::client_start_with_x(&x, &public);
    let (_, reply) = ntor::relay_respond(&mut rng(5), &keys, &skin).unwrap();
    let y_pub: [u8; 32] = reply[..32].try_into().unwrap();
    let auth = reference_auth(
        &x25519(x, y_pub),
        &x25519(x, public.onion_key),
        &public,
        &skin[52..],
        &y_pub,
    );
    assert_eq!(auth[..], reply[32..]);
    assert!(state.finish(&reply).is_ok());
}

#[test]
fn every_flipped_reply_byte_is_rejected() {
    let keys = relay(6);
    let public = keys.public_key();
    let mut r = rng(7);
    let x = [0x11u8; 32];
    let (_, skin) = hazmat::client_start_with_x(&x, &public);
    let (_, reply) = ntor::relay_respond(&mut r, &keys, &skin).unwrap();
    // The unmodified reply is accepted, so the rejections below are the flips' doing.
    assert!(
        hazmat::client_start_with_x(&x, &public)
            .0
            .finish(&reply)
            .is_ok()
    );
    for i in 0..64 {
        for mask in [0x01u8, 0x80, 0xff] {
            // A flip of bit 7 of Y's last byte is ignored by X25519 but still changes Y in
            // secret_input and auth_input, so it must be rejected too.
            let mut bad = reply;
            bad[i] ^= mask;
            let (state, _) = hazmat::client_start_with_x(&x, &public);
            assert_eq!(
                state.finish(&bad).map(|_| ()),
                Err(HandshakeError::Failed),
                "byte {i} ^ {mask:#x}"
            );
        }
    }
}

#[test]
fn tampered_onion_skins_never_yield_agreed_keys() {
    let keys = relay(8);
    let public = keys.public_key();
    let x = [0x33u8; 32];
    for i in 0..84 {
        let (state, mut skin) = hazmat::client_start_with_x(&x, &public);
        skin[i] ^= 0x40;
        let result = ntor::relay_respond(&mut rng(9), &keys, &skin);
        match i {
            // NODEID is public: rejected early as addressed to another relay.
            0..20 => assert_eq!(
                result.map(|_| ()),
                Err(HandshakeError::WrongRelay),
                "byte {i}"
            ),
            // KEYID no longer names one of our keys (public, reported after the full work).
            20..52 => assert_eq!(
                result.map(|_| ()),
                Err(HandshakeError::UnknownOnionKey),
                "byte {i}"
            ),
            // Another X is just another client; but AUTH binds the X sent, so the real client
            // rejects the answer.
            _ => {
                let (_, reply) = result.unwrap();
                assert_eq!(
                    state.finish(&reply).map(|_| ()),
                    Err(HandshakeError::Failed),
                    "byte {i}"
                );
            }
        }
    }
}

#[test]
fn unknown_key_id_is_rejected_and_c_tor_policy_replies_with_junk() {
    let keys = relay(10);
    let stranger = RelaySecretKey::generate(&mut rng(11));
    let public = RelayPublicKey::new(*keys.identity(), *stranger.public_key());
    let mut r = rng(12);
    let (_, skin) = ClientState::start(&mut r, &public);
    assert_eq!(
        ntor::relay_respond(&mut r, &keys, &skin).map(|_| ()),
        Err(HandshakeError::UnknownOnionKey)
    );
    // C tor's behaviour: a reply that the client cannot accept, different every time.
    let c_tor = keys
        .clone()
        .with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk);
    let (state, skin) = ClientState::start(&mut r, &public);
    let (_, reply1) = ntor::relay_respond(&mut r, &c_tor, &skin).unwrap();
    let (_, reply2) = ntor::relay_respond(&mut r, &c_tor, &skin).unwrap();
    assert_ne!(reply1[32..], reply2[32..]);
    assert_eq!(
        state.finish(&reply1).map(|_| ()),
        Err(HandshakeError::Failed)
    );
}

#[test]
fn previous_onion_key_is_accepted_during_rotation() {
    let mut r = rng(13);
    let old = RelaySecretKey::generate(&mut r);
    let new = RelaySecretKey::generate(&mut r);
    let other = RelaySecretKey::generate(&mut r);
    let id = [9u8; 20];
    let keys = RelayKeys::new(id, new.clone()).with_previous(old.clone());
    assert_eq!(
        keys.previous().map(|k| *k.public_key()),
        Some(*old.public_key())
    );
    assert!(RelayKeys::new(id, new.clone()).previous().is_none());
    for (key, ok) in [(&new, true), (&old, true), (&other, false)] {
        let public = RelayPublicKey::new(id, *key.public_key());
        let (state, skin) = ClientState::start(&mut r, &public);
        let result = ntor::relay_respond(&mut r, &keys, &skin);
        assert_eq!(result.is_ok(), ok);
        if let Ok((relay_seed, reply)) = result {
            use onionskin::KeyMaterial;
            assert_eq!(
                state.finish(&reply).unwrap().circuit_keys(),
                relay_seed.circuit_keys()
            );
        }
    }
    // Without rotation only the current key works.
    let keys = RelayKeys::new(id, new);
    let (_, skin) = ClientState::start(&mut r, &RelayPublicKey::new(id, *old.public_key()));
    assert_eq!(
        ntor::relay_respond(&mut r, &keys, &skin).map(|_| ()),
        Err(HandshakeError::UnknownOnionKey)
    );
}

#[test]
fn client_rejects_a_reply_from_a_relay_with_another_onion_key() {
    let keys = relay(14);
    let mut r = rng(15);
    // The client has a stale descriptor: right identity, wrong B, so the relay fails the
    // KEYID lookup under C tor's policy and its junk AUTH cannot verify.
    let stale = RelayPublicKey::new(*keys.identity(), [0x09; 32]);
    let (state, skin) = ClientState::start(&mut r, &stale);
    let c_tor = keys.with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk);
    let (_, reply) = ntor::relay_respond(&mut r, &c_tor, &skin).unwrap();
    assert_eq!(
        state.finish(&reply).map(|_| ()),
        Err(HandshakeError::Failed)
    );
}
