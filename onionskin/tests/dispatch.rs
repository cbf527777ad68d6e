//! One-call dispatch by cell: for every handshake, the client makes the create cell body,
//! the relay answers it with one call whatever the cell, and the client finishes from the
//! reply cell body. The test's code path is the same for all four handshakes: they differ
//! only in the data of the loop.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use onionskin::codec::extension::{CircuitExtension, CongestionControlResponse};
use onionskin::codec::{Cell, CellBody, CircId, CircIdWidth, Command, Create2, PAYLOAD_LEN};
use onionskin::handshake::dispatch::{self, ClientHandshake, RelayOnionKeys, RelayTarget};
use onionskin::handshake::{HandshakeType, NtorOnionKey, UnknownKeyPolicy, ntor, ntor_v3, tap};
use onionskin::{HandshakeError, KeyMaterial};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn tap_key() -> tap::RelaySecretKey {
    let der = hex::decode(include_str!("../benches/handshakes/tap_key.hex").trim()).unwrap();
    tap::RelaySecretKey::from_pkcs1_der(&der).unwrap()
}

/// A relay answering all four handshakes, ntor and ntor-v3 with one shared onion key.
struct Relay {
    tap: tap::RelayKeys,
    ntor: ntor::RelayKeys,
    ntor_v3: ntor_v3::RelayKeys,
}

impl Relay {
    fn new(rng: &mut ChaCha20Rng) -> Self {
        let onion_key = NtorOnionKey::generate(rng);
        Self {
            tap: tap::RelayKeys::new(tap_key()),
            ntor: ntor::RelayKeys::new([0x11; 20], onion_key.clone()),
            ntor_v3: ntor_v3::RelayKeys::new([0x22; 32], onion_key),
        }
    }

    fn keys(&self) -> RelayOnionKeys<'_> {
        RelayOnionKeys::new()
            .with_tap(&self.tap)
            .with_ntor(&self.ntor)
            .with_ntor_v3(&self.ntor_v3)
    }
}

/// The relay's extensions: congestion control if asked for.
fn answer(
    cm: &onionskin::codec::extension::ExtensionList<'_>,
    sm: &mut onionskin::codec::extension::ExtensionWriter<'_>,
) -> Result<(), HandshakeError> {
    if cm.congestion_control_request() {
        sm.push(&CircuitExtension::CongestionControlResponse(
            CongestionControlResponse { sendme_inc: 31 },
        ))?;
    }
    Ok(())
}

/// One run of the loop below: data only.
type Run<'a> = (
    RelayTarget<'a>,
    &'a [CircuitExtension<'a>],
    Command,
    Command,
    &'a [u8],
);

#[test]
fn every_handshake_through_one_code_path() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xd15);
    let relay = Relay::new(&mut rng);
    let (tap_pk, ntor_pk, ntor_v3_pk) = (
        relay.tap.public_key(),
        relay.ntor.public_key(),
        relay.ntor_v3.public_key(),
    );
    let cc: &[CircuitExtension<'_>] = &[CircuitExtension::CongestionControlRequest];
    // (target, extensions to ask for, the cell the client must send, the reply the relay
    // must send, the relay's extension list the client must read).
    let runs: [Run<'_>; 5] = [
        (
            RelayTarget::Tap(&tap_pk),
            &[],
            Command::CREATE,
            Command::CREATED,
            &[],
        ),
        (
            RelayTarget::Fast,
            &[],
            Command::CREATE_FAST,
            Command::CREATED_FAST,
            &[],
        ),
        (
            RelayTarget::Ntor(&ntor_pk),
            &[],
            Command::CREATE2,
            Command::CREATED2,
            &[],
        ),
        (
            RelayTarget::NtorV3(&ntor_v3_pk),
            &[],
            Command::CREATE2,
            Command::CREATED2,
            &[0],
        ),
        (
            RelayTarget::NtorV3(&ntor_v3_pk),
            cc,
            Command::CREATE2,
            Command::CREATED2,
            &[1, 2, 1, 31],
        ),
    ];
    let mut seen = Vec::new();
    for (target, extensions, create_command, reply_command, relay_message) in runs {
        // Client: the create cell's body.
        let mut create = [0u8; PAYLOAD_LEN];
        let (client, command) =
            ClientHandshake::start(&mut rng, &target, extensions, &mut create).unwrap();
        assert_eq!(command, create_command);
        let handshake = client.handshake_type();

        // Relay: one call, whatever the cell.
        let mut created = [0u8; PAYLOAD_LEN];
        let answer = dispatch::relay_respond(
            &mut rng,
            &relay.keys(),
            command,
            &create,
            answer,
            &mut created,
        )
        .unwrap();
        assert_eq!(answer.command, reply_command);
        assert_eq!(answer.key_seed.handshake_type(), handshake);
        assert!(created[answer.len..].iter().all(|&b| b == 0), "NUL padding");

        // Client: keys from the reply body, whatever the cell.
        let (client_seed, message) = client.finish(answer.command, &created).unwrap();
        assert_eq!(message.as_bytes(), relay_message);
        let keys = client_seed.circuit_keys();
        assert_eq!(keys, answer.key_seed.circuit_keys());
        seen.push(keys.kh().to_vec());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), runs.len(), "each run made its own keys");
}

