//! Truncated, oversized and malformed inputs give the right typed error (tor-spec 3, 5.1,
//! 5.1.2; C tor's `onion.c` rules as summarised in SPEC-NOTES §1), and encoders refuse what
//! a receiver would reject.

// Test helpers: a failed unwrap or an out-of-range slice is a failed test, which is the point.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation,
    clippy::std_instead_of_core
)]

use core::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use onionskin::codec::{
    Cell, CellBody, CircId, CircIdWidth, Command, Create, Create2, CreateFast, Created2, Destroy,
    DestroyReason, Extend, Extend2, Extended, Extended2, LegacyOnionSkin, LinkSpec, LinkSpecType,
    LinkSpecs, PAYLOAD_LEN, RelayCommand, RelayMsg, RelayMsgBody,
};
use onionskin::{DecodeError, EncodeError, HandshakeType};

const RSA_ID: [u8; 20] = [0x8d; 20];
const ED_ID: [u8; 32] = [0x24; 32];

fn id(v: u32) -> CircId {
    CircId::new(v).unwrap()
}

/// A CREATE2/EXTEND2-style tail: HTYPE, HLEN, HDATA.
fn create2_tail(htype: u16, hlen: u16, hdata_len: usize) -> Vec<u8> {
    let mut v = htype.to_be_bytes().to_vec();
    v.extend(hlen.to_be_bytes());
    v.extend(std::iter::repeat_n(0x5a, hdata_len));
    v
}

fn body(prefix: &[u8]) -> [u8; PAYLOAD_LEN] {
    let mut b = [0u8; PAYLOAD_LEN];
    b[..prefix.len()].copy_from_slice(prefix);
    b
}

/// `LSTYPE | LSLEN | LSPEC`.
fn ls(lstype: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![lstype, data.len() as u8];
    v.extend_from_slice(data);
    v
}

const IPV4: [u8; 6] = [192, 0, 2, 17, 0x23, 0x29];

/// An EXTEND2 body from raw link specifiers and an ntor CREATE2 tail.
fn extend2(specs: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![specs.len() as u8];
    for s in specs {
        v.extend_from_slice(s);
    }
    v.extend(create2_tail(2, 84, 84));
    v
}

// ---- cell framing ----------------------------------------------------------------------

#[test]
fn cell_length_must_be_exact() {
    for (width, len) in [(CircIdWidth::Narrow, 512), (CircIdWidth::Wide, 514)] {
        let mut frame = vec![0u8; len];
        frame[width.circ_id_len() - 1] = 1;
        frame[width.circ_id_len()] = Command::CREATE_FAST.0;
        assert!(Cell::decode(&frame, width).is_ok());
        assert_eq!(
            Cell::decode(&frame[..len - 3], width),
            Err(DecodeError::Truncated { needed: 3 })
        );
        assert_eq!(
            Cell::decode(&[], width),
            Err(DecodeError::Truncated { needed: len })
        );
        frame.push(0);
        assert_eq!(
            Cell::decode(&frame, width),
            Err(DecodeError::TrailingBytes { extra: 1 })
        );
    }
    // A 514-byte link-4 cell read as link 3 is two bytes too long.
    let mut frame = [0u8; 514];
    frame[3] = 1;
    frame[4] = Command::DESTROY.0;
    assert_eq!(
        Cell::decode(&frame, CircIdWidth::for_link_protocol(3)),
        Err(DecodeError::TrailingBytes { extra: 2 })
    );
}

#[test]
fn circ_id_zero_is_rejected() {
    let frame = [0u8; 514];
    assert_eq!(
        Cell::decode(&frame, CircIdWidth::Wide),
        Err(DecodeError::ZeroCircId)
    );
    assert_eq!(CircId::new(0), None);
}

