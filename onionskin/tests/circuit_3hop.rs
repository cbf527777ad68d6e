//! A three-hop circuit run entirely inside the crate: CREATE2 to the first relay, then two
//! EXTEND2s carried in RELAY_EARLY cells through the relay crypto, each answered by the next
//! relay and returned as EXTENDED2 (tor-spec 5.1, 5.1.2, 6.1). Every handshake goes through
//! the one-call dispatch on both sides (`handshake::dispatch`): ntor, ntor-v3, ntor. Then relay cells go to every
//! hop and back, each recognised at the right hop only, and one flipped bit anywhere in a
//! payload makes the cell unrecognisable.
//!
//! Every byte goes through the channel codec: cells are encoded for link protocol 5, framed
//! off a byte stream and decoded by command.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::net::{Ipv4Addr, SocketAddrV4};
use onionskin::codec::{
    CellBody, CellMsg, ChannelCell, ChannelCells, ChannelMsg, Command, Create2, Created2, Extend2,
    Extended2, LinkProtocol, LinkSpec, LinkSpecs, PAYLOAD_LEN, RelayCell, RelayCommand, RelayMsg,
};
use onionskin::handshake::dispatch::{self, ClientHandshake, RelayOnionKeys, RelayTarget};
use onionskin::handshake::{NtorOnionKey, ntor, ntor_v3};
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};
use onionskin::{CircuitKeys, HandshakeType, KeyMaterial};
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

const LINK: LinkProtocol = LinkProtocol::V5;
const CIRC_ID: u32 = 0x8000_0042;

/// A relay: its identities, its ntor and ntor-v3 onion keys, and (once created) its hop of
/// the circuit.
struct Relay {
    rsa_id: [u8; 20],
    ed_id: [u8; 32],
    port: u16,
    ntor: ntor::RelayKeys,
    ntor_v3: ntor_v3::RelayKeys,
    hop: Option<RelayHop>,
    keys: Option<CircuitKeys>,
}

impl Relay {
    fn new(rng: &mut ChaCha20Rng, n: u8) -> Self {
        let rsa_id = [n; 20];
        let ed_id = [n ^ 0x80; 32];
        Self {
            rsa_id,
            ed_id,
            port: 9000 + u16::from(n),
            ntor: ntor::RelayKeys::new(rsa_id, NtorOnionKey::generate(rng)),
            ntor_v3: ntor_v3::RelayKeys::new(ed_id, NtorOnionKey::generate(rng)),
            hop: None,
            keys: None,
        }
    }

    /// Answers any create cell through the one-call relay dispatch and keeps the circuit
    /// keys; returns the reply cell's command and body.
    fn answer(
        &mut self,
        rng: &mut ChaCha20Rng,
        command: Command,
        body: &[u8; PAYLOAD_LEN],
    ) -> (Command, [u8; PAYLOAD_LEN]) {
        let onion_keys = RelayOnionKeys::new()
            .with_ntor(&self.ntor)
            .with_ntor_v3(&self.ntor_v3);
        let mut reply = [0u8; PAYLOAD_LEN];
        let answer =
            dispatch::relay_respond(rng, &onion_keys, command, body, |_, _| Ok(()), &mut reply)
                .unwrap();
        let keys = answer.key_seed.circuit_keys();
        self.hop = Some(RelayHop::tor1(&keys));
        self.keys = Some(keys);
        (answer.command, reply)
    }
}

/// Starts the client's handshake with `relay` by type, through the one-call client dispatch;
/// returns the state and the create cell's command and body.
fn start(
    rng: &mut ChaCha20Rng,
    relay: &Relay,
    htype: HandshakeType,
) -> (ClientHandshake, Command, [u8; PAYLOAD_LEN]) {
    let ntor_pk = relay.ntor.public_key();
    let ntor_v3_pk = relay.ntor_v3.public_key();
    let target = match htype {
        HandshakeType::NTOR => RelayTarget::Ntor(&ntor_pk),
        HandshakeType::NTOR_V3 => RelayTarget::NtorV3(&ntor_v3_pk),
        other => panic!("unexpected handshake {other:?}"),
    };
    let mut body = [0u8; PAYLOAD_LEN];
    let (state, command) = ClientHandshake::start(rng, &target, &[], &mut body).unwrap();
    (state, command, body)
}