#[test]
fn relay_refuses_what_it_has_no_keys_for() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xd16);
    let relay = Relay::new(&mut rng);
    let (tap_pk, ntor_pk) = (relay.tap.public_key(), relay.ntor.public_key());
    // Like C tor 0.4.9: no TAP, but CREATE_FAST; and a relay that refuses CREATE_FAST too.
    let modern = RelayOnionKeys::new()
        .with_ntor(&relay.ntor)
        .with_ntor_v3(&relay.ntor_v3);
    let strict = modern.without_create_fast();
    let cases: [(&RelayOnionKeys<'_>, RelayTarget<'_>, Option<HandshakeType>); 4] = [
        (&modern, RelayTarget::Tap(&tap_pk), Some(HandshakeType::TAP)),
        (&modern, RelayTarget::Fast, None),
        (&strict, RelayTarget::Fast, Some(HandshakeType::FAST)),
        (&strict, RelayTarget::Ntor(&ntor_pk), None),
    ];
    for (keys, target, refused) in cases {
        let mut create = [0u8; PAYLOAD_LEN];
        let (_, command) = ClientHandshake::start(&mut rng, &target, &[], &mut create).unwrap();
        let mut created = [0u8; PAYLOAD_LEN];
        let r = dispatch::relay_respond(&mut rng, keys, command, &create, answer, &mut created);
        assert_eq!(
            r.err(),
            refused.map(HandshakeError::UnsupportedHandshake),
            "{target:?}"
        );
    }
    // TAP in CREATE2 (HTYPE 0) is refused the same way.
    let mut create = [0u8; PAYLOAD_LEN];
    Create2::new(HandshakeType::TAP, &[0; 186])
        .unwrap()
        .encode_into(&mut create)
        .unwrap();
    let mut created = [0u8; PAYLOAD_LEN];
    assert_eq!(
        dispatch::relay_respond(
            &mut rng,
            &modern,
            Command::CREATE2,
            &create,
            answer,
            &mut created
        )
        .err(),
        Some(HandshakeError::UnsupportedHandshake(HandshakeType::TAP))
    );
    // An unknown HTYPE, and a cell that creates nothing.
    let mut body = [0u8; PAYLOAD_LEN];
    body[..4].copy_from_slice(&[0, 9, 0, 0]);
    assert_eq!(
        dispatch::relay_respond(
            &mut rng,
            &modern,
            Command::CREATE2,
            &body,
            answer,
            &mut created
        )
        .err(),
        Some(HandshakeError::UnsupportedHandshake(HandshakeType(9)))
    );
    assert_eq!(
        dispatch::relay_respond(
            &mut rng,
            &modern,
            Command::DESTROY,
            &body,
            answer,
            &mut created
        )
        .err(),
        Some(HandshakeError::Malformed)
    );
}