#[test]
fn variable_length_commands_are_not_fixed_cells() {
    for command in [7u8, 128, 129, 255] {
        let mut frame = [0u8; 512];
        frame[1] = 1;
        frame[2] = command;
        assert_eq!(
            Cell::decode(&frame, CircIdWidth::Narrow),
            Err(DecodeError::WrongCommand { found: command })
        );
        assert_eq!(
            Cell::new(id(1), Command(command), &[0; PAYLOAD_LEN]),
            Err(EncodeError::InvalidValue { field: "command" })
        );
    }
}

#[test]
fn body_as_checks_the_command() {
    let mut frame = [0u8; 514];
    frame[3] = 9;
    frame[4] = Command::CREATE2.0;
    let cell = Cell::decode(&frame, CircIdWidth::Wide).unwrap();
    assert_eq!(
        cell.body_as::<Destroy>(),
        Err(DecodeError::WrongCommand { found: 10 })
    );
    assert_eq!(
        Destroy::decode_cell(&frame, CircIdWidth::Wide),
        Err(DecodeError::WrongCommand { found: 10 })
    );
}

#[test]
fn cell_encoders_check_buffer_and_circ_id_width() {
    let x = [1u8; 20];
    let m = CreateFast::new(&x);
    let mut small = [0u8; 513];
    assert_eq!(
        m.encode_cell(id(1), CircIdWidth::Wide, &mut small),
        Err(EncodeError::BufferTooSmall { needed: 514 })
    );
    assert!(small.iter().all(|&b| b == 0), "nothing written on error");
    let mut frame = [0u8; 512];
    assert_eq!(
        m.encode_cell(id(0x1_0000), CircIdWidth::Narrow, &mut frame),
        Err(EncodeError::InvalidValue { field: "circ_id" })
    );
    assert!(!id(0x1_0000).fits(CircIdWidth::Narrow));
    assert_eq!(
        m.encode_cell(id(0xffff), CircIdWidth::Narrow, &mut frame),
        Ok(512)
    );
    assert_eq!(&frame[..3], &[0xff, 0xff, 5]);
}

#[test]
fn encoders_write_nul_padding_over_old_contents() {
    let x = [1u8; 20];
    let mut b = [0xffu8; PAYLOAD_LEN];
    assert_eq!(CreateFast::new(&x).encode_into(&mut b), Ok(20));
    assert_eq!(&b[..20], &x);
    assert!(b[20..].iter().all(|&v| v == 0));

    let skin = [3u8; 84];
    let mut b = [0xffu8; PAYLOAD_LEN];
    assert_eq!(
        Create::new(LegacyOnionSkin::Ntor(&skin)).encode_into(&mut b),
        Ok(100)
    );
    assert_eq!(&b[..16], b"ntorNTORntorNTOR");
    assert_eq!(&b[16..100], &skin);
    assert!(b[100..].iter().all(|&v| v == 0));

    let mut b = [0xffu8; PAYLOAD_LEN];
    assert_eq!(
        Destroy::new(DestroyReason::DESTROYED).encode_into(&mut b),
        Ok(1)
    );
    assert_eq!(b[0], 11);
    assert!(b[1..].iter().all(|&v| v == 0));
}

// ---- CREATE / CREATE2 / CREATED2 -----------------------------------------------------

#[test]
fn create_recognises_the_ntor_tag() {
    let mut b = body(b"ntorNTORntorNTOR");
    b[16..100].fill(7);
    b[100..186].fill(0xee); // padding inside the skin: ignored
    let m = Create::decode(&b).unwrap();
    assert_eq!(m.handshake_type(), HandshakeType::NTOR);
    assert_eq!(m.onion_skin(), LegacyOnionSkin::Ntor(&[7; 84]));

    let b = body(&[9; 186]);
    let m = Create::decode(&b).unwrap();
    assert_eq!(m.handshake_type(), HandshakeType::TAP);
    assert_eq!(m.onion_skin().handshake_data(), &[9; 186]);

    // A "TAP" skin that starts with the tag would be misread, so it is not sent.
    let mut tagged = [0u8; 186];
    tagged[..16].copy_from_slice(b"ntorNTORntorNTOR");
    assert_eq!(
        Create::tap(&tagged).encode_into(&mut [0; PAYLOAD_LEN]),
        Err(EncodeError::InvalidValue {
            field: "TAP onion skin"
        })
    );
}

