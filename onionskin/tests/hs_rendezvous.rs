//! A whole introduction and rendezvous inside the crate (rend-spec-v3 3.2, 3.3, 4.2, 5):
//! the client's INTRODUCE1 through the codec, relayed as INTRODUCE2, handled by a service that
//! holds two subcredentials; RENDEZVOUS1 through the codec, relayed as RENDEZVOUS2, checked by
//! the client. Both sides then hold the same hs relay keys, and relay cells travel both ways
//! through the onion-service layer over two circuits the rendezvous point has joined: each
//! side's own hop to the rendezvous point (tor1, keyed by an ntor handshake), then the
//! end-to-end layer (SHA3-256, AES-256-CTR), the service holding it reversed.

// Test code: a panic is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use onionskin::codec::extension::ExtensionList;
use onionskin::codec::hs::{Introduce1, Introduce2, IntroducePlaintext, Rendezvous1, Rendezvous2};
use onionskin::codec::{LinkSpec, LinkSpecs, PAYLOAD_LEN, RelayCell, RelayCommand, RelayMsgBody};
use onionskin::handshake::hs_ntor::{
    self, ClientState, MAX_INTRODUCE_BODY_LEN, ServiceKeys, ServiceSecretKey, Subcredential,
};
use onionskin::handshake::ntor;
use onionskin::keys::HsCircuitKeys;
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};
use onionskin::{CircuitKeys, KeyMaterial};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// The client's introduction and the service's answer, through the codec; returns both
/// sides' hs relay keys.
fn introduce_and_rendezvous(rng: &mut ChaCha20Rng) -> (HsCircuitKeys, HsCircuitKeys) {
    let auth_key = [0x1a; 32];
    let service = ServiceKeys::new(auth_key, ServiceSecretKey::generate(rng));
    let current = Subcredential::new([0x5c; 32]);
    let held = [Subcredential::new([0x5b; 32]), current.clone()];

    // Client: the plaintext names the rendezvous point; INTRODUCE1 is header | ENCRYPTED.
    let cookie = [0xc0; 20];
    let rp_onion_key = [0x0e; 32];
    let specs = [
        LinkSpec::Ipv4("192.0.2.7:9001".parse().unwrap()),
        LinkSpec::LegacyId(&[0x77; 20]),
    ];
    let plaintext = IntroducePlaintext::new(
        &cookie,
        ExtensionList::EMPTY,
        &rp_onion_key,
        LinkSpecs::from_slice(&specs).unwrap(),
    );
    let mut body = [0u8; MAX_INTRODUCE_BODY_LEN];
    let header_len = Introduce1::encode_header(&auth_key, ExtensionList::EMPTY, &mut body).unwrap();
    let mut pt = [0u8; MAX_INTRODUCE_BODY_LEN];
    let pt_len = plaintext.encode_padded(header_len, &mut pt).unwrap();
    let (header, rest) = body.split_at_mut(header_len);
    let (state, enc_len) = ClientState::start_into(
        rng,
        &service.public_key(current),
        header,
        &pt[..pt_len],
        rest,
    )
    .unwrap();
    let intro1 = &body[..header_len + enc_len];
    assert_eq!(header_len + pt_len + 64, intro1.len());

    // The introduction point relays the body unchanged as INTRODUCE2.
    let intro1_view = Introduce1::decode(intro1).unwrap();
    assert_eq!(intro1_view.auth_key(), &auth_key);
    let intro2 = Introduce2::from(intro1_view);

    // Service: finds the client's subcredential, decrypts, reads where to meet.
    let mut decrypted = [0u8; MAX_INTRODUCE_BODY_LEN];
    let accepted = hs_ntor::service_respond(
        rng,
        &service,
        &held,
        intro2.header(),
        intro2.encrypted(),
        &mut decrypted,
    )
    .unwrap();
    assert_eq!(accepted.subcredential_index, 1);
    let got = IntroducePlaintext::decode(&decrypted[..accepted.plaintext_len]).unwrap();
    assert_eq!(got.rendezvous_cookie(), &cookie);
    assert_eq!(got.onion_key(), &rp_onion_key);
    assert_eq!(got.link_specifiers(), plaintext.link_specifiers());

    // RENDEZVOUS1 to the rendezvous point, which relays what follows the cookie as RENDEZVOUS2.
    let mut rend1 = [0u8; 84];
    let n = Rendezvous1::new(got.rendezvous_cookie(), accepted.handshake_info.as_bytes())
        .encode_into(&mut rend1)
        .unwrap();
    let at_rp = Rendezvous1::decode(&rend1[..n]).unwrap();
    assert_eq!(at_rp.rendezvous_cookie(), &cookie);
    let rend2 = Rendezvous2::decode(at_rp.handshake_info()).unwrap();

    // Client: checks AUTH_INPUT_MAC.
    let client_seed = state.finish(rend2.handshake_info()).unwrap();
    (client_seed.relay_keys(), accepted.key_seed.relay_keys())
}

/// One ntor handshake with the rendezvous point: both ends' circuit keys, checked equal.
fn ntor_keys(rng: &mut ChaCha20Rng, rp: &ntor::RelayKeys) -> CircuitKeys {
    let (state, skin) = ntor::ClientState::start(rng, &rp.public_key());
    let (relay_seed, reply) = ntor::relay_respond(rng, rp, &skin).unwrap();
    let keys = state.finish(&reply).unwrap().circuit_keys();
    assert!(keys == relay_seed.circuit_keys());
    keys
}

