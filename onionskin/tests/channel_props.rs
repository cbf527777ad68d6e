//! Property and rule tests for the channel codec (tor-spec 3, 4), the relay header (tor-spec
//! 6.1) and relay crypto: every encoder round-trips through framing and decoding, every
//! prefix of a cell asks for more bytes, arbitrary input never panics, and random traffic
//! over a random circuit is recognised at the right hop.

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core,
    clippy::panic
)]

use core::net::{Ipv4Addr, Ipv6Addr};
use onionskin::codec::{
    AuthChallenge, CertEntry, Certs, ChannelCell, ChannelCells, ChannelMsg, Command, LinkProtocol,
    Netinfo, NetinfoAddr, PAYLOAD_LEN, Padding, RELAY_HEADER_LEN, RELAY_PAYLOAD_LEN, RelayCell,
    RelayCommand, Versions, Vpadding,
};
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};
use onionskin::{CircuitKeys, DecodeError};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn link() -> impl Strategy<Value = LinkProtocol> {
    prop_oneof![
        Just(LinkProtocol::NEGOTIATING),
        Just(LinkProtocol::V3),
        Just(LinkProtocol::V4),
        Just(LinkProtocol::V5)
    ]
}

/// Frames exactly one cell from `bytes` and decodes it.
fn one_cell(bytes: &[u8], link: LinkProtocol) -> ChannelMsg<'_> {
    let (cell, rest) = ChannelCell::frame(bytes, link).unwrap();
    assert!(rest.is_empty());
    assert_eq!(cell.circ_id(), 0);
    cell.msg().unwrap()
}

fn netinfo_addr() -> impl Strategy<Value = (u8, Vec<u8>)> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| (4u8, a.to_vec())),
        any::<[u8; 16]>().prop_map(|a| (6u8, a.to_vec())),
        (
            any::<u8>().prop_filter("unknown", |t| *t != 4 && *t != 6),
            prop::collection::vec(any::<u8>(), 0..20)
        ),
    ]
}

fn addr(a: &(u8, Vec<u8>)) -> NetinfoAddr<'_> {
    match a.0 {
        4 => NetinfoAddr::Ipv4(Ipv4Addr::from(<[u8; 4]>::try_from(&a.1[..]).unwrap())),
        6 => NetinfoAddr::Ipv6(Ipv6Addr::from(<[u8; 16]>::try_from(&a.1[..]).unwrap())),
        t => NetinfoAddr::Other {
            atype: t,
            value: &a.1,
        },
    }
}