#[test]
fn create2_hlen_limits() {
    // HLEN above 505 cannot fit a cell.
    assert_eq!(
        Create2::decode(&body(&create2_tail(3, 506, 0))),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 506,
            limit: 505
        })
    );
    assert_eq!(
        Create2::decode(&body(&create2_tail(3, 0xffff, 0))),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 0xffff,
            limit: 505
        })
    );
    // 505 is the most there is room for; ntor-v3 takes any length (its own code checks it).
    let b = body(&create2_tail(3, 505, 505));
    let m = Create2::decode(&b).unwrap();
    assert_eq!(m.hdata().len(), 505);
    let b = body(&create2_tail(3, 0, 0));
    let m = Create2::decode(&b).unwrap();
    assert!(m.hdata().is_empty());
    // TAP must be 186 and ntor 84.
    assert_eq!(
        Create2::decode(&body(&create2_tail(0, 185, 185))),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 185,
            limit: 186
        })
    );
    assert_eq!(
        Create2::decode(&body(&create2_tail(2, 85, 85))),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 85,
            limit: 84
        })
    );
}

#[test]
fn create2_handshake_types() {
    // HTYPE 1 (CREATE_FAST) never appears in CREATE2.
    assert_eq!(
        Create2::decode(&body(&create2_tail(1, 20, 20))),
        Err(DecodeError::BadHandshakeType { htype: 1 })
    );
    // A received CREATE2 with an unknown HTYPE is rejected...
    assert_eq!(
        Create2::decode(&body(&create2_tail(4, 10, 10))),
        Err(DecodeError::BadHandshakeType { htype: 4 })
    );
    assert_eq!(
        Create2::decode(&body(&create2_tail(0xffff, 10, 10))),
        Err(DecodeError::BadHandshakeType { htype: 0xffff })
    );
    // ...but one may be sent, as a relay forwards it from an EXTEND2.
    let m = Create2::new(HandshakeType(0x1234), &[1, 2, 3]).unwrap();
    let mut b = [0u8; PAYLOAD_LEN];
    assert_eq!(m.encode_into(&mut b), Ok(7));
    assert_eq!(&b[..7], &[0x12, 0x34, 0, 3, 1, 2, 3]);
}

#[test]
fn create2_constructor_rules() {
    assert_eq!(
        Create2::new(HandshakeType::FAST, &[0; 20]),
        Err(EncodeError::InvalidValue { field: "HTYPE" })
    );
    assert_eq!(
        Create2::new(HandshakeType::NTOR, &[0; 83]),
        Err(EncodeError::InvalidValue { field: "HLEN" })
    );
    assert_eq!(
        Create2::new(HandshakeType::TAP, &[0; 84]),
        Err(EncodeError::InvalidValue { field: "HLEN" })
    );
    assert_eq!(
        Create2::new(HandshakeType::NTOR_V3, &[0; 506]),
        Err(EncodeError::TooLong {
            field: "HDATA",
            len: 506,
            max: 505
        })
    );
    assert!(Create2::new(HandshakeType::NTOR_V3, &[0; 505]).is_ok());
}

#[test]
fn created2_hlen_at_most_496() {
    let mut b = [0u8; PAYLOAD_LEN];
    b[..2].copy_from_slice(&497u16.to_be_bytes());
    assert_eq!(
        Created2::decode(&b),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 497,
            limit: 496
        })
    );
    b[..2].copy_from_slice(&496u16.to_be_bytes());
    assert_eq!(Created2::decode(&b).unwrap().hdata().len(), 496);
    assert_eq!(
        Created2::new(&[0; 497]),
        Err(EncodeError::TooLong {
            field: "HDATA",
            len: 497,
            max: 496
        })
    );
}

