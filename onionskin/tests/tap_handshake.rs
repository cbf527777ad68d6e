//! TAP through the public API: known answers from test-vectors/tap.json and
//! tap_reject.json, round trips, tampering, onion-key loading (DER and PEM), the generic
//! layer.

// Test helpers may panic on malformed fixtures; that is a test failure, as intended.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use onionskin::codec::extension::CircuitExtension;
use onionskin::handshake::tap::{
    self, ClientState, RelayKeys, RelayPublicKey, RelaySecretKey, Tap, hazmat,
};
use onionskin::handshake::{CircuitHandshake, HandshakeType};
use onionskin::{HandshakeError, KeyMaterial};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

fn doc(text: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(text).unwrap();
    v["cases"].as_array().unwrap().clone()
}

fn positive() -> Vec<Value> {
    doc(include_str!("../../test-vectors/tap.json"))
}

fn h(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(v[name].as_str().unwrap_or_else(|| panic!("field {name}"))).unwrap()
}

fn arr<const N: usize>(v: &Value, name: &str) -> [u8; N] {
    h(v, name)
        .try_into()
        .unwrap_or_else(|_| panic!("field {name} length"))
}

fn secret_key(case: &Value) -> RelaySecretKey {
    RelaySecretKey::from_pkcs1_der(&h(&case["onion_key"], "private_der_pkcs1")).unwrap()
}

#[test]
fn known_answers_both_sides() {
    let cases = positive();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let key = secret_key(case);
        let public =
            RelayPublicKey::from_pkcs1_der(&h(&case["onion_key"], "public_der_pkcs1")).unwrap();
        assert_eq!(&public, key.public_key(), "{id}");
        let (state, skin) = hazmat::client_start_with_x(
            &arr(case, "x"),
            &public,
            &arr(case, "sym_key_K"),
            &arr(case, "oaep_seed"),
        );
        assert_eq!(skin.to_vec(), h(case, "onionskin"), "{id}: onion skin");
        let keys = RelayKeys::new(key);
        let (relay_seed, reply) =
            hazmat::relay_respond_with_y(&arr(case, "y"), &keys, &skin).unwrap();
        assert_eq!(reply.to_vec(), h(case, "reply"), "{id}: reply");
        let client_seed = state.finish(&reply).unwrap();
        let want = h(case, "kdf_tor_out_92");
        let (ck, rk) = (client_seed.circuit_keys(), relay_seed.circuit_keys());
        assert_eq!(ck, rk, "{id}");
        assert_eq!(ck.kh().to_vec(), want[..20].to_vec(), "{id}: KH");
        assert_eq!(ck.df().to_vec(), want[20..40].to_vec(), "{id}: Df");
        assert_eq!(ck.kb().to_vec(), want[76..92].to_vec(), "{id}: Kb");
    }
}

#[test]
fn leading_zero_k0_case_uses_minimal_encoding() {
    let cases = positive();
    let case = cases
        .iter()
        .find(|c| c["gxy_has_leading_zero_byte"].as_bool() == Some(true))
        .expect("the vector file has a leading-zero case");
    let keys = RelayKeys::new(secret_key(case));
    let (seed, _) =
        hazmat::relay_respond_with_y(&arr(case, "y"), &keys, &arr::<186>(case, "onionskin"))
            .unwrap();
    let mut material = [0u8; 72];
    seed.expand_into(&mut material).unwrap();
    assert_eq!(material.to_vec(), h(case, "key_material_72"));
    assert_ne!(
        h(case, "kdf_tor_out_92")[20..].to_vec(),
        h(case, "kdf_tor_out_92_if_k0_padded")[20..].to_vec()
    );
}

#[test]
fn previous_onion_key_is_tried() {
    let cases = positive();
    let (a, b) = (&cases[0], &cases[1]);
    let keys = RelayKeys::new(secret_key(b)).with_previous(secret_key(a));
    let (_, reply) =
        hazmat::relay_respond_with_y(&arr(a, "y"), &keys, &arr::<186>(a, "onionskin")).unwrap();
    assert_eq!(reply.to_vec(), h(a, "reply"));
    // And the current key still works with a previous key configured.
    let keys = RelayKeys::new(secret_key(a)).with_previous(secret_key(b));
    let (_, reply) =
        hazmat::relay_respond_with_y(&arr(a, "y"), &keys, &arr::<186>(a, "onionskin")).unwrap();
    assert_eq!(reply.to_vec(), h(a, "reply"));
    // Neither key: refused.
    let keys = RelayKeys::new(secret_key(b)).with_previous(secret_key(&cases[2]));
    assert_eq!(
        hazmat::relay_respond_with_y(&arr(a, "y"), &keys, &arr::<186>(a, "onionskin")).err(),
        Some(HandshakeError::Failed)
    );
}

