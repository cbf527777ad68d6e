//! Decoding and encoding make no heap allocations: every codec entry point runs under a
//! counting global allocator, and the count must not move.
//!
//! This file holds a single test so that no other test thread allocates while it measures.

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use onionskin::HandshakeType;
use onionskin::codec::{
    Cell, CellBody, CellMsg, CircId, CircIdWidth, Create, Create2, CreateFast, Created, Created2,
    CreatedFast, Destroy, DestroyReason, Extend, Extend2, Extended, Extended2, LegacyOnionSkin,
    LinkSpec, LinkSpecs, PAYLOAD_LEN, RelayCommand, RelayMsg, RelayMsgBody,
};
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

#[test]
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
}
