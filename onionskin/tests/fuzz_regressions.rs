//! The handshake fuzz targets' properties, replayed on stable Rust without libFuzzer.
//!
//! `fuzz/src/` holds the checks the handshake targets run (see its crate docs); this test
//! includes that code and feeds it every committed seed (`fuzz/corpus/<target>/`) and every
//! reproducer of a past finding (`fuzz/regressions/<target>/`). A finding is fixed when its
//! reproducer passes here. The fixtures the targets hard-code are checked against
//! `test-vectors/` too, so that a seed and its target cannot drift apart.
// Test code: a panic is a failed property, and the included checks and oracles sit outside
// `#[test]` fns (they are a library's public API, compiled into this test crate).
#![allow(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::missing_panics_doc
)]

#[path = "../../fuzz/src/lib.rs"]
mod fuzz_props;

use core::panic::AssertUnwindSafe;
use fuzz_props::{channel, fast, formats, hs_ntor, ntor, ntor_v3, relay_crypto, tap};
use std::panic::catch_unwind;
use std::path::{Path, PathBuf};

/// Runs `check` on every file of `fuzz/{corpus,regressions}/<target>/` and names the ones
/// that fail.
fn replay(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut files: Vec<PathBuf> = ["corpus", "regressions"]
        .iter()
        .filter_map(|d| std::fs::read_dir(fuzz.join(d).join(target)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds for {target}");
    let failed: Vec<_> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| check(&data))).is_err()
        })
        .collect();
    assert!(failed.is_empty(), "{target}: {failed:?} fail");
}

#[test]
fn hs_ntor_service_respond() {
    replay("hs_ntor_service_respond", hs_ntor::service_respond);
}

#[test]
fn hs_ntor_service_batch() {
    replay("hs_ntor_service_batch", hs_ntor::service_respond_batch);
}

#[test]
fn hs_ntor_client_finish() {
    replay("hs_ntor_client_finish", hs_ntor::client_finish);
}

#[test]
fn ntor_relay_respond() {
    replay("ntor_relay_respond", ntor::relay_respond);
}

#[test]
fn ntor_client_finish() {
    replay("ntor_client_finish", ntor::client_finish);
}

#[test]
fn ntor_v3_relay_respond() {
    replay("ntor_v3_relay_respond", ntor_v3::relay_respond);
}

#[test]
fn ntor_v3_client_finish() {
    replay("ntor_v3_client_finish", ntor_v3::client_finish);
}

#[test]
fn fast_relay_respond() {
    replay("fast_relay_respond", fast::relay_respond);
}

#[test]
fn fast_client_finish() {
    replay("fast_client_finish", fast::client_finish);
}

#[test]
fn tap_relay_respond() {
    replay("tap_relay_respond", tap::relay_respond);
}

#[test]
fn tap_client_finish() {
    replay("tap_client_finish", tap::client_finish);
}

#[test]
fn key_formats() {
    replay("key_formats", formats::key_formats);
}

#[test]
fn ntor_v3_extensions() {
    replay("ntor_v3_extensions", formats::ntor_v3_extensions);
}

#[test]
fn dispatch_relay_respond() {
    replay("dispatch_relay_respond", formats::dispatch_relay_respond);
}

#[test]
fn channel_cells() {
    replay("channel_cells", channel::channel_cells);
}

#[test]
fn relay_cell_roundtrip() {
    replay("relay_cell_roundtrip", relay_crypto::relay_cell);
}

#[test]
fn relay_crypto_relay() {
    replay("relay_crypto_relay", relay_crypto::relay_side);
}

fn case(file: &str, index: usize) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../test-vectors")
        .join(file);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["cases"][index].clone()
}

fn bytes(v: &serde_json::Value, field: &str) -> Vec<u8> {
    hex::decode(v[field].as_str().unwrap()).unwrap()
}

#[test]
fn fixtures_match_the_vectors() {
    let n = case("ntor.json", 0);
    assert_eq!(bytes(&n, "node_id"), ntor::NODE_ID);
    assert_eq!(bytes(&n, "b"), ntor::ONION_SECRET);
    assert_eq!(bytes(&n, "B"), ntor::ONION_KEY);
    assert_eq!(bytes(&n, "x"), ntor::X);
    assert_eq!(bytes(&n, "onionskin"), ntor::ONION_SKIN);
    assert_eq!(bytes(&n, "reply"), ntor::REPLY);
    assert_eq!(bytes(&n, "key_material"), ntor::KEY_MATERIAL);
    assert_eq!(bytes(&case("ntor.json", 1), "b"), ntor::PREVIOUS_SECRET);

    let v = case("ntor_v3.json", 1);
    assert_eq!(bytes(&v, "ID"), ntor_v3::ID);
    assert_eq!(bytes(&v, "b"), ntor_v3::ONION_SECRET);
    assert_eq!(bytes(&v, "x"), ntor_v3::X);
    assert_eq!(bytes(&v, "VER"), ntor_v3::VER);
    assert_eq!(bytes(&v, "CM"), ntor_v3::CM);
    assert_eq!(bytes(&v, "SM"), ntor_v3::SM);
    assert_eq!(bytes(&v, "onionskin"), ntor_v3::ONION_SKIN);
    assert_eq!(bytes(&v, "reply"), ntor_v3::REPLY);
    assert_eq!(bytes(&v, "keystream")[..92], ntor_v3::KEYSTREAM);
    assert_eq!(
        bytes(&case("ntor_v3.json", 2), "b"),
        ntor_v3::PREVIOUS_SECRET
    );

    let f = case("create_fast.json", 0);
    assert_eq!(bytes(&f, "X"), fast::X);
    assert_eq!(bytes(&f, "reply"), fast::REPLY);
    assert_eq!(bytes(&f, "key_material_72"), fast::KEY_MATERIAL);

    let t = case("tap.json", 0);
    assert_eq!(bytes(&t, "x"), tap::X);
    assert_eq!(bytes(&t, "onionskin"), tap::ONION_SKIN);
    assert_eq!(bytes(&t, "reply"), tap::REPLY);
    assert_eq!(bytes(&t, "key_material_72"), tap::KEY_MATERIAL);

    let h = case("hs_ntor.json", 3);
    assert_eq!(bytes(&h, "auth_key"), hs_ntor::AUTH_KEY);
    assert_eq!(bytes(&h, "b"), hs_ntor::ENC_SECRET);
    let subs = h["subcredentials"].as_array().unwrap();
    assert_eq!(subs.len(), 2);
    for (s, want) in subs.iter().zip(hs_ntor::SUBCREDENTIALS) {
        assert_eq!(hex::decode(s.as_str().unwrap()).unwrap(), want);
    }
    assert_eq!(h["subcredential_index"], 0);
    assert_eq!(bytes(&h, "x"), hs_ntor::X);
    assert_eq!(bytes(&h, "introduce1_body"), hs_ntor::INTRODUCE1_BODY);
    assert_eq!(bytes(&h, "header").len(), hs_ntor::HEADER_LEN);
    assert_eq!(bytes(&h, "handshake_info"), hs_ntor::HANDSHAKE_INFO);
    assert_eq!(bytes(&h["keys"], "Df"), hs_ntor::DF);
    // The relay keys and the oracle's RSA parameters are checked by the seeds themselves:
    // the vector's skin must be accepted with the vector's keys.
}