#[test]
fn reject_vectors() {
    for case in doc(include_str!("../../test-vectors/tap_reject.json")) {
        let id = case["id"].as_str().unwrap();
        match case["side"].as_str().unwrap() {
            "server" => {
                let keys = RelayKeys::new(secret_key(&case));
                let mut rng = ChaCha20Rng::seed_from_u64(1);
                let skin = h(&case, "onionskin");
                let r = Tap::relay_respond(&mut rng, &keys, &skin, |_, _| Ok(()));
                let want = if skin.len() == tap::ONION_SKIN_LEN {
                    HandshakeError::Failed
                } else {
                    HandshakeError::Malformed
                };
                assert_eq!(r.err(), Some(want), "{id}");
                if let Ok(s) = <[u8; 186]>::try_from(skin.as_slice()) {
                    assert!(
                        hazmat::relay_respond_with_y(&arr(&case, "y"), &keys, &s).is_err(),
                        "{id}"
                    );
                }
            }
            "client" => {
                let state = hazmat::client_state_from_secret(&arr(&case, "x"));
                let reply = h(&case, "reply");
                let want = if reply.len() == tap::REPLY_LEN {
                    HandshakeError::Failed
                } else {
                    HandshakeError::Malformed
                };
                assert_eq!(Tap::client_finish(state, &reply).err(), Some(want), "{id}");
            }
            other => panic!("{id}: side {other}"),
        }
    }
}

#[test]
fn tampered_skin_and_reply_are_rejected() {
    let case = &positive()[2];
    let keys = RelayKeys::new(secret_key(case));
    let skin: [u8; 186] = arr(case, "onionskin");
    let y: [u8; 40] = arr(case, "y");
    let good_reply: [u8; 148] = arr(case, "reply");
    // Relay: any flipped byte of the RSA block breaks OAEP; a flipped byte of the AES part
    // changes g^x, so the reply changes (the relay cannot tell; the client will).
    for pos in (0..186).step_by(23).chain([127, 128, 185]) {
        let mut bad = skin;
        bad[pos] ^= 0x40;
        match hazmat::relay_respond_with_y(&y, &keys, &bad) {
            Err(e) => {
                assert!(pos < 128, "pos {pos}");
                assert_eq!(e, HandshakeError::Failed);
            }
            Ok((_, reply)) => {
                assert!(pos >= 128, "RSA byte {pos} flipped yet accepted");
                assert_ne!(reply, good_reply);
            }
        }
    }
    // Client: every flipped byte of the reply is refused.
    for pos in (0..148).step_by(11).chain([127, 128, 147]) {
        let state = hazmat::client_state_from_secret(&arr(case, "x"));
        let mut bad = good_reply;
        bad[pos] ^= 0x01;
        assert_eq!(
            state.finish(&bad).err(),
            Some(HandshakeError::Failed),
            "pos {pos}"
        );
    }
    let state = hazmat::client_state_from_secret(&arr(case, "x"));
    assert!(state.finish(&good_reply).is_ok());
}

#[test]
fn generic_layer_lengths_and_messages() {
    assert_eq!(Tap::HTYPE, HandshakeType::TAP);
    let case = &positive()[0];
    let key = secret_key(case);
    let keys = RelayKeys::new(key.clone());
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    assert_eq!(
        Tap::client_start(
            &mut rng,
            key.public_key(),
            &[CircuitExtension::CongestionControlRequest],
        )
        .err(),
        Some(HandshakeError::MessageNotSupported)
    );
    let (state, skin) = Tap::client_start(&mut rng, key.public_key(), &[]).unwrap();
    assert_eq!(
        Tap::relay_respond(&mut rng, &keys, &skin[..185], |_, _| Ok(())).err(),
        Some(HandshakeError::Malformed)
    );
    let mut called = false;
    let (relay_seed, reply) = Tap::relay_respond(&mut rng, &keys, &skin, |_, _| {
        called = true;
        Ok(())
    })
    .unwrap();
    assert!(!called, "TAP carries no message");
    let mut long = reply.to_vec();
    long.push(0);
    let state2 = hazmat::client_state_from_secret(&[1; 40]);
    assert_eq!(
        Tap::client_finish(state2, &long).err(),
        Some(HandshakeError::Malformed)
    );
    let (client_seed, message) = Tap::client_finish(state, &reply).unwrap();
    assert!(message.is_empty());
    let mut a = [0u8; 300];
    let mut b = [0u8; 300];
    client_seed.expand_into(&mut a).unwrap();
    relay_seed.expand_into(&mut b).unwrap();
    assert_eq!(a, b);
}

