//! End-to-end: client onion skin → CREATE2 cell bytes → relay → CREATED2 cell bytes → client,
//! for every handshake and both link protocols, through the public codec and the generic
//! `CircuitHandshake` layer. Both sides must end with equal circuit keys.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use onionskin::codec::extension::{CircuitExtension, CongestionControlResponse};
use onionskin::codec::{
    Cell, CellBody, CircId, CircIdWidth, Create2, CreateFast, Created2, CreatedFast,
};
use onionskin::handshake::{CircuitHandshake, fast, ntor, ntor_v3};
use onionskin::{HandshakeError, KeyMaterial};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

const WIDTHS: [CircIdWidth; 2] = [CircIdWidth::Narrow, CircIdWidth::Wide];

/// Runs one handshake over CREATE2/CREATED2 frames and returns (client keys, relay keys, SM).
fn over_create2<H: CircuitHandshake>(
    rng: &mut ChaCha20Rng,
    width: CircIdWidth,
    relay_pk: &H::RelayPublicKey,
    relay_keys: &H::RelayKeys,
    cm: &[CircuitExtension<'_>],
    sm: &'static [CircuitExtension<'static>],
) -> (onionskin::CircuitKeys, onionskin::CircuitKeys, Vec<u8>) {
    let circ = CircId::new(0x7abc).unwrap();
    // Client: onion skin into a CREATE2 frame.
    let (state, skin) = H::client_start(rng, relay_pk, cm).unwrap();
    let mut frame = vec![0u8; width.cell_len()];
    let n = Create2::new(H::HTYPE, skin.as_ref())
        .unwrap()
        .encode_cell(circ, width, &mut frame)
        .unwrap();
    assert_eq!(n, width.cell_len());

    // Relay: decode the frame, answer, reply in a CREATED2 frame.
    let (got_circ, create2) = Create2::decode_cell(&frame, width).unwrap();
    assert_eq!(got_circ, circ);
    assert_eq!(create2.htype(), H::HTYPE);
    let mut seen_cm = Vec::new();
    let (relay_seed, reply) = H::relay_respond(rng, relay_keys, create2.hdata(), |m, out| {
        seen_cm.extend_from_slice(m.as_bytes());
        for field in sm {
            out.push(field)?;
        }
        Ok(())
    })
    .unwrap();
    if H::HTYPE == onionskin::HandshakeType::NTOR_V3 {
        let mut sent = [0u8; 64];
        let n = CircuitExtension::encode_list(cm, &mut sent).unwrap();
        assert_eq!(seen_cm, &sent[..n], "relay saw the client's extensions");
    }
    let mut back = vec![0u8; width.cell_len()];
    Created2::new(reply.as_ref())
        .unwrap()
        .encode_cell(circ, width, &mut back)
        .unwrap();

    // Client: decode CREATED2 and finish.
    let (_, created2) = Created2::decode_cell(&back, width).unwrap();
    let (client_seed, server_message) = H::client_finish(state, created2.hdata()).unwrap();
    (
        client_seed.circuit_keys(),
        relay_seed.circuit_keys(),
        server_message.as_bytes().to_vec(),
    )
}

#[test]
fn ntor_over_create2() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let keys = ntor::RelayKeys::new([7; 20], ntor::RelaySecretKey::generate(&mut rng));
    for width in WIDTHS {
        let (c, r, sm) =
            over_create2::<ntor::Ntor>(&mut rng, width, &keys.public_key(), &keys, &[], &[]);
        assert_eq!(c, r);
        assert!(sm.is_empty());
    }
}

#[test]
fn ntor_v3_over_create2_with_messages() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let keys = ntor_v3::RelayKeys::new([9; 32], ntor_v3::RelaySecretKey::generate(&mut rng));
    let cm = [CircuitExtension::CongestionControlRequest];
    static SM: [CircuitExtension<'static>; 1] = [CircuitExtension::CongestionControlResponse(
        CongestionControlResponse { sendme_inc: 31 },
    )];
    for width in WIDTHS {
        let (c, r, sm) =
            over_create2::<ntor_v3::NtorV3>(&mut rng, width, &keys.public_key(), &keys, &cm, &SM);
        assert_eq!(c, r);
        assert_eq!(sm, [1, 2, 1, 31]);
    }
}