proptest! {
    #[test]
    fn versions_round_trip(versions in prop::collection::vec(any::<u16>(), 0..40)) {
        let mut out = vec![0u8; 5 + versions.len() * 2];
        let n = Versions::encode_list(&versions, &mut out).unwrap();
        prop_assert_eq!(n, out.len());
        let ChannelMsg::Versions(v) = one_cell(&out, LinkProtocol::NEGOTIATING) else { panic!() };
        prop_assert_eq!(v.iter().collect::<Vec<_>>(), versions);
        let mut again = vec![0u8; n];
        prop_assert_eq!(v.encode_cell(&mut again).unwrap(), n);
        prop_assert_eq!(again, out);
    }

    #[test]
    fn certs_round_trip(
        link in link(),
        certs in prop::collection::vec((any::<u8>(), prop::collection::vec(any::<u8>(), 0..300)), 0..8),
    ) {
        let entries: Vec<CertEntry<'_>> =
            certs.iter().map(|(t, b)| CertEntry { cert_type: *t, body: b }).collect();
        let mut out = vec![0u8; 8000];
        let n = Certs::encode_list(link, &entries, &mut out).unwrap();
        let ChannelMsg::Certs(c) = one_cell(&out[..n], link) else { panic!() };
        prop_assert_eq!(c.len(), entries.len());
        prop_assert_eq!(c.iter().collect::<Vec<_>>(), entries);
        let mut again = vec![0u8; n];
        prop_assert_eq!(c.encode_cell(link, &mut again).unwrap(), n);
        prop_assert_eq!(&again[..], &out[..n]);
    }

    #[test]
    fn auth_challenge_round_trip(
        link in link(),
        challenge in any::<[u8; 32]>(),
        methods in prop::collection::vec(any::<u16>(), 0..20),
    ) {
        let mut out = vec![0u8; 200];
        let n = AuthChallenge::encode_parts(link, &challenge, &methods, &mut out).unwrap();
        let ChannelMsg::AuthChallenge(c) = one_cell(&out[..n], link) else { panic!() };
        prop_assert_eq!(c.challenge(), &challenge);
        prop_assert_eq!(c.methods().collect::<Vec<_>>(), methods);
        let mut again = vec![0u8; n];
        prop_assert_eq!(c.encode_cell(link, &mut again).unwrap(), n);
        prop_assert_eq!(&again[..], &out[..n]);
    }

    #[test]
    fn netinfo_round_trip(
        link in link(),
        time in any::<u32>(),
        other in netinfo_addr(),
        mine in prop::collection::vec(netinfo_addr(), 0..8),
    ) {
        let mine_addrs: Vec<NetinfoAddr<'_>> = mine.iter().map(addr).collect();
        let mut out = vec![0u8; 514];
        let n = Netinfo::encode_parts(link, time, addr(&other), &mine_addrs, &mut out).unwrap();
        prop_assert_eq!(n, link.circ_id_width().cell_len());
        let ChannelMsg::Netinfo(m) = one_cell(&out[..n], link) else { panic!() };
        prop_assert_eq!(m.timestamp(), time);
        prop_assert_eq!(m.other_addr(), addr(&other));
        prop_assert_eq!(m.my_addrs().collect::<Vec<_>>(), mine_addrs);
        let mut again = vec![0xffu8; n];
        prop_assert_eq!(m.encode_cell(link, &mut again).unwrap(), n);
        prop_assert_eq!(&again[..], &out[..n]);
    }

    #[test]
    fn padding_round_trip(link in link(), len in any::<u16>()) {
        let mut out = vec![0xffu8; 70_000];
        let n = Padding.encode_cell(link, &mut out).unwrap();
        prop_assert_eq!(one_cell(&out[..n], link), ChannelMsg::Padding(Padding));
        let n = Vpadding::encode_zeros(link, len, &mut out).unwrap();
        let ChannelMsg::Vpadding(v) = one_cell(&out[..n], link) else { panic!() };
        prop_assert_eq!(v.body().len(), usize::from(len));
        prop_assert!(v.body().iter().all(|&b| b == 0));
    }

    /// Any cell, encoded: framing gives it back, every proper prefix asks for more bytes
    /// (never more than the cell still lacks), and cells back to back frame one by one.
    #[test]
    fn channel_cells_frame_back(
        link in link(),
        cells in prop::collection::vec((1u32..=0xffff, any::<u8>(), prop::collection::vec(any::<u8>(), 0..600)), 1..5),
    ) {
        let mut stream = Vec::new();
        let mut made = Vec::new();
        for (id, cmd, body) in &cells {
            let command = Command(*cmd);
            let body = if link.is_variable_length(command) { &body[..] } else { &body[..body.len().min(PAYLOAD_LEN)] };
            let cell = ChannelCell::new(link, *id, command, body).unwrap();
            let mut out = vec![0u8; cell.encoded_len()];
            prop_assert_eq!(cell.encode_into(&mut out).unwrap(), out.len());
            for k in 0..out.len() {
                match ChannelCell::frame(&out[..k], link) {
                    Err(DecodeError::Truncated { needed }) => {
                        prop_assert!(needed >= 1 && needed <= out.len() - k);
                    }
                    other => prop_assert!(false, "prefix {} of {}: {:?}", k, out.len(), other),
                }
            }
            stream.extend_from_slice(&out);
            made.push((id, command, body.to_vec()));
        }
        let mut framed = ChannelCells::new(&stream, link);
        for (id, command, body) in &made {
            let cell = framed.next().unwrap();
            prop_assert_eq!((cell.circ_id(), cell.command()), (**id, *command));
            prop_assert_eq!(&cell.body()[..body.len()], &body[..]);
            prop_assert!(cell.body()[body.len()..].iter().all(|&b| b == 0));
        }
        prop_assert!(framed.next().is_none());
        prop_assert_eq!(framed.needed(), 0);
    }

    /// Arbitrary bytes: framing and decoding return a value or an error, never panic.
    #[test]
    fn arbitrary_bytes_never_panic(link in link(), bytes in prop::collection::vec(any::<u8>(), 0..1200)) {
        let mut cells = ChannelCells::new(&bytes, link);
        for cell in cells.by_ref() {
            let _ = cell.msg();
            let _ = cell.circuit_cell();
        }
        prop_assert!(cells.rest().len() < bytes.len() + 1);
        let _ = Versions::decode(&bytes);
        let _ = Certs::decode(&bytes).map(|c| c.iter().count());
        let _ = AuthChallenge::decode(&bytes).map(|c| c.methods().count());
        let _ = Netinfo::decode(&bytes).map(|n| n.my_addrs().count());
    }

    #[test]
    fn relay_cell_round_trip(
        cmd in any::<u8>(),
        stream_id in any::<u16>(),
        data in prop::collection::vec(any::<u8>(), 0..=RELAY_PAYLOAD_LEN),
        seed in any::<u64>(),
    ) {
        let cell = RelayCell::new(RelayCommand(cmd), stream_id, &data).unwrap();
        let mut zero = [0xffu8; PAYLOAD_LEN];
        let end = cell.encode_zero_padded(&mut zero);
        prop_assert_eq!(end, RELAY_HEADER_LEN + data.len());
        prop_assert!(zero[end..].iter().all(|&b| b == 0));
        prop_assert_eq!(RelayCell::decode(&zero).unwrap(), cell);

        let mut random = [0xffu8; PAYLOAD_LEN];
        cell.encode_into(&mut random, &mut ChaCha20Rng::seed_from_u64(seed));
        prop_assert_eq!(RelayCell::decode(&random).unwrap(), cell);
        prop_assert_eq!(&random[..end], &zero[..end]);
        // C tor's rule: four zero bytes, then random bytes (all zero if fewer than 5 spare).
        let gap = (PAYLOAD_LEN - end).min(4);
        prop_assert!(random[end..end + gap].iter().all(|&b| b == 0));
        if PAYLOAD_LEN - end > 4 + 16 {
            prop_assert!(random[end + 4..].iter().any(|&b| b != 0));
        }
    }

    /// Random traffic over a circuit of 1 to 5 hops with random keys: every cell is
    /// recognised by its hop only, and the plaintext arrives.
    #[test]
    fn random_traffic_recognised_at_its_hop(
        keys in prop::collection::vec(any::<[u8; 32]>(), 1..=5),
        sends in prop::collection::vec((any::<usize>(), any::<bool>(), prop::collection::vec(any::<u8>(), 0..=RELAY_PAYLOAD_LEN)), 1..12),
    ) {
        let keys: Vec<CircuitKeys> = keys
            .iter()
            .map(|k| CircuitKeys::split_kh_last(&core::array::from_fn(|i| k[i % 32] ^ (i as u8))))
            .collect();
        let mut client: ClientCircuit = ClientCircuit::new();
        for k in &keys {
            client.push(ClientHop::tor1(k)).unwrap();
        }
        let mut relays: Vec<RelayHop> = keys.iter().map(RelayHop::tor1).collect();
        for (hop, forward, data) in sends {
            let hop = hop % keys.len();
            let mut p = [0u8; PAYLOAD_LEN];
            RelayCell::new(RelayCommand::DATA, 9, &data).unwrap().encode_zero_padded(&mut p);
            if forward {
                let tag = client.encrypt_forward(hop, &mut p).unwrap();
                for (i, r) in relays.iter_mut().enumerate().take(hop + 1) {
                    let got = r.decrypt_forward(&mut p);
                    prop_assert_eq!(got.is_some(), i == hop);
                    if i == hop {
                        prop_assert_eq!(got.unwrap(), tag);
                    }
                }
            } else {
                let tag = relays[hop].originate_backward(&mut p);
                for r in relays[..hop].iter_mut().rev() {
                    r.relay_backward(&mut p);
                }
                prop_assert_eq!(client.decrypt_backward(&mut p), Some((hop, tag)));
            }
            prop_assert_eq!(RelayCell::decode(&p).unwrap().data(), &data[..]);
        }
    }
}

