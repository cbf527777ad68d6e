//! Property tests: for every view, encode → decode gives the same view, and decode of
//! arbitrary bytes → encode → decode is stable and reproduces the input up to its padding.

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use onionskin::HandshakeType;
use onionskin::codec::{
    Cell, CellBody, CellMsg, CircId, CircIdWidth, Command, Create, Create2, CreateFast, Created,
    Created2, CreatedFast, Destroy, DestroyReason, Extend, Extend2, Extended, Extended2,
    LegacyOnionSkin, LinkSpec, LinkSpecType, LinkSpecs, PAYLOAD_LEN, RELAY_PAYLOAD_LEN,
    RelayCommand, RelayMsg, RelayMsgBody,
};
use proptest::prelude::*;

fn width() -> impl Strategy<Value = CircIdWidth> {
    prop_oneof![Just(CircIdWidth::Narrow), Just(CircIdWidth::Wide)]
}

/// A circuit ID that fits the width.
fn circ_id(width: CircIdWidth) -> impl Strategy<Value = CircId> {
    let max = match width {
        CircIdWidth::Narrow => 0xffff,
        CircIdWidth::Wide => u32::MAX,
    };
    (1..=max).prop_map(|v| CircId::new(v).unwrap())
}

fn bytes(len: impl Into<prop::collection::SizeRange>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), len)
}

fn array<const N: usize>() -> impl Strategy<Value = [u8; N]> {
    bytes(N).prop_map(|v| v.try_into().unwrap())
}

/// Encodes `body` into a cell, decodes the cell, and returns the decoded message, checking
/// the frame and padding on the way.
fn cell_roundtrip<'a, B>(body: &B, id: CircId, width: CircIdWidth, frame: &'a mut Vec<u8>) -> B
where
    B: CellBody<'a> + PartialEq + core::fmt::Debug,
{
    frame.clear();
    frame.resize(width.cell_len(), 0xff);
    let mut scratch = [0xffu8; PAYLOAD_LEN];
    let used = body.encode_into(&mut scratch).unwrap();
    assert!(
        scratch[used..].iter().all(|&b| b == 0),
        "padding must be NUL"
    );
    assert_eq!(
        body.encode_cell(id, width, frame).unwrap(),
        width.cell_len()
    );
    assert_eq!(&frame[width.header_len()..], &scratch[..]);
    let frame: &'a [u8] = frame;
    let (got_id, got) = B::decode_cell(frame, width).unwrap();
    assert_eq!(got_id, id);
    got
}

fn relay_roundtrip<'a, B>(msg: &B, out: &'a mut Vec<u8>) -> B
where
    B: RelayMsgBody<'a> + PartialEq + core::fmt::Debug,
{
    out.clear();
    out.resize(msg.encoded_len() + 7, 0xee);
    assert_eq!(msg.encode_into(out).unwrap(), msg.encoded_len());
    assert!(
        out[msg.encoded_len()..].iter().all(|&b| b == 0xee),
        "wrote past its length"
    );
    assert!(msg.encoded_len() <= RELAY_PAYLOAD_LEN);
    let out: &'a [u8] = out;
    B::decode(&out[..msg.encoded_len()]).unwrap()
}

/// A Create2 that a received CREATE2 may carry (known HTYPE, right length), or with
/// `unknown` also any other HTYPE but 1.
fn create2_parts(unknown: bool) -> impl Strategy<Value = (u16, Vec<u8>)> {
    let known = prop_oneof![
        bytes(186).prop_map(|d| (0u16, d)),
        bytes(84).prop_map(|d| (2u16, d)),
        bytes(0..=505).prop_map(|d| (3u16, d)),
    ];
    if unknown {
        prop_oneof![known, (4u16.., bytes(0..=505)).prop_map(|(h, d)| (h, d)),].boxed()
    } else {
        known.boxed()
    }
}

/// A link specifier in an owned form the strategy can produce.
#[derive(Clone, Debug)]
enum Spec {
    V4([u8; 4], u16),
    V6([u8; 16], u16),
    Rsa([u8; 20]),
    Ed([u8; 32]),
    Other(u8, Vec<u8>),
}

impl Spec {
    fn view(&self) -> LinkSpec<'_> {
        match self {
            Self::V4(a, p) => LinkSpec::Ipv4(SocketAddrV4::new(Ipv4Addr::from(*a), *p)),
            Self::V6(a, p) => LinkSpec::Ipv6(SocketAddrV6::new(Ipv6Addr::from(*a), *p, 0, 0)),
            Self::Rsa(id) => LinkSpec::LegacyId(id),
            Self::Ed(id) => LinkSpec::Ed25519Id(id),
            Self::Other(t, d) => LinkSpec::Unrecognized {
                lstype: LinkSpecType(*t),
                data: d,
            },
        }
    }
}

