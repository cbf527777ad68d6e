//! The relay never exposes the client's message (CM) unless its MAC verifies: for a flipped
//! MAC, a flipped ciphertext byte, a wrong verification string, a wrong NODEID, an unknown
//! KEYID and a low-order X, the `reply_extensions` callback is never called, the result is a
//! bare error (the public ones, a wrong NODEID and an unknown KEYID, named as such), and the
//! caller's reply buffer is left exactly as it was.

// Helper functions outside #[test] get the same leeway clippy.toml gives tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use core::cell::Cell;
use onionskin::HandshakeError;
use onionskin::codec::extension::{CircuitExtension, Extension, ExtensionType};
use onionskin::handshake::CircuitHandshake;
use onionskin::handshake::ntor_v3::{
    ClientState, MAX_REPLY_LEN, NtorV3, ONION_SKIN_OVERHEAD, RelayKeys, RelaySecretKey,
    Verification, hazmat, relay_respond_into,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A client message a leak would be easy to spot in.
const SECRET_CM: &[u8] = b"attack at dawn; attack at dawn; attack at dawn";
const SENTINEL: u8 = 0xa5;

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(0x332)
}

const ONION_SECRET: [u8; 32] = [7; 32];

fn relay(_: &mut ChaCha20Rng) -> RelayKeys {
    RelayKeys::new([0x42; 32], RelaySecretKey::from_bytes(&ONION_SECRET))
}

/// The secret, carried in an extension of a type nobody knows.
fn secret_extension() -> [CircuitExtension<'static>; 1] {
    [CircuitExtension::Unknown(
        Extension::new(ExtensionType(0x99), SECRET_CM).unwrap(),
    )]
}

fn good_skin(rng: &mut ChaCha20Rng, keys: &RelayKeys) -> Vec<u8> {
    let (_, skin) = ClientState::start(rng, &keys.public_key(), &secret_extension()).unwrap();
    skin.as_ref().to_vec()
}

/// Runs the relay on `skin` through both the inherent API and the generic trait, and
/// asserts that the callback never ran and nothing was written.
fn assert_never_exposed(keys: &RelayKeys, skin: &[u8], want: HandshakeError, what: &str) {
    let mut rng = rng();
    let called = Cell::new(false);
    let mut reply = [SENTINEL; MAX_REPLY_LEN];
    let r = relay_respond_into(
        &mut rng,
        keys,
        skin,
        |_, _| {
            called.set(true);
            Ok(())
        },
        &mut reply,
    );
    assert_eq!(r.err(), Some(want), "{what}: inherent API");
    assert!(
        !called.get(),
        "{what}: callback saw an unauthenticated message"
    );
    assert!(
        reply.iter().all(|&b| b == SENTINEL),
        "{what}: reply buffer was written"
    );

    let r = NtorV3::relay_respond(&mut rng, keys, skin, |_, _| {
        called.set(true);
        Ok(())
    });
    assert_eq!(r.err(), Some(want), "{what}: trait");
    assert!(
        !called.get(),
        "{what}: callback saw an unauthenticated message (trait)"
    );
}

#[test]
fn authentic_message_is_exposed() {
    // The control: without tampering the callback runs and sees exactly the message, so the
    // tests below can fail.
    let mut rng = rng();
    let keys = relay(&mut rng);
    let skin = good_skin(&mut rng, &keys);
    let called = Cell::new(false);
    let r = relay_respond_into(
        &mut rng,
        &keys,
        &skin,
        |cm, _| {
            assert_eq!(cm.iter().next().map(|e| e.body()), Some(SECRET_CM));
            called.set(true);
            Ok(())
        },
        &mut [0u8; MAX_REPLY_LEN],
    );
    assert!(r.is_ok());
    assert!(called.get());
}

#[test]
fn flipped_mac_never_exposed() {
    let mut rng = rng();
    let keys = relay(&mut rng);
    let skin = good_skin(&mut rng, &keys);
    for i in skin.len() - 32..skin.len() {
        for bit in [0x01, 0x80] {
            let mut bad = skin.clone();
            bad[i] ^= bit;
            assert_never_exposed(
                &keys,
                &bad,
                HandshakeError::Failed,
                &format!("MAC byte {i} ^ {bit:#x}"),
            );
        }
    }
}