#[test]
fn circ_id_zero_rules() {
    let link = LinkProtocol::V4;
    let body = [0u8; PAYLOAD_LEN];
    // Circuit commands: 0 cannot be sent, and a received one is refused when decoded.
    for cmd in [1u8, 2, 3, 4, 5, 6, 9, 10, 11] {
        let command = Command(cmd);
        assert!(
            ChannelCell::new(link, 0, command, &body).is_err(),
            "{command:?}"
        );
        let mut wire = [0u8; 514];
        wire[4] = cmd;
        let (cell, _) = ChannelCell::frame(&wire, link).unwrap();
        assert_eq!(cell.msg(), Err(DecodeError::ZeroCircId), "{command:?}");
        assert_eq!(cell.circuit_cell(), Err(DecodeError::ZeroCircId));
    }
    // Link-level commands use circuit ID 0.
    for cmd in [0u8, 7, 8, 12, 128, 129, 130, 131, 132] {
        assert!(
            ChannelCell::new(link, 0, Command(cmd), &[]).is_ok(),
            "{cmd}"
        );
    }
    // A circuit ID too wide for a narrow link cannot be sent.
    assert!(ChannelCell::new(LinkProtocol::V3, 0x1_0000, Command::RELAY, &body).is_err());
}

#[test]
fn variable_length_commands_follow_the_link_protocol() {
    // Link protocol 2 and below: only VERSIONS is variable-length; from 3 (and while
    // negotiating), every command from 128 too (C tor `cell_command_is_var_length`).
    for (v, certs_variable) in [
        (1, false),
        (2, false),
        (0, true),
        (3, true),
        (4, true),
        (5, true),
    ] {
        let link = LinkProtocol::new(v);
        assert_eq!(
            link.is_variable_length(Command::CERTS),
            certs_variable,
            "v{v}"
        );
        assert_eq!(link.is_variable_length(Command::VERSIONS), v != 1, "v{v}");
        assert!(!link.is_variable_length(Command::NETINFO));
    }
    // VERSIONS always frames with a 2-byte circuit ID while negotiating.
    let mut out = [0u8; 9];
    Versions::encode_list(&[4, 5], &mut out).unwrap();
    assert_eq!(out, [0, 0, 7, 0, 4, 0, 4, 0, 5]);
}

#[test]
fn malformed_link_cells_are_typed_errors() {
    assert_eq!(
        Certs::decode(&[1, 7, 0, 5, 1]),
        Err(DecodeError::Truncated { needed: 4 })
    );
    assert!(matches!(
        Netinfo::decode(&[0, 0, 0, 0, 4, 3, 1, 2, 3, 0]),
        Err(DecodeError::LengthOutOfRange { .. })
    ));
    assert!(matches!(
        AuthChallenge::decode(&[0; 33]),
        Err(DecodeError::Truncated { .. })
    ));
    let mut body = [0u8; PAYLOAD_LEN];
    body[9..11].copy_from_slice(&499u16.to_be_bytes());
    assert!(matches!(
        RelayCell::decode(&body),
        Err(DecodeError::LengthOutOfRange {
            value: 499,
            limit: 498,
            ..
        })
    ));
    assert!(RelayCell::new(RelayCommand::DATA, 1, &[0; 499]).is_err());
}