#[test]
fn destroy_reasons_round_trip_unknown_values() {
    for r in 0..=255u8 {
        let m = Destroy::decode(&body(&[r])).unwrap();
        assert_eq!(m.reason(), DestroyReason(r));
        assert_eq!(m.reason().name().is_some(), r <= 12, "reason {r}");
    }
    assert_eq!(DestroyReason::NOSUCHSERVICE.0, 12);
    assert_eq!(format!("{:?}", DestroyReason(200)), "DestroyReason(200)");
    assert_eq!(
        format!("{:?}", DestroyReason::PROTOCOL),
        "DestroyReason::PROTOCOL"
    );
}

// ---- EXTEND / EXTENDED ------------------------------------------------------------------

fn extend1(addr: [u8; 4], port: u16, skin: &[u8; 186], identity: &[u8; 20]) -> Vec<u8> {
    let mut v = addr.to_vec();
    v.extend(port.to_be_bytes());
    v.extend_from_slice(skin);
    v.extend_from_slice(identity);
    v
}

#[test]
fn extend_rules() {
    let skin = [9u8; 186];
    let ok = extend1([192, 0, 2, 1], 443, &skin, &RSA_ID);
    assert_eq!(ok.len(), 212);
    let m = Extend::decode(&ok).unwrap();
    assert_eq!(m.orport(), "192.0.2.1:443".parse().unwrap());
    assert_eq!(m.identity(), &RSA_ID);
    assert_eq!(
        Extend::decode(&ok[..211]),
        Err(DecodeError::Truncated { needed: 1 })
    );
    // Trailing bytes are ignored, as C tor does.
    let mut long = ok.clone();
    long.extend([1, 2, 3]);
    assert_eq!(Extend::decode(&long), Ok(m));
    assert_eq!(
        Extend::decode(&extend1([192, 0, 2, 1], 443, &skin, &[0; 20])),
        Err(DecodeError::InvalidValue { field: "identity" })
    );
    assert_eq!(
        Extend::decode(&extend1([0; 4], 443, &skin, &RSA_ID)),
        Err(DecodeError::InvalidValue { field: "ORPort" })
    );
    assert_eq!(
        Extend::decode(&extend1([192, 0, 2, 1], 0, &skin, &RSA_ID)),
        Err(DecodeError::InvalidValue { field: "ORPort" })
    );
    assert_eq!(
        Extend::new(
            SocketAddrV4::new(Ipv4Addr::LOCALHOST, 1),
            LegacyOnionSkin::Tap(&skin),
            &[0; 20]
        ),
        Err(EncodeError::InvalidValue { field: "identity" })
    );
    // The tagged ntor form.
    let mut tagged = [0u8; 186];
    tagged[..16].copy_from_slice(LegacyOnionSkin::NTOR_TAG);
    tagged[16..100].fill(4);
    let b = extend1([192, 0, 2, 1], 443, &tagged, &RSA_ID);
    let m = Extend::decode(&b).unwrap();
    assert_eq!(m.onion_skin(), LegacyOnionSkin::Ntor(&[4; 84]));
    // Encoding checks the buffer first and writes nothing if it is too small.
    let mut out = [0u8; 211];
    assert_eq!(
        m.encode_into(&mut out),
        Err(EncodeError::BufferTooSmall { needed: 212 })
    );
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn extended_must_be_exactly_148() {
    assert!(Extended::decode(&[0; 148]).is_ok());
    assert_eq!(
        Extended::decode(&[0; 147]),
        Err(DecodeError::Truncated { needed: 1 })
    );
    assert_eq!(
        Extended::decode(&[0; 149]),
        Err(DecodeError::TrailingBytes { extra: 1 })
    );
}

#[test]
fn relay_bodies_over_498_are_rejected() {
    let big = [0u8; 499];
    for (cmd, field) in [
        (RelayCommand::EXTEND, "EXTEND body"),
        (RelayCommand::EXTENDED, "EXTENDED body"),
        (RelayCommand::EXTEND2, "EXTEND2 body"),
        (RelayCommand::EXTENDED2, "EXTENDED2 body"),
    ] {
        assert_eq!(
            RelayMsg::decode(cmd, &big),
            Err(DecodeError::LengthOutOfRange {
                field,
                value: 499,
                limit: 498
            })
        );
    }
    // Commands without a view are passed through untouched, whatever their length.
    assert_eq!(
        RelayMsg::decode(RelayCommand::DATA, &big),
        Ok(RelayMsg::Other {
            command: RelayCommand::DATA,
            body: &big
        })
    );
}

// ---- EXTEND2 / EXTENDED2 ----------------------------------------------------------------

#[test]
fn extend2_accepts_the_minimum_and_keeps_unknown_specifiers() {
    let unknown = ls(0x77, b"opaque");
    let body = extend2(&[ls(0, &IPV4), unknown.clone(), ls(2, &RSA_ID)]);
    let m = Extend2::decode(&body).unwrap();
    assert_eq!(m.rsa_id(), &RSA_ID);
    assert_eq!(m.ed25519_id(), None);
    assert_eq!(m.ipv4(), Some("192.0.2.17:9001".parse().unwrap()));
    assert_eq!(m.ipv6(), None);
    let specs: Vec<_> = m.link_specs().iter().collect();
    assert_eq!(
        specs[1],
        LinkSpec::Unrecognized {
            lstype: LinkSpecType(0x77),
            data: b"opaque"
        }
    );
    let mut out = vec![0u8; m.encoded_len()];
    m.encode_into(&mut out).unwrap();
    assert_eq!(out, body);
}

#[test]
fn extend2_wrong_lslen_for_known_types() {
    for (t, good) in [(0u8, 6usize), (1, 18), (2, 20), (3, 32)] {
        for bad in [good - 1, good + 1] {
            let mut specs = vec![ls(0, &IPV4), ls(2, &RSA_ID)];
            specs.push(ls(t, &vec![1; bad]));
            assert_eq!(
                Extend2::decode(&extend2(&specs)),
                Err(DecodeError::LengthOutOfRange {
                    field: "LSLEN",
                    value: bad,
                    limit: good
                }),
                "type {t} len {bad}"
            );
        }
    }
}

#[test]
fn extend2_identity_rules() {
    assert_eq!(
        Extend2::decode(&extend2(&[ls(0, &IPV4)])),
        Err(DecodeError::Missing {
            what: "legacy RSA identity link specifier"
        })
    );
    assert_eq!(
        Extend2::decode(&extend2(&[ls(0, &IPV4), ls(2, &RSA_ID), ls(2, &[1; 20])])),
        Err(DecodeError::Duplicate {
            what: "legacy RSA identity link specifier"
        })
    );
    assert_eq!(
        Extend2::decode(&extend2(&[
            ls(0, &IPV4),
            ls(2, &RSA_ID),
            ls(3, &ED_ID),
            ls(3, &ED_ID)
        ])),
        Err(DecodeError::Duplicate {
            what: "Ed25519 identity link specifier"
        })
    );
    assert_eq!(
        Extend2::decode(&extend2(&[ls(0, &IPV4), ls(2, &[0; 20])])),
        Err(DecodeError::InvalidValue {
            field: "legacy RSA identity (all zero)"
        })
    );
    let b = extend2(&[ls(0, &IPV4), ls(2, &RSA_ID), ls(3, &ED_ID)]);
    let m = Extend2::decode(&b).unwrap();
    assert_eq!(m.ed25519_id(), Some(&ED_ID));
}

#[test]
fn extend2_address_rules() {
    assert_eq!(
        Extend2::decode(&extend2(&[ls(2, &RSA_ID)])),
        Err(DecodeError::Missing {
            what: "IPv4 or IPv6 link specifier"
        })
    );
    let zero_v4 = ls(0, &[0, 0, 0, 0, 0x23, 0x29]);
    let zero_port = ls(0, &[192, 0, 2, 17, 0, 0]);
    for bad in [&zero_v4, &zero_port] {
        assert_eq!(
            Extend2::decode(&extend2(&[bad.clone(), ls(2, &RSA_ID)])),
            Err(DecodeError::InvalidValue {
                field: "link specifier address (zero address or port)"
            })
        );
    }
    // C tor uses only the first IPv4: a good second one does not rescue a bad first one...
    assert!(Extend2::decode(&extend2(&[zero_v4.clone(), ls(0, &IPV4), ls(2, &RSA_ID)])).is_err());
    // ...but a usable IPv6 does.
    let mut v6 = [0u8; 18];
    v6[..16].copy_from_slice(&"2001:db8::42".parse::<Ipv6Addr>().unwrap().octets());
    v6[16..].copy_from_slice(&443u16.to_be_bytes());
    let b = extend2(&[zero_v4, ls(1, &v6), ls(2, &RSA_ID)]);
    let m = Extend2::decode(&b).unwrap();
    assert_eq!(m.ipv6(), Some("[2001:db8::42]:443".parse().unwrap()));
    // A duplicate IPv4 is fine; the first is the one used.
    let other = ls(0, &[198, 51, 100, 1, 0, 80]);
    let b = extend2(&[ls(0, &IPV4), other, ls(2, &RSA_ID)]);
    let m = Extend2::decode(&b).unwrap();
    assert_eq!(m.ipv4(), Some("192.0.2.17:9001".parse().unwrap()));
    assert_eq!(m.link_specs().len(), 3);
}

#[test]
fn extend2_create2_rules() {
    let specs = [ls(0, &IPV4), ls(2, &RSA_ID)];
    let with_tail = |tail: Vec<u8>| {
        let mut v = vec![2u8];
        specs.iter().for_each(|s| v.extend_from_slice(s));
        v.extend(tail);
        v
    };
    // An unknown HTYPE is carried through, unlike in a received CREATE2.
    let b = with_tail(create2_tail(0x0909, 3, 3));
    let m = Extend2::decode(&b).unwrap();
    assert_eq!(m.htype(), HandshakeType(0x0909));
    assert_eq!(m.create2().hdata(), &[0x5a; 3]);
    // Forwarded as a CREATE2 cell, byte for byte.
    let mut frame = [0u8; 514];
    m.create2()
        .encode_cell(id(5), CircIdWidth::Wide, &mut frame)
        .unwrap();
    assert_eq!(&frame[5..12], &create2_tail(0x0909, 3, 3)[..]);
    // CREATE_FAST is never allowed.
    assert_eq!(
        Extend2::decode(&with_tail(create2_tail(1, 20, 20))),
        Err(DecodeError::BadHandshakeType { htype: 1 })
    );
    // ntor must be 84.
    assert_eq!(
        Extend2::decode(&with_tail(create2_tail(2, 83, 83))),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 83,
            limit: 84
        })
    );
    // HLEN beyond the body.
    assert_eq!(
        Extend2::decode(&with_tail(create2_tail(3, 100, 60))),
        Err(DecodeError::Truncated { needed: 40 })
    );
    // Bytes after HDATA are ignored, as C tor does.
    let b = with_tail(create2_tail(2, 84, 84));
    let exact = Extend2::decode(&b).unwrap();
    let mut longer = b.clone();
    longer.extend([0xaa; 9]);
    assert_eq!(Extend2::decode(&longer), Ok(exact));
}