#[test]
fn flipped_ciphertext_never_exposed() {
    let mut rng = rng();
    let keys = relay(&mut rng);
    let skin = good_skin(&mut rng, &keys);
    for i in ONION_SKIN_OVERHEAD - 32..skin.len() - 32 {
        let mut bad = skin.clone();
        bad[i] ^= 0x01;
        assert_never_exposed(
            &keys,
            &bad,
            HandshakeError::Failed,
            &format!("ciphertext byte {i}"),
        );
    }
}

#[test]
fn wrong_verification_never_exposed() {
    let mut rng = rng();
    let keys = relay(&mut rng);
    let skin = good_skin(&mut rng, &keys);
    for ver in [&b"circuit extenD"[..], b"", b"circuit extend\0"] {
        // Same identity and onion key, but the relay binds another VER.
        let relay_ver = RelayKeys::new(*keys.identity(), RelaySecretKey::from_bytes(&ONION_SECRET))
            .with_verification(Verification::new(ver).unwrap());
        assert_never_exposed(
            &relay_ver,
            &skin,
            HandshakeError::Failed,
            &format!("VER {ver:?}"),
        );
    }
}

#[test]
fn wrong_node_id_and_unknown_key_never_exposed() {
    let mut rng = rng();
    let keys = relay(&mut rng);
    let skin = good_skin(&mut rng, &keys);
    let mut bad = skin.clone();
    bad[0] ^= 1;
    assert_never_exposed(&keys, &bad, HandshakeError::WrongRelay, "NODEID");
    let mut bad = skin.clone();
    bad[32] ^= 1;
    assert_never_exposed(&keys, &bad, HandshakeError::UnknownOnionKey, "KEYID");
    // A skin made (and MACed) for another relay identity: the MAC is valid for the NODEID
    // it names, so only the NODEID check stops it.
    let other = RelayKeys::new([0x43; 32], RelaySecretKey::from_bytes(&ONION_SECRET)).public_key();
    let (_, skin) = ClientState::start(&mut rng, &other, &secret_extension()).unwrap();
    assert_never_exposed(
        &keys,
        skin.as_ref(),
        HandshakeError::WrongRelay,
        "consistent MAC, other NODEID",
    );
}

#[test]
fn reject_vectors_never_exposed() {
    // Every relay-side case of test-vectors/ntor_v3_reject.json except the truncated skin
    // (a public length error): bad MAC, altered ciphertext, wrong VER, wrong NODEID (twice),
    // unknown KEYID, and X = 0 with a MAC consistent with EXP(X,b) = 0.
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/ntor_v3_reject.json")).unwrap();
    let mut n = 0;
    for case in doc["cases"].as_array().unwrap() {
        if case["side"] != "server" || case["id"].as_str().unwrap().ends_with("truncated") {
            continue;
        }
        let f = |k: &str| hex::decode(case[k].as_str().unwrap()).unwrap();
        let keys = RelayKeys::new(
            f("ID").try_into().unwrap(),
            RelaySecretKey::from_bytes(&f("b").try_into().unwrap()),
        )
        .with_verification(Verification::new(&f("VER")).unwrap());
        let id = case["id"].as_str().unwrap();
        let want = if id.contains("wrong_node_id") {
            HandshakeError::WrongRelay
        } else if id.ends_with("unknown_key_id") {
            HandshakeError::UnknownOnionKey
        } else {
            HandshakeError::Failed
        };
        assert_never_exposed(&keys, &f("onionskin"), want, id);
        // The deterministic entry point behaves the same.
        let called = Cell::new(false);
        let r = hazmat::relay_respond_with_y(
            &f("y").try_into().unwrap(),
            &keys,
            &f("onionskin"),
            |_, _| {
                called.set(true);
                Some(0)
            },
            &mut [0u8; MAX_REPLY_LEN],
        );
        assert_eq!(r.err(), Some(want), "{id}");
        assert!(!called.get(), "{id}");
        n += 1;
    }
    assert_eq!(n, 7);
}