fn hs_client_hop(k: &HsCircuitKeys) -> ClientHop {
    ClientHop::hs_client(k.df(), k.db(), k.kf(), k.kb())
}

fn hs_service_hop(k: &HsCircuitKeys) -> ClientHop {
    ClientHop::hs_service(k.df(), k.db(), k.kf(), k.kb())
}

fn cell(command: RelayCommand, data: &[u8]) -> [u8; PAYLOAD_LEN] {
    let mut p = [0u8; PAYLOAD_LEN];
    RelayCell::new(command, 1, data)
        .unwrap()
        .encode_zero_padded(&mut p);
    p
}

/// The received payload is the one sent, but for the `Digest` field the sender filled in.
fn assert_same_cell(got: &[u8; PAYLOAD_LEN], sent: &[u8; PAYLOAD_LEN]) {
    assert_eq!(got[..5], sent[..5]);
    assert_eq!(got[9..], sent[9..]);
    let (g, s) = (
        RelayCell::decode(got).unwrap(),
        RelayCell::decode(sent).unwrap(),
    );
    assert_eq!((g.command(), g.data()), (s.command(), s.data()));
}

#[test]
fn introduction_rendezvous_and_relay_cells_both_ways() {
    let mut rng = ChaCha20Rng::seed_from_u64(0x0068_732d_6e74_6f72);
    let (client_keys, service_keys) = introduce_and_rendezvous(&mut rng);
    assert!(client_keys == service_keys, "hs relay keys differ");

    // Each side's circuit to the rendezvous point: one tor1 hop keyed by an ntor handshake
    // with the rendezvous point, then the onion-service layer.
    let rp = ntor::RelayKeys::new([0x52; 20], ntor::RelaySecretKey::generate(&mut rng));
    let client_rp = ntor_keys(&mut rng, &rp);
    let service_rp = ntor_keys(&mut rng, &rp);
    assert!(client_rp != service_rp);
    let mut client: ClientCircuit = ClientCircuit::new();
    client.push(ClientHop::tor1(&client_rp)).unwrap();
    client.push(hs_client_hop(&client_keys)).unwrap();
    let mut service: ClientCircuit = ClientCircuit::new();
    service.push(ClientHop::tor1(&service_rp)).unwrap();
    service.push(hs_service_hop(&service_keys)).unwrap();
    // The rendezvous point's two hops.
    let mut rp_client_side = RelayHop::tor1(&client_rp);
    let mut rp_service_side = RelayHop::tor1(&service_rp);

    for round in 0..3u8 {
        // Client to service: the rendezvous point does not recognise it and passes it into
        // the joined circuit as a backward cell.
        let sent = cell(RelayCommand::BEGIN, &[b'a', round]);
        let mut p = sent;
        client.encrypt_forward(1, &mut p).unwrap();
        assert!(rp_client_side.decrypt_forward(&mut p).is_none());
        rp_service_side.relay_backward(&mut p);
        let (hop, _) = service
            .decrypt_backward(&mut p)
            .expect("service recognises");
        assert_eq!(hop, 1, "recognised at the onion-service layer");
        assert_same_cell(&p, &sent);

        // Service to client, the other way round.
        let sent = cell(RelayCommand::DATA, &[b'b', round, 0xff]);
        let mut p = sent;
        service.encrypt_forward(1, &mut p).unwrap();
        assert!(rp_service_side.decrypt_forward(&mut p).is_none());
        rp_client_side.relay_backward(&mut p);
        let (hop, _) = client.decrypt_backward(&mut p).expect("client recognises");
        assert_eq!(hop, 1);
        assert_same_cell(&p, &sent);
    }

    // A bit flipped at the rendezvous point: the far side's layer does not recognise it.
    let mut p = cell(RelayCommand::DATA, b"x");
    client.encrypt_forward(1, &mut p).unwrap();
    assert!(rp_client_side.decrypt_forward(&mut p).is_none());
    p[100] ^= 1;
    rp_service_side.relay_backward(&mut p);
    assert!(service.decrypt_backward(&mut p).is_none());
}

/// A service holding the wrong keys (another onion service's, or a swapped direction) does
/// not recognise the client's cells.
#[test]
fn the_layer_needs_the_right_keys_and_direction() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (client_keys, service_keys) = introduce_and_rendezvous(&mut rng);
    let (other_keys, _) = introduce_and_rendezvous(&mut rng);
    for (keys, swapped) in [(&other_keys, false), (&service_keys, true)] {
        let mut client: ClientCircuit = ClientCircuit::new();
        client.push(hs_client_hop(&client_keys)).unwrap();
        let mut service: ClientCircuit = ClientCircuit::new();
        service
            .push(if swapped {
                hs_client_hop(keys)
            } else {
                hs_service_hop(keys)
            })
            .unwrap();
        let mut p = cell(RelayCommand::DATA, b"hello");
        client.encrypt_forward(0, &mut p).unwrap();
        assert!(service.decrypt_backward(&mut p).is_none());
    }
}
