//! Decoding and encoding make no heap allocations: every codec entry point runs under a
//! counting global allocator, and the count must not move.
//!
//! The count is process-wide, so this test runs without libtest's harness (`harness = false`):
//! no other thread exists to allocate while it measures (libtest's own thread allocates, for
//! example, when it reports a test running for over 60 seconds on a slow machine).

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use onionskin::codec::{
    AuthChallenge, Cell, CellBody, CellMsg, CertEntry, Certs, ChannelCell, ChannelCells,
    ChannelMsg, CircId, CircIdWidth, Command, Create, Create2, CreateFast, Created, Created2,
    CreatedFast, Destroy, DestroyReason, Extend, Extend2, Extended, Extended2, LegacyOnionSkin,
    LinkProtocol, LinkSpec, LinkSpecs, Netinfo, NetinfoAddr, PAYLOAD_LEN, Padding, RelayCell,
    RelayCommand, RelayMsg, RelayMsgBody, Versions, Vpadding,
};
use onionskin::relay_crypto::{ClientCircuit, ClientHop, RelayHop};
use onionskin::{CircuitKeys, HandshakeType};
use rand_core::SeedableRng;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Runs `f` and returns how many allocations (and reallocations) it made.
fn allocations(f: impl FnOnce()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    let stats = region.change();
    stats.allocations + stats.reallocations
}

/// Cells and relay messages from `test-vectors/cells.json`, prepared before measuring.
struct Inputs {
    frames: Vec<(CircIdWidth, Vec<u8>)>,
    relay: Vec<(RelayCommand, Vec<u8>)>,
}

fn inputs() -> Inputs {
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("../test-vectors/cells.json")).unwrap();
    let hex = |v: &serde_json::Value| hex::decode(v.as_str().unwrap()).unwrap();
    let frames = doc["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let link = c["link_protocol"].as_u64().unwrap() as u16;
            (CircIdWidth::for_link_protocol(link), hex(&c["cell"]))
        })
        .collect();
    let relay = doc["relay_messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let cmd = RelayCommand(m["relay_command"].as_u64().unwrap() as u8);
            (cmd, hex(&m["body"]))
        })
        .collect();
    Inputs { frames, relay }
}

fn main() {
    decode_and_encode_never_allocate();
    println!("codec_alloc: 1 passed, 0 failed");
}