#[test]
fn public_errors_and_policy_pass_through() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xd17);
    let relay = Relay::new(&mut rng);
    let stale_ntor = ntor::RelayPublicKey::new([0x11; 20], [9; 32]);
    let stale_v3 =
        ntor_v3::RelayPublicKey::new([0x22; 32], *NtorOnionKey::generate(&mut rng).public_key());
    let other_v3 = ntor_v3::RelayPublicKey::new([0x33; 32], relay.ntor_v3.public_key().onion_key);
    let c_tor_ntor = relay
        .ntor
        .clone()
        .with_unknown_key_policy(UnknownKeyPolicy::ReplyWithJunk);
    let c_tor = RelayOnionKeys::new().with_ntor(&c_tor_ntor);
    let ours = relay.keys();
    let cases: [(&RelayOnionKeys<'_>, RelayTarget<'_>, Option<HandshakeError>); 4] = [
        (
            &ours,
            RelayTarget::Ntor(&stale_ntor),
            Some(HandshakeError::UnknownOnionKey),
        ),
        (
            &ours,
            RelayTarget::NtorV3(&stale_v3),
            Some(HandshakeError::UnknownOnionKey),
        ),
        (
            &ours,
            RelayTarget::NtorV3(&other_v3),
            Some(HandshakeError::WrongRelay),
        ),
        // C tor's policy: a junk reply, which the client then rejects.
        (&c_tor, RelayTarget::Ntor(&stale_ntor), None),
    ];
    for (keys, target, want) in cases {
        let mut create = [0u8; PAYLOAD_LEN];
        let (client, command) =
            ClientHandshake::start(&mut rng, &target, &[], &mut create).unwrap();
        let mut created = [0u8; PAYLOAD_LEN];
        let r = dispatch::relay_respond(&mut rng, keys, command, &create, answer, &mut created);
        match want {
            Some(e) => assert_eq!(r.err(), Some(e), "{target:?}"),
            None => {
                let answer = r.unwrap();
                assert_eq!(
                    client.finish(answer.command, &created).err(),
                    Some(HandshakeError::Failed)
                );
            }
        }
    }
}

#[test]
fn client_refuses_a_reply_of_the_wrong_kind() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xd18);
    let relay = Relay::new(&mut rng);
    let ntor_pk = relay.ntor.public_key();
    let mut create = [0u8; PAYLOAD_LEN];
    // Extensions only go with ntor-v3.
    assert_eq!(
        ClientHandshake::start(
            &mut rng,
            &RelayTarget::Ntor(&ntor_pk),
            &[CircuitExtension::CongestionControlRequest],
            &mut create
        )
        .err(),
        Some(HandshakeError::MessageNotSupported)
    );
    let (client, _) =
        ClientHandshake::start(&mut rng, &RelayTarget::Ntor(&ntor_pk), &[], &mut create).unwrap();
    // A CREATED_FAST body for an ntor handshake.
    assert_eq!(
        client
            .finish(Command::CREATED_FAST, &[0; PAYLOAD_LEN])
            .err(),
        Some(HandshakeError::Malformed)
    );
}

#[test]
fn dispatch_works_on_whole_cells() {
    // The body a relay hands in is the one the codec's cell view gives it.
    let mut rng = ChaCha20Rng::seed_from_u64(0xd19);
    let relay = Relay::new(&mut rng);
    let v3_pk = relay.ntor_v3.public_key();
    let mut create = [0u8; PAYLOAD_LEN];
    let (client, command) =
        ClientHandshake::start(&mut rng, &RelayTarget::NtorV3(&v3_pk), &[], &mut create).unwrap();
    let width = CircIdWidth::Wide;
    let mut frame = vec![0u8; width.cell_len()];
    let circ = CircId::new(0x8000_0042).unwrap();
    Create2::decode(&create)
        .unwrap()
        .encode_cell(circ, width, &mut frame)
        .unwrap();
    let cell = Cell::decode(&frame, width).unwrap();
    let mut created = [0u8; PAYLOAD_LEN];
    let answer = dispatch::relay_respond(
        &mut rng,
        &relay.keys(),
        cell.command(),
        cell.body(),
        answer,
        &mut created,
    )
    .unwrap();
    assert_eq!(cell.command(), command);
    let (seed, _) = client.finish(answer.command, &created).unwrap();
    assert_eq!(seed.circuit_keys(), answer.key_seed.circuit_keys());
}