/// Link specifiers that satisfy EXTEND2's rules: one non-zero RSA id, at most one Ed25519 id,
/// a usable first address, plus any number of extra addresses and unknown types, shuffled.
fn link_specs() -> impl Strategy<Value = Vec<Spec>> {
    let rsa = array::<20>()
        .prop_filter("non-zero", |id| id != &[0; 20])
        .prop_map(Spec::Rsa);
    let first_addr = prop_oneof![
        (
            array::<4>().prop_filter("non-zero", |a| a != &[0; 4]),
            1u16..
        )
            .prop_map(|(a, p)| Spec::V4(a, p)),
        (
            array::<16>().prop_filter("non-zero", |a| a != &[0; 16]),
            1u16..
        )
            .prop_map(|(a, p)| Spec::V6(a, p)),
    ];
    let extra = prop_oneof![
        (array::<4>(), any::<u16>()).prop_map(|(a, p)| Spec::V4(a, p)),
        (array::<16>(), any::<u16>()).prop_map(|(a, p)| Spec::V6(a, p)),
        (4u8.., bytes(0..40)).prop_map(|(t, d)| Spec::Other(t, d)),
    ];
    (
        rsa,
        first_addr,
        prop::option::of(array::<32>().prop_map(Spec::Ed)),
        prop::collection::vec(extra, 0..6),
    )
        .prop_flat_map(|(rsa, first, ed, extra)| {
            // The first address must stay first among its family; put it at the front.
            let mut rest = vec![rsa];
            rest.extend(ed);
            rest.extend(extra);
            (Just(first), Just(rest).prop_shuffle())
        })
        .prop_map(|(first, rest)| {
            let mut all = vec![first];
            all.extend(rest);
            all
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn cell_frame_roundtrip(
        (width, id) in width().prop_flat_map(|w| (Just(w), circ_id(w))),
        command in (0u8..128).prop_filter("fixed-length", |c| *c != 7),
        body in array::<PAYLOAD_LEN>(),
    ) {
        let cell = Cell::new(id, Command(command), &body).unwrap();
        let mut frame = vec![0u8; width.cell_len()];
        prop_assert_eq!(cell.encode_into(width, &mut frame).unwrap(), width.cell_len());
        let back = Cell::decode(&frame, width).unwrap();
        prop_assert_eq!(back, cell);
        // And the stream form leaves what follows alone.
        frame.extend_from_slice(b"next");
        let (again, rest) = Cell::decode_prefix(&frame, width).unwrap();
        prop_assert_eq!(again, cell);
        prop_assert_eq!(rest, b"next");
    }

    #[test]
    fn create_roundtrip(
        (width, id) in width().prop_flat_map(|w| (Just(w), circ_id(w))),
        tap in array::<186>().prop_filter("untagged", |s| !s.starts_with(b"ntorNTORntorNTOR")),
        ntor in array::<84>(),
    ) {
        let mut frame = Vec::new();
        let m = Create::tap(&tap);
        prop_assert_eq!(cell_roundtrip(&m, id, width, &mut frame), m);
        let m = Create::new(LegacyOnionSkin::Ntor(&ntor));
        let back = cell_roundtrip(&m, id, width, &mut frame);
        prop_assert_eq!(back, m);
        prop_assert_eq!(back.handshake_type(), HandshakeType::NTOR);
    }

    #[test]
    fn fixed_replies_roundtrip(
        (width, id) in width().prop_flat_map(|w| (Just(w), circ_id(w))),
        reply in array::<148>(),
        x in array::<20>(),
        fast_reply in array::<40>(),
    ) {
        let mut frame = Vec::new();
        let m = Created::new(&reply);
        prop_assert_eq!(cell_roundtrip(&m, id, width, &mut frame), m);
        let m = CreateFast::new(&x);
        prop_assert_eq!(cell_roundtrip(&m, id, width, &mut frame), m);
        let m = CreatedFast::new(&fast_reply);
        let back = cell_roundtrip(&m, id, width, &mut frame);
        prop_assert_eq!(back, m);
        prop_assert_eq!([back.y(), back.kh()].concat(), fast_reply.to_vec());
    }

    #[test]
    fn create2_roundtrip(
        (width, id) in width().prop_flat_map(|w| (Just(w), circ_id(w))),
        (htype, hdata) in create2_parts(false),
    ) {
        let m = Create2::new(HandshakeType(htype), &hdata).unwrap();
        let mut frame = Vec::new();
        prop_assert_eq!(cell_roundtrip(&m, id, width, &mut frame), m);
    }

    #[test]
    fn created2_roundtrip(
        (width, id) in width().prop_flat_map(|w| (Just(w), circ_id(w))),
        hdata in bytes(0..=496),
    ) {
        let m = Created2::new(&hdata).unwrap();
        let mut frame = Vec::new();
        prop_assert_eq!(cell_roundtrip(&m, id, width, &mut frame), m);
        let e = Extended2::from(m);
        let mut out = Vec::new();
        prop_assert_eq!(relay_roundtrip(&e, &mut out), e);
        prop_assert_eq!(Created2::from(e), m);
    }

    #[test]
    fn destroy_roundtrip(
        (width, id) in width().prop_flat_map(|w| (Just(w), circ_id(w))),
        reason in any::<u8>(),
    ) {
        let m = Destroy::new(DestroyReason(reason));
        let mut frame = Vec::new();
        prop_assert_eq!(cell_roundtrip(&m, id, width, &mut frame).reason().0, reason);
    }

    #[test]
    fn extend_roundtrip(
        addr in any::<u32>().prop_filter("non-zero", |a| *a != 0),
        port in 1u16..,
        tap in array::<186>().prop_filter("untagged", |s| !s.starts_with(b"ntorNTORntorNTOR")),
        ntor in array::<84>(),
        use_ntor in any::<bool>(),
        identity in array::<20>().prop_filter("non-zero", |id| id != &[0; 20]),
    ) {
        let skin = if use_ntor { LegacyOnionSkin::Ntor(&ntor) } else { LegacyOnionSkin::Tap(&tap) };
        let m = Extend::new(SocketAddrV4::new(Ipv4Addr::from(addr), port), skin, &identity).unwrap();
        let mut out = Vec::new();
        prop_assert_eq!(relay_roundtrip(&m, &mut out), m);
    }

    #[test]
    fn extended_roundtrip(reply in array::<148>()) {
        let m = Extended::new(&reply);
        let mut out = Vec::new();
        prop_assert_eq!(relay_roundtrip(&m, &mut out), m);
    }

    #[test]
    fn extend2_roundtrip(specs in link_specs(), (htype, hdata) in create2_parts(true)) {
        let views: Vec<LinkSpec<'_>> = specs.iter().map(Spec::view).collect();
        let create2 = Create2::new(HandshakeType(htype), &hdata).unwrap();
        let list = LinkSpecs::from_slice(&views).unwrap();
        let m = match Extend2::new(list, create2) {
            Ok(m) => m,
            // Too long for a relay cell: the encoder refuses, which is the property.
            Err(_) => {
                prop_assert!(list.encoded_len() + create2.encoded_len() > RELAY_PAYLOAD_LEN);
                return Ok(());
            }
        };
        let mut out = Vec::new();
        let back = relay_roundtrip(&m, &mut out);
        prop_assert_eq!(back, m);
        prop_assert_eq!(back.link_specs().iter().collect::<Vec<_>>(), views.clone());
        prop_assert_eq!(back.htype(), HandshakeType(htype));
        prop_assert_eq!(back.hdata(), &hdata[..]);
    }

    /// Whatever a cell body holds, a successful decode re-encodes to the same bytes up to its
    /// last field, then NUL, and decodes again to the same view.
    #[test]
    fn arbitrary_cell_bodies_are_stable(command in 0u8..16, body in array::<PAYLOAD_LEN>()) {
        if let Ok(msg) = CellMsg::decode(Command(command), &body) {
            let mut out = [0xffu8; PAYLOAD_LEN];
            let used = msg.encode_into(&mut out).unwrap();
            if !matches!(msg, CellMsg::Create(c) if c.handshake_type() == HandshakeType::NTOR) {
                prop_assert_eq!(&out[..used], &body[..used]);
            }
            prop_assert!(out[used..].iter().all(|&b| b == 0));
            prop_assert_eq!(CellMsg::decode(Command(command), &out).unwrap(), msg);
        }
    }

    /// The same for relay message bodies, which are built to be close to valid so that the
    /// decoders get past their first checks.
    #[test]
    fn arbitrary_relay_bodies_are_stable(
        command in prop_oneof![Just(6u8), Just(7), Just(14), Just(15)],
        body in bytes(0..=RELAY_PAYLOAD_LEN + 2),
    ) {
        let command = RelayCommand(command);
        if let Ok(msg) = RelayMsg::decode(command, &body) {
            let mut out = vec![0u8; msg.encoded_len()];
            prop_assert_eq!(msg.encode_into(&mut out).unwrap(), out.len());
            prop_assert!(out.len() <= body.len());
            if !matches!(msg, RelayMsg::Extend(e) if e.onion_skin().handshake_type() == HandshakeType::NTOR) {
                prop_assert_eq!(&out[..], &body[..out.len()]);
            }
            prop_assert_eq!(RelayMsg::decode(command, &out).unwrap(), msg);
        }
    }

    /// Valid EXTEND2 bodies with junk after HDATA decode the same as without it.
    #[test]
    fn extend2_trailing_bytes_are_ignored(
        specs in link_specs(),
        hdata in bytes(84),
        junk in bytes(0..40),
    ) {
        let views: Vec<LinkSpec<'_>> = specs.iter().map(Spec::view).collect();
        let Ok(m) = Extend2::new(
            LinkSpecs::from_slice(&views).unwrap(),
            Create2::new(HandshakeType::NTOR, &hdata).unwrap(),
        ) else {
            return Ok(());
        };
        let mut body = vec![0u8; m.encoded_len()];
        m.encode_into(&mut body).unwrap();
        body.extend_from_slice(&junk);
        if body.len() <= RELAY_PAYLOAD_LEN {
            prop_assert_eq!(Extend2::decode(&body).unwrap(), m);
        }
    }
}