#[test]
fn extend2_truncated_anywhere() {
    let full = extend2(&[ls(0, &IPV4), ls(2, &RSA_ID), ls(3, &ED_ID)]);
    for cut in 0..full.len() {
        let r = Extend2::decode(&full[..cut]);
        assert!(
            matches!(r, Err(DecodeError::Truncated { needed }) if needed > 0),
            "cut at {cut}: {r:?}"
        );
    }
    assert!(Extend2::decode(&full).is_ok());
}

#[test]
fn extend2_constructor_rules() {
    let ntor = [0u8; 84];
    let c2 = Create2::new(HandshakeType::NTOR, &ntor).unwrap();
    let v4 = LinkSpec::Ipv4(SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 17), 9001));
    let rsa = LinkSpec::LegacyId(&RSA_ID);
    let cases: &[(&[LinkSpec<'_>], &str)] = &[
        (&[v4], "link specifiers: no legacy RSA identity"),
        (&[rsa], "link specifiers: no IPv4 or IPv6 address"),
        (
            &[v4, rsa, rsa],
            "link specifiers: duplicate legacy RSA identity",
        ),
        (
            &[v4, LinkSpec::LegacyId(&[0; 20])],
            "link specifiers: all-zero legacy RSA identity",
        ),
        (
            &[
                LinkSpec::Ipv6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 1, 0, 0)),
                rsa,
            ],
            "link specifiers: zero address or port",
        ),
    ];
    for (specs, field) in cases {
        assert_eq!(
            Extend2::new(LinkSpecs::from_slice(specs).unwrap(), c2),
            Err(EncodeError::InvalidValue { field }),
        );
    }
    // An unrecognized specifier may not pose as a known type, nor exceed 255 bytes.
    assert_eq!(
        LinkSpecs::from_slice(&[LinkSpec::Unrecognized {
            lstype: LinkSpecType::IPV4,
            data: &[0; 6]
        }]),
        Err(EncodeError::InvalidValue { field: "LSTYPE" })
    );
    assert_eq!(
        LinkSpecs::from_slice(&[LinkSpec::Unrecognized {
            lstype: LinkSpecType(9),
            data: &[0; 256]
        }]),
        Err(EncodeError::TooLong {
            field: "LSPEC",
            len: 256,
            max: 255
        })
    );
    // More than fits a relay message.
    let big = [7u8; 255];
    let filler = LinkSpec::Unrecognized {
        lstype: LinkSpecType(9),
        data: &big,
    };
    let specs = [v4, rsa, filler, filler];
    assert!(matches!(
        Extend2::new(LinkSpecs::from_slice(&specs).unwrap(), c2),
        Err(EncodeError::TooLong {
            field: "EXTEND2 body",
            ..
        })
    ));
}