/// Encodes a cell for the channel, then frames and decodes it as the receiver would;
/// returns what the receiver read.
fn over_the_wire(command: Command, body: &[u8; PAYLOAD_LEN], check: impl FnOnce(ChannelMsg<'_>)) {
    let mut bytes = vec![0u8; 514 * 2];
    let n = ChannelCell::new(LINK, CIRC_ID, command, body)
        .unwrap()
        .encode_into(&mut bytes)
        .unwrap();
    let mut cells = ChannelCells::new(&bytes[..n], LINK);
    let cell = cells.next().expect("one whole cell");
    assert!(cells.next().is_none() && cells.needed() == 0);
    assert_eq!(
        (cell.circ_id(), cell.command(), cell.body()),
        (CIRC_ID, command, &body[..])
    );
    check(cell.msg().unwrap());
}

/// The client sends `payload` (plaintext) to hop `target` in a RELAY or RELAY_EARLY cell;
/// every relay up to `target` removes its layer; returns the plaintext at `target`.
fn send_forward(
    client: &mut ClientCircuit,
    relays: &mut [Relay],
    target: usize,
    command: Command,
    payload: &mut [u8; PAYLOAD_LEN],
) {
    client.encrypt_forward(target, payload).unwrap();
    over_the_wire(command, payload, |msg| match msg {
        ChannelMsg::Circuit(id, CellMsg::Other { command: c, body }) => {
            assert_eq!((id.get(), c), (CIRC_ID, command));
            assert_eq!(body, payload);
        }
        other => panic!("unexpected {other:?}"),
    });
    for (i, relay) in relays.iter_mut().enumerate().take(target + 1) {
        let got = relay.hop.as_mut().unwrap().decrypt_forward(payload);
        assert_eq!(
            got.is_some(),
            i == target,
            "hop {i} for a cell to hop {target}"
        );
    }
}

/// Hop `from` originates `payload`; every earlier relay adds its layer; returns the hop the
/// client recognised it at.
fn send_backward(
    client: &mut ClientCircuit,
    relays: &mut [Relay],
    from: usize,
    payload: &mut [u8; PAYLOAD_LEN],
) -> Option<usize> {
    relays[from]
        .hop
        .as_mut()
        .unwrap()
        .originate_backward(payload);
    for relay in relays[..from].iter_mut().rev() {
        relay.hop.as_mut().unwrap().relay_backward(payload);
    }
    client.decrypt_backward(payload).map(|(hop, _)| hop)
}

fn build_circuit(rng: &mut ChaCha20Rng) -> (ClientCircuit, Vec<Relay>, Vec<CircuitKeys>) {
    let mut relays: Vec<Relay> = (1..=3).map(|n| Relay::new(rng, n)).collect();
    let mut client: ClientCircuit = ClientCircuit::new();
    let mut client_keys = Vec::new();

    // Hop 1: CREATE2 (ntor) on the channel, CREATED2 back, both through the dispatch.
    let (state, command, create) = start(rng, &relays[0], HandshakeType::NTOR);
    assert_eq!(command, Command::CREATE2);
    over_the_wire(command, &create, |msg| {
        assert!(
            matches!(msg, ChannelMsg::Circuit(_, CellMsg::Create2(_))),
            "{msg:?}"
        );
    });
    let (reply_command, created) = relays[0].answer(rng, command, &create);
    over_the_wire(reply_command, &created, |msg| {
        assert!(
            matches!(msg, ChannelMsg::Circuit(_, CellMsg::Created2(_))),
            "{msg:?}"
        );
    });
    let keys = state
        .finish(reply_command, &created)
        .unwrap()
        .0
        .circuit_keys();
    client.push(ClientHop::tor1(&keys)).unwrap();
    client_keys.push(keys);

    // Hops 2 (ntor-v3) and 3 (ntor): EXTEND2 to the last hop, EXTENDED2 back.
    for (next, htype) in [(1usize, HandshakeType::NTOR_V3), (2, HandshakeType::NTOR)] {
        let (state, command, create) = start(rng, &relays[next], htype);
        assert_eq!(command, Command::CREATE2);
        let create2 = Create2::decode(&create).unwrap();
        let target = &relays[next];
        let specs = [
            LinkSpec::Ipv4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, target.port)),
            LinkSpec::LegacyId(&target.rsa_id),
            LinkSpec::Ed25519Id(&target.ed_id),
        ];
        let extend2 = Extend2::new(LinkSpecs::from_slice(&specs).unwrap(), create2).unwrap();
        let mut payload = [0u8; PAYLOAD_LEN];
        RelayCell::encode_msg_into(&RelayMsg::Extend2(extend2), 0, &mut payload, rng).unwrap();
        let last = next - 1;
        send_forward(
            &mut client,
            &mut relays,
            last,
            Command::RELAY_EARLY,
            &mut payload,
        );

        // The last hop reads EXTEND2 and sends the CREATE2 body to the relay it names, which
        // answers through the dispatch.
        let cell = RelayCell::decode(&payload).unwrap();
        let RelayMsg::Extend2(e) = cell.msg().unwrap() else {
            panic!("not EXTEND2")
        };
        assert_eq!(e.rsa_id(), &relays[next].rsa_id);
        assert_eq!(e.ipv4().unwrap().port(), relays[next].port);
        let mut forwarded = [0u8; PAYLOAD_LEN];
        e.create2().encode_into(&mut forwarded).unwrap();
        let (reply_command, created) = relays[next].answer(rng, Command::CREATE2, &forwarded);
        assert_eq!(reply_command, Command::CREATED2);

        // EXTENDED2 back from the last hop, carrying the CREATED2 body.
        let created2 = Created2::decode(&created).unwrap();
        let mut back = [0u8; PAYLOAD_LEN];
        let extended2 = RelayMsg::Extended2(Extended2::new(created2.hdata()).unwrap());
        RelayCell::encode_msg_into(&extended2, 0, &mut back, rng).unwrap();
        assert_eq!(
            send_backward(&mut client, &mut relays, last, &mut back),
            Some(last)
        );
        let cell = RelayCell::decode(&back).unwrap();
        let RelayMsg::Extended2(x) = cell.msg().unwrap() else {
            panic!("not EXTENDED2")
        };
        let mut reply = [0u8; PAYLOAD_LEN];
        Created2::new(x.hdata())
            .unwrap()
            .encode_into(&mut reply)
            .unwrap();
        let keys = state
            .finish(Command::CREATED2, &reply)
            .unwrap()
            .0
            .circuit_keys();
        client.push(ClientHop::tor1(&keys)).unwrap();
        client_keys.push(keys);
    }
    for (relay, keys) in relays.iter().zip(&client_keys) {
        assert_eq!(
            relay.keys.as_ref(),
            Some(keys),
            "both ends of each hop share keys"
        );
    }
    (client, relays, client_keys)
}