fn decode_and_encode_never_allocate() {
    let inputs = inputs();
    assert_eq!(inputs.frames.len() + inputs.relay.len(), 29);
    let mut frame_out = [0u8; 514];
    let mut body_out = [0u8; PAYLOAD_LEN];
    let mut relay_out = [0u8; 498];

    // Sanity check of the counter itself: a Vec allocates.
    assert!(allocations(|| drop(black_box(vec![1u8; 32]))) >= 1);

    // Every vector cell: frame, body, re-encode; every relay message: decode, iterate, encode.
    let n = allocations(|| {
        for (width, frame) in &inputs.frames {
            let cell = Cell::decode(black_box(frame), *width).unwrap();
            let msg = cell.msg().unwrap();
            msg.encode_into(&mut body_out).unwrap();
            msg.encode_cell(cell.circ_id(), *width, &mut frame_out)
                .unwrap();
            cell.encode_into(*width, &mut frame_out).unwrap();
            black_box((&frame_out, &body_out));
        }
        for (cmd, body) in &inputs.relay {
            let msg = RelayMsg::decode(*cmd, black_box(body)).unwrap();
            if let RelayMsg::Extend2(m) = msg {
                for spec in m.link_specs() {
                    black_box(spec);
                }
                black_box((m.rsa_id(), m.ed25519_id(), m.ipv4(), m.ipv6()));
            }
            msg.encode_into(&mut relay_out).unwrap();
            black_box(&relay_out);
        }
    });
    assert_eq!(n, 0, "decoding or encoding the vectors allocated");

    // Every view built from parts and pushed through its typed encoder and decoder.
    let skin = [1u8; 186];
    let reply = [2u8; 148];
    let x = [3u8; 20];
    let fast = [4u8; 40];
    let ntor = [5u8; 84];
    let rsa = [6u8; 20];
    let ed = [7u8; 32];
    let n = allocations(|| {
        let id = CircId::new(0x8000_0001).unwrap();
        let w = CircIdWidth::Wide;
        macro_rules! cell {
            ($m:expr, $ty:ty) => {{
                let m = $m;
                m.encode_cell(id, w, &mut frame_out).unwrap();
                let (_, back) = <$ty>::decode_cell(black_box(&frame_out), w).unwrap();
                assert_eq!(back, m);
            }};
        }
        cell!(Create::tap(&skin), Create<'_>);
        cell!(Create::new(LegacyOnionSkin::Ntor(&ntor)), Create<'_>);
        cell!(Created::new(&reply), Created<'_>);
        cell!(CreateFast::new(&x), CreateFast<'_>);
        cell!(CreatedFast::new(&fast), CreatedFast<'_>);
        cell!(
            Create2::new(HandshakeType::NTOR, &ntor).unwrap(),
            Create2<'_>
        );
        cell!(Created2::new(&reply).unwrap(), Created2<'_>);
        cell!(Destroy::new(DestroyReason::PROTOCOL), Destroy);

        macro_rules! relay {
            ($m:expr, $ty:ty) => {{
                let m = $m;
                let len = m.encode_into(&mut relay_out).unwrap();
                let back = <$ty>::decode(black_box(&relay_out[..len])).unwrap();
                assert_eq!(back, m);
            }};
        }
        let orport = "192.0.2.17:9001".parse().unwrap();
        relay!(
            Extend::new(orport, LegacyOnionSkin::Tap(&skin), &rsa).unwrap(),
            Extend<'_>
        );
        relay!(Extended::new(&reply), Extended<'_>);
        let specs = [
            LinkSpec::Ipv4(orport),
            LinkSpec::LegacyId(&rsa),
            LinkSpec::Ed25519Id(&ed),
        ];
        let m = Extend2::new(
            LinkSpecs::from_slice(&specs).unwrap(),
            Create2::new(HandshakeType::NTOR, &ntor).unwrap(),
        )
        .unwrap();
        relay!(m, Extend2<'_>);
        relay!(Extended2::new(&reply[..64]).unwrap(), Extended2<'_>);

        // Errors are allocation-free too.
        assert!(Cell::decode(black_box(&frame_out[..100]), w).is_err());
        assert!(Extend2::decode(black_box(&[3, 0, 6, 1])).is_err());
        assert!(CellMsg::decode(black_box(Create2::COMMAND), &[0xff; PAYLOAD_LEN]).is_err());
    });
    assert_eq!(n, 0, "building, encoding or decoding a view allocated");

    // The channel layer: link cells built from parts, written into one byte stream, framed
    // back cell by cell and decoded; plus a partial cell.
    let mut stream = [0u8; 4096];
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(9);
    let n = allocations(|| {
        let link = LinkProtocol::V5;
        let mut at = Versions::encode_list(&[3, 4, 5], &mut stream).unwrap();
        let mut put = |f: &mut dyn FnMut(&mut [u8]) -> usize| at += f(&mut stream[at..]);
        let cert = [8u8; 100];
        put(&mut |o| {
            let certs = [
                CertEntry {
                    cert_type: 7,
                    body: &cert,
                },
                CertEntry {
                    cert_type: 4,
                    body: &cert[..3],
                },
            ];
            Certs::encode_list(link, &certs, o).unwrap()
        });
        put(&mut |o| AuthChallenge::encode_parts(link, &[1; 32], &[1, 3], o).unwrap());
        put(&mut |o| {
            let me = [NetinfoAddr::Ipv6(std::net::Ipv6Addr::LOCALHOST)];
            Netinfo::encode_parts(
                link,
                7,
                NetinfoAddr::Ipv4(std::net::Ipv4Addr::LOCALHOST),
                &me,
                o,
            )
            .unwrap()
        });
        put(&mut |o| Padding.encode_cell(link, o).unwrap());
        put(&mut |o| Vpadding::encode_zeros(link, 17, o).unwrap());
        put(&mut |o| {
            let id = CircId::new(0x8000_0001).unwrap();
            Destroy::new(DestroyReason::FINISHED)
                .encode_cell(id, CircIdWidth::Wide, o)
                .unwrap()
        });
        let mut cells = ChannelCells::new(black_box(&stream[..at - 3]), LinkProtocol::NEGOTIATING);
        let mut seen = 0;
        while let Some(cell) = cells.next() {
            seen += 1;
            match cell.msg().unwrap() {
                ChannelMsg::Versions(v) => {
                    assert_eq!(v.highest_common(&[4, 5]), Some(5));
                    cells.set_link_protocol(link);
                    v.encode_cell(&mut frame_out).unwrap();
                }
                ChannelMsg::Certs(c) => {
                    black_box(c.iter().count());
                    c.encode_cell(link, &mut stream_out()).unwrap();
                }
                ChannelMsg::AuthChallenge(c) => {
                    black_box(c.methods().sum::<u16>());
                    c.encode_cell(link, &mut frame_out).unwrap();
                }
                ChannelMsg::Netinfo(m) => {
                    black_box(m.my_addrs().count());
                    m.encode_cell(link, &mut frame_out).unwrap();
                }
                ChannelMsg::Vpadding(v) => {
                    v.encode_cell(link, &mut frame_out).unwrap();
                }
                msg => {
                    black_box(msg);
                }
            }
            cell.encode_into(&mut frame_out).unwrap();
        }
        assert_eq!(
            (seen, cells.needed()),
            (6, 3),
            "the DESTROY cell lacks 3 bytes"
        );
        assert!(ChannelCell::new(link, 0, Command::CREATE2, &[]).is_err());
    });
    assert_eq!(n, 0, "the channel codec allocated");

    // Relay cells through relay crypto: a 3-hop client and its relays, both directions.
    let keys: [CircuitKeys; 3] =
        core::array::from_fn(|i| CircuitKeys::split_kh_last(&[i as u8 + 1; 92]));
    let n = allocations(|| {
        let mut client: ClientCircuit = ClientCircuit::new();
        for k in &keys {
            client.push(ClientHop::tor1(k)).unwrap();
        }
        client
            .push(ClientHop::hs_client(&[1; 32], &[2; 32], &[3; 32], &[4; 32]))
            .unwrap();
        client.truncate(3);
        let mut relays = keys.each_ref().map(RelayHop::tor1);
        for target in 0..3 {
            let mut p = [0u8; PAYLOAD_LEN];
            RelayCell::new(RelayCommand::DATA, 1, &[5; 100])
                .unwrap()
                .encode_into(&mut p, &mut rng);
            client.encrypt_forward(target, &mut p).unwrap();
            for r in relays.iter_mut().take(target + 1) {
                black_box(r.decrypt_forward(&mut p));
            }
            let cell = RelayCell::decode(black_box(&p)).unwrap();
            assert_eq!(cell.msg().unwrap().command(), RelayCommand::DATA);
            relays[target].originate_backward(&mut p);
            for r in relays[..target].iter_mut().rev() {
                r.relay_backward(&mut p);
            }
            assert_eq!(client.decrypt_backward(&mut p).map(|x| x.0), Some(target));
        }
    });
    assert_eq!(n, 0, "relay crypto allocated");
}

/// Scratch space for the largest cell written above, outside the measured closures' captures.
fn stream_out() -> [u8; 1024] {
    [0u8; 1024]
}
