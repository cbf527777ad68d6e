//! CREATE_FAST against `test-vectors/create_fast.json` and `create_fast_reject.json`
//! (tor-spec 5.1.5, 5.2.1), plus KDF-TOR against `kdf_tor.json`.

// Test code: a panic is a failed test, and the helpers below sit outside `#[test]` fns.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use onionskin::handshake::CircuitHandshake;
use onionskin::handshake::fast::{Fast, hazmat};
use onionskin::{HandshakeError, KeyMaterial, kdf};
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
    let cases = load("create_fast.json");
    assert_eq!(cases.len(), 8);
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let (state, body) = hazmat::client_start_with_x(&arr(case, "X"));
        assert_eq!(body.to_vec(), hx(case, "create_fast_body"), "{id}");
        let (relay_seed, reply) = hazmat::relay_respond_with_y(&arr(case, "Y"), &body).unwrap();
        assert_eq!(reply.to_vec(), hx(case, "reply"), "{id}");
        assert_eq!(reply[20..].to_vec(), hx(case, "kh"), "{id}");
        let client_seed = state.finish(&reply).unwrap();

        let mut relay_72 = [0u8; 72];
        let mut client_72 = [0u8; 72];
        relay_seed.expand_into(&mut relay_72).unwrap();
        client_seed.expand_into(&mut client_72).unwrap();
        assert_eq!(relay_72.to_vec(), hx(case, "key_material_72"), "{id}");
        assert_eq!(client_72.to_vec(), hx(case, "key_material_72"), "{id}");

        let mut out92 = [0u8; 92];
        kdf::kdf_tor(&[&hx(case, "k0")], &mut out92).unwrap();
        assert_eq!(out92.to_vec(), hx(case, "kdf_tor_out_92"), "{id}");

        let (state, _) = hazmat::client_start_with_x(&arr(case, "X"));
        let split = state.finish(&reply).unwrap().circuit_keys();
        let k = &case["keys"];
        assert_eq!(split.kh().to_vec(), hx(case, "kh"), "{id}");
        assert_eq!(split.df().to_vec(), hx(k, "Df"), "{id}");
        assert_eq!(split.db().to_vec(), hx(k, "Db"), "{id}");
        assert_eq!(split.kf().to_vec(), hx(k, "Kf"), "{id}");
        assert_eq!(split.kb().to_vec(), hx(k, "Kb"), "{id}");
    }
}

#[test]
fn reject_vectors() {
    let cases = load("create_fast_reject.json");
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        assert_eq!(case["side"], "client");
        let (state, _) = hazmat::client_start_with_x(&arr(case, "X"));
        let reply = hx(case, "reply");
        let result = match <&[u8; 40]>::try_from(reply.as_slice()) {
            Ok(reply) => state.finish(reply).map(|_| ()),
            Err(_) => Fast::client_finish(state, &reply).map(|_| ()),
        };
        let want = if id.ends_with("truncated") {
            HandshakeError::Malformed
        } else {
            HandshakeError::Failed
        };
        assert_eq!(result, Err(want), "{id}");
    }
}

#[test]
fn kdf_tor_vectors() {
    let cases = load("kdf_tor.json");
    assert_eq!(cases.len(), 11);
    for case in &cases {
        let len = usize::try_from(case["out_len"].as_u64().unwrap()).unwrap();
        let mut out = vec![0u8; len];
        kdf::kdf_tor(&[&hx(case, "k0")], &mut out).unwrap();
        assert_eq!(out, hx(case, "out"), "{}", case["id"]);
    }
}