#[test]
fn extended2_rules() {
    let mut b = 497u16.to_be_bytes().to_vec();
    b.extend([0; 10]);
    assert_eq!(
        Extended2::decode(&b),
        Err(DecodeError::LengthOutOfRange {
            field: "HLEN",
            value: 497,
            limit: 496
        })
    );
    assert_eq!(
        Extended2::decode(&[0, 64, 1, 2]),
        Err(DecodeError::Truncated { needed: 62 })
    );
    assert_eq!(
        Extended2::decode(&[0]),
        Err(DecodeError::Truncated { needed: 1 })
    );
    // Trailing bytes after HDATA are ignored.
    let m = Extended2::decode(&[0, 2, 7, 7, 9, 9, 9]).unwrap();
    assert_eq!(m.hdata(), &[7, 7]);
    assert_eq!(m.encoded_len(), 4);
    let mut out = [0u8; 3];
    assert_eq!(
        m.encode_into(&mut out),
        Err(EncodeError::BufferTooSmall { needed: 4 })
    );
}

// ---- errors ----------------------------------------------------------------------------

#[test]
fn errors_say_what_was_wrong() {
    let e = Create2::decode(&body(&create2_tail(2, 85, 85))).unwrap_err();
    assert_eq!(e.to_string(), "HLEN is 85, outside the allowed 84");
    let e = Extend2::decode(&extend2(&[ls(0, &IPV4)])).unwrap_err();
    assert_eq!(e.to_string(), "missing legacy RSA identity link specifier");
    assert_eq!(
        Cell::decode(&[0; 10], CircIdWidth::Wide)
            .unwrap_err()
            .to_string(),
        "truncated: 504 more bytes needed"
    );
}