#[test]
fn expand_limits() {
    let case = &positive()[0];
    let keys = RelayKeys::new(secret_key(case));
    let skin: [u8; 186] = arr(case, "onionskin");
    let (seed, _) = hazmat::relay_respond_with_y(&arr(case, "y"), &keys, &skin).unwrap();
    let mut too_long = vec![0u8; onionskin::kdf::KDF_TOR_MAX_LEN - 20 + 1];
    assert_eq!(
        seed.expand_into(&mut too_long),
        Err(HandshakeError::KeyMaterialTooLong)
    );
    let (seed, _) = hazmat::relay_respond_with_y(&arr(case, "y"), &keys, &skin).unwrap();
    let mut max = vec![0u8; onionskin::kdf::KDF_TOR_MAX_LEN - 20];
    seed.expand_into(&mut max).unwrap();
    // The last bytes agree with the plain (variable-time) KDF over the same K0.
    let gxy = hazmat::dh_shared(&arr(case, "y"), &arr(case, "gx"));
    let first = gxy.iter().position(|&b| b != 0).unwrap();
    let mut want = vec![0u8; onionskin::kdf::KDF_TOR_MAX_LEN];
    onionskin::kdf::kdf_tor(&[&gxy[first..]], &mut want).unwrap();
    assert_eq!(max[..], want[20..]);
}

fn base64(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(core::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[test]
fn pem_keys_load_like_der() {
    for case in positive().iter().take(3) {
        let k = &case["onion_key"];
        let from_der = RelaySecretKey::from_pkcs1_der(&h(k, "private_der_pkcs1")).unwrap();
        let from_pem =
            RelaySecretKey::from_pkcs1_pem(&pem("RSA PRIVATE KEY", &h(k, "private_der_pkcs1")))
                .unwrap();
        assert_eq!(from_der.public_key(), from_pem.public_key());
        let public =
            RelayPublicKey::from_pkcs1_pem(&pem("RSA PUBLIC KEY", &h(k, "public_der_pkcs1")))
                .unwrap();
        assert_eq!(&public, from_der.public_key());
        assert_eq!(public.to_pkcs1_der().to_vec(), h(k, "public_der_pkcs1"));
        // Wrong label, wrong kind of key.
        assert!(
            RelayPublicKey::from_pkcs1_pem(&pem("PUBLIC KEY", &h(k, "public_der_pkcs1"))).is_err()
        );
        assert!(
            RelaySecretKey::from_pkcs1_pem(&pem("RSA PRIVATE KEY", &h(k, "public_der_pkcs1")))
                .is_err()
        );
    }
}

#[test]
fn bad_der_keys_are_refused() {
    let case = &positive()[0];
    let k = &case["onion_key"];
    let public = h(k, "public_der_pkcs1");
    let private = h(k, "private_der_pkcs1");
    // Trailing bytes, truncation.
    let mut long = public.clone();
    long.push(0);
    assert!(RelayPublicKey::from_pkcs1_der(&long).is_err());
    assert!(RelayPublicKey::from_pkcs1_der(&public[..public.len() - 1]).is_err());
    assert!(RelaySecretKey::from_pkcs1_der(&private[..private.len() - 1]).is_err());
    let mut long = private.clone();
    long.push(0);
    assert!(RelaySecretKey::from_pkcs1_der(&long).is_err());
    // e = 3 instead of 65537 (same length encoding changed: 01 00 01 -> 00 00 03 is
    // non-minimal, so use a well-formed e = 0x010003).
    let mut e3 = public.clone();
    let n = e3.len();
    e3[n - 1] = 0x03;
    assert!(RelayPublicKey::from_pkcs1_der(&e3).is_err());
    // Any flipped byte of the private key's CRT part is caught by the consistency check
    // (or by the DER parser).
    for pos in (160..private.len()).step_by(37) {
        let mut bad = private.clone();
        bad[pos] ^= 0x10;
        assert!(RelaySecretKey::from_pkcs1_der(&bad).is_err(), "pos {pos}");
    }
    // Every prefix of the DER fails cleanly (no panic).
    for len in 0..private.len() {
        assert!(RelaySecretKey::from_pkcs1_der(&private[..len]).is_err());
    }
    for len in 0..public.len() {
        assert!(RelayPublicKey::from_pkcs1_der(&public[..len]).is_err());
    }
}

#[test]
fn debug_output_hides_secrets() {
    let case = &positive()[0];
    let key = secret_key(case);
    let s = format!("{key:?}");
    assert!(s.starts_with("RelaySecretKey"), "{s}");
    let p = case["onion_key"]["p"].as_str().unwrap();
    assert!(!s.contains(&p[..8]));
    let state = hazmat::client_state_from_secret(&[5; 40]);
    assert_eq!(format!("{state:?}"), "tap::ClientState { .. }");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn round_trip_agrees(seed in any::<u64>(), key_idx in 0usize..8) {
        let cases = positive();
        let key = secret_key(&cases[key_idx]);
        let keys = RelayKeys::new(key.clone());
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let (state, skin) = ClientState::start(&mut rng, key.public_key());
        let (relay_seed, reply) = tap::relay_respond(&mut rng, &keys, &skin).unwrap();
        let client_seed = state.finish(&reply).unwrap();
        prop_assert!(client_seed.circuit_keys() == relay_seed.circuit_keys());
    }
}
