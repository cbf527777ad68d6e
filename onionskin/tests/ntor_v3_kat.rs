//! ntor-v3 known answers: C tor's `test_ntor3_testvecs` (= proposal 332 X.2) inline, and
//! every case of `test-vectors/ntor_v3.json`, on both sides.

// Helper functions outside #[test] get the same leeway clippy.toml gives tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::KeyMaterial;
use onionskin::handshake::ntor_v3::{
    MAX_ONION_SKIN_LEN, MAX_REPLY_LEN, RelayKeys, RelayPublicKey, RelaySecretKey, Verification,
    hazmat,
};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn h32(s: &str) -> [u8; 32] {
    h(s).try_into().unwrap()
}

/// What one deterministic run of both sides produced.
struct Outcome {
    skin: Vec<u8>,
    reply: Vec<u8>,
    /// The client message as the relay's callback saw it.
    cm: Vec<u8>,
    /// The relay message as the client decrypted it.
    sm: Vec<u8>,
    relay_keystream: Vec<u8>,
    client_keystream: Vec<u8>,
}

/// Runs both sides deterministically.
#[allow(clippy::too_many_arguments)]
fn run(
    id: [u8; 32],
    b: [u8; 32],
    x: [u8; 32],
    y: [u8; 32],
    cm: &[u8],
    sm: &[u8],
    ver: &[u8],
    key_len: usize,
) -> Outcome {
    let ver = Verification::new(ver).unwrap();
    let keys = RelayKeys::new(id, RelaySecretKey::from_bytes(&b)).with_verification(ver.clone());
    let pk = RelayPublicKey::new(id, keys.public_key().onion_key).with_verification(ver);
    let mut skin = [0u8; MAX_ONION_SKIN_LEN];
    let (state, skin_len, _) = hazmat::client_start_with_x(&x, &pk, cm, &mut skin).unwrap();
    let mut seen_cm = Vec::new();
    let mut reply = [0u8; MAX_REPLY_LEN];
    let (relay_seed, reply_len, _) = hazmat::relay_respond_with_y(
        &y,
        &keys,
        &skin[..skin_len],
        |got, out| {
            seen_cm = got.to_vec();
            out[..sm.len()].copy_from_slice(sm);
            Some(sm.len())
        },
        &mut reply,
    )
    .unwrap();
    let mut got_sm = [0u8; MAX_REPLY_LEN];
    let (client_seed, sm_len, _) =
        hazmat::client_finish_with_intermediates(state, &reply[..reply_len], &mut got_sm).unwrap();
    let mut rk = vec![0u8; key_len];
    let mut ck = vec![0u8; key_len];
    relay_seed.expand_into(&mut rk).unwrap();
    client_seed.expand_into(&mut ck).unwrap();
    Outcome {
        skin: skin[..skin_len].to_vec(),
        reply: reply[..reply_len].to_vec(),
        cm: seen_cm,
        sm: got_sm[..sm_len].to_vec(),
        relay_keystream: rk,
        client_keystream: ck,
    }
}

#[test]
fn c_tor_test_vector() {
    // Source: tor src/test/test_ntor_v3.c, test_ntor3_testvecs (proposal 332 X.2).
    let Outcome {
        skin,
        reply,
        cm,
        sm,
        relay_keystream: rk,
        client_keystream: ck,
    } = run(
        h32("9fad2af287ef942632833d21f946c6260c33fae6172b60006e86e4a6911753a2"),
        h32("4051daa5921cfa2a1c27b08451324919538e79e788a81b38cbed097a5dff454a"),
        h32("b825a3719147bcbe5fb1d0b0fcb9c09e51948048e2e3283d2ab7b45b5ef38b49"),
        h32("4865a5b7689dafd978f529291c7171bc159be076b92186405d13220b80e2a053"),
        &h("68656c6c6f20776f726c64"),
        &h("486f6c61204d756e646f"),
        &h("78797a7a79"),
        256,
    );
    assert_eq!(
        hex::encode(&skin),
        "9fad2af287ef942632833d21f946c6260c33fae6172b60006e86e4a6911753a2\
         f8307a2bc1870b00b828bb74dbb8fd88e632a6375ab3bcd1ae706aaa8b6cdd1d\
         252fe9ae91264c91d4ecb8501f79d0387e34ad8ca0f7c995184f7d11d5da4f46\
         3bebd9151fd3b47c180abc9e044d53565f04d82bbb3bebed3d06cea65db8be9c\
         72b68cd461942088502f67"
    );
    assert_eq!(
        hex::encode(&reply),
        "4bf4814326fdab45ad5184f5518bd7fae25dc59374062698201a50a22954246d\
         2fc5f8773ca824542bc6cf6f57c7c29bbf4e5476461ab130c5b18ab0a9127665\
         1202c3e1e87c0d32054c"
    );
    assert_eq!(cm, b"hello world");
    assert_eq!(sm, b"Hola Mundo");
    assert_eq!(
        hex::encode(&rk),
        "9c19b631fd94ed86a817e01f6c80b0743a43f5faebd39cfaa8b00fa8bcc65c3b\
         feaa403d91acbd68a821bf6ee8504602b094a254392a07737d5662768c7a9fb1\
         b2814bb34780eaee6e867c773e28c212ead563e98a1cd5d5b4576f5ee61c59bd\
         e025ff2851bb19b721421694f263818e3531e43a9e4e3e2c661e2ad547d8984c\
         aa28ebecd3e4525452299be26b9185a20a90ce1eac20a91f2832d731b54502b0\
         9749b5a2a2949292f8cfcbeffb790c7790ed935a9d251e7e336148ea83b063a5\
         618fcff674a44581585fd22077ca0e52c59a24347a38d1a1ceebddbf238541f2\
         26b8f88d0fb9c07a1bcd2ea764bbbb5dacdaf5312a14c0b9e4f06309b0333b4a"
    );
    assert_eq!(rk, ck);
}

#[test]
fn vector_file_both_sides() {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/ntor_v3.json")).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for case in cases {
        let f = |k: &str| h(case[k].as_str().unwrap());
        let f32 = |k: &str| h32(case[k].as_str().unwrap());
        let key_len = usize::try_from(case["key_len"].as_u64().unwrap()).unwrap();
        let Outcome {
            skin,
            reply,
            cm,
            sm,
            relay_keystream: rk,
            client_keystream: ck,
        } = run(
            f32("ID"),
            f32("b"),
            f32("x"),
            f32("y"),
            &f("CM"),
            &f("SM"),
            &f("VER"),
            key_len,
        );
        let id = case["id"].as_str().unwrap();
        assert_eq!(skin, f("onionskin"), "{id}: onionskin");
        assert_eq!(reply, f("reply"), "{id}: reply");
        assert_eq!(cm, f("CM"), "{id}: CM");
        assert_eq!(sm, f("SM"), "{id}: SM");
        assert_eq!(rk, f("keystream"), "{id}: relay keystream");
        assert_eq!(ck, f("keystream"), "{id}: client keystream");
    }
}