#[test]
fn create_fast_over_cells() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let circ = CircId::new(0x8000_0001).unwrap();
    for width in WIDTHS {
        let circ = if width == CircIdWidth::Narrow {
            CircId::new(1).unwrap()
        } else {
            circ
        };
        let (state, x) = fast::ClientState::start(&mut rng);
        let mut frame = vec![0u8; width.cell_len()];
        CreateFast::new(&x)
            .encode_cell(circ, width, &mut frame)
            .unwrap();

        let cell = Cell::decode(&frame, width).unwrap();
        let create_fast: CreateFast<'_> = cell.body_as().unwrap();
        let (relay_seed, reply) = fast::relay_respond(&mut rng, create_fast.x()).unwrap();
        let mut back = vec![0u8; width.cell_len()];
        CreatedFast::new(&reply)
            .encode_cell(circ, width, &mut back)
            .unwrap();

        let (_, created_fast) = CreatedFast::decode_cell(&back, width).unwrap();
        let client_seed = state.finish(created_fast.reply()).unwrap();
        assert_eq!(client_seed.circuit_keys(), relay_seed.circuit_keys());
    }
}

#[test]
fn ntor_reply_tampered_in_the_cell_is_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let keys = ntor::RelayKeys::new([3; 20], ntor::RelaySecretKey::generate(&mut rng));
    let (state, skin) = ntor::ClientState::start(&mut rng, &keys.public_key());
    let (_, reply) = ntor::relay_respond(&mut rng, &keys, &skin).unwrap();
    let width = CircIdWidth::Wide;
    let circ = CircId::new(5).unwrap();
    let mut frame = vec![0u8; width.cell_len()];
    Created2::new(&reply)
        .unwrap()
        .encode_cell(circ, width, &mut frame)
        .unwrap();
    // Flip one AUTH bit inside the encoded cell (header 5 bytes + HLEN 2 + Y 32).
    frame[5 + 2 + 40] ^= 0x10;
    let (_, created2) = Created2::decode_cell(&frame, width).unwrap();
    assert_eq!(
        state.finish(created2.hdata()).err(),
        Some(HandshakeError::Failed)
    );
}

#[cfg(feature = "tap")]
#[test]
fn tap_over_create2() {
    use onionskin::handshake::tap;
    // RSA key generation is out of scope; use the onion key of the first TAP vector.
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/tap.json")).unwrap();
    let der = hex::decode(
        doc["cases"][0]["onion_key"]["private_der_pkcs1"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let key = tap::RelaySecretKey::from_pkcs1_der(&der).unwrap();
    let public = key.public_key().clone();
    let keys = tap::RelayKeys::new(key);
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    for width in WIDTHS {
        let (c, r, sm) = over_create2::<tap::Tap>(&mut rng, width, &public, &keys, &[], &[]);
        assert_eq!(c, r);
        assert!(sm.is_empty());
    }
}

#[cfg(feature = "tap")]
#[test]
fn tap_over_legacy_create_and_created() {
    use onionskin::codec::{Create, Created};
    use onionskin::handshake::tap;
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/tap.json")).unwrap();
    let der = hex::decode(
        doc["cases"][1]["onion_key"]["private_der_pkcs1"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let key = tap::RelaySecretKey::from_pkcs1_der(&der).unwrap();
    let (state, skin) =
        tap::ClientState::start(&mut ChaCha20Rng::seed_from_u64(6), key.public_key());
    let keys = tap::RelayKeys::new(key);
    let circ = CircId::new(0x1234).unwrap();
    let width = CircIdWidth::Narrow;

    let mut frame = vec![0u8; width.cell_len()];
    Create::tap(&skin)
        .encode_cell(circ, width, &mut frame)
        .unwrap();
    let (_, create) = Create::decode_cell(&frame, width).unwrap();
    assert_eq!(create.handshake_type(), onionskin::HandshakeType::TAP);
    let skin_in = create.onion_skin().handshake_data();
    let (relay_seed, reply) =
        tap::relay_respond(&mut ChaCha20Rng::seed_from_u64(7), &keys, skin_in).unwrap();

    let mut back = vec![0u8; width.cell_len()];
    Created::new(&reply)
        .encode_cell(circ, width, &mut back)
        .unwrap();
    let (_, created) = Created::decode_cell(&back, width).unwrap();
    let client_seed = state.finish(created.reply()).unwrap();
    assert_eq!(client_seed.circuit_keys(), relay_seed.circuit_keys());
}