#[test]
fn three_hops_every_cell_recognised_at_its_hop() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let (mut client, mut relays, _) = build_circuit(&mut rng);
    assert_eq!(client.len(), 3);
    // Cells interleaved across hops, so each hop's streams and digests carry on correctly.
    for round in 0..5u16 {
        for target in [2usize, 0, 1, 2] {
            let mut data = vec![0u8; usize::from(round * 97 % 499)];
            rng.fill_bytes(&mut data);
            let mut payload = [0u8; PAYLOAD_LEN];
            RelayCell::new(RelayCommand::DATA, round + 1, &data)
                .unwrap()
                .encode_into(&mut payload, &mut rng);
            let sent = payload;
            send_forward(
                &mut client,
                &mut relays,
                target,
                Command::RELAY,
                &mut payload,
            );
            // The plaintext arrives, with the digest the client set.
            assert_eq!(payload[..5], sent[..5], "hop {target} sees the plaintext");
            assert_eq!(payload[9..], sent[9..], "hop {target} sees the plaintext");
            assert_eq!(RelayCell::decode(&payload).unwrap().data(), &data[..]);

            let mut reply = [0u8; PAYLOAD_LEN];
            RelayCell::new(RelayCommand::SENDME, 0, &round.to_be_bytes())
                .unwrap()
                .encode_into(&mut reply, &mut rng);
            let mut back = reply;
            assert_eq!(
                send_backward(&mut client, &mut relays, target, &mut back),
                Some(target)
            );
            assert_eq!(back[9..], reply[9..]);
            assert_eq!(back[..5], reply[..5]);
        }
    }
}

/// Fresh client and relay layers from the circuit's keys, as right after the handshakes.
fn fresh(keys: &[CircuitKeys]) -> (ClientCircuit, Vec<RelayHop>) {
    let mut client: ClientCircuit = ClientCircuit::new();
    for k in keys {
        client.push(ClientHop::tor1(k)).unwrap();
    }
    (client, keys.iter().map(RelayHop::tor1).collect())
}

#[test]
fn one_flipped_bit_anywhere_is_detected() {
    let mut rng = ChaCha20Rng::seed_from_u64(41);
    let (_, _, keys) = build_circuit(&mut rng);
    let mut plain = [0u8; PAYLOAD_LEN];
    RelayCell::new(RelayCommand::DATA, 3, b"GET / HTTP/1.0\r\n\r\n")
        .unwrap()
        .encode_into(&mut plain, &mut rng);

    // Untampered, the fresh layers agree; this is the baseline each flip is measured against.
    for target in 0..3 {
        let (mut client, mut relays) = fresh(&keys);
        let mut p = plain;
        client.encrypt_forward(target, &mut p).unwrap();
        let at: Vec<bool> = relays
            .iter_mut()
            .take(target + 1)
            .map(|r| r.decrypt_forward(&mut p).is_some())
            .collect();
        assert_eq!(at.iter().filter(|&&b| b).count(), 1);
        assert!(at[target]);
    }

    for target in 0..3 {
        for bit in 0..PAYLOAD_LEN * 8 {
            // Forward: flipped on the link into hop 1.
            let (mut client, mut relays) = fresh(&keys);
            let mut p = plain;
            client.encrypt_forward(target, &mut p).unwrap();
            p[bit / 8] ^= 1 << (bit % 8);
            for (i, relay) in relays.iter_mut().enumerate().take(target + 1) {
                assert!(
                    relay.decrypt_forward(&mut p).is_none(),
                    "forward to hop {target}, bit {bit} flipped, recognised at hop {i}"
                );
            }

            // Backward: flipped on the link into the client.
            let mut p = plain;
            relays[target].originate_backward(&mut p);
            for relay in relays[..target].iter_mut().rev() {
                relay.relay_backward(&mut p);
            }
            p[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                client.decrypt_backward(&mut p),
                None,
                "backward from hop {target}, bit {bit} flipped"
            );
        }
    }
}
