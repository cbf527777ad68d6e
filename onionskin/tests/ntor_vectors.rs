//! ntor against the known-answer vectors in `test-vectors/ntor.json` and
//! `test-vectors/ntor_reject.json` (tor-spec 5.1.4, 5.2.2), through the public API and the
//! hazmat entry points. Unlike `check_vectors`, reject cases also assert *which* error.

// Test code: a panic is a failed test, and the helpers below sit outside `#[test]` fns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use onionskin::handshake::ntor::{self, Ntor, RelayKeys, RelayPublicKey, RelaySecretKey, hazmat};
use onionskin::handshake::{CircuitHandshake, UnknownKeyPolicy};
use onionskin::{HandshakeError, KeyMaterial};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::Value;

fn load(name: &str) -> Vec<Value> {
    let path = format!("{}/../test-vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn hx(case: &Value, field: &str) -> Vec<u8> {
    hex::decode(
        case[field]
            .as_str()
            .unwrap_or_else(|| panic!("no field {field}")),
    )
    .unwrap()
}

fn arr<const N: usize>(case: &Value, field: &str) -> [u8; N] {
    hx(case, field).try_into().unwrap()
}

#[test]
fn positive_vectors_both_sides() {
    let cases = load("ntor.json");
    assert_eq!(cases.len(), 8);
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let node_id: [u8; 20] = arr(case, "node_id");
        let onion_key: [u8; 32] = arr(case, "B");
        let secret = RelaySecretKey::from_bytes(&arr(case, "b"));
        assert_eq!(secret.public_key(), &onion_key, "{id}: B");
        let keys = RelayKeys::new(node_id, secret);
        assert_eq!(keys.public_key(), RelayPublicKey::new(node_id, onion_key));

        let (state, skin) = hazmat::client_start_with_x(&arr(case, "x"), &keys.public_key());
        assert_eq!(skin.to_vec(), hx(case, "onionskin"), "{id}: onion skin");

        let (relay_seed, reply, relay_im) =
            hazmat::relay_respond_with_y(&arr(case, "y"), &keys, &skin).unwrap();
        assert_eq!(reply.to_vec(), hx(case, "reply"), "{id}: reply");

        let (client_seed, client_im) =
            hazmat::client_finish_with_intermediates(state, &reply).unwrap();
        for im in [&relay_im, &client_im] {
            assert_eq!(im.secret_input.to_vec(), hx(case, "secret_input"), "{id}");
            assert_eq!(im.key_seed.to_vec(), hx(case, "key_seed"), "{id}");
            assert_eq!(im.verify.to_vec(), hx(case, "verify"), "{id}");
            assert_eq!(im.auth.to_vec(), hx(case, "auth"), "{id}");
        }

        let key_len = usize::try_from(case["key_len"].as_u64().unwrap()).unwrap();
        let mut relay_out = vec![0; key_len];
        let mut client_out = vec![0; key_len];
        relay_seed.expand_into(&mut relay_out).unwrap();
        client_seed.expand_into(&mut client_out).unwrap();
        assert_eq!(
            relay_out,
            hx(case, "key_material"),
            "{id}: relay key material"
        );
        assert_eq!(
            client_out,
            hx(case, "key_material"),
            "{id}: client key material"
        );

        let mut from_secret_input = vec![0; key_len];
        ntor_kdf_rfc5869(&hx(case, "secret_input"), &mut from_secret_input).unwrap();
        assert_eq!(
            from_secret_input,
            hx(case, "key_material"),
            "{id}: kdf_rfc5869"
        );

        // The normal (non-hazmat) finish gives the same split keys.
        let (state, _) = hazmat::client_start_with_x(&arr(case, "x"), &keys.public_key());
        let split = state.finish(&reply).unwrap().circuit_keys();
        let k = &case["keys"];
        assert_eq!(split.df().to_vec(), hx(k, "Df"), "{id}");
        assert_eq!(split.db().to_vec(), hx(k, "Db"), "{id}");
        assert_eq!(split.kf().to_vec(), hx(k, "Kf"), "{id}");
        assert_eq!(split.kb().to_vec(), hx(k, "Kb"), "{id}");
        assert_eq!(split.kh().to_vec(), hx(k, "KH"), "{id}");
    }
}

#[test]
fn reject_vectors_with_the_right_error() {
    let cases = load("ntor_reject.json");
    assert_eq!(cases.len(), 15);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        assert_eq!(case["expected"], "reject");
        let node_id: [u8; 20] = arr(case, "node_id");
        let onion_key: [u8; 32] = arr(case, "B");
        let result = match case["side"].as_str().unwrap() {
            "server" => {
                let keys = RelayKeys::new(node_id, RelaySecretKey::from_bytes(&arr(case, "b")));
                let skin = hx(case, "onionskin");
                match <&[u8; 84]>::try_from(skin.as_slice()) {
                    Ok(skin) => {
                        let y = arr(case, "y");
                        hazmat::relay_respond_with_y(&y, &keys, skin).map(|_| ())
                    }
                    Err(_) => {
                        Ntor::relay_respond(&mut rng, &keys, &skin, |_, _| Ok(())).map(|_| ())
                    }
                }
            }
            "client" => {
                let public = RelayPublicKey::new(node_id, onion_key);
                let (state, skin) = hazmat::client_start_with_x(&arr(case, "x"), &public);
                assert_eq!(skin[52..].to_vec(), hx(case, "X"), "{id}: X");
                let reply = hx(case, "reply");
                match <&[u8; 64]>::try_from(reply.as_slice()) {
                    Ok(reply) => state.finish(reply).map(|_| ()),
                    Err(_) => Ntor::client_finish(state, &reply).map(|_| ()),
                }
            }
            side => panic!("{id}: side {side}"),
        };
        let want = if id.ends_with("wrong_node_id") {
            HandshakeError::WrongRelay
        } else if id.ends_with("unknown_key_id") {
            HandshakeError::UnknownOnionKey
        } else if id.ends_with("_truncated") {
            HandshakeError::Malformed
        } else {
            HandshakeError::Failed
        };
        assert_eq!(result, Err(want), "{id}");
    }
}

#[test]
fn unknown_key_id_vector_gets_a_junk_reply_under_c_tor_policy() {
    let case = load("ntor_reject.json")
        .into_iter()
        .find(|c| c["id"].as_str().unwrap().ends_with("unknown_key_id"))
        .unwrap();
    let keys = RelayKeys::new(
        arr(&case, "node_id"),
        RelaySecretKey::from_bytes(&arr(&case, "b")),
    );
    let skin: [u8; 84] = arr(&case, "onionskin");
    let y = arr(&case, "y");
    let c_tor = keys
        .clone()
        .with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk);
    assert!(hazmat::relay_respond_with_y(&y, &c_tor, &skin).is_ok());
    assert_eq!(
        hazmat::relay_respond_with_y(&y, &keys, &skin).map(|_| ()),
        Err(HandshakeError::UnknownOnionKey)
    );
}

/// KDF-RFC5869 (tor-spec 5.2.2) over `secret_input`: HKDF-SHA256 with `salt = t_key`,
/// `info = m_expand`, through the crate's one HKDF entry point.
fn ntor_kdf_rfc5869(secret_input: &[u8], out: &mut [u8]) -> Result<(), HandshakeError> {
    onionskin::kdf::hkdf_sha256(ntor::T_KEY, &[secret_input], ntor::M_EXPAND, out)
}
