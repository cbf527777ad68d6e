//! The channel codec: framing a byte stream into cells (tor-spec 3) and the link-cell views
//! (tor-spec 4).
//!
//! Input: one byte choosing the link protocol (taken modulo 4: negotiating, 3, 4, 5), then
//! the byte stream.

use onionskin::codec::{
    AuthChallenge, Certs, ChannelCell, ChannelCells, ChannelMsg, LinkProtocol, Netinfo, Versions,
    Vpadding,
};
use onionskin::{DecodeError, EncodeError};

const LINKS: [LinkProtocol; 4] = [
    LinkProtocol::NEGOTIATING,
    LinkProtocol::V3,
    LinkProtocol::V4,
    LinkProtocol::V5,
];

/// Re-encodes a view with its `encode_cell` (`encode`), frames the result and checks with
/// `same` that its body decodes to the same view. A view of a body too long for a
/// fixed-size cell (NETINFO read off a variable-length frame) may refuse to encode, with
/// `TooLong` only.
fn round_trip(
    link: LinkProtocol,
    encode: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
    same: impl FnOnce(&[u8]) -> bool,
) {
    let mut out = vec![0u8; 70_000];
    match encode(&mut out) {
        Ok(n) => {
            let (cell, rest) = ChannelCell::frame(&out[..n], link).expect("own encoding frames");
            assert!(rest.is_empty(), "encode_cell wrote more than one cell");
            assert_eq!(cell.circ_id(), 0, "link cells use circuit ID 0");
            assert!(same(cell.body()), "view changed through encode_cell");
        }
        Err(EncodeError::TooLong { .. }) => {}
        Err(e) => panic!("encode_cell failed: {e:?}"),
    }
}

/// Frames the stream; every cell re-encodes to the bytes it came from; the bytes framed plus
/// the rest are the input; what is left asks for more bytes exactly as `frame` says. Every
/// view decodes every body without panicking, and every view that decodes round-trips.
pub fn channel_cells(data: &[u8]) {
    let Some((&sel, stream)) = data.split_first() else {
        return;
    };
    let link = LINKS[usize::from(sel % 4)];
    let mut cells = ChannelCells::new(stream, link);
    let mut used = 0usize;
    for cell in cells.by_ref() {
        let len = cell.encoded_len();
        let mut out = vec![0u8; len];
        assert_eq!(cell.encode_into(&mut out), Ok(len));
        assert_eq!(
            &out[..],
            &stream[used..used + len],
            "cell re-encodes differently"
        );
        used += len;
        match cell.msg() {
            Ok(ChannelMsg::Circuit(id, _) | ChannelMsg::Destroy(id, _)) => {
                assert_eq!(id.get(), cell.circ_id());
            }
            Err(DecodeError::ZeroCircId) => assert_eq!(cell.circ_id(), 0),
            _ => {}
        }
        let _ = cell.circuit_cell();
        let body = cell.body();
        if let Ok(v) = Versions::decode(body) {
            assert!(v.len() * 2 <= body.len() && v.iter().count() == v.len());
            round_trip(
                LinkProtocol::NEGOTIATING,
                |o| v.encode_cell(o),
                |b| Versions::decode(b) == Ok(v),
            );
        }
        if let Ok(c) = Certs::decode(body) {
            assert_eq!(c.iter().count(), c.len());
            round_trip(
                link,
                |o| c.encode_cell(link, o),
                |b| Certs::decode(b) == Ok(c),
            );
        }
        if let Ok(a) = AuthChallenge::decode(body) {
            let _ = a.methods().count();
            round_trip(
                link,
                |o| a.encode_cell(link, o),
                |b| AuthChallenge::decode(b) == Ok(a),
            );
        }
        if let Ok(n) = Netinfo::decode(body) {
            let _ = n.my_addrs().count();
            round_trip(
                link,
                |o| n.encode_cell(link, o),
                |b| Netinfo::decode(b) == Ok(n),
            );
        }
        let v = Vpadding::decode(body);
        round_trip(
            link,
            |o| v.encode_cell(link, o),
            |b| Vpadding::decode(b) == v,
        );
    }
    assert_eq!(used + cells.rest().len(), stream.len());
    if cells.rest().is_empty() {
        assert_eq!(cells.needed(), 0);
    } else {
        assert_eq!(
            ChannelCell::frame(cells.rest(), link),
            Err(DecodeError::Truncated {
                needed: cells.needed()
            })
        );
        assert!(cells.needed() > 0);
    }
}
